//! The lock files that keep one refresh of a source's tokens (or of an identity session) at a
//! time across every Lanyard process: an exclusive advisory OS lock (`File::lock`) on a file in
//! `<data dir>/locks/`, which also serializes threads of one process and is released if the
//! process dies.

use std::path::Path;

use super::error::OAuthError;
use crate::ids::SourceId;

/// An exclusive lock on one source's lock file; released when dropped (the file closes).
pub(super) struct SourceLock {
    _file: std::fs::File,
}

impl SourceLock {
    pub(super) async fn acquire(dir: &Path, id: &SourceId) -> Result<Self, OAuthError> {
        Self::acquire_file(dir, &format!("{id}.lock"), id).await
    }

    /// The lock of `file_name` in `dir`, taken for `id` (named in an error).
    pub(super) async fn acquire_file(dir: &Path, file_name: &str, id: &SourceId) -> Result<Self, OAuthError> {
        let path = dir.join(file_name);
        let blocking_path = path.clone();
        let locked = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
            if let Some(parent) = blocking_path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let file =
                std::fs::File::options().create(true).truncate(false).write(true).open(&blocking_path)?;
            file.lock()?;
            Ok(file)
        })
        .await
        .map_err(std::io::Error::other)
        .and_then(|result| result);
        match locked {
            Ok(file) => Ok(Self { _file: file }),
            Err(err) => Err(OAuthError::Lock { id: id.clone(), path, err }),
        }
    }
}
