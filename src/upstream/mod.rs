//! One connection to one MCP server, over stdio, streamable HTTP or legacy SSE.
//!
//! An [`Upstream`] is made from a resolved profile and is connected from the start: `connect`
//! returns only after the `initialize` handshake. Every request is bounded by the profile's
//! request timeout, and every tool name passes the profile's tool filter on the way in and out,
//! so a hidden tool is refused here before the server hears of it. Errors from all three
//! transports come back as one [`UpstreamError`]. Dropping an `Upstream` ends the session and
//! kills a stdio child; [`Upstream::close`] does the same politely.

#![expect(
    deprecated,
    reason = "sampling, roots, logging and resource subscriptions are deprecated by SEP-2577, but servers of earlier revisions still use them"
)]

mod authorized;
mod changes;
mod classify;
mod error;
mod http;
mod listen;
mod person;
mod person_relay;
mod readable;
mod relay;
pub(crate) mod sse;
mod stdio;

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResponse, CallToolResult, CancelledNotificationParam,
    ClientCapabilities, ClientConfig, ClientRequest, CompleteRequestParams, CompleteResult,
    DEFAULT_MRTR_MAX_ROUNDS, ElicitationCapability, FormElicitationCapability, GetPromptRequest,
    GetPromptRequestParams, GetPromptResponse, GetPromptResult, Implementation, LoggingLevel,
    LoggingMessageNotificationParam, PaginatedRequestParams, Prompt, ProtocolVersion,
    ReadResourceRequestParams, ReadResourceResult, Resource, ResourceTemplate,
    ResourceUpdatedNotificationParam, RootsCapabilities, SamplingCapability, ServerNotification,
    ServerPeerInfo, ServerResult, SetLevelRequestParams, SubscribeRequestParams, Tool,
    UnsubscribeRequestParams, UrlElicitationCapability,
};
use rmcp::service::{PeerRequestOptions, RunningService};
use rmcp::{ClientLifecycleMode, ClientServiceExt, RoleClient, ServiceError, ServiceExt};
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, debug, info, info_span, instrument};

use self::authorized::AuthorizedClient;
pub use self::authorized::{Authorization, Authorizer, CredentialFailure};
pub use self::changes::ListChanged;
use self::changes::Listener;
use self::classify::Diagnosis;
pub(crate) use self::classify::{Target, reqwest_error};
pub use self::error::{NotMcpProblem, Origin, SseEndpointProblem, UpstreamError};
pub(crate) use self::http::{MAX_MESSAGE_BYTES, POOL_IDLE, client as http_client, read_bounded};
pub use self::person::Elicitor;
pub use self::person_relay::{Asked, PersonAnswer, PersonRelay};
pub use self::readable::readable;
use self::relay::Relay;
pub use self::relay::{CallEvent, CallingAgent, InputRounds, RelayError};
pub use self::stdio::stderr_log_path;
pub(crate) use self::stdio::{Launch, StdioChild, spawn_pipes};
use crate::ids::SourceId;
use crate::profile::{AuthKind, Protocol, Resolved, ResolvedTransport, ToolFilter, TransportKind};

/// How long a closing server gets to exit by itself before it is killed.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// How long to wait for a child whose output closed to report its exit status.
const EXIT_GRACE: Duration = Duration::from_secs(2);
/// A server that keeps handing out cursors past this many pages is broken.
const MAX_PAGES: usize = 1000;
/// How long a session that offers a person's answers waits for the standalone event stream
/// before its first request (see [`AuthorizedClient::standalone_answered`]).
const STANDALONE_GRACE: Duration = Duration::from_secs(2);

/// A session's tools as agents see them, and the tool filter's entries that name no tool the
/// server offers.
#[derive(Debug, Clone)]
pub struct ToolListing {
    pub tools: Vec<Tool>,
    pub unmatched: Vec<crate::filter::Unmatched>,
}

/// What the client side of a session offers the server in the handshake.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum Offers {
    /// Nothing: the session only asks (`lanyard tools`, the app's *Test*).
    #[default]
    Nothing,
    /// Sampling, elicitation and roots, answered by whoever made the call in flight
    /// ([`Upstream::call_tool_relayed`]): the merged server, which asks its agents.
    AgentRequests,
    /// Elicitation (form and URL mode), answered by the person who made the call: the CLI's
    /// `lanyard call`, through its terminal; the app's *Try a tool*, through its window
    /// ([`PersonRelay`]).
    Person(Arc<dyn Elicitor>),
}

