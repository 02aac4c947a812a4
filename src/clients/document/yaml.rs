//! YAML files (Goose's `config.yaml`, Continue's `config.yaml`), edited by lines.
//!
//! No maintained Rust crate edits YAML while keeping its comments, so the edit is a targeted
//! one: the entry's own lines are replaced, or new lines are added at the end of the servers'
//! block, in the file's own indentation and line endings, and nothing else is touched. The
//! result is then parsed back and must equal the old document with exactly that entry set;
//! when it does not (an unusual layout: flow style, anchors, a nested place), the file is
//! refused and left as it was, and the person pastes the snippet by hand.

use serde_json::Value;

use super::shape::{DocError, Place, expected_after, in_writing_order, one_line};

#[derive(Debug)]
pub struct YamlDoc {
    text: String,
    value: Value,
}

impl YamlDoc {
    pub fn parse(text: &str) -> Result<Self, DocError> {
        let value = parse_value(text)?;
        if !(value.is_object() || value.is_null()) {
            return Err(DocError::WrongShape { key: "(the top level)".into(), expected: "a mapping" });
        }
        Ok(Self { text: text.to_owned(), value })
    }

    pub fn value(&self) -> Value {
        self.value.clone()
    }

    pub fn upsert(&mut self, place: Place, name: &str, entry: &Value) -> Result<(), DocError> {
        let refuse = |why: &str| {
            DocError::CannotEdit(format!("the entry cannot be added without touching other lines ({why})"))
        };
        let expected = expected_after(&self.value, place, name, entry)
            .ok_or_else(|| refuse("the servers' key has another shape"))?;
        let text = edit(&self.text, &self.value, place, name, entry).map_err(|why| refuse(&why))?;
        let value = parse_value(&text).map_err(|_| refuse("the edit would not parse"))?;
        if value != expected {
            return Err(refuse("the edit would change more than the entry"));
        }
        self.text = text;
        self.value = value;
        Ok(())
    }

    pub fn render(&self) -> String {
        self.text.clone()
    }
}

fn parse_value(text: &str) -> Result<Value, DocError> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_norway::from_str::<Value>(text)
        .map_err(|err| DocError::Syntax { format: "YAML", message: one_line(&err.to_string()) })
}

/// `text` with the entry written at `place`, or why that cannot be done by lines.
fn edit(text: &str, value: &Value, place: Place, name: &str, entry: &Value) -> Result<String, String> {
    let (key, list) = match place {
        Place::Map([key]) => (*key, false),
        Place::List(key) => (key, true),
        Place::Map(_) => return Err("a nested key".into()),
    };
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let Some(key_line) = lines.iter().position(|line| top_level_value(line, key).is_some()) else {
        let indent = "  ";
        lines.push(format!("{key}:"));
        lines.extend(render(name, entry, indent, list)?);
        return Ok(join(&lines, newline));
    };
    let inline = top_level_value(&lines[key_line], key).unwrap_or_default();
    match inline.as_str() {
        "" => {}
        "{}" | "[]" | "null" | "~" => lines[key_line] = format!("{key}:"),
        _ => return Err(format!("`{key}` is written on one line")),
    }
    let block_end = (key_line + 1..lines.len())
        .find(|&i| {
            let line = &lines[i];
            !is_blank_or_comment(line) && indent_of(line) == 0 && !(list && line.starts_with('-'))
        })
        .unwrap_or(lines.len());
    let content: Vec<usize> =
        (key_line + 1..block_end).filter(|&i| !is_blank_or_comment(&lines[i])).collect();
    let last_content = content.last().copied().unwrap_or(key_line);
    let child_indent = match content.first() {
        Some(&first) => indent_of(&lines[first]),
        None => 2,
    };
    let indent = " ".repeat(child_indent);
    let starts: Vec<usize> = content
        .iter()
        .copied()
        .filter(|&i| {
            indent_of(&lines[i]) == child_indent && (!list || lines[i].trim_start().starts_with('-'))
        })
        .collect();
    let existing = if list {
        let items = value.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
        let index = items.iter().position(|item| item.get("name").and_then(Value::as_str) == Some(name));
        match index {
            Some(index) => Some(*starts.get(index).ok_or("the list's items are not one per line")?),
            None => None,
        }
    } else {
        starts.iter().copied().find(|&i| mapping_key(&lines[i]).as_deref() == Some(name))
    };
    let rendered = render(name, entry, &indent, list)?;
    match existing {
        Some(start) => {
            let end = starts.iter().copied().find(|&i| i > start).unwrap_or(last_content + 1);
            let end = (start + 1..end)
                .rev()
                .find(|&i| !is_blank_or_comment(&lines[i]))
                .map_or(start + 1, |i| i + 1);
            lines.splice(start..end, rendered);
        }
        None => {
            lines.splice(last_content + 1..last_content + 1, rendered);
        }
    }
    Ok(join(&lines, newline))
}

