//! Writing Lanyard's entries into a client's file, and undoing that.
//!
//! The file is the client's and the person's. A write parses it first and refuses a file it
//! cannot parse, leaving it untouched; it changes only the entries it writes; it keeps the old
//! file beside it (`<file>.lanyard-backup`, numbered when there is one already, or an empty
//! `<file>.lanyard-absent` when there was no file), and replaces the file by a rename so that
//! no reader ever sees half of it. `--undo` puts back the newest of those, byte for byte, but
//! only while the file is still as that write left it (a digest of it is kept beside the backup
//! as `<backup>.sha256`): changes made since would be lost, so then it refuses and names the
//! backup.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::client::Client;
use super::document::{DocError, Document};

/// What went wrong with a client's file; nothing was changed when this is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientFileError {
    #[error("cannot {action} {}: {err}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        err: std::io::Error,
    },
    /// Worded for the terminal; [`ClientFileError::in_window`] names the window's way to the snippet.
    #[error("{}", refused(path, err, "paste the snippet (`lanyard config` without --write)"))]
    Refused { path: PathBuf, err: DocError },
    #[error("nothing to undo for {}: Lanyard has no backup of it left", path.display())]
    NothingToUndo { path: PathBuf },
    #[error(
        "{} changed after Lanyard wrote it, and undoing would lose those changes; the file from before Lanyard's write is {}: compare the two and copy what you want by hand",
        path.display(),
        backup.display()
    )]
    ChangedSince { path: PathBuf, backup: PathBuf },
    #[error("{}: {err}; nothing was imported: fix the file, then try again", path.display())]
    Unreadable { path: PathBuf, err: DocError },
}

impl ClientFileError {
    /// The message as the desktop window says it: where the terminal names `lanyard config`, the
    /// Bridge panel that shows the snippet.
    pub fn in_window(&self) -> String {
        match self {
            Self::Refused { path, err } => {
                refused(path, err, "copy the snippet from the Bridge panel into it")
            }
            other => other.to_string(),
        }
    }
}

/// A file Lanyard would not write, and `snippet`: where the person finds the entries to paste.
fn refused(path: &Path, err: &DocError, snippet: &str) -> String {
    format!("{}: {err}; Lanyard left it as it was: fix it, or {snippet} by hand", path.display())
}

/// What [`write_entries`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub path: PathBuf,
    /// The copy of the previous file (or the marker that there was none); `None` when nothing
    /// had to change.
    pub backup: Option<PathBuf>,
    /// There was no file before: the backup only marks that, and undo removes the file.
    pub created: bool,
    pub added: Vec<String>,
    pub replaced: Vec<String>,
    /// The environment variable the entries read an agent's key from, which the person sets
    /// where the client starts; `None` when they hold all they need.
    pub key_var: Option<String>,
}

/// [`Written`] as the window shows it (*Write to config*, the Clients view's Set up): paths as
/// text, and whether anything changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = crate::TS_DIR))]
pub struct WrittenView {
    pub path: String,
    /// The copy of the previous file, when there was one.
    pub backup: Option<String>,
    /// `false` when the file had these entries already, so nothing was written.
    pub changed: bool,
    pub added: Vec<String>,
    pub replaced: Vec<String>,
    /// Set up as an agent over HTTP: the variable to set to the agent's key where the client starts.
    pub key_var: Option<String>,
    /// What happened, one sentence per fact: the words `lanyard config --write` prints and the
    /// window shows, written here only.
    pub said: Vec<String>,
}

impl From<Written> for WrittenView {
    fn from(written: Written) -> Self {
        let path = written.path.display().to_string();
        // A new file's backup only marks that there was none.
        let backup = written.backup.as_ref().filter(|_| !written.created).map(|b| b.display().to_string());
        let said =
            said(&path, written.backup.is_some(), backup.as_deref(), &written.added, &written.replaced);
        Self {
            path,
            changed: written.backup.is_some(),
            backup,
            added: written.added,
            replaced: written.replaced,
            key_var: written.key_var,
            said,
        }
    }
}

/// [`WrittenView::said`].
fn said(
    path: &str,
    changed: bool,
    backup: Option<&str>,
    added: &[String],
    replaced: &[String],
) -> Vec<String> {
    if !changed {
        return vec![format!("{path} already has these entries; nothing changed.")];
    }
    let mut lines = vec![format!("Wrote {path}.")];
    for (what, names) in [("Added", added), ("Replaced", replaced)] {
        if !names.is_empty() {
            lines.push(format!("{what}: {}.", names.join(", ")));
        }
    }
    if added.is_empty() && replaced.is_empty() {
        lines.push("No sources to add: enable or add one first.".to_owned());
    }
    lines.push(match backup {
        Some(backup) => format!("The previous file is kept as {backup}."),
        None => "There was no file before, so no backup.".to_owned(),
    });
    lines
}

