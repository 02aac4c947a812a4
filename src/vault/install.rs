//! An install's identity: the keychain namespace of one profile file's folder.
//!
//! Two profile files on one machine share one keychain (issue 14, point 3: a second
//! `LANYARD_CONFIG_DIR` with a source of the same id received the first file's token). So every
//! entry a [`Vault`](super::Vault) in an install writes is named `install:<id>/<account>`, and a
//! vault never reads another install's entries.
//!
//! The id is random (64 bits from the OS, as 16 hex digits) and kept in a file `install-id` beside
//! `profiles.toml`, made on the first keychain call and never rewritten. Random and kept, not
//! derived from the folder's canonical path, because a path hash loses every secret when the
//! folder moves or is reached another way (a renamed home, a symlinked or synced dotfiles folder),
//! while a file travels with the folder. The price: a folder copied with its `install-id` is the
//! same install as the original; deleting the copy's `install-id` makes it a new, empty one.
//!
//! The file is created atomically (written aside, then linked into place only if no file is
//! there), so two processes starting at once agree on one id. A file that exists but holds no
//! valid id is an error, never replaced: replacing it would strand every entry of the install.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::VaultError;

/// The file beside the profile file that holds the install's id.
pub const INSTALL_ID_FILE: &str = "install-id";

const ID_BYTES: usize = 8;

/// One install's id: lowercase hex, 16 to 64 digits (16 when Lanyard makes it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct InstallId(String);

impl InstallId {
    /// The id written as `text`, if it is one. Surrounding whitespace (a trailing newline added
    /// by an editor) is allowed.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let valid = (16..=64).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        valid.then(|| Self(text.to_owned()))
    }

    /// A fresh random id.
    fn random() -> Self {
        Self(crate::ids::random_hex(ID_BYTES))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for InstallId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where an install's id is kept: the `install-id` file in a profile file's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallFile {
    path: PathBuf,
}

impl InstallFile {
    /// The install of the profile file at `profile_file` (its folder's `install-id`).
    pub fn beside(profile_file: &Path) -> Self {
        let dir = profile_file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        Self { path: dir.join(INSTALL_ID_FILE) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The id in the file, if the file exists. Creates nothing.
    pub fn read(&self) -> Result<Option<InstallId>, VaultError> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => InstallId::parse(&text)
                .map(Some)
                .ok_or_else(|| VaultError::InvalidInstallId { path: self.path.clone() }),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(self.io("read", err)),
        }
    }

    /// The id in the file, made and written first if there is no file yet.
    pub fn read_or_create(&self) -> Result<InstallId, VaultError> {
        if let Some(id) = self.read()? {
            return Ok(id);
        }
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|err| self.io("create the folder of", err))?;
        let id = InstallId::random();
        let mut temp = tempfile::Builder::new()
            .prefix(".install-id.")
            .tempfile_in(dir)
            .map_err(|err| self.io("create a temporary file beside", err))?;
        writeln!(temp, "{id}").map_err(|err| self.io("write", err))?;
        temp.as_file().sync_all().map_err(|err| self.io("write", err))?;
        match temp.persist_noclobber(&self.path) {
            Ok(_) => {
                tracing::info!(install = %id, path = %self.path.display(), "a new install id was made");
                Ok(id)
            }
            // Another process made it first: its id is the install's.
            Err(err) if err.error.kind() == io::ErrorKind::AlreadyExists => {
                self.read()?.ok_or_else(|| VaultError::InvalidInstallId { path: self.path.clone() })
            }
            Err(err) => Err(self.io("create", err.error)),
        }
    }

    fn io(&self, action: &'static str, err: io::Error) -> VaultError {
        VaultError::InstallFile { path: self.path.clone(), action, err }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_hex_of_a_sane_length() {
        assert!(InstallId::parse("0123456789abcdef").is_some(), "16 lowercase hex digits");
        assert!(InstallId::parse("0123456789abcdef\n").is_some(), "a trailing newline is allowed");
        assert!(InstallId::parse("0123456789ABCDEF").is_none(), "uppercase is not what Lanyard writes");
        assert!(InstallId::parse("0123456789abcde").is_none(), "too short");
        assert!(InstallId::parse("0123456789abcdeg").is_none(), "not hex");
        assert!(InstallId::parse("").is_none(), "empty");
        let fresh = InstallId::random();
        assert_eq!(InstallId::parse(fresh.as_str()), Some(fresh.clone()), "a fresh id parses");
        assert_ne!(fresh, InstallId::random(), "two fresh ids differ");
    }

    #[test]
    fn the_id_is_made_once_and_kept_beside_the_profile_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = InstallFile::beside(&dir.path().join("config").join("profiles.toml"));
        assert_eq!(file.path(), dir.path().join("config").join("install-id"), "beside profiles.toml");
        assert!(file.read().unwrap().is_none(), "reading creates nothing");
        let made = file.read_or_create().expect("the id is made in a folder that does not exist yet");
        assert_eq!(file.read_or_create().unwrap(), made, "the second call reads the same id");
        assert_eq!(file.read().unwrap(), Some(made), "and it is in the file");
    }

    #[test]
    fn a_broken_file_is_an_error_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let file = InstallFile::beside(&dir.path().join("profiles.toml"));
        std::fs::write(file.path(), "not an id").unwrap();
        let err = file.read_or_create().expect_err("a broken id must not be replaced");
        assert!(matches!(err, VaultError::InvalidInstallId { .. }), "{err:?}");
        assert_eq!(std::fs::read_to_string(file.path()).unwrap(), "not an id", "the file is untouched");
    }

    #[test]
    fn racing_creators_agree_on_one_id() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("profiles.toml");
        let ids: Vec<InstallId> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| InstallFile::beside(&path).read_or_create().expect("created")))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(ids.windows(2).all(|w| w[0] == w[1]), "every creator ends with the one id kept: {ids:?}");
    }
}
