//! The legacy HTTP+SSE transport (MCP 2024-11-05), which rmcp no longer ships a client for.
//!
//! The client GETs the SSE URL and waits for an `endpoint` event naming where to POST; every
//! message from the server then arrives as a `message` event on that one stream. The endpoint
//! must be on the SSE URL's origin: the profile's headers go with every POST, and a server must
//! not be able to send them elsewhere. Events are capped in size, so a broken or hostile server
//! cannot make us buffer without end.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::{Stream, StreamExt};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE};
use rmcp::RoleClient;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::Transport;
use sse_stream::{Sse, SseByteStream};
use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, DropGuard};
use tracing::{debug, warn};
use url::Url;

use super::classify::{Target, reqwest_error};
use super::error::{NotMcpProblem, Origin, SseEndpointProblem, SseSendError, UpstreamError};
use super::http::{Answer, MAX_MESSAGE_BYTES, read_bounded};

/// How much of a POST's answer is read (and dropped) so the connection can be reused.
const POST_ANSWER_BYTES: usize = 64 * 1024;
/// Messages waiting for rmcp before the reader stops reading the stream.
const INCOMING_BUFFER: usize = 64;

pub(crate) type Events = Pin<Box<dyn Stream<Item = Result<Sse, sse_stream::Error>> + Send>>;

/// A connected legacy SSE session: the event stream being read, and where to POST.
pub(super) struct SseTransport {
    client: reqwest::Client,
    endpoint: Arc<Url>,
    incoming: mpsc::Receiver<ServerJsonRpcMessage>,
    stop_reader: Option<DropGuard>,
}

/// Why the event stream could not be read.
#[derive(Debug, thiserror::Error)]
enum StreamError {
    #[error("{0}")]
    Http(#[source] reqwest::Error),
    #[error("an event was larger than {max} bytes")]
    TooLarge { max: usize },
}

impl From<reqwest::Error> for StreamError {
    fn from(err: reqwest::Error) -> Self {
        Self::Http(err.without_url())
    }
}

/// Opens the event stream at `url` and waits for the server to name its message endpoint.
pub(super) async fn connect(
    target: &Target,
    client: reqwest::Client,
    url: &Url,
) -> Result<SseTransport, UpstreamError> {
    warn!(
        source = %target.id,
        "this source uses the legacy HTTP+SSE transport (MCP 2024-11-05), which the MCP spec deprecates; switch it to `http` (streamable HTTP) once the server offers it"
    );
    let response = stream_request(&client, url).send().await.map_err(|err| reqwest_error(target, err))?;
    let (endpoint, events) = open_events(target, url, response).await?;

    let (incoming_tx, incoming) = mpsc::channel(INCOMING_BUFFER);
    let stop = CancellationToken::new();
    tokio::spawn(read_messages(target.clone(), events, incoming_tx, stop.clone()));
    Ok(SseTransport { client, endpoint: Arc::new(endpoint), incoming, stop_reader: Some(stop.drop_guard()) })
}

/// The GET that opens a legacy SSE session's event stream.
pub(crate) fn stream_request(client: &reqwest::Client, url: &Url) -> reqwest::RequestBuilder {
    client.get(url.as_str()).header(ACCEPT, "text/event-stream").header(CACHE_CONTROL, "no-cache")
}

/// Checks the answer to [`stream_request`] and reads its events up to the `endpoint` one:
/// the message endpoint (on the SSE URL's origin) and the events that follow, each within
/// [`MAX_MESSAGE_BYTES`]. The bridge uses this too, handling the messages as raw bytes.
pub(crate) async fn open_events(
    target: &Target,
    url: &Url,
    response: reqwest::Response,
) -> Result<(Url, Events), UpstreamError> {
    let answer = Answer::of(&response);
    if let Some(err) = answer.refusal(target) {
        return Err(err);
    }
    if !answer.content_type.as_deref().is_some_and(|ct| ct.starts_with("text/event-stream")) {
        return Err(answer.not_mcp(target, NotMcpProblem::Body));
    }
    let mut events = events_of(response.bytes_stream(), MAX_MESSAGE_BYTES);
    let endpoint = endpoint_of(target, url, &mut events).await?;
    debug!("the SSE server named its message endpoint");
    Ok((endpoint, events))
}

/// Decodes a body into events, refusing any event over `max` bytes. The count runs over the
/// bytes read since the last complete event, so the decoder's buffer stays within `max` plus one
/// network chunk.
fn events_of<S, B, E>(body: S, max: usize) -> Events
where
    S: Stream<Item = Result<B, E>> + Send + 'static,
    B: AsRef<[u8]> + Send + 'static,
    E: Into<StreamError>,
{
    let since_event = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&since_event);
    let bytes = body.map(move |chunk| {
        let chunk = chunk.map_err(Into::into)?;
        let len = chunk.as_ref().len();
        if counter.fetch_add(len, Ordering::Relaxed) + len > max {
            return Err(StreamError::TooLarge { max });
        }
        Ok(std::io::Cursor::new(chunk))
    });
    Box::pin(SseByteStream::new(bytes).inspect(move |event| {
        if event.is_ok() {
            since_event.store(0, Ordering::Relaxed);
        }
    }))
}

