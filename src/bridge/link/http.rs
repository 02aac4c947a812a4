//! A raw streamable HTTP client at the message level, for a stdio agent talking to an HTTP
//! upstream.
//!
//! Each agent message is POSTed as it came (`Accept: application/json, text/event-stream`); the
//! answer is a JSON body or an event stream whose events are handed to the agent as they arrive.
//! The upstream's `Mcp-Session-Id` and the negotiated `MCP-Protocol-Version` go with every later
//! request. A 2026-07-28 agent has no `initialize`: each of its requests names the revision in
//! `_meta`, and that revision becomes the header, with the SEP-2243 `Mcp-Method` and `Mcp-Name`
//! the server checks against the body, and the `Mcp-Param-*` of a tool whose schema (learned from
//! the `tools/list` answers passing back) marks arguments with `x-mcp-header`. After
//! `notifications/initialized` a GET stream carries server-initiated messages when the server
//! offers one; closing DELETEs the session. `initialize` is awaited before anything else
//! is sent (its answer names the session); every other POST runs on its own task, so slow calls
//! do not hold up fast ones. SourceCredentials come from [`SourceCredentials::send`] per request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue, WWW_AUTHENTICATE};
use serde_json::Value;
use tokio_util::sync::{CancellationToken, DropGuard};
use tracing::debug;
use url::Url;

use super::super::BridgeError;
use super::super::inflight::Shared;
use super::super::jsonrpc::{IdKey, Peeked, peek};
use crate::credentials::{Sent, SourceCredentials};
use crate::profile::Resolved;
use crate::upstream::{MAX_MESSAGE_BYTES, NotMcpProblem, Origin, Target, UpstreamError, reqwest_error};

pub(crate) const SESSION_ID: &str = "mcp-session-id";
pub(crate) const PROTOCOL_VERSION: &str = "mcp-protocol-version";
const ACCEPT_BOTH: &str = "application/json, text/event-stream";
const MCP_METHOD: &str = "mcp-method";
const MCP_NAME: &str = "mcp-name";
/// The first revision without `initialize`, whose requests carry SEP-2243 headers (ISO dates
/// compare as text).
const STANDARD_HEADERS_SINCE: &str = "2026-07-28";
const DELETE_GRACE: Duration = Duration::from_secs(2);

pub(crate) struct HttpLink {
    inner: Arc<Inner>,
    _stop: DropGuard,
}

struct Inner {
    target: Target,
    url: Url,
    client: reqwest::Client,
    credentials: Arc<SourceCredentials>,
    shared: Arc<Shared>,
    generation: u64,
    session: Mutex<Session>,
    /// Per tool, the arguments its schema marks with `x-mcp-header`.
    param_headers: Mutex<HashMap<String, Vec<Marked>>>,
    stop: CancellationToken,
}

/// An argument marked with `x-mcp-header`: its path from the arguments' root, and the header
/// name (without `Mcp-Param-`).
type Marked = (Vec<String>, String);

#[derive(Default, Clone)]
struct Session {
    id: Option<HeaderValue>,
    protocol: Option<HeaderValue>,
}

impl Session {
    /// Whether the session's revision wants the SEP-2243 headers (ISO dates compare as text).
    fn wants_standard_headers(&self) -> bool {
        self.protocol.as_ref().is_some_and(|v| v.as_bytes() >= STANDARD_HEADERS_SINCE.as_bytes())
    }
}

impl HttpLink {
    pub fn open(
        resolved: &Resolved,
        url: Url,
        client: reqwest::Client,
        credentials: Arc<SourceCredentials>,
        shared: Arc<Shared>,
        generation: u64,
    ) -> Self {
        let stop = CancellationToken::new();
        let inner = Inner {
            target: crate::upstream::target_of(resolved),
            url,
            client,
            credentials,
            shared,
            generation,
            session: Mutex::new(Session::default()),
            param_headers: Mutex::default(),
            stop: stop.clone(),
        };
        HttpLink { inner: Arc::new(inner), _stop: stop.drop_guard() }
    }

    pub async fn send(&self, raw: Bytes, peeked: &[Peeked]) -> Result<(), BridgeError> {
        let initialize =
            peeked.iter().find(|p| p.is_request() && p.method_is("initialize")).and_then(Peeked::request_key);
        let initialized = peeked.iter().any(|p| p.method_is("notifications/initialized"));
        let requests: Vec<IdKey> = peeked.iter().filter_map(Peeked::request_key).collect();
        let inner = Arc::clone(&self.inner);
        let standard = inner.standard_headers(&raw, peeked);
        if initialize.is_some() {
            inner.post(raw, requests, initialize, standard).await;
            return Ok(());
        }
        tokio::spawn(async move {
            inner.post(raw, requests, None, standard).await;
            if initialized {
                inner.listen().await;
            }
        });
        Ok(())
    }

