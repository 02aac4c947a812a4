//! `lanyard doctor`: everything that commonly stands between a person and a working source,
//! checked in one go, each finding with what to do about it.
//!
//! Checks only look: nothing is signed in, refreshed, started or written, except that
//! `--prune` ([`Orphans::Prune`]) removes this install's keychain entries that no source or
//! agent of the profile file owns. Reachability is a TCP
//! connect to an HTTP source's host (no request, so no credential leaves the machine) or a
//! look-up of a stdio source's program; the bridge port is probed for a hub with the same proof
//! that `lanyard bridge` uses. Findings carry ids, paths, origins and error texts that are
//! already redacted by construction (see `secret`), never a secret value.
//!
//! Keychain entries are judged by name only (no value is read), and only against a profile file
//! that read cleanly: a broken file owns nothing, and pruning against it would wipe the install.
//! An agent's key is an orphan when the profile file has no agent of its name. Registrations
//! (per issuer, reused by the next sign-in there), the bridge token and names this version does
//! not make are never called orphans; other installs' entries and those from before
//! namespaces are counted and left alone.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use serde::Serialize;

use crate::Engine;
use crate::agents::AgentName;
use crate::clients::{self, Client, Env, ViaLanyard};
use crate::ids::SourceId;
use crate::profile::{Profile, ResolveError, ResolvedTransport, resolve};
use crate::source::{SourceState, uses_tokens};
use crate::upstream::Origin;
use crate::vault::{Entries, InstallId, KeyKind, KeychainState, Listing, VaultKey};

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
    /// Lanyard's keychain entries held against the profile file; `None` when they could not be
    /// listed (a finding says why).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keychain_entries: Option<KeychainEntries>,
}

/// What to do with keychain entries that no source or agent owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orphans {
    /// List them.
    Report,
    /// Remove this install's (`lanyard doctor --prune`).
    Prune,
}

/// Lanyard's keychain entries, by whose they are. Names only, never values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KeychainEntries {
    /// Whether the store can list its entries. When it cannot (the kernel keyring), nothing
    /// below was looked at, and orphans cannot be found.
    pub listable: bool,
    /// This install (the namespace of this profile file's entries).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub install: Option<InstallId>,
    /// How many entries this install holds, orphans included.
    pub count: usize,
    /// Whether the profile file read cleanly, so that entries could be held against it.
    pub judged: bool,
    /// This install's entries that no source or agent owns (still there).
    pub orphans: Vec<Orphan>,
    /// Orphans that `--prune` removed.
    pub pruned: Vec<Orphan>,
    /// Entries from before installs had namespaces, not moved into one yet.
    pub unscoped: usize,
    /// Entries of other installs (other profile files), by install id. Never touched.
    pub other_installs: BTreeMap<InstallId, usize>,
}

/// A keychain entry of this install that no source of the profile file owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Orphan {
    /// The entry's name in the install, e.g. `source:old/header/Authorization`.
    pub entry: String,
    /// The source it was made for; for [`OrphanReason::NoSuchAgent`], the agent.
    pub source: String,
    pub reason: OrphanReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrphanReason {
    /// The profile file has no source of that id.
    NoSuchSource,
    /// The source exists but refers to no secret of that name.
    SecretNotReferenced,
    /// The source exists but its sign-in kind keeps no tokens.
    TokensNotUsed,
    /// An agent's key, and the profile file has no agent of that name (it was removed while
    /// the keychain could not be written, or the file was edited by hand).
    NoSuchAgent,
}

impl Orphan {
    fn describe(&self) -> String {
        let why = match self.reason {
            OrphanReason::NoSuchSource => format!("no source `{}`", self.source),
            OrphanReason::SecretNotReferenced => format!("`{}` does not refer to it", self.source),
            OrphanReason::TokensNotUsed => format!("`{}` keeps no tokens", self.source),
            OrphanReason::NoSuchAgent => format!("no agent `{}`", self.source),
        };
        format!("{} ({why})", self.entry)
    }
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
    doctor_with(engine, bridge_port, Orphans::Report).await
}

