//! The fence of stdio servers, with the real kernel: a "server" that first tries to read a file
//! outside its lists, write outside its folders, open a TCP connection to a listener this test
//! runs on loopback and send a UDP datagram to a socket this test holds there, writes down what
//! happened, and then becomes the test kit's MCP server. Fenced (network `none`), the kernel
//! refuses all four (the test's UDP socket receives nothing) and `lanyard status` says the fence is
//! enforced; unfenced, all four work (the datagram arrives). Where `/usr/bin/python3` exists the
//! probe also calls `io_uring_setup`, which could make sockets out of the socket filter's sight:
//! fenced it answers ENOSYS. On a kernel without Landlock the status must say so, and the test
//! says it was skipped.

use std::io::ErrorKind;
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::home::Home;
use crate::support::test_server_bin;

/// Tries the four things, records each as `allowed` or `refused: <error>`, then serves MCP.
const PROBE: &str = r#"#!/bin/sh
out="$PROBE_OUT"
: > "$out"
if err=$(cat "$PROBE_HIDDEN" 2>&1 >/dev/null); then echo "read=allowed"; else echo "read=refused: $err"; fi >> "$out"
if err=$( (echo x > "$PROBE_OUTSIDE") 2>&1); then echo "write=allowed"; else echo "write=refused: $err"; fi >> "$out"
if err=$( (echo x > "$PROBE_INSIDE") 2>&1); then echo "inside=allowed"; else echo "inside=refused: $err"; fi >> "$out"
if err=$(cat "/proc/$PPID/environ" 2>&1 >/dev/null); then echo "environ=allowed"; else echo "environ=refused: $err"; fi >> "$out"
if err=$(bash -c "exec 3<>/dev/tcp/127.0.0.1/$PROBE_PORT" 2>&1); then echo "connect=allowed"; else echo "connect=refused: $err"; fi >> "$out"
if err=$(bash -c "echo datagram > /dev/udp/127.0.0.1/$PROBE_UDP_PORT" 2>&1); then echo "udp=allowed"; else echo "udp=refused: $err"; fi >> "$out"
if [ -x /usr/bin/python3 ]; then echo "io_uring=$(/usr/bin/python3 -c "$IO_URING_SETUP" 2>&1)"; else echo "io_uring=no python3"; fi >> "$out"
exec "$PROBE_SERVER" stdio
"#;

/// `io_uring_setup(1, &params)` (425 on x86_64 and aarch64) through ctypes, as the probe's Python
/// runs it: `allowed`, or `refused: <error>`.
const IO_URING_SETUP: &str = r#"
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.syscall(425, 1, ctypes.create_string_buffer(120))
print("allowed" if fd >= 0 else "refused: " + os.strerror(ctypes.get_errno()))
"#;

/// The probe's folders: its own (the command's, readable by preset), one it may write, and one
/// outside both that holds a secret.
struct Probe {
    _dirs: [tempfile::TempDir; 3],
    script: PathBuf,
    allowed: PathBuf,
    outside: PathBuf,
    port: u16,
    /// Where the probe sends its datagram: what arrives here is the witness.
    udp: UdpSocket,
}

impl Probe {
    fn new() -> Self {
        let own = tempfile::tempdir().expect("a temp dir");
        let allowed = tempfile::tempdir().expect("a temp dir");
        let outside = tempfile::tempdir().expect("a temp dir");
        let script = own.path().join("probe.sh");
        std::fs::write(&script, PROBE).expect("write the probe");
        make_executable(&script);
        std::fs::write(outside.path().join("secret.txt"), "not for the server").expect("write the secret");
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback listener");
        let port = listener.local_addr().expect("its address").port();
        std::thread::spawn(move || for _ in listener.incoming() {});
        let udp = UdpSocket::bind("127.0.0.1:0").expect("a loopback UDP socket");
        let (allowed_path, outside_path) = (allowed.path().to_owned(), outside.path().to_owned());
        Self {
            _dirs: [own, allowed, outside],
            script,
            allowed: allowed_path,
            outside: outside_path,
            port,
            udp,
        }
    }

