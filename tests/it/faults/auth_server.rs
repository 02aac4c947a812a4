//! The authorization server down, failing or slow while a token needs refreshing: the source reads
//! *error, retrying* with a backoff instead of a refresh per agent call, keeps its refresh token,
//! and comes back by itself, without a sign-in, once the server answers again.

use std::time::Duration;

use serde_json::{Value, json};

use super::{Agent, Source, error_message, subject, whoami_once};
use crate::support::bridge_home::start_serve;
use crate::support::eventually;

/// A failed refresh's record in a `status --json` row: (transient failures in a row, retry time).
fn backoff(row: &Value) -> (u64, Option<u64>) {
    (row["last_refresh"]["failures"].as_u64().unwrap_or(0), row["last_error"]["retry_at"].as_u64())
}

#[track_caller]
fn assert_retrying_with_the_refresh_token(row: &Value) {
    assert_eq!(row["state"], "error", "a failed refresh shows as an error state: {row}");
    assert_eq!(
        row["tokens"]["has_refresh_token"], true,
        "the refresh token is kept through the failure: {row}"
    );
    let retry_at = row["error"]["retry_at"].as_u64().expect("the error says when it is retried");
    assert!(
        retry_at > row["error"]["at"].as_u64().unwrap_or(u64::MAX),
        "the next attempt waits (backoff), it is not immediate: {row}"
    );
    let hint = row["hint"].as_str().unwrap_or_default();
    assert!(hint.contains("again"), "the hint says that it tries again: {row}");
}

#[tokio::test]
async fn issue_6_authorization_server_down_during_refresh_backs_off_and_recovers_when_it_returns() {
    // 30 s tokens: Lanyard renews them half-way, so after 15 s the token needs a refresh.
    let mut source = Source::sign_in("as-down", &["--access-ttl", "30"], None).await;
    let (_serve, base) = start_serve(&source.home).await.expect("lanyard serve starts");
    let first = whoami_once(&base, &source.id).await;
    assert_eq!(subject(&first).as_deref(), Some("alice"), "the source works before the outage: {first}");

    let restart = source.kill_fixture().await;
    eventually("the token to need a refresh", Duration::from_secs(1), || async {
        (source.status().await["state"] == "expiring").then_some(())
    })
    .await;

    for _ in 0..3 {
        let answer = whoami_once(&base, &source.id).await;
        assert!(answer.get("result").is_none(), "nothing can answer while the servers are down: {answer}");
        let message = error_message(&answer);
        let body = answer["body"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!("`{}`", source.id)) || body.contains(&format!("`{}`", source.id)),
            "the agent's error names the source: {answer}"
        );
    }
    // The token still works for a while, so the refresh runs beside the calls, not before them.
    let row = eventually("the failed refresh to show", Duration::from_millis(200), || async {
        let row = source.status().await;
        (row["state"] == "error").then_some(row)
    })
    .await;
    assert_retrying_with_the_refresh_token(&row);
    assert!(
        row["error"]["message"].as_str().unwrap_or_default().contains("could not reach"),
        "the error says the authorization server could not be reached: {row}"
    );
    assert_eq!(
        backoff(&row).0,
        1,
        "three agent calls within the backoff made one refresh attempt, not three: {row}"
    );

    source.restart_fixture(&restart).await;
    eventually("the source to refresh by itself", Duration::from_millis(500), || async {
        let answer = whoami_once(&base, &source.id).await;
        let row = source.status().await;
        (subject(&answer).as_deref() == Some("alice") && row["last_refresh"]["ok"] == true).then_some(())
    })
    .await;
    assert_eq!(
        source.refreshes().await,
        1,
        "once the backoff ran out, one refresh with the kept refresh token brought the source back"
    );
    assert_eq!(
        source.fixture().count("/authorization_requests").await.unwrap(),
        0,
        "no sign-in was needed at the restarted server"
    );
    let row = source.status().await;
    assert_eq!(row["state"], "connected", "the source is connected again: {row}");
}

