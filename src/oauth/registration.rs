//! Which OAuth client Lanyard is at an authorization server, in the MCP spec's order:
//! a pre-registered client from the profile, else a Client ID Metadata Document URL when the
//! profile has one and the server supports them, else dynamic registration (RFC 7591).
//!
//! Dynamic registrations are kept in the vault per issuer (`VaultKey::registration`), because a
//! registration belongs to the authorization server, not to a source: two sources behind the
//! same server share one, and a source whose server moves to another issuer registers anew. A
//! registration the server no longer knows (`invalid_client`) is dropped with [`forget`].

use serde::{Deserialize, Serialize};
use tracing::{info, instrument};
use url::Url;

use super::discovery::ServerMetadata;
use super::error::{OAuthError, Problem, Step};
use super::http::{ClientAuth, bad, parse_json, read_limited, refusal, unreachable};
use super::tokens::StoredTokens;
use crate::ids::SourceId;
use crate::profile::{Auth, OAuthSettings};
use crate::secret::Secret;
use crate::upstream::Origin;
use crate::vault::{Vault, VaultKey};

/// Where the client came from; decides whether it may be dropped and re-registered, and is shown
/// by `lanyard status` and the app beside the issuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    /// The profile's own client id (`--client-id`); a service account's client is one too.
    PreRegistered,
    /// The profile's Client ID Metadata Document URL, used as the client id.
    MetadataDocument,
    /// Registered by Lanyard (RFC 7591), kept per issuer in the vault.
    Dynamic,
}

impl ClientKind {
    /// Which client `client_id` (the one the tokens were issued to) is for a source with `auth`:
    /// the order of [`client_for`], read backwards from its outcome, so that status needs no
    /// keychain read of the registration. A client id that is neither the profile's nor its
    /// metadata document URL was registered dynamically.
    pub fn of(auth: &Auth, client_id: &str) -> Self {
        match auth {
            Auth::OAuth(settings) if settings.client_id.as_deref() == Some(client_id) => Self::PreRegistered,
            Auth::OAuth(settings) if settings.client_metadata_url.as_deref() == Some(client_id) => {
                Self::MetadataDocument
            }
            Auth::ClientCredentials(_) | Auth::Enterprise(_) => Self::PreRegistered,
            _ => Self::Dynamic,
        }
    }

    /// In words, for status lines.
    pub fn describe(self) -> &'static str {
        match self {
            Self::PreRegistered => "pre-registered",
            Self::MetadataDocument => "Client ID Metadata Document",
            Self::Dynamic => "dynamic registration (RFC 7591)",
        }
    }
}

/// The client for one sign-in or refresh.
#[derive(Debug, Clone)]
pub struct Client {
    pub auth: ClientAuth,
    pub kind: ClientKind,
}

/// A dynamic registration as kept in the vault (inside a [`Secret`]: it may hold a secret).
#[derive(Serialize, Deserialize)]
struct Stored {
    client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    #[serde(default)]
    token_endpoint_auth_method: Option<String>,
}

impl Drop for Stored {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.client_secret.zeroize();
    }
}

/// The client to use at `server` for source `id`, registering when needed.
#[instrument(skip_all, fields(source = %id))]
pub async fn client_for(
    http: &reqwest::Client,
    vault: &Vault,
    id: &SourceId,
    settings: &OAuthSettings,
    server: &ServerMetadata,
    redirect_uri: &Url,
    held: Option<&StoredTokens>,
) -> Result<Client, OAuthError> {
    if let Some(client) = configured(vault, id, settings, server, held).await? {
        return Ok(client);
    }
    if let Some(url) =
        settings.client_metadata_url.as_ref().filter(|_| server.client_id_metadata_document_supported)
    {
        return Ok(Client {
            auth: ClientAuth::None { client_id: url.clone() },
            kind: ClientKind::MetadataDocument,
        });
    }
    if let Some(stored) = load(vault, id, &server.issuer).await? {
        return Ok(stored);
    }
    register(http, vault, id, server, redirect_uri).await
}

