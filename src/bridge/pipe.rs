//! One agent session passed through to one source, message by message.
//!
//! A [`Pipe`] takes the agent's messages in arrival order ([`Pipe::on_agent_message`]) and hands the
//! upstream's messages to the caller's [`ToAgent`], straight from the task that read them: no
//! channel and task in between, which would cost a thread wake-up per message. In between it keeps only
//! what pass-through needs: which agent requests are in flight (so an upstream that dies answers
//! each of them with an error naming the source instead of leaving the agent hanging), which of
//! them are `tools/list` (so their answers get filtered), and the agent's own `initialize`, which
//! it replays to a restarted upstream so the next request works without the agent noticing.
//! A request the upstream leaves unanswered past the source's `timeouts.request_secs` is answered
//! with an error saying so and cancelled upstream (a once-a-second sweep, so the hot path pays
//! only for reading the clock); should its answer come after all, it is dropped, since the agent
//! already has one.
//! The upstream end is a [`Link`]: a line pipe to a child process, or a streamable HTTP client.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::{CancellationToken, DropGuard};
use tracing::{debug, info, warn};

use super::BridgeError;
use super::jsonrpc::{INVALID_REQUEST, IdKey, PARSE_ERROR, Peeked, UPSTREAM_FAILED, error_reply, peek};
use super::link::Link;
use super::rewrite::{Outbound, Rewriter};
use crate::credentials::SourceCredentials;
use crate::profile::{Resolved, ResolvedTransport, SourceId};
use crate::upstream::UpstreamError;

/// Where the messages for the agent go. Called from the link's tasks, so it must not block.
pub(crate) trait ToAgent: Send + Sync + 'static {
    fn send(&self, message: Bytes);
}

impl ToAgent for mpsc::UnboundedSender<Bytes> {
    fn send(&self, message: Bytes) {
        // A closed channel means the agent is gone; its session ends on its side.
        let _ = mpsc::UnboundedSender::send(self, message);
    }
}

/// What a pipe and its link's tasks share: the way to the agent and the bookkeeping.
pub(crate) struct Shared {
    rewriter: Rewriter,
    to_agent: Box<dyn ToAgent>,
    state: std::sync::Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The current link's generation; it goes up at every (re)connect.
    generation: u64,
    /// Whether the current link has been reported dead.
    dead: bool,
    inflight: HashMap<IdKey, InFlight>,
    lists: HashSet<IdKey>,
    /// The agent's `initialize` and `notifications/initialized`, replayed to a new upstream.
    initialize: Option<Bytes>,
    initialized: Option<Bytes>,
    /// The answer awaited by a replayed `initialize`, which the agent must not see.
    replay: Option<(IdKey, oneshot::Sender<Bytes>)>,
}

/// An agent request the upstream has not answered yet.
struct InFlight {
    id: Value,
    method: String,
    /// When the agent gets a timeout error instead.
    due: Instant,
}

/// How often in-flight requests are checked against their deadline.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

impl Shared {
    pub fn source(&self) -> &SourceId {
        self.rewriter.source()
    }

    /// A message from the upstream: filtered if it answers a `tools/list`, then sent to the agent.
    pub fn on_upstream_message(&self, raw: Bytes) {
        let Some(peeked) = peek(&raw) else {
            warn!(source = %self.source(), "the upstream sent something that is not JSON-RPC; dropped");
            return;
        };
        let raw = {
            let mut state = self.state.lock().expect("pipe state lock");
            if let Some(key) = peeked.first().and_then(Peeked::response_key)
                && state.replay.as_ref().is_some_and(|(awaited, _)| *awaited == key)
            {
                if let Some((_, answer)) = state.replay.take() {
                    let _ = answer.send(raw);
                }
                return;
            }
            let mut responses = 0;
            let mut awaited = false;
            for key in peeked.iter().filter_map(Peeked::response_key) {
                responses += 1;
                awaited |= state.inflight.remove(&key).is_some();
            }
            if responses == peeked.len() && !awaited {
                debug!(source = %self.source(), "an answer came after the agent got an error instead; dropped");
                return;
            }
            let state = &mut *state;
            self.rewriter.inbound(raw, &peeked, &mut state.lists)
        };
        self.to_agent.send(raw);
    }

