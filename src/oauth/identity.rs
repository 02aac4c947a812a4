//! The identity session of enterprise-managed authorization: a person signed in once at the
//! company's identity provider (OpenID Connect, authorization code with PKCE over the same
//! loopback redirect as any sign-in), and the ID token and refresh token that came of it.
//!
//! One session per identity provider issuer and client id, in the vault
//! (`VaultKey::identity_session`), shared by every source that names both: that sharing is the
//! point of the extension, one sign-in for all of a company's MCP servers. The ID token is what
//! `enterprise` exchanges for an identity assertion grant per server; once it has expired, the
//! refresh token gets a new one (under a lock of its own, across processes, since refresh tokens
//! rotate), and without a refresh token the person signs in again. An ID token another tool
//! already obtained can be adopted instead of a sign-in (`lanyard connect --id-token-env`).
//!
//! Like the tokens of a source, the session exists outside a [`Secret`] only while its vault
//! document is (de)serialized here.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tracing::{info, instrument, warn};
use url::Url;

use super::account::from_id_token;
use super::authorize::{AuthorizationRequest, SignInOptions, ask_person, authorization_url};
use super::discovery::server_metadata;
use super::error::{OAuthError, Problem, Step};
use super::http::{ClientAuth, bad, endpoint, post_form, refusal};
use super::lock::SourceLock;
use super::pkce::Pkce;
use super::redirect::{Expected, LoopbackRedirect};
use super::tokens::{Account, TokenAnswer};
use crate::clock::now;
use crate::ids::{SourceId, random_base64url};
use crate::profile::EnterpriseSettings;
use crate::secret::Secret;
use crate::upstream::Origin;
use crate::vault::{Vault, VaultKey};

/// An ID token this close to its expiry is renewed before it is exchanged: the identity provider
/// must still find it valid when the exchange arrives.
const ID_TOKEN_MARGIN_SECS: u64 = 30;

/// The scopes of the sign-in: `openid` for the ID token, `offline_access` for a refresh token
/// that renews it without the browser.
const SIGN_IN_SCOPES: [&str; 2] = ["openid", "offline_access"];

/// A person's session at an identity provider.
#[derive(Debug, Clone)]
pub struct IdentitySession {
    pub id_token: Secret,
    pub refresh_token: Option<Secret>,
    /// When the ID token expires (its `exp`), Unix seconds; `None` when it does not say.
    pub expires_at: Option<u64>,
    pub issuer: String,
    pub client_id: String,
    /// Where the ID token is exchanged and the session refreshed.
    pub token_endpoint: Url,
    /// Who signed in, from the ID token.
    pub account: Option<Account>,
    /// When the session began or was last refreshed, Unix seconds.
    pub obtained_at: u64,
}

#[derive(Serialize, Deserialize)]
struct Document {
    version: u32,
    id_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<u64>,
    issuer: String,
    client_id: String,
    token_endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    account: Option<Account>,
    obtained_at: u64,
}

impl Drop for Document {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.id_token.zeroize();
        if let Some(token) = self.refresh_token.as_mut() {
            token.zeroize();
        }
    }
}

impl IdentitySession {
    /// Whether the ID token can still be exchanged (it has not expired, give or take the margin).
    pub fn id_token_fresh(&self) -> bool {
        self.expires_at.is_none_or(|at| at > now().saturating_add(ID_TOKEN_MARGIN_SECS))
    }

    /// Whether the session can give ID tokens without the browser: a fresh one, or a refresh
    /// token for the next.
    pub fn is_usable(&self) -> bool {
        self.id_token_fresh() || self.refresh_token.is_some()
    }

