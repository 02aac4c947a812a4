//! One connection to one MCP server: every transport against real servers (server-everything
//! under Node, and Lanyard's rmcp test server), tool filters, and each failure a person can meet,
//! checked for both its variant and its message.

use std::time::Duration;

use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use lanyard::ErrorKind;
use lanyard::Secret;
use lanyard::filter::FilterError;
use lanyard::profile::{ResolvedTransport, Timeouts, ToolFilter};
use lanyard::upstream::{NotMcpProblem, Upstream, UpstreamError};
use rmcp::model::CallToolResult;
use serde_json::json;

use crate::support::{self, Everything};

fn args(value: serde_json::Value) -> Option<serde_json::Map<String, serde_json::Value>> {
    match value {
        serde_json::Value::Object(map) => Some(map),
        other => panic!("tool arguments must be an object, not {other}"),
    }
}

fn text_of(result: &CallToolResult) -> String {
    result.content.iter().filter_map(|block| block.as_text()).map(|text| text.text.as_str()).collect()
}

async fn connect(resolved: lanyard::profile::Resolved) -> Result<Upstream, UpstreamError> {
    let logs = support::scratch_dir();
    Upstream::connect_with_log_dir(resolved, logs.path()).await
}

/// Connects, expecting a failure, and returns it.
async fn connect_err(resolved: lanyard::profile::Resolved) -> UpstreamError {
    match connect(resolved).await {
        Ok(upstream) => panic!("connecting to {} should have failed", upstream.id()),
        Err(err) => err,
    }
}

/// What every server-everything transport must do: list, call echo, list resources and prompts.
async fn check_everything(transport: ResolvedTransport) {
    let upstream =
        connect(support::resolved("everything", transport)).await.expect("connect to server-everything");
    let info = upstream.server_info().expect("the handshake carries server info");
    assert!(info.server_info.is_some(), "server-everything names itself in the handshake");

    let tools = upstream.list_tools().await.expect("list tools");
    assert!(tools.iter().any(|tool| tool.name == "echo"), "server-everything offers `echo`");

    let result =
        upstream.call_tool("echo", args(json!({ "message": "hello lanyard" }))).await.expect("call echo");
    assert_eq!(text_of(&result), "Echo: hello lanyard", "echo sends the message back with its prefix");

    let resources = upstream.list_resources().await.expect("list resources");
    assert!(!resources.is_empty(), "server-everything has resources");
    let prompts = upstream.list_prompts().await.expect("list prompts");
    assert!(!prompts.is_empty(), "server-everything has prompts");
    upstream.close().await;
}

#[tokio::test]
async fn everything_over_stdio() {
    let js = support::everything_js();
    check_everything(support::stdio("node", &[js.to_str().expect("a UTF-8 path"), "stdio"])).await;
}

#[tokio::test]
async fn everything_over_streamable_http() {
    let (_server, url) =
        support::start_everything(Everything::StreamableHttp).await.expect("start server-everything");
    check_everything(support::http(&url)).await;
}

#[tokio::test]
async fn everything_over_legacy_sse() {
    let (_server, url) = support::start_everything(Everything::Sse).await.expect("start server-everything");
    check_everything(support::sse(&url)).await;
}

fn test_server_stdio() -> ResolvedTransport {
    support::stdio(support::test_server_bin().to_str().expect("a UTF-8 path"), &["stdio"])
}