/// A live MCP session with one server.
pub struct Upstream {
    target: Target,
    transport: TransportKind,
    tools: ToolFilter,
    request_timeout: Duration,
    service: RunningService<RoleClient, Listener>,
    server_info: Option<Arc<ServerPeerInfo>>,
    /// The server process, for stdio.
    child: Option<StdioChild>,
    /// The source's pinned tool definitions, for a session that serves agents (the merged
    /// server): its listings are checked and withheld tools left out and refused.
    pins: Option<Arc<crate::pins::SourcePins>>,
    /// Set once the session has listed the server's tools (see [`Upstream::know_the_tools`]).
    tools_known: tokio::sync::OnceCell<()>,
    /// The session's `subscriptions/listen` requests (2026-07-28), ended with it.
    listens: std::sync::Mutex<listen::Listens>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("id", &self.target.id)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

/// A transport ready for the handshake, with what the handshake's failure needs to be explained.
enum Connecting {
    Stdio(stdio::StdioTransport, StdioChild),
    Http(rmcp::transport::StreamableHttpClientTransport<AuthorizedClient>, AuthorizedClient, url::Url),
    Sse(sse::SseTransport),
}

impl Upstream {
    /// Connects and completes the `initialize` handshake within the profile's connect timeout,
    /// declaring what `offers` says, with every HTTP request's bearer token from `authorizer` (see
    /// [`Authorizer`]). A stdio server's stderr goes to `<source-id>.stderr.log` in `log_dir`
    /// (the engine's [`crate::paths::Dirs::logs`]).
    pub async fn connect_authorized(
        resolved: Resolved,
        log_dir: &Path,
        offers: Offers,
        authorizer: Option<Arc<dyn Authorizer>>,
    ) -> Result<Upstream, UpstreamError> {
        let span =
            info_span!("connect", source = %resolved.id, transport = %transport_kind(&resolved.transport));
        let connecting = Connect { log_dir, offers, authorizer, auth: resolved.auth };
        Self::connect_inner(resolved, connecting).instrument(span).await
    }

    /// [`Upstream::connect_authorized`] offering nothing and with no bearer tokens.
    pub async fn connect_with_log_dir(resolved: Resolved, log_dir: &Path) -> Result<Upstream, UpstreamError> {
        let span =
            info_span!("connect", source = %resolved.id, transport = %transport_kind(&resolved.transport));
        let connecting = Connect { log_dir, offers: Offers::Nothing, authorizer: None, auth: resolved.auth };
        Self::connect_inner(resolved, connecting).instrument(span).await
    }

    async fn connect_inner(resolved: Resolved, connecting: Connect<'_>) -> Result<Upstream, UpstreamError> {
        let target = target_of(&resolved);
        let Resolved { id, transport, timeouts, tools, protocol, .. } = resolved;
        let limit = timeouts.connect();
        let kind = transport_kind(&transport);
        let start = lifecycle(protocol, kind);
        let probing = matches!(start.0, ClientLifecycleMode::Auto { .. });
        let connected = tokio::time::timeout(limit, async {
            let again = probing.then(|| (transport.clone(), connecting.clone()));
            match (handshake(&target, transport, limit, start, connecting).await, again) {
                // A server that answers the probe with anything but a clean refusal (an empty
                // result, a wrong answer) is still a server of the earlier era: the spec says
                // to fall back on any error, so start over with `initialize` alone.
                (Err(err), Some((transport, connecting))) if answered_oddly(&err) => {
                    debug!(%err, "the server/discover probe went wrong; starting over with initialize");
                    let legacy = (ClientLifecycleMode::Initialize, ProtocolVersion::LATEST_WITH_INITIALIZE);
                    handshake(&target, transport, limit, legacy, connecting).await
                }
                (connected, _) => connected,
            }
        });
        let (service, child) = match connected.await {
            Ok(connected) => connected?,
            Err(_) => return Err(UpstreamError::ConnectTimeout { id, limit }),
        };
        let server_info = service.peer().peer_info();
        match server_info.as_ref().and_then(|info| info.server_info.as_ref()) {
            Some(server) => info!(server = %server.name, version = %server.version, "connected"),
            None => info!("connected"),
        }
        Ok(Upstream {
            target,
            transport: kind,
            tools,
            request_timeout: timeouts.request(),
            service,
            server_info,
            child,
            pins: None,
            tools_known: tokio::sync::OnceCell::new(),
            listens: std::sync::Mutex::default(),
        })
    }

    pub fn id(&self) -> &SourceId {
        &self.target.id
    }

    /// This session serving agents: its tool listings are checked against `pins`, and a tool
    /// they withhold is left out of the lists and refused when called.
    pub fn with_pins(mut self, pins: Arc<crate::pins::SourcePins>) -> Self {
        self.pins = Some(pins);
        self
    }

    /// Why the whole source is withheld from agents (`tool_changes = "block"` with a change
    /// waiting), if it is.
    pub fn source_withheld(&self) -> Option<UpstreamError> {
        let why = self.pins.as_ref()?.withheld_source()?;
        Some(UpstreamError::ToolWithheld { id: self.target.id.clone(), why })
    }

    /// Why the tool agents call `exposed_name` is withheld, if it is (see [`crate::pins`]).
    pub fn withheld(&self, exposed_name: &str) -> Option<UpstreamError> {
        let pins = self.pins.as_ref()?;
        let why =
            pins.withheld_source().or_else(|| pins.withheld(self.tools.upstream_name(exposed_name).ok()?))?;
        Some(UpstreamError::ToolWithheld { id: self.target.id.clone(), why })
    }

    pub fn transport(&self) -> TransportKind {
        self.transport
    }

    /// The server process's id, for stdio.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(StdioChild::pid)
    }

    /// The protocol revision the session speaks, as negotiated in the handshake.
    pub fn protocol(&self) -> Option<&str> {
        self.server_info.as_ref().map(|info| info.protocol_version.as_str())
    }

    /// What the server said about itself in the handshake.
    pub fn server_info(&self) -> Option<&ServerPeerInfo> {
        self.server_info.as_deref()
    }

