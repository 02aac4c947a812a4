//! Hears a server's `notifications/*/list_changed`, so a caller that shows the server's lists to
//! someone else (the merged bridge) can tell them the lists changed.
//!
//! It is the client side of the session: besides the handshake's client info it only turns the
//! three list-changed notifications into [`ListChanged`] values on a broadcast channel. Nobody
//! listening is normal; a lagging listener only loses change signals, never requests. The first
//! subscription is made with the channel, so a change the server reports right after the
//! handshake (before anyone could subscribe) still reaches the first listener.

use std::sync::{Mutex, PoisonError};

use rmcp::ClientHandler;
use rmcp::model::ClientConfig;
use rmcp::service::{NotificationContext, RoleClient};
use tokio::sync::broadcast;
use tracing::debug;

/// Change signals kept for a slow listener before the oldest are dropped.
const BUFFER: usize = 16;

/// Which of a server's lists changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListChanged {
    Tools,
    Prompts,
    Resources,
}

/// The client handler of an [`Upstream`](super::Upstream) session.
pub(crate) struct Listener {
    config: ClientConfig,
    changes: broadcast::Sender<ListChanged>,
    /// The subscription made with the channel, for the first caller of [`Listener::subscribe`].
    first: Mutex<Option<broadcast::Receiver<ListChanged>>>,
}

impl Listener {
    pub(crate) fn new(config: ClientConfig) -> Self {
        let (changes, first) = broadcast::channel(BUFFER);
        Self { config, changes, first: Mutex::new(Some(first)) }
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<ListChanged> {
        let first = self.first.lock().unwrap_or_else(PoisonError::into_inner).take();
        first.unwrap_or_else(|| self.changes.subscribe())
    }

    fn note(&self, change: ListChanged) {
        debug!(?change, "the server says a list changed");
        // An error only means nobody is listening.
        let _ = self.changes.send(change);
    }
}

impl ClientHandler for Listener {
    fn get_info(&self) -> ClientConfig {
        self.config.clone()
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.note(ListChanged::Tools);
    }

    async fn on_prompt_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.note(ListChanged::Prompts);
    }

    async fn on_resource_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.note(ListChanged::Resources);
    }
}
