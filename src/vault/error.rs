//! What can go wrong in the vault, worded for the person who has to fix it.
//!
//! Kept apart from the store code so that the rule is easy to check in one place: no error built
//! here can carry a secret. keyring-core attaches the raw stored bytes to some of its errors;
//! [`PlatformError`] drops (and zeroes) them, and on a write it replaces a platform report that
//! quotes the value being written. Callers branch on the variant, never on the text.

use std::error::Error as StdError;
use std::fmt;
use std::path::PathBuf;

use zeroize::Zeroize;

use super::{KEYCHAIN_ENV, StoreKind, VaultKey};
use crate::ErrorKind;
use crate::remedy::Remedy;

/// Why the vault could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// `LANYARD_KEYCHAIN` holds a value that names no store.
    #[error(
        "{KEYCHAIN_ENV}={value:?} is not a keychain Lanyard knows: set it to one of {accepted}, or unset it to use this system's own keychain",
        accepted = StoreKind::accepted_values()
    )]
    UnknownKeychain { value: String },

    /// The store exists, but not in this build or on this operating system.
    #[error(
        "the {kind} is not available on this system: unset {KEYCHAIN_ENV} to use this system's own keychain, or set it to one of {accepted}",
        accepted = StoreKind::accepted_values()
    )]
    Unsupported { kind: StoreKind },

    /// Nothing answered as `org.freedesktop.secrets`: no session bus, or no keyring daemon on it.
    /// (The two look the same from here: the Secret Service client reports both as "unavailable".)
    #[error(
        "no Secret Service is reachable: there is no D-Bus session bus, or no keyring daemon on it (session bus: {}). To fix it, {}",
        .bus_address.as_deref().map_or("DBUS_SESSION_BUS_ADDRESS is unset", |address| address),
        super::no_secret_service_fix()
    )]
    NoSecretService {
        /// `DBUS_SESSION_BUS_ADDRESS` when the connection was tried, if it was set.
        bus_address: Option<String>,
        #[source]
        err: PlatformError,
    },

    /// A store other than the Secret Service could not be opened.
    #[error("could not open the {kind}: check that it is set up for this user, then try again")]
    Open {
        kind: StoreKind,
        #[source]
        err: PlatformError,
    },

    /// The keychain is locked, or refused this program access to its storage.
    #[error(
        "the {kind} is locked, has no default keyring, or refused access (while trying to {op} {key}): unlock it (log in to the desktop session, or unlock or create the login keyring in your keyring app) and try again"
    )]
    Locked {
        kind: StoreKind,
        key: VaultKey,
        op: Op,
        #[source]
        err: PlatformError,
    },

    /// The kernel keyring refused access to the user's persistent keyring.
    #[error(
        "the kernel keyring refused access (while trying to {op} {key}): check that this user may use its persistent keyring (`keyctl get_persistent @u` prints a number), or unset {KEYCHAIN_ENV} to use the Secret Service"
    )]
    AccessDenied {
        key: VaultKey,
        op: Op,
        #[source]
        err: PlatformError,
    },

    /// The entry exists but its value is not UTF-8 text, so it was not written by Lanyard.
    #[error(
        "the {kind} entry {key} (service `lanyard`) is not UTF-8 text, so Lanyard cannot use it: delete that entry and set the secret again"
    )]
    NotText { kind: StoreKind, key: VaultKey },

    /// Several keychain items match one key (another program made items with the same attributes).
    #[error(
        "{count} entries in the {kind} match {key} (service `lanyard`), so Lanyard cannot tell which one is right: remove them (e.g. `secret-tool clear service lanyard username '{key}'`) and set the secret again"
    )]
    Ambiguous { kind: StoreKind, key: VaultKey, count: usize },

    /// The store refused the value or the key as given (empty value, too long, ...).
    #[error(
        "the {kind} refused to {op} {key} as given (an empty value, or one longer than it allows): check the value and try again"
    )]
    Rejected {
        kind: StoreKind,
        key: VaultKey,
        op: Op,
        #[source]
        err: PlatformError,
    },

    /// Any other failure reported by the keychain.
    #[error("the {kind} failed to {op} {key}: check that it is running and unlocked, then try again")]
    Platform {
        kind: StoreKind,
        key: VaultKey,
        op: Op,
        #[source]
        err: PlatformError,
    },

    /// The keychain took a value without an error, but a read straight after found nothing: it
    /// does not keep what Lanyard writes, and a value made up now would be lost at once.
    #[error(
        "the {kind} accepted {key} but did not keep it (a read straight after found nothing), so Lanyard cannot keep secrets there: check `lanyard status` for the keychain's state and its fix"
    )]
    NotKept { kind: StoreKind, key: VaultKey },

    /// The install's id file could not be read or made (see [`InstallFile`](super::InstallFile)).
    #[error(
        "{path}: cannot {action} this install's id file ({err}): check the folder's permissions; this profile file's keychain entries are found by it",
        path = path.display()
    )]
    InstallFile {
        path: PathBuf,
        action: &'static str,
        #[source]
        err: std::io::Error,
    },

    /// The install's id file exists but holds no id.
    #[error(
        "{path} does not hold an install id (16 to 64 lowercase hex digits): restore it from a backup, or delete it to start a new install whose keychain entries are empty",
        path = path.display()
    )]
    InvalidInstallId { path: PathBuf },

    /// The store could not list Lanyard's entries (it can list them, but failed this time).
    #[error(
        "the {kind} could not list Lanyard's entries: check that it is running and unlocked, then try again"
    )]
    List {
        kind: StoreKind,
        #[source]
        err: PlatformError,
    },

    /// A secret reference to a password manager could not be read.
    #[error(transparent)]
    External(#[from] super::ExternalError),

    /// The blocking keychain call panicked or was cancelled (the runtime is shutting down).
    #[error("the {kind} call to {op} did not finish (it panicked, or Lanyard is shutting down): try again")]
    Interrupted {
        kind: StoreKind,
        op: Op,
        #[source]
        err: tokio::task::JoinError,
    },
}

