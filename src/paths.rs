//! Where Lanyard keeps its files: one [`Dirs`] value, made once and handed to the engine, which
//! gives each part the folder it needs. No other module works out a folder on its own, so every
//! part of a process (and a test that points the engine elsewhere) honours the same choice.
//!
//! [`Dirs::from_env`] reads the overrides: `LANYARD_CONFIG_DIR` for the profile file's folder and
//! `LANYARD_DATA_DIR` for the folder of logs and run-time files; tests and portable set-ups use
//! them. Otherwise the OS's own folders.

use std::path::{Path, PathBuf};

const APP_DIR: &str = "lanyard";

/// Lanyard's folders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dirs {
    config: PathBuf,
    data: PathBuf,
}

impl Dirs {
    /// The folders the environment chooses: `LANYARD_CONFIG_DIR` (else the OS config folder +
    /// `/lanyard`, else `.lanyard`) and `LANYARD_DATA_DIR` (else the OS data folder + `/lanyard`,
    /// else `data` in the config folder).
    pub fn from_env() -> Self {
        let config = dir_from_env("LANYARD_CONFIG_DIR")
            .or_else(|| dirs::config_dir().map(|dir| dir.join(APP_DIR)))
            .unwrap_or_else(|| PathBuf::from(".lanyard"));
        let data = dir_from_env("LANYARD_DATA_DIR")
            .or_else(|| dirs::data_local_dir().map(|dir| dir.join(APP_DIR)))
            .unwrap_or_else(|| config.join("data"));
        Self { config, data }
    }

    /// The profile file's folder is `config`; everything else goes under `data`.
    pub fn new(config: impl Into<PathBuf>, data: impl Into<PathBuf>) -> Self {
        Self { config: config.into(), data: data.into() }
    }

    /// The folder of `profiles.toml`.
    pub fn config(&self) -> &Path {
        &self.config
    }

    /// The folder for logs and other data Lanyard writes while it runs; a running hub announces
    /// itself here.
    pub fn data(&self) -> &Path {
        &self.data
    }

    /// Per-source logs, such as a stdio server's stderr.
    pub fn logs(&self) -> PathBuf {
        self.data.join("logs")
    }

    /// The per-source refresh locks.
    pub fn locks(&self) -> PathBuf {
        self.data.join("locks")
    }

    /// Each source's history (see [`crate::history`]).
    pub fn history(&self) -> PathBuf {
        self.data.join("activity")
    }

    /// Where earlier versions kept each source's token activity, read once and folded into its
    /// history (see [`crate::history`]).
    pub fn legacy_token_activity(&self) -> PathBuf {
        self.data.join("oauth-activity")
    }

    /// What was last fetched from each MCP registry (see [`crate::catalog`]).
    pub fn catalog_cache(&self) -> PathBuf {
        self.data.join("catalog")
    }

    /// Each source's pinned tool definitions (see [`crate::pins`]).
    pub fn pins(&self) -> PathBuf {
        self.data.join("pins")
    }

    /// The sign-ins waiting for the person (see [`crate::oauth::pending`]).
    pub fn sign_ins(&self) -> PathBuf {
        self.data.join("sign-ins")
    }
}

fn dir_from_env(name: &str) -> Option<PathBuf> {
    std::env::var_os(name).filter(|value| !value.is_empty()).map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_folder_but_the_config_is_under_the_data_folder() {
        let dirs = Dirs::new("/c", "/d");
        assert_eq!(dirs.config(), Path::new("/c"));
        for folder in
            [dirs.logs(), dirs.locks(), dirs.history(), dirs.sign_ins(), dirs.catalog_cache(), dirs.pins()]
        {
            assert!(folder.starts_with("/d"), "{folder:?}");
        }
    }
}
