//! The vault: every secret Lanyard keeps, in the OS keychain, one entry per secret.
//!
//! Each entry has the service `lanyard` and the account [`VaultKey::account`]. The store is chosen
//! by `LANYARD_KEYCHAIN` (see [`StoreKind::choose`]) and is never swapped behind the caller's back:
//! there is no plaintext fallback and no silent move to another store. Creating a [`Vault`] touches
//! no keychain, so commands that need no secret work on a machine without one; the first
//! get/set/delete opens the store. Nobody else in Lanyard calls keyring-core, and the keychain's
//! blocking calls run on tokio's blocking pool. Secrets enter as `&Secret` and leave as `Secret`.

mod error;
mod store;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use keyring_core::CredentialStore;
use tokio::sync::Mutex;
use tracing::{debug, info, instrument, warn};

use crate::profile::{SecretRef, SourceId};
use crate::secret::Secret;

pub use error::{Op, PlatformError, VaultError};

/// The keychain service of every Lanyard entry.
pub const SERVICE: &str = "lanyard";

/// The environment variable that picks the store.
pub const KEYCHAIN_ENV: &str = "LANYARD_KEYCHAIN";

/// Which keychain backs the vault. Its `serde` name is also its `LANYARD_KEYCHAIN` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum StoreKind {
    /// The freedesktop Secret Service (gnome-keyring, KeePassXC, KWallet) over D-Bus. Linux default.
    SecretService,
    /// The Linux kernel keyring. Opt-in for headless machines: it forgets everything at reboot.
    Keyutils,
    /// The macOS login keychain. macOS default.
    MacosKeychain,
    /// The Windows Credential Manager. Windows default.
    WindowsCredentialManager,
    /// keyring-core's in-memory mock, for unit tests of other modules only: each [`Vault`] has its
    /// own, and it forgets everything when that `Vault` is dropped.
    Mock,
}

impl StoreKind {
    const ALL: [StoreKind; 5] = [
        StoreKind::SecretService,
        StoreKind::Keyutils,
        StoreKind::MacosKeychain,
        StoreKind::WindowsCredentialManager,
        StoreKind::Mock,
    ];

    /// The `LANYARD_KEYCHAIN` value (and `serde` name) of this store.
    pub const fn as_str(self) -> &'static str {
        match self {
            StoreKind::SecretService => "secret-service",
            StoreKind::Keyutils => "keyutils",
            StoreKind::MacosKeychain => "macos-keychain",
            StoreKind::WindowsCredentialManager => "windows-credential-manager",
            StoreKind::Mock => "mock",
        }
    }

    /// The store used when `LANYARD_KEYCHAIN` is unset: this operating system's own keychain.
    pub const fn platform_default() -> Self {
        if cfg!(target_os = "macos") {
            StoreKind::MacosKeychain
        } else if cfg!(target_os = "windows") {
            StoreKind::WindowsCredentialManager
        } else {
            StoreKind::SecretService
        }
    }

    /// Whether this build can use the store on this operating system.
    pub const fn is_available(self) -> bool {
        match self {
            StoreKind::SecretService | StoreKind::Keyutils => cfg!(target_os = "linux"),
            StoreKind::MacosKeychain => cfg!(target_os = "macos"),
            StoreKind::WindowsCredentialManager => cfg!(target_os = "windows"),
            StoreKind::Mock => true,
        }
    }

    /// The store named by a `LANYARD_KEYCHAIN` value; unset or empty means the platform default.
    pub fn choose(value: Option<&str>) -> Result<Self, VaultError> {
        let kind = match value {
            None | Some("") => Self::platform_default(),
            Some(value) => Self::ALL
                .into_iter()
                .find(|kind| kind.as_str() == value)
                .ok_or_else(|| VaultError::UnknownKeychain { value: value.to_owned() })?,
        };
        if kind.is_available() { Ok(kind) } else { Err(VaultError::Unsupported { kind }) }
    }

    /// The `LANYARD_KEYCHAIN` values this build accepts on this system, for error messages.
    fn accepted_values() -> String {
        let names: Vec<String> = Self::ALL
            .into_iter()
            .filter(|kind| kind.is_available())
            .map(|kind| match kind {
                StoreKind::Mock => format!("{} (for tests only)", kind.as_str()),
                _ => kind.as_str().to_owned(),
            })
            .collect();
        names.join(", ")
    }
}

