//! Expiry that Lanyard's clock does not see: a server whose clock (or whose `expires_in`) says
//! otherwise, tokens with no `expires_in` at all, and a laptop that sleeps past a token's expiry
//! and wakes to many agents at once. Each time the refused token is refreshed once and the request
//! replayed once; no agent notices and no browser opens.

use std::time::Duration;

use lanyard::clock::now;
use serde_json::{Value, json};

use super::{Agent, RecordingBrowser, Source, signal, subject, whoami_once};
use crate::support::bridge_home::{start_serve, start_serve_with};
use crate::support::eventually;

/// 401 answers the fixture's MCP server has given so far.
async fn refusals(source: &Source) -> u64 {
    source.fixture().count("/mcp/unauthorized").await.expect("the fixture's stats answer")
}

#[tokio::test]
async fn issue_6_clock_skew_a_token_lanyard_thinks_valid_is_refreshed_and_replayed_once() {
    // The server says its tokens live an hour longer than they do: Lanyard's idea of the expiry
    // is off by an hour, as with a clock that is that far behind.
    let source = Source::sign_in("skew", &[], Some(json!({ "expires_in_skew": 3600 }))).await;
    let row = source.status().await;
    let believed = row["tokens"]["access_expires_at"].as_u64().expect("an expiry was given");
    assert!(believed > now() + 3000, "Lanyard believes the token is good for about an hour: {row}");

    let (_serve, base) = start_serve(&source.home).await.expect("lanyard serve starts");
    let mut agent = Agent::new(&base, &source.id);
    assert!(agent.initialize().await.get("result").is_some(), "the session starts");
    let first = agent.call(1, "whoami", json!({})).await;
    assert_eq!(subject(&first).as_deref(), Some("alice"), "the source works: {first}");

    source.fixture().control("expire-access-tokens", json!({})).await.expect("the fixture expires tokens");
    let refused_before = refusals(&source).await;
    let second = agent.call(2, "whoami", json!({})).await;
    assert_eq!(subject(&second).as_deref(), Some("alice"), "the agent never notices: {second}");
    assert_eq!(source.refreshes().await, 1, "the refused token was refreshed once");
    assert_eq!(refusals(&source).await - refused_before, 1, "and the request replayed once, not looped");

    let cli = source.home.lanyard(&["call", &source.id, "whoami", "--json"]).output().await.unwrap();
    assert!(
        cli.status.success(),
        "`lanyard call` uses the renewed token: {}",
        String::from_utf8_lossy(&cli.stderr)
    );
}

#[tokio::test]
async fn issue_6_tokens_without_expires_in_work_and_are_refreshed_on_401() {
    let source = Source::sign_in("no-expiry", &[], Some(json!({ "omit_expires_in": true }))).await;
    let row = source.status().await;
    assert_eq!(row["state"], "connected", "a token without an expiry is usable: {row}");
    assert_eq!(
        row["tokens"]["access_expires_at"],
        Value::Null,
        "no expiry was given, none is made up: {row}"
    );

    let (_serve, base) = start_serve(&source.home).await.expect("lanyard serve starts");
    let mut agent = Agent::new(&base, &source.id);
    assert!(agent.initialize().await.get("result").is_some(), "the session starts");
    for round in 1..=2 {
        let before = agent.call(round * 10, "whoami", json!({})).await;
        assert_eq!(subject(&before).as_deref(), Some("alice"), "round {round}: the token works: {before}");
        source
            .fixture()
            .control("expire-access-tokens", json!({}))
            .await
            .expect("the fixture expires tokens");
        let after = agent.call(round * 10 + 1, "whoami", json!({})).await;
        assert_eq!(subject(&after).as_deref(), Some("alice"), "round {round}: the 401 was handled: {after}");
        assert_eq!(source.refreshes().await, round, "round {round}: one refresh per refused token");
    }
    let row = source.status().await;
    assert_eq!(
        row["tokens"]["access_expires_at"],
        Value::Null,
        "the refreshed token has no expiry either: {row}"
    );
    assert_eq!(row["tokens"]["has_refresh_token"], true, "the rotated refresh token was kept: {row}");
}

