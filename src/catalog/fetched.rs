//! What reading a registry gives: the entries, and notes on what was skipped or where the
//! answer came from instead. Kept apart so that each kind of registry and the catalogue that
//! reads them all name it without naming each other.

use serde::Serialize;

use super::model::Entry;

/// Something worth telling the person that did not stop the operation: a document skipped, a
/// registry answered from the cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub registry: String,
    pub text: String,
}

impl Note {
    pub fn new(registry: &str, text: impl Into<String>) -> Self {
        Self { registry: registry.to_owned(), text: text.into() }
    }
}

/// Entries read from a registry, and the notes on what was skipped.
#[derive(Debug, Default)]
pub struct Fetched {
    pub entries: Vec<Entry>,
    pub notes: Vec<Note>,
}
