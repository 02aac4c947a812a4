//! One client as the catalogue describes it, and what follows from the description.
//!
//! Below both the catalogue ([`super::known`]) and what reads it (files, inventory), so that
//! neither imports the module that assembles them.

use std::path::PathBuf;

use serde_json::Value;

use super::document::{Format, Place};
use super::entry::{Http, Stdio};
use super::env::{self, Env};

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
    pub(super) markers: fn(&Env) -> Vec<PathBuf>,
    /// Programs whose presence on `PATH` says it is installed.
    pub(super) programs: &'static [&'static str],
    pub(super) user_file: Option<fn(&Env) -> PathBuf>,
    /// Relative to the project folder.
    pub(super) project_file: Option<&'static str>,
    /// Where its servers are, given what the file holds now.
    pub(super) place: fn(&Value) -> Place,
    pub(super) stdio: fn(Stdio) -> Value,
    /// `None`: its file cannot take an HTTP entry without the token in clear.
    pub(super) http: Option<fn(Http) -> Value>,
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

    /// Its entry that runs `program bridge <source>`: what `lanyard config`, the app's *Set up*
    /// and a take-over write.
    pub fn bridge_entry(&self, program: &str, source: &str) -> Value {
        let args = ["bridge".to_owned(), source.to_owned()];
        self.stdio_entry(Stdio { name: source, command: program, args: &args })
    }

    /// Its entry that runs `program bridge <source> --agent <agent>` with the agent's token in
    /// the entry's environment ([`crate::agents::TOKEN_VAR`]): a stdio bridge proves which agent
    /// it serves with it, so that an entry cannot claim another agent's rights.
    pub fn agent_entry(&self, program: &str, source: &str, agent: &str, token: &str) -> Value {
        let args = ["bridge".to_owned(), source.to_owned(), "--agent".to_owned(), agent.to_owned()];
        let mut entry = self.stdio_entry(Stdio { name: source, command: program, args: &args });
        let key = match self.id {
            "goose" => "envs",
            "opencode" => "environment",
            _ => "env",
        };
        if let Some(fields) = entry.as_object_mut() {
            let env = fields.entry(key).or_insert_with(|| Value::Object(Default::default()));
            if let Some(env) = env.as_object_mut() {
                env.insert(crate::agents::TOKEN_VAR.to_owned(), Value::String(token.to_owned()));
            }
        }
        entry
    }

    /// Whether its file takes an entry for the hub's HTTP address, the token named and not held.
    pub fn takes_http(&self) -> bool {
        self.http.is_some()
    }

    /// Its entry for an HTTP server with the bridge token taken from `http.token_var` in the
    /// client's own syntax; `None` when it has no way to keep the token out of its file.
    pub fn http_entry(&self, http: Http) -> Option<Value> {
        self.http.map(|entry| entry(http))
    }
}
