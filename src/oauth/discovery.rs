//! Finding a server's authorization server, as the MCP authorization spec orders it.
//!
//! 1. Probe the MCP URL without a token; a 401 carries a `WWW-Authenticate` challenge.
//! 2. Protected resource metadata (RFC 9728): the challenge's `resource_metadata` URL first, then
//!    the well-known URLs, path-suffixed before root.
//! 3. Authorization server metadata of the first listed server: RFC 8414 path-inserted, OpenID
//!    Connect path-inserted, OpenID Connect path-appended (or the two root forms for an issuer
//!    without a path). Its `issuer` must equal the one asked for (RFC 8414 3.3), and every
//!    endpoint must be https or loopback http.
//! 4. A server of the 2025-03-26 revision publishes no protected resource metadata: when neither
//!    the challenge nor the well-known URLs give any, that revision's rules apply. The
//!    authorization server is the MCP server's origin (its path dropped), its RFC 8414 metadata
//!    is read at the origin's well-known URL, and when it has none, the default endpoints
//!    `/authorize`, `/token` and `/register` at the origin are used. That revision names the
//!    authorization server by its origin alone, so the metadata's `issuer` must be on that
//!    origin (a path under it is the server's own choice); an issuer on another origin is
//!    refused as on every other path, and the issuer found is the one the tokens are bound to. Only "nothing published" falls back: a redirect, a bad document or a metadata
//!    document for another resource stops discovery as before.
//!
//! Kept apart from the flows because both sign-in and client credentials need it, and because
//! the URL orders are exactly what servers disagree on: they are pure functions with unit tests.
//! The PKCE requirement is checked by the sign-in flow, not here, since the client credentials
//! grant does not use PKCE.

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, WWW_AUTHENTICATE};
use serde::Deserialize;
use tracing::{debug, instrument};
use url::Url;

use super::binding::canonical_resource;
use super::challenge::{self, BearerChallenge};
use super::error::{OAuthError, Problem, Step};
use super::http::{self, bad, endpoint, parse_json, read_limited, unreachable};
use crate::ids::SourceId;
use crate::upstream::Origin;

/// RFC 9728 protected resource metadata, the parts Lanyard uses.
#[derive(Debug, Clone, Deserialize)]
pub struct ResourceMetadata {
    pub resource: String,
    #[serde(default)]
    pub authorization_servers: Vec<String>,
    #[serde(default)]
    pub scopes_supported: Option<Vec<String>>,
    /// RFC 9449 5.2: the resource takes only DPoP-bound tokens.
    #[serde(default)]
    pub dpop_bound_access_tokens_required: bool,
    /// RFC 9449 5.2: the proof algorithms the resource takes.
    #[serde(default)]
    pub dpop_signing_alg_values_supported: Option<Vec<String>>,
}

/// RFC 8414 / OpenID Connect discovery metadata, endpoints checked.
#[derive(Debug, Clone)]
pub struct ServerMetadata {
    pub issuer: String,
    pub authorization_endpoint: Option<Url>,
    pub token_endpoint: Url,
    pub registration_endpoint: Option<Url>,
    pub revocation_endpoint: Option<Url>,
    pub code_challenge_methods_supported: Vec<String>,
    pub authorization_response_iss_parameter_supported: bool,
    pub client_id_metadata_document_supported: bool,
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    pub scopes_supported: Option<Vec<String>>,
    /// RFC 9449 5.1: the DPoP proof algorithms the token endpoint takes; absent when it says
    /// nothing of DPoP.
    pub dpop_signing_alg_values_supported: Option<Vec<String>>,
}

impl ServerMetadata {
    pub fn supports_s256(&self) -> bool {
        self.code_challenge_methods_supported.iter().any(|method| method == "S256")
    }

    /// Whether the token endpoint takes `method` (RFC 8414: absent means `client_secret_basic`).
    pub fn takes_auth_method(&self, method: &str) -> bool {
        match &self.token_endpoint_auth_methods_supported {
            Some(methods) => methods.iter().any(|m| m == method),
            None => method == "client_secret_basic",
        }
    }
}

