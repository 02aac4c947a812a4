//! What the bridge costs: `lanyard bridge` and `lanyard serve` against calling the same
//! `lanyard-test-server` directly, with an rmcp client as the agent.
//!
//! Run it with `scripts/bench.sh` (release build, private keychain for the bridge token). It
//! prints, in one run: added latency per `tools/call` (p50, p99) for stdio agent -> HTTP upstream
//! and HTTP agent -> stdio upstream, calls per second at concurrency 1 and 16 (as a ratio of
//! direct), the time from spawning `lanyard bridge` to the first answered `tools/list` (upstream
//! already running, and with a running hub), and the resident memory of the bridge processes. Under `cargo test` it does
//! nothing: timings are measured, never asserted.
//!
//! Throughput on a shared 2-core machine moves from run to run, so each path and its direct
//! baseline are measured in alternating rounds and the ratio reported is the median of the
//! per-round ratios. Beside it, the CPU time each process spends per call at concurrency 16
//! (from `/proc/<pid>/task/*/schedstat`): unlike calls per second it hardly depends on what else
//! the machine is doing, so it shows where a path's cost lies.
//!
//! The HTTP forward is also measured against two forwards with nothing of Lanyard in them
//! ([`floor`]): what an extra process costs at the least, and what a bare hyper forward costs.

#[path = "../common/mod.rs"]
mod common;
mod floor;

use common::{Home, http_test_server, listening, test_server_bin};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::Context;
use rmcp::model::CallToolRequestParams;
use rmcp::service::{Peer, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::async_rw::AsyncRwTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{RoleClient, ServiceExt};
use tokio::process::{Child, Command};

const WARMUP: usize = 200;
const LATENCY_CALLS: usize = 2000;
/// Calls in a row on one path before the latency run turns to the other.
const LATENCY_BLOCK: usize = 100;
const THROUGHPUT_CALLS: usize = 4000;
/// Alternating rounds of direct and bridged throughput runs.
const ROUNDS: usize = 3;
const STARTS: usize = 10;

type Client = RunningService<RoleClient, ()>;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    common::exit_code(match args.iter().position(|arg| arg == "--floor") {
        Some(at) => floor::serve(args.get(at + 1), args.get(at + 2)),
        None => common::as_bench("bridge", "scripts/bench.sh", run()),
    })
}

async fn stdio_client(mut child: Child) -> anyhow::Result<(Client, Child)> {
    let stdin = child.stdin.take().context("stdin piped")?;
    let stdout = child.stdout.take().context("stdout piped")?;
    let client = ().serve(AsyncRwTransport::new_client(stdout, stdin)).await?;
    Ok((client, child))
}

