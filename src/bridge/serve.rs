//! `lanyard serve`: the bridge over streamable HTTP on 127.0.0.1, `/mcp/<source>` per source and
//! every enabled source merged at `/mcp` (see [`merged`](super::merged)).
//!
//! The listener binds loopback only and sets `TCP_NODELAY` on every accepted socket (Nagle plus
//! delayed ACK would stall each call of a Node agent by ~45 ms); each agent connection is served
//! in one task with the upstream connections its requests open ([`paired`](super::paired)).
//! Every request passes the
//! [`door`](super::door) first. A source is resolved (variables, vault secrets) on its first
//! request and its route kept while its profile stays as it was. The server follows the profile
//! file ([`ProfileWatch`]): when a source's profile changes, or it is removed or disabled, its
//! route is forgotten, so the next new session resolves it again (or is told it is gone), and a
//! new source is served at once. A secret's new value shows in the file as the profile's
//! `secrets_revision`. Its owner may also call [`SourceRoutes::forget`] itself (the app does after
//! each edit it makes, so that the edit applies at once rather than within the second).
//! Sessions under way keep the route they started on until they end. A file broken by hand
//! changes nothing: the last one that read cleanly is served until it is fixed.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use tracing::{debug, info, warn};

use super::BridgeError;
use super::agents::{self, Agents};
use super::door;
use super::forward::Forwarder;
use super::gate::{self, Caller};
use super::hub;
use super::jsonrpc::{json, peek};
use super::merged::{self, Merged};
use super::profile_watch::ProfileWatch;
use super::session::Sessions;
use crate::Engine;
use crate::agents::{Access, Keyring, Lack, SourceAccess};
use crate::ids::SourceId;
use crate::profile::{Profile, ProfileError, ProfileFile, ResolvedTransport};

/// The port `lanyard serve` listens on unless told otherwise (`--port`).
pub const DEFAULT_PORT: u16 = 7587;

/// A bound, not yet running, bridge server.
pub struct Server {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    state: Arc<Door>,
}

/// What every request handler shares.
struct Door {
    engine: Arc<Engine>,
    /// The merged server's upstreams, connected on its first request.
    merged: Arc<Merged>,
    /// Who each token belongs to; replaced whole when the agents or their keys change.
    keys: std::sync::RwLock<Arc<Keyring>>,
    port: u16,
    /// The profile file as last read cleanly.
    profiles: Arc<ProfileWatch>,
    routes: tokio::sync::Mutex<HashMap<SourceId, Made>>,
    /// The agent sessions seen at the door.
    agents: Arc<Agents>,
}

/// A route and the profile it was made from, to tell when the profile changed.
struct Made {
    profile: Profile,
    route: Arc<Route>,
}

enum Route {
    /// Streamable HTTP upstream: forwarded at the HTTP level.
    Http(Forwarder),
    /// Stdio or legacy SSE upstream: one upstream session per agent session.
    Sessions(Sessions),
}

/// Binds 127.0.0.1:`port` (0 for a free one) with the install's bridge token and every agent's.
pub async fn serve(engine: Engine, port: u16) -> Result<Server, BridgeError> {
    super::bridge_token(engine.vault()).await?;
    let wanted = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener =
        tokio::net::TcpListener::bind(wanted).await.map_err(|err| BridgeError::Bind { addr: wanted, err })?;
    let addr = listener.local_addr().map_err(|err| BridgeError::Bind { addr: wanted, err })?;
    let engine = Arc::new(engine);
    let profiles = ProfileWatch::start(engine.profile_store().clone());
    let file = profiles.look_now().unwrap_or_default();
    let keys = Keyring::load(engine.vault(), &file).await?;
    let state = Arc::new(Door {
        merged: Arc::new(Merged::new(Arc::clone(&engine), Arc::clone(&profiles))),
        engine,
        keys: std::sync::RwLock::new(Arc::new(keys)),
        port: addr.port(),
        profiles,
        routes: tokio::sync::Mutex::new(HashMap::new()),
        agents: Arc::new(Agents::default()),
    });
    Ok(Server { listener, addr, state })
}

impl Server {
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The handle that makes the server resolve a source again after its profile changed.
    pub fn routes(&self) -> SourceRoutes {
        SourceRoutes(Arc::clone(&self.state))
    }

    /// The agent sessions this server serves, readable while it runs.
    pub fn agents(&self) -> Arc<Agents> {
        Arc::clone(&self.state.agents)
    }

