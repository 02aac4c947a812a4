//! The merged server (issue 4): every enabled source behind one MCP server. Driven as agents
//! drive it: `lanyard bridge --all` over stdio line by line, and `/mcp` of `lanyard serve` with
//! the TypeScript SDK client, against server-everything and `lanyard-test-server`, with a source
//! whose command does not exist and a disabled one beside them. What a source sends during a
//! call (progress, sampling, elicitation, roots, log messages) and the agent's cancellation are
//! checked against server-everything and `tests/node/recording-server.mjs`, which reports in a
//! log message which request id its cancellation named. 2026-07-28 agents, which send no
//! `initialize`, are driven the same ways: over stdio and with stateless POSTs to `/mcp`.
//! `lanyard bridge --all` following profile edits is here; `/mcp` following them is in
//! `live_profiles`.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};

use crate::support::bridge_home::{bridge_token, run_agent, start_serve};
use crate::support::home::Home;
use crate::support::{Everything, children_of, everything_js, start_everything, test_server_bin};

/// How long one answer may take; server-everything starts in about a second on an idle machine.
const ANSWER_DEADLINE: Duration = Duration::from_secs(60);

/// What MCP clients accept as a tool or prompt name: `^[A-Za-z0-9_-]{1,64}$`.
fn acceptable(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `ev` (server-everything) and `kit` (lanyard-test-server, `echo` aliased to `say`), both stdio.
async fn two_sources(home: &Home) {
    let js = everything_js().display().to_string();
    home.add(&["ev", "--", "node", &js, "stdio"]).await;
    let server = test_server_bin().display().to_string();
    home.add(&["kit", "--alias", "echo=say", "--", &server, "stdio"]).await;
}

/// `lanyard bridge --all` driven line by line.
struct Agent {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    next_id: u64,
    /// Notifications seen so far, in order.
    notifications: Vec<Value>,
    /// Requests the merged server sent the agent (and that the agent answered), in order.
    asked: Vec<Value>,
}

/// What the line-driven agent answers a sampling request with.
const SAMPLED: &str = "sampled by the merged test";

impl Agent {
    async fn start(home: &Home) -> Self {
        Self::start_with(home, json!({})).await
    }

    /// Starts `lanyard bridge --all` and initializes it, declaring `capabilities`.
    async fn start_with(home: &Home, capabilities: Value) -> Self {
        let mut agent = Self::spawn(home);
        let init = agent
            .request(
                "initialize",
                json!({ "protocolVersion": "2025-06-18", "capabilities": capabilities, "clientInfo": { "name": "merged-test", "version": "1" } }),
            )
            .await;
        assert_eq!(
            init["result"]["serverInfo"]["name"], "lanyard",
            "the merged server introduces itself: {init}"
        );
        agent.send(json!({ "jsonrpc": "2.0", "method": "notifications/initialized" })).await;
        agent
    }

    /// Starts `lanyard bridge --all` without a handshake (a 2026-07-28 agent needs none).
    fn spawn(home: &Home) -> Self {
        let mut child = home
            .lanyard(&["bridge", "--all"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("lanyard bridge --all starts");
        let stdin = child.stdin.take().expect("stdin is piped");
        let lines = BufReader::new(child.stdout.take().expect("stdout is piped")).lines();
        Self { child, stdin, lines, next_id: 1, notifications: Vec::new(), asked: Vec::new() }
    }

    async fn send(&mut self, message: Value) {
        self.stdin.write_all(format!("{message}\n").as_bytes()).await.expect("write to the bridge");
        self.stdin.flush().await.expect("flush to the bridge");
    }

    /// The next message the bridge writes.
    async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(ANSWER_DEADLINE, self.lines.next_line())
            .await
            .expect("the merged bridge answers in time")
            .expect("read the bridge's stdout")
            .expect("the bridge's stdout stays open");
        serde_json::from_str(&line)
            .unwrap_or_else(|err| panic!("stdout carries only JSON-RPC ({err}): {line}"))
    }

    /// Sends a request and returns its answer, keeping the notifications that come before it
    /// and answering the requests the server makes meanwhile.
    async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params).await;
        self.answer_to(id).await
    }

    /// Sends a request without waiting for its answer; returns its id.
    async fn send_request(&mut self, method: &str, params: Value) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })).await;
        id
    }

    /// Reads until the answer to request `id`.
    async fn answer_to(&mut self, id: u64) -> Value {
        loop {
            let message = self.next().await;
            if message.get("id") == Some(&json!(id)) && message.get("method").is_none() {
                return message;
            }
            self.take(message).await;
        }
    }

    /// Reads until a notification that `wanted` accepts has been seen (`next` fails the test
    /// after its deadline), and returns it.
    async fn notification(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            if let Some(found) = self.notifications.iter().find(|n| wanted(n)) {
                return found.clone();
            }
            let message = self.next().await;
            self.take(message).await;
        }
    }

    /// Keeps a notification; answers a request of the server the way a client with every
    /// capability would.
    async fn take(&mut self, message: Value) {
        match (message.get("id"), message["method"].as_str()) {
            (None, Some(_)) => self.notifications.push(message),
            (Some(id), Some(method)) => {
                let answer = match method {
                    "sampling/createMessage" => json!({ "result": {
                        "model": "merged-test", "role": "assistant",
                        "content": { "type": "text", "text": SAMPLED },
                    } }),
                    "elicitation/create" => {
                        json!({ "result": { "action": "accept", "content": { "name": "Ada" } } })
                    }
                    "roots/list" => {
                        json!({ "result": { "roots": [{ "uri": "file:///merged-test-root", "name": "merged-test" }] } })
                    }
                    _ => {
                        json!({ "error": { "code": -32601, "message": "the test agent does not know this" } })
                    }
                };
                let mut reply = json!({ "jsonrpc": "2.0", "id": id });
                if let (Some(reply), Some(answer)) = (reply.as_object_mut(), answer.as_object()) {
                    reply.extend(answer.clone());
                }
                self.send(reply).await;
                self.asked.push(message);
            }
            _ => panic!("a message that is neither a request, an answer nor a notification: {message}"),
        }
    }

    async fn tool_names(&mut self) -> Vec<String> {
        let listed = self.request("tools/list", json!({})).await;
        names(&listed["result"]["tools"])
    }

    async fn call(&mut self, tool: &str, arguments: Value) -> Value {
        self.request("tools/call", json!({ "name": tool, "arguments": arguments })).await
    }
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .filter_map(|item| item["name"].as_str().map(str::to_owned))
        .collect()
}

