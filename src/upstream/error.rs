//! What can go wrong talking to one MCP server, in words that say what to do next.
//!
//! One enum for every transport, so callers handle a dead server the same way whether it was a
//! child process or a URL. Variants carry the source id and, for HTTP, the URL's origin only:
//! never a full URL (its query may hold a token), a header value or a response body beyond a short
//! snippet. Callers that only need to pick a reaction (exit code, UI badge) use
//! [`UpstreamError::kind`] instead of matching every variant.
//!
//! A message that ends in a `lanyard` command is its problem, written once (`problem`), then
//! that command; a front-end with its own words for the fix shows the problem alone.

use std::fmt;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

use crate::ErrorKind;
use crate::filter::FilterError;
use crate::ids::SourceId;
use crate::remedy::{Advice, Remedy};

pub use crate::net::Origin;

/// Why talking to one MCP server failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpstreamError {
    #[error(
        "source `{id}`: command `{command}` was not found; install it, or give its full path in the profile (it is looked up in PATH)"
    )]
    CommandNotFound { id: SourceId, command: String },

    #[error("source `{id}`: the working directory `{}` does not exist; fix `cwd` in the profile", dir.display())]
    WorkingDirMissing { id: SourceId, dir: PathBuf },

    #[error("source `{id}`: could not start `{command}`: {err}")]
    Spawn {
        id: SourceId,
        command: String,
        #[source]
        err: std::io::Error,
    },

    #[error("source `{id}`: could not open the server's log file `{}`: {err}", path.display())]
    Log {
        id: SourceId,
        path: PathBuf,
        #[source]
        err: std::io::Error,
    },

    #[error("{}", ProcessExitedMessage { id, status, stderr_tail, log })]
    ProcessExited {
        id: SourceId,
        /// `None` when the process closed its output but had not exited yet.
        status: Option<ExitStatus>,
        /// The last lines it wrote to stderr during this run, possibly empty.
        stderr_tail: String,
        /// The file holding its whole stderr.
        log: PathBuf,
    },

    #[error("source `{id}`: header `{name}` has an invalid name or value; fix it in the profile")]
    InvalidHeader { id: SourceId, name: String },

    #[error("source `{id}`: {err}")]
    Network { id: SourceId, err: crate::net::NetError },

    #[error("source `{id}`: could not set up the HTTP client: {err}")]
    HttpClient {
        id: SourceId,
        #[source]
        err: reqwest::Error,
    },

    #[error("source `{id}`: {origin} refused the connection; is the server running, and is the port right?")]
    ConnectionRefused { id: SourceId, origin: Origin },

    #[error("source `{id}`: could not reach {origin}; check the host name and your network")]
    Unreachable {
        id: SourceId,
        origin: Origin,
        #[source]
        err: reqwest::Error,
    },

    #[error(
        "source `{id}`: the TLS handshake with {origin} failed; if the server speaks plain HTTP use an http:// URL, otherwise check its certificate"
    )]
    Tls {
        id: SourceId,
        origin: Origin,
        #[source]
        err: reqwest::Error,
    },

    #[error("source `{id}`: {}; set the source's URL to where the server answers itself", refused)]
    Redirected { id: SourceId, refused: crate::net::RedirectRefused },

    #[error("{}", NotMcpMessage { id, origin, status: *status, content_type, problem: *problem })]
    NotMcp { id: SourceId, origin: Origin, status: u16, content_type: Option<String>, problem: NotMcpProblem },

    #[error(
        "source `{id}`: the server wants credentials (HTTP 401/403); sign in, or check the configured headers"
    )]
    Unauthorized { id: SourceId, www_authenticate: Option<String> },

    #[error(
        "source `{id}`: the server did not finish connecting within {} s; raise `timeouts.connect_secs` if it is just slow",
        limit.as_secs_f64()
    )]
    ConnectTimeout { id: SourceId, limit: Duration },

    #[error(
        "source `{id}`: `{method}` got no answer within {} s; raise `timeouts.request_secs` if the server is just slow",
        limit.as_secs_f64()
    )]
    RequestTimeout { id: SourceId, method: std::borrow::Cow<'static, str>, limit: Duration },

    #[error("{}, and `lanyard status {id}` shows how it goes", self.problem_text())]
    TokenTimeout { id: SourceId, method: std::borrow::Cow<'static, str>, limit: Duration },

    #[error("source `{id}`: the server answered `{method}` with error {code}: {message}")]
    JsonRpc {
        id: SourceId,
        method: &'static str,
        code: i32,
        message: String,
        /// The error's `data`, which some errors are defined by (`-32021` names the capabilities
        /// the server needs): the merged server passes it on to the agent. Never shown in text.
        data: Option<Box<serde_json::Value>>,
    },

    #[error("source `{id}`: {err}")]
    ToolHidden {
        id: SourceId,
        #[source]
        err: FilterError,
    },

    /// A tool (or the whole source) withheld from agents until the person approves a change of
    /// its definition (see [`crate::pins`]).
    #[error("{why}")]
    ToolWithheld {
        id: SourceId,
        #[source]
        why: crate::pins::Withheld,
    },

    #[error(
        "source `{id}`: the server has no tool `{name}`{}",
        crate::suggest::DidYouMean { near, then: format_args!("`lanyard tools {id}` lists its tools") }
    )]
    ToolNotFound {
        id: SourceId,
        name: String,
        /// The tools close to `name`, best first (empty when none is, or when unknown).
        near: Vec<String>,
    },

    #[error("{}", SseEndpointMessage { id, origin, problem })]
    SseEndpoint { id: SourceId, origin: Origin, problem: SseEndpointProblem },

    #[error(
        "source `{id}`: the server's answer did not follow MCP ({err}); check the URL and the transport type"
    )]
    Protocol {
        id: SourceId,
        #[source]
        err: Box<dyn std::error::Error + Send + Sync>,
    },

    #[error("source `{id}`: the connection to the server was lost; connect again")]
    Disconnected { id: SourceId },

    #[error("source `{id}`: the call was cancelled by the agent")]
    Cancelled { id: SourceId },

    /// A request was not sent because its credentials could not be had. The credential
    /// component's own error, which names the source and the fix, is inside; the engine's
    /// error takes it out (`From<UpstreamError> for Error`).
    #[error("{err}")]
    Credentials {
        id: SourceId,
        #[source]
        err: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// How an HTTP answer showed it was not MCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotMcpProblem {
    /// An error status such as 404 or 500.
    Status,
    /// A success status with a body that is not JSON-RPC or an event stream.
    Body,
}

