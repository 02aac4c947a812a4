//! Issue 22, DPoP (RFC 9449) through the bridge: oidc-provider issues DPoP-bound tokens (and
//! wants a nonce in every proof at its token endpoint), and the fixture's MCP server takes only
//! `Authorization: DPoP` with a valid proof per request: signed by the key the token is bound to,
//! for the request's method and URL, with the token's hash, its own current nonce and a `jti` it
//! has not seen. An agent (the TypeScript SDK) calls through every bridge path and `lanyard
//! call`; every request the server accepts carried a valid proof of its own; a replayed proof is
//! refused, and Lanyard recovers with a fresh one; the key is in the keychain and in no file.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::bridge_oauth::{SignedIn, subject};
use crate::support::bridge_home::{bridge_token, run_agent, start_serve};
use crate::support::home::lanyard_bin;

async fn signed_in(tag: &str) -> SignedIn {
    SignedIn::at_fixture_with(tag, &["--dpop"]).await
}

fn stdio(args: &[&str]) -> Value {
    json!({ "stdio": { "command": lanyard_bin(), "args": args } })
}

/// Two calls of `tool` on one session.
fn two_calls(connect: Value, tool: &str) -> Value {
    let mut plan = connect;
    plan["calls"] = json!([{ "tool": tool }, { "tool": tool }]);
    plan
}

/// The proofs the fixture's MCP server checked.
async fn proofs(source: &SignedIn) -> Vec<Value> {
    let stats = source.fixture.stats().await.expect("the fixture's stats answer");
    stats["mcp"]["dpop"].as_array().cloned().unwrap_or_default()
}

#[track_caller]
fn assert_calls_signed_in(report: &Value, path: &str) {
    let calls = report["calls"].as_array().cloned().unwrap_or_default();
    assert_eq!(calls.len(), 2, "{path}: two calls were made: {report}");
    for call in &calls {
        let text = call["text"].as_str().unwrap_or_default();
        let who: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        assert_eq!(
            who["sub"], "alice",
            "{path}: the call reaches the server as the signed-in user: {report}"
        );
    }
}

/// Every proof the server accepted was valid for its request and used once; the only refusals
/// are the ones `allowed` names (a nonce the server had not given yet, a proof it was told to
/// refuse).
#[track_caller]
fn assert_one_valid_proof_per_request(proofs: &[Value], allowed: &[&str]) {
    let accepted: Vec<&Value> = proofs.iter().filter(|p| p["ok"] == true).collect();
    assert!(!accepted.is_empty(), "the server accepted proofs: {proofs:?}");
    let jtis: HashSet<&str> = accepted.iter().filter_map(|p| p["jti"].as_str()).collect();
    assert_eq!(jtis.len(), accepted.len(), "every accepted proof has its own jti: {accepted:?}");
    for proof in &accepted {
        assert_eq!(proof["htm"], proof["method"], "htm is the request's method: {proof}");
    }
    for refused in proofs.iter().filter(|p| p["ok"] != true) {
        let reason = refused["reason"].as_str().unwrap_or_default();
        assert!(allowed.iter().any(|a| reason.contains(a)), "no proof is refused but as expected: {refused}");
    }
}

#[tokio::test]
async fn issue_22_every_bridge_path_sends_a_fresh_dpop_proof_per_request() {
    let source = signed_in("dpop-paths").await;
    let merged_tool = format!("{}__whoami", source.id);

    let report = run_agent(&source.home, &two_calls(stdio(&["bridge", &source.id, "--no-hub"]), "whoami"))
        .await
        .expect("the agent runs");
    assert_calls_signed_in(&report, "bridge <id>");
    let report = run_agent(&source.home, &two_calls(stdio(&["bridge", "--all", "--no-hub"]), &merged_tool))
        .await
        .expect("the agent runs");
    assert_calls_signed_in(&report, "bridge --all");

    let (_serve, base) = start_serve(&source.home).await.expect("lanyard serve starts");
    let one = json!({ "http": { "url": format!("{base}/mcp/{}", source.id), "token": bridge_token() } });
    let report = run_agent(&source.home, &two_calls(one, "whoami")).await.expect("the agent runs");
    assert_calls_signed_in(&report, "/mcp/<id>");
    let merged = json!({ "http": { "url": format!("{base}/mcp"), "token": bridge_token() } });
    let report = run_agent(&source.home, &two_calls(merged, &merged_tool)).await.expect("the agent runs");
    assert_calls_signed_in(&report, "/mcp");

    let called = source
        .home
        .lanyard(&["call", &source.id, "whoami", "--json"])
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("lanyard runs");
    assert!(
        String::from_utf8_lossy(&called.stdout).contains("alice"),
        "lanyard call presents the DPoP-bound token: {}",
        String::from_utf8_lossy(&called.stderr)
    );

    let proofs = proofs(&source).await;
    assert_one_valid_proof_per_request(&proofs, &["nonce missing or stale"]);
    let stats = source.fixture.stats().await.unwrap();
    let accepted = proofs.iter().filter(|p| p["ok"] == true).count() as u64;
    assert!(
        accepted >= stats["mcp"]["ok"].as_u64().unwrap_or(0),
        "every request the server answered carried a valid proof: {accepted} proofs, {stats}"
    );
    let issued = &stats["token_log"];
    assert!(
        issued.to_string().contains("authorization_code"),
        "the sign-in's code exchange went through the nonce the token endpoint asked for: {issued}"
    );
}

