//! A readable difference between a pinned tool definition and the one offered since: the
//! description word by word, every other field (schemas, annotations, title) as the paths whose
//! values were added, removed or changed. What a person needs to judge a change, not a patch.

use std::collections::BTreeMap;

use serde_json::Value;

/// Descriptions longer than this many words are shown whole, old and new, not word by word.
const MAX_DIFF_WORDS: usize = 2_000;

/// The lines that tell `before` (`None`: a new tool) from `after`, both pinned definitions.
pub fn readable(before: Option<&Value>, after: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    let field = |value: Option<&Value>, name: &str| value.and_then(|v| v.get(name)).cloned();
    let (old_name, new_name) = (field(before, "name"), field(Some(after), "name"));
    if let (Some(old), Some(new)) = (&old_name, &new_name)
        && old != new
    {
        lines.push(format!("name: {} -> {}", text(old), text(new)));
    }
    let old_description = field(before, "description").as_ref().map(text).unwrap_or_default();
    let new_description = field(Some(after), "description").as_ref().map(text).unwrap_or_default();
    if before.is_none() {
        lines.push(format!("description: {new_description}"));
    } else if old_description != new_description {
        lines.push(format!("description: {}", words(&old_description, &new_description)));
    }
    let (old, new) = (leaves_of(before), leaves_of(Some(after)));
    for (path, value) in &new {
        match old.get(path) {
            None => lines.push(format!("+ {path}: {value}")),
            Some(was) if was != value => lines.push(format!("~ {path}: {was} -> {value}")),
            Some(_) => {}
        }
    }
    for (path, value) in old.iter().filter(|(path, _)| !new.contains_key(*path)) {
        lines.push(format!("- {path}: {value}"));
    }
    lines
}

fn text(value: &Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_owned)
}

/// Every leaf of the definition's fields other than its name and description, by path
/// (`inputSchema/properties/message/type`); arrays are leaves, shown whole.
fn leaves_of(definition: Option<&Value>) -> BTreeMap<String, String> {
    let mut leaves = BTreeMap::new();
    if let Some(Value::Object(fields)) = definition {
        for (name, value) in
            fields.iter().filter(|(name, _)| !matches!(name.as_str(), "name" | "description"))
        {
            collect(name, value, &mut leaves);
        }
    }
    leaves
}

fn collect(path: &str, value: &Value, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, inner) in map {
                collect(&format!("{path}/{key}"), inner, out);
            }
        }
        leaf => {
            out.insert(path.to_owned(), leaf.to_string());
        }
    }
}

/// `old` to `new` word by word: removed words in `[-…-]`, added ones in `{+…+}`.
pub fn words(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.split_inclusive(char::is_whitespace).collect();
    let b: Vec<&str> = new.split_inclusive(char::is_whitespace).collect();
    if a.len().max(b.len()) > MAX_DIFF_WORDS {
        return format!("[-{old}-]{{+{new}+}}");
    }
    // Longest common subsequence, by words.
    let mut common = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            common[i][j] =
                if a[i] == b[j] { common[i + 1][j + 1] + 1 } else { common[i + 1][j].max(common[i][j + 1]) };
        }
    }
    let mut out = String::new();
    let (mut removed, mut added) = (String::new(), String::new());
    let flush = |out: &mut String, removed: &mut String, added: &mut String| {
        if !removed.is_empty() {
            out.push_str(&format!("[-{}-]", std::mem::take(removed)));
        }
        if !added.is_empty() {
            out.push_str(&format!("{{+{}+}}", std::mem::take(added)));
        }
    };
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            flush(&mut out, &mut removed, &mut added);
            out.push_str(a[i]);
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || common[i][j + 1] >= common[i + 1][j]) {
            added.push_str(b[j]);
            j += 1;
        } else {
            removed.push_str(a[i]);
            i += 1;
        }
    }
    flush(&mut out, &mut removed, &mut added);
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_description_is_compared_word_by_word() {
        assert_eq!(
            words("Sends the message back", "Sends the whole message back now"),
            "Sends the {+whole +}message [-back-]{+back now+}"
        );
        assert_eq!(words("same", "same"), "same");
    }

    #[test]
    fn schemas_show_the_paths_that_changed() {
        let before = json!({"name": "echo", "description": "a",
            "inputSchema": {"type": "object", "properties": {"message": {"type": "string"}}, "required": ["message"]}});
        let after = json!({"name": "echo", "description": "a",
            "inputSchema": {"type": "object", "properties": {"message": {"type": "number"}, "path": {"type": "string"}}}});
        let lines = readable(Some(&before), &after);
        assert_eq!(
            lines,
            [
                "~ inputSchema/properties/message/type: \"string\" -> \"number\"",
                "+ inputSchema/properties/path/type: \"string\"",
                "- inputSchema/required: [\"message\"]",
            ]
        );
        let renamed = readable(
            Some(&before),
            &json!({"name": "say", "description": "a",
            "inputSchema": before["inputSchema"].clone()}),
        );
        assert_eq!(renamed, ["name: echo -> say"]);
        let new = readable(
            None,
            &json!({"name": "rm", "description": "Removes", "inputSchema": {"type": "object"}}),
        );
        assert_eq!(new, ["description: Removes", "+ inputSchema/type: \"object\""]);
    }
}