/// [`doctor`], with keychain entries no source or agent owns listed or removed as `orphans` says.
pub async fn doctor_with(engine: &Engine, bridge_port: u16, orphans: Orphans) -> Report {
    let state = engine.vault().state().await;
    let keychain_usable = state.is_usable();
    let mut findings = vec![keychain(engine, &state)];
    let (profiles, agents, judged) = match engine.load() {
        Ok(file) => {
            let path = engine.profile_store().path().display().to_string();
            let count = file.profiles().count();
            findings.push(Finding::new(Area::Profiles, path, Outcome::Ok, format!("{count} source(s)")));
            (file.profiles().cloned().collect::<Vec<_>>(), file.agents.keys().cloned().collect(), true)
        }
        Err(err) => {
            let path = engine.profile_store().path().display().to_string();
            findings.push(
                Finding::new(Area::Profiles, path, Outcome::Problem, err.to_string())
                    .fix("fix the file at the line named; Lanyard never rewrites a file it cannot read"),
            );
            (Vec::new(), Vec::new(), false)
        }
    };
    // A keychain that cannot be used is one problem, said once above: the checks that need it
    // (the entries, each source's secrets and tokens) are left out rather than failing again.
    let keychain_entries = if keychain_usable {
        let owners = judged.then_some(Owners { profiles: &profiles, agents: &agents });
        let (finding, entries) = keychain_entries(engine, owners, orphans).await;
        findings.push(finding);
        entries
    } else {
        None
    };
    findings.push(bridge_port_finding(engine, bridge_port).await);
    for profile in &profiles {
        findings.extend(source(engine, profile, keychain_usable).await);
    }
    if let Ok(env) = Env::current() {
        findings.extend(client_files(&env, &profiles));
    }
    Report { findings, keychain_entries }
}

/// What the profile file says owns keychain entries: its sources and its agents.
#[derive(Debug, Clone, Copy)]
struct Owners<'a> {
    profiles: &'a [Profile],
    agents: &'a [AgentName],
}

/// This install's keychain entries held against `owners` (`None`: the file did not read, so
/// nothing is judged), orphans removed when `orphans` says so.
async fn keychain_entries(
    engine: &Engine,
    owners: Option<Owners<'_>>,
    orphans: Orphans,
) -> (Finding, Option<KeychainEntries>) {
    let subject = "entries";
    let listed = match engine.vault().entries().await {
        Ok(Listing::Listed(entries)) => entries,
        Ok(Listing::NotListable { kind }) => {
            let outcome = if orphans == Orphans::Prune { Outcome::Warning } else { Outcome::Ok };
            let detail = format!(
                "the {kind} can only look entries up by name, not list them, so entries no source owns cannot be found (nothing was pruned)"
            );
            return (
                Finding::new(Area::Keychain, subject, outcome, detail),
                Some(KeychainEntries::default()),
            );
        }
        Err(err) => {
            let finding = Finding::new(Area::Keychain, subject, Outcome::Problem, err.to_string())
                .fix("unlock the keychain (or start its service) and run the command again");
            return (finding, None);
        }
    };
    let Entries { mine, unscoped, others } = listed;
    let mut report = KeychainEntries {
        listable: true,
        install: engine.vault().install_id().await.ok().flatten().cloned(),
        count: mine.len(),
        judged: owners.is_some(),
        orphans: owners.map(|owners| orphans_among(&mine, owners)).unwrap_or_default(),
        pruned: Vec::new(),
        unscoped: unscoped.len(),
        other_installs: others,
    };
    let mut failed = None;
    if orphans == Orphans::Prune {
        for orphan in std::mem::take(&mut report.orphans) {
            let key = mine
                .iter()
                .find(|key| key.account() == orphan.entry)
                .expect("an orphan is one of the entries");
            match engine.vault().delete(key).await {
                Ok(_) => report.pruned.push(orphan),
                Err(err) => {
                    failed.get_or_insert(err);
                    report.orphans.push(orphan);
                }
            }
        }
    }
    let others: usize = report.other_installs.values().sum();
    let mut detail =
        format!("{} entr{} of this install", report.count, if report.count == 1 { "y" } else { "ies" });
    if others > 0 || report.unscoped > 0 {
        detail.push_str(&format!(
            "; {others} of {} other install(s) and {} from before installs had namespaces, left alone",
            report.other_installs.len(),
            report.unscoped
        ));
    }
    let finding = if let Some(err) = failed {
        Finding::new(Area::Keychain, subject, Outcome::Problem, format!("{detail}; pruning failed: {err}"))
            .fix("unlock the keychain (or start its service) and run `lanyard doctor --prune` again")
    } else if !report.judged {
        Finding::new(
            Area::Keychain,
            subject,
            Outcome::Ok,
            format!("{detail}; not held against the profile file, which does not read"),
        )
    } else if !report.orphans.is_empty() {
        let names: Vec<String> = report.orphans.iter().map(Orphan::describe).collect();
        Finding::new(
            Area::Keychain,
            subject,
            Outcome::Warning,
            format!("{detail}; nothing in the profile file owns {}", names.join(", ")),
        )
        .fix("`lanyard doctor --prune` removes them")
    } else if !report.pruned.is_empty() {
        let names: Vec<String> = report.pruned.iter().map(Orphan::describe).collect();
        Finding::new(Area::Keychain, subject, Outcome::Ok, format!("{detail}; removed {}", names.join(", ")))
    } else {
        Finding::new(Area::Keychain, subject, Outcome::Ok, format!("{detail}, each owned by a source"))
    };
    (finding, Some(report))
}