/// What was wrong with a legacy SSE server's `endpoint` event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SseEndpointProblem {
    /// The stream ended or broke before it named an endpoint.
    Missing,
    /// The event's data is not a URL.
    Invalid,
    /// The endpoint is on another origin; posting there would send our headers elsewhere.
    OtherOrigin(Origin),
}

impl UpstreamError {
    /// What happened, for the errors whose message goes on to name a `lanyard` command: the
    /// start of that message, written only here.
    fn problem(&self) -> Option<String> {
        match self {
            Self::TokenTimeout { id, method, limit } => Some(format!(
                "source `{id}`: `{method}` was not sent: no access token within {} s, as the authorization server is slow or unreachable; Lanyard keeps trying",
                limit.as_secs_f64()
            )),
            _ => None,
        }
    }

    /// [`Self::problem`] for a `#[error]` that only variants with a problem use.
    fn problem_text(&self) -> String {
        self.problem().unwrap_or_default()
    }

    /// The fix, as data (see [`crate::remedy`]).
    pub fn remedy(&self) -> Option<Remedy> {
        match self {
            Self::TokenTimeout { .. } => Some(Remedy::WatchStatus),
            Self::ToolWithheld { .. } => Some(Remedy::ReviewTools),
            _ => None,
        }
    }

    /// For errors whose message ends in a `lanyard` command: the message up to it, and the fix
    /// as data (see [`crate::remedy`]).
    pub fn advice(&self) -> Option<Advice> {
        Some(Advice::new(self.source_id(), self.problem()?, self.remedy()?))
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::CommandNotFound { .. }
            | Self::WorkingDirMissing { .. }
            | Self::InvalidHeader { .. }
            | Self::HttpClient { .. }
            | Self::Network { .. }
            | Self::Redirected { .. }
            | Self::Log { .. } => ErrorKind::ConnectionSetup,
            Self::Spawn { .. }
            | Self::ProcessExited { .. }
            | Self::ConnectionRefused { .. }
            | Self::Unreachable { .. }
            | Self::Tls { .. }
            | Self::Disconnected { .. }
            | Self::ConnectTimeout { .. }
            | Self::RequestTimeout { .. }
            | Self::TokenTimeout { .. } => ErrorKind::Unreachable,
            Self::NotMcp { .. } | Self::SseEndpoint { .. } | Self::Protocol { .. } => ErrorKind::Protocol,
            Self::Unauthorized { .. } | Self::Credentials { .. } => ErrorKind::NeedsSignIn,
            Self::ToolHidden { .. }
            | Self::ToolWithheld { .. }
            | Self::ToolNotFound { .. }
            | Self::Cancelled { .. } => ErrorKind::Usage,
            Self::JsonRpc { .. } => ErrorKind::ServerError,
        }
    }

    /// The source the error is about.
    pub fn source_id(&self) -> &SourceId {
        match self {
            Self::CommandNotFound { id, .. }
            | Self::WorkingDirMissing { id, .. }
            | Self::Spawn { id, .. }
            | Self::Log { id, .. }
            | Self::ProcessExited { id, .. }
            | Self::InvalidHeader { id, .. }
            | Self::HttpClient { id, .. }
            | Self::Network { id, .. }
            | Self::Redirected { id, .. }
            | Self::ConnectionRefused { id, .. }
            | Self::Unreachable { id, .. }
            | Self::Tls { id, .. }
            | Self::NotMcp { id, .. }
            | Self::Unauthorized { id, .. }
            | Self::Credentials { id, .. }
            | Self::ConnectTimeout { id, .. }
            | Self::RequestTimeout { id, .. }
            | Self::TokenTimeout { id, .. }
            | Self::JsonRpc { id, .. }
            | Self::ToolHidden { id, .. }
            | Self::ToolWithheld { id, .. }
            | Self::ToolNotFound { id, .. }
            | Self::SseEndpoint { id, .. }
            | Self::Protocol { id, .. }
            | Self::Disconnected { id }
            | Self::Cancelled { id } => id,
        }
    }
}