fn text(answer: &Value) -> &str {
    answer["result"]["content"][0]["text"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn bridge_all_lists_every_source_prefixed_and_routes_each_call() {
    let home = Home::new();
    two_sources(&home).await;
    home.add(&["broken", "--", "/nonexistent/lanyard-merged-test-command"]).await;
    let server = test_server_bin().display().to_string();
    home.add(&["off", "--", &server, "stdio"]).await;
    let disabled =
        home.lanyard(&["profile", "edit", "off", "--disable"]).output().await.expect("lanyard runs");
    assert!(disabled.status.success(), "disable `off`: {}", String::from_utf8_lossy(&disabled.stderr));

    let mut agent = Agent::start(&home).await;
    let tools = agent.tool_names().await;
    for expected in ["ev__echo", "ev__get-sum", "kit__say", "kit__add"] {
        assert!(tools.iter().any(|t| t == expected), "`{expected}` is in the merged list: {tools:?}");
    }
    assert!(!tools.iter().any(|t| t == "kit__echo"), "kit's alias applies before prefixing: {tools:?}");
    assert!(
        !tools.iter().any(|t| t.starts_with("broken__") || t.starts_with("off__")),
        "a broken and a disabled source are left out of the list: {tools:?}"
    );
    let bad: Vec<&String> = tools.iter().filter(|t| !acceptable(t)).collect();
    assert!(bad.is_empty(), "every merged name is one clients accept: {bad:?}");

    let sum = agent.call("kit__add", json!({ "a": 2, "b": 3 })).await;
    assert_eq!(text(&sum), "5", "kit__add is routed to lanyard-test-server's add: {sum}");
    let echo = agent.call("ev__echo", json!({ "message": "merged" })).await;
    assert_eq!(text(&echo), "Echo: merged", "ev__echo is routed to server-everything's echo: {echo}");
    let said = agent.call("kit__say", json!({ "message": "by alias" })).await;
    assert_eq!(text(&said), "by alias", "an aliased tool is called by its merged alias: {said}");

    let broken = agent.call("broken__anything", json!({})).await;
    let message = broken["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("`broken`") && message.contains("not found"),
        "a call to a source that cannot start names it and says why: {broken}"
    );
    let off = agent.call("off__echo", json!({ "message": "x" })).await;
    let message = off["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("`off`") && message.contains("disabled"), "a disabled source says so: {off}");
    let unknown = agent.call("nobody__nothing", json!({})).await;
    assert_eq!(unknown["error"]["code"], -32602, "a name no source offers is invalid params: {unknown}");

    // The broken source never took the others down: they still answer after its failures.
    let again = agent.call("ev__echo", json!({ "message": "still here" })).await;
    assert_eq!(text(&again), "Echo: still here", "the working sources keep working: {again}");
}

#[tokio::test]
async fn a_source_may_name_its_tools_with_another_prefix_or_none() {
    let home = Home::new();
    let js = everything_js().display().to_string();
    home.add(&["ev", "--merged-prefix", "", "--", "node", &js, "stdio"]).await;
    let server = test_server_bin().display().to_string();
    home.add(&["kit", "--merged-prefix", "k", "--", &server, "stdio"]).await;
    let refused = home
        .lanyard(&["profile", "edit", "kit", "--merged-prefix", "k.it"])
        .output()
        .await
        .expect("lanyard runs");
    assert_eq!(refused.status.code(), Some(5), "a prefix clients refuse makes an invalid profile");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("merged_prefix"),
        "the error names the setting: {}",
        String::from_utf8_lossy(&refused.stderr)
    );

    let mut agent = Agent::start(&home).await;
    let tools = agent.tool_names().await;
    for expected in ["echo", "get-sum", "k__echo", "k__add"] {
        assert!(tools.iter().any(|t| t == expected), "`{expected}` is in the merged list: {tools:?}");
    }
    assert!(!tools.iter().any(|t| t.starts_with("ev__") || t.starts_with("kit__")), "{tools:?}");
    let echo = agent.call("echo", json!({ "message": "bare" })).await;
    assert_eq!(text(&echo), "Echo: bare", "an unprefixed name is routed to its source: {echo}");
    let kit = agent.call("k__echo", json!({ "message": "prefixed" })).await;
    assert_eq!(text(&kit), "prefixed", "a chosen prefix is routed to its source: {kit}");
}

#[tokio::test]
async fn bridge_all_reaches_prompts_and_resources_of_each_source() {
    let home = Home::new();
    two_sources(&home).await;
    let mut agent = Agent::start(&home).await;

    let prompts = agent.request("prompts/list", json!({})).await;
    let prompt_names = names(&prompts["result"]["prompts"]);
    for expected in ["ev__simple-prompt", "kit__greet"] {
        assert!(prompt_names.iter().any(|p| p == expected), "`{expected}` is listed: {prompt_names:?}");
    }
    let greet =
        agent.request("prompts/get", json!({ "name": "kit__greet", "arguments": { "name": "Ada" } })).await;
    assert_eq!(
        greet["result"]["messages"][0]["content"]["text"], "Say hello to Ada.",
        "kit__greet reaches lanyard-test-server's prompt with its arguments: {greet}"
    );
    let simple = agent.request("prompts/get", json!({ "name": "ev__simple-prompt" })).await;
    assert_eq!(
        simple["result"]["messages"][0]["content"]["text"], "This is a simple prompt without arguments.",
        "ev__simple-prompt reaches server-everything: {simple}"
    );

    let resources = agent.request("resources/list", json!({})).await;
    let uris: Vec<&str> = resources["result"]["resources"]
        .as_array()
        .unwrap_or_else(|| panic!("a resource list: {resources}"))
        .iter()
        .filter_map(|r| r["uri"].as_str())
        .collect();
    let document = "demo://resource/static/document/architecture.md";
    for expected in ["test://greeting", document] {
        assert!(uris.contains(&expected), "`{expected}` keeps its URI in the merged list: {uris:?}");
    }
    let read =
        |answer: &Value| answer["result"]["contents"][0]["text"].as_str().unwrap_or_default().to_owned();
    let greeting = agent.request("resources/read", json!({ "uri": "test://greeting" })).await;
    assert_eq!(read(&greeting), "hello from lanyard-test-server", "routed to kit: {greeting}");
    let doc = agent.request("resources/read", json!({ "uri": document })).await;
    assert!(read(&doc).starts_with("# Everything Server"), "routed to server-everything: {doc}");
    // A URI from one of server-everything's templates was never listed: it is found by asking.
    let templated = agent.request("resources/read", json!({ "uri": "demo://resource/dynamic/text/1" })).await;
    assert!(
        read(&templated).starts_with("Resource 1:"),
        "an unlisted URI still reaches its source: {templated}"
    );
}

#[tokio::test]
async fn an_agent_subscribed_to_a_resource_hears_of_its_updates() {
    let home = Home::new();
    let js = everything_js().display().to_string();
    home.add(&["ev", "--", "node", &js, "stdio"]).await;
    let mut agent = Agent::start(&home).await;
    let listed = agent.request("resources/list", json!({})).await;
    let uri = listed["result"]["resources"][0]["uri"]
        .as_str()
        .expect("server-everything lists resources")
        .to_owned();
    let subscribed = agent.request("resources/subscribe", json!({ "uri": uri })).await;
    assert!(subscribed.get("error").is_none(), "the merged server takes the subscription: {subscribed}");

    // server-everything sends an update for every subscribed URI as soon as this is turned on.
    let toggled = agent.call("ev__toggle-subscriber-updates", json!({})).await;
    assert!(toggled.get("error").is_none(), "{toggled}");
    let updated = agent
        .notification(|n| {
            n["method"] == "notifications/resources/updated" && n["params"]["uri"] == uri.as_str()
        })
        .await;
    assert_eq!(updated["params"]["uri"], uri.as_str(), "the source's update reaches the agent: {updated}");

    let unsubscribed = agent.request("resources/unsubscribe", json!({ "uri": uri })).await;
    assert!(unsubscribed.get("error").is_none(), "{unsubscribed}");
    let unknown = agent.request("resources/subscribe", json!({ "uri": "nowhere://nothing" })).await;
    assert!(
        unknown["error"]["message"].as_str().is_some_and(|m| m.contains("nowhere://nothing")),
        "a URI no source lists is refused with the URI named: {unknown}"
    );
}

#[tokio::test]
async fn an_upstream_tool_list_change_reaches_the_agent() {
    // server-everything registers more tools once its client is initialized, and says so with
    // `notifications/tools/list_changed`; the merged server must pass that on.
    let home = Home::new();
    let js = everything_js().display().to_string();
    home.add(&["ev", "--", "node", &js, "stdio"]).await;
    let mut agent = Agent::start(&home).await;
    let is_change = |message: &Value| message["method"] == "notifications/tools/list_changed";
    // Nothing else is written unasked, so waiting for the next message waits for the change
    // (`next` fails the test after its deadline).
    while !agent.notifications.iter().any(is_change) {
        let message = agent.next().await;
        assert!(message.get("id").is_none(), "only notifications come unasked: {message}");
        agent.notifications.push(message);
    }
    let tools = agent.tool_names().await;
    assert!(
        tools.iter().any(|t| t == "ev__echo"),
        "the list after the change still has ev's tools: {tools:?}"
    );
}

#[tokio::test]
async fn bridge_all_follows_profile_edits_and_tells_the_agent() {
    // `lanyard bridge --all` runs for as long as the IDE does, so an edit must reach it without a
    // restart: a changed source reconnects with its new settings, a disabled one leaves.
    let home = Home::new();
    let server = test_server_bin().display().to_string();
    home.add(&["kit", "--", &server, "stdio"]).await;
    let mut agent = Agent::start(&home).await;
    let tools = agent.tool_names().await;
    assert!(tools.iter().any(|t| t == "kit__add"), "kit__add is merged before the edit: {tools:?}");
    let is_change = |message: &Value| message["method"] == "notifications/tools/list_changed";

    let edit = |args: &'static [&'static str]| {
        let mut command = home.lanyard(args);
        async move {
            let output = command.stdin(Stdio::null()).output().await.expect("lanyard runs");
            assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        }
    };
    agent.notifications.clear();
    edit(&["profile", "edit", "kit", "--exclude", "add"]).await;
    agent.notification(is_change).await;
    let tools = agent.tool_names().await;
    assert!(!tools.iter().any(|t| t == "kit__add"), "the excluded tool left the merged list: {tools:?}");
    assert!(tools.iter().any(|t| t == "kit__echo"), "kit's other tools stay: {tools:?}");

    agent.notifications.clear();
    edit(&["profile", "edit", "kit", "--disable"]).await;
    agent.notification(is_change).await;
    let tools = agent.tool_names().await;
    assert!(!tools.iter().any(|t| t.starts_with("kit__")), "a disabled source leaves the list: {tools:?}");
    let off = agent.call("kit__echo", json!({ "message": "x" })).await;
    let message = off["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("`kit`") && message.contains("disabled"), "a call says it is disabled: {off}");
}

#[tokio::test]
async fn serve_merges_every_source_at_mcp_behind_the_door() {
    let home = Home::new();
    two_sources(&home).await;
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let url = format!("{base}/mcp");

    let refused = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" }).to_string())
        .send()
        .await
        .expect("lanyard serve answers");
    assert_eq!(refused.status().as_u16(), 401, "/mcp without the bridge token is refused at the door");

    let plan = json!({
        "http": { "url": url, "token": bridge_token() },
        "calls": [
            { "tool": "kit__add", "arguments": { "a": 40, "b": 2 } },
            { "tool": "ev__echo", "arguments": { "message": "over http" } },
        ],
        "prompt": { "name": "ev__simple-prompt" },
        "resources": ["test://greeting"],
    });
    let report = run_agent(&home, &plan).await.expect("the SDK agent runs against /mcp");
    let tools: Vec<&str> =
        report["tools"].as_array().expect("tools listed").iter().filter_map(Value::as_str).collect();
    for expected in ["ev__echo", "kit__say", "kit__add"] {
        assert!(tools.contains(&expected), "`{expected}` is in the merged list over HTTP: {tools:?}");
    }
    assert_eq!(report["server"], "lanyard", "the SDK client sees the merged server: {report}");
    assert_eq!(report["calls"][0]["text"], "42", "kit__add is routed over HTTP: {report}");
    assert_eq!(report["calls"][1]["text"], "Echo: over http", "ev__echo is routed over HTTP: {report}");
    assert_eq!(
        report["prompt"], "This is a simple prompt without arguments.",
        "a prompt of server-everything is reachable over HTTP: {report}"
    );
    assert_eq!(
        report["read"]["test://greeting"], "hello from lanyard-test-server",
        "a resource of kit is reachable over HTTP: {report}"
    );
}

#[tokio::test]
async fn a_source_whose_server_died_is_started_again_on_the_next_call() {
    let home = Home::new();
    let server = test_server_bin().display().to_string();
    home.add(&["kit", "--", &server, "stdio"]).await;
    let mut agent = Agent::start(&home).await;
    let first = agent.call("kit__echo", json!({ "message": "one" })).await;
    assert_eq!(text(&first), "one", "the source answers before it dies: {first}");
    let bridge = agent.child.id().expect("the bridge runs");
    let before = children_of(bridge);
    assert_eq!(before.len(), 1, "the merged bridge runs one server process: {before:?}");
    let killed =
        std::process::Command::new("kill").args(["-9", &before[0].to_string()]).status().expect("kill runs");
    assert!(killed.success(), "the server process could be killed");

    // The call right after the kill may still see the old session end (and then names the
    // source); the one after it must reach a new server.
    let racing = agent.call("kit__echo", json!({ "message": "two" })).await;
    if racing.get("error").is_some() {
        let message = racing["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("`kit`"), "a failure right after the kill names the source: {racing}");
        let again = agent.call("kit__echo", json!({ "message": "three" })).await;
        assert_eq!(text(&again), "three", "the next call starts the server again: {again}");
    } else {
        assert_eq!(text(&racing), "two", "the call reached a new server: {racing}");
    }
    let after = children_of(bridge);
    assert_eq!(after.len(), 1, "exactly one server process runs after the restart: {after:?}");
    assert_ne!(after[0], before[0], "it is a new process");
}

/// The line-by-line recording server (see the module docs).
fn recording_server() -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/node/recording-server.mjs")
        .display()
        .to_string()
}

/// Every capability a source may ask an agent for.
fn every_capability() -> Value {
    json!({ "sampling": {}, "elicitation": {}, "roots": {} })
}

fn is_method(method: &'static str) -> impl Fn(&Value) -> bool {
    move |message: &Value| message["method"] == method
}

#[tokio::test]
async fn bridge_all_carries_progress_and_a_sources_requests_during_a_call() {
    let home = Home::new();
    let js = everything_js().display().to_string();
    home.add(&["ev", "--", "node", &js, "stdio"]).await;
    let mut agent = Agent::start_with(&home, every_capability()).await;

    // Progress comes back under the agent's own token; the source was given another one.
    let long = agent
        .request(
            "tools/call",
            json!({
                "name": "ev__trigger-long-running-operation",
                "arguments": { "duration": 1, "steps": 2 },
                "_meta": { "progressToken": "agent-progress-7" },
            }),
        )
        .await;
    assert!(text(&long).contains("completed"), "the long-running call finishes: {long}");
    let progress: Vec<&Value> =
        agent.notifications.iter().filter(|n| n["method"] == "notifications/progress").collect();
    assert_eq!(
        progress.first().and_then(|p| p["params"]["progress"].as_f64()),
        Some(1.0),
        "the first step's progress reached the agent before the answer: {progress:?}"
    );
    assert!(
        progress.iter().all(|p| p["params"]["progressToken"] == "agent-progress-7"),
        "progress carries the agent's token: {progress:?}"
    );

    let sampled = agent.call("ev__trigger-sampling-request", json!({ "prompt": "ping" })).await;
    assert!(
        text(&sampled).contains(SAMPLED),
        "the agent's sampling answer went back to the source: {sampled}"
    );
    let sampling = agent.asked.iter().find(|r| r["method"] == "sampling/createMessage");
    assert!(
        sampling.is_some_and(|r| r["params"]["messages"][0]["content"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("ping"))),
        "the source's sampling request reached the agent with its messages: {:?}",
        agent.asked
    );

    let elicited = agent.call("ev__trigger-elicitation-request", json!({})).await;
    assert!(
        elicited.to_string().contains("Name: Ada"),
        "the agent's elicitation answer went back to the source: {elicited}"
    );

    let roots = agent.call("ev__get-roots-list", json!({})).await;
    assert!(
        roots.to_string().contains("file:///merged-test-root"),
        "the agent's roots went back to the source: {roots}"
    );
}

#[tokio::test]
async fn a_sources_request_is_refused_when_the_agent_did_not_declare_the_capability() {
    let home = Home::new();
    let js = everything_js().display().to_string();
    home.add(&["ev", "--", "node", &js, "stdio"]).await;
    let mut agent = Agent::start(&home).await;
    let refused = agent.call("ev__trigger-sampling-request", json!({ "prompt": "ping" })).await;
    assert!(
        refused.to_string().contains("did not declare the `sampling` capability"),
        "the source hears why the agent was not asked, and the tool says so: {refused}"
    );
    assert!(agent.asked.is_empty(), "an agent without the capability is never asked: {:?}", agent.asked);
}

#[tokio::test]
async fn log_messages_of_a_source_reach_the_agent_tagged_with_the_source() {
    let home = Home::new();
    let js = everything_js().display().to_string();
    home.add(&["ev", "--", "node", &js, "stdio"]).await;
    let mut agent = Agent::start(&home).await;
    let level = agent.request("logging/setLevel", json!({ "level": "debug" })).await;
    assert!(level.get("result").is_some(), "the merged server takes a log level: {level}");
    // server-everything sends one message at once when simulated logging is switched on.
    let toggled = agent.call("ev__toggle-simulated-logging", json!({})).await;
    assert!(text(&toggled).contains("Started"), "simulated logging is on: {toggled}");
    let message = agent.notification(is_method("notifications/message")).await;
    assert_eq!(message["params"]["logger"], "ev", "the message names its source: {message}");
    assert!(
        message["params"]["data"].as_str().is_some_and(|d| d.contains("message")),
        "the source's own text is kept: {message}"
    );
}

#[tokio::test]
async fn cancelling_a_call_reaches_its_source_under_the_sources_request_id() {
    let home = Home::new();
    home.add(&["rec", "--", "node", &recording_server()]).await;
    let js = everything_js().display().to_string();
    home.add(&["ev", "--", "node", &js, "stdio"]).await;
    let mut agent = Agent::start(&home).await;
    let tools = agent.tool_names().await;
    assert!(tools.iter().any(|t| t == "rec__wait"), "the recording server is merged: {tools:?}");

    let call = agent
        .send_request(
            "tools/call",
            json!({ "name": "rec__wait", "arguments": {}, "_meta": { "progressToken": "wait-1" } }),
        )
        .await;
    // Its progress shows the call reached the source.
    let progress = agent
        .notification(|n| n["method"] == "notifications/progress" && n["params"]["progressToken"] == "wait-1")
        .await;
    assert_eq!(
        progress["params"]["progress"].as_f64(),
        Some(1.0),
        "the recording server's progress came back: {progress}"
    );
    agent
        .send(json!({
            "jsonrpc": "2.0", "method": "notifications/cancelled",
            "params": { "requestId": call, "reason": "the test gave up" },
        }))
        .await;
    let said = agent.notification(is_method("notifications/message")).await;
    assert_eq!(said["params"]["logger"], "rec/recorder", "the recording server's log names it: {said}");
    let data = &said["params"]["data"];
    let calls = data["calls"].as_array().cloned().unwrap_or_default();
    assert_eq!(calls.len(), 1, "the source saw exactly one call: {data}");
    assert_eq!(
        data["cancelled"], calls[0],
        "the cancellation names the request id the source knows the call by: {data}"
    );

    // The merged server still serves the agent afterwards.
    let echo = agent.call("ev__echo", json!({ "message": "after the cancel" })).await;
    assert_eq!(text(&echo), "Echo: after the cancel", "later calls still work: {echo}");
}

#[tokio::test]
async fn serve_mcp_carries_progress_sampling_and_logging_to_an_sdk_agent() {
    let home = Home::new();
    let js = everything_js().display().to_string();
    home.add(&["ev", "--", "node", &js, "stdio"]).await;
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let plan = json!({
        "http": { "url": format!("{base}/mcp"), "token": bridge_token() },
        "progress": { "tool": "ev__trigger-long-running-operation", "arguments": { "duration": 1, "steps": 2 } },
        "sampling": { "tool": "ev__trigger-sampling-request", "arguments": { "prompt": "ping" } },
        "logging": { "tool": "ev__toggle-simulated-logging" },
    });
    let report = run_agent(&home, &plan).await.expect("the SDK agent runs against /mcp");
    // The SDK may drop a progress notification that comes in the same read as the answer, so
    // only the first step's is certain.
    let progress = report["progress"]["notifications"].as_array().cloned().unwrap_or_default();
    assert_eq!(progress.first(), Some(&json!(1)), "progress reaches the SDK agent over HTTP: {report}");
    assert!(
        report["progress"]["text"].as_str().unwrap_or_default().contains("completed"),
        "the long-running call finishes: {report}"
    );
    assert!(
        report["sampling"].as_str().unwrap_or_default().contains("sampled by the bridge-agent"),
        "the SDK agent answered the source's sampling request over HTTP: {report}"
    );
    assert_eq!(report["logging"]["logger"], "ev", "a source's log message reaches the SDK agent: {report}");
}

/// The `_meta` every request of a 2026-07-28 agent carries in place of a handshake.
fn stateless_meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": { "name": "merged-test", "version": "1" },
    })
}