/// The entries among `mine` that no source or agent of the profile file owns. Registrations,
/// the bridge token and names this version does not make are never orphans (see the module
/// docs).
fn orphans_among(mine: &[VaultKey], owners: Owners<'_>) -> Vec<Orphan> {
    let find = |id: &SourceId| owners.profiles.iter().find(|p| p.id() == id);
    mine.iter()
        .filter_map(|key| {
            let (source, reason) = match key.kind() {
                KeyKind::SourceSecret { id, reference } => match find(&id) {
                    None => (id, OrphanReason::NoSuchSource),
                    Some(p) if !p.secret_refs().contains(&&reference) => {
                        (id, OrphanReason::SecretNotReferenced)
                    }
                    Some(_) => return None,
                },
                KeyKind::SourceTokens { id } => match find(&id) {
                    None => (id, OrphanReason::NoSuchSource),
                    Some(p) if !uses_tokens(p) => (id, OrphanReason::TokensNotUsed),
                    Some(_) => return None,
                },
                KeyKind::AgentToken { name } if !owners.agents.contains(&name) => {
                    let entry = key.account().to_owned();
                    return Some(Orphan {
                        entry,
                        source: name.to_string(),
                        reason: OrphanReason::NoSuchAgent,
                    });
                }
                _ => return None,
            };
            Some(Orphan { entry: key.account().to_owned(), source: source.to_string(), reason })
        })
        .collect()
}

