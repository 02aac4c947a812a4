//! The HTTP rules every OAuth request follows: one client without redirects, every body read with
//! a size limit, every endpoint checked before credentials go to it, and OAuth error bodies
//! turned into codes.
//!
//! Every OAuth request for a source also trusts the source's `ca_bundle`, because its
//! authorization server usually sits in the same private PKI as its MCP server.
//!
//! Redirects are not followed at all ([`crate::net::no_redirects`], not the same-origin rule MCP
//! requests keep), because a metadata, registration, token or revocation request that is
//! redirected could carry a refresh token, a client secret, a code or a PKCE verifier (a 307/308
//! sends the body again) to a server nobody named, and these endpoints have no reason to move:
//! the metadata names them, and well-behaved servers answer in place. A redirect is the answer,
//! worded by [`redirected`] as [`OAuthError::Redirected`], naming where it pointed.

use std::net::IpAddr;
use std::time::Duration;

use serde::de::DeserializeOwned;
use tracing::debug;
use url::Url;

use super::assertion::{ASSERTION_TYPE, SigningKey};
use super::dpop::{self, DpopKey};
use super::error::{OAuthError, OAuthErrorCode, Problem, Step};
use crate::ids::SourceId;
use crate::net::CaBundle;
use crate::profile::Profile;
use crate::secret::Secret;
use crate::upstream::Origin;

/// The largest metadata, registration or token answer read.
pub const MAX_BODY: usize = 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(30);

/// The client for every OAuth request: no redirects, a time limit, Nagle off.
pub fn client() -> Result<reqwest::Client, OAuthError> {
    client_trusting(None)
}

/// [`client`] for `profile`'s source: it also trusts the source's `ca_bundle`.
pub fn client_for(profile: &Profile) -> Result<reqwest::Client, OAuthError> {
    client_trusting(crate::profile::ca_bundle_of_env(profile)?.as_ref())
}