/// Spawns `lanyard bridge bench-http` and waits for the answer to its first `tools/list`: how long
/// that took in ms, and the bridge.
async fn started_bridge(home: &Home) -> anyhow::Result<(f64, Client, Child)> {
    let start = Instant::now();
    let child =
        home.command(&["bridge", "bench-http"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
    let (client, child) = stdio_client(child).await?;
    client.peer().list_tools(None).await?;
    Ok((start.elapsed().as_secs_f64() * 1e3, client, child))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
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

/// p50 and p99 of one call at a time, in microseconds, for each of `peers`. The calls go in
/// blocks of [`LATENCY_BLOCK`] that take turns, so that what else the machine does at a moment
/// weighs on all alike (one run of each after the other moved the added p50 by ±60 µs).
async fn latencies(peers: &[&Peer<RoleClient>]) -> anyhow::Result<Vec<(f64, f64)>> {
    for peer in peers {
        for _ in 0..WARMUP {
            peer.call_tool(echo()).await?;
        }
    }
    let mut samples = vec![Vec::with_capacity(LATENCY_CALLS); peers.len()];
    for _ in 0..LATENCY_CALLS / LATENCY_BLOCK {
        for (peer, samples) in peers.iter().zip(samples.iter_mut()) {
            for _ in 0..LATENCY_BLOCK {
                let start = Instant::now();
                peer.call_tool(echo()).await?;
                samples.push(start.elapsed().as_secs_f64() * 1e6);
            }
        }
    }
    Ok(samples
        .into_iter()
        .map(|mut samples| {
            samples.sort_by(f64::total_cmp);
            let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
            (at(0.50), at(0.99))
        })
        .collect())
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

/// A process's memory in KiB: resident (RSS), its proportional share of pages shared with other
/// processes (PSS), and the pages only it holds (private). Most of a Lanyard process's RSS is the
/// executable's own pages, which every `lanyard` process on the machine shares.
#[derive(Clone, Copy)]
struct Memory {
    rss: u64,
    pss: u64,
    private: u64,
}

fn memory(pid: u32) -> Option<Memory> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = rollup.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some(Memory {
        rss: field("Rss:")?,
        pss: field("Pss:")?,
        private: field("Private_Clean:")? + field("Private_Dirty:")?,
    })
}

/// Nanoseconds on a CPU so far, summed over the threads of `pid` (0 for this process).
fn cpu_ns(pid: u32) -> u64 {
    let dir = if pid == 0 { "/proc/self/task".to_owned() } else { format!("/proc/{pid}/task") };
    let Ok(tasks) = std::fs::read_dir(dir) else { return 0 };
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Context switches so far, summed over the threads of `pid`: each is a thread put to sleep or
/// woken, the main cost of passing a message between threads and processes.
fn switches(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return 0 };
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("status")).ok())
        .flat_map(|status| {
            status
                .lines()
                .filter(|l| l.contains("ctxt_switches:"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .collect::<Vec<_>>()
        })
        .sum()
}

/// The processes whose CPU time a path is charged with: the agent (this process), Lanyard (if
/// in the path) and the upstream server.
#[derive(Clone, Copy)]
struct Processes {
    lanyard: Option<u32>,
    upstream: Option<u32>,
}

/// CPU microseconds per call, per process.
#[derive(Default, Clone, Copy)]
struct CpuPerCall {
    agent: f64,
    lanyard: f64,
    upstream: f64,
    /// Lanyard's context switches per call.
    lanyard_switches: f64,
}

impl CpuPerCall {
    fn total(&self) -> f64 {
        self.agent + self.lanyard + self.upstream
    }
}

/// Calls per second at concurrency 16, and the CPU each process spent per call.
async fn loaded(peer: &Peer<RoleClient>, processes: Processes) -> anyhow::Result<(f64, CpuPerCall)> {
    let sample = || {
        (
            cpu_ns(0),
            processes.lanyard.map_or(0, cpu_ns),
            processes.upstream.map_or(0, cpu_ns),
            processes.lanyard.map_or(0, switches),
        )
    };
    let before = sample();
    let rate = throughput(peer, 16).await?;
    let after = sample();
    let per_call = |a: u64, b: u64| (b.saturating_sub(a)) as f64 / 1e3 / THROUGHPUT_CALLS as f64;
    let cpu = CpuPerCall {
        agent: per_call(before.0, after.0),
        lanyard: per_call(before.1, after.1),
        upstream: per_call(before.2, after.2),
        lanyard_switches: (after.3.saturating_sub(before.3)) as f64 / THROUGHPUT_CALLS as f64,
    };
    Ok((rate, cpu))
}

struct PathResult {
    p50: f64,
    p99: f64,
    c1: f64,
    c16: f64,
    /// Median over the rounds of this path's c=16 rate over its baseline's in the same round.
    c16_ratio: f64,
    cpu: CpuPerCall,
}

/// One round: the baseline's rate and CPU, then the path's.
type Round = ((f64, CpuPerCall), (f64, CpuPerCall));

/// A path and its baseline, measured in alternating rounds.
async fn compare(
    base: (&Peer<RoleClient>, Processes),
    path: (&Peer<RoleClient>, Processes),
) -> anyhow::Result<(PathResult, PathResult)> {
    let measured = latencies(&[base.0, path.0]).await?;
    let ((base_p50, base_p99), (path_p50, path_p99)) = (measured[0], measured[1]);
    let base_c1 = throughput(base.0, 1).await?;
    let path_c1 = throughput(path.0, 1).await?;
    let mut rounds: Vec<Round> = Vec::new();
    for _ in 0..ROUNDS {
        let base_round = loaded(base.0, base.1).await?;
        let path_round = loaded(path.0, path.1).await?;
        rounds.push((base_round, path_round));
    }
    let mut ratios: Vec<f64> = rounds.iter().map(|((b, _), (p, _))| p / b).collect();
    ratios.sort_by(f64::total_cmp);
    let median_ratio = ratios[ratios.len() / 2];
    let mean = |pick: &dyn Fn(&Round) -> (f64, CpuPerCall)| {
        let n = rounds.len() as f64;
        let (mut rate, mut cpu) = (0.0, CpuPerCall::default());
        for round in &rounds {
            let (r, c) = pick(round);
            rate += r / n;
            cpu.agent += c.agent / n;
            cpu.lanyard += c.lanyard / n;
            cpu.upstream += c.upstream / n;
            cpu.lanyard_switches += c.lanyard_switches / n;
        }
        (rate, cpu)
    };
    let (base_c16, base_cpu) = mean(&|(b, _)| *b);
    let (path_c16, path_cpu) = mean(&|(_, p)| *p);
    Ok((
        PathResult {
            p50: base_p50,
            p99: base_p99,
            c1: base_c1,
            c16: base_c16,
            c16_ratio: 1.0,
            cpu: base_cpu,
        },
        PathResult {
            p50: path_p50,
            p99: path_p99,
            c1: path_c1,
            c16: path_c16,
            c16_ratio: median_ratio,
            cpu: path_cpu,
        },
    ))
}

/// The first child process of `pid` (the stdio upstream `lanyard serve` started).
fn child_of(pid: u32) -> Option<u32> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("children")).ok())
        .find_map(|children| children.split_whitespace().next()?.parse().ok())
}