/// What [`undo`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undone {
    pub path: PathBuf,
    /// The backup that was put back (and is gone now).
    pub from: PathBuf,
    /// The file had not existed before, so it was removed.
    pub removed: bool,
}

/// `text` with `entries` (server name, entry) set in `client`'s place.
pub(crate) fn apply(
    client: &Client,
    text: &str,
    entries: &[(String, Value)],
) -> Result<(Document, Vec<bool>), DocError> {
    let mut doc = Document::parse(client.format, text)?;
    let place = client.place(&doc.value());
    let replaced =
        entries.iter().map(|(name, entry)| doc.upsert(place, name, entry)).collect::<Result<Vec<_>, _>>()?;
    Ok((doc, replaced))
}

/// The snippet of `entries` alone, in the client's format.
pub fn snippet(client: &Client, entries: &[(String, Value)]) -> Result<String, DocError> {
    Ok(apply(client, "", entries)?.0.render())
}

/// Sets `entries` in the client's file at `path`, creating it (and its folder) when missing.
pub fn write_entries(
    client: &Client,
    path: &Path,
    entries: &[(String, Value)],
) -> Result<Written, ClientFileError> {
    let io = |action, err| ClientFileError::Io { action, path: path.to_owned(), err };
    let old = match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => return Err(io("read", err)),
    };
    let text = match &old {
        Some(bytes) => std::str::from_utf8(bytes).map_err(|_| ClientFileError::Refused {
            path: path.to_owned(),
            err: DocError::Syntax { format: "UTF-8", message: "the file is not text".into() },
        })?,
        None => "",
    };
    let (doc, replaced) = apply(client, text, entries)
        .map_err(|err| ClientFileError::Refused { path: path.to_owned(), err })?;
    let (mut added, mut kept) = (Vec::new(), Vec::new());
    for ((name, _), replaced) in entries.iter().zip(replaced) {
        if replaced { kept.push(name.clone()) } else { added.push(name.clone()) }
    }
    let new = doc.render();
    if old.as_deref() == Some(new.as_bytes()) {
        return Ok(Written {
            path: path.to_owned(),
            backup: None,
            created: false,
            added,
            replaced: kept,
            key_var: None,
        });
    }
    let folder = folder_of(path);
    std::fs::create_dir_all(folder).map_err(|err| io("create the folder of", err))?;
    let backup = next_backup(path, old.is_some());
    write_private(&backup, old.as_deref().unwrap_or_default()).map_err(|err| ClientFileError::Io {
        action: "keep a backup of",
        path: backup.clone(),
        err,
    })?;
    let digest = digest_path(&backup);
    let written =
        std::fs::write(&digest, hex_digest(new.as_bytes())).and_then(|()| replace(path, new.as_bytes()));
    if let Err(err) = written {
        let _ = std::fs::remove_file(&backup);
        let _ = std::fs::remove_file(&digest);
        return Err(io("write", err));
    }
    Ok(Written {
        path: path.to_owned(),
        backup: Some(backup),
        created: old.is_none(),
        added,
        replaced: kept,
        key_var: None,
    })
}

/// Puts back the file as it was before the newest `--write` (removing it when there was none).
pub fn undo(path: &Path) -> Result<Undone, ClientFileError> {
    let Some((from, existed)) = backups(path).into_iter().max_by_key(|(n, _, _)| *n).map(|(_, p, e)| (p, e))
    else {
        return Err(ClientFileError::NothingToUndo { path: path.to_owned() });
    };
    let io = |action, err| ClientFileError::Io { action, path: path.to_owned(), err };
    let digest = digest_path(&from);
    if let Ok(expected) = std::fs::read_to_string(&digest) {
        let now = match std::fs::read(path) {
            Ok(bytes) => Some(hex_digest(&bytes)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
            Err(err) => return Err(io("read", err)),
        };
        if now.as_deref() != Some(expected.trim()) {
            return Err(ClientFileError::ChangedSince { path: path.to_owned(), backup: from });
        }
    }
    if existed {
        let bytes = std::fs::read(&from).map_err(|err| ClientFileError::Io {
            action: "read",
            path: from.clone(),
            err,
        })?;
        replace(path, &bytes).map_err(|err| io("restore", err))?;
    } else {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(io("remove", err)),
        }
    }
    std::fs::remove_file(&from).map_err(|err| ClientFileError::Io {
        action: "remove",
        path: from.clone(),
        err,
    })?;
    let _ = std::fs::remove_file(&digest);
    Ok(Undone { path: path.to_owned(), from, removed: !existed })
}

