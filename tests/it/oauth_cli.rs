//! The sign-in gaps of issue 3 closed, proven through the real `lanyard` binary against the OAuth
//! fixture (`tests/node/oauth-fixture.mjs`), with `$BROWSER` pointing at the curl script:
//! step-up on `403 insufficient_scope` (only on an explicit `reconnect`, bounded), a dropped
//! registration after `invalid_client`, one refresh for several processes at once, the
//! signed-in account and the last refresh in `lanyard status`, and sign-in in the one-off
//! `--url` mode that keeps nothing.
//! Issue 3: "Sign-in that follows the MCP authorization spec".

use std::collections::BTreeSet;
use std::process::{Command, Output, Stdio};

use lanyard::ids::SourceId;
use lanyard::vault::VaultKey;
use serde_json::{Value, json};

use crate::oauth::{Cleanup, cli_home, unique_id};
use crate::support::eventually;
use crate::support::home::{Home, Run};
use crate::support::oauth_fixture::OAuthFixture;

/// A saved OAuth source in its own Lanyard home, signed in through the CLI.
struct CliSource {
    fixture: OAuthFixture,
    home: Home,
    text: String,
    _cleanup: Cleanup,
}

impl CliSource {
    async fn connected(tag: &str) -> Self {
        Self::connected_with(tag, &[]).await
    }

    /// [`CliSource::connected`] against a fixture started with `flags`.
    async fn connected_with(tag: &str, flags: &[&str]) -> Self {
        let fixture = OAuthFixture::start(flags).await.expect("the OAuth fixture starts");
        let home = cli_home();
        let id = unique_id(tag);
        let cleanup = Cleanup(vec![
            format!("source:{id}/oauth/tokens"),
            format!("issuer:{}/registration", fixture.issuer),
        ]);
        let source = Self { text: id.to_string(), fixture, home, _cleanup: cleanup };
        source.expect(&["profile", "add", &source.text, "--url", &source.fixture.mcp, "--auth", "oauth"], 0);
        let (stdout, _) = source.expect(&["connect", &source.text], 0);
        assert!(stdout.contains("is connected"), "the CLI sign-in works: {stdout}");
        source
    }

    /// Runs `lanyard <args>` and checks its exit code; returns stdout and stderr.
    fn expect(&self, args: &[&str], want: i32) -> (String, String) {
        let Run { code, stdout, stderr } = self.home.run(args);
        assert_eq!(code, want, "`lanyard {}`\nstdout: {stdout}\nstderr: {stderr}", args.join(" "));
        (stdout, stderr)
    }

    /// This source's row of `lanyard status --json`.
    fn status(&self) -> Value {
        let (stdout, _) = self.expect(&["status", &self.text, "--json"], 0);
        let status: Value = serde_json::from_str(&stdout).expect("status --json is JSON");
        status["sources"][0].clone()
    }

    async fn count(&self, pointer: &str) -> u64 {
        self.fixture.count(pointer).await.expect("the fixture's stats answer")
    }

    /// The scopes of the last authorization request the fixture saw.
    async fn last_requested_scopes(&self) -> BTreeSet<String> {
        let stats = self.fixture.stats().await.expect("the fixture's stats answer");
        let last = stats["authorization_log"].as_array().and_then(|log| log.last()).cloned();
        let scope = last.as_ref().and_then(|entry| entry["scope"].as_str()).unwrap_or_default();
        scope.split_ascii_whitespace().map(str::to_owned).collect()
    }
}

