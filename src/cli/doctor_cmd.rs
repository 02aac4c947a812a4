//! `lanyard logs`, `lanyard doctor` and `lanyard diagnostics`: thin callers of
//! [`lanyard::history`], [`lanyard::doctor`] and [`lanyard::diagnostics`].

use std::io::Write;

use lanyard::Engine;
use lanyard::agents::{AgentName, Call, CallFilter};
use lanyard::doctor::{Orphans, Outcome, Report};
use lanyard::history::Reader;
use lanyard::ids::SourceId;

use super::args::{DiagnosticsArgs, DoctorArgs, LogsArgs};

/// Prints every finding; fails (exit 1) when one of them is a problem.
pub async fn doctor(engine: &Engine, args: DoctorArgs) -> anyhow::Result<()> {
    let orphans = if args.prune { Orphans::Prune } else { Orphans::Report };
    let report = lanyard::doctor::doctor_with(engine, args.port, orphans).await;
    if args.json {
        super::print_json(&report)?;
    } else {
        print_text(&report)?;
    }
    match report.worst() {
        Outcome::Problem => anyhow::bail!("doctor found problems; see the fixes above"),
        Outcome::Ok | Outcome::Warning => Ok(()),
    }
}

pub async fn diagnostics(engine: &Engine, args: DiagnosticsArgs) -> anyhow::Result<()> {
    super::print_json(&lanyard::diagnostics::diagnostics(engine, args.port).await)
}

fn print_text(report: &Report) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    for finding in &report.findings {
        let mark = match finding.outcome {
            Outcome::Ok => "ok     ",
            Outcome::Warning => "warning",
            Outcome::Problem => "PROBLEM",
        };
        let area = serde_json::to_value(finding.area)?;
        writeln!(
            out,
            "{mark}  {:<8} {}: {}",
            area.as_str().unwrap_or_default(),
            finding.subject,
            finding.detail
        )?;
        if let Some(fix) = &finding.fix {
            writeln!(out, "         fix: {fix}")?;
        }
    }
    Ok(())
}

/// A source's activity, newest last.
pub fn logs(engine: &Engine, args: LogsArgs) -> anyhow::Result<()> {
    if let Some(agent) = &args.agent {
        return agent_calls(engine, agent, args.id.as_ref(), args.limit, args.json);
    }
    let Some(id) = args.id else {
        return Err(super::exit::UsageError::new("name a source, or an agent with --agent").into());
    };
    engine.profile(&id)?; // an unknown id is an error, not an empty log
    let entries = engine.history().read(&id, args.limit);
    let calls = engine.calls(&CallFilter { agent: None, source: Some(id.clone()) }, args.limit);
    let mut lines: Vec<Line> =
        entries.into_iter().map(Line::Event).chain(calls.into_iter().map(Line::Call)).collect();
    lines.sort_by_key(Line::at_ms);
    let skip = lines.len().saturating_sub(args.limit);
    lines.drain(..skip);
    if args.json {
        let values: Vec<serde_json::Value> = lines.iter().map(Line::json).collect::<Result<_, _>>()?;
        return super::print_json(&values);
    }
    let mut out = std::io::stdout().lock();
    if lines.is_empty() {
        writeln!(out, "nothing recorded for `{id}` yet")?;
    }
    for line in &lines {
        let what = match line {
            Line::Event(entry) => entry.event.describe(Reader::Terminal),
            Line::Call(call) => call.describe(),
        };
        writeln!(out, "{:>12}  {what}", when(line.at_ms() / 1000))?;
    }
    Ok(())
}

/// One line of `lanyard logs <id>`: something that happened to the source, or an agent's call.
enum Line {
    Event(lanyard::history::Entry),
    Call(Call),
}

impl Line {
    fn at_ms(&self) -> u64 {
        match self {
            Line::Event(entry) => entry.at.saturating_mul(1000),
            Line::Call(call) => call.at_ms,
        }
    }

    /// The history's own entry, or the call as `{"event": "call", "at": <seconds>, ...}`.
    fn json(&self) -> serde_json::Result<serde_json::Value> {
        match self {
            Line::Event(entry) => serde_json::to_value(entry),
            Line::Call(call) => {
                let mut value = serde_json::to_value(call)?;
                value["event"] = "call".into();
                value["at"] = (call.at_ms / 1000).into();
                Ok(value)
            }
        }
    }
}

/// What an agent called, across sources (or on one).
fn agent_calls(
    engine: &Engine,
    agent: &AgentName,
    source: Option<&SourceId>,
    limit: usize,
    json: bool,
) -> anyhow::Result<()> {
    engine.agent(agent)?; // an unknown agent is an error, not an empty log
    if let Some(id) = source {
        engine.profile(id)?;
    }
    let calls = engine.calls(&CallFilter { agent: Some(agent.clone()), source: source.cloned() }, limit);
    if json {
        return super::print_json(&calls);
    }
    let mut out = std::io::stdout().lock();
    if calls.is_empty() {
        writeln!(out, "no calls recorded for agent `{agent}` yet")?;
    }
    for call in &calls {
        let when = when(call.at_ms / 1000);
        writeln!(
            out,
            "{when:>12}  {}  {}: {} ({} ms)",
            call.source,
            call.name,
            call.outcome.as_str(),
            call.ms
        )?;
    }
    Ok(())
}

/// When something happened; never in the future, one from this very second "just now".
fn when(at: u64) -> String {
    if at >= lanyard::clock::now() { "just now".to_owned() } else { lanyard::clock::relative_time(at) }
}
