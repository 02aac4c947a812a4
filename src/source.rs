//! A source's state as people see it: one enum, shared by the CLI, the bridge and the app, so
//! that "needs sign-in" means the same thing everywhere.

use serde::Serialize;

use crate::clock::relative_time;
use crate::history::{ErrorRecord, TokenActivity};
use crate::ids::{SecretRef, SourceId};
use crate::oauth::ClientKind;
use crate::oauth::pending::PendingSignIn;
use crate::oauth::{Account, Grant, IdentitySession, StoredTokens};
use crate::profile::{Auth, AuthKind, EnterpriseSettings, Profile, TransportKind};
use crate::remedy::Remedy;

/// Where a source stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SourceState {
    /// Switched off in its profile; agents do not see it.
    Disabled,
    /// A stdio server from outside (an import, a project's file, a link), stored switched off
    /// until the person has read what it runs and enabled it; agents do not see it.
    WaitingForApproval,
    /// Nothing stands in the way of connecting.
    Ready,
    /// A stdio source whose program is not found (not on `PATH`, or no such file): starting it
    /// would fail.
    CommandNotFound { command: String },
    /// A secret the profile refers to is not in the vault.
    MissingSecret { reference: SecretRef },
    /// The source uses per-user sign-in and holds no usable tokens: none yet, or the sign-in
    /// expired.
    NeedsSignIn,
    /// Holds an access token that is valid beyond the refresh margin.
    Connected { tokens: TokenStatus },
    /// The access token has expired or is due for renewal (within the refresh margin of its
    /// expiry, or past half of a short life); it is renewed on the next use (refresh token, or a
    /// new client credentials request).
    Expiring { tokens: TokenStatus },
    /// The tokens in the keychain cannot be read; signing in again replaces them.
    TokensUnreadable,
    /// Signed in, but the server answered `403 insufficient_scope` asking for `scopes` that the
    /// sign-in did not grant; `lanyard reconnect` requests them (never a background path).
    NeedsMoreScope { tokens: TokenStatus, scopes: Vec<String> },
    /// A refresh of these tokens is in flight right now (another process, or this one, holds the
    /// source's refresh lock); the next use waits for it and takes its result.
    Refreshing { tokens: TokenStatus },
    /// The last refresh failed for a reason other than a refused grant (the authorization server
    /// was down, answered 5xx or nonsense, the keychain failed). The tokens, refresh token
    /// included, are kept, and the next use tries again. `error` is that failure, with its time
    /// and hint (the same record as the row's `last_error`).
    Error { tokens: TokenStatus, error: ErrorRecord },
}

/// What `lanyard status` shows about a source's tokens: never the tokens themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenStatus {
    pub issuer: String,
    pub scopes: Vec<String>,
    /// `authorization_code` (a person signed in) or `client_credentials` (a service account).
    pub grant: Grant,
    /// When the access token expires, Unix seconds; `None` when the server did not say.
    pub access_expires_at: Option<u64>,
    pub has_refresh_token: bool,
    /// When the refresh token expires, Unix seconds, when the server said.
    pub refresh_expires_at: Option<u64>,
    /// When the tokens were last obtained or refreshed, Unix seconds.
    pub obtained_at: u64,
    /// Who signed in, when the server said (ID token claims).
    pub account: Option<Account>,
    /// The OAuth client the tokens were issued to.
    pub client: ClientStatus,
    /// Whether the tokens are bound to a key Lanyard holds (DPoP, RFC 9449).
    pub dpop: bool,
}

/// How the client behind a source's tokens is registered at the authorization server. A client
/// id is not a secret; a client secret is only ever "used" or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientStatus {
    pub kind: ClientKind,
    pub client_id: String,
    /// Whether the client authenticates with a secret at the token endpoint (a confidential
    /// client); `false` for a public client.
    pub has_secret: bool,
}

impl ClientStatus {
    /// Whether the client uses a secret, in the words `lanyard status` and the window both show
    /// beside its id.
    pub fn secret_words(&self) -> &'static str {
        if self.has_secret { "with a client secret" } else { "public client, no secret" }
    }
}

impl TokenStatus {
    /// `auth`: the source's profile settings, which tell how its client was registered.
    pub fn of(tokens: &StoredTokens, auth: &Auth) -> Self {
        Self {
            issuer: tokens.issuer.clone(),
            scopes: tokens.scopes.clone(),
            grant: tokens.grant,
            access_expires_at: tokens.expires_at,
            has_refresh_token: tokens.refresh_token.is_some(),
            refresh_expires_at: tokens.refresh_expires_at,
            obtained_at: tokens.obtained_at,
            account: tokens.account.clone(),
            client: ClientStatus {
                kind: ClientKind::of(auth, &tokens.client_id),
                client_id: tokens.client_id.clone(),
                has_secret: tokens.client_auth_method != "none",
            },
            dpop: tokens.dpop_key.is_some(),
        }
    }
}