    /// Every tool, across all pages, as agents see them: filtered, renamed, re-described.
    #[instrument(skip_all, fields(source = %self.target.id))]
    pub async fn list_tools(&self) -> Result<Vec<Tool>, UpstreamError> {
        let offered = self.unwithheld(self.offered_tools().await?);
        let listed = offered.len();
        let tools = self.tools.apply_all(offered);
        debug!(listed, exposed = tools.len(), "listed tools");
        Ok(tools)
    }

    /// [`Upstream::list_tools`], with the tool filter's entries that name no tool the server
    /// offers (for a person listing the tools: a typo in a filter otherwise does nothing, unseen).
    #[instrument(skip_all, fields(source = %self.target.id))]
    pub async fn list_tools_checked(&self) -> Result<ToolListing, UpstreamError> {
        let offered = self.offered_tools().await?;
        let names: Vec<&str> = offered.iter().map(|tool| tool.name.as_ref()).collect();
        let unmatched = self.tools.unmatched(&names);
        let tools = self.tools.apply_all(offered);
        Ok(ToolListing { tools, unmatched })
    }

    /// `offered` (a complete listing) checked against the pins, without the tools they
    /// withhold; as it is in a session without pins.
    fn unwithheld(&self, mut offered: Vec<Tool>) -> Vec<Tool> {
        let Some(pins) = &self.pins else { return offered };
        let definitions: Vec<crate::pins::Definition> =
            offered.iter().map(crate::pins::Definition::from_tool).collect();
        let withholding = pins.observe(&definitions);
        offered.retain(|tool| !withholding.withholds(&tool.name));
        offered
    }

    /// Every tool as the server lists it, before the filter.
    async fn offered_tools(&self) -> Result<Vec<Tool>, UpstreamError> {
        let peer = self.service.peer();
        let tools = self
            .all_pages("tools/list", |cursor| async move {
                let page =
                    peer.list_tools(Some(PaginatedRequestParams::default().with_cursor(cursor))).await?;
                Ok((page.tools, page.next_cursor))
            })
            .await?;
        let _ = self.tools_known.set(());
        Ok(tools)
    }

    /// Calls a tool by the name agents see. A name the filter hides is refused without asking
    /// the server. A tool's own failure (`isError`) is a normal result, not an error, unless the
    /// tool does not exist: many servers answer a call of an unknown tool with `isError` rather
    /// than a JSON-RPC error, so after a failed call the tools are listed, and a name that is not
    /// among them becomes [`UpstreamError::ToolNotFound`] with the closest names.
    #[instrument(skip_all, fields(source = %self.target.id, tool = exposed_name))]
    pub async fn call_tool(
        &self,
        exposed_name: &str,
        arguments: Option<serde_json::Map<String, serde_json::Value>>,
    ) -> Result<CallToolResult, UpstreamError> {
        let params = self.call_params(exposed_name, arguments)?;
        self.know_the_tools().await;
        let result = self.request("tools/call", self.service.call_tool(params)).await;
        let answer = self.tool_answer(exposed_name, result);
        let failed = match &answer {
            Ok(result) => result.is_error == Some(true),
            Err(err) => matches!(err, UpstreamError::ToolNotFound { .. }),
        };
        if !failed {
            return answer;
        }
        match self.list_tools().await {
            Ok(tools) if !tools.iter().any(|tool| tool.name == exposed_name) => {
                let names = tools.iter().map(|tool| tool.name.as_ref());
                Err(UpstreamError::ToolNotFound {
                    id: self.target.id.clone(),
                    name: exposed_name.to_owned(),
                    near: crate::suggest::closest(exposed_name, names),
                })
            }
            Ok(_) => answer,
            Err(err) => {
                debug!(%err, "could not list the tools to tell a failed call from an unknown tool");
                answer
            }
        }
    }

    /// Lists the server's tools once per session before the first call, when the session speaks
    /// a revision with standard headers (2026-07-28 on): a call must mirror the arguments its
    /// tool marks `x-mcp-header` into `Mcp-Param-*` headers, and rmcp learns which from the
    /// listing. A one-shot `lanyard call` would otherwise call a tool this session never listed.
    /// A failed listing is left to the call to report.
    async fn know_the_tools(&self) {
        if !self.speaks_standard_headers() {
            return;
        }
        self.tools_known
            .get_or_init(|| async {
                if let Err(err) = self.list_tools().await {
                    debug!(%err, "listing the tools before the first call failed");
                }
            })
            .await;
    }

    /// Whether the session speaks a revision without `initialize` (2026-07-28 on), with its
    /// standard headers and per-request metadata.
    fn speaks_standard_headers(&self) -> bool {
        self.server_info.as_ref().is_some_and(|info| !info.protocol_version.has_initialize())
    }

    /// The server's own request for a call of `exposed_name` (alias mapped back); a name the
    /// filter hides is refused here.
    fn call_params(
        &self,
        exposed_name: &str,
        arguments: Option<serde_json::Map<String, serde_json::Value>>,
    ) -> Result<CallToolRequestParams, UpstreamError> {
        let upstream_name = self
            .tools
            .upstream_name(exposed_name)
            .map_err(|err| UpstreamError::ToolHidden { id: self.target.id.clone(), err })?;
        if let Some(withheld) = self.withheld(exposed_name) {
            return Err(withheld);
        }
        let mut params = CallToolRequestParams::new(upstream_name.to_owned());
        params.arguments = arguments;
        Ok(params)
    }

