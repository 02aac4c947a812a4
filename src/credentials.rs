//! The credentials of one source's requests, for every path that talks to an HTTP upstream: the
//! bridge's HTTP forward and stdio pass-through ([`SourceCredentials::send`]) and every rmcp
//! session (the merged server, the CLI, the app, doctor), which asks per request through
//! [`Authorizer`]. One component, so that every path renews the same way.
//!
//! Each request carries the profile's headers, plus for OAuth and client-credentials sources a
//! bearer token from the engine's token manager ([`crate::oauth::Credentials`]); a DPoP-bound
//! token goes as `Authorization: DPoP` with a proof made for that one request (its method and
//! URL, the token's hash, the server's latest nonce), so an agent never sees the key or a
//! proof. A `401` that refuses the proof (`use_dpop_nonce`, or a proof the server says it has
//! seen) is answered by one more try with a fresh proof and the server's new nonce. The token is
//! kept in memory until the time the token manager gave for renewing it (the refresh margin
//! before expiry, or half-way through a short life), so the keychain is read once per token, not
//! once per call. From then until it expires, requests go on with it while one renewal runs in
//! the background: a slow authorization server never holds up calls whose token still works.
//! Only a token that has expired makes requests wait for the new one. A 401 to a token we added
//! renews it (refresh, or a new service token; one refresh per source across processes, the
//! token manager sees to that) and sends the request once more, so an agent never notices an
//! expiry. The token manager hands out only tokens bound to this source's server and settings
//! (see [`crate::oauth::binding`]). A source that needs sign-in is never signed in from here: the
//! request fails with an error that names the source and the command that fixes it; a `403
//! insufficient_scope` is recorded for step-up ([`refusal`]).
//!
//! With `auth = passthrough`, the agent's own `Authorization` header goes to the upstream
//! unchanged (the door has already taken the bridge token out of the request); every other
//! source gets only Lanyard's credentials, and the agent's `Authorization` never reaches it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};
use tracing::debug;
use url::Url;

use futures::future::BoxFuture;

use crate::error::Error;
use crate::ids::SourceId;
use crate::oauth::dpop::{self, DpopKey};
use crate::oauth::{AccessToken, OAuthError};
use crate::paths::Dirs;
use crate::profile::{Auth, Profile, Resolved, ResolvedTransport};
use crate::secret::Secret;
use crate::upstream::{Authorization, Authorizer, UpstreamError};
use crate::vault::Vault;

/// The credentials of one source, as HTTP headers.
pub struct SourceCredentials {
    id: SourceId,
    headers: HeaderMap,
    bearer: Bearer,
}

impl std::fmt::Debug for SourceCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceCredentials").field("id", &self.id).finish_non_exhaustive()
    }
}

/// Where the `Authorization` header comes from.
enum Bearer {
    /// Nowhere, or from the profile's own headers.
    Profile,
    /// The agent's own header, forwarded unchanged (`auth = passthrough`).
    Agent,
    /// The token manager: OAuth sign-in or client credentials.
    Tokens(Arc<Tokens>),
}

/// An OAuth source's access token, kept between requests.
struct Tokens {
    vault: Arc<Vault>,
    /// Where the token manager keeps its locks and records what it did.
    dirs: Dirs,
    profile: Profile,
    url: Url,
    held: Mutex<Option<Held>>,
    /// One renewal at a time in this process; the token manager's lock covers other processes.
    renewing: tokio::sync::Mutex<()>,
    /// The earliest Unix second a renewal may start in the background again: at most one a
    /// second while the held token is due (the token manager's backoff decides the rest).
    next_background: AtomicU64,
}

#[derive(Clone)]
struct Held {
    token: Secret,
    /// `Bearer <token>`, or `DPoP <token>` for a DPoP-bound one.
    header: HeaderValue,
    /// The key of a DPoP-bound token.
    dpop: Option<DpopKey>,
    /// When the token manager wants this token renewed, Unix seconds.
    renew_at: Option<u64>,
    /// When the token stops working, Unix seconds, if the server said.
    expires_at: Option<u64>,
}