#[tokio::test]
async fn issue_6_a_failing_token_endpoint_is_not_hammered_and_the_source_recovers_by_itself() {
    let source = Source::sign_in("as-503", &[], None).await;
    let (_serve, base) = start_serve(&source.home).await.expect("lanyard serve starts");
    let first = whoami_once(&base, &source.id).await;
    assert_eq!(subject(&first).as_deref(), Some("alice"), "the source works: {first}");

    let fixture = source.fixture();
    fixture
        .control("token-failures", json!({ "count": 1000, "status": 503, "grant_type": "refresh_token" }))
        .await
        .expect("the fixture arms the failure");
    fixture.control("expire-access-tokens", json!({})).await.expect("the fixture expires tokens");

    let failed = whoami_once(&base, &source.id).await;
    let message = error_message(&failed);
    assert!(message.contains(&format!("`{}`", source.id)), "the agent's error names the source: {failed}");
    assert!(message.contains("temporarily_unavailable"), "and says what the server answered: {failed}");
    for _ in 0..4 {
        let again = whoami_once(&base, &source.id).await;
        let message = error_message(&again);
        assert!(message.contains("tries again in"), "a call within the backoff is told when: {again}");
    }
    assert_eq!(source.refreshes().await, 1, "five agent calls, one refresh request: the rest waited");
    let row = source.status().await;
    assert_retrying_with_the_refresh_token(&row);
    let text = source.home.lanyard(&["status", &source.id]).output().await.expect("lanyard runs");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("error, retrying in"), "`lanyard status` says it retries, and when: {text}");

    fixture.control("token-failures", json!({ "clear": true })).await.expect("the fixture disarms");
    eventually("the source to recover by itself", Duration::from_millis(500), || async {
        let answer = whoami_once(&base, &source.id).await;
        (subject(&answer).as_deref() == Some("alice")).then_some(())
    })
    .await;
    assert_eq!(
        source.refreshes().await,
        2,
        "after the backoff, exactly one more refresh (with the kept refresh token) brought it back"
    );
    assert_eq!(
        fixture.count("/authorization_requests").await.unwrap(),
        1,
        "no sign-in beyond the first `lanyard connect`"
    );
    assert_eq!(source.status().await["state"], "connected", "the error state is gone");
}

#[tokio::test]
async fn issue_6_a_slow_token_endpoint_is_waited_for_by_every_agent_and_asked_once() {
    let source = Source::sign_in("as-slow", &[], None).await;
    let (_serve, base) = start_serve(&source.home).await.expect("lanyard serve starts");
    let fixture = source.fixture();
    fixture
        .control("token-failures", json!({ "count": 1, "delay_ms": 6000, "grant_type": "refresh_token" }))
        .await
        .expect("the fixture arms the delay");
    fixture.control("expire-access-tokens", json!({})).await.expect("the fixture expires tokens");

    let agents: Vec<_> = (0..8)
        .map(|_| {
            let (base, id) = (base.clone(), source.id.clone());
            tokio::spawn(async move { whoami_once(&base, &id).await })
        })
        .collect();
    eventually("the refresh to reach the slow server", Duration::from_millis(100), || async {
        (source.refreshes().await >= 1).then_some(())
    })
    .await;
    let row = source.status().await;
    assert_eq!(row["state"], "refreshing", "while the server thinks, the source reads as refreshing: {row}");
    for agent in agents {
        let answer = agent.await.expect("the agent task ends");
        assert_eq!(
            subject(&answer).as_deref(),
            Some("alice"),
            "every agent waited and got through: {answer}"
        );
    }
    assert_eq!(source.refreshes().await, 1, "eight agents waiting on a slow server, one refresh");
}

#[tokio::test]
async fn issue_6_a_token_endpoint_slower_than_the_timeout_keeps_the_sign_in_until_the_server_says_otherwise()
{
    // The server takes longer than Lanyard waits (30 s), then rotates the refresh token anyway,
    // in an answer nobody reads. With reuse detection that sign-in cannot be saved by any client;
    // what Lanyard owes is a clear error, the refresh token kept while it may still be good, no
    // hammering, and a message that says what happened when the server refuses it.
    let source = Source::sign_in("as-timeout", &[], None).await;
    let (_serve, base) = start_serve(&source.home).await.expect("lanyard serve starts");
    let fixture = source.fixture();
    fixture
        .control("token-failures", json!({ "count": 1, "delay_ms": 40000, "grant_type": "refresh_token" }))
        .await
        .expect("the fixture arms the delay");
    fixture.control("expire-access-tokens", json!({})).await.expect("the fixture expires tokens");

    let timed_out = whoami_once(&base, &source.id).await;
    let message = error_message(&timed_out);
    assert!(message.contains(&format!("`{}`", source.id)), "the agent's error names the source: {timed_out}");
    assert!(message.contains("could not reach"), "and says the server did not answer: {timed_out}");
    let row = source.status().await;
    assert_retrying_with_the_refresh_token(&row);
    assert!(row["refresh_started"].is_u64(), "the lost answer is remembered: {row}");

    eventually(
        "the server to rotate the token for the request it kept",
        Duration::from_millis(500),
        || async { (fixture.count("/tokens_issued/refresh_token").await.unwrap_or(0) == 1).then_some(()) },
    )
    .await;
    let answer = eventually("the backoff to run out", Duration::from_millis(500), || async {
        let answer = whoami_once(&base, &source.id).await;
        (answer["error"]["code"] == super::SIGN_IN_NEEDED).then_some(answer)
    })
    .await;
    let message = error_message(&answer);
    assert!(message.contains("cut off"), "the error says an earlier refresh was cut off: {message}");
    assert!(message.contains(&format!("lanyard connect {}", source.id)), "and what to do: {message}");
    assert_eq!(source.refreshes().await, 2, "the slow refresh and one more after the backoff, nothing else");
    assert_eq!(source.status().await["state"], "needs_sign_in", "the source reads as needing a sign-in");
}