/// Reads events up to the `endpoint` one and resolves its URL against the SSE URL.
async fn endpoint_of(target: &Target, sse_url: &Url, events: &mut Events) -> Result<Url, UpstreamError> {
    let origin = Origin::of(sse_url);
    let problem =
        |problem| UpstreamError::SseEndpoint { id: target.id.clone(), origin: origin.clone(), problem };
    let data = loop {
        match events.next().await {
            Some(Ok(event)) if event.event.as_deref() == Some("endpoint") => {
                break event.data.unwrap_or_default();
            }
            Some(Ok(_)) => continue,
            Some(Err(err)) => {
                debug!(%err, "the SSE stream broke before the endpoint event");
                return Err(problem(SseEndpointProblem::Missing));
            }
            None => return Err(problem(SseEndpointProblem::Missing)),
        }
    };
    let endpoint = sse_url.join(data.trim()).map_err(|_| problem(SseEndpointProblem::Invalid))?;
    if !matches!(endpoint.scheme(), "http" | "https") {
        return Err(problem(SseEndpointProblem::Invalid));
    }
    if endpoint.origin() != sse_url.origin() {
        return Err(problem(SseEndpointProblem::OtherOrigin(Origin::of(&endpoint))));
    }
    Ok(endpoint)
}

/// Forwards `message` events to rmcp until the stream ends, breaks, or `stop` fires. Ending
/// drops `incoming`, which rmcp sees as the transport closing.
async fn read_messages(
    target: Target,
    mut events: Events,
    incoming: mpsc::Sender<ServerJsonRpcMessage>,
    stop: CancellationToken,
) {
    loop {
        let event = tokio::select! {
            _ = stop.cancelled() => return,
            event = events.next() => event,
        };
        let event = match event {
            Some(Ok(event)) => event,
            Some(Err(err)) => {
                warn!(source = %target.id, %err, "the SSE stream broke; the connection is closed");
                return;
            }
            None => {
                debug!(source = %target.id, "the SSE stream ended");
                return;
            }
        };
        match event.event.as_deref() {
            None | Some("message") => {}
            Some("endpoint") => {
                debug!(source = %target.id, "ignored a second endpoint event");
                continue;
            }
            Some(_) => continue,
        }
        let Some(data) = event.data else { continue };
        match serde_json::from_str::<ServerJsonRpcMessage>(&data) {
            Ok(message) => {
                if incoming.send(message).await.is_err() {
                    return;
                }
            }
            // The parse error names a line and column, never the content.
            Err(err) => warn!(source = %target.id, %err, "skipped an SSE message that is not JSON-RPC"),
        }
    }
}

