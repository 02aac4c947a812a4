//! Hears a server's `notifications/*/list_changed`, so a caller that shows the server's lists to
//! someone else (the merged bridge) can tell them the lists changed.
//!
//! It is the client side of the session: besides the handshake's client info it turns the three
//! list-changed notifications into [`ListChanged`] values on a broadcast channel, and hands
//! progress, log messages and the server's own requests to the session's [`Relay`] (elicitation
//! goes to the person's [`Elicitor`] instead where the session has one: the CLI's own calls). Nobody
//! listening is normal; a lagging listener only loses change signals, never requests. The first
//! subscription is made with the channel, so a change the server reports right after the
//! handshake (before anyone could subscribe) still reaches the first listener.

#![expect(
    deprecated,
    reason = "sampling, roots and logging are deprecated by SEP-2577, but servers of earlier revisions still use them"
)]

use std::sync::{Arc, Mutex, PoisonError};

use rmcp::ClientHandler;
use rmcp::model::{
    ClientConfig, ClientResult, CreateMessageRequest, CreateMessageRequestParams, CreateMessageResult,
    ElicitRequest, ElicitRequestParams, ElicitResult, ErrorData, ListRootsRequest, ListRootsResult,
    LoggingMessageNotificationParam, ProgressNotificationParam, ResourceUpdatedNotificationParam,
    ServerRequest,
};
use rmcp::service::{InboundStreamOrigin, NotificationContext, RequestContext, RoleClient};
use tokio::sync::broadcast;
use tracing::debug;

use super::person::Elicitor;
use super::relay::Relay;

/// Change signals kept for a slow listener before the oldest are dropped.
const BUFFER: usize = 16;

/// Which of a server's lists changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListChanged {
    Tools,
    Prompts,
    Resources,
}

/// The client handler of an [`Upstream`](super::Upstream) session.
pub(crate) struct Listener {
    config: ClientConfig,
    relay: Arc<Relay>,
    /// Who answers `elicitation/create` when the session's own user does (the CLI); without
    /// one, the request goes to the call in flight through the relay.
    person: Option<Arc<dyn Elicitor>>,
    changes: broadcast::Sender<ListChanged>,
    /// The subscription made with the channel, for the first caller of [`Listener::subscribe`].
    first: Mutex<Option<broadcast::Receiver<ListChanged>>>,
}

impl Listener {
    pub(crate) fn new(config: ClientConfig, relay: Arc<Relay>) -> Self {
        let (changes, first) = broadcast::channel(BUFFER);
        Self { config, relay, changes, first: Mutex::new(Some(first)), person: None }
    }

    /// Has `person` answer the server's elicitation requests instead of the call in flight.
    pub(crate) fn answering_elicitation(mut self, person: Option<Arc<dyn Elicitor>>) -> Self {
        self.person = person;
        self
    }

    pub(crate) fn relay(&self) -> &Arc<Relay> {
        &self.relay
    }

    /// Takes a server's request to the call it belongs to.
    async fn relay_request(
        &self,
        request: ServerRequest,
        context: &RequestContext<RoleClient>,
    ) -> Result<ClientResult, ErrorData> {
        self.relay.request(request, context.extensions.get::<InboundStreamOrigin>()).await
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<ListChanged> {
        let first = self.first.lock().unwrap_or_else(PoisonError::into_inner).take();
        first.unwrap_or_else(|| self.changes.subscribe())
    }

    /// Where this session's list changes are announced, for a change heard elsewhere than in
    /// this handler (a `subscriptions/listen` stream).
    pub(crate) fn announcer(&self) -> broadcast::Sender<ListChanged> {
        self.changes.clone()
    }

    fn note(&self, change: ListChanged) {
        debug!(?change, "the server says a list changed");
        // An error only means nobody is listening.
        let _ = self.changes.send(change);
    }
}

impl ClientHandler for Listener {
    fn get_info(&self) -> ClientConfig {
        self.config.clone()
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.note(ListChanged::Tools);
    }

    async fn on_prompt_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.note(ListChanged::Prompts);
    }

    async fn on_resource_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.note(ListChanged::Resources);
    }

    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.relay.progress(params);
    }

    async fn on_resource_updated(
        &self,
        params: ResourceUpdatedNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.relay.updated(params);
    }

    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.relay.log(params);
    }

    async fn create_message(
        &self,
        params: CreateMessageRequestParams,
        context: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, ErrorData> {
        let request = ServerRequest::CreateMessageRequest(CreateMessageRequest::new(params));
        match self.relay_request(request, &context).await? {
            ClientResult::CreateMessageResult(result) => Ok(*result),
            other => Err(unexpected("sampling/createMessage", &other)),
        }
    }

    async fn create_elicitation(
        &self,
        params: ElicitRequestParams,
        context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        if let Some(person) = &self.person {
            debug!(source = %self.relay.id(), "the server asks the person for input");
            return Ok(person.elicit(self.relay.id(), params).await);
        }
        let request = ServerRequest::ElicitRequest(ElicitRequest::new(params));
        match self.relay_request(request, &context).await? {
            ClientResult::ElicitResult(result) => Ok(result),
            other => Err(unexpected("elicitation/create", &other)),
        }
    }

    async fn list_roots(&self, context: RequestContext<RoleClient>) -> Result<ListRootsResult, ErrorData> {
        let request = ServerRequest::ListRootsRequest(ListRootsRequest::default());
        match self.relay_request(request, &context).await? {
            ClientResult::ListRootsResult(result) => Ok(result),
            other => Err(unexpected("roots/list", &other)),
        }
    }
}

/// The agent answered a request with a result of another kind.
fn unexpected(method: &str, _answer: &ClientResult) -> ErrorData {
    ErrorData::internal_error(format!("the agent answered `{method}` with a result of another kind"), None)
}