#[tokio::test]
async fn issue_6_laptop_sleep_past_expiry_then_twenty_agents_make_one_refresh_and_open_no_browser() {
    // 60 s tokens: Lanyard renews them half-way, so 30 s after the sign-in it wants a refresh,
    // and the renewed token serves every agent for 30 s.
    let source = Source::sign_in("sleep", &["--access-ttl", "60"], None).await;
    let browser = RecordingBrowser::new();
    let (serve, base) = start_serve_with(&source.home, &[("BROWSER", browser.script().as_os_str())])
        .await
        .expect("lanyard serve starts");
    let first = whoami_once(&base, &source.id).await;
    assert_eq!(subject(&first).as_deref(), Some("alice"), "the source works before the sleep: {first}");

    let pid = serve.id().expect("lanyard serve runs");
    signal(pid, "-STOP");
    source.fixture().control("expire-access-tokens", json!({})).await.expect("the fixture expires tokens");
    eventually("Lanyard's clock to pass the refresh point", Duration::from_secs(1), || async {
        (source.status().await["state"] == "expiring").then_some(())
    })
    .await;
    signal(pid, "-CONT");

    let agents: Vec<_> = (0..20)
        .map(|_| {
            let (base, id) = (base.clone(), source.id.clone());
            tokio::spawn(async move { whoami_once(&base, &id).await })
        })
        .collect();
    for agent in agents {
        let answer = agent.await.expect("the agent task ends");
        assert_eq!(subject(&answer).as_deref(), Some("alice"), "every agent's call succeeds: {answer}");
    }
    assert_eq!(source.refreshes().await, 1, "twenty agents after the wake-up, exactly one refresh");
    assert_eq!(browser.opened(), "", "no browser was opened");
    assert_eq!(
        source.fixture().count("/authorization_requests").await.unwrap(),
        1,
        "no sign-in beyond the first `lanyard connect`"
    );
}

#[tokio::test]
async fn issue_6_tokens_that_live_less_than_the_refresh_margin_are_not_refreshed_on_every_call() {
    // 40 s tokens against Lanyard's 60 s refresh margin: renewed half-way, not on every use.
    let source = Source::sign_in("short-lived", &["--access-ttl", "40"], None).await;
    let row = source.status().await;
    assert_eq!(row["state"], "connected", "a fresh 40 s token reads as connected, not expiring: {row}");
    let (_serve, base) = start_serve(&source.home).await.expect("lanyard serve starts");
    let mut agent = Agent::new(&base, &source.id);
    assert!(agent.initialize().await.get("result").is_some(), "the session starts");
    for n in 1..=5 {
        let answer = agent.call(n, "whoami", json!({})).await;
        assert_eq!(subject(&answer).as_deref(), Some("alice"), "call {n} works: {answer}");
    }
    assert_eq!(source.refreshes().await, 0, "five calls on a fresh short-lived token, no refresh");

    eventually("the token to pass half its life", Duration::from_secs(1), || async {
        (source.status().await["state"] == "expiring").then_some(())
    })
    .await;
    for n in 6..=8 {
        let answer = agent.call(n, "whoami", json!({})).await;
        assert_eq!(subject(&answer).as_deref(), Some("alice"), "call {n} works: {answer}");
    }
    // The token still works past half-way, so its refresh runs beside the calls.
    eventually("the refresh past half-way", Duration::from_millis(200), || async {
        (source.refreshes().await >= 1).then_some(())
    })
    .await;
    eventually("the refreshed token to be in use", Duration::from_millis(200), || async {
        (source.status().await["state"] == "connected").then_some(())
    })
    .await;
    for n in 9..=11 {
        let answer = agent.call(n, "whoami", json!({})).await;
        assert_eq!(subject(&answer).as_deref(), Some("alice"), "call {n} works: {answer}");
    }
    assert_eq!(source.refreshes().await, 1, "past half-way, one refresh, and the new token is reused");
}
