//! Issue 14, "one credential engine": every path from an agent to an OAuth source renews its
//! token, proven with the TypeScript SDK as the agent and oidc-provider issuing tokens of four
//! seconds. Each test makes two calls on one session with a wait past the token's life between
//! them; the fixture's MCP server checks every token by introspection, so a token fixed when the
//! session opened fails the second call.

use serde_json::{Value, json};

use crate::bridge_oauth::SignedIn;
use crate::support::bridge_home::{CountingUpstream, bridge_token, run_agent, start_serve};
use crate::support::home::lanyard_bin;

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

/// The JSON-RPC error code of "sign-in needed" (see `src/bridge/jsonrpc.rs`).
const SIGN_IN_NEEDED: i64 = -32001;

async fn lanyard_output(source: &SignedIn, args: &[&str]) -> std::process::Output {
    source.home.lanyard(args).stdin(std::process::Stdio::null()).output().await.expect("lanyard runs")
}

#[track_caller]
fn assert_no_bearer_reached(upstream: &CountingUpstream, what: &str) {
    let bearers: Vec<_> = upstream.authorizations().into_iter().flatten().collect();
    assert!(
        bearers.is_empty(),
        "{what}: the other server received no token, but got {} Authorization headers",
        bearers.len()
    );
}

#[tokio::test]
async fn issue_14_a_url_edit_sends_no_token_to_the_new_server_and_needs_sign_in() {
    let source = signed_in("bound-url").await;
    let other = CountingUpstream::start().await.expect("the other server starts");
    let edited = lanyard_output(&source, &["profile", "edit", &source.id, "--url", &other.url]).await;
    assert!(edited.status.success(), "the URL edit is saved: {}", String::from_utf8_lossy(&edited.stderr));
    assert_eq!(
        source.fixture.count("/revocations").await.unwrap(),
        2,
        "the old sign-in's refresh and access tokens are revoked where they were issued"
    );

    let called = lanyard_output(&source, &["call", &source.id, "whoami"]).await;
    let stderr = String::from_utf8_lossy(&called.stderr);
    assert!(!called.status.success(), "the call at the new server fails: {stderr}");
    assert!(stderr.contains(&format!("lanyard connect {}", source.id)), "and says to sign in: {stderr}");
    assert_no_bearer_reached(&other, "lanyard call after a URL edit");
    let row = source.status().await;
    assert_eq!(row["state"], "needs_sign_in", "the source needs sign-in at its new URL: {row}");
}

#[tokio::test]
async fn issue_14_a_client_edit_ends_the_sign_in_at_the_same_server() {
    let source = signed_in("bound-client").await;
    let edited = lanyard_output(
        &source,
        &["profile", "edit", &source.id, "--auth", "oauth", "--client-id", "another-client"],
    )
    .await;
    assert!(edited.status.success(), "the client edit is saved: {}", String::from_utf8_lossy(&edited.stderr));
    assert!(source.fixture.count("/revocations").await.unwrap() >= 1, "the old sign-in is revoked");
    let requests_before = source.fixture.count("/mcp/requests").await.unwrap();
    let called = lanyard_output(&source, &["call", &source.id, "whoami"]).await;
    assert!(!called.status.success(), "the old sign-in is not used for the new client");
    assert_eq!(
        source.fixture.count("/mcp/requests").await.unwrap(),
        requests_before,
        "no request with the old client's token reached the server"
    );
    let row = source.status().await;
    assert_eq!(row["state"], "needs_sign_in", "the source needs sign-in with its new client: {row}");
}

