//! What happened to each source, with times: connects, sign-ins, refreshes, disconnects and
//! bridge sessions, for `lanyard logs <id>` and the diagnostics a person reads when something
//! broke an hour ago; and, read back from the same events, what `lanyard status` and the app show
//! about a source's tokens ([`TokenActivity`]: the last refresh, the last sign-in or refresh
//! error, a refresh whose outcome is not known). One history per source, so that each thing that
//! happens is recorded once and every view of it agrees.
//!
//! One JSON line per event in `<data dir>/activity/<id>.jsonl`, appended by whichever Lanyard
//! process saw it (lines are written whole in one `write`, so processes do not interleave them and
//! none is lost to another's write). Redacted by construction: an event is one of the typed
//! variants below, and the only text any of them carries is the message of one of Lanyard's own
//! errors (and its hint), which hold ids, origins and OAuth codes but never a token, a header value
//! or a URL query. The file is capped: past [`MAX_BYTES`] it is renamed to `<id>.jsonl.1`
//! (replacing the older one) and a new one begun with the token state so far
//! ([`Event::TokenState`]), so that what `status` shows outlives the lines it came from.
//!
//! Earlier versions kept the token state in a file of its own, `<data dir>/oauth-activity/<id>.json`;
//! such a file is folded into the history the first time the source's history is read or written,
//! then removed. Recording is best effort and never fails the operation it describes.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ids::SourceId;
use crate::paths::Dirs;
use crate::remedy::Remedy;

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
        #[serde(flatten)]
        detail: FailureDetail,
    },
    /// A refresh request is about to be sent (under the source's refresh lock). Not shown: it
    /// tells a later refresh that this one never recorded its outcome.
    RefreshStarted,
    /// The tokens were renewed (refresh token, or a new client-credentials token).
    Refreshed,
    RefreshFailed {
        error: String,
        #[serde(flatten)]
        detail: FailureDetail,
        /// Transient failures in a row up to this one (see [`RefreshRecord::failures`]).
        #[serde(default, skip_serializing_if = "is_zero")]
        failures: u32,
        /// The request may have reached the server and its answer was lost (a timeout), so the
        /// refresh counts as still started (see [`TokenActivity::refresh_started`]).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        answer_lost: bool,
    },
    /// The tokens were forgotten; `revoked` when the server confirmed the revocation.
    Disconnected {
        revoked: bool,
    },
    /// An agent started a session through the bridge.
    BridgeSession {
        agent: AgentKind,
    },
    /// The token state of every line before this one (carried over when the file is rotated, or
    /// read from an earlier version's file). Not shown.
    TokenState {
        tokens: TokenActivity,
    },
}

impl Event {
    /// Whether `lanyard logs` and the app list the event; the others only feed [`TokenActivity`].
    fn is_shown(&self) -> bool {
        !matches!(self, Event::RefreshStarted | Event::TokenState { .. })
    }

    /// What happened, in the words of a line of `lanyard logs <id>` and of the app's Activity:
    /// written here only. A failure says its error as `reader` reads it.
    pub fn describe(&self, reader: Reader) -> String {
        let error = |error: &String, problem: &Option<String>| match (reader, problem) {
            (Reader::Window, Some(problem)) => problem.clone(),
            _ => error.clone(),
        };
        match self {
            Event::Connected { protocol: Some(protocol) } => format!("Connected, speaking {protocol}"),
            Event::Connected { protocol: None } => "Connected".to_owned(),
            Event::ConnectFailed { error: e, problem } => format!("Could not connect: {}", error(e, problem)),
            Event::SignedIn => "Signed in".to_owned(),
            Event::SignInFailed { error: e, detail } => {
                format!("Sign-in failed: {}", error(e, &detail.problem))
            }
            Event::RefreshStarted => "Renewing the tokens".to_owned(),
            Event::Refreshed => "Tokens renewed".to_owned(),
            Event::RefreshFailed { error: e, detail, .. } => {
                format!("Renewing the tokens failed: {}", error(e, &detail.problem))
            }
            Event::Disconnected { revoked: true } => "Disconnected; the server revoked the tokens".to_owned(),
            Event::Disconnected { revoked: false } => "Disconnected; the tokens were forgotten".to_owned(),
            Event::BridgeSession { agent: AgentKind::Http } => {
                "An agent connected through the bridge (HTTP)".to_owned()
            }
            Event::BridgeSession { agent: AgentKind::Stdio } => {
                "An agent connected through the bridge (stdio)".to_owned()
            }
            Event::TokenState { .. } => "The token state so far".to_owned(),
        }
    }

