//! Redirects carry no credentials across origins (issue 14). Two loopback servers on two ports
//! are two origins: the first plays the MCP server (and its token endpoint) and answers with a
//! 307 or 308 to the second, which records every request that reaches it. Through the real
//! `lanyard` binary, for a source with a secret header and one with OAuth tokens, for a refresh
//! and a client credentials request, and through the bridge's HTTP forward, the redirect must end
//! in an error naming both origins, and the second origin must receive nothing: no header, no
//! session id, no body with a refresh token or client secret. A redirect within the first origin
//! is still followed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use lanyard::clock::now;
use lanyard::oauth::{Grant, StoredTokens};
use lanyard::secret::Secret;
use serde_json::{Value, json};
use url::Url;

use crate::oauth::{Cleanup, unique_id, vault};
use crate::support::bridge_home::{bridge_token, start_serve};
use crate::support::home::{Home, output_with_input};
use crate::support::serve;

/// The session id the first origin hands out; it must never reach the second.
const SESSION: &str = "planted-session-id-for-issue-14";
/// The custom header of the secret-header source.
const HEADER: &str = "X-Api-Key";

/// One request as the second origin received it.
#[derive(Debug)]
struct Seen {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

/// The second origin: records every request and answers like a willing server would (an MCP
/// answer, a token), so that a followed redirect would get somewhere.
struct OtherOrigin {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl OtherOrigin {
    async fn start() -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        let router = Router::new().fallback(move |request: Request| {
            let record = Arc::clone(&record);
            async move {
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, 1024 * 1024).await.unwrap_or_default();
                let headers = parts
                    .headers
                    .iter()
                    .map(|(name, value)| {
                        (name.to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned())
                    })
                    .collect();
                record.lock().unwrap().push(Seen {
                    method: parts.method.to_string(),
                    path: parts.uri.path().to_owned(),
                    headers,
                    body: String::from_utf8_lossy(&body).into_owned(),
                });
                let answer = json!({"jsonrpc": "2.0", "id": 1, "result": {"tools": []},
                    "access_token": "from-the-other-origin", "token_type": "Bearer"});
                axum::Json(answer).into_response()
            }
        });
        let addr = serve(router).await.expect("the second origin starts");
        Self { base: format!("http://{addr}"), seen }
    }

    /// Fails the test if any request reached this origin, listing what each carried; checks
    /// first that none of `secrets` was among it, to say which one leaked.
    #[track_caller]
    fn assert_untouched(&self, case: &str, secrets: &[(&str, &str)]) {
        let seen = self.seen.lock().unwrap();
        for request in seen.iter() {
            let text = format!("{:?} {}", request.headers, request.body);
            for (what, secret) in secrets {
                assert!(
                    !text.contains(secret),
                    "{case}: the {what} reached the other origin in {} {}: {request:?}",
                    request.method,
                    request.path
                );
            }
        }
        assert!(seen.is_empty(), "{case}: nothing may reach the other origin, yet it got {seen:?}");
    }
}

/// What the first origin does with a request that is not `initialize`.
#[derive(Clone)]
enum Then {
    /// Answers it: a plain MCP server.
    Answer,
    /// Redirects it with this status to this location.
    Redirect(StatusCode, String),
}

/// The first origin: a tiny streamable HTTP MCP server at `/mcp` that answers `initialize` with a
/// session id and does `then` with the rest, a legacy SSE stream at `/sse` that does `then` at
/// once, `/old-mcp` redirecting to `/mcp` (the same origin), and a token endpoint at `/token` that
/// redirects with `token` when given.
async fn first_origin(then: Then, token: Option<(StatusCode, String)>) -> String {
    let sse_then = then.clone();
    let sse = any(move || {
        let then = sse_then.clone();
        async move {
            match then {
                Then::Redirect(status, to) => (status, [(header::LOCATION, to)]).into_response(),
                Then::Answer => StatusCode::NOT_FOUND.into_response(),
            }
        }
    });
    let mcp = any(move |headers: HeaderMap, request: Request| {
        let then = then.clone();
        async move { mcp_answer(&then, &headers, request).await }
    });
    let router = Router::new()
        .route("/mcp", mcp)
        .route("/sse", sse)
        .route("/old-mcp", any(|| async { (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, "/mcp")]) }))
        .route(
            "/token",
            post(move || {
                let token = token.clone();
                async move {
                    match token {
                        Some((status, to)) => (status, [(header::LOCATION, to)]).into_response(),
                        None => StatusCode::NOT_FOUND.into_response(),
                    }
                }
            }),
        );
    let addr = serve(router).await.expect("the first origin starts");
    format!("http://{addr}")
}

