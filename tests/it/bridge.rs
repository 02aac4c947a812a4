//! The local bridge end to end (issue 4): the TypeScript SDK client as the agent, reaching
//! server-everything and `lanyard-test-server` through `lanyard bridge` (stdio) and
//! `lanyard serve` (streamable HTTP), in all four transport pairings and from both kinds of agent
//! to a legacy SSE upstream; the door of the HTTP
//! bridge; and an upstream that dies in the middle of a call.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};

use crate::support::bridge_home::{CountingUpstream, bridge_token, run_agent, start_serve};
use crate::support::home::Home;
use crate::support::{Everything, children_of, everything_js, start_everything, test_server_bin};

/// The filter every server-everything source gets: `get-env` hidden, `echo` exposed as `say`,
/// `get-sum` re-described.
const FILTER: [&str; 6] = [
    "--exclude",
    "get-env",
    "--alias",
    "echo=say",
    "--description",
    "get-sum=Adds two numbers (re-described)",
];

/// What the agent does on every path: list, call by alias, call a hidden tool, watch progress,
/// answer a sampling request from the server, and send a method nobody knows.
fn plan(connect: Value) -> Value {
    let mut plan = json!({
        "echo": { "tool": "say", "message": "hello through lanyard" },
        "hidden": "get-env",
        "progress": { "tool": "trigger-long-running-operation", "arguments": { "duration": 0.2, "steps": 2 } },
        "sampling": { "tool": "trigger-sampling-request", "arguments": { "prompt": "ping" } },
        "unknown": "lanyard/no-such-method",
    });
    plan.as_object_mut().unwrap().extend(connect.as_object().unwrap().clone());
    plan
}

/// Checks a report of [`plan`] against source `source`.
#[track_caller]
fn assert_pass_through(report: &Value, source: &str) {
    let tools: Vec<&str> =
        report["tools"].as_array().expect("tools listed").iter().filter_map(Value::as_str).collect();
    assert!(tools.contains(&"say"), "echo is listed under its alias: {tools:?}");
    assert!(!tools.contains(&"echo"), "the upstream name of an aliased tool is not listed: {tools:?}");
    assert!(!tools.contains(&"get-env"), "an excluded tool is not listed: {tools:?}");
    assert_eq!(
        report["descriptions"]["get-sum"], "Adds two numbers (re-described)",
        "the description override shows"
    );
    assert_eq!(report["echo"], "Echo: hello through lanyard", "the alias reaches the upstream echo tool");
    let hidden = report["hidden"]["message"].as_str().unwrap_or_default();
    assert_eq!(report["hidden"]["code"], -32602, "a hidden tool is refused as invalid params: {report}");
    assert!(
        hidden.contains(&format!("source `{source}`")) && hidden.contains("hidden"),
        "the refusal names the source and says why: {hidden}"
    );
    // The SDK drops a progress notification that arrives in the same read as the final answer
    // (it handles notifications a tick later), so only the first one is certain.
    let progress = report["progress"]["notifications"].as_array().cloned().unwrap_or_default();
    assert!(
        progress.first() == Some(&json!(1)) && progress.len() <= 2,
        "progress notifications pass through, in order: {progress:?}"
    );
    assert!(
        report["progress"]["text"].as_str().unwrap_or_default().contains("completed"),
        "the long-running call finishes: {report}"
    );
    assert!(
        report["sampling"].as_str().unwrap_or_default().contains("sampled by the bridge-agent"),
        "a server-to-client sampling request and its answer pass through: {report}"
    );
    assert_eq!(
        report["unknown"]["code"], -32601,
        "an unknown method gets the upstream's own error: {report}"
    );
}

#[tokio::test]
async fn stdio_agent_to_stdio_upstream_passes_everything_through() {
    let home = Home::new();
    let js = everything_js().display().to_string();
    let mut args = vec!["ev-stdio"];
    args.extend_from_slice(&FILTER);
    args.extend_from_slice(&["--", "node", &js, "stdio"]);
    home.add(&args).await;
    let connect = json!({ "stdio": { "command": crate::support::home::lanyard_bin(), "args": ["bridge", "ev-stdio"] } });
    let report = run_agent(&home, &plan(connect)).await.expect("the agent runs");
    assert_pass_through(&report, "ev-stdio");
}

