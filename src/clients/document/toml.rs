//! TOML files (Codex's `config.toml`), edited with `toml_edit`: every other table, comment and
//! blank line is kept, and a replaced entry keeps the comments above its header.

use serde_json::Value;
use toml_edit::{Array, DocumentMut, InlineTable, Item, Table};

use super::shape::{DocError, Place, in_writing_order, one_line};

#[derive(Debug)]
pub struct TomlDoc {
    doc: DocumentMut,
}

impl TomlDoc {
    pub fn parse(text: &str) -> Result<Self, DocError> {
        let doc = text
            .parse::<DocumentMut>()
            .map_err(|err| DocError::Syntax { format: "TOML", message: one_line(&err.to_string()) })?;
        Ok(Self { doc })
    }

    pub fn value(&self) -> Value {
        toml::from_str::<Value>(&self.doc.to_string()).unwrap_or(Value::Null)
    }

    pub fn upsert(&mut self, place: Place, name: &str, entry: &Value) -> Result<(), DocError> {
        let Place::Map(path) = place else {
            return Err(DocError::CannotEdit("a TOML client keeps its servers in a table".into()));
        };
        let mut table = self.doc.as_table_mut();
        for (depth, key) in path.iter().enumerate() {
            let item = table.entry(key).or_insert_with(|| {
                let mut made = Table::new();
                made.set_implicit(true);
                Item::Table(made)
            });
            table = item
                .as_table_mut()
                .ok_or_else(|| DocError::WrongShape { key: path[..=depth].join("."), expected: "a table" })?;
        }
        let mut new = entry_table(entry)?;
        if let Some(old) = table.get(name).and_then(Item::as_table) {
            *new.decor_mut() = old.decor().clone();
        }
        table.insert(name, Item::Table(new));
        Ok(())
    }

    pub fn render(&self) -> String {
        self.doc.to_string()
    }
}

/// An entry as a `[table]` whose nested objects are inline tables.
fn entry_table(entry: &Value) -> Result<Table, DocError> {
    let Value::Object(map) = entry else {
        return Err(DocError::CannotEdit("a server entry must be a table".into()));
    };
    let mut table = Table::new();
    for (key, value) in in_writing_order(map) {
        table.insert(key, Item::Value(toml_value(value)?));
    }
    Ok(table)
}

fn toml_value(value: &Value) -> Result<toml_edit::Value, DocError> {
    Ok(match value {
        Value::Null => return Err(DocError::CannotEdit("TOML has no null".into())),
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.into(),
            None => n.as_f64().unwrap_or_default().into(),
        },
        Value::String(s) => s.as_str().into(),
        Value::Array(items) => {
            let mut array = Array::new();
            for item in items {
                array.push(toml_value(item)?);
            }
            toml_edit::Value::Array(array)
        }
        Value::Object(map) => {
            let mut inline = InlineTable::new();
            for (key, item) in in_writing_order(map) {
                inline.insert(key, toml_value(item)?);
            }
            toml_edit::Value::InlineTable(inline)
        }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn other_tables_and_comments_are_kept_and_the_entry_is_a_table() {
        let text = "model = \"o3\" # mine\n\n# a server\n[mcp_servers.github]\ncommand = \"old\"\n\n[profiles.x]\nmodel = \"y\"\n";
        let mut doc = TomlDoc::parse(text).unwrap();
        let entry = json!({"command": "/bin/lanyard", "args": ["bridge", "github"]});
        doc.upsert(Place::Map(&["mcp_servers"]), "github", &entry).unwrap();
        doc.upsert(Place::Map(&["mcp_servers"]), "docs", &entry).unwrap();
        let out = doc.render();
        assert!(out.contains("# mine") && out.contains("# a server\n[mcp_servers.github]"), "{out}");
        let value: toml::Table = toml::from_str(&out).unwrap();
        assert_eq!(value["mcp_servers"]["github"]["command"].as_str(), Some("/bin/lanyard"), "{out}");
        assert_eq!(value["profiles"]["x"]["model"].as_str(), Some("y"));
        assert!(out.contains("[mcp_servers.docs]"), "a new entry gets its own table: {out}");
    }
}
