//! The shapes that cross the IPC boundary: `camelCase` structs of the shell's own, built from
//! engine types at the edge, so the engine can change without the UI noticing and the UI never
//! sees an engine type by accident. None of them can hold a secret: a secret value only travels
//! inward (in the engine's [`Form`](lanyard::profile::Form)) and goes straight to the vault.
//! Where an engine type is already the window's shape (the add and edit form's, both ways), the
//! engine derives its TypeScript twin itself (feature `ts`) and the shell sends it as it is.
//!
//! The TypeScript twins in `ui/src/api/generated/` are written from these by ts-rs when
//! `cargo test -p lanyard-app` runs; the UI type-checks against them, so a change here that the
//! UI does not follow fails `npm run check`.

use lanyard::profile::{AuthKind, TransportKind};
use lanyard::remedy::window::{Context, SignInButton, SignInHints, record_words};
use lanyard::source::{SourceState, SourceStatus};
use serde::Serialize;
use ts_rs::TS;

mod activity_log;
mod bridge;
mod clients;
mod health;
mod tokens;
mod tools;

pub use activity_log::LogEntryView;
pub use bridge::{CliView, HubView, IdeClientView, IdeConfigView, RevealedToken};
pub use clients::{ClientsView, TakenOverView, UndoneView};
pub use health::HealthView;
pub use lanyard::clients::WrittenView;
pub use tokens::{ActivityView, DisconnectView, TokensView};
pub use tools::{ElicitAnswerInput, ToolChoiceInput, ToolChoiceView, ToolResultView};

/// Where ts-rs writes the TypeScript types, relative to `src-tauri/bindings/`.
pub const TS_DIR: &str = lanyard::TS_DIR;

/// One row of the sources list.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub struct SourceView {
    pub id: String,
    pub name: String,
    pub enabled: bool,
    pub transport: TransportKind,
    /// The URL (query removed) or the command line.
    pub target: String,
    /// How the source proves who it is; the UI offers Connect for `oauth`.
    pub auth: AuthView,
    pub state: StateView,
    /// What to do about the state, in the window's words (its buttons, not CLI commands), when
    /// there is something to do.
    pub hint: Option<String>,
    /// For a source that signs in with the browser: the to-do for each sign-in button; which
    /// one shows is the window's choice (it alone knows of a Test the server refused).
    pub sign_in_hints: Option<SignInHints>,
    /// The last refresh and the last sign-in or refresh error, for sources with tokens.
    pub activity: ActivityView,
    /// The MCP revision the source's last connection spoke (`2026-07-28`, `2025-11-25`, ...).
    pub protocol: Option<String>,
    /// The tools withheld from agents since their definition changed: *tools changed*.
    pub tool_changes: Vec<lanyard::pins::PendingTool>,
    /// What a stdio source runs, for the person to check (above all before approving it).
    pub launch: Option<lanyard::launch::LaunchView>,
}

/// The engine's auth kinds, as the UI branches on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub enum AuthView {
    None,
    /// Static credentials in headers or environment variables.
    Headers,
    /// A person signs in with the browser: Connect / Reconnect / Disconnect.
    #[serde(rename = "oauth")]
    OAuth,
    /// A service account (client credentials): tokens without a browser.
    ClientCredentials,
    /// The agent's own credentials are passed through.
    Passthrough,
    /// A kind this build of the app does not know yet.
    Other,
}

impl From<AuthKind> for AuthView {
    fn from(kind: AuthKind) -> Self {
        match kind {
            AuthKind::None => Self::None,
            AuthKind::Headers => Self::Headers,
            AuthKind::OAuth => Self::OAuth,
            AuthKind::ClientCredentials => Self::ClientCredentials,
            AuthKind::Passthrough => Self::Passthrough,
            _ => Self::Other,
        }
    }
}

