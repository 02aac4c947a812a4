//! `lanyard doctor`: everything that commonly stands between a person and a working source,
//! checked in one go, each finding with what to do about it.
//!
//! Checks only look: nothing is signed in, refreshed, started or written. Reachability is a TCP
//! connect to an HTTP source's host (no request, so no credential leaves the machine) or a
//! look-up of a stdio source's program; the bridge port is probed for a hub with the same proof
//! that `lanyard bridge` uses. Findings carry ids, paths, origins and error texts that are
//! already redacted by construction (see `secret`), never a secret value.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::Engine;
use crate::bridge::{IdeClient, default_config_path};
use crate::profile::{Profile, ResolvedTransport, resolve};
use crate::source::SourceState;
use crate::upstream::Origin;
use crate::vault::VaultKey;

/// How long a reachability probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub area: Area,
    /// What was checked: a source id, a file, a port.
    pub subject: String,
    pub outcome: Outcome,
    /// What was found, in plain words.
    pub detail: String,
    /// What to do, when something is wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    Keychain,
    Profiles,
    Bridge,
    Source,
    Ide,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Warning,
    Problem,
}

/// Everything `lanyard doctor` found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
}

impl Report {
    /// The worst outcome, `Ok` for an empty report.
    pub fn worst(&self) -> Outcome {
        self.findings.iter().map(|f| f.outcome).max().unwrap_or(Outcome::Ok)
    }
}

impl Finding {
    fn new(area: Area, subject: impl Into<String>, outcome: Outcome, detail: impl Into<String>) -> Self {
        Self { area, subject: subject.into(), outcome, detail: detail.into(), fix: None }
    }

    fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// Runs every check. `bridge_port` is the port `lanyard serve` would use.
pub async fn doctor(engine: &Engine, bridge_port: u16) -> Report {
    let mut findings = vec![keychain(engine).await];
    let profiles = match engine.load() {
        Ok(file) => {
            let path = engine.profile_store().path().display().to_string();
            let count = file.profiles().count();
            findings.push(Finding::new(Area::Profiles, path, Outcome::Ok, format!("{count} source(s)")));
            file.profiles().cloned().collect::<Vec<_>>()
        }
        Err(err) => {
            let path = engine.profile_store().path().display().to_string();
            findings.push(
                Finding::new(Area::Profiles, path, Outcome::Problem, err.to_string())
                    .fix("fix the file at the line named; Lanyard never rewrites a file it cannot read"),
            );
            Vec::new()
        }
    };
    findings.push(bridge_port_finding(engine, bridge_port).await);
    for profile in &profiles {
        findings.extend(source(engine, profile).await);
    }
    let ids: Vec<String> = profiles.iter().map(|p| p.id().to_string()).collect();
    for client in [IdeClient::ClaudeDesktop, IdeClient::Cursor, IdeClient::Vscode, IdeClient::Zed] {
        if let Some(path) = default_config_path(client) {
            findings.extend(ide(&path, &ids));
        }
    }
    Report { findings }
}

async fn keychain(engine: &Engine) -> Finding {
    let kind = engine.vault().kind().to_string();
    match engine.vault().get(&VaultKey::bridge_token()).await {
        Ok(_) => Finding::new(Area::Keychain, kind, Outcome::Ok, "reachable and readable"),
        Err(err) => Finding::new(Area::Keychain, kind, Outcome::Problem, err.to_string())
            .fix("unlock the keychain (or start its service) and run the command again"),
    }
}

async fn bridge_port_finding(engine: &Engine, port: u16) -> Finding {
    let subject = format!("127.0.0.1:{port}");
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    if tokio::net::TcpListener::bind(addr).await.is_ok() {
        return Finding::new(
            Area::Bridge,
            subject,
            Outcome::Ok,
            "free: no hub runs; `lanyard serve` or the app can use it",
        );
    }
    if crate::bridge::running_hub(engine).await == Some(addr) {
        return Finding::new(
            Area::Bridge,
            subject,
            Outcome::Ok,
            "a Lanyard hub runs here; `lanyard bridge` goes through it",
        );
    }
    Finding::new(
        Area::Bridge,
        subject,
        Outcome::Warning,
        "taken by a program that is not this install's Lanyard hub",
    )
    .fix("stop that program, or run `lanyard serve --port <another port>`")
}

/// The source's sign-in state and whether its server can be reached.
async fn source(engine: &Engine, profile: &Profile) -> Vec<Finding> {
    let id = profile.id().to_string();
    if !profile.enabled {
        return vec![Finding::new(Area::Source, id, Outcome::Ok, "disabled; agents do not see it")];
    }
    let mut findings = Vec::new();
    match engine.status(Some(profile.id())).await {
        Ok(rows) => {
            for row in rows {
                let outcome = match &row.state {
                    SourceState::NeedsSignIn
                    | SourceState::MissingSecret { .. }
                    | SourceState::TokensUnreadable
                    | SourceState::NeedsMoreScope { .. } => Outcome::Problem,
                    SourceState::Expiring { .. } => Outcome::Warning,
                    _ => Outcome::Ok,
                };
                let mut finding = Finding::new(Area::Source, &id, outcome, row.state.summary());
                if outcome != Outcome::Ok
                    && let Some(hint) = row.hint
                {
                    finding = finding.fix(hint);
                }
                findings.push(finding);
            }
        }
        Err(err) => findings.push(Finding::new(Area::Source, &id, Outcome::Problem, err.to_string())),
    }
    let reach = match resolve(profile, engine.vault()).await {
        Ok(resolved) => {
            if let Some(bundle) = &resolved.ca_bundle {
                let detail =
                    format!("ca_bundle {} holds {} certificate(s)", bundle.path().display(), bundle.len());
                findings.push(Finding::new(Area::Source, &id, Outcome::Ok, detail));
            }
            reachability(&id, &resolved.transport).await
        }
        Err(err) => Finding::new(Area::Source, &id, Outcome::Problem, err.to_string()),
    };
    findings.push(reach);
    findings
}

async fn reachability(id: &str, transport: &ResolvedTransport) -> Finding {
    match transport {
        ResolvedTransport::Http { url, .. } | ResolvedTransport::Sse { url, .. } => {
            let origin = Origin::of(url).to_string();
            let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
                return Finding::new(Area::Source, id, Outcome::Problem, format!("{origin} has no host"));
            };
            let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
            match tokio::time::timeout(PROBE_TIMEOUT, tokio::net::TcpStream::connect((host.as_str(), port)))
                .await
            {
                Ok(Ok(_)) => {
                    Finding::new(Area::Source, id, Outcome::Ok, format!("{origin} accepts connections"))
                }
                Ok(Err(err)) => Finding::new(Area::Source, id, Outcome::Problem, format!("{origin}: {err}"))
                    .fix("check that the server runs and the URL is right (`lanyard profile show`)"),
                Err(_) => Finding::new(
                    Area::Source,
                    id,
                    Outcome::Problem,
                    format!("{origin} did not answer within {} s", PROBE_TIMEOUT.as_secs()),
                )
                .fix("check the network, the proxy settings (`HTTPS_PROXY`) and the URL"),
            }
        }
        ResolvedTransport::Stdio { command, .. } => match find_program(command) {
            Some(path) => Finding::new(Area::Source, id, Outcome::Ok, format!("runs {}", path.display())),
            None => Finding::new(Area::Source, id, Outcome::Problem, format!("`{command}` was not found"))
                .fix("install it, or give its full path with `lanyard profile edit <id> -- <command>`"),
        },
    }
}

