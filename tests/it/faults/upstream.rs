//! An HTTP upstream killed in the middle of a call through `lanyard serve` (the stdio case is in
//! `bridge.rs` and `merged.rs`): the agent's call in flight ends with a JSON-RPC error that names
//! the source, other sources and the bridge go on, and once the server is back the agent's next
//! session works.

use serde_json::{Value, json};

use super::{Agent, signal};
use crate::support::bridge_home::{Home, bridge_token, start_serve};
use crate::support::{start_test_server_http_on, test_server_bin};

fn echoed(answer: &Value) -> Option<&str> {
    answer["result"]["content"][0]["text"].as_str()
}

#[tokio::test]
async fn issue_6_http_upstream_killed_mid_call_answers_with_the_source_and_the_next_session_works() {
    let home = Home::new();
    let (upstream, url) = start_test_server_http_on(0).await.expect("the test server starts");
    let port: u16 = url::Url::parse(&url).unwrap().port().expect("a port");
    let server = test_server_bin().display().to_string();
    home.add(&["web", "--url", &url]).await;
    home.add(&["local", "--", &server, "stdio"]).await;
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let mut web = Agent::new(&base, "web");
    assert!(web.initialize().await.get("result").is_some(), "the HTTP source's session starts");
    let mut local = Agent::new(&base, "local");
    assert!(local.initialize().await.get("result").is_some(), "the stdio source's session starts");

    // The long call's answer starts (headers) once the server has taken the call.
    let call = json!({ "jsonrpc": "2.0", "id": 7, "method": "tools/call",
        "params": { "name": "sleep", "arguments": { "ms": 60000 } } });
    let in_flight = reqwest::Client::new()
        .post(format!("{base}/mcp/web"))
        .bearer_auth(bridge_token())
        .header("accept", "application/json, text/event-stream")
        .header("mcp-session-id", web.session.clone().expect("a session id"))
        .header("mcp-protocol-version", "2025-06-18")
        .json(&call)
        .send()
        .await
        .expect("the bridge takes the call");
    assert!(in_flight.status().is_success(), "the call is in flight: {}", in_flight.status());
    signal(upstream.id().expect("the server runs"), "-KILL");
    drop(upstream);

    let text = in_flight.text().await.unwrap_or_else(|err| format!("(cut off: {err})"));
    let answer = text
        .lines()
        .map(|line| line.strip_prefix("data:").unwrap_or(line).trim())
        .filter_map(|data| serde_json::from_str::<Value>(data).ok())
        .find(|value| value["id"] == 7);
    let answer =
        answer.unwrap_or_else(|| panic!("the call in flight gets an answer, not a cut stream: {text}"));
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("`web`"), "the call in flight ends with an error naming the source: {answer}");

    let other = local.call(1, "echo", json!({ "message": "still here" })).await;
    assert_eq!(echoed(&other), Some("still here"), "another source is unaffected: {other}");
    let down = web.call(2, "echo", json!({ "message": "down" })).await;
    assert!(down.to_string().contains("`web`"), "a call while the server is down names the source: {down}");

    let (_back, _) = start_test_server_http_on(port).await.expect("the test server starts again");
    let mut again = Agent::new(&base, "web");
    assert!(again.initialize().await.get("result").is_some(), "a new session reaches the new server");
    let back = again.call(1, "echo", json!({ "message": "back" })).await;
    assert_eq!(echoed(&back), Some("back"), "and works: {back}");
}
