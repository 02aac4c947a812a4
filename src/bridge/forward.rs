//! HTTP agent to HTTP upstream: a forward at the HTTP level, not an MCP server feeding an MCP
//! client (that costs ~0.3-0.45 ms per call here).
//!
//! The agent's request goes to the source's URL with only the MCP headers kept (`Accept`,
//! `Content-Type`, `Mcp-Session-Id`, `MCP-Protocol-Version`, `Last-Event-ID`, and the SEP-2243
//! `Mcp-Method`, `Mcp-Name` and `Mcp-Param-*`, which a 2026-07-28 server requires and checks
//! against the body); its `Authorization` (our bridge token), cookies and `Origin` stay here, and
//! the source's credentials are added instead. A call whose alias the tool filter maps back gets
//! `Mcp-Name` set to the upstream name too, so that header and body still agree. Event streams pass back as they come; a JSON answer to a
//! request is read whole first (up to the message size cap), so that one the server leaves
//! half-sent can still be replaced by an error. Only where the tool filter
//! applies is a body looked at: a POST calling a tool (alias mapped back, hidden tool answered
//! here), and the answer to a POST that lists tools (JSON or each event of a stream rewritten).
//! An event stream that breaks off before its end (the server died mid-call) ends with a
//! JSON-RPC error event per request of the POST, naming the source, so that an agent's call ends
//! with an answer instead of a cut connection. So does a POST whose requests the server has not
//! answered within the source's `timeouts.request_secs`: the agent gets an error saying so and
//! the server a `notifications/cancelled`, instead of both waiting on each other for ever.

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use http_body_util::{BodyDataStream, BodyExt, Either, Full, Limited, StreamBody};
use hyper::body::Frame;
use serde_json::Value;
use tokio::time::Instant;
use tracing::debug;
use url::Url;

use super::BridgeError;
use super::gate::{Caller, Calls, EventWatch};
use super::jsonrpc::{IdKey, Peeked, cancelled, error_reply, json, message_event, peek, read_message};
use super::listens;
use super::paired::{PlainOrigin, Returning, Unanswered};
use super::pins_watch;
use super::rewrite::{Outbound, Rewriter};
use crate::agents::{CallLog, Outcome};
use crate::credentials::{Missed, SourceCredentials};
use crate::history::{AgentKind, Event, History};
use crate::ids::SourceId;
use crate::pins::SourcePins;
use crate::profile::{Resolved, ResolvedTransport};
use crate::upstream::{MAX_MESSAGE_BYTES, Target, UpstreamError, reqwest_error};

/// Agent request headers that go upstream; every other header stays here.
const REQUEST_HEADERS: [HeaderName; 7] = [
    header::ACCEPT,
    header::CONTENT_TYPE,
    MCP_SESSION_ID,
    HeaderName::from_static("mcp-protocol-version"),
    HeaderName::from_static("last-event-id"),
    HeaderName::from_static("mcp-method"),
    MCP_NAME,
];
/// Agent request headers with this prefix go upstream too: SEP-2243 tool arguments mirrored into
/// headers (`Mcp-Param-Region: …`), which the server checks against the call's arguments.
const REQUEST_HEADER_PREFIX: &str = "mcp-param-";
/// Upstream answer headers that go back to the agent.
const RESPONSE_HEADERS: [HeaderName; 4] =
    [header::CONTENT_TYPE, MCP_SESSION_ID, header::CACHE_CONTROL, header::WWW_AUTHENTICATE];
/// An upstream's answer: from the forward's own connection, or through reqwest.
type UpstreamBody = Either<Returning, reqwest::Body>;
type Answer = axum::http::Response<UpstreamBody>;
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The agent's own credential, forwarded only to a source with `auth = passthrough` (the door
/// has already removed the bridge token from the request).
const AGENT_AUTHORIZATION: HeaderName = header::AUTHORIZATION;
const MCP_SESSION_ID: HeaderName = HeaderName::from_static("mcp-session-id");
const MCP_NAME: HeaderName = HeaderName::from_static("mcp-name");

