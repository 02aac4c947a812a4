//! The bridge panel's *Connected agents*: agent sessions per route that made a request within
//! the engine's window ([`bridge::AGENTS_RECENT`]) and have not ended.

use lanyard::bridge::{self, AgentCount, AgentRoute};
use serde::Serialize;
use ts_rs::TS;

use super::TS_DIR;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub struct AgentsView {
    /// How far back "active" reaches, in minutes.
    pub recent_minutes: u32,
    pub routes: Vec<AgentRouteView>,
}

/// One route's sessions: `source` is `null` for the merged server (`/mcp`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub struct AgentRouteView {
    pub source: Option<String>,
    pub sessions: u32,
}

impl AgentsView {
    pub fn new(counts: Vec<AgentCount>) -> Self {
        Self {
            recent_minutes: u32::try_from(bridge::AGENTS_RECENT.as_secs() / 60).unwrap_or(u32::MAX),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_reach_the_ui_per_route_with_the_window() {
        let view = AgentsView::new(vec![
            AgentCount { route: AgentRoute::Merged, sessions: 1 },
            AgentCount { route: AgentRoute::Source("github".parse().unwrap()), sessions: 2 },
        ]);
        let json = serde_json::to_value(view).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"recentMinutes": 10, "routes": [{"source": null, "sessions": 1}, {"source": "github", "sessions": 2}]})
        );
    }
}
