//! What the bridge tests share: the install's bridge token, `lanyard serve` on a free port in a
//! [`Home`], the TypeScript SDK agent, and an upstream that counts the requests that reach it.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use super::ChildGuard;
use super::home::Home;

/// How long one agent run may take before the test fails.
const AGENT_DEADLINE: Duration = Duration::from_secs(60);

/// The bridge token of the test run's install (see [`Home`]), made once for the whole test run
/// through `lanyard bridge-token`, so that parallel tests never race to create it.
pub fn bridge_token() -> String {
    static TOKEN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TOKEN
        .get_or_init(|| {
            let run = Home::new().run(&["bridge-token"]);
            assert_eq!(
                run.code, 0,
                "lanyard bridge-token failed (run under scripts/with-keychain.sh): {}",
                run.stderr
            );
            run.stdout.trim().to_owned()
        })
        .clone()
}

/// `lanyard serve --port 0` in `home`, and its base URL (`http://127.0.0.1:<port>`).
pub async fn start_serve(home: &Home) -> anyhow::Result<(ChildGuard, String)> {
    bridge_token();
    start_serve_with(home, &[]).await
}

/// [`start_serve`] with extra environment variables (a recording `$BROWSER`, another session
/// bus); the install's bridge token is whatever that environment's keychain holds.
pub async fn start_serve_with(
    home: &Home,
    envs: &[(&str, &std::ffi::OsStr)],
) -> anyhow::Result<(ChildGuard, String)> {
    spawn_serve(home.lanyard(&["serve", "--port", "0"]).envs(envs.iter().copied()).stderr(Stdio::inherit()))
        .await
}

/// [`start_serve`] with its log (stderr, INFO and up) written to `log`, for tests that read it.
pub async fn start_serve_logged(home: &Home, log: &std::path::Path) -> anyhow::Result<(ChildGuard, String)> {
    bridge_token();
    let file = std::fs::File::create(log).with_context(|| format!("create {}", log.display()))?;
    spawn_serve(home.lanyard(&["serve", "--port", "0"]).env("LANYARD_LOG", "lanyard=info").stderr(file)).await
}

/// Starts a prepared `lanyard serve` and reads the address it prints.
async fn spawn_serve(command: &mut Command) -> anyhow::Result<(ChildGuard, String)> {
    let mut child =
        command.stdin(Stdio::null()).stdout(Stdio::piped()).spawn().context("start lanyard serve")?;
    let stdout = child.stdout.take().context("stdout is piped")?;
    let guard = ChildGuard::new(child);
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(30), BufReader::new(stdout).read_line(&mut line))
        .await
        .context("lanyard serve did not print its address in time")?
        .context("read the address line")?;
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .with_context(|| format!("unexpected first line {line:?}"))?;
    Ok((guard, url.to_owned()))
}

/// Runs tests/node/bridge-agent.mjs (the TypeScript SDK client) with `plan`; returns its report.
pub async fn run_agent(home: &Home, plan: &Value) -> anyhow::Result<Value> {
    run_agent_with(home, plan, &[]).await
}

/// [`run_agent`] with extra environment variables, which a stdio bridge it starts inherits (an
/// agent's key in `LANYARD_AGENT_TOKEN`).
pub async fn run_agent_with(home: &Home, plan: &Value, envs: &[(&str, &str)]) -> anyhow::Result<Value> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node/bridge-agent.mjs");
    let output = tokio::time::timeout(
        AGENT_DEADLINE,
        Command::new("node")
            .arg(&script)
            .arg(plan.to_string())
            .envs(home.envs())
            .envs(envs.iter().copied())
            .env_remove("LANYARD_LOG")
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .context("the agent did not finish in time")?
    .context("run node")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = serde_json::from_str(stdout.trim()).with_context(|| {
        format!("the agent printed no JSON: {stdout}\nstderr: {}", String::from_utf8_lossy(&output.stderr))
    })?;
    if let Some(fatal) = report.get("fatal") {
        bail!("the agent failed: {fatal}\nstderr: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(report)
}

/// An HTTP "upstream" that counts every request and answers 500: whatever reaches it shows.
pub struct CountingUpstream {
    pub url: String,
    hits: Arc<AtomicUsize>,
    authorizations: Arc<std::sync::Mutex<Vec<Option<String>>>>,
    headers: Arc<std::sync::Mutex<Vec<axum::http::HeaderMap>>>,
}

impl CountingUpstream {
    pub async fn start() -> anyhow::Result<Self> {
        let hits = Arc::new(AtomicUsize::new(0));
        let authorizations = Arc::new(std::sync::Mutex::new(Vec::new()));
        let all_headers = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (counter, seen, kept) =
            (Arc::clone(&hits), Arc::clone(&authorizations), Arc::clone(&all_headers));
        let router = axum::Router::new().fallback(move |headers: axum::http::HeaderMap| {
            let (counter, seen, kept) = (Arc::clone(&counter), Arc::clone(&seen), Arc::clone(&kept));
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                kept.lock().unwrap().push(headers.clone());
                let authorization =
                    headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
                seen.lock().unwrap().push(authorization);
                (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "counted")
            }
        });
        let addr = super::serve(router).await?;
        Ok(Self { url: format!("http://{addr}/mcp"), hits, authorizations, headers: all_headers })
    }

    /// The headers of each request that reached this upstream, in order.
    pub fn headers(&self) -> Vec<axum::http::HeaderMap> {
        self.headers.lock().unwrap().clone()
    }

    /// The `Authorization` header of each request that reached this upstream, in order.
    pub fn authorizations(&self) -> Vec<Option<String>> {
        self.authorizations.lock().unwrap().clone()
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}