pub(crate) struct Forwarder {
    target: Target,
    url: Url,
    client: reqwest::Client,
    /// The source's origin when requests may go on the forward's own upstream connections.
    plain: Option<PlainOrigin>,
    credentials: Arc<SourceCredentials>,
    /// Where an agent's new session is recorded.
    history: History,
    rewriter: Rewriter,
    /// How long the requests of one POST may wait for their answers.
    request_limit: Duration,
    /// Where agents' calls are recorded.
    calls: CallLog,
}

impl Forwarder {
    pub fn new(
        resolved: &Resolved,
        credentials: SourceCredentials,
        history: History,
        calls: CallLog,
        pins: Arc<SourcePins>,
    ) -> Result<Self, BridgeError> {
        let ResolvedTransport::Http { url, .. } = &resolved.transport else {
            unreachable!("the forwarder serves streamable HTTP sources only");
        };
        let target = crate::upstream::target_of(resolved);
        let client = crate::upstream::http_client(&target, &[], resolved.timeouts.connect())?;
        Ok(Self {
            plain: PlainOrigin::of(url, resolved.timeouts.connect()),
            credentials: Arc::new(credentials),
            history,
            rewriter: Rewriter::new(resolved.id.clone(), resolved.tools.clone(), Some(pins)),
            request_limit: resolved.timeouts.request(),
            calls,
            target,
            url: url.clone(),
            client,
        })
    }

