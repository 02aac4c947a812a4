//! What kind of thing went wrong, in the few categories every front-end reacts to differently.
//!
//! Each engine error says its kind once (`kind()` on it); the CLI's exit code, the window's
//! error kind and the bridge's JSON-RPC code are each one `match` over [`ErrorKind`], at the
//! front-end's edge. No front-end classifies an error by its type or its text. The fix itself is
//! a [`crate::remedy::Remedy`] beside the kind (`remedy()` on the same errors).
//!
//! This module is on the ground floor and imports nothing from the crate, so that every module can
//! name its kind; finding the kind inside a foreign error chain, which has to know every error type,
//! is [`crate::error_chain`]'s job, on the top floor.
//!
//! The enum is exhaustive on purpose: a new kind must make every front-end decide what it means
//! there, instead of falling into a catch-all unnoticed.

/// What kind of thing went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The caller asked for something that is not there or not allowed: a hidden or unknown
    /// tool, a call the agent cancelled, a wrong argument.
    Usage,
    /// The profile cannot work as written: a setting, a secret reference, a disabled source, or
    /// the server's sign-in setup that a profile switch works around.
    Profile,
    /// The profile file itself could not be read or written (permissions, a full disk).
    ProfileFile,
    /// The connection could not be set up as the profile describes it: a missing command or
    /// folder, an invalid header, a redirect, an unusable proxy or CA bundle.
    ConnectionSetup,
    /// A server could not be reached, went away, did not answer in time, or answered its
    /// sign-in requests with an error status or nonsense.
    Unreachable,
    /// The MCP server answered, but not in MCP.
    Protocol,
    /// The server wants a (new) sign-in, or more scopes than the sign-in granted.
    NeedsSignIn,
    /// A sign-in did not complete: abandoned, refused in the browser, timed out, or its answer
    /// did not match the sign-in Lanyard started.
    SignInFailed,
    /// The keychain is locked: unlocking it fixes this.
    KeychainLocked,
    /// No keychain can be used (no Secret Service, or one that keeps nothing): there is nothing
    /// to unlock.
    NoKeychain,
    /// The keychain failed in another way (a damaged entry, a misconfigured choice of keychain).
    Keychain,
    /// The MCP server ran the request and answered it with an error of its own.
    ServerError,
    /// Anything else: a busy port, a broken pipe to the agent, a failure inside Lanyard.
    Other,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::bridge::BridgeError;
    use crate::ids::{SecretRef, SourceId};
    use crate::oauth::{OAuthError, OAuthErrorCode};
    use crate::profile::{ImportError, ProfileError, ResolveError};
    use crate::upstream::{NotMcpProblem, Origin, UpstreamError};
    use crate::vault::{StoreKind, VaultError, VaultKey};

    /// The JSON-RPC codes agents branch on (see `bridge::jsonrpc`).
    const UPSTREAM_FAILED: i32 = -32000;
    const SIGN_IN_NEEDED: i32 = -32001;

    fn id() -> SourceId {
        "gh".parse().unwrap()
    }

    fn origin() -> Origin {
        Origin::of(&url::Url::parse("https://as.example/token").unwrap())
    }

    fn not_kept() -> VaultError {
        VaultError::NotKept { kind: StoreKind::Keyutils, key: VaultKey::bridge_token() }
    }

    fn refused(code: &str) -> OAuthError {
        OAuthError::Refused {
            id: id(),
            origin: origin(),
            step: crate::oauth::Step::Refresh,
            code: OAuthErrorCode(code.to_owned()),
        }
    }

    /// One representative engine error per way it is classified, with the kind it has and the
    /// JSON-RPC code an agent gets for it. The codes are the bridge's contract with agents.
    fn table() -> Vec<(crate::Error, ErrorKind, i32)> {
        use ErrorKind as K;
        let io = || std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        vec![
            (ProfileError::NotFound { id: id(), near: Vec::new() }.into(), K::Profile, UPSTREAM_FAILED),
            (
                ProfileError::Io { path: "/p/profiles.toml".into(), action: "read", err: io() }.into(),
                K::ProfileFile,
                UPSTREAM_FAILED,
            ),
            (crate::Error::Disabled { id: id() }, K::Profile, UPSTREAM_FAILED),
            (not_kept().into(), K::NoKeychain, UPSTREAM_FAILED),
            (
                VaultError::InvalidInstallId { path: "/p/install-id".into() }.into(),
                K::Keychain,
                UPSTREAM_FAILED,
            ),
            (
                ResolveError::MissingSecret {
                    id: id(),
                    field: "headers".into(),
                    reference: SecretRef::header("X-Api-Key"),
                }
                .into(),
                K::Profile,
                UPSTREAM_FAILED,
            ),
            (ResolveError::Vault { id: id(), err: not_kept() }.into(), K::NoKeychain, UPSTREAM_FAILED),
            (ImportError::NoServers { path: "/c/mcp.json".into() }.into(), K::Profile, UPSTREAM_FAILED),
            (
                UpstreamError::CommandNotFound { id: id(), command: "npx".into() }.into(),
                K::ConnectionSetup,
                UPSTREAM_FAILED,
            ),
            (
                UpstreamError::ConnectionRefused { id: id(), origin: origin() }.into(),
                K::Unreachable,
                UPSTREAM_FAILED,
            ),
            (
                UpstreamError::ConnectTimeout { id: id(), limit: Duration::from_secs(1) }.into(),
                K::Unreachable,
                UPSTREAM_FAILED,
            ),
            (
                UpstreamError::NotMcp {
                    id: id(),
                    origin: origin(),
                    status: 404,
                    content_type: None,
                    problem: NotMcpProblem::Status,
                }
                .into(),
                K::Protocol,
                UPSTREAM_FAILED,
            ),
            (
                UpstreamError::Unauthorized { id: id(), www_authenticate: None }.into(),
                K::NeedsSignIn,
                SIGN_IN_NEEDED,
            ),
            (
                UpstreamError::ToolNotFound { id: id(), name: "x".into(), near: Vec::new() }.into(),
                K::Usage,
                UPSTREAM_FAILED,
            ),
            (
                UpstreamError::JsonRpc {
                    id: id(),
                    method: "tools/call",
                    code: -32602,
                    message: "no".into(),
                    data: None,
                }
                .into(),
                K::ServerError,
                UPSTREAM_FAILED,
            ),
            (OAuthError::NeedsSignIn { id: id() }.into(), K::NeedsSignIn, SIGN_IN_NEEDED),
            (
                OAuthError::NeedsMoreScope { id: id(), scopes: vec!["admin".into()] }.into(),
                K::NeedsSignIn,
                SIGN_IN_NEEDED,
            ),
            (refused("invalid_grant").into(), K::NeedsSignIn, SIGN_IN_NEEDED),
            (refused("server_error").into(), K::Unreachable, UPSTREAM_FAILED),
            (refused("invalid_scope").into(), K::Profile, UPSTREAM_FAILED),
            (OAuthError::NotHttp { id: id() }.into(), K::Profile, UPSTREAM_FAILED),
            (OAuthError::RetryLater { id: id(), retry_at: 0 }.into(), K::Unreachable, UPSTREAM_FAILED),
            (
                OAuthError::TimedOut { id: id(), limit: Duration::from_secs(300), pre_registered: false }
                    .into(),
                K::SignInFailed,
                UPSTREAM_FAILED,
            ),
            (OAuthError::Vault { id: id(), err: not_kept() }.into(), K::NoKeychain, UPSTREAM_FAILED),
            (
                OAuthError::CorruptTokens { id: id(), problem: "not JSON".into() }.into(),
                K::NeedsSignIn,
                SIGN_IN_NEEDED,
            ),
        ]
    }

    #[test]
    fn each_error_has_its_kind_and_json_rpc_code() {
        for (err, kind, code) in table() {
            let shown = err.to_string();
            assert_eq!(err.kind(), kind, "kind of: {shown}");
            assert_eq!(crate::error_chain::kind_of(&err), Some(kind), "found through the chain: {shown}");
            let bridged = BridgeError::from(err);
            assert_eq!(bridged.kind(), kind, "the bridge keeps the engine's kind: {shown}");
            assert_eq!(bridged.json_rpc_code(), code, "JSON-RPC code of: {shown}");
        }
    }

    #[test]
    fn the_bridges_own_errors_have_a_kind_too() {
        let bind = BridgeError::Bind {
            addr: "127.0.0.1:7777".parse().unwrap(),
            err: std::io::ErrorKind::AddrInUse.into(),
        };
        assert_eq!(bind.kind(), ErrorKind::Other, "a busy port is neither the profile nor the server");
        assert_eq!(bind.json_rpc_code(), UPSTREAM_FAILED);
        // Not unwrapped into the engine's error, as `From<UpstreamError> for Error` would.
        let credentials = BridgeError::Upstream(UpstreamError::Credentials {
            id: id(),
            err: Box::new(crate::Error::from(not_kept())),
        });
        assert_eq!(credentials.json_rpc_code(), SIGN_IN_NEEDED, "a request sent without credentials");
    }

    #[test]
    fn the_kind_is_found_in_a_chain_and_only_for_the_engines_errors() {
        let wrapped = anyhow::Error::from(OAuthError::NeedsSignIn { id: id() }).context("signing in");
        let found = wrapped.chain().find_map(crate::error_chain::kind_of);
        assert_eq!(found, Some(ErrorKind::NeedsSignIn), "past the context to the engine's error");
        let foreign = std::io::Error::other("disk");
        assert_eq!(
            crate::error_chain::kind_of(&foreign),
            None,
            "an error from outside the engine has no kind"
        );
    }

    /// Each remedy once, as data; the CLI's message and the advice share the same problem.
    #[test]
    fn remedies_are_data_beside_the_kind() {
        use crate::remedy::{Remedy, Setting};
        let disabled = crate::Error::Disabled { id: id() };
        assert_eq!(disabled.remedy(), Some(Remedy::Enable), "a disabled source is enabled");
        let scope: crate::Error = refused("invalid_scope").into();
        assert_eq!(scope.remedy(), Some(Remedy::ChangeSetting { setting: Setting::Scopes }));
        let missing: crate::Error = ResolveError::MissingSecret {
            id: id(),
            field: "headers".into(),
            reference: SecretRef::header("X-Api-Key"),
        }
        .into();
        assert_eq!(
            missing.remedy(),
            Some(Remedy::StoreSecret { reference: "header/X-Api-Key".into() }),
            "a missing secret names its keychain entry"
        );
        let unreachable: crate::Error = OAuthError::RetryLater { id: id(), retry_at: 0 }.into();
        assert_eq!(unreachable.remedy(), Some(Remedy::ServerUnreachable), "nothing to do but wait");
        let kept: crate::Error = not_kept().into();
        assert_eq!(kept.remedy(), None, "nothing to unlock when no keychain keeps secrets");
    }
}
