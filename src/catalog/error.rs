//! What can go wrong while finding and adding a server from a registry, each with what to do.
//!
//! Where what to do is a flag or a command of `lanyard catalog`, it is data ([`CatalogRemedy`]),
//! worded once for the terminal and once for the window, as [`crate::remedy`] does for a
//! source's fixes: the CLI prints the message whole, the window shows the problem and its own
//! words ([`CatalogError::in_window`], through `remedy::window::error_message`). These fixes
//! concern no source (a name no registry has), so they are not [`crate::remedy::Remedy`]s.

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
    #[error("no registry has a server named `{name}`{}", did_you_mean(near, CatalogRemedy::SearchByWords.command()))]
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
    #[error("{}; {}", other_origin(id, existing, name), CatalogRemedy::AnotherId.command())]
    OtherOrigin { id: String, existing: String, name: String },
    #[error(transparent)]
    Id(#[from] crate::ids::InvalidSourceId),
    #[error(transparent)]
    Net(#[from] crate::net::NetError),
}

/// What to do about a catalogue error, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogRemedy {
    /// The source id is taken by a source made from another server: give another.
    AnotherId,
    /// The name is not one a registry has: find the server by words from its name.
    SearchByWords,
}

impl CatalogRemedy {
    /// As the terminal says it: the flag or the command.
    pub fn command(self) -> &'static str {
        match self {
            Self::AnotherId => "pick another id with --as",
            Self::SearchByWords => "`lanyard catalog search <words>` finds servers by name",
        }
    }

    /// As the window says it: what to do in the Catalogue view.
    pub fn in_window(self) -> &'static str {
        match self {
            Self::AnotherId => "type another source id in the Add form",
            Self::SearchByWords => "search the Catalogue with words from its name",
        }
    }
}

fn did_you_mean(near: &[String], then: &str) -> String {
    DidYouMean { near, then }.to_string()
}

fn other_origin(id: &str, existing: &str, name: &str) -> String {
    format!("source `{id}` came from `{existing}`, not from `{name}`")
}

impl CatalogError {
    /// The fix, as data, when it is one of `lanyard catalog`'s flags or commands.
    pub fn remedy(&self) -> Option<CatalogRemedy> {
        match self {
            Self::NotFound { .. } => Some(CatalogRemedy::SearchByWords),
            Self::OtherOrigin { .. } => Some(CatalogRemedy::AnotherId),
            _ => None,
        }
    }

    /// The message as the window says it: the problem, then the fix in the window's words; the
    /// message whole when its fix is no flag or command.
    pub fn in_window(&self) -> String {
        match self {
            Self::NotFound { name, near } => format!(
                "no registry has a server named `{name}`{}",
                did_you_mean(near, CatalogRemedy::SearchByWords.in_window())
            ),
            Self::OtherOrigin { id, existing, name } => {
                format!("{}; {}", other_origin(id, existing, name), CatalogRemedy::AnotherId.in_window())
            }
            other => other.to_string(),
        }
    }

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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_terminal_names_the_flag_or_command_and_the_window_what_to_do_there() {
        let cases = [
            CatalogError::NotFound { name: "a/echoo".into(), near: vec!["a/echo".into()] },
            CatalogError::NotFound { name: "a/x".into(), near: Vec::new() },
            CatalogError::OtherOrigin { id: "echo".into(), existing: "o/echo".into(), name: "a/echo".into() },
        ];
        for err in cases {
            let remedy = err.remedy().expect("a fix as data");
            let (cli, window) = (err.to_string(), err.in_window());
            assert!(cli.ends_with(remedy.command()), "{cli}");
            assert!(window.ends_with(remedy.in_window()), "{window}");
            let problem = cli.strip_suffix(remedy.command()).unwrap();
            assert_eq!(window.strip_suffix(remedy.in_window()), Some(problem), "the same problem, once");
            for cli_word in ["--as", "lanyard catalog"] {
                assert!(!window.contains(cli_word), "the window has no `{cli_word}`: {window}");
            }
        }
        let nearby = CatalogError::NotFound { name: "a/echoo".into(), near: vec!["a/echo".into()] };
        assert_eq!(
            nearby.in_window(),
            "no registry has a server named `a/echoo`; did you mean `a/echo`? search the Catalogue with words from its name"
        );
        let other = CatalogError::MissingInput { label: "X-Api-Key".into() };
        assert_eq!(
            (other.remedy(), other.in_window()),
            (None, other.to_string()),
            "no flag: the message whole"
        );
    }
}
