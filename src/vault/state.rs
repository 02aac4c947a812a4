//! What the keychain looks like right now, and what to do about it: one answer for `lanyard
//! status`, `lanyard doctor` and the app, so none of them guesses from an error's text (a missing
//! Secret Service is not a locked one, and the kernel keyring's limits are worth saying).

use std::fmt;

use serde::Serialize;

use super::{KEYCHAIN_ENV, StoreKind, VaultError};

/// The keychain's state, found by opening the store and reading one entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case", rename_all_fields = "snake_case")]
#[non_exhaustive]
pub enum KeychainState {
    /// Opened and read: it works.
    Ok { kind: StoreKind },
    /// The kernel's per-user persistent keyring works. It is kept across commands and sessions,
    /// and forgotten at reboot or once unused for `expiry_secs` (each command restarts that).
    KeyutilsPersistent { expiry_secs: Option<u64> },
    /// The kernel keyring works, but only in this session keyring (a kernel without persistent
    /// keyrings): forgotten when the session ends.
    KeyutilsSession,
    /// No Secret Service answers: no D-Bus session bus, or no keyring daemon on it.
    NoSecretService,
    /// The keychain is there but locked, or refused this program.
    Locked { kind: StoreKind },
    /// Anything else; `message` is the vault error's own, which says what to do.
    Failed { kind: StoreKind, message: String },
}

impl KeychainState {
    /// The state a failed open or read stands for.
    pub fn from_error(kind: StoreKind, err: &VaultError) -> Self {
        match err {
            VaultError::NoSecretService { .. } => Self::NoSecretService,
            VaultError::Locked { .. } => Self::Locked { kind },
            other => Self::Failed { kind, message: other.to_string() },
        }
    }

    /// Whether secrets can be read and written now.
    pub fn is_usable(&self) -> bool {
        matches!(self, Self::Ok { .. } | Self::KeyutilsPersistent { .. } | Self::KeyutilsSession)
    }

    /// What to do, when something is wrong (or worth knowing, for the session keyring).
    pub fn fix(&self) -> Option<String> {
        match self {
            Self::Ok { .. } | Self::KeyutilsPersistent { .. } => None,
            Self::KeyutilsSession => Some(
                "this kernel has no persistent keyrings: run Lanyard inside one session (`keyctl session - sh`), or use a Secret Service".to_owned(),
            ),
            Self::NoSecretService => Some(no_secret_service_fix()),
            Self::Locked { .. } => Some(
                "unlock the login keyring (log in to the desktop session, or open your keyring app, e.g. Seahorse or KeePassXC) and run the command again"
                    .to_owned(),
            ),
            Self::Failed { .. } => None,
        }
    }
}

/// The one command that works on a machine without a Secret Service, and what it costs.
pub fn no_secret_service_fix() -> String {
    format!(
        "on a machine without a desktop session (SSH, a server, a container) run `export {KEYCHAIN_ENV}=keyutils` to keep secrets in the kernel's persistent keyring (forgotten at reboot, or after {} unused); on a desktop, start gnome-keyring or enable KeePassXC's Secret Service integration",
        expiry_words(super::keyutils_expiry_secs())
    )
}

/// `3 days`, `36 hours`, or the kernel's default when the setting cannot be read.
pub fn expiry_words(secs: Option<u64>) -> String {
    match secs {
        Some(secs) if secs % 86_400 == 0 && secs > 0 => plural(secs / 86_400, "day"),
        Some(secs) if secs % 3_600 == 0 && secs > 0 => plural(secs / 3_600, "hour"),
        Some(secs) => plural(secs, "second"),
        None => "3 days (the kernel's default)".to_owned(),
    }
}

fn plural(n: u64, unit: &str) -> String {
    if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") }
}

impl fmt::Display for KeychainState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ok { kind } => write!(f, "{kind}: ok"),
            Self::KeyutilsPersistent { expiry_secs } => write!(
                f,
                "kernel keyring (keyutils), persistent: ok; kept across commands, forgotten at reboot or after {} unused",
                expiry_words(*expiry_secs)
            ),
            Self::KeyutilsSession => {
                write!(f, "kernel keyring (keyutils), session only: ok until this session ends")
            }
            Self::NoSecretService => {
                write!(
                    f,
                    "no Secret Service (no keyring daemon on a D-Bus session bus): secrets cannot be kept"
                )
            }
            Self::Locked { kind } => write!(f, "{kind}: locked"),
            Self::Failed { kind, message } => write!(f, "{kind}: {message}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_said_in_whole_units() {
        assert_eq!(expiry_words(Some(259_200)), "3 days", "the kernel's default");
        assert_eq!(expiry_words(Some(86_400)), "1 day");
        assert_eq!(expiry_words(Some(7_200)), "2 hours");
        assert_eq!(expiry_words(Some(90)), "90 seconds");
    }

    #[test]
    fn no_secret_service_is_not_called_locked() {
        let state = KeychainState::NoSecretService;
        let text = format!("{state} {}", state.fix().unwrap_or_default());
        assert!(!text.contains("locked"), "nothing is locked when there is no keychain: {text}");
        assert!(
            text.contains("export LANYARD_KEYCHAIN=keyutils"),
            "the fix gives the command that works headless: {text}"
        );
        assert!(!state.is_usable(), "no Secret Service keeps no secret");
    }
}
