//! Enterprise-managed authorization (the MCP `ext-auth` extension; the IETF Identity Assertion
//! JWT Authorization Grant): a source's tokens from the person's identity session, with no
//! browser and no consent per server.
//!
//! For each MCP server: discovery as for any sign-in; then RFC 8693 token exchange at the
//! identity provider (the ID token as `subject_token`, `requested_token_type` ID-JAG,
//! `audience` the server's authorization server issuer, `resource` the server's canonical URI,
//! the scopes), which answers with an Identity Assertion JWT Authorization Grant (ID-JAG); then
//! the RFC 7523 JWT bearer grant at the server's authorization server with the ID-JAG as
//! `assertion` and the client's own authentication there. The ID-JAG is a bearer credential:
//! it lives in a [`Secret`] for the two requests and is never stored.
//!
//! Renewal asks again the same way (a new ID-JAG from the session, which `identity` renews when
//! its ID token has expired). An ID token the identity provider refuses (revoked, expired early)
//! gets one renewal of the session, then the source needs sign-in.

use std::path::Path;

use serde::Deserialize;
use tracing::{info, instrument};
use url::Url;

use super::binding::Binding;
use super::discovery::{Discovery, discover};
use super::dpop::DpopKey;
use super::error::{OAuthError, Problem, Step};
use super::http::{ClientAuth, bad, parse_json, post_form, refusal};
use super::identity::{self, IdentitySession};
use super::registration::with_secret;
use super::tokens::{Grant, StoredTokens, TokenAnswer};
use crate::clock::now;
use crate::ids::SourceId;
use crate::profile::EnterpriseSettings;
use crate::secret::Secret;
use crate::upstream::Origin;
use crate::vault::Vault;

const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
const ID_JAG_TYPE: &str = "urn:ietf:params:oauth:token-type:id-jag";
pub(super) const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// How the person's identity session comes about in `lanyard connect`.
pub enum Identity {
    /// The stored session, or a sign-in at the identity provider in the browser.
    SignIn(super::SignInOptions),
    /// An ID token another tool obtained.
    Given(Secret),
}

/// `lanyard connect` of an enterprise source: the identity session (kept, signed in, or
/// adopted), then the source's tokens.
#[instrument(skip_all, fields(source = %id))]
pub async fn connect(
    http: &reqwest::Client,
    vault: &Vault,
    lock_dir: &Path,
    id: &SourceId,
    mcp_url: &Url,
    settings: &EnterpriseSettings,
    identity: Identity,
) -> Result<StoredTokens, OAuthError> {
    let session = match identity {
        Identity::Given(id_token) => identity::adopt(http, vault, id, settings, id_token).await?,
        Identity::SignIn(options) => match identity::current(http, vault, lock_dir, id, settings).await {
            Ok(session) => {
                info!(source = %id, "the identity session is still signed in; no browser");
                session
            }
            Err(OAuthError::NeedsSignIn { .. }) => {
                identity::sign_in(http, vault, id, settings, options).await?
            }
            Err(err) => return Err(err),
        },
    };
    tokens_from(http, vault, lock_dir, id, mcp_url, settings, session).await
}

/// New tokens for `id` from the identity session, stored; [`OAuthError::NeedsSignIn`] when there
/// is no session that can give an ID token.
#[instrument(skip_all, fields(source = %id))]
pub async fn fetch(
    http: &reqwest::Client,
    vault: &Vault,
    lock_dir: &Path,
    id: &SourceId,
    mcp_url: &Url,
    settings: &EnterpriseSettings,
) -> Result<StoredTokens, OAuthError> {
    let session = identity::current(http, vault, lock_dir, id, settings).await?;
    tokens_from(http, vault, lock_dir, id, mcp_url, settings, session).await
}

/// New tokens for `id` from `session`, stored.
async fn tokens_from(
    http: &reqwest::Client,
    vault: &Vault,
    lock_dir: &Path,
    id: &SourceId,
    mcp_url: &Url,
    settings: &EnterpriseSettings,
    session: IdentitySession,
) -> Result<StoredTokens, OAuthError> {
    let discovery = discover(http, id, mcp_url).await?;
    super::private_net::check(id, mcp_url, &discovery, settings.allow_private_network)?;
    let scopes = discovery.scopes(settings.scopes.as_deref());
    let grant = match exchange(http, id, &session, &discovery, &scopes).await {
        Err(OAuthError::Refused { code, .. }) if code.as_str() == "invalid_grant" => {
            // The provider no longer takes this ID token: one renewal of the session.
            let renewed = identity::renew_refused(http, vault, lock_dir, id, settings, &session).await?;
            exchange(http, id, &renewed, &discovery, &scopes).await?
        }
        done => done?,
    };
    present(http, vault, id, mcp_url, settings, &session, &discovery, &scopes, grant).await
}

/// The token exchange answer (RFC 8693 2.2.1): its `token_type` is `N_A`, so it is not a
/// [`TokenAnswer`].
#[derive(Deserialize)]
struct ExchangeAnswer {
    access_token: Option<String>,
    issued_token_type: Option<String>,
}