async fn run() -> anyhow::Result<()> {
    let server = test_server_bin("scripts/bench.sh")?;
    let home = Home::new()?;
    let token = home.run(&["bridge-token"], &[]).await?;

    let (upstream_http, upstream_url) = http_test_server(&server).await?;
    let server_path = server.display().to_string();
    home.run(&["profile", "add", "bench-http", "--url", &upstream_url], &[]).await?;
    home.run(&["profile", "add", "bench-stdio", "--", &server_path, "stdio"], &[]).await?;
    // An agent whose rights the forward checks on every call (one tool of one source).
    home.run(&["agent", "add", "bench-agent", "--source", "bench-http", "--tool", "bench-http:echo"], &[])
        .await?;
    let agent_token = home.run(&["agent", "token", "bench-agent"], &[]).await?;

    let upstream_http_pid = upstream_http.id();
    let direct_http = http_client(&upstream_url, None).await?;
    let direct_http_processes = Processes { lanyard: None, upstream: upstream_http_pid };

    // stdio agent -> lanyard bridge -> HTTP upstream, against direct HTTP.
    let bridge =
        home.command(&["bridge", "bench-http"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
    let (via_bridge, bridge_child) = stdio_client(bridge).await?;
    let bridge_processes = Processes { lanyard: bridge_child.id(), upstream: upstream_http_pid };
    let (direct_http_r, bridge_r) =
        compare((direct_http.peer(), direct_http_processes), (via_bridge.peer(), bridge_processes)).await?;
    let bridge_rss = bridge_child.id().and_then(memory);
    via_bridge.cancel().await?;
    drop(bridge_child);

    // HTTP agent -> lanyard serve -> stdio upstream, against direct stdio.
    let direct = Command::new(&server)
        .arg("stdio")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let (direct_stdio, direct_child) = stdio_client(direct).await?;
    let direct_stdio_processes = Processes { lanyard: None, upstream: direct_child.id() };
    let mut serve =
        home.command(&["serve", "--port", "0"]).stdin(Stdio::null()).stdout(Stdio::piped()).spawn()?;
    let base = listening(&mut serve).await?;
    let via_serve = http_client(&format!("{base}/mcp/bench-stdio"), Some(&token)).await?;
    let serve_processes = Processes { lanyard: serve.id(), upstream: serve.id().and_then(child_of) };
    let (direct_stdio_r, serve_r) =
        compare((direct_stdio.peer(), direct_stdio_processes), (via_serve.peer(), serve_processes)).await?;
    let serve_rss = serve.id().and_then(memory);
    via_serve.cancel().await?;
    direct_stdio.cancel().await?;
    drop(direct_child);

    // HTTP agent -> lanyard serve -> HTTP upstream (the HTTP-level forward), against direct HTTP.
    let via_forward = http_client(&format!("{base}/mcp/bench-http"), Some(&token)).await?;
    let forward_processes = Processes { lanyard: serve.id(), upstream: upstream_http_pid };
    let (direct_http_again, forward_r) =
        compare((direct_http.peer(), direct_http_processes), (via_forward.peer(), forward_processes)).await?;

    // The forward against what any forward costs here: a TCP relay and a bare hyper forward
    // ([`floor`]), processes of their own, measured in the same blocks as direct and the forward.
    let mut floors = Vec::new();
    for kind in ["relay", "forward"] {
        let mut process = Command::new(std::env::current_exe()?)
            .args(["--floor", kind, &upstream_url])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let url = listening(&mut process).await?;
        floors.push((process, http_client(&url, None).await?));
    }
    let floor_latencies =
        latencies(&[direct_http.peer(), floors[0].1.peer(), floors[1].1.peer(), via_forward.peer()]).await?;
    for (_, client) in floors {
        client.cancel().await?;
    }
    via_forward.cancel().await?;

    // The same forward as that agent, against the forward as `default` (no check at all).
    let as_default = http_client(&format!("{base}/mcp/bench-http"), Some(&token)).await?;
    let as_agent = http_client(&format!("{base}/mcp/bench-http"), Some(&agent_token)).await?;
    let (as_default_r, as_agent_r) =
        compare((as_default.peer(), forward_processes), (as_agent.peer(), forward_processes)).await?;
    as_default.cancel().await?;
    as_agent.cancel().await?;
    direct_http.cancel().await?;

    // `lanyard bridge` while the hub (`lanyard serve`) runs: it only pipes the agent to the hub.
    let mut hub_starts = Vec::new();
    let mut hub_rss = None;
    for _ in 0..STARTS {
        let (start_ms, client, child) = started_bridge(&home).await?;
        hub_starts.push(start_ms);
        for _ in 0..WARMUP {
            client.peer().call_tool(echo()).await?;
        }
        hub_rss = child.id().and_then(memory);
        client.cancel().await?;
        drop(child);
    }
    let hub_start_ms = median(hub_starts);
    drop(serve);

    // Start: spawn `lanyard bridge` (upstream already running) until tools/list is answered.
    let mut starts = Vec::new();
    for _ in 0..STARTS {
        let (start_ms, client, child) = started_bridge(&home).await?;
        starts.push(start_ms);
        client.cancel().await?;
        drop(child);
    }
    let start_ms = median(starts);

    println!(
        "lanyard bridge benchmark (echo tools/call, lanyard-test-server, {LATENCY_CALLS} calls per latency run, {THROUGHPUT_CALLS} per throughput run)"
    );
    println!();
    println!(
        "| path | p50 µs | p99 µs | added p50 µs | added p99 µs | calls/s c=1 | ratio | calls/s c=16 | ratio (median of {ROUNDS} rounds) | CPU µs/call c=16: agent / lanyard / upstream = total | lanyard switches/call |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let row = |name: &str, r: &PathResult, base: &PathResult| {
        println!(
            "| {name} | {:.0} | {:.0} | {:+.0} | {:+.0} | {:.0} | {:.2} | {:.0} | {:.2} | {:.0} / {:.0} / {:.0} = {:.0} | {:.1} |",
            r.p50,
            r.p99,
            r.p50 - base.p50,
            r.p99 - base.p99,
            r.c1,
            r.c1 / base.c1,
            r.c16,
            r.c16_ratio,
            r.cpu.agent,
            r.cpu.lanyard,
            r.cpu.upstream,
            r.cpu.total(),
            r.cpu.lanyard_switches,
        )
    };
    row("direct HTTP (rmcp client -> test server)", &direct_http_r, &direct_http_r);
    row("stdio agent -> lanyard bridge -> HTTP upstream", &bridge_r, &direct_http_r);
    row("direct HTTP, measured beside the forward", &direct_http_again, &direct_http_again);
    row("HTTP agent -> lanyard serve -> HTTP upstream", &forward_r, &direct_http_again);
    row("HTTP agent -> lanyard serve -> HTTP upstream, as `default`", &as_default_r, &as_default_r);
    row("the same, as an agent limited to one tool (rights checked)", &as_agent_r, &as_default_r);
    row("direct stdio (rmcp client -> test server child)", &direct_stdio_r, &direct_stdio_r);
    row("HTTP agent -> lanyard serve -> stdio upstream", &serve_r, &direct_stdio_r);
    println!();
    println!(
        "HTTP agent -> stdio upstream vs direct stdio + one direct HTTP hop: {:+.0} µs p50",
        serve_r.p50 - (direct_stdio_r.p50 + direct_http_r.p50)
    );
    let added = |(p50, p99): (f64, f64)| {
        format!("{:+.0} / {:+.0} µs", p50 - floor_latencies[0].0, p99 - floor_latencies[0].1)
    };
    println!(
        "the forward against its floors, added p50 / p99 over direct HTTP ({:.0} µs p50), measured together: TCP relay {}; bare hyper forward {}; lanyard serve {}",
        floor_latencies[0].0,
        added(floor_latencies[1]),
        added(floor_latencies[2]),
        added(floor_latencies[3]),
    );
    println!("bridge start to first tools/list (median of {STARTS}, upstream running): {start_ms:.1} ms");
    println!(
        "bridge start to first tools/list through a running hub (median of {STARTS}): {hub_start_ms:.1} ms"
    );
    let mib = |memory: Option<Memory>| {
        memory.map_or("?".to_owned(), |m| {
            let mib = |kib: u64| kib as f64 / 1024.0;
            format!("{:.1} / {:.1} / {:.1} MiB", mib(m.rss), mib(m.pss), mib(m.private))
        })
    };
    println!("memory after the runs, RSS / PSS / private:");
    println!("- lanyard bridge (stdio -> HTTP): {}", mib(bridge_rss));
    println!("- lanyard serve: {}", mib(serve_rss));
    println!("- lanyard bridge piping to the hub, after {WARMUP} calls: {}", mib(hub_rss));
    Ok(())
}