async fn mcp_answer(then: &Then, headers: &HeaderMap, request: Request) -> Response {
    let method = request.method().clone();
    if method == axum::http::Method::GET {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    if method == axum::http::Method::DELETE {
        return StatusCode::OK.into_response();
    }
    let body = axum::body::to_bytes(request.into_body(), 1024 * 1024).await.unwrap_or_default();
    let message: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(id) = message.get("id").cloned() else {
        return StatusCode::ACCEPTED.into_response(); // a notification
    };
    if message["method"] == "initialize" {
        let result = json!({"protocolVersion": message["params"]["protocolVersion"],
            "capabilities": {"tools": {}}, "serverInfo": {"name": "first-origin", "version": "1"}});
        let answer = json!({"jsonrpc": "2.0", "id": id, "result": result});
        return ([("mcp-session-id", SESSION)], axum::Json(answer)).into_response();
    }
    if headers.get("mcp-session-id").is_none_or(|v| v != SESSION) {
        // Every request after initialize carries the session id, so a redirect can only lose it.
        return (StatusCode::BAD_REQUEST, "no session id").into_response();
    }
    match then {
        Then::Redirect(status, to) => (*status, [(header::LOCATION, to.clone())]).into_response(),
        Then::Answer => {
            let tool = json!({"name": "same-origin-tool", "inputSchema": {"type": "object"}});
            axum::Json(json!({"jsonrpc": "2.0", "id": id, "result": {"tools": [tool]}})).into_response()
        }
    }
}

/// `lanyard <args>` in `home` with `env`; exit code, stdout and stderr.
async fn lanyard(home: &Home, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = home.lanyard(args);
    command.envs(env.iter().copied());
    let output = tokio::time::timeout(Duration::from_secs(60), output_with_input(&mut command, ""))
        .await
        .expect("lanyard ends within a minute");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Checks that `lanyard` failed with an error naming both origins.
#[track_caller]
fn assert_refused(case: &str, (code, stdout, stderr): &(i32, String, String), from: &str, to: &str) {
    assert_ne!(*code, 0, "{case}: the redirect fails the command\nstdout: {stdout}\nstderr: {stderr}");
    assert!(
        stderr.contains(from) && stderr.contains(to),
        "{case}: the error names the source's origin {from} and where it was sent, {to}: {stderr}"
    );
}

/// Tokens for `id` as a sign-in at `token_endpoint` would have left them.
fn tokens(token_endpoint: &str, access: &str, refresh: &str, expires_at: u64) -> StoredTokens {
    let endpoint = Url::parse(token_endpoint).expect("a token URL");
    StoredTokens {
        access_token: Secret::new(access),
        refresh_token: Some(Secret::new(refresh)),
        expires_at: Some(expires_at),
        refresh_expires_at: None,
        scopes: Vec::new(),
        issuer: endpoint.origin().ascii_serialization(),
        token_endpoint: endpoint,
        revocation_endpoint: None,
        client_id: "issue-14-client".into(),
        client_auth_method: "none".into(),
        resource: None,
        grant: Grant::AuthorizationCode,
        obtained_at: now(),
        step_up: None,
        account: None,
        binding: None,
        dpop_key: None,
    }
}

/// Both redirects that keep the method and send the body again.
const REDIRECTS: [StatusCode; 2] = [StatusCode::TEMPORARY_REDIRECT, StatusCode::PERMANENT_REDIRECT];

#[tokio::test]
async fn issue_14_a_secret_header_is_not_redirected_to_another_origin() {
    for status in REDIRECTS {
        let other = OtherOrigin::start().await;
        let first = first_origin(Then::Redirect(status, format!("{}/mcp", other.base)), None).await;
        let home = Home::new();
        let id = unique_id("redirect-header");
        let _cleanup = Cleanup(vec![format!("source:{id}/header/{HEADER}")]);
        let secret = format!("planted-header-secret-{id}");
        let flag = format!("{HEADER}=ISSUE_14_SECRET");
        let url = format!("{first}/mcp");
        let (code, _, stderr) = lanyard(
            &home,
            &["profile", "add", id.as_str(), "--url", &url, "--header-secret-env", &flag],
            &[("ISSUE_14_SECRET", &secret)],
        )
        .await;
        assert_eq!(code, 0, "the source is added: {stderr}");

        let case = format!("a secret header, {status}");
        let tools = lanyard(&home, &["tools", id.as_str()], &[]).await;
        other.assert_untouched(&case, &[("secret header", &secret), ("session id", SESSION)]);
        assert_refused(&case, &tools, &first, &other.base);
    }
}

#[tokio::test]
async fn issue_14_a_legacy_sse_stream_is_not_redirected_to_another_origin() {
    for status in REDIRECTS {
        let other = OtherOrigin::start().await;
        let first = first_origin(Then::Redirect(status, format!("{}/sse", other.base)), None).await;
        let home = Home::new();
        let id = unique_id("redirect-sse");
        let _cleanup = Cleanup(vec![format!("source:{id}/header/{HEADER}")]);
        let secret = format!("planted-header-secret-{id}");
        let flag = format!("{HEADER}=ISSUE_14_SECRET");
        let url = format!("{first}/sse");
        let (code, _, stderr) = lanyard(
            &home,
            &[
                "profile",
                "add",
                id.as_str(),
                "--url",
                &url,
                "--transport",
                "sse",
                "--header-secret-env",
                &flag,
            ],
            &[("ISSUE_14_SECRET", &secret)],
        )
        .await;
        assert_eq!(code, 0, "the source is added: {stderr}");

        let case = format!("a legacy SSE stream, {status}");
        let tools = lanyard(&home, &["tools", id.as_str()], &[]).await;
        other.assert_untouched(&case, &[("secret header", &secret)]);
        assert_refused(&case, &tools, &first, &other.base);
    }
}

#[tokio::test]
async fn issue_14_an_access_token_is_not_redirected_to_another_origin() {
    for status in REDIRECTS {
        let other = OtherOrigin::start().await;
        let first = first_origin(Then::Redirect(status, format!("{}/mcp", other.base)), None).await;
        let home = Home::new();
        let id = unique_id("redirect-oauth");
        let _cleanup = Cleanup(vec![format!("source:{id}/oauth/tokens")]);
        let access = format!("planted-access-{id}");
        let url = format!("{first}/mcp");
        let (code, _, stderr) =
            lanyard(&home, &["profile", "add", id.as_str(), "--url", &url, "--auth", "oauth"], &[]).await;
        assert_eq!(code, 0, "the source is added: {stderr}");
        let fresh = tokens(&format!("{first}/token"), &access, "planted-unused-refresh", now() + 3600);
        fresh.save(&vault(), &id).await.expect("the tokens are stored");

        let case = format!("OAuth tokens, {status}");
        let call = lanyard(&home, &["call", id.as_str(), "whoami"], &[]).await;
        other.assert_untouched(&case, &[("access token", &access), ("session id", SESSION)]);
        assert_refused(&case, &call, &first, &other.base);
    }
}

#[tokio::test]
async fn issue_14_a_refresh_token_is_not_redirected_to_another_origin() {
    for status in REDIRECTS {
        let other = OtherOrigin::start().await;
        let first = first_origin(Then::Answer, Some((status, format!("{}/token", other.base)))).await;
        let home = Home::new();
        let id = unique_id("redirect-refresh");
        let _cleanup = Cleanup(vec![format!("source:{id}/oauth/tokens")]);
        // The refresh token is in the body, which a followed 307/308 would send again.
        let refresh = format!("planted-refresh-{id}");
        let url = format!("{first}/mcp");
        let (code, _, stderr) =
            lanyard(&home, &["profile", "add", id.as_str(), "--url", &url, "--auth", "oauth"], &[]).await;
        assert_eq!(code, 0, "the source is added: {stderr}");
        let stale = tokens(&format!("{first}/token"), "planted-expired-access", &refresh, now() - 60);
        stale.save(&vault(), &id).await.expect("the tokens are stored");

        let case = format!("a refresh, {status}");
        let tools = lanyard(&home, &["tools", id.as_str()], &[]).await;
        other.assert_untouched(&case, &[("refresh token", &refresh)]);
        assert_refused(&case, &tools, &first, &other.base);
    }
}

#[tokio::test]
async fn issue_14_a_client_secret_is_not_redirected_to_another_origin() {
    for status in REDIRECTS {
        let other = OtherOrigin::start().await;
        let first = first_origin(Then::Answer, Some((status, format!("{}/token", other.base)))).await;
        let home = Home::new();
        let id = unique_id("redirect-cc");
        let _cleanup =
            Cleanup(vec![format!("source:{id}/oauth/tokens"), format!("source:{id}/oauth/client-secret")]);
        let secret = format!("planted-client-secret-{id}");
        let (url, token_url) = (format!("{first}/mcp"), format!("{first}/token"));
        let (code, _, stderr) = lanyard(
            &home,
            &[
                "profile",
                "add",
                id.as_str(),
                "--url",
                &url,
                "--auth",
                "client-credentials",
                "--client-id",
                "issue-14-service",
                "--client-secret-env",
                "ISSUE_14_CLIENT_SECRET",
                "--token-url",
                &token_url,
            ],
            &[("ISSUE_14_CLIENT_SECRET", &secret)],
        )
        .await;
        assert_eq!(code, 0, "the source is added: {stderr}");

        let case = format!("client credentials, {status}");
        let tools = lanyard(&home, &["tools", id.as_str()], &[]).await;
        use base64::Engine as _;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("issue-14-service:{secret}"));
        other.assert_untouched(&case, &[("client secret", &secret), ("client secret, Basic", &basic)]);
        assert_refused(&case, &tools, &first, &other.base);
    }
}

#[tokio::test]
async fn issue_14_the_bridge_forward_carries_nothing_to_another_origin() {
    let other = OtherOrigin::start().await;
    let first =
        first_origin(Then::Redirect(StatusCode::TEMPORARY_REDIRECT, format!("{}/mcp", other.base)), None)
            .await;
    let home = Home::new();
    let id = unique_id("redirect-bridge");
    let _cleanup = Cleanup(vec![format!("source:{id}/header/{HEADER}")]);
    let secret = format!("planted-header-secret-{id}");
    let flag = format!("{HEADER}=ISSUE_14_SECRET");
    let (code, _, stderr) = lanyard(
        &home,
        &["profile", "add", id.as_str(), "--url", &format!("{first}/mcp"), "--header-secret-env", &flag],
        &[("ISSUE_14_SECRET", &secret)],
    )
    .await;
    assert_eq!(code, 0, "the source is added: {stderr}");
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");

    let client = reqwest::Client::new();
    let url = format!("{base}/mcp/{id}");
    let bearer = format!("Bearer {}", bridge_token());
    let post = |session: Option<&str>, body: Value| {
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
    assert_eq!(answer.status(), 200, "the first origin answers initialize through the bridge");
    let session = answer.headers().get("mcp-session-id").expect("a session id").to_str().unwrap().to_owned();
    let listed = post(Some(&session), json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" }))
        .await
        .expect("tools/list is answered");
    let reply = listed.text().await.expect("a body");
    other.assert_untouched("the bridge forward", &[("secret header", &secret), ("session id", SESSION)]);
    assert!(
        reply.contains("\"error\"") && reply.contains(&first) && reply.contains(&other.base),
        "the agent gets an error naming both origins: {reply}"
    );
}

#[tokio::test]
async fn issue_14_a_redirect_within_the_origin_is_still_followed() {
    let first = first_origin(Then::Answer, None).await;
    let home = Home::new();
    let id = unique_id("redirect-same");
    let (code, _, stderr) =
        lanyard(&home, &["profile", "add", id.as_str(), "--url", &format!("{first}/old-mcp")], &[]).await;
    assert_eq!(code, 0, "the source is added: {stderr}");
    let (code, stdout, stderr) = lanyard(&home, &["tools", id.as_str()], &[]).await;
    assert_eq!(code, 0, "a 307 to the same origin is followed, body and all: {stderr}");
    assert!(stdout.contains("same-origin-tool"), "the tools come from the redirect's target: {stdout}");
}
