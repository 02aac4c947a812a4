//! The seam where a source's credentials meet rmcp's streamable HTTP client: every request the
//! client makes (the handshake, each call, the event stream, the session's end) asks an
//! [`Authorizer`] for the bearer token it carries, so a session outlives its tokens.
//!
//! A connection is long-lived (the merged server keeps one per source for hours), while an
//! access token lives minutes to an hour. A token fixed when the connection opened would stop
//! working at its first expiry; asking per request lets the credential component renew ahead of
//! expiry in the background and hand out the current token. A `401` to a token Lanyard added is
//! answered by one renewal and one retry, the same rule the HTTP forward follows. A `403
//! insufficient_scope` is passed on unchanged: a step-up needs the person, not a renewal.
//!
//! rmcp's error type is non-exhaustive, so a client of our own cannot carry its own error type
//! through it without losing rmcp's variants. A credential failure (sign-in needed, keychain
//! locked) therefore travels as an I/O error wrapping a [`CredentialFailure`], which
//! `classify` takes out again before anything else looks at the error.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use reqwest::header::{HeaderName, HeaderValue};
use rmcp::model::ClientJsonRpcMessage;
use rmcp::transport::streamable_http_client::{
    SseError, StreamableHttpClient, StreamableHttpError, StreamableHttpPostResponse,
    StreamableHttpResponseLimits,
};
use rmcp_sse_stream::Sse;

use crate::secret::Secret;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Where an HTTP upstream's requests get their bearer token.
pub trait Authorizer: Send + Sync + 'static {
    /// The token for the next request; `None` to send none.
    fn bearer(&self) -> BoxFuture<'_, Result<Option<Secret>, BoxError>>;

    /// A token other than `refused`, which the server has just answered `401` to.
    fn renew(&self, refused: Secret) -> BoxFuture<'_, Result<Secret, BoxError>>;
}

/// Why a request was not sent: its credentials could not be had. Carries the credential
/// component's own error, which says what to do.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct CredentialFailure(pub BoxError);

/// rmcp's reqwest client with a bearer token from an [`Authorizer`] on every request.
#[derive(Clone)]
pub(crate) struct AuthorizedClient {
    http: reqwest::Client,
    authorizer: Option<Arc<dyn Authorizer>>,
    /// Where the session's standalone event stream (the GET rmcp opens after the handshake of a
    /// session with an id) stands.
    standalone: Arc<tokio::sync::watch::Sender<Standalone>>,
}

/// The standalone event stream of an HTTP session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standalone {
    /// No session id seen: there will be no such stream.
    NotExpected,
    /// The server gave a session id, so rmcp will open the stream.
    Expected,
    /// The server answered the stream's GET, opening it or not.
    Answered,
}

type HttpError = StreamableHttpError<reqwest::Error>;

impl AuthorizedClient {
    pub fn new(http: reqwest::Client, authorizer: Option<Arc<dyn Authorizer>>) -> Self {
        let standalone = Arc::new(tokio::sync::watch::channel(Standalone::NotExpected).0);
        Self { http, authorizer, standalone }
    }

    /// Waits at most `limit` for the server to answer the session's standalone event stream.
    /// A server may send a request there the moment a call arrives, and some (the TypeScript
    /// SDK's) drop it when that stream is not open yet, leaving the call to wait for an answer to
    /// a question that never came.
    /// A session without an id has no such stream: no wait.
    pub async fn standalone_answered(&self, limit: std::time::Duration) -> bool {
        let mut stream = self.standalone.subscribe();
        let waited = stream.wait_for(|stream| *stream != Standalone::Expected);
        matches!(tokio::time::timeout(limit, waited).await, Ok(Ok(_)))
    }

    /// Notes a session id in a POST's answer: the standalone stream will follow.
    fn note_post(
        &self,
        answer: Result<StreamableHttpPostResponse, HttpError>,
    ) -> Result<StreamableHttpPostResponse, HttpError> {
        if let Ok(
            StreamableHttpPostResponse::Json(_, Some(_)) | StreamableHttpPostResponse::Sse(_, Some(_)),
        ) = &answer
        {
            self.standalone.send_if_modified(|stream| {
                let first = *stream == Standalone::NotExpected;
                if first {
                    *stream = Standalone::Expected;
                }
                first
            });
        }
        answer
    }

