//! The hub follows the profile file while it runs: a real `lanyard serve` with
//! `lanyard-test-server` sources, the file changed by `lanyard profile add|edit|rm` (and broken by
//! hand), and rmcp agents that look at `/mcp/<source>` and the merged `/mcp` afterwards. Changes
//! take effect within about a second, so every check polls with a generous deadline.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use rmcp::service::{NotificationContext, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::json;
use tokio::sync::mpsc;

use crate::support::bridge_home::{CountingUpstream, bridge_token, start_serve, start_serve_logged};
use crate::support::home::{Home, output_with_input};
use crate::support::{eventually, test_server_bin};

/// How long a change may take to show; the hub looks at the file once a second.
const DEADLINE: Duration = Duration::from_secs(60);
/// The pause between two looks while polling.
const POLL: Duration = Duration::from_millis(200);

fn http_client() -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {}", bridge_token()).parse().unwrap());
    reqwest::Client::builder().default_headers(headers).build().expect("an HTTP client")
}

/// An agent that reports each `notifications/tools/list_changed` it gets.
#[derive(Clone)]
struct Listening {
    changed: mpsc::UnboundedSender<()>,
}

impl ClientHandler for Listening {
    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.changed.send(());
    }
}

async fn agent<H: ClientHandler>(url: &str, handler: H) -> anyhow::Result<RunningService<RoleClient, H>> {
    let transport = StreamableHttpClientTransport::with_client(
        http_client(),
        StreamableHttpClientTransportConfig::with_uri(url),
    );
    Ok(handler.serve(transport).await?)
}

async fn tool_names<H: ClientHandler>(agent: &RunningService<RoleClient, H>) -> Vec<String> {
    let tools = agent.peer().list_all_tools().await.expect("the agent lists tools");
    tools.into_iter().map(|tool| tool.name.to_string()).collect()
}

/// The tools a new session of `url` lists; `None` when no session starts (a source that is gone).
async fn new_session_tools(url: &str) -> Option<Vec<String>> {
    let agent = agent(url, ()).await.ok()?;
    let names = tool_names(&agent).await;
    let _ = agent.cancel().await;
    Some(names)
}

