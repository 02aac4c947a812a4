//! `lanyard config <client> --write`: merging the bridge snippet into an IDE's own config file.
//!
//! The file belongs to the IDE and the person, so the merge touches only the entries Lanyard
//! writes (same-named servers are replaced, every other key is kept as it was), a copy of the old
//! file is kept beside it first, and the new file replaces the old one by a rename, never by a
//! partial write. A file with comments (JSONC, as VS Code and Zed allow) is refused instead of
//! rewritten, because writing it back would silently drop the comments.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::ide::IdeClient;

/// What went wrong writing an IDE config file; nothing was changed when this is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdeConfigError {
    #[error("cannot read {}: {err}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        err: std::io::Error,
    },
    #[error("{} is not valid JSON (line {line}, column {column}); fix it or paste the snippet by hand", path.display())]
    NotJson { path: PathBuf, line: usize, column: usize },
    #[error("{}: `{key}` is not a JSON object; fix it or paste the snippet by hand", path.display())]
    NotAnObject { path: PathBuf, key: String },
    #[error(
        "{} has comments, which rewriting it would drop; paste the snippet (`lanyard config` without --write) by hand",
        path.display()
    )]
    HasComments { path: PathBuf },
    #[error("cannot write {}: {err}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        err: std::io::Error,
    },
    #[error("no default config location for this client here; give one with --file")]
    NoDefaultPath,
}

/// What [`write_config`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub path: PathBuf,
    /// The copy of the previous file, when there was one.
    pub backup: Option<PathBuf>,
    /// Servers that were added.
    pub added: Vec<String>,
    /// Servers whose earlier entries were replaced.
    pub replaced: Vec<String>,
}

/// Where `client` keeps its MCP servers by default: Claude Desktop's and Zed's files in the
/// user's config folder, Cursor's in the home folder, VS Code's in the current workspace.
pub fn default_config_path(client: IdeClient) -> Option<PathBuf> {
    match client {
        IdeClient::ClaudeDesktop => {
            Some(dirs::config_dir()?.join("Claude").join("claude_desktop_config.json"))
        }
        IdeClient::Cursor => Some(dirs::home_dir()?.join(".cursor").join("mcp.json")),
        IdeClient::Vscode => Some(PathBuf::from(".vscode").join("mcp.json")),
        IdeClient::Zed => Some(dirs::home_dir()?.join(".config").join("zed").join("settings.json")),
    }
}

/// Merges `snippet` (from [`ide_snippet`](super::ide_snippet)) into the file at `path`,
/// creating it (and its folder) when missing.
pub fn write_config(path: &Path, snippet: &Value) -> Result<Written, IdeConfigError> {
    let old = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => return Err(IdeConfigError::Read { path: path.to_owned(), err }),
    };
    let current = match old.as_deref() {
        None => Value::Object(Map::new()),
        Some(text) if text.trim().is_empty() => Value::Object(Map::new()),
        Some(text) => parse(path, text)?,
    };
    let (merged, added, replaced) = merge(path, current, snippet)?;
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let write_err = |err| IdeConfigError::Write { path: path.to_owned(), err };
    std::fs::create_dir_all(folder).map_err(write_err)?;
    let backup = match &old {
        Some(text) => {
            let backup = backup_path(path);
            std::fs::write(&backup, text)
                .map_err(|err| IdeConfigError::Write { path: backup.clone(), err })?;
            Some(backup)
        }
        None => None,
    };
    let mut text = serde_json::to_string_pretty(&merged).expect("a JSON value serializes");
    text.push('\n');
    let mut file = tempfile::NamedTempFile::new_in(folder).map_err(write_err)?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(write_err)?;
    file.persist(path).map_err(|err| write_err(err.error))?;
    Ok(Written { path: path.to_owned(), backup, added, replaced })
}