    /// [`Upstream::call_tool`] for a caller that hears what the server sends about the call:
    /// its progress, and its requests for sampling, elicitation and roots (answered through
    /// [`CallEvent::Request`]) come on `events`. A server of 2026-07-28 asks with an
    /// `input_required` result instead, answered as `agent.rounds` says, and is told with the
    /// call what the agent can be asked. When `cancel` fires, the
    /// server is told with `notifications/cancelled` for this request and
    /// [`UpstreamError::Cancelled`] returned; a call out of time is cancelled at the server the
    /// same way.
    #[instrument(skip_all, fields(source = %self.target.id, tool = exposed_name))]
    pub async fn call_tool_relayed(
        &self,
        exposed_name: &str,
        arguments: Option<serde_json::Map<String, serde_json::Value>>,
        agent: &CallingAgent,
        events: tokio::sync::mpsc::Sender<CallEvent>,
        cancel: &CancellationToken,
    ) -> Result<CallToolResponse, UpstreamError> {
        let mut params = self.call_params(exposed_name, arguments)?;
        if let InputRounds::Agent { responses, state } = &agent.rounds {
            params.input_responses = responses.clone();
            params.request_state = state.clone();
        }
        self.know_the_tools().await;
        for _ in 0..DEFAULT_MRTR_MAX_ROUNDS {
            let answer = match self.relayed_round(params.clone(), agent, &events, cancel).await {
                Ok(CallToolResponse::Complete(result)) => {
                    return self.tool_answer(exposed_name, Ok(result)).map(CallToolResponse::Complete);
                }
                Ok(answer) => answer,
                Err(err) => return self.tool_answer(exposed_name, Err(err)).map(CallToolResponse::Complete),
            };
            let required = match (answer, &agent.rounds) {
                (CallToolResponse::InputRequired(required), InputRounds::Relayed) => required,
                (answer, _) => return Ok(answer),
            };
            let asked = required.input_requests.unwrap_or_default();
            if asked.is_empty() && required.request_state.is_none() {
                return Err(self.refused("tools/call", ServiceError::UnexpectedResponse).await);
            }
            let responses = match relay::answer_inputs(asked, &events).await {
                Ok(responses) => responses,
                Err(refused) => {
                    return Err(self.refused("tools/call", ServiceError::McpError(refused)).await);
                }
            };
            params.input_responses = (!responses.is_empty()).then_some(responses);
            params.request_state = required.request_state;
        }
        let exceeded = ServiceError::InputRequiredRoundsExceeded { max_rounds: DEFAULT_MRTR_MAX_ROUNDS };
        Err(self.refused("tools/call", exceeded).await)
    }

    /// A failure of `method` as the session's classifier words it.
    async fn refused(&self, method: &'static str, err: ServiceError) -> UpstreamError {
        self.failure(classify::service_error(&self.target, method, err)).await
    }

    /// One `tools/call` of a relayed call: what the server sends about it goes to `events`.
    async fn relayed_round(
        &self,
        params: CallToolRequestParams,
        agent: &CallingAgent,
        events: &tokio::sync::mpsc::Sender<CallEvent>,
        cancel: &CancellationToken,
    ) -> Result<CallToolResponse, UpstreamError> {
        let peer = self.service.peer();
        let request = ClientRequest::CallToolRequest(CallToolRequest::new(params));
        let handle = match peer.send_request_with_option(request, self.options_for(agent)).await {
            Ok(handle) => handle,
            Err(err) => return Err(self.refused("tools/call", err).await),
        };
        let request_id = handle.id.clone();
        let _registered = self.service.service().relay().register(
            request_id.clone(),
            handle.progress_token.clone(),
            events.clone(),
        );
        let answer = async {
            match handle.await_response().await? {
                ServerResult::CallToolResult(result) => Ok(CallToolResponse::Complete(result)),
                ServerResult::InputRequiredResult(result) => Ok(CallToolResponse::InputRequired(result)),
                ServerResult::CreateTaskResult(result) => Ok(CallToolResponse::Task(result)),
                _ => Err(rmcp::ServiceError::UnexpectedResponse),
            }
        };
        let result = tokio::select! {
            answered = self.request("tools/call", answer) => answered,
            () = cancel.cancelled() => Err(UpstreamError::Cancelled { id: self.target.id.clone() }),
        };
        // A call given up on here (cancelled by the caller, or out of time) is given up on by the
        // server too.
        let reason = match &result {
            Err(UpstreamError::Cancelled { .. }) => Some("cancelled by the agent"),
            Err(UpstreamError::RequestTimeout { .. }) => Some("request timeout"),
            _ => None,
        };
        if let Some(reason) = reason {
            debug!(request = %request_id, reason, "telling the server the call is given up");
            let notice = CancelledNotificationParam::new(Some(request_id), Some(reason.to_owned()));
            if let Err(err) = peer.notify_cancelled(notice).await {
                debug!(%err, "could not tell the server the call is given up");
            }
        }
        result
    }

    /// `notifications/resources/updated` the server sends, from now on.
    pub fn resource_updates(&self) -> tokio::sync::broadcast::Receiver<ResourceUpdatedNotificationParam> {
        self.service.service().relay().subscribe_updates()
    }

