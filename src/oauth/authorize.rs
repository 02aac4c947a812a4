//! Per-user sign-in: authorization code with PKCE S256 over a loopback redirect, start to finish.
//!
//! discover -> refuse without S256 -> bind the redirect -> pick the client -> build the URL
//! (`resource` unless the profile turns it off, scopes, the profile's extra parameters, which
//! never override the protocol's own) -> show it and open the browser -> wait for the redirect or
//! a pasted answer, within the timeout -> check `state` and `iss` -> exchange the code with the
//! verifier and the same `resource` (and a DPoP proof of a new key when the server wants
//! DPoP-bound tokens) -> store the tokens. A pending step-up (see `step_up`) widens
//! the requested scopes to the union of held and challenged ones; `openid` is added when the
//! server supports it and the profile does not pick the scopes, for the account shown in status.
//! Only an explicit Connect / Reconnect runs this; background work never opens a browser.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncBufRead;
use tracing::{info, instrument};
use url::Url;

use super::account::from_id_token;
use super::binding::Binding;
use super::browser::Browser;
use super::discovery::{Discovery, ServerMetadata, discover};
use super::dpop::DpopKey;
use super::error::{OAuthError, Problem, Step};
use super::http::{bad, post_form, refusal};
use super::pkce::Pkce;
use super::redirect::{Expected, LoopbackRedirect, read_pasted};
use super::registration::{self, ClientKind};
use super::step_up;
use super::tokens::{Grant, StoredTokens, TokenAnswer};
use crate::clock::now;
use crate::ids::SourceId;
use crate::ids::random_base64url;
use crate::profile::OAuthSettings;
use crate::upstream::Origin;
use crate::vault::Vault;

/// The default time a person has to finish signing in.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// Parameters Lanyard sets itself in an authorization request (see
/// [`crate::profile::RESERVED_AUTH_PARAMS`], where the profile rule lives).
pub use crate::profile::RESERVED_AUTH_PARAMS as RESERVED_PARAMS;

/// Shows the authorization URL to the person (printed, or put in a window).
pub type ShowUrl = Arc<dyn Fn(&Url) + Send + Sync>;

/// How one sign-in talks to the person.
pub struct SignInOptions {
    pub browser: Browser,
    /// Also accept the answer typed or pasted here (for machines without a browser).
    pub paste_back: Option<Box<dyn AsyncBufRead + Unpin + Send>>,
    /// How long the person has, from the moment the URL is shown.
    pub timeout: Duration,
    /// Called with the authorization URL before the browser opens, to print or show it.
    pub show_url: Option<ShowUrl>,
}

impl Default for SignInOptions {
    fn default() -> Self {
        Self { browser: Browser::FromEnv, paste_back: None, timeout: DEFAULT_TIMEOUT, show_url: None }
    }
}

