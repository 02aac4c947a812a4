//! A private Lanyard home, and the one way tests run the `lanyard` binary in it: its own config
//! and data folders, the session's keychain (see `scripts/with-keychain.sh`), and whatever
//! `$BROWSER` and log level the test chose. [`Home::command`] builds every run; the rest are
//! shapes of it (a tokio command, a finished [`Run`], one with input on stdin).

use std::path::PathBuf;
use std::process::{Output, Stdio};

use serde_json::Value;

/// A private Lanyard home: its own profile file and logs (the keychain is the session's).
///
/// Every home made with [`Home::new`] belongs to one install of the whole test run (its config
/// folder gets that install's `install-id`), so they share the install's keychain namespace and
/// its bridge token (see [`super::bridge_home::bridge_token`]). [`Home::own_install`] is a home of
/// its own install, as a second profile file on the machine is, for tests whose source ids would
/// clash with other tests' in one install.
pub struct Home {
    dir: tempfile::TempDir,
    /// `$BROWSER` for `lanyard connect` in this home, when sign-in is part of the test.
    browser: Option<PathBuf>,
    /// `LANYARD_LOG` for every run; none by default, so that stderr holds only what a person sees.
    log: Option<&'static str>,
}

impl Home {
    /// A home in the test run's install (see [`Home`]).
    pub fn new() -> Self {
        let home = Self::own_install();
        super::join_test_run_install(&home.config_dir());
        home
    }

    /// A home that is an install of its own: `lanyard` makes its `install-id` on first use.
    pub fn own_install() -> Self {
        Self { dir: tempfile::tempdir().expect("a temp dir"), browser: None, log: None }
    }

    /// A home whose `lanyard connect` signs in through `browser` (a scripted user agent).
    pub fn with_browser(browser: PathBuf) -> Self {
        Self { browser: Some(browser), ..Self::new() }
    }

    /// Every run logs at `filter` (`LANYARD_LOG`), for tests that read the logs for leaks.
    pub fn logging(self, filter: &'static str) -> Self {
        Self { log: Some(filter), ..self }
    }

    /// The home's own folder, for files a test puts beside its config and data.
    pub fn path(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// This home's folders, as its `lanyard` sees them.
    pub fn dirs(&self) -> lanyard::paths::Dirs {
        lanyard::paths::Dirs::new(self.dir.path().join("config"), self.dir.path().join("data"))
    }

    pub fn config_dir(&self) -> PathBuf {
        self.dirs().config().to_owned()
    }

    pub fn profile_file(&self) -> PathBuf {
        self.config_dir().join("profiles.toml")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.dirs().logs()
    }

    /// The variables that point `lanyard` (or an agent that starts it) at this home.
    pub fn envs(&self) -> [(&'static str, PathBuf); 2] {
        let dirs = self.dirs();
        [("LANYARD_CONFIG_DIR", dirs.config().to_owned()), ("LANYARD_DATA_DIR", dirs.data().to_owned())]
    }

    /// The keychain as this home's `lanyard` sees it: in its install's namespace.
    pub fn vault(&self) -> lanyard::vault::Vault {
        crate::oauth::vault().in_install(lanyard::vault::InstallFile::beside(&self.profile_file()))
    }

    /// The keychain account this home's `lanyard` stores `account` under.
    pub fn account(&self, account: &str) -> String {
        super::install_account(&self.config_dir(), account)
    }

    /// Every file in the home, for tests that check none holds a secret.
    pub fn files(&self) -> Vec<PathBuf> {
        fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() { walk(&path, out) } else { out.push(path) }
            }
        }
        let mut out = Vec::new();
        walk(self.dir.path(), &mut out);
        out
    }

    /// `lanyard <args>` in this home, stdin empty.
    pub fn command(&self, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(lanyard_bin());
        command.args(args).envs(self.envs()).stdin(Stdio::null());
        match self.log {
            Some(filter) => command.env("LANYARD_LOG", filter),
            None => command.env_remove("LANYARD_LOG"),
        };
        if let Some(browser) = &self.browser {
            command.env("BROWSER", browser);
        }
        command
    }

    /// [`Home::command`] as a tokio command, killed if the test drops it.
    pub fn lanyard(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::from(self.command(args));
        command.kill_on_drop(true);
        command
    }

    /// Runs `lanyard <args>` to the end.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().expect("lanyard runs"))
    }

    /// Runs `lanyard <args>` with `input` on its stdin.
    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> Run {
        use std::io::Write;
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("lanyard runs");
        child.stdin.take().expect("stdin is piped").write_all(input.as_bytes()).expect("write stdin");
        Run::from(child.wait_with_output().expect("lanyard finishes"))
    }

    /// Runs `lanyard profile add <args>` and fails the test if it fails.
    pub async fn add(&self, args: &[&str]) {
        let mut full = vec!["profile", "add"];
        full.extend_from_slice(args);
        let output = self.lanyard(&full).output().await.expect("lanyard runs");
        assert!(
            output.status.success(),
            "profile add {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// One finished `lanyard` run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Run {
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(self.code, 0, "expected success\nstdout: {}\nstderr: {}", self.stdout, self.stderr);
        self
    }

    #[track_caller]
    pub fn fails_with(self, code: i32, needle: &str) -> Self {
        assert_eq!(self.code, code, "wrong exit code\nstdout: {}\nstderr: {}", self.stdout, self.stderr);
        assert!(self.stderr.contains(needle), "stderr should mention `{needle}`:\n{}", self.stderr);
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|err| panic!("not JSON ({err}): {}", self.stdout))
    }
}

/// Runs a prepared `lanyard` command with `input` on its stdin (a secret's value, an answer to a
/// prompt) and its output captured.
pub async fn output_with_input(command: &mut tokio::process::Command, input: &str) -> Output {
    use tokio::io::AsyncWriteExt;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lanyard runs");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    stdin.write_all(input.as_bytes()).await.expect("write lanyard's stdin");
    drop(stdin);
    child.wait_with_output().await.expect("lanyard ends")
}

pub fn lanyard_bin() -> &'static str {
    env!("CARGO_BIN_EXE_lanyard")
}
