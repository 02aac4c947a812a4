//! An HTTP upstream killed in the middle of a call through `lanyard serve` (the stdio case is in
//! `bridge.rs` and `merged.rs`): the agent's call in flight ends with a JSON-RPC error that names
//! the source, other sources and the bridge go on, and once the server is back the agent's next
//! session works.

use serde_json::{Value, json};

use super::{Agent, signal};
use crate::bridge::RawBridge;
use crate::support::bridge_home::{bridge_token, start_serve};
use crate::support::home::Home;
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

/// A call the server takes and never answers: past the source's `timeouts.request_secs` the
/// agent gets an error saying so, naming the source and the limit, and the server is told to
/// stop (`notifications/cancelled`), instead of both waiting for ever.
#[tokio::test]
async fn issue_6_an_http_call_past_the_request_timeout_is_answered_and_cancelled_upstream() {
    let home = Home::new();
    let (_upstream, url) = start_test_server_http_on(0).await.expect("the test server starts");
    home.add(&["slow", "--url", &url, "--request-timeout", "2"]).await;
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let mut agent = Agent::new(&base, "slow");
    assert!(agent.initialize().await.get("result").is_some(), "the session starts");

    let late = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        agent.call(1, "sleep", json!({ "ms": 600_000 })),
    )
    .await
    .expect("the late call is answered well before the server would have");
    let message = late["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("`slow`")
            && message.contains("no answer within 2 s")
            && message.contains("tools/call"),
        "the call ends with an error naming the source, the request and the limit: {late}"
    );

    // The server hears of it: its `sleep` ends as cancelled (the notification is sent after the
    // agent's answer, so it is polled for).
    let mut count = String::new();
    for n in 2..200 {
        let answer = agent.call(n, "cancelled_sleeps", json!({})).await;
        count = echoed(&answer).unwrap_or_default().to_owned();
        if count == "1" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(count, "1", "the server was told to stop the call it was late on");
    let after = agent.call(300, "echo", json!({ "message": "still here" })).await;
    assert_eq!(echoed(&after), Some("still here"), "the session goes on: {after}");
}

/// A server that takes the connection and never answers: the agent's request still ends, with
/// the request timeout's error, once `timeouts.request_secs` have passed.
#[tokio::test]
async fn issue_6_an_http_server_that_never_answers_gets_the_request_timeout() {
    let home = Home::new();
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let url = format!("http://{}/mcp", silent.local_addr().expect("an address"));
    let held = tokio::spawn(async move {
        let mut connections = Vec::new();
        while let Ok((connection, _)) = silent.accept().await {
            connections.push(connection); // read nothing, answer nothing, close nothing
        }
    });
    home.add(&["silent", "--url", &url, "--request-timeout", "2"]).await;
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let mut agent = Agent::new(&base, "silent");
    let init = tokio::time::timeout(std::time::Duration::from_secs(60), agent.initialize())
        .await
        .expect("initialize is answered well before the agent gives up");
    let message = init["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("`silent`") && message.contains("`initialize` got no answer within 2 s"),
        "initialize ends with the request timeout's error naming the source: {init}"
    );
    held.abort();
}

/// A server that sends the headers of a JSON answer and half its body, then stalls: the
/// forward still answers within the request timeout, since a JSON answer is read whole first.
#[tokio::test]
async fn issue_6_a_json_answer_left_half_sent_gets_the_request_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let home = Home::new();
    let stalling = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let url = format!("http://{}/mcp", stalling.local_addr().expect("an address"));
    let held = tokio::spawn(async move {
        let mut connections = Vec::new();
        while let Ok((mut connection, _)) = stalling.accept().await {
            let mut request = [0u8; 4096];
            let _ = connection.read(&mut request).await;
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n";
            let _ = connection.write_all(format!("{head}{{\"jsonrpc\":\"2.0\",").as_bytes()).await;
            connections.push(connection); // the rest of the body never comes
        }
    });
    home.add(&["stalling", "--url", &url, "--request-timeout", "2"]).await;
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let mut agent = Agent::new(&base, "stalling");
    let init = tokio::time::timeout(std::time::Duration::from_secs(60), agent.initialize())
        .await
        .expect("initialize is answered well before the agent gives up");
    let message = init["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("`stalling`") && message.contains("`initialize` got no answer within 2 s"),
        "a half-sent answer ends with the request timeout's error naming the source: {init}"
    );
    held.abort();
}

