//! What the bridge costs: `lanyard bridge` and `lanyard serve` against calling the same
//! `lanyard-test-server` directly, with an rmcp client as the agent.
//!
//! Run it with `scripts/bench.sh` (release build, private keychain for the bridge token). It
//! prints, in one run: added latency per `tools/call` (p50, p99) for stdio agent -> HTTP upstream
//! and HTTP agent -> stdio upstream, calls per second at concurrency 1 and 16 (as a ratio of
//! direct), the time from spawning `lanyard bridge` to the first answered `tools/list` (upstream
//! already running), and the resident memory of the bridge processes. Under `cargo test` it does
//! nothing: timings are measured, never asserted.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rmcp::model::CallToolRequestParams;
use rmcp::service::{Peer, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::async_rw::AsyncRwTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{RoleClient, ServiceExt};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const WARMUP: usize = 200;
const LATENCY_CALLS: usize = 2000;
const THROUGHPUT_CALLS: usize = 4000;
const STARTS: usize = 10;

type Client = RunningService<RoleClient, ()>;

fn main() -> anyhow::Result<()> {
    if !std::env::args().any(|arg| arg == "--bench") {
        eprintln!("bridge benchmark: run it with scripts/bench.sh (cargo bench --bench bridge)");
        return Ok(());
    }
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(run())
}

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_lanyard"));
        command
            .args(args)
            .env("LANYARD_CONFIG_DIR", self.dir.path().join("config"))
            .env("LANYARD_DATA_DIR", self.dir.path().join("data"))
            .env_remove("LANYARD_LOG")
            .kill_on_drop(true);
        command
    }

    async fn run(&self, args: &[&str]) -> anyhow::Result<String> {
        let output = self.command(args).stdin(Stdio::null()).output().await?;
        if !output.status.success() {
            bail!("lanyard {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }
}

fn test_server_bin() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().and_then(Path::parent).context("bench binary in target/<profile>/deps")?;
    let bin = dir.join("lanyard-test-server");
    if !bin.is_file() {
        bail!(
            "{} is missing: `cargo build --release -p lanyard-testkit` (scripts/bench.sh does)",
            bin.display()
        );
    }
    Ok(bin)
}

/// Reads the `listening on <url>` line a server prints first.
async fn listening(child: &mut Child) -> anyhow::Result<String> {
    let stdout = child.stdout.take().context("stdout piped")?;
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(30), BufReader::new(stdout).read_line(&mut line)).await??;
    Ok(line.trim().strip_prefix("listening on ").context("address line")?.to_owned())
}

async fn stdio_client(mut child: Child) -> anyhow::Result<(Client, Child)> {
    let stdin = child.stdin.take().context("stdin piped")?;
    let stdout = child.stdout.take().context("stdout piped")?;
    let client = ().serve(AsyncRwTransport::new_client(stdout, stdin)).await?;
    Ok((client, child))
}

async fn http_client(url: &str, token: Option<&str>) -> anyhow::Result<Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(token) = token {
        headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse()?);
    }
    let http = reqwest::Client::builder().default_headers(headers).tcp_nodelay(true).build()?;
    let transport =
        StreamableHttpClientTransport::with_client(http, StreamableHttpClientTransportConfig::with_uri(url));
    Ok(().serve(transport).await?)
}

fn echo() -> CallToolRequestParams {
    let mut params = CallToolRequestParams::new("echo");
    params.arguments = serde_json::json!({ "message": "bench" }).as_object().cloned();
    params
}

/// p50 and p99 of one call at a time, in microseconds.
async fn latency(peer: &Peer<RoleClient>) -> anyhow::Result<(f64, f64)> {
    for _ in 0..WARMUP {
        peer.call_tool(echo()).await?;
    }
    let mut samples = Vec::with_capacity(LATENCY_CALLS);
    for _ in 0..LATENCY_CALLS {
        let start = Instant::now();
        peer.call_tool(echo()).await?;
        samples.push(start.elapsed().as_secs_f64() * 1e6);
    }
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    Ok((at(0.50), at(0.99)))
}

