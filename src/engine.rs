//! The engine's front door: the operations a CLI command, a bridge or an app button performs,
//! each keeping the profile file and the vault consistent with each other.
//!
//! The order of writes is chosen so that a failure half-way never leaves a profile pointing at a
//! secret that is not there, nor a profile's secrets behind after the profile is gone:
//! adding writes secrets first and the profile last; removing drops the profile first and its
//! secrets after.

use crate::profile::{
    Profile, ProfileError, ProfileFile, ProfileStore, ResolveError, SecretRef, SecretSource, SourceId,
    resolve, resolve_with,
};
use crate::secret::Secret;
use crate::source::{SourceState, SourceStatus, uses_sign_in};
use crate::upstream::{Upstream, UpstreamError};
use crate::vault::{Vault, VaultError, VaultKey};

/// Everything that can go wrong in an engine operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error("source `{id}` is disabled; enable it with `lanyard profile edit {id} --enable`")]
    Disabled { id: SourceId },
}

/// Profiles and the vault, together.
pub struct Engine {
    profiles: ProfileStore,
    vault: Vault,
}

impl Engine {
    /// The engine on the default profile file and the keychain chosen by `LANYARD_KEYCHAIN`.
    pub fn open() -> Result<Self, Error> {
        Ok(Self::new(ProfileStore::open_default(), Vault::from_env()?))
    }

    pub fn new(profiles: ProfileStore, vault: Vault) -> Self {
        Self { profiles, vault }
    }

    pub fn profile_store(&self) -> &ProfileStore {
        &self.profiles
    }

    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    pub fn load(&self) -> Result<ProfileFile, Error> {
        Ok(self.profiles.load()?)
    }

    pub fn profile(&self, id: &SourceId) -> Result<Profile, Error> {
        let file = self.load()?;
        file.get(id).cloned().ok_or_else(|| ProfileError::NotFound { id: id.clone() }.into())
    }

    /// Adds a profile and stores its secrets. Nothing is written when the id is taken.
    pub async fn add_profile(
        &self,
        profile: Profile,
        secrets: Vec<(SecretRef, Secret)>,
    ) -> Result<(), Error> {
        let id = profile.id().clone();
        if self.load()?.get(&id).is_some() {
            return Err(ProfileError::AlreadyExists { id }.into());
        }
        self.store_secrets(&id, &secrets).await?;
        if let Err(err) = self.profiles.update(|file| file.insert(profile)) {
            self.forget_secrets(&id, secrets.iter().map(|(reference, _)| reference)).await;
            return Err(err.into());
        }
        Ok(())
    }

    /// Changes a profile and stores any new secrets. Secrets the profile no longer refers to are
    /// removed from the vault afterwards.
    pub async fn edit_profile(
        &self,
        id: &SourceId,
        secrets: Vec<(SecretRef, Secret)>,
        change: impl FnOnce(&mut Profile),
    ) -> Result<Profile, Error> {
        let before = self.profile(id)?;
        self.store_secrets(id, &secrets).await?;
        let after = self.profiles.update(|file| {
            let mut profile =
                file.get(id).cloned().ok_or_else(|| ProfileError::NotFound { id: id.clone() })?;
            change(&mut profile);
            file.replace(profile.clone())?;
            Ok(profile)
        })?;
        let still_used = after.secret_refs();
        let dropped =
            before.secret_refs().into_iter().filter(|r| !still_used.contains(r)).cloned().collect::<Vec<_>>();
        self.forget_secrets(id, dropped.iter()).await;
        Ok(after)
    }

    /// Removes a profile, then its secrets and tokens. Returns the removed profile.
    pub async fn remove_profile(&self, id: &SourceId) -> Result<Profile, Error> {
        let profile = self.profiles.update(|file| file.remove(id))?;
        for reference in profile.secret_refs() {
            self.vault.delete(&VaultKey::source_secret(id, reference)).await?;
        }
        self.vault.delete(&VaultKey::source_tokens(id)).await?;
        Ok(profile)
    }

    /// Connects to a saved source.
    pub async fn connect(&self, id: &SourceId) -> Result<Upstream, Error> {
        let profile = self.profile(id)?;
        if !profile.enabled {
            return Err(Error::Disabled { id: id.clone() });
        }
        self.connect_profile(&profile).await
    }

    /// Connects to a saved profile's settings.
    pub async fn connect_profile(&self, profile: &Profile) -> Result<Upstream, Error> {
        let resolved = resolve(profile, &self.vault).await?;
        Ok(Upstream::connect(resolved).await?)
    }

    /// Connects to a profile that is not saved, with its secrets in memory: the CLI's one-off
    /// `--url` mode, which keeps nothing.
    pub async fn connect_unsaved(
        &self,
        profile: &Profile,
        secrets: &[(SecretRef, Secret)],
    ) -> Result<Upstream, Error> {
        let lookup = |name: &str| std::env::var(name).ok();
        let resolved = resolve_with(profile, &SecretSource::Memory(secrets), lookup).await?;
        Ok(Upstream::connect(resolved).await?)
    }

    /// The state of every source, or of one.
    pub async fn status(&self, only: Option<&SourceId>) -> Result<Vec<SourceStatus>, Error> {
        let file = self.load()?;
        if let Some(id) = only.filter(|id| file.get(id).is_none()) {
            return Err(ProfileError::NotFound { id: id.clone() }.into());
        }
        let mut rows = Vec::new();
        for profile in file.profiles().filter(|p| only.is_none_or(|id| p.id() == id)) {
            let state = self.state_of(profile).await?;
            rows.push(SourceStatus::new(profile, state));
        }
        Ok(rows)
    }

    async fn state_of(&self, profile: &Profile) -> Result<SourceState, Error> {
        if !profile.enabled {
            return Ok(SourceState::Disabled);
        }
        for reference in profile.secret_refs() {
            if self.vault.get(&VaultKey::source_secret(profile.id(), reference)).await?.is_none() {
                return Ok(SourceState::MissingSecret { reference: reference.clone() });
            }
        }
        if uses_sign_in(profile) && self.vault.get(&VaultKey::source_tokens(profile.id())).await?.is_none() {
            return Ok(SourceState::NeedsSignIn);
        }
        Ok(SourceState::Ready)
    }

    async fn store_secrets(&self, id: &SourceId, secrets: &[(SecretRef, Secret)]) -> Result<(), Error> {
        for (reference, value) in secrets {
            self.vault.set(&VaultKey::source_secret(id, reference), value).await?;
        }
        Ok(())
    }

    /// Best-effort removal, used to roll back; a failure here is logged, not raised, because the
    /// error that caused the roll-back is the one to report.
    async fn forget_secrets<'a>(&self, id: &SourceId, references: impl Iterator<Item = &'a SecretRef>) {
        for reference in references {
            if let Err(err) = self.vault.delete(&VaultKey::source_secret(id, reference)).await {
                tracing::warn!(source = %id, %reference, %err, "could not remove a secret from the keychain");
            }
        }
    }
}