#[tokio::test]
async fn a_stateless_agent_hears_of_list_changes_through_subscriptions_listen() {
    // A 2026-07-28 agent has no session for `list_changed` to be pushed on; it keeps a
    // `subscriptions/listen` request open instead.
    let home = Home::new();
    home.add(&["rec", "--", "node", &recording_server()]).await;
    let mut agent = Agent::spawn(&home);
    let listen = agent
        .send_request(
            "subscriptions/listen",
            json!({ "notifications": { "toolsListChanged": true }, "_meta": stateless_meta() }),
        )
        .await;
    let acknowledged = agent.notification(is_method("notifications/subscriptions/acknowledged")).await;
    assert_eq!(
        acknowledged["params"]["notifications"]["toolsListChanged"], true,
        "the merged server accepts tool list changes: {acknowledged}"
    );
    let announced = agent
        .request("tools/call", json!({ "name": "rec__announce", "arguments": {}, "_meta": stateless_meta() }))
        .await;
    assert_eq!(text(&announced), "announced", "a stateless call is routed: {announced}");
    let changed = agent.notification(is_method("notifications/tools/list_changed")).await;
    assert_eq!(
        changed["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        json!(listen),
        "the change comes on the agent's listen request: {changed}"
    );
}

#[tokio::test]
async fn a_stateless_agent_gets_progress_and_a_clear_refusal_for_sampling() {
    // 2026-07-28 forbids requests from server to client (servers answer `input_required`
    // instead, which the merged server does not do yet): the source hears that, never silence.
    let home = Home::new();
    let js = everything_js().display().to_string();
    home.add(&["ev", "--", "node", &js, "stdio"]).await;
    let mut agent = Agent::spawn(&home);
    let mut meta = stateless_meta();
    meta["io.modelcontextprotocol/clientCapabilities"] = json!({ "sampling": {} });
    meta["progressToken"] = json!("stateless-1");
    let long = agent
        .request(
            "tools/call",
            json!({
                "name": "ev__trigger-long-running-operation",
                "arguments": { "duration": 1, "steps": 2 },
                "_meta": meta.clone(),
            }),
        )
        .await;
    assert!(text(&long).contains("completed"), "a stateless call is routed: {long}");
    let first = agent.notifications.iter().find(|n| n["method"] == "notifications/progress");
    assert_eq!(
        first.map(|p| (&p["params"]["progressToken"], p["params"]["progress"].as_f64())),
        Some((&json!("stateless-1"), Some(1.0))),
        "progress reaches a stateless agent under its token: {:?}",
        agent.notifications
    );

    let sampled =
        agent.request("tools/call", json!({ "name": "ev__trigger-sampling-request", "arguments": { "prompt": "ping" }, "_meta": meta })).await;
    assert!(
        sampled.to_string().contains("not allowed on protocol 2026-07-28"),
        "the source is told why the stateless agent was not asked: {sampled}"
    );
    assert!(agent.asked.is_empty(), "a stateless agent is never sent a request: {:?}", agent.asked);
}

#[tokio::test]
async fn a_streamable_http_sources_progress_and_sampling_reach_the_agent() {
    // Over streamable HTTP the source's sampling request comes on the response stream of the
    // call it belongs to, which is how the merged server finds the call.
    let (_server, url) =
        start_everything(Everything::StreamableHttp).await.expect("server-everything starts");
    let home = Home::new();
    home.add(&["evh", "--url", &url]).await;
    let mut agent = Agent::start_with(&home, every_capability()).await;
    let long = agent
        .request(
            "tools/call",
            json!({
                "name": "evh__trigger-long-running-operation",
                "arguments": { "duration": 1, "steps": 2 },
                "_meta": { "progressToken": "http-progress" },
            }),
        )
        .await;
    assert!(text(&long).contains("completed"), "the long-running call finishes: {long}");
    let first = agent.notifications.iter().find(|n| n["method"] == "notifications/progress");
    assert_eq!(
        first.map(|p| (&p["params"]["progressToken"], p["params"]["progress"].as_f64())),
        Some((&json!("http-progress"), Some(1.0))),
        "an HTTP source's progress reaches the agent under its token: {:?}",
        agent.notifications
    );
    let sampled = agent.call("evh__trigger-sampling-request", json!({ "prompt": "over http" })).await;
    assert!(text(&sampled).contains(SAMPLED), "the agent's sampling answer went back over HTTP: {sampled}");
}

#[tokio::test]
async fn serve_mcp_answers_a_stateless_http_call_with_its_progress() {
    let home = Home::new();
    let js = everything_js().display().to_string();
    home.add(&["ev", "--", "node", &js, "stdio"]).await;
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let mut meta = stateless_meta();
    meta["progressToken"] = json!("http-stateless");
    let params = json!({
        "name": "ev__trigger-long-running-operation",
        "arguments": { "duration": 1, "steps": 2 },
        "_meta": meta,
    });
    let response = stateless_post(&base, 7, "tools/call", params).await;
    let status = response.status().as_u16();
    let text = tokio::time::timeout(ANSWER_DEADLINE, response.text())
        .await
        .expect("the stream ends in time")
        .expect("read the answer");
    assert_eq!(status, 200, "a stateless call is taken without a session: {text}");
    let messages: Vec<Value> = text
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .filter_map(|data| serde_json::from_str(data.trim()).ok())
        .collect();
    let answer = messages.iter().find(|m| m["id"] == 7);
    assert!(
        answer.is_some_and(|a| a["result"]["content"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("completed"))),
        "the stateless call is routed and answered: {text}"
    );
    let progress = messages.iter().find(|m| m["method"] == "notifications/progress");
    assert_eq!(
        progress.map(|p| &p["params"]["progressToken"]),
        Some(&json!("http-stateless")),
        "progress comes on the call's own stream under the agent's token: {text}"
    );
}

/// A stateless (2026-07-28) POST to `/mcp` of `lanyard serve`, with the headers that era wants.
async fn stateless_post(base: &str, id: u64, method: &str, params: Value) -> reqwest::Response {
    let name = params["name"].as_str().unwrap_or_default().to_owned();
    let body = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
    let mut request = reqwest::Client::new()
        .post(format!("{base}/mcp"))
        .bearer_auth(bridge_token())
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", method);
    if !name.is_empty() {
        request = request.header("mcp-name", name);
    }
    request.body(body.to_string()).send().await.expect("lanyard serve answers")
}

/// Reads an event stream until a message that `wanted` accepts (the test fails after
/// [`ANSWER_DEADLINE`]); returns it.
async fn read_until(
    response: &mut reqwest::Response,
    seen: &mut String,
    wanted: impl Fn(&Value) -> bool,
) -> Value {
    loop {
        let found = seen
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
            .find(|message| wanted(message));
        if let Some(found) = found {
            return found;
        }
        let chunk = tokio::time::timeout(ANSWER_DEADLINE, response.chunk())
            .await
            .unwrap_or_else(|_| panic!("the stream went quiet; so far: {seen}"))
            .expect("read the stream")
            .unwrap_or_else(|| panic!("the stream ended; so far: {seen}"));
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test]
async fn serve_mcp_tells_a_stateless_http_listener_of_list_changes() {
    let home = Home::new();
    home.add(&["rec", "--", "node", &recording_server()]).await;
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let mut listen = stateless_post(
        &base,
        1,
        "subscriptions/listen",
        json!({ "notifications": { "toolsListChanged": true }, "_meta": stateless_meta() }),
    )
    .await;
    assert_eq!(listen.status().as_u16(), 200, "the listen request is taken");
    let mut seen = String::new();
    read_until(&mut listen, &mut seen, is_method("notifications/subscriptions/acknowledged")).await;
    let announced = stateless_post(
        &base,
        2,
        "tools/call",
        json!({ "name": "rec__announce", "arguments": {}, "_meta": stateless_meta() }),
    )
    .await
    .text()
    .await
    .expect("read the call's answer");
    assert!(announced.contains("announced"), "the stateless call is routed: {announced}");
    let changed = read_until(&mut listen, &mut seen, is_method("notifications/tools/list_changed")).await;
    assert_eq!(
        changed["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"], 1,
        "the change comes on the listen request's stream: {changed}"
    );
}