    pub async fn close(self) {
        let inner = Arc::clone(&self.inner);
        drop(self); // stops the GET stream and in-flight posts
        inner.delete().await;
    }
}

impl Inner {
    fn id(&self) -> &crate::ids::SourceId {
        &self.target.id
    }

    /// Sends one request with the session, the protocol version and fresh credentials; `build`
    /// gets those headers (see [`SourceCredentials::send`] for the renewal on a 401).
    async fn send(
        &self,
        method: reqwest::Method,
        build: impl Fn(HeaderMap) -> reqwest::RequestBuilder,
    ) -> Result<Sent, BridgeError> {
        let session = self.session.lock().expect("session lock").clone();
        let mut headers = HeaderMap::new();
        if let Some(id) = session.id {
            headers.insert(SESSION_ID, id);
        }
        if let Some(protocol) = session.protocol {
            headers.insert(PROTOCOL_VERSION, protocol);
        }
        self.credentials
            .send(&method, &self.url, |credentials| {
                let mut all = headers.clone();
                all.extend(credentials);
                build(all).send()
            })
            .await
            .map_err(BridgeError::from)
    }

    /// The headers a 2026-07-28 message carries over HTTP (SEP-2243): its revision (kept as the
    /// session's, for the notifications that name none), `Mcp-Method` and `Mcp-Name`. Empty for
    /// the `initialize` era and for a batch, which 2026-07-28 does not have.
    fn standard_headers(&self, raw: &[u8], peeked: &[Peeked]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let [message] = peeked else { return headers };
        let mut session = self.session.lock().expect("session lock");
        if let Some(version) = message.protocol_version.as_deref()
            && version >= STANDARD_HEADERS_SINCE
            && let Ok(value) = HeaderValue::from_str(version)
        {
            session.protocol = Some(value);
        }
        if !session.wants_standard_headers() {
            return headers;
        }
        if let Some(method) = message.method.as_deref().and_then(|m| HeaderValue::from_str(m).ok()) {
            headers.insert(MCP_METHOD, method);
        }
        if let Some(name) = message.name.as_deref().and_then(|n| HeaderValue::from_str(&header_text(n)).ok())
        {
            headers.insert(MCP_NAME, name);
        }
        drop(session);
        if message.method_is("tools/call")
            && let Some(tool) = message.name.as_deref()
        {
            self.add_param_headers(tool, raw, &mut headers);
        }
        headers
    }

    /// Adds `Mcp-Param-<header>` for each argument of `tool` its schema marks, as the call in
    /// `raw` gives it (a string, number or boolean; other values and absent ones get none).
    fn add_param_headers(&self, tool: &str, raw: &[u8], headers: &mut HeaderMap) {
        let marked = self.param_headers.lock().expect("param headers lock").get(tool).cloned();
        let Some(marked) = marked else { return };
        let Ok(call) = serde_json::from_slice::<Value>(raw) else { return };
        let Some(arguments) = call.pointer("/params/arguments") else { return };
        for (path, header) in marked {
            let value = path.iter().try_fold(arguments, |value, key| value.get(key));
            let text = match value {
                Some(Value::String(text)) => text.clone(),
                Some(value @ (Value::Number(_) | Value::Bool(_))) => value.to_string(),
                _ => continue,
            };
            let name = reqwest::header::HeaderName::from_bytes(format!("mcp-param-{header}").as_bytes());
            if let (Ok(name), Ok(value)) = (name, HeaderValue::from_str(&header_text(&text))) {
                headers.insert(name, value);
            }
        }
    }

    /// Learns, from an answer listing tools, which arguments travel in `Mcp-Param-*` headers.
    /// Only answers that mention `x-mcp-header` are parsed.
    fn learn_param_headers(&self, raw: &[u8]) {
        const MARK: &[u8] = b"x-mcp-header";
        if !raw.windows(MARK.len()).any(|window| window == MARK) {
            return;
        }
        let Ok(answer) = serde_json::from_slice::<Value>(raw) else { return };
        let Some(tools) = answer.pointer("/result/tools").and_then(Value::as_array) else { return };
        let mut known = self.param_headers.lock().expect("param headers lock");
        for tool in tools {
            let Some(name) = tool.get("name").and_then(Value::as_str) else { continue };
            let mut marked = Vec::new();
            collect_marked(tool.pointer("/inputSchema/properties"), &mut Vec::new(), &mut marked);
            if !marked.is_empty() {
                known.insert(name.to_owned(), marked);
            }
        }
    }

