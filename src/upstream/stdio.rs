//! The stdio transport: a child process speaking MCP on its stdin and stdout.
//!
//! The child's stderr goes to a per-source log file, never to our own stdout or stderr: our stdout
//! is the agent's stream when Lanyard runs as a stdio bridge, and a server's chatter must not
//! corrupt it. We own the child (rather than letting rmcp's `TokioChildProcess` hide it) so that a
//! server that dies can be reported with its exit status and the last lines it wrote. A watcher
//! task holds the child; dropping the [`StdioChild`] handle kills it, so no server outlives its
//! connection.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use rmcp::RoleClient;
use rmcp::transport::async_rw::AsyncRwTransport;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio::process::{ChildStdin, ChildStdout, Command};
use tokio::sync::{oneshot, watch};
use tracing::debug;

use super::error::UpstreamError;
use crate::ids::SourceId;
use crate::profile::Sandbox;
use crate::secret::Secret;

/// How much of the end of the stderr log goes into an error message.
const TAIL_LINES: usize = 12;
const TAIL_BYTES: u64 = 4096;

pub(super) type StdioTransport = AsyncRwTransport<RoleClient, ChildStdout, ChildStdin>;

/// The running child, as seen from its connection.
#[derive(Debug)]
pub(crate) struct StdioChild {
    pid: Option<u32>,
    exit: watch::Receiver<Option<ExitStatus>>,
    /// Dropping this tells the watcher to kill the child.
    _kill: oneshot::Sender<()>,
    log: PathBuf,
    /// Where this run's part of the log starts.
    log_start: u64,
}

/// What to start: the resolved `command`, `args`, `env`, `cwd` and fence of a stdio profile.
pub(crate) struct Launch<'a> {
    pub command: &'a str,
    pub args: &'a [String],
    pub env: &'a [(String, Secret)],
    pub cwd: Option<&'a Path>,
    pub sandbox: Option<&'a Sandbox>,
}

/// The file in `log_dir` that holds a source's stderr.
pub fn stderr_log_path(log_dir: &Path, id: &SourceId) -> PathBuf {
    log_dir.join(format!("{id}.stderr.log"))
}

/// Starts the child with its stderr appended to the source's log in `log_dir`.
pub(super) async fn spawn(
    id: &SourceId,
    launch: Launch<'_>,
    log_dir: &Path,
) -> Result<(StdioTransport, StdioChild), UpstreamError> {
    let (stdin, stdout, child) = spawn_pipes(id, launch, log_dir).await?;
    Ok((AsyncRwTransport::new_client(stdout, stdin), child))
}

/// [`spawn`] without rmcp on top: the child's raw stdin and stdout, for the bridge's line pipe.
pub(crate) async fn spawn_pipes(
    id: &SourceId,
    launch: Launch<'_>,
    log_dir: &Path,
) -> Result<(ChildStdin, ChildStdout, StdioChild), UpstreamError> {
    if let Some(dir) = launch.cwd.filter(|dir| !dir.is_dir()) {
        return Err(UpstreamError::WorkingDirMissing { id: id.clone(), dir: dir.to_owned() });
    }
    let log = stderr_log_path(log_dir, id);
    let (stderr, log_start) = open_log(&log, launch.command).await.map_err(|err| UpstreamError::Log {
        id: id.clone(),
        path: log.clone(),
        err,
    })?;

    let mut command = command_for(id, &launch, log_dir).map_err(|err| UpstreamError::Spawn {
        id: id.clone(),
        command: launch.command.to_owned(),
        err,
    })?;
    command
        // Every value may be a credential; this is where it leaves the process.
        .envs(launch.env.iter().map(|(name, value)| (name, value.expose())))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr))
        .kill_on_drop(true);
    if let Some(dir) = launch.cwd {
        command.current_dir(dir);
    }
    let mut child = command.spawn().map_err(|err| match err.kind() {
        std::io::ErrorKind::NotFound => {
            UpstreamError::CommandNotFound { id: id.clone(), command: launch.command.to_owned() }
        }
        _ => UpstreamError::Spawn { id: id.clone(), command: launch.command.to_owned(), err },
    })?;
    let pid = child.id();
    debug!(source = %id, pid, "started the server process");
    let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        unreachable!("stdin and stdout were piped just above");
    };

    let (exit_tx, exit) = watch::channel(None);
    let (kill, killed) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let status = tokio::select! {
            status = child.wait() => status,
            // Sent or dropped: either way the connection is done with the child.
            _ = killed => {
                if let Err(err) = child.kill().await {
                    debug!(%err, "could not kill the server process");
                }
                child.wait().await
            }
        };
        if let Ok(status) = status {
            debug!(%status, "the server process exited");
            let _ = exit_tx.send(Some(status));
        }
    });

    Ok((stdin, stdout, StdioChild { pid, exit, _kill: kill, log, log_start }))
}