impl Held {
    fn new(access: AccessToken, id: &SourceId) -> Result<Self, Error> {
        let scheme = if access.dpop.is_some() { "DPoP" } else { "Bearer" };
        let mut header = HeaderValue::from_str(&format!("{scheme} {}", access.token.expose()))
            .map_err(|_| UpstreamError::InvalidHeader { id: id.clone(), name: "Authorization".into() })?;
        header.set_sensitive(true);
        Ok(Self {
            token: access.token,
            header,
            dpop: access.dpop,
            renew_at: access.renew_at,
            expires_at: access.expires_at,
        })
    }

    /// The headers that present this token on a `method` request to `url`: `Authorization`,
    /// and for a DPoP-bound token a fresh proof with the server's latest nonce.
    fn headers(&self, id: &SourceId, method: &Method, url: &Url) -> Result<HeaderMap, Error> {
        let mut headers = HeaderMap::with_capacity(2);
        headers.insert(AUTHORIZATION, self.header.clone());
        if let Some(key) = &self.dpop {
            let nonce = dpop::nonce_for(url);
            let proof = key
                .proof(method.as_str(), url, Some(&self.token), nonce.as_deref())
                .map_err(|problem| OAuthError::Dpop { id: id.clone(), problem })?;
            // The proof leaves its wrapper into a header marked sensitive.
            let mut value = HeaderValue::from_str(proof.expose()).map_err(|_| {
                UpstreamError::InvalidHeader { id: id.clone(), name: dpop::PROOF_HEADER.into() }
            })?;
            value.set_sensitive(true);
            headers.insert(dpop::PROOF_HEADER, value);
        }
        Ok(headers)
    }

    fn is_fresh(&self) -> bool {
        self.renew_at.is_none_or(|at| at > crate::clock::now())
    }

    /// Due for renewal, but still working for a while.
    fn is_unexpired(&self) -> bool {
        self.expires_at.is_some_and(|at| at > crate::clock::now().saturating_add(EXPIRY_SLACK_SECS))
    }
}

/// What a request sent through reqwest got back: the upstream's answer, or the transport error.
pub type Sent = Result<reqwest::Response, reqwest::Error>;

/// The wait in which [`SourceCredentials::send_by`] ran out of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missed {
    /// No token yet (a renewal was under way): the request was not sent.
    Token,
    /// The request went out; its answer did not come.
    Answer,
}

impl SourceCredentials {
    /// The credentials of `resolved` (from [`crate::Engine::resolve_profile`], which adds a
    /// service account's extra token to the fixed headers), a source whose saved profile is
    /// `profile`, with tokens from `vault` (the engine's, [`crate::Engine::shared_vault`]) and the
    /// token manager's locks and records in `dirs` (see [`crate::Engine::source_credentials`]).
    /// The headers are checked once here, so that a bad one is a configuration error.
    pub fn new(
        vault: Arc<Vault>,
        dirs: &Dirs,
        profile: &Profile,
        resolved: &Resolved,
    ) -> Result<Self, Error> {
        let id = &resolved.id;
        let (url, headers) = match &resolved.transport {
            ResolvedTransport::Http { url, headers } | ResolvedTransport::Sse { url, headers } => {
                (url, headers)
            }
            ResolvedTransport::Stdio { .. } => return Ok(Self::none(id)),
        };
        let bearer = match &profile.auth {
            Auth::OAuth(_) | Auth::ClientCredentials(_) | Auth::Enterprise(_) => {
                Bearer::Tokens(Arc::new(Tokens {
                    vault,
                    dirs: dirs.clone(),
                    profile: profile.clone(),
                    url: url.clone(),
                    held: Mutex::new(None),
                    renewing: tokio::sync::Mutex::new(()),
                    next_background: AtomicU64::new(0),
                }))
            }
            Auth::Passthrough => Bearer::Agent,
            Auth::None | Auth::Headers => Bearer::Profile,
        };
        Ok(Self { id: id.clone(), headers: header_map(id, headers)?, bearer })
    }

    /// Fixed headers and nothing else (the hub's bridge token, for a bridge going through it).
    pub fn fixed(id: &SourceId, headers: &[(String, Secret)]) -> Result<Self, Error> {
        Ok(Self { id: id.clone(), headers: header_map(id, headers)?, bearer: Bearer::Profile })
    }