/// POSTs one message to the endpoint. The answer comes later on the event stream.
async fn post(
    client: reqwest::Client,
    endpoint: Arc<Url>,
    message: ClientJsonRpcMessage,
) -> Result<(), SseSendError> {
    let body = serde_json::to_vec(&message).map_err(SseSendError::Serialize)?;
    let response = client
        .post(endpoint.as_str())
        .header(CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .map_err(|err| SseSendError::Http(err.without_url()))?;
    let answer = Answer::of(&response);
    if matches!(answer.status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        let www_authenticate = response
            .headers()
            .get(reqwest::header::WWW_AUTHENTICATE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        return Err(SseSendError::Unauthorized { www_authenticate });
    }
    if !answer.status.is_success() {
        return Err(SseSendError::Status {
            status: answer.status.as_u16(),
            content_type: answer.content_type,
        });
    }
    // Read the (normally tiny) answer so the connection goes back to the pool.
    let _ = read_bounded(response, POST_ANSWER_BYTES).await;
    Ok(())
}

impl Transport<RoleClient> for SseTransport {
    type Error = SseSendError;

    fn send(
        &mut self,
        item: ClientJsonRpcMessage,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        post(self.client.clone(), Arc::clone(&self.endpoint), item)
    }

    fn receive(&mut self) -> impl Future<Output = Option<ServerJsonRpcMessage>> + Send {
        self.incoming.recv()
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        // Dropping the guard stops the reader, which ends the GET and with it the session.
        self.stop_reader.take();
        self.incoming.close();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target { id: "legacy".parse().expect("a valid id"), origin: None, https: false, ca_bundle: None }
    }

    fn events(chunks: &'static [&'static str]) -> Events {
        events_of(
            futures::stream::iter(chunks.iter().map(|chunk| Ok::<_, StreamError>(chunk.as_bytes()))),
            64,
        )
    }

    #[tokio::test]
    async fn oversized_event_ends_the_stream_with_an_error() {
        let mut stream = events(&[
            "data: short\n\n",
            "data: ",
            "0123456789",
            "0123456789",
            "0123456789",
            "0123456789",
            "0123456789",
            "0123456789",
            "x\n\n",
        ]);
        let first = stream.next().await.expect("an event").expect("a small event passes");
        assert_eq!(first.data.as_deref(), Some("short"), "the first event is within the limit");
        let second = stream.next().await.expect("an item");
        assert!(second.is_err(), "an event over 64 bytes must be refused, got {second:?}");
    }

    #[tokio::test]
    async fn many_small_events_pass_a_small_limit() {
        let mut stream = events(&[
            "data: aaaaaaaaaaaaaaaaaaaa\n\n",
            "data: bbbbbbbbbbbbbbbbbbbb\n\n",
            "data: cccccccccccccccccccc\n\n",
            "data: dddddddddddddddddddd\n\n",
        ]);
        let mut count = 0;
        while let Some(event) = stream.next().await {
            event.expect("each event is under the limit");
            count += 1;
        }
        assert_eq!(count, 4, "the limit counts per event, not per stream");
    }

    #[tokio::test]
    async fn endpoint_is_resolved_against_the_sse_url() {
        let sse = Url::parse("http://127.0.0.1:9/base/sse").expect("a URL");
        let mut stream = events(&[": comment\n\n", "event: endpoint\ndata: /message?sessionId=abc\n\n"]);
        let endpoint = endpoint_of(&target(), &sse, &mut stream).await.expect("an endpoint");
        assert_eq!(
            endpoint.as_str(),
            "http://127.0.0.1:9/message?sessionId=abc",
            "a path is relative to the SSE URL"
        );
    }

    #[tokio::test]
    async fn endpoint_on_another_origin_is_refused() {
        let sse = Url::parse("http://127.0.0.1:9/sse").expect("a URL");
        let mut stream = events(&["event: endpoint\ndata: http://evil.example/message\n\n"]);
        let err =
            endpoint_of(&target(), &sse, &mut stream).await.expect_err("another origin must be refused");
        assert!(
            matches!(err, UpstreamError::SseEndpoint { problem: SseEndpointProblem::OtherOrigin(_), .. }),
            "expected OtherOrigin, got {err:?}"
        );
    }

    #[tokio::test]
    async fn stream_without_endpoint_is_reported() {
        let sse = Url::parse("http://127.0.0.1:9/sse").expect("a URL");
        let mut stream = events(&["data: {}\n\n"]);
        let err = endpoint_of(&target(), &sse, &mut stream).await.expect_err("no endpoint event");
        assert!(
            matches!(err, UpstreamError::SseEndpoint { problem: SseEndpointProblem::Missing, .. }),
            "got {err:?}"
        );
    }
}
