//! What can go wrong signing in and keeping a source's tokens fresh, worded for the person who
//! has to fix it.
//!
//! One enum for the whole `oauth` module, so the CLI and the app pick a reaction (exit code, UI
//! badge) from [`OAuthError::kind`] and never from the text. A message that ends in a `lanyard`
//! command is its problem, written once (`OAuthError::problem`), then that command: the CLI
//! prints both, a front-end with its own buttons prints the problem and its own words for
//! [`OAuthError::remedy`]. Variants carry the source id, the
//! origin of the server involved and the OAuth error code; never a URL with a query, a token or a
//! response body. Errors caused by a server that bends the rules name the per-profile switch that
//! works around it (`--scope`, `--no-resource-param`, `--redirect-port`, `--client-id`).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::binding::Mismatch;
use crate::ErrorKind;
use crate::ids::{SecretRef, SourceId};
use crate::remedy::{Advice, Remedy, Setting};
use crate::upstream::Origin;
use crate::vault::VaultError;

/// An OAuth error code from a server (`invalid_grant`, `access_denied`, ...), as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthErrorCode(pub String);

impl OAuthErrorCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What to do about this code, naming the profile switch that fixes a server-specific one:
    /// what the code means, then its remedy as the terminal says it ([`Remedy::command`]).
    pub fn hint(&self, id: &SourceId) -> String {
        let CodeWords { meaning, remedy, then } = self.words();
        format!("{meaning}{}{then}", remedy.command(id))
    }

    /// The fix [`Self::hint`] names, as data, for front-ends that word it their own way.
    pub fn remedy(&self) -> Remedy {
        self.words().remedy
    }

    /// Each code's knowledge, written once: what it means, the fix, and the words after the fix.
    fn words(&self) -> CodeWords {
        let words = |meaning, remedy, then| CodeWords { meaning, remedy, then };
        let setting = |setting| Remedy::ChangeSetting { setting };
        match self.0.as_str() {
            "invalid_scope" => {
                words("the server refused the requested scopes: ", setting(Setting::Scopes), "")
            }
            "invalid_target" => words(
                "the server refused the `resource` parameter (RFC 8707): if it does not support it, ",
                setting(Setting::ResourceParam),
                "",
            ),
            "invalid_client" | "unauthorized_client" => {
                words("the server does not accept Lanyard's client: ", setting(Setting::Client), "")
            }
            "invalid_redirect_uri" => words(
                "the server refused the loopback redirect URI: if the client is pre-registered with a fixed port, ",
                setting(Setting::RedirectPort),
                "",
            ),
            "access_denied" => words("the sign-in was refused; ", Remedy::SignIn, " to try again"),
            "invalid_grant" => words("the sign-in is no longer valid; ", Remedy::SignIn, ""),
            "temporarily_unavailable" | "server_error" => {
                words("the server has a problem for now; ", Remedy::ServerTroubled, "")
            }
            _ => words("", Remedy::SignIn, " to try again"),
        }
    }
}

/// What an [`OAuthErrorCode`] means and what fixes it: the hint is `meaning`, the fix, `then`.
struct CodeWords {
    meaning: &'static str,
    remedy: Remedy,
    then: &'static str,
}

impl fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which request of the flow an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// The first, unauthenticated request to the MCP server.
    Probe,
    /// RFC 9728 protected resource metadata.
    ResourceMetadata,
    /// RFC 8414 / OpenID Connect authorization server metadata.
    ServerMetadata,
    /// RFC 7591 dynamic client registration.
    Registration,
    /// The token endpoint, exchanging an authorization code.
    CodeExchange,
    /// The token endpoint, refreshing.
    Refresh,
    /// The token endpoint, client credentials grant.
    ClientCredentials,
    /// RFC 7009 revocation.
    Revocation,
    /// The identity provider's token endpoint, exchanging the sign-in's authorization code.
    IdentitySignIn,
    /// The identity provider's token endpoint, refreshing the identity session.
    IdentityRefresh,
    /// The identity provider's token endpoint, exchanging the ID token for an identity
    /// assertion grant (RFC 8693).
    TokenExchange,
    /// The token endpoint, presenting an identity assertion grant (RFC 7523).
    AssertionGrant,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Probe => "first MCP request",
            Self::ResourceMetadata => "protected resource metadata",
            Self::ServerMetadata => "authorization server metadata",
            Self::Registration => "client registration",
            Self::CodeExchange => "authorization code exchange",
            Self::Refresh => "token refresh",
            Self::ClientCredentials => "client credentials token request",
            Self::Revocation => "token revocation",
            Self::IdentitySignIn => "identity provider sign-in (code exchange)",
            Self::IdentityRefresh => "identity provider session refresh",
            Self::TokenExchange => "token exchange for an identity assertion grant (ID-JAG)",
            Self::AssertionGrant => "identity assertion grant token request",
        })
    }
}

