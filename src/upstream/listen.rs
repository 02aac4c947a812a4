//! `subscriptions/listen` (2026-07-28) on a source session: how such a session hears what an older
//! one hears on its own stream, list changes and updates of subscribed resources.
//!
//! A session of that revision has no stream the server can push on outside a request, so a
//! caller that shows the server's lists to others (the merged server) opens a listen request that
//! stays open, and one per subscribed resource. Each is followed by a task that hands what comes
//! to the session's [`Listener`](super::changes::Listener) and [`Relay`](super::relay::Relay), the
//! places an older session's notifications go, so nothing above the session tells the eras
//! apart. The tasks end with the session ([`Listens`] aborts them when dropped), and rmcp
//! cancels a listen request whose handle is dropped.

use std::collections::HashMap;

use rmcp::model::{ServerCapabilities, ServerNotification, SubscriptionFilter};
use rmcp::service::Subscription;
use tokio::task::AbortHandle;
use tracing::debug;

/// The tasks following a session's listen requests.
#[derive(Debug, Default)]
pub(crate) struct Listens {
    /// The one for list changes, once opened.
    pub(crate) lists: Option<AbortHandle>,
    /// One per subscribed resource URI.
    pub(crate) resources: HashMap<String, AbortHandle>,
}

impl Drop for Listens {
    fn drop(&mut self) {
        self.lists.iter().chain(self.resources.values()).for_each(AbortHandle::abort);
    }
}

/// The list changes a server declared it sends, as a listen filter; `None` when it declared none.
pub(crate) fn list_changes_of(capabilities: &ServerCapabilities) -> Option<SubscriptionFilter> {
    let mut filter = SubscriptionFilter::default();
    if capabilities.tools.as_ref().and_then(|tools| tools.list_changed) == Some(true) {
        filter.tools_list_changed = Some(true);
    }
    if capabilities.prompts.as_ref().and_then(|prompts| prompts.list_changed) == Some(true) {
        filter.prompts_list_changed = Some(true);
    }
    if capabilities.resources.as_ref().and_then(|resources| resources.list_changed) == Some(true) {
        filter.resources_list_changed = Some(true);
    }
    (filter != SubscriptionFilter::default()).then_some(filter)
}

/// A listen filter for the updates of one resource.
pub(crate) fn updates_of(uri: &str) -> SubscriptionFilter {
    let mut filter = SubscriptionFilter::default();
    filter.resource_subscriptions = Some(vec![uri.to_owned()]);
    filter
}

/// Follows `subscription` in a task, handing each notification to `on`, until the server ends
/// it or the task is aborted.
pub(crate) fn follow(
    mut subscription: Subscription,
    on: impl Fn(ServerNotification) + Send + 'static,
) -> AbortHandle {
    tokio::spawn(async move {
        loop {
            match subscription.next().await {
                Ok(Some(notification)) => on(notification),
                Ok(None) => return,
                Err(err) => {
                    debug!(%err, "a subscriptions/listen stream ended");
                    return;
                }
            }
        }
    })
    .abort_handle()
}

#[cfg(test)]
mod tests {
    use rmcp::model::{PromptsCapability, ToolsCapability};

    use super::*;

    #[test]
    fn only_declared_list_changes_are_listened_for() {
        let mut capabilities = ServerCapabilities::default();
        assert_eq!(list_changes_of(&capabilities), None, "nothing declared, nothing to listen for");
        let mut tools = ToolsCapability::default();
        tools.list_changed = Some(true);
        capabilities.tools = Some(tools);
        capabilities.prompts = Some(PromptsCapability::default());
        let filter = list_changes_of(&capabilities).expect("tools declare list changes");
        assert_eq!(filter.tools_list_changed, Some(true));
        assert_eq!(filter.prompts_list_changed, None, "prompts without listChanged are not asked for");
    }
}