/// Signs `id` in to the MCP server at `mcp_url` and stores its tokens.
#[instrument(skip_all, fields(source = %id))]
pub async fn sign_in(
    http: &reqwest::Client,
    vault: &Vault,
    id: &SourceId,
    mcp_url: &Url,
    settings: &OAuthSettings,
    options: SignInOptions,
) -> Result<StoredTokens, OAuthError> {
    let discovery = discover(http, id, mcp_url).await?;
    super::private_net::check(id, mcp_url, &discovery, settings.allow_private_network)?;
    let server = &discovery.server;
    if !server.supports_s256() {
        return Err(OAuthError::NoPkce { id: id.clone(), issuer: server.issuer.clone() });
    }
    let issuer_origin = Origin::of(&server.token_endpoint);
    let authorization_endpoint = server.authorization_endpoint.clone().ok_or_else(|| {
        bad(id, &issuer_origin, Step::ServerMetadata, Problem::Missing("authorization_endpoint"))
    })?;
    let redirect = LoopbackRedirect::bind(id, settings.redirect_port).await?;
    let redirect_uri = redirect.redirect_uri();
    let held = StoredTokens::load_replaced(vault, id).await?;
    let client =
        registration::client_for(http, vault, id, settings, server, &redirect_uri, held.as_ref()).await?;

    let pkce = Pkce::new();
    let state = random_base64url(16);
    let requested = with_openid(discovery.scopes(settings.scopes.as_deref()), server, settings);
    let (scopes, step_up) = step_up::for_sign_in(requested, held.as_ref());
    let resource = settings.resource_param.then(|| discovery.resource.clone());
    let url = authorization_url(&AuthorizationRequest {
        endpoint: &authorization_endpoint,
        client_id: client.auth.client_id(),
        redirect_uri: &redirect_uri,
        challenge: &pkce.challenge,
        state: &state,
        scopes: &scopes,
        resource: resource.as_deref(),
        extra: &settings.extra_params,
    });
    let expected = Expected {
        state,
        issuer: server.issuer.clone(),
        iss_required: server.authorization_response_iss_parameter_supported,
    };
    let pre_registered = client.kind == ClientKind::PreRegistered;
    let code = ask_person(id, &url, redirect, &expected, options, pre_registered).await?;

    let mut fields = vec![
        ("grant_type", "authorization_code"),
        ("code", code.expose()),
        ("redirect_uri", redirect_uri.as_str()),
        ("code_verifier", pkce.verifier.expose()),
    ];
    if let Some(resource) = &resource {
        fields.push(("resource", resource));
    }
    let step = Step::CodeExchange;
    let dpop = discovery
        .wants_dpop()
        .then(DpopKey::generate)
        .transpose()
        .map_err(|problem| OAuthError::Dpop { id: id.clone(), problem })?;
    let (status, body) =
        post_form(http, id, step, &server.token_endpoint, &client.auth, &fields, dpop.as_ref()).await?;
    if !(200..300).contains(&status) {
        let err = refusal(id, &issuer_origin, step, status, &body);
        if client.kind == ClientKind::Dynamic
            && matches!(&err, OAuthError::Refused { code, .. } if code.as_str() == "invalid_client")
        {
            registration::forget(vault, id, &server.issuer).await?;
            return Err(OAuthError::RegistrationDropped { id: id.clone(), issuer: server.issuer.clone() });
        }
        return Err(err);
    }
    let answer = TokenAnswer::parse(id, &issuer_origin, step, &body, dpop.is_some())?;
    let dpop_key = answer.bound_key(dpop.as_ref());
    let account =
        answer.id_token.as_ref().and_then(|t| from_id_token(t, &server.issuer, client.auth.client_id()));
    let mut tokens =
        new_tokens(answer, &discovery, client.auth.client_id(), client.auth.method(), resource, scopes);
    tokens.step_up = step_up;
    tokens.account = account;
    tokens.binding = Some(Binding::oauth(settings, mcp_url));
    tokens.dpop_key = dpop_key;
    tokens.save(vault, id).await?;
    info!(source = %id, scopes = tokens.scopes.len(), "signed in");
    Ok(tokens)
}

/// Shows `url` to the person and opens the browser on it, then waits, within the options'
/// timeout, for the code at `redirect` (or pasted back), checked against `expected`.
pub(super) async fn ask_person(
    id: &SourceId,
    url: &Url,
    redirect: LoopbackRedirect,
    expected: &Expected,
    options: SignInOptions,
    pre_registered: bool,
) -> Result<crate::secret::Secret, OAuthError> {
    if let Some(show) = &options.show_url {
        show(url);
    }
    options.browser.open(id, url)?;
    info!(source = %id, "waiting for the sign-in in the browser");
    let wait = async {
        match options.paste_back {
            Some(mut input) => tokio::select! {
                got = redirect.receive(id, expected) => got,
                got = read_pasted(id, &mut *input, expected) => got,
            },
            None => redirect.receive(id, expected).await,
        }
    };
    tokio::time::timeout(options.timeout, wait).await.map_err(|_| OAuthError::TimedOut {
        id: id.clone(),
        limit: options.timeout,
        pre_registered,
    })?
}

fn new_tokens(
    answer: TokenAnswer,
    discovery: &Discovery,
    client_id: &str,
    client_auth_method: &str,
    resource: Option<String>,
    requested: Vec<String>,
) -> StoredTokens {
    let at = now();
    StoredTokens {
        access_token: answer.access_token,
        refresh_token: answer.refresh_token,
        expires_at: answer.expires_in.map(|s| at.saturating_add(s)),
        refresh_expires_at: answer.refresh_expires_in.map(|s| at.saturating_add(s)),
        scopes: answer.scope.unwrap_or(requested),
        issuer: discovery.server.issuer.clone(),
        token_endpoint: discovery.server.token_endpoint.clone(),
        revocation_endpoint: discovery.server.revocation_endpoint.clone(),
        client_id: client_id.to_owned(),
        client_auth_method: client_auth_method.to_owned(),
        resource,
        grant: Grant::AuthorizationCode,
        obtained_at: at,
        step_up: None,
        account: None,
        binding: None,
        dpop_key: None,
    }
}