/// [`client`], also trusting `bundle`.
pub fn client_trusting(bundle: Option<&CaBundle>) -> Result<reqwest::Client, OAuthError> {
    crate::net::client_builder_trusting(bundle)?
        .redirect(crate::net::no_redirects())
        .timeout(TIMEOUT)
        .connect_timeout(Duration::from_secs(10))
        .tcp_nodelay(true)
        .user_agent(concat!("lanyard/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|err| OAuthError::HttpClient { err: err.without_url() })
}

/// Whether `url` names this machine: `localhost` or a loopback address.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Whether credentials may go to `url`: https, or http to this machine only.
pub fn is_safe_endpoint(url: &Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => is_loopback(url),
        _ => false,
    }
}

/// Parses an endpoint from metadata and checks that credentials may go there.
/// `from` and `step` say where the URL was read, for the error.
pub fn endpoint(
    id: &SourceId,
    from: &Origin,
    step: Step,
    what: &'static str,
    raw: &str,
) -> Result<Url, OAuthError> {
    let url = Url::parse(raw).map_err(|_| bad(id, from, step, Problem::BadUrl(what)))?;
    if is_safe_endpoint(&url) {
        Ok(url)
    } else {
        Err(OAuthError::InsecureEndpoint {
            id: id.clone(),
            what,
            origin: Origin::of(&url),
            from: Some(from.clone()),
        })
    }
}

/// Reads at most [`MAX_BODY`] bytes of a body.
pub async fn read_limited(
    id: &SourceId,
    origin: &Origin,
    step: Step,
    mut response: reqwest::Response,
) -> Result<Vec<u8>, OAuthError> {
    if response.content_length().is_some_and(|length| length > MAX_BODY as u64) {
        return Err(bad(id, origin, step, Problem::TooLarge));
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY {
                    return Err(bad(id, origin, step, Problem::TooLarge));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(err) => {
                return Err(OAuthError::Unreachable {
                    id: id.clone(),
                    origin: origin.clone(),
                    step,
                    err: err.without_url(),
                });
            }
        }
    }
}

/// Parses a JSON body, wording serde's complaint without quoting the body.
pub fn parse_json<T: DeserializeOwned>(
    id: &SourceId,
    origin: &Origin,
    step: Step,
    body: &[u8],
) -> Result<T, OAuthError> {
    // serde's message can quote a value (a token sent as the wrong type), so only the kind of
    // failure and its position are kept.
    serde_json::from_slice(body).map_err(|err| {
        let why = match err.classify() {
            serde_json::error::Category::Data => "a field has the wrong type or is missing",
            _ => "the body is not JSON",
        };
        bad(
            id,
            origin,
            step,
            Problem::NotJson(format!("{why} (line {}, column {})", err.line(), err.column())),
        )
    })
}

/// Text from a server as it may appear in an error: at most `max` characters, control
/// characters replaced by `\u{fffd}`, so a hostile server cannot write terminal escape sequences
/// or fake lines into Lanyard's output.
pub fn shown(text: &str, max: usize) -> String {
    text.chars().take(max).map(|c| if c.is_control() { '\u{fffd}' } else { c }).collect()
}

pub fn bad(id: &SourceId, origin: &Origin, step: Step, problem: Problem) -> OAuthError {
    OAuthError::BadAnswer { id: id.clone(), origin: origin.clone(), step, problem }
}

pub fn unreachable(id: &SourceId, origin: &Origin, step: Step, err: reqwest::Error) -> OAuthError {
    OAuthError::Unreachable { id: id.clone(), origin: origin.clone(), step, err: err.without_url() }
}

/// The error for an answer from `url` that is a redirect, which is never followed; `None` for any
/// other answer. Only the target's origin is named: its path and query are the server's to choose.
pub fn redirected(id: &SourceId, url: &Url, step: Step, response: &reqwest::Response) -> Option<OAuthError> {
    let status = response.status();
    if !status.is_redirection() {
        return None;
    }
    let to = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|location| url.join(location).ok())
        .map(|target| Origin::of(&target));
    Some(OAuthError::Redirected {
        id: id.clone(),
        origin: Origin::of(url),
        step,
        status: status.as_u16(),
        to,
    })
}

/// An OAuth error body (RFC 6749 5.2).
#[derive(Debug, serde::Deserialize)]
struct ErrorBody {
    error: String,
}

/// The error for a failed answer: the OAuth error code when the body has one, else the status.
pub fn refusal(id: &SourceId, origin: &Origin, step: Step, status: u16, body: &[u8]) -> OAuthError {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(parsed) if !parsed.error.is_empty() && parsed.error.len() < 100 => OAuthError::Refused {
            id: id.clone(),
            origin: origin.clone(),
            step,
            code: OAuthErrorCode(shown(&parsed.error, 100)),
        },
        _ => OAuthError::HttpStatus { id: id.clone(), origin: origin.clone(), step, status },
    }
}

/// How the client proves itself at the token endpoint.
#[derive(Debug, Clone)]
pub enum ClientAuth {
    /// A public client: `client_id` in the form.
    None { client_id: String },
    /// `client_secret_basic`: HTTP Basic with the id and secret.
    Basic { client_id: String, secret: Secret },
    /// `client_secret_post`: id and secret in the form.
    Post { client_id: String, secret: Secret },
    /// `private_key_jwt` (RFC 7523 2.2): an assertion signed with the key, fresh for each request,
    /// for the authorization server named by `audience`.
    PrivateKeyJwt { client_id: String, key: SigningKey, audience: String },
}

impl ClientAuth {
    /// The RFC 7591 name of the method.
    pub fn method(&self) -> &'static str {
        match self {
            Self::None { .. } => "none",
            Self::Basic { .. } => "client_secret_basic",
            Self::Post { .. } => "client_secret_post",
            Self::PrivateKeyJwt { .. } => "private_key_jwt",
        }
    }

    pub fn client_id(&self) -> &str {
        match self {
            Self::None { client_id }
            | Self::Basic { client_id, .. }
            | Self::Post { client_id, .. }
            | Self::PrivateKeyJwt { client_id, .. } => client_id,
        }
    }
}