    /// Answers those of `ids` still in flight with `err`.
    pub fn fail(&self, ids: &[IdKey], err: &BridgeError) {
        let answered: Vec<Value> = {
            let mut state = self.state.lock().expect("pipe state lock");
            ids.iter()
                .filter_map(|key| {
                    state.lists.remove(key);
                    state.inflight.remove(key).map(|request| request.id)
                })
                .collect()
        };
        self.answer_with(answered, err);
    }

    /// The link of `generation` is gone: answer everything in flight, reconnect on the next
    /// request.
    pub fn link_closed(&self, generation: u64, err: &BridgeError) {
        let answered: Vec<Value> = {
            let mut state = self.state.lock().expect("pipe state lock");
            if state.generation != generation || state.dead {
                return;
            }
            state.dead = true;
            state.replay = None;
            state.lists.clear();
            state.inflight.drain().map(|(_, request)| request.id).collect()
        };
        info!(source = %self.source(), in_flight = answered.len(), "the upstream went away: {err}");
        self.answer_with(answered, err);
    }

    /// Marks the link of `generation` dead without answering anything else.
    pub fn mark_dead(&self, generation: u64) {
        let mut state = self.state.lock().expect("pipe state lock");
        if state.generation == generation {
            state.dead = true;
        }
    }

    /// Takes the requests whose deadline has passed, answering each with a timeout error.
    fn answer_late(&self, now: Instant, limit: Duration) -> Vec<Value> {
        let late: Vec<InFlight> = {
            let mut state = self.state.lock().expect("pipe state lock");
            let State { inflight, lists, .. } = &mut *state;
            inflight
                .extract_if(|key, request| {
                    let late = request.due <= now;
                    if late {
                        lists.remove(key);
                    }
                    late
                })
                .map(|(_, request)| request)
                .collect()
        };
        late.into_iter()
            .map(|InFlight { id, method, .. }| {
                let err =
                    UpstreamError::RequestTimeout { id: self.source().clone(), method: method.into(), limit };
                self.to_agent.send(error_reply(&id, UPSTREAM_FAILED, &err.to_string(), self.source()));
                id
            })
            .collect()
    }

    fn answer_with(&self, ids: Vec<Value>, err: &BridgeError) {
        if ids.is_empty() {
            return;
        }
        let code = err.json_rpc_code();
        let message = if err.needs_sign_in() {
            err.to_string()
        } else {
            format!("{err} (Lanyard reconnects on the next request)")
        };
        for id in ids {
            self.to_agent.send(error_reply(&id, code, &message, self.source()));
        }
    }
}

/// One agent session with one source.
pub(crate) struct Pipe {
    resolved: Resolved,
    log_dir: PathBuf,
    credentials: Arc<SourceCredentials>,
    http: Option<reqwest::Client>,
    shared: Arc<Shared>,
    link: Arc<tokio::sync::Mutex<Option<Link>>>,
    replays: AtomicU64,
    /// Stops the deadline sweep with the pipe.
    _sweep: DropGuard,
}