impl Drop for ExchangeAnswer {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.access_token.zeroize();
    }
}

/// The ID token exchanged at the identity provider for an ID-JAG for the server of `discovery`.
async fn exchange(
    http: &reqwest::Client,
    id: &SourceId,
    session: &IdentitySession,
    discovery: &Discovery,
    scopes: &[String],
) -> Result<Secret, OAuthError> {
    let scope = scopes.join(" ");
    let mut fields = vec![
        ("grant_type", TOKEN_EXCHANGE),
        ("requested_token_type", ID_JAG_TYPE),
        ("audience", discovery.server.issuer.as_str()),
        ("resource", discovery.resource.as_str()),
        ("subject_token", session.id_token.expose()),
        ("subject_token_type", ID_TOKEN_TYPE),
    ];
    if !scope.is_empty() {
        fields.push(("scope", &scope));
    }
    let auth = ClientAuth::None { client_id: session.client_id.clone() };
    let step = Step::TokenExchange;
    let origin = Origin::of(&session.token_endpoint);
    let (status, body) = post_form(http, id, step, &session.token_endpoint, &auth, &fields, None).await?;
    if !(200..300).contains(&status) {
        return Err(refusal(id, &origin, step, status, &body));
    }
    let mut answer: ExchangeAnswer = parse_json(id, &origin, step, &body)?;
    if let Some(kind) = answer.issued_token_type.as_deref().filter(|kind| *kind != ID_JAG_TYPE) {
        return Err(bad(id, &origin, step, Problem::NotIdJag(super::http::shown(kind, 80))));
    }
    let grant = answer.access_token.take().filter(|t| !t.is_empty());
    grant.map(Secret::new).ok_or_else(|| bad(id, &origin, step, Problem::Missing("access_token")))
}

/// The ID-JAG presented at the server's authorization server (RFC 7523 2.1); the tokens stored.
#[allow(clippy::too_many_arguments)]
async fn present(
    http: &reqwest::Client,
    vault: &Vault,
    id: &SourceId,
    mcp_url: &Url,
    settings: &EnterpriseSettings,
    session: &IdentitySession,
    discovery: &Discovery,
    scopes: &[String],
    grant: Secret,
) -> Result<StoredTokens, OAuthError> {
    let server = &discovery.server;
    let auth = client_auth(vault, id, settings, |method| server.takes_auth_method(method)).await?;
    let dpop = discovery
        .wants_dpop()
        .then(DpopKey::generate)
        .transpose()
        .map_err(|problem| OAuthError::Dpop { id: id.clone(), problem })?;
    let scope = scopes.join(" ");
    let mut fields = vec![
        ("grant_type", JWT_BEARER),
        ("assertion", grant.expose()),
        ("resource", discovery.resource.as_str()),
    ];
    if !scope.is_empty() {
        fields.push(("scope", &scope));
    }
    let step = Step::AssertionGrant;
    let answer =
        TokenAnswer::request(http, id, step, &server.token_endpoint, &auth, &fields, dpop.as_ref()).await?;
    let dpop_key = answer.bound_key(dpop.as_ref());
    let at = now();
    let tokens = StoredTokens {
        access_token: answer.access_token,
        // Renewal is a new grant from the identity session; a refresh token is not kept.
        refresh_token: None,
        expires_at: answer.expires_in.map(|s| at.saturating_add(s)),
        refresh_expires_at: None,
        scopes: answer.scope.unwrap_or_else(|| scopes.to_vec()),
        issuer: server.issuer.clone(),
        token_endpoint: server.token_endpoint.clone(),
        revocation_endpoint: server.revocation_endpoint.clone(),
        client_id: settings.client_id().to_owned(),
        client_auth_method: auth.method().to_owned(),
        resource: Some(discovery.resource.clone()),
        grant: Grant::IdentityAssertion,
        obtained_at: at,
        step_up: None,
        account: session.account.clone(),
        binding: Some(Binding::enterprise(settings, mcp_url)),
        dpop_key,
    };
    tokens.save(vault, id).await?;
    info!(source = %id, "tokens obtained with an identity assertion grant");
    Ok(tokens)
}

/// How the source's client authenticates at the server's authorization server: its secret the
/// way the server takes it, or a public client.
async fn client_auth(
    vault: &Vault,
    id: &SourceId,
    settings: &EnterpriseSettings,
    takes: impl Fn(&str) -> bool,
) -> Result<ClientAuth, OAuthError> {
    let client_id = settings.client_id().to_owned();
    let Some(reference) = &settings.client_secret else { return Ok(ClientAuth::None { client_id }) };
    let secret = vault
        .source_secret(id, reference)
        .await
        .map_err(|err| OAuthError::Vault { id: id.clone(), err })?
        .ok_or_else(|| OAuthError::MissingClientSecret { id: id.clone(), reference: reference.clone() })?;
    Ok(with_secret(client_id, Some(secret), takes))
}