/// What the rmcp test server must do over any transport, unfiltered.
async fn check_test_server(transport: ResolvedTransport) {
    let upstream =
        connect(support::resolved("testkit", transport)).await.expect("connect to the test server");
    let name = upstream.server_info().and_then(|info| info.server_info.as_ref()).map(|s| s.name.clone());
    assert_eq!(name.as_deref(), Some("lanyard-test-server"), "the test server names itself");

    let names: Vec<String> =
        upstream.list_tools().await.expect("list tools").into_iter().map(|t| t.name.into()).collect();
    for expected in ["echo", "add", "fail", "sleep"] {
        assert!(names.iter().any(|name| name == expected), "the test server offers `{expected}`: {names:?}");
    }
    let echoed = upstream.call_tool("echo", args(json!({ "message": "ping" }))).await.expect("call echo");
    assert_eq!(text_of(&echoed), "ping", "echo sends the message back unchanged");
    let sum = upstream.call_tool("add", args(json!({ "a": 2, "b": 40 }))).await.expect("call add");
    assert_eq!(text_of(&sum), "42", "add adds");

    let resources = upstream.list_resources().await.expect("list resources");
    assert!(
        resources.iter().any(|r| r.uri == "test://greeting"),
        "the greeting resource is listed: {resources:?}"
    );
    let prompts = upstream.list_prompts().await.expect("list prompts");
    assert!(prompts.iter().any(|p| p.name == "greet"), "the greet prompt is listed: {prompts:?}");
    upstream.close().await;
}

/// A filter that hides `add`, shows `echo` as `say`, and re-describes `sleep`.
fn filter() -> ToolFilter {
    ToolFilter {
        include: vec![],
        exclude: vec!["add".into()],
        alias: [("echo".to_owned(), "say".to_owned())].into(),
        description: [("sleep".to_owned(), "Waits a while".to_owned())].into(),
    }
}

async fn check_filters(transport: ResolvedTransport) {
    let mut resolved = support::resolved("filtered", transport);
    resolved.tools = filter();
    let upstream = connect(resolved).await.expect("connect to the test server");

    let tools = upstream.list_tools().await.expect("list tools");
    let names: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
    assert!(!names.contains(&"add"), "an excluded tool is not listed: {names:?}");
    assert!(names.contains(&"say"), "an aliased tool is listed under its alias: {names:?}");
    assert!(!names.contains(&"echo"), "an aliased tool is not listed under its upstream name: {names:?}");
    let sleep = tools.iter().find(|tool| tool.name == "sleep").expect("sleep is listed");
    assert_eq!(
        sleep.description.as_deref(),
        Some("Waits a while"),
        "the description override replaces the server's"
    );

    let said =
        upstream.call_tool("say", args(json!({ "message": "via alias" }))).await.expect("call by alias");
    assert_eq!(text_of(&said), "via alias", "the alias reaches the upstream `echo`");

    let hidden =
        upstream.call_tool("add", args(json!({ "a": 1, "b": 1 }))).await.expect_err("add is excluded");
    assert!(
        matches!(&hidden, UpstreamError::ToolHidden { err: FilterError::Hidden { .. }, .. }),
        "an excluded tool is refused as hidden, got {hidden:?}"
    );
    assert_eq!(hidden.kind(), ErrorKind::Usage, "calling a hidden tool is the caller's mistake");
    assert!(hidden.to_string().contains("hidden"), "the message says the tool is hidden: {hidden}");

    let by_upstream_name =
        upstream.call_tool("echo", args(json!({ "message": "x" }))).await.expect_err("aliased");
    assert!(
        matches!(
            &by_upstream_name,
            UpstreamError::ToolHidden { err: FilterError::CalledByUpstreamName { .. }, .. }
        ),
        "an aliased tool is not callable by its upstream name, got {by_upstream_name:?}"
    );
    assert!(
        by_upstream_name.to_string().contains("`say`"),
        "the message names the alias: {by_upstream_name}"
    );
    upstream.close().await;
}

#[tokio::test]
async fn test_server_over_stdio() {
    check_test_server(test_server_stdio()).await;
}

#[tokio::test]
async fn test_server_over_streamable_http() {
    let (_server, url) = support::start_test_server_http().await.expect("start the test server");
    check_test_server(support::http(&url)).await;
}

#[tokio::test]
async fn filters_over_stdio() {
    check_filters(test_server_stdio()).await;
}

#[tokio::test]
async fn filters_over_streamable_http() {
    let (_server, url) = support::start_test_server_http().await.expect("start the test server");
    check_filters(support::http(&url)).await;
}

