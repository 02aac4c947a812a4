//! Service accounts: the OAuth client credentials grant (RFC 6749 4.4).
//!
//! The token endpoint is the profile's `token_url`, or discovered from the MCP server like a
//! sign-in would. The client proves itself with a client secret or, with `private_key_jwt`
//! (RFC 7523, MCP SEP-1046), with an assertion signed by its private key for each request; the
//! secret or the key comes from the vault. A workload (SEP-1933, workload identity federation)
//! instead presents the JWT its platform keeps in a file, with the JWT bearer grant (RFC 7523
//! 2.1): the file is read at each token request, since the platform replaces it. `resource` (RFC 8707) is always sent,
//! because a token without an audience is useless to an MCP server that checks it. There is no
//! refresh token: renewal asks again, under the same per-source lock as a refresh.

use tracing::{debug, info, instrument};
use url::Url;

use super::assertion::SigningKey;
use super::binding::Binding;
use super::binding::canonical_resource;
use super::discovery::discover;
use super::dpop::DpopKey;
use super::error::{OAuthError, Step};
use super::http::{ClientAuth, endpoint};
use super::registration::{check_home, home_issuer, with_secret};
use super::tokens::{Grant, StoredTokens, TokenAnswer};
use crate::clock::now;
use crate::ids::{SecretRef, SourceId};
use crate::profile::ClientCredentialsSettings;
use crate::secret::Secret;
use crate::upstream::Origin;
use crate::vault::Vault;

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
    let proof = Proof::load(vault, id, settings).await?;
    if settings.token_url.is_none()
        && let Some(known) = previous.and_then(|tokens| Endpoints::known(tokens, settings, &proof))
    {
        match request(http, vault, id, mcp_url, settings, known).await {
            Err(err) if !super::retry::is_transient(&err) => {
                debug!(source = %id, "the last token's endpoints did not work; discovering them again: {err}");
            }
            done => return done,
        }
    }
    let held = match previous {
        Some(_) => None,
        // A new token asked for by a sign-in: the source's current one still says where this
        // client belongs.
        None => StoredTokens::load_replaced(vault, id).await?,
    };
    let home =
        home_issuer(settings.client_issuer.as_deref(), &settings.client_id, previous.or(held.as_ref()));
    let endpoints = Endpoints::find(http, id, mcp_url, settings, proof, home).await?;
    request(http, vault, id, mcp_url, settings, endpoints).await
}

/// What a service account proves itself with, read from the vault (or, for a workload, where
/// its platform keeps its identity token).
pub(super) enum Proof {
    Secret(Secret),
    Key(SigningKey),
    Workload(std::path::PathBuf),
}

impl Proof {
    /// The profile's client secret or client key.
    pub(super) async fn load(
        vault: &Vault,
        id: &SourceId,
        settings: &ClientCredentialsSettings,
    ) -> Result<Self, OAuthError> {
        let read = |reference: SecretRef| async move {
            vault.source_secret(id, &reference).await.map_err(|err| OAuthError::Vault { id: id.clone(), err })
        };
        if let Some(path) = &settings.assertion_file {
            return Ok(Self::Workload(path.into()));
        }
        match (&settings.client_key, &settings.client_secret) {
            (Some(key), _) => {
                let pem = read(key.secret.clone()).await?.ok_or_else(|| OAuthError::MissingClientKey {
                    id: id.clone(),
                    reference: key.secret.clone(),
                })?;
                Ok(Self::Key(SigningKey::new(pem, key.alg)))
            }
            (None, Some(reference)) => {
                let secret = read(reference.clone()).await?.ok_or_else(|| {
                    OAuthError::MissingClientSecret { id: id.clone(), reference: reference.clone() }
                })?;
                Ok(Self::Secret(secret))
            }
            (None, None) => {
                Err(OAuthError::MissingClientSecret { id: id.clone(), reference: SecretRef::client_secret() })
            }
        }
    }

    /// How `client_id` authenticates at the authorization server `audience` (its issuer, or the
    /// token endpoint when no issuer is known): the key always signs; a secret goes the way the
    /// server takes (`takes`).
    pub(super) fn auth(
        self,
        client_id: String,
        audience: String,
        takes: impl Fn(&str) -> bool,
    ) -> ClientAuth {
        match self {
            Self::Key(key) => ClientAuth::PrivateKeyJwt { client_id, key, audience },
            Self::Secret(secret) => with_secret(client_id, Some(secret), takes),
            // The workload's token is the grant itself; the client is public.
            Self::Workload(_) => ClientAuth::None { client_id },
        }
    }
}

/// Where and how to ask for a token.
struct Endpoints {
    token_endpoint: Url,
    issuer: String,
    revocation_endpoint: Option<Url>,
    auth: ClientAuth,
    resource: String,
    /// The scopes to ask for when the profile names none.
    default_scopes: Vec<String>,
    /// The key the tokens are bound to, when the server wants DPoP-bound tokens.
    dpop: Option<DpopKey>,
}

impl Endpoints {
    /// The endpoints `tokens` (a client-credentials token of this client) were obtained from.
    fn known(tokens: &StoredTokens, settings: &ClientCredentialsSettings, proof: &Proof) -> Option<Self> {
        if tokens.grant != Grant::ClientCredentials || tokens.client_id != settings.client_id {
            return None;
        }
        let method = tokens.client_auth_method.as_str();
        let proof = match proof {
            Proof::Secret(secret) => Proof::Secret(secret.clone()),
            Proof::Key(key) => Proof::Key(key.clone()),
            Proof::Workload(path) => Proof::Workload(path.clone()),
        };
        Some(Self {
            token_endpoint: tokens.token_endpoint.clone(),
            issuer: tokens.issuer.clone(),
            revocation_endpoint: tokens.revocation_endpoint.clone(),
            auth: proof.auth(settings.client_id.clone(), tokens.issuer.clone(), |m| m == method),
            resource: tokens.resource.clone()?,
            default_scopes: tokens.scopes.clone(),
            dpop: tokens.dpop_key.clone(),
        })
    }

