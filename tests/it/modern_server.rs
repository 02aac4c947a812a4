//! Issue 15, "a 2026-07-28-only server works in the CLI, `bridge <id>` and `bridge --all`": every
//! path from an agent to a server that speaks 2026-07-28 alone and refuses `initialize`
//! (`lanyard-test-server conformance --only-2026-07-28`). Each test makes a real tool call and
//! then reads the server's own request log, which is the witness of the revision spoken: the call
//! arrived with `MCP-Protocol-Version: 2026-07-28`, and no `initialize` was ever accepted.
//!
//! The merged server (`bridge --all`, `/mcp`) and the CLI hold their own session with the
//! server, so any agent works; the TypeScript SDK (an `initialize`-era agent) drives them. The
//! pass-through paths (`bridge <id>`, `/mcp/<id>`) relay the agent's own messages and do not
//! translate between revisions, so they carry a 2026-07-28 agent (rmcp's, with the
//! `server/discover` lifecycle) to such a server, and hand an `initialize`-era agent the server's
//! own refusal: both are checked here.

use std::process::Stdio;

use anyhow::Context as _;
use serde_json::{Value, json};

use rmcp::model::{CallToolRequestParams, ProtocolVersion};
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientLifecycleMode, ClientServiceExt as _, RoleClient};

use crate::support::bridge_home::{bridge_token, run_agent, start_serve};
use crate::support::home::{Home, lanyard_bin};
use crate::support::{ChildGuard, start_test_server};

/// The id the server gets in each test's home.
const SOURCE: &str = "modern";
const TOOL: &str = "test_simple_text";
/// What `test_simple_text` answers.
const ANSWER: &str = "This is a simple text response for testing.";
/// A tool whose `region` argument the server also wants in `Mcp-Param-Region` (SEP-2243).
const HEADER_TOOL: &str = "test_custom_headers";

/// `lanyard-test-server conformance --only-2026-07-28`, writing its request log to a temp dir.
struct ModernServer {
    url: String,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
    _child: ChildGuard,
}

impl ModernServer {
    async fn start() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir().context("a temp dir for the request log")?;
        let log = dir.path().join("requests.jsonl");
        let args = [
            "conformance".to_owned(),
            "--only-2026-07-28".to_owned(),
            format!("--request-log={}", log.display()),
        ];
        let (guard, url) = start_test_server(&args).await?;
        Ok(Self { url, log, _dir: dir, _child: guard })
    }

    /// A home with this server saved as the source [`SOURCE`].
    async fn home(&self) -> Home {
        let home = Home::new();
        home.add(&[SOURCE, "--url", &self.url]).await;
        home
    }

    /// The request log so far, one JSON object a line.
    fn requests(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.log).expect("the server's request log reads");
        text.lines().map(|line| serde_json::from_str(line).expect("each log line is JSON")).collect()
    }

    /// Checks, from the server's own log, that `tools/call` arrived `calls` times, each on the
    /// 2026-07-28 wire, and that the server never agreed to an `initialize`.
    #[track_caller]
    fn assert_called_on_2026_07_28(&self, path: &str, calls: usize) {
        let log = self.requests();
        let tool_calls: Vec<&Value> = log.iter().filter(|line| line["method"] == "tools/call").collect();
        assert_eq!(tool_calls.len(), calls, "{path}: the server saw {calls} tools/call: {log:#?}");
        for call in &tool_calls {
            assert_eq!(
                call["protocolVersion"], "2026-07-28",
                "{path}: each call carries MCP-Protocol-Version: 2026-07-28: {log:#?}"
            );
        }
        assert!(
            log.iter().any(|line| line["method"] == "server/discover"),
            "{path}: the session opened with server/discover: {log:#?}"
        );
        assert!(
            !log.iter().any(|line| line["initialize"] == "accepted"),
            "{path}: the server, which speaks 2026-07-28 alone, never agreed to initialize: {log:#?}"
        );
    }
}

fn stdio(args: &[&str]) -> Value {
    json!({ "stdio": { "command": lanyard_bin(), "args": args } })
}

/// One call of `tool`, on the session `connect` opens.
fn one_call(connect: Value, tool: &str) -> Value {
    let mut plan = connect;
    plan["calls"] = json!([{ "tool": tool }]);
    plan
}

