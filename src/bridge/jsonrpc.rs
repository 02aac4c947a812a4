//! A quick look at JSON-RPC messages without rebuilding them.
//!
//! The pass-through bridge forwards the bytes it received. It only needs to know, per message,
//! whether it is a request, a notification or a response, its id and its method: enough to apply
//! tool filters, to answer in-flight requests when an upstream dies, and to route answers. A
//! 2026-07-28 request also names its revision in `_meta` and, over HTTP, must repeat that and its
//! method and name in headers, so those are read too. Ids are
//! compared by their JSON text ([`IdKey`]), so `1` and `"1"` stay different, as JSON-RPC wants.
//!
//! The few messages the bridge writes itself (an error reply naming the source, a
//! `notifications/cancelled`, a JSON body over HTTP) live here too, at the bottom of the bridge, so
//! that every path (`forward`, `session`, `pipe`, the links) uses one wording without importing
//! another path.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ids::SourceId;
use crate::upstream::MAX_MESSAGE_BYTES;

/// JSON-RPC's "invalid params", used for a tool the filter hides.
pub(crate) const INVALID_PARAMS: i32 = -32602;
/// The server-error code used when the upstream cannot be reached or failed.
pub(crate) const UPSTREAM_FAILED: i32 = -32000;
/// The upstream wants credentials that Lanyard could not provide.
pub(crate) const SIGN_IN_NEEDED: i32 = -32001;
/// JSON-RPC's "invalid request", for a message over the size limit.
pub(crate) const INVALID_REQUEST: i32 = -32600;
/// JSON-RPC's "parse error", for a line that is not JSON.
pub(crate) const PARSE_ERROR: i32 = -32700;

/// The id of a request as its JSON text: a map key that keeps `1` and `"1"` apart.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct IdKey(String);

impl IdKey {
    pub fn of(id: &Value) -> Self {
        Self(id.to_string())
    }
}

/// What one message is, as far as routing needs to know.
#[derive(Debug, Clone)]
pub(crate) struct Peeked {
    pub id: Option<Value>,
    pub method: Option<String>,
    /// `params._meta.progressToken` of a request, or `params.progressToken` of a progress
    /// notification: how progress finds its way back to the right HTTP stream.
    pub progress_token: Option<Value>,
    /// The revision a 2026-07-28-era request names in `_meta` (`None` for the `initialize` era).
    pub protocol_version: Option<String>,
    /// What the request acts on, for the `Mcp-Name` header: `params.name` (a tool or prompt),
    /// `params.uri` (a resource) or `params.taskId`.
    pub name: Option<String>,
}

impl Peeked {
    pub fn is_request(&self) -> bool {
        self.method.is_some() && self.id.is_some()
    }

    pub fn is_response(&self) -> bool {
        self.method.is_none() && self.id.is_some()
    }

    pub fn method_is(&self, method: &str) -> bool {
        self.method.as_deref() == Some(method)
    }

    /// The id of a request, as a key.
    pub fn request_key(&self) -> Option<IdKey> {
        self.is_request().then(|| self.id.as_ref().map(IdKey::of)).flatten()
    }

    /// The id of a response, as a key.
    pub fn response_key(&self) -> Option<IdKey> {
        self.is_response().then(|| self.id.as_ref().map(IdKey::of)).flatten()
    }
}

#[derive(Deserialize)]
struct Shape {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    params: Option<ParamsShape>,
}

#[derive(Deserialize)]
struct ParamsShape {
    #[serde(default, rename = "_meta")]
    meta: Option<MetaShape>,
    #[serde(default, rename = "progressToken")]
    progress_token: Option<Value>,
    #[serde(default)]
    name: Option<Value>,
    #[serde(default)]
    uri: Option<Value>,
    #[serde(default, rename = "taskId")]
    task_id: Option<Value>,
}

#[derive(Deserialize)]
struct MetaShape {
    #[serde(default, rename = "progressToken")]
    progress_token: Option<Value>,
    #[serde(default, rename = "io.modelcontextprotocol/protocolVersion")]
    protocol_version: Option<Value>,
}

/// The methods whose `Mcp-Name` is `params.name`, `params.uri` and `params.taskId` (SEP-2243).
const NAMED_BY_NAME: &[&str] = &["tools/call", "prompts/get"];
const NAMED_BY_URI: &[&str] = &["resources/read", "resources/subscribe", "resources/unsubscribe"];
const NAMED_BY_TASK_ID: &[&str] = &["tasks/get", "tasks/update", "tasks/cancel"];