    /// Serves until the process ends (or the future is dropped).
    pub async fn run(self) -> Result<(), BridgeError> {
        let Server { listener, addr, state } = self;
        let sessions_end = tokio_util::sync::CancellationToken::new();
        let all = merged::service(Arc::clone(&state.merged), sessions_end.clone());
        let following = tokio::spawn(follow_profiles(Arc::clone(&state)));
        let merged_following = state.merged.sources().follow(state.profiles.subscribe());
        let router = Router::new()
            .route("/mcp/{source}", any(per_source))
            .route_service("/mcp", all)
            .fallback(|| async {
                (StatusCode::NOT_FOUND, "not found; sources are at /mcp/<source>, all of them merged at /mcp")
            })
            .layer(middleware::from_fn_with_state(Arc::clone(&state), check_door))
            .with_state(Arc::clone(&state));
        info!(%addr, "bridge listening");
        let announced = hub::announce(state.engine.dirs().data(), addr.port())
            .inspect_err(
                |err| warn!(%err, "cannot announce the hub; `lanyard bridge` processes will not use it"),
            )
            .ok();
        let served = super::paired::serve(listener, router).await;
        following.abort();
        merged_following.abort();
        drop(announced);
        sessions_end.cancel();
        state.merged.sources().close().await;
        for made in state.routes.lock().await.values() {
            if let Route::Sessions(sessions) = &*made.route {
                sessions.close_all().await;
            }
        }
        served.map_err(|err| BridgeError::Bind { addr, err })
    }
}

/// Refuses a request that fails the door, before anything else looks at it. The hub's proof
/// endpoint is answered here, behind the Host and Origin checks but without the token.
async fn check_door(State(state): State<Arc<Door>>, mut request: Request, next: Next) -> Response {
    if request.uri().path() == hub::PROOF_PATH {
        return prove_hub(&state, &request);
    }
    let keys = state.keyring();
    match door::admit(request.headers_mut(), state.port, &keys) {
        Ok(access) if request.uri().path() == hub::KEYS_PATH => reload_keys(&state, &access).await,
        Ok(access) => {
            request.extensions_mut().insert(access);
            count_agent(&state.agents, request, next).await
        }
        Err(refusal) => {
            debug!(?refusal, "request refused at the door");
            (refusal.status(), refusal.message()).into_response()
        }
    }
}

/// Runs an admitted request and notes its MCP session: seen, or ended by a `DELETE`.
async fn count_agent(agents: &Agents, request: Request, next: Next) -> Response {
    let route = agents::route_of(request.uri().path());
    let ending = request.method() == axum::http::Method::DELETE;
    let asked = session_of(request.headers());
    let response = next.run(request).await;
    if let Some((route, session)) = route.zip(asked.or_else(|| session_of(response.headers()))) {
        if ending && response.status().is_success() {
            agents.ended(route, &session);
        } else if response.status().is_success() {
            agents.seen(route, &session, std::time::Instant::now());
        }
    }
    response
}

fn session_of(headers: &axum::http::HeaderMap) -> Option<String> {
    headers.get("mcp-session-id").and_then(|v| v.to_str().ok()).map(str::to_owned)
}

fn prove_hub(state: &Door, request: &Request) -> Response {
    if let Err(refusal) = door::check_host_and_origin(request.headers(), state.port) {
        return (refusal.status(), refusal.message()).into_response();
    }
    let nonce = request.uri().query().and_then(|q| q.strip_prefix("nonce=")).unwrap_or_default();
    let keys = state.keyring();
    let Some(token) = keys.default_token() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "no bridge token").into_response();
    };
    match hub::prove(token, nonce) {
        Some(proof) => (StatusCode::NO_CONTENT, [(hub::PROOF_HEADER, proof)]).into_response(),
        None => (StatusCode::BAD_REQUEST, "nonce: 16 to 128 hex digits").into_response(),
    }
}

/// `POST /lanyard/keys` by the `default` agent: read every agent's key again now (`lanyard
/// agent rotate` asks, so that an old key stops working at once).
async fn reload_keys(state: &Door, access: &Access) -> Response {
    if !access.name().is_default() {
        return (StatusCode::FORBIDDEN, "only the bridge token may ask the hub to read the keys again")
            .into_response();
    }
    match state.profiles.look_now() {
        Ok(file) => match state.reload_keys(&file).await {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(err) => (StatusCode::SERVICE_UNAVAILABLE, err.to_string()).into_response(),
        },
        Err(err) => (StatusCode::SERVICE_UNAVAILABLE, err.to_string()).into_response(),
    }
}

async fn per_source(
    State(state): State<Arc<Door>>,
    Path(source): Path<String>,
    request: Request,
) -> Response {
    let Ok(id) = source.parse::<SourceId>() else {
        return (StatusCode::NOT_FOUND, "not a source id").into_response();
    };
    let Some(access) = request.extensions().get::<Arc<Access>>().cloned() else {
        return (StatusCode::UNAUTHORIZED, "no agent").into_response();
    };
    let grant = match access.source(&id) {
        SourceAccess::Full => None,
        SourceAccess::Limited(grant) => Some(grant),
        SourceAccess::Denied(lack) => return denied(&id, &lack, request).await,
    };
    let caller = Caller { access, grant };
    let route = match state.route(&id).await {
        Ok(route) => route,
        Err(err) => {
            let status = match &err {
                BridgeError::Engine(engine)
                    if matches!(**engine, crate::Error::Profile(ProfileError::NotFound { .. })) =>
                {
                    StatusCode::NOT_FOUND
                }
                _ => StatusCode::BAD_GATEWAY,
            };
            warn!(source = %id, "cannot serve the source: {err}");
            return (status, err.to_string()).into_response();
        }
    };
    match &*route {
        Route::Http(forwarder) => forwarder.handle(request, &caller).await,
        Route::Sessions(sessions) => sessions.handle(request, &caller).await,
    }
}

