//! The events the shell sends to the web view: one enum, one event name per kind, each payload a
//! wire type. ts-rs writes the enum as a tagged union (`{ event, payload }`), so the UI's
//! `listen` calls are checked against the names and payloads here.
//!
//! Events only say *that* something changed (and, for a sign-in, the URL the person is asked to
//! open; for the hub, its new state); the UI then re-reads status through a command. No event
//! carries a token or a secret.

use serde::Serialize;
use tauri::{AppHandle, Emitter};
use ts_rs::TS;

use crate::wire::{HubView, TS_DIR};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "event", content = "payload", rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub enum AppEvent {
    /// A source's tokens changed (signed in, disconnected): re-read its status.
    SourcesChanged(SourceRef),
    /// A sign-in handed `url` to the browser and waits for its answer on the loopback redirect.
    SignInWaiting(SignInWaiting),
    /// The hub (the HTTP bridge the app hosts) started, failed or stopped.
    HubChanged(HubView),
    /// A server asks the person something during a tool the window is trying: show the dialog
    /// and answer with `answer_elicitation`.
    ElicitationAsked(ElicitationAsked),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub struct SourceRef {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub struct SignInWaiting {
    pub id: String,
    /// The authorization URL, to show while the browser has it (it carries no secret: the PKCE
    /// verifier and the code never leave the engine).
    pub url: String,
}

/// A server's question for the person (MCP elicitation), as the server sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub struct ElicitationAsked {
    /// What the answer names.
    #[ts(type = "number")]
    pub number: u64,
    pub source_id: String,
    /// The request's params on the wire: a form (`message`, `requestedSchema`) or, with
    /// `mode: "url"`, a `message` and a `url` that nothing opens by itself.
    #[ts(type = "unknown")]
    pub request: serde_json::Value,
}

impl From<lanyard::upstream::Asked> for ElicitationAsked {
    fn from(asked: lanyard::upstream::Asked) -> Self {
        Self {
            number: asked.number,
            source_id: asked.source.to_string(),
            request: serde_json::to_value(&asked.request).unwrap_or_default(),
        }
    }
}

impl AppEvent {
    /// The Tauri event name: the variant's tag, as the TypeScript union spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::SourcesChanged(_) => "sourcesChanged",
            Self::SignInWaiting(_) => "signInWaiting",
            Self::HubChanged(_) => "hubChanged",
            Self::ElicitationAsked(_) => "elicitationAsked",
        }
    }

    /// Sends the event to the web view. A window that is gone cannot be told; that is logged,
    /// never an error for the command that caused the event.
    pub fn emit(self, app: &AppHandle) {
        let name = self.name();
        let sent = match self {
            Self::SourcesChanged(payload) => app.emit(name, payload),
            Self::SignInWaiting(payload) => app.emit(name, payload),
            Self::HubChanged(payload) => app.emit(name, payload),
            Self::ElicitationAsked(payload) => app.emit(name, payload),
        };
        if let Err(err) = sent {
            tracing::debug!(event = name, %err, "could not send an event to the window");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_are_the_tags_the_ui_listens_for() {
        let events = [
            AppEvent::SourcesChanged(SourceRef { id: "gh".into() }),
            AppEvent::SignInWaiting(SignInWaiting { id: "gh".into(), url: "https://as.example/auth".into() }),
        ];
        for event in events {
            let json = serde_json::to_value(&event).unwrap();
            assert_eq!(json["event"], event.name(), "the TypeScript union and the emitted name must agree");
            assert_eq!(json["payload"]["id"], "gh", "every source event names its source");
        }
        let hub = AppEvent::HubChanged(HubView::Starting);
        let json = serde_json::to_value(&hub).unwrap();
        assert_eq!(json["event"], hub.name(), "the hub's event too");
        assert_eq!(json["payload"]["kind"], "starting", "its payload is the hub's state");
    }

    #[test]
    fn a_question_reaches_the_window_as_the_server_sent_it() {
        let request = serde_json::json!({
            "message": "Your name?",
            "requestedSchema": { "type": "object", "properties": { "name": { "type": "string", "default": "Ada" } } },
        });
        let asked = lanyard::upstream::Asked {
            number: 7,
            source: "modern".parse().unwrap(),
            request: serde_json::from_value(request.clone()).unwrap(),
        };
        let event = AppEvent::ElicitationAsked(asked.into());
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["event"], "elicitationAsked");
        assert_eq!(json["event"], event.name());
        assert_eq!(json["payload"]["number"], 7);
        assert_eq!(json["payload"]["sourceId"], "modern");
        assert_eq!(json["payload"]["request"]["message"], request["message"]);
        assert_eq!(
            json["payload"]["request"]["requestedSchema"]["properties"],
            request["requestedSchema"]["properties"]
        );
    }
}
