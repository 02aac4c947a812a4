//! What a server sends about a call in flight (progress, and requests for sampling, elicitation
//! or roots) carried to whoever made the call, and the server's log messages to whoever listens.
//!
//! One session is shared by many callers (every agent of the merged server), so a call that wants
//! these registers the request id and progress token rmcp gave it, and gets them on its own
//! channel. A server request that came on that call's HTTP response stream goes to that call;
//! one whose transport cannot tell (stdio, SSE, the standalone HTTP stream) goes to the most
//! recent call still in flight. A request with no call to go to is refused with an error that says
//! why, never left unanswered. Progress for a token nobody registered yet waits a little for its
//! call (a server may report progress before rmcp has handed the call its request id), and is
//! dropped, oldest first, when too much of it waits.

#![expect(
    deprecated,
    reason = "sampling, roots and logging are deprecated by SEP-2577, but servers of earlier revisions still use them"
)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use rmcp::model::{
    ClientCapabilities, ClientResult, ErrorCode, ErrorData, InputRequest, InputRequests, InputResponses,
    LoggingMessageNotificationParam, ProgressNotificationParam, ProgressToken, RequestId,
    ResourceUpdatedNotificationParam, ServerRequest,
};
use rmcp::service::InboundStreamOrigin;
use tokio::sync::{broadcast, mpsc, oneshot};
use tracing::debug;

use crate::ids::SourceId;

/// Progress notifications kept for calls not registered yet (see [`Calls::unclaimed`]).
const UNCLAIMED_PROGRESS: usize = 16;
/// Log messages kept for a slow listener before the oldest are dropped.
const LOG_BUFFER: usize = 64;

/// Something the server sent about one call.
#[derive(Debug)]
#[non_exhaustive]
pub enum CallEvent {
    /// Progress of the call, still carrying the token the server was given.
    Progress(ProgressNotificationParam),
    /// A request the server made while the call ran; its answer goes into `answer`.
    Request { request: ServerRequest, answer: oneshot::Sender<Result<ClientResult, ErrorData>> },
}

/// Why a server's request could not be taken to a caller.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RelayError {
    #[error(
        "source `{id}` sent `{method}` while no agent call was in flight; Lanyard passes a server's requests on only during an agent's tool call"
    )]
    NoCall { id: SourceId, method: String },
    #[error("source `{id}`: the agent call that `{method}` belonged to ended before it was answered")]
    CallEnded { id: SourceId, method: String },
}

impl From<RelayError> for ErrorData {
    fn from(err: RelayError) -> Self {
        // -32601: the client side cannot serve this method now (what an SDK client without the
        // capability answers too).
        ErrorData::new(ErrorCode::METHOD_NOT_FOUND, err.to_string(), None)
    }
}

/// The calls in flight on one session, and its log stream.
#[derive(Debug)]
pub(crate) struct Relay {
    id: SourceId,
    calls: Mutex<Calls>,
    logs: broadcast::Sender<LoggingMessageNotificationParam>,
    /// `notifications/resources/updated`, for whoever subscribed to a resource through this
    /// session (the merged server, for its agents).
    updates: broadcast::Sender<ResourceUpdatedNotificationParam>,
}

/// The calls in flight, and the latest progress that came for none of them.
#[derive(Debug, Default)]
struct Calls {
    registered: Vec<Registered>,
    /// A server may report progress before its call is registered: the request is on its way
    /// (and answered on its own stream) by the time rmcp hands back the request id and token.
    /// Such progress waits here for its call, oldest dropped first.
    unclaimed: VecDeque<ProgressNotificationParam>,
}

#[derive(Debug)]
struct Registered {
    request: RequestId,
    token: ProgressToken,
    events: mpsc::Sender<CallEvent>,
}

/// A call's place in the [`Relay`]; dropping it (the call ended) removes the call.
pub(crate) struct Registration {
    relay: Arc<Relay>,
    request: RequestId,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.relay.calls().registered.retain(|call| call.request != self.request);
    }
}

impl Relay {
    pub(crate) fn new(id: SourceId) -> Self {
        Self {
            id,
            calls: Mutex::default(),
            logs: broadcast::channel(LOG_BUFFER).0,
            updates: broadcast::channel(LOG_BUFFER).0,
        }
    }

    pub(crate) fn id(&self) -> &SourceId {
        &self.id
    }

    fn calls(&self) -> std::sync::MutexGuard<'_, Calls> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes what the server sends about the request `request` (progress token `token`) to
    /// `events`, until the registration is dropped.
    pub(crate) fn register(
        self: &Arc<Self>,
        request: RequestId,
        token: ProgressToken,
        events: mpsc::Sender<CallEvent>,
    ) -> Registration {
        let mut calls = self.calls();
        let (early, others) =
            calls.unclaimed.drain(..).partition(|progress| progress.progress_token == token);
        calls.unclaimed = others;
        for progress in early {
            hand_over(&self.id, &events, progress);
        }
        calls.registered.push(Registered { request: request.clone(), token, events });
        Registration { relay: Arc::clone(self), request }
    }

