//! What each client holds now: `lanyard clients`, the doctor and the desktop app read it here.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::client::{Client, Scope};
use super::document::Format;
use super::document::{DocError, Document};
use super::entry::{ViaLanyard, via_lanyard};
use super::env::Env;

/// One client on this machine.
#[derive(Debug, Clone, Serialize)]
pub struct ClientReport {
    /// The name `lanyard config` takes.
    pub id: &'static str,
    pub name: &'static str,
    pub installed: bool,
    pub format: Format,
    /// Whether its file can take an HTTP entry without the token in clear.
    pub takes_http: bool,
    pub files: Vec<FileReport>,
}

/// One of a client's config files.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub scope: Scope,
    pub path: PathBuf,
    pub exists: bool,
    /// How many servers it holds.
    pub servers: usize,
    /// The names of those that go through Lanyard.
    pub via_lanyard: Vec<String>,
    /// Why it could not be read, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The backup `lanyard config --undo` would put back, when Lanyard wrote the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undo_from: Option<PathBuf>,
    /// Each server that goes through Lanyard, with how.
    #[serde(skip)]
    pub lanyard_entries: Vec<(String, ViaLanyard)>,
}

/// Where a client's file stands with Lanyard: the states the desktop app's Clients view shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// No server at all (or no file yet): *Set up* points it at Lanyard.
    NotSetUp,
    /// Every server in it goes through Lanyard.
    UsesLanyard { entries: usize },
    /// `servers` of its own that Lanyard could take over, beside `via_lanyard` that go through
    /// Lanyard already.
    CouldManage { servers: usize, via_lanyard: usize },
    /// The file does not read (broken, unreadable): nothing is written into it.
    Unreadable { error: String },
}

impl FileReport {
    /// Where this file stands with Lanyard.
    pub fn standing(&self) -> Standing {
        if let Some(error) = &self.error {
            return Standing::Unreadable { error: error.clone() };
        }
        let via_lanyard = self.via_lanyard.len();
        match self.servers.saturating_sub(via_lanyard) {
            0 if via_lanyard == 0 => Standing::NotSetUp,
            0 => Standing::UsesLanyard { entries: via_lanyard },
            servers => Standing::CouldManage { servers, via_lanyard },
        }
    }
}

/// Every known client.
pub fn inspect_all(env: &Env) -> Vec<ClientReport> {
    super::catalogue().iter().map(|client| inspect(client, env)).collect()
}

/// One client.
pub fn inspect(client: &Client, env: &Env) -> ClientReport {
    let files = client
        .scopes()
        .into_iter()
        .filter_map(|scope| Some((scope, client.file(env, scope)?)))
        .map(|(scope, path)| file_report(client, scope, path))
        .collect();
    ClientReport {
        id: client.id,
        name: client.name,
        installed: client.installed(env),
        format: client.format,
        takes_http: client.http.is_some(),
        files,
    }
}

fn file_report(client: &Client, scope: Scope, path: PathBuf) -> FileReport {
    let mut report = FileReport {
        scope,
        exists: path.exists(),
        undo_from: super::file::last_backup(&path),
        path,
        servers: 0,
        via_lanyard: Vec::new(),
        error: None,
        lanyard_entries: Vec::new(),
    };
    match read_file(client, &report.path) {
        Ok(servers) => {
            report.servers = servers.len();
            report.lanyard_entries = servers
                .iter()
                .filter_map(|(name, entry)| Some((name.clone(), via_lanyard(entry)?)))
                .collect();
            report.via_lanyard = report.lanyard_entries.iter().map(|(name, _)| name.clone()).collect();
        }
        Err(err) => report.error = Some(err.to_string()),
    }
    report
}

/// The servers in a client's file (none when it does not exist).
pub fn read_file(client: &Client, path: &Path) -> Result<Vec<(String, Value)>, DocError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(DocError::CannotEdit(format!("unreadable: {err}"))),
    };
    let doc = Document::parse(client.format, &text)?;
    doc.servers(client.place(&doc.value()))
}