    /// Asks the server to tell of changes to the resource `uri`, which then come on
    /// [`Upstream::resource_updates`]: `resources/subscribe`, or in a session of 2026-07-28 a
    /// `subscriptions/listen` for that resource, kept open until [`Upstream::unsubscribe`].
    #[instrument(skip_all, fields(source = %self.target.id))]
    pub async fn subscribe(&self, uri: &str) -> Result<(), UpstreamError> {
        if !self.speaks_standard_headers() {
            return self
                .request("resources/subscribe", self.service.subscribe(SubscribeRequestParams::new(uri)))
                .await;
        }
        let subscription =
            self.request("subscriptions/listen", self.service.peer().listen(listen::updates_of(uri))).await?;
        let relay = Arc::clone(self.service.service().relay());
        let following = listen::follow(subscription, move |notification| {
            if let ServerNotification::ResourceUpdatedNotification(updated) = notification {
                relay.updated(updated.params);
            }
        });
        if let Some(before) = self.listens().resources.insert(uri.to_owned(), following) {
            before.abort();
        }
        Ok(())
    }

    /// Tells the server to stop telling of changes to `uri` (`resources/unsubscribe`, or the
    /// end of its `subscriptions/listen`).
    #[instrument(skip_all, fields(source = %self.target.id))]
    pub async fn unsubscribe(&self, uri: &str) -> Result<(), UpstreamError> {
        if !self.speaks_standard_headers() {
            return self
                .request(
                    "resources/unsubscribe",
                    self.service.unsubscribe(UnsubscribeRequestParams::new(uri)),
                )
                .await;
        }
        if let Some(following) = self.listens().resources.remove(uri) {
            following.abort();
        }
        Ok(())
    }

    /// In a session of 2026-07-28, opens a `subscriptions/listen` for the list changes the
    /// server declared, so that they come on [`Upstream::list_changes`] as an older session's
    /// do. Nothing to do in an older session, or once done. A server that refuses is left as it
    /// is: its lists are still read afresh whenever an agent lists.
    pub async fn follow_list_changes(&self) {
        if !self.speaks_standard_headers() || self.listens().lists.is_some() {
            return;
        }
        let Some(filter) =
            self.server_info.as_ref().and_then(|info| listen::list_changes_of(&info.capabilities))
        else {
            return;
        };
        let subscription =
            match self.request("subscriptions/listen", self.service.peer().listen(filter)).await {
                Ok(subscription) => subscription,
                Err(err) => {
                    debug!(%err, "the server did not take a subscriptions/listen for its list changes");
                    return;
                }
            };
        let changes = self.service.service().announcer();
        let following = listen::follow(subscription, move |notification| {
            let change = match notification {
                ServerNotification::ToolListChangedNotification(_) => ListChanged::Tools,
                ServerNotification::PromptListChangedNotification(_) => ListChanged::Prompts,
                ServerNotification::ResourceListChangedNotification(_) => ListChanged::Resources,
                _ => return,
            };
            // An error only means nobody is listening.
            let _ = changes.send(change);
        });
        if let Some(before) = self.listens().lists.replace(following) {
            before.abort();
        }
    }

    fn listens(&self) -> std::sync::MutexGuard<'_, listen::Listens> {
        self.listens.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Log messages the server sends (`notifications/message`), from now on.
    pub fn log_messages(&self) -> tokio::sync::broadcast::Receiver<LoggingMessageNotificationParam> {
        self.service.service().relay().subscribe_logs()
    }

    /// Asks the server to send log messages at `level` and above (`logging/setLevel`).
    #[instrument(skip_all, fields(source = %self.target.id))]
    pub async fn set_log_level(&self, level: LoggingLevel) -> Result<(), UpstreamError> {
        self.request("logging/setLevel", self.service.set_level(SetLevelRequestParams::new(level))).await
    }

    /// A `tools/call` answer in the words callers expect: an unknown tool becomes
    /// [`UpstreamError::ToolNotFound`].
    fn tool_answer(
        &self,
        exposed_name: &str,
        result: Result<CallToolResult, UpstreamError>,
    ) -> Result<CallToolResult, UpstreamError> {
        match result {
            Err(UpstreamError::JsonRpc { code, message, .. }) if is_unknown_tool(code, &message) => {
                Err(UpstreamError::ToolNotFound {
                    id: self.target.id.clone(),
                    name: exposed_name.to_owned(),
                    near: Vec::new(),
                })
            }
            other => {
                if let Ok(result) = &other {
                    debug!(is_error = result.is_error.unwrap_or(false), "tool answered");
                }
                other
            }
        }
    }

    /// Every resource, across all pages.
    #[instrument(skip_all, fields(source = %self.target.id))]
    pub async fn list_resources(&self) -> Result<Vec<Resource>, UpstreamError> {
        let peer = self.service.peer();
        let resources = self
            .all_pages("resources/list", |cursor| async move {
                let page =
                    peer.list_resources(Some(PaginatedRequestParams::default().with_cursor(cursor))).await?;
                Ok((page.resources, page.next_cursor))
            })
            .await?;
        debug!(count = resources.len(), "listed resources");
        Ok(resources)
    }

