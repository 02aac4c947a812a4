//! Exit codes, chosen from the error's kind so scripts can tell a typo from a dead server from a
//! sign-in that is needed. The numbers are part of the CLI's interface (see `lanyard --help`).
//! The engine says each error's kind ([`ErrorKind`]); this module only maps kinds to numbers.

use std::fmt;
use std::process::ExitCode;

use lanyard::ErrorKind;

/// The meaning of a `lanyard` exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Failure = 1,
    Usage = 2,
    Connection = 3,
    SignInNeeded = 4,
    Profile = 5,
    Keychain = 6,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// A mistake in how the command was called, found after clap's own checks.
#[derive(Debug)]
pub struct UsageError(String);

impl UsageError {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// A tool that ran and reported an error of its own (`isError: true`).
#[derive(Debug)]
pub struct ToolReportedError;

impl fmt::Display for ToolReportedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the tool reported an error (shown above)")
    }
}

impl std::error::Error for ToolReportedError {}

/// Picks the exit code for an error: the kind of the first error in its chain that knows one.
pub fn classify(err: &anyhow::Error) -> Exit {
    err.chain()
        .find_map(|cause| {
            if cause.is::<UsageError>() {
                Some(ErrorKind::Usage)
            } else {
                lanyard::error_chain::kind_of(cause)
            }
        })
        .map_or(Exit::Failure, exit_for)
}

