//! Why the merged server could not answer a request, and how each reason reaches an agent (a
//! JSON-RPC error) or the bridge ([`BridgeError`]).
//!
//! Its own file below the handler, the source pool and the relay, which all return it, so that
//! none of them imports the module that assembles the merged server.

use std::sync::Arc;

use rmcp::model::ErrorData;

use super::super::BridgeError;
use crate::ErrorKind;
use crate::ids::SourceId;
use crate::upstream::UpstreamError;

/// Why the merged server could not answer a request. Each goes back to the agent as a JSON-RPC
/// error with this text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MergedError {
    #[error(
        "no source offers a tool `{name}`; list the tools again (names are `<source>__<tool>`, unless a source sets another prefix)"
    )]
    UnknownTool { name: String },
    #[error(
        "no source offers a prompt `{name}`; list the prompts again (names are `<source>__<prompt>`, unless a source sets another prefix)"
    )]
    UnknownPrompt { name: String },
    #[error("`completion/complete` names a kind of reference this version of Lanyard does not know")]
    UnknownReference,
    #[error("no source offers the resource `{uri}`")]
    UnknownResource { uri: String },
    #[error("there is no source `{id}`; see `lanyard profile list`")]
    UnknownSource { id: SourceId },
    #[error("{err} (so source `{id}` is left out of the merged server)")]
    Unavailable {
        id: SourceId,
        #[source]
        err: Arc<crate::Error>,
    },
    #[error(transparent)]
    Source(Box<crate::Error>),
    #[error("cannot read the sources: {err}")]
    Profiles {
        #[source]
        err: Arc<crate::Error>,
    },
    #[error("the agent's MCP session could not start: {err}")]
    AgentSession {
        #[source]
        err: Box<rmcp::service::ServerInitializeError>,
    },
}

impl From<crate::Error> for MergedError {
    fn from(err: crate::Error) -> Self {
        MergedError::Source(Box::new(err))
    }
}

impl MergedError {
    /// What kind of thing went wrong: the kind of the source's error, or the merged server's own.
    pub fn kind(&self) -> ErrorKind {
        match self {
            MergedError::UnknownTool { .. }
            | MergedError::UnknownPrompt { .. }
            | MergedError::UnknownReference
            | MergedError::UnknownResource { .. } => ErrorKind::Usage,
            MergedError::UnknownSource { .. } => ErrorKind::Profile,
            MergedError::Unavailable { err, .. } | MergedError::Profiles { err } => err.kind(),
            MergedError::Source(err) => err.kind(),
            MergedError::AgentSession { .. } => ErrorKind::Other,
        }
    }
}

impl From<MergedError> for ErrorData {
    fn from(err: MergedError) -> Self {
        let message = err.to_string();
        match &err {
            MergedError::UnknownTool { .. }
            | MergedError::UnknownPrompt { .. }
            | MergedError::UnknownReference => ErrorData::invalid_params(message, None),
            MergedError::UnknownResource { .. } => ErrorData::resource_not_found(message, None),
            MergedError::Source(inner) => match &**inner {
                crate::Error::Upstream(UpstreamError::JsonRpc { code, data, .. }) => {
                    ErrorData::new(rmcp::model::ErrorCode(*code), message, data.as_deref().cloned())
                }
                crate::Error::Upstream(upstream) if upstream.kind() == ErrorKind::Usage => {
                    ErrorData::invalid_params(message, None)
                }
                _ => ErrorData::internal_error(message, None),
            },
            _ => ErrorData::internal_error(message, None),
        }
    }
}

impl From<MergedError> for BridgeError {
    fn from(err: MergedError) -> Self {
        BridgeError::Merged(Box::new(err))
    }
}
