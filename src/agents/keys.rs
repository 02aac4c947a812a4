//! Each agent's credential: a random token in the keychain (`agent:<name>/token`), made on first
//! use like the bridge token, which is the built-in agent `default`'s. An agent presents it as
//! the bearer token to `lanyard serve`, or, for `lanyard bridge --agent <name>`, in
//! [`TOKEN_VAR`]. [`Keyring`] is the door's table from token to agent, compared in constant time.

use std::sync::Arc;

use super::access::Access;
use super::model::{AgentName, AgentProfile};
use crate::profile::ProfileFile;
use crate::secret::Secret;
use crate::vault::{Vault, VaultError, VaultKey};

/// The environment variable a stdio bridge reads its agent's token from.
pub const TOKEN_VAR: &str = "LANYARD_AGENT_TOKEN";

/// The environment variable an HTTP client's entry names for agent `name`'s token
/// (`LANYARD_AGENT_TOKEN_CURSOR` for `cursor`): one per agent, so that clients started from one
/// shell can each hold their own agent's key. Letters upper-cased, anything else `_`.
pub fn token_var_of(name: &AgentName) -> String {
    let suffix: String = name
        .as_str()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' })
        .collect();
    format!("{TOKEN_VAR}_{suffix}")
}

/// Agent `name`'s token, made on first use.
pub async fn agent_token(vault: &Vault, name: &AgentName) -> Result<Secret, VaultError> {
    if name.is_default() {
        return crate::bridge::bridge_token(vault).await;
    }
    crate::bridge::kept_token(vault, VaultKey::agent_token(name)).await
}

/// Agent `name`'s token if it has one, never making one.
pub async fn existing_token(vault: &Vault, name: &AgentName) -> Result<Option<Secret>, VaultError> {
    let key = if name.is_default() { VaultKey::bridge_token() } else { VaultKey::agent_token(name) };
    Ok(vault.get(&key).await?.filter(|token| !token.is_empty()))
}

/// Gives agent `name` a new token; the old one stops working.
pub async fn rotate_token(vault: &Vault, name: &AgentName) -> Result<Secret, VaultError> {
    let key = if name.is_default() { VaultKey::bridge_token() } else { VaultKey::agent_token(name) };
    vault.set(&key, &crate::bridge::new_token()).await?;
    vault.get(&key).await?.ok_or(VaultError::NotKept { kind: vault.kind(), key })
}

/// Forgets agent `name`'s token (the agent was removed).
pub async fn forget_token(vault: &Vault, name: &AgentName) -> Result<(), VaultError> {
    vault.delete(&VaultKey::agent_token(name)).await.map(drop)
}