impl SourceState {
    /// The tokens behind the state, for the states that hold some.
    pub fn tokens(&self) -> Option<&TokenStatus> {
        match self {
            Self::Connected { tokens }
            | Self::Expiring { tokens }
            | Self::NeedsMoreScope { tokens, .. }
            | Self::Refreshing { tokens }
            | Self::Error { tokens, .. } => Some(tokens),
            _ => None,
        }
    }

    /// A short plain-words line for lists.
    pub fn summary(&self) -> String {
        match self {
            Self::Disabled => "disabled".to_owned(),
            Self::WaitingForApproval => "waiting for your approval".to_owned(),
            Self::Ready => "ready".to_owned(),
            Self::CommandNotFound { command } => format!("command `{command}` not found"),
            Self::MissingSecret { reference } => format!("missing secret `{reference}`"),
            Self::NeedsSignIn => "needs sign-in".to_owned(),
            Self::Connected { tokens } => match tokens.access_expires_at {
                Some(at) => format!("connected (expires {})", relative_time(at)),
                None => "connected".to_owned(),
            },
            Self::Expiring { .. } => "expiring (renewed on next use)".to_owned(),
            Self::TokensUnreadable => "tokens unreadable".to_owned(),
            Self::NeedsMoreScope { scopes, .. } => format!("needs more scope ({})", scopes.join(" ")),
            Self::Refreshing { .. } => "refreshing".to_owned(),
            Self::Error { error, .. } => match error.retry_at.filter(|at| *at > crate::clock::now()) {
                Some(at) => {
                    format!("error, retrying {} (failed {})", relative_time(at), relative_time(error.at))
                }
                None => format!("error, retrying on next use ({})", relative_time(error.at)),
            },
        }
    }

    /// What to do about it, when there is something to do: the state's remedy as the terminal
    /// says it ([`Remedy::command`]); for an error, the hint recorded with it.
    pub fn hint(&self, id: &SourceId) -> Option<String> {
        match self {
            // The fix is outside Lanyard (install a program), so it has no remedy as data.
            Self::CommandNotFound { .. } => Some(format!(
                "install it or put it on PATH, or change the command with `lanyard profile edit {id} -- <command> [args...]`"
            )),
            Self::Error { error, .. } => {
                Some(error.hint.clone().unwrap_or_else(|| Remedy::RetryOnNextUse.command(id)))
            }
            _ => self.remedy().map(|remedy| remedy.command(id)),
        }
    }

    /// The fix [`Self::hint`] names, as data, for front-ends with their own words. `None` when
    /// there is nothing to do, or for an error recorded before remedies were (its hint is text
    /// only).
    pub fn remedy(&self) -> Option<Remedy> {
        match self {
            Self::Disabled => Some(Remedy::Enable),
            Self::WaitingForApproval => Some(Remedy::Approve),
            Self::MissingSecret { reference } => {
                Some(Remedy::StoreSecret { reference: reference.to_string() })
            }
            Self::NeedsSignIn | Self::TokensUnreadable => Some(Remedy::SignIn),
            Self::NeedsMoreScope { scopes, .. } => Some(Remedy::GrantScopes { scopes: scopes.clone() }),
            Self::Error { error, .. } => match (&error.remedy, &error.hint) {
                (Some(remedy), _) => Some(remedy.clone()),
                (None, None) => Some(Remedy::RetryOnNextUse),
                (None, Some(_)) => None,
            },
            Self::Ready
            | Self::CommandNotFound { .. }
            | Self::Connected { .. }
            | Self::Expiring { .. }
            | Self::Refreshing { .. } => None,
        }
    }
}

/// One row of `lanyard status`.
#[derive(Debug, Clone, Serialize)]
pub struct SourceStatus {
    pub id: SourceId,
    pub name: String,
    pub enabled: bool,
    pub transport: TransportKind,
    pub deprecated_transport: bool,
    pub target: String,
    pub auth: AuthKind,
    #[serde(flatten)]
    pub state: SourceState,
    pub hint: Option<String>,
    /// The last refresh result and the last sign-in or refresh error, for sources with tokens.
    #[serde(flatten)]
    pub activity: TokenActivity,
    /// The sign-in a `lanyard connect` (or the app) is waiting for right now, with its URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_sign_in: Option<PendingSignIn>,
    /// The MCP revision the source's last connection spoke (from its activity log).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// The identity session an enterprise source gets its tokens from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<IdentityStatus>,
    /// A stdio source's fence: off, or what the kernel enforced at its last start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<crate::sandbox::SandboxStatus>,
    /// The tools withheld from agents until the person reviews them (see [`crate::pins`]):
    /// *tools changed*.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_changes: Vec<crate::pins::PendingTool>,
    /// What a stdio source runs (command line, folder, environment names, fence), for the person
    /// to check, above all while it waits for their approval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch: Option<crate::launch::LaunchView>,
}

