//! An agent's rights on the merged server: which agent a request comes from (a stdio session's
//! fixed agent, or the one `lanyard serve`'s door admitted, carried in the HTTP request's
//! extensions), and the refusals, worded once. The handler filters lists with it and checks each
//! call before it is routed, so a refused call never reaches a source.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use rmcp::model::CallToolResponse;
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};

use crate::agents::{Access, Lack, Outcome};
use crate::ids::SourceId;

/// The agent of a request: `fixed` on stdio, else the door's. A request without one (which the
/// door never lets through) is refused.
pub(crate) fn agent(
    fixed: Option<&Arc<Access>>,
    context: &RequestContext<RoleServer>,
) -> Result<Arc<Access>, ErrorData> {
    if let Some(access) = fixed {
        return Ok(Arc::clone(access));
    }
    context
        .extensions
        .get::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Arc<Access>>())
        .cloned()
        .ok_or_else(|| ErrorData::invalid_request("the request came without an agent", None))
}

/// The JSON-RPC error for a request the agent lacks a right for.
pub(crate) fn refused(lack: &Lack) -> ErrorData {
    ErrorData::invalid_params(lack.to_string(), None)
}

/// Whether the agent may get a prompt of `source`.
pub(crate) fn may_prompt(access: &Access, source: &SourceId) -> Result<(), ErrorData> {
    if !access.allows_source(source) {
        return Err(refused(&Lack::Source { agent: access.name().clone(), on: source.clone() }));
    }
    if !access.prompts() {
        return Err(refused(&access.prompts_lack()));
    }
    Ok(())
}

/// Whether the agent may read (or subscribe to) a resource of `owner`. `None` is a URI no source
/// listed (one built from a resource template, say): allowed to any agent that may use
/// resources, because the merged server then tries it only on the agent's own sources.
pub(crate) fn may_resource(access: &Access, owner: Option<&SourceId>) -> Result<(), ErrorData> {
    if !access.resources() {
        return Err(refused(&access.resources_lack()));
    }
    match owner {
        Some(source) if !access.allows_source(source) => {
            Err(refused(&Lack::Source { agent: access.name().clone(), on: source.clone() }))
        }
        _ => Ok(()),
    }
}

/// Now, for a call's log entry.
pub(crate) fn started() -> (SystemTime, Instant) {
    (SystemTime::now(), Instant::now())
}

/// How a merged tool call ended.
pub(crate) fn outcome_of<E>(answer: &Result<CallToolResponse, E>) -> Outcome {
    match answer {
        Ok(CallToolResponse::Complete(result)) if result.is_error == Some(true) => Outcome::ToolError,
        Ok(_) => Outcome::Ok,
        Err(_) => Outcome::UpstreamError,
    }
}
