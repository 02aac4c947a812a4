//! The vault: every secret Lanyard keeps, in the OS keychain, one entry per secret.
//!
//! Each entry has the service `lanyard` and an account made from [`VaultKey::account`]. The store
//! is chosen by `LANYARD_KEYCHAIN` (see [`StoreKind::choose`]) and is never swapped behind the
//! caller's back: there is no plaintext fallback and no silent move to another store. Creating a
//! [`Vault`] touches no keychain, so commands that need no secret work on a machine without one;
//! the first get/set/delete opens the store. Nobody else in Lanyard calls keyring-core, and the
//! keychain's blocking calls run on tokio's blocking pool. Secrets enter as `&Secret` and leave
//! as `Secret`.
//!
//! **One namespace per install.** A vault opened for a profile file ([`Vault::in_install`]) names
//! every entry `install:<id>/<account>`, with the id of [`InstallFile`] (see `install.rs` for why
//! a random id kept beside the file), so two profile files on one keychain never read each
//! other's entries. Callers keep naming keys by source, issuer or purpose alone; the prefix is
//! added here. Every kind of key is per install:
//! - source secrets and tokens, because source ids are names a person picks in one file, and the
//!   same id in another file is another source (issue 14: a token crossed that way);
//! - client registrations, although keyed by issuer: a registration's client secret and its
//!   redirect belong to the install that registered, and one install dropping a registration the
//!   server refused (`invalid_client`) must not sign the other out;
//! - the bridge token, because the hub announcement (`hub.json`) is found through the data folder,
//!   which two installs may share: with one token, a `lanyard bridge` of one install would accept
//!   the other install's hub as proven and reach that install's sources.
//!
//! **Entries from before namespaces** (named by the bare account) are moved, not dropped: the first
//! install that reads or deletes one claims all of them (it writes its id under the bare account
//! `installs/legacy-owner`), and from then on it alone moves them in, each on its first read:
//! write the new entry, then delete the old one. A failed write keeps the old entry and still
//! answers with its value, so nothing is lost half-way; a failed delete leaves a stale copy that
//! the new entry shadows. One owner for the lot, because the old entries all came from the one
//! profile file that used the keychain before, and letting each key go to whichever install asks
//! first would hand one file's token to another file's source of the same id, the very bug.
//! Vaults made with [`Vault::new`] or [`Vault::mock`] are unscoped: they use bare accounts, for
//! tests and tools that look at that layout.

mod error;
mod external;
mod install;
mod key;
#[cfg(target_os = "linux")]
pub mod keyutils;
mod kind;
mod state;
mod store;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use keyring_core::CredentialStore;
use tokio::sync::{Mutex, OnceCell};
use tracing::{debug, info, instrument, warn};

use crate::secret::Secret;

pub use error::{Op, PlatformError, VaultError};
pub use external::{ExternalError, ExternalRef};
pub use install::{INSTALL_ID_FILE, InstallFile, InstallId};
pub use key::{KeyKind, SERVICE, VaultKey};
pub use kind::{KEYCHAIN_ENV, StoreKind};
pub use state::{KeychainState, expiry_words, no_secret_service_fix};

impl StoreKind {
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
}

/// How long the kernel keeps an unused persistent keyring, in seconds (`None`: not Linux, or
/// the setting cannot be read).
fn keyutils_expiry_secs() -> Option<u64> {
    #[cfg(target_os = "linux")]
    return keyutils::expiry().map(|expiry| expiry.as_secs());
    #[cfg(not(target_os = "linux"))]
    None
}

impl VaultKey {
    /// The keychain account of this key in install `id`.
    fn in_install(&self, id: &InstallId) -> Self {
        Self(format!("{INSTALL_PREFIX}{id}/{}", self.0))
    }

    /// The bare account that records which install claimed the entries from before namespaces.
    fn legacy_owner() -> Self {
        Self("installs/legacy-owner".to_owned())
    }