/// The keychain's state, with its fix when it cannot be used.
fn keychain(engine: &Engine, state: &KeychainState) -> Finding {
    let subject = engine.vault().kind().as_str();
    let outcome = if state.is_usable() { Outcome::Ok } else { Outcome::Problem };
    let finding = Finding::new(Area::Keychain, subject, outcome, state.to_string());
    match state.fix() {
        Some(fix) => finding.fix(fix),
        None if outcome == Outcome::Problem => {
            finding.fix("follow the instruction above, then run `lanyard doctor` again")
        }
        None => finding,
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

/// The source's sign-in state and whether its server can be reached. With a keychain that cannot
/// be used (`keychain_usable` false, already reported), a failure to read this source's secrets
/// or tokens is not reported again.
async fn source(engine: &Engine, profile: &Profile, keychain_usable: bool) -> Vec<Finding> {
    let id = profile.id().to_string();
    if profile.waits_for_approval() {
        let said =
            "waiting for your approval (a program from outside that has not run); agents do not see it";
        return vec![Finding::new(Area::Source, id, Outcome::Ok, said)];
    }
    if !profile.enabled {
        return vec![Finding::new(Area::Source, id, Outcome::Ok, "disabled; agents do not see it")];
    }
    let mut findings = Vec::new();
    match engine.status(Some(profile.id())).await {
        Ok(rows) => {
            for row in rows {
                if !keychain_usable && matches!(row.state, SourceState::TokensUnreadable) {
                    continue; // the keychain's problem, reported once above
                }
                if matches!(row.state, SourceState::CommandNotFound { .. }) {
                    continue; // reported once below, where the program is looked for
                }
                let outcome = match &row.state {
                    SourceState::NeedsSignIn
                    | SourceState::MissingSecret { .. }
                    | SourceState::TokensUnreadable
                    | SourceState::NeedsMoreScope { .. } => Outcome::Problem,
                    SourceState::Expiring { .. } => Outcome::Warning,
                    _ => Outcome::Ok,
                };
                let mut finding = Finding::new(Area::Source, &id, outcome, row.state.summary());
                match row.hint {
                    Some(hint) if outcome != Outcome::Ok => finding = finding.fix(hint),
                    None if outcome == Outcome::Problem => {
                        finding = finding.fix(format!("run `lanyard status {id}` for what to do"));
                    }
                    _ => {}
                }
                findings.push(finding);
            }
        }
        Err(err) if !keychain_usable && is_keychain_error(&err) => {}
        Err(err) => findings.push(
            Finding::new(Area::Source, &id, Outcome::Problem, err.to_string())
                .fix(format!("run `lanyard status {id}` for the source's state and what to do")),
        ),
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
        Err(ResolveError::Vault { .. }) if !keychain_usable => Finding::new(
            Area::Source,
            &id,
            Outcome::Warning,
            "not checked: its secrets are in the keychain, which cannot be used (see above)",
        ),
        Err(err) => Finding::new(Area::Source, &id, Outcome::Problem, err.to_string())
            .fix(format!("check the source's settings with `lanyard profile show {id}`")),
    };
    findings.push(reach);
    findings
}

/// Whether `err` is the keychain failing (rather than the source or the profile).
fn is_keychain_error(err: &crate::Error) -> bool {
    matches!(err, crate::Error::Vault(_) | crate::Error::Resolve(ResolveError::Vault { .. }))
        || std::error::Error::source(err).is_some_and(|source| source.is::<crate::vault::VaultError>())
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
                    .fix(format!(
                        "check that the server runs and the URL is right (`lanyard profile show {id}`)"
                    )),
                Err(_) => Finding::new(
                    Area::Source,
                    id,
                    Outcome::Problem,
                    format!("{origin} did not answer within {} s", PROBE_TIMEOUT.as_secs()),
                )
                .fix("check the network, the proxy settings (`HTTPS_PROXY`) and the URL"),
            }
        }
        ResolvedTransport::Stdio { command, env, cwd, .. } => {
            let path = env.iter().find(|(name, _)| name == "PATH").map(|(_, value)| value.expose().into());
            if crate::program::is_found(command, path, cwd.as_deref()) {
                Finding::new(Area::Source, id, Outcome::Ok, format!("runs `{command}`"))
            } else {
                Finding::new(Area::Source, id, Outcome::Problem, format!("`{command}` was not found")).fix(
                    format!(
                        "install it, or give its full path with `lanyard profile edit {id} -- <command>`"
                    ),
                )
            }
        }
    }
}