impl Pipe {
    /// A pipe for `resolved` with its `credentials` (see [`SourceCredentials::new`]), sending the
    /// agent's messages to `to_agent`. Nothing is started until the agent's first message.
    pub fn new(
        resolved: Resolved,
        credentials: Arc<SourceCredentials>,
        log_dir: PathBuf,
        to_agent: impl ToAgent,
    ) -> Result<Self, BridgeError> {
        let to_agent: Box<dyn ToAgent> = Box::new(to_agent);
        let rewriter = Rewriter::new(resolved.id.clone(), resolved.tools.clone());
        let http = match &resolved.transport {
            ResolvedTransport::Http { .. } | ResolvedTransport::Sse { .. } => {
                let target = crate::upstream::target_of(&resolved);
                Some(crate::upstream::http_client(&target, &[], resolved.timeouts.connect())?)
            }
            ResolvedTransport::Stdio { .. } => None,
        };
        let shared = Arc::new(Shared { rewriter, to_agent, state: std::sync::Mutex::new(State::default()) });
        let link = Arc::new(tokio::sync::Mutex::new(None));
        let stop = CancellationToken::new();
        tokio::spawn(sweep(
            Arc::downgrade(&shared),
            Arc::downgrade(&link),
            resolved.timeouts.request(),
            stop.clone(),
        ));
        let pipe = Pipe {
            resolved,
            log_dir,
            credentials,
            http,
            shared,
            link,
            replays: AtomicU64::new(0),
            _sweep: stop.drop_guard(),
        };
        Ok(pipe)
    }

    pub fn source(&self) -> &SourceId {
        &self.resolved.id
    }

    /// Answers a message from the agent that was too large to read (its id is unknown).
    pub fn refuse_oversized(&self) {
        let message = "the message is larger than 16 MiB and was dropped";
        self.shared.to_agent.send(error_reply(&Value::Null, INVALID_REQUEST, message, self.source()));
    }

    /// A message from the agent (one JSON-RPC message or batch, without its line end).
    pub async fn on_agent_message(&self, raw: Bytes) {
        let Some(peeked) = peek(&raw) else {
            let reply = error_reply(&Value::Null, PARSE_ERROR, "the message is not JSON-RPC", self.source());
            self.shared.to_agent.send(reply);
            return;
        };
        let raw = match self.shared.rewriter.outbound(raw, &peeked) {
            Outbound::Forward(raw) => raw,
            Outbound::Refuse(reply) => {
                debug!(source = %self.source(), "refused a call of a hidden tool");
                self.shared.to_agent.send(reply);
                return;
            }
        };
        let requests: Vec<IdKey> = peeked.iter().filter_map(Peeked::request_key).collect();
        let is_initialize = peeked.iter().any(|p| p.is_request() && p.method_is("initialize"));
        {
            let due = Instant::now() + self.resolved.timeouts.request();
            let mut state = self.shared.state.lock().expect("pipe state lock");
            for p in &peeked {
                if let (Some(key), Some(id), Some(method)) = (p.request_key(), p.id.clone(), p.method.clone())
                {
                    if method == "tools/list" {
                        state.lists.insert(key.clone());
                    }
                    state.inflight.insert(key, InFlight { id, method, due });
                }
                if p.is_request() && p.method_is("initialize") {
                    state.initialize = Some(raw.clone());
                } else if p.method_is("notifications/initialized") {
                    state.initialized = Some(raw.clone());
                }
            }
        }
        let mut link = self.link.lock().await;
        let dead = {
            let state = self.shared.state.lock().expect("pipe state lock");
            state.dead
        };
        if dead && let Some(old) = link.take() {
            tokio::spawn(old.close());
        }
        if link.is_none() {
            match self.connect(!is_initialize).await {
                Ok(fresh) => *link = Some(fresh),
                Err(err) => {
                    warn!(source = %self.source(), "could not reach the upstream: {err}");
                    self.shared.fail(&requests, &err);
                    return;
                }
            }
        }
        let current = link.as_ref().expect("connected just above");
        if let Err(err) = current.send(raw, &peeked).await {
            let generation = self.shared.state.lock().expect("pipe state lock").generation;
            self.shared.link_closed(generation, &err);
        }
    }