/// Whether `given` equals `token`, taking the same time wherever they differ.
pub fn token_matches(token: &Secret, given: &[u8]) -> bool {
    let expected = token.expose().as_bytes();
    if expected.len() != given.len() {
        return false;
    }
    expected.iter().zip(given).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// The rights of agent `name` as `file` gives them (`default`: everything).
pub fn access_of(file: &ProfileFile, name: &AgentName) -> Option<Access> {
    if name.is_default() {
        return Some(Access::everything(name.clone()));
    }
    file.agents.get(name).map(|profile: &AgentProfile| Access::of(name.clone(), profile))
}

/// Why a stdio bridge may not serve as the agent it was told to be.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    #[error(
        "`--agent {agent}` needs the agent's key in the environment variable {TOKEN_VAR}: write the client's entry with `lanyard config <client> --agent {agent} --write`, or set {TOKEN_VAR} to what `lanyard agent token {agent}` prints"
    )]
    Missing { agent: AgentName },
    #[error(
        "the key in {TOKEN_VAR} is not agent `{agent}`'s (was it rotated?): write the client's entry again with `lanyard config <client> --agent {agent} --write`"
    )]
    Wrong { agent: AgentName },
    #[error(transparent)]
    NoSuchAgent(#[from] crate::profile::ProfileError),
    #[error(transparent)]
    Keychain(#[from] VaultError),
}

impl ProofError {
    pub fn kind(&self) -> crate::ErrorKind {
        match self {
            ProofError::Missing { .. } | ProofError::Wrong { .. } => crate::ErrorKind::Usage,
            ProofError::NoSuchAgent(err) => err.kind(),
            ProofError::Keychain(err) => err.kind(),
        }
    }
}

/// The rights of agent `name`, once `given` (the key a stdio bridge found in [`TOKEN_VAR`]) has
/// proved the caller is that agent. The key is compared with the keychain's, never made here.
pub async fn prove(
    vault: &Vault,
    file: &ProfileFile,
    name: &AgentName,
    given: Option<&str>,
) -> Result<Access, ProofError> {
    let access = access_of(file, name).ok_or_else(|| file.agent_not_found(name))?;
    let given = given.map(str::trim).filter(|g| !g.is_empty());
    let Some(given) = given else { return Err(ProofError::Missing { agent: name.clone() }) };
    match existing_token(vault, name).await? {
        Some(token) if token_matches(&token, given.as_bytes()) => Ok(access),
        _ => Err(ProofError::Wrong { agent: name.clone() }),
    }
}

/// Every agent's token with its rights: who a bearer token belongs to.
#[derive(Debug, Default)]
pub struct Keyring {
    entries: Vec<(Secret, Arc<Access>)>,
}

impl Keyring {
    /// The tokens of `default` and every agent of `file`, each made on first use.
    pub async fn load(vault: &Vault, file: &ProfileFile) -> Result<Self, VaultError> {
        let default = AgentName::default_agent();
        let mut entries = vec![(agent_token(vault, &default).await?, Arc::new(Access::everything(default)))];
        for (name, profile) in &file.agents {
            let token = agent_token(vault, name).await?;
            entries.push((token, Arc::new(Access::of(name.clone(), profile))));
        }
        Ok(Self { entries })
    }

    /// A keyring of these entries (tests, and a hub without a keychain).
    pub fn of(entries: Vec<(Secret, Arc<Access>)>) -> Self {
        Self { entries }
    }

    /// The agent whose token `given` is. Every entry is compared, each in constant time, so the
    /// time taken says nothing about which one matched or how close a guess came.
    pub fn find(&self, given: &[u8]) -> Option<&Arc<Access>> {
        let mut found = None;
        for (token, access) in &self.entries {
            if token_matches(token, given) {
                found = Some(access);
            }
        }
        found
    }

    /// The `default` agent's token (the bridge token), which the hub's proof is keyed with.
    pub fn default_token(&self) -> Option<&Secret> {
        self.entries.iter().find(|(_, access)| access.name().is_default()).map(|(token, _)| token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_find_their_agent_and_nothing_else() {
        let ring = Keyring::of(vec![
            (Secret::new("aaaa"), Arc::new(Access::everything(AgentName::default_agent()))),
            (Secret::new("bbbb"), Arc::new(Access::everything("cursor".parse().unwrap()))),
        ]);
        assert_eq!(ring.find(b"bbbb").map(|a| a.name().as_str()), Some("cursor"));
        assert_eq!(ring.find(b"aaaa").map(|a| a.name().as_str()), Some("default"));
        assert!(ring.find(b"bbb").is_none() && ring.find(b"").is_none() && ring.find(b"cccc").is_none());
        assert_eq!(ring.default_token().map(Secret::expose), Some("aaaa"));
    }

    #[tokio::test]
    async fn a_stdio_agent_must_show_its_own_current_key() {
        let vault = Vault::mock();
        let mut file = ProfileFile::default();
        let name: AgentName = "ci".parse().unwrap();
        file.agents.insert(name.clone(), AgentProfile::everything());
        let token = agent_token(&vault, &name).await.unwrap();
        assert!(prove(&vault, &file, &name, Some(token.expose())).await.is_ok());
        assert!(matches!(prove(&vault, &file, &name, None).await, Err(ProofError::Missing { .. })));
        assert!(matches!(prove(&vault, &file, &name, Some("nope")).await, Err(ProofError::Wrong { .. })));
        let default = agent_token(&vault, &AgentName::default_agent()).await.unwrap();
        assert!(
            matches!(
                prove(&vault, &file, &name, Some(default.expose())).await,
                Err(ProofError::Wrong { .. })
            ),
            "another agent's key proves nothing"
        );
        let other: AgentName = "other".parse().unwrap();
        assert!(matches!(prove(&vault, &file, &other, Some("x")).await, Err(ProofError::NoSuchAgent(_))));
    }

    #[tokio::test]
    async fn rotating_replaces_the_token() {
        let vault = Vault::mock();
        let name: AgentName = "ci".parse().unwrap();
        let first = agent_token(&vault, &name).await.unwrap();
        assert_eq!(agent_token(&vault, &name).await.unwrap(), first, "kept");
        let second = rotate_token(&vault, &name).await.unwrap();
        assert_ne!(first, second, "a new token");
        assert_eq!(existing_token(&vault, &name).await.unwrap(), Some(second));
        forget_token(&vault, &name).await.unwrap();
        assert_eq!(existing_token(&vault, &name).await.unwrap(), None);
    }
}