/// What `lanyard status` shows of an identity session (enterprise-managed authorization): never
/// its tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentityStatus {
    /// The identity provider's issuer.
    pub issuer: String,
    pub client_id: String,
    /// Whether a session is held that can give ID tokens without the browser.
    pub signed_in: bool,
    /// When the ID token expires, Unix seconds, when it says.
    pub id_token_expires_at: Option<u64>,
    pub has_refresh_token: bool,
    /// Who signed in, from the ID token.
    pub account: Option<Account>,
}

impl IdentityStatus {
    pub fn of(settings: &EnterpriseSettings, session: Option<&IdentitySession>) -> Self {
        Self {
            issuer: settings.idp_issuer.clone(),
            client_id: settings.idp_client_id.clone(),
            signed_in: session.is_some_and(IdentitySession::is_usable),
            id_token_expires_at: session.and_then(|s| s.expires_at),
            has_refresh_token: session.is_some_and(|s| s.refresh_token.is_some()),
            account: session.and_then(|s| s.account.clone()),
        }
    }
}

impl SourceStatus {
    pub fn new(profile: &Profile, state: SourceState) -> Self {
        let kind = profile.transport.kind();
        Self {
            id: profile.id().clone(),
            name: profile.display_name().to_owned(),
            enabled: profile.enabled,
            transport: kind,
            deprecated_transport: kind.is_deprecated(),
            target: redact_url_query(&profile.transport.target()),
            auth: profile.auth.kind(),
            hint: state.hint(profile.id()),
            state,
            activity: TokenActivity::default(),
            pending_sign_in: None,
            protocol: None,
            identity: None,
            sandbox: None,
            tool_changes: Vec::new(),
            launch: crate::launch::LaunchView::of(profile),
        }
    }
}

/// Drops a URL's query and fragment, which can carry keys, before it is shown anywhere.
pub fn redact_url_query(target: &str) -> String {
    match url::Url::parse(target) {
        Ok(mut url) if url.query().is_some() || url.fragment().is_some() || url.password().is_some() => {
            url.set_query(None);
            url.set_fragment(None);
            let _ = url.set_password(None);
            format!("{url}?…")
        }
        _ => target.to_owned(),
    }
}

/// The failure of the last refresh of `tokens`, when it failed after they were obtained and left
/// them in place (a refused grant deletes them, so that case reads as *needs sign-in* instead).
/// A later sign-in or successful refresh, here or in another process, makes it moot.
pub fn refresh_failure<'a>(tokens: &StoredTokens, activity: &'a TokenActivity) -> Option<&'a ErrorRecord> {
    let refresh = activity.last_refresh.as_ref().filter(|r| !r.ok && r.at >= tokens.obtained_at)?;
    activity.last_error.as_ref().filter(|e| e.at >= refresh.at)
}

/// Whether a profile's auth kind keeps sign-in tokens in the vault.
pub fn uses_sign_in(profile: &Profile) -> bool {
    matches!(profile.auth, Auth::OAuth(_))
}

