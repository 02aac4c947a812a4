//! A tool's definition as pinned: the fields an agent's model reads (name, title, description,
//! input and output schema, annotations), in one canonical form whichever way the tool arrived.
//!
//! The pass-through bridge sees a tool as raw JSON and the merged server as rmcp's [`Tool`];
//! both go through rmcp's type once, so that a field rmcp does not know, or keys in another
//! order, never make the same tool look changed on one path and not on the other.

use rmcp::model::Tool;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The fields of a tool that are pinned; everything else (icons, `_meta`, execution hints) may
/// change freely.
const PINNED_FIELDS: [&str; 6] =
    ["name", "title", "description", "inputSchema", "outputSchema", "annotations"];

/// One tool's pinned fields, keys sorted at every level.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    name: String,
    value: Value,
}

impl Definition {
    /// A tool as a server listed it on the wire; `None` for an entry without a name.
    pub fn from_wire(raw: &Value) -> Option<Self> {
        match serde_json::from_value::<Tool>(raw.clone()) {
            Ok(tool) => Some(Self::from_tool(&tool)),
            // Not a tool rmcp reads (a schema that is no object, say): pinned as it came.
            Err(_) => Self::from_fields(raw),
        }
    }

    /// A tool as rmcp read it.
    pub fn from_tool(tool: &Tool) -> Self {
        let value = serde_json::to_value(tool).unwrap_or(Value::Null);
        Self::from_fields(&value).unwrap_or_else(|| Self { name: tool.name.to_string(), value })
    }

    /// A definition stored earlier (see [`Definition::value`]).
    pub fn from_stored(value: Value) -> Option<Self> {
        Self::from_fields(&value)
    }

    fn from_fields(raw: &Value) -> Option<Self> {
        let name = raw.get("name")?.as_str()?.to_owned();
        let fields: Map<String, Value> = PINNED_FIELDS
            .iter()
            .filter_map(|field| {
                raw.get(*field).filter(|v| !v.is_null()).map(|v| ((*field).to_owned(), sorted(v)))
            })
            .collect();
        Some(Self { name, value: sorted(&Value::Object(fields)) })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The pinned fields, as stored.
    pub fn value(&self) -> &Value {
        &self.value
    }

    pub fn description(&self) -> &str {
        self.value.get("description").and_then(Value::as_str).unwrap_or_default()
    }

    /// The SHA-256 of the canonical JSON of every pinned field.
    pub fn fingerprint(&self) -> String {
        hash(&self.value)
    }

    /// The fingerprint without the name: equal for a tool that was only renamed.
    pub fn body_fingerprint(&self) -> String {
        let mut body = self.value.clone();
        if let Value::Object(map) = &mut body {
            map.remove("name");
        }
        hash(&body)
    }
}

fn hash(value: &Value) -> String {
    let text = serde_json::to_vec(value).unwrap_or_default();
    Sha256::digest(&text).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `value` with the keys of every object in sorted order, so that its JSON text is canonical
/// whether or not serde_json keeps insertion order.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(keys.into_iter().map(|k| (k.clone(), sorted(&map[k]))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_wire_and_rmcp_give_the_same_fingerprint_whatever_the_key_order() {
        let wire = json!({"inputSchema": {"type": "object", "properties": {"b": {}, "a": {}}},
            "name": "echo", "description": "Says it back", "icons": [], "_meta": {"x": 1}});
        let tool: Tool = serde_json::from_value(wire.clone()).unwrap();
        let from_wire = Definition::from_wire(&wire).unwrap();
        assert_eq!(from_wire.fingerprint(), Definition::from_tool(&tool).fingerprint());
        let reordered = json!({"name": "echo", "description": "Says it back",
            "inputSchema": {"properties": {"a": {}, "b": {}}, "type": "object"}});
        assert_eq!(Definition::from_wire(&reordered).unwrap().fingerprint(), from_wire.fingerprint());
    }

    #[test]
    fn a_changed_description_changes_the_fingerprint_and_a_rename_only_the_name() {
        let echo = Definition::from_wire(
            &json!({"name": "echo", "description": "a", "inputSchema": {"type": "object"}}),
        )
        .unwrap();
        let changed = Definition::from_wire(
            &json!({"name": "echo", "description": "b", "inputSchema": {"type": "object"}}),
        )
        .unwrap();
        let renamed = Definition::from_wire(
            &json!({"name": "say", "description": "a", "inputSchema": {"type": "object"}}),
        )
        .unwrap();
        assert_ne!(echo.fingerprint(), changed.fingerprint());
        assert_ne!(echo.fingerprint(), renamed.fingerprint());
        assert_eq!(echo.body_fingerprint(), renamed.body_fingerprint(), "a rename keeps the body");
        assert!(Definition::from_wire(&json!({"description": "no name"})).is_none());
    }
}
