//! The engine's error: everything that can go wrong in an engine operation, one variant per module
//! whose error it carries.
//!
//! It sits below the engine's operations and the credential component, because both return it:
//! kept in `engine.rs`, the credential component and the engine would import each other. It knows
//! the module errors it wraps and nothing above them.

use crate::ErrorKind;
use crate::clients::ClientFileError;
use crate::ids::SourceId;
use crate::oauth::OAuthError;
use crate::profile::{ImportError, ProfileError, ResolveError};
use crate::remedy::{Advice, Remedy};
use crate::upstream::UpstreamError;
use crate::vault::VaultError;

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
    Upstream(UpstreamError),
    #[error(transparent)]
    OAuth(#[from] OAuthError),
    #[error("{}; {}", disabled(id), Remedy::Enable.command(id))]
    Disabled { id: SourceId },
    /// Off because it came from outside and runs a program: the person has not approved it yet.
    #[error("{}; {}", waiting(id), Remedy::Approve.command(id))]
    WaitingForApproval { id: SourceId },
    #[error(transparent)]
    Import(#[from] ImportError),
    /// An agent's or IDE's own config file that Lanyard could not read or write.
    #[error(transparent)]
    ClientFile(#[from] ClientFileError),
    /// Finding or adding a server from an MCP registry.
    #[error(transparent)]
    Catalog(Box<crate::catalog::CatalogError>),
    /// The pinned tool definitions (see [`crate::pins`]).
    #[error(transparent)]
    Pins(#[from] crate::pins::PinError),
}

impl From<crate::catalog::CatalogError> for Error {
    fn from(err: crate::catalog::CatalogError) -> Self {
        Self::Catalog(Box::new(err))
    }
}

impl From<UpstreamError> for Error {
    /// A request that was not sent for want of credentials says why in the credential
    /// component's own words (sign-in needed, keychain locked), not as an upstream failure.
    fn from(err: UpstreamError) -> Self {
        match err {
            UpstreamError::Credentials { id, err } => match err.downcast::<Error>() {
                Ok(inner) => *inner,
                Err(err) => Self::Upstream(UpstreamError::Credentials { id, err }),
            },
            err => Self::Upstream(err),
        }
    }
}

/// What [`Error::Disabled`] is, without the command that fixes it.
fn disabled(id: &SourceId) -> String {
    format!("source `{id}` is disabled")
}

/// What [`Error::WaitingForApproval`] is, without the command that fixes it.
fn waiting(id: &SourceId) -> String {
    format!(
        "source `{id}` waits for your approval: it runs a program on this computer and came from an import or a link"
    )
}

impl Error {
    /// Why `profile` cannot be used while it is off: switched off by the person, or waiting for
    /// their approval.
    pub fn not_enabled(profile: &crate::profile::Profile) -> Self {
        let id = profile.id().clone();
        if profile.waits_for_approval() { Self::WaitingForApproval { id } } else { Self::Disabled { id } }
    }

    /// What kind of thing went wrong, for front-ends that react to it (see [`ErrorKind`]).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Profile(err) => err.kind(),
            Self::Vault(err) => err.kind(),
            Self::Resolve(err) => err.kind(),
            Self::Upstream(err) => err.kind(),
            Self::OAuth(err) => err.kind(),
            Self::Disabled { .. } | Self::WaitingForApproval { .. } => ErrorKind::Profile,
            Self::Import(err) => err.kind(),
            // The client's file, named in the message with what to do; nothing to branch on.
            Self::ClientFile(_) => ErrorKind::Other,
            Self::Catalog(err) => err.kind(),
            Self::Pins(err) => err.kind(),
        }
    }

    /// The fix, as data, for each front-end to word its own way; `None` when there is no one
    /// fix to name.
    pub fn remedy(&self) -> Option<Remedy> {
        match self {
            Self::Vault(err) => err.remedy(),
            Self::Resolve(err) => err.remedy(),
            Self::Upstream(err) => err.remedy(),
            Self::OAuth(err) => err.remedy(),
            Self::Disabled { .. } => Some(Remedy::Enable),
            Self::WaitingForApproval { .. } => Some(Remedy::Approve),
            Self::Profile(_) | Self::Import(_) | Self::ClientFile(_) | Self::Catalog(_) | Self::Pins(_) => {
                None
            }
        }
    }

    /// The message without its `lanyard` command and the fix as data, for front-ends with their
    /// own buttons; `None` when the message names no command such a front-end has a button for.
    pub fn advice(&self) -> Option<Advice> {
        match self {
            Self::OAuth(err) => err.advice(),
            Self::Upstream(err) => err.advice(),
            Self::Disabled { id } => Some(Advice::new(id, disabled(id), Remedy::Enable)),
            Self::WaitingForApproval { id } => Some(Advice::new(id, waiting(id), Remedy::Approve)),
            _ => None,
        }
    }
}