fn parse(path: &Path, text: &str) -> Result<Value, IdeConfigError> {
    match serde_json::from_str(text) {
        Ok(value) => Ok(value),
        Err(err) => {
            let stripped = crate::profile::strip_jsonc(text);
            if serde_json::from_str::<Value>(&stripped).is_ok() {
                return Err(IdeConfigError::HasComments { path: path.to_owned() });
            }
            Err(IdeConfigError::NotJson { path: path.to_owned(), line: err.line(), column: err.column() })
        }
    }
}

/// `current` with every server of `snippet` set; returns the added and the replaced names.
fn merge(
    path: &Path,
    mut current: Value,
    snippet: &Value,
) -> Result<(Value, Vec<String>, Vec<String>), IdeConfigError> {
    let not_object = |key: &str| IdeConfigError::NotAnObject { path: path.to_owned(), key: key.to_owned() };
    let root = current.as_object_mut().ok_or_else(|| not_object("(the top level)"))?;
    let (mut added, mut replaced) = (Vec::new(), Vec::new());
    for (key, servers) in snippet.as_object().into_iter().flatten() {
        let existing = root
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .ok_or_else(|| not_object(key))?;
        for (name, entry) in servers.as_object().into_iter().flatten() {
            match existing.insert(name.clone(), entry.clone()) {
                Some(_) => replaced.push(name.clone()),
                None => added.push(name.clone()),
            }
        }
    }
    Ok((current, added, replaced))
}

/// `<file>.lanyard-backup`, or with a number when that exists already, so that no earlier
/// backup is overwritten.
fn backup_path(path: &Path) -> PathBuf {
    let base = format!("{}.lanyard-backup", path.display());
    let mut candidate = PathBuf::from(&base);
    let mut n = 1;
    while candidate.exists() {
        candidate = PathBuf::from(format!("{base}-{n}"));
        n += 1;
    }
    candidate
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::bridge::ide_snippet;

    fn snippet() -> Value {
        ide_snippet(IdeClient::ClaudeDesktop, "/bin/lanyard", &["github".parse().unwrap()])
    }

    #[test]
    fn a_missing_file_is_created_without_a_backup() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Claude").join("claude_desktop_config.json");
        let written = write_config(&path, &snippet()).expect("written");
        assert_eq!(written.backup, None, "nothing to back up");
        assert_eq!(written.added, vec!["github".to_owned()]);
        let value: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(value["mcpServers"]["github"]["args"], json!(["bridge", "github"]), "{value}");
    }

    #[test]
    fn other_keys_and_servers_are_kept_and_the_old_file_is_backed_up() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let before =
            r#"{"theme": "dark", "mcpServers": {"other": {"command": "x"}, "github": {"command": "old"}}}"#;
        std::fs::write(&path, before).unwrap();
        let written = write_config(&path, &snippet()).expect("written");
        assert_eq!(written.replaced, vec!["github".to_owned()], "the same-named entry is replaced");
        let value: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(value["theme"], "dark", "unrelated settings are kept: {value}");
        assert_eq!(value["mcpServers"]["other"]["command"], "x", "other servers are kept: {value}");
        assert_eq!(value["mcpServers"]["github"]["command"], "/bin/lanyard", "{value}");
        let backup = written.backup.expect("a backup was made");
        assert_eq!(
            std::fs::read_to_string(&backup).unwrap(),
            before,
            "the backup is the old file, byte for byte"
        );
        let again = write_config(&path, &snippet()).expect("written again");
        assert_ne!(again.backup, Some(backup), "a second write keeps the first backup");
    }

    #[test]
    fn broken_or_commented_files_are_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        for (text, problem) in [
            ("{\"a\": 1,, }", "not JSON"),
            ("{\n // mine\n \"a\": 1 }", "comments"),
            ("[1, 2]", "not an object"),
            ("{\"mcpServers\": []}", "servers not an object"),
        ] {
            std::fs::write(&path, text).unwrap();
            let err = write_config(&path, &snippet()).expect_err(problem);
            let message = err.to_string();
            assert!(message.contains("settings.json"), "{problem}: the error names the file: {message}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "{problem}: the file is untouched");
        }
        let backups = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(backups, 1, "a refused write leaves no backup behind");
    }
}