fn set(scopes: &[&str]) -> BTreeSet<String> {
    scopes.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn issue_3_step_up_waits_for_reconnect_which_requests_the_union() {
    let source = CliSource::connected("stepup").await;
    let id = &source.text;
    let sign_ins = source.count("/authorization_requests").await;
    assert_eq!(sign_ins, 1, "connect signed in once");

    let (_, stderr) = source.expect(&["call", id, "admin"], 4);
    assert!(
        stderr.contains(&format!("lanyard reconnect {id}")),
        "the 403 names the command that grants more scope: {stderr}"
    );
    assert!(stderr.contains("mcp:admin"), "and the scope the server asked for: {stderr}");
    assert_eq!(
        source.count("/authorization_requests").await,
        sign_ins,
        "a call that meets 403 insufficient_scope never starts a sign-in by itself"
    );
    assert_eq!(source.count("/mcp/forbidden").await, 1, "the server refused the call once");

    let row = source.status();
    assert_eq!(row["state"], "needs_more_scope", "status shows the pending step-up: {row}");
    assert!(
        row["scopes"].as_array().is_some_and(|s| s.contains(&json!("mcp:admin"))),
        "status names the wanted scope: {row}"
    );
    assert!(
        row["hint"].as_str().is_some_and(|h| h.contains(&format!("lanyard reconnect {id}"))),
        "status says what to do: {row}"
    );

    source.expect(&["reconnect", id], 0);
    assert_eq!(
        source.last_requested_scopes().await,
        set(&["openid", "mcp:read", "mcp:write", "mcp:admin"]),
        "reconnect asks for the union of the held and the challenged scopes"
    );
    let (stdout, _) = source.expect(&["call", id, "admin"], 0);
    assert!(stdout.contains("admin ok for alice"), "after the step-up the admin tool works: {stdout}");
    let row = source.status();
    assert_eq!(row["state"], "connected", "the step-up is no longer pending: {row}");
    assert_eq!(row["tokens"]["account"]["sub"], "alice", "status names the signed-in account: {row}");
    assert_eq!(
        row["tokens"]["client"]["kind"], "dynamic",
        "a profile without a client id registered itself (RFC 7591): {row}"
    );
    assert!(
        row["tokens"]["client"]["client_id"].as_str().is_some_and(|c| !c.is_empty()),
        "the registered client's id is shown: {row}"
    );
    let (stdout, _) = source.expect(&["status", id], 0);
    assert!(stdout.contains("signed in as alice"), "the text status names the account: {stdout}");
    assert!(
        stdout.contains("dynamic registration (RFC 7591)"),
        "the text status says how the client is registered: {stdout}"
    );
}

/// Issue 15: a server that answers `initialize` without a token and challenges only what comes
/// after it. The first sign-in asks for the scope of that challenge, not for everything the
/// metadata's `scopes_supported` lists, and the session then works with the tokens it got.
#[tokio::test]
async fn issue_15_sign_in_asks_for_the_challenged_scope_when_initialize_needs_no_token() {
    let source =
        CliSource::connected_with("openinit", &["--open-initialize", "--challenge-scope", "mcp:read"]).await;
    assert!(
        source.count("/mcp/open_initialize").await >= 1,
        "the sign-in probe's initialize went through without a token, as this server allows"
    );
    assert_eq!(
        source.last_requested_scopes().await,
        set(&["openid", "mcp:read"]),
        "the first sign-in asks for the scope the server's challenge names (plus openid), not \
         scopes_supported (mcp:read mcp:write mcp:admin)"
    );
    let (stdout, _) = source.expect(&["tools", &source.text], 0);
    assert!(stdout.contains("whoami"), "the signed-in session lists the tools: {stdout}");
}

#[tokio::test]
async fn issue_3_step_up_is_bounded_when_the_server_never_grants_the_scope() {
    let source = CliSource::connected("stepupbound").await;
    let id = &source.text;
    source
        .fixture
        .control("consent", json!({"deny_scopes": ["mcp:admin"]}))
        .await
        .expect("the fixture takes the consent setting");

    source.expect(&["call", id, "admin"], 4);
    source.expect(&["reconnect", id], 0);
    assert!(
        source.last_requested_scopes().await.contains("mcp:admin"),
        "the first step-up sign-in asks for mcp:admin"
    );
    let (_, stderr) = source.expect(&["call", id, "admin"], 4);
    assert!(stderr.contains("lanyard reconnect"), "one more sign-in is still worth trying: {stderr}");
    source.expect(&["reconnect", id], 0);
    let (_, stderr) = source.expect(&["call", id, "admin"], 5);
    assert!(
        stderr.contains("after 2 sign-ins") && stderr.contains("administrator"),
        "past the bound Lanyard stops suggesting sign-ins and says who can help: {stderr}"
    );
    assert_eq!(
        source.count("/authorization_requests").await,
        3,
        "only connect and the two explicit reconnects signed in"
    );
    let (stdout, _) = source.expect(&["call", id, "whoami"], 0);
    assert!(stdout.contains("\"sub\":\"alice\""), "tools that need no more scope keep working: {stdout}");
}

#[tokio::test]
async fn issue_3_invalid_client_on_refresh_drops_the_registration_and_connect_registers_anew() {
    let source = CliSource::connected("invalidclient").await;
    let id = &source.text;
    let key = VaultKey::registration(&source.fixture.issuer);
    assert!(
        source.home.vault().get(&key).await.expect("the keychain answers").is_some(),
        "the dynamic registration is kept per issuer"
    );
    assert_eq!(source.count("/registrations").await, 1, "one registration so far");

    source.fixture.control("forget-clients", json!({})).await.expect("the fixture forgets its clients");
    source.fixture.control("expire-access-tokens", json!({})).await.expect("the fixture expires tokens");
    let (_, stderr) = source.expect(&["call", id, "whoami"], 4);
    assert!(
        stderr.contains("invalid_client") && stderr.contains(&format!("lanyard connect {id}")),
        "the refusal is explained with the command that fixes it: {stderr}"
    );
    assert_eq!(
        source.fixture.stats().await.unwrap()["token_results"]["refresh_token"]["errors"]["invalid_client"],
        1,
        "the refresh was refused with invalid_client"
    );
    assert!(
        source.home.vault().get(&key).await.expect("the keychain answers").is_none(),
        "the dead registration was dropped from the keychain"
    );
    let row = source.status();
    assert_eq!(row["state"], "needs_sign_in", "without a client the source needs sign-in: {row}");
    assert_eq!(row["last_refresh"]["ok"], false, "status shows the failed refresh: {row}");
    assert!(
        row["last_error"]["message"].as_str().is_some_and(|m| m.contains("invalid_client")),
        "status keeps the last error: {row}"
    );
    assert!(row["last_error"]["at"].is_u64(), "with its time: {row}");

    source.expect(&["connect", id], 0);
    assert_eq!(source.count("/registrations").await, 2, "the next sign-in registered anew");
    let (stdout, _) = source.expect(&["call", id, "whoami"], 0);
    assert!(stdout.contains("\"sub\":\"alice\""), "the new registration's tokens work: {stdout}");
    assert!(source.status()["last_error"].is_null(), "the sign-in cleared the error it fixed");
}

#[tokio::test]
async fn issue_3_six_processes_after_expiry_refresh_exactly_once() {
    let source = CliSource::connected("processes").await;
    let id = &source.text;
    source.fixture.control("expire-access-tokens", json!({})).await.expect("the fixture expires tokens");

    let children: Vec<_> = (0..6)
        .map(|_| {
            source
                .home
                .command(&["call", id, "whoami"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("lanyard starts")
        })
        .collect();
    let outputs = tokio::task::spawn_blocking(move || {
        children.into_iter().map(|child| child.wait_with_output().expect("lanyard ends")).collect::<Vec<_>>()
    })
    .await
    .expect("the waiting thread ends");
    for Output { status, stdout, stderr } in &outputs {
        let (stdout, stderr) = (String::from_utf8_lossy(stdout), String::from_utf8_lossy(stderr));
        assert_eq!(status.code(), Some(0), "every call succeeds\nstdout: {stdout}\nstderr: {stderr}");
        assert!(stdout.contains("\"sub\":\"alice\""), "every call ran as the user: {stdout}");
    }
    assert_eq!(
        source.count("/token_requests/refresh_token").await,
        1,
        "six processes after one expiry: one refresh, the others re-read the keychain under the lock"
    );
    let stats = source.fixture.stats().await.unwrap();
    assert_eq!(stats["token_results"]["refresh_token"]["error"], 0, "no refresh was refused: {stats}");
    let row = source.status();
    assert_eq!(row["last_refresh"]["ok"], true, "status shows the last refresh worked: {row}");
    let (stdout, _) = source.expect(&["status", id], 0);
    assert!(stdout.contains("last refresh ok"), "the text status shows it too: {stdout}");
}

#[tokio::test]
async fn issue_3_one_off_url_mode_signs_in_and_keeps_nothing() {
    let fixture = OAuthFixture::start(&[]).await.expect("the OAuth fixture starts");
    let home = cli_home();
    let one_off: SourceId = "one-off".parse().unwrap();
    let _cleanup = Cleanup(vec![format!("issuer:{}/registration", fixture.issuer)]);

    let Run { code, stdout, stderr } = home.run(&["tools", "--url", &fixture.mcp, "--auth", "oauth"]);
    assert_eq!(code, 0, "the one-off command signs in and lists\nstdout: {stdout}\nstderr: {stderr}");
    assert!(
        stdout.contains("whoami") && stdout.contains("admin"),
        "the protected tools are listed: {stdout}"
    );
    assert!(stderr.contains("http://127.0.0.1"), "the sign-in URL is printed: {stderr}");
    assert_eq!(fixture.count("/registrations").await.unwrap(), 1, "it registered a client for the flow");
    assert_eq!(
        fixture.count("/token_requests/authorization_code").await.unwrap(),
        1,
        "it exchanged one code"
    );

    let keychain = home.vault();
    assert!(
        keychain.get(&VaultKey::registration(&fixture.issuer)).await.unwrap().is_none(),
        "the registration was not kept in the keychain"
    );
    assert!(
        keychain.get(&VaultKey::source_tokens(&one_off)).await.unwrap().is_none(),
        "the tokens were not kept in the keychain"
    );
    assert!(!home.profile_file().exists(), "no profile was written for the one-off server");
}

#[tokio::test]
async fn issue_3_status_shows_refreshing_while_another_process_holds_the_refresh_lock() {
    let source = CliSource::connected("refreshing").await;
    let id = &source.text;
    let lock_dir = source.home.dirs().locks();
    std::fs::create_dir_all(&lock_dir).expect("the lock folder can be made");
    let lock = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_dir.join(format!("{id}.lock")))
        .expect("the lock file opens");
    lock.lock().expect("this test process takes the source's refresh lock");

    let row = source.status();
    assert_eq!(row["state"], "refreshing", "a held refresh lock reads as a refresh in flight: {row}");
    assert_eq!(row["tokens"]["issuer"], source.fixture.issuer, "the tokens are still shown: {row}");
    let (stdout, _) = source.expect(&["status", id], 0);
    assert!(stdout.contains("refreshing"), "the text status says it too: {stdout}");

    drop(lock);
    assert_eq!(source.status()["state"], "connected", "once the lock is free the source is connected again");
}

#[tokio::test]
async fn issue_3_a_refresh_that_fails_on_a_server_error_is_an_error_state_that_keeps_the_refresh_token() {
    let source = CliSource::connected("refresherror").await;
    let id = &source.text;
    source
        .fixture
        .control("token-failures", json!({"count": 1, "status": 503, "grant_type": "refresh_token"}))
        .await
        .expect("the fixture arms a refresh failure");
    source.fixture.control("expire-access-tokens", json!({})).await.expect("the fixture expires tokens");

    let Run { code, stderr, .. } = source.home.run(&["call", id, "whoami"]);
    assert_ne!(code, 0, "the call cannot succeed while the refresh fails: {stderr}");
    assert_ne!(code, 4, "a server error is not a reason to sign in again: {stderr}");

    let row = source.status();
    assert_eq!(row["state"], "error", "a failed refresh that kept the tokens is the error state: {row}");
    assert_eq!(row["tokens"]["has_refresh_token"], true, "the refresh token is kept: {row}");
    assert!(
        row["error"]["message"].as_str().is_some_and(|m| m.contains("temporarily_unavailable")),
        "the state carries the last error: {row}"
    );
    assert!(row["error"]["at"].is_u64(), "with its time: {row}");
    assert!(row["hint"].as_str().is_some_and(|h| !h.is_empty()), "and a hint: {row}");
    let (stdout, _) = source.expect(&["status", id], 0);
    assert!(stdout.contains("error, retrying in"), "the text status says it retries, and when: {stdout}");

    // Issue 6: the next attempt waits out a backoff; a use after it refreshes with the kept token.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let stdout = loop {
        let Run { code, stdout, stderr } = source.home.run(&["call", id, "whoami"]);
        if code == 0 {
            break stdout;
        }
        assert!(stderr.contains("tries again"), "a use within the backoff says when it retries: {stderr}");
        assert!(std::time::Instant::now() < deadline, "the source did not recover: {stderr}");
        std::thread::sleep(std::time::Duration::from_millis(500));
    };
    assert!(
        stdout.contains("\"sub\":\"alice\""),
        "a use after the backoff refreshes with the kept token: {stdout}"
    );
    let row = source.status();
    assert_eq!(row["state"], "connected", "a refresh that worked ends the error state: {row}");
    assert_eq!(row["last_refresh"]["ok"], true, "and is the last refresh: {row}");
}

/// Polls `lanyard status <id> --json` until `ready` accepts the row.
async fn poll_status(home: &Home, id: &str, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
    eventually(&format!("status to show {what}"), std::time::Duration::from_millis(50), || async {
        let row = home.run(&["status", id, "--json"]).ok().json()["sources"][0].clone();
        ready(&row).then_some(row)
    })
    .await
}

/// Waits for a child `lanyard` within a deadline; returns its exit code and stderr.
async fn finish(child: std::process::Child) -> (Option<i32>, String) {
    let waited = tokio::task::spawn_blocking(move || child.wait_with_output());
    let output = tokio::time::timeout(std::time::Duration::from_secs(30), waited)
        .await
        .expect("lanyard ends in time")
        .expect("the waiting thread ends")
        .expect("lanyard's output is read");
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[tokio::test]
async fn issue_3_status_shows_the_pending_sign_in_url_until_the_flow_ends() {
    let fixture = OAuthFixture::start(&[]).await.expect("the OAuth fixture starts");
    let home = cli_home();
    let id = unique_id("pending");
    let text = id.to_string();
    let _cleanup =
        Cleanup(vec![format!("source:{id}/oauth/tokens"), format!("issuer:{}/registration", fixture.issuer)]);
    let Run { code, stderr, .. } =
        home.run(&["profile", "add", &text, "--url", &fixture.mcp, "--auth", "oauth"]);
    assert_eq!(code, 0, "the profile is added: {stderr}");
    let record = home.dirs().sign_ins().join(format!("{id}.json"));
    // A browser that opens nothing, so the flow waits for the person.
    let waiting = || {
        home.command(&["connect", &text, "--timeout", "120"])
            .env("BROWSER", "true")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("lanyard connect starts")
    };
    let has_pending = |row: &Value| row["pending_sign_in"].is_object();

    // Ctrl-C ends the flow and removes its record.
    let child = waiting();
    let row = poll_status(&home, &text, "the pending sign-in", has_pending).await;
    let url = row["pending_sign_in"]["url"].as_str().expect("the pending sign-in has its URL").to_owned();
    assert!(url.starts_with(&format!("{}/auth?", fixture.issuer)), "the authorization URL: {url}");
    assert!(url.contains("state=") && url.contains("code_challenge_method=S256"), "the whole URL: {url}");
    assert!(row["pending_sign_in"]["expires_at"].is_u64(), "with the end of the wait: {row}");
    assert_eq!(row["state"], "needs_sign_in", "the state itself is unchanged: {row}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&record).expect("the record is a file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the pending sign-in is readable by its owner only");
    }
    let Run { code, stdout, .. } = home.run(&["status", &text]);
    assert_eq!(code, 0, "text status runs");
    assert!(
        stdout.contains("sign-in pending") && stdout.contains(&url),
        "the text status shows it: {stdout}"
    );
    let interrupted =
        Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill runs");
    assert!(interrupted.success(), "SIGINT is delivered");
    let (code, stderr) = finish(child).await;
    assert_ne!(code, Some(0), "an interrupted sign-in does not succeed: {stderr}");
    assert!(stderr.contains("cancelled"), "it says the sign-in was cancelled: {stderr}");
    assert!(!record.exists(), "Ctrl-C removes the pending record");

    // A process killed outright leaves its record, which status ignores.
    let mut child = waiting();
    poll_status(&home, &text, "the second pending sign-in", has_pending).await;
    child.kill().expect("the child is killed");
    finish(child).await;
    assert!(record.exists(), "a killed process cannot remove its record");
    let row = poll_status(&home, &text, "any row", |_| true).await;
    assert!(row["pending_sign_in"].is_null(), "a record whose process is gone is ignored: {row}");

    // A flow that times out removes its record.
    let timed_out = home
        .command(&["connect", &text, "--timeout", "1"])
        .env("BROWSER", "true")
        .output()
        .expect("lanyard connect runs");
    let stderr = String::from_utf8_lossy(&timed_out.stderr);
    assert!(!timed_out.status.success(), "with no answer the sign-in times out: {stderr}");
    assert!(stderr.contains("did not finish within 1 s"), "it says it timed out: {stderr}");
    assert!(!record.exists(), "a timed-out flow removes its record");
}

/// Issue 7, "Seeing what happened": `lanyard logs` tells a source's story in order, and the
/// log holds no token.
#[tokio::test]
async fn issue_7_logs_tell_the_sign_in_refresh_and_disconnect_without_a_token() {
    let source = CliSource::connected("logs").await;
    let id = &source.text;
    source.expect(&["call", id, "whoami"], 0);
    source.fixture.control("expire-access-tokens", json!({})).await.expect("the fixture expires tokens");
    source.expect(&["call", id, "whoami"], 0);
    let tokens = std::process::Command::new("secret-tool")
        .args([
            "lookup",
            "service",
            "lanyard",
            "username",
            &source.home.account(&format!("source:{id}/oauth/tokens")),
        ])
        .output()
        .expect("secret-tool runs");
    let tokens: Value = serde_json::from_slice(&tokens.stdout).expect("the tokens document is JSON");
    source.expect(&["disconnect", id], 0);

    let (stdout, _) = source.expect(&["logs", id, "--json"], 0);
    let entries: Vec<Value> = serde_json::from_str(&stdout).expect("logs --json is JSON");
    let events: Vec<&str> = entries.iter().filter_map(|e| e["event"].as_str()).collect();
    assert_eq!(
        events,
        ["signed_in", "connected", "refreshed", "connected", "disconnected"],
        "the story in order: {entries:?}"
    );
    assert_eq!(entries[4]["revoked"], true, "the disconnect revoked at the server: {entries:?}");
    let (text, _) = source.expect(&["logs", id], 0);
    assert!(text.contains("Tokens renewed"), "the text form names the events: {text}");
    assert!(!text.contains(" in "), "past events are never shown as to come: {text}");

    let log = std::fs::read_to_string(source.home.dirs().history().join(format!("{id}.jsonl")))
        .expect("the log file exists");
    for field in ["access_token", "refresh_token"] {
        let token = tokens[field].as_str().unwrap_or_else(|| panic!("{field} was stored: {tokens}"));
        assert!(!log.contains(token), "the {field} must not reach the activity log");
    }
}
