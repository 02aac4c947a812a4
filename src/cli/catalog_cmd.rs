//! `lanyard catalog ...`: searching MCP registries and adding a server as a source. The engine's
//! catalogue does the work; this module asks, prints and confirms.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use anyhow::{Context, Result};

use lanyard::Engine;
use lanyard::catalog::window::made_from;
use lanyard::catalog::{
    Answers, Catalog, Choice, Found, Note, Plan, Question, RegistryAddress, RegistryStore, UPDATE_KEEPS,
    Verdict, may_update, offers, questions_left, sign_in_kind,
};
use lanyard::ids::SourceId;
use lanyard::profile::{Auth, Profile};
use lanyard::remedy::Remedy;
use lanyard::secret::Secret;

use super::args::{
    CatalogAddArgs, CatalogOutdatedArgs, CatalogSearchArgs, CatalogShowArgs, RegistryChoice, RegistryCommand,
    RunsChoice,
};
use super::exit::UsageError;
use super::settings::SecretInput;
use super::{print_json, progress};

/// How long `catalog add` waits for the new source to list its tools: a package runner may
/// download the package first.
const CHECK_LIMIT: Duration = Duration::from_secs(300);

/// A registry address as given, a folder made absolute so that it means the same from any
/// working folder (it is saved in the settings and in a source's record).
fn address(text: &str) -> Result<RegistryAddress> {
    Ok(match text.parse::<RegistryAddress>()? {
        RegistryAddress::Folder(path) => RegistryAddress::Folder(
            std::path::absolute(&path)
                .with_context(|| format!("{}: cannot make the path absolute", path.display()))?,
        ),
        address => address,
    })
}

fn catalog(engine: &Engine, choice: &RegistryChoice) -> Result<Catalog> {
    let only = choice.registry.as_deref().map(address).transpose()?;
    let mut catalog = Catalog::open(engine.dirs(), only)?;
    if let Ok(text) = std::env::var("LANYARD_CATALOG_TIMEOUT") {
        let seconds: f64 = text.trim().parse().ok().filter(|s: &f64| *s > 0.0).ok_or_else(|| {
            UsageError::new(format!("LANYARD_CATALOG_TIMEOUT: `{text}` is not a number of seconds"))
        })?;
        catalog = catalog.with_timeout(Duration::from_secs_f64(seconds));
    }
    Ok(catalog)
}

fn print_notes(notes: &[Note]) {
    for note in notes {
        if note.text.contains(&note.registry) {
            eprintln!("note: {}", note.text);
        } else {
            eprintln!("note: {}: {}", note.registry, note.text);
        }
    }
}

pub async fn search(engine: &Engine, args: CatalogSearchArgs) -> Result<()> {
    let catalog = catalog(engine, &args.registry)?;
    let words = args.words.join(" ");
    let outcome = catalog.search(&words).await;
    if args.json {
        print_notes(&outcome.notes);
        return print_json(&outcome);
    }
    print_notes(&outcome.notes);
    if outcome.hits.is_empty() {
        println!("No server matches `{words}`.");
        return Ok(());
    }
    let several = catalog.registries().len() > 1;
    for hit in &outcome.hits {
        let server = &hit.entry.server;
        let title = server.title.as_deref().map(|t| format!(" ({t})")).unwrap_or_default();
        println!("{} {}{title}", server.name, server.version);
        if !server.description.is_empty() {
            println!("    {}", server.description);
        }
        if several {
            println!("    from {}", hit.registry);
        }
    }
    Ok(())
}

pub async fn show(engine: &Engine, args: CatalogShowArgs) -> Result<()> {
    let catalog = catalog(engine, &args.registry)?;
    let found = catalog.find(&args.name, args.version.as_deref()).await?;
    print_notes(&found.notes);
    let plan = Plan::new(&found.hit.registry, &found.hit.entry, None).ok();
    let checks = match &plan {
        Some(plan) => catalog.checks(&found.hit.entry, plan).await,
        None => Vec::new(),
    };
    if args.json {
        let value = serde_json::json!({
            "found": found,
            "offers": offers(&found.hit.entry.server),
            "runs": plan.as_ref().map(Plan::preview),
            "questions": plan.as_ref().map(|p| &p.questions),
            "checks": checks,
        });
        return print_json(&value);
    }
    let server = &found.hit.entry.server;
    println!("{} {}", server.name, server.version);
    if let Some(title) = &server.title {
        println!("  title:       {title}");
    }
    if !server.description.is_empty() {
        println!("  description: {}", server.description);
    }
    println!("  publisher:   {}", server.name.split('/').next().unwrap_or_default());
    if let Some(repository) = &server.repository {
        println!("  repository:  {}", repository.url);
    }
    if let Some(website) = &server.website_url {
        println!("  website:     {website}");
    }
    if let Some(status) = found.hit.entry.status().filter(|s| *s != "active") {
        println!("  status:      {status}");
    }
    println!("  registry:    {}", found.hit.registry);
    println!("  versions:    {}", found.versions.join(", "));
    println!("  runs:");
    for offer in offers(server) {
        let why = offer.unsupported.map(|why| format!("  (not supported: {why})")).unwrap_or_default();
        println!("    {} {} over {}{why}", offer.runs, offer.target, offer.transport);
    }
    if let Some(plan) = &plan {
        println!("  `lanyard catalog add` would run: {}", plan.preview());
        print_questions(&plan.questions.iter().collect::<Vec<_>>());
    }
    print_checks(&checks);
    Ok(())
}