    /// Every prompt, across all pages.
    #[instrument(skip_all, fields(source = %self.target.id))]
    pub async fn list_prompts(&self) -> Result<Vec<Prompt>, UpstreamError> {
        let peer = self.service.peer();
        let prompts = self
            .all_pages("prompts/list", |cursor| async move {
                let page =
                    peer.list_prompts(Some(PaginatedRequestParams::default().with_cursor(cursor))).await?;
                Ok((page.prompts, page.next_cursor))
            })
            .await?;
        debug!(count = prompts.len(), "listed prompts");
        Ok(prompts)
    }

    /// Every resource template, across all pages.
    #[instrument(skip_all, fields(source = %self.target.id))]
    pub async fn list_resource_templates(&self) -> Result<Vec<ResourceTemplate>, UpstreamError> {
        let peer = self.service.peer();
        let templates = self
            .all_pages("resources/templates/list", |cursor| async move {
                let page = peer
                    .list_resource_templates(Some(PaginatedRequestParams::default().with_cursor(cursor)))
                    .await?;
                Ok((page.resource_templates, page.next_cursor))
            })
            .await?;
        debug!(count = templates.len(), "listed resource templates");
        Ok(templates)
    }

    /// Reads one resource by its URI.
    #[instrument(skip_all, fields(source = %self.target.id))]
    pub async fn read_resource(&self, uri: &str) -> Result<ReadResourceResult, UpstreamError> {
        self.request("resources/read", self.service.read_resource(ReadResourceRequestParams::new(uri))).await
    }

    /// Gets one prompt by its name, with its arguments.
    #[instrument(skip_all, fields(source = %self.target.id, prompt = name))]
    pub async fn get_prompt(
        &self,
        name: &str,
        arguments: Option<serde_json::Map<String, serde_json::Value>>,
    ) -> Result<GetPromptResult, UpstreamError> {
        let mut params = GetPromptRequestParams::new(name);
        params.arguments = arguments;
        self.request("prompts/get", self.service.get_prompt(params)).await
    }

    /// Completes an argument of a prompt or resource template (`completion/complete`).
    #[instrument(skip_all, fields(source = %self.target.id))]
    pub async fn complete(&self, params: CompleteRequestParams) -> Result<CompleteResult, UpstreamError> {
        self.request("completion/complete", self.service.complete(params)).await
    }

    /// [`Upstream::get_prompt`] for an agent's request: an agent of 2026-07-28 gets the
    /// server's `input_required` as it is and brings the answers back in its next try (see
    /// [`InputRounds::Agent`]); another gets the prompt, with the rounds answered here.
    pub async fn get_prompt_for(
        &self,
        name: &str,
        arguments: Option<serde_json::Map<String, serde_json::Value>>,
        agent: &CallingAgent,
    ) -> Result<GetPromptResponse, UpstreamError> {
        let InputRounds::Agent { responses, state } = &agent.rounds else {
            return self.get_prompt(name, arguments).await.map(GetPromptResponse::Complete);
        };
        let mut params = GetPromptRequestParams::new(name);
        params.arguments = arguments;
        params.input_responses = responses.clone();
        params.request_state = state.clone();
        let request = ClientRequest::GetPromptRequest(GetPromptRequest::new(params));
        let answer = async {
            let handle =
                self.service.peer().send_request_with_option(request, self.options_for(agent)).await?;
            match handle.await_response().await? {
                ServerResult::GetPromptResult(result) => Ok(GetPromptResponse::Complete(result)),
                ServerResult::InputRequiredResult(result) => Ok(GetPromptResponse::InputRequired(result)),
                _ => Err(ServiceError::UnexpectedResponse),
            }
        };
        self.request("prompts/get", answer).await
    }

    /// How a request made for `agent` goes: a session of 2026-07-28 reads the client's
    /// capabilities from each request, and the session's own (everything Lanyard can carry)
    /// would let the server ask an agent that cannot answer. An older session declared them
    /// once, in `initialize`.
    fn options_for(&self, agent: &CallingAgent) -> PeerRequestOptions {
        let mut options = PeerRequestOptions::no_options();
        if self.speaks_standard_headers()
            && let Some(capabilities) = agent.carried_capabilities()
        {
            let mut meta = rmcp::model::RequestMetaObject::default();
            meta.set_client_capabilities(capabilities);
            options.meta = Some(meta);
        }
        options
    }

    /// Signals each time the server says its tool, prompt or resource list changed. The first
    /// receiver also holds the signals sent since the handshake.
    pub fn list_changes(&self) -> tokio::sync::broadcast::Receiver<ListChanged> {
        self.service.service().subscribe()
    }

    /// Whether the session has ended (the server went away or the transport closed).
    pub fn is_closed(&self) -> bool {
        self.service.is_closed() || self.service.is_transport_closed()
    }

    /// Ends the session: closes the transport (an HTTP session is deleted, a child's stdin is
    /// closed), gives a child a moment to exit, then kills it.
    #[instrument(skip_all, fields(source = %self.target.id))]
    pub async fn close(self) {
        let Upstream { mut service, child, .. } = self;
        match service.close_with_timeout(CLOSE_GRACE).await {
            Ok(Some(_)) => debug!("session closed"),
            Ok(None) => debug!("session did not close in time; dropping it"),
            Err(err) => debug!(%err, "session task failed while closing"),
        }
        if let Some(child) = child {
            child.shutdown(CLOSE_GRACE).await;
        }
        info!("disconnected");
    }

