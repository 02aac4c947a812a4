//! Linux: the fence as a Landlock ruleset the launcher puts on itself before it becomes the server.
//!
//! Best effort: a kernel that lacks part of what is asked enforces the rest, and the answer says
//! which (fully, partly, not at all). Landlock's network rules (ABI 4) cover TCP `bind` and
//! `connect` by port, not addresses; so `none` is enforced (no port is allowed), `any` needs no
//! rule, and `loopback` cannot be said to the kernel and is reported as not enforced.

use landlock::{
    ABI, Access, AccessFs, AccessNet, LandlockStatus, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetError,
    RulesetStatus, Scope, path_beneath_rules,
};

use super::plan::FencePlan;
use super::report::FenceState;
use crate::profile::SandboxNetwork;

/// The file-system rights the fence handles: all of those of ABI 5 (reading, writing, making,
/// removing, renaming across folders, truncating, device ioctls).
const FS_ABI: ABI = ABI::V5;
/// TCP bind and connect.
const NET_ABI: ABI = ABI::V4;
/// Signals to processes outside the fence and connections to abstract Unix sockets made outside
/// it (an X server's, say).
const SCOPE_ABI: ABI = ABI::V6;

/// What the kernel enforced.
pub struct Enforced {
    pub state: FenceState,
    pub detail: String,
    pub abi: Option<i32>,
}

/// Fences this process (and what it `exec`s) in `plan`.
pub fn restrict_self(plan: &FencePlan) -> Result<Enforced, RulesetError> {
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
    let abi = match status.landlock {
        LandlockStatus::Available { effective_abi, kernel_abi } => {
            Some(kernel_abi.unwrap_or(effective_abi as i32))
        }
        _ => None,
    };
    let network = match plan.network {
        SandboxNetwork::None => "no TCP connections or listening",
        SandboxNetwork::Loopback => {
            "network `loopback` is NOT enforced: Landlock cannot tell loopback from other addresses, so TCP is open"
        }
        SandboxNetwork::Any => "network open",
    };
    let (state, detail) = match (status.ruleset, plan.network) {
        (RulesetStatus::NotEnforced, _) => (FenceState::NotFenced, not_enforced_reason(&status.landlock)),
        (RulesetStatus::PartiallyEnforced, _) => (
            FenceState::Partly,
            format!(
                "this kernel's Landlock (ABI {}) enforces only part of the fence (files need ABI {}, the network ABI {}, signals and abstract sockets ABI {}); {network}",
                abi.unwrap_or_default(),
                FS_ABI as i32,
                NET_ABI as i32,
                SCOPE_ABI as i32
            ),
        ),
        (RulesetStatus::FullyEnforced, SandboxNetwork::Loopback) => {
            (FenceState::Partly, format!("files fenced by Landlock; {network}"))
        }
        (RulesetStatus::FullyEnforced, _) => {
            (FenceState::Enforced, format!("files fenced by Landlock; {network}"))
        }
    };
    Ok(Enforced { state, detail, abi })
}

fn not_enforced_reason(landlock: &LandlockStatus) -> String {
    let why = match landlock {
        LandlockStatus::NotImplemented => "this kernel has no Landlock",
        LandlockStatus::NotEnabled => {
            "Landlock is built into this kernel but not enabled (add `landlock` to the `lsm=` boot setting)"
        }
        _ => "the kernel enforced none of it",
    };
    format!("{why}; the server runs with your rights")
}
