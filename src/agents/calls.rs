//! The call log: one line per agent request that went to a source (or was refused on the way),
//! saying which agent called what on which source, how it ended and how long it took; never its
//! arguments or its result. `lanyard logs --agent <name>` and `lanyard logs <source>` read it.
//!
//! One JSON line per call in `<data dir>/calls.jsonl`, appended by whichever Lanyard process
//! served the call (each line is written whole in one `write` on a file opened for appending, so
//! processes do not interleave them). Redacted by construction: an entry holds names the agent
//! and the profile file gave (agent, source, tool or method), an outcome and a duration. Capped
//! like the activity log: past [`MAX_BYTES`] the file becomes `calls.jsonl.1` (replacing the
//! older one) and a new one is begun.
//!
//! Recording must not slow the call it records, so lines go to a thread of their own, which
//! writes what queued at most every [`BATCH_EVERY`]: waking it for each call would cost the hot
//! path a context switch per call (measured: the stdio bridge's throughput at concurrency 16 fell
//! from about 1.0 to 0.79 of a direct call). [`CallLog::flush`] waits for it (a stdio bridge
//! does before it exits).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::model::AgentName;
use crate::ids::SourceId;

/// How long the writer lets calls queue before writing them in one go.
const BATCH_EVERY: Duration = Duration::from_millis(100);

/// When the call log is rotated.
pub const MAX_BYTES: u64 = 1024 * 1024;
const FILE_NAME: &str = "calls.jsonl";

/// One call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// Unix milliseconds when the call was made.
    pub at_ms: u64,
    pub agent: AgentName,
    pub source: SourceId,
    /// The tool called (as the agent named it), or the method for anything but `tools/call`.
    pub name: String,
    pub outcome: Outcome,
    /// How long the call took, in milliseconds.
    pub ms: u64,
}

impl Call {
    /// The call in words, for `lanyard logs <source>` and the app's Activity: who called what and
    /// how it ended.
    pub fn describe(&self) -> String {
        format!("Agent {} called {}: {} ({} ms)", self.agent, self.name, self.outcome.as_str(), self.ms)
    }
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Answered with a result.
    Ok,
    /// A tool answered with `isError: true`.
    ToolError,
    /// Refused by the agent's rights; it never reached the source.
    Refused,
    /// The source answered with an error, or could not be reached.
    UpstreamError,
    /// No answer within the source's request timeout.
    Timeout,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::ToolError => "tool error",
            Outcome::Refused => "refused",
            Outcome::UpstreamError => "upstream error",
            Outcome::Timeout => "timeout",
        }
    }
}

/// Which calls to read back.
#[derive(Debug, Clone, Default)]
pub struct CallFilter {
    pub agent: Option<AgentName>,
    pub source: Option<SourceId>,
}

impl CallFilter {
    fn keeps(&self, call: &Call) -> bool {
        self.agent.as_ref().is_none_or(|a| *a == call.agent)
            && self.source.as_ref().is_none_or(|s| *s == call.source)
    }
}

/// The call log of an install.
#[derive(Debug, Clone)]
pub struct CallLog {
    path: Arc<Path>,
    writer: Arc<OnceLock<Mutex<mpsc::Sender<Job>>>>,
}

enum Job {
    Write(Call),
    Flush(mpsc::Sender<()>),
}

impl CallLog {
    /// The log in `data_dir`.
    pub fn in_dir(data_dir: &Path) -> Self {
        Self { path: Arc::from(data_dir.join(FILE_NAME)), writer: Arc::default() }
    }

    /// Records one call. Best effort: a log that cannot be written never fails the call.
    pub fn record(&self, call: Call) {
        let writer = self.writer.get_or_init(|| Mutex::new(start_writer(self.path.to_path_buf())));
        if let Ok(writer) = writer.lock() {
            let _ = writer.send(Job::Write(call));
        }
    }

    /// A call made at `started` that ended now with `outcome`.
    pub fn finished(
        &self,
        agent: &AgentName,
        source: &SourceId,
        name: &str,
        started: (SystemTime, std::time::Instant),
        outcome: Outcome,
    ) {
        let at_ms = started.0.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        let ms = started.1.elapsed().as_millis() as u64;
        self.record(Call {
            at_ms,
            agent: agent.clone(),
            source: source.clone(),
            name: name.to_owned(),
            outcome,
            ms,
        });
    }

    /// Waits (up to a second) until the calls recorded so far are written.
    pub fn flush(&self) {
        let Some(writer) = self.writer.get() else { return };
        let (done, wait) = mpsc::channel();
        if writer.lock().is_ok_and(|writer| writer.send(Job::Flush(done)).is_ok()) {
            let _ = wait.recv_timeout(Duration::from_secs(1));
        }
    }

    /// The newest `limit` calls that `filter` keeps, oldest first.
    pub fn read(&self, filter: &CallFilter, limit: usize) -> Vec<Call> {
        let mut calls: Vec<Call> = [self.path.with_extension("jsonl.1"), self.path.to_path_buf()]
            .iter()
            .filter_map(|path| std::fs::read_to_string(path).ok())
            .flat_map(|text| {
                text.lines().filter_map(|line| serde_json::from_str::<Call>(line).ok()).collect::<Vec<_>>()
            })
            .filter(|call| filter.keeps(call))
            .collect();
        let skip = calls.len().saturating_sub(limit);
        calls.drain(..skip);
        calls
    }
}