/// The pre-registered client of a profile, with its secret from the vault. `held` are the
/// source's tokens from before this sign-in, if any: a client with a secret is refused at an
/// authorization server other than its own (see [`home_issuer`]).
pub async fn configured(
    vault: &Vault,
    id: &SourceId,
    settings: &OAuthSettings,
    server: &ServerMetadata,
    held: Option<&StoredTokens>,
) -> Result<Option<Client>, OAuthError> {
    let Some(client_id) = settings.client_id.clone() else { return Ok(None) };
    let secret = match &settings.client_secret {
        Some(reference) => {
            let home = home_issuer(settings.client_issuer.as_deref(), &client_id, held);
            check_home(id, home, &server.issuer)?;
            vault
                .source_secret(id, reference)
                .await
                .map_err(|err| OAuthError::Vault { id: id.clone(), err })?
        }
        None => None,
    };
    let auth = with_secret(client_id, secret, |method| server.takes_auth_method(method));
    Ok(Some(Client { auth, kind: ClientKind::PreRegistered }))
}

/// The authorization server a pre-registered client belongs to: the profile's `client_issuer`
/// when it names one, else the issuer that issued the source's current tokens to this client.
/// `None` before the first sign-in, when the server the person configured is taken at its word.
///
/// A person registers such a client at one authorization server; when the MCP server's metadata
/// later names another (a move, or a server taken over), that other server must not be shown the
/// client's secret or an assertion signed with its key (the MCP spec's authorization server
/// change; registrations Lanyard makes itself are kept per issuer and are safe by construction).
pub fn home_issuer<'a>(
    pinned: Option<&'a str>,
    client_id: &str,
    held: Option<&'a StoredTokens>,
) -> Option<&'a str> {
    pinned
        .or_else(|| held.filter(|tokens| tokens.client_id == client_id).map(|tokens| tokens.issuer.as_str()))
}

/// Refuses to present a pre-registered client's credentials at `named` when the client belongs
/// to another authorization server. Issuers are compared as the exact strings they are.
pub fn check_home(id: &SourceId, home: Option<&str>, named: &str) -> Result<(), OAuthError> {
    match home {
        Some(home) if home != named => Err(OAuthError::ClientIssuerMoved {
            id: id.clone(),
            registered_at: home.to_owned(),
            named: named.to_owned(),
        }),
        _ => Ok(()),
    }
}

/// Basic when the server takes it, else post; a public client without a secret.
pub fn with_secret(client_id: String, secret: Option<Secret>, takes: impl Fn(&str) -> bool) -> ClientAuth {
    match secret {
        None => ClientAuth::None { client_id },
        Some(secret) if !takes("client_secret_basic") && takes("client_secret_post") => {
            ClientAuth::Post { client_id, secret }
        }
        Some(secret) => ClientAuth::Basic { client_id, secret },
    }
}

/// The dynamic registration kept for `issuer`.
pub async fn load(vault: &Vault, id: &SourceId, issuer: &str) -> Result<Option<Client>, OAuthError> {
    let key = VaultKey::registration(issuer);
    let Some(text) = vault.get(&key).await.map_err(|err| OAuthError::Vault { id: id.clone(), err })? else {
        return Ok(None);
    };
    let Ok(mut stored) = serde_json::from_str::<Stored>(text.expose()) else {
        // Unreadable: register again rather than fail forever.
        return Ok(None);
    };
    let secret = stored.client_secret.take().map(Secret::new);
    let method =
        stored.token_endpoint_auth_method.clone().unwrap_or_else(|| "client_secret_basic".to_owned());
    let client_id = std::mem::take(&mut stored.client_id);
    let auth = with_secret(client_id, secret, |m| m == method);
    Ok(Some(Client { auth, kind: ClientKind::Dynamic }))
}

/// Drops the dynamic registration kept for `issuer` (the server no longer knows it).
pub async fn forget(vault: &Vault, id: &SourceId, issuer: &str) -> Result<(), OAuthError> {
    info!(source = %id, "dropping a client registration the server refused");
    vault
        .delete(&VaultKey::registration(issuer))
        .await
        .map(drop)
        .map_err(|err| OAuthError::Vault { id: id.clone(), err })
}

