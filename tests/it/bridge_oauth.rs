//! The bridge in front of an OAuth-protected source (issue 4, "Credentials"): the agent never
//! holds a token, a token that expires during a long session is renewed without the agent
//! noticing (one refresh, then the held token is reused), and a source whose sign-in is gone
//! answers with a JSON-RPC error that names the source and the command that fixes it, with no
//! browser opened. Against the real OAuth fixture (oidc-provider + a protected MCP server that
//! checks every token by introspection), through `lanyard bridge` (stdio) and `lanyard serve`.
//! Also `auth = passthrough`: the agent's own `Authorization` reaches that source and no other,
//! and the bridge token reaches no upstream at all.

use std::process::Stdio;

use serde_json::{Value, json};

use crate::bridge::{RawBridge, initialize};
use crate::oauth::{Cleanup, unique_id};
use crate::support::bridge_home::{CountingUpstream, bridge_token, start_serve};
use crate::support::home::Home;
use crate::support::oauth_fixture::{OAuthFixture, browser_script};

/// The JSON-RPC error code of "sign-in needed" (see `src/bridge/jsonrpc.rs`).
const SIGN_IN_NEEDED: i64 = -32001;

/// An OAuth source at the fixture, signed in through `lanyard connect` in its own home.
pub(crate) struct SignedIn {
    pub(crate) fixture: OAuthFixture,
    pub(crate) home: Home,
    pub(crate) id: String,
    _cleanup: Cleanup,
}

impl SignedIn {
    async fn new(tag: &str) -> Self {
        Self::at_fixture_with(tag, &[]).await
    }

    /// A source signed in at a fixture started with `flags` (`--access-ttl 4`, ...).
    pub(crate) async fn at_fixture_with(tag: &str, flags: &[&str]) -> Self {
        let fixture = OAuthFixture::start(flags).await.expect("the OAuth fixture starts");
        let id = unique_id(tag).to_string();
        let cleanup = Cleanup(vec![
            format!("source:{id}/oauth/tokens"),
            format!("issuer:{}/registration", fixture.issuer),
        ]);
        let home = Home::with_browser(browser_script());
        home.add(&[&id, "--url", &fixture.mcp, "--auth", "oauth"]).await;
        let connected =
            home.lanyard(&["connect", &id]).stdin(Stdio::null()).output().await.expect("lanyard runs");
        assert!(
            connected.status.success(),
            "`lanyard connect` signs in through the scripted browser: {}",
            String::from_utf8_lossy(&connected.stderr)
        );
        Self { fixture, home, id, _cleanup: cleanup }
    }

    pub(crate) async fn refreshes(&self) -> u64 {
        self.fixture.count("/token_requests/refresh_token").await.expect("the fixture's stats answer")
    }

    pub(crate) async fn status(&self) -> Value {
        let output =
            self.home.lanyard(&["status", &self.id, "--json"]).stdin(Stdio::null()).output().await.unwrap();
        let status: Value = serde_json::from_slice(&output.stdout).expect("status --json is JSON");
        status["sources"][0].clone()
    }
}

fn call_whoami(id: u64) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call", "params": { "name": "whoami", "arguments": {} } })
}

/// The subject the fixture's `whoami` tool saw in the token, from a `tools/call` answer.
pub(crate) fn subject(answer: &Value) -> Option<String> {
    let text = answer["result"]["content"][0]["text"].as_str()?;
    let who: Value = serde_json::from_str(text).ok()?;
    who["sub"].as_str().map(str::to_owned)
}

#[track_caller]
fn assert_sign_in_error(answer: &Value, id: &str) {
    assert_eq!(answer["error"]["code"], SIGN_IN_NEEDED, "the agent is told that sign-in is needed: {answer}");
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(&format!("`{id}`")), "the error names the source: {message}");
    assert!(message.contains(&format!("lanyard connect {id}")), "and the command that fixes it: {message}");
}

