//! The one error type the web view receives: a kind the UI branches on, and a message in plain
//! words that it shows. The engine says each error's kind ([`ErrorKind`]); each kind is mapped
//! to the window's on purpose, here and nowhere else; the UI never parses message text.
//! Messages come from the engine's own `Display`, which by design never contains a secret
//! (secrets are a type without `Display`), or, where that ends in a `lanyard` command the window
//! has a button for, from the error's advice (its problem, the same words without the command)
//! and the window's name for the fix (`lanyard::remedy::window`).

use lanyard::ErrorKind;
use lanyard::clients::ClientFileError;
use lanyard::ids::InvalidSourceId;
use lanyard::profile::DraftError;
use lanyard::vault::VaultError;
use serde::Serialize;
use ts_rs::TS;

/// Only the cases the UI does something different for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = crate::wire::TS_DIR)]
pub enum UiErrorKind {
    /// The server wants a (new) sign-in: offer Connect / Reconnect.
    NeedsSignIn,
    /// The keychain is locked: say how to unlock it.
    KeychainLocked,
    /// No keychain can be used (no Secret Service on this machine, or one that keeps nothing):
    /// nothing to unlock; the message names the keychain to use.
    NoKeychain,
    /// The profile cannot work as written: point at the form.
    InvalidProfile,
    /// The server could not be reached, went away or timed out: offer to try again.
    Unreachable,
    /// A sign-in in the browser did not complete (abandoned, refused, timed out, or its answer
    /// did not match): offer Connect again.
    SignInFailed,
    /// The person stopped it (a sign-in's Cancel): nothing to report.
    Cancelled,
    Other,
}

/// What a failed command sends to the web view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = crate::wire::TS_DIR)]
pub struct UiError {
    pub kind: UiErrorKind,
    pub message: String,
}

impl UiError {
    pub fn new(kind: UiErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }
}

/// The window's reaction to each kind of engine error, on purpose and in one place.
impl From<ErrorKind> for UiErrorKind {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::NeedsSignIn => Self::NeedsSignIn,
            ErrorKind::KeychainLocked => Self::KeychainLocked,
            ErrorKind::NoKeychain => Self::NoKeychain,
            ErrorKind::Profile | ErrorKind::ConnectionSetup => Self::InvalidProfile,
            ErrorKind::Unreachable => Self::Unreachable,
            ErrorKind::SignInFailed => Self::SignInFailed,
            // The profile file itself, not the form; the message says which and why.
            ErrorKind::ProfileFile => Self::Other,
            ErrorKind::Usage
            | ErrorKind::Protocol
            | ErrorKind::Keychain
            | ErrorKind::ServerError
            | ErrorKind::Other => Self::Other,
        }
    }
}

impl From<lanyard::Error> for UiError {
    fn from(err: lanyard::Error) -> Self {
        let err = match err {
            lanyard::Error::ClientFile(err) => return err.into(),
            err => err,
        };
        // The engine's words are for the terminal; where they end in a command the window has
        // a button for, the window's own.
        let message = lanyard::remedy::window::error_message(&err).unwrap_or_else(|| err.to_string());
        Self::new(err.kind().into(), message)
    }
}

impl From<VaultError> for UiError {
    fn from(err: VaultError) -> Self {
        lanyard::Error::Vault(err).into()
    }
}

/// An agent's or IDE's own file that Lanyard cannot read, write or put back: the message names
/// the file and says what to do, in the window's words (the engine's); the UI has nothing else to
/// offer than showing it.
impl From<ClientFileError> for UiError {
    fn from(err: ClientFileError) -> Self {
        Self::new(UiErrorKind::Other, err.in_window())
    }
}

/// An edit the engine refuses (a blank secret with nothing to keep, a reserved sign-in
/// parameter, a changed id): the form's to fix.
impl From<DraftError> for UiError {
    fn from(err: DraftError) -> Self {
        Self::new(UiErrorKind::InvalidProfile, err.to_string())
    }
}

