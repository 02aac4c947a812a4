//! A legacy HTTP+SSE upstream (MCP 2024-11-05) at the message level, for the bridge.
//!
//! Opening GETs the event stream (with fresh credentials) and waits for the `endpoint` event;
//! the endpoint must be on the stream's origin (checked by `upstream::sse`, shared with
//! `lanyard call`). Each agent message is then POSTed there as it came, and every `message`
//! event is handed to the agent as it arrives. The stream is the session: when it ends, the link
//! is reported dead and the pipe opens a new one (replaying the agent's handshake) for the next
//! request.

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use tokio_util::sync::{CancellationToken, DropGuard};
use tracing::debug;
use url::Url;

use super::super::BridgeError;
use super::super::inflight::Shared;
use super::super::jsonrpc::{IdKey, Peeked};
use crate::credentials::SourceCredentials;
use crate::profile::Resolved;
use crate::upstream::sse::{Events, open_events, stream_request};
use crate::upstream::{MAX_MESSAGE_BYTES, NotMcpProblem, Origin, Target, UpstreamError, reqwest_error};

pub(crate) struct SseLink {
    inner: Arc<Inner>,
    _stop: DropGuard,
}

struct Inner {
    target: Target,
    endpoint: Url,
    client: reqwest::Client,
    credentials: Arc<SourceCredentials>,
    shared: Arc<Shared>,
}

impl SseLink {
    pub async fn open(
        resolved: &Resolved,
        url: Url,
        client: reqwest::Client,
        credentials: Arc<SourceCredentials>,
        shared: Arc<Shared>,
        generation: u64,
    ) -> Result<Self, BridgeError> {
        let target = crate::upstream::target_of(resolved);
        let response = credentials
            .send(&reqwest::Method::GET, &url, |headers| {
                stream_request(&client, &url).headers(headers).send()
            })
            .await?
            .map_err(|err| reqwest_error(&target, err))?;
        if matches!(response.status(), StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            return Err(credentials.refusal(www_authenticate(&response)).await.into());
        }
        let (endpoint, events) = open_events(&target, &url, response).await?;
        let stop = CancellationToken::new();
        tokio::spawn(read(target.clone(), events, Arc::clone(&shared), generation, stop.clone()));
        let inner = Inner { target, endpoint, client, credentials, shared };
        Ok(SseLink { inner: Arc::new(inner), _stop: stop.drop_guard() })
    }

    /// POSTs one message on its own task; the answer comes on the event stream.
    pub fn send(&self, raw: Bytes, peeked: &[Peeked]) {
        let requests: Vec<IdKey> = peeked.iter().filter_map(Peeked::request_key).collect();
        let inner = Arc::clone(&self.inner);
        tokio::spawn(async move {
            if let Err(err) = inner.post(raw).await {
                inner.shared.fail(&requests, &err);
            }
        });
    }
}

impl Inner {
    async fn post(&self, raw: Bytes) -> Result<(), BridgeError> {
        let response = self
            .credentials
            .send(&reqwest::Method::POST, &self.endpoint, |headers| {
                self.client
                    .post(self.endpoint.as_str())
                    .headers(headers)
                    .header(CONTENT_TYPE, "application/json")
                    .body(raw.clone())
                    .send()
            })
            .await?
            .map_err(|err| reqwest_error(&self.target, err))?;
        let status = response.status();
        if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            return Err(self.credentials.refusal(www_authenticate(&response)).await.into());
        }
        if !status.is_success() {
            let content_type = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
            return Err(UpstreamError::NotMcp {
                id: self.target.id.clone(),
                origin: Origin::of(&self.endpoint),
                status: status.as_u16(),
                content_type: content_type.map(|ct| ct.chars().take(100).collect()),
                problem: NotMcpProblem::Status,
            }
            .into());
        }
        // Read the (normally tiny) answer so the connection goes back to the pool.
        let _ = crate::upstream::read_bounded(response, MAX_MESSAGE_BYTES).await;
        Ok(())
    }
}

/// Hands every `message` event to the agent until the stream ends, then reports the link dead.
async fn read(
    target: Target,
    mut events: Events,
    shared: Arc<Shared>,
    generation: u64,
    stop: CancellationToken,
) {
    loop {
        let event = tokio::select! {
            _ = stop.cancelled() => return,
            event = events.next() => event,
        };
        match event {
            Some(Ok(event)) => {
                if matches!(event.event.as_deref(), None | Some("message"))
                    && let Some(data) = event.data.filter(|d| !d.trim().is_empty())
                {
                    shared.on_upstream_message(Bytes::from(data));
                }
            }
            Some(Err(err)) => {
                debug!(source = %target.id, %err, "the SSE stream broke");
                break;
            }
            None => break,
        }
    }
    shared.link_closed(generation, &UpstreamError::Disconnected { id: target.id.clone() }.into());
}

fn www_authenticate(response: &reqwest::Response) -> Option<String> {
    response.headers().get(WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()).map(str::to_owned)
}
