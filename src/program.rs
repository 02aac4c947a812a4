//! Whether a stdio source's program can be found, looked up the way the OS will look it up when
//! the source starts: a name is searched on `PATH` (the profile's own `PATH` when it sets one), a
//! path is taken as it is. Separate from starting the server because `profile add` and `status`
//! want the answer without starting anything: a command that is not installed is then reported
//! where the source is added and shown, not first when an agent connects.
//!
//! Also where the `lanyard` command itself is, for the IDE configs the app writes
//! ([`installed_cli`]): an IDE starts `lanyard bridge <id>` itself, so its config must name a
//! program that exists.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::expand::expand;
use crate::profile::{ConfigValue, Profile, Transport};

/// The command of a stdio `profile` when it is certainly not found: `Some(command)` (with
/// variables expanded). `None` when it is found, when the profile is not stdio, or when it cannot
/// be told without starting it (a variable that does not expand, a `PATH` kept as a secret).
pub fn missing_command(profile: &Profile) -> Option<String> {
    let Transport::Stdio { command, env, cwd, .. } = &profile.transport else { return None };
    let lookup = |name: &str| std::env::var(name).ok();
    let command = expand(command, lookup).ok()?;
    let path = match env.get("PATH") {
        Some(ConfigValue::Text(value)) => OsString::from(expand(value, lookup).ok()?),
        Some(ConfigValue::Secret(_)) => return None,
        None => std::env::var_os("PATH")?,
    };
    let cwd = match cwd {
        Some(dir) => Some(PathBuf::from(expand(&dir.to_string_lossy(), lookup).ok()?)),
        None => None,
    };
    (!found_in(&command, &path, cwd.as_deref())).then_some(command)
}

/// Whether a resolved stdio command is found, on the `path` its environment sets (the
/// process's own `PATH` when `None`), for a source whose variables are already expanded.
pub fn is_found(command: &str, path: Option<OsString>, cwd: Option<&Path>) -> bool {
    let path = path.or_else(|| std::env::var_os("PATH")).unwrap_or_default();
    found_in(command, &path, cwd)
}

/// Whether `command` names a program: a path (relative ones from `cwd` or from here, since
/// which of the two the OS uses differs), or a name in one of `path`'s folders.
fn found_in(command: &str, path: &std::ffi::OsStr, cwd: Option<&Path>) -> bool {
    let given = Path::new(command);
    if given.components().count() > 1 || given.is_absolute() {
        return cwd.is_some_and(|dir| is_program(&dir.join(given))) || is_program(given);
    }
    std::env::split_paths(path).any(|dir| candidates(&dir.join(given)).iter().any(|file| is_program(file)))
}

/// The files a name may stand for: itself, and on Windows with each of `PATHEXT`'s endings.
fn candidates(file: &Path) -> Vec<PathBuf> {
    let mut files = vec![file.to_owned()];
    if cfg!(windows) {
        let extensions = std::env::var("PATHEXT").unwrap_or_else(|_| ".COM;.EXE;.BAT;.CMD".to_owned());
        for extension in extensions.split(';').filter(|e| !e.is_empty()) {
            let mut name = file.as_os_str().to_owned();
            name.push(extension);
            files.push(PathBuf::from(name));
        }
    }
    files
}

/// The `lanyard` command an IDE config should start: the one installed beside the running
/// executable first (the app and the CLI ship together), else the first on `PATH`. Only
/// absolute `PATH` entries count: a relative one would resolve against whatever folder the IDE
/// happens to start in.
pub fn installed_cli() -> Result<PathBuf, CliNotFound> {
    let beside = std::env::current_exe().ok().and_then(|exe| exe.parent().map(Path::to_path_buf));
    let name = format!("lanyard{}", std::env::consts::EXE_SUFFIX);
    find_beside_or_on_path(beside.as_deref(), std::env::var_os("PATH"), &name).ok_or_else(|| {
        let looked = match &beside {
            Some(dir) => format!("{} and the folders on PATH", dir.display()),
            None => "the folders on PATH".to_owned(),
        };
        CliNotFound { looked }
    })
}

/// No `lanyard` command where [`installed_cli`] looked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the `lanyard` command was not found in {looked}; install it there")]
pub struct CliNotFound {
    /// Where it was looked for, in words.
    pub looked: String,
}

