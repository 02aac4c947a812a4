//! `lanyard serve` killed (SIGKILL) in the middle of a refresh, against an authorization server
//! that rotates refresh tokens and treats a rotated one presented again as theft (oidc-provider
//! revokes the whole grant).
//!
//! Lanyard stores the rotated refresh token before it uses the new access token, and never
//! drops the old one before the new one is stored, so a kill can lose nothing Lanyard had. What
//! it cannot control is the server: the kill lands either before the server processed the
//! request (the old refresh token is still good, and the source works after a restart) or after
//! the server rotated it and the answer died with the process (the new refresh token existed
//! only in that answer, the old one is spent, and the server's reuse detection revokes the grant
//! when it is presented again). No client can recover the second case; the test proves that
//! Lanyard then ends in a clear *needs sign-in*, without a crash, a hang or a browser window.

use std::time::Duration;

use serde_json::{Value, json};

use super::{RecordingBrowser, SIGN_IN_NEEDED, Source, error_message, signal, subject, whoami_once};
use crate::support::bridge_home::{start_serve, start_serve_with};
use crate::support::eventually;

/// What became of refresh requests at the fixture: (tokens issued, requests abandoned, refusals
/// with `invalid_grant`). Issued counts when the server rotated, even if the answer never arrived.
async fn refresh_results(source: &Source) -> (u64, u64, u64) {
    let stats = source.fixture().stats().await.expect("the fixture's stats answer");
    let results: &Value = &stats["token_results"]["refresh_token"];
    let n = |pointer: &str| results.pointer(pointer).and_then(Value::as_u64).unwrap_or(0);
    let issued = stats.pointer("/tokens_issued/refresh_token").and_then(Value::as_u64).unwrap_or(0);
    (issued, n("/abandoned"), n("/errors/invalid_grant"))
}

/// Signs in, starts `lanyard serve`, arms a slow refresh (`abandon`: the server drops it if the
/// client leaves during the delay), expires the token at the server, and kills `lanyard serve`
/// while an agent's call waits for that refresh. Returns the source, with no serve running.
async fn kill_mid_refresh(tag: &str, abandon: bool) -> Source {
    let source = Source::sign_in(tag, &[], None).await;
    let (serve, base) = start_serve(&source.home).await.expect("lanyard serve starts");
    let first = whoami_once(&base, &source.id).await;
    assert_eq!(subject(&first).as_deref(), Some("alice"), "the source works: {first}");

    let fixture = source.fixture();
    fixture
        .control(
            "token-failures",
            json!({ "count": 1, "delay_ms": 8000, "abandon": abandon, "grant_type": "refresh_token" }),
        )
        .await
        .expect("the fixture arms the slow refresh");
    fixture.control("expire-access-tokens", json!({})).await.expect("the fixture expires tokens");
    let (agent_base, agent_id) = (base.clone(), source.id.clone());
    let agent = tokio::spawn(async move { whoami_once(&agent_base, &agent_id).await });
    eventually("the refresh to reach the server", Duration::from_millis(50), || async {
        (source.refreshes().await >= 1).then_some(())
    })
    .await;
    assert_eq!(source.status().await["state"], "refreshing", "the refresh is in flight when the kill lands");
    signal(serve.id().expect("lanyard serve runs"), "-KILL");
    let lost = agent.await.expect("the agent task ends");
    assert!(lost.get("result").is_none(), "the call in flight died with the process: {lost}");
    drop(serve);
    source
}

#[tokio::test]
async fn issue_6_serve_killed_before_the_server_rotated_loses_no_token() {
    let source = kill_mid_refresh("kill-early", true).await;
    eventually(
        "the server to abandon the refresh of the dead process",
        Duration::from_millis(200),
        || async { (refresh_results(&source).await.1 == 1).then_some(()) },
    )
    .await;

    let (_serve, base) = start_serve(&source.home).await.expect("lanyard serve starts again");
    let answer = whoami_once(&base, &source.id).await;
    assert_eq!(
        subject(&answer).as_deref(),
        Some("alice"),
        "after the restart the source works with the refresh token it kept: {answer}"
    );
    assert_eq!(
        refresh_results(&source).await,
        (1, 1, 0),
        "one refresh abandoned with the dead process, one that worked, and no refresh token used twice"
    );
    assert_eq!(
        source.fixture().count("/authorization_requests").await.unwrap(),
        1,
        "no sign-in beyond the first `lanyard connect`"
    );
}

#[tokio::test]
async fn issue_6_serve_killed_after_the_server_rotated_ends_in_a_clear_sign_in_needed() {
    let source = kill_mid_refresh("kill-late", false).await;
    eventually(
        "the server to rotate the refresh token for the dead process",
        Duration::from_millis(200),
        || async { (refresh_results(&source).await.0 == 1).then_some(()) },
    )
    .await;

    let browser = RecordingBrowser::new();
    let (serve, base) = start_serve_with(&source.home, &[("BROWSER", browser.script().as_os_str())])
        .await
        .expect("lanyard serve starts again");
    let answer = whoami_once(&base, &source.id).await;
    assert_eq!(
        answer["error"]["code"], SIGN_IN_NEEDED,
        "the spent refresh token cannot be used; the agent is told to sign in: {answer}"
    );
    let message = error_message(&answer);
    assert!(message.contains(&format!("`{}`", source.id)), "the error names the source: {message}");
    assert!(message.contains(&format!("lanyard connect {}", source.id)), "and the command: {message}");
    assert!(message.contains("cut off"), "and why: the earlier refresh was cut off: {message}");
    assert_eq!(
        refresh_results(&source).await,
        (1, 0, 1),
        "the answer that died with the process rotated the token; presenting the old one again was refused"
    );
    let row = source.status().await;
    assert_eq!(row["state"], "needs_sign_in", "the source reads as needing a sign-in: {row}");

    let again = whoami_once(&base, &source.id).await;
    assert_eq!(
        again["error"]["code"], SIGN_IN_NEEDED,
        "the restarted bridge still answers, clearly: {again}"
    );
    assert_eq!(browser.opened(), "", "no browser was opened by the bridge");
    assert_eq!(
        source.fixture().count("/authorization_requests").await.unwrap(),
        1,
        "no sign-in was started by the bridge"
    );
    drop(serve);

    source.connect().await;
    let (_serve, base) = start_serve(&source.home).await.expect("lanyard serve starts");
    let back = whoami_once(&base, &source.id).await;
    assert_eq!(
        subject(&back).as_deref(),
        Some("alice"),
        "one `lanyard connect` brings the source back: {back}"
    );
}