    /// POSTs one message and hands on what comes back. Failures answer `requests` with an error.
    async fn post(&self, raw: Bytes, requests: Vec<IdKey>, initialize: Option<IdKey>, standard: HeaderMap) {
        let had_session = self.session.lock().expect("session lock").id.is_some();
        let sent = self.send(reqwest::Method::POST, |headers| {
            self.client
                .post(self.url.clone())
                .headers(headers)
                .headers(standard.clone())
                .header(ACCEPT, ACCEPT_BOTH)
                .header(CONTENT_TYPE, "application/json")
                .body(raw.clone())
        });
        let response = tokio::select! {
            _ = self.stop.cancelled() => return,
            response = sent => response,
        };
        let response = match response {
            Ok(Ok(response)) => response,
            Ok(Err(err)) => {
                self.shared.mark_dead(self.generation);
                return self.shared.fail(&requests, &reqwest_error(&self.target, err).into());
            }
            Err(err) => return self.shared.fail(&requests, &err),
        };
        let status = response.status();
        if let Some(key) = &initialize {
            debug!(source = %self.id(), %status, "initialize answered");
            let _ = key;
            if let Some(session) = response.headers().get(SESSION_ID) {
                self.session.lock().expect("session lock").id = Some(session.clone());
            }
        }
        if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            let www_authenticate =
                response.headers().get(WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()).map(str::to_owned);
            let err = self.credentials.refusal(www_authenticate).await;
            return self.shared.fail(&requests, &err.into());
        }
        if status == StatusCode::NOT_FOUND && had_session {
            // The server forgot the session: start over on the next request.
            self.shared.mark_dead(self.generation);
            let err = UpstreamError::Disconnected { id: self.id().clone() };
            return self.shared.fail(&requests, &err.into());
        }
        let content_type =
            response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        if !status.is_success() {
            // A refusal in JSON-RPC terms (a 2026-07-28 server's `-32020` header mismatch, say)
            // is the server's answer, and says more than the status alone.
            if content_type.starts_with("application/json")
                && let Some(body) = crate::upstream::read_bounded(response, MAX_MESSAGE_BYTES).await
                && peek(&body).is_some_and(|answers| {
                    answers
                        .iter()
                        .any(|answer| answer.response_key().is_some_and(|key| requests.contains(&key)))
                })
            {
                self.deliver(Bytes::from(body), None);
                let err = UpstreamError::Disconnected { id: self.id().clone() };
                return self.shared.fail(&requests, &err.into());
            }
            return self.shared.fail(&requests, &self.not_mcp(status, &content_type, NotMcpProblem::Status));
        }
        if content_type.starts_with("text/event-stream") {
            self.read_events(response, initialize.as_ref()).await;
        } else if content_type.starts_with("application/json") {
            match crate::upstream::read_bounded(response, MAX_MESSAGE_BYTES).await {
                Some(body) if !body.is_empty() => self.deliver(Bytes::from(body), initialize.as_ref()),
                Some(_) => {}
                None => {
                    let err = UpstreamError::Disconnected { id: self.id().clone() };
                    return self.shared.fail(&requests, &err.into());
                }
            }
        } else if !requests.is_empty() {
            return self.shared.fail(&requests, &self.not_mcp(status, &content_type, NotMcpProblem::Body));
        }
        // Whatever is still unanswered will not be answered on this stream.
        let err = UpstreamError::Disconnected { id: self.id().clone() };
        self.shared.fail(&requests, &err.into());
    }

    fn not_mcp(&self, status: StatusCode, content_type: &str, problem: NotMcpProblem) -> BridgeError {
        UpstreamError::NotMcp {
            id: self.id().clone(),
            origin: self.target.origin.clone().unwrap_or_else(|| Origin::of(&self.url)),
            status: status.as_u16(),
            content_type: (!content_type.is_empty()).then(|| content_type.chars().take(100).collect()),
            problem,
        }
        .into()
    }

    /// Hands each event of an SSE answer to the agent until the stream ends.
    async fn read_events(&self, response: reqwest::Response, initialize: Option<&IdKey>) {
        let bytes = response.bytes_stream().map(|chunk| chunk.map(std::io::Cursor::new));
        let mut events = std::pin::pin!(sse_stream::SseByteStream::new(bytes));
        loop {
            let event = tokio::select! {
                _ = self.stop.cancelled() => return,
                event = events.next() => event,
            };
            match event {
                Some(Ok(event)) => {
                    if let Some(data) = event.data.filter(|d| !d.trim().is_empty()) {
                        self.deliver(Bytes::from(data), initialize);
                    }
                }
                Some(Err(err)) => {
                    debug!(source = %self.id(), %err, "the event stream broke");
                    return;
                }
                None => return,
            }
        }
    }

    /// One message (or batch) from the upstream. The answer to `initialize` also names the
    /// protocol version that later requests must carry.
    fn deliver(&self, raw: Bytes, initialize: Option<&IdKey>) {
        // Only a 2026-07-28 session sends `Mcp-Param-*`: others skip the scan of every answer.
        if self.session.lock().expect("session lock").wants_standard_headers() {
            self.learn_param_headers(&raw);
        }
        if let Some(key) = initialize
            && let Some(peeked) = peek(&raw)
            && peeked.iter().any(|p| p.response_key().as_ref() == Some(key))
            && let Ok(value) = serde_json::from_slice::<Value>(&raw)
            && let Some(version) = value.pointer("/result/protocolVersion").and_then(Value::as_str)
            && let Ok(header) = HeaderValue::from_str(version)
        {
            self.session.lock().expect("session lock").protocol = Some(header);
        }
        self.shared.on_upstream_message(raw);
    }

    /// The GET stream for server-initiated messages, if the server offers one.
    async fn listen(&self) {
        let sent = self.send(reqwest::Method::GET, |headers| {
            self.client.get(self.url.clone()).headers(headers).header(ACCEPT, "text/event-stream")
        });
        let response = tokio::select! {
            _ = self.stop.cancelled() => return,
            response = sent => response,
        };
        match response {
            Ok(Ok(response)) if response.status().is_success() => {
                debug!(source = %self.id(), "listening for server messages");
                self.read_events(response, None).await;
            }
            Ok(Ok(response)) => debug!(source = %self.id(), status = %response.status(), "no GET stream"),
            Ok(Err(err)) => debug!(source = %self.id(), err = %err.without_url(), "no GET stream"),
            Err(err) => debug!(source = %self.id(), "no GET stream: {err}"),
        }
    }

    /// Ends the upstream session, if there is one.
    async fn delete(&self) {
        if self.session.lock().expect("session lock").id.is_none() {
            return;
        }
        let sent = self
            .send(reqwest::Method::DELETE, |headers| self.client.delete(self.url.clone()).headers(headers));
        match tokio::time::timeout(DELETE_GRACE, sent).await {
            Ok(Ok(Ok(response))) => {
                debug!(source = %self.id(), status = %response.status(), "session deleted")
            }
            _ => debug!(source = %self.id(), "could not delete the session"),
        }
    }
}

