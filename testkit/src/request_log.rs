//! `--request-log=PATH`: what reached the server, one JSON object a line, for a test to read
//! after the run as the server's own witness of the revision a client spoke.
//!
//! Two kinds of line: each HTTP request as it arrives (`{"http": "POST", "method":
//! "tools/call", "protocolVersion": "2026-07-28"}`, the JSON-RPC method of its body and its
//! `MCP-Protocol-Version` header, `null` when absent), and each `initialize` as the server
//! answered it (`{"initialize": "refused", "requested": "2025-11-25"}`). Arrivals are logged by
//! an HTTP layer, ahead of rmcp, so a request rmcp turns away still shows; the answer to
//! `initialize` is logged by the handler, which is the one place that knows it.

use std::io::Write as _;
use std::path::Path;
use std::sync::Mutex;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use serde_json::{Value, json};

/// The largest request body the log reads; the test kit's clients send far less.
const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// The open log file; each line is written whole under the lock.
#[derive(Debug)]
pub struct RequestLog {
    file: Mutex<std::fs::File>,
}

impl RequestLog {
    /// Creates (or empties) the log at `path`.
    pub fn create(path: &Path) -> std::io::Result<Self> {
        Ok(Self { file: Mutex::new(std::fs::File::create(path)?) })
    }

    pub fn record(&self, line: &Value) {
        if let Ok(mut file) = self.file.lock() {
            // A line the log cannot take is lost; the test reading it then fails on its absence.
            let _ = writeln!(file, "{line}");
            let _ = file.flush();
        }
    }
}

/// The axum layer that logs every request's JSON-RPC method and `MCP-Protocol-Version` header.
pub async fn log_arrival(
    State(log): State<std::sync::Arc<RequestLog>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => bytes,
        Err(_) => {
            log.record(&json!({ "http": parts.method.as_str(), "method": null, "unreadable": true }));
            return axum::http::StatusCode::PAYLOAD_TOO_LARGE.into_response();
        }
    };
    let method = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|message| message.get("method").and_then(Value::as_str).map(str::to_owned));
    let version = parts
        .headers
        .get(rmcp::transport::common::http_header::HEADER_MCP_PROTOCOL_VERSION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    log.record(&json!({ "http": parts.method.as_str(), "method": method, "protocolVersion": version }));
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}