fn print_questions(questions: &[&Question]) {
    if questions.is_empty() {
        return;
    }
    println!("  needs:");
    for question in questions {
        let mut traits = Vec::new();
        traits.push(if question.must_ask() { "required" } else { "optional" });
        if question.secret {
            traits.push("secret, kept in the keychain");
        }
        let default = question.default.as_ref().map(|d| format!(", default {d}")).unwrap_or_default();
        let choices = if question.choices.is_empty() {
            String::new()
        } else {
            format!(", one of {}", question.choices.join("|"))
        };
        let about = question.description.as_ref().map(|d| format!(": {d}")).unwrap_or_default();
        println!("    {} ({}{default}{choices}){about}", question.label, traits.join(", "));
    }
}

fn print_checks(checks: &[lanyard::catalog::Check]) {
    for check in checks {
        match &check.verdict {
            Verdict::Verified(how) => println!("  verified:    {} ({how})", check.subject),
            Verdict::Unchecked(why) => println!("  unchecked:   {} ({why})", check.subject),
            Verdict::Mismatch(what) => {
                eprintln!("warning: {}: does not match the registry entry: {what}", check.subject)
            }
        }
    }
}

pub async fn add(engine: &Engine, args: CatalogAddArgs) -> Result<()> {
    let catalog = catalog(engine, &args.registry)?;
    let found = catalog.find(&args.name, args.version.as_deref()).await?;
    print_notes(&found.notes);
    let choice = match args.runs {
        Some(runs) => Some(pick(&found, runs)?),
        None => None,
    };
    let plan = Plan::new(&found.hit.registry, &found.hit.entry, choice)?;
    let file = engine.load()?;
    let id = match args.id {
        Some(id) => id,
        None => made_from(&file, &plan.name).unwrap_or_else(|| plan.suggested_id()),
    };
    let existing = file.get(&id).cloned();
    if let Some(existing) = &existing {
        may_update(existing, &plan)?;
    }
    if let Some(origin) = existing.as_ref().and_then(|p| p.catalog.as_ref()) {
        println!("{}", plan.update_said(&id, &origin.version));
    }
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !interactive && !args.yes {
        return Err(UsageError::new(
            "stdin is not a terminal, so `catalog add` cannot ask before it saves; add --yes to save without asking",
        )
        .into());
    }
    let what = if plan.is_remote() { "connect to" } else { "run" };
    println!("Source `{id}` will {what}: {}", plan.preview());
    let checks = catalog.checks(&found.hit.entry, &plan).await;
    print_checks(&checks);
    let left = questions_left(&plan, existing.as_ref());
    print_questions(&left);
    let answers = answers(&left, &args.set, interactive)?;
    let built = plan.build(&answers, existing.as_ref().map(|p| &p.transport))?;
    if built.shown != plan.preview() {
        println!("Exactly: {}", built.shown);
    }
    if let Some(kept) = built.secrets_kept() {
        println!("{kept}");
    }
    if interactive && !args.yes && !confirm(&format!("Save source `{id}`?"))? {
        println!("Nothing was saved.");
        return Ok(());
    }
    let auth = match &existing {
        Some(profile) => profile.auth.clone(),
        None => sign_in_kind(&built, catalog.timeout()).await,
    };
    let added = lanyard::catalog::add(engine, &plan, &id, &answers, auth, false).await?;
    if added.updated {
        println!("Updated source `{id}` to {} {}.", plan.name, plan.version);
    } else {
        println!("Added source `{id}` ({} {}).", plan.name, plan.version);
    }
    if added.secrets_stored > 0 {
        println!("Stored {} secret(s) in the keychain.", added.secrets_stored);
    }
    check_tools(engine, &id, &engine.profile(&id)?).await
}

/// The offer of `runs`' kind in the entry (the first Lanyard can run).
fn pick(found: &Found, runs: RunsChoice) -> Result<Choice> {
    let wanted = match runs {
        RunsChoice::Npm => "npm",
        RunsChoice::Pypi => "pypi",
        RunsChoice::Oci => "oci",
        RunsChoice::Nuget => "nuget",
        RunsChoice::Remote => "remote",
    };
    let all = offers(&found.hit.entry.server);
    all.iter()
        .filter(|offer| offer.runs == wanted)
        .min_by_key(|offer| offer.unsupported.is_some())
        .map(|offer| offer.choice)
        .ok_or_else(|| {
            let there: Vec<&str> = all.iter().map(|o| o.runs.as_str()).collect();
            UsageError::new(format!(
                "`{}` offers no {wanted}; it offers: {}",
                found.hit.entry.server.name,
                if there.is_empty() { "nothing".to_owned() } else { there.join(", ") }
            ))
            .into()
        })
}