/// `command` as the OS would find it: a path as given, a bare name on `PATH`.
fn find_program(command: &str) -> Option<PathBuf> {
    let given = Path::new(command);
    if given.components().count() > 1 {
        return given.is_file().then(|| given.to_owned());
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(command)).find(|path| path.is_file())
}

/// The entries of an IDE's config file that run Lanyard, and whether their sources exist.
fn ide(path: &Path, known: &[String]) -> Vec<Finding> {
    let Ok(text) = std::fs::read_to_string(path) else { return Vec::new() };
    let subject = path.display().to_string();
    let Ok(root) = serde_json::from_str::<Value>(&crate::profile::strip_jsonc(&text)) else {
        return vec![Finding::new(
            Area::Ide,
            subject,
            Outcome::Warning,
            "not valid JSON; the IDE may not read it either",
        )];
    };
    let mut findings = Vec::new();
    for key in ["mcpServers", "servers", "context_servers"] {
        for (name, entry) in root.get(key).and_then(Value::as_object).into_iter().flatten() {
            let runs_lanyard = entry
                .get("command")
                .and_then(Value::as_str)
                .is_some_and(|c| Path::new(c).file_stem().is_some_and(|s| s == "lanyard"));
            if !runs_lanyard {
                continue;
            }
            let args: Vec<&str> = entry
                .get("args")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let finding = match args.as_slice() {
                ["bridge", "--all", ..] => {
                    Finding::new(Area::Ide, &subject, Outcome::Ok, format!("`{name}` runs the merged server"))
                }
                ["bridge", id, ..] if known.iter().any(|k| k == id) => Finding::new(
                    Area::Ide,
                    &subject,
                    Outcome::Ok,
                    format!("`{name}` runs `lanyard bridge {id}`"),
                ),
                ["bridge", id, ..] => Finding::new(
                    Area::Ide,
                    &subject,
                    Outcome::Problem,
                    format!("`{name}` runs `lanyard bridge {id}`, but there is no source `{id}`"),
                )
                .fix("add the source, or rewrite the entry with `lanyard config <client> --write`"),
                _ => Finding::new(
                    Area::Ide,
                    &subject,
                    Outcome::Warning,
                    format!("`{name}` runs lanyard without `bridge`"),
                ),
            };
            findings.push(finding);
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ide_entries_that_run_lanyard_are_checked_against_the_sources() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mcp.json");
        std::fs::write(
            &path,
            r#"{ // a comment
              "mcpServers": {
                "good": {"command": "/usr/bin/lanyard", "args": ["bridge", "github"]},
                "stale": {"command": "lanyard", "args": ["bridge", "gone"]},
                "other": {"command": "npx", "args": ["something"]}
              }}"#,
        )
        .unwrap();
        let findings = ide(&path, &["github".to_owned()]);
        assert_eq!(findings.len(), 2, "only the entries that run lanyard: {findings:?}");
        assert_eq!(findings[0].outcome, Outcome::Ok, "{findings:?}");
        assert_eq!(findings[1].outcome, Outcome::Problem, "an entry for a source that is gone: {findings:?}");
        assert!(findings[1].detail.contains("gone"), "{findings:?}");
    }

    #[test]
    fn programs_are_found_by_path_or_on_path() {
        assert!(find_program("sh").is_some(), "sh is on PATH");
        assert!(find_program("/bin/sh").is_some(), "a full path is taken as given");
        assert!(find_program("/nonexistent/lanyard-doctor-test").is_none());
        assert!(find_program("lanyard-doctor-no-such-program").is_none());
    }

    #[test]
    fn the_worst_outcome_wins() {
        let report = Report {
            findings: vec![
                Finding::new(Area::Source, "a", Outcome::Ok, ""),
                Finding::new(Area::Source, "b", Outcome::Warning, ""),
            ],
        };
        assert_eq!(report.worst(), Outcome::Warning);
        assert_eq!(Report { findings: vec![] }.worst(), Outcome::Ok);
    }
}
