//! `lanyard profile ...` and `lanyard import`: editing the profile file and the vault together.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use serde_json::json;

use lanyard::Engine;
use lanyard::engine::ImportOutcome;
use lanyard::ids::SourceId;
use lanyard::profile::{
    ConfigValue, Draft, ImportReport, Profile, ProfileError, Skipped, Transport, import_file,
};
use lanyard::remedy::Remedy;
use lanyard::source::{SourceState, redact_url_query};
use lanyard::upstream::Offers;
use lanyard::vault::{ExternalRef, VaultKey};

use super::args::{AddArgs, EditArgs, ImportArgs, ProfileSettings, RmArgs, ShowArgs};
use super::elicit::Listing;
use super::exit::UsageError;
use super::settings::{apply, new_profile};
use super::{print_json, progress};

pub async fn add(engine: &Engine, args: AddArgs) -> Result<()> {
    let (profile, secrets) = new_profile(args.id, &args.settings, &args.command)?;
    warn_if_deprecated(&profile);
    let (id, target, count) = (profile.id().clone(), describe(&profile), secrets.len());
    engine.add_profile(profile, secrets).await?;
    println!("Added source `{id}` ({target}).");
    if count > 0 {
        println!("Stored {count} secret(s) in the {} keychain.", keychain_name(engine));
    }
    warn_about_saved(engine, &id, names_tools(&args.settings)).await;
    Ok(())
}

/// How long `profile add` and `profile edit` spend checking a tool filter against the server
/// before they give up on it (quietly: the profile is saved, and the filter works either way).
const FILTER_CHECK_LIMIT: Duration = Duration::from_secs(15);

/// Whether the command line gave tool filter entries, which name tools the server may not have.
fn names_tools(settings: &ProfileSettings) -> bool {
    !(settings.include.is_empty()
        && settings.exclude.is_empty()
        && settings.alias.is_empty()
        && settings.description.is_empty())
}

/// Warnings about a source just saved, on stderr; none of them undoes the save. A stdio command
/// that is not found is named (and `lanyard status` keeps saying so). With `check_filter`, a
/// source that is ready to connect is asked for its tools once, and filter entries that name no
/// tool it offers are named; a source that needs sign-in, or a server that cannot be reached in
/// [`FILTER_CHECK_LIMIT`], is not checked.
async fn warn_about_saved(engine: &Engine, id: &SourceId, check_filter: bool) {
    let state = match engine.status(Some(id)).await {
        Ok(rows) => rows.into_iter().next().map(|row| row.state),
        Err(err) => {
            tracing::debug!(source = %id, %err, "no status to warn about");
            None
        }
    };
    match state {
        Some(SourceState::CommandNotFound { command }) => {
            eprintln!(
                "warning: source `{id}`: the command `{command}` is not found (not installed, or not on PATH); \
                 the source cannot start until it is"
            );
            return;
        }
        Some(SourceState::Ready | SourceState::Connected { .. } | SourceState::Expiring { .. }) => {}
        _ => return,
    }
    if !check_filter {
        return;
    }
    progress(&format!("Checking the tool filter against `{id}`…"));
    // Listed as `lanyard tools` lists them, so the filter is checked against the same tools.
    let offers = Offers::Person(Arc::new(Listing::new(None)));
    match tokio::time::timeout(FILTER_CHECK_LIMIT, engine.list_tools_checked(id, offers)).await {
        Ok(Ok(listing)) => {
            for unmatched in &listing.unmatched {
                eprintln!("warning: source `{id}`: {unmatched}");
            }
        }
        Ok(Err(err)) => tracing::debug!(source = %id, %err, "the tool filter was not checked"),
        Err(_) => tracing::debug!(source = %id, "the tool filter was not checked in time"),
    }
}

pub fn list(engine: &Engine, json: bool) -> Result<()> {
    let file = engine.load()?;
    if json {
        let rows: Vec<_> = file.profiles().map(summary_json).collect();
        return print_json(&rows);
    }
    if file.sources.is_empty() {
        println!("{}", super::status_cmd::NO_SOURCES);
        return Ok(());
    }
    println!("{:<20} {:<24} {:<16} {:<8} TARGET", "ID", "NAME", "TRANSPORT", "ENABLED");
    for profile in file.profiles() {
        println!(
            "{:<20} {:<24} {:<16} {:<8} {}",
            profile.id().as_str(),
            profile.display_name(),
            profile.transport.kind().to_string(),
            if profile.enabled { "yes" } else { "no" },
            redact_url_query(&profile.transport.target()),
        );
    }
    Ok(())
}

