//! What both benchmarks share: how they run and end, a private Lanyard home, the release
//! `lanyard-test-server` beside the bench binary, and the address line a server prints first.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A private Lanyard home: its own profile file, data folder and (through `BROWSER`) a sign-in
/// that needs no person.
pub struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self { dir: tempfile::tempdir()? })
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_lanyard"));
        command
            .args(args)
            .env("LANYARD_CONFIG_DIR", self.dir.path().join("config"))
            .env("LANYARD_DATA_DIR", self.dir.path().join("data"))
            .env("BROWSER", Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/support/browser.sh"))
            .env_remove("LANYARD_LOG")
            .kill_on_drop(true);
        command
    }

    /// Runs `lanyard <args>` with `env` to its end; its standard output, trimmed.
    pub async fn run(&self, args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<String> {
        let output = self.command(args).envs(env.iter().copied()).stdin(Stdio::null()).output().await?;
        if !output.status.success() {
            bail!("lanyard {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }
}

/// The `lanyard-test-server` built in the same profile as the bench; `script` is what builds it.
pub fn test_server_bin(script: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().and_then(Path::parent).context("bench binary in target/<profile>/deps")?;
    let bin = dir.join("lanyard-test-server");
    if !bin.is_file() {
        bail!("{} is missing: `cargo build --release -p lanyard-testkit` ({script} does)", bin.display());
    }
    Ok(bin)
}

/// `lanyard-test-server http` started from `bin`, and the URL of its MCP endpoint. It ends when
/// the child is dropped.
pub async fn http_test_server(bin: &Path) -> anyhow::Result<(Child, String)> {
    let mut server = Command::new(bin)
        .arg("http")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let url = listening(&mut server).await?;
    Ok((server, url))
}

/// Reads the `listening on <url>` line a server prints first.
pub async fn listening(child: &mut Child) -> anyhow::Result<String> {
    let stdout = child.stdout.take().context("stdout piped")?;
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(30), BufReader::new(stdout).read_line(&mut line)).await??;
    Ok(line.trim().strip_prefix("listening on ").context("address line")?.to_owned())
}

/// Runs `run` on a multi-threaded runtime when the executable was started as a benchmark (`cargo
/// bench` passes `--bench`); under `cargo test` it only says how to run benchmark `name` (with
/// `script`), since timings are measured, never asserted.
pub fn as_bench(
    name: &str,
    script: &str,
    run: impl Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<()> {
    if !std::env::args().any(|arg| arg == "--bench") {
        eprintln!("{name} benchmark: run it with {script} (cargo bench --bench {name})");
        return Ok(());
    }
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(run)
}

/// How a benchmark ends: an error as the `lanyard` CLI's, one `error:` line with its causes (a
/// `main` that returns the error would print Rust's `Error: ` and the debug form instead).
pub fn exit_code(run: anyhow::Result<()>) -> std::process::ExitCode {
    match run {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