#[tokio::test]
async fn stdio_agent_to_http_upstream_passes_everything_through() {
    let (_server, url) =
        start_everything(Everything::StreamableHttp).await.expect("server-everything starts");
    let home = Home::new();
    let mut args = vec!["ev-http", "--url", &url];
    args.extend_from_slice(&FILTER);
    home.add(&args).await;
    let connect =
        json!({ "stdio": { "command": crate::support::home::lanyard_bin(), "args": ["bridge", "ev-http"] } });
    let report = run_agent(&home, &plan(connect)).await.expect("the agent runs");
    assert_pass_through(&report, "ev-http");
}

#[tokio::test]
async fn stdio_agent_to_legacy_sse_upstream_passes_everything_through() {
    let (_server, url) = start_everything(Everything::Sse).await.expect("server-everything starts");
    let home = Home::new();
    let mut args = vec!["ev-sse", "--url", &url, "--transport", "sse"];
    args.extend_from_slice(&FILTER);
    home.add(&args).await;
    let connect =
        json!({ "stdio": { "command": crate::support::home::lanyard_bin(), "args": ["bridge", "ev-sse"] } });
    let report = run_agent(&home, &plan(connect)).await.expect("the agent runs");
    assert_pass_through(&report, "ev-sse");
}

#[tokio::test]
async fn http_agent_to_legacy_sse_upstream_passes_everything_through() {
    let (_server, url) = start_everything(Everything::Sse).await.expect("server-everything starts");
    let home = Home::new();
    let mut args = vec!["ev-sse-http", "--url", &url, "--transport", "sse"];
    args.extend_from_slice(&FILTER);
    home.add(&args).await;
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let connect = json!({ "http": { "url": format!("{base}/mcp/ev-sse-http"), "token": bridge_token() } });
    let report = run_agent(&home, &plan(connect)).await.expect("the agent runs");
    assert_pass_through(&report, "ev-sse-http");
}

#[tokio::test]
async fn http_agent_to_stdio_upstream_passes_everything_through() {
    let home = Home::new();
    let js = everything_js().display().to_string();
    let mut args = vec!["ev-stdio"];
    args.extend_from_slice(&FILTER);
    args.extend_from_slice(&["--", "node", &js, "stdio"]);
    home.add(&args).await;
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let connect = json!({ "http": { "url": format!("{base}/mcp/ev-stdio"), "token": bridge_token() } });
    let report = run_agent(&home, &plan(connect)).await.expect("the agent runs");
    assert_pass_through(&report, "ev-stdio");
}

#[tokio::test]
async fn http_agent_to_http_upstream_passes_everything_through() {
    let (_server, url) =
        start_everything(Everything::StreamableHttp).await.expect("server-everything starts");
    let home = Home::new();
    let mut args = vec!["ev-http", "--url", &url];
    args.extend_from_slice(&FILTER);
    home.add(&args).await;
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let connect = json!({ "http": { "url": format!("{base}/mcp/ev-http"), "token": bridge_token() } });
    let report = run_agent(&home, &plan(connect)).await.expect("the agent runs");
    assert_pass_through(&report, "ev-http");
}