fn start_writer(path: PathBuf) -> mpsc::Sender<Job> {
    let (jobs, queue) = mpsc::channel::<Job>();
    let spawned = std::thread::Builder::new().name("lanyard-calls".into()).spawn(move || {
        let mut writer = Writer { path, open: None };
        while let Ok(first) = queue.recv() {
            // Whatever queued meanwhile goes in the same write.
            let mut lines = Vec::new();
            let mut flushes = Vec::new();
            for job in std::iter::once(first).chain(std::iter::from_fn(|| queue.try_recv().ok())) {
                match job {
                    Job::Write(call) => {
                        if serde_json::to_writer(&mut lines, &call).is_ok() {
                            lines.push(b'\n');
                        }
                    }
                    Job::Flush(done) => flushes.push(done),
                }
            }
            if !lines.is_empty()
                && let Err(err) = writer.append(&lines)
            {
                tracing::debug!(%err, "could not write the call log");
                writer.open = None;
            }
            for done in flushes {
                let _ = done.send(());
            }
            // Sleeping here rather than waiting on the queue is what keeps a call from waking
            // this thread: a send to a receiver that is not waiting costs no system call.
            std::thread::sleep(BATCH_EVERY);
        }
    });
    if let Err(err) = spawned {
        tracing::debug!(%err, "could not start the call log's writer; calls go unrecorded");
    }
    jobs
}

/// The log file kept open between writes: opened again when another process rotated it (the
/// path names another file then) and rotated here when it is full.
struct Writer {
    path: PathBuf,
    open: Option<(std::fs::File, FileId)>,
}

/// What tells one file from another at the same path.
type FileId = (u64, u64);

impl Writer {
    fn append(&mut self, lines: &[u8]) -> std::io::Result<()> {
        let now = std::fs::metadata(&self.path).ok();
        if now.as_ref().is_some_and(|m| m.len() > MAX_BYTES) {
            std::fs::rename(&self.path, self.path.with_extension("jsonl.1"))?;
            self.open = None;
        } else if !cfg!(unix) || now.as_ref().map(file_id) != self.open.as_ref().map(|(_, id)| *id) {
            self.open = None;
        }
        if self.open.is_none() {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let mut options = std::fs::OpenOptions::new();
            options.create(true).append(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let file = options.open(&self.path)?;
            let id = file_id(&file.metadata()?);
            self.open = Some((file, id));
        }
        let (file, _) = self.open.as_mut().expect("opened above");
        file.write_all(lines)
    }
}

#[cfg(unix)]
fn file_id(metadata: &std::fs::Metadata) -> FileId {
    use std::os::unix::fs::MetadataExt;
    (metadata.dev(), metadata.ino())
}

/// Elsewhere the file is opened for each write (see [`Writer::append`]).
#[cfg(not(unix))]
fn file_id(_: &std::fs::Metadata) -> FileId {
    (0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(agent: &str, source: &str, outcome: Outcome) -> Call {
        Call {
            at_ms: 1,
            agent: agent.parse().unwrap(),
            source: source.parse().unwrap(),
            name: "echo".into(),
            outcome,
            ms: 2,
        }
    }

    #[test]
    fn calls_are_written_in_order_and_read_back_filtered() {
        let dir = tempfile::tempdir().unwrap();
        let log = CallLog::in_dir(dir.path());
        log.record(call("a", "one", Outcome::Ok));
        log.record(call("b", "one", Outcome::Refused));
        log.record(call("a", "two", Outcome::ToolError));
        log.flush();
        let by_a = log.read(&CallFilter { agent: Some("a".parse().unwrap()), source: None }, 10);
        assert_eq!(by_a.iter().map(|c| c.outcome).collect::<Vec<_>>(), [Outcome::Ok, Outcome::ToolError]);
        let on_one = log.read(&CallFilter { agent: None, source: Some("one".parse().unwrap()) }, 1);
        assert_eq!(on_one, [call("b", "one", Outcome::Refused)], "the newest one of source one");
    }

    #[test]
    fn a_full_log_is_rotated_and_both_parts_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let log = CallLog::in_dir(dir.path());
        let mut line = serde_json::to_vec(&call("a", "one", Outcome::Ok)).unwrap();
        line.push(b'\n');
        let count = MAX_BYTES / line.len() as u64 + 10;
        let mut writer = Writer { path: log.path.to_path_buf(), open: None };
        for _ in 0..count {
            writer.append(&line).unwrap();
        }
        assert!(dir.path().join("calls.jsonl.1").exists(), "rotated");
        assert!(std::fs::metadata(&log.path).unwrap().len() < MAX_BYTES, "the current file starts over");
        assert_eq!(log.read(&CallFilter::default(), usize::MAX).len() as u64, count, "both parts are read");
    }
}