    /// Whether the event is something that failed (shown as a failure).
    pub fn is_failure(&self) -> bool {
        matches!(self, Event::ConnectFailed { .. } | Event::SignInFailed { .. } | Event::RefreshFailed { .. })
    }
}

/// Who reads an event's error: the terminal, whose messages end in the `lanyard` command that
/// fixes them, or a window, which has buttons for those and shows the problem alone (see
/// [`crate::remedy::Advice`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Terminal,
    Window,
}

/// What a sign-in or refresh failure carries besides its message, for `lanyard status` and the
/// app; absent in lines from before they were recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureDetail {
    /// The message without its terminal instruction, when it ends in one (see
    /// [`crate::remedy::Advice`]), for front-ends with their own words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// What to do, worded for the terminal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The same fix as data, for front-ends with their own words (the app's buttons).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::remedy::lenient")]
    pub remedy: Option<Remedy>,
    /// When the next refresh may be tried, Unix seconds, after a transient failure (backoff).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<u64>,
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentKind {
    Stdio,
    Http,
}

/// What happened lately to a source's tokens, as its history tells it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenActivity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_refresh: Option<RefreshRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<ErrorRecord>,
    /// When a refresh request was sent whose outcome is not known, Unix seconds: one in flight
    /// now, one cut off when its process ended, or one whose answer was lost to a timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_started: Option<u64>,
}

/// The outcome of the last refresh (or client credentials renewal); the desktop window reads it
/// as it is (`RefreshView`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "RefreshView", export_to = crate::TS_DIR))]
pub struct RefreshRecord {
    /// Unix seconds.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at: u64,
    pub ok: bool,
    /// Transient failures in a row up to this one (server down, 5xx, timeout), which set the
    /// backoff; 0 after a success or a failure that is not worth retrying.
    #[serde(default)]
    pub failures: u32,
}

/// The last error while signing in or refreshing, worded for the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorRecord {
    /// Unix seconds.
    pub at: u64,
    pub message: String,
    /// What to do, worded for the terminal (`lanyard status`).
    pub hint: Option<String>,
    /// `message` without its terminal instruction, when it ends in one, for front-ends that add
    /// their own words for `remedy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The same fix as data, for front-ends with their own words (the app's buttons); `None`
    /// in records written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::remedy::lenient")]
    pub remedy: Option<Remedy>,
    /// When the next refresh may be tried, Unix seconds, after a transient failure (backoff).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<u64>,
}

impl ErrorRecord {
    fn of_failure(at: u64, error: String, detail: FailureDetail) -> Self {
        let FailureDetail { problem, hint, remedy, retry_at } = detail;
        Self { at, message: error, hint, problem, remedy, retry_at }
    }
}

impl TokenActivity {
    /// The token state after `entries`, oldest first.
    fn after(entries: impl IntoIterator<Item = Entry>) -> Self {
        let mut state = Self::default();
        for Entry { at, event } in entries {
            match event {
                Event::TokenState { tokens } => state = tokens,
                Event::RefreshStarted => state.refresh_started = Some(at),
                Event::Refreshed => {
                    state.last_refresh = Some(RefreshRecord { at, ok: true, failures: 0 });
                    state.refresh_started = None;
                }
                Event::RefreshFailed { error, detail, failures, answer_lost } => {
                    state.last_refresh = Some(RefreshRecord { at, ok: false, failures });
                    if !answer_lost {
                        state.refresh_started = None;
                    }
                    state.last_error = Some(ErrorRecord::of_failure(at, error, detail));
                }
                // A sign-in clears the error it fixed.
                Event::SignedIn => state.last_error = None,
                Event::SignInFailed { error, detail } => {
                    state.last_error = Some(ErrorRecord::of_failure(at, error, detail));
                }
                _ => {}
            }
        }
        state
    }
}

