//! A registry that is a folder of `server.json` documents, for a machine without the internet
//! or a team that keeps its list in a repository. Each `.json` file (in the folder or below it)
//! is one document, one registry answer (`{"server": ..., "_meta": ...}`), or a whole listing
//! (`{"servers": [...]}`); a file that is none of these is skipped with a note naming it.

use std::path::{Path, PathBuf};

use super::error::CatalogError;
use super::fetched::{Fetched, Note};
use super::model::Entry;

/// How deep below the folder files are looked for.
const MAX_DEPTH: usize = 4;

/// Every document in the folder at `path`, every version of every server.
pub fn read_folder(path: &Path) -> Result<Fetched, CatalogError> {
    if !path.is_dir() {
        return Err(CatalogError::Folder { path: path.to_owned(), reason: "not a folder".into() });
    }
    let mut files = Vec::new();
    collect(path, 0, &mut files);
    files.sort();
    let shown = path.display().to_string();
    let mut fetched = Fetched::default();
    for file in files {
        let skip = |reason: String| Note::new(&shown, format!("{} was skipped: {reason}", file.display()));
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(err) => {
                fetched.notes.push(skip(err.to_string()));
                continue;
            }
        };
        let value: serde_json::Value = match serde_json::from_str(&text) {
            Ok(value) => value,
            Err(err) => {
                fetched.notes.push(skip(format!("not JSON ({err})")));
                continue;
            }
        };
        let values = match value {
            serde_json::Value::Object(mut map) if map.get("servers").is_some_and(|s| s.is_array()) => {
                match map.remove("servers") {
                    Some(serde_json::Value::Array(values)) => values,
                    _ => Vec::new(),
                }
            }
            other => vec![other],
        };
        for value in values {
            match Entry::from_value(value) {
                Ok(entry) => fetched.entries.push(entry),
                Err(reason) => fetched.notes.push(skip(reason)),
            }
        }
    }
    Ok(fetched)
}

fn collect(dir: &Path, depth: usize, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() && depth < MAX_DEPTH {
            collect(&path, depth + 1, files);
        } else if path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("json")) {
            files.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_answers_and_listings_are_read_and_a_broken_file_is_a_note() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.json"), r#"{"name": "x.y/a", "version": "1.0.0"}"#).unwrap();
        std::fs::write(
            dir.path().join("b.json"),
            r#"{"server": {"name": "x.y/b", "version": "2.0.0"}, "_meta": {}}"#,
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("more")).unwrap();
        std::fs::write(
            dir.path().join("more/list.json"),
            r#"{"servers": [{"server": {"name": "x.y/c", "version": "1"}}, {"oops": 1}]}"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("broken.json"), "{ not json").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();

        let fetched = read_folder(dir.path()).unwrap();
        let mut names: Vec<_> = fetched.entries.iter().map(|e| e.server.name.as_str()).collect();
        names.sort();
        assert_eq!(names, ["x.y/a", "x.y/b", "x.y/c"]);
        assert_eq!(fetched.notes.len(), 2, "{:?}", fetched.notes);
        assert!(fetched.notes.iter().any(|n| n.text.contains("broken.json")), "{:?}", fetched.notes);
    }

    #[test]
    fn a_missing_folder_is_an_error() {
        assert!(read_folder(Path::new("/nonexistent/registry")).is_err());
    }
}
