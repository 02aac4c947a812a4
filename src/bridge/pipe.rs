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

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tokio_util::sync::{CancellationToken, DropGuard};
use tracing::{debug, info, warn};

use super::BridgeError;
use super::gate::{Calls, Recorder};
use super::inflight::{InFlight, SWEEP_EVERY, Shared, ToAgent};
use super::jsonrpc::{INVALID_REQUEST, IdKey, PARSE_ERROR, Peeked, cancelled, error_reply, peek};
use super::link::Link;
use super::rewrite::{Outbound, Rewriter};
use crate::agents::Outcome;
use crate::credentials::SourceCredentials;
use crate::ids::SourceId;
use crate::pins::SourcePins;
use crate::profile::{Resolved, ResolvedTransport};
use crate::upstream::UpstreamError;

/// Who a pipe serves: the agent's rights on the source (`None`: everything) and where its
/// calls are recorded (`None`: elsewhere, by the hub this pipe goes through).
#[derive(Clone, Default)]
pub(crate) struct PipeAgent {
    pub grant: Option<Arc<crate::agents::Grant>>,
    pub recorder: Option<Recorder>,
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
    /// A pipe for `resolved` with its `credentials` (see [`SourceCredentials::new`]) and its
    /// `pins` (`None` where the hub checks them), sending the agent's messages to `to_agent`. Nothing is started until the agent's first message.
    pub fn new(
        resolved: Resolved,
        credentials: Arc<SourceCredentials>,
        log_dir: PathBuf,
        agent: PipeAgent,
        pins: Option<Arc<SourcePins>>,
        to_agent: impl ToAgent,
    ) -> Result<Self, BridgeError> {
        let to_agent: Box<dyn ToAgent> = Box::new(to_agent);
        let rewriter =
            Rewriter::new(resolved.id.clone(), resolved.tools.clone(), pins).for_agent(agent.grant);
        let http = match &resolved.transport {
            ResolvedTransport::Http { .. } | ResolvedTransport::Sse { .. } => {
                let target = crate::upstream::target_of(&resolved);
                Some(crate::upstream::http_client(&target, &[], resolved.timeouts.connect())?)
            }
            ResolvedTransport::Stdio { .. } => None,
        };
        let shared = Arc::new(Shared::new(rewriter, agent.recorder, to_agent));
        let link = Arc::new(tokio::sync::Mutex::new(None));
        let stop = CancellationToken::new();
        tokio::spawn(sweep(
            Arc::downgrade(&shared),
            Arc::downgrade(&link),
            resolved.timeouts.request(),
            stop.clone(),
        ));
        if let Some(pins) = shared.rewriter.pins() {
            // An approval by the person tells the agent to list the tools again.
            let (alive, weak) = (stop.clone(), Arc::downgrade(&shared));
            tokio::spawn(super::pins_watch::follow(
                Arc::clone(pins),
                move || !alive.is_cancelled(),
                move || weak.upgrade().into_iter().for_each(|shared| shared.tell_tools_changed()),
            ));
        }
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
                debug!(source = %self.source(), "refused a call the agent may not make");
                if let Some(recorder) = &self.shared.recorder
                    && let Some(mut calls) =
                        Calls::of(&recorder.log, &recorder.access, self.source(), &peeked)
                {
                    calls.ended(Outcome::Refused);
                }
                self.shared.to_agent.send(reply);
                return;
            }
        };
        let requests: Vec<IdKey> = peeked.iter().filter_map(Peeked::request_key).collect();
        let is_initialize = peeked.iter().any(|p| p.is_request() && p.method_is("initialize"));
        {
            let due = Instant::now() + self.resolved.timeouts.request();
            let mut state = self.shared.state.lock().expect("pipe state lock");
            state.listens.on_agent(&raw, &peeked);
            if let Some(key) = super::listens::cancelled_request(&raw, &peeked)
                && state.inflight.get(&key).is_some_and(|request| request.due.is_none())
            {
                // A listen the agent gave up: nothing answers it any more (2026-07-28).
                state.listens.end(&key);
                state.inflight.remove(&key);
            }
            for p in &peeked {
                if let (Some(key), Some(id), Some(method)) = (p.request_key(), p.id.clone(), p.method.clone())
                {
                    if method == "tools/list" {
                        state.lists.insert(key.clone());
                    }
                    let call = self.shared.recorder.as_ref().and_then(|recorder| {
                        Calls::of(&recorder.log, &recorder.access, self.source(), std::slice::from_ref(p))
                    });
                    let due = (method != super::listens::LISTEN).then_some(due);
                    state.inflight.insert(key, InFlight { id, method, due, call });
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
                data: error.get("data").cloned().map(Box::new),
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
            let cancel = cancelled(&id);
            let peeked = peek(&cancel).unwrap_or_default();
            if link.send(cancel, &peeked).await.is_err() {
                break; // the link is gone, and the request with it
            }
        }
    }
}
