//! JSON and JSONC files, edited through `jsonc-parser`'s concrete syntax tree: comments,
//! trailing commas, indentation and key order outside the edited entry stay as they were.

use jsonc_parser::ParseOptions;
use jsonc_parser::cst::{CstInputValue, CstObject, CstRootNode};
use serde_json::Value;

use super::shape::{DocError, Place, in_writing_order};

#[derive(Debug)]
pub struct JsonDoc {
    root: CstRootNode,
}

impl JsonDoc {
    pub fn parse(text: &str) -> Result<Self, DocError> {
        let source = if text.trim().is_empty() { "{}\n" } else { text };
        let root = CstRootNode::parse(source, &ParseOptions::default())
            .map_err(|err| DocError::Syntax { format: "JSON", message: err.to_string() })?;
        Ok(Self { root })
    }

    pub fn value(&self) -> Value {
        self.root.value().and_then(|node| node.to_serde_value()).unwrap_or(Value::Null)
    }

    pub fn upsert(&mut self, place: Place, name: &str, entry: &Value) -> Result<(), DocError> {
        let top = self
            .root
            .object_value_or_create()
            .ok_or_else(|| DocError::WrongShape { key: "(the top level)".into(), expected: "an object" })?;
        match place {
            Place::Map(path) => {
                let servers = object_at(&top, path)?;
                match servers.get(name) {
                    Some(prop) => prop.set_value(input(entry)),
                    None => {
                        servers.append(name, input(entry));
                    }
                }
            }
            Place::List(key) => {
                let list = top
                    .array_value_or_create(key)
                    .ok_or_else(|| DocError::WrongShape { key: key.to_owned(), expected: "a list" })?;
                let existing =
                    list.elements().into_iter().filter_map(|element| element.as_object()).find(|item| {
                        item.to_serde_value().and_then(|v| v.get("name").cloned()) == Some(Value::from(name))
                    });
                match existing {
                    Some(item) => {
                        item.replace_with(input(entry));
                    }
                    None => {
                        list.append(input(entry));
                    }
                }
            }
        }
        Ok(())
    }

    pub fn render(&self) -> String {
        let mut text = self.root.to_string();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text
    }
}

/// The object at `path` below `top`, made when missing (a `null` counts as missing).
fn object_at(top: &CstObject, path: &[&str]) -> Result<CstObject, DocError> {
    let mut node = top.clone();
    for (depth, key) in path.iter().enumerate() {
        let is_null = node.get(key).and_then(|p| p.value()).is_some_and(|v| v.as_null_keyword().is_some());
        node = if is_null {
            node.object_value_or_set(key)
        } else {
            node.object_value_or_create(key).ok_or_else(|| DocError::WrongShape {
                key: path[..=depth].join("."),
                expected: "an object",
            })?
        };
    }
    Ok(node)
}

/// A JSON value as the syntax tree's input.
fn input(value: &Value) -> CstInputValue {
    match value {
        Value::Null => CstInputValue::Null,
        Value::Bool(b) => CstInputValue::Bool(*b),
        Value::Number(n) => CstInputValue::Number(n.to_string()),
        Value::String(s) => CstInputValue::String(s.clone()),
        Value::Array(items) => CstInputValue::Array(items.iter().map(input).collect()),
        Value::Object(map) => CstInputValue::Object(
            in_writing_order(map).into_iter().map(|(k, v)| (k.clone(), input(v))).collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn comments_and_layout_outside_the_entry_are_kept() {
        let text = "{\n  // my servers\n  \"mcpServers\": {\n    \"other\": { \"command\": \"x\" }, // keep\n  },\n  \"theme\": \"dark\"\n}\n";
        let mut doc = JsonDoc::parse(text).unwrap();
        doc.upsert(
            Place::Map(&["mcpServers"]),
            "github",
            &json!({"command": "C:\\l\\lanyard.exe", "args": ["bridge", "github"]}),
        )
        .unwrap();
        let out = doc.render();
        assert!(out.contains("// my servers") && out.contains("// keep"), "{out}");
        let value: Value = serde_json::from_str(&crate::profile::strip_jsonc(&out)).unwrap();
        assert_eq!(value["mcpServers"]["github"]["command"], "C:\\l\\lanyard.exe", "{out}");
        assert_eq!(value["mcpServers"]["other"]["command"], "x");
        assert_eq!(value["theme"], "dark");
    }
}