#[tokio::test]
async fn stdio_server_stderr_goes_to_its_log_and_close_ends_it() {
    let logs = support::scratch_dir();
    let resolved = support::resolved("logged", test_server_stdio());
    let upstream = Upstream::connect_with_log_dir(resolved, logs.path()).await.expect("connect");
    let pid = upstream.pid().expect("a stdio upstream has a process");
    upstream.close().await;

    let log = lanyard::upstream::stderr_log_path(logs.path(), &support::id("logged"));
    let text = std::fs::read_to_string(&log).expect("the stderr log exists");
    assert!(text.contains("serving MCP on stdio"), "the server's stderr line is in its log: {text:?}");
    #[cfg(target_os = "linux")]
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "the server process {pid} must be gone after close"
    );
    let _ = pid;
}

#[tokio::test]
async fn command_not_found_names_the_command() {
    let err =
        connect_err(support::resolved("missing", support::stdio("lanyard-no-such-command-4711", &[]))).await;
    assert!(matches!(&err, UpstreamError::CommandNotFound { .. }), "expected CommandNotFound, got {err:?}");
    let message = err.to_string();
    assert!(message.contains("lanyard-no-such-command-4711"), "the message names the command: {message}");
    assert!(message.contains("PATH"), "the message points at PATH: {message}");
    assert_eq!(err.kind(), ErrorKind::ConnectionSetup, "a missing command is a profile problem");
}

#[tokio::test]
async fn process_exiting_early_reports_status_and_stderr() {
    let bin = support::test_server_bin();
    let transport = support::stdio(bin.to_str().expect("a UTF-8 path"), &["stdio", "--exit-after-start"]);
    let err = connect_err(support::resolved("early-exit", transport)).await;
    let UpstreamError::ProcessExited { status, stderr_tail, .. } = &err else {
        panic!("expected ProcessExited, got {err:?}");
    };
    assert_eq!(status.and_then(|s| s.code()), Some(3), "the exit status is reported");
    assert!(
        stderr_tail.contains("exiting on purpose"),
        "the tail holds the server's stderr: {stderr_tail:?}"
    );
    let message = err.to_string();
    assert!(message.contains("exiting on purpose"), "the message shows the stderr line: {message}");
    assert!(message.contains("early-exit.stderr.log"), "the message names the log file: {message}");
    assert_eq!(err.kind(), ErrorKind::Unreachable, "a dead server is a connection problem");
}

#[tokio::test]
async fn connection_refused_names_the_origin() {
    let port = support::free_port().expect("a free port");
    let err = connect_err(support::resolved(
        "refused",
        support::http(&format!("http://127.0.0.1:{port}/mcp?token=x")),
    ))
    .await;
    assert!(
        matches!(&err, UpstreamError::ConnectionRefused { .. }),
        "expected ConnectionRefused, got {err:?}"
    );
    let message = err.to_string();
    assert!(message.contains(&format!("http://127.0.0.1:{port}")), "the message names the origin: {message}");
    assert!(!message.contains("token=x"), "the message never shows the URL's query: {message}");
    assert_eq!(err.kind(), ErrorKind::Unreachable);
}

#[tokio::test]
async fn html_404_is_not_mcp() {
    let router = axum::Router::new().fallback(|| async {
        (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<html>nothing here</html>",
        )
    });
    let addr = support::serve(router).await.expect("serve");
    let err = connect_err(support::resolved("html", support::http(&format!("http://{addr}/mcp")))).await;
    let UpstreamError::NotMcp { status, content_type, problem, .. } = &err else {
        panic!("expected NotMcp, got {err:?}");
    };
    assert_eq!(*status, 404, "the status is reported");
    assert!(
        content_type.as_deref().is_some_and(|ct| ct.starts_with("text/html")),
        "the content type is reported"
    );
    assert_eq!(*problem, NotMcpProblem::Status, "an error status is the problem");
    let message = err.to_string();
    assert!(
        message.contains("404") && message.contains("text/html"),
        "status and type in the message: {message}"
    );
    assert!(!message.contains("nothing here"), "the body stays out of the message: {message}");
    assert_eq!(err.kind(), ErrorKind::Protocol);
}

