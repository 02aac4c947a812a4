//! The pins on disk: one JSON file per source in the data folder's `pins/`
//! ([`crate::paths::Dirs::pins`]), changed under a lock file and replaced atomically, since every
//! bridge process of the source, `lanyard serve` and the person's `lanyard tools --review` may
//! read and write it at the same time.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::PathBuf;

use tracing::warn;

use super::ledger::Ledger;
use crate::ids::SourceId;

/// Why the pins of a source could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("cannot {what} the pinned tool definitions in {path}: {err}")]
pub struct PinStoreError {
    what: &'static str,
    path: PathBuf,
    #[source]
    err: std::io::Error,
}

/// The folder of every source's pins.
#[derive(Debug, Clone)]
pub struct PinStore {
    dir: PathBuf,
}

impl PinStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The file of source `id`'s pins.
    pub fn path(&self, id: &SourceId) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// The source's pins; `None` when it was not listed since it was added or enabled. A file
    /// that cannot be read as pins is set aside (`.json.unreadable`) with a warning, and the
    /// source starts over as if new: nothing is lost, and nothing is trusted from a broken file.
    pub fn load(&self, id: &SourceId) -> Result<Option<Ledger>, PinStoreError> {
        let path = self.path(id);
        let text = match fs::read(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(PinStoreError { what: "read", path, err }),
        };
        match serde_json::from_slice(&text) {
            Ok(ledger) => Ok(Some(ledger)),
            Err(err) => {
                let aside = path.with_extension("json.unreadable");
                warn!(source = %id, path = %path.display(), %err, "the pinned tool definitions are unreadable; set aside, the source starts over");
                fs::rename(&path, &aside).map_err(|err| PinStoreError { what: "set aside", path, err })?;
                Ok(None)
            }
        }
    }

    /// Changes the source's pins under its lock: `change` gets them as they are and returns
    /// what to keep (written only when it differs) and a result.
    pub fn update<T>(
        &self,
        id: &SourceId,
        change: impl FnOnce(Option<&Ledger>) -> (Option<Ledger>, T),
    ) -> Result<T, PinStoreError> {
        let _lock = self.lock(id)?;
        let before = self.load(id)?;
        let (after, result) = change(before.as_ref());
        if after != before {
            match &after {
                Some(ledger) => self.write(id, ledger)?,
                None => self.remove(id)?,
            }
        }
        Ok(result)
    }

    /// Forgets the source's pins: its next listing is trusted on first use again (or reviewed).
    pub fn forget(&self, id: &SourceId) -> Result<(), PinStoreError> {
        let _lock = self.lock(id)?;
        self.remove(id)
    }

    fn remove(&self, id: &SourceId) -> Result<(), PinStoreError> {
        let path = self.path(id);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(PinStoreError { what: "remove", path, err }),
        }
    }

    fn write(&self, id: &SourceId, ledger: &Ledger) -> Result<(), PinStoreError> {
        let path = self.path(id);
        let fail = |what, err| PinStoreError { what, path: path.clone(), err };
        let text = serde_json::to_vec_pretty(ledger).map_err(|err| fail("write", err.into()))?;
        let mut temp = tempfile::Builder::new()
            .prefix(".pins.")
            .suffix(".tmp")
            .tempfile_in(&self.dir)
            .map_err(|err| fail("write", err))?;
        temp.write_all(&text).map_err(|err| fail("write", err))?;
        temp.persist(&path).map_err(|err| fail("replace", err.error))?;
        Ok(())
    }

    fn lock(&self, id: &SourceId) -> Result<File, PinStoreError> {
        let path = self.dir.join(format!("{id}.lock"));
        let fail = |what, err| PinStoreError { what, path: path.clone(), err };
        fs::create_dir_all(&self.dir).map_err(|err| fail("create the folder of", err))?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|err| fail("lock", err))?;
        file.lock().map_err(|err| fail("lock", err))?;
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_writes_and_a_broken_file_is_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let store = PinStore::new(dir.path().join("pins"));
        let id: SourceId = "src".parse().unwrap();
        assert_eq!(store.load(&id).unwrap(), None);
        store.update(&id, |_| (Some(Ledger::default()), ())).unwrap();
        assert_eq!(store.load(&id).unwrap(), Some(Ledger::default()));
        std::fs::write(dir.path().join("pins/src.json"), "{not json").unwrap();
        assert_eq!(store.load(&id).unwrap(), None, "starts over");
        assert!(dir.path().join("pins/src.json.unreadable").exists(), "the broken file is kept");
        store.update(&id, |_| (Some(Ledger::default()), ())).unwrap();
        store.forget(&id).unwrap();
        assert_eq!(store.load(&id).unwrap(), None);
    }
}