#[tokio::test]
async fn issue_4_stdio_bridge_renews_an_expired_token_unnoticed_and_reports_a_lost_sign_in() {
    let source = SignedIn::new("bridge-oauth").await;
    let mut bridge = RawBridge::start(&source.home, &source.id);
    let init = bridge.initialize().await;
    assert!(init.get("result").is_some(), "initialize goes through with the source's token: {init}");

    bridge.send(call_whoami(1)).await;
    let first = bridge.answer_to(json!(1)).await;
    assert_eq!(
        subject(&first).as_deref(),
        Some("alice"),
        "the call reaches the server as the signed-in user: {first}"
    );
    assert_eq!(source.refreshes().await, 0, "a fresh token needs no refresh");

    // The server forgets the token in the middle of the session.
    source.fixture.control("expire-access-tokens", json!({})).await.expect("the fixture expires tokens");
    bridge.send(call_whoami(2)).await;
    let second = bridge.answer_to(json!(2)).await;
    assert_eq!(
        subject(&second).as_deref(),
        Some("alice"),
        "the call after expiry succeeds unnoticed: {second}"
    );
    assert_eq!(source.refreshes().await, 1, "the refused token was refreshed exactly once");

    bridge.send(call_whoami(3)).await;
    let third = bridge.answer_to(json!(3)).await;
    assert_eq!(subject(&third).as_deref(), Some("alice"), "the renewed token keeps working: {third}");
    assert_eq!(source.refreshes().await, 1, "the renewed token is reused, not refreshed per call");

    // Server-side revocation: the refresh token is dead too, so the person must sign in again.
    source.fixture.control("revoke-all", json!({})).await.expect("the fixture revokes");
    bridge.send(call_whoami(4)).await;
    let lost = bridge.answer_to(json!(4)).await;
    assert_sign_in_error(&lost, &source.id);
    assert_eq!(
        source.fixture.count("/authorization_requests").await.unwrap(),
        1,
        "the bridge never starts a sign-in by itself (only the one `lanyard connect` did)"
    );
    let row = source.status().await;
    assert_eq!(row["state"], "needs_sign_in", "the source's status follows: {row}");
}

/// Posts one JSON-RPC message to `lanyard serve` and returns the answer to `id`, whether it
/// came as JSON or as an event stream.
async fn post(
    client: &reqwest::Client,
    url: &str,
    session: Option<&str>,
    message: Value,
) -> (Option<String>, Value) {
    let mut request = client
        .post(url)
        .bearer_auth(bridge_token())
        .header("accept", "application/json, text/event-stream")
        .json(&message);
    if let Some(session) = session {
        request = request.header("mcp-session-id", session);
    }
    let answer = request.send().await.expect("the bridge answers");
    assert!(answer.status().is_success(), "the bridge accepts the request: {}", answer.status());
    let session = answer.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let text = answer.text().await.expect("a body");
    let id = &message["id"];
    let found = text
        .lines()
        .map(|line| line.strip_prefix("data:").unwrap_or(line).trim())
        .filter_map(|data| serde_json::from_str::<Value>(data).ok())
        .find(|value| &value["id"] == id);
    (session, found.unwrap_or_else(|| panic!("no answer to {id} in {text}")))
}

#[tokio::test]
async fn issue_4_http_bridge_renews_an_expired_token_unnoticed_and_reports_a_lost_sign_in() {
    let source = SignedIn::new("serve-oauth").await;
    let (_serve, base) = start_serve(&source.home).await.expect("lanyard serve starts");
    let url = format!("{base}/mcp/{}", source.id);
    let client = reqwest::Client::new();

    let (session, init) = post(&client, &url, None, initialize(0)).await;
    assert!(init.get("result").is_some(), "initialize goes through with the source's token: {init}");
    let session = session.expect("the upstream's session id comes back through the bridge");
    let notified = client
        .post(&url)
        .bearer_auth(bridge_token())
        .header("mcp-session-id", &session)
        .header("accept", "application/json, text/event-stream")
        .json(&json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }))
        .send()
        .await
        .expect("the bridge answers");
    assert!(notified.status().is_success(), "the initialized notification is accepted");

    let (_, first) = post(&client, &url, Some(&session), call_whoami(1)).await;
    assert_eq!(
        subject(&first).as_deref(),
        Some("alice"),
        "the call reaches the server as the signed-in user: {first}"
    );

    source.fixture.control("expire-access-tokens", json!({})).await.expect("the fixture expires tokens");
    let (_, second) = post(&client, &url, Some(&session), call_whoami(2)).await;
    assert_eq!(
        subject(&second).as_deref(),
        Some("alice"),
        "the call after expiry succeeds unnoticed: {second}"
    );
    let (_, third) = post(&client, &url, Some(&session), call_whoami(3)).await;
    assert_eq!(subject(&third).as_deref(), Some("alice"), "and so does the next: {third}");
    assert_eq!(source.refreshes().await, 1, "one refresh for the expiry, then the new token is reused");

    source.fixture.control("revoke-all", json!({})).await.expect("the fixture revokes");
    let (_, lost) = post(&client, &url, Some(&session), call_whoami(4)).await;
    assert_sign_in_error(&lost, &source.id);
    assert_eq!(
        source.fixture.count("/authorization_requests").await.unwrap(),
        1,
        "the bridge never starts a sign-in by itself"
    );
}