/// What was wrong with metadata, a token response or a callback.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// The body is not the JSON object expected (serde's complaint, which never quotes values).
    NotJson(String),
    /// A required field is absent.
    Missing(&'static str),
    /// A field holds an unusable URL.
    BadUrl(&'static str),
    /// The body is larger than [`super::http::MAX_BODY`].
    TooLarge,
    /// The token type is not `Bearer`.
    NotBearer(String),
    /// A token exchange issued another type of token than the one asked for.
    NotIdJag(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotJson(why) => write!(f, "not the expected JSON: {why}"),
            Self::Missing(field) => write!(f, "`{field}` is missing"),
            Self::BadUrl(field) => write!(f, "`{field}` is not a valid URL"),
            Self::TooLarge => f.write_str("the answer is larger than 1 MiB"),
            Self::NotBearer(kind) => write!(f, "the token type is `{kind}`, not `Bearer`"),
            Self::NotIdJag(kind) => {
                write!(f, "the issued token type is `{kind}`, not an identity assertion grant")
            }
        }
    }
}

/// A sign-in's own secret (client secret, service token, client key) the vault does not hold,
/// and the command that stores it, worded by its remedy.
fn missing_secret(id: &SourceId, what: &str, reference: &SecretRef) -> String {
    let fix = Remedy::StoreSecret { reference: reference.0.clone() }.command(id);
    format!("source `{id}`: the {what} `{reference}` is not in the keychain; {fix}")
}

/// The rest of a timed-out sign-in's message when the client was pre-registered.
fn pre_registered_timeout_hint(id: &SourceId) -> String {
    format!(
        ". If the browser showed an error about the client or its redirect URI, the server knows this client under another id or redirect port: check them with `lanyard profile edit {id} --client-id <id> --redirect-port <port>`"
    )
}

/// A sign-in the person stopped (the window's Cancel, the terminal's Ctrl-C): not a failure, so
/// not an [`OAuthError`]; every front end says it in these words.
#[derive(Debug, thiserror::Error)]
#[error("the sign-in of `{id}` was cancelled")]
pub struct SignInCancelled {
    pub id: SourceId,
}