impl VaultError {
    /// A locked keychain is something to unlock; a missing one (no Secret Service) or one that
    /// refuses or keeps nothing is not, and saying "unlock" there sends the person the wrong way.
    /// A misconfigured `LANYARD_KEYCHAIN` or a damaged entry is something else again.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Locked { .. } => ErrorKind::KeychainLocked,
            Self::External(err) if err.is_in_profile() => ErrorKind::Profile,
            Self::External(_) => ErrorKind::Keychain,
            Self::NoSecretService { .. }
            | Self::Open { .. }
            | Self::AccessDenied { .. }
            | Self::NotKept { .. } => ErrorKind::NoKeychain,
            Self::UnknownKeychain { .. }
            | Self::Unsupported { .. }
            | Self::NotText { .. }
            | Self::Ambiguous { .. }
            | Self::Rejected { .. }
            | Self::Platform { .. }
            | Self::InstallFile { .. }
            | Self::InvalidInstallId { .. }
            | Self::List { .. }
            | Self::Interrupted { .. } => ErrorKind::Keychain,
        }
    }

    /// The fix, as data, where the keychain needs only the person's hand.
    pub fn remedy(&self) -> Option<Remedy> {
        match self {
            Self::Locked { .. } => Some(Remedy::UnlockKeychain),
            _ => None,
        }
    }

    /// Classifies a keychain error for `key`. `NoEntry` is a normal answer and is handled by the
    /// caller before this; if it arrives here anyway it is reported as a platform failure.
    pub(super) fn from_keyring(kind: StoreKind, key: &VaultKey, op: Op, err: keyring_core::Error) -> Self {
        use keyring_core::Error as K;
        let key = key.clone();
        match err {
            K::NoStorageAccess(err) if kind == StoreKind::Keyutils => {
                Self::AccessDenied { key, op, err: PlatformError::new(err) }
            }
            K::NoStorageAccess(err) => Self::Locked { kind, key, op, err: PlatformError::new(err) },
            K::BadEncoding(mut bytes) => {
                bytes.zeroize();
                Self::NotText { kind, key }
            }
            K::Ambiguous(entries) => Self::Ambiguous { kind, key, count: entries.len() },
            K::Invalid(..) | K::TooLong(..) => {
                Self::Rejected { kind, key, op, err: PlatformError::from_keyring(err) }
            }
            other => Self::Platform { kind, key, op, err: PlatformError::from_keyring(other) },
        }
    }

    /// The same error, with any platform report that quotes `secret` replaced by a note.
    /// Used on writes, the one call where the vault hands a secret to the platform.
    pub(super) fn redact(self, secret: &str) -> Self {
        match self {
            Self::Locked { kind, key, op, err } => Self::Locked { kind, key, op, err: err.redact(secret) },
            Self::AccessDenied { key, op, err } => Self::AccessDenied { key, op, err: err.redact(secret) },
            Self::Rejected { kind, key, op, err } => {
                Self::Rejected { kind, key, op, err: err.redact(secret) }
            }
            Self::Platform { kind, key, op, err } => {
                Self::Platform { kind, key, op, err: err.redact(secret) }
            }
            other => other,
        }
    }
}