/// The command that starts the server: itself, or through `lanyard sandbox-exec` when it is
/// fenced (on Linux; elsewhere the fence is reported as not enforced and the server starts as is).
fn command_for(id: &SourceId, launch: &Launch<'_>, log_dir: &Path) -> std::io::Result<Command> {
    let Some(sandbox) = launch.sandbox.filter(|_| crate::sandbox::ENFORCED_ON_THIS_OS) else {
        let mut command = Command::new(launch.command);
        command.args(launch.args);
        return Ok(command);
    };
    let scratch = log_dir.parent().unwrap_or(log_dir).join("fence-tmp").join(id.as_str());
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&scratch)?;
    let plan =
        crate::sandbox::plan(sandbox, launch.command, launch.cwd, &scratch, dirs::home_dir().as_deref());
    let report = crate::sandbox::report_path(log_dir, id);
    // A report from an earlier start must not speak for this one.
    match std::fs::remove_file(&report) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err),
        _ => {}
    }
    let mut command = Command::new(crate::sandbox::launcher()?);
    command.args(crate::sandbox::plan::launcher_args(&plan, &report, launch.command, launch.args));
    command.env("TMPDIR", &scratch);
    Ok(command)
}

/// Opens the log for appending, marks the start of this run, and says where the run begins.
async fn open_log(path: &Path, command: &str) -> std::io::Result<(std::fs::File, u64)> {
    if let Some(dir) = path.parent() {
        let mut builder = tokio::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        builder.mode(0o700);
        builder.create(dir).await?;
    }
    let mut options = tokio::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).await?;
    // The command only, never its arguments or environment: those may hold credentials.
    let marker = format!("--- lanyard started `{command}` at unix time {} ---\n", crate::clock::now());
    file.write_all(marker.as_bytes()).await?;
    file.flush().await?;
    let start = file.metadata().await?.len();
    Ok((file.into_std().await, start))
}

impl StdioChild {
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// The exit status, if the child has exited.
    pub fn exited(&self) -> Option<ExitStatus> {
        *self.exit.borrow()
    }

    /// Waits up to `grace` for the child to exit.
    pub async fn wait(&self, grace: Duration) -> Option<ExitStatus> {
        let mut exit = self.exit.clone();
        match tokio::time::timeout(grace, exit.wait_for(Option::is_some)).await {
            Ok(Ok(status)) => *status,
            _ => self.exited(),
        }
    }

    /// The error for a child whose output closed: its exit status (waiting up to `grace` for
    /// it) and the end of what it wrote to stderr during this run.
    pub async fn exited_error(&self, id: &SourceId, grace: Duration) -> UpstreamError {
        let status = self.wait(grace).await;
        let stderr_tail = read_tail(&self.log, self.log_start).await.unwrap_or_default();
        UpstreamError::ProcessExited { id: id.clone(), status, stderr_tail, log: self.log.clone() }
    }

    /// Lets the child exit by itself within `grace` (its stdin is closed by now), then kills it.
    pub async fn shutdown(self, grace: Duration) {
        self.let_exit(grace).await;
        // Dropping `_kill` makes the watcher kill a child that is still running.
    }

    /// Gives the child `grace` to exit by itself (its stdin is closed by now); one still running
    /// is killed when its last holder lets go of it.
    pub async fn let_exit(&self, grace: Duration) {
        if self.wait(grace).await.is_none() {
            debug!("the server process did not exit after its input closed; killing it");
        }
    }
}

/// The last lines of the log after `start`, at most [`TAIL_LINES`] lines and [`TAIL_BYTES`] bytes.
async fn read_tail(path: &Path, start: u64) -> std::io::Result<String> {
    let mut file = tokio::fs::File::open(path).await?;
    let len = file.metadata().await?.len();
    let from = start.max(len.saturating_sub(TAIL_BYTES));
    file.seek(SeekFrom::Start(from)).await?;
    let mut bytes = Vec::new();
    file.take(TAIL_BYTES).read_to_end(&mut bytes).await?;
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().filter(|line| !line.trim().is_empty()).collect();
    let first = lines.len().saturating_sub(TAIL_LINES);
    Ok(lines[first..].join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tail_keeps_only_this_runs_last_lines() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("x.stderr.log");
        let old = "old run line\n".repeat(3);
        let new: String = (0..20).map(|n| format!("line {n}\n")).collect();
        std::fs::write(&path, format!("{old}{new}")).expect("write the log");
        let tail = read_tail(&path, old.len() as u64).await.expect("read the tail");
        assert!(!tail.contains("old run"), "lines before this run's start must not show: {tail}");
        assert_eq!(tail.lines().count(), TAIL_LINES, "the tail is capped at {TAIL_LINES} lines: {tail}");
        assert!(tail.ends_with("line 19"), "the tail ends with the last line written: {tail}");
    }
}
