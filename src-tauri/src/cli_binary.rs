//! Finding the `lanyard` command for the IDE config snippets. An IDE starts `lanyard bridge <id>`
//! itself, so its config must name a program that exists: the one installed beside the app's own
//! executable first (they ship together), else the first on `PATH`. When neither exists the
//! bridge panel says so instead of writing a config that cannot start.
//!
//! Only absolute `PATH` entries count: a relative one would resolve against whatever folder the
//! IDE happens to start in.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The CLI's file name on this platform.
fn file_name() -> String {
    format!("lanyard{}", std::env::consts::EXE_SUFFIX)
}

/// The `lanyard` command to put into IDE configs, if there is one.
pub fn find() -> Option<PathBuf> {
    let beside = std::env::current_exe().ok().and_then(|exe| exe.parent().map(Path::to_path_buf));
    find_in(beside.as_deref(), std::env::var_os("PATH"), &file_name())
}

/// Where [`find`] looked, in words, for the message when nothing was found.
pub fn places() -> String {
    match std::env::current_exe().ok().and_then(|exe| exe.parent().map(Path::to_path_buf)) {
        Some(dir) => format!("{} and the folders on PATH", dir.display()),
        None => "the folders on PATH".to_owned(),
    }
}

fn find_in(beside: Option<&Path>, path: Option<OsString>, name: &str) -> Option<PathBuf> {
    let on_path =
        path.iter().flat_map(std::env::split_paths).filter(|dir| dir.is_absolute()).collect::<Vec<_>>();
    beside
        .into_iter()
        .chain(on_path.iter().map(PathBuf::as_path))
        .map(|dir| dir.join(name))
        .find(|p| is_program(p))
}

#[cfg(unix)]
fn is_program(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_program(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch folder under the system's temp folder, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(tag: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("lanyard-app-cli-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }
        fn program(&self, sub: &str, name: &str) -> PathBuf {
            let dir = self.0.join(sub);
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(name);
            std::fs::write(&path, "#!/bin/sh\n").unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
            path
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn the_program_beside_the_app_wins_over_path() {
        let scratch = Scratch::new("beside");
        let beside = scratch.program("app", "lanyard");
        let on_path = scratch.program("bin", "lanyard");
        let path = std::env::join_paths([on_path.parent().unwrap()]).unwrap();
        assert_eq!(
            find_in(beside.parent(), Some(path.clone()), "lanyard"),
            Some(beside),
            "the CLI shipped with the app comes first"
        );
        assert_eq!(
            find_in(Some(&scratch.0.join("nowhere")), Some(path), "lanyard"),
            Some(on_path),
            "else the first on PATH"
        );
    }

    #[test]
    fn nothing_found_is_none_and_relative_path_entries_are_ignored() {
        let scratch = Scratch::new("missing");
        let empty = scratch.0.join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        assert_eq!(find_in(Some(&empty), None, "lanyard"), None, "no program anywhere");
        let relative = std::env::join_paths(["relative/bin"]).unwrap();
        assert_eq!(
            find_in(Some(&empty), Some(relative), "lanyard"),
            None,
            "a relative PATH entry is skipped"
        );
        #[cfg(unix)]
        {
            let plain = scratch.0.join("plain");
            std::fs::create_dir_all(&plain).unwrap();
            std::fs::write(plain.join("lanyard"), "not executable").unwrap();
            assert_eq!(find_in(Some(&plain), None, "lanyard"), None, "a file that cannot run does not count");
        }
    }
}