/// What the vault was doing when it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op {
    Open,
    Read,
    Write,
    Delete,
    List,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Open => "open",
            Op::Read => "read",
            Op::Write => "write",
            Op::Delete => "delete",
            Op::List => "list",
        })
    }
}

/// The keychain's own report of a failure: the `#[source]` of a [`VaultError`].
///
/// It never holds secret bytes: keyring-core's `BadEncoding` / `BadDataFormat` payloads are
/// dropped and zeroed before one is built, and on writes a report that quotes the written value
/// is replaced (see [`VaultError`]'s module docs).
pub struct PlatformError(Box<dyn StdError + Send + Sync>);

impl PlatformError {
    fn new(err: Box<dyn StdError + Send + Sync>) -> Self {
        Self(err)
    }

    /// Keeps the platform's part of a keyring-core error, without any raw secret bytes.
    pub(super) fn from_keyring(err: keyring_core::Error) -> Self {
        use keyring_core::Error as K;
        match err {
            K::PlatformFailure(err) | K::NoStorageAccess(err) => Self(err),
            K::BadDataFormat(mut bytes, err) => {
                bytes.zeroize();
                Self(err)
            }
            K::BadEncoding(mut bytes) => {
                bytes.zeroize();
                Self(Box::new(Redacted("the stored value is not UTF-8 text")))
            }
            other => Self(Box::new(other)),
        }
    }

    fn redact(self, secret: &str) -> Self {
        if !secret.is_empty() && self.mentions(secret) {
            Self(Box::new(Redacted(
                "the keychain's error report quoted the secret being written, so it was dropped",
            )))
        } else {
            self
        }
    }

    /// Whether `needle` appears in this report: its `Display`, its `Debug`, or any cause's.
    fn mentions(&self, needle: &str) -> bool {
        let mut next: Option<&(dyn StdError + 'static)> = Some(self.0.as_ref());
        while let Some(err) = next {
            if err.to_string().contains(needle) || format!("{err:?}").contains(needle) {
                return true;
            }
            next = err.source();
        }
        false
    }
}

impl fmt::Display for PlatformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for PlatformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl StdError for PlatformError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0.source()
    }
}

