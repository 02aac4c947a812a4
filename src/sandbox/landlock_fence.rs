//! Linux: the fence as a Landlock ruleset the launcher puts on itself before it becomes the server.
//!
//! Best effort: a kernel that lacks part of what is asked enforces the rest, and the answer says
//! which (fully, partly, not at all). Landlock's network rules (ABI 4) cover TCP `bind` and
//! `connect` by port, not addresses; so for `none` no port is allowed, `any` needs no rule, and
//! `loopback` cannot be said to the kernel. The rest of the network is the socket filter's
//! ([`super::socket_filter`]).

use landlock::{
    ABI, Access, AccessFs, AccessNet, LandlockStatus, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetError,
    RulesetStatus, Scope, path_beneath_rules,
};

use super::plan::FencePlan;
use crate::profile::SandboxNetwork;

/// The file-system rights the fence handles: all of those of ABI 5 (reading, writing, making,
/// removing, renaming across folders, truncating, device ioctls).
const FS_ABI: ABI = ABI::V5;
/// TCP bind and connect.
const NET_ABI: ABI = ABI::V4;
/// Signals to processes outside the fence and connections to abstract Unix sockets made outside
/// it (an X server's, say).
const SCOPE_ABI: ABI = ABI::V6;

/// What Landlock enforced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Landlocked {
    pub files: Files,
    /// Whether TCP `bind` and `connect` are refused (asked for network `none`, ABI 4 and later).
    pub tcp_refused: bool,
    /// The Landlock ABI the kernel offers, when it has Landlock.
    pub abi: Option<i32>,
}

/// How far the kernel's Landlock fences the files (and signals and abstract sockets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Files {
    Fenced,
    /// An older Landlock, of this ABI, enforces part of it.
    Partly {
        abi: i32,
    },
    /// Nothing; why, in words.
    NotFenced(String),
}

/// Fences this process (and what it `exec`s) in `plan`.
pub fn restrict_self(plan: &FencePlan) -> Result<Landlocked, RulesetError> {
    let mut ruleset =
        Ruleset::default().handle_access(AccessFs::from_all(FS_ABI))?.scope(Scope::from_all(SCOPE_ABI))?;
    if plan.network == SandboxNetwork::None {
        ruleset = ruleset.handle_access(AccessNet::from_all(NET_ABI))?;
    }
    let status = ruleset
        .create()?
        .add_rules(path_beneath_rules(&plan.read, AccessFs::from_read(FS_ABI)))?
        .add_rules(path_beneath_rules(&plan.write, AccessFs::from_all(FS_ABI)))?
        .restrict_self()?;
    let (abi, effective) = match status.landlock {
        LandlockStatus::Available { effective_abi, kernel_abi } => {
            (Some(kernel_abi.unwrap_or(effective_abi as i32)), effective_abi as i32)
        }
        _ => (None, 0),
    };
    let files = match status.ruleset {
        RulesetStatus::FullyEnforced => Files::Fenced,
        RulesetStatus::PartiallyEnforced => Files::Partly { abi: abi.unwrap_or(effective) },
        RulesetStatus::NotEnforced => Files::NotFenced(not_enforced_reason(&status.landlock)),
    };
    let tcp_refused = plan.network == SandboxNetwork::None
        && status.ruleset != RulesetStatus::NotEnforced
        && effective >= NET_ABI as i32;
    Ok(Landlocked { files, tcp_refused, abi })
}

/// What an older Landlock leaves out, for the report.
pub fn abi_needs() -> String {
    format!(
        "files need ABI {}, TCP rules ABI {}, signals and abstract sockets ABI {}",
        FS_ABI as i32, NET_ABI as i32, SCOPE_ABI as i32
    )
}

fn not_enforced_reason(landlock: &LandlockStatus) -> String {
    match landlock {
        LandlockStatus::NotImplemented => "this kernel has no Landlock",
        LandlockStatus::NotEnabled => {
            "Landlock is built into this kernel but not enabled (add `landlock` to the `lsm=` boot setting)"
        }
        _ => "the kernel enforced none of it",
    }
    .to_owned()
}