    pub async fn handle(&self, request: Request, caller: &Caller) -> Response {
        let limited;
        let rewriter = match &caller.grant {
            None => &self.rewriter,
            Some(grant) => {
                limited = self.rewriter.for_agent(Some(Arc::clone(grant)));
                &limited
            }
        };
        let (parts, body) = request.into_parts();
        // The calls of this POST, recorded in the call log as their answers come.
        let mut calls = None;
        let mut requests: Vec<Value> = Vec::new();
        let mut first_method = None;
        // The requests to cancel upstream if the agent goes or they are late (never `initialize`).
        let mut cancellable: Vec<Value> = Vec::new();
        let mut lists: HashSet<IdKey> = HashSet::new();
        let mut outgoing = None;
        // The upstream name of a tool called by its alias, for `Mcp-Name`.
        let mut renamed = None;
        // A 2026-07-28 agent's `subscriptions/listen` (its id), and whether it asks for tool
        // list changes, which the bridge tells of too ([`super::listens`]).
        let mut listen = None;
        if parts.method == Method::POST {
            let bytes = match read_message(body).await {
                Ok(bytes) => bytes,
                Err(too_large) => return too_large,
            };
            if let Some(peeked) = peek(&bytes) {
                requests = peeked.iter().filter(|p| p.is_request()).filter_map(|p| p.id.clone()).collect();
                first_method = peeked.iter().find(|p| p.is_request()).and_then(|p| p.method.clone());
                cancellable = peeked
                    .iter()
                    .filter(|p| p.is_request() && !p.method_is("initialize"))
                    .filter_map(|p| p.id.clone())
                    .collect();
                if peeked.iter().any(|p| p.is_request() && p.method_is("initialize")) {
                    self.history.record(&self.target.id, Event::BridgeSession { agent: AgentKind::Http });
                }
                if rewriter.watches_lists() {
                    lists = peeked
                        .iter()
                        .filter(|p| p.method_is("tools/list"))
                        .filter_map(Peeked::request_key)
                        .collect();
                }
                if let [only] = peeked.as_slice()
                    && only.is_request()
                    && only.method_is(listens::LISTEN)
                {
                    listen = only.id.clone().map(|id| (id, listens::wants_tool_changes(&bytes)));
                }
                calls = Calls::of(&self.calls, &caller.access, &self.target.id, &peeked);
                match rewriter.outbound(bytes.clone(), &peeked) {
                    Outbound::Forward(forwarded) => {
                        if rewriter.is_active() && forwarded != bytes {
                            renamed = called_tool(&forwarded);
                        }
                        outgoing = Some(forwarded);
                    }
                    Outbound::Refuse(reply) => {
                        if let Some(calls) = &mut calls {
                            calls.ended(Outcome::Refused);
                        }
                        return json(StatusCode::OK, reply);
                    }
                }
            } else {
                outgoing = Some(bytes); // not JSON-RPC: the upstream says so in its own words
            }
        }
        let method = parts.method;
        let get = method == Method::GET;
        let mut agent_headers = kept(&parts.headers, &REQUEST_HEADERS);
        agent_headers.extend(
            parts
                .headers
                .iter()
                .filter(|(name, _)| name.as_str().starts_with(REQUEST_HEADER_PREFIX))
                .map(|(name, value)| (name.clone(), value.clone())),
        );
        if let Some(name) = renamed.and_then(|name| HeaderValue::from_str(&name).ok())
            && agent_headers.contains_key(MCP_NAME)
        {
            agent_headers.insert(MCP_NAME, name);
        }
        if self.credentials.passes_agent_authorization() {
            agent_headers.extend(kept(&parts.headers, &[AGENT_AUTHORIZATION]));
        }
        let build = |credentials: HeaderMap| {
            let mut headers = agent_headers.clone();
            headers.extend(credentials);
            self.exchange(method.clone(), headers, outgoing.clone())
        };
        // The requests' answers are due by then; notifications, GET streams and listens (open on
        // purpose) have no deadline.
        let deadline = (!requests.is_empty() && listen.is_none()).then(|| Late {
            at: Instant::now() + self.request_limit,
            limit: self.request_limit,
            source: self.target.id.clone(),
            method: first_method.unwrap_or_default(),
        });
        let sent = match &deadline {
            Some(late) => match self.credentials.send_by(late.at, &method, &self.url, build).await {
                Ok(sent) => sent,
                Err(Missed::Token) => {
                    ended(&mut calls, Outcome::Timeout);
                    return self.failed(&requests, &late.error(Missed::Token));
                }
                Err(Missed::Answer) => {
                    ended(&mut calls, Outcome::Timeout);
                    drop(self.canceller(agent_headers, cancellable));
                    return self.failed(&requests, &late.error(Missed::Answer));
                }
            },
            None => self.credentials.send(&method, &self.url, build).await,
        };
        let answer = match sent {
            Ok(Ok(answer)) => answer,
            Ok(Err(err)) => return self.failed(&requests, &err.into()),
            Err(err) => return self.failed(&requests, &err.into()),
        };
        let status = answer.status();
        if self.credentials.passes_agent_authorization() {
            // The agent holds the credential: its challenge is the agent's to answer.
        } else if matches!(status, reqwest::StatusCode::UNAUTHORIZED | reqwest::StatusCode::FORBIDDEN) {
            // Never pass the upstream's challenge on: the agent would try to sign in to us.
            let www_authenticate = answer
                .headers()
                .get(header::WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let err = self.credentials.refusal(www_authenticate).await;
            return self.failed(&requests, &err.into());
        }
        if status.is_server_error() {
            // An agent shows "HTTP 500" without saying which server; say it, and what it was.
            let content_type = answer.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
            let err = UpstreamError::NotMcp {
                id: self.target.id.clone(),
                origin: self.target.origin.clone().unwrap_or_else(|| crate::upstream::Origin::of(&self.url)),
                status: status.as_u16(),
                content_type: content_type.map(|ct| ct.chars().take(100).collect()),
                problem: crate::upstream::NotMcpProblem::Status,
            };
            return self.failed(&requests, &err.into());
        }
        let mut response = Response::builder().status(status.as_u16());
        if let Some(headers) = response.headers_mut() {
            headers.extend(kept(answer.headers(), &RESPONSE_HEADERS));
        }
        let content_type = answer
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let events = content_type.starts_with("text/event-stream");
        let answer = answer.into_body();
        let body = match deadline {
            None => match (rewriter.pins().filter(|_| events), listen) {
                // A listen for tool list changes: an approval is told there too, on its id.
                (Some(pins), Some((id, true))) => {
                    let guard = self.canceller(agent_headers, cancellable);
                    let stream = guard.watch(data_of(answer));
                    Body::from_stream(with_approvals(Arc::clone(pins), stream, Some(id)))
                }
                // A listen for other changes, or answered as JSON (a refusal).
                (_, Some(_)) => {
                    let guard = self.canceller(agent_headers, cancellable);
                    Body::from_stream(guard.watch(data_of(answer)))
                }
                // The agent's stream of the server's own messages: an approval is told there too.
                (Some(pins), None) if get => {
                    Body::from_stream(with_approvals(Arc::clone(pins), data_of(answer), None))
                }
                // Notifications and responses from the agent: nothing is awaited.
                _ => Body::new(answer),
            },
            Some(late) if content_type.starts_with("application/json") => {
                // Read whole within the deadline: once a JSON body is under way to the agent it
                // cannot be replaced by an error any more, so a half-sent one would hang the agent.
                let guard = self.canceller(agent_headers, cancellable);
                let read = Limited::new(answer, MAX_MESSAGE_BYTES).collect();
                let bytes = match tokio::time::timeout_at(late.at, read).await {
                    Ok(Ok(read)) => read.to_bytes(),
                    Ok(Err(_)) => {
                        let err = UpstreamError::Disconnected { id: self.target.id.clone() };
                        return self.failed(&requests, &err.into());
                    }
                    Err(_) => {
                        ended(&mut calls, Outcome::Timeout);
                        return self.failed(&requests, &late.error(Missed::Answer));
                    }
                };
                guard.answered();
                if let Some(calls) = &mut calls {
                    calls.saw(&bytes);
                }
                // Parsed only when a `tools/list` answer may need filtering.
                let peeked = if lists.is_empty() { None } else { peek(&bytes) };
                match peeked {
                    Some(peeked) => Body::from(rewriter.inbound(bytes, &peeked, &mut lists)),
                    None => Body::from(bytes),
                }
            }
            Some(late) if events && lists.is_empty() => {
                let guard = self.canceller(agent_headers, cancellable);
                let cut = Cut::new(self.target.id.clone(), requests, late);
                Body::new(Relayed::new(answer, Some(cut), Some(guard), calls.map(EventWatch::new)))
            }
            Some(late) if events => {
                let rewritten =
                    StreamBody::new(rewrite_events(rewriter.clone(), answer, lists).map_ok(Frame::data));
                let cut = Cut::new(self.target.id.clone(), requests, late);
                Body::new(Relayed::new(Box::pin(rewritten), Some(cut), None, calls.map(EventWatch::new)))
            }
            Some(_) => {
                let guard = self.canceller(agent_headers, cancellable);
                Body::new(Relayed::new(answer, None, Some(guard), None))
            }
        };
        response.body(body).unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
    }

    /// Sends one request upstream: on a connection of this thread's own where the source is
    /// reached over plain HTTP (see [`paired`](super::paired)), otherwise, or when that cannot
    /// take it, through reqwest. An answer that redirects is asked again through reqwest, whose
    /// redirect rule decides whether it is followed.
    async fn exchange(
        &self,
        method: Method,
        headers: HeaderMap,
        body: Option<Bytes>,
    ) -> Result<Answer, UpstreamError> {
        if let Some(origin) = &self.plain {
            let mut request = Request::new(Full::new(body.clone().unwrap_or_default()));
            *request.method_mut() = method.clone();
            *request.headers_mut() = headers.clone();
            match super::paired::send(origin, request).await {
                Ok(answer) if !answer.status().is_redirection() => return Ok(answer.map(Either::Left)),
                Ok(_) | Err(Unanswered::Unsent) => {}
                Err(Unanswered::Refused) => {
                    let origin = crate::upstream::Origin::of(&self.url);
                    return Err(UpstreamError::ConnectionRefused { id: self.target.id.clone(), origin });
                }
                Err(Unanswered::Broken(err)) => {
                    debug!(source = %self.target.id, %err, "the upstream connection broke under a request");
                    return Err(UpstreamError::Disconnected { id: self.target.id.clone() });
                }
            }
        }
        let request = self.client.request(method, self.url.clone()).headers(headers);
        let request = match body {
            Some(bytes) => request.body(bytes),
            None => request,
        };
        let answer = request.send().await.map_err(|err| reqwest_error(&self.target, err))?;
        Ok(axum::http::Response::from(answer).map(Either::Right))
    }

    /// A guard that cancels `requests` upstream unless the answer stream it watches ends.
    fn canceller(&self, headers: HeaderMap, requests: Vec<Value>) -> CancelOnDrop {
        CancelOnDrop {
            client: self.client.clone(),
            url: self.url.clone(),
            credentials: Arc::clone(&self.credentials),
            headers,
            requests,
            done: Arc::new(AtomicBool::new(false)),
        }
    }

    /// An upstream failure, as JSON-RPC errors for the requests in the message, or a 502.
    fn failed(&self, requests: &[Value], err: &BridgeError) -> Response {
        failure(&self.target.id, requests, err)
    }
}

/// The events of an SSE answer, with `tools/list` answers filtered.
fn rewrite_events(
    rewriter: Rewriter,
    answer: UpstreamBody,
    mut lists: HashSet<IdKey>,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let bytes = data_of(answer).map_ok(std::io::Cursor::new);
    sse_stream::SseByteStream::new(bytes).map(move |event| {
        let mut event = event.map_err(std::io::Error::other)?;
        if let Some(data) = event.data.take() {
            let raw = Bytes::from(data);
            let raw = match peek(&raw) {
                Some(peeked) => rewriter.inbound(raw, &peeked, &mut lists),
                None => raw,
            };
            event.data = Some(String::from_utf8_lossy(&raw).into_owned());
        }
        event.encode().map_err(std::io::Error::other)
    })
}

/// The data of an upstream answer as a stream, its errors as I/O errors (what the event parser
/// and axum take).
fn data_of(
    answer: UpstreamBody,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    BodyDataStream::new(answer).map_err(std::io::Error::other)
}

/// The server's event stream with `notifications/tools/list_changed` added each time the person
/// approves tools withheld here ([`pins_watch`]), for as long as the agent keeps it open: the
/// agent's GET stream (`listen` is `None`), or a 2026-07-28 agent's `subscriptions/listen` of id
/// `listen`, where the notice names that request and comes only once the server's
/// acknowledgement, which is made to grant tool list changes, has passed ([`listens`]).
/// The server's events are parsed, so that one of ours never lands inside one of its own.
fn with_approvals(
    pins: Arc<SourcePins>,
    answer: impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
    listen: Option<Value>,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let (tell, told) = tokio::sync::mpsc::channel::<()>(1);
    let open = tell.clone();
    let acknowledged = Arc::new(AtomicBool::new(listen.is_none()));
    let may_tell = Arc::clone(&acknowledged);
    // A full channel already holds a notice that covers this one.
    let tell = move || {
        if may_tell.load(Ordering::Acquire) {
            let _ = tell.try_send(());
        }
    };
    tokio::spawn(pins_watch::follow(pins, move || !open.is_closed(), tell));
    let notice = message_event(&match &listen {
        Some(id) => listens::tools_changed_on(id),
        None => pins_watch::tools_changed(),
    });
    let ours = futures::stream::unfold(told, move |mut told| {
        let notice = notice.clone();
        async move { told.recv().await.map(|()| (Some(Ok(notice)), told)) }
    });
    let bytes = answer.map_ok(std::io::Cursor::new);
    let theirs = sse_stream::SseByteStream::new(bytes)
        .map(move |event| {
            let mut event = event.map_err(std::io::Error::other)?;
            if let (Some(id), Some(data)) = (&listen, &event.data)
                && !acknowledged.load(Ordering::Acquire)
                && let Some(granted) = listens::granting_tool_changes(data.as_bytes(), id)
            {
                event.data = Some(String::from_utf8_lossy(&granted).into_owned());
                acknowledged.store(true, Ordering::Release);
            }
            event.encode().map_err(std::io::Error::other)
        })
        .map(Some)
        // Their end is the stream's end.
        .chain(futures::stream::once(async { None }));
    futures::stream::select(theirs, ours)
        .take_while(|item| std::future::ready(item.is_some()))
        .filter_map(std::future::ready)
}

/// The calls still open end with `outcome`.
fn ended(calls: &mut Option<Calls>, outcome: Outcome) {
    if let Some(calls) = calls {
        calls.ended(outcome);
    }
}

/// When the requests of a POST are late, and what the error then says.
struct Late {
    at: Instant,
    limit: Duration,
    source: SourceId,
    /// The method of the POST's first request.
    method: String,
}

impl Late {
    /// The error for requests that missed the deadline waiting for `what`.
    fn error(&self, what: Missed) -> BridgeError {
        let (id, method, limit) = (self.source.clone(), self.method.clone().into(), self.limit);
        match what {
            Missed::Token => UpstreamError::TokenTimeout { id, method, limit },
            Missed::Answer => UpstreamError::RequestTimeout { id, method, limit },
        }
        .into()
    }
}

/// An answer the forward streams back to the agent, as it comes. Its events' answers are recorded
/// in the call log as they pass (`calls`). Should it break off before its end, or still run when
/// the deadline passes, it ends instead with one JSON-RPC error event per request of the POST,
/// naming the source (`cut`); dropped before its end, the `guard` cancels those requests
/// upstream. One body rather than a stream adapter per job: each chunk of each answer passes
/// through it.
struct Relayed<B> {
    upstream: B,
    cut: Option<Cut>,
    guard: Option<CancelOnDrop>,
    calls: Option<EventWatch>,
    ended: bool,
}

/// What the agent is told when an answer breaks off or is late.
struct Cut {
    source: SourceId,
    requests: Vec<Value>,
    deadline: Pin<Box<tokio::time::Sleep>>,
    late: Late,
}

impl Cut {
    fn new(source: SourceId, requests: Vec<Value>, late: Late) -> Self {
        Self { source, requests, deadline: Box::pin(tokio::time::sleep_until(late.at)), late }
    }
}

impl<B> Relayed<B> {
    fn new(upstream: B, cut: Option<Cut>, guard: Option<CancelOnDrop>, calls: Option<EventWatch>) -> Self {
        Self { upstream, cut, guard, calls, ended: false }
    }

