//! The keychain gone or locked under a running `lanyard serve`: the agent and `lanyard status`
//! get errors that say what is wrong and what to do, no token is ever written anywhere else
//! (no plaintext fallback), and the source works again, without a sign-in, once the keychain is
//! back. Runs in a keychain of its own (`support::private_keychain`), so that stopping its daemon
//! disturbs no other test.

use std::ffi::OsString;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};

use super::{Agent, error_message, files_under, subject};
use crate::oauth::unique_id;
use crate::support::bridge_home::start_serve_with;
use crate::support::eventually;
use crate::support::home::Home;
use crate::support::oauth_fixture::{OAuthFixture, browser_script};
use crate::support::private_keychain::PrivateKeychain;

/// `lanyard <args>` in `home`, pointed at the private keychain.
async fn lanyard(home: &Home, envs: &[(&'static str, OsString)], args: &[&str]) -> std::process::Output {
    home.lanyard(args)
        .envs(envs.iter().map(|(k, v)| (*k, v)))
        .stdin(Stdio::null())
        .output()
        .await
        .expect("lanyard runs")
}

/// The token strings of a stored token document.
fn tokens_in(document: &str) -> Vec<String> {
    let parsed: Value = serde_json::from_str(document).expect("the stored tokens are a JSON document");
    ["access_token", "refresh_token"]
        .iter()
        .filter_map(|field| parsed[field].as_str().map(str::to_owned))
        .collect()
}

/// Calls `whoami` on new sessions until one succeeds.
async fn until_it_works(base: &str, id: &str, token: &str, what: &str) {
    eventually(what, Duration::from_millis(500), || async {
        let mut agent = Agent::with_token(base, id, token.to_owned());
        agent.initialize().await.get("result")?;
        (subject(&agent.call(1, "whoami", json!({})).await).as_deref() == Some("alice")).then_some(())
    })
    .await;
}

#[tokio::test]
async fn issue_6_keychain_gone_or_locked_mid_run_gives_clear_errors_keeps_no_plaintext_and_recovers() {
    let mut keychain = PrivateKeychain::start().await.expect("a private keychain starts");
    let envs = keychain.envs();
    let fixture = OAuthFixture::start(&[]).await.expect("the OAuth fixture starts");
    let home = Home::with_browser(browser_script());
    let id = unique_id("keychain").to_string();
    let added =
        lanyard(&home, &envs, &["profile", "add", &id, "--url", &fixture.mcp, "--auth", "oauth"]).await;
    assert!(added.status.success(), "profile add: {}", String::from_utf8_lossy(&added.stderr));
    let connected = lanyard(&home, &envs, &["connect", &id]).await;
    assert!(connected.status.success(), "connect: {}", String::from_utf8_lossy(&connected.stderr));
    let token = lanyard(&home, &envs, &["bridge-token"]).await;
    let token = String::from_utf8_lossy(&token.stdout).trim().to_owned();
    let (_serve, base) =
        start_serve_with(&home, &PrivateKeychain::env_refs(&envs)).await.expect("lanyard serve starts");
    let mut agent = Agent::with_token(&base, &id, token.clone());
    assert!(agent.initialize().await.get("result").is_some(), "the session starts");
    let first = agent.call(1, "whoami", json!({})).await;
    assert_eq!(subject(&first).as_deref(), Some("alice"), "the source works: {first}");
    let account = home.account(&format!("source:{id}/oauth/tokens"));
    let mut seen = tokens_in(&keychain.lookup(&account).await.expect("the tokens are in the keychain"));

    // The keyring daemon goes away; the next call needs the keychain (the token was refused).
    keychain.stop_daemon().await;
    fixture.control("expire-access-tokens", json!({})).await.expect("the fixture expires tokens");
    let gone = agent.call(2, "whoami", json!({})).await;
    let message = error_message(&gone);
    assert!(message.contains(&format!("`{id}`")), "the agent's error names the source: {gone}");
    assert!(message.contains("Secret Service"), "and says the keychain is what failed: {gone}");
    assert!(
        message.contains("gnome-keyring") || message.contains("running"),
        "and what to do about it: {message}"
    );
    let status = lanyard(&home, &envs, &["status", &id]).await;
    assert_eq!(status.status.code(), Some(6), "`lanyard status` fails with the keychain exit code");
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert!(stderr.contains("Secret Service"), "and says the Secret Service is gone: {stderr}");

    keychain.start_daemon().await.expect("the keyring daemon starts again");
    until_it_works(&base, &id, &token, "the source to work again with the keychain back").await;
    assert_eq!(
        fixture.count("/token_requests/refresh_token").await.unwrap(),
        1,
        "the refused token was refreshed once, after the keychain came back"
    );
    seen.extend(tokens_in(&keychain.lookup(&account).await.expect("the renewed tokens are in the keychain")));

    // The keyring is locked.
    keychain.lock().await.expect("the keyring locks");
    fixture.control("expire-access-tokens", json!({})).await.expect("the fixture expires tokens");
    let mut locked_agent = Agent::with_token(&base, &id, token.clone());
    let locked = locked_agent.initialize().await;
    let message = error_message(&locked);
    assert!(message.contains(&format!("`{id}`")), "the agent's error names the source: {locked}");
    assert!(message.contains("locked") && message.contains("unlock"), "it says: locked, unlock it: {locked}");
    let status = lanyard(&home, &envs, &["status", &id]).await;
    assert_eq!(status.status.code(), Some(6), "`lanyard status` fails with the keychain exit code");
    assert!(String::from_utf8_lossy(&status.stderr).contains("unlock"), "and says to unlock it");

    keychain.stop_daemon().await;
    keychain.start_daemon().await.expect("the keyring daemon starts again, unlocking the keyring");
    until_it_works(&base, &id, &token, "the source to work again once the keyring is unlocked").await;
    assert_eq!(
        fixture.count("/authorization_requests").await.unwrap(),
        1,
        "no sign-in beyond the first `lanyard connect`"
    );
    seen.extend(tokens_in(&keychain.lookup(&account).await.expect("the tokens are in the keychain")));

    // No plaintext fallback: no token is in any file Lanyard wrote, nor in the keyring's files.
    let [(_, config), (_, data)] = home.envs();
    let mut files = files_under(&config);
    files.extend(files_under(&data));
    files.extend(files_under(&keychain.keyring_dir()));
    assert!(!files.is_empty(), "there are files to search");
    for file in files {
        let bytes = std::fs::read(&file).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        for secret in &seen {
            assert!(
                !text.contains(secret.as_str()),
                "a token is written in plain text in {}",
                file.display()
            );
        }
    }
}

/// A signed-in source in a private keychain behind `lanyard serve`, whose keyring was locked
/// while a rotating refresh waited on a slow server: the server rotated, the keychain refused the
/// new tokens, and `lanyard serve` holds them in memory.
struct LockedMidRefresh {
    keychain: PrivateKeychain,
    envs: Vec<(&'static str, OsString)>,
    fixture: OAuthFixture,
    home: Home,
    id: String,
    token: String,
    base: String,
    _serve: crate::support::ChildGuard,
}

impl LockedMidRefresh {
    async fn new(tag: &str, fixture_flags: &[&str]) -> Self {
        let keychain = PrivateKeychain::start().await.expect("a private keychain starts");
        let envs = keychain.envs();
        let fixture = OAuthFixture::start(fixture_flags).await.expect("the OAuth fixture starts");
        let home = Home::with_browser(browser_script());
        let id = unique_id(tag).to_string();
        let added =
            lanyard(&home, &envs, &["profile", "add", &id, "--url", &fixture.mcp, "--auth", "oauth"]).await;
        assert!(added.status.success(), "profile add: {}", String::from_utf8_lossy(&added.stderr));
        let connected = lanyard(&home, &envs, &["connect", &id]).await;
        assert!(connected.status.success(), "connect: {}", String::from_utf8_lossy(&connected.stderr));
        let token = lanyard(&home, &envs, &["bridge-token"]).await;
        let token = String::from_utf8_lossy(&token.stdout).trim().to_owned();
        let (serve, base) =
            start_serve_with(&home, &PrivateKeychain::env_refs(&envs)).await.expect("lanyard serve starts");

        fixture
            .control("token-failures", json!({ "count": 1, "delay_ms": 6000, "grant_type": "refresh_token" }))
            .await
            .expect("the fixture arms the slow refresh");
        fixture.control("expire-access-tokens", json!({})).await.expect("the fixture expires tokens");
        let (agent_base, agent_id, agent_token) = (base.clone(), id.clone(), token.clone());
        let agent = tokio::spawn(async move {
            let mut agent = Agent::with_token(&agent_base, &agent_id, agent_token);
            let init = agent.initialize().await;
            if init.get("result").is_none() {
                return init;
            }
            agent.call(1, "whoami", json!({})).await
        });
        eventually("the refresh to reach the server", Duration::from_millis(50), || async {
            (fixture.count("/token_requests/refresh_token").await.unwrap_or(0) >= 1).then_some(())
        })
        .await;
        keychain.lock().await.expect("the keyring locks");
        let answer = agent.await.expect("the agent task ends");
        assert_eq!(
            subject(&answer).as_deref(),
            Some("alice"),
            "the renewed tokens are held while the keychain refuses them, and the call goes through: {answer}"
        );
        let status = lanyard(&home, &envs, &["status", &id]).await;
        assert_eq!(status.status.code(), Some(6), "meanwhile `lanyard status` reports the locked keychain");
        Self { keychain, envs, fixture, home, id, token, base, _serve: serve }
    }

    /// Unlocks the keyring (its daemon starts again and unlocks it).
    async fn unlock(&mut self) {
        self.keychain.stop_daemon().await;
        self.keychain.start_daemon().await.expect("the keyring daemon starts again, unlocking the keyring");
    }

    async fn stored(&self) -> String {
        self.keychain
            .lookup(&self.home.account(&format!("source:{}/oauth/tokens", self.id)))
            .await
            .expect("the tokens are stored")
    }
}

#[tokio::test]
async fn issue_6_keychain_locked_while_a_rotating_refresh_is_in_flight_loses_no_token() {
    let mut rig = LockedMidRefresh::new("keychain-rotate", &[]).await;
    rig.unlock().await;
    rig.fixture.control("expire-access-tokens", json!({})).await.expect("the fixture expires tokens");
    until_it_works(&rig.base, &rig.id, &rig.token, "the source to refresh with the held refresh token").await;
    let stats = rig.fixture.stats().await.expect("the fixture's stats answer");
    assert_eq!(
        stats["token_results"]["refresh_token"]["errors"]["invalid_grant"],
        Value::Null,
        "no spent refresh token was ever presented again: {stats}"
    );
    assert_eq!(stats["tokens_issued"]["refresh_token"], 2, "two rotations, both kept: {stats}");
    assert_eq!(tokens_in(&rig.stored().await).len(), 2, "the keychain holds the latest tokens again");
    assert_eq!(rig.fixture.count("/authorization_requests").await.unwrap(), 1, "no sign-in was needed");
}

#[tokio::test]
async fn issue_6_a_sign_in_made_while_tokens_were_held_in_memory_is_not_overwritten_by_them() {
    // 30 s tokens: `lanyard serve` renews its held token 15 s after the refresh.
    let mut rig = LockedMidRefresh::new("keychain-resign", &["--access-ttl", "30"]).await;
    rig.unlock().await;
    // The person signs in again, as someone else, so that the two sign-ins are told apart.
    rig.fixture.control("config", json!({ "user": "bob" })).await.expect("the fixture takes the config");
    let reconnected = lanyard(&rig.home, &rig.envs, &["reconnect", &rig.id]).await;
    assert!(reconnected.status.success(), "reconnect: {}", String::from_utf8_lossy(&reconnected.stderr));
    let signed_in = rig.stored().await;

    // Once its held token is due for renewal, `lanyard serve` reads the keychain again: it must
    // take the newer sign-in, not refresh its older tokens and write them over it (then every
    // call would go on answering "alice" and this poll would run out). On a slow machine bob's
    // own 30 s token may be due by the time `serve` takes it and get refreshed once: that is the
    // new sign-in renewed, which is fine, so the keychain is compared only when it was not.
    eventually("lanyard serve to move to the new sign-in", Duration::from_millis(500), || async {
        let mut agent = Agent::with_token(&rig.base, &rig.id, rig.token.clone());
        agent.initialize().await.get("result")?;
        (subject(&agent.call(1, "whoami", json!({})).await).as_deref() == Some("bob")).then_some(())
    })
    .await;
    if rig.fixture.count("/token_requests/refresh_token").await.unwrap() > 1 {
        return;
    }
    assert_eq!(rig.stored().await, signed_in, "the keychain still holds what the new sign-in stored");
}