/// Whether a profile's auth kind keeps OAuth tokens (signed in, or a service account's).
pub fn uses_tokens(profile: &Profile) -> bool {
    matches!(profile.auth, Auth::OAuth(_) | Auth::ClientCredentials(_) | Auth::Enterprise(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whether_a_client_uses_a_secret_is_worded_once() {
        let client =
            |has_secret| ClientStatus { kind: ClientKind::Dynamic, client_id: "c".into(), has_secret };
        assert_eq!(client(true).secret_words(), "with a client secret");
        assert_eq!(client(false).secret_words(), "public client, no secret");
    }

    #[test]
    fn query_strings_never_reach_status() {
        let shown = redact_url_query("https://x.example/mcp?api_key=planted");
        assert!(!shown.contains("planted"), "the query was shown: {shown}");
        assert_eq!(redact_url_query("https://x.example/mcp"), "https://x.example/mcp");
        assert_eq!(redact_url_query("npx -y server"), "npx -y server", "a command line is left alone");
    }

    fn tokens_obtained_at(at: u64) -> StoredTokens {
        StoredTokens {
            access_token: crate::Secret::new("a"),
            refresh_token: Some(crate::Secret::new("r")),
            expires_at: Some(at + 60),
            refresh_expires_at: None,
            scopes: Vec::new(),
            issuer: "https://as.example".into(),
            token_endpoint: url::Url::parse("https://as.example/token").unwrap(),
            revocation_endpoint: None,
            client_id: "c".into(),
            client_auth_method: "none".into(),
            resource: None,
            grant: Grant::AuthorizationCode,
            obtained_at: at,
            step_up: None,
            account: None,
            binding: None,
            dpop_key: None,
        }
    }

    #[test]
    fn a_failed_refresh_newer_than_the_tokens_is_an_error_state() {
        use crate::history::RefreshRecord;
        let error = ErrorRecord {
            at: 200,
            message: "down".into(),
            hint: Some("later".into()),
            problem: None,
            remedy: None,
            retry_at: None,
        };
        let failed = TokenActivity {
            last_refresh: Some(RefreshRecord { at: 200, ok: false, failures: 1 }),
            last_error: Some(error.clone()),
            refresh_started: None,
        };
        assert_eq!(
            refresh_failure(&tokens_obtained_at(100), &failed),
            Some(&error),
            "tokens older than the failed refresh are in the error state"
        );
        assert_eq!(
            refresh_failure(&tokens_obtained_at(300), &failed),
            None,
            "tokens obtained after the failure (a sign-in, another process's refresh) are not"
        );
        let ok = TokenActivity {
            last_refresh: Some(RefreshRecord { at: 200, ok: true, failures: 0 }),
            ..failed.clone()
        };
        assert_eq!(refresh_failure(&tokens_obtained_at(100), &ok), None, "a refresh that worked is no error");
        let cleared = TokenActivity { last_error: None, ..failed };
        assert_eq!(refresh_failure(&tokens_obtained_at(100), &cleared), None, "a cleared error is none");
    }

    #[test]
    fn the_error_state_says_it_retries_and_keeps_its_hint() {
        let tokens = TokenStatus::of(&tokens_obtained_at(100), &Auth::None);
        let error = ErrorRecord {
            at: crate::clock::now(),
            message: "down".into(),
            hint: Some("check it".into()),
            problem: None,
            remedy: Some(Remedy::ServerUnreachable),
            retry_at: None,
        };
        let state = SourceState::Error { tokens, error };
        assert!(state.summary().starts_with("error, retrying on next use"), "{}", state.summary());
        let id: SourceId = "s".parse().unwrap();
        assert_eq!(state.hint(&id).as_deref(), Some("check it"), "the recorded hint is the state's hint");
        let json = serde_json::to_value(&state).unwrap();
        assert_eq!(json["state"], "error", "the JSON state name: {json}");
        assert_eq!(json["error"]["message"], "down", "the JSON carries the error: {json}");
        assert!(json["tokens"]["has_refresh_token"] == true, "the refresh token is kept: {json}");
        assert_eq!(state.remedy(), Some(Remedy::ServerUnreachable), "the recorded remedy is the state's");
    }

    #[test]
    fn every_state_with_a_hint_has_its_remedy_as_data() {
        let id: SourceId = "s".parse().unwrap();
        let tokens = || TokenStatus::of(&tokens_obtained_at(100), &Auth::None);
        let error = |hint: Option<&str>| ErrorRecord {
            at: 1,
            message: "down".into(),
            hint: hint.map(str::to_owned),
            problem: None,
            remedy: None,
            retry_at: None,
        };
        let reference = SecretRef::header("X-Api-Key");
        let cases = [
            (SourceState::Disabled, Some(Remedy::Enable)),
            (SourceState::WaitingForApproval, Some(Remedy::Approve)),
            (SourceState::Ready, None),
            // The fix (install a program) is outside Lanyard: the hint says it in words only.
            (SourceState::CommandNotFound { command: "mcp-x".into() }, None),
            (
                SourceState::MissingSecret { reference },
                Some(Remedy::StoreSecret { reference: "header/X-Api-Key".into() }),
            ),
            (SourceState::NeedsSignIn, Some(Remedy::SignIn)),
            (SourceState::TokensUnreadable, Some(Remedy::SignIn)),
            (
                SourceState::NeedsMoreScope { tokens: tokens(), scopes: vec!["admin".into()] },
                Some(Remedy::GrantScopes { scopes: vec!["admin".into()] }),
            ),
            (SourceState::Error { tokens: tokens(), error: error(None) }, Some(Remedy::RetryOnNextUse)),
            (SourceState::Error { tokens: tokens(), error: error(Some("old words")) }, None),
            (SourceState::Connected { tokens: tokens() }, None),
        ];
        for (state, remedy) in cases {
            assert_eq!(state.remedy(), remedy, "the remedy of {}", state.summary());
            if let Some(remedy) = remedy {
                assert_eq!(
                    state.hint(&id),
                    Some(remedy.command(&id)),
                    "the CLI words the same fix for {}",
                    state.summary()
                );
            }
        }
    }
}
