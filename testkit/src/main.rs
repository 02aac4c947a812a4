//! `lanyard-test-server`: a small MCP server built with rmcp, for Lanyard's integration tests and
//! bridge benchmarks.
//!
//! It starts in milliseconds (server-everything under Node takes most of a second), answers
//! without doing any work, and can misbehave on request, so tests can reach error paths that a
//! well-behaved server never shows. It is a test fixture: nothing here is shipped.
//!
//! ```text
//! lanyard-test-server stdio                 MCP on stdin/stdout
//! lanyard-test-server http                  streamable HTTP on 127.0.0.1:<free port>; prints
//!                                           `listening on http://127.0.0.1:<port>/mcp`
//! lanyard-test-server conformance           the same, serving what the official conformance
//!                                           suite's server scenarios call (see `conformance`)
//! options:
//!   --exit-after-start                      write a line to stderr and exit with status 3
//!                                           before answering anything
//!   --port=N                                (http) listen on 127.0.0.1:N, to come back on the
//!                                           same address after being killed
//!   --only-2026-07-28                       (conformance) speak that revision alone: answer
//!                                           `server/discover`, refuse `initialize`
//!   --request-log=PATH                      (http, conformance) write each request's JSON-RPC
//!                                           method and `MCP-Protocol-Version` header, and how
//!                                           `initialize` was answered, to PATH (see `request_log`)
//!   --tools-file=PATH                       (stdio, http) read PATH at every `tools/list` and
//!                                           call: `{"descriptions": {"echo": "new text"},
//!                                           "renames": {"add": "sum"}}` changes a tool's
//!                                           description or name, as a server that changes its
//!                                           tools after they were approved (a missing file
//!                                           changes nothing)
//! ```
//! Tools: `echo {message}`, `add {a, b}`, `fail` (a JSON-RPC error), `sleep {ms}` (ends early
//! when cancelled) and `cancelled_sleeps` (how many were, in this process). One resource
//! (`test://greeting`) and one prompt (`greet {name?}`). A 2026-07-28 client's
//! `subscriptions/listen` is held open, acknowledging no list changes (none are declared).

mod conformance;
mod request_log;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, GetPromptRequestParams,
    GetPromptResponse, GetPromptResult, Implementation, ListPromptsResult, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, Prompt, PromptArgument, PromptMessage,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource, ResourceContents, Role,
    ServerCapabilities, ServerConfig, SubscriptionFilter,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt, schemars, tool, tool_handler, tool_router};

/// The exit status of `--exit-after-start`, so tests can check it is reported.
const EARLY_EXIT_STATUS: u8 = 3;
const GREETING_URI: &str = "test://greeting";
/// `sleep` calls ended by the client's `notifications/cancelled`, over every session.
static CANCELLED_SLEEPS: AtomicU64 = AtomicU64::new(0);
const GREETING: &str = "hello from lanyard-test-server";

#[derive(Debug, Clone)]
struct TestServer {
    tool_router: ToolRouter<Self>,
    /// `--tools-file`: changes to the tools' descriptions and names, read at each use.
    tools_file: Option<Arc<PathBuf>>,
}

/// What `--tools-file` holds.
#[derive(Debug, Default, serde::Deserialize)]
struct ToolChanges {
    #[serde(default)]
    descriptions: std::collections::HashMap<String, String>,
    /// Upstream name -> the name the tool is offered under.
    #[serde(default)]
    renames: std::collections::HashMap<String, String>,
}

