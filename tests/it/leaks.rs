//! Issue 6, "Secrets never leak": unique secrets are planted in every kind of credential Lanyard
//! holds (static and `${VAR}`-expanded header values, stdio environment secrets, an OAuth access
//! and refresh token and a confidential client's secret from the real OAuth fixture, a
//! client-credentials secret and its service-token header, an enterprise source's identity
//! session (ID token and refresh token), its identity assertion grants (ID-JAGs) and tokens, the
//! bridge token, an agent's own
//! `Authorization` for a passthrough source), every flow is driven with debug logging, failures
//! included, and then everything a person or an agent can observe is searched for them: every
//! command's stdout and stderr, `lanyard bridge`'s and `lanyard serve`'s logs, their answers to
//! the agent, and every file under the config and data folders (taken while the hub runs and
//! while a sign-in waits, too). Only the keychain may hold them.
//!
//! Each search can fail: before it, the test checks that every secret really reached its
//! destination (the upstream saw the header, the child's environment had the value, the fixture
//! issued and accepted the token), or, where no server can witness it, that it sits in the
//! keychain.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use lanyard::ids::SourceId;
use lanyard::oauth::StoredTokens;
use lanyard::vault::Vault;
use serde_json::{Value, json};
use sha2::Digest;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};

use crate::bridge::initialize;
use crate::oauth::{Cleanup, unique_id};
use crate::support::bridge_home::bridge_token;
use crate::support::enterprise_fixture::{EnterpriseFixture, identity_session_secrets};
use crate::support::home::{Home, output_with_input};
use crate::support::oauth_fixture::{OAuthFixture, browser_script};
use crate::support::{ChildGuard, free_port, start_test_server_http, test_server_bin};

/// How long a bridge or the hub may take to answer one message.
const ANSWER_DEADLINE: Duration = Duration::from_secs(30);

/// The secrets planted so far, by what they are.
#[derive(Default)]
struct Planted(BTreeMap<String, String>);

impl Planted {
    /// Makes up a new secret for `what` and remembers it.
    fn make(&mut self, what: &str, nonce: &str) -> String {
        let value = format!("planted-{what}-{nonce}");
        self.keep(what, &value);
        value
    }

    /// Remembers a secret that somebody else made (a token the fixture issued).
    fn keep(&mut self, what: &str, value: &str) {
        assert!(value.len() >= 16, "{what} is long enough to be recognised: {value:?}");
        let previous = self.0.insert(what.to_owned(), value.to_owned());
        assert!(previous.is_none_or(|p| p == value), "{what} is planted once");
    }

    /// Remembers the tokens the keychain holds for `id` now, under `tag`.
    async fn tokens(&mut self, vault: &Vault, id: &SourceId, tag: &str) -> StoredTokens {
        let tokens =
            StoredTokens::load(vault, id).await.expect("the keychain answers").expect("tokens stored");
        self.keep(&format!("{tag} access token"), tokens.access_token.expose());
        if let Some(refresh) = &tokens.refresh_token {
            self.keep(&format!("{tag} refresh token"), refresh.expose());
        }
        tokens
    }
}

/// Everything observable, collected as the test goes.
#[derive(Default)]
struct Observed {
    /// Output, logs and answers, each with where it came from.
    texts: Vec<(String, String)>,
}

impl Observed {
    fn add(&mut self, origin: impl Into<String>, text: impl Into<String>) {
        self.texts.push((origin.into(), text.into()));
    }

    /// Every file under `dir`, as it is now.
    fn files(&mut self, dir: &Path, when: &str) {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() { walk(&path, out) } else { out.push(path) }
            }
        }
        let mut found = Vec::new();
        walk(dir, &mut found);
        for file in found {
            let bytes = std::fs::read(&file).unwrap_or_default();
            self.add(format!("{} ({when})", file.display()), String::from_utf8_lossy(&bytes));
        }
    }

    /// Fails the test when any planted secret, or the form it takes in a Basic header, shows.
    #[track_caller]
    fn assert_clean(&self, planted: &Planted, basic: &[(String, String)]) {
        let mut needles: Vec<(String, String)> =
            planted.0.iter().map(|(what, value)| (what.clone(), value.clone())).collect();
        for (client_id, secret) in basic {
            let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{client_id}:{secret}"));
            needles.push((format!("Basic credentials of {client_id}"), encoded));
        }
        for (origin, text) in &self.texts {
            for (what, value) in &needles {
                assert!(!text.contains(value.as_str()), "the {what} leaked into {origin}:\n{text}");
            }
        }
    }
}

/// An HTTP upstream in front of `lanyard-test-server http` that remembers every request header
/// it saw. `/deny/...` always answers 401, `/badmeta/mcp` asks for OAuth with protected resource
/// metadata that is not JSON; everything else is forwarded to the test server.
struct Recorder {
    base: String,
    seen: Arc<Mutex<Vec<String>>>,
    _server: ChildGuard,
}