#[tokio::test]
async fn issue_22_a_replayed_proof_is_refused_and_lanyard_recovers_with_a_fresh_one() {
    let source = signed_in("dpop-replay").await;
    let report = run_agent(&source.home, &two_calls(stdio(&["bridge", &source.id, "--no-hub"]), "whoami"))
        .await
        .expect("the agent runs");
    assert_calls_signed_in(&report, "bridge <id>");

    // A thief who copied a request sends its proof again: the server refuses it.
    let replayed = source.fixture.control("dpop", json!({ "replay_last": true })).await.unwrap();
    assert_eq!(replayed["accepted"], false, "a replayed proof is refused: {replayed}");
    assert!(replayed["reason"].as_str().unwrap_or_default().contains("replayed"), "{replayed}");

    // The server refuses Lanyard's next proof as one it has seen, and rotates its nonce.
    source.fixture.control("dpop", json!({ "refuse_as_replayed": 1, "rotate_nonce": true })).await.unwrap();
    let plan = two_calls(stdio(&["bridge", &source.id, "--no-hub"]), "whoami");
    let report = run_agent(&source.home, &plan).await.expect("the agent runs");
    assert_calls_signed_in(&report, "bridge <id> after a refused proof");
    let proofs = proofs(&source).await;
    assert!(
        proofs.iter().any(|p| p["reason"].as_str().is_some_and(|r| r.contains("refused as told"))),
        "the server did refuse a proof of Lanyard's: {proofs:?}"
    );
    assert_one_valid_proof_per_request(&proofs, &["nonce missing or stale", "refused as told"]);

    // A token the server forgot is refreshed with a proof of the same key, and works.
    source.fixture.control("expire-access-tokens", json!({})).await.unwrap();
    let mut bridge = crate::bridge::RawBridge::start(&source.home, &source.id);
    let init = bridge.initialize().await;
    assert!(init.get("result").is_some(), "initialize after a refresh: {init}");
    bridge
        .send(json!({ "jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": { "name": "whoami", "arguments": {} } }))
        .await;
    let answer = bridge.answer_to(json!(7)).await;
    assert_eq!(subject(&answer).as_deref(), Some("alice"), "the refreshed token is bound too: {answer}");
    assert!(source.refreshes().await >= 1, "the refresh happened");
}

#[tokio::test]
async fn issue_22_the_dpop_key_is_in_the_keychain_and_in_no_file() {
    let source = signed_in("dpop-key").await;
    let id: lanyard::ids::SourceId = source.id.parse().unwrap();
    let tokens = lanyard::oauth::StoredTokens::load(&source.home.vault(), &id)
        .await
        .expect("the keychain answers")
        .expect("the sign-in stored tokens");
    let key = tokens.dpop_key.expect("the tokens are DPoP-bound, with their key beside them");
    let status = source.status().await;
    assert_eq!(status["tokens"]["dpop"], true, "status says the tokens are bound to a key: {status}");
    let private = key.to_stored().expose().to_owned();
    let report = run_agent(&source.home, &two_calls(stdio(&["bridge", &source.id, "--no-hub"]), "whoami"))
        .await
        .expect("the agent runs");
    assert_calls_signed_in(&report, "bridge <id>");
    let proofs = proofs(&source).await;
    assert!(
        proofs.iter().filter(|p| p["ok"] == true).all(|p| p["jkt"] == key.thumbprint().as_str()),
        "every proof is signed by the stored key: {proofs:?}"
    );
    for file in source.home.files() {
        let text = std::fs::read(&file).unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        assert!(!text.contains(&private), "the private key is in no file: {}", file.display());
        assert!(!text.contains(tokens.access_token.expose()), "nor the token: {}", file.display());
    }
}
