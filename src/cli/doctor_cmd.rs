//! `lanyard logs`, `lanyard doctor` and `lanyard diagnostics`: thin callers of
//! [`lanyard::history`], [`lanyard::doctor`] and [`lanyard::diagnostics`].

use std::io::Write;

use lanyard::Engine;
use lanyard::doctor::{Orphans, Outcome, Report};

use lanyard::history::Event;

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
    engine.profile(&args.id)?; // an unknown id is an error, not an empty log
    let entries = engine.history().read(&args.id, args.limit);
    if args.json {
        return super::print_json(&entries);
    }
    let mut out = std::io::stdout().lock();
    if entries.is_empty() {
        writeln!(out, "nothing recorded for `{}` yet", args.id)?;
    }
    for entry in &entries {
        let what = match &entry.event {
            Event::Connected { protocol: Some(protocol) } => format!("connected, speaking {protocol}"),
            Event::Connected { protocol: None } => "connected".to_owned(),
            Event::ConnectFailed { error, .. } => format!("connect failed: {error}"),
            Event::SignedIn => "signed in".to_owned(),
            Event::SignInFailed { error, .. } => format!("sign-in failed: {error}"),
            Event::Refreshed => "tokens renewed".to_owned(),
            Event::RefreshFailed { error, .. } => format!("renewal failed: {error}"),
            Event::Disconnected { revoked: true } => "disconnected (tokens revoked at the server)".to_owned(),
            Event::Disconnected { revoked: false } => "disconnected (tokens forgotten)".to_owned(),
            Event::BridgeSession { agent } => {
                format!("an agent connected through the bridge ({agent:?})").to_lowercase()
            }
            other => format!("{other:?}"),
        };
        // An entry is never in the future; one from this very second reads "just now".
        let when = if entry.at >= lanyard::clock::now() {
            "just now".to_owned()
        } else {
            lanyard::clock::relative_time(entry.at)
        };
        writeln!(out, "{when:>12}  {what}")?;
    }
    Ok(())
}