    /// Opens a new link, replaying the agent's handshake when `replay` and one was seen.
    async fn connect(&self, replay: bool) -> Result<Link, BridgeError> {
        let generation = {
            let mut state = self.shared.state.lock().expect("pipe state lock");
            state.generation += 1;
            state.dead = false;
            state.generation
        };
        let link = Link::open(
            &self.resolved,
            &self.log_dir,
            self.http.clone(),
            Arc::clone(&self.credentials),
            Arc::clone(&self.shared),
            generation,
        )
        .await?;
        let handshake = {
            let state = self.shared.state.lock().expect("pipe state lock");
            (state.initialize.clone(), state.initialized.clone())
        };
        if let (true, (Some(initialize), initialized)) = (replay, handshake) {
            self.replay(&link, initialize, initialized).await?;
            info!(source = %self.source(), "reconnected to the upstream");
        }
        Ok(link)
    }

    /// Sends the agent's `initialize` again under an id of our own, swallows its answer, and
    /// sends `notifications/initialized`.
    async fn replay(
        &self,
        link: &Link,
        initialize: Bytes,
        initialized: Option<Bytes>,
    ) -> Result<(), BridgeError> {
        let id = Value::String(format!("lanyard-reconnect-{}", self.replays.fetch_add(1, Ordering::Relaxed)));
        let mut message: Value = serde_json::from_slice(&initialize).map_err(|_| self.lost())?;
        message["id"] = id.clone();
        let message = Bytes::from(serde_json::to_vec(&message).expect("a JSON value serializes"));
        let (tx, rx) = oneshot::channel();
        self.shared.state.lock().expect("pipe state lock").replay = Some((IdKey::of(&id), tx));
        let peeked = peek(&message).unwrap_or_default();
        link.send(message, &peeked).await?;
        let limit = self.resolved.timeouts.connect();
        let answer = match tokio::time::timeout(limit, rx).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => return Err(self.lost()),
            Err(_) => return Err(UpstreamError::ConnectTimeout { id: self.source().clone(), limit }.into()),
        };
        if let Ok(Value::Object(reply)) = serde_json::from_slice::<Value>(&answer)
            && let Some(error) = reply.get("error")
        {
            return Err(UpstreamError::JsonRpc {
                id: self.source().clone(),
                method: "initialize",
                code: error.get("code").and_then(Value::as_i64).unwrap_or_default() as i32,
                message: error.get("message").and_then(Value::as_str).unwrap_or_default().to_owned(),
            }
            .into());
        }
        if let Some(initialized) = initialized {
            let peeked = peek(&initialized).unwrap_or_default();
            link.send(initialized, &peeked).await?;
        }
        Ok(())
    }

    fn lost(&self) -> BridgeError {
        UpstreamError::Disconnected { id: self.source().clone() }.into()
    }

    /// Ends the session upstream: an HTTP session is deleted, a child's stdin closed and the
    /// child given a moment before it is killed.
    pub async fn close(&self) {
        if let Some(link) = self.link.lock().await.take() {
            link.close().await;
        }
    }
}

/// Every [`SWEEP_EVERY`], answers the requests past their deadline and cancels them upstream,
/// until `stop` or until the pipe is gone.
async fn sweep(
    shared: Weak<Shared>,
    link: Weak<tokio::sync::Mutex<Option<Link>>>,
    limit: Duration,
    stop: CancellationToken,
) {
    let mut ticks = tokio::time::interval(SWEEP_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        let Some(shared) = shared.upgrade() else { return };
        let late = shared.answer_late(Instant::now(), limit);
        if late.is_empty() {
            continue;
        }
        debug!(source = %shared.source(), count = late.len(), "requests past the request timeout; cancelling them");
        let Some(link) = link.upgrade() else { return };
        let link = link.lock().await;
        let Some(link) = link.as_ref() else { continue };
        for id in late {
            let cancel = super::session::cancelled(&id);
            let peeked = peek(&cancel).unwrap_or_default();
            if link.send(cancel, &peeked).await.is_err() {
                break; // the link is gone, and the request with it
            }
        }
    }
}