/// Half-way through a token's life the renewal starts, and a slow token endpoint holds up no
/// call: while the refresh is still at the server, calls go through with the token that still
/// works, and once it is done they carry the new one. One refresh in all.
#[tokio::test]
async fn issue_6_a_slow_refresh_ahead_of_expiry_holds_up_no_call() {
    let source = Source::sign_in("as-ahead", &["--access-ttl", "20"], None).await;
    let (_serve, base) = start_serve(&source.home).await.expect("lanyard serve starts");
    let fixture = source.fixture();
    fixture
        .control("token-failures", json!({ "count": 1, "delay_ms": 8000, "grant_type": "refresh_token" }))
        .await
        .expect("the fixture arms the delay");
    let mut agent = Agent::new(&base, &source.id);
    assert!(agent.initialize().await.get("result").is_some(), "the session starts");
    let mut n = 1;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while source.refreshes().await == 0 {
        assert!(tokio::time::Instant::now() < deadline, "the renewal never reached the server");
        let answer = agent.call(n, "whoami", json!({})).await;
        assert_eq!(subject(&answer).as_deref(), Some("alice"), "calls before the renewal work: {answer}");
        n += 1;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let during = agent.call(n, "whoami", json!({})).await;
    assert_eq!(subject(&during).as_deref(), Some("alice"), "a call during the slow refresh works: {during}");
    let row = source.status().await;
    assert_eq!(
        row["state"], "refreshing",
        "the call was answered while the refresh was still at the server, not after it: {row}"
    );

    eventually("the refresh to finish", Duration::from_millis(200), || async {
        (source.status().await["state"] == "connected").then_some(())
    })
    .await;
    let after = agent.call(n + 1, "whoami", json!({})).await;
    assert_eq!(subject(&after).as_deref(), Some("alice"), "calls after the refresh work: {after}");
    assert_eq!(source.refreshes().await, 1, "one refresh, however many calls came while it ran");
}

/// A token that has expired and a refresh slower than the source's request timeout: the agent's
/// request ends at the timeout with an error saying it was never sent for want of a token (not
/// that the server was slow), and the refresh it started is not cut off: it finishes, is stored,
/// and the next request uses it without another refresh.
#[tokio::test]
async fn issue_6_a_request_out_of_time_waiting_for_a_token_says_so_and_the_refresh_still_lands() {
    let source = Source::sign_in("as-late", &["--access-ttl", "4"], None).await;
    let edited = source
        .home
        .lanyard(&["profile", "edit", &source.id, "--request-timeout", "2"])
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("lanyard runs");
    assert!(
        edited.status.success(),
        "the request timeout is set: {}",
        String::from_utf8_lossy(&edited.stderr)
    );
    let fixture = source.fixture();
    fixture
        .control("token-failures", json!({ "count": 1, "delay_ms": 6000, "grant_type": "refresh_token" }))
        .await
        .expect("the fixture arms the delay");
    let expires_at = source.status().await["tokens"]["access_expires_at"].as_u64().expect("an expiry");
    eventually("the access token to expire", Duration::from_millis(200), || async {
        (lanyard::clock::now() > expires_at).then_some(())
    })
    .await;
    let (_serve, base) = start_serve(&source.home).await.expect("lanyard serve starts");

    let mut agent = Agent::new(&base, &source.id);
    let init = agent.initialize().await;
    let message = error_message(&init);
    assert!(
        message.contains(&format!("`{}`", source.id))
            && message.contains("`initialize` was not sent: no access token within 2 s"),
        "the request ends at its timeout, saying it waited for a token: {init}"
    );
    eventually("the refresh to land", Duration::from_millis(200), || async {
        (source.status().await["state"] == "connected").then_some(())
    })
    .await;
    let answer = whoami_once(&base, &source.id).await;
    assert_eq!(subject(&answer).as_deref(), Some("alice"), "the next session uses the new token: {answer}");
    assert_eq!(source.refreshes().await, 1, "the refresh the late request started was the only one");
}
