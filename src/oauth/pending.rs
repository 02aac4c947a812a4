//! The sign-in a `lanyard connect` (or the app's Connect) is waiting for, so that another
//! `lanyard status` can say a sign-in is pending and show its URL.
//!
//! Kept as `<data dir>/sign-ins/<id>.json`, not in the keychain: the URL is no secret (the
//! `state` in it only matters to the listener waiting for the answer, and the code goes to that
//! listener, never here), yet it is the person's own, so the file is written with mode 0600 through
//! a temp file and a rename. While the flow waits it holds an OS lock on `<id>.lock` beside it, so
//! a reader can tell a live flow from the leftover of a process that died: [`load`] ignores a file
//! whose lock is free or whose flow's timeout has passed. The [`Pending`] guard removes the file
//! when the flow ends, however it ends (success, failure, timeout, or its future dropped on
//! Ctrl-C). Recording is best effort: failing to write the file never fails the sign-in.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use super::authorize::{ShowUrl, SignInOptions};
use crate::clock::now;
use crate::ids::SourceId;

/// A sign-in waiting for the person, as `lanyard status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignIn {
    /// The authorization URL to open (again) in a browser.
    pub url: String,
    /// When the flow showed the URL, Unix seconds.
    pub started_at: u64,
    /// When the flow gives up waiting, Unix seconds.
    pub expires_at: u64,
}

fn file(dir: &Path, id: &SourceId) -> PathBuf {
    dir.join(format!("{id}.json"))
}

fn lock_file(dir: &Path, id: &SourceId) -> PathBuf {
    dir.join(format!("{id}.lock"))
}

/// A recorded pending sign-in; dropping it removes the record.
#[derive(Debug)]
pub struct Pending {
    path: PathBuf,
    /// Held for the flow's lifetime; `None` when another flow of the same source holds it.
    _lock: Option<File>,
}

impl Drop for Pending {
    fn drop(&mut self) {
        // The record goes first, then the lock (fields drop after this body).
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Records that `id` waits for a sign-in at `url` for at most `timeout`.
pub fn record(dir: &Path, id: &SourceId, url: &Url, timeout: Duration) -> std::io::Result<Pending> {
    std::fs::create_dir_all(dir)?;
    let lock = File::options().create(true).truncate(false).write(true).open(lock_file(dir, id))?;
    // Another flow of this source may be waiting too; it keeps the lock, so readers still see a
    // live flow, and this one's record replaces its record.
    let lock = lock.try_lock().is_ok().then_some(lock);
    let started_at = now();
    let pending = PendingSignIn {
        url: url.to_string(),
        started_at,
        expires_at: started_at.saturating_add(timeout.as_secs()),
    };
    // `NamedTempFile` creates the file with mode 0600 on Unix; the rename keeps it.
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    serde_json::to_writer(&mut temp, &pending)?;
    let path = file(dir, id);
    temp.persist(&path).map_err(|err| err.error)?;
    Ok(Pending { path, _lock: lock })
}

/// The pending sign-in of `id`, when a live flow waits for one; `None` when there is none, the
/// file is unreadable, its flow's timeout has passed, or the process that wrote it is gone.
pub fn load(dir: &Path, id: &SourceId) -> Option<PendingSignIn> {
    let pending: PendingSignIn = serde_json::from_slice(&std::fs::read(file(dir, id)).ok()?).ok()?;
    if pending.expires_at < now() {
        return None;
    }
    let lock = File::open(lock_file(dir, id)).ok()?;
    // Free lock: nobody waits any more. Taken and released at once.
    let held = matches!(lock.try_lock(), Err(std::fs::TryLockError::WouldBlock));
    held.then_some(pending)
}

/// `options` changed so that showing the URL also records it in `dir` for `id`; the record lives
/// as long as the returned options (the flow that owns them) and goes when they are dropped.
pub fn recording(options: SignInOptions, dir: PathBuf, id: &SourceId) -> SignInOptions {
    let held: Arc<Mutex<Option<Pending>>> = Arc::default();
    let timeout = options.timeout;
    let shown = options.show_url.clone();
    let id = id.clone();
    let show: ShowUrl = Arc::new(move |url: &Url| {
        match record(&dir, &id, url, timeout) {
            Ok(pending) => *held.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(pending),
            Err(err) => tracing::warn!(source = %id, %err, "could not record the pending sign-in"),
        }
        if let Some(show) = &shown {
            show(url);
        }
    });
    SignInOptions { show_url: Some(show), ..options }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("https://as.example/authorize?client_id=c&state=st").unwrap()
    }

    #[test]
    fn a_live_flow_is_seen_and_its_record_goes_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let id: SourceId = "s".parse().unwrap();
        assert_eq!(load(dir.path(), &id), None, "nothing pending yet");
        let pending = record(dir.path(), &id, &url(), Duration::from_secs(60)).unwrap();
        let seen = load(dir.path(), &id).expect("a live flow's sign-in is pending");
        assert_eq!(seen.url, url().as_str(), "with its URL");
        assert!(seen.expires_at >= seen.started_at + 60, "and the end of its wait: {seen:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(file(dir.path(), &id)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "the record is the person's own");
        }
        drop(pending);
        assert!(!file(dir.path(), &id).exists(), "the record is removed when the flow ends");
        assert_eq!(load(dir.path(), &id), None, "and nothing is pending");
    }

    #[test]
    fn a_record_without_a_live_flow_or_past_its_timeout_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let id: SourceId = "s".parse().unwrap();
        let pending = record(dir.path(), &id, &url(), Duration::from_secs(60)).unwrap();
        // A process that died leaves its file behind, but not its lock.
        pending._lock.as_ref().expect("the flow holds the lock").unlock().unwrap();
        assert!(pending.path.exists(), "the leftover file is there");
        assert_eq!(load(dir.path(), &id), None, "a record whose lock is free is stale");
        drop(pending);

        let old = PendingSignIn { url: url().to_string(), started_at: 1, expires_at: 2 };
        std::fs::write(file(dir.path(), &id), serde_json::to_vec(&old).unwrap()).unwrap();
        let lock = File::open(lock_file(dir.path(), &id)).unwrap();
        lock.lock().unwrap();
        assert_eq!(load(dir.path(), &id), None, "a record past its flow's timeout is stale, lock or not");
    }
}
