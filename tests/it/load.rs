//! Issue 6, "Load and soak", in a size that runs with every test run: several rmcp agents with
//! calls in flight at once go through `lanyard serve` to an OAuth source, a client-credentials
//! source and a stdio source, across one forced expiry of every access token. No call fails,
//! and each token source is renewed exactly once for all of its agents. The long run with
//! expiring tokens and memory figures is `benches/soak.rs` (`scripts/soak.sh`).

use std::process::Stdio;

use rmcp::model::CallToolRequestParams;
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{RoleClient, ServiceExt};
use serde_json::json;

use crate::oauth::{Cleanup, unique_id};
use crate::support::bridge_home::{bridge_token, start_serve};
use crate::support::home::Home;
use crate::support::oauth_fixture::{OAuthFixture, browser_script};
use crate::support::test_server_bin;

const AGENTS: usize = 5;
const IN_FLIGHT: usize = 4;

type Agent = RunningService<RoleClient, ()>;

async fn agent(url: &str) -> Agent {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {}", bridge_token()).parse().unwrap());
    let http = reqwest::Client::builder().default_headers(headers).build().expect("an HTTP client");
    let transport =
        StreamableHttpClientTransport::with_client(http, StreamableHttpClientTransportConfig::with_uri(url));
    ().serve(transport).await.expect("the agent initializes through the hub")
}

fn echo(argument: &str, n: usize) -> CallToolRequestParams {
    let mut params = CallToolRequestParams::new("echo");
    params.arguments = json!({ argument: format!("call {n}") }).as_object().cloned();
    params
}

/// Every agent makes [`IN_FLIGHT`] calls at once; returns the failures, described.
async fn round(agents: &[(&'static str, Agent)]) -> Vec<String> {
    let mut calls = Vec::new();
    for (argument, agent) in agents {
        for n in 0..IN_FLIGHT {
            let peer = agent.peer().clone();
            let argument = *argument;
            calls.push(tokio::spawn(async move { peer.call_tool(echo(argument, n)).await }));
        }
    }
    let mut failures = Vec::new();
    for call in calls {
        match call.await.expect("the call's task ends") {
            Ok(result) if result.is_error != Some(true) => {}
            Ok(result) => failures.push(format!("tool error: {result:?}")),
            Err(err) => failures.push(err.to_string()),
        }
    }
    failures
}

#[tokio::test]
async fn issue_6_agents_under_load_see_no_failure_and_share_one_renewal_per_expiry() {
    let fixture = OAuthFixture::start(&[]).await.expect("the OAuth fixture starts");
    let (oauth, service) = (unique_id("load-oauth").to_string(), unique_id("load-cc").to_string());
    let _cleanup = Cleanup(vec![
        format!("source:{oauth}/oauth/tokens"),
        format!("source:{service}/oauth/tokens"),
        format!("source:{service}/oauth/client-secret"),
        format!("issuer:{}/registration", fixture.issuer),
    ]);
    let home = Home::with_browser(browser_script());
    home.add(&[&oauth, "--url", &fixture.mcp, "--auth", "oauth"]).await;
    let connected =
        home.lanyard(&["connect", &oauth]).stdin(Stdio::null()).output().await.expect("lanyard runs");
    assert!(
        connected.status.success(),
        "the OAuth source signs in: {}",
        String::from_utf8_lossy(&connected.stderr)
    );
    let added = home
        .lanyard(&[
            "profile",
            "add",
            &service,
            "--url",
            &fixture.mcp,
            "--auth",
            "client-credentials",
            "--client-id",
            &fixture.cc_client_id,
            "--client-secret-env",
            "LOAD_CC_SECRET",
            "--scope",
            "mcp:read",
        ])
        .env("LOAD_CC_SECRET", &fixture.cc_client_secret)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("lanyard runs");
    assert!(
        added.status.success(),
        "the service source is added: {}",
        String::from_utf8_lossy(&added.stderr)
    );
    let server = test_server_bin().display().to_string();
    home.add(&["local", "--", &server, "stdio"]).await;
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");

    let local = "local".to_owned();
    let mut agents = Vec::new();
    for (id, argument) in [(&oauth, "text"), (&service, "text"), (&local, "message")] {
        for _ in 0..AGENTS {
            agents.push((argument, agent(&format!("{base}/mcp/{id}")).await));
        }
    }
    let failures = round(&agents).await;
    assert!(failures.is_empty(), "every call before the expiry succeeds: {failures:?}");

    fixture.control("stats/reset", json!({})).await.expect("the fixture resets its counters");
    fixture.control("expire-access-tokens", json!({})).await.expect("the fixture expires tokens");
    let failures = round(&agents).await;
    assert!(failures.is_empty(), "no call fails across the expiry: {failures:?}");
    let stats = fixture.stats().await.expect("the fixture's stats");
    assert_eq!(
        stats["token_requests"]["refresh_token"], 1,
        "the OAuth source was refreshed once for all {AGENTS} agents' {IN_FLIGHT} calls each: {stats}"
    );
    assert_eq!(
        stats["token_requests"]["client_credentials"], 1,
        "the client-credentials source got one new token for all its agents: {stats}"
    );
    let calls = stats["mcp"]["tool_calls"]["echo"].as_u64().unwrap_or(0);
    assert!(
        calls >= (2 * AGENTS * IN_FLIGHT) as u64,
        "every call of both token sources reached the server after the expiry: {stats}"
    );
    for (_, agent) in agents {
        let _ = agent.cancel().await;
    }
}

/// A token that lives shorter than the refresh margin (a minute) is used, not refreshed on every
/// call: before renewals were capped at a quarter of a token's life, a 30 s token was stale on
/// arrival and each call through the hub refreshed it again.
#[tokio::test]
async fn issue_6_a_token_shorter_lived_than_the_margin_is_not_refreshed_per_call() {
    let fixture = OAuthFixture::start(&["--access-ttl", "30"]).await.expect("the OAuth fixture starts");
    let oauth = unique_id("load-short").to_string();
    let _cleanup = Cleanup(vec![
        format!("source:{oauth}/oauth/tokens"),
        format!("issuer:{}/registration", fixture.issuer),
    ]);
    let home = Home::with_browser(browser_script());
    home.add(&[&oauth, "--url", &fixture.mcp, "--auth", "oauth"]).await;
    let connected =
        home.lanyard(&["connect", &oauth]).stdin(Stdio::null()).output().await.expect("lanyard runs");
    assert!(
        connected.status.success(),
        "the OAuth source signs in: {}",
        String::from_utf8_lossy(&connected.stderr)
    );
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let mut agents = Vec::new();
    for _ in 0..AGENTS {
        agents.push(("text", agent(&format!("{base}/mcp/{oauth}")).await));
    }
    for _ in 0..3 {
        let failures = round(&agents).await;
        assert!(failures.is_empty(), "every call succeeds: {failures:?}");
    }
    let stats = fixture.stats().await.expect("the fixture's stats");
    let calls = stats["mcp"]["tool_calls"]["echo"].as_u64().unwrap_or(0);
    assert!(calls >= (3 * AGENTS * IN_FLIGHT) as u64, "every call reached the server: {stats}");
    let refreshes = stats["token_requests"]["refresh_token"].as_u64().unwrap_or(0);
    assert!(
        refreshes <= 1,
        "{calls} calls on one 30 s token renewed it at most once (when its last quarter began), not per call: {stats}"
    );
    for (_, agent) in agents {
        let _ = agent.cancel().await;
    }
}