#[derive(Debug, Deserialize)]
struct RawServerMetadata {
    issuer: Option<String>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    registration_endpoint: Option<String>,
    revocation_endpoint: Option<String>,
    #[serde(default)]
    code_challenge_methods_supported: Vec<String>,
    #[serde(default)]
    authorization_response_iss_parameter_supported: bool,
    #[serde(default)]
    client_id_metadata_document_supported: bool,
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
    scopes_supported: Option<Vec<String>>,
    dpop_signing_alg_values_supported: Option<Vec<String>>,
}

/// Everything discovery found for one MCP server.
#[derive(Debug, Clone)]
pub struct Discovery {
    /// The canonical URI of the MCP server, for the RFC 8707 `resource` parameter.
    pub resource: String,
    pub resource_metadata: Option<ResourceMetadata>,
    pub server: ServerMetadata,
    /// What the 401 challenge asked for, if there was one.
    pub challenge: Option<BearerChallenge>,
}

impl Discovery {
    /// The scopes to ask for, as the spec orders them: the profile's override, the challenge's
    /// `scope`, the resource metadata's `scopes_supported`; none when nobody says.
    pub fn scopes(&self, overridden: Option<&[String]>) -> Vec<String> {
        overridden
            .map(<[String]>::to_vec)
            .or_else(|| self.challenge.as_ref().and_then(|c| c.scope.clone()))
            .or_else(|| self.resource_metadata.as_ref().and_then(|m| m.scopes_supported.clone()))
            .unwrap_or_default()
    }

    /// Whether the tokens for this server are to be DPoP-bound (RFC 9449): the MCP server asks
    /// for them (a `DPoP` challenge, or its metadata requires or names proof algorithms), and
    /// its authorization server takes Lanyard's ES256 proofs (or does not say which it takes).
    /// An authorization server that offers DPoP is not enough: the MCP server may take only
    /// bearer tokens.
    pub fn wants_dpop(&self) -> bool {
        let resource = self.resource_metadata.as_ref();
        let resource_asks = self.challenge.as_ref().is_some_and(|c| c.dpop)
            || resource.is_some_and(|m| {
                m.dpop_bound_access_tokens_required || m.dpop_signing_alg_values_supported.is_some()
            });
        let algs = self.server.dpop_signing_alg_values_supported.as_ref();
        let takes_es256 = algs.is_none_or(|algs| algs.iter().any(|alg| alg == super::dpop::ALGORITHM));
        resource_asks && takes_es256
    }
}

/// The well-known protected resource metadata URLs for `mcp_url`, in the order the spec says:
/// path-suffixed (when the URL has a path), then root.
pub fn resource_metadata_urls(mcp_url: &Url) -> Vec<Url> {
    let origin = mcp_url.origin().ascii_serialization();
    let path = mcp_url.path().trim_end_matches('/');
    let mut urls = Vec::new();
    if !path.is_empty() {
        urls.extend(Url::parse(&format!("{origin}/.well-known/oauth-protected-resource{path}")));
    }
    urls.extend(Url::parse(&format!("{origin}/.well-known/oauth-protected-resource")));
    urls
}

/// The authorization server metadata URLs for `issuer`, in the order the MCP spec says.
pub fn server_metadata_urls(issuer: &Url) -> Vec<Url> {
    let origin = issuer.origin().ascii_serialization();
    let path = issuer.path().trim_end_matches('/');
    let candidates = if path.is_empty() {
        vec![
            format!("{origin}/.well-known/oauth-authorization-server"),
            format!("{origin}/.well-known/openid-configuration"),
        ]
    } else {
        vec![
            format!("{origin}/.well-known/oauth-authorization-server{path}"),
            format!("{origin}/.well-known/openid-configuration{path}"),
            format!("{origin}{path}/.well-known/openid-configuration"),
        ]
    };
    candidates.iter().filter_map(|raw| Url::parse(raw).ok()).collect()
}

/// Whether a resource metadata document's `resource` covers `mcp_url`: the same URI, or a
/// prefix of it on the same origin (servers that publish their origin as the resource).
pub fn resource_covers(resource: &str, mcp_url: &Url) -> bool {
    let Ok(resource_url) = Url::parse(resource) else { return false };
    if resource_url.origin() != mcp_url.origin() {
        return false;
    }
    let wanted = canonical_resource(mcp_url);
    let given = canonical_resource(&resource_url);
    wanted == given || wanted.starts_with(&format!("{}/", given.trim_end_matches('/')))
}