    /// The error events that end the answer instead of the rest of it (the guard, left undone,
    /// cancels the requests once the body is dropped).
    fn cut_short(&mut self, cut: Cut, err: &BridgeError) -> Frame<Bytes> {
        self.ended = true;
        let events = error_events(&cut.requests, err, &cut.source);
        if let Some(calls) = &mut self.calls {
            calls.chunk(&events);
        }
        Frame::data(events)
    }
}

impl<B> hyper::body::Body for Relayed<B>
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if this.ended {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.upstream).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let (Some(data), Some(calls)) = (frame.data_ref(), &mut this.calls) {
                    calls.chunk(data);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(None) => {
                this.ended = true;
                if let Some(guard) = this.guard.take() {
                    guard.answered();
                }
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(err))) => match this.cut.take() {
                Some(cut) => {
                    debug!(source = %cut.source, "the upstream's answer broke off mid-way");
                    let err = UpstreamError::Disconnected { id: cut.source.clone() }.into();
                    Poll::Ready(Some(Ok(this.cut_short(cut, &err))))
                }
                None => {
                    this.ended = true;
                    Poll::Ready(Some(Err(err.into())))
                }
            },
            Poll::Pending => {
                let late = this.cut.as_mut().is_some_and(|cut| cut.deadline.as_mut().poll(cx).is_ready());
                match this.cut.take_if(|_| late) {
                    Some(cut) => {
                        debug!(source = %cut.source, "the upstream did not answer in time; cancelling");
                        let err = cut.late.error(Missed::Answer);
                        Poll::Ready(Some(Ok(this.cut_short(cut, &err))))
                    }
                    None => Poll::Pending,
                }
            }
        }
    }
}