/// The answers: `--set` values first, then each required question still open, asked on the
/// terminal (secrets without echo) or read from stdin one line each.
fn answers(questions: &[&Question], set: &[String], interactive: bool) -> Result<Answers> {
    let mut answers = Answers::new();
    for pair in set {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| UsageError::new(format!("--set: `{pair}` is not NAME=value")))?;
        let question = questions
            .iter()
            .find(|q| {
                let bare = |text: &str| text.trim_start_matches('-').to_owned();
                q.key == name || q.key.split_once(':').is_some_and(|(_, rest)| bare(rest) == bare(name))
            })
            .ok_or_else(|| {
                let names: Vec<&str> = questions
                    .iter()
                    .map(|q| q.key.split_once(':').map_or(q.key.as_str(), |(_, n)| n))
                    .collect();
                UsageError::new(format!(
                    "--set: the server asks for no `{name}`; it asks for: {}",
                    names.join(", ")
                ))
            })?;
        if question.secret {
            return Err(UsageError::new(format!(
                "--set: {} is a secret; give it on stdin (or at the prompt), never on the command line",
                question.label
            ))
            .into());
        }
        answers.set(question.key.clone(), Secret::new(value));
    }
    let mut secrets = SecretInput::new();
    let open: Vec<&&Question> =
        questions.iter().filter(|q| q.must_ask() && !answers.contains(&q.key)).collect();
    for question in open {
        if let Some(about) = &question.description {
            progress(&format!("{}: {about}", question.label));
        }
        let value = if question.secret {
            secrets.read(&question.label)?
        } else {
            read_line(&question.label, interactive)?
        };
        answers.set(question.key.clone(), value);
    }
    Ok(answers)
}

fn read_line(label: &str, interactive: bool) -> Result<Secret> {
    if interactive {
        eprint!("{label}: ");
        std::io::stderr().flush().ok();
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).with_context(|| format!("reading {label}"))?;
    let value = line.trim_end_matches(['\n', '\r']).to_owned();
    if value.is_empty() {
        return Err(UsageError::new(format!("{label}: no value given")).into());
    }
    Ok(Secret::new(value))
}

fn confirm(question: &str) -> Result<bool> {
    eprint!("{question} [y/N] ");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the answer")?;
    Ok(matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

/// Lists the new source's tools and reports them; a source that needs a sign-in first says so.
async fn check_tools(engine: &Engine, id: &SourceId, profile: &Profile) -> Result<()> {
    if matches!(profile.auth, Auth::OAuth(_)) {
        println!("It needs a sign-in first: {}.", Remedy::SignIn.command(id));
        return Ok(());
    }
    progress(&format!("Listing the tools of `{id}`…"));
    let listed = tokio::time::timeout(CHECK_LIMIT, engine.list_tools(id))
        .await
        .map_err(|_| anyhow::anyhow!("no answer within {} s", CHECK_LIMIT.as_secs()))
        .and_then(|listed| listed.map_err(anyhow::Error::from));
    match listed {
        Ok(tools) => {
            let names: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
            println!("It works: {} tool(s): {}", names.len(), names.join(", "));
            Ok(())
        }
        Err(err) => Err(err.context(format!(
            "source `{id}` was saved, but listing its tools failed; fix it and try `lanyard tools {id}`"
        ))),
    }
}

pub async fn outdated(engine: &Engine, args: CatalogOutdatedArgs) -> Result<()> {
    let catalog = catalog(engine, &args.registry)?;
    let report = catalog.outdated(&engine.load()?).await;
    print_notes(&report.notes);
    if args.json {
        return print_json(&report);
    }
    if report.outdated.is_empty() {
        println!("All {} source(s) from a registry are up to date.", report.checked);
        return Ok(());
    }
    for row in &report.outdated {
        println!("{}  {}  {} -> {}", row.id, row.name, row.current, row.latest);
    }
    println!("Update one with `lanyard catalog add <name>`; {UPDATE_KEEPS}.");
    Ok(())
}

pub fn registry(engine: &Engine, command: RegistryCommand) -> Result<()> {
    let store = RegistryStore::in_folder(engine.dirs().config());
    match command {
        RegistryCommand::List(flag) => {
            let settings = store.load()?;
            if flag.json {
                return print_json(&settings.registries);
            }
            for address in &settings.registries {
                println!("{address}");
            }
        }
        RegistryCommand::Add(arg) => {
            let address = address(&arg.address)?;
            if store.add(address.clone())? {
                println!("Added registry {address}.");
            } else {
                println!("Registry {address} is already listed.");
            }
        }
        RegistryCommand::Rm(arg) => {
            let address = address(&arg.address)?;
            if !store.remove(&address)? {
                return Err(UsageError::new(format!(
                    "registry {address} is not listed; `lanyard catalog registry list` shows them"
                ))
                .into());
            }
            println!("Removed registry {address}.");
        }
    }
    Ok(())
}
