//! The sign-in side of the wire: what a source's tokens look like to the window (their status,
//! never the tokens), what happened to them lately, and what Disconnect did. Separate from the
//! sources and form types because it follows the engine's `oauth` model, which changes on its
//! own schedule.

use lanyard::history::{RefreshRecord, TokenActivity};
use lanyard::oauth::{ClientKind, Disconnected, Grant};
use lanyard::remedy::window::{Context, record_words};
use lanyard::source::TokenStatus;
use serde::Serialize;
use ts_rs::TS;

use super::TS_DIR;

/// What the app may know about a source's tokens: never the tokens themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub struct TokensView {
    pub issuer: String,
    pub scopes: Vec<String>,
    /// `true` when a person signed in; `false` for a service account (client credentials).
    pub signed_in_by_person: bool,
    /// Unix seconds; `null` when the server did not say.
    #[ts(type = "number | null")]
    pub access_expires_at: Option<u64>,
    pub has_refresh_token: bool,
    /// Unix seconds; `null` when the server did not say.
    #[ts(type = "number | null")]
    pub refresh_expires_at: Option<u64>,
    /// When the tokens were last obtained or refreshed, Unix seconds.
    #[ts(type = "number")]
    pub obtained_at: u64,
    /// Who signed in (email, else name, else subject), when the server said.
    pub account: Option<String>,
    /// How the client the tokens were issued to is registered at the issuer.
    pub client: ClientView,
}

/// The OAuth client behind a source's tokens: its kind of registration and its id (not a
/// secret), and whether it uses a client secret in the engine's words, never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub struct ClientView {
    pub registration: RegistrationView,
    /// The registration in words (the engine's, as `lanyard status` says it).
    pub registration_words: String,
    pub client_id: String,
    pub secret_words: String,
}

/// The engine's `ClientKind`, as the window words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub enum RegistrationView {
    /// The profile's own client id (or a service account's).
    PreRegistered,
    /// A Client ID Metadata Document URL is the client id.
    MetadataDocument,
    /// Lanyard registered itself (RFC 7591).
    Dynamic,
}

impl From<ClientKind> for RegistrationView {
    fn from(kind: ClientKind) -> Self {
        match kind {
            ClientKind::PreRegistered => Self::PreRegistered,
            ClientKind::MetadataDocument => Self::MetadataDocument,
            ClientKind::Dynamic => Self::Dynamic,
        }
    }
}

impl From<&TokenStatus> for TokensView {
    fn from(tokens: &TokenStatus) -> Self {
        Self {
            issuer: tokens.issuer.clone(),
            scopes: tokens.scopes.clone(),
            signed_in_by_person: tokens.grant == Grant::AuthorizationCode,
            access_expires_at: tokens.access_expires_at,
            has_refresh_token: tokens.has_refresh_token,
            refresh_expires_at: tokens.refresh_expires_at,
            obtained_at: tokens.obtained_at,
            account: tokens.account.as_ref().and_then(|a| a.label()).map(str::to_owned),
            client: ClientView {
                registration: tokens.client.kind.into(),
                registration_words: tokens.client.kind.describe().to_owned(),
                client_id: tokens.client.client_id.clone(),
                secret_words: tokens.client.secret_words().to_owned(),
            },
        }
    }
}

/// What happened lately to a source's tokens; nothing secret is in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub struct ActivityView {
    pub last_refresh: Option<RefreshRecord>,
    pub last_error: Option<ErrorView>,
}

/// The last sign-in or refresh error, in the engine's words, with what to do in the window's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub struct ErrorView {
    /// Unix seconds.
    #[ts(type = "number")]
    pub at: u64,
    pub message: String,
    pub hint: Option<String>,
    /// When the next refresh may be tried after a transient failure (backoff), Unix seconds.
    #[ts(type = "number | null")]
    pub retry_at: Option<u64>,
}

impl ActivityView {
    /// The engine's record, its error's hint in the window's words.
    pub(super) fn of(activity: TokenActivity, ctx: Context<'_>) -> Self {
        Self {
            last_refresh: activity.last_refresh,
            last_error: activity.last_error.map(|record| {
                let (message, hint) = record_words(&record, ctx.after_an_error());
                ErrorView { at: record.at, message, hint, retry_at: record.retry_at }
            }),
        }
    }
}

/// What Disconnect did. The tokens are gone from the keychain in every case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub enum DisconnectView {
    /// There were no tokens.
    NothingStored,
    /// Forgotten; the server offers no revocation.
    Forgotten,
    /// Revoked at the server and forgotten.
    Revoked,
    /// Forgotten, but the server did not confirm the revocation; `reason` says why.
    RevocationFailed { reason: String },
    /// An outcome this build of the app does not know yet.
    Other,
}