    /// The profile's `token_url`, or what discovery from the MCP server finds.
    async fn find(
        http: &reqwest::Client,
        id: &SourceId,
        mcp_url: &Url,
        settings: &ClientCredentialsSettings,
        proof: Proof,
        home: Option<&str>,
    ) -> Result<Self, OAuthError> {
        Ok(match &settings.token_url {
            Some(raw) => {
                let from = Origin::of(mcp_url);
                let url = endpoint(id, &from, Step::ClientCredentials, "token_url", raw)?;
                // Without metadata no issuer is known, so an assertion names the token
                // endpoint as its audience (RFC 7523 3 allows it).
                let audience = url.to_string();
                Self {
                    issuer: url.origin().ascii_serialization(),
                    token_endpoint: url,
                    revocation_endpoint: None,
                    auth: proof.auth(settings.client_id.clone(), audience, |m| m == "client_secret_basic"),
                    resource: canonical_resource(mcp_url),
                    default_scopes: Vec::new(),
                    dpop: None,
                }
            }
            None => {
                let discovery = discover(http, id, mcp_url).await?;
                super::private_net::check(id, mcp_url, &discovery, settings.allow_private_network)?;
                let server = &discovery.server;
                check_home(id, home, &server.issuer)?;
                Self {
                    token_endpoint: server.token_endpoint.clone(),
                    issuer: server.issuer.clone(),
                    revocation_endpoint: server.revocation_endpoint.clone(),
                    auth: proof.auth(settings.client_id.clone(), server.issuer.clone(), |m| {
                        server.takes_auth_method(m)
                    }),
                    resource: discovery.resource.clone(),
                    default_scopes: discovery.scopes(None),
                    dpop: discovery
                        .wants_dpop()
                        .then(DpopKey::generate)
                        .transpose()
                        .map_err(|problem| OAuthError::Dpop { id: id.clone(), problem })?,
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
    let Endpoints { token_endpoint, issuer, revocation_endpoint, auth, resource, default_scopes, dpop } =
        endpoints;
    let scopes = settings.scopes.clone().unwrap_or(default_scopes);
    let scope = scopes.join(" ");
    let workload = match &settings.assertion_file {
        Some(path) => Some(workload_token(id, std::path::Path::new(path))?),
        None => None,
    };
    let mut fields = match &workload {
        Some(token) => vec![("grant_type", super::enterprise::JWT_BEARER), ("assertion", token.expose())],
        None => vec![("grant_type", "client_credentials")],
    };
    fields.push(("resource", resource.as_str()));
    if !scope.is_empty() {
        fields.push(("scope", &scope));
    }
    let answer = TokenAnswer::request(
        http,
        id,
        Step::ClientCredentials,
        &token_endpoint,
        &auth,
        &fields,
        dpop.as_ref(),
    )
    .await?;
    let dpop_key = answer.bound_key(dpop.as_ref());
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
        dpop_key,
    };
    tokens.save(vault, id).await?;
    info!(source = %id, "service token obtained");
    Ok(tokens)
}
/// The largest workload identity token read.
const MAX_WORKLOAD_TOKEN: u64 = 64 * 1024;

/// The workload's identity token, as its platform keeps it in `path` now.
fn workload_token(id: &SourceId, path: &std::path::Path) -> Result<Secret, OAuthError> {
    use std::io::Read as _;
    let unreadable = |problem: String| OAuthError::WorkloadToken {
        id: id.clone(),
        path: path.display().to_string(),
        problem,
    };
    let file = std::fs::File::open(path).map_err(|err| unreadable(err.kind().to_string()))?;
    let mut bytes = zeroize::Zeroizing::new(Vec::new());
    file.take(MAX_WORKLOAD_TOKEN + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| unreadable(err.kind().to_string()))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| unreadable("it is not text".to_owned()))?.trim();
    if bytes.len() as u64 > MAX_WORKLOAD_TOKEN || text.is_empty() || text.split('.').count() != 3 {
        return Err(unreadable("it does not hold one JWT".to_owned()));
    }
    Ok(Secret::new(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workload_token_is_read_fresh_from_its_file_and_must_be_one_jwt() {
        let id: SourceId = "w".parse().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token.jwt");
        std::fs::write(&path, "aaa.bbb.ccc\n").unwrap();
        assert_eq!(workload_token(&id, &path).unwrap().expose(), "aaa.bbb.ccc", "trimmed");
        std::fs::write(&path, "ddd.eee.fff").unwrap();
        assert_eq!(workload_token(&id, &path).unwrap().expose(), "ddd.eee.fff", "the platform's new one");
        std::fs::write(&path, "not a jwt").unwrap();
        let err = workload_token(&id, &path).unwrap_err();
        assert!(matches!(err, OAuthError::WorkloadToken { .. }), "{err:?}");
        assert!(!err.to_string().contains("not a jwt"), "the content is never shown: {err}");
        let missing = workload_token(&id, &dir.path().join("gone")).unwrap_err().to_string();
        assert!(
            missing.contains("gone") && missing.contains("--assertion-file"),
            "names the file and the fix: {missing}"
        );
    }
}