/// The exit code for each kind of error.
fn exit_for(kind: ErrorKind) -> Exit {
    match kind {
        ErrorKind::Usage => Exit::Usage,
        ErrorKind::Profile | ErrorKind::ProfileFile => Exit::Profile,
        ErrorKind::ConnectionSetup | ErrorKind::Unreachable | ErrorKind::Protocol => Exit::Connection,
        ErrorKind::NeedsSignIn => Exit::SignInNeeded,
        ErrorKind::KeychainLocked | ErrorKind::NoKeychain | ErrorKind::Keychain => Exit::Keychain,
        ErrorKind::SignInFailed | ErrorKind::ServerError | ErrorKind::Other => Exit::Failure,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use lanyard::bridge::BridgeError;
    use lanyard::ids::{SecretRef, SourceId};
    use lanyard::net::NetError;
    use lanyard::oauth::{OAuthError, OAuthErrorCode, Step};
    use lanyard::profile::{ImportError, ProfileError, ResolveError};
    use lanyard::upstream::{Origin, UpstreamError};
    use lanyard::vault::{StoreKind, VaultError, VaultKey};

    use super::*;

    fn id() -> SourceId {
        "gh".parse().unwrap()
    }

    fn origin() -> Origin {
        Origin::of(&url::Url::parse("https://mcp.example/mcp").unwrap())
    }

    fn not_kept() -> VaultError {
        VaultError::NotKept { kind: StoreKind::Keyutils, key: VaultKey::bridge_token() }
    }

    fn refused(code: &str) -> OAuthError {
        OAuthError::Refused {
            id: id(),
            origin: origin(),
            step: Step::Refresh,
            code: OAuthErrorCode(code.into()),
        }
    }

    /// The exit status scripts see for representative errors, as the CLI reaches them: alone,
    /// in the engine's error, in the bridge's, under context. The numbers are the contract.
    #[test]
    fn each_error_exits_with_its_documented_code() {
        let io = || std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let table: Vec<(anyhow::Error, u8)> = vec![
            (UsageError::new("give a source id").into(), 2),
            (anyhow::Error::from(UsageError::new("--json needs --watch")).context("status"), 2),
            (ToolReportedError.into(), 1),
            (anyhow::anyhow!("something else"), 1),
            (ProfileError::NotFound { id: id(), near: Vec::new() }.into(), 5),
            (ProfileError::Io { path: "/p".into(), action: "write", err: io() }.into(), 5),
            (ImportError::NoServers { path: "/c.json".into() }.into(), 5),
            (NetError::InvalidProxy { variable: "HTTPS_PROXY" }.into(), 5),
            (lanyard::Error::Disabled { id: id() }.into(), 5),
            (
                ResolveError::MissingSecret {
                    id: id(),
                    field: "env".into(),
                    reference: SecretRef::header("A"),
                }
                .into(),
                5,
            ),
            (ResolveError::Vault { id: id(), err: not_kept() }.into(), 6),
            (lanyard::Error::from(ResolveError::Vault { id: id(), err: not_kept() }).into(), 6),
            (not_kept().into(), 6),
            (lanyard::Error::Vault(VaultError::InvalidInstallId { path: "/i".into() }).into(), 6),
            (OAuthError::NeedsSignIn { id: id() }.into(), 4),
            (
                lanyard::Error::OAuth(OAuthError::NeedsMoreScope { id: id(), scopes: vec!["a".into()] })
                    .into(),
                4,
            ),
            (refused("invalid_grant").into(), 4),
            (refused("server_error").into(), 3),
            (refused("invalid_client").into(), 5),
            (OAuthError::NotOAuth { id: id(), auth: "none" }.into(), 5),
            (OAuthError::RetryLater { id: id(), retry_at: 0 }.into(), 3),
            (OAuthError::StateMismatch { id: id() }.into(), 1),
            (OAuthError::Vault { id: id(), err: not_kept() }.into(), 6),
            (UpstreamError::CommandNotFound { id: id(), command: "npx".into() }.into(), 3),
            (UpstreamError::InvalidHeader { id: id(), name: "X".into() }.into(), 3),
            (UpstreamError::ConnectionRefused { id: id(), origin: origin() }.into(), 3),
            (
                UpstreamError::RequestTimeout {
                    id: id(),
                    method: "tools/list".into(),
                    limit: Duration::ZERO,
                }
                .into(),
                3,
            ),
            (UpstreamError::Disconnected { id: id() }.into(), 3),
            (UpstreamError::Unauthorized { id: id(), www_authenticate: None }.into(), 4),
            (UpstreamError::ToolNotFound { id: id(), name: "x".into(), near: Vec::new() }.into(), 2),
            (UpstreamError::Cancelled { id: id() }.into(), 2),
            (
                UpstreamError::JsonRpc {
                    id: id(),
                    method: "tools/call",
                    code: 1,
                    message: "no".into(),
                    data: None,
                }
                .into(),
                1,
            ),
            (lanyard::Error::from(UpstreamError::Disconnected { id: id() }).into(), 3),
            (BridgeError::from(UpstreamError::Unauthorized { id: id(), www_authenticate: None }).into(), 4),
            (BridgeError::from(lanyard::Error::Disabled { id: id() }).into(), 5),
            (BridgeError::from(not_kept()).into(), 6),
            (BridgeError::Bind { addr: "127.0.0.1:1".parse().unwrap(), err: io() }.into(), 1),
            (BridgeError::AgentIo { err: io() }.into(), 1),
        ];
        for (err, code) in table {
            assert_eq!(classify(&err) as u8, code, "exit status of: {err:#}");
        }
    }

    #[test]
    fn each_kind_has_one_exit_code() {
        use ErrorKind as K;
        let table = [
            (K::Usage, Exit::Usage),
            (K::Profile, Exit::Profile),
            (K::ProfileFile, Exit::Profile),
            (K::ConnectionSetup, Exit::Connection),
            (K::Unreachable, Exit::Connection),
            (K::Protocol, Exit::Connection),
            (K::NeedsSignIn, Exit::SignInNeeded),
            (K::SignInFailed, Exit::Failure),
            (K::KeychainLocked, Exit::Keychain),
            (K::NoKeychain, Exit::Keychain),
            (K::Keychain, Exit::Keychain),
            (K::ServerError, Exit::Failure),
            (K::Other, Exit::Failure),
        ];
        for (kind, exit) in table {
            assert_eq!(exit_for(kind), exit, "{kind:?}");
        }
    }
}