impl Recorder {
    async fn start() -> Self {
        let (server, upstream) = start_test_server_http().await.expect("lanyard-test-server http starts");
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let http = reqwest::Client::new();
        let base_cell: Arc<Mutex<String>> = Arc::default();
        let (record, cell) = (Arc::clone(&seen), Arc::clone(&base_cell));
        let router = axum::Router::new().fallback(move |request: Request<Body>| {
            let (record, http, upstream) = (Arc::clone(&record), http.clone(), upstream.clone());
            let base = cell.lock().unwrap().clone();
            async move { recorded_answer(request, &record, &http, &upstream, &base).await }
        });
        let addr = crate::support::serve(router).await.expect("the recorder listens");
        let base = format!("http://{addr}");
        *base_cell.lock().unwrap() = base.clone();
        Self { base, seen, _server: server }
    }

    /// Whether any request carried `value` in any header.
    fn saw(&self, value: &str) -> bool {
        self.seen.lock().unwrap().iter().any(|line| line.contains(value))
    }
}

async fn recorded_answer(
    request: Request<Body>,
    seen: &Mutex<Vec<String>>,
    http: &reqwest::Client,
    upstream: &str,
    base: &str,
) -> Response {
    let (parts, body) = request.into_parts();
    seen.lock().unwrap().extend(
        parts
            .headers
            .iter()
            .map(|(name, value)| format!("{name}: {}", String::from_utf8_lossy(value.as_bytes()))),
    );
    let path = parts.uri.path();
    if path.starts_with("/deny/") {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
            "no",
        )
            .into_response();
    }
    if path == "/badmeta/mcp" {
        let challenge = format!("Bearer resource_metadata=\"{base}/badmeta/prm\"");
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, challenge)], "").into_response();
    }
    if path == "/badmeta/prm" {
        return (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], "{ not json").into_response();
    }
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let mut headers = parts.headers.clone();
    headers.remove(header::HOST);
    headers.remove(header::CONTENT_LENGTH);
    let sent = http.request(parts.method.clone(), upstream).headers(headers).body(bytes).send().await;
    let Ok(answer) = sent else { return StatusCode::BAD_GATEWAY.into_response() };
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        if name != header::CONTENT_LENGTH && name != header::TRANSFER_ENCODING {
            response = response.header(name, value);
        }
    }
    response
        .body(Body::from_stream(answer.bytes_stream()))
        .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
}

/// A Lanyard home whose every command runs with debug logging and the planted variables, and
/// whose output lands in [`Observed`].
struct Cli {
    home: Home,
    env: Vec<(String, String)>,
    observed: Observed,
}

impl Cli {
    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = self.home.lanyard(args);
        command.env("LANYARD_LOG", "debug").envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        command
    }

    /// Runs `lanyard <args>` with `stdin`; returns exit code, stdout and stderr.
    async fn run(&mut self, args: &[&str], stdin: &str) -> (i32, String, String) {
        let output = output_with_input(&mut self.command(args), stdin).await;
        let (stdout, stderr) = (
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        );
        let name = format!("`lanyard {}`", args.join(" "));
        self.observed.add(format!("the stdout of {name}"), stdout.clone());
        self.observed.add(format!("the stderr of {name}"), stderr.clone());
        (output.status.code().unwrap_or(-1), stdout, stderr)
    }

    /// Runs `lanyard <args>` and checks its exit code; returns stdout and stderr.
    async fn expect(&mut self, args: &[&str], stdin: &str, want: i32) -> (String, String) {
        let (code, stdout, stderr) = self.run(args, stdin).await;
        assert_eq!(code, want, "`lanyard {}`\nstdout: {stdout}\nstderr: {stderr}", args.join(" "));
        (stdout, stderr)
    }

    /// Runs `lanyard <args>`, which must fail; returns its stderr.
    async fn fails(&mut self, args: &[&str]) -> String {
        let (code, stdout, stderr) = self.run(args, "").await;
        assert_ne!(code, 0, "`lanyard {}` should fail\nstdout: {stdout}\nstderr: {stderr}", args.join(" "));
        stderr
    }

    fn dir(&self) -> PathBuf {
        self.home.path().to_owned()
    }
}

/// `lanyard bridge <id>` as a stdio agent sees it, its debug log in a file.
struct StdioAgent {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    log: PathBuf,
    name: String,
}

impl StdioAgent {
    fn start(cli: &Cli, id: &str, log: PathBuf) -> Self {
        let file = std::fs::File::create(&log).expect("create the bridge's log");
        let mut child = cli
            .command(&["bridge", id])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(file)
            .spawn()
            .expect("lanyard bridge starts");
        let stdin = child.stdin.take().expect("stdin is piped");
        let lines = BufReader::new(child.stdout.take().expect("stdout is piped")).lines();
        Self { child, stdin, lines, log, name: format!("`lanyard bridge {id}`") }
    }

