//! What a server sends about a call in flight (progress, and requests for sampling, elicitation
//! or roots) carried to whoever made the call, and the server's log messages to whoever listens.
//!
//! One session is shared by many callers (every agent of the merged server), so a call that wants
//! these registers the request id and progress token rmcp gave it, and gets them on its own
//! channel. A server request that came on that call's HTTP response stream goes to that call;
//! one whose transport cannot tell (stdio, SSE, the standalone HTTP stream) goes to the most
//! recent call still in flight. A request with no call to go to is refused with an error that says
//! why, never left unanswered. Progress for a token nobody registered is dropped.

#![expect(
    deprecated,
    reason = "sampling, roots and logging are deprecated by SEP-2577, but servers of earlier revisions still use them"
)]

use std::sync::{Arc, Mutex, PoisonError};

use rmcp::model::{
    ClientResult, ErrorCode, ErrorData, LoggingMessageNotificationParam, ProgressNotificationParam,
    ProgressToken, RequestId, ServerRequest,
};
use rmcp::service::InboundStreamOrigin;
use tokio::sync::{broadcast, mpsc, oneshot};
use tracing::debug;

use crate::ids::SourceId;

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
    calls: Mutex<Vec<Registered>>,
    logs: broadcast::Sender<LoggingMessageNotificationParam>,
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
        self.relay.calls().retain(|call| call.request != self.request);
    }
}

impl Relay {
    pub(crate) fn new(id: SourceId) -> Self {
        Self { id, calls: Mutex::default(), logs: broadcast::channel(LOG_BUFFER).0 }
    }

    pub(crate) fn id(&self) -> &SourceId {
        &self.id
    }

    fn calls(&self) -> std::sync::MutexGuard<'_, Vec<Registered>> {
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
        self.calls().push(Registered { request: request.clone(), token, events });
        Registration { relay: Arc::clone(self), request }
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
        let events =
            self.calls().iter().find(|call| call.token == progress.progress_token).map(|c| c.events.clone());
        match events {
            Some(events) => {
                if events.try_send(CallEvent::Progress(progress)).is_err() {
                    debug!(source = %self.id, "a progress notification was dropped; the call is busy or gone");
                }
            }
            None => debug!(source = %self.id, "progress for no call in flight; dropped"),
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
            let calls = self.calls();
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
