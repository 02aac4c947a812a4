//! HTTP agent to stdio upstream: one child per agent session, bridged to streamable HTTP.
//!
//! An `initialize` POST without a session starts a child (through a [`Pipe`], so filters,
//! restarts and error answers work as on stdio) and mints the `Mcp-Session-Id` the agent uses from
//! then on. A POST holding one request is answered with plain JSON when the first thing the server
//! sends back is the answer (the common case, and the cheapest for both ends to frame and parse);
//! otherwise, and for batches, with an event stream that carries the answers and what precedes
//! them, and closes after the last one. A POST of notifications or responses gets 202. What the
//! server sends on its own goes, in this order of preference, to the stream of the request whose
//! progress token it carries, to the agent's GET stream, or to any open request stream. Messages
//! are routed by the task that read them from the server (see [`ToAgent`]). DELETE stops the
//! child. A 2026-07-28 agent, which sends no `initialize`, has no session here: it is told which
//! paths carry it instead.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tracing::debug;

use super::BridgeError;
use super::gate::{Caller, Recorder};
use super::inflight::ToAgent;
use super::jsonrpc::{IdKey, PARSE_ERROR, Peeked, cancelled, error_reply, json, peek, read_message};
use super::link::SESSION_ID;
use super::pipe::{Pipe, PipeAgent};
use crate::agents::{AgentName, CallLog};
use crate::credentials::SourceCredentials;
use crate::history::{AgentKind, Event, History};
use crate::pins::SourcePins;
use crate::profile::Resolved;

/// The live agent sessions of one stdio source.
pub(crate) struct Sessions {
    resolved: Resolved,
    credentials: Arc<SourceCredentials>,
    log_dir: PathBuf,
    /// Where an agent's new session is recorded.
    history: History,
    /// Where agents' calls are recorded.
    calls: CallLog,
    /// The source's pinned tool definitions, shared by its sessions.
    pins: Arc<SourcePins>,
    live: Mutex<HashMap<String, Arc<Session>>>,
}

struct Session {
    pipe: Pipe,
    routes: Arc<Mutex<Routes>>,
    /// The agent that started the session: the only one that may use it.
    agent: AgentName,
}

/// Where the server's messages go.
#[derive(Default)]
struct Routes {
    /// Each request's answer stream, by request id.
    waiting: HashMap<IdKey, mpsc::UnboundedSender<Routed>>,
    /// Progress token -> the request that carried it.
    progress: HashMap<IdKey, IdKey>,
    /// The agent's GET stream.
    listener: Option<mpsc::UnboundedSender<Routed>>,
}

impl Sessions {
    /// Sessions with `resolved`'s upstream: a stdio child (no `credentials`, its secrets are in
    /// its environment) or a legacy SSE server, one upstream session per agent session.
    pub fn new(
        resolved: Resolved,
        credentials: SourceCredentials,
        log_dir: PathBuf,
        history: History,
        calls: CallLog,
        pins: Arc<SourcePins>,
    ) -> Self {
        let credentials = Arc::new(credentials);
        Self { resolved, credentials, log_dir, history, calls, pins, live: Mutex::new(HashMap::new()) }
    }

    pub async fn handle(&self, request: Request, caller: &Caller) -> Response {
        let session_id = request.headers().get(SESSION_ID).and_then(|v| v.to_str().ok()).map(str::to_owned);
        // Another agent's session is no session to this one.
        let session = session_id.as_ref().and_then(|id| {
            self.live
                .lock()
                .expect("sessions lock")
                .get(id)
                .filter(|session| session.agent == *caller.access.name())
                .cloned()
        });
        if session_id.is_some() && session.is_none() {
            return (StatusCode::NOT_FOUND, "unknown or ended session; initialize again").into_response();
        }
        match *request.method() {
            Method::POST => self.post(request, session_id, session, caller).await,
            Method::GET => match session {
                Some(session) => session.listen(),
                None => (StatusCode::BAD_REQUEST, "GET needs an Mcp-Session-Id").into_response(),
            },
            Method::DELETE => match session_id {
                Some(id) => {
                    let removed = self.live.lock().expect("sessions lock").remove(&id);
                    if let Some(session) = removed {
                        session.pipe.close().await;
                    }
                    StatusCode::OK.into_response()
                }
                None => (StatusCode::BAD_REQUEST, "DELETE needs an Mcp-Session-Id").into_response(),
            },
            _ => StatusCode::METHOD_NOT_ALLOWED.into_response(),
        }
    }

