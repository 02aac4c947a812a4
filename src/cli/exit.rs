//! Exit codes, chosen from the error's type so scripts can tell a typo from a dead server from a
//! sign-in that is needed. The numbers are part of the CLI's interface (see `lanyard --help`).

use std::fmt;
use std::process::ExitCode;

use lanyard::bridge::BridgeError;
use lanyard::net::NetError;
use lanyard::oauth::{OAuthError, OAuthErrorKind};
use lanyard::profile::{ImportError, ProfileError, ResolveError};
use lanyard::upstream::UpstreamError;
use lanyard::vault::VaultError;

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

/// Picks the exit code for an error by looking through its chain for a type we know.
pub fn classify(err: &anyhow::Error) -> Exit {
    for cause in err.chain() {
        if cause.is::<UsageError>() {
            return Exit::Usage;
        }
        if cause.is::<VaultError>() {
            return Exit::Keychain;
        }
        if cause.is::<ProfileError>() || cause.is::<ImportError>() || cause.is::<NetError>() {
            return Exit::Profile;
        }
        if let Some(resolve) = cause.downcast_ref::<ResolveError>() {
            return match resolve {
                ResolveError::Vault { .. } => Exit::Keychain,
                _ => Exit::Profile,
            };
        }
        if let Some(oauth) = cause.downcast_ref::<OAuthError>() {
            return exit_for_oauth(oauth);
        }
        if let Some(upstream) = cause.downcast_ref::<UpstreamError>() {
            return exit_for_upstream(upstream);
        }
        if let Some(engine) = cause.downcast_ref::<lanyard::Error>() {
            return exit_for_engine(engine);
        }
        // Its variants are transparent, so the chain skips the error they carry: look inside.
        if let Some(bridge) = cause.downcast_ref::<BridgeError>() {
            return match bridge {
                BridgeError::Upstream(upstream) => exit_for_upstream(upstream),
                BridgeError::Engine(engine) => exit_for_engine(engine),
                BridgeError::Vault(_) => Exit::Keychain,
                _ => Exit::Failure,
            };
        }
    }
    Exit::Failure
}

fn exit_for_engine(err: &lanyard::Error) -> Exit {
    match err {
        lanyard::Error::Profile(_) | lanyard::Error::Disabled { .. } => Exit::Profile,
        lanyard::Error::Vault(_) => Exit::Keychain,
        lanyard::Error::Resolve(ResolveError::Vault { .. }) => Exit::Keychain,
        lanyard::Error::Resolve(_) => Exit::Profile,
        lanyard::Error::Upstream(upstream) => exit_for_upstream(upstream),
        lanyard::Error::OAuth(oauth) => exit_for_oauth(oauth),
        _ => Exit::Failure,
    }
}

fn exit_for_upstream(err: &UpstreamError) -> Exit {
    use lanyard::upstream::UpstreamErrorKind as Kind;
    match err.kind() {
        Kind::NeedsSignIn => Exit::SignInNeeded,
        Kind::Usage => Exit::Usage,
        Kind::Tool => Exit::Failure,
        _ => Exit::Connection,
    }
}

fn exit_for_oauth(err: &OAuthError) -> Exit {
    match err.kind() {
        OAuthErrorKind::NeedsSignIn => Exit::SignInNeeded,
        OAuthErrorKind::Config => Exit::Profile,
        OAuthErrorKind::Connection => Exit::Connection,
        OAuthErrorKind::Keychain => Exit::Keychain,
        _ => Exit::Failure,
    }
}
