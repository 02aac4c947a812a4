//! What the kernel enforced when a fenced server last started, as the launcher found it, and the
//! fence state `lanyard status` shows for a source.
//!
//! The launcher writes the report (a small JSON file beside the source's stderr log) after it
//! fenced itself and before it became the server; the engine only reads it. So the state shown
//! is what the kernel answered, not what was asked.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ids::SourceId;
use crate::profile::{Profile, SandboxNetwork, Transport};

/// How well a source is fenced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FenceState {
    /// Everything asked for is enforced by the kernel.
    Enforced,
    /// Some of it is enforced; `detail` says what is not.
    Partly,
    /// Asked for, but nothing is enforced: the kernel has no Landlock, or this OS has no fence.
    NotFenced,
    /// Asked for, and takes effect when the server next starts.
    NotStarted,
    /// No fence: the server runs with the person's rights.
    Off,
}

impl FenceState {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Enforced => "fenced (enforced)",
            Self::Partly => "partly fenced",
            Self::NotFenced => "NOT fenced",
            Self::NotStarted => "fence set, not started yet",
            Self::Off => "no fence",
        }
    }
}

/// What the launcher wrote before it became the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FenceReport {
    pub state: FenceState,
    pub network: SandboxNetwork,
    /// What is and is not enforced, in words.
    pub detail: String,
    /// The Landlock ABI the kernel offers, when it has Landlock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landlock_abi: Option<i32>,
    /// Unix time of the start.
    pub at: u64,
}

/// The `sandbox` part of a source's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SandboxStatus {
    pub state: FenceState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<SandboxNetwork>,
    pub detail: String,
    /// The last start's report, when there was one since the fence was set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_start: Option<u64>,
}

/// The file in `log_dir` that holds a source's last fence report.
pub fn report_path(log_dir: &Path, id: &SourceId) -> PathBuf {
    log_dir.join(format!("{id}.fence.json"))
}

/// A stdio source's fence state: off, or what its last start reported. `None` for http and sse
/// sources, which run elsewhere.
pub fn status_of(profile: &Profile, log_dir: &Path) -> Option<SandboxStatus> {
    if !matches!(profile.transport, Transport::Stdio { .. }) {
        return None;
    }
    let Some(sandbox) = &profile.sandbox else {
        return Some(SandboxStatus {
            state: FenceState::Off,
            network: None,
            detail: format!(
                "the server runs with your rights; fence it with `lanyard profile edit {} --sandbox-network none`",
                profile.id()
            ),
            last_start: None,
        });
    };
    if !super::ENFORCED_ON_THIS_OS {
        return Some(SandboxStatus {
            state: FenceState::NotFenced,
            network: Some(sandbox.network),
            detail: "the setting is kept, but this OS has no fence Lanyard can enforce; the server runs with your rights"
                .to_owned(),
            last_start: None,
        });
    }
    let report = std::fs::read(report_path(log_dir, profile.id()))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<FenceReport>(&bytes).ok())
        .filter(|report| report.network == sandbox.network);
    Some(match report {
        Some(report) => SandboxStatus {
            state: report.state,
            network: Some(report.network),
            detail: report.detail,
            last_start: Some(report.at),
        },
        None => SandboxStatus {
            state: FenceState::NotStarted,
            network: Some(sandbox.network),
            detail: "the kernel is asked when the server next starts".to_owned(),
            last_start: None,
        },
    })
}
