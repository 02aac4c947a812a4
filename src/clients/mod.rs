//! The agents and IDEs a person points at Lanyard: which are installed, where each keeps its
//! MCP servers, and how each spells an entry.
//!
//! Clients disagree on nearly everything (file, format, root key, the name of a URL, whether a
//! header may name a variable) and a wrong key fails silently in the client, so each one is
//! described once, in [`known`], as data: the catalogue. Everything else (listing, writing,
//! undoing, checking) is written once against that description.

mod client;
mod document;
mod entry;
mod env;
mod file;
mod import;
mod inventory;
mod known;

pub use client::{Client, Scope};
pub use document::{DocError, Document, Format, Place};
pub use entry::{Http, Stdio, TOKEN_VAR, ViaLanyard, via_lanyard};
pub use env::{Env, NoHomeFolder, Os};
pub use file::{ClientFileError, Undone, Written, WrittenView, last_backup, snippet, undo, write_entries};
pub use import::{importable, normalize};
pub use inventory::{ClientReport, FileReport, Standing, inspect, inspect_all, read_file};

/// Every known client.
pub fn catalogue() -> &'static [Client] {
    known::ALL
}

/// The client `lanyard config` calls `id`.
pub fn find(id: &str) -> Result<&'static Client, UnknownClient> {
    known::ALL.iter().find(|client| client.id == id).ok_or_else(|| UnknownClient(id.to_owned()))
}

/// An id that is not in the catalogue; each front end adds where the known ones are listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Lanyard does not know a client `{0}`")]
pub struct UnknownClient(pub String);

#[cfg(test)]
mod tests;