/// The `x-mcp-header` marks under `properties`, nested ones included, as (path, header name).
fn collect_marked(properties: Option<&Value>, path: &mut Vec<String>, out: &mut Vec<Marked>) {
    let Some(Value::Object(properties)) = properties else { return };
    for (name, schema) in properties {
        path.push(name.clone());
        if let Some(header) = schema.get("x-mcp-header").and_then(Value::as_str).filter(|h| !h.is_empty()) {
            out.push((path.clone(), header.to_owned()));
        }
        collect_marked(schema.get("properties"), path, out);
        path.pop();
    }
}

/// A header value as SEP-2243 writes it: as is when it is plain printable ASCII without edge
/// spaces, else Base64 inside `=?base64?…?=`.
fn header_text(value: &str) -> String {
    use base64::Engine as _;
    let edge_space = value.starts_with([' ', '\t']) || value.ends_with([' ', '\t']);
    if edge_space || value.chars().any(|c| !(' '..='~').contains(&c)) {
        format!("=?base64?{}?=", base64::engine::general_purpose::STANDARD.encode(value))
    } else {
        value.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{collect_marked, header_text};

    #[test]
    fn marked_arguments_are_found_at_any_depth() {
        let properties = json!({
            "region": { "type": "string", "x-mcp-header": "Region" },
            "plain": { "type": "string" },
            "target": { "type": "object", "properties": { "zone": { "type": "string", "x-mcp-header": "Zone" } } },
            "empty": { "type": "string", "x-mcp-header": "" },
        });
        let mut marked = Vec::new();
        collect_marked(Some(&properties), &mut Vec::new(), &mut marked);
        marked.sort();
        let expected = vec![
            (vec!["region".to_owned()], "Region".to_owned()),
            (vec!["target".to_owned(), "zone".to_owned()], "Zone".to_owned()),
        ];
        assert_eq!(marked, expected, "each non-empty mark, with its path, and nothing else");
    }

    #[test]
    fn header_text_is_plain_or_base64() {
        assert_eq!(header_text("test://a b"), "test://a b", "printable ASCII goes as is");
        assert_eq!(header_text("caf\u{e9}"), "=?base64?Y2Fmw6k=?=", "anything else goes as Base64");
        assert_eq!(header_text(" x"), "=?base64?IHg=?=", "so does an edge space, which HTTP would drop");
    }
}
