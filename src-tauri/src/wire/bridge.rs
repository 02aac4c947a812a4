//! The bridge panel's side of the wire: where the hub stands, the IDE clients and their config
//! snippets, and what *Write to config* did. Separate from the sources types because it follows
//! the engine's `bridge` module and the shell's own hub.
//!
//! The bridge token is the one secret that crosses into the web view, and only as the answer to
//! the *Reveal* click ([`RevealedToken`]); it has no `Debug` that shows it.

use std::path::PathBuf;

use lanyard::program::CliNotFound;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::TS_DIR;
use crate::hub::{HubFailure, HubState};

/// The hub's lifecycle, as the panel shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub enum HubView {
    Starting,
    /// `address` is `127.0.0.1:<port>`; agents use `http://<address>/mcp` and `/mcp/<id>`.
    Running {
        address: String,
    },
    /// Not running: `reason` to branch on, `message` in words, and `advice`: what to do.
    Failed {
        reason: HubFailureView,
        message: String,
        advice: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub enum HubFailureView {
    PortTaken {
        port: u16,
    },
    BadPortSetting,
    /// The keychain that holds the bridge token cannot be used; the message says why and what to do.
    Keychain,
    CannotStart,
    Stopped,
}

impl From<&HubState> for HubView {
    fn from(state: &HubState) -> Self {
        match state {
            HubState::Starting => Self::Starting,
            HubState::Running { address } => Self::Running { address: address.to_string() },
            HubState::Failed { reason } => {
                let kind = match reason {
                    HubFailure::PortTaken { port } => HubFailureView::PortTaken { port: *port },
                    HubFailure::BadPortSetting { .. } => HubFailureView::BadPortSetting,
                    HubFailure::Keychain { .. } => HubFailureView::Keychain,
                    HubFailure::CannotStart { .. } => HubFailureView::CannotStart,
                    HubFailure::Stopped { .. } => HubFailureView::Stopped,
                };
                Self::Failed { reason: kind, message: reason.to_string(), advice: reason.advice() }
            }
        }
    }
}

/// The agents the panel offers config for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub enum IdeClientView {
    ClaudeDesktop,
    Cursor,
    Vscode,
    Zed,
}

impl IdeClientView {
    /// Its id in the engine's catalogue of clients.
    pub fn catalogue_id(self) -> &'static str {
        match self {
            Self::ClaudeDesktop => "claude-desktop",
            Self::Cursor => "cursor",
            Self::Vscode => "vscode",
            Self::Zed => "zed",
        }
    }
}

/// One client's config: the snippet to paste, the `lanyard` command it runs, and where *Write
/// to config* would write it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub struct IdeConfigView {
    pub client: IdeClientView,
    /// In the client's own format, ready to copy.
    pub snippet: String,
    pub cli: CliView,
    /// The file *Write to config* merges into (the client's user file); `null` when the app
    /// has none to offer.
    pub config_path: Option<String>,
    /// How many enabled sources the snippet names.
    pub sources: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub enum CliView {
    /// The `lanyard` program the snippet runs.
    Found { path: String },
    /// No `lanyard` beside the app or on PATH; the snippet says plain `lanyard`. `looked` says
    /// where the app looked.
    Missing { looked: String },
}

impl CliView {
    pub fn new(found: Result<PathBuf, CliNotFound>) -> Self {
        match found {
            Ok(path) => Self::Found { path: path.display().to_string() },
            Err(CliNotFound { looked }) => Self::Missing { looked },
        }
    }

    /// The program name to put into a snippet.
    pub fn program(&self) -> &str {
        match self {
            Self::Found { path } => path,
            Self::Missing { .. } => "lanyard",
        }
    }
}

/// The bridge token, revealed on the person's click. Serialized as the bare string; its `Debug`
/// never shows it, so a log line or a panic message cannot carry it.
#[derive(Clone, Serialize, TS)]
#[ts(export, export_to = TS_DIR, type = "string")]
pub struct RevealedToken(String);

impl RevealedToken {
    pub fn new(token: &lanyard::Secret) -> Self {
        Self(token.expose().to_owned())
    }
}

impl std::fmt::Debug for RevealedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RevealedToken([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, SocketAddr};

    use serde_json::json;

    use super::*;

    #[test]
    fn hub_states_serialize_with_a_kind_tag() {
        let running = HubState::Running { address: SocketAddr::from((Ipv4Addr::LOCALHOST, 7587)) };
        assert_eq!(
            serde_json::to_value(HubView::from(&running)).unwrap(),
            json!({"kind": "running", "address": "127.0.0.1:7587"}),
            "the panel builds the URLs from the address"
        );
        assert_eq!(
            serde_json::to_value(HubView::from(&HubState::Starting)).unwrap(),
            json!({"kind": "starting"})
        );
        let taken = HubState::Failed { reason: HubFailure::PortTaken { port: 7587 } };
        let json = serde_json::to_value(HubView::from(&taken)).unwrap();
        assert_eq!(
            json["reason"],
            json!({"kind": "portTaken", "port": 7587}),
            "the panel branches on the reason"
        );
        assert!(json["message"].as_str().unwrap().contains("7587"), "the message names the port: {json}");
        let advice = HubFailure::PortTaken { port: 7587 }.advice();
        assert_eq!(json["advice"], advice, "what to do, in the engine's words");

        let keychain =
            HubState::Failed { reason: HubFailure::Keychain { message: "no Secret Service".into() } };
        let json = serde_json::to_value(HubView::from(&keychain)).unwrap();
        assert_eq!(
            json["reason"],
            json!({"kind": "keychain"}),
            "a keychain failure is its own reason: {json}"
        );
    }

    #[test]
    fn a_missing_cli_still_gives_a_snippet_program_and_says_where_it_looked() {
        let missing = CliView::new(Err(CliNotFound { looked: "/opt/lanyard and PATH".into() }));
        assert_eq!(missing.program(), "lanyard", "the snippet falls back to the bare name");
        assert_eq!(
            serde_json::to_value(&missing).unwrap(),
            json!({"kind": "missing", "looked": "/opt/lanyard and PATH"}),
            "the panel says where it looked"
        );
        let found = CliView::new(Ok(PathBuf::from("/opt/lanyard/lanyard")));
        assert_eq!(found.program(), "/opt/lanyard/lanyard", "the found program goes into the snippet");
    }

    #[test]
    fn clients_cross_by_their_camel_case_names() {
        let client: IdeClientView = serde_json::from_value(json!("claudeDesktop")).unwrap();
        assert_eq!(client.catalogue_id(), "claude-desktop", "the UI's name maps to the catalogue's client");
        for client in
            [IdeClientView::ClaudeDesktop, IdeClientView::Cursor, IdeClientView::Vscode, IdeClientView::Zed]
        {
            assert!(lanyard::clients::find(client.catalogue_id()).is_ok(), "{client:?} is catalogued");
        }
        assert!(
            serde_json::from_value::<IdeClientView>(json!("emacs")).is_err(),
            "unknown clients are refused"
        );
    }

    #[test]
    fn the_revealed_token_is_the_bare_string_and_debug_hides_it() {
        let token = RevealedToken::new(&lanyard::Secret::new("s3cr3t-token"));
        assert_eq!(serde_json::to_value(&token).unwrap(), json!("s3cr3t-token"), "Reveal shows the value");
        assert!(!format!("{token:?}").contains("s3cr3t"), "Debug must not print the token");
    }
}
