//! What a [`Pipe`](super::pipe::Pipe) and the tasks of its [`Link`](super::link::Link) share: the
//! way to the agent and the bookkeeping of requests in flight.
//!
//! It sits below both, so that the pipe opens links and links report back here without the two
//! importing each other: a link only ever delivers upstream messages and its own death to
//! [`Shared`], and the pipe alone decides when to (re)connect.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::BridgeError;
use super::gate::{Calls, Recorder};
use super::jsonrpc::{IdKey, Peeked, UPSTREAM_FAILED, error_reply, peek};
use super::listens::Listens;
use super::rewrite::Rewriter;
use crate::agents::Outcome;
use crate::ids::SourceId;
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
    pub(super) rewriter: Rewriter,
    /// Where the agent's calls are recorded; `None` where another process records them (a
    /// stdio bridge going through the hub).
    pub(super) recorder: Option<Recorder>,
    pub(super) to_agent: Box<dyn ToAgent>,
    pub(super) state: std::sync::Mutex<State>,
}

#[derive(Default)]
pub(super) struct State {
    /// The current link's generation; it goes up at every (re)connect.
    pub(super) generation: u64,
    /// Whether the current link has been reported dead.
    pub(super) dead: bool,
    pub(super) inflight: HashMap<IdKey, InFlight>,
    pub(super) lists: HashSet<IdKey>,
    /// The agent's `initialize` and `notifications/initialized`, replayed to a new upstream.
    pub(super) initialize: Option<Bytes>,
    pub(super) initialized: Option<Bytes>,
    /// The answer awaited by a replayed `initialize`, which the agent must not see.
    pub(super) replay: Option<(IdKey, oneshot::Sender<Bytes>)>,
    /// The agent's open `subscriptions/listen` requests for tool list changes (2026-07-28).
    pub(super) listens: Listens,
}

/// An agent request the upstream has not answered yet.
pub(super) struct InFlight {
    pub(super) id: Value,
    pub(super) method: String,
    /// When the agent gets a timeout error instead (`None`: never, for a `subscriptions/listen`,
    /// which stays open on purpose).
    pub(super) due: Option<Instant>,
    /// The call-log entry of a call, written when it ends (see [`Calls`]).
    pub(super) call: Option<Calls>,
}

/// How often in-flight requests are checked against their deadline.
pub(super) const SWEEP_EVERY: Duration = Duration::from_secs(1);

impl Shared {
    pub fn new(rewriter: Rewriter, recorder: Option<Recorder>, to_agent: Box<dyn ToAgent>) -> Self {
        Shared { rewriter, recorder, to_agent, state: std::sync::Mutex::new(State::default()) }
    }

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
                if let Some(request) = state.inflight.remove(&key) {
                    awaited = true;
                    if let Some(mut call) = request.call {
                        call.saw(&raw);
                    }
                }
            }
            if responses == peeked.len() && !awaited {
                debug!(source = %self.source(), "an answer came after the agent got an error instead; dropped");
                return;
            }
            let state = &mut *state;
            let raw = state.listens.on_upstream(raw, &peeked);
            self.rewriter.inbound(raw, &peeked, &mut state.lists)
        };
        self.to_agent.send(raw);
    }

    /// Tells the agent the tool list changed (the person approved withheld tools): an agent of
    /// the `initialize` era unprompted, a 2026-07-28 agent on each `subscriptions/listen` it has
    /// open for that (see [`super::listens`]); one of neither has asked for nothing.
    pub fn tell_tools_changed(&self) {
        let (initialized, notices) = {
            let state = self.state.lock().expect("pipe state lock");
            (state.initialize.is_some(), state.listens.notices())
        };
        if initialized {
            self.to_agent.send(super::pins_watch::tools_changed());
        }
        for notice in notices {
            self.to_agent.send(notice);
        }
    }

    /// Answers those of `ids` still in flight with `err`.
    pub fn fail(&self, ids: &[IdKey], err: &BridgeError) {
        let answered: Vec<Value> = {
            let mut state = self.state.lock().expect("pipe state lock");
            ids.iter()
                .filter_map(|key| {
                    state.lists.remove(key);
                    state.listens.end(key);
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
            state.listens.clear();
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
    pub fn answer_late(&self, now: Instant, limit: Duration) -> Vec<Value> {
        let late: Vec<InFlight> = {
            let mut state = self.state.lock().expect("pipe state lock");
            let State { inflight, lists, .. } = &mut *state;
            inflight
                .extract_if(|key, request| {
                    let late = request.due.is_some_and(|due| due <= now);
                    if late {
                        lists.remove(key);
                    }
                    late
                })
                .map(|(_, request)| request)
                .collect()
        };
        late.into_iter()
            .map(|InFlight { id, method, call, .. }| {
                if let Some(mut call) = call {
                    call.ended(Outcome::Timeout);
                }
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