    /// Runs one request within the request timeout and words its failure.
    async fn request<T>(
        &self,
        method: &'static str,
        call: impl Future<Output = Result<T, ServiceError>>,
    ) -> Result<T, UpstreamError> {
        debug!(method, "request");
        match tokio::time::timeout(self.request_timeout, call).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(err)) => Err(self.refused(method, err).await),
            Err(_) => Err(UpstreamError::RequestTimeout {
                id: self.target.id.clone(),
                method: method.into(),
                limit: self.request_timeout,
            }),
        }
    }

    /// Collects every page of a list, each page bounded by the request timeout.
    async fn all_pages<T, F, Fut>(&self, method: &'static str, page: F) -> Result<Vec<T>, UpstreamError>
    where
        F: Fn(Option<String>) -> Fut,
        Fut: Future<Output = Result<(Vec<T>, Option<String>), ServiceError>>,
    {
        let mut items = Vec::new();
        let mut cursor = None;
        for _ in 0..MAX_PAGES {
            let (mut batch, next) = self.request(method, page(cursor)).await?;
            items.append(&mut batch);
            match next {
                Some(next) => cursor = Some(next),
                None => return Ok(items),
            }
        }
        Err(UpstreamError::Protocol {
            id: self.target.id.clone(),
            err: format!("`{method}` was still paging after {MAX_PAGES} pages").into(),
        })
    }

    /// A closed transport on stdio usually means the server died: say how.
    async fn failure(&self, diagnosis: Diagnosis) -> UpstreamError {
        match (&diagnosis, &self.child) {
            (Diagnosis::Closed, Some(child)) => child.exited_error(&self.target.id, EXIT_GRACE).await,
            _ => diagnosis.into_error(&self.target),
        }
    }
}

/// Whether a failed handshake got an answer that was not what the handshake expected (rather
/// than no answer, or a refusal of the credentials): worth one more try with the other era's
/// handshake.
fn answered_oddly(err: &UpstreamError) -> bool {
    matches!(err.kind(), crate::ErrorKind::Protocol | crate::ErrorKind::ServerError)
}

/// How to connect, beside the resolved profile.
#[derive(Clone)]
struct Connect<'a> {
    /// Where a stdio server's stderr goes.
    log_dir: &'a Path,
    offers: Offers,
    /// Where HTTP requests get their bearer token.
    authorizer: Option<Arc<dyn Authorizer>>,
    /// How the source signs in, for the extensions the handshake declares.
    auth: AuthKind,
}

/// Opens the transport and runs the handshake.
async fn handshake(
    target: &Target,
    transport: ResolvedTransport,
    connect_timeout: Duration,
    (lifecycle, initialize_version): (ClientLifecycleMode, ProtocolVersion),
    Connect { log_dir, offers, authorizer, auth }: Connect<'_>,
) -> Result<(RunningService<RoleClient, Listener>, Option<StdioChild>), UpstreamError> {
    let connecting = match transport {
        ResolvedTransport::Stdio { command, args, env, cwd, sandbox } => {
            let launch = stdio::Launch {
                command: &command,
                args: &args,
                env: &env,
                cwd: cwd.as_deref(),
                sandbox: sandbox.as_ref(),
            };
            let (transport, child) = stdio::spawn(&target.id, launch, log_dir).await?;
            Connecting::Stdio(transport, child)
        }
        ResolvedTransport::Http { url, headers } => {
            let client = AuthorizedClient::new(http::client(target, &headers, connect_timeout)?, authorizer);
            Connecting::Http(http::streamable(client.clone(), &url), client, url)
        }
        ResolvedTransport::Sse { url, headers } => {
            let client = http::client(target, &headers, connect_timeout)?;
            Connecting::Sse(sse::connect(target, client, &url).await?)
        }
    };
    let first = match lifecycle {
        ClientLifecycleMode::Discover { .. } => "server/discover",
        _ => "initialize",
    };
    let person = match &offers {
        Offers::Person(elicitor) => Some(Arc::clone(elicitor)),
        _ => None,
    };
    let asks_person = person.is_some();
    let config = Listener::new(
        client_config(&offers, auth, initialize_version),
        Arc::new(Relay::new(target.id.clone())),
    )
    .answering_elicitation(person);
    match connecting {
        Connecting::Stdio(transport, child) => {
            match config.serve_with_lifecycle(transport, lifecycle).await {
                Ok(service) => Ok((service, Some(child))),
                Err(err) => Err(match classify::init_error(target, first, err) {
                    Diagnosis::Closed => child.exited_error(&target.id, EXIT_GRACE).await,
                    diagnosis => diagnosis.into_error(target),
                }),
            }
        }
        Connecting::Http(transport, client, url) => {
            match config.serve_with_lifecycle(transport, lifecycle).await {
                Ok(service) => {
                    if asks_person && !client.standalone_answered(STANDALONE_GRACE).await {
                        debug!("the standalone event stream is not answered yet; going on");
                    }
                    Ok((service, None))
                }
                Err(err) => Err(match classify::init_error(target, first, err) {
                    Diagnosis::OddHttpAnswer(fallback) => {
                        http::explain_answer(target, &client, &url, fallback).await
                    }
                    diagnosis => diagnosis.into_error(target),
                }),
            }
        }
        Connecting::Sse(transport) => match config.serve(transport).await {
            Ok(service) => Ok((service, None)),
            Err(err) => Err(classify::init_error(target, first, err).into_error(target)),
        },
    }
}

