//! The last refresh result and the last sign-in or refresh error of each source, with their
//! times, for `lanyard status` and the app.
//!
//! Kept as a small JSON file per source in `<data dir>/oauth-activity/`, not in the keychain:
//! nothing in it is secret (error messages carry ids, origins and OAuth codes only, never a token
//! or a URL query), and it must outlive tokens that a refused refresh deletes. Writes replace the
//! file through a rename, so a reader in another process never sees half of one. Recording is
//! best effort: failing to write it is logged and never fails the refresh it describes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::OAuthError;
use super::retry;
use crate::ErrorKind;
use crate::clock::now;
use crate::ids::SourceId;
use crate::remedy::Remedy;

/// What happened lately to a source's tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenActivity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_refresh: Option<RefreshRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<ErrorRecord>,
    /// When a refresh request was sent whose outcome is not known, Unix seconds: one in flight
    /// now, one cut off when its process ended, or one whose answer was lost to a timeout (see
    /// [`note_refresh_start`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_started: Option<u64>,
}

/// The outcome of the last refresh (or client credentials renewal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshRecord {
    /// Unix seconds.
    pub at: u64,
    pub ok: bool,
    /// Transient failures in a row up to this one (server down, 5xx, timeout), which set the
    /// backoff (see `retry`); 0 after a success or a failure that is not worth retrying.
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
    /// `message` without its terminal instruction, when it ends in one (see
    /// [`OAuthError::advice`]), for front-ends that add their own words for `remedy`.
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
    pub fn of(err: &OAuthError, id: &SourceId) -> Self {
        let (hint, remedy) = match err.kind() {
            // A server's refusal names the per-profile switch that fixes it.
            _ if let OAuthError::Refused { code, .. } = err => (Some(code.hint(id)), err.remedy()),
            ErrorKind::NeedsSignIn => (Some(format!("run `lanyard connect {id}`")), err.remedy()),
            ErrorKind::Unreachable => (
                Some(
                    "check that the server is reachable; Lanyard keeps the sign-in and tries again later"
                        .to_owned(),
                ),
                err.remedy(),
            ),
            ErrorKind::KeychainLocked | ErrorKind::NoKeychain | ErrorKind::Keychain => {
                (Some("check that the keychain is unlocked".to_owned()), Some(Remedy::UnlockKeychain))
            }
            _ => (None, err.remedy()),
        };
        Self {
            at: now(),
            message: err.to_string(),
            hint,
            problem: err.advice().map(|a| a.problem),
            remedy,
            retry_at: None,
        }
    }
}

/// The folder of the activity files.
pub fn default_dir() -> PathBuf {
    crate::paths::data_dir().join("oauth-activity")
}

fn file(dir: &Path, id: &SourceId) -> PathBuf {
    dir.join(format!("{id}.json"))
}

