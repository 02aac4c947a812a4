//! Faults, with real processes (issue 6, "Proof under pressure"): the authorization server down
//! or slow during a refresh, `lanyard serve` killed in the middle of a refresh with rotating
//! refresh tokens, the keychain gone mid-run, clock skew and tokens without `expires_in`, a
//! laptop that sleeps past a token's expiry and wakes to many agents, and a profile file edited
//! or corrupted under a running bridge.
//!
//! Everything runs for real: the `lanyard` binary (`serve`, `status`, `connect`), the OAuth
//! fixture (oidc-provider with rotating refresh tokens and reuse detection, plus a protected MCP
//! server that checks every token by introspection), and gnome-keyring on D-Bus. Agents are plain
//! HTTP clients of `lanyard serve`. Waiting is polling with generous deadlines; no assertion is
//! about how long something took.

mod auth_server;
mod expiry;
mod keychain;
mod killed;
mod profile_file;
mod upstream;

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::{Value, json};

use crate::oauth::{Cleanup, unique_id};
use crate::support::bridge_home::bridge_token;
use crate::support::home::Home;
use crate::support::oauth_fixture::{OAuthFixture, browser_script};

/// The JSON-RPC error code of "sign-in needed" (see `src/bridge/jsonrpc.rs`).
const SIGN_IN_NEEDED: i64 = -32001;

/// An OAuth source at a fixture that keeps its store in a file (so it can be killed and started
/// again), signed in through `lanyard connect` in its own home.
struct Source {
    fixture: Option<OAuthFixture>,
    home: Home,
    id: String,
    state_dir: tempfile::TempDir,
    _cleanup: Cleanup,
}

impl Source {
    /// Starts the fixture with `flags`, applies `config` (`POST /__fixture/config`) when given,
    /// adds the source and signs in.
    async fn sign_in(tag: &str, flags: &[&str], config: Option<Value>) -> Self {
        let state_dir = tempfile::tempdir().expect("a temp dir");
        let state_file = state_dir.path().join("as-state.json").display().to_string();
        let mut all = vec!["--state-file", &state_file];
        all.extend_from_slice(flags);
        let fixture = OAuthFixture::start(&all).await.expect("the OAuth fixture starts");
        if let Some(config) = config {
            fixture.control("config", config).await.expect("the fixture takes the config");
        }
        let id = unique_id(tag).to_string();
        let cleanup = Cleanup(vec![
            format!("source:{id}/oauth/tokens"),
            format!("issuer:{}/registration", fixture.issuer),
        ]);
        let home = Home::with_browser(browser_script());
        home.add(&[&id, "--url", &fixture.mcp, "--auth", "oauth"]).await;
        let source = Self { fixture: Some(fixture), home, id, state_dir, _cleanup: cleanup };
        source.connect().await;
        source
    }

    /// `lanyard connect <id>` through the scripted browser; fails the test if it fails.
    async fn connect(&self) {
        let connected = self
            .home
            .lanyard(&["connect", &self.id])
            .stdin(Stdio::null())
            .output()
            .await
            .expect("lanyard runs");
        assert!(
            connected.status.success(),
            "`lanyard connect` signs in through the scripted browser: {}",
            String::from_utf8_lossy(&connected.stderr)
        );
    }

    fn fixture(&self) -> &OAuthFixture {
        self.fixture.as_ref().expect("the fixture is running")
    }

    /// Kills the fixture (SIGKILL): the authorization server and the MCP server are down.
    async fn kill_fixture(&mut self) -> Vec<String> {
        let fixture = self.fixture.take().expect("the fixture is running");
        let flags = fixture.restart_flags(&self.state_dir.path().join("as-state.json"));
        fixture.kill().await;
        flags
    }

    /// Starts the fixture again on the same ports with the same store.
    async fn restart_fixture(&mut self, flags: &[String]) {
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        self.fixture = Some(OAuthFixture::start(&flags).await.expect("the OAuth fixture starts again"));
    }

    /// Refresh requests that reached the token endpoint (counted on arrival).
    async fn refreshes(&self) -> u64 {
        self.fixture().count("/token_requests/refresh_token").await.expect("the fixture's stats answer")
    }

    /// This source's row of `lanyard status --json`.
    async fn status(&self) -> Value {
        status_row(&self.home, &self.id).await
    }
}