    pub(crate) fn subscribe_updates(&self) -> broadcast::Receiver<ResourceUpdatedNotificationParam> {
        self.updates.subscribe()
    }

    pub(crate) fn updated(&self, update: ResourceUpdatedNotificationParam) {
        // An error only means nobody is listening.
        let _ = self.updates.send(update);
    }

    pub(crate) fn subscribe_logs(&self) -> broadcast::Receiver<LoggingMessageNotificationParam> {
        self.logs.subscribe()
    }

    pub(crate) fn log(&self, message: LoggingMessageNotificationParam) {
        // An error only means nobody is listening.
        let _ = self.logs.send(message);
    }

    /// Hands progress to the call that owns its token. Never waits: a caller too slow to take
    /// progress loses some of it, and the session's reading is never held up.
    pub(crate) fn progress(&self, progress: ProgressNotificationParam) {
        let mut calls = self.calls();
        match calls.registered.iter().find(|call| call.token == progress.progress_token) {
            Some(call) => hand_over(&self.id, &call.events, progress),
            None => {
                if calls.unclaimed.len() == UNCLAIMED_PROGRESS {
                    calls.unclaimed.pop_front();
                    debug!(source = %self.id, "progress for no call in flight; dropped");
                }
                calls.unclaimed.push_back(progress);
            }
        }
    }

    /// Takes a server's request to the call it belongs to and waits for the answer.
    pub(crate) async fn request(
        &self,
        request: ServerRequest,
        origin: Option<&InboundStreamOrigin>,
    ) -> Result<ClientResult, ErrorData> {
        let method = method_of(&request).to_owned();
        let events = {
            let calls = &self.calls().registered;
            let on_its_stream = match origin {
                Some(InboundStreamOrigin::OutboundRequest(id)) => {
                    calls.iter().find(|call| &call.request == id)
                }
                _ => None,
            };
            on_its_stream.or_else(|| calls.last()).map(|call| call.events.clone())
        };
        let Some(events) = events else {
            return Err(RelayError::NoCall { id: self.id.clone(), method }.into());
        };
        let (answer, answered) = oneshot::channel();
        let ended = || RelayError::CallEnded { id: self.id.clone(), method: method.clone() };
        if events.send(CallEvent::Request { request, answer }).await.is_err() {
            return Err(ended().into());
        }
        answered.await.unwrap_or_else(|_| Err(ended().into()))
    }
}

/// The agent a relayed call is made for.
#[derive(Debug, Clone, Default)]
pub struct CallingAgent {
    /// What it declared it can be asked; a server of 2026-07-28 is told this, limited to what
    /// Lanyard carries, with the call, so that it asks only for what the agent can give.
    pub declared: Option<ClientCapabilities>,
    pub rounds: InputRounds,
}

impl CallingAgent {
    /// What of the agent's declaration Lanyard can carry to a server: sampling, elicitation and
    /// roots, the input requests it passes on.
    pub(crate) fn carried_capabilities(&self) -> Option<ClientCapabilities> {
        let declared = self.declared.as_ref()?;
        let mut carried = ClientCapabilities::default();
        carried.sampling = declared.sampling.clone();
        carried.elicitation = declared.elicitation.clone();
        carried.roots = declared.roots.clone();
        Some(carried)
    }
}

/// Who answers a server's `input_required` result (SEP-2322, 2026-07-28) to a relayed call.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum InputRounds {
    /// The caller, asked through [`CallEvent::Request`] as if the server had sent each input
    /// request during the call; the call is then made again with the answers. For an agent of
    /// an earlier revision, which can be sent requests but knows nothing of `input_required`.
    #[default]
    Relayed,
    /// The agent itself, which speaks 2026-07-28: an `input_required` result goes back to it as
    /// it is, and its next try of the call brings the answers and the server's state, passed
    /// on unchanged (the server checks the state; Lanyard never reads it).
    Agent { responses: Option<InputResponses>, state: Option<String> },
}

/// Answers each of `requests` through the caller's `events`, as a request the server sent
/// during the call would be. An input request the caller refuses fails the whole round with the
/// caller's error, as a refused request during a call fails that call.
pub(crate) async fn answer_inputs(
    requests: InputRequests,
    events: &mpsc::Sender<CallEvent>,
) -> Result<InputResponses, ErrorData> {
    let mut responses = InputResponses::new();
    for (key, request) in requests {
        let request = match request {
            InputRequest::CreateMessage(request) => ServerRequest::CreateMessageRequest(request),
            InputRequest::Elicitation(request) => ServerRequest::ElicitRequest(request),
            InputRequest::ListRoots(request) => ServerRequest::ListRootsRequest(request),
            other => {
                let message = format!("an input request Lanyard does not know: {other:?}");
                return Err(ErrorData::new(ErrorCode::METHOD_NOT_FOUND, message, None));
            }
        };
        let method = method_of(&request);
        let (answer, answered) = oneshot::channel();
        let gone =
            || ErrorData::internal_error(format!("the caller ended before answering `{method}`"), None);
        if events.send(CallEvent::Request { request, answer }).await.is_err() {
            return Err(gone());
        }
        let result = answered.await.unwrap_or_else(|_| Err(gone()))?;
        let value = serde_json::to_value(result)
            .map_err(|err| ErrorData::internal_error(format!("the answer to `{method}`: {err}"), None))?;
        responses.insert(key, value);
    }
    Ok(responses)
}

