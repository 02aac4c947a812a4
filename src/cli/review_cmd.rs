//! `lanyard tools <id> --review | --approve-all | --reject NAME`: the person's word on the tools
//! withheld from agents because their definition changed since it was approved (see
//! `lanyard::pins`). The engine keeps the pins and computes each difference; this prints and asks.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use anyhow::{Context as _, Result};
use lanyard::Engine;
use lanyard::clock::relative_time;
use lanyard::ids::SourceId;
use lanyard::pins::{Decision, PendingTool};

use super::args::ToolsArgs;
use super::exit::UsageError;

/// Whether `args` ask for a review rather than a listing.
pub fn wanted(args: &ToolsArgs) -> bool {
    args.review || args.approve_all || !args.reject.is_empty()
}

pub fn run(engine: &Engine, args: &ToolsArgs) -> Result<()> {
    let Some(id) = args.target.id.as_ref().filter(|_| args.target.adhoc.url.is_none()) else {
        return Err(UsageError::new(
            "--review, --approve-all and --reject take a saved source's id, not --url",
        )
        .into());
    };
    if args.approve_all {
        let approved = engine.approve_tool_changes(id, None)?;
        if approved.is_empty() {
            println!("No tool of `{id}` is waiting for review.");
        } else {
            println!("Approved {}; agents get them at their next listing.", names(&approved));
        }
        return Ok(());
    }
    for name in &args.reject {
        engine.reject_tool_change(id, name)?;
        println!(
            "Rejected `{name}`: agents do not get it until the server changes it again or it is approved."
        );
    }
    if args.review { review(engine, id) } else { Ok(()) }
}

fn review(engine: &Engine, id: &SourceId) -> Result<()> {
    let changes = engine.tool_changes(id)?;
    if changes.is_empty() {
        println!("No tool of `{id}` is waiting for review.");
        return Ok(());
    }
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    if !interactive {
        for change in &changes {
            print!("{}", describe(change));
        }
        return Err(UsageError::new(format!(
            "--review asks about each change on a terminal, and this is none; approve them all with `lanyard tools {id} --approve-all`, or reject one with `lanyard tools {id} --reject NAME`"
        ))
        .into());
    }
    let (mut approved, mut rejected) = (Vec::new(), 0);
    for change in &changes {
        print!("\n{}", describe(change));
        match ask(&change.name)? {
            Answer::Approve => approved.push(change.name.clone()),
            Answer::Reject => {
                engine.reject_tool_change(id, &change.name)?;
                rejected += 1;
            }
            Answer::Skip => {}
        }
    }
    if !approved.is_empty() {
        engine.approve_tool_changes(id, Some(&approved))?;
        println!("Approved {}; agents get them at their next listing.", names(&approved));
    }
    if rejected > 0 {
        println!("Rejected {rejected}: withheld until the server changes them again or they are approved.");
    }
    Ok(())
}

enum Answer {
    Approve,
    Reject,
    Skip,
}

fn ask(name: &str) -> Result<Answer> {
    loop {
        print!("Approve `{name}`? [a]pprove, [r]eject, [s]kip: ");
        std::io::stdout().flush().context("writing the question")?;
        let mut line = String::new();
        if std::io::stdin().lock().read_line(&mut line).context("reading the answer")? == 0 {
            return Ok(Answer::Skip);
        }
        match line.trim().to_lowercase().as_str() {
            "a" | "approve" | "y" | "yes" => return Ok(Answer::Approve),
            "r" | "reject" | "n" | "no" => return Ok(Answer::Reject),
            "s" | "skip" | "" => return Ok(Answer::Skip),
            _ => println!("Answer a, r or s."),
        }
    }
}

/// One withheld tool: what changed, its difference line by line, and its flags.
pub fn describe(change: &PendingTool) -> String {
    let what = match &change.renamed_from {
        Some(from) => format!("renamed from `{from}`"),
        None => change.change.name().to_owned(),
    };
    let rejected = if change.decision == Decision::Rejected { ", rejected" } else { "" };
    let mut out =
        format!("`{}`: {what}{rejected} (first offered {})\n", change.name, relative_time(change.seen_at));
    for line in &change.diff {
        out.push_str(&format!("    {line}\n"));
    }
    for flag in &change.flags {
        out.push_str(&format!("  ! {flag}\n"));
    }
    out
}

fn names(names: &[String]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}