/// The histories of every source, in one folder.
#[derive(Debug, Clone)]
pub struct History {
    dir: PathBuf,
    /// Where an earlier version kept the token state (see the module doc).
    legacy_dir: PathBuf,
}

impl History {
    /// The histories in `dirs`' data folder.
    pub fn in_dirs(dirs: &Dirs) -> Self {
        Self { dir: dirs.history(), legacy_dir: dirs.legacy_token_activity() }
    }

    /// Histories in `dir` alone (tests).
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        Self { legacy_dir: dir.join("legacy"), dir }
    }

    fn file(&self, id: &SourceId) -> PathBuf {
        self.dir.join(format!("{id}.jsonl"))
    }

    fn legacy_file(&self, id: &SourceId) -> PathBuf {
        self.legacy_dir.join(format!("{id}.json"))
    }

    /// Appends `event` to `id`'s history.
    pub fn record(&self, id: &SourceId, event: Event) {
        self.adopt_legacy(id);
        let entry = Entry { at: crate::clock::now(), event };
        if let Err(err) = self.append(id, &entry) {
            tracing::debug!(source = %id, %err, "could not write the source's history");
        }
    }

    fn append(&self, id: &SourceId, entry: &Entry) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.file(id);
        if std::fs::metadata(&path).is_ok_and(|m| m.len() > MAX_BYTES) {
            let tokens = TokenActivity::after(self.entries(id));
            std::fs::rename(&path, path.with_extension("jsonl.1"))?;
            if tokens != TokenActivity::default() {
                write_line(&path, &Entry { at: entry.at, event: Event::TokenState { tokens } })?;
            }
        }
        write_line(&path, entry)
    }

    /// Every entry of `id`'s history, oldest first; lines that do not parse are skipped.
    fn entries(&self, id: &SourceId) -> Vec<Entry> {
        let path = self.file(id);
        [path.with_extension("jsonl.1"), path]
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .flat_map(|text| text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect::<Vec<_>>())
            .collect()
    }

    /// The last `limit` entries of `id`'s history that `lanyard logs` and the app show, oldest
    /// first.
    pub fn read(&self, id: &SourceId, limit: usize) -> Vec<Entry> {
        let mut entries: Vec<Entry> = self.entries(id).into_iter().filter(|e| e.event.is_shown()).collect();
        let skip = entries.len().saturating_sub(limit);
        entries.drain(..skip);
        entries
    }

    /// The protocol revision `id`'s last recorded connection spoke, if one is in its recent history.
    pub fn last_protocol(&self, id: &SourceId) -> Option<String> {
        self.read(id, 200).into_iter().rev().find_map(|entry| match entry.event {
            Event::Connected { protocol } => protocol,
            _ => None,
        })
    }

    /// What happened lately to `id`'s tokens; empty when nothing was recorded.
    pub fn tokens(&self, id: &SourceId) -> TokenActivity {
        if let Some(legacy) = self.adopt_legacy(id) {
            return legacy;
        }
        TokenActivity::after(self.entries(id))
    }

    /// Folds an earlier version's token state file into `id`'s history, then removes it. Returns
    /// that state when it could not be folded in (a data folder this process cannot write), so a
    /// reader still sees it.
    fn adopt_legacy(&self, id: &SourceId) -> Option<TokenActivity> {
        let legacy = self.legacy_file(id);
        let tokens: TokenActivity = serde_json::from_slice(&std::fs::read(&legacy).ok()?).unwrap_or_default();
        let entry = Entry { at: crate::clock::now(), event: Event::TokenState { tokens: tokens.clone() } };
        match self.append(id, &entry) {
            Ok(()) => {
                let _ = std::fs::remove_file(legacy);
                None
            }
            Err(err) => {
                tracing::debug!(source = %id, %err, "could not fold the old token activity into the history");
                Some(tokens)
            }
        }
    }

    /// Forgets a removed source's history.
    pub fn forget(&self, id: &SourceId) {
        let path = self.file(id);
        let _ = std::fs::remove_file(path.with_extension("jsonl.1"));
        let _ = std::fs::remove_file(path);
        let _ = std::fs::remove_file(self.legacy_file(id));
    }
}