    /// Notes the answer to the standalone stream's GET (the one without a `Last-Event-ID`).
    fn note_stream<T>(&self, last_event_id: Option<&String>, answer: T) -> T {
        if last_event_id.is_none() {
            self.standalone.send_replace(Standalone::Answered);
        }
        answer
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The token the next request would carry, if it can be had: for a second look at an answer,
    /// which must reach the server as the failed request did.
    pub async fn current_bearer(&self) -> Option<Secret> {
        self.authorizer.as_ref()?.bearer().await.ok().flatten()
    }

    /// Sends with the current token; after a `401` to it, once more with a renewed one.
    async fn authorized<T, F, Fut>(&self, send: F) -> Result<T, HttpError>
    where
        F: Fn(Option<String>) -> Fut,
        Fut: Future<Output = Result<T, HttpError>>,
    {
        let Some(authorizer) = &self.authorizer else { return send(None).await };
        let token = authorizer.bearer().await.map_err(failure)?;
        let sent = send(token.as_ref().map(|token| token.expose().to_owned())).await;
        match (sent, token) {
            (Err(StreamableHttpError::AuthRequired(_)), Some(refused)) => {
                tracing::debug!("the server refused the token; renewing it once");
                let renewed = authorizer.renew(refused).await.map_err(failure)?;
                send(Some(renewed.expose().to_owned())).await
            }
            (sent, _) => sent,
        }
    }
}

fn failure(err: BoxError) -> HttpError {
    StreamableHttpError::Io(std::io::Error::other(CredentialFailure(err)))
}

/// The credential failure inside an I/O error made by [`failure`], if it is one.
pub(super) fn credential_failure(err: std::io::Error) -> Result<CredentialFailure, std::io::Error> {
    if err.get_ref().is_some_and(|inner| inner.is::<CredentialFailure>()) {
        let inner = err.into_inner().expect("checked above");
        return Ok(*inner.downcast::<CredentialFailure>().expect("checked above"));
    }
    Err(err)
}

impl StreamableHttpClient for AuthorizedClient {
    type Error = reqwest::Error;

    // rmcp sends with the `*_with_*` methods, which carry its transport-wide size limits; the
    // plain ones the trait requires use the default limits.
    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<StreamableHttpPostResponse, HttpError> {
        let limits = StreamableHttpResponseLimits::default();
        self.post_message_with_response_limits(uri, message, session_id, auth_header, custom_headers, limits)
            .await
    }

    async fn post_message_with_response_limits(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        _auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        limits: StreamableHttpResponseLimits,
    ) -> Result<StreamableHttpPostResponse, HttpError> {
        let answer = self
            .authorized(|token| {
                self.http.post_message_with_response_limits(
                    Arc::clone(&uri),
                    message.clone(),
                    session_id.clone(),
                    token,
                    custom_headers.clone(),
                    limits,
                )
            })
            .await;
        self.note_post(answer)
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        _auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), HttpError> {
        self.authorized(|token| {
            self.http.delete_session(Arc::clone(&uri), Arc::clone(&session_id), token, custom_headers.clone())
        })
        .await
    }

    async fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<BoxStream<'static, Result<Sse, SseError>>, HttpError> {
        let limit = StreamableHttpResponseLimits::default().max_sse_event_size;
        self.get_stream_with_max_sse_event_size(
            uri,
            session_id,
            last_event_id,
            auth_header,
            custom_headers,
            limit,
        )
        .await
    }

    async fn get_stream_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        _auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<BoxStream<'static, Result<Sse, SseError>>, HttpError> {
        let answer = self
            .authorized(|token| {
                self.http.get_stream_with_max_sse_event_size(
                    Arc::clone(&uri),
                    session_id.clone(),
                    last_event_id.clone(),
                    token,
                    custom_headers.clone(),
                    max_sse_event_size,
                )
            })
            .await;
        self.note_stream(last_event_id.as_ref(), answer)
    }
}