/// Whether two issuer identifiers are the same: identical strings, as RFC 8414 3.3 and RFC 9207
/// say, with no case folding, default-port or trailing-slash normalization (a server that
/// differs by a slash is another issuer, which a mix-up attacker could be).
pub(super) fn same_issuer(a: &str, b: &str) -> bool {
    a == b
}

/// Runs discovery for the MCP server at `mcp_url`.
#[instrument(skip_all, fields(source = %id))]
pub async fn discover(http: &reqwest::Client, id: &SourceId, mcp_url: &Url) -> Result<Discovery, OAuthError> {
    let challenge = probe(http, id, mcp_url).await?;
    let resource_metadata = match find_resource_metadata(http, id, mcp_url, challenge.as_ref()).await {
        Ok(metadata) => metadata,
        Err(OAuthError::NoResourceMetadata { .. }) => {
            let server = legacy_server_metadata(http, id, mcp_url).await?;
            return Ok(Discovery {
                resource: canonical_resource(mcp_url),
                resource_metadata: None,
                server,
                challenge,
            });
        }
        Err(err) => return Err(err),
    };
    let issuer = resource_metadata
        .authorization_servers
        .first()
        .ok_or_else(|| OAuthError::NoAuthorizationServer { id: id.clone() })?;
    let server = server_metadata(http, id, issuer).await?;
    Ok(Discovery {
        resource: resource_metadata.resource.clone(),
        resource_metadata: Some(resource_metadata),
        server,
        challenge,
    })
}

/// The authorization server of a 2025-03-26 server, which has no protected resource metadata:
/// the MCP server's origin is the authorization base URL, its RFC 8414 metadata is used when it
/// has some (with an issuer on that origin), else the revision's default endpoints.
async fn legacy_server_metadata(
    http: &reqwest::Client,
    id: &SourceId,
    mcp_url: &Url,
) -> Result<ServerMetadata, OAuthError> {
    let issuer = mcp_url.origin().ascii_serialization();
    debug!(source = %id, "no protected resource metadata; the MCP server's origin is the authorization server");
    match fetch_server_metadata(http, id, Expected::OnOrigin(&issuer)).await {
        Err(OAuthError::NoServerMetadata { .. }) => {
            debug!(source = %id, "no authorization server metadata; using the default endpoints");
            default_endpoints(id, &Origin::of(mcp_url), &issuer)
        }
        found => found,
    }
}

/// The endpoints the 2025-03-26 revision says a server without metadata has, at `issuer` (an
/// origin).
fn default_endpoints(id: &SourceId, from: &Origin, issuer: &str) -> Result<ServerMetadata, OAuthError> {
    let at = |what: &'static str, path: &str| {
        endpoint(id, from, Step::ServerMetadata, what, &format!("{issuer}{path}"))
    };
    Ok(ServerMetadata {
        issuer: issuer.to_owned(),
        authorization_endpoint: Some(at("authorization_endpoint", "/authorize")?),
        token_endpoint: at("token_endpoint", "/token")?,
        registration_endpoint: Some(at("registration_endpoint", "/register")?),
        revocation_endpoint: None,
        // Without metadata nothing says which PKCE methods the server takes. The 2025-03-26
        // revision requires PKCE of every client and server (S256 when the client can), so a
        // server that follows it takes S256; sign-in would otherwise refuse every such server.
        code_challenge_methods_supported: vec!["S256".to_owned()],
        authorization_response_iss_parameter_supported: false,
        client_id_metadata_document_supported: false,
        token_endpoint_auth_methods_supported: None,
        scopes_supported: None,
        dpop_signing_alg_values_supported: None,
    })
}