/// How the session starts for a profile's `protocol` choice, and the revision asked for in an
/// `initialize` handshake. `auto` probes with `server/discover` and falls back to `initialize`
/// when the server does not know it (rmcp turns a legacy HTTP server's refusal of the sessionless
/// probe into that answer). Legacy SSE is a transport of the `initialize` era only, so it never
/// probes.
fn lifecycle(protocol: Protocol, transport: TransportKind) -> (ClientLifecycleMode, ProtocolVersion) {
    let newest_with_initialize = ProtocolVersion::LATEST_WITH_INITIALIZE;
    match (protocol, transport) {
        (Protocol::V2025_06_18, _) => (ClientLifecycleMode::Initialize, ProtocolVersion::V_2025_06_18),
        (Protocol::V2025_11_25, _) | (_, TransportKind::Sse) => {
            (ClientLifecycleMode::Initialize, newest_with_initialize)
        }
        (Protocol::V2026_07_28, _) => (
            ClientLifecycleMode::Discover { preferred_versions: vec![ProtocolVersion::V_2026_07_28] },
            newest_with_initialize,
        ),
        (Protocol::Auto, _) => (
            ClientLifecycleMode::Auto {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
                legacy_version: Some(newest_with_initialize.clone()),
            },
            newest_with_initialize,
        ),
    }
}

/// Who we are in the handshake. The protocol version is the newest that still has `initialize`,
/// which every server released so far understands.
/// An enterprise source declares the enterprise-managed authorization extension (SEP-2133
/// `extensions`), so that the server knows its tokens come from the company's identity provider.
fn client_config(offers: &Offers, auth: AuthKind, initialize_version: ProtocolVersion) -> ClientConfig {
    let mut capabilities = ClientCapabilities::default();
    if auth == AuthKind::Enterprise {
        let declared = [(crate::profile::ENTERPRISE_EXTENSION.to_owned(), Default::default())];
        capabilities.extensions = Some(declared.into_iter().collect());
    }
    match offers {
        Offers::Nothing => {}
        Offers::AgentRequests => {
            capabilities.sampling = Some(SamplingCapability::default());
            capabilities.elicitation = Some(ElicitationCapability::default());
            capabilities.roots = Some(RootsCapabilities::default());
        }
        Offers::Person(_) => {
            capabilities.elicitation = Some(
                ElicitationCapability::new()
                    .with_form(FormElicitationCapability::new())
                    .with_url(UrlElicitationCapability::new()),
            );
        }
    }
    let mut config =
        ClientConfig::new(capabilities, Implementation::new("lanyard", env!("CARGO_PKG_VERSION")));
    config.protocol_version = initialize_version;
    config
}

pub(crate) fn target_of(resolved: &Resolved) -> Target {
    let url = match &resolved.transport {
        ResolvedTransport::Stdio { .. } => None,
        ResolvedTransport::Http { url, .. } | ResolvedTransport::Sse { url, .. } => Some(url),
    };
    Target {
        id: resolved.id.clone(),
        origin: url.map(Origin::of),
        https: url.is_some_and(|url| url.scheme() == "https"),
        ca_bundle: resolved.ca_bundle.clone(),
    }
}

fn transport_kind(transport: &ResolvedTransport) -> TransportKind {
    match transport {
        ResolvedTransport::Stdio { .. } => TransportKind::Stdio,
        ResolvedTransport::Http { .. } => TransportKind::Http,
        ResolvedTransport::Sse { .. } => TransportKind::Sse,
    }
}

/// Whether a `tools/call` error says the tool does not exist. Servers answer an unknown tool with
/// "invalid params" (-32602) and a message saying "not found" (rmcp, the TypeScript SDK).
fn is_unknown_tool(code: i32, message: &str) -> bool {
    code == rmcp::model::ErrorCode::INVALID_PARAMS.0 && message.to_ascii_lowercase().contains("not found")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_can_be_shared_between_tasks() {
        fn assert_send_sync<T: Send + Sync>() {}
        fn assert_send<T: Send>(_: T) {}
        assert_send_sync::<Upstream>();
        // Compile-time only: the bridge spawns these futures on a multi-threaded runtime.
        let _check = |upstream: &'static Upstream| {
            assert_send(upstream.list_tools());
            assert_send(upstream.call_tool("tool", None));
            assert_send(upstream.list_resources());
            assert_send(upstream.list_prompts());
            assert_send(upstream.list_resource_templates());
            assert_send(upstream.read_resource("test://x"));
            assert_send(upstream.get_prompt("prompt", None));
        };
    }

    #[test]
    fn unknown_tool_errors_are_recognised() {
        assert!(is_unknown_tool(-32602, "tool not found"), "rmcp's wording");
        assert!(is_unknown_tool(-32602, "Tool nope not found"), "the TypeScript SDK's wording");
        assert!(!is_unknown_tool(-32603, "tool not found"), "an internal error is not an unknown tool");
        assert!(!is_unknown_tool(-32602, "missing field `a`"), "bad arguments are not an unknown tool");
    }
}
