//! The agents a running bridge server serves, for the app's bridge panel: MCP sessions seen per
//! route (a source, or the merged server) that made a request within [`RECENT`] and did not end.
//!
//! Counted at the door, from the `Mcp-Session-Id` each request carries (or the one `initialize`
//! hands out), so every route and transport is counted the same way without looking into
//! messages. A streamable HTTP session has no "disconnected" signal other than its `DELETE`, so
//! an agent that went away silently stops counting once it has been quiet for [`RECENT`]: the
//! panel says "active in the last 10 minutes", which is what this measures.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::ids::SourceId;

/// How long a session counts after its last request.
pub const RECENT: Duration = Duration::from_secs(600);

/// Where an agent is connected.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AgentRoute {
    /// `/mcp`: every enabled source, merged.
    Merged,
    /// `/mcp/<id>`: one source.
    Source(SourceId),
}

/// How many agent sessions one route has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentCount {
    pub route: AgentRoute,
    pub sessions: usize,
}

/// The active sessions as the app's bridge panel shows them (*Connected agents*).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase")]
pub struct AgentsView {
    /// How far back "active" reaches, in minutes.
    pub recent_minutes: u32,
    pub routes: Vec<AgentRouteView>,
}

/// One route's sessions: `source` is `null` for the merged server (`/mcp`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase")]
pub struct AgentRouteView {
    pub source: Option<String>,
    pub sessions: u32,
}

impl AgentsView {
    /// These counts, in the panel's shape.
    pub fn new(counts: Vec<AgentCount>) -> Self {
        Self {
            recent_minutes: u32::try_from(RECENT.as_secs() / 60).unwrap_or(u32::MAX),
            routes: counts
                .into_iter()
                .map(|count| AgentRouteView {
                    source: match count.route {
                        AgentRoute::Merged => None,
                        AgentRoute::Source(id) => Some(id.to_string()),
                    },
                    sessions: u32::try_from(count.sessions).unwrap_or(u32::MAX),
                })
                .collect(),
        }
    }
}

/// The sessions seen, by route and session id, with the time of their last request.
#[derive(Debug, Default)]
pub struct Agents {
    seen: Mutex<HashMap<(AgentRoute, String), Instant>>,
}

impl Agents {
    /// The routes with sessions active within [`RECENT`] of `now`, in route order.
    pub fn active(&self, now: Instant) -> Vec<AgentCount> {
        let mut seen = self.lock();
        seen.retain(|_, last| now.saturating_duration_since(*last) < RECENT);
        let mut counts: HashMap<&AgentRoute, usize> = HashMap::new();
        for (route, _) in seen.keys() {
            *counts.entry(route).or_default() += 1;
        }
        let mut out: Vec<AgentCount> = counts
            .into_iter()
            .map(|(route, sessions)| AgentCount { route: route.clone(), sessions })
            .collect();
        out.sort_by(|a, b| a.route.cmp(&b.route));
        out
    }

    /// A request of session `session` on `route` at `now`.
    pub(crate) fn seen(&self, route: AgentRoute, session: &str, now: Instant) {
        self.lock().insert((route, session.to_owned()), now);
    }

    /// Session `session` on `route` ended (its `DELETE`).
    pub(crate) fn ended(&self, route: AgentRoute, session: &str) {
        self.lock().remove(&(route, session.to_owned()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(AgentRoute, String), Instant>> {
        self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The route of a request path, when it is an MCP endpoint.
pub(crate) fn route_of(path: &str) -> Option<AgentRoute> {
    match path.trim_end_matches('/') {
        "/mcp" => Some(AgentRoute::Merged),
        other => other.strip_prefix("/mcp/").and_then(|id| id.parse().ok()).map(AgentRoute::Source),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(id: &str) -> AgentRoute {
        AgentRoute::Source(id.parse().unwrap())
    }

    #[test]
    fn sessions_count_per_route_until_they_end_or_go_quiet() {
        let agents = Agents::default();
        let start = Instant::now();
        agents.seen(source("github"), "a", start);
        agents.seen(source("github"), "a", start);
        agents.seen(source("github"), "b", start);
        agents.seen(AgentRoute::Merged, "c", start);
        assert_eq!(
            agents.active(start),
            vec![
                AgentCount { route: AgentRoute::Merged, sessions: 1 },
                AgentCount { route: source("github"), sessions: 2 },
            ],
            "one count per session, not per request"
        );
        agents.ended(source("github"), "a");
        assert_eq!(agents.active(start)[1].sessions, 1, "a DELETE ends a session");
        let later = start + RECENT;
        agents.seen(AgentRoute::Merged, "c", later);
        assert_eq!(
            agents.active(later),
            vec![AgentCount { route: AgentRoute::Merged, sessions: 1 }],
            "a session quiet for RECENT no longer counts; an active one does"
        );
    }

    #[test]
    fn counts_reach_the_panel_per_route_with_the_window() {
        let view = AgentsView::new(vec![
            AgentCount { route: AgentRoute::Merged, sessions: 1 },
            AgentCount { route: source("github"), sessions: 2 },
        ]);
        let json = serde_json::to_value(view).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"recentMinutes": 10, "routes": [{"source": null, "sessions": 1}, {"source": "github", "sessions": 2}]})
        );
    }

    #[test]
    fn routes_come_from_the_paths_the_server_serves() {
        assert_eq!(route_of("/mcp"), Some(AgentRoute::Merged));
        assert_eq!(route_of("/mcp/github"), Some(source("github")));
        assert_eq!(route_of("/mcp/Not An Id"), None, "not a source id");
        assert_eq!(route_of("/lanyard/hub"), None, "the hub's proof endpoint is no agent");
    }
}