/// One JSON-RPC error event per request, after a blank line that ends any event the upstream
/// left half-written.
fn error_events(requests: &[Value], err: &BridgeError, source: &SourceId) -> Bytes {
    let mut out = b"\n\n".to_vec();
    for id in requests {
        out.extend_from_slice(&message_event(&error_reply(
            id,
            err.json_rpc_code(),
            &err.to_string(),
            source,
        )));
    }
    Bytes::from(out)
}

/// Cancels, upstream, the requests of a POST whose answer the agent stopped reading before it
/// ended. (Per the spec a dropped connection alone is not a cancellation, so we say it.)
struct CancelOnDrop {
    client: reqwest::Client,
    url: Url,
    credentials: Arc<SourceCredentials>,
    /// The agent's headers that went with the request (session, protocol version).
    headers: HeaderMap,
    requests: Vec<Value>,
    done: Arc<AtomicBool>,
}

impl CancelOnDrop {
    /// The requests were answered: nothing to cancel.
    fn answered(self) {
        self.done.store(true, Ordering::Release);
    }

    /// `body`, marking the guard done when it ends; the guard lives as long as the stream.
    fn watch<S, E>(self, body: S) -> impl futures::Stream<Item = Result<Bytes, E>> + Send + 'static
    where
        S: futures::Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: Send + 'static,
    {
        let done = Arc::clone(&self.done);
        let end = futures::stream::once(async move {
            done.store(true, Ordering::Release);
        })
        .filter_map(|()| async { None });
        body.chain(end).map(move |chunk| {
            let _keep = &self;
            chunk
        })
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if self.done.load(Ordering::Acquire) {
            return;
        }
        let (client, url, credentials) =
            (self.client.clone(), self.url.clone(), Arc::clone(&self.credentials));
        let mut headers = self.headers.clone();
        headers.remove(header::CONTENT_TYPE);
        let requests = std::mem::take(&mut self.requests);
        tokio::spawn(async move {
            for id in requests {
                let body = cancelled(&id);
                let build = |credentials: HeaderMap| {
                    let mut all = headers.clone();
                    all.extend(credentials);
                    client
                        .post(url.clone())
                        .headers(all)
                        .header(header::CONTENT_TYPE, "application/json")
                        .body(body.clone())
                        .send()
                };
                let sent = credentials.send(&reqwest::Method::POST, &url, build).await;
                let ok = matches!(sent, Ok(Ok(_)));
                debug!(ok, "the agent left mid-call; cancelled the request upstream");
            }
        });
    }
}

