//! What a fenced server may touch: the person's `read` and `write` lists plus presets that any
//! program needs (the system's read-only folders, the command's own install folder, a private
//! temp folder) and those a package runner needs (`npx` and `uvx` get their package cache).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::limits::Limits;
use crate::profile::{Sandbox, SandboxNetwork};

/// Read-only folders and files of the system that programs load libraries, settings and
/// certificates from. Missing ones are skipped when the fence is built. Of `/proc`, only the
/// server's own folder (`/proc/self` is opened by the launcher, whose process the server becomes)
/// and the machine-wide facts: another process's folder holds its environment, and so its
/// secrets.
const SYSTEM_READ: &[&str] = &[
    "/usr",
    "/lib",
    "/lib32",
    "/lib64",
    "/bin",
    "/sbin",
    "/etc",
    "/opt",
    "/sys",
    "/proc/self",
    "/proc/cpuinfo",
    "/proc/meminfo",
    "/proc/stat",
    "/proc/loadavg",
    "/proc/uptime",
    "/proc/version",
    "/proc/filesystems",
    "/proc/sys",
    "/dev/urandom",
    "/dev/random",
    "/dev/zero",
];
/// Devices any program may write to.
const SYSTEM_WRITE: &[&str] = &["/dev/null", "/dev/tty"];

/// Package runners and the folders (under the home folder) where they keep what they fetch.
const PACKAGE_CACHES: &[(&str, &[&str])] = &[
    ("npx", &[".npm", ".cache/node", ".node-gyp"]),
    ("npm", &[".npm", ".cache/node", ".node-gyp"]),
    ("pnpm", &[".local/share/pnpm", ".cache/pnpm"]),
    ("bunx", &[".bun/install/cache"]),
    ("uvx", &[".cache/uv", ".local/share/uv"]),
    ("uv", &[".cache/uv", ".local/share/uv"]),
    ("pipx", &[".cache/pip", ".local/pipx", ".local/share/pipx"]),
];
/// Settings a package runner reads from the home folder.
const PACKAGE_SETTINGS: &[&str] = &[".npmrc", ".config/uv"];

/// The full fence of one start: every folder it may read, every one it may write, the network
/// and the resource limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FencePlan {
    pub read: Vec<PathBuf>,
    pub write: Vec<PathBuf>,
    pub network: SandboxNetwork,
    pub limits: Limits,
}

/// The fence for `command` started in `cwd` with `sandbox`'s lists; `scratch` is the source's
/// private temp folder (its `TMPDIR`), `home` the person's home folder.
pub fn plan(
    sandbox: &Sandbox,
    command: &str,
    cwd: Option<&Path>,
    scratch: &Path,
    home: Option<&Path>,
) -> FencePlan {
    let mut read: Vec<PathBuf> = SYSTEM_READ.iter().map(PathBuf::from).collect();
    read.extend(install_folders(command));
    read.extend(sandbox.read.iter().cloned());
    let mut write: Vec<PathBuf> = SYSTEM_WRITE.iter().map(PathBuf::from).collect();
    write.push(scratch.to_owned());
    write.extend(cwd.map(Path::to_owned));
    write.extend(sandbox.write.iter().cloned());
    if let (Some(home), Some(caches)) = (home, package_caches(command)) {
        write.extend(caches.iter().map(|cache| home.join(cache)));
        read.extend(PACKAGE_SETTINGS.iter().map(|file| home.join(file)));
    }
    dedup(&mut read);
    dedup(&mut write);
    FencePlan { read, write, network: sandbox.network, limits: limits_of(sandbox) }
}

/// The resource limits of `sandbox`.
pub fn limits_of(sandbox: &Sandbox) -> Limits {
    Limits { memory_mb: sandbox.memory_mb, open_files: sandbox.open_files }
}

/// The package caches of a runner, by the command's file name (`npx`, `/usr/bin/npx`, `npx.cmd`).
fn package_caches(command: &str) -> Option<&'static [&'static str]> {
    let name = Path::new(command).file_stem()?.to_str()?;
    PACKAGE_CACHES.iter().find(|(runner, _)| *runner == name).map(|(_, caches)| *caches)
}

/// The folder the command lives in, found on `PATH` when it is a bare name, and the folder its
/// link points into: a server installed under a prefix (`~/.nvm/.../bin/npx`) loads the rest of
/// itself from beside its `bin` folder, so a `bin` folder brings its parent.
fn install_folders(command: &str) -> Vec<PathBuf> {
    let Some(program) = find_program(command) else { return Vec::new() };
    let mut found = Vec::new();
    let real = std::fs::canonicalize(&program).ok();
    for path in std::iter::once(program).chain(real) {
        let Some(folder) = path.parent() else { continue };
        let prefix = folder.file_name().is_some_and(|name| name == "bin").then(|| folder.parent()).flatten();
        found.push(prefix.unwrap_or(folder).to_owned());
    }
    found
}

/// Where `command` is: itself when it names a path, else the first match on `PATH`.
fn find_program(command: &str) -> Option<PathBuf> {
    let path = Path::new(command);
    if path.components().count() > 1 {
        return std::path::absolute(path).ok();
    }
    let search = std::env::var_os("PATH")?;
    std::env::split_paths(&search).map(|dir| dir.join(command)).find(|candidate| candidate.is_file())
}