impl From<Disconnected> for DisconnectView {
    fn from(outcome: Disconnected) -> Self {
        match outcome {
            Disconnected::NothingStored => Self::NothingStored,
            Disconnected::Forgotten => Self::Forgotten,
            Disconnected::Revoked => Self::Revoked,
            Disconnected::RevocationFailed(err) => Self::RevocationFailed { reason: err.to_string() },
            _ => Self::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::StateView;

    #[test]
    fn token_status_reaches_the_ui_without_the_tokens() {
        let status = TokenStatus {
            issuer: "https://as.example".into(),
            scopes: vec!["mcp:read".into()],
            grant: Grant::AuthorizationCode,
            access_expires_at: Some(1_900_000_000),
            has_refresh_token: true,
            refresh_expires_at: None,
            obtained_at: 1_800_000_000,
            account: Some(lanyard::oauth::Account { sub: Some("alice".into()), email: None, name: None }),
            client: lanyard::source::ClientStatus {
                kind: ClientKind::Dynamic,
                client_id: "dyn-1".into(),
                has_secret: false,
            },
            dpop: false,
        };
        let view = TokensView::from(&status);
        assert_eq!(
            view.account.as_deref(),
            Some("alice"),
            "the account label is the best name the server gave"
        );
        assert!(view.signed_in_by_person, "an authorization code grant is a person's sign-in");
        let json =
            serde_json::to_value(StateView::NeedsMoreScope { tokens: view, scopes: vec!["admin".into()] })
                .unwrap();
        assert_eq!(json["kind"], "needsMoreScope", "the UI switches on `kind`");
        assert_eq!(json["tokens"]["accessExpiresAt"], 1_900_000_000u64, "camelCase expiry for the countdown");
    }

    fn stored(client_id: &str, method: &str) -> lanyard::oauth::StoredTokens {
        lanyard::oauth::StoredTokens {
            access_token: lanyard::Secret::new("planted-access-91b0"),
            refresh_token: None,
            expires_at: None,
            refresh_expires_at: None,
            scopes: vec![],
            issuer: "https://as.example".into(),
            token_endpoint: "https://as.example/token".parse().unwrap(),
            revocation_endpoint: None,
            client_id: client_id.into(),
            client_auth_method: method.into(),
            resource: None,
            grant: Grant::AuthorizationCode,
            obtained_at: 1,
            step_up: None,
            account: None,
            binding: None,
            dpop_key: None,
        }
    }

    /// The detail view shows beside the issuer how the client is registered and its id; whether
    /// it has a secret crosses as a flag only.
    #[test]
    fn the_client_registration_crosses_with_its_id_and_only_whether_a_secret_is_set() {
        use lanyard::ids::SecretRef;
        use lanyard::profile::{Auth, ClientCredentialsSettings, OAuthSettings};
        let pre = Auth::OAuth(OAuthSettings {
            client_id: Some("lanyard-desktop".into()),
            client_secret: Some(SecretRef::client_secret()),
            ..OAuthSettings::default()
        });
        let cimd = Auth::OAuth(OAuthSettings {
            client_metadata_url: Some("https://lanyard.example/client.json".into()),
            ..OAuthSettings::default()
        });
        let service = Auth::ClientCredentials(ClientCredentialsSettings::with_client_secret("svc"));
        let cases = [
            (&pre, "lanyard-desktop", "client_secret_basic", "preRegistered", true),
            (&cimd, "https://lanyard.example/client.json", "none", "metadataDocument", false),
            (&cimd, "dyn-7f", "none", "dynamic", false),
            (&pre, "dyn-8a", "client_secret_post", "dynamic", true),
            (&service, "svc", "client_secret_basic", "preRegistered", true),
        ];
        for (auth, client_id, method, registration, secret) in cases {
            let view = TokensView::from(&TokenStatus::of(&stored(client_id, method), auth));
            let json = serde_json::to_value(&view).unwrap();
            assert_eq!(json["client"]["registration"], registration, "{client_id} with {auth:?}: {json}");
            let words = view.client.registration_words.as_str();
            assert_eq!(words, TokenStatus::of(&stored(client_id, method), auth).client.kind.describe());
            assert_eq!(json["client"]["clientId"], client_id, "the id is shown: {json}");
            let said = if secret { "with a client secret" } else { "public client, no secret" };
            assert_eq!(json["client"]["secretWords"], said, "{method} means a secret or none: {json}");
            assert!(!json.to_string().contains("planted"), "no token crosses: {json}");
        }
    }

    #[test]
    fn disconnect_outcomes_map_one_to_one() {
        assert_eq!(DisconnectView::from(Disconnected::Revoked), DisconnectView::Revoked);
        assert_eq!(DisconnectView::from(Disconnected::NothingStored), DisconnectView::NothingStored);
        let json = serde_json::to_value(DisconnectView::from(Disconnected::Forgotten)).unwrap();
        assert_eq!(json, serde_json::json!({"kind": "forgotten"}), "tagged like the other wire enums");
    }
}