/// Calls per second with `concurrency` calls in flight.
async fn throughput(peer: &Peer<RoleClient>, concurrency: usize) -> anyhow::Result<f64> {
    let left = Arc::new(AtomicUsize::new(THROUGHPUT_CALLS));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let peer = peer.clone();
        let left = Arc::clone(&left);
        tasks.push(tokio::spawn(async move {
            while left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_ok() {
                peer.call_tool(echo()).await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(THROUGHPUT_CALLS as f64 / start.elapsed().as_secs_f64())
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

struct PathResult {
    p50: f64,
    p99: f64,
    c1: f64,
    c16: f64,
}

async fn measure(peer: &Peer<RoleClient>) -> anyhow::Result<PathResult> {
    let (p50, p99) = latency(peer).await?;
    let c1 = throughput(peer, 1).await?;
    let c16 = throughput(peer, 16).await?;
    Ok(PathResult { p50, p99, c1, c16 })
}

async fn run() -> anyhow::Result<()> {
    let server = test_server_bin()?;
    let home = Home { dir: tempfile::tempdir()? };
    let token = home.run(&["bridge-token"]).await?;

    let mut upstream_http = Command::new(&server)
        .arg("http")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let upstream_url = listening(&mut upstream_http).await?;
    let server_path = server.display().to_string();
    home.run(&["profile", "add", "bench-http", "--url", &upstream_url]).await?;
    home.run(&["profile", "add", "bench-stdio", "--", &server_path, "stdio"]).await?;

    // Direct HTTP, and stdio agent -> lanyard bridge -> HTTP upstream.
    let direct_http = http_client(&upstream_url, None).await?;
    let direct_http_r = measure(direct_http.peer()).await?;
    direct_http.cancel().await?;

    let bridge =
        home.command(&["bridge", "bench-http"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
    let (via_bridge, bridge_child) = stdio_client(bridge).await?;
    let bridge_r = measure(via_bridge.peer()).await?;
    let bridge_rss = bridge_child.id().and_then(rss_kib);
    via_bridge.cancel().await?;
    drop(bridge_child);

    // Direct stdio, and HTTP agent -> lanyard serve -> stdio upstream.
    let direct = Command::new(&server)
        .arg("stdio")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let (direct_stdio, direct_child) = stdio_client(direct).await?;
    let direct_stdio_r = measure(direct_stdio.peer()).await?;
    direct_stdio.cancel().await?;
    drop(direct_child);

    let mut serve =
        home.command(&["serve", "--port", "0"]).stdin(Stdio::null()).stdout(Stdio::piped()).spawn()?;
    let base = listening(&mut serve).await?;
    let via_serve = http_client(&format!("{base}/mcp/bench-stdio"), Some(&token)).await?;
    let serve_r = measure(via_serve.peer()).await?;
    let serve_rss = serve.id().and_then(rss_kib);
    via_serve.cancel().await?;

    // HTTP agent -> lanyard serve -> HTTP upstream (the HTTP-level forward), for completeness.
    let via_forward = http_client(&format!("{base}/mcp/bench-http"), Some(&token)).await?;
    let forward_r = measure(via_forward.peer()).await?;
    via_forward.cancel().await?;
    drop(serve);

    // Start: spawn `lanyard bridge` (upstream already running) until tools/list is answered.
    let mut starts = Vec::new();
    for _ in 0..STARTS {
        let start = Instant::now();
        let child =
            home.command(&["bridge", "bench-http"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
        let (client, child) = stdio_client(child).await?;
        client.peer().list_tools(None).await?;
        starts.push(start.elapsed().as_secs_f64() * 1e3);
        client.cancel().await?;
        drop(child);
    }
    starts.sort_by(f64::total_cmp);
    let start_ms = starts[starts.len() / 2];

    println!(
        "lanyard bridge benchmark (echo tools/call, lanyard-test-server, {LATENCY_CALLS} calls per latency run, {THROUGHPUT_CALLS} per throughput run)"
    );
    println!();
    println!(
        "| path | p50 µs | p99 µs | added p50 µs | added p99 µs | calls/s c=1 | ratio | calls/s c=16 | ratio |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let row = |name: &str, r: &PathResult, base: &PathResult| {
        println!(
            "| {name} | {:.0} | {:.0} | {:+.0} | {:+.0} | {:.0} | {:.2} | {:.0} | {:.2} |",
            r.p50,
            r.p99,
            r.p50 - base.p50,
            r.p99 - base.p99,
            r.c1,
            r.c1 / base.c1,
            r.c16,
            r.c16 / base.c16
        )
    };
    row("direct HTTP (rmcp client -> test server)", &direct_http_r, &direct_http_r);
    row("stdio agent -> lanyard bridge -> HTTP upstream", &bridge_r, &direct_http_r);
    row("HTTP agent -> lanyard serve -> HTTP upstream", &forward_r, &direct_http_r);
    row("direct stdio (rmcp client -> test server child)", &direct_stdio_r, &direct_stdio_r);
    row("HTTP agent -> lanyard serve -> stdio upstream", &serve_r, &direct_stdio_r);
    println!();
    println!(
        "HTTP agent -> stdio upstream vs direct stdio + one direct HTTP hop: {:+.0} µs p50",
        serve_r.p50 - (direct_stdio_r.p50 + direct_http_r.p50)
    );
    println!("bridge start to first tools/list (median of {STARTS}, upstream running): {start_ms:.1} ms");
    let mib = |kib: Option<u64>| kib.map_or("?".to_owned(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
    println!(
        "RSS after the runs: lanyard bridge (stdio -> HTTP) {}, lanyard serve {}",
        mib(bridge_rss),
        mib(serve_rss)
    );
    Ok(())
}