/// The engine's `SourceState`, mapped at the edge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub enum StateView {
    Disabled,
    /// A stdio server from outside, disabled until the person approves what it runs.
    WaitingForApproval,
    Ready,
    MissingSecret {
        reference: String,
    },
    NeedsSignIn,
    /// Signed in; the access token is valid.
    Connected {
        tokens: TokensView,
    },
    /// The access token has expired or expires within the refresh margin; the next use renews
    /// it (refresh token, or a new client credentials request).
    Expiring {
        tokens: TokensView,
    },
    /// Signed in, but the server asked for `scopes` the sign-in did not grant: Reconnect.
    NeedsMoreScope {
        tokens: TokensView,
        scopes: Vec<String>,
    },
    /// The stored tokens cannot be read; signing in again replaces them.
    TokensUnreadable,
    /// A refresh of the tokens is in flight (another process holds the source's refresh lock).
    Refreshing {
        tokens: TokensView,
    },
    /// The last refresh failed (server down, 5xx); the tokens are kept and the next use retries.
    Error {
        tokens: TokensView,
        message: String,
        /// What to do about it, in the window's words, when the engine knows.
        hint: Option<String>,
        /// When it failed, Unix seconds.
        #[ts(type = "number")]
        at: u64,
        /// When the next refresh may be tried (the engine's backoff after transient failures),
        /// Unix seconds; `null` when the next use tries at once.
        #[ts(type = "number | null")]
        retry_at: Option<u64>,
    },
    /// A state this build of the app does not know yet; `summary` says it in words.
    Other {
        summary: String,
    },
}

impl StateView {
    /// The engine's state, with hints in the window's words for the source `ctx` describes.
    fn of(state: &SourceState, ctx: Context<'_>) -> Self {
        match state {
            SourceState::Disabled => Self::Disabled,
            SourceState::WaitingForApproval => Self::WaitingForApproval,
            SourceState::Ready => Self::Ready,
            SourceState::MissingSecret { reference } => {
                Self::MissingSecret { reference: reference.to_string() }
            }
            SourceState::NeedsSignIn => Self::NeedsSignIn,
            SourceState::Connected { tokens } => Self::Connected { tokens: tokens.into() },
            SourceState::Expiring { tokens } => Self::Expiring { tokens: tokens.into() },
            SourceState::NeedsMoreScope { tokens, scopes } => {
                Self::NeedsMoreScope { tokens: tokens.into(), scopes: scopes.clone() }
            }
            SourceState::TokensUnreadable => Self::TokensUnreadable,
            SourceState::Refreshing { tokens } => Self::Refreshing { tokens: tokens.into() },
            SourceState::Error { tokens, error } => {
                let (message, hint) = record_words(error, ctx.after_an_error());
                Self::Error { tokens: tokens.into(), message, hint, at: error.at, retry_at: error.retry_at }
            }
            other => Self::Other { summary: other.summary() },
        }
    }
}

impl From<SourceStatus> for SourceView {
    /// The engine's `hint` (worded for the terminal) stays behind: the window's hints are made
    /// from the state's remedy, in the window's words (`lanyard::remedy::window`).
    fn from(row: SourceStatus) -> Self {
        // As the window's main action: Reconnect once a sign-in or refresh failed.
        let sign_in =
            if row.activity.last_error.is_some() { SignInButton::Reconnect } else { SignInButton::Connect };
        let ctx = Context { id: &row.id, auth: Some(row.auth), sign_in };
        let state = StateView::of(&row.state, ctx);
        let hint = row.state.remedy().map(|remedy| remedy.in_window(ctx));
        let activity = ActivityView::of(row.activity, ctx);
        Self {
            id: row.id.to_string(),
            name: row.name,
            enabled: row.enabled,
            transport: row.transport,
            target: row.target,
            auth: row.auth.into(),
            state,
            hint,
            sign_in_hints: SignInHints::of(ctx),
            activity,
            protocol: row.protocol,
            tool_changes: row.tool_changes,
            launch: row.launch,
        }
    }
}

/// One tool, as agents see it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub struct ToolView {
    pub name: String,
    pub description: Option<String>,
}

impl ToolView {
    pub fn new(name: &str, description: Option<&str>) -> Self {
        Self { name: name.to_owned(), description: description.map(str::to_owned) }
    }
}

#[cfg(test)]
mod tests {
    use lanyard::ids::SecretRef;
    use lanyard::profile::{Auth, OAuthSettings};

    use super::*;

