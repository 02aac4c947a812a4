//! `lanyard doctor` and `lanyard diagnostics`: thin callers of [`lanyard::doctor`] and
//! [`lanyard::diagnostics`].

use std::io::Write;

use lanyard::Engine;
use lanyard::doctor::{Outcome, Report};

use super::args::DoctorArgs;

/// Prints every finding; fails (exit 1) when one of them is a problem.
pub async fn doctor(engine: &Engine, args: DoctorArgs) -> anyhow::Result<()> {
    let report = lanyard::doctor::doctor(engine, args.port).await;
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

pub async fn diagnostics(engine: &Engine, args: DoctorArgs) -> anyhow::Result<()> {
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