/// Why signing in, refreshing or revoking failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OAuthError {
    #[error("{}: {}", self.problem_text(), self.instruction())]
    NeedsSignIn { id: SourceId },

    #[error(transparent)]
    Network(#[from] crate::net::NetError),

    #[error("could not set up the HTTP client for sign-in: {err}")]
    HttpClient {
        #[source]
        err: reqwest::Error,
    },

    #[error("{}; {}", self.problem_text(), self.instruction())]
    SignInExpired { id: SourceId, code: OAuthErrorCode },

    /// The refresh token was refused right after an earlier refresh was cut off (the process
    /// ended, or the request timed out, while waiting for the server's answer): the server most
    /// likely rotated the token in that answer, which was lost, and then took the old one for a
    /// stolen copy.
    #[error("{}; {}", self.problem_text(), self.instruction())]
    RefreshCutOff { id: SourceId, code: OAuthErrorCode },

    /// The tokens were issued for another server or other sign-in settings than the profile
    /// has now (see [`super::binding`]); they were removed, unsent.
    #[error("{}; {}", self.problem_text(), self.instruction())]
    SignInOutdated { id: SourceId, signed_in_at: String, changed: Mismatch },

    #[error("{}; {} to register again and sign in", self.problem_text(), self.instruction())]
    RegistrationDropped { id: SourceId, issuer: String },

    #[error("{}; {}", self.problem_text(), self.instruction())]
    NeedsMoreScope { id: SourceId, scopes: Vec<String> },

    #[error("{}, or {}", self.problem_text(), self.instruction())]
    ScopeNotGranted { id: SourceId, scopes: Vec<String>, attempts: u32 },

    /// The client secret, or a service account's service token, which the vault does not hold.
    #[error(
        "{}",
        missing_secret(id, if *reference == SecretRef::service_token() { "service token" } else { "client secret" }, reference)
    )]
    MissingClientSecret { id: SourceId, reference: crate::ids::SecretRef },

    #[error(
        "{}; register a client there and set it with `lanyard profile edit {id} --client-id ID --client-secret-env VAR --client-issuer {named}`, or, if {named} is where the client was registered, pin it with `lanyard profile edit {id} --client-issuer {named}`",
        self.problem_text()
    )]
    ClientIssuerMoved { id: SourceId, registered_at: String, named: String },

    #[error("{}", missing_secret(id, "client key", reference))]
    MissingClientKey { id: SourceId, reference: crate::ids::SecretRef },

    #[error(
        "source `{id}`: the client key cannot sign the token request: {problem}; give another with `lanyard profile edit {id} --client-key-file key.pem [--client-key-alg ALG]`"
    )]
    ClientKey { id: SourceId, problem: super::assertion::KeyError },

    #[error("source `{id}`: {problem}; try again, and if it keeps failing run `lanyard doctor`")]
    Dpop { id: SourceId, problem: super::dpop::DpopError },

    #[error(
        "source `{id}`: the workload identity token file {path} cannot be used ({problem}); check that the platform provides it there, or change it with `lanyard profile edit {id} --assertion-file PATH`"
    )]
    WorkloadToken { id: SourceId, path: String, problem: String },

    #[error(
        "source `{id}` does not use sign-in (its auth is `{auth}`); set `--auth oauth` or `--auth client-credentials` with `lanyard profile edit {id}`"
    )]
    NotOAuth { id: SourceId, auth: &'static str },

    #[error("source `{id}`: sign-in needs an HTTP or SSE server URL, and this source runs a local command")]
    NotHttp { id: SourceId },

    #[error(
        "source `{id}`: could not reach {origin} for the {step}; check that the server is running and the URL is right"
    )]
    Unreachable {
        id: SourceId,
        origin: Origin,
        step: Step,
        #[source]
        err: reqwest::Error,
    },

    #[error("source `{id}`: {origin} answered the {step} with HTTP {status}")]
    HttpStatus { id: SourceId, origin: Origin, step: Step, status: u16 },

    #[error(
        "source `{id}`: {origin} answered the {step} with a redirect (HTTP {status}) to {}; Lanyard does not follow redirects in sign-in and token requests, since they could lead credentials to a server nobody named: the server has to answer at the URL itself",
        to.as_ref().map_or("an unreadable address", Origin::as_str)
    )]
    Redirected { id: SourceId, origin: Origin, step: Step, status: u16, to: Option<Origin> },

    #[error("source `{id}`: the {step} from {origin} is unusable: {problem}")]
    BadAnswer { id: SourceId, origin: Origin, step: Step, problem: Problem },

    #[error(
        "source `{id}`: {origin} publishes no protected resource metadata (RFC 9728) at its `WWW-Authenticate` URL nor at the well-known URLs, so Lanyard cannot find its authorization server"
    )]
    NoResourceMetadata { id: SourceId, origin: Origin },

    #[error(
        "source `{id}`: the protected resource metadata is for `{found}`, not for this server (`{expected}`); refusing to sign in to another server's authorization server"
    )]
    ResourceMismatch { id: SourceId, expected: String, found: String },

    #[error("source `{id}`: the protected resource metadata names no authorization server")]
    NoAuthorizationServer { id: SourceId },

    #[error(
        "source `{id}`: authorization server {issuer} publishes no metadata at the RFC 8414 or OpenID Connect well-known URLs"
    )]
    NoServerMetadata { id: SourceId, issuer: String },

    #[error(
        "source `{id}`: the authorization server metadata says issuer `{found}`, but it was fetched for `{expected}`; refusing it"
    )]
    IssuerMismatch { id: SourceId, expected: String, found: String },

    #[error(
        "source `{id}`: authorization server {issuer} does not advertise PKCE with S256 (`code_challenge_methods_supported`), which the MCP spec requires; refusing to sign in"
    )]
    NoPkce { id: SourceId, issuer: String },

    #[error(
        "source `{id}`: the {what} `{origin}`{} is neither https nor a loopback address; refusing to send credentials there",
        from.as_ref().map(|from| format!(" named by {from}")).unwrap_or_default()
    )]
    InsecureEndpoint { id: SourceId, what: &'static str, origin: Origin, from: Option<Origin> },

    #[error(
        "source `{id}`: the server's metadata points the {what} at `{origin}`, an address in a private network, while the MCP server is public; refusing it. If that is intended (a company-internal authorization server), allow it with `lanyard profile edit {id} --allow-private-network`"
    )]
    PrivateNetwork { id: SourceId, what: &'static str, origin: Origin },

    #[error(
        "source `{id}`: authorization server {issuer} offers neither dynamic client registration nor Client ID Metadata Documents; register a client there and set it with `lanyard profile edit {id} --client-id <id>` (and `--client-secret-env VAR` if it has a secret)"
    )]
    NoRegistration { id: SourceId, issuer: String },

    #[error("{}: {}", self.problem_text(), code.hint(id))]
    Refused { id: SourceId, origin: Origin, step: Step, code: OAuthErrorCode },

    #[error("{}: {}", self.problem_text(), code.hint(id))]
    AuthorizationFailed { id: SourceId, code: OAuthErrorCode },

    #[error(
        "{}, or pick another port with `lanyard profile edit {id} --redirect-port <port>`",
        self.problem_text()
    )]
    RedirectPortBusy {
        id: SourceId,
        port: u16,
        #[source]
        err: std::io::Error,
    },

    #[error("source `{id}`: could not listen on 127.0.0.1 for the sign-in redirect")]
    Listener {
        id: SourceId,
        #[source]
        err: std::io::Error,
    },

    #[error(
        "source `{id}`: the authorization URL is not https (or http on loopback), so it is not opened; check the server's metadata"
    )]
    UnsafeAuthorizationUrl { id: SourceId, origin: Origin },

    #[error(
        "source `{id}`: could not start the browser `{command}`; open the URL printed above by hand, or use `--no-browser`"
    )]
    Browser {
        id: SourceId,
        command: String,
        #[source]
        err: std::io::Error,
    },

    #[error(
        "{}; {} again (`--timeout` allows more time){}",
        self.problem_text(),
        Remedy::SignIn.command(id),
        if *pre_registered { pre_registered_timeout_hint(id) } else { String::new() }
    )]
    TimedOut {
        id: SourceId,
        limit: Duration,
        /// The client was the profile's pre-registered one, whose redirect URI the server may
        /// know with another port: an authorization server shows such an error in the browser
        /// and never redirects back (RFC 6749 4.1.2.1), so the timeout is all Lanyard sees.
        pre_registered: bool,
    },

    #[error("{}; {} again", self.problem_text(), self.instruction())]
    StateMismatch { id: SourceId },

    #[error("{}; {} again", self.problem_text(), self.instruction())]
    IssuerMixUp { id: SourceId, expected: String, found: Option<String> },

    #[error(
        "source `{id}`: the sign-in answer has neither a `code` nor an `error`; paste the whole address the browser ended on"
    )]
    BadCallback { id: SourceId },

    #[error("source `{id}`: the paste-back input ended before a sign-in answer was given")]
    PasteBackClosed { id: SourceId },

    #[error("{}; {}", self.problem_text(), self.instruction())]
    CorruptTokens { id: SourceId, problem: String },

    /// The last refresh failed on the server's side and its backoff has not run out: nothing was
    /// sent. The tokens, refresh token included, are kept.
    #[error(
        "source `{id}`: the last token refresh failed (the authorization server was unreachable or had trouble); Lanyard keeps the sign-in and tries again {}",
        crate::clock::relative_time(*retry_at)
    )]
    RetryLater { id: SourceId, retry_at: u64 },

    #[error("source `{id}`: could not lock `{}` to refresh the tokens alone", path.display())]
    Lock {
        id: SourceId,
        path: PathBuf,
        #[source]
        err: std::io::Error,
    },

    #[error("source `{id}`: {err}")]
    Vault {
        id: SourceId,
        #[source]
        err: VaultError,
    },
}