/// Each installed client's config files: one that no longer parses, and each entry that goes
/// through Lanyard (its source gone or disabled, its `lanyard` program moved). A file two
/// clients share is checked once.
fn client_files(env: &Env, profiles: &[Profile]) -> Vec<Finding> {
    let mut seen = std::collections::BTreeSet::new();
    let mut findings = Vec::new();
    for client in clients::catalogue().iter().filter(|client| client.installed(env)) {
        for file in clients::inspect(client, env).files {
            if !file.exists || !seen.insert(file.path.clone()) {
                continue;
            }
            let subject = file.path.display().to_string();
            if let Some(err) = &file.error {
                findings.push(
                    Finding::new(Area::Ide, &subject, Outcome::Problem, format!("{}'s file does not read: {err}", client.name))
                        .fix(format!(
                            "fix the file; if Lanyard's last write broke it, `lanyard config {} --undo` puts back the one before",
                            client.id
                        )),
                );
                continue;
            }
            for (name, via) in &file.lanyard_entries {
                findings.extend(lanyard_entry(client, &subject, name, via, profiles));
            }
        }
    }
    findings
}

/// One entry that goes through Lanyard, judged against the sources and this machine: each
/// thing wrong with it, or that it is fine.
fn lanyard_entry(
    client: &Client,
    subject: &str,
    name: &str,
    via: &ViaLanyard,
    profiles: &[Profile],
) -> Vec<Finding> {
    let rewrite = format!("`lanyard config {} --write` rewrites it", client.id);
    let said = |outcome, detail: String| {
        Finding::new(Area::Ide, subject, outcome, format!("`{name}` ({}) {detail}", client.name))
    };
    let mut findings = Vec::new();
    if let ViaLanyard::Bridge { program, .. } | ViaLanyard::Merged { program } = via {
        let text = program.to_string_lossy();
        if !crate::program::is_found(&text, None, None) {
            findings.push(
                said(Outcome::Problem, format!("runs {text}, which is not there any more"))
                    .fix(format!("{rewrite} with this lanyard's path")),
            );
        }
    }
    let runs = match via.source() {
        Some(id) => format!("runs `lanyard bridge {id}`"),
        None => "runs the merged server".to_owned(),
    };
    match via.source().map(|id| (id, profiles.iter().find(|p| p.id().as_str() == id))) {
        Some((id, None)) => findings.push(
            said(Outcome::Problem, format!("{runs}, but there is no source `{id}`"))
                .fix(format!("add the source, or remove the entry; {rewrite} for the sources there are")),
        ),
        Some((id, Some(profile))) if !profile.enabled => findings.push(
            said(Outcome::Warning, format!("{runs}, but the source is disabled"))
                .fix(format!("`lanyard profile edit {id} --enable`, or remove the entry")),
        ),
        _ if findings.is_empty() => findings.push(said(Outcome::Ok, runs)),
        _ => {}
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn client_entries_that_run_lanyard_are_checked_against_the_sources_and_the_machine() {
        let home = tempfile::tempdir().unwrap();
        let env = Env::new(clients::Os::Linux, home.path(), home.path().join("project"));
        let cursor = home.path().join(".cursor");
        std::fs::create_dir_all(&cursor).unwrap();
        let lanyard = home.path().join("bin").join("lanyard");
        std::fs::create_dir_all(lanyard.parent().unwrap()).unwrap();
        std::fs::write(&lanyard, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&lanyard, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let lanyard = lanyard.display().to_string();
        let text = serde_json::json!({ "mcpServers": {
            "good": {"command": lanyard, "args": ["bridge", "github"]},
            "gone": {"command": lanyard, "args": ["bridge", "gone"]},
            "off": {"command": lanyard, "args": ["bridge", "off"]},
            "moved": {"command": "/nonexistent/old/lanyard", "args": ["bridge", "github"]},
            "other": {"command": "npx", "args": ["something"]},
        }});
        std::fs::write(cursor.join("mcp.json"), format!("// mine\n{text}")).unwrap();
        std::fs::create_dir_all(home.path().join(".codex")).unwrap();
        std::fs::write(home.path().join(".codex/config.toml"), "[mcp_servers\n").unwrap();
        let profile = |id: &str, enabled: bool| {
            let mut profile = crate::profile::Profile::new(
                id.parse().unwrap(),
                crate::profile::Transport::Stdio {
                    command: "x".into(),
                    args: vec![],
                    env: Default::default(),
                    cwd: None,
                },
            );
            profile.enabled = enabled;
            profile
        };
        let findings = client_files(&env, &[profile("github", true), profile("off", false)]);
        let about = |name: &str| {
            findings
                .iter()
                .find(|f| f.detail.contains(&format!("`{name}`")))
                .unwrap_or_else(|| panic!("{name}: {findings:?}"))
        };
        assert_eq!(about("good").outcome, Outcome::Ok, "{findings:?}");
        assert_eq!(about("gone").outcome, Outcome::Problem, "a source that is gone: {findings:?}");
        assert_eq!(about("off").outcome, Outcome::Warning, "a disabled source: {findings:?}");
        assert_eq!(about("moved").outcome, Outcome::Problem, "a stale path: {findings:?}");
        assert!(
            about("moved").fix.as_deref().is_some_and(|fix| fix.contains("lanyard config cursor --write"))
        );
        assert!(
            !findings.iter().any(|f| f.detail.contains("`other`")),
            "only Lanyard's entries: {findings:?}"
        );
        let codex = findings.iter().find(|f| f.subject.ends_with("config.toml")).expect("the broken file");
        assert_eq!(codex.outcome, Outcome::Problem, "{codex:?}");
        assert!(codex.detail.contains("TOML"), "{codex:?}");
    }

    #[test]
    fn programs_are_found_by_path_or_on_path() {
        let found = |command| crate::program::is_found(command, None, None);
        assert!(found("sh"), "sh is on PATH");
        assert!(found("/bin/sh"), "a full path is taken as given");
        assert!(!found("/nonexistent/lanyard-doctor-test"));
        assert!(!found("lanyard-doctor-no-such-program"));
    }

    #[test]
    fn entries_no_source_owns_are_orphans_and_nothing_else_is() {
        use crate::ids::SecretRef;
        use crate::profile::{ConfigValue, Transport};
        let id = |name: &str| name.parse::<SourceId>().unwrap();
        let header = SecretRef::header("X-Api-Key");
        let transport = Transport::Http {
            url: "https://example.com/mcp".into(),
            headers: [("X-Api-Key".to_owned(), ConfigValue::Secret(header.clone()))].into(),
        };
        let profiles = [Profile::new(id("kept"), transport)];
        let entries = [
            VaultKey::source_secret(&id("kept"), &header),
            VaultKey::source_secret(&id("kept"), &SecretRef::header("Old")),
            VaultKey::source_tokens(&id("kept")),
            VaultKey::source_secret(&id("gone"), &header),
            VaultKey::registration("https://as.example"),
            VaultKey::bridge_token(),
            VaultKey::agent_token(&"kept-agent".parse().unwrap()),
            VaultKey::agent_token(&"gone-agent".parse().unwrap()),
        ];
        let agents = ["kept-agent".parse().unwrap()];
        let found = orphans_among(&entries, Owners { profiles: &profiles, agents: &agents });
        let seen: Vec<(&str, OrphanReason)> = found.iter().map(|o| (o.entry.as_str(), o.reason)).collect();
        assert_eq!(
            seen,
            [
                ("source:kept/header/Old", OrphanReason::SecretNotReferenced),
                ("source:kept/oauth/tokens", OrphanReason::TokensNotUsed),
                ("source:gone/header/X-Api-Key", OrphanReason::NoSuchSource),
                ("agent:gone-agent/token", OrphanReason::NoSuchAgent),
            ],
            "the referenced secret, the registration, the bridge token and a kept agent's key are owned"
        );
    }

    #[test]
    fn the_worst_outcome_wins() {
        let report = Report {
            keychain_entries: None,
            findings: vec![
                Finding::new(Area::Source, "a", Outcome::Ok, ""),
                Finding::new(Area::Source, "b", Outcome::Warning, ""),
            ],
        };
        assert_eq!(report.worst(), Outcome::Warning);
        assert_eq!(Report { findings: vec![], keychain_entries: None }.worst(), Outcome::Ok);
    }
}