    /// Sends `message` and returns the answer to its id; every line read is observed.
    async fn ask(&mut self, message: Value, observed: &mut Observed) -> Value {
        self.stdin.write_all(format!("{message}\n").as_bytes()).await.expect("write to the bridge");
        self.stdin.flush().await.expect("flush");
        loop {
            let line = tokio::time::timeout(ANSWER_DEADLINE, self.lines.next_line())
                .await
                .expect("the bridge answers in time")
                .expect("read the bridge")
                .expect("the bridge's stdout stays open");
            observed.add(format!("an answer of {}", self.name), line.clone());
            let answer: Value = serde_json::from_str(&line).expect("the bridge writes JSON-RPC lines");
            if answer.get("id") == message.get("id") && answer.get("method").is_none() {
                return answer;
            }
        }
    }

    async fn notify_initialized(&mut self) {
        let line = format!("{}\n", json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }));
        self.stdin.write_all(line.as_bytes()).await.expect("write to the bridge");
    }

    /// Stops the bridge and observes its log.
    async fn finish(mut self, observed: &mut Observed) {
        drop(self.stdin);
        let _ = tokio::time::timeout(ANSWER_DEADLINE, self.child.wait()).await;
        let _ = self.child.start_kill();
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        observed.add(format!("the log of {}", self.name), log);
    }
}

/// `lanyard serve` with its debug log in a file, and an HTTP agent for it.
struct Hub {
    _guard: ChildGuard,
    base: String,
    http: reqwest::Client,
}