/// Issue 15: a 2026-07-28 server refuses a request without the SEP-2243 headers (`Mcp-Method`,
/// `Mcp-Name`, `Mcp-Param-*`) or whose headers disagree with its body, so the forward passes them
/// on, with `Mcp-Name` following the tool filter's alias back to the upstream name.
#[tokio::test]
async fn issue_15_the_forward_passes_the_standard_mcp_headers() {
    let upstream = CountingUpstream::start().await.expect("the counting upstream starts");
    let home = Home::new();
    home.add(&["headed", "--url", &upstream.url, "--alias", "weather=forecast"]).await;
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let body = json!({
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": { "name": "forecast", "arguments": { "region": "eu" } },
    });
    // Saving the profile and starting the hub may probe the upstream; only our call counts.
    let before = upstream.hits();
    let answer = reqwest::Client::new()
        .post(format!("{base}/mcp/headed"))
        .header("authorization", format!("Bearer {}", bridge_token()))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", "forecast")
        .header("mcp-param-region", "eu")
        .header("x-agent-own", "stays")
        .body(body.to_string())
        .send()
        .await
        .expect("the bridge answers");
    assert!(answer.status().is_success(), "the call is forwarded and answered (an error here)");
    let seen = upstream.headers().split_off(before);
    assert_eq!(seen.len(), 1, "exactly the one call reaches the upstream");
    let header = |name: &str| seen[0].get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert_eq!(header("mcp-method").as_deref(), Some("tools/call"), "Mcp-Method goes upstream");
    assert_eq!(
        header("mcp-name").as_deref(),
        Some("weather"),
        "Mcp-Name names the upstream tool, as the body does after the alias is mapped back"
    );
    assert_eq!(header("mcp-param-region").as_deref(), Some("eu"), "Mcp-Param-* headers go upstream");
    assert_eq!(header("x-agent-own"), None, "other agent headers stay at the bridge");
}