pub async fn show(engine: &Engine, args: ShowArgs) -> Result<()> {
    let profile = engine.profile(&args.id)?;
    let mut secrets = serde_json::Map::new();
    for reference in profile.secret_refs() {
        let state = match ExternalRef::parse(&reference.0) {
            Some(Ok(external)) => format!("in {}, read when used", external.manager()),
            Some(Err(_)) => "not a reference Lanyard can read".to_owned(),
            None if engine
                .vault()
                .get(&VaultKey::source_secret(profile.id(), reference))
                .await?
                .is_some() =>
            {
                "set".to_owned()
            }
            None => "not set".to_owned(),
        };
        secrets.insert(reference.to_string(), json!(state));
    }
    if args.json {
        let mut value = serde_json::to_value(&profile)?;
        value["id"] = json!(profile.id());
        value["secrets"] = secrets.into();
        return print_json(&value);
    }
    let mut single = lanyard::profile::ProfileFile::default();
    single.sources.insert(profile.id().clone(), profile.clone());
    let text = single.to_toml();
    let body = text.lines().filter(|l| !l.starts_with('#') && !l.starts_with("version")).collect::<Vec<_>>();
    println!("{}", body.join("\n").trim());
    if !secrets.is_empty() {
        println!("\n# secrets in the {} keychain", keychain_name(engine));
        for (reference, state) in secrets {
            println!("#   {reference}: {}", state.as_str().unwrap_or_default());
        }
    }
    Ok(())
}

pub async fn edit(engine: &Engine, args: EditArgs) -> Result<()> {
    let mut draft = Draft::edit(&engine.profile(&args.id)?);
    apply(&mut draft, &args.settings)?;
    let changed = draft.profile_mut();
    if args.enable {
        changed.enabled = true;
    }
    if args.disable {
        changed.enabled = false;
    }
    if args.no_ca_bundle {
        changed.ca_bundle = None;
    }
    match &mut changed.transport {
        Transport::Http { headers, .. } | Transport::Sse { headers, .. } => {
            remove_named(headers, &args.remove_header, "header")?;
            if !args.remove_env.is_empty() || !args.command.is_empty() {
                return Err(UsageError::new("--remove-env and a command apply to stdio sources").into());
            }
        }
        Transport::Stdio { env, command, args: command_args, .. } => {
            remove_named(env, &args.remove_env, "environment variable")?;
            if !args.remove_header.is_empty() {
                return Err(UsageError::new("--remove-header applies to --url sources").into());
            }
            if let Some((program, rest)) = args.command.split_first() {
                *command = program.clone();
                *command_args = rest.to_vec();
            }
        }
    }
    let (changed, secrets) = draft.finish();
    let profile = engine.edit_profile(&args.id, secrets, |profile| *profile = changed).await?;
    println!("Updated source `{}` ({}).", profile.id(), describe(&profile));
    warn_about_saved(engine, profile.id(), names_tools(&args.settings)).await;
    Ok(())
}

fn remove_named(
    map: &mut std::collections::BTreeMap<String, ConfigValue>,
    names: &[String],
    what: &str,
) -> Result<()> {
    for name in names {
        if map.remove(name).is_none() {
            return Err(UsageError::new(format!("there is no {what} `{name}` to remove")).into());
        }
    }
    Ok(())
}

pub async fn remove(engine: &Engine, args: RmArgs) -> Result<()> {
    println!("{}", engine.remove_profile(&args.id).await?.said());
    Ok(())
}

pub async fn import(engine: &Engine, args: ImportArgs) -> Result<()> {
    let Some(file) = &args.file else { return super::clients_cmd::import_from(engine, &args).await };
    let report = import_file(file)?;
    let (imported, skipped) = add_imported(engine, report, args.dry_run).await?;
    if args.json {
        return print_json(&imported_json(args.dry_run, &imported, &skipped));
    }
    print_imported(args.dry_run, &file.display().to_string(), &imported, &skipped);
    Ok(())
}

/// One imported (or, with `dry_run`, importable) source.
pub(super) struct Imported {
    /// The server's name in the file it came from.
    pub name: String,
    pub id: SourceId,
    pub row: serde_json::Value,
}