impl fmt::Display for StoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreKind::SecretService => "Secret Service keychain",
            StoreKind::Keyutils => "kernel keyring (keyutils)",
            StoreKind::MacosKeychain => "macOS keychain",
            StoreKind::WindowsCredentialManager => "Windows Credential Manager",
            StoreKind::Mock => "in-memory test keychain",
        })
    }
}

/// The name of one vault entry (the keychain "account"; the service is always `lanyard`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VaultKey(String);

impl VaultKey {
    /// A secret header, env value or client secret of one source, e.g.
    /// `source:github/header/Authorization`.
    pub fn source_secret(id: &SourceId, reference: &SecretRef) -> Self {
        Self(format!("source:{id}/{reference}"))
    }
    /// The OAuth tokens of one source.
    pub fn source_tokens(id: &SourceId) -> Self {
        Self(format!("source:{id}/oauth/tokens"))
    }
    /// A dynamic client registration, shared by every source signed in at that issuer.
    pub fn registration(issuer: &str) -> Self {
        Self(format!("issuer:{issuer}/registration"))
    }
    /// The token local clients present to the bridge.
    pub fn bridge_token() -> Self {
        Self("bridge/token".to_owned())
    }
    pub fn account(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VaultKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Secrets in one keychain store.
///
/// The store is opened by the first call that needs it and then reused. A failed open is not
/// remembered: the next call tries again, so starting the keyring daemon after an error is
/// enough, with no restart of Lanyard (a failed open is one quick D-Bus connect, so retrying is
/// cheap). A Secret Service connection whose provider went away is dropped and reopened (see
/// [`Vault::call_reconnecting`]).
///
/// A value that must not be lost but that the keychain refused ([`Vault::set_or_hold`]: rotated
/// tokens, whose predecessors the server has already spent) is held in this process's memory,
/// never on disk, until a later read of its key writes it, unless the keychain has a newer value
/// by then (another process wrote one, e.g. a new sign-in).
pub struct Vault {
    kind: StoreKind,
    store: Mutex<Option<Arc<CredentialStore>>>,
    held: std::sync::Mutex<HashMap<VaultKey, Held>>,
}

/// Whether a value now in the keychain supersedes a held one (see [`Vault::set_or_hold`]).
pub type Supersedes = Arc<dyn Fn(&Secret) -> bool + Send + Sync>;

/// A value the keychain refused, and how to tell whether the keychain's own value is newer.
#[derive(Clone)]
struct Held {
    value: Secret,
    supersedes: Supersedes,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault").field("kind", &self.kind).finish_non_exhaustive()
    }
}

impl Vault {
    /// The vault on the store named by `LANYARD_KEYCHAIN`. Touches no keychain.
    pub fn from_env() -> Result<Self, VaultError> {
        let value = std::env::var_os(KEYCHAIN_ENV).map(|value| value.to_string_lossy().into_owned());
        let kind = StoreKind::choose(value.as_deref())?;
        if kind == StoreKind::Mock {
            warn!("{KEYCHAIN_ENV}=mock: secrets are kept in memory only and are lost when Lanyard exits");
        }
        Self::new(kind)
    }

    /// The vault on a given store, if this system has it. Touches no keychain.
    pub fn new(kind: StoreKind) -> Result<Self, VaultError> {
        if !kind.is_available() {
            return Err(VaultError::Unsupported { kind });
        }
        Ok(Self { kind, store: Mutex::new(None), held: std::sync::Mutex::default() })
    }

    /// A vault on its own, empty, in-memory mock store: for tests of other modules only.
    pub fn mock() -> Self {
        Self { kind: StoreKind::Mock, store: Mutex::new(None), held: std::sync::Mutex::default() }
    }

    /// Which store this vault uses (for `lanyard status`).
    pub fn kind(&self) -> StoreKind {
        self.kind
    }

