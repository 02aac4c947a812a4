//! Picking and opening the keychain store, and building one entry in it.
//!
//! Everything here blocks (D-Bus, the kernel, the OS keychain APIs), so the vault only calls it
//! from `spawn_blocking`. Each store is opened for one `Vault` and handed back as an
//! `Arc<CredentialStore>`; keyring-core's process-global default store is never set, so tests and
//! callers with different vaults cannot change each other's keychain.

use std::collections::HashMap;
use std::sync::Arc;

use keyring_core::{CredentialStore, Entry};

use super::error::PlatformError;
use super::{SERVICE, StoreKind, VaultError, VaultKey};

/// Opens the store. For the Secret Service this connects to the session bus and negotiates an
/// encrypted session, so failing here means no Secret Service is reachable.
pub(super) fn open(kind: StoreKind) -> Result<Arc<CredentialStore>, VaultError> {
    match kind {
        StoreKind::Mock => Ok(keyring_core::mock::Store::new()
            .map_err(|err| VaultError::Open { kind, err: PlatformError::from_keyring(err) })?),
        #[cfg(target_os = "linux")]
        StoreKind::SecretService => match zbus_secret_service_keyring_store::Store::new() {
            Ok(store) => Ok(store),
            Err(err) => Err(VaultError::NoSecretService {
                bus_address: std::env::var("DBUS_SESSION_BUS_ADDRESS").ok(),
                err: PlatformError::from_keyring(err),
            }),
        },
        #[cfg(target_os = "linux")]
        StoreKind::Keyutils => Ok(super::keyutils::Store::open()
            .map_err(|err| VaultError::Open { kind, err: PlatformError::from_keyring(err) })?),
        // Needs the `keychain` feature of apple-native-keyring-store (the crate has no default).
        #[cfg(target_os = "macos")]
        StoreKind::MacosKeychain => Ok(apple_native_keyring_store::keychain::Store::new()
            .map_err(|err| VaultError::Open { kind, err: PlatformError::from_keyring(err) })?),
        #[cfg(target_os = "windows")]
        StoreKind::WindowsCredentialManager => Ok(windows_native_keyring_store::Store::new()
            .map_err(|err| VaultError::Open { kind, err: PlatformError::from_keyring(err) })?),
        other => Err(VaultError::Unsupported { kind: other }),
    }
}

/// The entry for the stored key `key` (with its install prefix, see [`super::Vault`]): service
/// `lanyard`, account `key.account()`. Building touches nothing on
/// most stores; it runs on the blocking pool all the same.
pub(super) fn entry(store: &CredentialStore, kind: StoreKind, key: &VaultKey) -> keyring_core::Result<Entry> {
    match kind {
        // Secret Service items show a label in Seahorse / KeePassXC; the default would be
        // `keyring:<account>@lanyard`. The label is set when the item is created.
        StoreKind::SecretService => {
            let label = label(key);
            let modifiers = HashMap::from([("label", label.as_str())]);
            store.build(SERVICE, key.account(), Some(&modifiers))
        }
        _ => store.build(SERVICE, key.account(), None),
    }
}

/// The label a Secret Service item gets, e.g. `Lanyard: source:github/header/Authorization`.
pub(super) fn label(key: &VaultKey) -> String {
    format!("Lanyard: {}", key.account())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_names_the_app_and_the_account() {
        assert_eq!(
            label(&VaultKey::bridge_token()),
            "Lanyard: bridge/token",
            "the label is what people see in their keyring app"
        );
    }

    #[test]
    fn mock_entries_share_storage_within_one_store() {
        let store = open(StoreKind::Mock).expect("the mock store always opens");
        let key = VaultKey::bridge_token();
        entry(&*store, StoreKind::Mock, &key).unwrap().set_password("first").unwrap();
        let again = entry(&*store, StoreKind::Mock, &key).unwrap();
        assert_eq!(
            again.get_password().ok().as_deref(),
            Some("first"),
            "a second entry must see the first one's value"
        );

        let other_store = open(StoreKind::Mock).unwrap();
        let elsewhere = entry(&*other_store, StoreKind::Mock, &key).unwrap();
        assert!(
            matches!(elsewhere.get_password(), Err(keyring_core::Error::NoEntry)),
            "two mock stores must not share entries"
        );
    }
}
