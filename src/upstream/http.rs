//! The HTTP side shared by both HTTP transports: the reqwest client that carries a profile's
//! headers and trusts its `ca_bundle`, rmcp's streamable HTTP transport on top of it, and a second look at an HTTP answer
//! that was not MCP, to say what it was.
//!
//! Header values are marked sensitive so that reqwest and hyper never print them, and redirects
//! to another origin are not followed ([`crate::net::same_origin_redirects`]), because our
//! headers, the session id and a 307/308's body would go along to a server the person never
//! named; such a redirect ends in [`UpstreamError::Redirected`]. `TCP_NODELAY` is on: without it some servers stall every call by tens of
//! milliseconds (Nagle plus delayed ACK).

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, WWW_AUTHENTICATE};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use url::Url;

use super::authorized::AuthorizedClient;
use super::classify::{Target, reqwest_error};
use super::error::{NotMcpProblem, UpstreamError};
use crate::secret::Secret;

/// The largest single message accepted from a server, over either HTTP transport.
pub(crate) const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;
/// How much of a body is read to tell what it is.
const PROBE_BODY_BYTES: usize = 64 * 1024;

/// A client that sends `headers` with every request.
/// How long an idle connection to an upstream is kept for the next request. Under the 5 s after
/// which Node's HTTP servers (most MCP servers) close an idle connection: reusing a connection
/// the server is closing at that moment fails the request with nothing to show for it.
pub(crate) const POOL_IDLE: Duration = Duration::from_secs(4);

pub(crate) fn client(
    target: &Target,
    headers: &[(String, Secret)],
    connect_timeout: Duration,
) -> Result<reqwest::Client, UpstreamError> {
    let mut map = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let invalid = || UpstreamError::InvalidHeader { id: target.id.clone(), name: name.clone() };
        let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
        // The value leaves its wrapper here, into a header marked sensitive.
        let mut header_value = HeaderValue::from_str(value.expose()).map_err(|_| invalid())?;
        header_value.set_sensitive(true);
        map.insert(header_name, header_value);
    }
    crate::net::client_builder_trusting(target.ca_bundle.as_ref())
        .map_err(|err| UpstreamError::Network { id: target.id.clone(), err })?
        .default_headers(map)
        .tcp_nodelay(true)
        .pool_idle_timeout(POOL_IDLE)
        .connect_timeout(connect_timeout)
        .redirect(crate::net::same_origin_redirects())
        .build()
        .map_err(|err| UpstreamError::HttpClient { id: target.id.clone(), err: err.without_url() })
}

/// rmcp's streamable HTTP client transport over `client`.
pub(super) fn streamable(
    client: AuthorizedClient,
    url: &Url,
) -> StreamableHttpClientTransport<AuthorizedClient> {
    let config =
        StreamableHttpClientTransportConfig::with_uri(url.as_str()).max_sse_event_size(MAX_MESSAGE_BYTES);
    StreamableHttpClientTransport::with_client(client, config)
}

/// Looks again at what `url` answers to an `initialize` POST, after rmcp could not use the answer,
/// to say what it was: a sign-in wall, an error page, a JSON that is not JSON-RPC. When the
/// answer looks like MCP after all, `fallback` (rmcp's own complaint) stands.
pub(super) async fn explain_answer(
    target: &Target,
    client: &AuthorizedClient,
    url: &Url,
    fallback: UpstreamError,
) -> UpstreamError {
    let probe = serde_json::json!({
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {
            "protocolVersion": rmcp::model::ProtocolVersion::LATEST_WITH_INITIALIZE.as_str(),
            "capabilities": {},
            "clientInfo": { "name": "lanyard", "version": env!("CARGO_PKG_VERSION") }
        }
    });
    let credentials = client.current_authorization(reqwest::Method::POST, url).await;
    let request = client
        .http()
        .post(url.as_str())
        .header(ACCEPT, "application/json, text/event-stream")
        .headers(credentials)
        .json(&probe);
    let sent = request.send().await;
    let response = match sent {
        Ok(response) => response,
        Err(err) => return reqwest_error(target, err),
    };
    let answer = Answer::of(&response);
    if let Some(err) = answer.refusal(target) {
        return err;
    }
    let looks_like_mcp = match answer.content_type.as_deref() {
        Some(ct) if ct.starts_with("text/event-stream") => true,
        Some(ct) if ct.starts_with("application/json") => {
            read_bounded(response, PROBE_BODY_BYTES).await.is_some_and(|body| is_json_rpc(&body))
        }
        _ => false,
    };
    if looks_like_mcp { fallback } else { answer.not_mcp(target, NotMcpProblem::Body) }
}

/// The parts of an HTTP answer that errors may name: status and content type.
pub(super) struct Answer {
    pub status: StatusCode,
    pub content_type: Option<String>,
    www_authenticate: Option<String>,
}

impl Answer {
    pub fn of(response: &reqwest::Response) -> Self {
        let text = |name| response.headers().get(name).and_then(|value: &HeaderValue| value.to_str().ok());
        Self {
            status: response.status(),
            content_type: text(CONTENT_TYPE).map(|ct| ct.chars().take(100).collect()),
            www_authenticate: text(WWW_AUTHENTICATE).map(str::to_owned),
        }
    }

    /// The error for a 401/403 or any other error status; `None` for a success.
    pub fn refusal(&self, target: &Target) -> Option<UpstreamError> {
        if matches!(self.status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            return Some(UpstreamError::Unauthorized {
                id: target.id.clone(),
                www_authenticate: self.www_authenticate.clone(),
            });
        }
        (!self.status.is_success()).then(|| self.not_mcp(target, NotMcpProblem::Status))
    }

    pub fn not_mcp(&self, target: &Target, problem: NotMcpProblem) -> UpstreamError {
        UpstreamError::NotMcp {
            id: target.id.clone(),
            origin: target.origin.clone().unwrap_or_else(super::error::Origin::unknown),
            status: self.status.as_u16(),
            content_type: self.content_type.clone(),
            problem,
        }
    }
}

/// Reads at most `limit` bytes of a body; `None` if it is longer or breaks off.
pub(crate) async fn read_bounded(mut response: reqwest::Response, limit: usize) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.ok()? {
        if body.len() + chunk.len() > limit {
            return None;
        }
        body.extend_from_slice(&chunk);
    }
    Some(body)
}

/// Whether `body` is a JSON-RPC 2.0 message (or a batch of them).
fn is_json_rpc(body: &[u8]) -> bool {
    let is_message = |value: &serde_json::Value| value.get("jsonrpc").and_then(|v| v.as_str()) == Some("2.0");
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Array(items)) => !items.is_empty() && items.iter().all(is_message),
        Ok(value) => is_message(&value),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_rpc_is_told_from_other_json() {
        assert!(is_json_rpc(br#"{"jsonrpc":"2.0","id":1,"result":{}}"#), "a response is JSON-RPC");
        assert!(!is_json_rpc(br#"{"error":"not found"}"#), "a plain JSON error is not JSON-RPC");
        assert!(!is_json_rpc(b"<html></html>"), "HTML is not JSON-RPC");
        assert!(!is_json_rpc(b"[]"), "an empty batch is not a message");
    }
}