/// Gives `progress` to a call, never waiting (see [`Relay::progress`]).
fn hand_over(source: &SourceId, events: &mpsc::Sender<CallEvent>, progress: ProgressNotificationParam) {
    if events.try_send(CallEvent::Progress(progress)).is_err() {
        debug!(%source, "a progress notification was dropped; the call is busy or gone");
    }
}

/// The method name of a server's request, for errors.
fn method_of(request: &ServerRequest) -> &'static str {
    match request {
        ServerRequest::PingRequest(_) => "ping",
        ServerRequest::CreateMessageRequest(_) => "sampling/createMessage",
        ServerRequest::ListRootsRequest(_) => "roots/list",
        ServerRequest::ElicitRequest(_) => "elicitation/create",
        _ => "a server request",
    }
}

#[cfg(test)]
mod tests {
    use rmcp::model::{NumberOrString, PingRequest};

    use super::*;

    fn token(n: i64) -> ProgressToken {
        ProgressToken(NumberOrString::Number(n))
    }

    #[tokio::test]
    async fn a_request_without_a_call_is_refused_with_the_source_named() {
        let relay = Relay::new("ev".parse::<SourceId>().expect("a valid id"));
        let refused = relay.request(ServerRequest::PingRequest(PingRequest::default()), None).await;
        let err = refused.expect_err("no call is in flight");
        assert_eq!(err.code, ErrorCode::METHOD_NOT_FOUND, "refused as a method the client cannot serve");
        assert!(err.message.contains("`ev`"), "the error names the source: {}", err.message);
    }

    #[tokio::test]
    async fn progress_goes_to_the_call_that_owns_the_token_and_stops_when_it_ends() {
        let relay = Arc::new(Relay::new("ev".parse::<SourceId>().expect("a valid id")));
        let (tx1, mut rx1) = mpsc::channel(4);
        let (tx2, mut rx2) = mpsc::channel(4);
        let first = relay.register(RequestId::Number(1), token(1), tx1);
        let _second = relay.register(RequestId::Number(2), token(2), tx2);
        relay.progress(ProgressNotificationParam::new(token(1), 0.5));
        assert!(
            matches!(rx1.try_recv(), Ok(CallEvent::Progress(p)) if p.progress == 0.5),
            "call 1 gets its progress"
        );
        assert!(rx2.try_recv().is_err(), "call 2 gets none of call 1's progress");
        drop(first);
        relay.progress(ProgressNotificationParam::new(token(1), 1.0));
        assert!(rx1.try_recv().is_err(), "an ended call gets nothing more");
    }

    #[tokio::test]
    async fn progress_that_comes_before_its_call_is_registered_waits_for_it() {
        let relay = Arc::new(Relay::new("ev".parse::<SourceId>().expect("a valid id")));
        relay.progress(ProgressNotificationParam::new(token(7), 0.0));
        relay.progress(ProgressNotificationParam::new(token(8), 0.25));
        let (tx, mut rx) = mpsc::channel(4);
        let _call = relay.register(RequestId::Number(7), token(7), tx);
        assert!(
            matches!(rx.try_recv(), Ok(CallEvent::Progress(p)) if p.progress == 0.0),
            "the early progress reaches its call once it registers"
        );
        assert!(rx.try_recv().is_err(), "another token's progress does not");
        for n in 0..=UNCLAIMED_PROGRESS {
            relay.progress(ProgressNotificationParam::new(token(100 + n as i64), 0.5));
        }
        assert_eq!(relay.calls().unclaimed.len(), UNCLAIMED_PROGRESS, "what waits is bounded");
    }

    #[tokio::test]
    async fn a_request_on_a_calls_own_stream_goes_to_that_call() {
        let relay = Arc::new(Relay::new("ev".parse::<SourceId>().expect("a valid id")));
        let (tx1, mut rx1) = mpsc::channel(4);
        let (tx2, mut rx2) = mpsc::channel(4);
        let _first = relay.register(RequestId::Number(1), token(1), tx1);
        let _second = relay.register(RequestId::Number(2), token(2), tx2);
        let origin = InboundStreamOrigin::OutboundRequest(RequestId::Number(1));
        let asking = relay.request(ServerRequest::PingRequest(PingRequest::default()), Some(&origin));
        let answering = async {
            match rx1.recv().await {
                Some(CallEvent::Request { answer, .. }) => {
                    let _ = answer.send(Ok(ClientResult::empty(())));
                }
                other => panic!("call 1 should get the request: {other:?}"),
            }
        };
        let (answered, ()) = tokio::join!(asking, answering);
        assert!(answered.is_ok(), "the answer of call 1's agent goes back: {answered:?}");
        assert!(rx2.try_recv().is_err(), "the latest call did not get a request meant for call 1");
    }
}