#[tokio::test]
async fn issue_4_passthrough_forwards_the_agents_authorization_to_that_source_only() {
    let home = Home::new();
    let passthrough = CountingUpstream::start().await.expect("an upstream starts");
    let other = CountingUpstream::start().await.expect("an upstream starts");
    home.add(&["pass", "--url", &passthrough.url, "--auth", "passthrough"]).await;
    home.add(&["plain", "--url", &other.url]).await;
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let client = reqwest::Client::new();
    let send = |source: &str, headers: Vec<(&'static str, String)>| {
        let mut request = client
            .post(format!("{base}/mcp/{source}"))
            .header("accept", "application/json, text/event-stream")
            .json(&initialize(1));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send()
    };
    let token = bridge_token();
    let own = "Bearer agents-own-credential".to_owned();

    send("pass", vec![("lanyard-bridge-token", token.clone()), ("authorization", own.clone())])
        .await
        .unwrap();
    send("plain", vec![("lanyard-bridge-token", token.clone()), ("authorization", own.clone())])
        .await
        .unwrap();
    send("pass", vec![("authorization", format!("Bearer {token}"))]).await.unwrap();
    send("plain", vec![("authorization", format!("Bearer {token}"))]).await.unwrap();

    assert_eq!(
        passthrough.authorizations(),
        vec![Some(own.clone()), None],
        "a passthrough source gets the agent's own Authorization unchanged, and never the bridge token"
    );
    assert_eq!(
        other.authorizations(),
        vec![None, None],
        "any other source gets neither the agent's credential nor the bridge token"
    );
}

/// Ten `lanyard bridge` processes start at once on a source whose token the server has just
/// expired; each initializes and calls a tool. Returns the bridges' logs.
async fn ten_bridges_after_expiry(source: &SignedIn) -> Vec<String> {
    source.fixture.control("expire-access-tokens", json!({})).await.expect("the fixture expires tokens");
    let logs = tempfile::tempdir().expect("a temp dir");
    let mut bridges: Vec<RawBridge> = (0..10)
        .map(|n| RawBridge::start_logged(&source.home, &source.id, &logs.path().join(format!("{n}.log"))))
        .collect();
    for bridge in &mut bridges {
        bridge.send(initialize(0)).await;
    }
    for bridge in &mut bridges {
        let init = bridge.answer_to(json!(0)).await;
        assert!(init.get("result").is_some(), "every bridge initializes: {init}");
        bridge.send(json!({ "jsonrpc": "2.0", "method": "notifications/initialized" })).await;
        bridge.send(call_whoami(1)).await;
    }
    for bridge in &mut bridges {
        let answer = bridge.answer_to(json!(1)).await;
        assert_eq!(subject(&answer).as_deref(), Some("alice"), "every bridge's call succeeds: {answer}");
    }
    drop(bridges);
    (0..10)
        .map(|n| std::fs::read_to_string(logs.path().join(format!("{n}.log"))).unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn issue_4_ten_bridges_without_a_hub_refresh_exactly_once() {
    let source = SignedIn::new("ten-direct").await;
    let logs = ten_bridges_after_expiry(&source).await;
    assert_eq!(
        source.refreshes().await,
        1,
        "the cross-process lock lets one bridge refresh; the others use its rotated tokens"
    );
    assert!(
        logs.iter().all(|log| !log.contains("through the hub")),
        "with no hub running, every bridge serves the source itself: {logs:?}"
    );
}

#[tokio::test]
async fn issue_4_ten_bridges_go_through_the_running_hub_which_refreshes_once() {
    let source = SignedIn::new("ten-hub").await;
    let (_hub, _) = start_serve(&source.home).await.expect("lanyard serve starts");
    let logs = ten_bridges_after_expiry(&source).await;
    assert_eq!(source.refreshes().await, 1, "the hub refreshed once for all ten bridges");
    assert!(
        logs.iter().all(|log| log.contains("serving through the hub")),
        "every bridge found the hub and went through it: {logs:?}"
    );
}

#[tokio::test]
async fn issue_4_a_stale_hub_announcement_gets_no_bridge_token() {
    let home = Home::new();
    let server = crate::support::test_server_bin().display().to_string();
    home.add(&["local", "--", &server, "stdio"]).await;
    // A program that is not a hub now listens on the port a stale announcement names.
    let impostor = CountingUpstream::start().await.expect("a listener starts");
    let port = impostor.url.trim_start_matches("http://127.0.0.1:").split('/').next().unwrap().to_owned();
    let data = home.envs()[1].1.clone();
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("hub.json"), format!("{{\"port\":{port},\"pid\":1}}")).unwrap();

    let mut bridge = RawBridge::start(&home, "local");
    let init = bridge.initialize().await;
    assert!(init.get("result").is_some(), "the bridge serves the source itself: {init}");
    let token = bridge_token();
    assert!(impostor.hits() >= 1, "the bridge did ask the announced port for its proof");
    assert!(
        impostor.authorizations().iter().all(|seen| seen.as_deref().is_none_or(|a| !a.contains(&token))),
        "the bridge token never goes to a listener that did not prove it is the hub"
    );
}
