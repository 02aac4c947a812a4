//! The Clients view's side of the wire: each agent or IDE of the engine's catalogue with where
//! its own file stands with Lanyard, and what Set up, Import and Undo did. Only the user's file
//! of each client is shown: the app has no project folder, and a project's file is untrusted
//! input that is never imported without the person confirming each server.

use lanyard::clients::{ClientReport, Scope, Standing, Undone};
use lanyard::engine::{ImportOutcome, TakenOver};
use serde::Serialize;
use ts_rs::TS;

use super::{CliView, TS_DIR, WrittenView};

/// Every client of the catalogue, in its order, and the `lanyard` program the entries run.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub struct ClientsView {
    pub clients: Vec<McpClientView>,
    /// Set up and Import need it: the entries they write run it.
    pub cli: CliView,
}

impl ClientsView {
    pub fn new(reports: Vec<ClientReport>, cli: CliView) -> Self {
        Self { clients: reports.into_iter().map(McpClientView::from).collect(), cli }
    }
}

/// One agent or IDE (named apart from the OAuth client of a source's sign-in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub struct McpClientView {
    /// The catalogue's id, the name `lanyard config` takes.
    pub id: String,
    pub name: String,
    pub installed: bool,
    /// Its user-level config file.
    pub path: Option<String>,
    pub state: ClientStateView,
    /// Whether Undo can put the file back as it was before Lanyard's last write.
    pub can_undo: bool,
}

/// Where the client's file stands with Lanyard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub enum ClientStateView {
    /// No server in it (or no file yet).
    NotSetUp,
    /// Every server in it goes through Lanyard.
    UsesLanyard { entries: u32 },
    /// `servers` of its own that Import would make Lanyard sources.
    CouldManage { servers: u32, via_lanyard: u32 },
    /// It does not read; `error` says why. Nothing is written into it.
    Unreadable { error: String },
}

impl From<Standing> for ClientStateView {
    fn from(standing: Standing) -> Self {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        match standing {
            Standing::NotSetUp => Self::NotSetUp,
            Standing::UsesLanyard { entries } => Self::UsesLanyard { entries: count(entries) },
            Standing::CouldManage { servers, via_lanyard } => {
                Self::CouldManage { servers: count(servers), via_lanyard: count(via_lanyard) }
            }
            Standing::Unreadable { error } => Self::Unreadable { error },
        }
    }
}

impl From<ClientReport> for McpClientView {
    fn from(report: ClientReport) -> Self {
        let user = report.files.into_iter().find(|file| file.scope == Scope::User);
        Self {
            id: report.id.to_owned(),
            name: report.name.to_owned(),
            installed: report.installed,
            path: user.as_ref().map(|file| file.path.display().to_string()),
            state: user.as_ref().map_or(ClientStateView::NotSetUp, |file| file.standing().into()),
            can_undo: user.is_some_and(|file| file.undo_from.is_some()),
        }
    }
}

/// What Import did: the servers that became sources (and those skipped, with why), and the
/// client's file with their entries now running `lanyard bridge`.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub struct TakenOverView {
    pub imported: ImportOutcome,
    /// `null` when nothing was imported, so the file was left as it was.
    pub written: Option<WrittenView>,
}

impl From<TakenOver> for TakenOverView {
    fn from(taken: TakenOver) -> Self {
        Self { imported: taken.imported, written: taken.written.map(Into::into) }
    }
}

/// What Undo did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub struct UndoneView {
    pub path: String,
    /// There was no file before Lanyard's write, so it was removed.
    pub removed: bool,
}

impl From<Undone> for UndoneView {
    fn from(undone: Undone) -> Self {
        Self { path: undone.path.display().to_string(), removed: undone.removed }
    }
}

#[cfg(test)]
mod tests {
    use lanyard::clients::{Env, Os, inspect, write_entries};
    use serde_json::json;

    use super::*;

    #[test]
    fn a_client_crosses_with_its_user_file_state_and_undo() {
        let home = tempfile::tempdir().unwrap();
        let env = Env::new(Os::Linux, home.path(), home.path().join("project"));
        let cursor = lanyard::clients::find("cursor").unwrap();
        let view = McpClientView::from(inspect(cursor, &env));
        assert_eq!(view.id, "cursor");
        assert!(!view.installed, "nothing in this home");
        assert_eq!(view.state, ClientStateView::NotSetUp);
        assert!(!view.can_undo);
        let path = home.path().join(".cursor/mcp.json");
        assert_eq!(view.path.as_deref(), Some(path.to_str().unwrap()), "the user file, not the project's");

        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, r#"{"mcpServers": {"a": {"command": "a"}, "b": {"command": "b"}}}"#).unwrap();
        write_entries(cursor, &path, &[("gh".into(), cursor.bridge_entry("/bin/lanyard", "gh"))]).unwrap();
        let view = McpClientView::from(inspect(cursor, &env));
        assert!(view.installed);
        assert!(view.can_undo, "Lanyard wrote the file, so Undo is offered");
        assert_eq!(
            serde_json::to_value(&view.state).unwrap(),
            json!({"kind": "couldManage", "servers": 2, "viaLanyard": 1}),
            "the view words the state from these"
        );
    }

    #[test]
    fn states_serialize_with_a_kind_tag() {
        assert_eq!(serde_json::to_value(ClientStateView::NotSetUp).unwrap(), json!({"kind": "notSetUp"}));
        assert_eq!(
            serde_json::to_value(ClientStateView::from(Standing::UsesLanyard { entries: 3 })).unwrap(),
            json!({"kind": "usesLanyard", "entries": 3})
        );
        assert_eq!(
            serde_json::to_value(ClientStateView::from(Standing::Unreadable { error: "line 1".into() }))
                .unwrap(),
            json!({"kind": "unreadable", "error": "line 1"})
        );
    }
}