#[tokio::test]
async fn the_door_refuses_before_any_upstream_is_touched() {
    let upstream = CountingUpstream::start().await.expect("the counting upstream starts");
    let home = Home::new();
    home.add(&["counted", "--url", &upstream.url]).await;
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let port = base.rsplit(':').next().unwrap().to_owned();
    let url = format!("{base}/mcp/counted");
    let token = bridge_token();
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" }).to_string();
    let client = reqwest::Client::new();
    let post = |headers: Vec<(&'static str, String)>| {
        let mut request = client
            .post(&url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body.clone());
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send()
    };
    let bearer = format!("Bearer {token}");
    type Headers = Vec<(&'static str, String)>;
    let cases: Vec<(&str, Headers, u16)> = vec![
        ("no token", vec![], 401),
        ("wrong token", vec![("authorization", "Bearer not-the-token".to_owned())], 401),
        (
            "foreign origin",
            vec![("authorization", bearer.clone()), ("origin", "https://evil.example".to_owned())],
            403,
        ),
        (
            "rebinding host",
            vec![("authorization", bearer.clone()), ("host", format!("attacker.example:{port}"))],
            403,
        ),
        (
            "loopback host, wrong port",
            vec![("authorization", bearer.clone()), ("host", "127.0.0.1:1".to_owned())],
            403,
        ),
    ];
    for (what, headers, status) in cases {
        let answer = post(headers).await.expect("the bridge answers");
        assert_eq!(answer.status().as_u16(), status, "{what} must be refused with {status}");
        assert_eq!(upstream.hits(), 0, "{what}: a refused request must not reach the upstream");
    }
    // The same request with the token and a loopback origin does go through: the counter works.
    let answer = post(vec![("authorization", bearer), ("origin", "http://localhost:3000".to_owned())])
        .await
        .expect("the bridge answers");
    assert!(answer.status().is_success(), "an admitted request gets an answer (a JSON-RPC error here)");
    let reply: Value = answer.json().await.expect("a JSON-RPC reply");
    assert!(
        reply["error"]["message"].as_str().unwrap_or_default().contains("source `counted`"),
        "an upstream failure comes back as a JSON-RPC error naming the source: {reply}"
    );
    assert_eq!(upstream.hits(), 1, "the admitted request reached the upstream exactly once");
}

/// `lanyard bridge <id>` driven line by line, for checks finer than an SDK client shows.
pub(crate) struct RawBridge {
    pub(crate) child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl RawBridge {
    pub(crate) fn start(home: &Home, id: &str) -> Self {
        Self::spawn(home.lanyard(&["bridge", id]).stderr(Stdio::inherit()))
    }

    /// `lanyard bridge <id>` with its INFO log written to `log`.
    pub(crate) fn start_logged(home: &Home, id: &str, log: &std::path::Path) -> Self {
        let file = std::fs::File::create(log).expect("create the bridge's log file");
        Self::spawn(home.lanyard(&["bridge", id]).env("LANYARD_LOG", "info").stderr(file))
    }

    fn spawn(command: &mut tokio::process::Command) -> Self {
        let mut child =
            command.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("lanyard bridge starts");
        let stdin = child.stdin.take().unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Self { child, stdin, lines }
    }

    pub(crate) async fn send(&mut self, message: Value) {
        let line = format!("{message}\n");
        self.stdin.write_all(line.as_bytes()).await.expect("write to the bridge");
        self.stdin.flush().await.expect("flush");
    }

    /// The next line the bridge writes, as text.
    async fn next_line(&mut self) -> String {
        tokio::time::timeout(Duration::from_secs(30), self.lines.next_line())
            .await
            .expect("the bridge answers in time")
            .expect("read the bridge's stdout")
            .expect("the bridge's stdout stays open")
    }

    /// The next message with `id`, skipping notifications.
    pub(crate) async fn answer_to(&mut self, id: Value) -> Value {
        loop {
            let line = self.next_line().await;
            let message: Value = serde_json::from_str(&line).expect("the bridge writes only JSON-RPC lines");
            if message.get("id") == Some(&id) && message.get("method").is_none() {
                return message;
            }
        }
    }

    pub(crate) async fn initialize(&mut self) -> Value {
        self.send(initialize(0)).await;
        let answer = self.answer_to(json!(0)).await;
        self.send(json!({ "jsonrpc": "2.0", "method": "notifications/initialized" })).await;
        answer
    }
}

pub(crate) fn initialize(id: u64) -> Value {
    json!({
        "jsonrpc": "2.0", "id": id, "method": "initialize",
        "params": { "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": { "name": "raw", "version": "1" } }
    })
}

#[tokio::test]
async fn upstream_killed_mid_call_answers_with_the_source_and_the_next_call_works() {
    let home = Home::new();
    let server = test_server_bin().display().to_string();
    home.add(&["dies", "--", &server, "stdio"]).await;
    let mut bridge = RawBridge::start(&home, "dies");
    bridge.initialize().await;
    let bridge_pid = bridge.child.id().expect("the bridge runs");
    let children = children_of(bridge_pid);
    assert_eq!(children.len(), 1, "the bridge runs one server process: {children:?}");

    bridge.send(json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": { "name": "sleep", "arguments": { "ms": 60000 } } })).await;
    // A ping answered after the sleep was sent proves the call is in flight at the server.
    bridge.send(json!({ "jsonrpc": "2.0", "id": 3, "method": "ping" })).await;
    bridge.answer_to(json!(3)).await;
    let killed = std::process::Command::new("kill")
        .args(["-9", &children[0].to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success(), "the server process could be killed");

    let failed = bridge.answer_to(json!(2)).await;
    let message = failed["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("source `dies`"),
        "the in-flight call is answered with an error naming the source: {failed}"
    );
    assert!(message.contains("exited"), "the error says the server process exited: {message}");

    bridge.send(json!({ "jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": { "name": "echo", "arguments": { "message": "back" } } })).await;
    let answer = bridge.answer_to(json!(4)).await;
    assert_eq!(
        answer["result"]["content"][0]["text"], "back",
        "the next call restarts the server and works: {answer}"
    );
    let now = children_of(bridge_pid);
    assert_eq!(now.len(), 1, "exactly one server process runs after the restart: {now:?}");
    assert_ne!(now[0], children[0], "it is a new process");
}

#[tokio::test]
async fn unknown_methods_and_their_errors_pass_byte_for_byte() {
    let requests = [
        json!({ "jsonrpc": "2.0", "id": 7, "method": "lanyard/unknown", "params": { "x": 1 } }),
        json!({ "jsonrpc": "2.0", "id": "s", "method": "tools/call", "params": { "name": "fail" } }),
    ];
    // What the server says directly...
    let mut direct = tokio::process::Command::new(test_server_bin())
        .arg("stdio")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the test server starts");
    let mut direct_in = direct.stdin.take().unwrap();
    let mut direct_out = BufReader::new(direct.stdout.take().unwrap()).lines();
    let mut send_direct = async |message: &Value| {
        direct_in.write_all(format!("{message}\n").as_bytes()).await.unwrap();
    };
    send_direct(&initialize(0)).await;
    direct_out.next_line().await.unwrap();
    send_direct(&json!({ "jsonrpc": "2.0", "method": "notifications/initialized" })).await;
    let mut expected = Vec::new();
    for request in &requests {
        send_direct(request).await;
        expected.push(direct_out.next_line().await.unwrap().expect("the server answers"));
    }
    // ...is what the agent gets through the bridge, to the byte.
    let home = Home::new();
    home.add(&["plain", "--", &test_server_bin().display().to_string(), "stdio"]).await;
    let mut bridge = RawBridge::start(&home, "plain");
    bridge.initialize().await;
    for (request, expected) in requests.iter().zip(&expected) {
        bridge.send(request.clone()).await;
        let got = bridge.next_line().await;
        assert_eq!(&got, expected, "the upstream's answer to {request} must pass unchanged");
    }
}

#[tokio::test]
async fn config_prints_a_snippet_that_runs_the_bridge() {
    let home = Home::new();
    home.add(&["one", "--url", "http://127.0.0.1:9/mcp"]).await;
    let output = home.lanyard(&["config", "claude-desktop"]).output().await.expect("lanyard runs");
    assert!(output.status.success(), "config succeeds: {}", String::from_utf8_lossy(&output.stderr));
    let snippet: Value = serde_json::from_slice(&output.stdout).expect("the snippet is JSON");
    assert_eq!(
        snippet["mcpServers"]["one"]["args"],
        json!(["bridge", "one"]),
        "the entry runs `lanyard bridge one`: {snippet}"
    );
}

#[tokio::test]
async fn config_write_merges_into_the_clients_file_and_the_entry_works() {
    let home = Home::new();
    let server = test_server_bin().display().to_string();
    home.add(&["local", "--", &server, "stdio"]).await;
    let file = tempfile::tempdir().expect("a temp dir");
    let path = file.path().join("mcp.json");
    let before = r#"{"mcpServers": {"mine": {"command": "my-server"}}, "other": true}"#;
    std::fs::write(&path, before).unwrap();

    let output = home
        .lanyard(&["config", "cursor", "--write", "--file", &path.display().to_string()])
        .output()
        .await
        .expect("lanyard runs");
    assert!(output.status.success(), "config --write succeeds: {}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Added: local."), "it says what it added: {stdout}");
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        written["mcpServers"]["mine"]["command"], "my-server",
        "the person's own server is kept: {written}"
    );
    assert_eq!(written["other"], true, "other settings are kept: {written}");
    let backup =
        std::fs::read_to_string(file.path().join("mcp.json.lanyard-backup")).expect("a backup exists");
    assert_eq!(backup, before, "the backup is the previous file");

    // The entry, run the way the IDE would run it, is a working bridge.
    let entry = &written["mcpServers"]["local"];
    let args: Vec<&str> = entry["args"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    let mut command = tokio::process::Command::new(entry["command"].as_str().unwrap());
    command
        .args(&args)
        .envs(home.envs())
        .env_remove("LANYARD_LOG")
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    let mut bridge = RawBridge::spawn(&mut command);
    let init = bridge.initialize().await;
    assert!(init.get("result").is_some(), "the written entry starts a working bridge: {init}");
    bridge.send(json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" })).await;
    let listed = bridge.answer_to(json!(1)).await;
    assert!(
        listed["result"]["tools"].as_array().is_some_and(|tools| !tools.is_empty()),
        "and lists the source's tools: {listed}"
    );
}

/// Issue 6, "no unbounded memory": a line over the 16 MiB cap from the agent is answered with an
/// error and skipped, and the session goes on.
#[tokio::test]
async fn an_oversized_agent_message_is_refused_and_the_session_goes_on() {
    let home = Home::new();
    let server = test_server_bin().display().to_string();
    home.add(&["big", "--", &server, "stdio"]).await;
    let mut bridge = RawBridge::start(&home, "big");
    bridge.initialize().await;
    let huge = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\",\"pad\":\"{}\"}}",
        "x".repeat(17 * 1024 * 1024)
    );
    bridge.stdin.write_all(huge.as_bytes()).await.expect("write the huge line");
    bridge.stdin.write_all(b"\n").await.unwrap();
    bridge.send(json!({ "jsonrpc": "2.0", "id": 8, "method": "ping" })).await;
    let refused: Value = serde_json::from_str(&bridge.next_line().await).expect("a JSON-RPC line");
    assert_eq!(refused["error"]["code"], -32600, "the oversized message is refused: {refused}");
    assert_eq!(refused["id"], Value::Null, "its id could not be read: {refused}");
    let answered = bridge.answer_to(json!(8)).await;
    assert!(answered.get("result").is_some(), "the next message is served as usual: {answered}");
}

/// An HTTP agent's single call to a stdio source is answered with plain JSON when the answer is
/// the first thing the server sends (cheaper to frame and parse than an event stream). Calls whose
/// progress comes first still get a stream: see `http_agent_to_stdio_upstream_passes_everything_through`.
#[tokio::test]
async fn http_agent_gets_a_single_answer_as_json() {
    let home = Home::new();
    home.add(&["plain-json", "--", &test_server_bin().display().to_string(), "stdio"]).await;
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let url = format!("{base}/mcp/plain-json");
    let client = reqwest::Client::new();
    let bearer = format!("Bearer {}", bridge_token());
    let post = |session: Option<String>, body: Value| {
        let mut request = client
            .post(&url)
            .header("authorization", &bearer)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body.to_string());
        if let Some(session) = session {
            request = request.header("mcp-session-id", session);
        }
        request.send()
    };
    let init = json!({ "jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": { "name": "t", "version": "1" } } });
    let answer = post(None, init).await.expect("initialize is answered");
    let session = answer.headers().get("mcp-session-id").expect("a session id").to_str().unwrap().to_owned();
    let initialized = json!({ "jsonrpc": "2.0", "method": "notifications/initialized" });
    post(Some(session.clone()), initialized).await.expect("initialized is accepted");

    let call = |id: u64, message: &str| {
        json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call",
                "params": { "name": "echo", "arguments": { "message": message } } })
    };
    let answer = post(Some(session.clone()), call(1, "one")).await.expect("the call is answered");
    let content_type = answer.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
    assert!(content_type.starts_with("application/json"), "a single answer comes as JSON: {content_type}");
    let reply: Value = answer.json().await.expect("a JSON-RPC answer");
    assert_eq!(reply["id"], json!(1));
    assert_eq!(reply["result"]["content"][0]["text"], json!("one"), "{reply}");

    let answer = post(Some(session), call(2, "two")).await.expect("the call is answered");
    let reply: Value = answer.json().await.expect("a JSON-RPC answer");
    assert_eq!(reply["result"]["content"][0]["text"], json!("two"), "the session goes on: {reply}");
}

