//! Disconnect: revoke a source's tokens where the server offers it (RFC 7009), then forget them.
//!
//! The refresh token is revoked first (which ends the whole grant at most servers), then the
//! access token. A failed revocation does not keep the tokens: the person asked to disconnect,
//! so the tokens are deleted either way and the outcome says whether the server heard of it.

use tracing::{info, instrument, warn};

use super::client_credentials::Proof;
use super::error::{OAuthError, Step};
use super::http::{ClientAuth, post_form, refusal};
use super::registration::client_auth;
use super::registration::with_secret;
use super::tokens::StoredTokens;
use crate::profile::{Auth, Profile};
use crate::upstream::Origin;
use crate::vault::Vault;

/// What a disconnect did.
#[derive(Debug)]
#[non_exhaustive]
pub enum Disconnected {
    /// There were no tokens.
    NothingStored,
    /// Tokens deleted; the server offers no revocation endpoint.
    Forgotten,
    /// Tokens revoked at the server and deleted.
    Revoked,
    /// Tokens deleted, but the server did not confirm the revocation.
    RevocationFailed(OAuthError),
}

/// Revokes and deletes `profile`'s tokens.
#[instrument(skip_all, fields(source = %profile.id()))]
pub async fn disconnect(
    http: &reqwest::Client,
    vault: &Vault,
    profile: &Profile,
) -> Result<Disconnected, OAuthError> {
    let Some(tokens) = StoredTokens::load(vault, profile.id()).await? else {
        return Ok(Disconnected::NothingStored);
    };
    revoke_and_forget(http, vault, profile, &tokens, Clients::Current).await
}

/// Revokes and deletes `tokens`, stored for `profile`'s source but issued for other settings than
/// its own now (a hand edit of the file moved the source to another server or client). The OAuth
/// client that got them authenticates as it registered; a client-credentials source asks as a
/// public client, since its configured secret or key may now belong to another client.
#[instrument(skip_all, fields(source = %profile.id()))]
pub(crate) async fn end_outdated(
    http: &reqwest::Client,
    vault: &Vault,
    profile: &Profile,
    tokens: &StoredTokens,
) -> Result<Disconnected, OAuthError> {
    revoke_and_forget(http, vault, profile, tokens, Clients::Public).await
}

/// Which client authentication a revocation may present for client-credentials tokens.
enum Clients {
    /// The profile's own secret or key: the tokens were issued to this profile's client.
    Current,
    /// None: the tokens may have been issued to another client.
    Public,
}

async fn revoke_and_forget(
    http: &reqwest::Client,
    vault: &Vault,
    profile: &Profile,
    tokens: &StoredTokens,
    clients: Clients,
) -> Result<Disconnected, OAuthError> {
    let id = profile.id();
    let outcome = match &tokens.revocation_endpoint {
        None => Disconnected::Forgotten,
        Some(endpoint) => {
            let auth = match &profile.auth {
                Auth::OAuth(settings) => client_auth(vault, id, settings, tokens).await?,
                Auth::ClientCredentials(_) if matches!(clients, Clients::Public) => {
                    ClientAuth::None { client_id: tokens.client_id.clone() }
                }
                Auth::ClientCredentials(settings) => {
                    let method = tokens.client_auth_method.clone();
                    match Proof::load(vault, id, settings).await {
                        Ok(proof) => {
                            proof.auth(tokens.client_id.clone(), tokens.issuer.clone(), |m| m == method)
                        }
                        // Without its secret the client still asks, as a public client would.
                        Err(OAuthError::MissingClientSecret { .. } | OAuthError::MissingClientKey { .. }) => {
                            with_secret(tokens.client_id.clone(), None, |m| m == method)
                        }
                        Err(err) => return Err(err),
                    }
                }
                _ => ClientAuth::None { client_id: tokens.client_id.clone() },
            };
            let mut result = Ok(());
            let kinds = [
                ("refresh_token", tokens.refresh_token.as_ref()),
                ("access_token", Some(&tokens.access_token)),
            ];
            for (hint, token) in kinds {
                let Some(token) = token else { continue };
                let fields = [("token", token.expose()), ("token_type_hint", hint)];
                let step = Step::Revocation;
                match post_form(http, id, step, endpoint, &auth, &fields, None).await {
                    Ok((status, _)) if (200..300).contains(&status) => {}
                    Ok((status, body)) => {
                        result = Err(refusal(id, &Origin::of(endpoint), step, status, &body))
                    }
                    Err(err) => result = Err(err),
                }
            }
            match result {
                Ok(()) => Disconnected::Revoked,
                Err(err) => {
                    warn!(source = %id, error = %err, "revocation failed; forgetting the tokens anyway");
                    Disconnected::RevocationFailed(err)
                }
            }
        }
    };
    StoredTokens::delete(vault, id).await?;
    info!(source = %id, "disconnected");
    Ok(outcome)
}
