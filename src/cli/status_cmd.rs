//! `lanyard status`: each source's state, with what to do about it.

use lanyard::Engine;
use lanyard::clock::relative_time;

use super::args::StatusArgs;
use super::print_json;

/// What `status` and `profile list` say before there is a source.
pub(super) const NO_SOURCES: &str = "No sources yet. Add one with `lanyard profile add` or `lanyard import`.";

pub async fn status(engine: &Engine, args: StatusArgs) -> anyhow::Result<()> {
    let keychain = engine.vault().state().await;
    let rows = engine.status(args.id.as_ref()).await?;
    if args.json {
        return print_json(&serde_json::json!({
            "keychain": engine.vault().kind(),
            "keychain_state": keychain,
            "keychain_fix": keychain.fix(),
            "profiles": engine.profile_store().path(),
            "sources": rows,
        }));
    }
    println!("keychain: {keychain}");
    if let Some(fix) = keychain.fix() {
        println!("  -> {fix}");
    }
    println!("profiles: {}", engine.profile_store().path().display());
    if rows.is_empty() {
        println!("{NO_SOURCES}");
    }
    for row in rows {
        println!(
            "{:<20} {:<16} {:<18} {}",
            row.id.as_str(),
            row.transport.to_string(),
            row.state.summary(),
            row.target
        );
        if let Some(protocol) = &row.protocol {
            println!("{:<20} speaks MCP {protocol} (last connection)", "");
        }
        if let Some(identity) = &row.identity {
            let session = if identity.signed_in {
                let who = identity
                    .account
                    .as_ref()
                    .and_then(|a| a.label())
                    .map(|a| format!(" as {a}"))
                    .unwrap_or_default();
                let expiry = identity
                    .id_token_expires_at
                    .map(|at| format!(", ID token expires {}", relative_time(at)))
                    .unwrap_or_default();
                let refresh = if identity.has_refresh_token { ", renewed without the browser" } else { "" };
                format!("signed in{who}{expiry}{refresh}")
            } else {
                "not signed in".to_owned()
            };
            println!(
                "{:<20} identity provider {} (client {}): {session}",
                "", identity.issuer, identity.client_id
            );
        }
        if let Some(fence) = &row.sandbox {
            let mut network = fence.network.map(|n| format!(", network {n}")).unwrap_or_default();
            if !fence.limits.is_empty() {
                network = format!("{network}, {}", fence.limits.describe());
            }
            println!("{:<20} {}{network}: {}", "", fence.state.describe(), fence.detail);
        }
        if !row.tool_changes.is_empty() {
            let waiting: Vec<&str> = row
                .tool_changes
                .iter()
                .filter(|t| t.decision == lanyard::pins::Decision::Waiting)
                .map(|t| t.name.as_str())
                .collect();
            let rejected = row.tool_changes.len() - waiting.len();
            let rejected = if rejected > 0 { format!(", {rejected} rejected") } else { String::new() };
            println!(
                "{:<20} tools changed: {} waiting for review ({}){rejected}, withheld from agents",
                "",
                waiting.len(),
                waiting.join(", ")
            );
            println!("{:<20}   -> lanyard tools {} --review", "", row.id);
        }
        if let Some(tokens) = row.state.tokens() {
            let scopes = if tokens.scopes.is_empty() { "(none)".to_owned() } else { tokens.scopes.join(" ") };
            println!("{:<20} issuer {}  scopes {scopes}", "", tokens.issuer);
            println!(
                "{:<20} client {} ({}, {})",
                "",
                tokens.client.client_id,
                tokens.client.kind.describe(),
                tokens.client.secret_words()
            );
            if let Some(account) = tokens.account.as_ref().and_then(|a| a.label()) {
                println!("{:<20} signed in as {account}", "");
            }
            let access = tokens.access_expires_at.map_or("no expiry given".to_owned(), relative_time);
            let refresh = match (tokens.has_refresh_token, tokens.refresh_expires_at) {
                (false, _) => "none".to_owned(),
                (true, Some(at)) => format!("expires {}", relative_time(at)),
                (true, None) => "held".to_owned(),
            };
            let bound = if tokens.dpop { "  bound to Lanyard's key (DPoP)" } else { "" };
            println!("{:<20} access token expires {access}  refresh token {refresh}{bound}", "");
        }
        if let Some(refresh) = &row.activity.last_refresh {
            let outcome = if refresh.ok { "ok" } else { "failed" };
            println!("{:<20} last refresh {outcome}, {}", "", relative_time(refresh.at));
        }
        if let Some(error) = &row.activity.last_error {
            println!("{:<20} last error {}: {}", "", relative_time(error.at), error.message);
            if let Some(hint) = error.hint.as_ref().filter(|h| row.hint.as_ref() != Some(*h)) {
                println!("{:<20}   -> {hint}", "");
            }
        }
        if let Some(pending) = &row.pending_sign_in {
            println!(
                "{:<20} sign-in pending (started {}, gives up {}); open:\n{:<20}   {}",
                "",
                relative_time(pending.started_at),
                relative_time(pending.expires_at),
                "",
                pending.url
            );
        }
        if let Some(hint) = &row.hint {
            println!("{:<20} -> {hint}", "");
        }
    }
    Ok(())
}