    /// Opens the store now, as the first get/set/delete would: for the Secret Service, connects
    /// to it. Reads nothing, so it does not find out whether the keychain is locked.
    #[instrument(skip_all, fields(store = self.kind.as_str()))]
    pub async fn connect(&self) -> Result<(), VaultError> {
        self.store().await.map(drop)
    }

    /// The secret under `key`, or `None` if there is none. A value held since the keychain
    /// refused it is settled first (see [`Vault::settle`]).
    #[instrument(skip_all, fields(key = %key, store = self.kind.as_str()))]
    pub async fn get(&self, key: &VaultKey) -> Result<Option<Secret>, VaultError> {
        if let Some(held) = self.held(key) {
            return Ok(Some(self.settle(key, held).await));
        }
        self.read(key).await
    }

    /// What a read of a key with a held value gives: the keychain's own value when it is newer
    /// (and the held one is dropped), else the held one, written now if the keychain takes it.
    /// While the keychain cannot be read, the held value.
    async fn settle(&self, key: &VaultKey, held: Held) -> Secret {
        match self.read(key).await {
            Ok(Some(stored)) if stored != held.value && (held.supersedes)(&stored) => {
                info!("the keychain holds a newer value than the one held in memory; that one is dropped");
                self.release(key);
                stored
            }
            Ok(_) => {
                match self.set(key, &held.value).await {
                    Ok(()) => info!("a held value is in the keychain now"),
                    Err(err) => debug!(%err, "the keychain still refuses a held value; it stays in memory"),
                }
                held.value
            }
            Err(err) => {
                debug!(%err, "the keychain cannot be read; the held value stands in");
                held.value
            }
        }
    }

    /// The keychain's own value under `key`.
    async fn read(&self, key: &VaultKey) -> Result<Option<Secret>, VaultError> {
        match self.call_reconnecting(key, Op::Read, |entry| entry.get_password()).await? {
            Ok(value) => {
                debug!(found = true, "read");
                Ok(Some(Secret::new(value)))
            }
            Err(keyring_core::Error::NoEntry) => {
                debug!(found = false, "read");
                Ok(None)
            }
            Err(err) => Err(self.failed(VaultError::from_keyring(self.kind, key, Op::Read, err))),
        }
    }

    /// Stores `value` under `key`, replacing any value there.
    #[instrument(skip_all, fields(key = %key, store = self.kind.as_str()))]
    pub async fn set(&self, key: &VaultKey, value: &Secret) -> Result<(), VaultError> {
        let sent = value.clone();
        match self.call_reconnecting(key, Op::Write, move |entry| entry.set_password(sent.expose())).await? {
            Ok(()) => {
                debug!("written");
                self.release(key);
                Ok(())
            }
            Err(err) => {
                let err = VaultError::from_keyring(self.kind, key, Op::Write, err).redact(value.expose());
                Err(self.failed(err))
            }
        }
    }

    /// Like [`Vault::set`], but a value the keychain refuses is held in memory (see [`Vault`])
    /// instead of dropped; the error still comes back, to be reported. `supersedes(stored)` tells,
    /// when the keychain answers again, whether the value it has then is newer than this one
    /// (written by someone else meanwhile) rather than the one this replaced.
    #[instrument(skip_all, fields(key = %key, store = self.kind.as_str()))]
    pub async fn set_or_hold(
        &self,
        key: &VaultKey,
        value: &Secret,
        supersedes: Supersedes,
    ) -> Result<(), VaultError> {
        let written = self.set(key, value).await;
        if written.is_err() {
            warn!(
                "the keychain refused a value that must not be lost; holding it in memory until it takes it"
            );
            let held = Held { value: value.clone(), supersedes };
            self.held.lock().expect("held values").insert(key.clone(), held);
        }
        written
    }

    /// Removes the secret under `key`; `true` if there was one.
    #[instrument(skip_all, fields(key = %key, store = self.kind.as_str()))]
    pub async fn delete(&self, key: &VaultKey) -> Result<bool, VaultError> {
        self.release(key);
        match self.call_reconnecting(key, Op::Delete, |entry| entry.delete_credential()).await? {
            Ok(()) => {
                debug!(deleted = true, "delete");
                Ok(true)
            }
            Err(keyring_core::Error::NoEntry) => {
                debug!(deleted = false, "delete");
                Ok(false)
            }
            Err(err) => Err(self.failed(VaultError::from_keyring(self.kind, key, Op::Delete, err))),
        }
    }

