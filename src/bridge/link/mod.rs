//! The upstream end of a [`Pipe`](super::pipe::Pipe): a line pipe to a child process, or a
//! streamable HTTP or legacy SSE client working at the message level.
//!
//! A link delivers whatever the upstream sends to [`Shared::on_upstream_message`] and reports its own
//! death through [`Shared::link_closed`] (or, for one failed HTTP request, [`Shared::fail`]),
//! tagged with the generation it was opened under, so a late report from an old link never
//! touches a newer one. Dropping a link stops its tasks (and kills a child).

mod http;
mod sse;
mod stdio;

pub(crate) use http::SESSION_ID;

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;

use super::BridgeError;
use super::inflight::Shared;
use super::jsonrpc::Peeked;
use crate::credentials::SourceCredentials;
use crate::profile::{Resolved, ResolvedTransport};

pub(crate) enum Link {
    Stdio(stdio::StdioLink),
    Http(http::HttpLink),
    Sse(sse::SseLink),
}

impl Link {
    pub async fn open(
        resolved: &Resolved,
        log_dir: &Path,
        client: Option<reqwest::Client>,
        credentials: Arc<SourceCredentials>,
        shared: Arc<Shared>,
        generation: u64,
    ) -> Result<Self, BridgeError> {
        match &resolved.transport {
            ResolvedTransport::Stdio { .. } => {
                Ok(Link::Stdio(stdio::StdioLink::open(resolved, log_dir, shared, generation).await?))
            }
            ResolvedTransport::Http { url, .. } => {
                let client = client.expect("an HTTP source has a client");
                Ok(Link::Http(http::HttpLink::open(
                    resolved,
                    url.clone(),
                    client,
                    credentials,
                    shared,
                    generation,
                )))
            }
            ResolvedTransport::Sse { url, .. } => {
                let client = client.expect("an SSE source has a client");
                let link = sse::SseLink::open(resolved, url.clone(), client, credentials, shared, generation)
                    .await?;
                Ok(Link::Sse(link))
            }
        }
    }

    /// Sends one message (or batch). An error means the link is unusable.
    pub async fn send(&self, raw: Bytes, peeked: &[Peeked]) -> Result<(), BridgeError> {
        match self {
            Link::Stdio(link) => link.send(raw).await,
            Link::Http(link) => link.send(raw, peeked).await,
            Link::Sse(link) => {
                link.send(raw, peeked);
                Ok(())
            }
        }
    }

    pub async fn close(self) {
        match self {
            Link::Stdio(link) => link.close().await,
            Link::Http(link) => link.close().await,
            Link::Sse(link) => drop(link), // ending the stream ends the session
        }
    }
}