#[tokio::test]
async fn json_that_is_not_json_rpc_is_not_mcp() {
    let router = axum::Router::new().fallback(|| async { axum::Json(json!({ "hello": "world" })) });
    let addr = support::serve(router).await.expect("serve");
    let err = connect_err(support::resolved("json", support::http(&format!("http://{addr}/mcp")))).await;
    let UpstreamError::NotMcp { status, problem, content_type, .. } = &err else {
        panic!("expected NotMcp, got {err:?}");
    };
    assert_eq!(*status, 200, "a success status with the wrong body");
    assert_eq!(*problem, NotMcpProblem::Body, "the body is the problem");
    assert!(
        content_type.as_deref().is_some_and(|ct| ct.starts_with("application/json")),
        "JSON was answered"
    );
    assert!(err.to_string().contains("not MCP"), "the message says it is not MCP: {err}");
}

const CHALLENGE: &str = r#"Bearer resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource""#;

fn unauthorized_router() -> axum::Router {
    axum::Router::new().fallback(|| async {
        (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, CHALLENGE)], "sign in first").into_response()
    })
}

#[tokio::test]
async fn http_401_asks_for_sign_in() {
    let addr = support::serve(unauthorized_router()).await.expect("serve");
    let planted = "planted-secret-7f3a";
    let transport = ResolvedTransport::Http {
        url: format!("http://{addr}/mcp").parse().expect("a URL"),
        headers: vec![("Authorization".to_owned(), Secret::new(format!("Bearer {planted}")))],
    };
    let err = connect_err(support::resolved("needs-auth", transport)).await;
    let UpstreamError::Unauthorized { www_authenticate, .. } = &err else {
        panic!("expected Unauthorized, got {err:?}");
    };
    assert_eq!(www_authenticate.as_deref(), Some(CHALLENGE), "the challenge is kept for the sign-in flow");
    assert_eq!(err.kind(), ErrorKind::NeedsSignIn, "a 401 means sign in");
    assert!(err.to_string().contains("sign in"), "the message says to sign in: {err}");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(planted), "the configured credential must never show in an error: {shown}");
}

#[tokio::test]
async fn sse_401_asks_for_sign_in() {
    let addr = support::serve(unauthorized_router()).await.expect("serve");
    let err = connect_err(support::resolved("sse-auth", support::sse(&format!("http://{addr}/sse")))).await;
    assert!(
        matches!(&err, UpstreamError::Unauthorized { www_authenticate: Some(_), .. }),
        "expected Unauthorized with a challenge, got {err:?}"
    );
}

#[tokio::test]
async fn tls_to_a_plain_http_port_fails_as_tls() {
    let (_server, url) = support::start_test_server_http().await.expect("start the test server");
    let https = url.replacen("http://", "https://", 1);
    let err = connect_err(support::resolved("tls", support::http(&https))).await;
    assert!(matches!(&err, UpstreamError::Tls { .. }), "expected Tls, got {err:?}");
    assert!(err.to_string().contains("TLS"), "the message says TLS: {err}");
    assert_eq!(err.kind(), ErrorKind::Unreachable);
}

