//! Service accounts: the OAuth client credentials grant (RFC 6749 4.4).
//!
//! The token endpoint is the profile's `token_url`, or discovered from the MCP server like a
//! sign-in would. The client secret comes from the vault. `resource` (RFC 8707) is always sent,
//! because a token without an audience is useless to an MCP server that checks it. There is no
//! refresh token: renewal asks again, under the same per-source lock as a refresh.

use tracing::{info, instrument};
use url::Url;

use super::discovery::{canonical_resource, discover};
use super::error::{OAuthError, Step};
use super::http::{endpoint, post_form, refusal};
use super::registration::with_secret;
use super::tokens::{Grant, StoredTokens, TokenAnswer, now};
use crate::profile::{ClientCredentialsSettings, SourceId};
use crate::upstream::Origin;
use crate::vault::{Vault, VaultKey};

/// Asks for a token for `id` and stores it.
#[instrument(skip_all, fields(source = %id))]
pub async fn fetch(
    http: &reqwest::Client,
    vault: &Vault,
    id: &SourceId,
    mcp_url: &Url,
    settings: &ClientCredentialsSettings,
) -> Result<StoredTokens, OAuthError> {
    let secret = vault
        .get(&VaultKey::source_secret(id, &settings.client_secret))
        .await
        .map_err(|err| OAuthError::Vault { id: id.clone(), err })?
        .ok_or_else(|| OAuthError::MissingClientSecret {
            id: id.clone(),
            reference: settings.client_secret.clone(),
        })?;
    let (token_endpoint, issuer, revocation_endpoint, auth, resource, default_scopes) = match &settings
        .token_url
    {
        Some(raw) => {
            let from = Origin::of(mcp_url);
            let url = endpoint(id, &from, Step::ClientCredentials, "token_url", raw)?;
            let auth = with_secret(settings.client_id.clone(), Some(secret), |m| m == "client_secret_basic");
            (
                url.clone(),
                url.origin().ascii_serialization(),
                None,
                auth,
                canonical_resource(mcp_url),
                Vec::new(),
            )
        }
        None => {
            let discovery = discover(http, id, mcp_url).await?;
            super::private_net::check(id, mcp_url, &discovery, settings.allow_private_network)?;
            let server = &discovery.server;
            let auth = with_secret(settings.client_id.clone(), Some(secret), |m| server.takes_auth_method(m));
            let scopes = discovery.scopes(None);
            (
                server.token_endpoint.clone(),
                server.issuer.clone(),
                server.revocation_endpoint.clone(),
                auth,
                discovery.resource.clone(),
                scopes,
            )
        }
    };
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
    };
    tokens.save(vault, id).await?;
    info!(source = %id, "service token obtained");
    Ok(tokens)
}