/// Another account on the same machine gets neither the bridge token (the keychain's session bus
/// refuses it, even with the bus address in hand) nor past the door without it. Acting as
/// another user needs root; elsewhere the test says so and checks nothing.
#[tokio::test]
async fn another_unix_user_gets_neither_the_bridge_token_nor_past_the_door() {
    let uid = std::process::Command::new("id").arg("-u").output().expect("id runs");
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        eprintln!("skipped: acting as another user needs root");
        return;
    }
    let upstream = CountingUpstream::start().await.expect("the counting upstream starts");
    let home = Home::new();
    home.add(&["guarded", "--url", &upstream.url]).await;
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let token = bridge_token();
    let port = base.rsplit(':').next().unwrap().to_owned();

    // A home of its own for the other user, and our binary where it may run it.
    let theirs = tempfile::tempdir().expect("a temporary folder");
    let bin = theirs.path().join("lanyard");
    std::fs::copy(crate::support::home::lanyard_bin(), &bin).expect("copy the binary");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(theirs.path(), std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let as_nobody = |program: &str, args: &[&str]| {
        let mut command = std::process::Command::new("setpriv");
        command
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--", program])
            .args(args)
            .env("HOME", theirs.path())
            .env("LANYARD_CONFIG_DIR", theirs.path().join("config"))
            .env("LANYARD_DATA_DIR", theirs.path().join("data"))
            .env_remove("LANYARD_LOG");
        command.output().expect("setpriv runs")
    };

    let stolen = as_nobody(bin.to_str().unwrap(), &["bridge-token"]);
    let said =
        format!("{}{}", String::from_utf8_lossy(&stolen.stdout), String::from_utf8_lossy(&stolen.stderr));
    assert_eq!(stolen.status.code(), Some(6), "another user cannot reach our keychain: {said}");
    assert!(!said.contains(&token), "and never sees the bridge token");

    let request = format!(
        "exec 3<>/dev/tcp/127.0.0.1/{port}; printf 'POST /mcp/guarded HTTP/1.1\\r\\nHost: 127.0.0.1:{port}\\r\\n\
         Content-Type: application/json\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\n{{}}' >&3; head -1 <&3"
    );
    let knocked = as_nobody("bash", &["-c", &request]);
    let status_line = String::from_utf8_lossy(&knocked.stdout).into_owned();
    assert!(
        status_line.starts_with("HTTP/1.1 401"),
        "another user without the token is refused: {status_line:?}"
    );
    assert_eq!(upstream.hits(), 0, "and reaches no upstream");
}