/// The first request, without a token. A 401 gives the challenge; any other answer gives none
/// (discovery then tries the well-known URLs). The probe is the `initialize` of the earlier
/// revisions; a server of 2026-07-28 or later may refuse that before it looks at credentials
/// (`400`, missing protocol headers), so a client error is followed by the current revision's
/// first request, `server/discover` with its headers, to get the challenge after all.
///
/// A server may also let `initialize` through without credentials and guard only what comes
/// after it. Its challenge then names the scope the session needs, which the sign-in must ask
/// for instead of the metadata's `scopes_supported`, so an `initialize` that succeeds is
/// followed by `server/discover` too: the request a session sends first, so the one whose
/// refusal would otherwise end it.
async fn probe(
    http: &reqwest::Client,
    id: &SourceId,
    mcp_url: &Url,
) -> Result<Option<BearerChallenge>, OAuthError> {
    let client_info = serde_json::json!({ "name": "lanyard", "version": env!("CARGO_PKG_VERSION") });
    let initialize = serde_json::json!({
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {
            "protocolVersion": rmcp::model::ProtocolVersion::LATEST_WITH_INITIALIZE.as_str(),
            "capabilities": {},
            "clientInfo": client_info,
        }
    });
    let first = probe_with(http, id, mcp_url, &initialize, &[]).await?;
    if !matches!(first, Probed::Refused | Probed::Passed) {
        return Ok(first.challenge());
    }
    let current = rmcp::model::ProtocolVersion::LATEST.as_str();
    let discover = serde_json::json!({
        "jsonrpc": "2.0", "id": 0, "method": "server/discover",
        "params": { "_meta": {
            "io.modelcontextprotocol/protocolVersion": current,
            "io.modelcontextprotocol/clientInfo": client_info,
            "io.modelcontextprotocol/clientCapabilities": {},
        } }
    });
    let headers = [("MCP-Protocol-Version", current), ("Mcp-Method", "server/discover")];
    Ok(probe_with(http, id, mcp_url, &discover, &headers).await?.challenge())
}

/// What a probe got back.
#[derive(Debug, PartialEq)]
enum Probed {
    /// A `401` or `403`, with the bearer challenge if it had one.
    Challenged(Option<BearerChallenge>),
    /// A `4xx` other than those: the request itself was refused.
    Refused,
    /// A `2xx`: no sign-in wall in front of this request.
    Passed,
    /// Anything else (a redirect, a server error).
    Other,
}

impl Probed {
    fn challenge(self) -> Option<BearerChallenge> {
        match self {
            Self::Challenged(challenge) => challenge,
            Self::Refused | Self::Passed | Self::Other => None,
        }
    }
}

async fn probe_with(
    http: &reqwest::Client,
    id: &SourceId,
    mcp_url: &Url,
    body: &serde_json::Value,
    extra_headers: &[(&str, &str)],
) -> Result<Probed, OAuthError> {
    let origin = Origin::of(mcp_url);
    let mut request = http
        .post(mcp_url.as_str())
        .header(ACCEPT, "application/json, text/event-stream")
        .header(CONTENT_TYPE, "application/json")
        .body(body.to_string());
    for (name, value) in extra_headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.map_err(|err| unreachable(id, &origin, Step::Probe, err))?;
    let status = response.status();
    let headers: Vec<String> = response
        .headers()
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|value| value.to_str().ok().map(str::to_owned))
        .collect();
    debug!(status = status.as_u16(), challenges = headers.len(), "probed");
    Ok(if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        Probed::Challenged(challenge::bearer(headers.iter().map(String::as_str)))
    } else if status.is_client_error() {
        Probed::Refused
    } else if status.is_success() {
        Probed::Passed
    } else {
        Probed::Other
    })
}

async fn find_resource_metadata(
    http: &reqwest::Client,
    id: &SourceId,
    mcp_url: &Url,
    challenge: Option<&BearerChallenge>,
) -> Result<ResourceMetadata, OAuthError> {
    let mut candidates = Vec::new();
    if let Some(raw) = challenge.and_then(|c| c.resource_metadata.as_deref()) {
        let from = Origin::of(mcp_url);
        candidates.push(endpoint(id, &from, Step::Probe, "resource_metadata", raw)?);
    }
    candidates.extend(resource_metadata_urls(mcp_url));
    let mut redirected = None;
    for url in candidates {
        let body = match fetch(http, id, &url, Step::ResourceMetadata).await? {
            Fetched::Body(body) => body,
            Fetched::Absent => continue,
            Fetched::Redirected(refused) => {
                redirected.get_or_insert(refused);
                continue;
            }
        };
        let metadata = parse_resource_metadata(id, mcp_url, &Origin::of(&url), &body)?;
        debug!(servers = metadata.authorization_servers.len(), "found protected resource metadata");
        return Ok(metadata);
    }
    Err(redirected
        .unwrap_or_else(|| OAuthError::NoResourceMetadata { id: id.clone(), origin: Origin::of(mcp_url) }))
}

