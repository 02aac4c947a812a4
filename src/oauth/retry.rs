//! When a source whose last refresh failed on the authorization server's side may ask it again.
//!
//! A refresh that fails because the server is down, slow past the timeout, answering 5xx or
//! nonsense, or saying `temporarily_unavailable` keeps the tokens (refresh token included) and is
//! tried again later. "Later" is a backoff per source, not every agent call: twenty agents
//! calling during an outage would otherwise send twenty refreshes a second to a server that is
//! already struggling. The delay doubles with each failure in a row ([`FIRST_DELAY`] up to
//! [`MAX_DELAY`]), is kept in the source's activity record so every Lanyard process on the
//! machine honours it (read there by [`super::activity::held_back_until`]), and ends with the
//! first refresh that gets an answer. A refusal (`invalid_grant`) is not retried at all: it means
//! *sign in again*.

use super::error::OAuthError;

/// The wait after the first failure in a row, in seconds.
pub const FIRST_DELAY: u64 = 10;
/// The longest wait between two attempts, in seconds.
pub const MAX_DELAY: u64 = 300;

/// Whether `err` is the authorization server's momentary trouble, worth trying again later with
/// the same refresh token.
pub fn is_transient(err: &OAuthError) -> bool {
    err.kind() == crate::ErrorKind::Unreachable
}

/// The wait before the next attempt after `failures` failures in a row (at least one).
pub fn delay(failures: u32) -> u64 {
    let doublings = failures.saturating_sub(1).min(16);
    FIRST_DELAY.saturating_mul(1 << doublings).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::now;
    use crate::history::{ErrorRecord, RefreshRecord, TokenActivity};
    use crate::oauth::activity::held_back_until;

    #[test]
    fn the_delay_doubles_up_to_the_cap() {
        assert_eq!(delay(1), FIRST_DELAY, "the first failure waits the first delay");
        assert_eq!(delay(2), 2 * FIRST_DELAY, "then it doubles");
        assert_eq!(delay(3), 4 * FIRST_DELAY, "and doubles again");
        assert_eq!(delay(40), MAX_DELAY, "never longer than the cap");
    }

    fn failed(at: u64, failures: u32, retry_at: Option<u64>) -> TokenActivity {
        TokenActivity {
            last_refresh: Some(RefreshRecord { at, ok: false, failures }),
            last_error: Some(ErrorRecord {
                at,
                message: "down".into(),
                hint: None,
                problem: None,
                remedy: None,
                retry_at,
            }),
            refresh_started: None,
        }
    }

    #[test]
    fn a_transient_failure_holds_back_the_same_tokens_until_its_time() {
        let t = now();
        assert_eq!(
            held_back_until(&failed(t, 1, Some(t + 10)), Some(t - 100)),
            Some(t + 10),
            "tokens older than the failure wait"
        );
        assert_eq!(held_back_until(&failed(t, 1, Some(t + 10)), None), Some(t + 10), "no tokens wait too");
        assert_eq!(
            held_back_until(&failed(t, 1, Some(t + 10)), Some(t + 1)),
            None,
            "tokens obtained after the failure are not held back"
        );
        assert_eq!(held_back_until(&failed(t - 20, 1, Some(t - 10)), Some(0)), None, "the wait is over");
        assert_eq!(
            held_back_until(&failed(t, 0, Some(t + 10)), Some(0)),
            None,
            "a failure that was not transient is not a backoff"
        );
        assert_eq!(held_back_until(&TokenActivity::default(), Some(0)), None, "nothing recorded");
    }
}
