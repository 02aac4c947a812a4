//! The Linux kernel keyring as a keyring-core store, kept in the user's *persistent* keyring.
//!
//! linux-keyutils-keyring-store (the store keyring-core offers for keyutils) adds each key to the
//! process's session keyring and only links it into the persistent keyring as well. Outside a
//! session keyring made for the login (an SSH session without `pam_keyinit`, a container, a CI
//! job) that fails with `EACCES`, or writes into a keyring the next `lanyard` process does not
//! search, so a secret was lost between two commands. This store puts every key straight into
//! the per-user persistent keyring (`keyctl get_persistent`, persistent-keyring(7)), which the
//! kernel keeps across sessions and processes of the same user:
//! - each call asks the kernel for that keyring and links it into the calling thread's own
//!   keyring, which makes the thread its possessor (the keyring grants its owner nothing without
//!   possession) and restarts its expiry timer. Per call and per thread, because a thread's
//!   keyrings are its own credentials: the vault's calls run on whichever blocking-pool thread
//!   is free, and one that never linked the keyring would be refused;
//! - keys are added to, searched in and invalidated in that keyring only.
//!
//! The persistent keyring is forgotten when it has gone unused for
//! `/proc/sys/kernel/keys/persistent_keyring_expiry` seconds (3 days by default), and at reboot;
//! every `lanyard` command that opens the keychain restarts the timer. A kernel without
//! persistent keyrings (`CONFIG_PERSISTENT_KEYRINGS` off) falls back to the session keyring, as
//! before, and says so in [`Ring`].
//!
//! Keys are named `keyring:<account>@<service>`, as the older store named them, so entries written
//! into the persistent keyring by earlier versions are found.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use keyring_core::api::{CredentialApi, CredentialPersistence, CredentialStoreApi};
use keyring_core::{Credential, Entry, Error};
use linux_keyutils::{KeyError, KeyRing, KeyRingIdentifier, KeyType, LinkNode};

/// Where the kernel file with the persistent keyring's expiry lives.
pub const EXPIRY_FILE: &str = "/proc/sys/kernel/keys/persistent_keyring_expiry";

/// Which kernel keyring holds Lanyard's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ring {
    /// The user's persistent keyring: kept across sessions until unused for [`expiry`].
    Persistent,
    /// The session keyring, on a kernel without persistent keyrings: gone with the session.
    Session,
}

/// How long the persistent keyring lives unused, read from the kernel (`None` if unreadable).
pub fn expiry() -> Option<Duration> {
    let text = std::fs::read_to_string(EXPIRY_FILE).ok()?;
    text.trim().parse().ok().map(Duration::from_secs)
}

/// The store: which kernel keyring it uses, found when it is opened.
#[derive(Debug)]
pub struct Store {
    kind: Ring,
}

impl Store {
    /// Finds the persistent keyring (or, on a kernel without one, the session keyring).
    pub fn open() -> keyring_core::Result<Arc<Self>> {
        match KeyRing::get_persistent(KeyRingIdentifier::Thread) {
            Ok(_) => Ok(Arc::new(Self { kind: Ring::Persistent })),
            Err(KeyError::OperationNotSupported) => {
                KeyRing::from_special_id(KeyRingIdentifier::Session, false).map_err(storage)?;
                Ok(Arc::new(Self { kind: Ring::Session }))
            }
            Err(err) => Err(storage(err)),
        }
    }

    /// Which keyring this store uses.
    pub fn ring(&self) -> Ring {
        self.kind
    }
}

fn description(service: &str, account: &str) -> String {
    format!("keyring:{account}@{service}")
}

/// The service and account of a key made by [`description`].
fn specifiers(description: &str) -> Option<(String, String)> {
    let (account, service) = description.strip_prefix("keyring:")?.rsplit_once('@')?;
    Some((service.to_owned(), account.to_owned()))
}

impl CredentialStoreApi for Store {
    fn vendor(&self) -> String {
        "Lanyard's persistent kernel keyring store".to_owned()
    }

    fn id(&self) -> String {
        format!("{:?}", self.kind)
    }

    fn build(
        &self,
        service: &str,
        user: &str,
        _: Option<&HashMap<&str, &str>>,
    ) -> keyring_core::Result<Entry> {
        let cred = Cred { kind: self.kind, service: service.to_owned(), account: user.to_owned() };
        Ok(Entry::new_with_credential(Arc::new(cred)))
    }

