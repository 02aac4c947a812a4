//! The agents and IDEs a person points at Lanyard: which are installed, where each keeps its
//! MCP servers, and how each spells an entry.
//!
//! Clients disagree on nearly everything (file, format, root key, the name of a URL, whether a
//! header may name a variable) and a wrong key fails silently in the client, so each one is
//! described once, in [`known`], as data: the catalogue. Everything else (listing, writing,
//! undoing, checking) is written once against that description.

mod document;
mod entry;
mod env;
mod file;
mod import;
mod inventory;
mod known;

use std::path::PathBuf;

use serde_json::Value;

pub use document::{DocError, Document, Format, Place};
pub use entry::{Http, Stdio, TOKEN_VAR, ViaLanyard, via_lanyard};
pub use env::{Env, Os};
pub use file::{ClientFileError, Undone, Written, snippet, undo, write_entries};
pub use import::normalize;
pub use inventory::{ClientReport, FileReport, inspect, inspect_all, read_file};

/// Which of a client's files: the person's own, or the one in the current project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    User,
    Project,
}

/// One client, as the catalogue describes it.
#[derive(Debug, Clone, Copy)]
pub struct Client {
    /// The name `lanyard config` takes: `claude-desktop`, `codex`, ...
    pub id: &'static str,
    /// The name people know it by.
    pub name: &'static str,
    pub format: Format,
    /// Files or folders whose presence says it is installed.
    markers: fn(&Env) -> Vec<PathBuf>,
    /// Programs whose presence on `PATH` says it is installed.
    programs: &'static [&'static str],
    user_file: Option<fn(&Env) -> PathBuf>,
    /// Relative to the project folder.
    project_file: Option<&'static str>,
    /// Where its servers are, given what the file holds now.
    place: fn(&Value) -> Place,
    stdio: fn(Stdio) -> Value,
    /// `None`: its file cannot take an HTTP entry without the token in clear.
    http: Option<fn(Http) -> Value>,
}

impl Client {
    /// Whether it looks installed: its user file or one of its folders exists, or its program
    /// is on `PATH`.
    pub fn installed(&self, env: &Env) -> bool {
        let user_file = self.file(env, Scope::User).is_some_and(|file| file.exists());
        user_file
            || (self.markers)(env).iter().any(|path| path.exists())
            || self.programs.iter().any(|p| env.on_path(p))
    }

    /// Its config file for `scope`, when it has one there.
    pub fn file(&self, env: &Env, scope: Scope) -> Option<PathBuf> {
        match scope {
            Scope::User => self.user_file.map(|file| file(env)),
            Scope::Project => self.project_file.map(|file| env::join(&env.project, file)),
        }
    }

    /// The scopes it has a file for, the user's first.
    pub fn scopes(&self) -> Vec<Scope> {
        [Scope::User, Scope::Project].into_iter().filter(|&scope| self.has_scope(scope)).collect()
    }

    pub fn has_scope(&self, scope: Scope) -> bool {
        match scope {
            Scope::User => self.user_file.is_some(),
            Scope::Project => self.project_file.is_some(),
        }
    }

    /// Where its servers are in a file that holds `root`.
    pub fn place(&self, root: &Value) -> Place {
        (self.place)(root)
    }

    /// Its entry for a stdio server.
    pub fn stdio_entry(&self, stdio: Stdio) -> Value {
        (self.stdio)(stdio)
    }

    /// Its entry for an HTTP server with the bridge token taken from `http.token_var` in the
    /// client's own syntax; `None` when it has no way to keep the token out of its file.
    pub fn http_entry(&self, http: Http) -> Option<Value> {
        self.http.map(|entry| entry(http))
    }
}

/// Every known client.
pub fn catalogue() -> &'static [Client] {
    known::ALL
}

/// The client `lanyard config` calls `id`.
pub fn find(id: &str) -> Option<&'static Client> {
    known::ALL.iter().find(|client| client.id == id)
}

#[cfg(test)]
mod tests;