#[derive(Deserialize)]
struct Registered {
    client_id: Option<String>,
    client_secret: Option<String>,
    token_endpoint_auth_method: Option<String>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.client_secret.zeroize();
    }
}

/// RFC 7591 registration as a native public client with a loopback redirect.
async fn register(
    http: &reqwest::Client,
    vault: &Vault,
    id: &SourceId,
    server: &ServerMetadata,
    redirect_uri: &Url,
) -> Result<Client, OAuthError> {
    let step = Step::Registration;
    let Some(endpoint) = &server.registration_endpoint else {
        return Err(OAuthError::NoRegistration { id: id.clone(), issuer: server.issuer.clone() });
    };
    let origin = Origin::of(endpoint);
    let request = serde_json::json!({
        "client_name": "Lanyard",
        "application_type": "native",
        "redirect_uris": [redirect_uri.as_str()],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    });
    let response = http
        .post(endpoint.as_str())
        .header(reqwest::header::ACCEPT, "application/json")
        .json(&request)
        .send()
        .await
        .map_err(|err| unreachable(id, &origin, step, err))?;
    if let Some(err) = super::http::redirected(id, endpoint, step, &response) {
        return Err(err);
    }
    let status = response.status().as_u16();
    let body = read_limited(id, &origin, step, response).await?;
    if !(200..300).contains(&status) {
        return Err(refusal(id, &origin, step, status, &body));
    }
    let mut registered: Registered = parse_json(id, &origin, step, &body)?;
    let client_id =
        registered.client_id.take().ok_or_else(|| bad(id, &origin, step, Problem::Missing("client_id")))?;
    let method = registered.token_endpoint_auth_method.clone().unwrap_or_else(|| "none".to_owned());
    let stored = Stored {
        client_id: client_id.clone(),
        client_secret: registered.client_secret.take(),
        token_endpoint_auth_method: Some(method.clone()),
    };
    let text = Secret::new(serde_json::to_string(&stored).expect("a registration serializes"));
    vault
        .set(&VaultKey::registration(&server.issuer), &text)
        .await
        .map_err(|err| OAuthError::Vault { id: id.clone(), err })?;
    info!(source = %id, %origin, "registered a client");
    let secret = stored.client_secret.clone().map(Secret::new);
    Ok(Client { auth: with_secret(client_id, secret, |m| m == method), kind: ClientKind::Dynamic })
}

