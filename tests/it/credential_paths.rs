//! Issue 14, "one credential engine": every path from an agent to an OAuth source renews its
//! token, proven with the TypeScript SDK as the agent and oidc-provider issuing tokens of four
//! seconds. Each test makes two calls on one session with a wait past the token's life between
//! them; the fixture's MCP server checks every token by introspection, so a token fixed when the
//! session opened fails the second call.

use serde_json::{Value, json};

use crate::bridge_oauth::SignedIn;
use crate::support::bridge_home::{bridge_token, lanyard_bin, run_agent, start_serve};

/// The fixture's access token life, in seconds.
const ACCESS_TTL: &str = "4";
/// Long enough that the first call's token has expired before the second call.
const PAST_EXPIRY_MS: u64 = 6_500;

async fn signed_in(tag: &str) -> SignedIn {
    SignedIn::at_fixture_with(tag, &["--access-ttl", ACCESS_TTL]).await
}

/// Calls `tool` twice on one session, with a wait past the token's expiry in between.
fn across_an_expiry(connect: Value, tool: &str) -> Value {
    let mut plan = connect;
    plan["calls"] = json!([{ "tool": tool }, { "wait_ms": PAST_EXPIRY_MS }, { "tool": tool }]);
    plan
}

/// The subject each call's `whoami` saw, or the call's error.
fn subjects(report: &Value) -> Vec<Result<String, Value>> {
    let calls = report["calls"].as_array().cloned().unwrap_or_default();
    calls
        .iter()
        .map(|call| match call["text"].as_str() {
            Some(text) => serde_json::from_str::<Value>(text)
                .ok()
                .and_then(|who| who["sub"].as_str().map(str::to_owned))
                .ok_or_else(|| call.clone()),
            None => Err(call.clone()),
        })
        .collect()
}

#[track_caller]
fn assert_both_calls_signed_in(report: &Value, path: &str) {
    let seen = subjects(report);
    assert_eq!(seen.len(), 2, "{path}: two calls were made: {report}");
    for (n, subject) in seen.iter().enumerate() {
        assert_eq!(
            subject.as_ref().ok().map(String::as_str),
            Some("alice"),
            "{path}: call {} reaches the server as the signed-in user (across an expiry for the second): {report}",
            n + 1
        );
    }
}

fn stdio(args: &[&str]) -> Value {
    json!({ "stdio": { "command": lanyard_bin(), "args": args } })
}

#[tokio::test]
async fn issue_14_merged_stdio_bridge_without_a_hub_renews_across_an_expiry() {
    let source = signed_in("paths-all").await;
    let tool = format!("{}__whoami", source.id);
    let report = run_agent(&source.home, &across_an_expiry(stdio(&["bridge", "--all", "--no-hub"]), &tool))
        .await
        .expect("the agent runs");
    assert_both_calls_signed_in(&report, "bridge --all --no-hub");
    assert!(source.refreshes().await >= 1, "the second call's token came from a refresh");
}

#[tokio::test]
async fn issue_14_merged_stdio_bridge_through_the_hub_renews_across_an_expiry() {
    let source = signed_in("paths-all-hub").await;
    let (_serve, _base) = start_serve(&source.home).await.expect("lanyard serve starts");
    let tool = format!("{}__whoami", source.id);
    let report = run_agent(&source.home, &across_an_expiry(stdio(&["bridge", "--all"]), &tool))
        .await
        .expect("the agent runs");
    assert_both_calls_signed_in(&report, "bridge --all through the hub");
}

#[tokio::test]
async fn issue_14_merged_http_server_renews_across_an_expiry() {
    let source = signed_in("paths-mcp").await;
    let (_serve, base) = start_serve(&source.home).await.expect("lanyard serve starts");
    let connect = json!({ "http": { "url": format!("{base}/mcp"), "token": bridge_token() } });
    let tool = format!("{}__whoami", source.id);
    let report = run_agent(&source.home, &across_an_expiry(connect, &tool)).await.expect("the agent runs");
    assert_both_calls_signed_in(&report, "/mcp");
}

#[tokio::test]
async fn issue_14_pass_through_paths_renew_across_an_expiry() {
    let source = signed_in("paths-one").await;
    let report =
        run_agent(&source.home, &across_an_expiry(stdio(&["bridge", &source.id, "--no-hub"]), "whoami"))
            .await
            .expect("the agent runs");
    assert_both_calls_signed_in(&report, "bridge <id>");

    let (_serve, base) = start_serve(&source.home).await.expect("lanyard serve starts");
    let connect = json!({ "http": { "url": format!("{base}/mcp/{}", source.id), "token": bridge_token() } });
    let report = run_agent(&source.home, &across_an_expiry(connect, "whoami")).await.expect("the agent runs");
    assert_both_calls_signed_in(&report, "/mcp/<id>");
}

#[tokio::test]
async fn issue_14_lanyard_call_renews_across_an_expiry() {
    let source = signed_in("paths-call").await;
    for round in 1..=2 {
        let output = source
            .home
            .lanyard(&["call", &source.id, "whoami", "--json"])
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .expect("lanyard runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("alice"),
            "lanyard call, round {round}, reaches the server as the signed-in user: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        tokio::time::sleep(std::time::Duration::from_millis(PAST_EXPIRY_MS)).await;
    }
}
