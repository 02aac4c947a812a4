//! Turns rmcp's and reqwest's errors into [`UpstreamError`]s.
//!
//! rmcp reports transport trouble as a boxed error chain; the cause a person can act on (a refused
//! port, a TLS failure, a 401) sits somewhere inside it. This module digs it out in one place, so
//! every operation reports the same failure the same way. It also keeps URLs and bodies out of the
//! result: reqwest errors lose their URL here, and rmcp's body previews are dropped.

use std::error::Error as StdError;

use rmcp::ServiceError;
use rmcp::service::ClientInitializeError;
use rmcp::transport::streamable_http_client::StreamableHttpError;

use super::error::{Origin, SseSendError, UpstreamError};
use crate::ids::SourceId;

type BoxError = Box<dyn StdError + Send + Sync>;

/// Where a failed operation was going: enough to name it in an error.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub id: SourceId,
    /// The URL's origin, for HTTP transports.
    pub origin: Option<Origin>,
    /// Whether the URL is `https:`; a failed connect there may be a TLS failure.
    pub https: bool,
    /// The source's own extra CAs, trusted by every client made for it.
    pub ca_bundle: Option<crate::net::CaBundle>,
}

/// What a failure turned out to be.
#[derive(Debug)]
pub(super) enum Diagnosis {
    /// A failure this module could name.
    Known(UpstreamError),
    /// The transport closed: a child that exited, a stream that ended. The caller knows more
    /// (the child's exit status) and words the error.
    Closed,
    /// An HTTP answer that rmcp could not use; the caller may look at it again to say what it
    /// was. The error given is the best guess without looking.
    OddHttpAnswer(UpstreamError),
}

impl Diagnosis {
    /// The error, with a closed transport worded as a lost connection.
    pub fn into_error(self, target: &Target) -> UpstreamError {
        match self {
            Self::Known(err) | Self::OddHttpAnswer(err) => err,
            Self::Closed => UpstreamError::Disconnected { id: target.id.clone() },
        }
    }
}

/// A failed handshake, whose first request was `first` (`initialize`, or `server/discover` for
/// a session pinned to a revision without `initialize`).
pub(super) fn init_error(target: &Target, first: &'static str, err: ClientInitializeError) -> Diagnosis {
    match err {
        ClientInitializeError::ConnectionClosed(_) | ClientInitializeError::Cancelled => Diagnosis::Closed,
        ClientInitializeError::TransportError { error, .. } => transport_error(target, error.error),
        ClientInitializeError::JsonRpcError(data) => Diagnosis::Known(UpstreamError::JsonRpc {
            id: target.id.clone(),
            method: first,
            code: data.code.0,
            message: data.message.into_owned(),
            data: data.data.map(Box::new),
        }),
        ClientInitializeError::LegacyFallbackFailed { fallback, .. } => {
            init_error(target, "initialize", *fallback)
        }
        other => Diagnosis::Known(protocol(target, Box::new(other))),
    }
}

/// A failed request after the handshake.
pub(super) fn service_error(target: &Target, method: &'static str, err: ServiceError) -> Diagnosis {
    let id = target.id.clone();
    match err {
        ServiceError::McpError(data) => Diagnosis::Known(UpstreamError::JsonRpc {
            id,
            method,
            code: data.code.0,
            message: data.message.into_owned(),
            data: data.data.map(Box::new),
        }),
        ServiceError::TransportSend(error) => transport_error(target, error.error),
        ServiceError::TransportClosed | ServiceError::Cancelled { .. } => Diagnosis::Closed,
        ServiceError::Timeout { timeout } => {
            Diagnosis::Known(UpstreamError::RequestTimeout { id, method: method.into(), limit: timeout })
        }
        other => Diagnosis::Known(protocol(target, Box::new(other))),
    }
}

/// An error from inside a transport: ours (SSE), rmcp's streamable HTTP client, or a pipe.
fn transport_error(target: &Target, err: BoxError) -> Diagnosis {
    let err = match err.downcast::<StreamableHttpError<reqwest::Error>>() {
        Ok(http) => return streamable_http_error(target, *http),
        Err(err) => err,
    };
    let err = match err.downcast::<SseSendError>() {
        Ok(sse) => return sse_send_error(target, *sse),
        Err(err) => err,
    };
    match err.downcast::<std::io::Error>() {
        // A pipe to a child that went away.
        Ok(_) => Diagnosis::Closed,
        Err(err) => Diagnosis::Known(protocol(target, err)),
    }
}