fn write_line(path: &Path, entry: &Entry) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
    line.push(b'\n');
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(&line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(error: &str) -> Event {
        Event::RefreshFailed {
            error: error.into(),
            detail: FailureDetail::default(),
            failures: 0,
            answer_lost: false,
        }
    }

    #[test]
    fn entries_come_back_in_order_and_limited() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::at(dir.path());
        let id: SourceId = "gh".parse().unwrap();
        history.record(&id, Event::Connected { protocol: None });
        history.record(&id, Event::RefreshStarted);
        history.record(&id, failed("down"));
        history.record(&id, Event::Disconnected { revoked: true });
        let all = history.read(&id, 10);
        assert_eq!(all.len(), 3, "the refresh start is not shown: {all:?}");
        assert_eq!(all[0].event, Event::Connected { protocol: None }, "oldest first");
        let last = history.read(&id, 1);
        assert_eq!(last[0].event, Event::Disconnected { revoked: true }, "the limit keeps the newest");
        assert!(history.read(&"other".parse().unwrap(), 10).is_empty(), "histories are per source");
    }

    #[test]
    fn a_full_log_is_rotated_and_both_parts_are_read_and_the_token_state_carried_over() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::at(dir.path());
        let id: SourceId = "big".parse().unwrap();
        history.record(&id, failed("the first renewal failed"));
        let error = "x".repeat(1000);
        for _ in 0..600 {
            history.record(&id, Event::ConnectFailed { error: error.clone(), problem: None });
        }
        let size = std::fs::metadata(history.file(&id)).unwrap().len();
        assert!(size <= MAX_BYTES + 2048, "the current file stays near the cap: {size}");
        assert!(history.file(&id).with_extension("jsonl.1").exists(), "the older part is kept once");
        assert!(history.read(&id, 1000).len() > 300, "nothing recent is lost at a rotation");
        let tokens = history.tokens(&id);
        assert_eq!(
            tokens.last_error.map(|e| e.message).as_deref(),
            Some("the first renewal failed"),
            "the token state outlives the lines it came from"
        );
    }

    #[test]
    fn an_earlier_versions_token_file_is_folded_in_once() {
        let dir = tempfile::tempdir().unwrap();
        let dirs = Dirs::new(dir.path(), dir.path().join("data"));
        let history = History::in_dirs(&dirs);
        let id: SourceId = "old".parse().unwrap();
        let legacy = dirs.legacy_token_activity().join("old.json");
        std::fs::create_dir_all(legacy.parent().unwrap()).unwrap();
        // Written by the version before this one.
        std::fs::write(
            &legacy,
            r#"{"last_refresh":{"at":5,"ok":false,"failures":2},"last_error":{"at":5,"message":"down","hint":"wait","retry_at":99}}"#,
        )
        .unwrap();
        let tokens = history.tokens(&id);
        assert_eq!(tokens.last_refresh, Some(RefreshRecord { at: 5, ok: false, failures: 2 }));
        assert_eq!(tokens.last_error.as_ref().and_then(|e| e.hint.as_deref()), Some("wait"));
        assert!(!legacy.exists(), "the old file is gone once folded in");
        assert_eq!(history.tokens(&id), tokens, "and its state is in the history");
        assert!(history.read(&id, 10).is_empty(), "the folded state is not an event to show");
        history.record(&id, Event::SignedIn);
        assert!(history.tokens(&id).last_error.is_none(), "later events apply on top of it");
    }
}
