//! A source's activity log as the detail view lists it: the engine's entries and the agents'
//! calls on the source, each in the engine's words (`Event::describe`, as a window reads them:
//! a failure without the `lanyard` command its message ends in, since the window has buttons for
//! those), with its kind to mark it by.
//! Redacted by construction upstream (the engine's events carry only its own error messages), so
//! nothing here needs filtering.

use lanyard::agents::{Call, Outcome};
use lanyard::history::{Entry, Event, Reader};
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
    pub kind: LogKind,
    /// What happened, in the engine's words.
    pub text: String,
    /// Something failed (a connect, a sign-in, a renewal, a call that did not end `ok`).
    pub failed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub enum LogKind {
    Connected,
    ConnectFailed,
    SignedIn,
    SignInFailed,
    Refreshed,
    RefreshFailed,
    Disconnected,
    BridgeSession,
    /// An agent's call on the source (from the call log).
    Call,
    /// An event this build of the app does not know yet.
    Other,
}

impl From<Entry> for LogEntryView {
    fn from(entry: Entry) -> Self {
        let kind = match entry.event {
            Event::Connected { .. } => LogKind::Connected,
            Event::ConnectFailed { .. } => LogKind::ConnectFailed,
            Event::SignedIn => LogKind::SignedIn,
            Event::SignInFailed { .. } => LogKind::SignInFailed,
            Event::Refreshed => LogKind::Refreshed,
            Event::RefreshFailed { .. } => LogKind::RefreshFailed,
            Event::Disconnected { .. } => LogKind::Disconnected,
            Event::BridgeSession { .. } => LogKind::BridgeSession,
            _ => LogKind::Other,
        };
        let (text, failed) = (entry.event.describe(Reader::Window), entry.event.is_failure());
        Self { at: entry.at, kind, text, failed }
    }
}

impl From<Call> for LogEntryView {
    fn from(call: Call) -> Self {
        let (text, failed) = (call.describe(), call.outcome != Outcome::Ok);
        Self { at: call.at_ms / 1000, kind: LogKind::Call, text, failed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lanyard::history::{AgentKind, FailureDetail};

    fn failed(error: String, problem: Option<String>) -> Event {
        let detail = FailureDetail { problem, ..FailureDetail::default() };
        Event::RefreshFailed { error, detail, failures: 0, answer_lost: false }
    }

    #[test]
    fn entries_reach_the_ui_with_a_kind_their_time_and_the_engines_words() {
        let event = failed("server down".into(), None);
        let json = serde_json::to_value(LogEntryView::from(Entry { at: 7, event: event.clone() })).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"at": 7, "kind": "refreshFailed", "text": event.describe(Reader::Window), "failed": true})
        );
        let session = Entry { at: 8, event: Event::BridgeSession { agent: AgentKind::Http } };
        let view = LogEntryView::from(session);
        assert_eq!((view.kind, view.failed), (LogKind::BridgeSession, false));
    }

    #[test]
    fn a_call_shows_its_agent_tool_and_outcome_only() {
        let call = Call {
            at_ms: 7_500,
            agent: "ci".parse().unwrap(),
            source: "th".parse().unwrap(),
            name: "echo".into(),
            outcome: Outcome::Refused,
            ms: 3,
        };
        let view = LogEntryView::from(call.clone());
        assert_eq!((view.at, view.kind, view.failed), (7, LogKind::Call, true));
        assert_eq!(view.text, call.describe());
    }

    /// Issue "desktop app": the log says what happened, not which command the CLI would run.
    #[test]
    fn a_failure_shows_its_problem_without_the_cli_command() {
        let id: lanyard::ids::SourceId = "fixture".parse().unwrap();
        let err = lanyard::oauth::OAuthError::NeedsSignIn { id };
        let event = failed(err.to_string(), err.advice().map(|a| a.problem));
        assert!(
            event.describe(Reader::Terminal).contains("lanyard connect"),
            "`lanyard logs` keeps the command"
        );
        let view = LogEntryView::from(Entry { at: 7, event });
        assert!(!view.text.contains("lanyard connect"), "{}", view.text);
    }
}
