//! `lanyard agent ...`: thin callers of the engine's agent operations (see `lanyard::agents`).

use std::io::Write;

use lanyard::Engine;
use lanyard::agents::{AgentChange, AgentProfile};
use lanyard::ids::SourceId;

use super::args::{AgentAddArgs, AgentCommand, AgentEditArgs, AgentRights, AgentShowArgs};
use super::exit::UsageError;

pub async fn run(engine: &Engine, command: AgentCommand) -> anyhow::Result<()> {
    match command {
        AgentCommand::Add(args) => add(engine, args).await,
        AgentCommand::List(args) => list(engine, args.json),
        AgentCommand::Show(args) => show(engine, args),
        AgentCommand::Edit(args) => edit(engine, args),
        AgentCommand::Rm(args) => {
            let said = engine.change_agent(AgentChange::Remove { name: args.name }).await?;
            println!("{}", said.unwrap_or_default());
            Ok(())
        }
        AgentCommand::Token(args) => {
            let token = engine.agent_token(&args.name).await?;
            // Printing it is the point of this command.
            println!("{}", token.expose());
            Ok(())
        }
        AgentCommand::Rotate(args) => {
            let name = args.name;
            let said = engine.change_agent(AgentChange::Rotate { name: name.clone() }).await?;
            println!(
                "{} Point its clients at the new one: `lanyard config <client> --agent {name} --write` (or `lanyard agent token {name}` for HTTP)",
                said.unwrap_or_default()
            );
            Ok(())
        }
    }
}

async fn add(engine: &Engine, args: AgentAddArgs) -> anyhow::Result<()> {
    let tools = parse_tools(&args.rights.tools)?;
    let mut profile = AgentProfile::everything();
    if !args.rights.sources.is_empty() {
        let mut sources = args.rights.sources.clone();
        // A tool of a source names that source too.
        for (source, _) in &tools {
            if !sources.contains(source) {
                sources.push(source.clone());
            }
        }
        profile.sources = Some(sources);
    }
    apply(&mut profile, &args.rights, &tools);
    engine.add_agent(&args.name, profile).await?;
    println!(
        "added agent `{name}`. Its key: `lanyard agent token {name}` (HTTP bearer token); for a stdio client: `lanyard config <client> --agent {name} --write`",
        name = args.name
    );
    Ok(())
}

fn edit(engine: &Engine, args: AgentEditArgs) -> anyhow::Result<()> {
    let tools = parse_tools(&args.rights.tools)?;
    let removed_tools = parse_tools(&args.remove_tool)?;
    let current = engine.agent(&args.name)?;
    let every_source = current.profile.as_ref().is_some_and(|p| p.sources.is_none());
    if every_source && !args.all_sources && !args.rights.sources.is_empty() {
        return Err(UsageError::new(format!(
            "agent `{}` may use every source already; to limit it to some, remove it and add it again with --source",
            args.name
        ))
        .into());
    }
    if !args.remove_source.is_empty() && every_source {
        return Err(UsageError::new(format!(
            "agent `{}` may use every source; name the ones it may use with --source instead of removing some",
            args.name
        ))
        .into());
    }
    let profile = engine.edit_agent(&args.name, |profile| {
        if args.all_sources {
            profile.sources = None;
        }
        if let Some(sources) = &mut profile.sources {
            let added = args.rights.sources.iter().chain(tools.iter().map(|(source, _)| source));
            for source in added {
                if !sources.contains(source) {
                    sources.push(source.clone());
                }
            }
            sources.retain(|source| !args.remove_source.contains(source));
        }
        apply(profile, &args.rights, &tools);
        for (source, tool) in &removed_tools {
            let rule = profile.tools.entry(source.clone()).or_default();
            // Exclude wins over include, and an include list emptied would mean "all".
            if rule.include.len() > 1 {
                rule.include.retain(|t| t != tool);
            }
            if !rule.exclude.contains(tool) {
                rule.exclude.push(tool.clone());
            }
        }
        for source in &args.all_tools {
            profile.tools.remove(source);
        }
    })?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "changed agent `{}`", args.name)?;
    describe(&mut out, &profile)?;
    Ok(())
}

