//! Helpers that start the real things integration tests talk to: server-everything under Node,
//! Lanyard's own `lanyard-test-server`, and tiny HTTP servers that misbehave on purpose.
//!
//! Everything binds 127.0.0.1 on a port the OS picks, and waiting is always for an event (a line
//! printed, a port accepting) with a deadline, never a fixed sleep. Child processes are killed
//! when their guard drops, so a failing test leaves nothing running.
#![allow(dead_code, reason = "each test module uses a different part of the support code")]

pub mod bridge_home;
pub mod enterprise_fixture;
pub mod home;
pub mod oauth_fixture;
pub mod private_keychain;
pub mod registry;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use lanyard::ids::SourceId;
use lanyard::profile::{Resolved, ResolvedTransport, Timeouts, ToolFilter};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long a helper waits for a server to come up before the test fails.
const STARTUP_DEADLINE: Duration = Duration::from_secs(30);

/// A child process that is killed when this guard drops.
pub struct ChildGuard {
    child: Child,
}

impl ChildGuard {
    pub fn new(child: Child) -> Self {
        Self { child }
    }

    pub fn id(&self) -> Option<u32> {
        self.child.id()
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// The built `lanyard-test-server` binary, next to this test binary's folder.
pub fn test_server_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    // target/<profile>/deps/it-<hash> -> target/<profile>/lanyard-test-server
    let dir = exe.parent().and_then(Path::parent).expect("the test binary lives in target/<profile>/deps");
    let bin = dir.join(format!("lanyard-test-server{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} is missing: run the tests with `cargo test --workspace` (or `cargo build -p lanyard-testkit` first)",
        bin.display()
    );
    bin
}

/// The entry point of the installed `@modelcontextprotocol/server-everything`.
pub fn everything_js() -> PathBuf {
    let js = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/node/node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    assert!(js.is_file(), "{} is missing: run scripts/install-test-deps.sh", js.display());
    js
}

/// A source id for a test.
pub fn id(name: &str) -> SourceId {
    name.parse().expect("test source ids are valid")
}

/// A resolved profile with default timeouts and no tool filter.
pub fn resolved(name: &str, transport: ResolvedTransport) -> Resolved {
    Resolved {
        id: id(name),
        transport,
        timeouts: Timeouts::default(),
        tools: ToolFilter::default(),
        ca_bundle: None,
        protocol: lanyard::profile::Protocol::Auto,
        auth: lanyard::profile::AuthKind::None,
    }
}

/// A stdio transport running `command args…` with no extra environment.
pub fn stdio(command: impl Into<String>, args: &[&str]) -> ResolvedTransport {
    ResolvedTransport::Stdio {
        command: command.into(),
        args: args.iter().map(|arg| (*arg).to_owned()).collect(),
        env: Vec::new(),
        cwd: None,
        sandbox: None,
    }
}

/// A streamable HTTP transport to `url` with no headers.
pub fn http(url: &str) -> ResolvedTransport {
    ResolvedTransport::Http { url: url.parse().expect("test URLs are valid"), headers: Vec::new() }
}

/// A legacy SSE transport to `url` with no headers.
pub fn sse(url: &str) -> ResolvedTransport {
    ResolvedTransport::Sse { url: url.parse().expect("test URLs are valid"), headers: Vec::new() }
}

/// Starts `lanyard-test-server http` and returns it with its MCP URL.
pub async fn start_test_server_http() -> anyhow::Result<(ChildGuard, String)> {
    start_test_server_http_on(0).await
}

/// [`start_test_server_http`] on 127.0.0.1:`port` (0: a free one), e.g. to start it again where
/// a killed one was.
pub async fn start_test_server_http_on(port: u16) -> anyhow::Result<(ChildGuard, String)> {
    start_test_server(&["http".to_owned(), format!("--port={port}")]).await
}

/// Starts `lanyard-test-server <args>` (a mode that serves HTTP) and returns it with the URL its
/// first line names.
pub async fn start_test_server(args: &[String]) -> anyhow::Result<(ChildGuard, String)> {
    let mut child = Command::new(test_server_bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("start lanyard-test-server {}", args.join(" ")))?;
    let stdout = child.stdout.take().context("the server's stdout is piped")?;
    let guard = ChildGuard::new(child);
    let mut line = String::new();
    tokio::time::timeout(STARTUP_DEADLINE, BufReader::new(stdout).read_line(&mut line))
        .await
        .context("lanyard-test-server did not print its address in time")?
        .context("read the server's address line")?;
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .with_context(|| format!("unexpected first line {line:?}"))?;
    Ok((guard, url.to_owned()))
}

/// Which transport server-everything should serve.
#[derive(Debug, Clone, Copy)]
pub enum Everything {
    StreamableHttp,
    Sse,
}

/// Starts server-everything over HTTP and returns it with its MCP URL (`/mcp` or `/sse`).
pub async fn start_everything(transport: Everything) -> anyhow::Result<(ChildGuard, String)> {
    let port = free_port()?;
    let (arg, path) = match transport {
        Everything::StreamableHttp => ("streamableHttp", "mcp"),
        Everything::Sse => ("sse", "sse"),
    };
    let child = Command::new("node")
        .arg(everything_js())
        .arg(arg)
        .env("PORT", port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("start server-everything with node (is Node installed?)")?;
    let guard = ChildGuard::new(child);
    wait_for_port(port).await?;
    Ok((guard, format!("http://127.0.0.1:{port}/{path}")))
}

/// A port that was free a moment ago: bound to 127.0.0.1:0 and released. For servers that take
/// a port number but cannot report the one they got.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("bind 127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Waits until 127.0.0.1:`port` accepts connections, polling up to [`STARTUP_DEADLINE`].
pub async fn wait_for_port(port: u16) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + STARTUP_DEADLINE;
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            bail!("nothing accepted connections on 127.0.0.1:{port} within {STARTUP_DEADLINE:?}");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// How long [`eventually`] waits for a state before the test fails.
pub const EVENTUALLY_DEADLINE: Duration = Duration::from_secs(120);

/// Polls `check` every `every` until it gives `Some`, and returns that: for a state another process
/// reaches in its own time (an edit picked up, a token renewed, a status row changed). Fails the
/// test, naming `what`, when nothing came within [`EVENTUALLY_DEADLINE`].
pub async fn eventually<T, F, Fut>(what: &str, every: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + EVENTUALLY_DEADLINE;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for {what} after {EVENTUALLY_DEADLINE:?}"
        );
        tokio::time::sleep(every).await;
    }
}

/// Serves `router` on 127.0.0.1:<free port> until the test's runtime ends; returns its address.
pub async fn serve(router: axum::Router) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("bind 127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(addr)
}

/// The install id that test homes share unless a test wants an install of its own, made once per
/// test run: their entries and bridge token are one install's, as they were one keychain's
/// before installs had namespaces.
pub fn test_run_install_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.subsec_nanos());
        format!("{:08x}{:08x}", std::process::id(), nanos)
    })
}