    /// Lists the keys of the keyring whose service is `spec["service"]` (by name, no value read).
    fn search(&self, spec: &HashMap<&str, &str>) -> keyring_core::Result<Vec<Entry>> {
        let wanted = spec.get("service").copied();
        let links = ring(self.kind)?.get_links(4096).map_err(platform)?;
        let mut found = Vec::new();
        for link in links.iter() {
            let LinkNode::Key(key) = link else { continue };
            let Ok(metadata) = key.metadata() else { continue };
            if metadata.get_type() != KeyType::User {
                continue;
            }
            let Some((service, account)) = specifiers(metadata.get_description()) else { continue };
            if wanted.is_none_or(|wanted| wanted == service) {
                found.push(self.build(&service, &account, None)?);
            }
        }
        Ok(found)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn persistence(&self) -> CredentialPersistence {
        CredentialPersistence::UntilReboot
    }
}

/// The keyring of `kind`, possessed by the calling thread (see the module docs).
fn ring(kind: Ring) -> keyring_core::Result<KeyRing> {
    match kind {
        Ring::Persistent => KeyRing::get_persistent(KeyRingIdentifier::Thread).map_err(storage),
        Ring::Session => KeyRing::from_special_id(KeyRingIdentifier::Session, false).map_err(storage),
    }
}

/// One key in the store's keyring.
#[derive(Debug)]
struct Cred {
    kind: Ring,
    service: String,
    account: String,
}

impl Cred {
    fn description(&self) -> String {
        description(&self.service, &self.account)
    }
}

impl CredentialApi for Cred {
    fn set_secret(&self, secret: &[u8]) -> keyring_core::Result<()> {
        if secret.is_empty() {
            return Err(Error::Invalid("secret".to_owned(), "cannot be empty".to_owned()));
        }
        ring(self.kind)?.add_key(&self.description(), secret).map_err(classify)?;
        Ok(())
    }

    fn get_secret(&self) -> keyring_core::Result<Vec<u8>> {
        let key = ring(self.kind)?.search(&self.description()).map_err(classify)?;
        key.read_to_vec().map_err(classify)
    }

    /// Takes the key out of the keyring, then invalidates it. Invalidating alone is not enough:
    /// the kernel collects an invalidated key a moment later, and until then a search still
    /// finds it and answers `EACCES`, which would read as a refusal rather than as "gone". The
    /// key is held in this process's own keyring meanwhile, so that it stays ours to invalidate.
    fn delete_credential(&self) -> keyring_core::Result<()> {
        let ring = ring(self.kind)?;
        let key = ring.search(&self.description()).map_err(classify)?;
        let own = KeyRing::from_special_id(KeyRingIdentifier::Thread, true).map_err(classify)?;
        own.link_key(key).map_err(classify)?;
        let unlinked = ring.unlink_key(key).map_err(classify);
        let invalidated = key.invalidate().map_err(classify);
        unlinked.and(invalidated)
    }

    fn get_credential(&self) -> keyring_core::Result<Option<Arc<Credential>>> {
        ring(self.kind)?.search(&self.description()).map_err(classify)?;
        Ok(None)
    }

    fn get_specifiers(&self) -> Option<(String, String)> {
        Some((self.service.clone(), self.account.clone()))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// The kernel's answer as keyring-core's: the several ways of saying "no such key" (a key being
/// invalidated can answer any of them for a moment) are `NoEntry`.
fn classify(err: KeyError) -> Error {
    match err {
        KeyError::KeyDoesNotExist | KeyError::KeyRevoked | KeyError::KeyExpired => Error::NoEntry,
        KeyError::AccessDenied => storage(err),
        KeyError::InvalidDescription | KeyError::InvalidArguments => {
            Error::Invalid("key".to_owned(), format!("rejected by the kernel ({err:?})"))
        }
        other => platform(other),
    }
}

fn storage(err: KeyError) -> Error {
    Error::NoStorageAccess(Box::new(Kernel(err)))
}

fn platform(err: KeyError) -> Error {
    Error::PlatformFailure(Box::new(Kernel(err)))
}

/// A kernel keyring error with a readable `Display`.
#[derive(Debug)]
struct Kernel(KeyError);

impl std::fmt::Display for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the kernel keyring answered {:?}", self.0)
    }
}

impl std::error::Error for Kernel {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_read_back_as_service_and_account() {
        let made = description("lanyard", "install:0123456789abcdef/issuer:https://a@b/registration");
        assert_eq!(made, "keyring:install:0123456789abcdef/issuer:https://a@b/registration@lanyard");
        assert_eq!(
            specifiers(&made),
            Some((
                "lanyard".to_owned(),
                "install:0123456789abcdef/issuer:https://a@b/registration".to_owned()
            )),
            "the service is after the last `@`, so an `@` in the account survives"
        );
        assert_eq!(specifiers("_ses"), None, "a key Lanyard did not name is not one of its entries");
    }
}