    /// No credentials (a stdio source gets its secrets in its environment instead).
    pub fn none(id: &SourceId) -> Self {
        Self { id: id.clone(), headers: HeaderMap::new(), bearer: Bearer::Profile }
    }

    /// Whether the agent's own `Authorization` header goes to this source.
    pub fn passes_agent_authorization(&self) -> bool {
        matches!(self.bearer, Bearer::Agent)
    }

    /// Sends one request, `method` to `url`: `exchange` gets the credential headers and sends
    /// the request with everything else added (it may be called up to three times, so it must
    /// be cheap to repeat). A 401 that refuses a DPoP proof sends once more with a fresh one; a
    /// 401 to a token Lanyard added renews the token and sends once more. The outer error is a
    /// credential problem (sign-in needed, keychain); the inner result is what the upstream did.
    pub async fn send<A: Answered, E, Sending>(
        &self,
        method: &Method,
        url: &Url,
        exchange: impl Fn(HeaderMap) -> Sending,
    ) -> Result<Result<A, E>, Error>
    where
        Sending: Future<Output = Result<A, E>>,
    {
        let held = self.token().await?;
        self.send_with(held, method, url, exchange).await
    }

    /// [`SourceCredentials::send`] by `deadline`, saying which wait it missed: the token (the request
    /// was never sent) or the answer.
    pub async fn send_by<A: Answered, E, Sending>(
        &self,
        deadline: tokio::time::Instant,
        method: &Method,
        url: &Url,
        exchange: impl Fn(HeaderMap) -> Sending,
    ) -> Result<Result<Result<A, E>, Error>, Missed>
    where
        Sending: Future<Output = Result<A, E>>,
    {
        let held = match tokio::time::timeout_at(deadline, self.token()).await {
            Ok(Ok(held)) => held,
            Ok(Err(err)) => return Ok(Err(err)),
            Err(_) => return Err(Missed::Token),
        };
        tokio::time::timeout_at(deadline, self.send_with(held, method, url, exchange))
            .await
            .map_err(|_| Missed::Answer)
    }

    /// The token to send, for a source that takes one from the token manager.
    async fn token(&self) -> Result<Option<Held>, Error> {
        match &self.bearer {
            Bearer::Tokens(tokens) => tokens.current(&self.id).await.map(Some),
            Bearer::Profile | Bearer::Agent => Ok(None),
        }
    }

    async fn send_with<A: Answered, E, Sending>(
        &self,
        held: Option<Held>,
        method: &Method,
        url: &Url,
        exchange: impl Fn(HeaderMap) -> Sending,
    ) -> Result<Result<A, E>, Error>
    where
        Sending: Future<Output = Result<A, E>>,
    {
        let (Bearer::Tokens(tokens), Some(mut held)) = (&self.bearer, held) else {
            return Ok(exchange(self.headers.clone()).await);
        };
        let (mut reproved, mut renewed) = (false, false);
        loop {
            let sent = exchange(self.with_token(&held, method, url)?).await;
            let Ok(answer) = &sent else { return Ok(sent) };
            if held.dpop.is_some() {
                dpop::remember_nonce(url, answer.headers());
            }
            if answer.status() != StatusCode::UNAUTHORIZED {
                return Ok(sent);
            }
            let challenges =
                answer.headers().get_all(WWW_AUTHENTICATE).iter().filter_map(|v| v.to_str().ok());
            if held.dpop.is_some() && !reproved && dpop::refuses_proof(challenges) {
                debug!(source = %self.id, "the upstream refused the DPoP proof; once more with a fresh one");
                reproved = true;
                continue;
            }
            if renewed {
                return Ok(sent);
            }
            debug!(source = %self.id, "the upstream refused the token; renewing it once");
            renewed = true;
            held = tokens.renew_detached(&self.id, Some(held.token.clone())).await?;
        }
    }