/// `openid` joins the requested scopes when the server supports OpenID Connect and the profile
/// does not choose the scopes itself, so that an ID token tells who signed in.
fn with_openid(mut scopes: Vec<String>, server: &ServerMetadata, settings: &OAuthSettings) -> Vec<String> {
    let supported = server.scopes_supported.as_ref().is_some_and(|s| s.iter().any(|s| s == "openid"));
    if supported && settings.scopes.is_none() && !scopes.iter().any(|s| s == "openid") {
        scopes.insert(0, "openid".to_owned());
    }
    scopes
}

/// What goes into the authorization URL.
pub struct AuthorizationRequest<'a> {
    pub endpoint: &'a Url,
    pub client_id: &'a str,
    pub redirect_uri: &'a Url,
    pub challenge: &'a str,
    pub state: &'a str,
    pub scopes: &'a [String],
    pub resource: Option<&'a str>,
    pub extra: &'a std::collections::BTreeMap<String, String>,
}

/// The authorization URL (RFC 6749 4.1.1 with RFC 7636 and RFC 8707).
pub fn authorization_url(request: &AuthorizationRequest<'_>) -> Url {
    let mut url = request.endpoint.clone();
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", request.client_id)
            .append_pair("redirect_uri", request.redirect_uri.as_str())
            .append_pair("state", request.state)
            .append_pair("code_challenge", request.challenge)
            .append_pair("code_challenge_method", "S256");
        if !request.scopes.is_empty() {
            query.append_pair("scope", &request.scopes.join(" "));
        }
        if let Some(resource) = request.resource {
            query.append_pair("resource", resource);
        }
        for (name, value) in request.extra {
            if !RESERVED_PARAMS.contains(&name.as_str()) {
                query.append_pair(name, value);
            }
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_url_carries_pkce_resource_and_extras() {
        let endpoint = Url::parse("https://as.example/authorize?tenant=x").unwrap();
        let redirect = Url::parse("http://127.0.0.1:5555/callback").unwrap();
        let extra =
            [("prompt".to_owned(), "select_account".to_owned()), ("state".to_owned(), "evil".to_owned())]
                .into_iter()
                .collect();
        let scopes = ["a".to_owned(), "b".to_owned()];
        let url = authorization_url(&AuthorizationRequest {
            endpoint: &endpoint,
            client_id: "cid",
            redirect_uri: &redirect,
            challenge: "ch",
            state: "st",
            scopes: &scopes,
            resource: Some("https://mcp.example/mcp"),
            extra: &extra,
        });
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let get =
            |name: &str| pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect::<Vec<_>>();
        assert_eq!(get("tenant"), ["x"], "the endpoint's own query stays");
        assert_eq!(get("code_challenge_method"), ["S256"], "PKCE S256");
        assert_eq!(get("scope"), ["a b"], "scopes space-joined");
        assert_eq!(get("resource"), ["https://mcp.example/mcp"], "RFC 8707 resource");
        assert_eq!(get("prompt"), ["select_account"], "an extra parameter is added");
        assert_eq!(get("state"), ["st"], "an extra parameter never replaces a protocol one");
    }

    #[test]
    fn resource_can_be_left_out() {
        let endpoint = Url::parse("https://as.example/authorize").unwrap();
        let redirect = Url::parse("http://127.0.0.1:5555/callback").unwrap();
        let url = authorization_url(&AuthorizationRequest {
            endpoint: &endpoint,
            client_id: "cid",
            redirect_uri: &redirect,
            challenge: "ch",
            state: "st",
            scopes: &[],
            resource: None,
            extra: &Default::default(),
        });
        assert!(!url.as_str().contains("resource="), "no resource when the profile turns it off: {url}");
        assert!(!url.as_str().contains("scope="), "no empty scope: {url}");
    }
}