/// Answers the requests of a POST with an error naming the source; with no request to answer,
/// a 502 with the same text.
pub(crate) fn failure(source: &crate::ids::SourceId, requests: &[Value], err: &BridgeError) -> Response {
    let code = err.json_rpc_code();
    let message = err.to_string();
    match requests {
        [] => (StatusCode::BAD_GATEWAY, message).into_response(),
        [id] => json(StatusCode::OK, error_reply(id, code, &message, source)),
        ids => {
            let replies: Vec<Value> = ids
                .iter()
                .map(|id| serde_json::from_slice(&error_reply(id, code, &message, source)).expect("JSON"))
                .collect();
            json(StatusCode::OK, Bytes::from(serde_json::to_vec(&replies).expect("JSON")))
        }
    }
}

/// The tool a single `tools/call` message calls (a batch carries no `Mcp-Name`).
fn called_tool(body: &[u8]) -> Option<String> {
    let message: Value = serde_json::from_slice(body).ok()?;
    if message.get("method").and_then(Value::as_str) != Some("tools/call") {
        return None;
    }
    message.pointer("/params/name").and_then(Value::as_str).map(str::to_owned)
}

/// The headers of `from` named in `names`.
fn kept(from: &HeaderMap, names: &[HeaderName]) -> HeaderMap {
    let mut out = HeaderMap::new();
    for name in names {
        for value in from.get_all(name) {
            out.append(name.clone(), value.clone());
        }
    }
    out
}