    /// The open store, opening it first if needed. The lock is held while opening so concurrent
    /// first calls open one store, not several.
    async fn store(&self) -> Result<Arc<CredentialStore>, VaultError> {
        let mut slot = self.store.lock().await;
        if let Some(store) = slot.as_ref() {
            return Ok(Arc::clone(store));
        }
        let kind = self.kind;
        let opened = tokio::task::spawn_blocking(move || store::open(kind))
            .await
            .map_err(|err| VaultError::Interrupted { kind, op: Op::Open, err })??;
        info!(store = kind.as_str(), "keychain opened");
        *slot = Some(Arc::clone(&opened));
        Ok(opened)
    }

    /// [`Vault::call`], but on the Secret Service a platform failure drops the connection and the
    /// call is tried once more on a fresh one. The usual cause of such a failure is a provider
    /// that restarted (KeePassXC closed and reopened, gnome-keyring replaced): its D-Bus session
    /// died with it, and every later call on the old connection would fail. Reading and writing
    /// are safe to repeat; a delete that failed after deleting reports `false` on the retry.
    async fn call_reconnecting<T, F>(
        &self,
        key: &VaultKey,
        op: Op,
        call: F,
    ) -> Result<keyring_core::Result<T>, VaultError>
    where
        T: Send + 'static,
        F: Fn(&keyring_core::Entry) -> keyring_core::Result<T> + Clone + Send + 'static,
    {
        let mut retried = false;
        loop {
            let outcome = self.call(key, op, call.clone()).await?;
            let failed = matches!(outcome, Err(keyring_core::Error::PlatformFailure(_)));
            if self.kind != StoreKind::SecretService || !failed {
                return Ok(outcome);
            }
            *self.store.lock().await = None;
            if retried {
                return Ok(outcome);
            }
            retried = true;
            debug!("Secret Service call failed; reconnecting and trying once more");
        }
    }

    /// Runs `call` on the entry for `key` on the blocking pool. The outer error is the vault's
    /// own (store not open, task lost); the inner one is the keychain's answer.
    async fn call<T, F>(&self, key: &VaultKey, op: Op, call: F) -> Result<keyring_core::Result<T>, VaultError>
    where
        T: Send + 'static,
        F: FnOnce(&keyring_core::Entry) -> keyring_core::Result<T> + Send + 'static,
    {
        let opened = self.store().await?;
        let kind = self.kind;
        let key = key.clone();
        tokio::task::spawn_blocking(move || call(&store::entry(&*opened, kind, &key)?))
            .await
            .map_err(|err| VaultError::Interrupted { kind, op, err })
    }

    fn held(&self, key: &VaultKey) -> Option<Held> {
        self.held.lock().expect("held values").get(key).cloned()
    }

    fn release(&self, key: &VaultKey) {
        self.held.lock().expect("held values").remove(key);
    }