/// Adds the profiles of `report` that do not exist yet (nothing with `dry_run`); returns them
/// and the servers skipped, with why.
pub(super) async fn add_imported(
    engine: &Engine,
    report: ImportReport,
    dry_run: bool,
) -> Result<(Vec<Imported>, Vec<(String, String)>)> {
    let existing = engine.load()?;
    let mut imported = Vec::new();
    let mut skipped: Vec<(String, String)> =
        report.skipped.iter().map(|s| (s.name.clone(), s.reason.clone())).collect();
    for entry in report.profiles {
        let id = entry.profile.id().clone();
        let name = entry.profile.display_name().to_owned();
        if existing.get(&id).is_some() {
            let clash = Skipped::clash(name, &id);
            skipped.push((clash.name, clash.reason));
            continue;
        }
        let mut row = json!({
            "id": id, "name": name, "transport": entry.profile.transport.kind(),
            "secrets": entry.secrets.len(), "notes": entry.notes, "enabled": entry.profile.enabled,
            "waiting_for_approval": entry.profile.waits_for_approval(),
        });
        if let Transport::Stdio { command, args, env, cwd } = &entry.profile.transport {
            row["command"] = json!(std::iter::once(command).chain(args).collect::<Vec<_>>());
            row["cwd"] = json!(cwd);
            row["env_names"] = json!(env.keys().collect::<Vec<_>>());
        }
        if !dry_run {
            match engine.add_profile(entry.profile, entry.secrets).await {
                Ok(()) => {}
                Err(lanyard::Error::Profile(ProfileError::AlreadyExists { .. })) => {
                    let clash = Skipped::clash(name, &id);
                    skipped.push((clash.name, clash.reason));
                    continue;
                }
                Err(err) => return Err(err.into()),
            }
        }
        imported.push(Imported { name, id, row });
    }
    Ok((imported, skipped))
}

pub(super) fn imported_json(
    dry_run: bool,
    imported: &[Imported],
    skipped: &[(String, String)],
) -> serde_json::Value {
    let imported: Vec<_> = imported.iter().map(|i| i.row.clone()).collect();
    let skipped: Vec<_> =
        skipped.iter().map(|(name, reason)| json!({"name": name, "reason": reason})).collect();
    json!({"dry_run": dry_run, "imported": imported, "skipped": skipped})
}

pub(super) fn print_imported(dry_run: bool, from: &str, imported: &[Imported], skipped: &[(String, String)]) {
    let verb = if dry_run { "Would import" } else { "Imported" };
    println!("{verb} {} source(s) from {from}.", imported.len());
    for Imported { row, .. } in imported {
        println!(
            "  + {} ({}), {} secret(s) to the keychain",
            row["id"].as_str().unwrap_or_default(),
            row["transport"].as_str().unwrap_or_default(),
            row["secrets"]
        );
        for note in row["notes"].as_array().into_iter().flatten() {
            println!("      note: {}", note.as_str().unwrap_or_default());
        }
        if let Some(command) = row["command"].as_array() {
            print_for_approval(row, command);
        }
    }
    for (name, reason) in skipped {
        println!("  - skipped `{name}`: {reason}");
    }
    let waiting: Vec<SourceId> = imported
        .iter()
        .filter(|Imported { row, .. }| row["waiting_for_approval"] == true)
        .map(|Imported { id, .. }| id.clone())
        .collect();
    if let Some(said) = ImportOutcome::waiting_said(&waiting) {
        println!("{said} Each one's command, and how to approve it, is above.");
    }
}

fn summary_json(profile: &Profile) -> serde_json::Value {
    let kind = profile.transport.kind();
    json!({
        "id": profile.id(),
        "name": profile.display_name(),
        "enabled": profile.enabled,
        "transport": kind,
        "deprecated_transport": kind.is_deprecated(),
        "target": redact_url_query(&profile.transport.target()),
        "auth": profile.auth.kind_name(),
    })
}

fn describe(profile: &Profile) -> String {
    format!("{}: {}", profile.transport.kind(), redact_url_query(&profile.transport.target()))
}

fn warn_if_deprecated(profile: &Profile) {
    if profile.transport.kind().is_deprecated() {
        eprintln!(
            "warning: the SSE transport is deprecated by the MCP spec; use streamable HTTP if the server offers it"
        );
    }
}

fn keychain_name(engine: &Engine) -> String {
    serde_json::to_value(engine.vault().kind())
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// What a person checks before an imported stdio server may run: the exact command line (each
/// argument quoted where it needs to be), the working folder and the environment's names (their
/// values are in the keychain or are variables).
fn print_for_approval(row: &serde_json::Value, command: &[serde_json::Value]) {
    let words = command.iter().map(|part| part.as_str().unwrap_or_default());
    println!("      runs: {}", lanyard::shell_quote::shell_words(words));
    println!("      in: {}", row["cwd"].as_str().unwrap_or("(Lanyard's own working folder)"));
    let names: Vec<&str> =
        row["env_names"].as_array().into_iter().flatten().filter_map(|n| n.as_str()).collect();
    println!("      env: {}", if names.is_empty() { "(none)".to_owned() } else { names.join(", ") });
    if row["waiting_for_approval"] == true
        && let Some(Ok(id)) = row["id"].as_str().map(str::parse::<SourceId>)
    {
        println!("      waiting for your approval: {}", Remedy::Approve.command(&id));
    }
}