    /// The session `settings` name, if there is one. An unreadable document counts as none: it
    /// costs a sign-in, nothing more.
    pub async fn load(
        vault: &Vault,
        id: &SourceId,
        settings: &EnterpriseSettings,
    ) -> Result<Option<Self>, OAuthError> {
        let key = key_of(settings);
        let stored = vault.get(&key).await.map_err(|err| OAuthError::Vault { id: id.clone(), err })?;
        let Some(stored) = stored else { return Ok(None) };
        let document: Document = match serde_json::from_str(stored.expose()) {
            Ok(document) => document,
            Err(err) => {
                warn!(source = %id, line = err.line(), "the identity session cannot be read; a sign-in replaces it");
                return Ok(None);
            }
        };
        Ok(Self::from_document(document))
    }

    async fn save(&self, vault: &Vault, id: &SourceId) -> Result<(), OAuthError> {
        let document = Document {
            version: 1,
            id_token: self.id_token.expose().to_owned(),
            refresh_token: self.refresh_token.as_ref().map(|t| t.expose().to_owned()),
            expires_at: self.expires_at,
            issuer: self.issuer.clone(),
            client_id: self.client_id.clone(),
            token_endpoint: self.token_endpoint.to_string(),
            account: self.account.clone(),
            obtained_at: self.obtained_at,
        };
        let text = Secret::new(serde_json::to_string(&document).expect("the session document serializes"));
        vault
            .set(&VaultKey::identity_session(&self.issuer, &self.client_id), &text)
            .await
            .map_err(|err| OAuthError::Vault { id: id.clone(), err })
    }

    /// Ends the session `settings` name: removed from the vault. `true` if there was one.
    pub async fn delete(
        vault: &Vault,
        id: &SourceId,
        settings: &EnterpriseSettings,
    ) -> Result<bool, OAuthError> {
        vault.delete(&key_of(settings)).await.map_err(|err| OAuthError::Vault { id: id.clone(), err })
    }

    fn from_document(mut document: Document) -> Option<Self> {
        Some(Self {
            token_endpoint: Url::parse(&document.token_endpoint).ok()?,
            id_token: Secret::new(std::mem::take(&mut document.id_token)),
            refresh_token: document.refresh_token.take().map(Secret::new),
            expires_at: document.expires_at,
            issuer: document.issuer.clone(),
            client_id: document.client_id.clone(),
            account: document.account.take(),
            obtained_at: document.obtained_at,
        })
    }
}

fn key_of(settings: &EnterpriseSettings) -> VaultKey {
    VaultKey::identity_session(&settings.idp_issuer, &settings.idp_client_id)
}

/// The file name of the lock that serializes refreshes of one identity session.
fn lock_file(settings: &EnterpriseSettings) -> String {
    let digest = Sha256::digest(format!("{}#{}", settings.idp_issuer, settings.idp_client_id).as_bytes());
    let hex: String = digest[..12].iter().map(|byte| format!("{byte:02x}")).collect();
    format!("idp-{hex}.lock")
}

/// An ID token's `exp`, read without checking the signature (it came from the identity provider
/// over a checked connection, or from the person; the provider checks it when it is exchanged).
fn expiry_of(id_token: &Secret) -> Option<u64> {
    #[derive(Deserialize)]
    struct Claims {
        exp: Option<u64>,
    }
    let payload = id_token.expose().split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice::<Claims>(&bytes).ok()?.exp
}

/// The identity provider's token endpoint: the profile's, or discovered from its issuer.
async fn token_endpoint(
    http: &reqwest::Client,
    id: &SourceId,
    settings: &EnterpriseSettings,
) -> Result<Url, OAuthError> {
    match &settings.idp_token_endpoint {
        Some(raw) => {
            let issuer = Url::parse(&settings.idp_issuer).map_err(|_| OAuthError::NoServerMetadata {
                id: id.clone(),
                issuer: settings.idp_issuer.clone(),
            })?;
            endpoint(id, &Origin::of(&issuer), Step::TokenExchange, "idp_token_endpoint", raw)
        }
        None => Ok(server_metadata(http, id, &settings.idp_issuer).await?.token_endpoint),
    }
}

