//! What can go wrong while finding and adding a server from a registry, each with what to do.

use std::path::PathBuf;

use crate::ErrorKind;
use crate::suggest::DidYouMean;

/// What can go wrong in the catalogue.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    #[error(
        "`{given}` is not a registry address ({reason}); give an https:// URL or a folder of server.json files"
    )]
    BadAddress { given: String, reason: String },
    #[error("{path}: {reason}; fix the file or remove it to use the official registry alone", path = path.display())]
    Settings { path: PathBuf, reason: String },
    #[error("registry {registry}: {reason}; check the address and the network (proxy settings apply)")]
    Unreachable { registry: String, reason: String },
    #[error("registry {registry} answered {status} for {what}")]
    Status { registry: String, status: u16, what: String },
    #[error("registry {registry} answered with something that is not a registry listing ({reason})")]
    BadAnswer { registry: String, reason: String },
    #[error("{path}: {reason}; give a folder of server.json files", path = path.display())]
    Folder { path: PathBuf, reason: String },
    #[error("no registry has a server named `{name}`{}", did_you_mean(near))]
    NotFound { name: String, near: Vec<String> },
    #[error("`{name}` has no version `{version}`; its versions: {}", versions.join(", "))]
    VersionNotFound { name: String, version: String, versions: Vec<String> },
    #[error("`{name}` {version} offers nothing Lanyard can run: {reasons}")]
    NothingToAdd { name: String, version: String, reasons: String },
    #[error(
        "{label} is a secret, and Lanyard does not put secrets on a command line, where other programs can read them; pick another package or a remote"
    )]
    SecretOnCommandLine { label: String },
    #[error("{label} is required; give a value")]
    MissingInput { label: String },
    #[error("{label}: `{given}` is not one of {}", choices.join(", "))]
    NotAChoice { label: String, given: String, choices: Vec<String> },
    #[error("source `{id}` came from `{existing}`, not from `{name}`; pick another id with --as")]
    OtherOrigin { id: String, existing: String, name: String },
    #[error(transparent)]
    Id(#[from] crate::ids::InvalidSourceId),
    #[error(transparent)]
    Net(#[from] crate::net::NetError),
    #[error(transparent)]
    Engine(#[from] crate::Error),
}

fn did_you_mean(near: &[String]) -> String {
    DidYouMean { near, then: "`lanyard catalog search <words>` finds servers by name" }.to_string()
}

impl CatalogError {
    /// What kind of thing went wrong, for exit codes and the app.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::BadAddress { .. }
            | Self::NotFound { .. }
            | Self::VersionNotFound { .. }
            | Self::MissingInput { .. }
            | Self::NotAChoice { .. }
            | Self::OtherOrigin { .. }
            | Self::Id(_) => ErrorKind::Usage,
            Self::Settings { .. } => ErrorKind::ProfileFile,
            Self::Unreachable { .. } | Self::Status { .. } | Self::BadAnswer { .. } => ErrorKind::Unreachable,
            Self::Folder { .. } => ErrorKind::Usage,
            Self::NothingToAdd { .. } | Self::SecretOnCommandLine { .. } => ErrorKind::Other,
            Self::Net(err) => err.kind(),
            Self::Engine(err) => err.kind(),
        }
    }
}