    /// The engine types the window reads and sends as they are (the add and edit form's), which
    /// no wire type of the shell refers to, so no `#[ts(export)]` here writes them.
    #[test]
    fn export_the_engine_types_the_window_uses() {
        use lanyard::profile::{FieldProblem, Form, SourceSettings};
        use ts_rs::TS;
        Form::export_all().unwrap();
        FieldProblem::export_all().unwrap();
        SourceSettings::export_all().unwrap();
        lanyard::catalog::window::Request::export_all().unwrap();
        lanyard::catalog::window::Answer::export_all().unwrap();
        lanyard::agents::AgentsBoard::export_all().unwrap();
        lanyard::bridge::AgentsView::export_all().unwrap();
        lanyard::agents::AgentChange::export_all().unwrap();
        lanyard::clients::WrittenView::export_all().unwrap();
    }

    #[test]
    fn states_serialize_with_a_kind_tag() {
        let json = serde_json::to_value(StateView::MissingSecret { reference: "header/X".into() }).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "missingSecret", "reference": "header/X"}),
            "the UI switches on `kind`"
        );
    }

    #[test]
    fn every_engine_auth_kind_has_its_own_view() {
        use lanyard::profile::ClientCredentialsSettings;
        let cc = ClientCredentialsSettings {
            client_secret: Some(SecretRef::header("x")),
            ..ClientCredentialsSettings::with_client_secret("c")
        };
        let kinds = [
            (Auth::None, AuthView::None),
            (Auth::Headers, AuthView::Headers),
            (Auth::OAuth(OAuthSettings::default()), AuthView::OAuth),
            (Auth::ClientCredentials(cc), AuthView::ClientCredentials),
            (Auth::Passthrough, AuthView::Passthrough),
        ];
        for (auth, view) in kinds {
            assert_eq!(AuthView::from(auth.kind()), view, "{} maps to its own view", auth.kind_name());
        }
        assert_eq!(serde_json::to_value(AuthView::OAuth).unwrap(), "oauth", "the UI compares this spelling");
    }

    /// Issue 6, "Secrets never leak": every payload about a source that crosses into the web
    /// view, built from sources whose forms held planted secrets in every place one can go and
    /// from tokens the keychain would hold, serialized and searched.
    #[test]
    fn issue_6_no_planted_secret_reaches_a_window_payload() {
        use lanyard::oauth::{Grant, StoredTokens};
        use lanyard::profile::{
            Form, FormAuth, FormServiceAccount, FormTransport, FormValue as NamedValue, SourceSettings,
        };
        use lanyard::source::TokenStatus;
        use lanyard::{Secret, profile::Profile};

        const PLANTED: [&str; 7] = [
            "planted-header-4b1e",
            "planted-env-9d03",
            "planted-query-77c2",
            "planted-client-secret-c1a8",
            "planted-service-token-e5f0",
            "planted-access-token-2a6b",
            "planted-refresh-token-8f4d",
        ];
        let secret =
            |name: &str, value: &str| NamedValue { name: name.into(), value: value.into(), secret: true };
        let text =
            |name: &str, value: &str| NamedValue { name: name.into(), value: value.into(), secret: false };
        let forms = [
            Form {
                id: "remote".into(),
                name: Some("Remote".into()),
                transport: FormTransport::Http {
                    url: format!("https://mcp.example/mcp?key={}", PLANTED[2]),
                    headers: vec![secret("X-Api-Key", PLANTED[0]), text("X-Team", "${TEAM}")],
                },
                auth: FormAuth::Plain,
            },
            Form {
                id: "local".into(),
                name: None,
                transport: FormTransport::Stdio {
                    command: "server".into(),
                    args: vec!["--stdio".into()],
                    env: vec![secret("API_KEY", PLANTED[1]), text("LOG_LEVEL", "debug")],
                    cwd: None,
                },
                auth: FormAuth::Plain,
            },
            Form {
                id: "service".into(),
                name: None,
                transport: FormTransport::Sse { url: "https://mcp.example/sse".into(), headers: vec![] },
                auth: FormAuth::ServiceAccount(FormServiceAccount {
                    token_url: String::new(),
                    client_id: "svc".into(),
                    client_secret: PLANTED[3].into(),
                    scopes: vec!["mcp:read".into()],
                    service_token_header: "X-Service-Token".into(),
                    service_token: PLANTED[4].into(),
                }),
            },
        ];
        let tokens = StoredTokens {
            access_token: Secret::new(PLANTED[5]),
            refresh_token: Some(Secret::new(PLANTED[6])),
            expires_at: Some(2_000_000_000),
            refresh_expires_at: None,
            scopes: vec!["mcp:read".into()],
            issuer: "https://as.example".into(),
            token_endpoint: "https://as.example/token".parse().unwrap(),
            revocation_endpoint: None,
            client_id: "svc".into(),
            client_auth_method: "client_secret_basic".into(),
            resource: Some("https://mcp.example/sse".into()),
            grant: Grant::ClientCredentials,
            obtained_at: 1_999_999_000,
            step_up: None,
            account: None,
            binding: None,
            dpop_key: None,
        };
        let status = TokenStatus::of(&tokens, &Auth::None);
        let mut payloads = Vec::new();
        let mut held = 0;
        for form in forms {
            let (profile, secrets): (Profile, _) = form.into_new().expect("the form converts");
            held += secrets.len();
            let stored: Vec<_> = secrets.iter().map(|(reference, _)| reference.clone()).collect();
            payloads.push(serde_json::to_string(&SourceSettings::new(&profile, &stored)).unwrap());
            for state in [
                SourceState::Ready,
                SourceState::Connected { tokens: status.clone() },
                SourceState::Expiring { tokens: status.clone() },
                SourceState::Refreshing { tokens: status.clone() },
                SourceState::NeedsMoreScope { tokens: status.clone(), scopes: vec!["mcp:admin".into()] },
            ] {
                let view = SourceView::from(SourceStatus::new(&profile, state));
                payloads.push(serde_json::to_string(&view).unwrap());
            }
        }
        payloads.push(serde_json::to_string(&TokensView::from(&status)).unwrap());
        assert_eq!(
            held, 4,
            "the header, env, client and service secrets went to the vault, so they were planted"
        );
        assert!(payloads.iter().any(|p| p.contains("X-Api-Key")), "the payloads do describe the sources");
        for payload in &payloads {
            for planted in PLANTED {
                assert!(!payload.contains(planted), "`{planted}` crossed into the window: {payload}");
            }
        }
    }

    #[test]
    fn an_error_state_reaches_the_ui_with_its_message_hint_and_time() {
        let tokens = TokensView {
            issuer: "https://as.example".into(),
            scopes: vec![],
            signed_in_by_person: true,
            access_expires_at: None,
            has_refresh_token: true,
            refresh_expires_at: None,
            obtained_at: 1,
            account: None,
            client: tokens::ClientView {
                registration: tokens::RegistrationView::Dynamic,
                registration_words: "dynamic".into(),
                client_id: "c".into(),
                secret_words: "public client, no secret".into(),
            },
        };
        let state = StateView::Error {
            tokens,
            message: "down".into(),
            hint: Some("later".into()),
            at: 7,
            retry_at: Some(37),
        };
        let json = serde_json::to_value(state).unwrap();
        assert_eq!(json["kind"], "error", "the UI switches on `kind`: {json}");
        assert_eq!(json["message"], "down", "the last error's message: {json}");
        assert_eq!(json["hint"], "later", "its hint: {json}");
        assert_eq!(json["at"], 7, "its time: {json}");
        assert_eq!(json["tokens"]["hasRefreshToken"], true, "the refresh token is kept: {json}");
        assert_eq!(json["retryAt"], 37, "the backoff's end, for the countdown: {json}");
    }

    /// Issue "proof": the engine's refresh backoff (10 s doubling to 5 min) reaches the window
    /// as the error state's `retryAt` and the last refresh's `failures`, with the message.
    #[test]
    fn the_refresh_backoff_crosses_from_the_engine_state_and_activity() {
        use lanyard::history::{ErrorRecord, RefreshRecord, TokenActivity};
        use lanyard::oauth::{Grant, StoredTokens};
        use lanyard::profile::{Profile, Transport};
        use lanyard::source::TokenStatus;

        let tokens = StoredTokens {
            access_token: lanyard::Secret::new("planted-access-0c3e"),
            refresh_token: Some(lanyard::Secret::new("planted-refresh-77aa")),
            expires_at: Some(2_000_000_000),
            refresh_expires_at: None,
            scopes: vec![],
            issuer: "https://as.example".into(),
            token_endpoint: "https://as.example/token".parse().unwrap(),
            revocation_endpoint: None,
            client_id: "c".into(),
            client_auth_method: "none".into(),
            resource: None,
            grant: Grant::AuthorizationCode,
            obtained_at: 1_999_999_000,
            step_up: None,
            account: None,
            binding: None,
            dpop_key: None,
        };
        let error = ErrorRecord {
            at: 1_999_999_500,
            message: "source `remote`: token endpoint https://as.example unreachable".into(),
            hint: Some("check that the server is reachable".into()),
            problem: None,
            remedy: Some(lanyard::remedy::Remedy::ServerUnreachable),
            retry_at: Some(1_999_999_540),
        };
        let mut profile = Profile::new(
            "remote".parse().unwrap(),
            Transport::Http { url: "https://mcp.example/mcp".into(), headers: Default::default() },
        );
        profile.auth = Auth::OAuth(OAuthSettings::default());
        let mut row = SourceStatus::new(
            &profile,
            SourceState::Error { tokens: TokenStatus::of(&tokens, &profile.auth), error: error.clone() },
        );
        row.activity = TokenActivity {
            last_refresh: Some(RefreshRecord { at: error.at, ok: false, failures: 3 }),
            last_error: Some(error),
            refresh_started: None,
        };
        let json = serde_json::to_value(SourceView::from(row)).unwrap();
        assert_eq!(json["state"]["kind"], "error", "{json}");
        assert_eq!(json["state"]["retryAt"], 1_999_999_540u64, "the countdown's end: {json}");
        assert_eq!(json["activity"]["lastRefresh"]["failures"], 3, "failures in a row: {json}");
        assert_eq!(json["activity"]["lastError"]["retryAt"], 1_999_999_540u64, "{json}");
        assert!(
            json["state"]["message"].as_str().unwrap().contains("unreachable"),
            "the last error's message: {json}"
        );
        assert_eq!(
            json["state"]["hint"],
            "check that the server is reachable; Lanyard keeps the sign-in and tries again later",
            "the error's hint, from its remedy: {json}"
        );
        assert_eq!(
            json["activity"]["lastError"]["hint"], json["state"]["hint"],
            "the same in the activity: {json}"
        );
        let text = json.to_string();
        assert!(!text.contains("planted"), "no token crosses: {text}");
    }

    /// Issue "desktop app": the window names its own buttons where the CLI names commands.
    #[test]
    fn hints_reach_the_window_in_its_own_words_the_cli_keeps_its_own() {
        use lanyard::history::{ErrorRecord, TokenActivity};
        use lanyard::oauth::OAuthError;
        use lanyard::profile::{Profile, Transport};

        let id: lanyard::ids::SourceId = "fixture".parse().unwrap();
        let mut profile = Profile::new(
            id.clone(),
            Transport::Http {
                url: "https://mcp.example/mcp?key=planted-query-5d1".into(),
                headers: Default::default(),
            },
        );
        profile.auth = Auth::OAuth(OAuthSettings::default());
        let fresh = SourceStatus::new(&profile, SourceState::NeedsSignIn);
        assert_eq!(fresh.hint.as_deref(), Some("run `lanyard connect fixture`"), "the CLI's words stay");
        let view = SourceView::from(fresh.clone());
        assert_eq!(
            view.hint.as_deref(),
            Some("click Connect to sign in with your browser"),
            "before any sign-in the window offers Connect"
        );

        let mut revoked = fresh;
        let refused = OAuthError::NeedsSignIn { id: id.clone() };
        revoked.activity =
            TokenActivity { last_error: Some(ErrorRecord::of(&refused, &id)), ..Default::default() };
        let cli_hint = revoked.activity.last_error.as_ref().and_then(|e| e.hint.clone());
        assert_eq!(cli_hint.as_deref(), Some("run `lanyard connect fixture`"), "the recorded CLI hint stays");
        let json = serde_json::to_value(SourceView::from(revoked)).unwrap();
        assert_eq!(json["hint"], "click Reconnect to sign in with your browser", "after a refusal: {json}");
        assert_eq!(json["activity"]["lastError"]["hint"], json["hint"], "the last error's hint too: {json}");
        let text = json.to_string();
        assert!(!text.contains("lanyard connect"), "no CLI command for what a button does: {text}");
        assert!(!text.contains("planted"), "no URL query crosses: {text}");

        let disabled = SourceView::from(SourceStatus::new(&profile, SourceState::Disabled));
        assert_eq!(disabled.hint.as_deref(), Some("click Enable"), "the detail's own toggle");
    }
}