fn streamable_http_error(target: &Target, err: StreamableHttpError<reqwest::Error>) -> Diagnosis {
    let id = target.id.clone();
    match err {
        StreamableHttpError::Client(err) => Diagnosis::Known(reqwest_error(target, err)),
        StreamableHttpError::AuthRequired(challenge) => Diagnosis::Known(UpstreamError::Unauthorized {
            id,
            www_authenticate: Some(challenge.www_authenticate_header),
        }),
        StreamableHttpError::InsufficientScope(challenge) => Diagnosis::Known(UpstreamError::Unauthorized {
            id,
            www_authenticate: Some(challenge.www_authenticate_header),
        }),
        // rmcp keeps a preview of the body in this one; say what it was without it.
        StreamableHttpError::UnexpectedServerResponse(_) => Diagnosis::OddHttpAnswer(protocol(
            target,
            "the server gave an HTTP answer that is not MCP".into(),
        )),
        err @ (StreamableHttpError::UnexpectedContentType(_)
        | StreamableHttpError::Deserialize(_)
        | StreamableHttpError::HttpStatus(_)
        | StreamableHttpError::ResponseBodyTooLarge { .. }
        | StreamableHttpError::SessionExpired) => Diagnosis::OddHttpAnswer(protocol(target, Box::new(err))),
        StreamableHttpError::Io(err) => match super::authorized::credential_failure(err) {
            Ok(failure) => Diagnosis::Known(UpstreamError::Credentials { id, err: failure.0 }),
            Err(_) => Diagnosis::Closed,
        },
        StreamableHttpError::TransportChannelClosed
        | StreamableHttpError::UnexpectedEndOfStream
        | StreamableHttpError::Sse(_) => Diagnosis::Closed,
        other => Diagnosis::Known(protocol(target, Box::new(other))),
    }
}

fn sse_send_error(target: &Target, err: SseSendError) -> Diagnosis {
    match err {
        SseSendError::Http(err) => Diagnosis::Known(reqwest_error(target, err)),
        SseSendError::Unauthorized { www_authenticate } => {
            Diagnosis::Known(UpstreamError::Unauthorized { id: target.id.clone(), www_authenticate })
        }
        SseSendError::Status { status, content_type } => Diagnosis::Known(UpstreamError::NotMcp {
            id: target.id.clone(),
            origin: origin(target),
            status,
            content_type,
            problem: super::error::NotMcpProblem::Status,
        }),
        SseSendError::Serialize(err) => Diagnosis::Known(protocol(target, Box::new(err))),
    }
}

/// A reqwest failure: refused, unreachable, TLS, or something else on the way.
pub(crate) fn reqwest_error(target: &Target, err: reqwest::Error) -> UpstreamError {
    let err = err.without_url();
    let id = target.id.clone();
    if let Some(refused) = crate::net::refused_redirect(&err) {
        return UpstreamError::Redirected { id, refused: refused.clone() };
    }
    let origin = origin(target);
    if chain(&err).any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
    }) {
        return UpstreamError::ConnectionRefused { id, origin };
    }
    if err.is_connect() && target.https && !err.is_dns() && !err.is_timeout() && looks_like_tls(&err) {
        return UpstreamError::Tls { id, origin, err };
    }
    if err.is_connect() || err.is_dns() || err.is_timeout() {
        return UpstreamError::Unreachable { id, origin, err };
    }
    if connection_lost(&err) {
        return UpstreamError::Disconnected { id };
    }
    UpstreamError::Protocol { id, err: Box::new(err) }
}

/// Whether the connection broke under the request (reset, closed before the answer was complete),
/// which says nothing about whether the server speaks MCP.
fn connection_lost(err: &reqwest::Error) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, UnexpectedEof};
    chain(err).any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|io| {
            matches!(io.kind(), ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof)
        }) || cause
            .downcast_ref::<hyper::Error>()
            .is_some_and(|h| h.is_incomplete_message() || h.is_closed() || h.is_canceled())
    })
}

/// Whether a connect failure happened in the TLS layer. rustls is not ours to name, so this goes
/// by what its errors say: it reports bad records and certificates as `InvalidData` I/O errors.
fn looks_like_tls(err: &reqwest::Error) -> bool {
    chain(err).any(|cause| {
        if cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::InvalidData)
        {
            return true;
        }
        let text = cause.to_string().to_ascii_lowercase();
        ["tls", "certificate", "handshake", "corrupt message"].iter().any(|word| text.contains(word))
    })
}

fn chain<'a>(err: &'a (dyn StdError + 'static)) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(err), |&cause: &&'a (dyn StdError + 'static)| cause.source())
}

fn origin(target: &Target) -> Origin {
    target.origin.clone().unwrap_or_else(Origin::unknown)
}

fn protocol(target: &Target, err: BoxError) -> UpstreamError {
    UpstreamError::Protocol { id: target.id.clone(), err }
}
