//! Carries what a source sends about a routed `tools/call` back to the agent that made it, and
//! the agent's answers and cancellation back to the source.
//!
//! The merged server is an MCP server of its own, so nothing passes through unchanged: progress
//! comes back under the agent's own progress token (the source was given another), and a
//! source's request for sampling, elicitation or roots is sent to the agent as a request of the
//! merged server, from inside the agent's call, so an HTTP agent gets it on that call's stream.
//! A request the agent did not declare the capability for is refused to the source with a
//! JSON-RPC error saying so; the agent never sees it. The rule callers keep: the handler of the
//! agent's call runs [`call_tool`] itself (no `tokio::spawn`), since rmcp ties the requests sent to
//! the agent to the call through the handler's task.

use rmcp::model::{
    CallToolResponse, ClientCapabilities, ClientResult, ErrorCode, ErrorData, InputResponses, ProgressToken,
    ProtocolVersion, ServerRequest,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServiceError};
use tokio::sync::mpsc;
use tracing::debug;

use super::error::MergedError;
use crate::upstream::{CallEvent, InputRounds};

/// Progress and requests of one call held for the agent before the source is slowed down.
const EVENT_BUFFER: usize = 32;

/// Why a source's request during a call did not reach the agent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AskAgentError {
    #[error(
        "the agent did not declare the `{capability}` capability, so Lanyard cannot pass `{method}` on to it"
    )]
    AgentLacks { method: &'static str, capability: Capability },
    #[error("Lanyard's merged server does not pass `{method}` on to agents")]
    NotCarried { method: String },
    #[error("the agent cancelled the call before answering `{method}`")]
    Cancelled { method: &'static str },
    #[error("the agent could not be asked `{method}`: {err}")]
    Agent {
        method: &'static str,
        #[source]
        err: ServiceError,
    },
}

/// What an agent must have declared to be asked a source's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    Sampling,
    Elicitation,
    Roots,
}

impl Capability {
    fn declared_in(self, caps: &ClientCapabilities) -> bool {
        match self {
            Capability::Sampling => caps.sampling.is_some(),
            Capability::Elicitation => caps.elicitation.is_some(),
            Capability::Roots => caps.roots.is_some(),
        }
    }
}

impl std::fmt::Display for Capability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Capability::Sampling => "sampling",
            Capability::Elicitation => "elicitation",
            Capability::Roots => "roots",
        })
    }
}

impl From<AskAgentError> for ErrorData {
    fn from(err: AskAgentError) -> Self {
        let message = err.to_string();
        match err {
            AskAgentError::Agent { err: ServiceError::McpError(answer), .. } => answer,
            AskAgentError::AgentLacks { .. } | AskAgentError::NotCarried { .. } => {
                ErrorData::new(ErrorCode::METHOD_NOT_FOUND, message, None)
            }
            _ => ErrorData::internal_error(message, None),
        }
    }
}

/// Runs `call` (the routed tool, given where to send what the source says before its answer),
/// passing its progress and requests to the agent of `context` until it answers; the agent's
/// `notifications/cancelled` (rmcp cancels `context.ct`) reaches the source. The call comes in as
/// a closure so that the relay needs nothing of the handler that routes it.
pub(super) async fn call_tool<Call>(
    context: &RequestContext<RoleServer>,
    call: impl FnOnce(mpsc::Sender<CallEvent>) -> Call,
) -> Result<CallToolResponse, MergedError>
where
    Call: Future<Output = Result<CallToolResponse, MergedError>>,
{
    let (events, mut incoming) = mpsc::channel(EVENT_BUFFER);
    let agent_token = context.meta.get_progress_token();
    let call = call(events);
    tokio::pin!(call);
    loop {
        tokio::select! {
            // What the source sent before its answer goes to the agent before the answer.
            biased;
            Some(event) = incoming.recv() => on_event(event, agent_token.as_ref(), context).await,
            answered = &mut call => {
                while let Ok(event) = incoming.try_recv() {
                    on_event(event, agent_token.as_ref(), context).await;
                }
                return answered;
            }
        }
    }
}

async fn on_event(
    event: CallEvent,
    agent_token: Option<&ProgressToken>,
    context: &RequestContext<RoleServer>,
) {
    match event {
        CallEvent::Progress(mut progress) => {
            // An agent that gave no token asked for no progress.
            let Some(token) = agent_token else { return };
            progress.progress_token = token.clone();
            if let Err(err) = context.peer.notify_progress(progress).await {
                debug!(%err, "could not pass progress on; the agent is gone");
            }
        }
        CallEvent::Request { request, answer } => {
            let answered = ask_agent(request, context).await.map_err(ErrorData::from);
            // The source may have given up on its request; nothing to do then.
            let _ = answer.send(answered);
        }
    }
}

/// Sends a source's request to the agent, if the agent said it can answer it.
async fn ask_agent(
    request: ServerRequest,
    context: &RequestContext<RoleServer>,
) -> Result<ClientResult, AskAgentError> {
    let (method, capability) = match &request {
        ServerRequest::CreateMessageRequest(_) => ("sampling/createMessage", Some(Capability::Sampling)),
        ServerRequest::ElicitRequest(_) => ("elicitation/create", Some(Capability::Elicitation)),
        ServerRequest::ListRootsRequest(_) => ("roots/list", Some(Capability::Roots)),
        ServerRequest::PingRequest(_) => ("ping", None),
        ServerRequest::CustomRequest(custom) => {
            return Err(AskAgentError::NotCarried { method: custom.method.clone() });
        }
        _ => return Err(AskAgentError::NotCarried { method: "a request of a newer revision".to_owned() }),
    };
    if let Some(capability) = capability {
        let declared = agent_capabilities(context).is_some_and(|caps| capability.declared_in(&caps));
        if !declared {
            return Err(AskAgentError::AgentLacks { method, capability });
        }
    }
    tokio::select! {
        answered = context.peer.send_request(request) => answered.map_err(|err| AskAgentError::Agent { method, err }),
        () = context.ct.cancelled() => Err(AskAgentError::Cancelled { method }),
    }
}

/// How the agent of `context` answers a source's input requests: an agent of 2026-07-28
/// itself, with `responses` and `state` from its request; an older one when asked.
pub(super) fn input_rounds(
    context: &RequestContext<RoleServer>,
    responses: Option<InputResponses>,
    state: Option<String>,
) -> InputRounds {
    match context.protocol_version() {
        Some(version) if version >= ProtocolVersion::V_2026_07_28 => InputRounds::Agent { responses, state },
        _ => InputRounds::Relayed,
    }
}

/// What the agent declared: in this request's `_meta` (2026-07-28's stateless requests), else in
/// its `initialize`.
pub(super) fn agent_capabilities(context: &RequestContext<RoleServer>) -> Option<ClientCapabilities> {
    context
        .meta
        .client_capabilities()
        .or_else(|| context.peer.peer_info().map(|info| info.capabilities.clone()))
}
