//! A client's config file as a document that can be read and edited in place.
//!
//! The file belongs to the client and the person: an edit touches only the server entries
//! Lanyard writes and keeps every other key, comment and blank line. Each format has its own
//! editor (JSON and JSONC through a concrete syntax tree, TOML through `toml_edit`, YAML by
//! lines, checked by parsing it back); all of them read the document as a `serde_json::Value`,
//! so that what a client holds is judged the same way whatever its format.

mod json;
mod shape;
mod toml;
mod yaml;

use serde_json::Value;

pub use self::shape::{DocError, Format, Place, servers_in};

/// A parsed config file.
#[derive(Debug)]
pub enum Document {
    Json(json::JsonDoc),
    Toml(toml::TomlDoc),
    Yaml(yaml::YamlDoc),
}

impl Document {
    /// Parses `text`; blank text is an empty document.
    pub fn parse(format: Format, text: &str) -> Result<Self, DocError> {
        Ok(match format {
            Format::Json | Format::Jsonc => Document::Json(json::JsonDoc::parse(text)?),
            Format::Toml => Document::Toml(toml::TomlDoc::parse(text)?),
            Format::Yaml => Document::Yaml(yaml::YamlDoc::parse(text)?),
        })
    }

    /// The whole document as a value.
    pub fn value(&self) -> Value {
        match self {
            Document::Json(doc) => doc.value(),
            Document::Toml(doc) => doc.value(),
            Document::Yaml(doc) => doc.value(),
        }
    }

    /// The servers at `place`, by name, in the order the file has them. A missing place holds
    /// none; a place of the wrong shape is an error.
    pub fn servers(&self, place: Place) -> Result<Vec<(String, Value)>, DocError> {
        servers_in(&self.value(), place)
    }

    /// Sets the server `name` at `place` to `entry`, creating the place when missing. Returns
    /// whether an entry of that name was replaced.
    pub fn upsert(&mut self, place: Place, name: &str, entry: &Value) -> Result<bool, DocError> {
        let replaced = self.servers(place)?.iter().any(|(n, _)| n == name);
        match self {
            Document::Json(doc) => doc.upsert(place, name, entry)?,
            Document::Toml(doc) => doc.upsert(place, name, entry)?,
            Document::Yaml(doc) => doc.upsert(place, name, entry)?,
        }
        Ok(replaced)
    }

    /// The document as text.
    pub fn render(&self) -> String {
        match self {
            Document::Json(doc) => doc.render(),
            Document::Toml(doc) => doc.render(),
            Document::Yaml(doc) => doc.render(),
        }
    }
}