impl Hub {
    async fn start(cli: &Cli, log: PathBuf) -> Self {
        let file = std::fs::File::create(&log).expect("create the hub's log");
        let mut child = cli
            .command(&["serve", "--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(file)
            .spawn()
            .expect("lanyard serve starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let guard = ChildGuard::new(child);
        let mut line = String::new();
        tokio::time::timeout(ANSWER_DEADLINE, BufReader::new(stdout).read_line(&mut line))
            .await
            .expect("lanyard serve prints its address in time")
            .expect("read the address line");
        let base = line.trim().strip_prefix("listening on ").expect("an address line").to_owned();
        Self { _guard: guard, base, http: reqwest::Client::new() }
    }

    /// Posts `message` to `path` with `headers`; returns the HTTP status, the session id it
    /// answered with, and the answer to the message's id (or `Value::Null`). Observes the body.
    async fn post(
        &self,
        path: &str,
        headers: &[(&str, String)],
        session: Option<&str>,
        message: Value,
        observed: &mut Observed,
    ) -> (u16, Option<String>, Value) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("accept", "application/json, text/event-stream")
            .json(&message);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        if let Some(session) = session {
            request = request.header("mcp-session-id", session);
        }
        let response = request.send().await.expect("the hub answers");
        let status = response.status().as_u16();
        let session =
            response.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let text = response.text().await.unwrap_or_default();
        observed.add(format!("the hub's answer on {path}"), text.clone());
        let answer = text
            .lines()
            .map(|line| line.strip_prefix("data:").unwrap_or(line).trim())
            .filter_map(|data| serde_json::from_str::<Value>(data).ok())
            .find(|value| value.get("id") == message.get("id"))
            .unwrap_or(Value::Null);
        (status, session, answer)
    }

    /// Initializes a session on `path` and returns its id (when the upstream made one).
    async fn session(
        &self,
        path: &str,
        headers: &[(&str, String)],
        observed: &mut Observed,
    ) -> Option<String> {
        let (status, session, answer) = self.post(path, headers, None, initialize(0), observed).await;
        assert_eq!(status, 200, "the hub admits the agent on {path}: {answer}");
        assert!(answer.get("result").is_some(), "initialize through {path} works: {answer}");
        let notified = json!({ "jsonrpc": "2.0", "method": "notifications/initialized" });
        self.post(path, headers, session.as_deref(), notified, observed).await;
        session
    }
}

fn call(id: u64, tool: &str, arguments: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call", "params": { "name": tool, "arguments": arguments } })
}

fn sha256_hex(text: &str) -> String {
    sha2::Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether the keychain holds `value` under `source:<id>/<name>`.
fn in_keychain(account: &str, value: &str) -> bool {
    let output = std::process::Command::new("secret-tool")
        .args(["lookup", "service", "lanyard", "username", account])
        .output()
        .expect("secret-tool runs");
    String::from_utf8_lossy(&output.stdout) == value
}

#[tokio::test]
async fn issue_6_planted_secrets_never_leak_from_any_flow() {
    let nonce = unique_id("lk").to_string();
    let ids = |tag: &str| format!("{tag}-{nonce}");
    let (hdr, local, signin, service, pass, denied, dead, badmeta) = (
        ids("hdr"),
        ids("local"),
        ids("signin"),
        ids("service"),
        ids("pass"),
        ids("denied"),
        ids("dead"),
        ids("badmeta"),
    );
    let signin_id: SourceId = signin.parse().unwrap();
    let service_id: SourceId = service.parse().unwrap();
    let fixture = OAuthFixture::start(&[]).await.expect("the OAuth fixture starts");
    let _cleanup = Cleanup(vec![
        format!("source:{signin}/oauth/tokens"),
        format!("source:{service}/oauth/tokens"),
        format!("issuer:{}/registration", fixture.issuer),
    ]);
    let recorder = Recorder::start().await;
    let scratch = tempfile::tempdir().expect("a temp dir");
    let mut planted = Planted::default();

    let header_v1 = planted.make("header secret", &nonce);
    let header_v2 = planted.make("edited header secret", &nonce);
    let expanded = planted.make("expanded header variable", &nonce);
    let header_env = planted.make("header secret from the environment", &nonce);
    let env_secret = planted.make("stdio env secret", &nonce);
    let env_secret_env = planted.make("stdio env secret from the environment", &nonce);
    let denied_secret = planted.make("refused header secret", &nonce);
    let dead_secret = planted.make("unreachable server's header secret", &nonce);
    let badmeta_secret = planted.make("bad metadata client secret", &nonce);
    let service_token = planted.make("service token", &nonce);
    let agent_own = planted.make("agent's own Authorization", &nonce);
    let wrong_token = planted.make("wrong bridge token", &nonce);
    let token = bridge_token();
    planted.keep("bridge token", &token);
    let port = free_port().unwrap().to_string();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let client = fixture
        .control(
            "clients",
            json!({ "redirect_uris": [redirect], "token_endpoint_auth_method": "client_secret_basic" }),
        )
        .await
        .expect("the fixture pre-registers a confidential client");
    let client_id = client["client_id"].as_str().expect("a client id").to_owned();
    let client_secret = client["client_secret"].as_str().expect("a confidential client's secret").to_owned();
    planted.keep("OAuth client secret", &client_secret);
    planted.keep("client-credentials secret", &fixture.cc_client_secret);
    let basic = vec![
        (client_id.clone(), client_secret.clone()),
        (fixture.cc_client_id.clone(), fixture.cc_client_secret.clone()),
    ];

    let mut cli = Cli {
        home: Home::with_browser(browser_script()),
        env: vec![
            ("LEAK_TEAM".into(), expanded.clone()),
            ("LEAK_HEADER".into(), header_env.clone()),
            ("LEAK_SESSION".into(), env_secret_env.clone()),
            ("LEAK_CLIENT_SECRET".into(), client_secret.clone()),
            ("LEAK_CC_SECRET".into(), fixture.cc_client_secret.clone()),
            ("LEAK_SERVICE".into(), service_token.clone()),
            ("LEAK_BADMETA".into(), badmeta_secret.clone()),
        ],
        observed: Observed::default(),
    };
    let mcp = format!("{}/mcp", recorder.base);
    let seen_env = scratch.path().join("seen-env");
    let seen_env_text = seen_env.display().to_string();
    let server = test_server_bin().display().to_string();

    // ---- profile add, in every form that takes a secret ----
    cli.expect(
        &[
            "profile",
            "add",
            &hdr,
            "--url",
            &mcp,
            "--header-secret",
            "X-Api-Key",
            "--header",
            "X-Team: ${LEAK_TEAM}",
            "--header-secret-env",
            "X-Extra=LEAK_HEADER",
        ],
        &format!("{header_v1}\n"),
        0,
    )
    .await;
    cli.expect(
        &[
            "profile",
            "add",
            &local,
            "--env-secret",
            "API_KEY",
            "--env-secret-env",
            "SESSION_KEY=LEAK_SESSION",
            "--",
            "sh",
            "-c",
            "printf '%s:%s' \"$API_KEY\" \"$SESSION_KEY\" | sha256sum > \"$0\"; exec \"$1\" stdio",
            &seen_env_text,
            &server,
        ],
        &format!("{env_secret}\n"),
        0,
    )
    .await;
    cli.expect(
        &[
            "profile",
            "add",
            &signin,
            "--url",
            &fixture.mcp,
            "--auth",
            "oauth",
            "--client-id",
            &client_id,
            "--client-secret-env",
            "LEAK_CLIENT_SECRET",
            "--redirect-port",
            &port,
        ],
        "",
        0,
    )
    .await;
    cli.expect(
        &[
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
            "LEAK_CC_SECRET",
            "--scope",
            "mcp:read",
            "--service-token-header",
            "X-Service-Token",
            "--service-token-env",
            "LEAK_SERVICE",
        ],
        "",
        0,
    )
    .await;
    cli.expect(&["profile", "add", &pass, "--url", &mcp, "--auth", "passthrough"], "", 0).await;
    let deny_url = format!("{}/deny/mcp", recorder.base);
    cli.expect(
        &["profile", "add", &denied, "--url", &deny_url, "--header-secret", "X-Api-Key"],
        &format!("{denied_secret}\n"),
        0,
    )
    .await;
    let dead_url = format!("http://127.0.0.1:{}/mcp", free_port().unwrap());
    cli.expect(
        &["profile", "add", &dead, "--url", &dead_url, "--header-secret", "X-Api-Key"],
        &format!("{dead_secret}\n"),
        0,
    )
    .await;
    let badmeta_url = format!("{}/badmeta/mcp", recorder.base);
    cli.expect(
        &[
            "profile",
            "add",
            &badmeta,
            "--url",
            &badmeta_url,
            "--auth",
            "oauth",
            "--client-id",
            "bad-client",
            "--client-secret-env",
            "LEAK_BADMETA",
        ],
        "",
        0,
    )
    .await;

    // ---- reading profiles and status, before anything connected ----
    let all = [&hdr, &local, &signin, &service, &pass, &denied, &dead, &badmeta];
    for args in
        [vec!["profile", "list"], vec!["profile", "list", "--json"], vec!["status"], vec!["status", "--json"]]
    {
        cli.expect(&args, "", 0).await;
    }
    for id in all {
        cli.expect(&["profile", "show", id], "", 0).await;
        cli.expect(&["profile", "show", id, "--json"], "", 0).await;
    }

    // ---- tools and calls: each secret reaches its destination ----
    cli.expect(&["tools", &hdr], "", 0).await;
    cli.expect(&["tools", &hdr, "--json"], "", 0).await;
    let (stdout, _) = cli.expect(&["call", &hdr, "echo", "--args", r#"{"message":"via hdr"}"#], "", 0).await;
    assert!(stdout.contains("via hdr"), "the header source answers: {stdout}");
    for (what, value) in
        [("header secret", &header_v1), ("expanded variable", &expanded), ("env header secret", &header_env)]
    {
        assert!(recorder.saw(value), "the upstream saw the {what}, so the search for it can fail");
    }
    let (stdout, _) =
        cli.expect(&["call", &local, "echo", "--args", r#"{"message":"via local"}"#, "--json"], "", 0).await;
    assert!(stdout.contains("via local"), "the stdio source answers: {stdout}");
    let seen = std::fs::read_to_string(&seen_env).expect("the stdio server wrote what it was given");
    assert!(
        seen.starts_with(&sha256_hex(&format!("{env_secret}:{env_secret_env}"))),
        "the stdio server's environment held both planted secrets: {seen}"
    );
    cli.expect(&["tools", &local, "--json"], "", 0).await;

    // ---- profile edit: a new header secret replaces the old ----
    cli.expect(&["profile", "edit", &hdr, "--header-secret", "X-Api-Key"], &format!("{header_v2}\n"), 0)
        .await;
    cli.expect(&["profile", "edit", &hdr, "--name", "Edited header source"], "", 0).await;
    cli.expect(&["call", &hdr, "echo", "--args", r#"{"message":"edited"}"#], "", 0).await;
    assert!(recorder.saw(&header_v2), "the upstream saw the edited header secret");
    cli.expect(&["profile", "show", &hdr, "--json"], "", 0).await;

    // ---- OAuth: sign-in, call, refresh, disconnect, sign-in again ----
    let (stdout, _) = cli.expect(&["connect", &signin], "", 0).await;
    assert!(stdout.contains("is connected"), "the sign-in works: {stdout}");
    let (stdout, _) = cli.expect(&["call", &signin, "whoami"], "", 0).await;
    assert!(stdout.contains("\"sub\":\"alice\""), "the access token reached the server: {stdout}");
    planted.tokens(&cli.home.vault(), &signin_id, "first").await;
    cli.expect(&["status", &signin], "", 0).await;
    cli.expect(&["status", &signin, "--json"], "", 0).await;
    fixture.control("expire-access-tokens", json!({})).await.expect("the fixture expires tokens");
    cli.expect(&["call", &signin, "whoami", "--json"], "", 0).await;
    let stats = fixture.stats().await.expect("the fixture's stats");
    assert_eq!(
        stats["token_results"]["refresh_token"]["ok"], 1,
        "the refresh token and the client secret were accepted: {stats}"
    );
    planted.tokens(&cli.home.vault(), &signin_id, "refreshed").await;
    let (stdout, _) = cli.expect(&["disconnect", &signin], "", 0).await;
    assert!(stdout.contains("revoked"), "disconnect revokes: {stdout}");
    cli.fails(&["call", &signin, "whoami"]).await;
    cli.expect(&["connect", &signin], "", 0).await;
    cli.expect(&["call", &signin, "whoami"], "", 0).await;
    planted.tokens(&cli.home.vault(), &signin_id, "second sign-in").await;

    // ---- client credentials with a service token ----
    let (stdout, _) = cli.expect(&["call", &service, "whoami"], "", 0).await;
    assert!(
        stdout.contains(&fixture.cc_client_id),
        "the client-credentials token reached the server: {stdout}"
    );
    planted.tokens(&cli.home.vault(), &service_id, "client-credentials").await;
    cli.expect(&["connect", &service], "", 0).await;
    cli.expect(&["call", &service, "whoami", "--json"], "", 0).await;
    planted.tokens(&cli.home.vault(), &service_id, "renewed client-credentials").await;
    let stats = fixture.stats().await.expect("the fixture's stats");
    assert_eq!(
        stats["mcp"]["service_token_sha256"],
        sha256_hex(&service_token).as_str(),
        "the server saw the planted service token: {stats}"
    );

    // ---- enterprise: one sign-in at the identity provider, identity assertion grants, sign-out ----
    let (_enterprise_server, enterprise_upstream) =
        start_test_server_http().await.expect("the enterprise site's MCP server starts");
    let enterprise = EnterpriseFixture::start(&fixture.issuer, &[&enterprise_upstream])
        .await
        .expect("the enterprise fixture starts");
    let (ent, idp_client) = (ids("ent"), enterprise.text("/idp_client_id"));
    let ent_id: SourceId = ent.parse().unwrap();
    let _enterprise_cleanup = Cleanup(vec![
        format!("source:{ent}/oauth/tokens"),
        format!("source:{ent}/oauth/client-secret"),
        format!("idp:{}#{idp_client}", fixture.issuer),
    ]);
    let ent_secret = enterprise.text("/client_secret");
    planted.keep("enterprise client secret", &ent_secret);
    cli.env.push(("LEAK_ENT_SECRET".into(), ent_secret));
    let (mcp, token_endpoint) = (enterprise.text("/sites/0/mcp"), enterprise.text("/token_endpoint"));
    let client = enterprise.text("/client_id");
    let add = [
        "profile",
        "add",
        &ent,
        "--url",
        &mcp,
        "--auth",
        "enterprise",
        "--idp-issuer",
        &fixture.issuer,
        "--idp-client-id",
        &idp_client,
        "--idp-token-endpoint",
        &token_endpoint,
        "--client-id",
        &client,
        "--client-secret-env",
        "LEAK_ENT_SECRET",
    ];
    cli.expect(&add, "", 0).await;
    cli.expect(&["connect", &ent], "", 0).await;
    let (stdout, _) =
        cli.expect(&["call", &ent, "echo", "--args", r#"{"message":"enterprise"}"#], "", 0).await;
    assert!(stdout.contains("enterprise"), "the enterprise token reached the server: {stdout}");
    cli.expect(&["status", &ent, "--json"], "", 0).await;
    cli.expect(&["status", &ent], "", 0).await;
    planted.tokens(&cli.home.vault(), &ent_id, "enterprise").await;
    for (what, value) in identity_session_secrets(&cli.home.vault(), &fixture.issuer, &idp_client).await {
        planted.keep(&what, &value);
    }
    cli.expect(&["disconnect", &ent], "", 0).await;
    cli.expect(&["tools", &ent, "--json"], "", 0).await;
    planted.tokens(&cli.home.vault(), &ent_id, "enterprise renewed").await;
    let grants = enterprise.issued_grants().await;
    assert_eq!(grants.len(), 2, "two identity assertion grants were issued");
    for (what, value) in grants {
        planted.keep(&what, &value);
    }
    cli.expect(&["disconnect", "--idp", &fixture.issuer], "", 0).await;
    cli.fails(&["tools", &ent]).await;

    // ---- failures: a refusing server, a dead one, bad metadata ----
    cli.fails(&["call", &denied, "echo", "--args", "{}"]).await;
    cli.fails(&["tools", &denied, "--json"]).await;
    assert!(recorder.saw(&denied_secret), "the refusing server saw its header secret");
    cli.fails(&["tools", &dead]).await;
    cli.fails(&["call", &dead, "echo", "--json"]).await;
    cli.fails(&["connect", &badmeta]).await;
    cli.fails(&["tools", &badmeta]).await;
    cli.run(&["call", &pass, "echo", "--args", "{}"], "").await;
    for (account, value) in [
        (cli.home.account(&format!("source:{dead}/header/X-Api-Key")), &dead_secret),
        (cli.home.account(&format!("source:{badmeta}/oauth/client-secret")), &badmeta_secret),
    ] {
        assert!(
            in_keychain(&account, value),
            "{account} holds its planted secret, which no server can witness"
        );
    }

    // ---- `lanyard bridge` (no hub yet) answering a stdio agent ----
    let mut agents = Vec::new();
    for id in [&signin, &hdr, &local, &denied, &dead] {
        let log = scratch.path().join(format!("bridge-{id}.log"));
        let mut agent = StdioAgent::start(&cli, id, log);
        let init = agent.ask(initialize(0), &mut cli.observed).await;
        if init.get("result").is_some() {
            agent.notify_initialized().await;
            agent.ask(json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" }), &mut cli.observed).await;
            let tool = if *id == signin { "whoami" } else { "echo" };
            agent.ask(call(2, tool, json!({ "message": "bridged" })), &mut cli.observed).await;
            let missing = agent.ask(call(3, "no-such-tool", json!({})), &mut cli.observed).await;
            assert!(
                missing.get("error").is_some() || missing["result"]["isError"] == true,
                "an unknown tool is an error: {missing}"
            );
        } else {
            assert!(init.get("error").is_some(), "{id} answers with a JSON-RPC error: {init}");
        }
        agents.push(agent);
    }
    for agent in agents {
        agent.finish(&mut cli.observed).await;
    }

    // ---- `lanyard serve` answering HTTP agents ----
    let hub = Hub::start(&cli, scratch.path().join("serve.log")).await;
    let bearer = vec![("authorization", format!("Bearer {token}"))];
    for (id, tool) in [(&hdr, "echo"), (&local, "echo"), (&signin, "whoami"), (&service, "whoami")] {
        let path = format!("/mcp/{id}");
        let session = hub.session(&path, &bearer, &mut cli.observed).await;
        let (_, _, answer) = hub
            .post(
                &path,
                &bearer,
                session.as_deref(),
                call(1, tool, json!({ "message": "served" })),
                &mut cli.observed,
            )
            .await;
        assert!(answer.get("result").is_some(), "{tool} on {id} works through the hub: {answer}");
    }
    let pass_headers =
        vec![("lanyard-bridge-token", token.clone()), ("authorization", format!("Bearer {agent_own}"))];
    hub.session(&format!("/mcp/{pass}"), &pass_headers, &mut cli.observed).await;
    assert!(recorder.saw(&agent_own), "the passthrough source got the agent's own Authorization");
    for id in [&denied, &dead, &badmeta] {
        let (_, _, answer) =
            hub.post(&format!("/mcp/{id}"), &bearer, None, initialize(0), &mut cli.observed).await;
        assert!(answer.get("error").is_some(), "a failing source answers with a JSON-RPC error: {answer}");
    }
    let merged = hub.session("/mcp", &bearer, &mut cli.observed).await;
    hub.post(
        "/mcp",
        &bearer,
        merged.as_deref(),
        json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" }),
        &mut cli.observed,
    )
    .await;
    let wrong = vec![("authorization", format!("Bearer {wrong_token}"))];
    let (status, _, _) =
        hub.post(&format!("/mcp/{hdr}"), &wrong, None, initialize(0), &mut cli.observed).await;
    assert_eq!(status, 401, "a wrong bridge token is refused");
    let mut through_hub = StdioAgent::start(&cli, &signin, scratch.path().join("bridge-through-hub.log"));
    let init = through_hub.ask(initialize(0), &mut cli.observed).await;
    assert!(init.get("result").is_some(), "a bridge through the hub initializes: {init}");
    through_hub.notify_initialized().await;
    through_hub.ask(call(1, "whoami", json!({})), &mut cli.observed).await;
    through_hub.finish(&mut cli.observed).await;
    let home_dir = cli.dir();
    assert!(home_dir.join("data/hub.json").is_file(), "the hub announced itself");
    cli.observed.files(&home_dir, "while the hub runs");
    cli.expect(&["status", "--json"], "", 0).await;

    // More scope asked for, then the sign-in lost at the server: the hub and the CLI say so.
    cli.fails(&["call", &signin, "admin"]).await;
    let path = format!("/mcp/{signin}");
    let session = hub.session(&path, &bearer, &mut cli.observed).await;
    fixture.control("revoke-all", json!({})).await.expect("the fixture revokes");
    fixture.control("expire-access-tokens", json!({})).await.expect("the fixture expires tokens");
    let (_, _, lost) =
        hub.post(&path, &bearer, session.as_deref(), call(1, "whoami", json!({})), &mut cli.observed).await;
    assert!(lost.get("error").is_some(), "a lost sign-in is a JSON-RPC error: {lost}");
    drop(hub);
    let log = std::fs::read_to_string(scratch.path().join("serve.log")).unwrap_or_default();
    assert!(log.contains("DEBUG"), "the hub logged at debug level, so its log is worth searching");
    cli.observed.add("the log of `lanyard serve`", log);
    cli.expect(&["call", &signin, "whoami"], "", 4).await;

    // ---- a sign-in that waits for the browser ----
    let hold = scratch.path().join("hold");
    std::fs::write(&hold, "").unwrap();
    cli.env.push(("LANYARD_TEST_BROWSER_HOLD".into(), hold.display().to_string()));
    let waiting = cli
        .command(&["connect", &signin, "--timeout", "5"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("connect starts");
    let pending = home_dir.join(format!("data/sign-ins/{signin}.json"));
    let deadline = tokio::time::Instant::now() + ANSWER_DEADLINE;
    while !pending.is_file() {
        assert!(tokio::time::Instant::now() < deadline, "the pending sign-in is written");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cli.observed.files(&home_dir, "while a sign-in waits");
    cli.expect(&["status", &signin, "--json"], "", 0).await;
    let output = waiting.wait_with_output().await.expect("connect ends");
    cli.observed.add("the stdout of the waiting connect", String::from_utf8_lossy(&output.stdout));
    cli.observed.add("the stderr of the waiting connect", String::from_utf8_lossy(&output.stderr));
    cli.env.pop();

    // ---- what a person reads when something is wrong ----
    let fake_home = scratch.path().join("home");
    std::fs::create_dir_all(&fake_home).unwrap();
    cli.env.push(("HOME".into(), fake_home.display().to_string()));
    cli.run(&["doctor"], "").await;
    cli.run(&["doctor", "--json"], "").await;
    cli.expect(&["diagnostics"], "", 0).await;
    cli.env.pop();
    for id in all {
        cli.expect(&["logs", id], "", 0).await;
        cli.expect(&["logs", id, "--json"], "", 0).await;
    }
    let debug_lines = cli.observed.texts.iter().filter(|(_, text)| text.contains("DEBUG")).count();
    assert!(debug_lines > 0, "debug logging was on, so the logs searched are the fullest there are");

    // ---- the search ----
    cli.observed.files(&home_dir, "at the end");
    cli.observed.assert_clean(&planted, &basic);
    for id in all {
        cli.expect(&["profile", "rm", id], "", 0).await;
    }
}

/// Issue 20: the call log records who called what and how it ended, never what was sent or
/// answered. An agent's calls (allowed, refused, failing) carry planted text in their arguments
/// and results, through `lanyard serve` and a stdio bridge of its own; then the call log, every
/// file under the config and data folders, the hub's log and every `lanyard logs` output are
/// searched for that text and for the agent's key.
#[tokio::test]
async fn issue_20_the_call_log_holds_no_arguments_results_or_keys() {
    let home = Home::own_install();
    let nonce = crate::oauth::unique_id("n").to_string();
    let mut planted = Planted::default();
    let argument = planted.make("call argument", &nonce);
    let refused_argument = planted.make("argument of a refused call", &nonce);
    let failing_argument = planted.make("argument of a failing call", &nonce);
    let (_server, url) = start_test_server_http().await.expect("lanyard-test-server starts");
    let run = |args: &[&str]| home.run(args).ok();
    run(&["profile", "add", "lk", "--url", &url]);
    run(&["agent", "add", "leaky", "--source", "lk", "--tool", "lk:echo", "--tool", "lk:fail"]);
    let key = run(&["agent", "token", "leaky"]).stdout.trim().to_owned();
    planted.keep("agent key", &key);
    let serve_log = home.path().join("serve.log");
    let (_serve, base) = crate::support::bridge_home::start_serve_logged(&home, &serve_log)
        .await
        .expect("lanyard serve starts");
    let calls = json!([
        { "tool": "echo", "arguments": { "message": argument } },
        { "tool": "add", "arguments": { "a": 1, "b": 2, "note": refused_argument } },
        { "tool": "fail", "arguments": { "note": failing_argument } },
    ]);
    let connects = [
        json!({ "http": { "url": format!("{base}/mcp/lk"), "token": key } }),
        json!({ "stdio": { "command": crate::support::home::lanyard_bin(), "args": ["bridge", "lk", "--agent", "leaky", "--no-hub"] } }),
    ];
    for connect in connects {
        let mut plan = json!({ "calls": calls });
        plan.as_object_mut().unwrap().extend(connect.as_object().unwrap().clone());
        let report =
            crate::support::bridge_home::run_agent_with(&home, &plan, &[("LANYARD_AGENT_TOKEN", &key)])
                .await
                .expect("the agent runs");
        assert_eq!(report["calls"][0]["text"], argument, "the planted text went and came back: {report}");
    }
    // Each secret must have reached the log's neighbourhood before the search means anything.
    let entries = crate::support::eventually("six calls in the call log", Duration::from_millis(200), || {
        let out = home.run(&["logs", "--agent", "leaky", "--json"]).ok().stdout;
        let entries: Vec<Value> = serde_json::from_str(&out).expect("JSON");
        async move { (entries.len() >= 6).then_some(entries) }
    })
    .await;
    let outcomes: Vec<(&str, &str)> =
        entries.iter().map(|e| (e["name"].as_str().unwrap(), e["outcome"].as_str().unwrap())).collect();
    let want = [("echo", "ok"), ("add", "refused"), ("fail", "upstream_error")];
    assert_eq!(outcomes, [want, want].concat(), "one entry per call, each with its outcome");
    assert!(entries.iter().all(|e| e["agent"] == "leaky" && e["source"] == "lk"), "{entries:?}");

    let mut observed = Observed::default();
    for args in [
        &["logs", "--agent", "leaky"][..],
        &["logs", "--agent", "leaky", "--json"],
        &["logs", "lk"],
        &["logs", "lk", "--json"],
    ] {
        let run = home.run(args).ok();
        observed.add(format!("`lanyard {}` stdout", args.join(" ")), run.stdout);
        observed.add(format!("`lanyard {}` stderr", args.join(" ")), run.stderr);
    }
    observed.add("the hub's log", std::fs::read_to_string(&serve_log).unwrap_or_default());
    observed.files(&home.config_dir(), "after the calls");
    observed.files(home.dirs().data(), "after the calls");
    assert!(
        observed.texts.iter().any(|(origin, _)| origin.contains("calls.jsonl")),
        "the call log is among the files searched"
    );
    observed.assert_clean(&planted, &[]);
}