/// The form of a token-like request, with the client's id (and secret, for `client_secret_post`,
/// or `assertion`, for `private_key_jwt`).
fn form_body(
    auth: &ClientAuth,
    assertion: Option<&Secret>,
    fields: &[(&str, &str)],
) -> zeroize::Zeroizing<String> {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        form.append_pair(name, value);
    }
    match auth {
        ClientAuth::None { client_id } => {
            form.append_pair("client_id", client_id);
        }
        ClientAuth::Post { client_id, secret } => {
            form.append_pair("client_id", client_id);
            // The secret leaves its wrapper into the request body.
            form.append_pair("client_secret", secret.expose());
        }
        ClientAuth::PrivateKeyJwt { client_id, .. } => {
            form.append_pair("client_id", client_id);
            if let Some(assertion) = assertion {
                form.append_pair("client_assertion_type", ASSERTION_TYPE);
                // The signed assertion leaves its wrapper into the request body.
                form.append_pair("client_assertion", assertion.expose());
            }
        }
        ClientAuth::Basic { .. } => {}
    }
    zeroize::Zeroizing::new(form.finish())
}

/// Posts a form to a token-like endpoint (token, revocation) with the client's authentication.
/// With a DPoP key (RFC 9449 5) the request carries a fresh proof, and an answer that asks for a
/// nonce (`400 use_dpop_nonce` with `DPoP-Nonce`) is followed by one more try with it.
/// Returns the status and the body, read with the size limit.
pub async fn post_form(
    http: &reqwest::Client,
    id: &SourceId,
    step: Step,
    endpoint: &Url,
    auth: &ClientAuth,
    fields: &[(&str, &str)],
    dpop: Option<&DpopKey>,
) -> Result<(u16, Vec<u8>), OAuthError> {
    let (status, body, nonce_asked) = post_form_once(http, id, step, endpoint, auth, fields, dpop).await?;
    if dpop.is_some() && nonce_asked && status == 400 && asks_for_nonce(&body) {
        debug!(source = %id, "the token endpoint asked for a DPoP nonce; once more with it");
        let (status, body, _) = post_form_once(http, id, step, endpoint, auth, fields, dpop).await?;
        return Ok((status, body));
    }
    Ok((status, body))
}

/// One post of [`post_form`]; also says whether the answer carried a DPoP nonce other than the
/// one the proof had.
async fn post_form_once(
    http: &reqwest::Client,
    id: &SourceId,
    step: Step,
    endpoint: &Url,
    auth: &ClientAuth,
    fields: &[(&str, &str)],
    dpop: Option<&DpopKey>,
) -> Result<(u16, Vec<u8>, bool), OAuthError> {
    let origin = Origin::of(endpoint);
    let mut request = http
        .post(endpoint.as_str())
        .header(reqwest::header::ACCEPT, "application/json")
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let ClientAuth::Basic { client_id, secret } = auth {
        // RFC 6749 2.3.1: both parts are form-encoded before Basic encoding.
        let user: String = url::form_urlencoded::byte_serialize(client_id.as_bytes()).collect();
        let pass: String = url::form_urlencoded::byte_serialize(secret.expose().as_bytes()).collect();
        request = request.basic_auth(user, Some(pass));
    }
    // The nonce the proof carries: the one this endpoint gave last.
    let sent_nonce = dpop.and_then(|_| dpop::nonce_for(endpoint));
    if let Some(key) = dpop {
        let proof = key
            .proof("POST", endpoint, None, sent_nonce.as_deref())
            .map_err(|problem| OAuthError::Dpop { id: id.clone(), problem })?;
        // The proof leaves its wrapper into a header marked sensitive.
        let mut value = reqwest::header::HeaderValue::from_str(proof.expose())
            .map_err(|_| OAuthError::Dpop { id: id.clone(), problem: dpop::DpopError::Signing })?;
        value.set_sensitive(true);
        request = request.header(dpop::PROOF_HEADER, value);
    }
    let assertion = match auth {
        ClientAuth::PrivateKeyJwt { client_id, key, audience } => Some(
            key.assertion(client_id, audience)
                .map_err(|problem| OAuthError::ClientKey { id: id.clone(), problem })?,
        ),
        _ => None,
    };
    let body = form_body(auth, assertion.as_ref(), fields);
    let response = request
        .body(body.as_str().to_owned())
        .send()
        .await
        .map_err(|err| unreachable(id, &origin, step, err))?;
    if let Some(err) = redirected(id, endpoint, step, &response) {
        return Err(err);
    }
    let status = response.status().as_u16();
    if dpop.is_some() {
        dpop::remember_nonce(endpoint, response.headers());
    }
    let new_nonce = dpop.is_some() && dpop::nonce_for(endpoint) != sent_nonce;
    let body = read_limited(id, &origin, step, response).await?;
    Ok((status, body, new_nonce))
}