/// The activity of `id`; empty when nothing was recorded or the file is unreadable.
pub fn load(dir: &Path, id: &SourceId) -> TokenActivity {
    std::fs::read(file(dir, id))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Records a refresh outcome (and the error, when it failed). A transient failure counts one
/// more in a row and sets when the next attempt may happen (see `retry`).
pub fn note_refresh(dir: &Path, id: &SourceId, result: Result<(), &OAuthError>) {
    update(dir, id, |activity| {
        let before = activity.last_refresh.as_ref().filter(|r| !r.ok).map_or(0, |r| r.failures);
        let failures = match result {
            Err(err) if retry::is_transient(err) => before.saturating_add(1),
            _ => 0,
        };
        activity.last_refresh = Some(RefreshRecord { at: now(), ok: result.is_ok(), failures });
        if !result.is_err_and(answer_lost) {
            activity.refresh_started = None;
        }
        if let Err(err) = result {
            let mut error = ErrorRecord::of(err, id);
            if failures > 0 {
                error.retry_at = Some(error.at.saturating_add(retry::delay(failures)));
            }
            activity.last_error = Some(error);
        }
    });
}

/// Records that a refresh request is about to be sent (under the source's refresh lock), and
/// tells whether an earlier one never recorded its outcome: its process ended while waiting for
/// the server, so the server may have rotated the refresh token in an answer nobody read.
pub fn note_refresh_start(dir: &Path, id: &SourceId) -> bool {
    let mut cut_off = false;
    update(dir, id, |activity| {
        cut_off = activity.refresh_started.is_some();
        activity.refresh_started = Some(now());
    });
    cut_off
}

/// Whether a refresh failed after its request may have reached the server (a timeout, a
/// connection cut while waiting for the answer): the server may have rotated the refresh token in
/// an answer that never arrived, so the start stays recorded as if the refresh had been cut off.
fn answer_lost(err: &OAuthError) -> bool {
    matches!(err, OAuthError::Unreachable { err, .. } if !err.is_connect())
}

/// Records a sign-in outcome: an error is kept; a success clears the last error it fixed.
pub fn note_sign_in(dir: &Path, id: &SourceId, result: Result<(), &OAuthError>) {
    update(dir, id, |activity| {
        activity.last_error = result.err().map(|err| ErrorRecord::of(err, id));
    });
}

/// Forgets a source's activity (its profile was removed).
pub fn forget(dir: &Path, id: &SourceId) {
    let _ = std::fs::remove_file(file(dir, id));
}

fn update(dir: &Path, id: &SourceId, change: impl FnOnce(&mut TokenActivity)) {
    let mut activity = load(dir, id);
    change(&mut activity);
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let mut temp = tempfile::NamedTempFile::new_in(dir)?;
        serde_json::to_writer(&mut temp, &activity)?;
        temp.persist(file(dir, id)).map_err(|err| err.error)?;
        Ok(())
    };
    if let Err(err) = write() {
        tracing::warn!(source = %id, %err, "could not record the token activity");
    }
}

/// The Unix time before which a refresh of tokens obtained at `obtained_at` must not be tried,
/// when the last attempt failed transiently after they were obtained and that time is still ahead.
/// `None` means go ahead. Tokens obtained after the failure (a sign-in, another process's refresh)
/// are not held back by it.
pub fn held_back_until(activity: &TokenActivity, obtained_at: Option<u64>) -> Option<u64> {
    let refresh = activity.last_refresh.as_ref().filter(|r| !r.ok && r.failures > 0)?;
    if obtained_at.is_some_and(|obtained| obtained > refresh.at) {
        return None;
    }
    let retry_at = activity.last_error.as_ref()?.retry_at?;
    (retry_at > now()).then_some(retry_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_refresh_is_kept_with_its_hint_and_a_sign_in_clears_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let id: SourceId = "s".parse().unwrap();
        assert_eq!(load(dir.path(), &id), TokenActivity::default(), "nothing recorded yet");
        let err = OAuthError::NeedsSignIn { id: id.clone() };
        note_refresh(dir.path(), &id, Err(&err));
        let activity = load(dir.path(), &id);
        assert_eq!(activity.last_refresh.map(|r| r.ok), Some(false), "the failed refresh is recorded");
        let error = activity.last_error.expect("the error is recorded");
        assert!(error.hint.is_some_and(|h| h.contains("lanyard connect s")), "with a hint");
        assert_eq!(error.remedy, Some(Remedy::SignIn), "and the same fix as data, read back from the file");
        assert_eq!(
            error.problem.as_deref(),
            Some("source `s` needs sign-in"),
            "the message without the command"
        );
        note_sign_in(dir.path(), &id, Ok(()));
        assert!(load(dir.path(), &id).last_error.is_none(), "a sign-in clears the error it fixed");
    }

    #[test]
    fn a_refresh_start_without_an_outcome_is_reported_as_cut_off_once() {
        let dir = tempfile::tempdir().unwrap();
        let id: SourceId = "s".parse().unwrap();
        assert!(!note_refresh_start(dir.path(), &id), "nothing started before");
        note_refresh(dir.path(), &id, Ok(()));
        assert!(!note_refresh_start(dir.path(), &id), "the last refresh recorded its outcome");
        assert!(note_refresh_start(dir.path(), &id), "the one before never did: it was cut off");
    }
}