/// `id`'s row of `lanyard status <id> --json` in `home`.
async fn status_row(home: &Home, id: &str) -> Value {
    let output =
        home.lanyard(&["status", id, "--json"]).stdin(Stdio::null()).output().await.expect("lanyard runs");
    let status: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("status --json is JSON: {}", String::from_utf8_lossy(&output.stderr)));
    status["sources"][0].clone()
}

/// An agent: one MCP session with `lanyard serve` over streamable HTTP.
struct Agent {
    client: reqwest::Client,
    url: String,
    token: String,
    session: Option<String>,
}

impl Agent {
    fn new(base: &str, source: &str) -> Self {
        Self::with_token(base, source, bridge_token())
    }

    fn with_token(base: &str, source: &str, token: String) -> Self {
        Self { client: reqwest::Client::new(), url: format!("{base}/mcp/{source}"), token, session: None }
    }

    /// Posts one message; the answer to its id (from JSON or an event stream), or for anything
    /// else `{"http_status": ..., "body": ...}`.
    async fn post(&mut self, message: Value) -> Value {
        let mut request = self
            .client
            .post(&self.url)
            .bearer_auth(&self.token)
            .header("accept", "application/json, text/event-stream")
            .json(&message);
        if let Some(session) = &self.session {
            request = request.header("mcp-session-id", session);
        }
        let answer = match request.send().await {
            Ok(answer) => answer,
            Err(err) => return json!({ "transport_error": err.to_string() }),
        };
        let status = answer.status().as_u16();
        if let Some(session) = answer.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()) {
            self.session = Some(session.to_owned());
        }
        let text = answer.text().await.unwrap_or_default();
        let id = &message["id"];
        text.lines()
            .map(|line| line.strip_prefix("data:").unwrap_or(line).trim())
            .filter_map(|data| serde_json::from_str::<Value>(data).ok())
            .find(|value| !id.is_null() && &value["id"] == id)
            .unwrap_or_else(|| json!({ "http_status": status, "body": text }))
    }

    /// `initialize` plus `notifications/initialized`; the answer to `initialize`.
    async fn initialize(&mut self) -> Value {
        let init = self.post(crate::bridge::initialize(0)).await;
        if init.get("result").is_some() {
            self.post(json!({ "jsonrpc": "2.0", "method": "notifications/initialized" })).await;
        }
        init
    }

    async fn call(&mut self, n: u64, tool: &str, arguments: Value) -> Value {
        self.post(json!({
            "jsonrpc": "2.0", "id": n, "method": "tools/call",
            "params": { "name": tool, "arguments": arguments }
        }))
        .await
    }
}

/// A new agent session that calls `whoami`: the call's answer, or the first error on the way.
async fn whoami_once(base: &str, source: &str) -> Value {
    let mut agent = Agent::new(base, source);
    let init = agent.initialize().await;
    if init.get("result").is_none() {
        return init;
    }
    agent.call(1, "whoami", json!({})).await
}

/// The subject the fixture's `whoami` tool saw in the token, from a `tools/call` answer.
fn subject(answer: &Value) -> Option<String> {
    let text = answer["result"]["content"][0]["text"].as_str()?;
    let who: Value = serde_json::from_str(text).ok()?;
    who["sub"].as_str().map(str::to_owned)
}

/// The message of a JSON-RPC error answer (empty when it is not one).
fn error_message(answer: &Value) -> String {
    answer["error"]["message"].as_str().unwrap_or_default().to_owned()
}

/// Sends `signal` (`-STOP`, `-CONT`, `-KILL`) to a process this test started.
fn signal(pid: u32, signal: &str) {
    let sent =
        std::process::Command::new("kill").args([signal, &pid.to_string()]).status().expect("kill runs");
    assert!(sent.success(), "kill {signal} {pid} worked");
}

/// A `$BROWSER` that only writes down the URLs it was asked to open.
struct RecordingBrowser {
    dir: tempfile::TempDir,
}

impl RecordingBrowser {
    fn new() -> Self {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("a temp dir");
        let script = dir.path().join("browser.sh");
        let log = dir.path().join("opened.log");
        std::fs::write(&script, format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n", log.display()))
            .expect("write the browser script");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
            .expect("make it executable");
        Self { dir }
    }

    fn script(&self) -> PathBuf {
        self.dir.path().join("browser.sh")
    }

    /// What it was asked to open, one URL a line; empty when it never ran.
    fn opened(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("opened.log")).unwrap_or_default()
    }
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return found };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}
