//! Service accounts: the OAuth client credentials grant (RFC 6749 4.4).
//!
//! The token endpoint is the profile's `token_url`, or discovered from the MCP server like a
//! sign-in would. The client secret comes from the vault. `resource` (RFC 8707) is always sent,
//! because a token without an audience is useless to an MCP server that checks it. There is no
//! refresh token: renewal asks again, under the same per-source lock as a refresh.

use tracing::{debug, info, instrument};
use url::Url;

use super::binding::Binding;
use super::discovery::{canonical_resource, discover};
use super::error::{OAuthError, Step};
use super::http::{endpoint, post_form, refusal};
use super::registration::with_secret;
use super::tokens::{Grant, StoredTokens, TokenAnswer, now};
use crate::profile::{ClientCredentialsSettings, SourceId};
use crate::secret::Secret;
use crate::upstream::Origin;
use crate::vault::{Vault, VaultKey};

/// Asks for a token for `id` and stores it. `previous`, the source's last token, lends its
/// endpoints when the profile names no `token_url`: a renewal is then one request to the token
/// endpoint instead of discovery first (three more requests, to a server that may be busy).
/// Should that request fail for any reason but an unreachable server, discovery runs again.
#[instrument(skip_all, fields(source = %id))]
pub async fn fetch(
    http: &reqwest::Client,
    vault: &Vault,
    id: &SourceId,
    mcp_url: &Url,
    settings: &ClientCredentialsSettings,
    previous: Option<&StoredTokens>,
) -> Result<StoredTokens, OAuthError> {
    let secret = vault
        .get(&VaultKey::source_secret(id, &settings.client_secret))
        .await
        .map_err(|err| OAuthError::Vault { id: id.clone(), err })?
        .ok_or_else(|| OAuthError::MissingClientSecret {
            id: id.clone(),
            reference: settings.client_secret.clone(),
        })?;
    if settings.token_url.is_none()
        && let Some(known) = previous.and_then(|tokens| Endpoints::known(tokens, settings, &secret))
    {
        match request(http, vault, id, mcp_url, settings, known).await {
            Err(err) if !super::retry::is_transient(&err) => {
                debug!(source = %id, "the last token's endpoints did not work; discovering them again: {err}");
            }
            done => return done,
        }
    }
    let endpoints = Endpoints::find(http, id, mcp_url, settings, secret).await?;
    request(http, vault, id, mcp_url, settings, endpoints).await
}

/// Where and how to ask for a token.
struct Endpoints {
    token_endpoint: Url,
    issuer: String,
    revocation_endpoint: Option<Url>,
    auth: super::http::ClientAuth,
    resource: String,
    /// The scopes to ask for when the profile names none.
    default_scopes: Vec<String>,
}

impl Endpoints {
    /// The endpoints `tokens` (a client-credentials token of this client) were obtained from.
    fn known(tokens: &StoredTokens, settings: &ClientCredentialsSettings, secret: &Secret) -> Option<Self> {
        if tokens.grant != Grant::ClientCredentials || tokens.client_id != settings.client_id {
            return None;
        }
        let method = tokens.client_auth_method.as_str();
        Some(Self {
            token_endpoint: tokens.token_endpoint.clone(),
            issuer: tokens.issuer.clone(),
            revocation_endpoint: tokens.revocation_endpoint.clone(),
            auth: with_secret(settings.client_id.clone(), Some(secret.clone()), |m| m == method),
            resource: tokens.resource.clone()?,
            default_scopes: tokens.scopes.clone(),
        })
    }

    /// The profile's `token_url`, or what discovery from the MCP server finds.
    async fn find(
        http: &reqwest::Client,
        id: &SourceId,
        mcp_url: &Url,
        settings: &ClientCredentialsSettings,
        secret: Secret,
    ) -> Result<Self, OAuthError> {
        Ok(match &settings.token_url {
            Some(raw) => {
                let from = Origin::of(mcp_url);
                let url = endpoint(id, &from, Step::ClientCredentials, "token_url", raw)?;
                Self {
                    issuer: url.origin().ascii_serialization(),
                    token_endpoint: url,
                    revocation_endpoint: None,
                    auth: with_secret(settings.client_id.clone(), Some(secret), |m| {
                        m == "client_secret_basic"
                    }),
                    resource: canonical_resource(mcp_url),
                    default_scopes: Vec::new(),
                }
            }
            None => {
                let discovery = discover(http, id, mcp_url).await?;
                super::private_net::check(id, mcp_url, &discovery, settings.allow_private_network)?;
                let server = &discovery.server;
                Self {
                    token_endpoint: server.token_endpoint.clone(),
                    issuer: server.issuer.clone(),
                    revocation_endpoint: server.revocation_endpoint.clone(),
                    auth: with_secret(settings.client_id.clone(), Some(secret), |m| {
                        server.takes_auth_method(m)
                    }),
                    resource: discovery.resource.clone(),
                    default_scopes: discovery.scopes(None),
                }
            }
        })
    }
}

/// Asks `endpoints` for a token and stores it.
async fn request(
    http: &reqwest::Client,
    vault: &Vault,
    id: &SourceId,
    mcp_url: &Url,
    settings: &ClientCredentialsSettings,
    endpoints: Endpoints,
) -> Result<StoredTokens, OAuthError> {
    let Endpoints { token_endpoint, issuer, revocation_endpoint, auth, resource, default_scopes } = endpoints;
    let scopes = settings.scopes.clone().unwrap_or(default_scopes);
    let scope = scopes.join(" ");
    let mut fields = vec![("grant_type", "client_credentials"), ("resource", resource.as_str())];
    if !scope.is_empty() {
        fields.push(("scope", &scope));
    }
    let step = Step::ClientCredentials;
    let origin = Origin::of(&token_endpoint);
    let (status, body) = post_form(http, id, step, &token_endpoint, &auth, &fields).await?;
    if !(200..300).contains(&status) {
        return Err(refusal(id, &origin, step, status, &body));
    }
    let answer = TokenAnswer::parse(id, &origin, step, &body)?;
    let at = now();
    let tokens = StoredTokens {
        access_token: answer.access_token,
        refresh_token: None,
        expires_at: answer.expires_in.map(|s| at.saturating_add(s)),
        refresh_expires_at: None,
        scopes: answer.scope.unwrap_or(scopes),
        issuer,
        token_endpoint,
        revocation_endpoint,
        client_id: settings.client_id.clone(),
        client_auth_method: auth.method().to_owned(),
        resource: Some(resource),
        grant: Grant::ClientCredentials,
        obtained_at: at,
        step_up: None,
        account: None,
        binding: Some(Binding::client_credentials(settings, mcp_url)),
    };
    tokens.save(vault, id).await?;
    info!(source = %id, "service token obtained");
    Ok(tokens)
}
