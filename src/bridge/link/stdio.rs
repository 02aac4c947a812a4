//! A line pipe to a stdio server: the agent's messages written to its stdin one per line, its
//! stdout read line by line. The child is started by the same code as `lanyard tools` uses, with
//! its stderr in the source's log file, never on our stdout.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncWriteExt, BufReader, BufWriter};
use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, DropGuard};
use tracing::warn;

use super::super::BridgeError;
use super::super::inflight::Shared;
use super::super::lines::{Line, read_line_async};
use crate::profile::{Resolved, ResolvedTransport};
use crate::upstream::{Launch, MAX_MESSAGE_BYTES, StdioChild, UpstreamError, spawn_pipes};

/// How long a child gets to report its exit status after its output closed.
const EXIT_GRACE: Duration = Duration::from_secs(2);
/// How long a child whose stdin was closed gets to exit before it is killed.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// Messages queued for the child's stdin before senders wait.
const QUEUE: usize = 256;

pub(crate) struct StdioLink {
    source: crate::ids::SourceId,
    to_child: mpsc::Sender<Bytes>,
    child: Arc<StdioChild>,
    _stop: DropGuard,
}

impl StdioLink {
    pub async fn open(
        resolved: &Resolved,
        log_dir: &Path,
        shared: Arc<Shared>,
        generation: u64,
    ) -> Result<Self, BridgeError> {
        let ResolvedTransport::Stdio { command, args, env, cwd, sandbox } = &resolved.transport else {
            unreachable!("Link::open picks the stdio link for stdio sources only");
        };
        let launch = Launch { command, args, env, cwd: cwd.as_deref(), sandbox: sandbox.as_ref() };
        let (stdin, stdout, child) = spawn_pipes(&resolved.id, launch, log_dir).await?;
        let child = Arc::new(child);
        let stop = CancellationToken::new();

        let (to_child, mut queue) = mpsc::channel::<Bytes>(QUEUE);
        tokio::spawn(async move {
            let mut stdin = BufWriter::new(stdin);
            while let Some(message) = queue.recv().await {
                let written = async {
                    stdin.write_all(&message).await?;
                    stdin.write_all(b"\n").await?;
                    if queue.is_empty() {
                        stdin.flush().await?;
                    }
                    std::io::Result::Ok(())
                };
                if written.await.is_err() {
                    break; // the reader reports the dead child
                }
            }
        });

        let reader_child = Arc::clone(&child);
        let reader_stop = stop.clone();
        let id = resolved.id.clone();
        tokio::spawn(async move {
            let mut stdout = BufReader::new(stdout);
            let mut line = Vec::with_capacity(4096);
            loop {
                let read = tokio::select! {
                    _ = reader_stop.cancelled() => return,
                    read = read_line_async(&mut stdout, &mut line, MAX_MESSAGE_BYTES) => read,
                };
                match read {
                    Ok(Line::End) | Err(_) => break,
                    Ok(Line::Message(raw)) => shared.on_upstream_message(raw),
                    Ok(Line::TooLarge) => {
                        // Which request it answered is unknown: the server is treated as broken,
                        // so every call in flight gets an error and the next one a new server.
                        warn!(source = %id, "the server wrote a message over the size limit");
                        let err =
                            UpstreamError::Protocol { id: id.clone(), err: "a message over 16 MiB".into() };
                        shared.link_closed(generation, &BridgeError::Upstream(err));
                        break;
                    }
                }
            }
            let err = reader_child.exited_error(&id, EXIT_GRACE).await;
            shared.link_closed(generation, &BridgeError::Upstream(err));
        });

        Ok(StdioLink { source: resolved.id.clone(), to_child, child, _stop: stop.drop_guard() })
    }

    pub async fn send(&self, raw: Bytes) -> Result<(), BridgeError> {
        self.to_child
            .send(raw)
            .await
            .map_err(|_| UpstreamError::Disconnected { id: self.source.clone() }.into())
    }

    /// Closes the child's stdin, gives it a moment to exit, then kills it (on drop).
    pub async fn close(self) {
        let StdioLink { to_child, child, _stop, .. } = self;
        drop(to_child);
        child.let_exit(CLOSE_GRACE).await;
    }
}