#[tokio::test]
async fn server_that_never_answers_hits_the_connect_timeout() {
    let router = axum::Router::new().fallback(|| async {
        std::future::pending::<()>().await;
        StatusCode::OK
    });
    let addr = support::serve(router).await.expect("serve");
    let mut resolved = support::resolved("silent", support::http(&format!("http://{addr}/mcp")));
    resolved.timeouts = Timeouts { connect_secs: 1, request_secs: 1 };
    let err = connect_err(resolved).await;
    assert!(
        matches!(&err, UpstreamError::ConnectTimeout { limit, .. } if *limit == Duration::from_secs(1)),
        "expected ConnectTimeout after 1 s, got {err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Unreachable);
}

#[tokio::test]
async fn json_rpc_error_from_a_tool_keeps_code_and_message() {
    let upstream = connect(support::resolved("fails", test_server_stdio())).await.expect("connect");
    let err = upstream.call_tool("fail", None).await.expect_err("fail always fails");
    let UpstreamError::JsonRpc { code, message, method, .. } = &err else {
        panic!("expected JsonRpc, got {err:?}");
    };
    assert_eq!(*code, -32603, "the server's error code is kept");
    assert!(message.contains("always fails"), "the server's message is kept: {message}");
    assert_eq!(*method, "tools/call", "the failed method is named");
    assert!(err.to_string().contains("-32603"), "the code is in the message: {err}");
    assert_eq!(err.kind(), ErrorKind::ServerError);
    upstream.close().await;
}

#[tokio::test]
async fn unknown_tool_is_reported_as_not_found() {
    let upstream = connect(support::resolved("unknown", test_server_stdio())).await.expect("connect");
    let err = upstream.call_tool("no-such-tool", None).await.expect_err("the tool does not exist");
    assert!(
        matches!(&err, UpstreamError::ToolNotFound { name, .. } if name == "no-such-tool"),
        "expected ToolNotFound, got {err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Usage);
    upstream.close().await;
}

#[tokio::test]
async fn slow_tool_hits_the_request_timeout_and_the_session_survives() {
    let (_server, url) = support::start_test_server_http().await.expect("start the test server");
    let mut resolved = support::resolved("slow", support::http(&url));
    resolved.timeouts = Timeouts { connect_secs: 10, request_secs: 1 };
    let upstream = connect(resolved).await.expect("connect");
    let err =
        upstream.call_tool("sleep", args(json!({ "ms": 5000 }))).await.expect_err("5 s is over the limit");
    assert!(
        matches!(&err, UpstreamError::RequestTimeout { limit, method, .. } if *limit == Duration::from_secs(1) && method == "tools/call"),
        "expected RequestTimeout after 1 s, got {err:?}"
    );
    assert!(err.to_string().contains("timeouts.request_secs"), "the message names the setting: {err}");
    let after =
        upstream.call_tool("echo", args(json!({ "message": "still here" }))).await.expect("call after");
    assert_eq!(text_of(&after), "still here", "a timed-out call leaves the session usable");
    upstream.close().await;
}

/// Collects everything a tracing subscriber writes, for searching afterwards.
#[derive(Clone, Default)]
struct Capture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("the capture lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn planted_secrets_stay_out_of_logs_and_files() {
    let planted = "planted-secret-c0ffee";
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // The test runtime is single-threaded, so rmcp's tasks log through this default too.
    let _default = tracing::subscriber::set_default(subscriber);

    let (_server, url) = support::start_test_server_http().await.expect("start the test server");
    let transport = ResolvedTransport::Http {
        url: url.parse().expect("a URL"),
        headers: vec![("X-Api-Key".to_owned(), Secret::new(planted))],
    };
    let upstream = connect(support::resolved("secret-http", transport)).await.expect("connect over HTTP");
    upstream.call_tool("echo", args(json!({ "message": "over http" }))).await.expect("call over HTTP");
    upstream.close().await;

    let logs = support::scratch_dir();
    let transport = ResolvedTransport::Stdio {
        command: support::test_server_bin().to_str().expect("a UTF-8 path").to_owned(),
        args: vec!["stdio".to_owned()],
        env: vec![("LANYARD_TEST_TOKEN".to_owned(), Secret::new(planted))],
        cwd: None,
        sandbox: None,
    };
    let resolved = support::resolved("secret-stdio", transport);
    let upstream = Upstream::connect_with_log_dir(resolved, logs.path()).await.expect("connect over stdio");
    upstream.call_tool("echo", args(json!({ "message": "over stdio" }))).await.expect("call over stdio");
    upstream.close().await;

    let captured = String::from_utf8_lossy(&capture.0.lock().expect("the capture lock")).into_owned();
    assert!(
        captured.contains("connected"),
        "the capture must see the connect log, or this test proves nothing"
    );
    assert!(!captured.contains(planted), "a planted secret reached the logs");
    let log = lanyard::upstream::stderr_log_path(logs.path(), &support::id("secret-stdio"));
    let written = std::fs::read_to_string(&log).expect("the stderr log exists");
    assert!(!written.contains(planted), "a planted secret reached the stderr log: {written}");
}
