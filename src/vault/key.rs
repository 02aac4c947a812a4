//! How a vault entry is named: the keychain service `lanyard`, and an account that says whose
//! secret it is ([`VaultKey`]), read back into what it is for ([`KeyKind`]). Below the vault
//! and its errors, which both name entries.

use std::fmt;

use crate::ids::{SecretRef, SourceId};

/// The keychain service of every Lanyard entry.
pub const SERVICE: &str = "lanyard";

/// The name of one vault entry (the keychain "account"; the service is always `lanyard`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VaultKey(pub(super) String);

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
    /// An identity session at an identity provider (enterprise-managed authorization), shared by
    /// every source that signs in there with that client: `idp:<issuer>#<client id>`.
    pub fn identity_session(issuer: &str, client_id: &str) -> Self {
        Self(format!("idp:{issuer}#{client_id}"))
    }
    /// The token local clients present to the bridge.
    pub fn bridge_token() -> Self {
        Self("bridge/token".to_owned())
    }
    /// Another program's keychain entry, named by a `keychain://service/account` reference: only
    /// ever read, and named this way in errors.
    pub(super) fn named(service: &str, account: &str) -> Self {
        Self(format!("keychain://{service}/{account}"))
    }
    /// The token agent `name` presents to the bridge.
    pub fn agent_token(name: &crate::agents::AgentName) -> Self {
        Self(format!("agent:{name}/token"))
    }
    /// The name of this entry within an install (the keychain account of an unscoped vault).
    pub fn account(&self) -> &str {
        &self.0
    }

    /// What the entry is for, read back from its name: `lanyard doctor` matches it against the
    /// profile file.
    pub fn kind(&self) -> KeyKind {
        if let Some(rest) = self.0.strip_prefix("source:")
            && let Some((id, what)) = rest.split_once('/')
            && let Ok(id) = id.parse::<SourceId>()
        {
            return match what {
                "oauth/tokens" => KeyKind::SourceTokens { id },
                reference => KeyKind::SourceSecret { id, reference: SecretRef(reference.to_owned()) },
            };
        }
        if let Some(issuer) =
            self.0.strip_prefix("issuer:").and_then(|rest| rest.strip_suffix("/registration"))
        {
            return KeyKind::Registration { issuer: issuer.to_owned() };
        }
        if let Some((issuer, client_id)) = self.0.strip_prefix("idp:").and_then(|rest| rest.rsplit_once('#'))
        {
            return KeyKind::IdentitySession { issuer: issuer.to_owned(), client_id: client_id.to_owned() };
        }
        if let Some(name) = self.0.strip_prefix("agent:").and_then(|rest| rest.strip_suffix("/token"))
            && let Ok(name) = name.parse()
        {
            return KeyKind::AgentToken { name };
        }
        if self == &Self::bridge_token() { KeyKind::BridgeToken } else { KeyKind::Unknown }
    }
}

/// What a vault entry is for (see [`VaultKey::kind`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyKind {
    SourceSecret {
        id: SourceId,
        reference: SecretRef,
    },
    SourceTokens {
        id: SourceId,
    },
    Registration {
        issuer: String,
    },
    IdentitySession {
        issuer: String,
        client_id: String,
    },
    BridgeToken,
    AgentToken {
        name: crate::agents::AgentName,
    },
    /// A name this version of Lanyard does not make.
    Unknown,
}

impl fmt::Display for VaultKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
