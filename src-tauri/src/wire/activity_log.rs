//! A source's activity log as the detail view lists it: the engine's entries and the agents'
//! calls on the source, each mapped one to one.
//! A failure shows what happened: the error without the `lanyard` command its message ends in
//! (the engine's `problem`), since the window has buttons for those (`lanyard::remedy::window`).
//! Redacted by construction upstream (the engine's events carry only its own error messages), so
//! nothing here needs filtering.

use lanyard::agents::Call;
use lanyard::history::{AgentKind, Entry, Event};
use serde::Serialize;
use ts_rs::TS;

use super::TS_DIR;

/// One thing that happened to a source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub struct LogEntryView {
    /// Unix seconds.
    #[ts(type = "number")]
    pub at: u64,
    pub event: LogEventView,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub enum LogEventView {
    Connected,
    ConnectFailed {
        error: String,
    },
    SignedIn,
    SignInFailed {
        error: String,
    },
    Refreshed,
    RefreshFailed {
        error: String,
    },
    Disconnected {
        revoked: bool,
    },
    /// An agent started a session through the bridge, over stdio or HTTP.
    BridgeSession {
        over_http: bool,
    },
    /// An agent's call on the source (from the call log): who, what, and how it ended
    /// (`ok`, `tool error`, `refused`, `upstream error`, `timeout`).
    Call {
        agent: String,
        name: String,
        outcome: String,
    },
    /// An event this build of the app does not know yet.
    Other,
}

impl From<Entry> for LogEntryView {
    fn from(entry: Entry) -> Self {
        let event = match entry.event {
            Event::Connected { .. } => LogEventView::Connected,
            Event::ConnectFailed { error, problem } => {
                LogEventView::ConnectFailed { error: problem.unwrap_or(error) }
            }
            Event::SignedIn => LogEventView::SignedIn,
            Event::SignInFailed { error, detail } => {
                LogEventView::SignInFailed { error: detail.problem.unwrap_or(error) }
            }
            Event::Refreshed => LogEventView::Refreshed,
            Event::RefreshFailed { error, detail, .. } => {
                LogEventView::RefreshFailed { error: detail.problem.unwrap_or(error) }
            }
            Event::Disconnected { revoked } => LogEventView::Disconnected { revoked },
            Event::BridgeSession { agent } => {
                LogEventView::BridgeSession { over_http: agent == AgentKind::Http }
            }
            _ => LogEventView::Other,
        };
        Self { at: entry.at, event }
    }
}

impl From<Call> for LogEntryView {
    fn from(call: Call) -> Self {
        let (agent, outcome) = (call.agent.to_string(), call.outcome.as_str().to_owned());
        Self { at: call.at_ms / 1000, event: LogEventView::Call { agent, name: call.name, outcome } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lanyard::history::FailureDetail;

    fn failed(error: String, problem: Option<String>) -> Event {
        let detail = FailureDetail { problem, ..FailureDetail::default() };
        Event::RefreshFailed { error, detail, failures: 0, answer_lost: false }
    }

    #[test]
    fn entries_reach_the_ui_with_a_kind_and_their_time() {
        let entry = Entry { at: 7, event: failed("server down".into(), None) };
        let json = serde_json::to_value(LogEntryView::from(entry)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"at": 7, "event": {"kind": "refreshFailed", "error": "server down"}})
        );
        let session = Entry { at: 8, event: Event::BridgeSession { agent: AgentKind::Http } };
        assert_eq!(LogEntryView::from(session).event, LogEventView::BridgeSession { over_http: true });
    }

    #[test]
    fn a_call_shows_its_agent_tool_and_outcome_only() {
        let call = Call {
            at_ms: 7_500,
            agent: "ci".parse().unwrap(),
            source: "th".parse().unwrap(),
            name: "echo".into(),
            outcome: lanyard::agents::Outcome::Refused,
            ms: 3,
        };
        let json = serde_json::to_value(LogEntryView::from(call)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"at": 7, "event": {"kind": "call", "agent": "ci", "name": "echo", "outcome": "refused"}})
        );
    }

    /// Issue "desktop app": the log says what happened, not which command the CLI would run.
    #[test]
    fn a_failure_shows_its_problem_without_the_cli_command() {
        let id: lanyard::ids::SourceId = "fixture".parse().unwrap();
        let err = lanyard::oauth::OAuthError::NeedsSignIn { id };
        let event = failed(err.to_string(), err.advice().map(|a| a.problem));
        assert!(err.to_string().contains("lanyard connect"), "the CLI's `lanyard logs` keeps the command");
        let view = LogEntryView::from(Entry { at: 7, event }).event;
        assert_eq!(view, LogEventView::RefreshFailed { error: "source `fixture` needs sign-in".into() });
    }
}