/// The answer to a request for a source the agent may not use: each JSON-RPC request of a POST
/// answered with the refusal, anything else a 403 saying it. Nothing reaches the source.
async fn denied(id: &SourceId, lack: &Lack, request: Request) -> Response {
    let body = match axum::body::to_bytes(request.into_body(), crate::upstream::MAX_MESSAGE_BYTES).await {
        Ok(body) => body,
        Err(_) => return (StatusCode::FORBIDDEN, lack.to_string()).into_response(),
    };
    match peek(&body) {
        Some(peeked) if peeked.iter().any(|p| p.is_request()) => {
            json(StatusCode::OK, gate::denied(lack, id, &peeked))
        }
        _ => (StatusCode::FORBIDDEN, lack.to_string()).into_response(),
    }
}

/// A running server's per-source routes, to be made again from the profile.
#[derive(Clone)]
pub struct SourceRoutes(Arc<Door>);

impl SourceRoutes {
    /// Forgets `id`'s route: its next new session resolves the source from the profile again. A
    /// session already under way keeps its route (and a stdio child) until it ends; an agent
    /// whose session the new route does not know is told so (404) and starts a new one. The
    /// merged server connects to it again too. Edits of the profile file (a secret's new value
    /// included, see `Profile::secrets_revision`) are followed without this within a second;
    /// this applies one at once.
    pub async fn forget(&self, id: &SourceId) {
        if self.0.routes.lock().await.remove(id).is_some() {
            debug!(source = %id, "route forgotten; the next request resolves the source again");
        }
        // In the background: closing the old session may wait for a connection under way.
        let (sources, id) = (Arc::clone(self.0.merged.sources()), id.clone());
        tokio::spawn(async move { sources.renew(&id).await });
    }
}

/// Forgets the route of every source whose profile changed, each time the file does.
async fn follow_profiles(state: Arc<Door>) {
    let mut changes = state.profiles.subscribe();
    while changes.changed().await.is_ok() {
        let Some(file) = changes.borrow_and_update().clone() else { continue };
        state.forget_changed(&file).await;
        if let Err(err) = state.reload_keys(&file).await {
            warn!("cannot read the agents' keys; the ones read before stay in use: {err}");
        }
    }
}

impl Door {
    /// Who each token belongs to, as last read.
    fn keyring(&self) -> Arc<Keyring> {
        Arc::clone(&self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Reads the keys of `file`'s agents (and the bridge token) again; the old keyring goes at
    /// once, so a rotated or removed agent's old key stops working with the next request.
    async fn reload_keys(&self, file: &ProfileFile) -> Result<(), crate::vault::VaultError> {
        let keys = Keyring::load(self.engine.vault(), file).await?;
        *self.keys.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(keys);
        debug!(agents = file.agents.len(), "agent keys read");
        Ok(())
    }

    /// The route of a source, made on first use from the profile file as last read cleanly.
    async fn route(&self, id: &SourceId) -> Result<Arc<Route>, BridgeError> {
        let mut routes = self.routes.lock().await;
        if let Some(made) = routes.get(id) {
            return Ok(Arc::clone(&made.route));
        }
        // Read under the lock: a change published meanwhile is applied after this route is in.
        let file = self.profiles.look_now().map_err(crate::Error::from)?;
        let profile = file.require(id).cloned().map_err(crate::Error::from)?;
        let resolved = self.engine.resolve_profile(&profile).await?;
        let route = match &resolved.transport {
            ResolvedTransport::Http { .. } => {
                let credentials = self.engine.source_credentials(&profile, &resolved)?;
                let (history, calls) = (self.engine.history().clone(), self.engine.call_log().clone());
                let pins = self.engine.source_pins(&profile);
                Route::Http(Forwarder::new(&resolved, credentials, history, calls, pins)?)
            }
            ResolvedTransport::Stdio { .. } | ResolvedTransport::Sse { .. } => {
                let credentials = self.engine.source_credentials(&profile, &resolved)?;
                let history = self.engine.history().clone();
                let calls = self.engine.call_log().clone();
                Route::Sessions(Sessions::new(
                    resolved,
                    credentials,
                    self.engine.dirs().logs(),
                    history,
                    calls,
                    self.engine.source_pins(&profile),
                ))
            }
        };
        let route = Arc::new(route);
        routes.insert(id.clone(), Made { profile, route: Arc::clone(&route) });
        Ok(route)
    }

    /// Forgets the routes whose source `file` removed, disabled or changed (see
    /// [`SourceRoutes::forget`] for what happens to their sessions).
    async fn forget_changed(&self, file: &ProfileFile) {
        let mut routes = self.routes.lock().await;
        routes.retain(|id, made| {
            let kept = file.get(id).is_some_and(|now| now.enabled && *now == made.profile);
            if !kept {
                info!(source = %id, "the source's profile changed; its next session gets the new settings");
            }
            kept
        });
    }
}