    async fn post(
        &self,
        request: Request,
        session_id: Option<String>,
        session: Option<Arc<Session>>,
        caller: &Caller,
    ) -> Response {
        let body = match read_message(request.into_body()).await {
            Ok(body) => body,
            Err(too_large) => return too_large,
        };
        let Some(peeked) = peek(&body) else {
            let reply = error_reply(
                &serde_json::Value::Null,
                PARSE_ERROR,
                "the body is not JSON-RPC",
                &self.resolved.id,
            );
            return json(StatusCode::BAD_REQUEST, reply);
        };
        let initialize = peeked.iter().find(|p| p.is_request() && p.method_is("initialize"));
        let is_initialize = initialize.is_some();
        // Every request of the message answered with `err`.
        let refuse = |err: &BridgeError| {
            let ids: Vec<_> = peeked.iter().filter(|p| p.is_request()).filter_map(|p| p.id.clone()).collect();
            super::forward::failure(&self.resolved.id, &ids, err)
        };
        let (session_id, session) = match (session_id, session, initialize) {
            (Some(id), Some(session), _) => (id, session),
            (None, _, Some(_)) => match self.start(caller) {
                Ok(started) => started,
                Err(err) => return refuse(&err),
            },
            // A 2026-07-28 agent has no `initialize` to start a session with: say where it can go.
            (None, _, None)
                if peeked.iter().any(|p| p.protocol_version.is_some() || p.method_is("server/discover")) =>
            {
                return refuse(&BridgeError::SessionNeeded { id: self.resolved.id.clone() });
            }
            _ => {
                return (StatusCode::BAD_REQUEST, "missing Mcp-Session-Id; send initialize first")
                    .into_response();
            }
        };
        let requests: Vec<&Peeked> = peeked.iter().filter(|p| p.is_request()).collect();
        if requests.is_empty() {
            session.pipe.on_agent_message(body).await;
            return StatusCode::ACCEPTED.into_response();
        }
        let (answers, mut rx) = mpsc::unbounded_channel();
        {
            let mut routes = session.routes.lock().expect("routes lock");
            for request in &requests {
                let key = request.request_key().expect("a request has an id");
                if let Some(token) = &request.progress_token {
                    routes.progress.insert(IdKey::of(token), key.clone());
                }
                routes.waiting.insert(key, answers.clone());
            }
        }
        drop(answers);
        let pending: Vec<(IdKey, serde_json::Value)> =
            requests.iter().filter_map(|r| Some((r.request_key()?, r.id.clone()?))).collect();
        // Armed before the message goes upstream: an agent that leaves while we wait cancels it
        // (`initialize` is never cancelled).
        let guard = (!is_initialize).then(|| CancelOnDrop { session: Arc::clone(&session), pending });
        session.pipe.on_agent_message(body).await;
        let session_header = HeaderValue::from_str(&session_id).expect("session ids are hex");
        if is_initialize {
            let mut last = None;
            while let Some(routed) = rx.recv().await {
                last = Some(routed.message);
            }
            let Some(answer) = last else {
                return (StatusCode::BAD_GATEWAY, "the server ended before answering initialize")
                    .into_response();
            };
            let mut response = json(StatusCode::OK, answer);
            response.headers_mut().insert(SESSION_ID, session_header);
            return response;
        }
        let mut first = None;
        if let Some(CancelOnDrop { pending, .. }) = &guard
            && pending.len() == 1
        {
            // This stream gets a lone answer only for its one request: that is the whole reply.
            match rx.recv().await {
                Some(Routed { message, lone_answer: true }) => {
                    let mut response = json(StatusCode::OK, message);
                    response.headers_mut().insert(SESSION_ID, session_header);
                    return response;
                }
                routed => first = routed,
            }
        }
        let mut response = sse(first, rx, guard);
        response.headers_mut().insert(SESSION_ID, session_header);
        response
    }