/// A session from an ID token the person already has: no sign-in, no refresh token; it ends
/// when the ID token expires.
pub async fn adopt(
    http: &reqwest::Client,
    vault: &Vault,
    id: &SourceId,
    settings: &EnterpriseSettings,
    id_token: Secret,
) -> Result<IdentitySession, OAuthError> {
    let session = IdentitySession {
        expires_at: expiry_of(&id_token),
        account: from_id_token(&id_token, &settings.idp_issuer, &settings.idp_client_id),
        id_token,
        refresh_token: None,
        issuer: settings.idp_issuer.clone(),
        client_id: settings.idp_client_id.clone(),
        token_endpoint: token_endpoint(http, id, settings).await?,
        obtained_at: now(),
    };
    session.save(vault, id).await?;
    info!(source = %id, "identity session taken from the given ID token");
    Ok(session)
}

/// Signs the person in at the identity provider in the browser and stores the session.
#[instrument(skip_all, fields(source = %id))]
pub async fn sign_in(
    http: &reqwest::Client,
    vault: &Vault,
    id: &SourceId,
    settings: &EnterpriseSettings,
    options: SignInOptions,
) -> Result<IdentitySession, OAuthError> {
    let metadata = server_metadata(http, id, &settings.idp_issuer).await?;
    let origin = Origin::of(&metadata.token_endpoint);
    let authorization_endpoint = metadata
        .authorization_endpoint
        .clone()
        .ok_or_else(|| bad(id, &origin, Step::ServerMetadata, Problem::Missing("authorization_endpoint")))?;
    let token_endpoint = match &settings.idp_token_endpoint {
        Some(_) => token_endpoint(http, id, settings).await?,
        None => metadata.token_endpoint.clone(),
    };
    let redirect = LoopbackRedirect::bind(id, None).await?;
    let redirect_uri = redirect.redirect_uri();
    let pkce = Pkce::new();
    let state = random_base64url(16);
    // `offline_access` only where the provider lists it (or lists nothing): some refuse a scope
    // they do not know.
    let scopes: Vec<String> = SIGN_IN_SCOPES
        .iter()
        .filter(|scope| {
            **scope == "openid"
                || metadata.scopes_supported.as_ref().is_none_or(|s| s.iter().any(|s| s == *scope))
        })
        .map(|scope| (*scope).to_owned())
        .collect();
    // A provider asks for consent before it issues a refresh token for `offline_access`.
    let extra = [("prompt".to_owned(), "consent".to_owned())].into_iter().collect();
    let url = authorization_url(&AuthorizationRequest {
        endpoint: &authorization_endpoint,
        client_id: &settings.idp_client_id,
        redirect_uri: &redirect_uri,
        challenge: &pkce.challenge,
        state: &state,
        scopes: &scopes,
        resource: None,
        extra: &extra,
    });
    let expected = Expected {
        state,
        issuer: metadata.issuer.clone(),
        iss_required: metadata.authorization_response_iss_parameter_supported,
    };
    let code = ask_person(id, &url, redirect, &expected, options, true).await?;
    let fields = [
        ("grant_type", "authorization_code"),
        ("code", code.expose()),
        ("redirect_uri", redirect_uri.as_str()),
        ("code_verifier", pkce.verifier.expose()),
    ];
    let auth = ClientAuth::None { client_id: settings.idp_client_id.clone() };
    let step = Step::IdentitySignIn;
    let answer = TokenAnswer::request(http, id, step, &metadata.token_endpoint, &auth, &fields, None).await?;
    let id_token =
        answer.id_token.clone().ok_or_else(|| bad(id, &origin, step, Problem::Missing("id_token")))?;
    let session = IdentitySession {
        expires_at: expiry_of(&id_token),
        account: from_id_token(&id_token, &metadata.issuer, &settings.idp_client_id),
        id_token,
        refresh_token: answer.refresh_token.clone(),
        issuer: settings.idp_issuer.clone(),
        client_id: settings.idp_client_id.clone(),
        token_endpoint,
        obtained_at: now(),
    };
    session.save(vault, id).await?;
    info!(source = %id, refreshable = session.refresh_token.is_some(), "signed in at the identity provider");
    Ok(session)
}

