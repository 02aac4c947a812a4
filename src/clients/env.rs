//! The parts of the machine a client's config paths depend on: the OS, the home folder, the
//! working folder, a few environment variables and `PATH`.
//!
//! Clients put their files in different places on Linux, macOS and Windows, and several move
//! them when a variable is set (`APPDATA`, `XDG_CONFIG_HOME`, `CODEX_HOME`, `COPILOT_HOME`, ...).
//! Keeping all of that in one value makes every path a pure function of it, so a test can lay
//! out another OS's folders under a temporary home and ask where each client's file is.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The path layouts clients know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Linux,
    MacOs,
    Windows,
}

impl Os {
    /// The OS this program runs on (other Unixes use Linux's layout).
    pub const fn current() -> Self {
        if cfg!(target_os = "macos") {
            Os::MacOs
        } else if cfg!(windows) {
            Os::Windows
        } else {
            Os::Linux
        }
    }
}

/// What a client's paths and installation are judged against.
#[derive(Debug, Clone)]
pub struct Env {
    pub os: Os,
    pub home: PathBuf,
    /// Where project-scope files are looked for (the current folder).
    pub project: PathBuf,
    vars: BTreeMap<String, String>,
}

/// This machine has no home folder (no `$HOME`, and the OS names none) to find clients' files in.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("cannot find the home folder, so the clients' files cannot be found")]
pub struct NoHomeFolder;

/// The variables a client's paths or detection read; nothing else is taken from the process.
const VARS: &[&str] =
    &["APPDATA", "XDG_CONFIG_HOME", "CODEX_HOME", "COPILOT_HOME", "CLAUDE_CONFIG_DIR", "PATH"];

impl Env {
    /// This machine: its OS, `$HOME` (or the OS's home folder), the current folder.
    pub fn current() -> Result<Self, NoHomeFolder> {
        let home = dirs::home_dir().ok_or(NoHomeFolder)?;
        let project = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let vars =
            VARS.iter().filter_map(|name| Some((name.to_string(), std::env::var(name).ok()?))).collect();
        Ok(Self { os: Os::current(), home, project, vars })
    }

    /// An environment made of the given parts (for tests and for the desktop shell).
    pub fn new(os: Os, home: impl Into<PathBuf>, project: impl Into<PathBuf>) -> Self {
        Self { os, home: home.into(), project: project.into(), vars: BTreeMap::new() }
    }

    /// The same environment with `name` set.
    pub fn with_var(mut self, name: &str, value: impl Into<String>) -> Self {
        self.vars.insert(name.to_owned(), value.into());
        self
    }

    /// A variable holding a folder; empty counts as unset.
    pub fn dir_var(&self, name: &str) -> Option<PathBuf> {
        self.vars.get(name).filter(|v| !v.trim().is_empty()).map(PathBuf::from)
    }

    /// `~/<relative>`.
    pub fn in_home(&self, relative: &str) -> PathBuf {
        join(&self.home, relative)
    }

    /// The folder desktop applications keep their settings in: `~/.config` (or
    /// `XDG_CONFIG_HOME`) on Linux, `~/Library/Application Support` on macOS, `APPDATA` (or
    /// `~/AppData/Roaming`) on Windows.
    pub fn app_config_dir(&self) -> PathBuf {
        match self.os {
            Os::Linux => self.xdg_config_dir(),
            Os::MacOs => self.in_home("Library/Application Support"),
            Os::Windows => self.appdata(),
        }
    }

    /// `XDG_CONFIG_HOME` or `~/.config`, on every OS: command-line tools that follow the XDG
    /// convention use it on macOS and Windows too.
    pub fn xdg_config_dir(&self) -> PathBuf {
        self.dir_var("XDG_CONFIG_HOME").unwrap_or_else(|| self.in_home(".config"))
    }

    /// `APPDATA` or `~/AppData/Roaming`.
    pub fn appdata(&self) -> PathBuf {
        self.dir_var("APPDATA").unwrap_or_else(|| self.in_home("AppData/Roaming"))
    }

    /// `<project>/<relative>`.
    pub fn in_project(&self, relative: &str) -> PathBuf {
        join(&self.project, relative)
    }

    /// Whether a program of this name is on `PATH` (with `.exe` or `.cmd` on Windows).
    pub fn on_path(&self, program: &str) -> bool {
        let Some(path) = self.vars.get("PATH") else { return false };
        let separator = if self.os == Os::Windows { ';' } else { ':' };
        let names: Vec<String> = match self.os {
            Os::Windows => ["exe", "cmd", "bat"].iter().map(|ext| format!("{program}.{ext}")).collect(),
            _ => vec![program.to_owned()],
        };
        path.split(separator)
            .filter(|dir| !dir.is_empty())
            .any(|dir| names.iter().any(|name| Path::new(dir).join(name).is_file()))
    }
}

/// `base` joined with a `/`-separated relative path, one component at a time, so that the
/// result uses the separator of the machine it runs on.
pub fn join(base: &Path, relative: &str) -> PathBuf {
    relative.split('/').filter(|part| !part.is_empty()).fold(base.to_path_buf(), |path, part| path.join(part))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_os_has_its_own_app_config_folder_and_honours_its_variable() {
        let home = Path::new("/h");
        assert_eq!(Env::new(Os::Linux, home, "/p").app_config_dir(), Path::new("/h/.config"));
        assert_eq!(
            Env::new(Os::Linux, home, "/p").with_var("XDG_CONFIG_HOME", "/x").app_config_dir(),
            Path::new("/x")
        );
        assert_eq!(
            Env::new(Os::MacOs, home, "/p").app_config_dir(),
            Path::new("/h/Library/Application Support")
        );
        assert_eq!(Env::new(Os::Windows, home, "/p").app_config_dir(), Path::new("/h/AppData/Roaming"));
        assert_eq!(
            Env::new(Os::Windows, home, "/p").with_var("APPDATA", "/r").app_config_dir(),
            Path::new("/r")
        );
        assert_eq!(
            Env::new(Os::Linux, home, "/p").with_var("XDG_CONFIG_HOME", " ").xdg_config_dir(),
            Path::new("/h/.config"),
            "an empty variable counts as unset"
        );
    }

    #[test]
    fn a_program_is_found_on_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("codex"), "").unwrap();
        let env =
            Env::new(Os::Linux, "/h", "/p").with_var("PATH", format!("/nowhere:{}", dir.path().display()));
        assert!(env.on_path("codex"));
        assert!(!env.on_path("goose"));
    }
}