/// Stands in for a platform report that had to be dropped.
#[derive(Debug)]
struct Redacted(&'static str);

impl fmt::Display for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl StdError for Redacted {}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> VaultKey {
        VaultKey::bridge_token()
    }

    fn platform(message: &str) -> Box<dyn StdError + Send + Sync> {
        Box::new(std::io::Error::other(message.to_owned()))
    }

    #[test]
    fn storage_access_means_locked_on_secret_service_and_denied_on_keyutils() {
        let locked = VaultError::from_keyring(
            StoreKind::SecretService,
            &key(),
            Op::Write,
            keyring_core::Error::NoStorageAccess(platform("prompt dismissed")),
        );
        assert!(
            matches!(locked, VaultError::Locked { .. }),
            "a Secret Service refusal is a locked keyring: {locked:?}"
        );
        assert!(locked.to_string().contains("unlock it"), "the message should say to unlock: {locked}");

        let denied = VaultError::from_keyring(
            StoreKind::Keyutils,
            &key(),
            Op::Read,
            keyring_core::Error::NoStorageAccess(platform("EACCES")),
        );
        assert!(
            matches!(denied, VaultError::AccessDenied { .. }),
            "a keyutils refusal is access denied: {denied:?}"
        );
        assert!(
            denied.to_string().contains("keyctl get_persistent"),
            "the message should say how to check the persistent keyring: {denied}"
        );
    }

    #[test]
    fn bad_encoding_drops_the_bytes() {
        let err = VaultError::from_keyring(
            StoreKind::SecretService,
            &key(),
            Op::Read,
            keyring_core::Error::BadEncoding(b"planted-\xff-secret".to_vec()),
        );
        let shown = format!("{err} {err:?}");
        assert!(matches!(err, VaultError::NotText { .. }), "non-UTF-8 data is NotText: {err:?}");
        assert!(!shown.contains("planted"), "the raw bytes must not reach the error: {shown}");

        let err = PlatformError::from_keyring(keyring_core::Error::BadDataFormat(
            b"planted-secret".to_vec(),
            platform("bad padding"),
        ));
        let shown = format!("{err} {err:?}");
        assert!(shown.contains("bad padding"), "the platform's reason should be kept: {shown}");
        assert!(!shown.contains("planted"), "the raw bytes must not reach the error: {shown}");
    }

    #[test]
    fn a_write_error_quoting_the_secret_is_redacted() {
        let err = VaultError::from_keyring(
            StoreKind::SecretService,
            &key(),
            Op::Write,
            keyring_core::Error::PlatformFailure(platform("could not store 'hunter2-planted'")),
        )
        .redact("hunter2-planted");
        let mut shown = format!("{err} {err:?}");
        let mut cause = StdError::source(&err);
        while let Some(inner) = cause {
            shown.push_str(&format!(" {inner} {inner:?}"));
            cause = inner.source();
        }
        assert!(!shown.contains("hunter2"), "the secret must not survive in any part of the error: {shown}");
        assert!(
            shown.contains("quoted the secret"),
            "the replacement should say why the report is gone: {shown}"
        );

        let kept = VaultError::from_keyring(
            StoreKind::SecretService,
            &key(),
            Op::Write,
            keyring_core::Error::PlatformFailure(platform("bus went away")),
        )
        .redact("hunter2-planted");
        let source = StdError::source(&kept).map(ToString::to_string).unwrap_or_default();
        assert_eq!(source, "bus went away", "a report without the secret should be kept as it is");
    }

    #[test]
    fn ambiguity_counts_the_matches() {
        let err = VaultError::from_keyring(
            StoreKind::SecretService,
            &key(),
            Op::Read,
            keyring_core::Error::Ambiguous(Vec::new()),
        );
        assert!(
            matches!(err, VaultError::Ambiguous { count: 0, .. }),
            "Ambiguous keeps the match count: {err:?}"
        );
        assert!(
            err.to_string().contains("secret-tool clear service lanyard username 'bridge/token'"),
            "the message should say how to clean up: {err}"
        );
    }

    #[test]
    fn messages_say_what_to_do() {
        let no_bus = VaultError::NoSecretService {
            bus_address: Some("unix:path=/nonexistent".to_owned()),
            err: PlatformError::new(platform("no secret service provider or dbus session found")),
        };
        let text = no_bus.to_string();
        for needed in ["unix:path=/nonexistent", "gnome-keyring", "KeePassXC", "LANYARD_KEYCHAIN=keyutils"] {
            assert!(text.contains(needed), "the no-Secret-Service message should mention {needed}: {text}");
        }
        let unset = VaultError::NoSecretService { bus_address: None, err: PlatformError::new(platform("x")) };
        assert!(
            unset.to_string().contains("DBUS_SESSION_BUS_ADDRESS is unset"),
            "an unset bus address should be named: {unset}"
        );

        let unknown = VaultError::UnknownKeychain { value: "gnome".to_owned() };
        let text = unknown.to_string();
        assert!(text.contains("\"gnome\""), "the bad value should be quoted: {text}");
        for accepted in StoreKind::accepted_values().split(", ") {
            assert!(text.contains(accepted), "the message should list {accepted}: {text}");
        }
    }
}
