//! What the format editors share: the formats, where servers sit in a document, why a document
//! could not be read or edited, and the value an edit must leave. Below the editors and the
//! [`super::Document`] that dispatches to them, so that neither imports the other.

use serde_json::Value;

/// How a client's config file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Plain JSON (comments are not allowed by the client).
    Json,
    /// JSON with comments and trailing commas.
    Jsonc,
    Toml,
    Yaml,
}

/// Where in the document a client keeps its servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// An object (table, mapping) of entries keyed by server name, at this key path.
    Map(&'static [&'static str]),
    /// A list at this top-level key whose items carry their server name in `name`.
    List(&'static str),
}

impl Place {
    /// The key path, for messages: `mcp.servers`.
    pub fn describe(&self) -> String {
        match self {
            Place::Map(path) => path.join("."),
            Place::List(key) => (*key).to_owned(),
        }
    }
}

/// Why a document could not be read or edited.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocError {
    #[error("not valid {format}: {message}")]
    Syntax { format: &'static str, message: String },
    #[error("`{key}` is not {expected}")]
    WrongShape { key: String, expected: &'static str },
    #[error("{0}")]
    CannotEdit(String),
}

/// An object's keys in the order people read an entry: what it is, what it runs or where it
/// connects, then the rest alphabetically (the JSON value itself keeps no order).
pub(crate) fn in_writing_order(map: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    const FIRST: &[&str] = &["name", "type", "command", "cmd", "args", "url", "serverUrl", "httpUrl", "uri"];
    let rank = |key: &str| FIRST.iter().position(|first| *first == key).unwrap_or(FIRST.len());
    let mut pairs: Vec<_> = map.iter().collect();
    pairs.sort_by(|(a, _), (b, _)| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
    pairs
}

/// The servers at `place` in `root`.
pub fn servers_in(root: &Value, place: Place) -> Result<Vec<(String, Value)>, DocError> {
    match place {
        Place::Map(path) => {
            let mut node = root;
            for (depth, key) in path.iter().enumerate() {
                match node.get(key) {
                    None | Some(Value::Null) => return Ok(Vec::new()),
                    Some(next) => node = next,
                }
                if !node.is_object() {
                    let key = path[..=depth].join(".");
                    return Err(DocError::WrongShape { key, expected: "an object" });
                }
            }
            Ok(node.as_object().into_iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect())
        }
        Place::List(key) => match root.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items
                .iter()
                .filter_map(|item| Some((item.get("name")?.as_str()?.to_owned(), item.clone())))
                .collect()),
            Some(_) => Err(DocError::WrongShape { key: key.to_owned(), expected: "a list" }),
        },
    }
}

/// `root` with the server `name` at `place` set to `entry`, as the editors must leave it: the
/// yardstick the line-based YAML editor is checked against. `None` when `root` has a place of
/// the wrong shape (which [`servers_in`] reports first).
pub(crate) fn expected_after(root: &Value, place: Place, name: &str, entry: &Value) -> Option<Value> {
    let mut root = if root.is_object() { root.clone() } else { Value::Object(Default::default()) };
    let (path, list_key): (&[&str], Option<&str>) = match place {
        Place::Map(path) => (path, None),
        Place::List(key) => (&[], Some(key)),
    };
    let mut node = &mut root;
    for key in path {
        let next = node.as_object_mut()?.entry(key.to_string()).or_insert(Value::Null);
        if next.is_null() {
            *next = Value::Object(Default::default());
        }
        node = next;
    }
    match list_key {
        None => {
            node.as_object_mut()?.insert(name.to_owned(), entry.clone());
        }
        Some(key) => {
            let list = node.as_object_mut()?.entry(key.to_owned()).or_insert(Value::Null);
            if list.is_null() {
                *list = Value::Array(Vec::new());
            }
            let items = list.as_array_mut()?;
            match items.iter_mut().find(|item| item.get("name").and_then(Value::as_str) == Some(name)) {
                Some(item) => *item = entry.clone(),
                None => items.push(entry.clone()),
            }
        }
    }
    Some(root)
}

/// A parser's message, which spans lines with a caret drawing, as one line.
pub(crate) fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
