//! The sources' log messages (`notifications/message`) passed on to every agent session, each
//! tagged with its source in `logger` (`<source>`, or `<source>/<logger>` when the source named
//! one), so an agent can tell whose message it is.
//!
//! One session with a source serves every agent, so an agent's `logging/setLevel` is kept by its
//! own session here and filters what that agent gets; the sources are not asked to change their
//! level, which would change it for every other agent too. A lagging agent loses the oldest
//! messages, never the source's session.

#![expect(
    deprecated,
    reason = "logging is deprecated by SEP-2577, but servers of earlier revisions still use it"
)]

use rmcp::RoleServer;
use rmcp::model::{LoggingLevel, LoggingMessageNotificationParam};
use rmcp::service::Peer;
use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;
use tracing::debug;

use crate::ids::SourceId;

/// One source's log message, tagged for the agents.
#[derive(Debug, Clone)]
pub(crate) struct SourceLog(LoggingMessageNotificationParam);

impl SourceLog {
    pub(crate) fn tagged(source: &SourceId, mut message: LoggingMessageNotificationParam) -> Self {
        message.logger = Some(match message.logger.take() {
            Some(logger) => format!("{source}/{logger}"),
            None => source.to_string(),
        });
        Self(message)
    }
}

/// The lowest severity an agent wants, as a rank (debug lowest, emergency highest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) struct Level(u8);

impl From<LoggingLevel> for Level {
    fn from(level: LoggingLevel) -> Self {
        Level(match level {
            LoggingLevel::Debug => 0,
            LoggingLevel::Info => 1,
            LoggingLevel::Notice => 2,
            LoggingLevel::Warning => 3,
            LoggingLevel::Error => 4,
            LoggingLevel::Critical => 5,
            LoggingLevel::Alert => 6,
            LoggingLevel::Emergency => 7,
        })
    }
}

/// Sends the agent every message at or above its level, until the session ends.
pub(super) async fn forward(
    peer: Peer<RoleServer>,
    mut messages: broadcast::Receiver<SourceLog>,
    level: watch::Receiver<Level>,
    ended: CancellationToken,
) {
    loop {
        let message = tokio::select! {
            () = ended.cancelled() => return,
            message = messages.recv() => message,
        };
        let SourceLog(message) = match message {
            Ok(message) => message,
            Err(broadcast::error::RecvError::Lagged(lost)) => {
                debug!(lost, "the agent fell behind; oldest log messages dropped");
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if Level::from(message.level) < *level.borrow() {
            continue;
        }
        if let Err(err) = peer.notify_logging_message(message).await {
            debug!(%err, "could not pass a log message on; the session is gone");
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_tagged_with_its_source_and_keeps_its_own_logger() {
        let id = "ev".parse::<SourceId>().expect("a valid id");
        let plain =
            SourceLog::tagged(&id, LoggingMessageNotificationParam::new(LoggingLevel::Info, "x".into()));
        assert_eq!(plain.0.logger.as_deref(), Some("ev"), "a message without a logger gets the source");
        let mut named = LoggingMessageNotificationParam::new(LoggingLevel::Info, "x".into());
        named.logger = Some("db".to_owned());
        let named = SourceLog::tagged(&id, named);
        assert_eq!(named.0.logger.as_deref(), Some("ev/db"), "a source's own logger is kept after its id");
    }

    #[test]
    fn levels_rank_from_debug_to_emergency() {
        assert!(Level::from(LoggingLevel::Debug) < Level::from(LoggingLevel::Info), "debug is the lowest");
        assert!(
            Level::from(LoggingLevel::Alert) < Level::from(LoggingLevel::Emergency),
            "emergency the highest"
        );
        assert_eq!(
            Level::default(),
            Level::from(LoggingLevel::Debug),
            "an agent gets everything until it sets a level"
        );
    }
}