impl OAuthError {
    /// What happened, for the errors whose message goes on to say what to do with a `lanyard`
    /// command: the start of that message, written only here. The CLI prints it with its
    /// command (the variant's `#[error]`); a front-end with its own buttons prints it with its
    /// own words for [`Self::remedy`] (see [`Self::advice`]).
    fn problem(&self) -> Option<(&SourceId, String)> {
        Some(match self {
            Self::NeedsSignIn { id } => (id, format!("source `{id}` needs sign-in")),
            Self::SignInOutdated { id, signed_in_at, changed } => {
                (id, format!("source `{id}`: {}", changed.problem(signed_in_at)))
            }
            Self::SignInExpired { id, code } => (
                id,
                format!(
                    "source `{id}`: the sign-in expired and the server refused the refresh token ({code})"
                ),
            ),
            Self::RefreshCutOff { id, code } => (
                id,
                format!(
                    "source `{id}`: an earlier token refresh was cut off (Lanyard stopped, or gave up, while waiting for the server's answer), and now the server refuses the refresh token ({code}), most likely because it had already replaced it in the lost answer"
                ),
            ),
            Self::RegistrationDropped { id, issuer } => (
                id,
                format!(
                    "source `{id}`: authorization server {issuer} no longer knows Lanyard's client registration (invalid_client), so it was dropped"
                ),
            ),
            Self::NeedsMoreScope { id, scopes } => (
                id,
                format!(
                    "source `{id}`: the server wants more permission than this sign-in granted (scopes `{}`)",
                    scopes.join(" ")
                ),
            ),
            Self::ScopeNotGranted { id, scopes, attempts } => (
                id,
                format!(
                    "source `{id}`: the server still asks for scopes `{}` after {attempts} sign-ins that requested them, so another sign-in will not help; the account may not be allowed them: ask the server's administrator",
                    scopes.join(" ")
                ),
            ),
            Self::Refused { id, origin, step, code } => {
                (id, format!("source `{id}`: {origin} refused the {step} ({code})"))
            }
            Self::AuthorizationFailed { id, code } => {
                (id, format!("source `{id}`: the sign-in in the browser ended with `{code}`"))
            }
            Self::ClientIssuerMoved { id, registered_at, named } => (
                id,
                format!(
                    "source `{id}`: its server now names the authorization server {named}, but its pre-registered client belongs to {registered_at}, so the client's secret was not shown to {named}"
                ),
            ),
            Self::RedirectPortBusy { id, port, .. } => (
                id,
                format!(
                    "source `{id}`: port {port} on 127.0.0.1 is busy, so the sign-in redirect cannot be received; close the program using it"
                ),
            ),
            Self::TimedOut { id, limit, .. } => {
                (id, format!("source `{id}`: the sign-in did not finish within {} s", limit.as_secs()))
            }
            Self::StateMismatch { id } => (
                id,
                format!(
                    "source `{id}`: the sign-in answer carried the wrong `state`, so it may not come from the sign-in Lanyard started; ignored it and stopped"
                ),
            ),
            Self::IssuerMixUp { id, expected, found } => (
                id,
                format!(
                    "source `{id}`: the sign-in answer came from issuer `{}`, not `{expected}` (RFC 9207 `iss` check), a sign of a mix-up attack; stopped",
                    found.as_deref().unwrap_or("(none)")
                ),
            ),
            Self::CorruptTokens { id, problem } => {
                (id, format!("source `{id}`: the stored tokens cannot be read ({problem})"))
            }
            _ => return None,
        })
    }