/// How the client that got `tokens` authenticates: the profile's pre-registered secret, the
/// dynamic registration's secret, or none. Here, beside the registrations it reads, so that both
/// refresh (`credentials`) and revocation (`revoke`) ask one place.
pub async fn client_auth(
    vault: &Vault,
    id: &SourceId,
    settings: &OAuthSettings,
    tokens: &StoredTokens,
) -> Result<ClientAuth, OAuthError> {
    let client_id = tokens.client_id.clone();
    if tokens.client_auth_method == "none" {
        return Ok(ClientAuth::None { client_id });
    }
    let secret = if settings.client_id.as_deref() == Some(client_id.as_str()) {
        match &settings.client_secret {
            Some(reference) => {
                check_home(id, settings.client_issuer.as_deref(), &tokens.issuer)?;
                vault
                    .source_secret(id, reference)
                    .await
                    .map_err(|err| OAuthError::Vault { id: id.clone(), err })?
            }
            None => None,
        }
    } else {
        match load(vault, id, &tokens.issuer).await? {
            Some(client) if client.auth.client_id() == client_id => match client.auth {
                ClientAuth::Basic { secret, .. } | ClientAuth::Post { secret, .. } => Some(secret),
                ClientAuth::None { .. } | ClientAuth::PrivateKeyJwt { .. } => None,
            },
            _ => None,
        }
    };
    Ok(match secret {
        None => ClientAuth::None { client_id },
        Some(secret) if tokens.client_auth_method == "client_secret_post" => {
            ClientAuth::Post { client_id, secret }
        }
        Some(secret) => ClientAuth::Basic { client_id, secret },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_goes_where_the_server_takes_it() {
        let basic = with_secret("c".into(), Some(Secret::new("s")), |m| m == "client_secret_basic");
        assert!(matches!(basic, ClientAuth::Basic { .. }), "basic when offered");
        let post = with_secret("c".into(), Some(Secret::new("s")), |m| m == "client_secret_post");
        assert!(matches!(post, ClientAuth::Post { .. }), "post when only post is offered");
        let public = with_secret("c".into(), None, |_| true);
        assert!(matches!(public, ClientAuth::None { .. }), "no secret: a public client");
    }

    #[test]
    fn the_kind_of_a_client_is_read_back_from_the_profile() {
        let settings = OAuthSettings {
            client_id: Some("pre".into()),
            client_metadata_url: Some("https://lanyard.example/client.json".into()),
            ..OAuthSettings::default()
        };
        let auth = Auth::OAuth(settings);
        assert_eq!(ClientKind::of(&auth, "pre"), ClientKind::PreRegistered, "the profile's own id");
        assert_eq!(
            ClientKind::of(&auth, "https://lanyard.example/client.json"),
            ClientKind::MetadataDocument,
            "the metadata document URL is the client id"
        );
        assert_eq!(ClientKind::of(&auth, "issued-7"), ClientKind::Dynamic, "anything else was registered");
        assert_eq!(
            ClientKind::of(&Auth::OAuth(OAuthSettings::default()), "issued-7"),
            ClientKind::Dynamic,
            "a profile without a client registers itself"
        );
    }

    fn server(cimd: bool) -> ServerMetadata {
        ServerMetadata {
            issuer: "https://as.example".into(),
            authorization_endpoint: Some(Url::parse("https://as.example/authorize").unwrap()),
            token_endpoint: Url::parse("https://as.example/token").unwrap(),
            registration_endpoint: None,
            revocation_endpoint: None,
            code_challenge_methods_supported: vec!["S256".into()],
            authorization_response_iss_parameter_supported: true,
            client_id_metadata_document_supported: cimd,
            token_endpoint_auth_methods_supported: None,
            scopes_supported: None,
            dpop_signing_alg_values_supported: None,
        }
    }

    #[tokio::test]
    async fn clients_are_chosen_in_the_spec_order() {
        let vault = Vault::mock();
        let id: SourceId = "s".parse().unwrap();
        let http = reqwest::Client::new();
        let redirect = Url::parse("http://127.0.0.1:5555/callback").unwrap();
        let document = "https://client.example/lanyard.json".to_owned();
        let both = OAuthSettings {
            client_id: Some("pre".into()),
            client_metadata_url: Some(document.clone()),
            ..OAuthSettings::default()
        };
        let chosen = client_for(&http, &vault, &id, &both, &server(true), &redirect, None).await.unwrap();
        assert_eq!(chosen.kind, ClientKind::PreRegistered, "a pre-registered client comes first");
        assert_eq!(chosen.auth.client_id(), "pre", "with the profile's id");

        let cimd = OAuthSettings { client_metadata_url: Some(document.clone()), ..OAuthSettings::default() };
        let chosen = client_for(&http, &vault, &id, &cimd, &server(true), &redirect, None).await.unwrap();
        assert_eq!(chosen.kind, ClientKind::MetadataDocument, "then a metadata document the server supports");
        assert_eq!(chosen.auth.client_id(), document, "whose URL is the client id");
        assert!(matches!(chosen.auth, ClientAuth::None { .. }), "a metadata-document client is public");

        let err = client_for(&http, &vault, &id, &cimd, &server(false), &redirect, None).await.unwrap_err();
        assert!(
            matches!(err, OAuthError::NoRegistration { .. }),
            "a server without metadata-document support gets dynamic registration, here unavailable: {err:?}"
        );
        let stored =
            Stored { client_id: "dyn".into(), client_secret: None, token_endpoint_auth_method: None };
        let text = Secret::new(serde_json::to_string(&stored).unwrap());
        vault.set(&VaultKey::registration("https://as.example"), &text).await.unwrap();
        let chosen = client_for(&http, &vault, &id, &cimd, &server(false), &redirect, None).await.unwrap();
        assert_eq!(chosen.kind, ClientKind::Dynamic, "the kept dynamic registration is reused");
        assert_eq!(chosen.auth.client_id(), "dyn", "the registered id");
        let chosen = client_for(&http, &vault, &id, &cimd, &server(true), &redirect, None).await.unwrap();
        assert_eq!(
            chosen.kind,
            ClientKind::MetadataDocument,
            "a metadata document still wins over a kept registration when the server supports it"
        );
    }

    #[tokio::test]
    async fn a_pre_registered_secret_goes_to_its_own_authorization_server_only() {
        let vault = Vault::mock();
        let id: SourceId = "s".parse().unwrap();
        let reference = crate::ids::SecretRef::client_secret();
        vault.set(&VaultKey::source_secret(&id, &reference), &Secret::new("s3cret")).await.unwrap();
        let settings = OAuthSettings {
            client_id: Some("c".into()),
            client_secret: Some(reference),
            ..OAuthSettings::default()
        };
        let moved = ServerMetadata { issuer: "https://elsewhere.example".into(), ..server(false) };
        let held = crate::oauth::tokens::tests::sample();
        assert_eq!(held.issuer, "https://as.example", "the tokens came from the first server");

        let chosen = configured(&vault, &id, &settings, &server(false), Some(&held)).await.unwrap();
        assert!(
            matches!(chosen.map(|c| c.auth), Some(ClientAuth::Basic { .. })),
            "at its own server the client proves itself with its secret"
        );
        let err = configured(&vault, &id, &settings, &moved, Some(&held)).await.unwrap_err();
        assert!(
            matches!(&err, OAuthError::ClientIssuerMoved { registered_at, named, .. }
                if registered_at == "https://as.example" && named == "https://elsewhere.example"),
            "another server named by the metadata is refused before the secret is read: {err:?}"
        );
        let pinned = OAuthSettings { client_issuer: Some("https://as.example".into()), ..settings.clone() };
        assert!(
            configured(&vault, &id, &pinned, &moved, None).await.is_err(),
            "a pinned issuer holds without any tokens"
        );
        let repinned =
            OAuthSettings { client_issuer: Some("https://elsewhere.example".into()), ..settings.clone() };
        assert!(
            configured(&vault, &id, &repinned, &moved, Some(&held)).await.is_ok(),
            "the profile's pin wins over the tokens' issuer: the person moved the client"
        );
        let other_client = crate::oauth::tokens::StoredTokens { client_id: "dyn-1".into(), ..held };
        assert!(
            configured(&vault, &id, &settings, &moved, Some(&other_client)).await.is_ok(),
            "tokens issued to another client say nothing of where this one belongs"
        );
        assert!(
            configured(&vault, &id, &settings, &moved.clone(), None).await.is_ok(),
            "on first use the configured server is taken at its word"
        );
        let public = OAuthSettings { client_secret: None, ..settings };
        let held = crate::oauth::tokens::tests::sample();
        assert!(
            configured(&vault, &id, &public, &moved, Some(&held)).await.is_ok(),
            "a client without a secret shows nothing secret anywhere"
        );
    }

    #[tokio::test]
    async fn registrations_are_kept_per_issuer() {
        let vault = Vault::mock();
        let id: SourceId = "s".parse().unwrap();
        let stored = Stored {
            client_id: "abc".into(),
            client_secret: Some("shh".into()),
            token_endpoint_auth_method: Some("client_secret_post".into()),
        };
        let text = Secret::new(serde_json::to_string(&stored).unwrap());
        vault.set(&VaultKey::registration("https://a.example"), &text).await.unwrap();
        let found = load(&vault, &id, "https://a.example").await.unwrap().expect("kept for its issuer");
        assert!(
            matches!(&found.auth, ClientAuth::Post { client_id, secret } if client_id == "abc" && secret.expose() == "shh"),
            "the registered secret and method are reused: {found:?}"
        );
        assert!(load(&vault, &id, "https://b.example").await.unwrap().is_none(), "another issuer has none");
        forget(&vault, &id, "https://a.example").await.unwrap();
        assert!(load(&vault, &id, "https://a.example").await.unwrap().is_none(), "forgotten");
    }
}