    /// `profile add` arguments for the probe as source `id`, before any fence flag.
    fn env_args(&self) -> Vec<String> {
        let server = test_server_bin();
        [
            ("PROBE_OUT", self.results().display().to_string()),
            ("PROBE_HIDDEN", self.outside.join("secret.txt").display().to_string()),
            ("PROBE_OUTSIDE", self.outside.join("written.txt").display().to_string()),
            ("PROBE_INSIDE", self.allowed.join("written.txt").display().to_string()),
            ("PROBE_PORT", self.port.to_string()),
            ("PROBE_UDP_PORT", self.udp.local_addr().expect("its address").port().to_string()),
            ("PROBE_SERVER", server.display().to_string()),
            ("IO_URING_SETUP", IO_URING_SETUP.to_owned()),
        ]
        .into_iter()
        .flat_map(|(name, value)| ["--env".to_owned(), format!("{name}={value}")])
        .collect()
    }

    /// Whether a datagram from the probe came within `wait` (it is sent before the server starts,
    /// so by the time the server has answered it is here or it never will be).
    fn datagram_arrived(&self, wait: Duration) -> bool {
        self.udp.set_read_timeout(Some(wait)).expect("a read timeout");
        let mut buffer = [0u8; 64];
        match self.udp.recv(&mut buffer) {
            Ok(len) => {
                assert_eq!(&buffer[..len], b"datagram\n", "the probe's datagram");
                true
            }
            Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
            Err(err) => panic!("cannot read the test's UDP socket: {err}"),
        }
    }

    fn results(&self) -> PathBuf {
        self.allowed.join("results.txt")
    }

    /// What the probe found, by attempt.
    fn outcome(&self, attempt: &str) -> String {
        let text = std::fs::read_to_string(self.results()).expect("the probe wrote its results");
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{attempt}=")))
            .unwrap_or_else(|| panic!("no `{attempt}` in the probe's results:\n{text}"))
            .to_owned()
    }
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod the probe");
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) {}

/// Adds the probe as source `probe`, fenced with `network`, its own test server readable and its
/// results folder writable.
fn add_fenced_probe(home: &Home, probe: &Probe, network: &str) {
    let server_dir = test_server_bin().parent().expect("the server's folder").display().to_string();
    let mut add: Vec<String> =
        ["profile", "add", "probe", "--sandbox-network", network].map(str::to_owned).into();
    add.extend(["--sandbox-read".to_owned(), server_dir]);
    add.extend(["--sandbox-write".to_owned(), probe.allowed.display().to_string()]);
    add.extend(probe.env_args());
    add.extend(["--".to_owned(), probe.script.display().to_string()]);
    home.run(&add.iter().map(String::as_str).collect::<Vec<_>>()).ok();
}

/// Whether this kernel has no Landlock (or it is off), as the status says: then the files are not
/// fenced (the socket filter may still fence the network, and the state says *partly*).
fn without_landlock(fence: &serde_json::Value) -> bool {
    fence["state"] == "not_fenced" || fence["detail"].as_str().is_some_and(|d| d.contains("files NOT fenced"))
}

/// Checks the probe's io_uring attempt, when it had a Python to make it with.
fn io_uring_is(probe: &Probe, expected: &str, what: &str) {
    match probe.outcome("io_uring").as_str() {
        "no python3" => eprintln!("SKIPPED: the io_uring check (no /usr/bin/python3)"),
        outcome => assert_eq!(outcome, expected, "{what}"),
    }
}

fn fence_of(home: &Home, id: &str) -> serde_json::Value {
    let status = home.run(&["status", id, "--json"]).ok().json();
    status["sources"][0]["sandbox"].clone()
}