impl From<InvalidSourceId> for UiError {
    fn from(err: InvalidSourceId) -> Self {
        Self::new(ErrorKind::Profile.into(), err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lanyard::ids::SourceId;
    use lanyard::oauth::OAuthError;
    use lanyard::profile::ProfileError;

    #[test]
    fn errors_map_to_the_kind_the_ui_branches_on() {
        let id: SourceId = "gh".parse().unwrap();
        let missing: UiError =
            lanyard::Error::Profile(ProfileError::NotFound { id: id.clone(), near: Vec::new() }).into();
        assert_eq!(missing.kind, UiErrorKind::InvalidProfile, "an unknown source is a profile problem");
        let disabled: UiError = lanyard::Error::Disabled { id }.into();
        assert_eq!(disabled.kind, UiErrorKind::InvalidProfile, "a disabled source is a profile setting");
        assert!(
            disabled.message.contains("disabled"),
            "the message says what happened: {}",
            disabled.message
        );
        let bad_id: UiError = "Not An Id".parse::<SourceId>().unwrap_err().into();
        assert_eq!(bad_id.kind, UiErrorKind::InvalidProfile, "a bad id is a form problem");
    }

    /// Issue 17: with no Secret Service the window said "Unlock your keychain", though there
    /// was nothing to unlock.
    #[test]
    fn a_missing_keychain_is_not_a_locked_one() {
        let kept = VaultError::NotKept {
            kind: lanyard::vault::StoreKind::Keyutils,
            key: lanyard::vault::VaultKey::bridge_token(),
        };
        assert_eq!(UiError::from(kept).kind, UiErrorKind::NoKeychain, "a keychain that keeps nothing");
    }

    #[test]
    fn sign_in_errors_map_to_what_the_person_can_do() {
        let id: SourceId = "gh".parse().unwrap();
        let refused: UiError = lanyard::Error::OAuth(OAuthError::NeedsSignIn { id: id.clone() }).into();
        assert_eq!(refused.kind, UiErrorKind::NeedsSignIn, "a refused refresh offers Reconnect");
        let timed_out: UiError = lanyard::Error::OAuth(OAuthError::TimedOut {
            id: id.clone(),
            limit: std::time::Duration::from_secs(300),
            pre_registered: false,
        })
        .into();
        assert_eq!(timed_out.kind, UiErrorKind::SignInFailed, "an abandoned sign-in offers Connect again");
        let not_http: UiError = lanyard::Error::OAuth(OAuthError::NotHttp { id }).into();
        assert_eq!(
            not_http.kind,
            UiErrorKind::InvalidProfile,
            "sign-in on a stdio source is a profile problem"
        );
    }

    /// The window's kind for each engine kind: what the UI branches on.
    #[test]
    fn each_engine_kind_has_one_window_kind() {
        use ErrorKind as E;
        use UiErrorKind as U;
        let table = [
            (E::Usage, U::Other),
            (E::Profile, U::InvalidProfile),
            (E::ProfileFile, U::Other),
            (E::ConnectionSetup, U::InvalidProfile),
            (E::Unreachable, U::Unreachable),
            (E::Protocol, U::Other),
            (E::NeedsSignIn, U::NeedsSignIn),
            (E::SignInFailed, U::SignInFailed),
            (E::KeychainLocked, U::KeychainLocked),
            (E::NoKeychain, U::NoKeychain),
            (E::Keychain, U::Other),
            (E::ServerError, U::Other),
            (E::Other, U::Other),
        ];
        for (engine, window) in table {
            assert_eq!(UiErrorKind::from(engine), window, "{engine:?}");
        }
    }

    /// Issue 16: a keychain failure during sign-in is the keychain's kind, as anywhere else, so
    /// a missing keychain is not offered an unlock there either (issue 17).
    #[test]
    fn a_keychain_failure_in_a_sign_in_keeps_its_kind() {
        let id: SourceId = "gh".parse().unwrap();
        let kept = VaultError::NotKept {
            kind: lanyard::vault::StoreKind::Keyutils,
            key: lanyard::vault::VaultKey::bridge_token(),
        };
        let err: UiError = lanyard::Error::OAuth(OAuthError::Vault { id, err: kept }).into();
        assert_eq!(err.kind, UiErrorKind::NoKeychain, "nothing to unlock: {}", err.message);
    }

    #[test]
    fn client_file_errors_name_the_file_in_the_windows_words() {
        let path = std::path::PathBuf::from("/c/settings.json");
        let refused: UiError = lanyard::Error::ClientFile(ClientFileError::Refused {
            path: path.clone(),
            err: lanyard::clients::DocError::CannotEdit("not an object".into()),
        })
        .into();
        assert!(refused.message.contains("settings.json"), "the message names the file: {}", refused.message);
        assert!(refused.message.contains("Bridge panel"), "and the window's way out: {}", refused.message);
        assert!(!refused.message.contains("lanyard config"), "not the CLI's: {}", refused.message);
        let nothing: UiError = ClientFileError::NothingToUndo { path }.into();
        assert!(!nothing.message.contains("lanyard config"), "{}", nothing.message);
    }

    #[test]
    fn the_wire_shape_is_kind_and_message() {
        let err = UiError::new(UiErrorKind::KeychainLocked, "unlock it");
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "KeychainLocked", "message": "unlock it"}),
            "the UI reads these two fields"
        );
    }
}