#[tokio::test]
async fn issue_14_a_hand_edit_under_a_running_hub_sends_no_token_to_the_new_server() {
    let source = signed_in("bound-hand").await;
    let other = CountingUpstream::start().await.expect("the other server starts");
    let (_serve, base) = start_serve(&source.home).await.expect("lanyard serve starts");
    let first =
        run_agent(&source.home, &one_call(bridge_http(&base, &source.id))).await.expect("the agent runs");
    assert_eq!(subjects(&first).len(), 1, "one call: {first}");
    assert!(subjects(&first)[0].is_ok(), "the source works before the edit: {first}");

    let file = source.home.envs()[0].1.join("profiles.toml");
    let text = std::fs::read_to_string(&file).expect("the profile file reads");
    assert!(text.contains(&source.fixture.mcp), "the profile file names the server: {text}");
    std::fs::write(&file, text.replace(&source.fixture.mcp, &other.url)).expect("the hand edit is written");

    // The hub picks the change up from the file; until it has, the agent may still reach the
    // old server, which is fine. What must never happen is a token at the new one.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        // The agent is refused at its first request: `initialize`, or the call.
        let report = run_agent(&source.home, &one_call(bridge_http(&base, &source.id))).await;
        let refused = match &report {
            Ok(report) => report["calls"][0]["error"]["code"].as_i64() == Some(SIGN_IN_NEEDED),
            Err(err) => err.to_string().contains(&format!("lanyard connect {}", source.id)),
        };
        if refused {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the hub never asked for a new sign-in: {report:?}");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    assert_no_bearer_reached(&other, "/mcp/<id> after a hand edit");
    assert!(
        source.fixture.count("/revocations").await.unwrap() >= 1,
        "the tokens of the sign-in the hand edit outdated are revoked where they were issued"
    );
    let row = source.status().await;
    assert_eq!(row["state"], "needs_sign_in", "the source needs sign-in at its new URL: {row}");
}

fn bridge_http(base: &str, id: &str) -> Value {
    json!({ "http": { "url": format!("{base}/mcp/{id}"), "token": bridge_token() } })
}

/// One `whoami` call.
fn one_call(connect: Value) -> Value {
    let mut plan = connect;
    plan["calls"] = json!([{ "tool": "whoami" }]);
    plan
}

#[tokio::test]
async fn issue_14_ten_agents_on_the_merged_server_outlive_several_expiries_with_one_refresh_at_a_time() {
    let source = signed_in("paths-ten").await;
    let (_serve, base) = start_serve(&source.home).await.expect("lanyard serve starts");
    let tool = format!("{}__whoami", source.id);
    let mut plan = json!({ "http": { "url": format!("{base}/mcp"), "token": bridge_token() } });
    plan["calls"] = json!([
        { "tool": tool }, { "wait_ms": PAST_EXPIRY_MS }, { "tool": tool },
        { "wait_ms": PAST_EXPIRY_MS }, { "tool": tool },
    ]);
    let started = std::time::Instant::now();
    let agents = (0..10).map(|_| run_agent(&source.home, &plan));
    let reports = futures::future::join_all(agents).await;
    let elapsed = started.elapsed();
    for (n, report) in reports.iter().enumerate() {
        let report = report.as_ref().expect("the agent runs");
        let seen = subjects(report);
        assert_eq!(seen.len(), 3, "agent {n}: three calls: {report}");
        assert!(
            seen.iter().all(|s| s.as_deref() == Ok("alice")),
            "agent {n}: every call across two expiries reaches the server signed in: {report}"
        );
    }
    // The fixture rotates refresh tokens and revokes the grant when one is used twice, so a
    // second refresh racing the first would have failed the calls above. Renewals come no more
    // often than once per half-life of a token (2 s), whatever the number of agents.
    let refreshes = source.refreshes().await;
    let half_lives = elapsed.as_secs() / 2 + 1;
    assert!(refreshes >= 2, "two expiries passed, so at least two renewals: {refreshes}");
    assert!(
        refreshes <= half_lives,
        "ten agents share one renewal per half-life, not one each: {refreshes} in {elapsed:?}"
    );
}

/// Issue 15: a session asks the server which era it speaks (`server/discover`, then `initialize`)
/// and `status` shows what the last connection spoke; a pinned revision is kept and used.
#[tokio::test]
async fn issue_15_status_shows_the_revision_spoken_and_a_pinned_one_is_used() {
    let home = crate::support::home::Home::new();
    let js = crate::support::everything_js().display().to_string();
    home.add(&["auto-era", "--", "node", &js]).await;
    home.add(&["pinned-era", "--protocol", "2026-07-28", "--", "node", &js]).await;
    let run = |args: &[&str]| home.lanyard(args).stdin(std::process::Stdio::null()).output();

    let listed = run(&["tools", "auto-era"]).await.expect("lanyard runs");
    assert!(
        listed.status.success(),
        "auto falls back to initialize: {}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let status = run(&["status", "auto-era", "--json"]).await.expect("lanyard runs");
    let status: Value = serde_json::from_slice(&status.stdout).expect("status --json is JSON");
    assert_eq!(
        status["sources"][0]["protocol"], "2025-11-25",
        "status shows the revision server-everything (an initialize-era server) spoke: {status}"
    );

    let shown = run(&["profile", "show", "pinned-era", "--json"]).await.expect("lanyard runs");
    let shown: Value = serde_json::from_slice(&shown.stdout).expect("profile show --json is JSON");
    assert!(shown.to_string().contains("2026-07-28"), "the pin is saved: {shown}");
    let pinned = run(&["tools", "pinned-era"]).await.expect("lanyard runs");
    let stderr = String::from_utf8_lossy(&pinned.stderr);
    assert!(
        !pinned.status.success() && stderr.contains("server/discover"),
        "a session pinned to 2026-07-28 asks server/discover only, which this server lacks: {stderr}"
    );
}