#[track_caller]
fn assert_answered(report: &Value, path: &str) {
    assert_eq!(
        report["calls"][0]["text"], ANSWER,
        "{path}: the tool call reaches the 2026-07-28-only server and comes back: {report}"
    );
}

#[tokio::test]
async fn issue_15_cli_tools_and_call_work_against_a_2026_07_28_only_server() {
    let server = ModernServer::start().await.expect("the server starts");
    let home = server.home().await;
    let run = |args: &[&str]| home.lanyard(args).stdin(Stdio::null()).output();

    let listed = run(&["tools", SOURCE, "--json"]).await.expect("lanyard runs");
    let stdout = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.status.success() && stdout.contains(TOOL),
        "lanyard tools lists the server's tools: {stdout}\n{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let called = run(&["call", SOURCE, TOOL]).await.expect("lanyard runs");
    let stdout = String::from_utf8_lossy(&called.stdout);
    assert!(
        called.status.success() && stdout.contains(ANSWER),
        "lanyard call gets the tool's answer: {stdout}\n{}",
        String::from_utf8_lossy(&called.stderr)
    );
    server.assert_called_on_2026_07_28("lanyard call", 1);
    let status = run(&["status", SOURCE, "--json"]).await.expect("lanyard runs");
    let status: Value = serde_json::from_slice(&status.stdout).expect("status --json is JSON");
    assert_eq!(
        status["sources"][0]["protocol"], "2026-07-28",
        "status shows the revision the last connection spoke: {status}"
    );
}

/// The JSON-RPC code of "unsupported protocol version", a 2026-07-28 server's answer to
/// `initialize`.
const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// An agent of the 2026-07-28 revision: rmcp's client with the `server/discover` lifecycle.
async fn modern_agent<T, E, A>(transport: T) -> RunningService<RoleClient, ()>
where
    T: rmcp::transport::IntoTransport<RoleClient, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    let lifecycle = ClientLifecycleMode::Discover { preferred_versions: vec![ProtocolVersion::V_2026_07_28] };
    ().serve_with_lifecycle(transport, lifecycle).await.expect("the agent opens a 2026-07-28 session")
}

/// The text of a call's first content block.
fn text_of(result: &Result<rmcp::model::CallToolResult, rmcp::ServiceError>) -> Option<String> {
    let block = result.as_ref().ok()?.content.first()?;
    block.as_text().map(|text| text.text.clone())
}

/// Calls [`TOOL`] on `agent`, then lists the tools and calls [`HEADER_TOOL`], whose argument
/// travels in an `Mcp-Param-Region` header too, and checks both answers: two calls in all.
async fn assert_modern_agent_called(agent: RunningService<RoleClient, ()>, path: &str) {
    let result = agent.call_tool(CallToolRequestParams::new(TOOL)).await;
    assert_eq!(
        text_of(&result).as_deref(),
        Some(ANSWER),
        "{path}: a 2026-07-28 agent's call reaches the 2026-07-28-only server: {result:?}"
    );
    let tools = agent.list_all_tools().await.expect("the agent lists the tools");
    assert!(tools.iter().any(|tool| tool.name == HEADER_TOOL), "{path}: {HEADER_TOOL} is listed");
    let region = json!({ "region": "eu-west" }).as_object().cloned().unwrap_or_default();
    let result = agent.call_tool(CallToolRequestParams::new(HEADER_TOOL).with_arguments(region)).await;
    assert_eq!(
        text_of(&result).as_deref(),
        Some("region=eu-west"),
        "{path}: a call whose argument the server wants in Mcp-Param-Region gets that header: {result:?}"
    );
    let _ = agent.cancel().await;
}

#[track_caller]
fn assert_initialize_refused(server: &ModernServer, report: &anyhow::Result<Value>, path: &str) {
    assert_initialize_refused_after_calls(server, report, path, 0);
}

