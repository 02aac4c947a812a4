//! `lanyard clients`, `lanyard config` and `lanyard import --from`: thin callers of
//! [`lanyard::clients`].

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use lanyard::clients::{self, Client, ClientReport, Env, Scope};
use lanyard::{AgentVia, Engine};
use serde_json::Value;

use super::args::{ConfigArgs, EntryTransport, ImportArgs, ScopeArg};
use super::exit::UsageError;
use super::profile_cmd::{Imported, add_imported, imported_json, print_imported};

/// Every known client, installed or not, with its files.
pub fn clients(json: bool) -> anyhow::Result<()> {
    let reports = clients::inspect_all(&current_env()?);
    if json {
        return super::print_json(&reports);
    }
    let mut stdout = std::io::stdout().lock();
    for report in &reports {
        write_client(&mut stdout, report)?;
    }
    writeln!(stdout, "\nSet one up with `lanyard config <id> --write`.")?;
    Ok(())
}

fn write_client(out: &mut impl Write, report: &ClientReport) -> std::io::Result<()> {
    let state = if report.installed { "installed" } else { "not found" };
    writeln!(out, "{:<16} {:<20} {state}", report.id, report.name)?;
    for file in &report.files {
        let scope = match file.scope {
            Scope::User => "user",
            Scope::Project => "project",
        };
        let holds = match (&file.error, file.exists) {
            (Some(err), _) => format!("does not read: {err}"),
            (None, false) => "no file yet".to_owned(),
            (None, true) if file.via_lanyard.is_empty() => {
                format!("{}, none through Lanyard", servers(file.servers))
            }
            (None, true) => format!(
                "{}, {} through Lanyard ({})",
                servers(file.servers),
                file.via_lanyard.len(),
                file.via_lanyard.join(", ")
            ),
        };
        writeln!(out, "  {scope:<8} {}: {holds}", file.path.display())?;
    }
    Ok(())
}

/// Prints, writes or undoes a client's entries.
pub async fn config(engine: &Engine, args: ConfigArgs) -> anyhow::Result<()> {
    let client = clients::find(&args.client).map_err(listed)?;
    let env = current_env()?;
    let scope = match args.scope {
        Some(ScopeArg::User) => Scope::User,
        Some(ScopeArg::Project) => Scope::Project,
        None => client.scopes().first().copied().unwrap_or(Scope::User),
    };
    if !client.has_scope(scope) && args.file.is_none() {
        return Err(UsageError::new(format!(
            "{} has no {} config file; leave out --scope (or give a file with --file)",
            client.name,
            scope_name(scope)
        ))
        .into());
    }
    let path = || -> anyhow::Result<PathBuf> {
        match &args.file {
            Some(file) => Ok(file.clone()),
            None => client.file(&env, scope).context("this client has no file for that scope"),
        }
    };
    if args.undo {
        let undone = clients::undo(&path()?)?;
        let what = if undone.removed { "removed" } else { "restored" };
        println!("{what} {} (from {})", undone.path.display(), undone.from.display());
        return Ok(());
    }
    // `--transport` needs `--agent`; an agent's entries take HTTP where the client has it.
    let via = match (args.transport, &args.agent) {
        (_, None) | (Some(EntryTransport::Stdio), _) => AgentVia::Stdio,
        (Some(EntryTransport::Http), _) if !client.takes_http() => {
            return Err(UsageError::new(format!(
                "{} takes no HTTP entry that keeps the key out of its file; leave out --transport http",
                client.name
            ))
            .into());
        }
        (None, _) if !client.takes_http() => AgentVia::Stdio,
        _ => AgentVia::Http {
            port: match args.port {
                Some(port) => port,
                None => engine.hub_port().await,
            },
        },
    };
    let entries = match &args.agent {
        Some(agent) => engine.agent_entries(client, &this_program()?, agent, &args.sources, via).await?,
        None => entries(engine, client, &args.sources)?,
    };
    if let (Some(agent), AgentVia::Http { port }) = (&args.agent, via) {
        eprintln!(
            "{} sends agent `{agent}`'s key from the environment variable {var}: set it, where {} starts, to what `lanyard agent token {agent}` prints (the key is not in the file); the entries reach `lanyard serve` or the desktop app's hub on port {port}",
            client.name,
            client.name,
            var = lanyard::agents::token_var_of(agent),
        );
    }
    if !args.write {
        print!("{}", clients::snippet(client, &entries)?);
        return Ok(());
    }
    let written = clients::WrittenView::from(clients::write_entries(client, &path()?, &entries)?);
    let mut stdout = std::io::stdout().lock();
    for line in &written.said {
        writeln!(stdout, "{line}")?;
    }
    if written.changed {
        let scope_flag =
            if args.scope.is_some() { format!(" --scope {}", scope_name(scope)) } else { String::new() };
        writeln!(stdout, "undo with `lanyard config {}{scope_flag} --undo`", client.id)?;
    }
    Ok(())
}