fn dedup(paths: &mut Vec<PathBuf>) {
    let mut seen = std::collections::HashSet::new();
    paths.retain(|path| seen.insert(path.clone()));
}

/// The `lanyard` program that fences a server: this one when it is `lanyard`, else the `lanyard`
/// beside it (the desktop app and the test programs are other executables in the same install or
/// build folder; a test program sits one folder deeper, in `deps`).
pub fn launcher() -> std::io::Result<PathBuf> {
    let me = std::env::current_exe()?;
    let name = format!("lanyard{}", std::env::consts::EXE_SUFFIX);
    if me.file_name().is_some_and(|file| file == name.as_str()) {
        return Ok(me);
    }
    let beside = me.parent().map(|dir| dir.join(&name));
    let above = me.parent().and_then(Path::parent).map(|dir| dir.join(&name));
    beside.into_iter().chain(above).find(|candidate| candidate.is_file()).ok_or_else(|| {
        std::io::Error::other(format!(
            "a fenced server is started through the `{name}` program, which is not beside {}; install it there or turn the fence off with `lanyard profile edit <id> --no-sandbox`",
            me.display()
        ))
    })
}

/// The arguments of `lanyard sandbox-exec` that start `command args` in `plan`, reporting to
/// `report`.
pub fn launcher_args(plan: &FencePlan, report: &Path, command: &str, args: &[String]) -> Vec<OsString> {
    let mut out: Vec<OsString> = vec!["sandbox-exec".into(), "--report".into(), report.into()];
    for path in &plan.read {
        out.extend(["--read".into(), path.into()]);
    }
    for path in &plan.write {
        out.extend(["--write".into(), path.into()]);
    }
    out.extend(["--network".into(), plan.network.name().into()]);
    if let Some(mb) = plan.limits.memory_mb {
        out.extend(["--memory-mb".into(), mb.to_string().into()]);
    }
    if let Some(files) = plan.limits.open_files {
        out.extend(["--open-files".into(), files.to_string().into()]);
    }
    out.extend(["--".into(), command.into()]);
    out.extend(args.iter().map(OsString::from));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sandbox(read: &[&str], write: &[&str]) -> Sandbox {
        Sandbox {
            read: read.iter().map(PathBuf::from).collect(),
            write: write.iter().map(PathBuf::from).collect(),
            network: SandboxNetwork::None,
            ..Sandbox::default()
        }
    }

    #[test]
    fn the_persons_folders_come_on_top_of_the_presets() {
        let plan = plan(
            &sandbox(&["/data/in"], &["/data/out"]),
            "/opt/tool/bin/server",
            Some(Path::new("/work")),
            Path::new("/tmp/x"),
            None,
        );
        assert!(plan.read.contains(&PathBuf::from("/data/in")), "{plan:?}");
        assert!(plan.read.contains(&PathBuf::from("/usr")), "{plan:?}");
        assert!(plan.read.contains(&PathBuf::from("/opt/tool")), "a bin folder brings its prefix: {plan:?}");
        assert!(plan.write.contains(&PathBuf::from("/data/out")), "{plan:?}");
        assert!(plan.write.contains(&PathBuf::from("/work")), "the working folder is writable: {plan:?}");
        assert!(plan.write.contains(&PathBuf::from("/tmp/x")), "the scratch folder is writable: {plan:?}");
        assert!(!plan.write.contains(&PathBuf::from("/tmp")), "not all of /tmp: {plan:?}");
        assert!(!plan.read.contains(&PathBuf::from("/proc")), "not other processes' environments: {plan:?}");
    }

    #[test]
    fn package_runners_get_their_cache_and_others_do_not() {
        let home = Path::new("/home/p");
        let npx = plan(&Sandbox::default(), "npx", None, Path::new("/s"), Some(home));
        assert!(npx.write.contains(&home.join(".npm")), "{npx:?}");
        let uvx = plan(&Sandbox::default(), "/usr/local/bin/uvx", None, Path::new("/s"), Some(home));
        assert!(uvx.write.contains(&home.join(".cache/uv")), "{uvx:?}");
        let other = plan(&Sandbox::default(), "my-server", None, Path::new("/s"), Some(home));
        assert!(other.write.iter().all(|path| !path.starts_with(home)), "{other:?}");
    }

    #[test]
    fn launcher_args_keep_the_command_after_the_separator() {
        let plan = FencePlan {
            read: vec!["/r".into()],
            write: vec!["/w".into()],
            network: SandboxNetwork::Loopback,
            limits: Limits { memory_mb: Some(64), open_files: None },
        };
        let args =
            launcher_args(&plan, Path::new("/logs/a.fence.json"), "srv", &["--read".into(), "x".into()]);
        let text: Vec<_> = args.iter().map(|arg| arg.to_string_lossy().into_owned()).collect();
        assert_eq!(
            text,
            [
                "sandbox-exec",
                "--report",
                "/logs/a.fence.json",
                "--read",
                "/r",
                "--write",
                "/w",
                "--network",
                "loopback",
                "--memory-mb",
                "64",
                "--",
                "srv",
                "--read",
                "x"
            ]
        );
    }
}
