//! What both benchmarks need to start their servers: the release `lanyard-test-server` beside the
//! bench binary, and the address line a server prints first.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

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

/// Reads the `listening on <url>` line a server prints first.
pub async fn listening(child: &mut Child) -> anyhow::Result<String> {
    let stdout = child.stdout.take().context("stdout piped")?;
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(30), BufReader::new(stdout).read_line(&mut line)).await??;
    Ok(line.trim().strip_prefix("listening on ").context("address line")?.to_owned())
}