/// Parses a protected resource metadata body fetched from `from` and checks that it is about
/// `mcp_url` (RFC 9728 3.3).
pub(crate) fn parse_resource_metadata(
    id: &SourceId,
    mcp_url: &Url,
    from: &Origin,
    body: &[u8],
) -> Result<ResourceMetadata, OAuthError> {
    let metadata: ResourceMetadata = parse_json(id, from, Step::ResourceMetadata, body)?;
    if !resource_covers(&metadata.resource, mcp_url) {
        return Err(OAuthError::ResourceMismatch {
            id: id.clone(),
            expected: canonical_resource(mcp_url),
            found: http::shown(&metadata.resource, 200),
        });
    }
    Ok(metadata)
}

/// What an authorization server metadata document's `issuer` must be.
#[derive(Clone, Copy, Debug)]
enum Expected<'a> {
    /// The issuer a protected resource metadata document named: exactly that string.
    Exactly(&'a str),
    /// A 2025-03-26 server's authorization base URL, an origin: any issuer on that origin.
    OnOrigin(&'a str),
}

impl<'a> Expected<'a> {
    /// The URL the metadata is looked up under.
    fn lookup(self) -> &'a str {
        match self {
            Self::Exactly(issuer) | Self::OnOrigin(issuer) => issuer,
        }
    }

    fn accepts(self, found: &str) -> bool {
        match self {
            Self::Exactly(issuer) => same_issuer(found, issuer),
            Self::OnOrigin(origin) => Url::parse(found)
                .is_ok_and(|found| found.origin().ascii_serialization() == origin && found.query().is_none()),
        }
    }
}

/// Fetches and checks the metadata of the authorization server `issuer`.
#[instrument(skip_all, fields(source = %id))]
pub async fn server_metadata(
    http: &reqwest::Client,
    id: &SourceId,
    issuer: &str,
) -> Result<ServerMetadata, OAuthError> {
    fetch_server_metadata(http, id, Expected::Exactly(issuer)).await
}

async fn fetch_server_metadata(
    http: &reqwest::Client,
    id: &SourceId,
    expected: Expected<'_>,
) -> Result<ServerMetadata, OAuthError> {
    let issuer = expected.lookup();
    let issuer_url = Url::parse(issuer)
        .map_err(|_| OAuthError::NoServerMetadata { id: id.clone(), issuer: issuer.to_owned() })?;
    if !http::is_safe_endpoint(&issuer_url) {
        return Err(OAuthError::InsecureEndpoint {
            id: id.clone(),
            what: "authorization server",
            origin: Origin::of(&issuer_url),
            from: None,
        });
    }
    let mut redirected = None;
    for url in server_metadata_urls(&issuer_url) {
        match fetch(http, id, &url, Step::ServerMetadata).await? {
            Fetched::Body(body) => {
                let raw = parse_json(id, &Origin::of(&url), Step::ServerMetadata, &body)?;
                return check_server_metadata(id, expected, &Origin::of(&url), raw);
            }
            Fetched::Absent => {}
            Fetched::Redirected(refused) => {
                redirected.get_or_insert(refused);
            }
        }
    }
    Err(redirected
        .unwrap_or_else(|| OAuthError::NoServerMetadata { id: id.clone(), issuer: issuer.to_owned() }))
}

/// Parses an authorization server metadata body fetched from `from` for `issuer`, and checks its
/// issuer and endpoints.
pub(crate) fn parse_server_metadata(
    id: &SourceId,
    issuer: &str,
    from: &Origin,
    body: &[u8],
) -> Result<ServerMetadata, OAuthError> {
    let raw = parse_json(id, from, Step::ServerMetadata, body)?;
    check_server_metadata(id, Expected::Exactly(issuer), from, raw)
}