/// The message of the timeout error every path gives a call to `slow` with a 2 s limit.
fn is_late_error(answer: &Value, source: &str) -> bool {
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    message.contains(&format!("`{source}`")) && message.contains("`tools/call` got no answer within 2 s")
}

/// The pass-through paths (`lanyard bridge` to a stdio and an HTTP server, an HTTP agent to a
/// stdio server through `lanyard serve`) answer a call past `timeouts.request_secs` with the
/// timeout's error and cancel it at the server; the session goes on.
#[tokio::test]
async fn issue_6_calls_past_the_request_timeout_end_on_every_pass_through_path() {
    let home = Home::new();
    let server = test_server_bin().display().to_string();
    let (_upstream, url) = start_test_server_http_on(0).await.expect("the test server starts");
    home.add(&["slow-stdio", "--request-timeout", "2", "--", &server, "stdio"]).await;
    home.add(&["slow-http", "--url", &url, "--request-timeout", "2"]).await;
    let sleep = |id: u64| {
        json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": { "name": "sleep", "arguments": { "ms": 600_000 } } })
    };
    let count = |id: u64| {
        json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": { "name": "cancelled_sleeps", "arguments": {} } })
    };

    for source in ["slow-stdio", "slow-http"] {
        let mut bridge = RawBridge::start(&home, source);
        bridge.initialize().await;
        bridge.send(sleep(1)).await;
        let late = bridge.answer_to(json!(1)).await;
        assert!(is_late_error(&late, source), "`lanyard bridge {source}` answers the late call: {late}");
        let mut cancelled = String::new();
        for n in 2..200 {
            bridge.send(count(n)).await;
            cancelled = echoed(&bridge.answer_to(json!(n)).await).unwrap_or_default().to_owned();
            if cancelled == "1" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(cancelled, "1", "`lanyard bridge {source}` cancelled the late call at the server");
    }

    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let mut agent = Agent::new(&base, "slow-stdio");
    assert!(agent.initialize().await.get("result").is_some(), "the session starts");
    let late = tokio::time::timeout(std::time::Duration::from_secs(60), agent.post(sleep(1)))
        .await
        .expect("the late call is answered well before the server would have");
    assert!(is_late_error(&late, "slow-stdio"), "an HTTP agent to a stdio server gets the error: {late}");
    let mut cancelled = String::new();
    for n in 2..200 {
        cancelled = echoed(&agent.post(count(n)).await).unwrap_or_default().to_owned();
        if cancelled == "1" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(cancelled, "1", "the hub cancelled the late call at the stdio server");
}

/// A server that reads the request and hangs up without answering: the agent hears that the
/// connection was lost (not that the server does not speak MCP).
#[tokio::test]
async fn issue_6_a_server_that_hangs_up_mid_request_is_reported_as_a_lost_connection() {
    use tokio::io::AsyncReadExt;
    let home = Home::new();
    let rude = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let url = format!("http://{}/mcp", rude.local_addr().expect("an address"));
    let hangs_up = tokio::spawn(async move {
        while let Ok((mut connection, _)) = rude.accept().await {
            let mut request = [0u8; 4096];
            let _ = connection.read(&mut request).await;
            drop(connection); // no answer
        }
    });
    home.add(&["rude", "--url", &url]).await;
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let mut agent = Agent::new(&base, "rude");
    let init = agent.initialize().await;
    let message = init["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("`rude`") && message.contains("connection to the server was lost"),
        "the agent hears the connection was lost: {init}"
    );
    hangs_up.abort();
}