    /// [`Self::problem`] for a `#[error]` that only variants with a problem use.
    fn problem_text(&self) -> String {
        self.problem().map(|(_, problem)| problem).unwrap_or_default()
    }

    /// What the terminal says to do after [`Self::problem`]: [`Self::remedy`] in the words of
    /// [`Remedy::command`], so that a message's instruction and the fix it gives front ends with
    /// their own words are one.
    fn instruction(&self) -> String {
        match (self.problem(), self.remedy()) {
            (Some((id, _)), Some(remedy)) => remedy.command(id),
            _ => String::new(),
        }
    }

    /// The fix, as data: the one the message's instruction names, else the one its kind
    /// implies (sign in again, wait for the server, the keychain's own fix).
    pub fn remedy(&self) -> Option<Remedy> {
        Some(match self {
            Self::NeedsMoreScope { scopes, .. } => Remedy::GrantScopes { scopes: scopes.clone() },
            Self::ScopeNotGranted { .. } => Remedy::ChangeSetting { setting: Setting::Scopes },
            Self::Refused { code, .. } | Self::AuthorizationFailed { code, .. } => code.remedy(),
            Self::ClientIssuerMoved { .. } => Remedy::ChangeSetting { setting: Setting::Client },
            Self::RedirectPortBusy { .. } => Remedy::ChangeSetting { setting: Setting::RedirectPort },
            Self::TimedOut { pre_registered: true, .. } => {
                Remedy::ChangeSetting { setting: Setting::RegisteredClient }
            }
            Self::TimedOut { .. } | Self::StateMismatch { .. } | Self::IssuerMixUp { .. } => Remedy::SignIn,
            Self::Vault { err, .. } => return err.remedy(),
            _ => match self.kind() {
                ErrorKind::NeedsSignIn => Remedy::SignIn,
                ErrorKind::Unreachable => Remedy::ServerUnreachable,
                _ => return None,
            },
        })
    }

