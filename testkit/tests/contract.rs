//! The test server's contract with the tests that start it: the exit status and stderr line of
//! `--exit-after-start`, and the single address line `http` prints first.
//!
//! Having an integration test here also makes `cargo test --workspace` build the
//! `lanyard-test-server` binary into `target/<profile>/`, where Lanyard's own tests look for it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_lanyard-test-server");

#[test]
fn exit_after_start_fails_with_status_3_and_says_why() {
    let output = Command::new(BIN).args(["stdio", "--exit-after-start"]).output().expect("run the server");
    assert_eq!(output.status.code(), Some(3), "tests check for exit status 3");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("exiting on purpose"), "tests look for this stderr line: {stderr:?}");
    assert!(output.stdout.is_empty(), "nothing may reach stdout, the MCP stream");
}

#[test]
fn http_prints_one_address_line_first() {
    let mut child = Command::new(BIN)
        .arg("http")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server");
    let mut line = String::new();
    let read = BufReader::new(child.stdout.take().expect("piped stdout")).read_line(&mut line);
    let _ = child.kill();
    let _ = child.wait();
    read.expect("read the address line");
    let port = line
        .trim_end()
        .strip_prefix("listening on http://127.0.0.1:")
        .and_then(|rest| rest.strip_suffix("/mcp"))
        .unwrap_or_else(|| panic!("unexpected address line {line:?}"));
    assert!(port.parse::<u16>().is_ok_and(|port| port != 0), "the line carries the bound port: {line:?}");
}