impl TestServer {
    fn changes(&self) -> ToolChanges {
        let Some(path) = &self.tools_file else { return ToolChanges::default() };
        match std::fs::read(path.as_ref()) {
            Ok(text) => serde_json::from_slice(&text).unwrap_or_else(|err| {
                eprintln!("lanyard-test-server: {} is not a tools file: {err}", path.display());
                ToolChanges::default()
            }),
            Err(_) => ToolChanges::default(),
        }
    }
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct EchoArgs {
    /// The text to send back.
    message: String,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct AddArgs {
    a: i64,
    b: i64,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct SleepArgs {
    /// How long to wait before answering, in milliseconds.
    ms: u64,
}

#[tool_router]
impl TestServer {
    fn new(tools_file: Option<Arc<PathBuf>>) -> Self {
        Self { tool_router: Self::tool_router(), tools_file }
    }

    #[tool(description = "Sends the message back unchanged")]
    fn echo(&self, Parameters(EchoArgs { message }): Parameters<EchoArgs>) -> String {
        message
    }

    #[tool(description = "Adds two integers")]
    fn add(&self, Parameters(AddArgs { a, b }): Parameters<AddArgs>) -> Result<CallToolResult, ErrorData> {
        let sum = a.checked_add(b).ok_or_else(|| ErrorData::invalid_params("the sum overflows", None))?;
        Ok(CallToolResult::success(vec![ContentBlock::text(sum.to_string())]))
    }

    #[tool(description = "Always fails with a JSON-RPC internal error")]
    fn fail(&self) -> Result<CallToolResult, ErrorData> {
        Err(ErrorData::internal_error("the fail tool always fails", None))
    }

    #[tool(description = "Waits the given number of milliseconds, then answers")]
    async fn sleep(
        &self,
        Parameters(SleepArgs { ms }): Parameters<SleepArgs>,
        context: RequestContext<RoleServer>,
    ) -> String {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(ms)) => format!("slept {ms} ms"),
            () = context.ct.cancelled() => {
                CANCELLED_SLEEPS.fetch_add(1, Ordering::Relaxed);
                "cancelled".to_owned()
            }
        }
    }

    #[tool(description = "How many `sleep` calls the client cancelled, in this process")]
    fn cancelled_sleeps(&self) -> String {
        CANCELLED_SLEEPS.load(Ordering::Relaxed).to_string()
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for TestServer {
    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let changes = self.changes();
        let tools = self
            .tool_router
            .list_all()
            .into_iter()
            .map(|mut tool| {
                if let Some(text) = changes.descriptions.get(tool.name.as_ref()) {
                    tool.description = Some(text.clone().into());
                }
                if let Some(name) = changes.renames.get(tool.name.as_ref()) {
                    tool.name = name.clone().into();
                }
                tool
            })
            .collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        mut request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let changes = self.changes();
        if let Some((upstream, _)) = changes.renames.iter().find(|(_, name)| **name == request.name) {
            request.name = upstream.clone().into();
        } else if changes.renames.contains_key(request.name.as_ref()) {
            return Err(ErrorData::invalid_params(format!("tool {} not found", request.name), None));
        }
        self.tool_router.call(ToolCallContext::new(self, request, context)).await
    }

    /// A 2026-07-28 client may keep a `subscriptions/listen` open. The server announces no list
    /// changes (`listChanged` is not declared), so rmcp acknowledges none: what a bridge tells
    /// such a client of its own (an approval of withheld tools) is the bridge's to add.
    fn accepted_subscription_filter(&self, requested: &SubscriptionFilter) -> Option<SubscriptionFilter> {
        Some(requested.clone())
    }

    fn get_info(&self) -> ServerConfig {
        let capabilities =
            ServerCapabilities::builder().enable_tools().enable_resources().enable_prompts().build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("lanyard-test-server", env!("CARGO_PKG_VERSION")))
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let greeting = Resource::new(GREETING_URI, "greeting").with_description("A fixed greeting");
        Ok(ListResourcesResult::with_all_items(vec![greeting]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        if request.uri != GREETING_URI {
            return Err(ErrorData::resource_not_found(format!("no resource {}", request.uri), None));
        }
        Ok(ReadResourceResult::new(vec![ResourceContents::text(GREETING, GREETING_URI)]).into())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let name = PromptArgument::new("name");
        Ok(ListPromptsResult::with_all_items(vec![Prompt::new(
            "greet",
            Some("Greets someone by name"),
            Some(vec![name]),
        )]))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        if request.name != "greet" {
            return Err(ErrorData::invalid_params(format!("prompt {} not found", request.name), None));
        }
        let name = request
            .arguments
            .as_ref()
            .and_then(|args| args.get("name"))
            .and_then(|v| v.as_str())
            .unwrap_or("you");
        Ok(GetPromptResult::new(vec![PromptMessage::new_text(Role::User, format!("Say hello to {name}."))])
            .into())
    }
}

enum Mode {
    Stdio,
    Http,
    Conformance,
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: lanyard-test-server (stdio | http | conformance) [--exit-after-start] [--port=N] \
         [--only-2026-07-28] [--request-log=PATH] [--tools-file=PATH]"
    );
    ExitCode::from(2)
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut mode = None;
    let mut exit_after_start = false;
    let mut port = 0;
    let mut revisions = conformance::Revisions::All;
    let mut log_path = None;
    let mut tools_file = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "stdio" => mode = Some(Mode::Stdio),
            "http" => mode = Some(Mode::Http),
            "conformance" => mode = Some(Mode::Conformance),
            "--exit-after-start" => exit_after_start = true,
            "--only-2026-07-28" => revisions = conformance::Revisions::Only2026,
            _ => {
                if let Some(path) = arg.strip_prefix("--request-log=") {
                    log_path = Some(PathBuf::from(path));
                    continue;
                }
                if let Some(path) = arg.strip_prefix("--tools-file=") {
                    tools_file = Some(Arc::new(PathBuf::from(path)));
                    continue;
                }
                match arg.strip_prefix("--port=").map(str::parse) {
                    Some(Ok(n)) => port = n,
                    _ => return usage(),
                }
            }
        }
    }
    let Some(mode) = mode else { return usage() };
    let modern_only = revisions == conformance::Revisions::Only2026;
    if (modern_only && !matches!(mode, Mode::Conformance))
        || (log_path.is_some() && matches!(mode, Mode::Stdio))
    {
        return usage();
    }
    if exit_after_start {
        eprintln!("lanyard-test-server: exiting on purpose (--exit-after-start)");
        return ExitCode::from(EARLY_EXIT_STATUS);
    }
    let log = match log_path.as_deref().map(request_log::RequestLog::create).transpose() {
        Ok(log) => log.map(Arc::new),
        Err(err) => {
            eprintln!("lanyard-test-server: cannot write the request log: {err}");
            return ExitCode::FAILURE;
        }
    };
    let served = match mode {
        Mode::Stdio => serve_stdio(tools_file).await,
        Mode::Http => serve_http(port, log, move || TestServer::new(tools_file.clone())).await,
        Mode::Conformance => {
            let server = conformance::ConformanceServer::new(revisions, log.clone());
            serve_http(port, log, move || server.clone()).await
        }
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("lanyard-test-server: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn serve_stdio(tools_file: Option<Arc<PathBuf>>) -> Result<(), Box<dyn std::error::Error>> {
    eprintln!("lanyard-test-server: serving MCP on stdio");
    let running = TestServer::new(tools_file).serve(rmcp::transport::stdio()).await?;
    running.waiting().await?;
    Ok(())
}

async fn serve_http<S: ServerHandler>(
    port: u16,
    log: Option<Arc<request_log::RequestLog>>,
    make: impl Fn() -> S + Send + Sync + 'static,
) -> Result<(), Box<dyn std::error::Error>> {
    use axum::serve::ListenerExt as _;

    let service: StreamableHttpService<S, LocalSessionManager> = StreamableHttpService::new(
        move || Ok(make()),
        Default::default(),
        StreamableHttpServerConfig::default(),
    );
    let mut router = axum::Router::new().nest_service("/mcp", service);
    if let Some(log) = log {
        router = router.layer(axum::middleware::from_fn_with_state(log, request_log::log_arrival));
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let port = listener.local_addr()?.port();
    // Nagle plus delayed ACK would stall every call by tens of milliseconds.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on http://127.0.0.1:{port}/mcp")?;
        stdout.flush()?;
    }
    axum::serve(listener, router).await?;
    Ok(())
}