fn check_server_metadata(
    id: &SourceId,
    expected: Expected<'_>,
    from: &Origin,
    raw: RawServerMetadata,
) -> Result<ServerMetadata, OAuthError> {
    let step = Step::ServerMetadata;
    let found = raw.issuer.ok_or_else(|| bad(id, from, step, Problem::Missing("issuer")))?;
    if !expected.accepts(&found) {
        let found = http::shown(&found, 200);
        return Err(OAuthError::IssuerMismatch {
            id: id.clone(),
            expected: expected.lookup().to_owned(),
            found,
        });
    }
    let optional = |what: &'static str, raw: Option<String>| -> Result<Option<Url>, OAuthError> {
        raw.map(|raw| endpoint(id, from, step, what, &raw)).transpose()
    };
    let token_endpoint =
        raw.token_endpoint.ok_or_else(|| bad(id, from, step, Problem::Missing("token_endpoint")))?;
    Ok(ServerMetadata {
        issuer: found,
        authorization_endpoint: optional("authorization_endpoint", raw.authorization_endpoint)?,
        token_endpoint: endpoint(id, from, step, "token_endpoint", &token_endpoint)?,
        registration_endpoint: optional("registration_endpoint", raw.registration_endpoint)?,
        revocation_endpoint: optional("revocation_endpoint", raw.revocation_endpoint)?,
        code_challenge_methods_supported: raw.code_challenge_methods_supported,
        authorization_response_iss_parameter_supported: raw.authorization_response_iss_parameter_supported,
        client_id_metadata_document_supported: raw.client_id_metadata_document_supported,
        token_endpoint_auth_methods_supported: raw.token_endpoint_auth_methods_supported,
        scopes_supported: raw.scopes_supported,
        dpop_signing_alg_values_supported: raw.dpop_signing_alg_values_supported,
    })
}

/// What a metadata URL gave.
enum Fetched {
    /// A 2xx body, read within the size limit.
    Body(Vec<u8>),
    /// A 4xx: nothing here, try the next URL.
    Absent,
    /// A 3xx, not followed (a redirect could lead anywhere); reported if no other URL answers.
    Redirected(OAuthError),
}