/// The session with an ID token that can be exchanged now: the stored one, or renewed with its
/// refresh token (under the session's lock; another process may have renewed it meanwhile).
/// [`OAuthError::NeedsSignIn`] when there is none, or it cannot be renewed.
pub async fn current(
    http: &reqwest::Client,
    vault: &Vault,
    lock_dir: &Path,
    id: &SourceId,
    settings: &EnterpriseSettings,
) -> Result<IdentitySession, OAuthError> {
    match IdentitySession::load(vault, id, settings).await? {
        Some(session) if session.id_token_fresh() => return Ok(session),
        None => return Err(OAuthError::NeedsSignIn { id: id.clone() }),
        Some(_) => {}
    }
    let _lock = SourceLock::acquire_file(lock_dir, &lock_file(settings), id).await?;
    match IdentitySession::load(vault, id, settings).await? {
        Some(session) if session.id_token_fresh() => Ok(session),
        Some(session) => refresh(http, vault, id, settings, session).await,
        None => Err(OAuthError::NeedsSignIn { id: id.clone() }),
    }
}

/// A session whose ID token the identity provider refused: renewed with its refresh token if it
/// has one (under the lock), else ended.
pub async fn renew_refused(
    http: &reqwest::Client,
    vault: &Vault,
    lock_dir: &Path,
    id: &SourceId,
    settings: &EnterpriseSettings,
    refused: &IdentitySession,
) -> Result<IdentitySession, OAuthError> {
    let _lock = SourceLock::acquire_file(lock_dir, &lock_file(settings), id).await?;
    match IdentitySession::load(vault, id, settings).await? {
        // Another process renewed it meanwhile.
        Some(session) if session.id_token != refused.id_token && session.id_token_fresh() => Ok(session),
        Some(session) => refresh(http, vault, id, settings, session).await,
        None => Err(OAuthError::NeedsSignIn { id: id.clone() }),
    }
}

/// Ends the session `settings` name: its refresh token revoked at the identity provider where
/// it offers revocation (RFC 7009; a failure there is logged, the session ends anyway), and the
/// session removed. `true` if there was one.
pub async fn end(
    http: &reqwest::Client,
    vault: &Vault,
    id: &SourceId,
    settings: &EnterpriseSettings,
) -> Result<bool, OAuthError> {
    let Some(session) = IdentitySession::load(vault, id, settings).await? else {
        return IdentitySession::delete(vault, id, settings).await;
    };
    if let Some(refresh_token) = &session.refresh_token {
        match server_metadata(http, id, &session.issuer).await.map(|m| m.revocation_endpoint) {
            Ok(Some(endpoint)) => {
                let fields = [("token", refresh_token.expose()), ("token_type_hint", "refresh_token")];
                let auth = ClientAuth::None { client_id: session.client_id.clone() };
                match post_form(http, id, Step::Revocation, &endpoint, &auth, &fields, None).await {
                    Ok((status, _)) if (200..300).contains(&status) => {
                        info!(source = %id, "identity session revoked")
                    }
                    Ok((status, _)) => {
                        warn!(source = %id, status, "the identity provider did not confirm the revocation")
                    }
                    Err(err) => warn!(source = %id, %err, "could not revoke the identity session"),
                }
            }
            Ok(None) => {}
            Err(err) => warn!(source = %id, %err, "no revocation endpoint found for the identity session"),
        }
    }
    IdentitySession::delete(vault, id, settings).await
}