/// Checks that an `initialize`-era agent got the server's refusal and made no call, on a server
/// that has answered `calls` tool calls before.
#[track_caller]
fn assert_initialize_refused_after_calls(
    server: &ModernServer,
    report: &anyhow::Result<Value>,
    path: &str,
    calls: usize,
) {
    let failure = match report {
        Ok(report) => report.to_string(),
        Err(err) => err.to_string(),
    };
    assert!(
        report.is_err() && failure.contains(&UNSUPPORTED_PROTOCOL_VERSION.to_string()),
        "{path}: an initialize-era agent gets the server's own refusal: {failure}"
    );
    let log = server.requests();
    assert!(
        log.iter().any(|line| line["initialize"] == "refused"),
        "{path}: the agent's initialize reached the server, which refused it: {log:#?}"
    );
    let made = log.iter().filter(|line| line["method"] == "tools/call").count();
    assert_eq!(made, calls, "{path}: the refused agent made no call: {log:#?}");
}

#[tokio::test]
async fn issue_15_bridge_one_source_carries_a_2026_07_28_agent_to_a_2026_07_28_only_server() {
    let server = ModernServer::start().await.expect("the server starts");
    let home = server.home().await;
    let mut bridge = home
        .lanyard(&["bridge", SOURCE, "--no-hub"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("lanyard bridge starts");
    let stdout = bridge.stdout.take().expect("stdout is piped");
    let stdin = bridge.stdin.take().expect("stdin is piped");
    let _bridge = ChildGuard::new(bridge);
    assert_modern_agent_called(modern_agent((stdout, stdin)).await, "bridge <id>").await;
    server.assert_called_on_2026_07_28("bridge <id>", 2);
}

#[tokio::test]
async fn issue_15_bridge_one_source_hands_an_initialize_era_agent_the_server_s_refusal() {
    let server = ModernServer::start().await.expect("the server starts");
    let home = server.home().await;
    let report = run_agent(&home, &one_call(stdio(&["bridge", SOURCE, "--no-hub"]), TOOL)).await;
    assert_initialize_refused(&server, &report, "bridge <id>");
}

#[tokio::test]
async fn issue_15_merged_bridge_works_against_a_2026_07_28_only_server() {
    let server = ModernServer::start().await.expect("the server starts");
    let home = server.home().await;
    let merged = format!("{SOURCE}__{TOOL}");
    let report = run_agent(&home, &one_call(stdio(&["bridge", "--all", "--no-hub"]), &merged))
        .await
        .expect("the agent runs");
    assert!(
        report["tools"].as_array().is_some_and(|tools| tools.iter().any(|tool| tool == &json!(merged))),
        "bridge --all lists the server's tools under its id: {report}"
    );
    assert_answered(&report, "bridge --all");
    server.assert_called_on_2026_07_28("bridge --all", 1);
}

#[tokio::test]
async fn issue_15_the_hub_works_against_a_2026_07_28_only_server() {
    let server = ModernServer::start().await.expect("the server starts");
    let home = server.home().await;
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let merged = format!("{SOURCE}__{TOOL}");
    let http = |path: &str| json!({ "http": { "url": format!("{base}{path}"), "token": bridge_token() } });

    let report = run_agent(&home, &one_call(http("/mcp"), &merged)).await.expect("the agent runs");
    assert_answered(&report, "/mcp");
    server.assert_called_on_2026_07_28("/mcp", 1);

    let report =
        run_agent(&home, &one_call(stdio(&["bridge", "--all"]), &merged)).await.expect("the agent runs");
    assert_answered(&report, "bridge --all through the hub");
    server.assert_called_on_2026_07_28("bridge --all through the hub", 2);

    let mut headers = reqwest::header::HeaderMap::new();
    let bearer = format!("Bearer {}", bridge_token()).parse().expect("the bridge token is a header value");
    headers.insert(reqwest::header::AUTHORIZATION, bearer);
    let http_client = reqwest::Client::builder().default_headers(headers).build().expect("an HTTP client");
    let config = StreamableHttpClientTransportConfig::with_uri(format!("{base}/mcp/{SOURCE}"));
    let transport = StreamableHttpClientTransport::with_client(http_client, config);
    assert_modern_agent_called(modern_agent(transport).await, "/mcp/<id>").await;
    server.assert_called_on_2026_07_28("/mcp/<id>", 4);

    let report = run_agent(&home, &one_call(http(&format!("/mcp/{SOURCE}")), TOOL)).await;
    assert_initialize_refused_after_calls(&server, &report, "/mcp/<id>", 4);
}