#[cfg(target_os = "linux")]
#[test]
fn a_fenced_server_is_refused_by_the_kernel_and_an_unfenced_one_is_not() {
    let home = Home::new();
    let probe = Probe::new();
    add_fenced_probe(&home, &probe, "none");
    assert_eq!(fence_of(&home, "probe")["state"], "not_started", "set, and no start yet");

    let tools = home.run(&["tools", "probe"]).ok();
    assert!(tools.stdout.contains("echo"), "the fenced server still serves MCP:\n{}", tools.stdout);
    let fence = fence_of(&home, "probe");
    if without_landlock(&fence) {
        eprintln!("SKIPPED: this kernel does not enforce Landlock ({}); the status said so", fence["detail"]);
        assert_eq!(probe.outcome("read"), "allowed", "files not fenced: the read went through");
        return;
    }
    assert_eq!(fence["state"], "enforced", "the kernel enforced the fence: {fence}");
    assert_eq!(fence["network"], "none", "{fence}");
    let detail = fence["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("no TCP (Landlock)") && detail.contains("no UDP, raw"),
        "what holds, by what: {fence}"
    );
    for attempt in ["read", "write", "connect", "udp"] {
        let outcome = probe.outcome(attempt);
        assert!(outcome.starts_with("refused"), "a fenced server's {attempt} is refused: {outcome}");
        assert!(outcome.contains("Permission denied"), "the kernel refused the {attempt}: {outcome}");
    }
    assert!(!probe.datagram_arrived(Duration::from_millis(300)), "no datagram left the fence");
    io_uring_is(
        &probe,
        "refused: Function not implemented",
        "io_uring, which could go around the socket filter",
    );
    assert_eq!(probe.outcome("inside"), "allowed", "its own folder stays writable");
    assert!(
        probe.outcome("environ").contains("Permission denied"),
        "Lanyard's own environment is out of reach"
    );
    assert!(!probe.outside.join("written.txt").exists(), "nothing was written outside");
    let log = std::fs::read_to_string(home.log_dir().join("probe.stderr.log")).expect("the server's log");
    assert!(log.contains("lanyard fence: fenced (enforced)"), "the start says so in the log:\n{log}");

    home.run(&["profile", "edit", "probe", "--no-sandbox"]).ok();
    assert_eq!(fence_of(&home, "probe")["state"], "off");
    home.run(&["tools", "probe"]).ok();
    for attempt in ["read", "write", "connect", "environ", "udp"] {
        assert_eq!(probe.outcome(attempt), "allowed", "an unfenced server's {attempt} goes through");
    }
    assert!(probe.datagram_arrived(Duration::from_secs(5)), "an unfenced server's datagram arrives");
    if probe.outcome("io_uring") != "no python3" {
        assert!(!probe.outcome("io_uring").contains("Function not implemented"), "no filter unfenced");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn loopback_is_kept_and_reported_as_not_enforced() {
    let home = Home::new();
    let probe = Probe::new();
    add_fenced_probe(&home, &probe, "loopback");
    home.run(&["tools", "probe"]).ok();
    let fence = fence_of(&home, "probe");
    if without_landlock(&fence) {
        eprintln!("SKIPPED: this kernel does not enforce Landlock ({})", fence["detail"]);
        return;
    }
    assert_eq!(fence["state"], "partly", "loopback cannot be enforced, and status says so: {fence}");
    assert!(fence["detail"].as_str().is_some_and(|d| d.contains("NOT enforced")), "{fence}");
    assert!(fence["detail"].as_str().is_some_and(|d| d.contains("TCP and UDP are open")), "{fence}");
    assert!(probe.outcome("read").starts_with("refused"), "the files are still fenced");
    assert_eq!(probe.outcome("connect"), "allowed", "TCP is open, as reported");
    assert_eq!(probe.outcome("udp"), "allowed", "UDP is open, as reported (a local resolver needs it)");
    assert!(probe.datagram_arrived(Duration::from_secs(5)), "the datagram arrives");
    io_uring_is(
        &probe,
        "refused: Function not implemented",
        "io_uring is refused under a loopback fence too",
    );
}

/// The bridge's pass-through starts its own server process: the fence holds there too.
#[cfg(target_os = "linux")]
#[test]
fn the_bridge_starts_a_fenced_server_fenced() {
    let home = Home::new();
    let probe = Probe::new();
    add_fenced_probe(&home, &probe, "none");
    let messages = [
        crate::bridge::initialize(0),
        serde_json::json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }),
        serde_json::json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" }),
    ];
    let input: String = messages.iter().map(|message| format!("{message}\n")).collect();
    let bridge = home.run_with_stdin(&["bridge", "probe"], &input).ok();
    assert!(
        bridge.stdout.contains("\"echo\""),
        "the fenced server answered through the bridge:\n{}",
        bridge.stdout
    );
    let fence = fence_of(&home, "probe");
    if without_landlock(&fence) {
        eprintln!("SKIPPED: this kernel does not enforce Landlock ({})", fence["detail"]);
        return;
    }
    assert_eq!(fence["state"], "enforced", "{fence}");
    for attempt in ["read", "write", "connect", "udp"] {
        let outcome = probe.outcome(attempt);
        assert!(outcome.contains("Permission denied"), "the kernel refused the {attempt}: {outcome}");
    }
    assert!(!probe.datagram_arrived(Duration::from_millis(300)), "no datagram left the fence");
}