/// Renews the session with its refresh token; without one, or when the provider refuses it or
/// gives no new ID token, the session ends and the person must sign in again.
async fn refresh(
    http: &reqwest::Client,
    vault: &Vault,
    id: &SourceId,
    settings: &EnterpriseSettings,
    session: IdentitySession,
) -> Result<IdentitySession, OAuthError> {
    let Some(refresh_token) = session.refresh_token.clone() else {
        IdentitySession::delete(vault, id, settings).await?;
        return Err(OAuthError::NeedsSignIn { id: id.clone() });
    };
    let fields = [("grant_type", "refresh_token"), ("refresh_token", refresh_token.expose())];
    let auth = ClientAuth::None { client_id: session.client_id.clone() };
    let step = Step::IdentityRefresh;
    let origin = Origin::of(&session.token_endpoint);
    let (status, body) = post_form(http, id, step, &session.token_endpoint, &auth, &fields, None).await?;
    if !(200..300).contains(&status) {
        let err = refusal(id, &origin, step, status, &body);
        if matches!(&err, OAuthError::Refused { code, .. } if code.as_str() == "invalid_grant") {
            IdentitySession::delete(vault, id, settings).await?;
            return Err(OAuthError::NeedsSignIn { id: id.clone() });
        }
        return Err(err);
    }
    let answer = TokenAnswer::parse(id, &origin, step, &body, false)?;
    let Some(id_token) = answer.id_token.clone() else {
        warn!(source = %id, "the identity provider's refresh gave no ID token; a sign-in is needed");
        IdentitySession::delete(vault, id, settings).await?;
        return Err(OAuthError::NeedsSignIn { id: id.clone() });
    };
    let renewed = IdentitySession {
        expires_at: expiry_of(&id_token),
        account: from_id_token(&id_token, &session.issuer, &session.client_id).or(session.account.clone()),
        id_token,
        refresh_token: answer.refresh_token.clone().or(session.refresh_token.clone()),
        obtained_at: now(),
        ..session
    };
    renewed.save(vault, id).await?;
    info!(source = %id, "identity session refreshed");
    Ok(renewed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(claims: serde_json::Value) -> Secret {
        let part = |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
        Secret::new(format!("{}.{}.sig", part(&serde_json::json!({"alg": "ES256"})), part(&claims)))
    }

    fn settings() -> EnterpriseSettings {
        EnterpriseSettings {
            idp_issuer: "https://idp.example".into(),
            idp_client_id: "lanyard".into(),
            idp_token_endpoint: Some("https://idp.example/token".into()),
            client_id: None,
            client_secret: None,
            scopes: None,
            allow_private_network: false,
        }
    }

    #[test]
    fn the_expiry_is_the_id_tokens_exp() {
        assert_eq!(expiry_of(&token(serde_json::json!({"exp": 1234}))), Some(1234));
        assert_eq!(expiry_of(&Secret::new("not-a-jwt")), None, "garbage: unknown");
    }

    #[tokio::test]
    async fn one_session_per_provider_and_client_and_it_ends_for_all() {
        let vault = Vault::mock();
        let id: SourceId = "a".parse().unwrap();
        let http = reqwest::Client::new();
        let exp = now() + 3600;
        let given = token(
            serde_json::json!({"iss": "https://idp.example", "aud": "lanyard", "sub": "u", "exp": exp}),
        );
        let adopted = adopt(&http, &vault, &id, &settings(), given.clone()).await.unwrap();
        assert_eq!(adopted.expires_at, Some(exp));
        let other: SourceId = "b".parse().unwrap();
        let shared = current(&http, &vault, Path::new("/nonexistent"), &other, &settings()).await.unwrap();
        assert_eq!(shared.id_token, given, "another source with the same provider and client shares it");
        let elsewhere = EnterpriseSettings { idp_client_id: "other".into(), ..settings() };
        assert!(
            IdentitySession::load(&vault, &other, &elsewhere).await.unwrap().is_none(),
            "another client: none"
        );
        assert!(IdentitySession::delete(&vault, &id, &settings()).await.unwrap());
        let gone = current(&http, &vault, Path::new("/nonexistent"), &other, &settings()).await;
        assert!(matches!(gone, Err(OAuthError::NeedsSignIn { .. })), "ended for every source: {gone:?}");
    }
}