/// `lanyard import --from <client>|all [--replace]`: a client's own servers become sources, and
/// with `--replace` its entries run `lanyard bridge` instead. Only user files are read: a
/// project's file is untrusted input, imported only when named as a file.
pub async fn import_from(engine: &Engine, args: &ImportArgs) -> anyhow::Result<()> {
    let env = current_env()?;
    let from = args.from.as_deref().unwrap_or("all");
    let chosen: Vec<&Client> = match from {
        "all" => clients::catalogue().iter().filter(|client| client.installed(&env)).collect(),
        id => vec![clients::find(id).map_err(listed)?],
    };
    let mut seen = std::collections::BTreeSet::new();
    let mut reports = Vec::new();
    for client in chosen {
        let Some(path) = client.file(&env, Scope::User) else { continue };
        if !path.exists() {
            if from != "all" {
                anyhow::bail!(
                    "{} has no file at {}; there is nothing to import",
                    client.name,
                    path.display()
                );
            }
            continue;
        }
        if !seen.insert(path.clone()) {
            continue;
        }
        let theirs = match clients::importable(client, &path) {
            Ok(servers) => servers,
            Err(err) if from == "all" => {
                eprintln!("skipped {}: {}: {err}", client.name, path.display());
                continue;
            }
            Err(err) => anyhow::bail!("{}: {err}; nothing was imported", path.display()),
        };
        let report = lanyard::profile::import_servers(theirs);
        let (imported, skipped) = add_imported(engine, report, args.dry_run).await?;
        let replaced = if args.replace && !args.dry_run && !imported.is_empty() {
            Some(replace_entries(client, &path, &imported).with_context(|| {
                format!("the sources were added, but {} was left as it was", path.display())
            })?)
        } else {
            None
        };
        if args.json {
            let mut json = imported_json(args.dry_run, &imported, &skipped);
            json["client"] = Value::from(client.id);
            json["file"] = Value::from(path.display().to_string());
            json["replaced"] = Value::from(replaced.as_ref().map_or(0, |w| w.replaced.len()));
            reports.push(json);
            continue;
        }
        print_imported(args.dry_run, &format!("{} ({})", client.name, path.display()), &imported, &skipped);
        if let Some(written) = replaced {
            println!(
                "  replaced {} entr{} in {} by `lanyard bridge`; undo with `lanyard config {} --undo`",
                written.replaced.len(),
                if written.replaced.len() == 1 { "y" } else { "ies" },
                path.display(),
                client.id
            );
        }
    }
    if args.json {
        return super::print_json(&reports);
    }
    if seen.is_empty() {
        println!("No installed client has a config file to import from.");
    }
    Ok(())
}

/// Each imported server's entry, under its own name, now running `lanyard bridge <id>`.
fn replace_entries(
    client: &Client,
    path: &std::path::Path,
    imported: &[Imported],
) -> anyhow::Result<clients::Written> {
    let program = this_program()?;
    let entries: Vec<(String, Value)> = imported
        .iter()
        .map(|server| (server.name.clone(), client.bridge_entry(&program, server.id.as_str())))
        .collect();
    Ok(clients::write_entries(client, path, &entries)?)
}

/// One entry per source (every enabled one by default) that runs this binary's bridge.
fn entries(
    engine: &Engine,
    client: &Client,
    chosen: &[lanyard::ids::SourceId],
) -> anyhow::Result<Vec<(String, Value)>> {
    Ok(engine.bridge_entries(client, &this_program()?, chosen)?)
}

/// This `lanyard` binary, as the entries it writes run it.
fn this_program() -> anyhow::Result<String> {
    let program = std::env::current_exe().context("find the lanyard executable")?;
    Ok(program.to_string_lossy().into_owned())
}

fn servers(count: usize) -> String {
    if count == 1 { "1 server".to_owned() } else { format!("{count} servers") }
}

fn scope_name(scope: Scope) -> &'static str {
    match scope {
        Scope::User => "user",
        Scope::Project => "project",
    }
}

/// An unknown client, with where the terminal lists the known ones.
fn listed(err: clients::UnknownClient) -> anyhow::Error {
    anyhow::anyhow!("{err}; `lanyard clients` lists them")
}

fn current_env() -> anyhow::Result<Env> {
    Ok(Env::current()?)
}