impl From<Shape> for Peeked {
    fn from(shape: Shape) -> Self {
        let method = shape.method;
        let (progress_token, protocol_version, name) = match shape.params {
            None => (None, None, None),
            Some(params) => {
                let (meta_token, protocol_version) = match params.meta {
                    Some(meta) => (meta.progress_token, meta.protocol_version),
                    None => (None, None),
                };
                let named = |methods: &[&str]| method.as_deref().is_some_and(|m| methods.contains(&m));
                let name = if named(NAMED_BY_NAME) {
                    params.name
                } else if named(NAMED_BY_URI) {
                    params.uri
                } else if named(NAMED_BY_TASK_ID) {
                    params.task_id
                } else {
                    None
                };
                let text = |value: Option<Value>| value.and_then(|v| v.as_str().map(str::to_owned));
                (params.progress_token.or(meta_token), text(protocol_version), text(name))
            }
        };
        // `"id": null` only appears on error responses to unparsable requests.
        Peeked { id: shape.id, method, progress_token, protocol_version, name }
    }
}

/// The messages in `raw`: one, or several for a batch. `None` when it is not JSON-RPC-shaped.
pub(crate) fn peek(raw: &[u8]) -> Option<Vec<Peeked>> {
    let first = raw.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first == b'[' {
        let shapes: Vec<Shape> = serde_json::from_slice(raw).ok()?;
        Some(shapes.into_iter().map(Peeked::from).collect())
    } else {
        let shape: Shape = serde_json::from_slice(raw).ok()?;
        Some(vec![shape.into()])
    }
}

/// A JSON-RPC error response for request `id`, whose message names the source.
pub(crate) fn error_reply(id: &Value, code: i32, message: &str, source: &SourceId) -> Bytes {
    let reply = json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": { "code": code, "message": message, "data": { "source": source.as_str() } },
    });
    Bytes::from(serde_json::to_vec(&reply).expect("a JSON value serializes"))
}

/// `notifications/cancelled` for request `id`, sent upstream for a request nobody awaits any more.
pub(crate) fn cancelled(id: &Value) -> Bytes {
    let note = json!({
        "jsonrpc": "2.0",
        "method": "notifications/cancelled",
        "params": { "requestId": id, "reason": "no longer awaited: the agent left or the request timed out" },
    });
    Bytes::from(note.to_string())
}

/// An agent's POST body, at most [`MAX_MESSAGE_BYTES`]; a larger one is answered `413`.
pub(crate) async fn read_message(body: axum::body::Body) -> Result<Bytes, Response> {
    axum::body::to_bytes(body, MAX_MESSAGE_BYTES)
        .await
        .map_err(|_| (StatusCode::PAYLOAD_TOO_LARGE, "the message is too large").into_response())
}

/// The JSON-RPC message `message` as one event of a server-sent event stream.
pub(crate) fn message_event(message: &[u8]) -> Bytes {
    Bytes::from([b"event: message\ndata: ".as_slice(), message, b"\n\n"].concat())
}

/// An HTTP response carrying the JSON-RPC message `body`.
pub(crate) fn json(status: StatusCode, body: Bytes) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_told_apart() {
        let request = &peek(br#"{"jsonrpc":"2.0","id":7,"method":"tools/list"}"#).unwrap()[0];
        assert!(request.is_request(), "id + method is a request");
        let note = &peek(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap()[0];
        assert!(!note.is_request() && !note.is_response(), "method without id is a notification");
        let response = &peek(br#"{"jsonrpc":"2.0","id":"7","result":{}}"#).unwrap()[0];
        assert!(response.is_response(), "id without method is a response");
        assert_ne!(request.request_key(), response.response_key(), "7 and \"7\" are different ids");
    }

    #[test]
    fn progress_tokens_are_found_in_requests_and_notifications() {
        let call = &peek(br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","_meta":{"progressToken":5}}}"#)
            .unwrap()[0];
        assert_eq!(call.progress_token, Some(json!(5)), "a request's token sits in _meta");
        let note = &peek(br#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":5,"progress":1}}"#)
            .unwrap()[0];
        assert_eq!(note.progress_token, Some(json!(5)), "a notification's token sits in params");
    }

    #[test]
    fn batches_and_garbage() {
        assert_eq!(
            peek(br#"[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"b"}]"#).unwrap().len(),
            2
        );
        assert!(peek(b"not json").is_none(), "garbage is not a message");
    }

    #[test]
    fn a_2026_07_28_request_names_its_revision_and_what_it_acts_on() {
        let call = &peek(
            br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#,
        )
        .unwrap()[0];
        assert_eq!(call.protocol_version.as_deref(), Some("2026-07-28"), "the revision sits in _meta");
        assert_eq!(call.name.as_deref(), Some("echo"), "a tool call acts on its tool");
        let read =
            &peek(br#"{"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"test://a"}}"#)
                .unwrap()[0];
        assert_eq!(read.name.as_deref(), Some("test://a"), "a read acts on its resource");
        assert_eq!(read.protocol_version, None, "an initialize-era request names no revision");
        let list =
            &peek(br#"{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"name":"x"}}"#).unwrap()[0];
        assert_eq!(list.name, None, "a listing acts on nothing, whatever its params hold");
    }
}