#[test]
fn fence_flags_are_refused_for_an_http_source() {
    let home = Home::new();
    home.run(&["profile", "add", "web", "--url", "http://127.0.0.1:9/mcp", "--sandbox-network", "none"])
        .fails_with(2, "--sandbox");
}

/// Tries to hold more open files than a limit of 32 allows and (with `/usr/bin/python3`) to
/// allocate 256 MB, records each as `allowed` or `refused: <error>`, then serves MCP.
const LIMITS_PROBE: &str = r#"#!/bin/sh
out="$PROBE_OUT"
: > "$out"
if err=$(bash -c 'i=0; while [ $i -lt 64 ]; do exec {fd}</dev/null || exit 1; i=$((i+1)); done' 2>&1); then echo "files=allowed"; else echo "files=refused: $err"; fi >> "$out"
if [ -x /usr/bin/python3 ]; then
  if err=$(/usr/bin/python3 -c 'bytearray(256 << 20)' 2>&1); then echo "memory=allowed"; else echo "memory=refused: $(echo "$err" | tail -n 1)"; fi
else echo "memory=no python3"; fi >> "$out"
exec "$PROBE_SERVER" stdio
"#;

/// With `--sandbox-memory 64 --sandbox-open-files 32` the kernel refuses the probe a 256 MB
/// buffer and a 33rd open file, and `status` shows the limits; without the fence both go through.
#[cfg(target_os = "linux")]
#[test]
fn a_fenced_servers_memory_and_open_files_are_limited() {
    let home = Home::new();
    let own = tempfile::tempdir().expect("a temp dir");
    let results_dir = tempfile::tempdir().expect("a temp dir");
    let script = own.path().join("limits.sh");
    std::fs::write(&script, LIMITS_PROBE).expect("write the probe");
    make_executable(&script);
    let results = results_dir.path().join("results.txt");
    let server = test_server_bin();
    let server_dir = server.parent().expect("the server's folder").display().to_string();
    let add = [
        "profile",
        "add",
        "probe",
        "--sandbox-memory",
        "64",
        "--sandbox-open-files",
        "32",
        "--sandbox-read",
        &server_dir,
        "--sandbox-write",
        &results_dir.path().display().to_string(),
        "--env",
        &format!("PROBE_OUT={}", results.display()),
        "--env",
        &format!("PROBE_SERVER={}", server.display()),
        "--",
        &script.display().to_string(),
    ];
    home.run(&add).ok();
    let outcome = |attempt: &str| {
        let text = std::fs::read_to_string(&results).expect("the probe wrote its results");
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{attempt}=")))
            .unwrap_or_else(|| panic!("no `{attempt}` in the probe's results:\n{text}"))
            .to_owned()
    };

    let tools = home.run(&["tools", "probe"]).ok();
    assert!(tools.stdout.contains("echo"), "the limited server still serves MCP:\n{}", tools.stdout);
    let fence = fence_of(&home, "probe");
    assert_eq!((fence["memory_mb"].as_u64(), fence["open_files"].as_u64()), (Some(64), Some(32)), "{fence}");
    assert!(
        fence["detail"].as_str().is_some_and(|d| d.contains("memory 64 MB, 32 open files (rlimits)")),
        "the kernel set both: {fence}"
    );
    let text = home.run(&["status", "probe"]).ok().stdout;
    assert!(text.contains("network none, memory 64 MB, 32 open files"), "{text}");
    let files = outcome("files");
    assert!(files.starts_with("refused") && files.contains("Too many open files"), "{files}");
    match outcome("memory").as_str() {
        "no python3" => eprintln!("SKIPPED: the memory check (no /usr/bin/python3)"),
        memory => assert!(memory.contains("MemoryError"), "256 MB over a 64 MB limit: {memory}"),
    }

    home.run(&["profile", "edit", "probe", "--no-sandbox"]).ok();
    home.run(&["tools", "probe"]).ok();
    assert_eq!(outcome("files"), "allowed", "without the fence the files open");
    if outcome("memory") != "no python3" {
        assert_eq!(outcome("memory"), "allowed", "without the fence the 256 MB are there");
    }
}

#[test]
fn zero_or_absurd_limits_are_refused_naming_the_flag() {
    let home = Home::new();
    for (flag, value) in
        [("--sandbox-memory", "0"), ("--sandbox-memory", "99999999"), ("--sandbox-open-files", "0")]
    {
        home.run(&["profile", "add", "x", flag, value, "--", "true"]).fails_with(2, flag);
    }
}
