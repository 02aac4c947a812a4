//! Which keychain backs the vault, as `LANYARD_KEYCHAIN` names it: the stores this build knows,
//! the one each operating system uses by default, and how they are worded. Below the vault and
//! its errors, which both speak of a store kind.

use std::fmt;

/// The environment variable that picks the store.
pub const KEYCHAIN_ENV: &str = "LANYARD_KEYCHAIN";

/// Which keychain backs the vault. Its `serde` name is also its `LANYARD_KEYCHAIN` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum StoreKind {
    /// The freedesktop Secret Service (gnome-keyring, KeePassXC, KWallet) over D-Bus. Linux default.
    SecretService,
    /// The Linux kernel keyring, in the user's persistent keyring. Opt-in for headless machines:
    /// it forgets everything at reboot, or once unused for the kernel's persistent keyring expiry.
    Keyutils,
    /// The macOS login keychain. macOS default.
    MacosKeychain,
    /// The Windows Credential Manager. Windows default.
    WindowsCredentialManager,
    /// keyring-core's in-memory mock, for unit tests of other modules only: each [`Vault`](super::Vault) has its
    /// own, and it forgets everything when that `Vault` is dropped.
    Mock,
}

impl StoreKind {
    pub(super) const ALL: [StoreKind; 5] = [
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

    /// The `LANYARD_KEYCHAIN` values this build accepts on this system, for error messages.
    pub(super) fn accepted_values() -> String {
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