/// The backup [`undo`] would put back for `path`, when there is one.
pub fn last_backup(path: &Path) -> Option<PathBuf> {
    backups(path).into_iter().max_by_key(|(n, _, _)| *n).map(|(_, backup, _)| backup)
}

const BACKUP: &str = ".lanyard-backup";
const ABSENT: &str = ".lanyard-absent";

/// The backups beside `path`: (number, path, whether it holds a file rather than marking
/// that there was none). The first has no number (0), the next `-1`, `-2`, ...
fn backups(path: &Path) -> Vec<(u64, PathBuf, bool)> {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else { return Vec::new() };
    let Ok(listing) = std::fs::read_dir(folder_of(path)) else { return Vec::new() };
    listing
        .filter_map(Result::ok)
        .filter_map(|item| {
            let file = item.file_name().into_string().ok()?;
            let rest = file.strip_prefix(name)?;
            let (suffix, existed) = match (rest.strip_prefix(BACKUP), rest.strip_prefix(ABSENT)) {
                (Some(suffix), _) => (suffix, true),
                (_, Some(suffix)) => (suffix, false),
                _ => return None,
            };
            let number = match suffix {
                "" => 0,
                _ => suffix.strip_prefix('-')?.parse().ok()?,
            };
            Some((number, item.path(), existed))
        })
        .collect()
}

/// The name for the next backup of `path`.
fn next_backup(path: &Path, existed: bool) -> PathBuf {
    let next = backups(path).iter().map(|(n, _, _)| n + 1).max().unwrap_or(0);
    let kind = if existed { BACKUP } else { ABSENT };
    let number = if next == 0 { String::new() } else { format!("-{next}") };
    PathBuf::from(format!("{}{kind}{number}", path.display()))
}

/// Writes a new file only its owner can read: a client's old file may hold API keys in clear.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Where the digest of what a write left is kept: beside its backup.
fn digest_path(backup: &Path) -> PathBuf {
    PathBuf::from(format!("{}.sha256", backup.display()))
}

fn hex_digest(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Replaces `path` with `bytes` by a rename from a temporary file beside it, keeping the old
/// file's permissions.
fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut temp =
        tempfile::Builder::new().prefix(".lanyard-").suffix(".tmp").tempfile_in(folder_of(path))?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    if let Ok(meta) = std::fs::metadata(path) {
        temp.as_file().set_permissions(meta.permissions())?;
    }
    temp.persist(path).map_err(|err| err.error)?;
    Ok(())
}

fn folder_of(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

#[cfg(test)]
mod view_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn written_outcomes_carry_paths_and_names() {
        let view = WrittenView::from(Written {
            path: PathBuf::from("/c/claude.json"),
            backup: Some(PathBuf::from("/c/claude.json.lanyard-backup")),
            created: false,
            added: vec!["a".into()],
            replaced: vec!["b".into()],
            key_var: Some("LANYARD_AGENT_TOKEN_X".into()),
        });
        let json = serde_json::to_value(view).unwrap();
        assert_eq!(json["backup"], "/c/claude.json.lanyard-backup", "{json}");
        assert_eq!(json["replaced"], json!(["b"]), "{json}");
        assert_eq!(json["keyVar"], "LANYARD_AGENT_TOKEN_X", "{json}");
        let created = WrittenView::from(Written {
            path: PathBuf::from("/c/claude.json"),
            backup: Some(PathBuf::from("/c/claude.json.lanyard-absent")),
            created: true,
            added: vec!["a".into()],
            replaced: Vec::new(),
            key_var: None,
        });
        assert_eq!(created.backup, None, "a new file had nothing to back up");
        assert!(created.changed);
        let same = WrittenView::from(Written {
            path: PathBuf::from("/c/claude.json"),
            backup: None,
            created: false,
            added: Vec::new(),
            replaced: vec!["a".into()],
            key_var: None,
        });
        assert!(!same.changed, "nothing was written");
        assert_eq!(same.said, ["/c/claude.json already has these entries; nothing changed."]);
        assert_eq!(
            json["said"],
            json!([
                "Wrote /c/claude.json.",
                "Added: a.",
                "Replaced: b.",
                "The previous file is kept as /c/claude.json.lanyard-backup."
            ]),
            "{json}"
        );
        assert_eq!(created.said.last().map(String::as_str), Some("There was no file before, so no backup."));
    }
}