/// The hub as the desktop app hosts it (`lanyard::bridge::HostedHub`): it runs on the port asked
/// for and announces itself (a bridge finds it by its proof), a second one on the same port is
/// told the port is taken, and stopping takes the announcement back.
#[tokio::test]
async fn the_hosted_hub_runs_announces_itself_and_stops() {
    use std::sync::{Arc, Mutex};

    use lanyard::bridge::{HostedHub, HubFailure, HubState, running_hub};

    bridge_token();
    let home = Home::new();
    let engine = || Ok(lanyard::Engine::new(home.dirs(), home.vault()));
    let heard = Arc::new(Mutex::new(Vec::new()));
    let hear = Arc::clone(&heard);
    let (hub, run) =
        HostedHub::new(engine(), Ok(0), move |state: &HubState| hear.lock().unwrap().push(state.clone()));
    let task = tokio::spawn(run);
    let address = crate::support::eventually("the hub to run", Duration::from_millis(50), || async {
        match hub.state() {
            HubState::Running { address } => Some(address),
            _ => None,
        }
    })
    .await;
    assert!(hub.agents().is_some(), "a running hub counts its agents");
    let probe = lanyard::Engine::new(home.dirs(), home.vault());
    assert_eq!(running_hub(&probe).await, Some(address), "the hub is announced and proves itself");

    let (second, run_second) = HostedHub::new(engine(), Ok(address.port()), |_: &HubState| {});
    run_second.await;
    assert_eq!(
        second.state(),
        HubState::Failed { reason: HubFailure::PortTaken { port: address.port() } },
        "a taken port is a state of the hub, not a crash"
    );

    hub.stop().await;
    task.await.expect("the hub's task ends when it is stopped");
    assert_eq!(running_hub(&probe).await, None, "stopping takes the announcement back");
    let heard = heard.lock().unwrap().clone();
    assert!(
        matches!(heard.as_slice(), [HubState::Running { .. }]),
        "the host heard it run (stopping on request is no failure to report): {heard:?}"
    );
}