    /// For errors whose message ends in a `lanyard` command that a front-end with its own
    /// buttons would word differently: the message up to that command, and the fix as data.
    /// `None` for the rest, whose message names no command or a setting only the CLI changes.
    pub fn advice(&self) -> Option<Advice> {
        let (id, problem) = self.problem()?;
        Some(Advice::new(id, problem, self.remedy()?))
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::NeedsSignIn { .. }
            | Self::SignInOutdated { .. }
            | Self::SignInExpired { .. }
            | Self::RefreshCutOff { .. }
            | Self::RegistrationDropped { .. }
            | Self::NeedsMoreScope { .. } => ErrorKind::NeedsSignIn,
            Self::MissingClientSecret { .. }
            | Self::ClientIssuerMoved { .. }
            | Self::MissingClientKey { .. }
            | Self::ClientKey { .. }
            | Self::WorkloadToken { .. }
            | Self::ScopeNotGranted { .. } => ErrorKind::Profile,
            Self::Network(_) | Self::HttpClient { .. } => ErrorKind::Profile,
            Self::NotOAuth { .. }
            | Self::NotHttp { .. }
            | Self::NoResourceMetadata { .. }
            | Self::ResourceMismatch { .. }
            | Self::NoAuthorizationServer { .. }
            | Self::NoServerMetadata { .. }
            | Self::IssuerMismatch { .. }
            | Self::NoPkce { .. }
            | Self::InsecureEndpoint { .. }
            | Self::PrivateNetwork { .. }
            | Self::NoRegistration { .. }
            | Self::RedirectPortBusy { .. }
            | Self::UnsafeAuthorizationUrl { .. } => ErrorKind::Profile,
            Self::Refused { code, .. } if code.as_str() == "invalid_grant" => ErrorKind::NeedsSignIn,
            Self::Refused { code, .. }
                if matches!(code.as_str(), "temporarily_unavailable" | "server_error") =>
            {
                ErrorKind::Unreachable
            }
            Self::Refused { .. } => ErrorKind::Profile,
            Self::Redirected { .. } => ErrorKind::Profile,
            Self::Unreachable { .. }
            | Self::HttpStatus { .. }
            | Self::BadAnswer { .. }
            | Self::RetryLater { .. }
            | Self::Listener { .. } => ErrorKind::Unreachable,
            Self::Vault { err, .. } => err.kind(),
            Self::CorruptTokens { .. } => ErrorKind::NeedsSignIn,
            Self::AuthorizationFailed { .. }
            | Self::Browser { .. }
            | Self::TimedOut { .. }
            | Self::StateMismatch { .. }
            | Self::IssuerMixUp { .. }
            | Self::BadCallback { .. }
            | Self::PasteBackClosed { .. }
            | Self::Dpop { .. }
            | Self::Lock { .. } => ErrorKind::SignInFailed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> SourceId {
        "github".parse().unwrap()
    }

    #[test]
    fn server_specific_codes_name_their_switch() {
        let hint = |code: &str| OAuthErrorCode(code.to_owned()).hint(&id());
        assert!(hint("invalid_scope").contains("--scope"), "invalid_scope points at --scope");
        assert!(
            hint("invalid_target").contains("--no-resource-param"),
            "invalid_target points at the resource switch"
        );
        assert!(hint("invalid_client").contains("--client-id"), "invalid_client points at the client id");
        assert!(
            hint("invalid_redirect_uri").contains("--redirect-port"),
            "a refused redirect points at the port"
        );
    }

    /// Issue 16: a missing sign-in secret is worded by its remedy, the one place that names the
    /// flag storing it, which the window's words for the same remedy use too.
    #[test]
    fn a_missing_sign_in_secret_names_what_it_is_and_the_flag_that_stores_it() {
        let id: SourceId = "svc".parse().unwrap();
        let secret =
            OAuthError::MissingClientSecret { id: id.clone(), reference: SecretRef::client_secret() };
        assert_eq!(
            secret.to_string(),
            "source `svc`: the client secret `oauth/client-secret` is not in the keychain; store it with `lanyard profile edit svc --client-secret-env VAR`"
        );
        let token = OAuthError::MissingClientSecret { id: id.clone(), reference: SecretRef::service_token() };
        assert!(token.to_string().contains("the service token `oauth/service-token`"), "{token}");
        assert!(token.to_string().ends_with("--service-token-env VAR`"), "{token}");
        let key = OAuthError::MissingClientKey { id, reference: SecretRef::client_key() };
        assert!(key.to_string().ends_with("--client-key-file key.pem`"), "{key}");
    }

    /// Issue "desktop app": the advice is the message up to its `lanyard` command, so the
    /// window can show the problem and its own fix while the CLI keeps its words.
    #[test]
    fn advice_is_the_message_without_its_terminal_instruction() {
        let origin = Origin::of(&url::Url::parse("https://as.example/token").unwrap());
        let code = |c: &str| OAuthErrorCode(c.to_owned());
        let errors = [
            OAuthError::NeedsSignIn { id: id() },
            OAuthError::SignInExpired { id: id(), code: code("invalid_grant") },
            OAuthError::SignInOutdated {
                id: id(),
                signed_in_at: "https://a.example/mcp".into(),
                changed: Mismatch::Server,
            },
            OAuthError::RefreshCutOff { id: id(), code: code("invalid_grant") },
            OAuthError::RegistrationDropped { id: id(), issuer: "https://as.example".into() },
            OAuthError::ClientIssuerMoved {
                id: id(),
                registered_at: "https://as.example".into(),
                named: "https://other.example".into(),
            },
            OAuthError::NeedsMoreScope { id: id(), scopes: vec!["admin".into()] },
            OAuthError::ScopeNotGranted { id: id(), scopes: vec!["admin".into()], attempts: 2 },
            OAuthError::Refused { id: id(), origin, step: Step::CodeExchange, code: code("invalid_scope") },
            OAuthError::AuthorizationFailed { id: id(), code: code("access_denied") },
            OAuthError::RedirectPortBusy { id: id(), port: 49999, err: std::io::ErrorKind::AddrInUse.into() },
            OAuthError::TimedOut { id: id(), limit: Duration::from_secs(300), pre_registered: false },
            OAuthError::TimedOut { id: id(), limit: Duration::from_secs(300), pre_registered: true },
            OAuthError::StateMismatch { id: id() },
            OAuthError::IssuerMixUp { id: id(), expected: "https://as.example".into(), found: None },
            OAuthError::CorruptTokens { id: id(), problem: "not JSON".into() },
        ];
        for err in errors {
            let message = err.to_string();
            let advice = err.advice().unwrap_or_else(|| panic!("advice for: {message}"));
            let rest = message.strip_prefix(&advice.problem).unwrap_or_else(|| {
                panic!("the problem must be the start of the message:\n{}\n{message}", advice.problem)
            });
            assert!(rest.contains("lanyard "), "what is left is the terminal instruction: {rest}");
            assert!(!advice.problem.contains("lanyard "), "the problem names no command: {}", advice.problem);
        }
        let pre_registered =
            OAuthError::TimedOut { id: id(), limit: Duration::from_secs(1), pre_registered: true };
        assert_eq!(
            pre_registered.advice().map(|a| a.remedy),
            Some(Remedy::ChangeSetting { setting: Setting::RegisteredClient }),
            "a pre-registered client's timeout points at its id and redirect port"
        );
    }

    /// Issue 16: the problem is written once and the message built from it; the CLI's words
    /// stay as they were, letter for letter.
    #[test]
    fn messages_built_from_their_problem_keep_the_cli_words() {
        let origin = Origin::of(&url::Url::parse("https://as.example/token").unwrap());
        let code = |c: &str| OAuthErrorCode(c.to_owned());
        let cases = [
            (
                OAuthError::NeedsSignIn { id: id() },
                "source `github` needs sign-in: run `lanyard connect github`",
            ),
            (
                OAuthError::NeedsMoreScope { id: id(), scopes: vec!["a".into(), "b".into()] },
                "source `github`: the server wants more permission than this sign-in granted (scopes `a b`); run `lanyard reconnect github` to sign in again and grant `a b`",
            ),
            (
                OAuthError::Refused { id: id(), origin, step: Step::Refresh, code: code("invalid_grant") },
                "source `github`: https://as.example refused the token refresh (invalid_grant): the sign-in is no longer valid; run `lanyard connect github`",
            ),
            (
                OAuthError::TimedOut { id: id(), limit: Duration::from_secs(300), pre_registered: false },
                "source `github`: the sign-in did not finish within 300 s; run `lanyard connect github` again (`--timeout` allows more time)",
            ),
            (
                OAuthError::IssuerMixUp { id: id(), expected: "https://as.example".into(), found: None },
                "source `github`: the sign-in answer came from issuer `(none)`, not `https://as.example` (RFC 9207 `iss` check), a sign of a mix-up attack; stopped; run `lanyard connect github` again",
            ),
            (
                OAuthError::CorruptTokens { id: id(), problem: "not JSON".into() },
                "source `github`: the stored tokens cannot be read (not JSON); run `lanyard connect github`",
            ),
        ];
        for (err, cli) in cases {
            assert_eq!(err.to_string(), cli, "the CLI's message");
        }
        // The instruction after the problem is the remedy as the terminal words it, not a
        // second wording of it.
        let errors = [
            OAuthError::SignInExpired { id: id(), code: code("invalid_grant") },
            OAuthError::RefreshCutOff { id: id(), code: code("invalid_grant") },
            OAuthError::RegistrationDropped { id: id(), issuer: "https://as.example".into() },
            OAuthError::ScopeNotGranted { id: id(), scopes: vec!["a".into()], attempts: 2 },
            OAuthError::StateMismatch { id: id() },
        ];
        for err in errors {
            let command = err.remedy().map(|r| r.command(&id())).unwrap_or_default();
            assert!(err.to_string().contains(&command), "{err} says {command}");
        }
    }

    #[test]
    fn each_code_has_the_remedy_its_hint_names() {
        let remedy = |code: &str| OAuthErrorCode(code.to_owned()).remedy();
        let setting = |setting| Remedy::ChangeSetting { setting };
        assert_eq!(remedy("invalid_scope"), setting(Setting::Scopes), "--scope");
        assert_eq!(remedy("invalid_target"), setting(Setting::ResourceParam), "--no-resource-param");
        assert_eq!(remedy("invalid_client"), setting(Setting::Client), "--client-id");
        assert_eq!(remedy("unauthorized_client"), setting(Setting::Client), "--client-id");
        assert_eq!(remedy("invalid_redirect_uri"), setting(Setting::RedirectPort), "--redirect-port");
        assert_eq!(remedy("server_error"), Remedy::ServerTroubled, "tries again later");
        for code in ["invalid_grant", "access_denied", "something_new"] {
            assert_eq!(remedy(code), Remedy::SignIn, "{code}: sign in again");
            assert!(
                OAuthErrorCode(code.to_owned()).hint(&id()).contains("lanyard connect"),
                "as the CLI says"
            );
        }
    }

    #[test]
    fn server_refusals_are_shown_with_the_switch_that_fixes_them() {
        let origin = Origin::of(&url::Url::parse("https://as.example/token").unwrap());
        let code = |c: &str| OAuthErrorCode(c.to_owned());
        let scope = OAuthError::AuthorizationFailed { id: id(), code: code("invalid_scope") }.to_string();
        assert!(scope.contains("invalid_scope") && scope.contains("--scope"), "{scope}");
        let client = OAuthError::Refused {
            id: id(),
            origin: origin.clone(),
            step: Step::CodeExchange,
            code: code("invalid_client"),
        }
        .to_string();
        assert!(client.contains("invalid_client") && client.contains("--client-id"), "{client}");
        let redirect = OAuthError::Refused {
            id: id(),
            origin: origin.clone(),
            step: Step::Registration,
            code: code("invalid_redirect_uri"),
        }
        .to_string();
        assert!(
            redirect.contains("--redirect-port"),
            "a refused redirect URI names the port switch: {redirect}"
        );
        let target =
            OAuthError::Refused { id: id(), origin, step: Step::CodeExchange, code: code("invalid_target") }
                .to_string();
        assert!(target.contains("--no-resource-param"), "a refused resource names its switch: {target}");
    }

    #[test]
    fn a_timed_out_pre_registered_sign_in_points_at_the_client_switches() {
        let limit = Duration::from_secs(5);
        let pre = OAuthError::TimedOut { id: id(), limit, pre_registered: true }.to_string();
        assert!(pre.contains("--redirect-port") && pre.contains("--client-id"), "{pre}");
        let dynamic = OAuthError::TimedOut { id: id(), limit, pre_registered: false }.to_string();
        assert!(
            !dynamic.contains("--redirect-port"),
            "a registered-here client's redirect is its own: {dynamic}"
        );
    }

    #[test]
    fn refused_refresh_reads_as_sign_in_needed() {
        let err = OAuthError::SignInExpired { id: id(), code: OAuthErrorCode("invalid_grant".into()) };
        assert_eq!(err.kind(), ErrorKind::NeedsSignIn, "an expired sign-in needs a new one");
        let text = err.to_string();
        assert!(text.contains("invalid_grant") && text.contains("lanyard connect github"), "{text}");
    }
}