/// For `key: rest  # comment` at the top level, `rest` (empty for a block); `None` for
/// any other line.
fn top_level_value(line: &str, key: &str) -> Option<String> {
    let rest = [key.to_owned(), format!("\"{key}\""), format!("'{key}'")]
        .iter()
        .find_map(|spelled| line.strip_prefix(spelled.as_str()))?
        .strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let rest = match rest.find(" #") {
        Some(at) => &rest[..at],
        None => rest,
    };
    Some(rest.trim().to_owned())
}

/// The key of a `key:` line, unquoted.
fn mapping_key(line: &str) -> Option<String> {
    let trimmed = line.trim_start();
    let colon = trimmed.find(':')?;
    let raw = trimmed[..colon].trim();
    serde_norway::from_str::<String>(raw).ok()
}

/// The entry's lines: `name:` and its body indented under it, or a `- ` list item.
fn render(name: &str, entry: &Value, indent: &str, list: bool) -> Result<Vec<String>, String> {
    let body = serde_norway::to_string(&ordered(entry)).map_err(|err| err.to_string())?;
    let mut lines = Vec::new();
    if list {
        for (n, line) in body.lines().enumerate() {
            let lead = if n == 0 { "- " } else { "  " };
            lines.push(format!("{indent}{lead}{line}"));
        }
    } else {
        let key = serde_norway::to_string(name).map_err(|err| err.to_string())?;
        lines.push(format!("{indent}{}:", key.trim_end()));
        lines.extend(body.lines().map(|line| format!("{indent}  {line}")));
    }
    Ok(lines)
}

/// `value` as YAML with its keys in writing order.
fn ordered(value: &Value) -> serde_norway::Value {
    match value {
        Value::Object(map) => serde_norway::Value::Mapping(
            in_writing_order(map)
                .into_iter()
                .map(|(key, item)| (serde_norway::Value::String(key.clone()), ordered(item)))
                .collect(),
        ),
        Value::Array(items) => serde_norway::Value::Sequence(items.iter().map(ordered).collect()),
        other => serde_norway::to_value(other).unwrap_or(serde_norway::Value::Null),
    }
}

fn is_blank_or_comment(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.is_empty() || trimmed.starts_with('#')
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn join(lines: &[String], newline: &str) -> String {
    let mut text = lines.join(newline);
    text.push_str(newline);
    text
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn entry() -> Value {
        json!({"name": "github", "cmd": "/bin/lanyard", "args": ["bridge", "github"], "type": "stdio"})
    }

    #[test]
    fn a_mapping_entry_is_added_and_replaced_keeping_comments() {
        let text = "# goose\nGOOSE_MODEL: x # model\nextensions:\n    # built in\n    developer:\n        enabled: true\n        type: builtin\n    github:\n        cmd: old\n\n# after\nother: 1\n";
        let mut doc = YamlDoc::parse(text).unwrap();
        doc.upsert(Place::Map(&["extensions"]), "github", &entry()).unwrap();
        doc.upsert(Place::Map(&["extensions"]), "docs", &entry()).unwrap();
        let out = doc.render();
        for kept in ["# goose", "# model", "# built in", "# after", "        type: builtin"] {
            assert!(out.contains(kept), "{kept:?} is kept: {out}");
        }
        let value: Value = serde_norway::from_str(&out).unwrap();
        assert_eq!(value["extensions"]["github"]["cmd"], "/bin/lanyard", "{out}");
        assert_eq!(value["extensions"]["docs"]["args"], json!(["bridge", "github"]), "{out}");
        assert_eq!(value["other"], 1);
    }

    #[test]
    fn a_list_item_is_added_and_replaced() {
        let text = "name: assistant\nmcpServers:\n- name: other\n  command: x\n- name: github\n  command: old\n  args: [a]\nmodels: []\n";
        let mut doc = YamlDoc::parse(text).unwrap();
        doc.upsert(Place::List("mcpServers"), "github", &entry()).unwrap();
        let value: Value = serde_norway::from_str(&doc.render()).unwrap();
        assert_eq!(value["mcpServers"][1]["cmd"], "/bin/lanyard", "{}", doc.render());
        assert_eq!(value["mcpServers"][0]["command"], "x");
        assert_eq!(value["mcpServers"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn a_flow_style_place_is_refused() {
        let text = "extensions: {developer: {enabled: true}}\n";
        let mut doc = YamlDoc::parse(text).unwrap();
        let err = doc.upsert(Place::Map(&["extensions"]), "github", &entry()).unwrap_err();
        assert!(err.to_string().contains("without touching other lines"), "{err}");
        assert_eq!(doc.render(), text);
    }
}
