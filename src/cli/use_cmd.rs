//! `lanyard tools` and `lanyard call`: one connection, one request, the answer printed. Both
//! declare the same client capabilities, so a server lists to `tools` what `call` can use.
//! A saved source is named by its id; `--url` talks to a server without saving anything (with
//! `--auth oauth` it signs in first, keeping the registration and tokens in memory only).

use std::sync::Arc;

use anyhow::{Context, Result};
use rmcp::model::CallToolResult;

use lanyard::Engine;
use lanyard::ids::SourceId;
use lanyard::source::redact_url_query;
use lanyard::suggest::DidYouMean;
use lanyard::upstream::{Offers, Upstream, UpstreamError};

use super::args::{CallArgs, ProfileSettings, ToolsArgs};
use super::elicit::{Listing, Terminal};
use super::exit::{ToolReportedError, UsageError};
use super::settings::new_profile;
use super::{print_json, progress};

const ONE_OFF_ID: &str = "one-off";

pub async fn tools(engine: &Engine, args: ToolsArgs) -> Result<()> {
    if super::review_cmd::wanted(&args) {
        return super::review_cmd::run(engine, &args);
    }
    let (listing, whose) = match args.target.id {
        Some(id) => {
            if args.target.adhoc.url.is_some() {
                return Err(UsageError::new("give a source id or --url, not both").into());
            }
            progress(&format!("Connecting to `{id}`…"));
            let offers = Offers::Person(Arc::new(Listing::new(None)));
            (engine.list_tools_checked(&id, offers).await?, format!("source `{id}`: "))
        }
        None => {
            let server =
                args.target.adhoc.url.as_ref().map(|url| format!("the server at {}", server_of(url)));
            let offers = Offers::Person(Arc::new(Listing::new(server)));
            let upstream = connect_one_off(engine, &args.target.adhoc, offers).await?;
            let listed = upstream.list_tools_checked().await;
            upstream.close().await;
            (listed?, String::new())
        }
    };
    // On stderr, so that `--json` output stays clean: the filter works, an entry just does nothing.
    for unmatched in &listing.unmatched {
        eprintln!("warning: {whose}{unmatched}");
    }
    let tools = listing.tools;
    if args.json {
        return print_json(&serde_json::json!({ "tools": tools }));
    }
    let width = tools.iter().map(|t| t.name.len()).max().unwrap_or(0);
    for tool in &tools {
        let description = tool.description.as_deref().unwrap_or_default();
        let first_line = description.lines().next().unwrap_or_default();
        println!("{:<width$}  {first_line}", tool.name);
    }
    if tools.is_empty() {
        println!("(this source exposes no tools)");
    }
    Ok(())
}

pub async fn call(engine: &Engine, args: CallArgs) -> Result<()> {
    let (id, tool) = match (args.adhoc.url.is_some(), &args.first, &args.second) {
        (true, tool, None) => (None, tool.clone()),
        (false, id, Some(tool)) => (Some(id.parse::<SourceId>()?), tool.clone()),
        (true, _, Some(_)) => return Err(UsageError::new("with --url, give only the tool name").into()),
        (false, _, None) => return Err(UsageError::new("give the source id and the tool name").into()),
    };
    let arguments = match &args.args {
        None => None,
        Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(map)) => Some(map),
            Ok(_) => {
                return Err(
                    UsageError::new("--args must be a JSON object, e.g. '{\"message\": \"hi\"}'").into()
                );
            }
            Err(err) => return Err(UsageError::new(format!("--args is not valid JSON: {err}")).into()),
        },
    };
    let result = match id {
        Some(id) => {
            if args.adhoc.url.is_some() {
                return Err(UsageError::new("give a source id or --url, not both").into());
            }
            progress(&format!("Connecting to `{id}`…"));
            let person = Terminal::new(args.elicit, None);
            engine.call_tool(&id, &tool, arguments, Offers::Person(Arc::new(person))).await?
        }
        None => {
            let server = args.adhoc.url.as_ref().map(|url| format!("the server at {}", server_of(url)));
            let person = Offers::Person(Arc::new(Terminal::new(args.elicit, server)));
            let upstream = connect_one_off(engine, &args.adhoc, person).await?;
            let called = upstream.call_tool(&tool, arguments).await;
            upstream.close().await;
            match called {
                // The engine's words name `lanyard tools <id>`; a one-off server has no id.
                Err(UpstreamError::ToolNotFound { name, near, .. }) => {
                    let url = args.adhoc.url.as_deref().map(redact_url_query).unwrap_or_default();
                    let then = format!("`lanyard tools --url {url}` lists its tools");
                    let near = DidYouMean { near: &near, then };
                    return Err(UsageError::new(format!("the server has no tool `{name}`{near}")).into());
                }
                called => called?,
            }
        }
    };
    if args.json {
        print_json(&result)?;
    } else {
        print_result(&result)?;
    }
    if result.is_error == Some(true) {
        return Err(ToolReportedError.into());
    }
    Ok(())
}

/// Connects to the server `--url` names, keeping nothing, offering the server what `offers` says.
async fn connect_one_off(engine: &Engine, adhoc: &ProfileSettings, offers: Offers) -> Result<Upstream> {
    let one_off: SourceId = ONE_OFF_ID.parse().context("the one-off id is a valid slug")?;
    let (profile, secrets) = new_profile(one_off, adhoc, &[])?;
    progress("Connecting…");
    // `--auth oauth` signs in as part of this command; nothing of it is kept.
    let sign_in = super::auth_cmd::sign_in_options(false, lanyard::oauth::DEFAULT_TIMEOUT);
    Ok(engine.connect_unsaved(&profile, &secrets, Some(sign_in), offers).await?)
}

/// A `--url` as the person knows the server: its host and port (no path or query).
fn server_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(url) => match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            _ => url.scheme().to_owned(),
        },
        Err(_) => "--url".to_owned(),
    }
}

/// Prints a tool result for people (see [`lanyard::upstream::readable`]).
fn print_result(result: &CallToolResult) -> Result<()> {
    let text = lanyard::upstream::readable(result);
    if !text.is_empty() {
        println!("{text}");
    }
    Ok(())
}