/// Runs `lanyard <args>` in `home` and fails the test if it fails.
async fn lanyard(home: &Home, args: &[&str]) {
    let output = home.lanyard(args).stdin(Stdio::null()).output().await.expect("lanyard runs");
    assert!(output.status.success(), "lanyard {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
}

fn kit() -> String {
    test_server_bin().display().to_string()
}

/// The status of an `initialize` POSTed to `url`.
async fn initialize_status(url: &str) -> u16 {
    let answer = http_client()
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(
            json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": { "name": "live-profiles", "version": "1" } } })
            .to_string(),
        )
        .send()
        .await
        .expect("lanyard serve answers");
    answer.status().as_u16()
}

#[tokio::test]
async fn an_edited_source_gets_its_new_settings_at_the_next_session_without_a_restart() {
    let home = Home::new();
    home.add(&["kit", "--", &kit(), "stdio"]).await;
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let url = format!("{base}/mcp/kit");
    let before = new_session_tools(&url).await.expect("a session of kit starts");
    assert!(before.iter().any(|t| t == "add"), "kit lists `add` before the edit: {before:?}");

    lanyard(&home, &["profile", "edit", "kit", "--exclude", "add"]).await;
    eventually("a new session of kit leaves out `add` after `profile edit --exclude add`", POLL, || async {
        new_session_tools(&url).await.is_some_and(|tools| !tools.iter().any(|t| t == "add")).then_some(())
    })
    .await;

    // A source added while the hub runs is served; once removed, a new session is told so.
    home.add(&["kit2", "--", &kit(), "stdio"]).await;
    let added = new_session_tools(&format!("{base}/mcp/kit2")).await.expect("a session of kit2 starts");
    assert!(added.iter().any(|t| t == "echo"), "the new source is served without a restart: {added:?}");
    lanyard(&home, &["profile", "rm", "kit2"]).await;
    let gone = format!("{base}/mcp/kit2");
    eventually("a removed source answers a new session with 404", POLL, || async {
        (initialize_status(&gone).await == 404).then_some(())
    })
    .await;
}

#[tokio::test]
async fn the_merged_server_gains_and_loses_sources_and_tells_the_agent() {
    let home = Home::new();
    home.add(&["kit", "--", &kit(), "stdio"]).await;
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let (changed, mut changes) = mpsc::unbounded_channel();
    let agent = agent(&format!("{base}/mcp"), Listening { changed }).await.expect("the agent initializes");
    let tools = tool_names(&agent).await;
    assert!(tools.iter().any(|t| t == "kit__echo"), "kit is merged: {tools:?}");
    assert!(!tools.iter().any(|t| t.starts_with("extra__")), "no `extra` source yet: {tools:?}");
    while changes.try_recv().is_ok() {}

    lanyard(&home, &["profile", "add", "extra", "--", &kit(), "stdio"]).await;
    tokio::time::timeout(DEADLINE, changes.recv())
        .await
        .expect("the agent is told the tool list changed after a source was added")
        .expect("the agent runs");
    let tools = tool_names(&agent).await;
    assert!(tools.iter().any(|t| t == "extra__echo"), "the added source's tools are merged: {tools:?}");
    let called = agent
        .peer()
        .call_tool({
            let mut params = rmcp::model::CallToolRequestParams::new("extra__echo");
            params.arguments = json!({ "message": "live" }).as_object().cloned();
            params
        })
        .await
        .expect("the added source's tool can be called");
    assert_eq!(
        called.content.first().and_then(|c| c.as_text()).map(|t| t.text.as_str()),
        Some("live"),
        "the call reaches the added source: {called:?}"
    );

    while changes.try_recv().is_ok() {}
    lanyard(&home, &["profile", "rm", "extra"]).await;
    tokio::time::timeout(DEADLINE, changes.recv())
        .await
        .expect("the agent is told the tool list changed after a source was removed")
        .expect("the agent runs");
    let tools = tool_names(&agent).await;
    assert!(!tools.iter().any(|t| t.starts_with("extra__")), "the removed source is gone: {tools:?}");
    assert!(tools.iter().any(|t| t == "kit__echo"), "the other source stays: {tools:?}");
}

fn log_text(log: &Path) -> String {
    std::fs::read_to_string(log).unwrap_or_default()
}

#[tokio::test]
async fn a_profile_file_broken_by_hand_leaves_the_last_good_one_served_until_it_is_fixed() {
    let home = Home::new();
    home.add(&["kit", "--", &kit(), "stdio"]).await;
    let scratch = tempfile::tempdir().expect("a temp dir");
    let log = scratch.path().join("serve.log");
    let (_serve, base) = start_serve_logged(&home, &log).await.expect("lanyard serve starts");

    let path = home.profile_file();
    let good = std::fs::read_to_string(&path).expect("the profile file exists");
    let line = good.lines().count() + 1;
    std::fs::write(&path, format!("{good}this is not toml\n")).expect("break the file");
    let named = format!("profiles.toml:{line}:");
    eventually("the hub logs the broken file's line", POLL, || async {
        log_text(&log).contains(&named).then_some(())
    })
    .await;

    // Nothing served kit before the break: it is served from the last good file.
    let tools =
        new_session_tools(&format!("{base}/mcp/kit")).await.expect("kit is served while the file is broken");
    assert!(tools.iter().any(|t| t == "add"), "kit is served as the last good file has it: {tools:?}");
    let merged = agent(&format!("{base}/mcp"), ()).await.expect("the merged server answers");
    let listed = tool_names(&merged).await;
    assert!(
        listed.iter().any(|t| t == "kit__echo"),
        "the merged list comes from the last good file: {listed:?}"
    );
    let _ = merged.cancel().await;

    std::fs::write(&path, &good).expect("fix the file");
    lanyard(&home, &["profile", "edit", "kit", "--exclude", "add"]).await;
    eventually("after the fix, an edit reaches kit's next session", POLL, || async {
        new_session_tools(&format!("{base}/mcp/kit"))
            .await
            .is_some_and(|tools| !tools.iter().any(|t| t == "add"))
            .then_some(())
    })
    .await;
    assert!(log_text(&log).contains("reads again"), "the recovery is logged: {}", log_text(&log));
}

/// Runs `lanyard <args>` in `home` with `input` on its stdin (a secret's value) and fails the
/// test if it fails.
async fn lanyard_with_input(home: &Home, args: &[&str], input: &str) {
    let output = output_with_input(&mut home.lanyard(args), &format!("{input}\n")).await;
    assert!(output.status.success(), "lanyard {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
}

#[tokio::test]
async fn a_secret_given_a_new_value_reaches_the_running_hub_without_a_restart() {
    let home = Home::new();
    let upstream = CountingUpstream::start().await.expect("the recording upstream starts");
    let add = ["profile", "add", "keyed", "--url", &upstream.url, "--header-secret", "Authorization"];
    lanyard_with_input(&home, &add, "Bearer first-value").await;
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let url = format!("{base}/mcp/keyed");
    let last_seen = || upstream.authorizations().last().cloned().flatten();

    initialize_status(&url).await;
    assert_eq!(last_seen().as_deref(), Some("Bearer first-value"), "the hub sends the stored value");

    let edit = ["profile", "edit", "keyed", "--header-secret", "Authorization"];
    lanyard_with_input(&home, &edit, "Bearer second-value").await;
    let file = std::fs::read_to_string(home.profile_file()).expect("read the profile file");
    assert!(file.contains("secrets_revision = 1"), "the new value is counted in the file: {file}");
    assert!(!file.contains("second-value"), "the value itself stays out of the file: {file}");
    eventually("a new session sends the secret's new value", POLL, || async {
        initialize_status(&url).await;
        (last_seen().as_deref() == Some("Bearer second-value")).then_some(())
    })
    .await;
}
