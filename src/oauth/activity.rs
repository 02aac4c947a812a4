//! What the token manager records in a source's history ([`crate::history`]) and reads back
//! from it: refresh starts and outcomes with their backoff, sign-in outcomes, each error worded
//! for the person with its hint and typed remedy. The history is the one record; this module
//! only knows what an OAuth error means for it.

use super::error::OAuthError;
use super::retry;
use crate::ErrorKind;
use crate::clock::now;
use crate::history::{ErrorRecord, Event, FailureDetail, History, TokenActivity};
use crate::ids::SourceId;
use crate::remedy::Remedy;

impl ErrorRecord {
    pub fn of(err: &OAuthError, id: &SourceId) -> Self {
        let remedy = match err.kind() {
            ErrorKind::KeychainLocked | ErrorKind::NoKeychain | ErrorKind::Keychain => {
                Some(Remedy::UnlockKeychain)
            }
            _ => err.remedy(),
        };
        let hint = match err.kind() {
            // A server's refusal names the per-profile switch that fixes it.
            _ if let OAuthError::Refused { code, .. } = err => Some(code.hint(id)),
            ErrorKind::NeedsSignIn => Some(Remedy::SignIn.command(id)),
            ErrorKind::Unreachable => Some(Remedy::ServerUnreachable.command(id)),
            ErrorKind::KeychainLocked | ErrorKind::NoKeychain | ErrorKind::Keychain => {
                Some(Remedy::UnlockKeychain.command(id))
            }
            _ => None,
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

impl ErrorRecord {
    fn into_failure(self) -> (String, FailureDetail) {
        let Self { message, hint, problem, remedy, retry_at, .. } = self;
        (message, FailureDetail { problem, hint, remedy, retry_at })
    }
}

/// Records a refresh outcome (and the error, when it failed). A transient failure counts one
/// more in a row and sets when the next attempt may happen (see `retry`).
pub fn note_refresh(history: &History, id: &SourceId, result: Result<(), &OAuthError>) {
    let Err(err) = result else {
        history.record(id, Event::Refreshed);
        return;
    };
    let failures = if retry::is_transient(err) {
        let before = history.tokens(id).last_refresh.filter(|r| !r.ok).map_or(0, |r| r.failures);
        before.saturating_add(1)
    } else {
        0
    };
    let mut error = ErrorRecord::of(err, id);
    if failures > 0 {
        error.retry_at = Some(error.at.saturating_add(retry::delay(failures)));
    }
    let (error, detail) = error.into_failure();
    history.record(id, Event::RefreshFailed { error, detail, failures, answer_lost: answer_lost(err) });
}

/// Records that a refresh request is about to be sent (under the source's refresh lock), and
/// tells whether an earlier one never recorded its outcome: its process ended while waiting for
/// the server, so the server may have rotated the refresh token in an answer nobody read.
pub fn note_refresh_start(history: &History, id: &SourceId) -> bool {
    let cut_off = history.tokens(id).refresh_started.is_some();
    history.record(id, Event::RefreshStarted);
    cut_off
}

/// Whether a refresh failed after its request may have reached the server (a timeout, a
/// connection cut while waiting for the answer): the server may have rotated the refresh token in
/// an answer that never arrived, so the start stays recorded as if the refresh had been cut off.
fn answer_lost(err: &OAuthError) -> bool {
    matches!(err, OAuthError::Unreachable { err, .. } if !err.is_connect())
}

/// Records a sign-in outcome: an error is kept; a success clears the last error it fixed.
pub fn note_sign_in(history: &History, id: &SourceId, result: Result<(), &OAuthError>) {
    let event = match result {
        Ok(()) => Event::SignedIn,
        Err(err) => {
            let (error, detail) = ErrorRecord::of(err, id).into_failure();
            Event::SignInFailed { error, detail }
        }
    };
    history.record(id, event);
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
        let history = History::at(dir.path());
        let id: SourceId = "s".parse().unwrap();
        assert_eq!(history.tokens(&id), TokenActivity::default(), "nothing recorded yet");
        let err = OAuthError::NeedsSignIn { id: id.clone() };
        note_refresh(&history, &id, Err(&err));
        let activity = history.tokens(&id);
        assert_eq!(activity.last_refresh.map(|r| r.ok), Some(false), "the failed refresh is recorded");
        let error = activity.last_error.expect("the error is recorded");
        assert!(error.hint.is_some_and(|h| h.contains("lanyard connect s")), "with a hint");
        assert_eq!(error.remedy, Some(Remedy::SignIn), "and the same fix as data, read back from the file");
        assert_eq!(
            error.problem.as_deref(),
            Some("source `s` needs sign-in"),
            "the message without the command"
        );
        note_sign_in(&history, &id, Ok(()));
        assert!(history.tokens(&id).last_error.is_none(), "a sign-in clears the error it fixed");
    }

    #[test]
    fn a_refresh_start_without_an_outcome_is_reported_as_cut_off_once() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::at(dir.path());
        let id: SourceId = "s".parse().unwrap();
        assert!(!note_refresh_start(&history, &id), "nothing started before");
        note_refresh(&history, &id, Ok(()));
        assert!(!note_refresh_start(&history, &id), "the last refresh recorded its outcome");
        assert!(note_refresh_start(&history, &id), "the one before never did: it was cut off");
    }
}
