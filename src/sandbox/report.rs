//! What the kernel enforced when a fenced server last started, as the launcher found it, and the
//! fence state `lanyard status` shows for a source.
//!
//! The launcher writes the report (a small JSON file beside the source's stderr log) after it
//! fenced itself and before it became the server; the engine only reads it. So the state shown
//! is what the kernel answered, not what was asked.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::limits::{Applied, Limits};
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
    /// The resource limits asked for (what the kernel made of them is in `detail`).
    #[serde(default, skip_serializing_if = "Limits::is_empty")]
    pub limits: Limits,
    /// Unix time of the start.
    pub at: u64,
}

impl FenceReport {
    /// Adds what the kernel made of the resource limits: a refused one makes an enforced fence
    /// *partly* fenced.
    pub fn with_limits(mut self, limits: Limits, applied: &Applied) -> Self {
        self.limits = limits;
        let said = applied.describe();
        if !said.is_empty() {
            self.detail = format!("{}; {said}", self.detail);
        }
        if !applied.refused.is_empty() && self.state == FenceState::Enforced {
            self.state = FenceState::Partly;
        }
        self
    }
}

/// The `sandbox` part of a source's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SandboxStatus {
    pub state: FenceState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<SandboxNetwork>,
    /// The resource limits set (`memory_mb`, `open_files`), each absent when not limited.
    #[serde(flatten)]
    pub limits: Limits,
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
            limits: Limits::default(),
            detail: format!(
                "the server runs with your rights; fence it with `lanyard profile edit {} --sandbox-network none`",
                profile.id()
            ),
            last_start: None,
        });
    };
    let limits = super::plan::limits_of(sandbox);
    if !super::ENFORCED_ON_THIS_OS {
        return Some(SandboxStatus {
            state: FenceState::NotFenced,
            network: Some(sandbox.network),
            limits,
            detail: "the setting is kept, but this OS has no fence Lanyard can enforce; the server runs with your rights"
                .to_owned(),
            last_start: None,
        });
    }
    let report = std::fs::read(report_path(log_dir, profile.id()))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<FenceReport>(&bytes).ok())
        .filter(|report| report.network == sandbox.network && report.limits == limits);
    Some(match report {
        Some(report) => SandboxStatus {
            state: report.state,
            network: Some(report.network),
            limits,
            detail: report.detail,
            last_start: Some(report.at),
        },
        None => SandboxStatus {
            state: FenceState::NotStarted,
            network: Some(sandbox.network),
            limits,
            detail: "the kernel is asked when the server next starts".to_owned(),
            last_start: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Sandbox;

    fn stdio(sandbox: Option<Sandbox>) -> Profile {
        let transport =
            Transport::Stdio { command: "x".into(), args: vec![], env: Default::default(), cwd: None };
        let mut profile = Profile::new("s".parse().unwrap(), transport);
        profile.sandbox = sandbox;
        profile
    }

    fn report(network: SandboxNetwork) -> FenceReport {
        FenceReport {
            state: FenceState::Enforced,
            network,
            detail: "files fenced".into(),
            landlock_abi: Some(7),
            limits: Limits::default(),
            at: 1,
        }
    }

    #[test]
    fn the_state_is_the_last_starts_report_for_the_setting_in_force() {
        let dir = tempfile::tempdir().unwrap();
        let off = status_of(&stdio(None), dir.path()).unwrap();
        assert_eq!(off.state, FenceState::Off);
        let fenced = stdio(Some(Sandbox::default()));
        assert_eq!(status_of(&fenced, dir.path()).unwrap().state, FenceState::NotStarted);
        let path = report_path(dir.path(), fenced.id());
        std::fs::write(&path, serde_json::to_vec(&report(SandboxNetwork::None)).unwrap()).unwrap();
        let now = status_of(&fenced, dir.path()).unwrap();
        if super::super::ENFORCED_ON_THIS_OS {
            assert_eq!((now.state, now.last_start), (FenceState::Enforced, Some(1)));
        } else {
            assert_eq!(now.state, FenceState::NotFenced, "no fence here, whatever a file says");
        }
        std::fs::write(&path, serde_json::to_vec(&report(SandboxNetwork::Any)).unwrap()).unwrap();
        let stale = status_of(&fenced, dir.path()).unwrap();
        assert_ne!(stale.state, FenceState::Enforced, "a report for another setting does not count");
        let limited = stdio(Some(Sandbox { memory_mb: Some(64), ..Sandbox::default() }));
        std::fs::write(&path, serde_json::to_vec(&report(SandboxNetwork::None)).unwrap()).unwrap();
        let before = status_of(&limited, dir.path()).unwrap();
        assert_eq!(before.limits.memory_mb, Some(64), "the limit in force is shown");
        if super::super::ENFORCED_ON_THIS_OS {
            assert_eq!(before.state, FenceState::NotStarted, "a report from before the limit does not count");
        }
        let http = Profile::new(
            "h".parse().unwrap(),
            Transport::Http { url: "http://x".into(), headers: Default::default() },
        );
        assert!(status_of(&http, dir.path()).is_none(), "an http source has no fence state");
    }

    #[test]
    fn a_refused_limit_is_said_and_makes_the_fence_partly_enforced() {
        let limits = Limits { memory_mb: Some(64), open_files: Some(32) };
        let applied = Applied {
            held: vec!["memory 64 MB".into()],
            refused: vec!["open files limit NOT set: the kernel refused it (Operation not permitted)".into()],
        };
        let refused = report(SandboxNetwork::None).with_limits(limits, &applied);
        assert_eq!(refused.state, FenceState::Partly);
        assert_eq!(
            refused.detail,
            "files fenced; memory 64 MB (rlimits); open files limit NOT set: the kernel refused it (Operation not permitted)"
        );
        let held = Applied { held: vec!["memory 64 MB".into(), "32 open files".into()], refused: Vec::new() };
        assert_eq!(report(SandboxNetwork::None).with_limits(limits, &held).state, FenceState::Enforced);
    }
}
