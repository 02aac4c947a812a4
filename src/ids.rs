//! The names things are filed under: a source's id and the name of a secret within its source.
//! Both come from the profile file, yet the vault, the activity log, remedies, error texts and
//! the bridge all carry them.
//!
//! They sit on the ground floor, importing nothing from the crate, so that a module can name a
//! source without importing the profile model (and the vault, the network and remedies behind
//! it). Random ids (sign-in `state`, PKCE verifiers, session ids, nonces) are minted here too, so
//! there is one way to draw them from the operating system.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A source's id: a slug of lowercase letters, digits, `-` and `_`, 1 to 40 characters, starting
/// with a letter or digit. Ids name vault entries, log files and bridge routes, and prefix tool
/// names in the merged server (which clients cap at 64 characters), hence the limits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceId(String);

impl SourceId {
    pub const MAX_LEN: usize = 40;

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A valid id standing in for one not typed well yet, so that the rest of a form can still
    /// be checked (`profile::Form::problems`); never saved.
    pub(crate) fn stand_in() -> Self {
        Self("source".to_owned())
    }
}

/// Whether `given` is a name a person picks for a source or an agent: 1 to `max_len` lowercase
/// letters, digits, `-` or `_`, starting with a letter or digit. Such names go into keychain
/// entry names, file names and tool-name prefixes, so they stay plain.
pub fn is_slug(given: &str, max_len: usize) -> bool {
    let valid_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
    let starts_well = given.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    starts_well && given.len() <= max_len && given.chars().all(valid_char)
}

/// Why a string is not a valid [`SourceId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{given}` is not a valid source id: use 1 to {max} lowercase letters, digits, `-` or `_`, starting with a letter or digit",
    max = SourceId::MAX_LEN
)]
pub struct InvalidSourceId {
    pub given: String,
}

impl FromStr for SourceId {
    type Err = InvalidSourceId;

    fn from_str(given: &str) -> Result<Self, Self::Err> {
        if is_slug(given, Self::MAX_LEN) {
            Ok(Self(given.to_owned()))
        } else {
            Err(InvalidSourceId { given: given.to_owned() })
        }
    }
}

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for SourceId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SourceId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

/// The name of a secret inside its source's part of the vault, e.g. `header/X-Api-Key`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretRef(pub String);

impl SecretRef {
    pub fn header(name: &str) -> Self {
        Self(format!("header/{name}"))
    }
    pub fn env(name: &str) -> Self {
        Self(format!("env/{name}"))
    }
    pub fn client_secret() -> Self {
        Self("oauth/client-secret".to_owned())
    }
    pub fn service_token() -> Self {
        Self("oauth/service-token".to_owned())
    }
    pub fn client_key() -> Self {
        Self("oauth/client-key".to_owned())
    }
    /// Whether this names a value in a password manager (`op://...`, see `vault/external.rs`)
    /// rather than one of the source's own vault entries: Lanyard never writes or deletes it.
    pub fn is_external(&self) -> bool {
        self.0.contains("://")
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `bytes` random bytes from the operating system, as unpadded base64url (43 characters for 32
/// bytes): for values that travel in URLs, such as a sign-in's `state` or a PKCE verifier.
pub fn random_base64url(bytes: usize) -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(bytes))
}

/// `bytes` random bytes from the operating system, as lower-case hex (32 characters for 16 bytes).
pub fn random_hex(bytes: usize) -> String {
    random_bytes(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn random_bytes(bytes: usize) -> Vec<u8> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random source works");
    buf
}