    fn failed(&self, err: VaultError) -> VaultError {
        debug!(error = %err, "keychain call failed");
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(id: &str) -> SourceId {
        id.parse().expect("a valid source id")
    }

    #[test]
    fn unset_or_empty_choice_is_the_platform_keychain() {
        let native = StoreKind::platform_default();
        assert_eq!(
            StoreKind::choose(None).ok(),
            Some(native),
            "unset LANYARD_KEYCHAIN means the system keychain"
        );
        assert_eq!(StoreKind::choose(Some("")).ok(), Some(native), "an empty value is treated as unset");
        if cfg!(target_os = "linux") {
            assert_eq!(native, StoreKind::SecretService, "Linux defaults to the Secret Service");
        }
    }

    #[test]
    fn named_choices_pick_their_store() {
        assert_eq!(StoreKind::choose(Some("mock")).ok(), Some(StoreKind::Mock), "mock is always available");
        if cfg!(target_os = "linux") {
            assert_eq!(
                StoreKind::choose(Some("secret-service")).ok(),
                Some(StoreKind::SecretService),
                "explicit secret-service"
            );
            assert_eq!(
                StoreKind::choose(Some("keyutils")).ok(),
                Some(StoreKind::Keyutils),
                "keyutils is the opt-in"
            );
            assert!(
                matches!(
                    StoreKind::choose(Some("macos-keychain")),
                    Err(VaultError::Unsupported { kind: StoreKind::MacosKeychain })
                ),
                "another OS's keychain is a clear Unsupported error, not an unknown name"
            );
        }
    }

    #[test]
    fn an_unknown_choice_lists_the_accepted_values() {
        let err = StoreKind::choose(Some("Keyutils")).expect_err("values are case-sensitive");
        let text = err.to_string();
        assert!(
            matches!(err, VaultError::UnknownKeychain { ref value } if value == "Keyutils"),
            "keeps the value: {err:?}"
        );
        assert!(text.contains("mock (for tests only)"), "the mock store is marked as tests-only: {text}");
        if cfg!(target_os = "linux") {
            assert!(text.contains("secret-service, keyutils"), "the Linux choices are listed: {text}");
        }
    }

    #[test]
    fn choice_names_match_the_serialized_kind() {
        for kind in StoreKind::ALL {
            let serialized = serde_json::to_value(kind).expect("a StoreKind serializes");
            assert_eq!(
                serialized.as_str(),
                Some(kind.as_str()),
                "`lanyard status` shows what LANYARD_KEYCHAIN accepts"
            );
        }
    }

    #[test]
    fn keys_name_the_source_and_the_secret() {
        let github = source("github");
        assert_eq!(
            VaultKey::source_secret(&github, &SecretRef::header("Authorization")).account(),
            "source:github/header/Authorization",
            "a header secret's account"
        );
        assert_eq!(
            VaultKey::source_tokens(&github).account(),
            "source:github/oauth/tokens",
            "a source's tokens"
        );
        assert_eq!(
            VaultKey::registration("https://auth.example.com").to_string(),
            "issuer:https://auth.example.com/registration",
            "a registration is per issuer; Display is the account"
        );
        assert_eq!(VaultKey::bridge_token().account(), "bridge/token", "the bridge token");
        assert_ne!(
            VaultKey::source_secret(&source("work"), &SecretRef::header("Authorization")),
            VaultKey::source_secret(&source("personal"), &SecretRef::header("Authorization")),
            "two sources never share an entry"
        );
    }

    #[test]
    fn creating_a_vault_touches_no_keychain() {
        // Opening would fail without a session bus; creating must not try.
        let vault =
            Vault::new(StoreKind::platform_default()).expect("the platform keychain exists in this build");
        assert!(
            vault.store.try_lock().is_ok_and(|slot| slot.is_none()),
            "no store is opened until it is used"
        );
    }

    #[test]
    fn vault_and_its_calls_can_move_between_tasks() {
        fn shareable<T: Send + Sync>(_: &T) {}
        fn sendable<T: Send>(_: &T) {}
        let vault = Vault::mock();
        let key = VaultKey::bridge_token();
        shareable(&vault);
        sendable(&vault.get(&key));
        sendable(&vault.set(&key, &Secret::new("x")));
        sendable(&vault.delete(&key));
    }

    #[tokio::test]
    async fn mock_vault_round_trip() {
        let vault = Vault::mock();
        let key = VaultKey::bridge_token();
        assert!(vault.get(&key).await.unwrap().is_none(), "a fresh mock vault is empty");
        vault.set(&key, &Secret::new("one")).await.unwrap();
        vault.set(&key, &Secret::new("two")).await.unwrap();
        let got = vault.get(&key).await.unwrap();
        assert_eq!(
            got.as_ref().map(Secret::expose),
            Some("two"),
            "set replaces, and values persist across entries"
        );
        assert!(vault.delete(&key).await.unwrap(), "deleting an existing entry reports true");
        assert!(!vault.delete(&key).await.unwrap(), "deleting again reports false");
        assert!(vault.get(&key).await.unwrap().is_none(), "a deleted entry reads as absent");
        assert!(
            Vault::mock().get(&VaultKey::bridge_token()).await.unwrap().is_none(),
            "mock vaults are independent"
        );
    }
}