/// Makes the config folder `config_dir` part of the test run's install (see
/// [`test_run_install_id`]) by writing its `install-id` before `lanyard` makes one.
pub fn join_test_run_install(config_dir: &Path) {
    std::fs::create_dir_all(config_dir).expect("create the config folder");
    std::fs::write(config_dir.join("install-id"), test_run_install_id()).expect("write the install id");
}

/// The keychain account under which `lanyard`, with its config in `config_dir`, stores `account`:
/// `install:<id>/<account>`, the id read from `config_dir/install-id`. Spelled out here rather
/// than asked of the library, so that a change of the stored layout (which strands every entry
/// people have) fails the tests.
pub fn install_account(config_dir: &Path, account: &str) -> String {
    let file = config_dir.join("install-id");
    let id = std::fs::read_to_string(&file)
        .unwrap_or_else(|err| panic!("{} should hold the install id: {err}", file.display()));
    format!("install:{}/{account}", id.trim())
}

/// A scratch folder for a test's logs, removed when dropped.
pub fn scratch_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("create a temp dir")
}

/// The process ids of `pid`'s children (every thread's), from /proc.
pub fn children_of(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).expect("read /proc/<pid>/task").flatten() {
        let text = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        found.extend(text.split_whitespace().filter_map(|p| p.parse::<u32>().ok()));
    }
    found
}