struct ProcessExitedMessage<'a> {
    id: &'a SourceId,
    status: &'a Option<ExitStatus>,
    stderr_tail: &'a str,
    log: &'a PathBuf,
}

impl fmt::Display for ProcessExitedMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(status) => write!(f, "source `{}`: the server process exited ({status})", self.id)?,
            None => write!(f, "source `{}`: the server process closed its output without exiting", self.id)?,
        }
        if self.stderr_tail.is_empty() {
            write!(f, "; it wrote nothing to stderr (log: {})", self.log.display())
        } else {
            write!(f, "; the end of its stderr (full log: {}):\n{}", self.log.display(), self.stderr_tail)
        }
    }
}

struct NotMcpMessage<'a> {
    id: &'a SourceId,
    origin: &'a Origin,
    status: u16,
    content_type: &'a Option<String>,
    problem: NotMcpProblem,
}

impl fmt::Display for NotMcpMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let content_type = self.content_type.as_deref().unwrap_or("no content type");
        write!(f, "source `{}`: {} answered HTTP {} ({content_type})", self.id, self.origin, self.status)?;
        match self.problem {
            NotMcpProblem::Status => f.write_str(", not MCP"),
            NotMcpProblem::Body => f.write_str(" with a body that is not MCP (JSON-RPC)"),
        }?;
        f.write_str(
            "; check the URL's path (often /mcp, or /sse for the legacy transport) and the transport type",
        )
    }
}

struct SseEndpointMessage<'a> {
    id: &'a SourceId,
    origin: &'a Origin,
    problem: &'a SseEndpointProblem,
}

impl fmt::Display for SseEndpointMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (id, origin) = (self.id, self.origin);
        match self.problem {
            SseEndpointProblem::Missing => write!(
                f,
                "source `{id}`: the SSE stream from {origin} ended without an `endpoint` event; is this a legacy SSE MCP server? Try the `http` transport"
            ),
            SseEndpointProblem::Invalid => {
                write!(
                    f,
                    "source `{id}`: the SSE server at {origin} sent an `endpoint` event that is not a URL"
                )
            }
            SseEndpointProblem::OtherOrigin(other) => write!(
                f,
                "source `{id}`: the SSE server at {origin} asked to post messages to {other}, another origin; refused so that the profile's headers stay with {origin}"
            ),
        }
    }
}

/// Why a message could not be posted to a legacy SSE server. The SSE transport returns it inside
/// rmcp's error chain and [`super::classify`] reads it back, so it lives here, below both.
#[derive(Debug, thiserror::Error)]
pub(super) enum SseSendError {
    #[error("could not post the message: {0}")]
    Http(#[source] reqwest::Error),
    #[error("the server wants credentials")]
    Unauthorized { www_authenticate: Option<String> },
    #[error("the server answered the post with HTTP {status}")]
    Status { status: u16, content_type: Option<String> },
    #[error("could not encode the message: {0}")]
    Serialize(#[source] serde_json::Error),
}

#[cfg(test)]
mod advice_tests {
    use super::*;

    #[test]
    fn a_token_wait_names_the_status_as_data_and_keeps_its_cli_words() {
        let err = UpstreamError::TokenTimeout {
            id: "s".parse().unwrap(),
            method: "tools/list".into(),
            limit: Duration::from_secs(20),
        };
        let message = err.to_string();
        let advice = err.advice().expect("advice");
        assert_eq!(advice.remedy, Remedy::WatchStatus, "the fix is to watch the status");
        let rest = message.strip_prefix(&advice.problem).expect("the problem starts the message");
        assert!(rest.contains("`lanyard status s`"), "the CLI keeps its command: {message}");
    }
}