/// The rights both `add` and `edit` set: tools included, resources and prompts.
fn apply(profile: &mut AgentProfile, rights: &AgentRights, tools: &[(SourceId, String)]) {
    for (source, tool) in tools {
        let rule = profile.tools.entry(source.clone()).or_default();
        rule.exclude.retain(|t| t != tool);
        if !rule.include.contains(tool) {
            rule.include.push(tool.clone());
        }
    }
    if rights.resources {
        profile.resources = true;
    } else if rights.no_resources {
        profile.resources = false;
    }
    if rights.prompts {
        profile.prompts = true;
    } else if rights.no_prompts {
        profile.prompts = false;
    }
}

/// `SOURCE:TOOL` pairs.
fn parse_tools(given: &[String]) -> anyhow::Result<Vec<(SourceId, String)>> {
    given
        .iter()
        .map(|pair| {
            let parsed = pair.split_once(':').and_then(|(source, tool)| {
                let tool = tool.trim();
                Some((source.trim().parse::<SourceId>().ok()?, tool.to_owned())).filter(|_| !tool.is_empty())
            });
            parsed.ok_or_else(|| {
                UsageError::new(format!(
                    "--tool `{pair}`: give the source and the tool as SOURCE:TOOL, e.g. --tool tracker:search"
                ))
                .into()
            })
        })
        .collect()
}

fn list(engine: &Engine, json: bool) -> anyhow::Result<()> {
    let agents = engine.agents()?;
    if json {
        return super::print_json(&agents);
    }
    let mut out = std::io::stdout().lock();
    for agent in &agents {
        let what = match &agent.profile {
            None => "built in: the bridge token, every source and tool".to_owned(),
            Some(profile) => summary(profile),
        };
        writeln!(out, "{:<20} {what}", agent.name)?;
    }
    Ok(())
}

fn show(engine: &Engine, args: AgentShowArgs) -> anyhow::Result<()> {
    let agent = engine.agent(&args.name)?;
    if args.json {
        return super::print_json(&agent);
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "agent `{}`", agent.name)?;
    match &agent.profile {
        None => writeln!(
            out,
            "  built in: holds the bridge token (`lanyard bridge-token`) and may use everything"
        )?,
        Some(profile) => describe(&mut out, profile)?,
    }
    Ok(())
}

fn summary(profile: &AgentProfile) -> String {
    let sources = match &profile.sources {
        None => "every source".to_owned(),
        Some(sources) if sources.is_empty() => "no source".to_owned(),
        Some(sources) => sources.iter().map(SourceId::as_str).collect::<Vec<_>>().join(", "),
    };
    let ruled = if profile.tools.is_empty() { String::new() } else { "; some tools only".to_owned() };
    format!("{sources}{ruled}")
}

fn describe(out: &mut impl Write, profile: &AgentProfile) -> std::io::Result<()> {
    match &profile.sources {
        None => writeln!(out, "  sources:   every source")?,
        Some(sources) => {
            let names: Vec<&str> = sources.iter().map(SourceId::as_str).collect();
            writeln!(
                out,
                "  sources:   {}",
                if names.is_empty() { "none".to_owned() } else { names.join(", ") }
            )?;
        }
    }
    for (source, rule) in &profile.tools {
        let include = if rule.include.is_empty() { "every tool".to_owned() } else { rule.include.join(", ") };
        let exclude = if rule.exclude.is_empty() {
            String::new()
        } else {
            format!(" except {}", rule.exclude.join(", "))
        };
        writeln!(out, "  tools of {source}: {include}{exclude}")?;
    }
    let yes_no = |allowed: bool| if allowed { "allowed" } else { "not allowed" };
    writeln!(out, "  resources: {}", yes_no(profile.resources))?;
    writeln!(out, "  prompts:   {}", yes_no(profile.prompts))
}
