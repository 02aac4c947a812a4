//! The seam where a source's credentials meet rmcp's streamable HTTP client: every request the
//! client makes (the handshake, each call, the event stream, the session's end) asks an
//! [`Authorizer`] for the credentials it carries, so a session outlives its tokens: the
//! `Authorization` header, and for a DPoP-bound token a proof made for that one request.
//!
//! A connection is long-lived (the merged server keeps one per source for hours), while an
//! access token lives minutes to an hour. A token fixed when the connection opened would stop
//! working at its first expiry; asking per request lets the credential component renew ahead of
//! expiry in the background and hand out the current token. A `401` to a token Lanyard added is
//! answered by one renewal and one retry, the same rule the HTTP forward follows. A `403
//! insufficient_scope` is passed on unchanged: a step-up needs the person, not a renewal.
//!
//! A `401` that refuses a DPoP proof rather than the token (`use_dpop_nonce`, RFC 9449 9) is
//! answered by one more try with a fresh proof carrying the server's nonce. rmcp keeps only the
//! `WWW-Authenticate` of such an answer, not its `DPoP-Nonce`, so the nonce is learned from a
//! `ping` sent beside rmcp's request, whose answer is read here and otherwise dropped: harmless
//! to the server, and only when a server asks for a nonce Lanyard does not have yet.
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
use reqwest::Method;
use reqwest::header::{ACCEPT, HeaderMap, HeaderName, HeaderValue};
use rmcp::model::ClientJsonRpcMessage;
use rmcp::transport::streamable_http_client::{
    SseError, StreamableHttpClient, StreamableHttpError, StreamableHttpPostResponse,
    StreamableHttpResponseLimits,
};
use rmcp_sse_stream::Sse;
use url::Url;

use crate::oauth::dpop;
use crate::secret::Secret;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The credentials of one request: the token it carries, and the headers that present it
/// (`Authorization`, and for a DPoP-bound token the `DPoP` proof made for this request).
#[derive(Clone)]
pub struct Authorization {
    pub token: Secret,
    pub headers: HeaderMap,
}

/// Where an HTTP upstream's requests get their credentials.
pub trait Authorizer: Send + Sync + 'static {
    /// The credentials of the next request, `method` to `url`; `None` to send none. Asked again
    /// for a retry: a DPoP proof is good for one request only.
    fn authorize(&self, method: Method, url: Url) -> BoxFuture<'_, Result<Option<Authorization>, BoxError>>;

    /// Credentials with a token other than `refused`, which the server has just answered `401`
    /// to, for a request `method` to `url`.
    fn renew(
        &self,
        refused: Secret,
        method: Method,
        url: Url,
    ) -> BoxFuture<'_, Result<Authorization, BoxError>>;
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

    /// The credentials a `method` request to `url` would carry, if they can be had: for a second
    /// look at an answer, which must reach the server as the failed request did.
    pub async fn current_authorization(&self, method: Method, url: &Url) -> HeaderMap {
        let Some(authorizer) = &self.authorizer else { return HeaderMap::new() };
        match authorizer.authorize(method, url.clone()).await {
            Ok(Some(authorization)) => authorization.headers,
            _ => HeaderMap::new(),
        }
    }

    /// Sends a `method` request to `uri` with the current credentials (`send` adds them to the
    /// request's own `headers`); after a `401` that refuses the DPoP proof, once more with a
    /// fresh one; after a `401` to the token, once more with a renewed one. `session` is the
    /// request's session id, for the `ping` that learns a nonce.
    async fn authorized<T, F, Fut>(
        &self,
        method: Method,
        uri: &str,
        session: Option<&Arc<str>>,
        headers: &HashMap<HeaderName, HeaderValue>,
        send: F,
    ) -> Result<T, HttpError>
    where
        F: Fn(HashMap<HeaderName, HeaderValue>) -> Fut,
        Fut: Future<Output = Result<T, HttpError>>,
    {
        let (Some(authorizer), Ok(url)) = (&self.authorizer, Url::parse(uri)) else {
            return send(headers.clone()).await;
        };
        let with = |authorization: &Authorization| {
            let mut all = headers.clone();
            all.extend(authorization.headers.iter().map(|(name, value)| (name.clone(), value.clone())));
            all
        };
        let first = authorizer.authorize(method.clone(), url.clone()).await.map_err(failure)?;
        let Some(mut current) = first else { return send(headers.clone()).await };
        let (mut reproved, mut renewed) = (false, false);
        loop {
            let sent = send(with(&current)).await;
            let Err(StreamableHttpError::AuthRequired(refusal)) = &sent else { return sent };
            let proved = current.headers.contains_key(dpop::PROOF_HEADER);
            if proved && !reproved && dpop::refuses_proof([refusal.www_authenticate_header.as_str()]) {
                tracing::debug!("the server refused the DPoP proof; once more with a fresh one");
                reproved = true;
                self.learn_nonce(authorizer.as_ref(), &url, session, headers).await?;
                match authorizer.authorize(method.clone(), url.clone()).await.map_err(failure)? {
                    Some(fresh) => current = fresh,
                    None => return sent,
                }
                continue;
            }
            if renewed {
                return sent;
            }
            tracing::debug!("the server refused the token; renewing it once");
            renewed = true;
            current = authorizer
                .renew(current.token.clone(), method.clone(), url.clone())
                .await
                .map_err(failure)?;
        }
    }

    /// Learns the DPoP nonce the server at `url` wants, from its answer to a `ping` (see the
    /// module doc): rmcp does not pass that answer header on.
    async fn learn_nonce(
        &self,
        authorizer: &dyn Authorizer,
        url: &Url,
        session: Option<&Arc<str>>,
        headers: &HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), HttpError> {
        let Some(authorization) = authorizer.authorize(Method::POST, url.clone()).await.map_err(failure)?
        else {
            return Ok(());
        };
        let ping = serde_json::json!({ "jsonrpc": "2.0", "id": "lanyard-dpop-nonce", "method": "ping" });
        let mut request = self
            .http
            .post(url.as_str())
            .header(ACCEPT, "application/json, text/event-stream")
            .headers(headers.iter().map(|(name, value)| (name.clone(), value.clone())).collect())
            .headers(authorization.headers)
            .json(&ping);
        if let Some(session) = session {
            request = request.header("Mcp-Session-Id", session.as_ref());
        }
        if let Ok(answer) = request.send().await {
            dpop::remember_nonce(url, answer.headers());
        }
        Ok(())
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
            .authorized(Method::POST, &uri, session_id.as_ref(), &custom_headers, |headers| {
                self.http.post_message_with_response_limits(
                    Arc::clone(&uri),
                    message.clone(),
                    session_id.clone(),
                    None,
                    headers,
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
        self.authorized(Method::DELETE, &uri, Some(&session_id), &custom_headers, |headers| {
            self.http.delete_session(Arc::clone(&uri), Arc::clone(&session_id), None, headers)
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
            .authorized(Method::GET, &uri, session_id.as_ref(), &custom_headers, |headers| {
                self.http.get_stream_with_max_sse_event_size(
                    Arc::clone(&uri),
                    session_id.clone(),
                    last_event_id.clone(),
                    None,
                    headers,
                    max_sse_event_size,
                )
            })
            .await;
        self.note_stream(last_event_id.as_ref(), answer)
    }
}