fn find_beside_or_on_path(beside: Option<&Path>, path: Option<OsString>, name: &str) -> Option<PathBuf> {
    let on_path =
        path.iter().flat_map(std::env::split_paths).filter(|dir| dir.is_absolute()).collect::<Vec<_>>();
    beside
        .into_iter()
        .chain(on_path.iter().map(PathBuf::as_path))
        .map(|dir| dir.join(name))
        .find(|p| is_program(p))
}

/// A file this user may run (on Unix: some execute bit is set).
fn is_program(file: &Path) -> bool {
    let Ok(metadata) = std::fs::metadata(file) else { return false };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        metadata.is_file() && metadata.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        metadata.is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SourceId;

    fn stdio(command: &str, env: &[(&str, &str)]) -> Profile {
        let env = env.iter().map(|(k, v)| ((*k).to_owned(), ConfigValue::Text((*v).to_owned()))).collect();
        let id: SourceId = "s".parse().unwrap();
        Profile::new(id, Transport::Stdio { command: command.into(), args: vec![], env, cwd: None })
    }

    #[cfg(unix)]
    #[test]
    fn a_program_is_found_on_the_path_the_source_will_use() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("lanyard-test-prog");
        std::fs::write(&program, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        let bin = dir.path().to_str().unwrap();

        assert_eq!(missing_command(&stdio("lanyard-test-prog", &[("PATH", bin)])), None, "found on its PATH");
        assert_eq!(
            missing_command(&stdio("lanyard-test-prog", &[("PATH", "/nonexistent")])).as_deref(),
            Some("lanyard-test-prog"),
            "not on the PATH the profile sets"
        );
        assert_eq!(missing_command(&stdio(program.to_str().unwrap(), &[])), None, "a path to it is found");
        let missing = dir.path().join("nope");
        assert!(missing_command(&stdio(missing.to_str().unwrap(), &[])).is_some(), "a path to nothing");

        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(
            missing_command(&stdio("lanyard-test-prog", &[("PATH", bin)])).is_some(),
            "a file without an execute bit is not a program"
        );
    }

    #[test]
    fn what_cannot_be_told_without_starting_is_not_called_missing() {
        let unset = stdio("${LANYARD_TEST_SURELY_UNSET_VAR}", &[]);
        assert_eq!(missing_command(&unset), None, "a variable that does not expand is left to connecting");
        let http = Profile::new(
            "h".parse().unwrap(),
            Transport::Http { url: "http://127.0.0.1:1/mcp".into(), headers: Default::default() },
        );
        assert_eq!(missing_command(&http), None, "not a stdio source");
    }

    #[cfg(unix)]
    fn program_in(dir: &Path, name: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[cfg(unix)]
    #[test]
    fn the_cli_beside_the_app_wins_over_path() {
        let scratch = tempfile::tempdir().unwrap();
        let beside = program_in(&scratch.path().join("app"), "lanyard");
        let on_path = program_in(&scratch.path().join("bin"), "lanyard");
        let path = std::env::join_paths([on_path.parent().unwrap()]).unwrap();
        assert_eq!(
            find_beside_or_on_path(beside.parent(), Some(path.clone()), "lanyard"),
            Some(beside),
            "the CLI shipped with the app comes first"
        );
        assert_eq!(
            find_beside_or_on_path(Some(&scratch.path().join("nowhere")), Some(path), "lanyard"),
            Some(on_path),
            "else the first on PATH"
        );
    }

    #[cfg(unix)]
    #[test]
    fn no_cli_found_is_none_and_relative_path_entries_are_ignored() {
        let scratch = tempfile::tempdir().unwrap();
        let empty = scratch.path().join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        assert_eq!(find_beside_or_on_path(Some(&empty), None, "lanyard"), None, "no program anywhere");
        let relative = std::env::join_paths(["relative/bin"]).unwrap();
        assert_eq!(
            find_beside_or_on_path(Some(&empty), Some(relative), "lanyard"),
            None,
            "a relative PATH entry is skipped"
        );
        let plain = scratch.path().join("plain");
        std::fs::create_dir_all(&plain).unwrap();
        std::fs::write(plain.join("lanyard"), "not executable").unwrap();
        assert_eq!(
            find_beside_or_on_path(Some(&plain), None, "lanyard"),
            None,
            "a file that cannot run does not count"
        );
    }
}