/// Whether a token endpoint's error body is `use_dpop_nonce`.
fn asks_for_nonce(body: &[u8]) -> bool {
    serde_json::from_slice::<ErrorBody>(body).is_ok_and(|parsed| parsed.error == dpop::USE_NONCE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http_is_safe() {
        let safe = |raw: &str| is_safe_endpoint(&Url::parse(raw).unwrap());
        assert!(safe("https://auth.example.com/token"), "https anywhere");
        assert!(safe("http://127.0.0.1:9/token"), "http on loopback v4");
        assert!(safe("http://[::1]:9/token"), "http on loopback v6");
        assert!(safe("http://localhost/token"), "http on localhost");
        assert!(!safe("http://auth.example.com/token"), "plain http elsewhere is refused");
        assert!(!safe("javascript:alert(1)"), "other schemes are refused");
        assert!(!safe("file:///etc/passwd"), "file URLs are refused");
    }

    #[test]
    fn server_text_cannot_write_escapes_or_lines() {
        assert_eq!(shown("invalid_grant", 100), "invalid_grant", "ordinary text is kept");
        assert_eq!(
            shown("a\u{1b}]0;pwned\u{7}\nb", 100),
            "a\u{fffd}]0;pwned\u{fffd}\u{fffd}b",
            "ESC, BEL and newlines are replaced"
        );
        assert_eq!(shown(&"x".repeat(500), 200).len(), 200, "long text is cut");
        let id: SourceId = "s".parse().unwrap();
        let origin = Origin::of(&Url::parse("https://a.example").unwrap());
        let err = refusal(&id, &origin, Step::Refresh, 400, br#"{"error":"bad\u001b[2J"}"#);
        assert!(!err.to_string().contains('\u{1b}'), "an error code cannot clear the screen: {err:?}");
    }

    #[test]
    fn opaque_urls_are_named_by_their_scheme() {
        let origin = |raw: &str| Origin::of(&Url::parse(raw).unwrap()).as_str().to_owned();
        assert_eq!(origin("file:///etc/passwd"), "file:", "not the opaque origin's `null`");
        assert_eq!(origin("javascript:alert(document.cookie)"), "javascript:", "no script text");
        assert_eq!(origin("https://a.example:8443/x?code=1"), "https://a.example:8443", "origin only");
    }

    #[test]
    fn error_bodies_become_codes() {
        let id: SourceId = "s".parse().unwrap();
        let origin = Origin::of(&Url::parse("https://a.example").unwrap());
        let err = refusal(
            &id,
            &origin,
            Step::Refresh,
            400,
            br#"{"error":"invalid_grant","error_description":"x"}"#,
        );
        assert!(
            matches!(&err, OAuthError::Refused { code, .. } if code.as_str() == "invalid_grant"),
            "the code is kept: {err:?}"
        );
        let err = refusal(&id, &origin, Step::Refresh, 502, b"<html>bad gateway</html>");
        assert!(matches!(err, OAuthError::HttpStatus { status: 502, .. }), "no code: the status: {err:?}");
    }
}