    /// Why the upstream's 401 or 403 answer refused a request, as the error for the agent (see
    /// [`refusal`]).
    pub async fn refusal(&self, www_authenticate: Option<String>) -> Error {
        let err = UpstreamError::Unauthorized { id: self.id.clone(), www_authenticate };
        match &self.bearer {
            Bearer::Tokens(tokens) => refusal(&tokens.manager(), &tokens.profile, err).await,
            Bearer::Profile | Bearer::Agent => err.into(),
        }
    }

    /// This component as the bearer token source of an rmcp session; `None` when the source's
    /// `Authorization` comes from nowhere or its own headers.
    pub fn authorizer(self) -> Option<Arc<dyn Authorizer>> {
        match self.bearer {
            Bearer::Tokens(tokens) => Some(Arc::new(SessionTokens { id: self.id, tokens })),
            Bearer::Profile | Bearer::Agent => None,
        }
    }

    fn with_token(&self, held: &Held, method: &Method, url: &Url) -> Result<HeaderMap, Error> {
        let mut headers = self.headers.clone();
        headers.extend(held.headers(&self.id, method, url)?);
        Ok(headers)
    }
}

/// What [`SourceCredentials::send`] reads of an answer to tell a refused token: its status and
/// headers. An answer through reqwest, or one the forward read on its own connection.
pub trait Answered {
    fn status(&self) -> StatusCode;
    fn headers(&self) -> &HeaderMap;
}

impl Answered for reqwest::Response {
    fn status(&self) -> StatusCode {
        self.status()
    }

    fn headers(&self) -> &HeaderMap {
        self.headers()
    }
}

impl<B> Answered for axum::http::Response<B> {
    fn status(&self) -> StatusCode {
        self.status()
    }

    fn headers(&self) -> &HeaderMap {
        self.headers()
    }
}

impl Tokens {
    /// The engine's token manager, on this source's vault and folders.
    fn manager(&self) -> crate::oauth::Credentials<'_> {
        crate::oauth::Credentials::new(&self.vault, &self.dirs)
    }

    /// The held token while it is fresh, or while it still works with a renewal started in the
    /// background; otherwise one from the token manager.
    async fn current(self: &Arc<Self>, id: &SourceId) -> Result<Held, Error> {
        if let Some(held) = self.held() {
            if held.is_fresh() {
                return Ok(held);
            }
            if held.is_unexpired() {
                self.renew_in_background(id);
                return Ok(held);
            }
        }
        self.renew_detached(id, None).await
    }

    /// Starts a renewal on its own task, unless one runs or started less than a second ago. A
    /// failure keeps the held token (it still works); the next due request tries again, within
    /// the token manager's backoff.
    fn renew_in_background(self: &Arc<Self>, id: &SourceId) {
        let now = crate::clock::now();
        let next = self.next_background.load(Ordering::Relaxed);
        if now < next
            || self
                .next_background
                .compare_exchange(next, now.saturating_add(1), Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let (tokens, id) = (Arc::clone(self), id.clone());
        tokio::spawn(async move {
            let Ok(_renewing) = tokens.renewing.try_lock() else { return };
            if tokens.held().is_some_and(|held| held.is_fresh()) {
                return; // renewed meanwhile
            }
            match tokens.manager().access(&tokens.profile, &tokens.url, None).await {
                Ok(access) => match Held::new(access, &id) {
                    Ok(held) => *tokens.held.lock().expect("token lock") = Some(held),
                    Err(err) => debug!(source = %id, "the renewed token is unusable: {err}"),
                },
                Err(err) => {
                    debug!(source = %id, "renewing ahead of expiry failed; the token still works: {err}")
                }
            }
        });
    }

    /// A fresh token other than `refused` (the one the upstream just answered 401 to, if any),
    /// renewed on a task of its own: a request that gives up
    /// while it waits (its agent left, its deadline passed) never cuts a refresh off half-way, so
    /// a refresh token the server has just rotated is stored whatever becomes of the request.
    async fn renew_detached(self: &Arc<Self>, id: &SourceId, refused: Option<Secret>) -> Result<Held, Error> {
        let (tokens, source) = (Arc::clone(self), id.clone());
        let renewal = tokio::spawn(async move {
            let _renewing = tokens.renewing.lock().await;
            if let Some(held) =
                tokens.held().filter(|held| held.is_fresh() && Some(&held.token) != refused.as_ref())
            {
                return Ok(held); // renewed by another request while this one waited
            }
            tokens.fetch(&source, refused.as_ref()).await
        });
        match renewal.await {
            Ok(held) => held,
            Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            Err(_) => Err(UpstreamError::Cancelled { id: id.clone() }.into()), // the runtime is stopping
        }
    }

    async fn fetch(&self, id: &SourceId, refused: Option<&Secret>) -> Result<Held, Error> {
        let access = self.manager().access(&self.profile, &self.url, refused).await;
        let held = match access {
            Ok(access) => Held::new(access, id)?,
            Err(err) => {
                self.forget();
                return Err(token_error(err));
            }
        };
        *self.held.lock().expect("token lock") = Some(held.clone());
        Ok(held)
    }

    fn held(&self) -> Option<Held> {
        self.held.lock().expect("token lock").clone()
    }

    fn forget(&self) {
        *self.held.lock().expect("token lock") = None;
    }
}