    /// A stored account split into its install (`None`: from before namespaces) and its key.
    fn from_account(account: &str) -> (Option<InstallId>, Self) {
        if let Some(rest) = account.strip_prefix(INSTALL_PREFIX)
            && let Some((id, key)) = rest.split_once('/')
            && let Some(id) = InstallId::parse(id)
        {
            return (Some(id), Self(key.to_owned()));
        }
        (None, Self(account.to_owned()))
    }
}

/// How a namespaced account starts: `install:<id>/`.
const INSTALL_PREFIX: &str = "install:";

/// Lanyard's entries in a store, by name (no value is read), sorted by whose they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entries {
    /// This vault's own entries: its install's, or the bare ones for an unscoped vault.
    pub mine: Vec<VaultKey>,
    /// Entries from before installs had namespaces, not moved into one yet (install vaults only).
    pub unscoped: Vec<VaultKey>,
    /// How many entries each other install holds.
    pub others: BTreeMap<InstallId, usize>,
}

/// The answer of [`Vault::entries`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    Listed(Entries),
    /// The store can only look entries up by name, not list them (the kernel keyring).
    NotListable {
        kind: StoreKind,
    },
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
    scope: Scope,
}

/// Whose entries a vault reads and writes (see the module docs).
#[derive(Debug)]
enum Scope {
    /// Bare accounts: the layout from before namespaces.
    Unscoped,
    /// One install's entries. The id is read (or made) at the first keychain call.
    Install {
        file: InstallFile,
        id: OnceCell<InstallId>,
        /// Whether this install holds the entries from before namespaces, once known.
        owns_legacy: std::sync::Mutex<Option<bool>>,
    },
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
        f.debug_struct("Vault").field("kind", &self.kind).field("scope", &self.scope).finish_non_exhaustive()
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
        Ok(Self { kind, store: Mutex::new(None), held: std::sync::Mutex::default(), scope: Scope::Unscoped })
    }

    /// A vault on its own, empty, in-memory mock store: for tests of other modules only.
    pub fn mock() -> Self {
        Self {
            kind: StoreKind::Mock,
            store: Mutex::new(None),
            held: std::sync::Mutex::default(),
            scope: Scope::Unscoped,
        }
    }

    /// This vault, reading and writing only the entries of the install whose id `file` keeps.
    /// Touches neither the file nor the keychain yet.
    pub fn in_install(self, file: InstallFile) -> Self {
        let scope = Scope::Install { file, id: OnceCell::new(), owns_legacy: std::sync::Mutex::new(None) };
        Self { scope, ..self }
    }

    /// The id of this vault's install, made now if the install has none yet; `None` for an
    /// unscoped vault.
    pub async fn install_id(&self) -> Result<Option<&InstallId>, VaultError> {
        match &self.scope {
            Scope::Unscoped => Ok(None),
            Scope::Install { file, id, .. } => {
                let file = file.clone();
                let id = id
                    .get_or_try_init(|| async move {
                        tokio::task::spawn_blocking(move || file.read_or_create())
                            .await
                            .map_err(|err| VaultError::Interrupted { kind: self.kind, op: Op::Open, err })?
                    })
                    .await?;
                Ok(Some(id))
            }
        }
    }

    /// Which store this vault uses (for `lanyard status`).
    pub fn kind(&self) -> StoreKind {
        self.kind
    }

    /// The keychain's state (see [`KeychainState`]): opens the store and reads one bookkeeping
    /// entry, which no source owns, so a locked keychain shows as locked.
    #[instrument(skip_all, fields(store = self.kind.as_str()))]
    pub async fn state(&self) -> KeychainState {
        let opened = match self.store().await {
            Ok(opened) => opened,
            Err(err) => return KeychainState::from_error(self.kind, &err),
        };
        if let Err(err) = self.read(&VaultKey::legacy_owner()).await {
            return KeychainState::from_error(self.kind, &err);
        }
        #[cfg(target_os = "linux")]
        if let Some(store) = opened.as_any().downcast_ref::<keyutils::Store>() {
            return match store.ring() {
                keyutils::Ring::Persistent => {
                    KeychainState::KeyutilsPersistent { expiry_secs: keyutils_expiry_secs() }
                }
                keyutils::Ring::Session => KeychainState::KeyutilsSession,
            };
        }
        drop(opened);
        KeychainState::Ok { kind: self.kind }
    }

    /// Opens the store now, as the first get/set/delete would: for the Secret Service, connects
    /// to it. Reads nothing, so it does not find out whether the keychain is locked.
    #[instrument(skip_all, fields(store = self.kind.as_str()))]
    pub async fn connect(&self) -> Result<(), VaultError> {
        self.store().await.map(drop)
    }

    /// The secret under `key`, or `None` if there is none. A value held since the keychain
    /// refused it is settled first (see [`Vault::settle`]); an entry from before namespaces is
    /// moved into this install (see the module docs).
    #[instrument(skip_all, fields(key = %key, store = self.kind.as_str()))]
    pub async fn get(&self, key: &VaultKey) -> Result<Option<Secret>, VaultError> {
        if let Some(held) = self.held(key) {
            return Ok(Some(self.settle(key, held).await));
        }
        let stored = self.stored(key).await?;
        match self.read(&stored).await? {
            Some(value) => Ok(Some(value)),
            None => self.adopt(key, &stored).await,
        }
    }

    /// What a read of a key with a held value gives: the keychain's own value when it is newer
    /// (and the held one is dropped), else the held one, written now if the keychain takes it.
    /// While the keychain cannot be read, the held value.
    async fn settle(&self, key: &VaultKey, held: Held) -> Secret {
        let read = match self.stored(key).await {
            Ok(stored) => self.read(&stored).await,
            Err(err) => Err(err),
        };
        match read {
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

    /// The keychain account `key` is stored under in this vault's scope.
    async fn stored(&self, key: &VaultKey) -> Result<VaultKey, VaultError> {
        Ok(match self.install_id().await? {
            Some(id) => key.in_install(id),
            None => key.clone(),
        })
    }

    /// The value of a source's secret reference: its vault entry (`None` when there is none), or,
    /// for a reference with a scheme, the password manager's value read now (see `external.rs`;
    /// an error when there is none, naming the reference).
    pub async fn source_secret(
        &self,
        id: &crate::ids::SourceId,
        reference: &crate::ids::SecretRef,
    ) -> Result<Option<Secret>, VaultError> {
        match ExternalRef::parse(&reference.0) {
            None => self.get(&VaultKey::source_secret(id, reference)).await,
            Some(Err(bad)) => Err(bad.into()),
            Some(Ok(ExternalRef::Keychain { service, account })) => match self.named(service, account).await?
            {
                Some(value) => Ok(Some(value)),
                None => Err(ExternalError::NoEntry { reference: reference.0.clone() }.into()),
            },
            Some(Ok(external)) => Ok(Some(external.run(&reference.0).await?)),
        }
    }

    /// The OS keychain's entry of another program (`service`, `account`), read as is: no install
    /// prefix, no migration, never written.
    async fn named(&self, service: &str, account: &str) -> Result<Option<Secret>, VaultError> {
        let opened = self.store().await?;
        let kind = self.kind;
        let key = VaultKey::named(service, account);
        let (service, account) = (service.to_owned(), account.to_owned());
        let read =
            tokio::task::spawn_blocking(move || opened.build(&service, &account, None)?.get_password())
                .await
                .map_err(|err| VaultError::Interrupted { kind, op: Op::Read, err })?;
        match read {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(err) => Err(self.failed(VaultError::from_keyring(kind, &key, Op::Read, err))),
        }
    }

    /// The keychain's own value under the account `stored`.
    async fn read(&self, stored: &VaultKey) -> Result<Option<Secret>, VaultError> {
        match self.call_reconnecting(stored, Op::Read, |entry| entry.get_password()).await? {
            Ok(value) => {
                debug!(found = true, "read");
                Ok(Some(Secret::new(value)))
            }
            Err(keyring_core::Error::NoEntry) => {
                debug!(found = false, "read");
                Ok(None)
            }
            Err(err) => Err(self.failed(VaultError::from_keyring(self.kind, stored, Op::Read, err))),
        }
    }

    /// Stores `value` under `key`, replacing any value there.
    #[instrument(skip_all, fields(key = %key, store = self.kind.as_str()))]
    pub async fn set(&self, key: &VaultKey, value: &Secret) -> Result<(), VaultError> {
        let stored = self.stored(key).await?;
        self.write(&stored, value).await?;
        self.release(key);
        Ok(())
    }

    /// Writes `value` under the account `stored`.
    async fn write(&self, stored: &VaultKey, value: &Secret) -> Result<(), VaultError> {
        let sent = value.clone();
        match self
            .call_reconnecting(stored, Op::Write, move |entry| entry.set_password(sent.expose()))
            .await?
        {
            Ok(()) => {
                debug!("written");
                Ok(())
            }
            Err(err) => {
                let err = VaultError::from_keyring(self.kind, stored, Op::Write, err).redact(value.expose());
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

    /// Removes the secret under `key`; `true` if there was one. An entry from before namespaces
    /// under the same name goes too when this install holds those, or the next read would bring
    /// it back.
    #[instrument(skip_all, fields(key = %key, store = self.kind.as_str()))]
    pub async fn delete(&self, key: &VaultKey) -> Result<bool, VaultError> {
        self.release(key);
        let stored = self.stored(key).await?;
        let deleted = self.remove(&stored).await?;
        if stored != *key && self.read(key).await?.is_some() && self.owns_legacy().await? {
            return Ok(self.remove(key).await? || deleted);
        }
        Ok(deleted)
    }

    /// Deletes the account `stored`; `true` if it was there.
    async fn remove(&self, stored: &VaultKey) -> Result<bool, VaultError> {
        match self.call_reconnecting(stored, Op::Delete, |entry| entry.delete_credential()).await? {
            Ok(()) => {
                debug!(deleted = true, "delete");
                Ok(true)
            }
            Err(keyring_core::Error::NoEntry) => {
                debug!(deleted = false, "delete");
                Ok(false)
            }
            Err(err) => Err(self.failed(VaultError::from_keyring(self.kind, stored, Op::Delete, err))),
        }
    }

    /// The entry from before namespaces for `key`, moved to `stored` in this install if this
    /// install holds those entries: written anew first, the old one deleted after, so a failure
    /// in between loses nothing (the old entry stays, and the value is still answered).
    async fn adopt(&self, key: &VaultKey, stored: &VaultKey) -> Result<Option<Secret>, VaultError> {
        if stored == key {
            return Ok(None);
        }
        let Some(value) = self.read(key).await? else { return Ok(None) };
        if !self.owns_legacy().await? {
            debug!("an entry from before namespaces belongs to another install; not used");
            return Ok(None);
        }
        if let Err(err) = self.write(stored, &value).await {
            warn!(%err, "could not move a keychain entry into this install's namespace; it is used where it is");
            return Ok(Some(value));
        }
        match self.remove(key).await {
            Ok(_) => info!("a keychain entry from before namespaces was moved into this install's"),
            Err(err) => {
                warn!(%err, "moved a keychain entry into this install's namespace, but the old one stays")
            }
        }
        Ok(Some(value))
    }

    /// Whether this install holds the entries from before namespaces, claiming them if no
    /// install has yet (see the module docs). Two installs claiming at once both write; the id
    /// read back afterwards decides, so at most the later writer and the earlier one that read
    /// its own id back before the later write can both believe they won. Cached once known.
    async fn owns_legacy(&self) -> Result<bool, VaultError> {
        let Scope::Install { owns_legacy, .. } = &self.scope else { return Ok(false) };
        if let Some(known) = *owns_legacy.lock().expect("legacy owner") {
            return Ok(known);
        }
        let Some(id) = self.install_id().await? else { return Ok(false) };
        let marker = VaultKey::legacy_owner();
        let owner = match self.read(&marker).await? {
            Some(owner) => owner,
            None => {
                self.write(&marker, &Secret::new(id.as_str())).await?;
                info!(install = %id, "this install takes over the keychain entries from before namespaces");
                self.read(&marker).await?.unwrap_or_else(|| Secret::new(""))
            }
        };
        let ours = InstallId::parse(owner.expose()).as_ref() == Some(id);
        *owns_legacy.lock().expect("legacy owner") = Some(ours);
        Ok(ours)
    }

    /// Every Lanyard entry in the store, by name, sorted by whose it is (see [`Entries`]). No
    /// value is read. [`Listing::NotListable`] when the store cannot list (the kernel keyring).
    #[instrument(skip_all, fields(store = self.kind.as_str()))]
    pub async fn entries(&self) -> Result<Listing, VaultError> {
        let mine = self.install_id().await?.cloned();
        let opened = self.store().await?;
        let kind = self.kind;
        let searched = tokio::task::spawn_blocking(move || {
            let found = opened.search(&HashMap::from([("service", SERVICE)]))?;
            // The mock store matches the service as a substring; the name must be exact.
            let accounts = found
                .iter()
                .filter_map(keyring_core::Entry::get_specifiers)
                .filter(|(service, _)| service == SERVICE)
                .map(|(_, account)| account);
            Ok::<_, keyring_core::Error>(accounts.collect::<Vec<String>>())
        })
        .await
        .map_err(|err| VaultError::Interrupted { kind, op: Op::List, err })?;
        let accounts = match searched {
            Ok(accounts) => accounts,
            Err(keyring_core::Error::NotSupportedByStore(_)) => return Ok(Listing::NotListable { kind }),
            Err(err) => {
                return Err(self.failed(VaultError::List { kind, err: PlatformError::from_keyring(err) }));
            }
        };
        let mut entries = Entries::default();
        for account in accounts {
            let (install, key) = VaultKey::from_account(&account);
            match (install, &mine) {
                (None, _) if key == VaultKey::legacy_owner() => {}
                (None, None) => entries.mine.push(key),
                (None, Some(_)) => entries.unscoped.push(key),
                (Some(install), Some(mine)) if install == *mine => entries.mine.push(key),
                (Some(install), _) => *entries.others.entry(install).or_default() += 1,
            }
        }
        for list in [&mut entries.mine, &mut entries.unscoped] {
            list.sort_by(|a, b| a.0.cmp(&b.0));
            list.dedup();
        }
        Ok(Listing::Listed(entries))
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
    use crate::ids::{SecretRef, SourceId};

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
    fn an_install_prefixes_every_kind_of_key() {
        let id = InstallId::parse("0123456789abcdef").unwrap();
        let github = source("github");
        let header = VaultKey::source_secret(&github, &SecretRef::header("Authorization"));
        let cases = [
            (header.clone(), "install:0123456789abcdef/source:github/header/Authorization"),
            (VaultKey::source_tokens(&github), "install:0123456789abcdef/source:github/oauth/tokens"),
            (
                VaultKey::registration("https://auth.example.com"),
                "install:0123456789abcdef/issuer:https://auth.example.com/registration",
            ),
            (VaultKey::bridge_token(), "install:0123456789abcdef/bridge/token"),
        ];
        for (key, account) in cases {
            let stored = key.in_install(&id);
            assert_eq!(stored.account(), account, "{key} is stored under its install");
            assert_eq!(
                VaultKey::from_account(stored.account()),
                (Some(id.clone()), key.clone()),
                "the stored account reads back as install + key"
            );
        }
        let other = InstallId::parse("fedcba9876543210").unwrap();
        assert_ne!(header.in_install(&id), header.in_install(&other), "two installs never share an entry");
        assert_eq!(
            VaultKey::from_account("source:github/oauth/tokens"),
            (None, VaultKey::source_tokens(&github)),
            "a bare account is from before namespaces"
        );
        assert_eq!(
            VaultKey::from_account("install:nothex/x").0,
            None,
            "a prefix without a valid id is not an install"
        );
    }

    #[test]
    fn a_key_says_what_it_is_for() {
        let github = source("github");
        assert_eq!(
            VaultKey::source_secret(&github, &SecretRef::header("X-Api-Key")).kind(),
            KeyKind::SourceSecret { id: github.clone(), reference: SecretRef::header("X-Api-Key") }
        );
        assert_eq!(VaultKey::source_tokens(&github).kind(), KeyKind::SourceTokens { id: github });
        assert_eq!(
            VaultKey::registration("https://as.example/tenant").kind(),
            KeyKind::Registration { issuer: "https://as.example/tenant".to_owned() }
        );
        assert_eq!(VaultKey::bridge_token().kind(), KeyKind::BridgeToken);
        assert_eq!(VaultKey::legacy_owner().kind(), KeyKind::Unknown, "bookkeeping is no secret's");
    }

    /// A mock vault in an install whose id file lives in `dir`.
    fn install_vault(dir: &tempfile::TempDir) -> Vault {
        Vault::mock().in_install(InstallFile::beside(&dir.path().join("profiles.toml")))
    }

    #[tokio::test]
    async fn an_entry_from_before_namespaces_is_moved_on_first_read() {
        let dir = tempfile::tempdir().unwrap();
        let vault = install_vault(&dir);
        let key = VaultKey::source_tokens(&source("h"));
        vault.write(&key, &Secret::new("old-tokens")).await.unwrap(); // the bare account
        let got = vault.get(&key).await.unwrap();
        assert_eq!(got.as_ref().map(Secret::expose), Some("old-tokens"), "the old value is answered");
        let id = vault.install_id().await.unwrap().cloned().expect("an install vault has an id");
        assert_eq!(
            vault.read(&key.in_install(&id)).await.unwrap().as_ref().map(Secret::expose),
            Some("old-tokens"),
            "the value now lives in the install's namespace"
        );
        assert!(vault.read(&key).await.unwrap().is_none(), "the old entry is gone");
        assert_eq!(
            vault.read(&VaultKey::legacy_owner()).await.unwrap().as_ref().map(Secret::expose),
            Some(id.as_str()),
            "the install recorded that it holds the old entries"
        );
    }

    #[tokio::test]
    async fn old_entries_claimed_by_another_install_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let vault = install_vault(&dir);
        let key = VaultKey::source_secret(&source("h"), &SecretRef::header("Authorization"));
        vault.write(&VaultKey::legacy_owner(), &Secret::new("fedcba9876543210")).await.unwrap();
        vault.write(&key, &Secret::new("theirs")).await.unwrap();
        assert!(vault.get(&key).await.unwrap().is_none(), "another install's old entry is not read");
        assert!(!vault.delete(&key).await.unwrap(), "nor deleted");
        assert!(vault.read(&key).await.unwrap().is_some(), "it stays for its owner");
    }

    #[tokio::test]
    async fn deleting_also_removes_an_old_entry_of_the_same_name() {
        let dir = tempfile::tempdir().unwrap();
        let vault = install_vault(&dir);
        let key = VaultKey::source_tokens(&source("h"));
        vault.write(&key, &Secret::new("old")).await.unwrap();
        assert!(vault.delete(&key).await.unwrap(), "there was an entry to delete");
        assert!(vault.get(&key).await.unwrap().is_none(), "and nothing comes back at the next read");
    }

    #[tokio::test]
    async fn entries_are_sorted_by_whose_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let vault = install_vault(&dir);
        let mine = VaultKey::source_tokens(&source("a"));
        vault.set(&mine, &Secret::new("x")).await.unwrap();
        let old = VaultKey::source_tokens(&source("b"));
        vault.write(&old, &Secret::new("x")).await.unwrap();
        let other = InstallId::parse("fedcba9876543210").unwrap();
        vault.write(&mine.in_install(&other), &Secret::new("x")).await.unwrap();
        vault.write(&VaultKey::legacy_owner(), &Secret::new(other.as_str())).await.unwrap();
        let Listing::Listed(entries) = vault.entries().await.unwrap() else {
            panic!("the mock store can list");
        };
        assert_eq!(entries.mine, vec![mine], "this install's own entry");
        assert_eq!(entries.unscoped, vec![old], "the old entry, without the bookkeeping one");
        assert_eq!(entries.others, BTreeMap::from([(other, 1)]), "the other install, counted");
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
