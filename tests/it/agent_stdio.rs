//! How `lanyard bridge` holds the agent's stdin and stdout (issue 4). Pipes and sockets are
//! polled on the bridge's one thread, non-blocking; a file, or a stdout that stderr shares, is
//! read and written by threads with the flags untouched; and whatever was made non-blocking is
//! put back when the bridge ends, since the agent may share the pipe with others.
//!
//! The socket case is the one most IDEs give (Node's child processes get socket pairs): the
//! pass-through tests in `bridge.rs` run under it, through the TypeScript SDK's client.

use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};

use crate::bridge::initialize;
use crate::support::home::Home;
use crate::support::test_server_bin;

/// `O_NONBLOCK` as `/proc/<pid>/fdinfo` prints the flags (octal).
const O_NONBLOCK: u32 = 0o4000;

/// Whether descriptor `fd` of process `pid` is non-blocking.
fn non_blocking(pid: u32, fd: i32) -> bool {
    let info = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}")).expect("read fdinfo");
    let flags = info
        .lines()
        .find_map(|line| line.strip_prefix("flags:"))
        .map(|octal| u32::from_str_radix(octal.trim(), 8).expect("octal flags"))
        .expect("fdinfo has flags");
    flags & O_NONBLOCK != 0
}

async fn home_with_stdio_source() -> Home {
    let home = Home::new();
    let server = test_server_bin().display().to_string();
    home.add(&["one", "--", &server, "stdio"]).await;
    home
}

fn line(message: &Value) -> Vec<u8> {
    format!("{message}\n").into_bytes()
}

fn list(id: u64) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": "tools/list" })
}

/// Reads lines until the answer to `id` (skipping notifications and, with stderr on the same
/// pipe, log lines), on a blocking thread with a deadline.
async fn answer_to(lines: &mut Option<BufReader<std::io::PipeReader>>, id: u64) -> Value {
    let mut reader = lines.take().expect("the reader is back");
    let (reader, answer) = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::task::spawn_blocking(move || {
            let mut text = String::new();
            loop {
                text.clear();
                let read = reader.read_line(&mut text).expect("read the bridge's stdout");
                assert!(read > 0, "the bridge's stdout ended before the answer to {id}");
                if let Ok(message) = serde_json::from_str::<Value>(&text)
                    && message["id"] == json!(id)
                {
                    return (reader, message);
                }
            }
        }),
    )
    .await
    .expect("the bridge answers in time")
    .expect("the reading thread");
    *lines = Some(reader);
    answer
}

/// Waits for the bridge to end, its input having ended, and checks that it ended cleanly.
async fn ends_cleanly(bridge: &mut tokio::process::Child) {
    let status = tokio::time::timeout(Duration::from_secs(30), bridge.wait())
        .await
        .expect("the bridge ends when its input does")
        .expect("wait");
    assert!(status.success(), "the bridge ends cleanly: {status}");
}

fn tool_names(answer: &Value) -> Vec<&str> {
    answer["result"]["tools"].as_array().into_iter().flatten().filter_map(|t| t["name"].as_str()).collect()
}

#[tokio::test]
async fn issue_4_pipes_are_polled_non_blocking_and_their_flags_are_put_back_at_the_end() {
    let home = home_with_stdio_source().await;
    let (agent_in, mut to_bridge) = std::io::pipe().expect("a pipe");
    let (from_bridge, bridge_out) = std::io::pipe().expect("a pipe");
    // Duplicates share the pipe's open file description, and with it the flags.
    let shared_in = agent_in.try_clone().expect("dup");
    let shared_out = bridge_out.try_clone().expect("dup");
    let mut bridge = home
        .lanyard(&["bridge", "one"])
        .stdin(Stdio::from(agent_in))
        .stdout(Stdio::from(bridge_out))
        .stderr(Stdio::null())
        .spawn()
        .expect("lanyard bridge starts");
    let pid = bridge.id().expect("the bridge runs");
    let mut lines = Some(BufReader::new(from_bridge));

    to_bridge.write_all(&line(&initialize(0))).expect("write");
    answer_to(&mut lines, 0).await;
    assert!(non_blocking(pid, 0), "the bridge polls its stdin pipe");
    assert!(non_blocking(pid, 1), "the bridge polls its stdout pipe");
    to_bridge.write_all(&line(&list(1))).expect("write");
    let answer = answer_to(&mut lines, 1).await;
    assert!(
        tool_names(&answer).contains(&"echo"),
        "tools/list is answered through the polled pipes: {answer}"
    );

    drop(to_bridge);
    ends_cleanly(&mut bridge).await;
    let me = std::process::id();
    assert!(
        !non_blocking(me, shared_in.as_raw_fd()),
        "the stdin pipe is blocking again for whoever shares it"
    );
    assert!(
        !non_blocking(me, shared_out.as_raw_fd()),
        "the stdout pipe is blocking again for whoever shares it"
    );
}

#[tokio::test]
async fn issue_4_a_bridge_reading_a_file_answers_every_line_on_its_threads() {
    let home = home_with_stdio_source().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let input = dir.path().join("agent.jsonl");
    let initialized = json!({ "jsonrpc": "2.0", "method": "notifications/initialized" });
    let text = [line(&initialize(0)), line(&initialized), line(&list(1))].concat();
    std::fs::write(&input, text).expect("write the agent's input");
    let (from_bridge, bridge_out) = std::io::pipe().expect("a pipe");
    let mut bridge = home
        .lanyard(&["bridge", "one"])
        .stdin(std::fs::File::open(&input).expect("open"))
        .stdout(Stdio::from(bridge_out))
        .stderr(Stdio::null())
        .spawn()
        .expect("lanyard bridge starts");
    let mut lines = Some(BufReader::new(from_bridge));

    answer_to(&mut lines, 0).await;
    let answer = answer_to(&mut lines, 1).await;
    assert!(tool_names(&answer).contains(&"echo"), "every line of the file is answered: {answer}");
    ends_cleanly(&mut bridge).await;
}

#[tokio::test]
async fn issue_4_a_stdout_that_stderr_shares_stays_blocking_so_no_log_line_fails() {
    let home = home_with_stdio_source().await;
    let (agent_in, mut to_bridge) = std::io::pipe().expect("a pipe");
    let (from_bridge, bridge_out) = std::io::pipe().expect("a pipe");
    let log_out = bridge_out.try_clone().expect("dup");
    let mut bridge = home
        .lanyard(&["bridge", "one"])
        .env("LANYARD_LOG", "debug")
        .stdin(Stdio::from(agent_in))
        .stdout(Stdio::from(bridge_out))
        .stderr(Stdio::from(log_out))
        .spawn()
        .expect("lanyard bridge starts");
    let pid = bridge.id().expect("the bridge runs");
    let mut lines = Some(BufReader::new(from_bridge));

    to_bridge.write_all(&line(&initialize(0))).expect("write");
    answer_to(&mut lines, 0).await;
    assert!(!non_blocking(pid, 1), "stdout, shared with stderr (2>&1), is left blocking");
    to_bridge.write_all(&line(&list(1))).expect("write");
    let answer = answer_to(&mut lines, 1).await;
    assert!(tool_names(&answer).contains(&"echo"), "answers arrive between the log lines: {answer}");
    drop(to_bridge);
    ends_cleanly(&mut bridge).await;
}