    /// Starts a session (its child starts with the `initialize` message).
    fn start(&self, caller: &Caller) -> Result<(String, Arc<Session>), BridgeError> {
        self.history.record(&self.resolved.id, Event::BridgeSession { agent: AgentKind::Http });
        let credentials = Arc::clone(&self.credentials);
        let routes = Arc::new(Mutex::new(Routes::default()));
        let sink = RouteSink(Arc::clone(&routes));
        let agent = PipeAgent {
            grant: caller.grant.clone(),
            recorder: Some(Recorder { log: self.calls.clone(), access: Arc::clone(&caller.access) }),
        };
        let pins = Some(Arc::clone(&self.pins));
        let pipe = Pipe::new(self.resolved.clone(), credentials, self.log_dir.clone(), agent, pins, sink)?;
        let session = Arc::new(Session { pipe, routes, agent: caller.access.name().clone() });
        let id = session_id();
        self.live.lock().expect("sessions lock").insert(id.clone(), Arc::clone(&session));
        debug!(source = %self.resolved.id, "agent session started");
        Ok((id, session))
    }

    /// Ends every session (and its child).
    pub async fn close_all(&self) {
        let all: Vec<_> = self.live.lock().expect("sessions lock").drain().map(|(_, s)| s).collect();
        for session in all {
            session.pipe.close().await;
        }
    }
}

impl Session {
    fn listen(&self) -> Response {
        let (tx, rx) = mpsc::unbounded_channel();
        self.routes.lock().expect("routes lock").listener = Some(tx);
        sse(None, rx, None)
    }
}

/// Cancels, upstream, the requests of an answer stream the agent dropped before their answers
/// came (an agent that goes away mid-call should not leave the server working for nobody).
struct CancelOnDrop {
    session: Arc<Session>,
    pending: Vec<(IdKey, serde_json::Value)>,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let unanswered: Vec<serde_json::Value> = {
            let mut routes = self.session.routes.lock().expect("routes lock");
            self.pending
                .iter()
                .filter(|(key, _)| routes.waiting.remove(key).is_some())
                .map(|(_, id)| id.clone())
                .collect()
        };
        if unanswered.is_empty() {
            return;
        }
        let session = Arc::clone(&self.session);
        tokio::spawn(async move {
            for id in unanswered {
                debug!("the agent left mid-call; cancelling the request upstream");
                session.pipe.on_agent_message(cancelled(&id)).await;
            }
        });
    }
}

/// A server message on its way to one of the agent's streams.
struct Routed {
    message: Bytes,
    /// The message is one response and nothing else (as read once, when it was routed).
    lone_answer: bool,
}

/// Sends each message from the server to the stream that should carry it.
struct RouteSink(Arc<Mutex<Routes>>);

impl ToAgent for RouteSink {
    fn send(&self, message: Bytes) {
        let peeked = peek(&message).unwrap_or_default();
        let mut routes = self.0.lock().expect("routes lock");
        let answered: Vec<IdKey> = peeked.iter().filter_map(Peeked::response_key).collect();
        let mut target = None;
        for key in &answered {
            if let Some(stream) = routes.waiting.remove(key) {
                target.get_or_insert(stream);
            }
            routes.progress.retain(|_, request| request != key);
        }
        if answered.is_empty() {
            let by_token = peeked
                .iter()
                .filter_map(|p| p.progress_token.as_ref())
                .find_map(|token| routes.progress.get(&IdKey::of(token)))
                .and_then(|request| routes.waiting.get(request))
                .cloned();
            target = by_token
                .or_else(|| routes.listener.clone().filter(|l| !l.is_closed()))
                .or_else(|| routes.waiting.values().find(|s| !s.is_closed()).cloned());
        }
        match target {
            Some(stream) => {
                let lone_answer = peeked.len() == 1 && answered.len() == 1;
                let _ = stream.send(Routed { message, lone_answer });
            }
            None => debug!("a server message had no open stream to go to; dropped"),
        }
    }
}

/// An event stream of `first` (if any), then `messages`, ending when their senders are gone;
/// `guard` is dropped with it.
fn sse(
    first: Option<Routed>,
    messages: mpsc::UnboundedReceiver<Routed>,
    guard: Option<CancelOnDrop>,
) -> Response {
    let messages = futures::stream::iter(first).chain(UnboundedReceiverStream::new(messages));
    let events = messages.map(move |routed| {
        let _keep = &guard;
        let data = String::from_utf8_lossy(&routed.message).into_owned();
        sse_stream::Sse::default().event("message").data(data).encode().map_err(std::io::Error::other)
    });
    (
        [(header::CONTENT_TYPE, "text/event-stream"), (header::CACHE_CONTROL, "no-cache")],
        Body::from_stream(events),
    )
        .into_response()
}

/// A fresh, unguessable session id.
fn session_id() -> String {
    crate::ids::random_hex(16)
}
