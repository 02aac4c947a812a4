//! Where Lanyard keeps its files. One place, so that every caller honours the same overrides.
//!
//! `LANYARD_CONFIG_DIR` overrides the profile file's folder and `LANYARD_DATA_DIR` the folder for
//! logs and run-time files; tests and portable set-ups use them. Otherwise the OS's own folders.

use std::path::PathBuf;

const APP_DIR: &str = "lanyard";

/// The folder of `profiles.toml`.
pub fn config_dir() -> PathBuf {
    dir_from_env("LANYARD_CONFIG_DIR")
        .or_else(|| dirs::config_dir().map(|dir| dir.join(APP_DIR)))
        .unwrap_or_else(|| PathBuf::from(".lanyard"))
}

/// The folder for logs and other data Lanyard writes while it runs.
pub fn data_dir() -> PathBuf {
    dir_from_env("LANYARD_DATA_DIR")
        .or_else(|| dirs::data_local_dir().map(|dir| dir.join(APP_DIR)))
        .unwrap_or_else(|| config_dir().join("data"))
}

/// The folder of per-source logs, such as a stdio server's stderr.
pub fn log_dir() -> PathBuf {
    data_dir().join("logs")
}

fn dir_from_env(name: &str) -> Option<PathBuf> {
    std::env::var_os(name).filter(|value| !value.is_empty()).map(PathBuf::from)
}