/// GETs a metadata document. Other statuses and failures are errors.
async fn fetch(http: &reqwest::Client, id: &SourceId, url: &Url, step: Step) -> Result<Fetched, OAuthError> {
    let origin = Origin::of(url);
    let response = http
        .get(url.as_str())
        .header(ACCEPT, "application/json")
        .send()
        .await
        .map_err(|err| unreachable(id, &origin, step, err))?;
    let status = response.status();
    debug!(%origin, status = status.as_u16(), %step, "fetched metadata");
    if let Some(refused) = http::redirected(id, url, step, &response) {
        return Ok(Fetched::Redirected(refused));
    }
    if status.is_client_error() {
        return Ok(Fetched::Absent);
    }
    if !status.is_success() {
        return Err(OAuthError::HttpStatus { id: id.clone(), origin, step, status: status.as_u16() });
    }
    read_limited(id, &origin, step, response).await.map(Fetched::Body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(raw: &str) -> Url {
        Url::parse(raw).unwrap()
    }

    fn strings(urls: Vec<Url>) -> Vec<String> {
        urls.into_iter().map(String::from).collect()
    }

    #[test]
    fn resource_metadata_urls_try_path_then_root() {
        assert_eq!(
            strings(resource_metadata_urls(&url("https://mcp.example.com/public/mcp?x=1"))),
            [
                "https://mcp.example.com/.well-known/oauth-protected-resource/public/mcp",
                "https://mcp.example.com/.well-known/oauth-protected-resource",
            ],
            "path-suffixed first, query dropped"
        );
        assert_eq!(
            strings(resource_metadata_urls(&url("https://mcp.example.com/"))),
            ["https://mcp.example.com/.well-known/oauth-protected-resource"],
            "a root URL has only the root form"
        );
    }

    #[test]
    fn server_metadata_urls_follow_the_spec_order() {
        assert_eq!(
            strings(server_metadata_urls(&url("https://auth.example.com/tenant1"))),
            [
                "https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
                "https://auth.example.com/.well-known/openid-configuration/tenant1",
                "https://auth.example.com/tenant1/.well-known/openid-configuration",
            ],
            "an issuer with a path: RFC 8414 inserted, OIDC inserted, OIDC appended"
        );
        assert_eq!(
            strings(server_metadata_urls(&url("https://auth.example.com"))),
            [
                "https://auth.example.com/.well-known/oauth-authorization-server",
                "https://auth.example.com/.well-known/openid-configuration",
            ],
            "an issuer without a path"
        );
        assert_eq!(
            strings(server_metadata_urls(&url("https://auth.example.com/t/"))),
            strings(server_metadata_urls(&url("https://auth.example.com/t"))),
            "a trailing slash does not change the URLs"
        );
    }

    #[test]
    fn resource_must_cover_the_server() {
        let mcp = url("https://mcp.example.com/mcp");
        assert!(resource_covers("https://mcp.example.com/mcp", &mcp), "the same URI");
        assert!(resource_covers("https://mcp.example.com", &mcp), "the origin as the resource");
        assert!(resource_covers("https://mcp.example.com/", &mcp), "the origin with a slash");
        assert!(!resource_covers("https://evil.example.com/mcp", &mcp), "another origin");
        assert!(
            !resource_covers("https://mcp.example.com/mc", &mcp),
            "a string prefix that is not a path prefix"
        );
        assert!(!resource_covers("not a url", &mcp), "garbage");
    }

    fn raw(issuer: &str) -> RawServerMetadata {
        serde_json::from_value(serde_json::json!({
            "issuer": issuer,
            "authorization_endpoint": "https://auth.example.com/authorize",
            "token_endpoint": "https://auth.example.com/token",
            "code_challenge_methods_supported": ["S256"],
        }))
        .unwrap()
    }

    #[test]
    fn server_metadata_is_checked() {
        let id: SourceId = "s".parse().unwrap();
        let from = Origin::of(&url("https://auth.example.com"));
        let ok = check_server_metadata(
            &id,
            Expected::Exactly("https://auth.example.com"),
            &from,
            raw("https://auth.example.com"),
        )
        .expect("the same issuer");
        assert!(ok.supports_s256(), "S256 is read");
        let slashed = check_server_metadata(
            &id,
            Expected::Exactly("https://auth.example.com"),
            &from,
            raw("https://auth.example.com/"),
        )
        .expect_err("issuers are compared exactly: a trailing slash makes another one");
        assert!(matches!(slashed, OAuthError::IssuerMismatch { .. }), "{slashed:?}");
        assert!(ok.takes_auth_method("client_secret_basic"), "basic is the default method");
        let err = check_server_metadata(
            &id,
            Expected::Exactly("https://auth.example.com"),
            &from,
            raw("https://evil.example.com"),
        )
        .expect_err("another issuer");
        assert!(matches!(err, OAuthError::IssuerMismatch { .. }), "{err:?}");
        let mut insecure = raw("https://auth.example.com");
        insecure.token_endpoint = Some("http://auth.example.com/token".into());
        let err = check_server_metadata(&id, Expected::Exactly("https://auth.example.com"), &from, insecure)
            .expect_err("http token endpoint");
        assert!(
            matches!(err, OAuthError::InsecureEndpoint { what: "token_endpoint", .. }),
            "plain http off loopback is refused: {err:?}"
        );
    }

    #[test]
    fn a_2025_03_26_server_may_name_an_issuer_under_its_origin_and_no_other() {
        let id: SourceId = "s".parse().unwrap();
        let from = Origin::of(&url("https://mcp.example.com"));
        let origin = Expected::OnOrigin("https://mcp.example.com");
        for issuer in ["https://mcp.example.com", "https://mcp.example.com/oauth"] {
            let server = check_server_metadata(&id, origin, &from, raw(issuer)).expect("on the origin");
            assert_eq!(server.issuer, issuer, "the issuer found is the one the tokens are bound to");
        }
        for issuer in
            ["https://evil.example.com/oauth", "http://mcp.example.com", "https://mcp.example.com:8443"]
        {
            let err = check_server_metadata(&id, origin, &from, raw(issuer)).expect_err(issuer);
            assert!(matches!(err, OAuthError::IssuerMismatch { .. }), "{issuer}: {err:?}");
        }
    }

    #[test]
    fn a_server_without_metadata_has_the_2025_03_26_default_endpoints() {
        let id: SourceId = "s".parse().unwrap();
        let mcp = url("https://mcp.example.com/v1/mcp");
        let issuer = mcp.origin().ascii_serialization();
        let server = default_endpoints(&id, &Origin::of(&mcp), &issuer).expect("https endpoints");
        assert_eq!(server.issuer, "https://mcp.example.com", "the origin is the issuer, the path dropped");
        assert_eq!(
            server.authorization_endpoint.as_ref().map(Url::as_str),
            Some("https://mcp.example.com/authorize"),
            "authorize at the origin"
        );
        assert_eq!(server.token_endpoint.as_str(), "https://mcp.example.com/token", "token at the origin");
        assert_eq!(
            server.registration_endpoint.as_ref().map(Url::as_str),
            Some("https://mcp.example.com/register"),
            "register at the origin"
        );
        assert!(server.supports_s256(), "PKCE S256 is assumed: the 2025-03-26 revision requires PKCE");
        let plain = url("http://mcp.example.com/mcp");
        let err = default_endpoints(&id, &Origin::of(&plain), &plain.origin().ascii_serialization())
            .expect_err("plain http off loopback");
        assert!(
            matches!(err, OAuthError::InsecureEndpoint { .. }),
            "no credentials over plain http: {err:?}"
        );
    }

    #[test]
    fn scopes_follow_override_then_challenge_then_metadata() {
        let server = check_server_metadata(
            &"s".parse().unwrap(),
            Expected::Exactly("https://auth.example.com"),
            &Origin::of(&url("https://auth.example.com")),
            raw("https://auth.example.com"),
        )
        .unwrap();
        let mut discovery = Discovery {
            resource: "https://mcp.example.com/mcp".into(),
            resource_metadata: Some(ResourceMetadata {
                resource: "https://mcp.example.com/mcp".into(),
                authorization_servers: vec![],
                scopes_supported: Some(vec!["all".into()]),
                dpop_bound_access_tokens_required: false,
                dpop_signing_alg_values_supported: None,
            }),
            server,
            challenge: Some(BearerChallenge { scope: Some(vec!["read".into()]), ..Default::default() }),
        };
        assert_eq!(discovery.scopes(None), ["read"], "the challenge wins over scopes_supported");
        assert_eq!(discovery.scopes(Some(&["mine".into()])), ["mine"], "the profile overrides both");
        discovery.challenge = None;
        assert_eq!(discovery.scopes(None), ["all"], "scopes_supported without a challenge scope");
    }

    #[test]
    fn dpop_is_used_when_the_mcp_server_asks_and_the_authorization_server_takes_es256() {
        let id: SourceId = "s".parse().unwrap();
        let from = Origin::of(&url("https://auth.example.com"));
        let server = |algs: Option<&[&str]>| {
            let mut raw = raw("https://auth.example.com");
            raw.dpop_signing_alg_values_supported = algs.map(|a| a.iter().map(|s| s.to_string()).collect());
            check_server_metadata(&id, Expected::Exactly("https://auth.example.com"), &from, raw).unwrap()
        };
        let discovery = |dpop_challenge: bool, algs: Option<&[&str]>| Discovery {
            resource: "https://mcp.example.com/mcp".into(),
            resource_metadata: None,
            server: server(algs),
            challenge: Some(BearerChallenge { dpop: dpop_challenge, ..Default::default() }),
        };
        assert!(discovery(true, Some(&["ES256", "RS256"])).wants_dpop(), "asked for and offered");
        assert!(discovery(true, None).wants_dpop(), "asked for; the server does not say its algorithms");
        assert!(!discovery(false, Some(&["ES256"])).wants_dpop(), "offered, but the MCP server takes bearer");
        assert!(!discovery(true, Some(&["RS256"])).wants_dpop(), "no ES256: bearer it is");
        let required = Discovery {
            resource_metadata: Some(
                serde_json::from_value(serde_json::json!({
                    "resource": "https://mcp.example.com/mcp",
                    "dpop_bound_access_tokens_required": true,
                }))
                .unwrap(),
            ),
            ..discovery(false, None)
        };
        assert!(required.wants_dpop(), "the resource metadata requires it");
    }
}