/// A source's tokens as an rmcp session's [`Authorizer`].
struct SessionTokens {
    id: SourceId,
    tokens: Arc<Tokens>,
}

impl SessionTokens {
    fn authorization(&self, held: Held, method: &Method, url: &Url) -> Result<Authorization, Error> {
        let headers = held.headers(&self.id, method, url)?;
        Ok(Authorization { token: held.token, headers })
    }
}

impl Authorizer for SessionTokens {
    fn authorize(
        &self,
        method: Method,
        url: Url,
    ) -> BoxFuture<'_, Result<Option<Authorization>, Box<dyn std::error::Error + Send + Sync>>> {
        Box::pin(async move {
            let held = self.tokens.current(&self.id).await.map_err(boxed)?;
            self.authorization(held, &method, &url).map(Some).map_err(boxed)
        })
    }

    fn renew(
        &self,
        refused: Secret,
        method: Method,
        url: Url,
    ) -> BoxFuture<'_, Result<Authorization, Box<dyn std::error::Error + Send + Sync>>> {
        Box::pin(async move {
            let held = self.tokens.renew_detached(&self.id, Some(refused)).await.map_err(boxed)?;
            self.authorization(held, &method, &url).map_err(boxed)
        })
    }
}

/// The engine's error as rmcp's seam carries it, boxed once, so that the engine can take it out
/// again by its type.
fn boxed(err: Error) -> Box<dyn std::error::Error + Send + Sync> {
    Box::new(err)
}

/// What an upstream's refusal means for a source, on every path. A `403 insufficient_scope` to
/// a signed-in source is recorded as a pending step-up and reported as
/// [`OAuthError::NeedsMoreScope`] (or [`OAuthError::ScopeNotGranted`] past the bound); it never
/// starts a sign-in, because this runs on background paths too (the person grants it with
/// Reconnect). Any other error comes back as it was.
pub async fn refusal(
    manager: &crate::oauth::Credentials<'_>,
    profile: &Profile,
    err: UpstreamError,
) -> Error {
    let challenged = match &err {
        UpstreamError::Unauthorized { www_authenticate: Some(header), .. }
            if matches!(profile.auth, Auth::OAuth(_)) =>
        {
            crate::oauth::step_up::insufficient_scope(header)
        }
        _ => None,
    };
    match challenged {
        Some(scopes) => manager.note_insufficient_scope(profile, scopes).await.into(),
        None => err.into(),
    }
}

/// A token this close to its expiry is not used any more: a request needs time to arrive.
const EXPIRY_SLACK_SECS: u64 = 2;

fn token_error(err: OAuthError) -> Error {
    err.into()
}

fn header_map(id: &SourceId, headers: &[(String, Secret)]) -> Result<HeaderMap, Error> {
    let mut map = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let invalid = || UpstreamError::InvalidHeader { id: id.clone(), name: name.clone() };
        let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
        // The value leaves its wrapper here, into a header marked sensitive.
        let mut header_value = HeaderValue::from_str(value.expose()).map_err(|_| invalid())?;
        header_value.set_sensitive(true);
        map.append(header_name, header_value);
    }
    Ok(map)
}
