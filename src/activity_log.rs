//! What happened to each source, with times: connects, sign-ins, refreshes, disconnects and
//! bridge sessions, for `lanyard logs <id>` and the diagnostics a person reads when something
//! broke an hour ago.
//!
//! One JSON line per event in `<data dir>/activity/<id>.jsonl`, appended by whichever Lanyard
//! process saw it (lines are written whole in one `write`, so processes do not interleave them).
//! Redacted by construction: an event is one of the typed variants below, and the only text any
//! of them carries is the message of one of Lanyard's own errors, which hold ids, origins and
//! OAuth codes but never a token, a header value or a URL query. The file is capped: past
//! [`MAX_BYTES`] it is renamed to `<id>.jsonl.1` (replacing the older one) and a new one begun.
//! Recording is best effort and never fails the operation it describes.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ids::SourceId;

/// When a log file is rotated.
pub const MAX_BYTES: u64 = 256 * 1024;

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Unix seconds.
    pub at: u64,
    #[serde(flatten)]
    pub event: Event,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// A connection to the upstream was opened (`lanyard tools`, `call`, the app's Test, the
    /// merged server), speaking `protocol` (absent in lines from before it was recorded).
    Connected {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        protocol: Option<String>,
    },
    ConnectFailed {
        error: String,
        /// `error` without its terminal instruction, when it ends in one (see
        /// [`crate::remedy::Advice`]), for front-ends with their own words.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        problem: Option<String>,
    },
    SignedIn,
    SignInFailed {
        error: String,
        /// `error` without its terminal instruction, when it ends in one (see
        /// [`crate::remedy::Advice`]), for front-ends with their own words.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        problem: Option<String>,
    },
    /// The tokens were renewed (refresh token, or a new client-credentials token).
    Refreshed,
    RefreshFailed {
        error: String,
        /// `error` without its terminal instruction, when it ends in one (see
        /// [`crate::remedy::Advice`]), for front-ends with their own words.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        problem: Option<String>,
    },
    /// The tokens were forgotten; `revoked` when the server confirmed the revocation.
    Disconnected {
        revoked: bool,
    },
    /// An agent started a session through the bridge.
    BridgeSession {
        agent: AgentKind,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentKind {
    Stdio,
    Http,
}

/// The folder of the logs.
pub fn default_dir() -> PathBuf {
    crate::paths::data_dir().join("activity")
}

fn file(dir: &Path, id: &SourceId) -> PathBuf {
    dir.join(format!("{id}.jsonl"))
}

/// Appends `event` to `id`'s log in the default folder.
pub fn record(id: &SourceId, event: Event) {
    record_in(&default_dir(), id, event);
}

/// Appends `event` to `id`'s log in `dir`.
pub fn record_in(dir: &Path, id: &SourceId, event: Event) {
    let entry = Entry { at: crate::clock::now(), event };
    if let Err(err) = append(dir, id, &entry) {
        tracing::debug!(source = %id, %err, "could not write the activity log");
    }
}

fn append(dir: &Path, id: &SourceId, entry: &Entry) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let path = file(dir, id);
    if std::fs::metadata(&path).is_ok_and(|m| m.len() > MAX_BYTES) {
        std::fs::rename(&path, path.with_extension("jsonl.1"))?;
    }
    let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
    line.push(b'\n');
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(&path)?.write_all(&line)
}

/// The protocol revision `id`'s last recorded connection spoke, if one is in its recent log.
pub fn last_protocol(dir: &Path, id: &SourceId) -> Option<String> {
    read(dir, id, 200).into_iter().rev().find_map(|entry| match entry.event {
        Event::Connected { protocol } => protocol,
        _ => None,
    })
}

/// The last `limit` entries of `id`'s log, oldest first; lines that do not parse are skipped.
pub fn read(dir: &Path, id: &SourceId, limit: usize) -> Vec<Entry> {
    let path = file(dir, id);
    let mut entries: Vec<Entry> = [path.with_extension("jsonl.1"), path]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .flat_map(|text| text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect::<Vec<_>>())
        .collect();
    let skip = entries.len().saturating_sub(limit);
    entries.drain(..skip);
    entries
}

/// Forgets a removed source's log.
pub fn forget(id: &SourceId) {
    let path = file(&default_dir(), id);
    let _ = std::fs::remove_file(path.with_extension("jsonl.1"));
    let _ = std::fs::remove_file(path);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_come_back_in_order_and_limited() {
        let dir = tempfile::tempdir().unwrap();
        let id: SourceId = "gh".parse().unwrap();
        record_in(dir.path(), &id, Event::Connected { protocol: None });
        record_in(dir.path(), &id, Event::RefreshFailed { error: "down".into(), problem: None });
        record_in(dir.path(), &id, Event::Disconnected { revoked: true });
        let all = read(dir.path(), &id, 10);
        assert_eq!(all.len(), 3, "{all:?}");
        assert_eq!(all[0].event, Event::Connected { protocol: None }, "oldest first");
        let last = read(dir.path(), &id, 1);
        assert_eq!(last[0].event, Event::Disconnected { revoked: true }, "the limit keeps the newest");
        assert!(read(dir.path(), &"other".parse().unwrap(), 10).is_empty(), "logs are per source");
    }

    #[test]
    fn a_full_log_is_rotated_and_both_parts_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let id: SourceId = "big".parse().unwrap();
        let error = "x".repeat(1000);
        for _ in 0..300 {
            record_in(dir.path(), &id, Event::ConnectFailed { error: error.clone(), problem: None });
        }
        let size = std::fs::metadata(file(dir.path(), &id)).unwrap().len();
        assert!(size <= MAX_BYTES + 2048, "the current file stays near the cap: {size}");
        assert!(file(dir.path(), &id).with_extension("jsonl.1").exists(), "the older part is kept once");
        assert_eq!(read(dir.path(), &id, 1000).len(), 300, "nothing recent is lost at the first rotation");
    }
}
