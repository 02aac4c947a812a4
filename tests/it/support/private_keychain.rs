//! A Secret Service of one test's own: a D-Bus daemon and a gnome-keyring daemon that the test
//! starts, locks, stops and starts again, without touching the session keychain that every other
//! test shares (`scripts/with-keychain.sh`).
//!
//! The bus is configured without service files, so nothing starts a keyring daemon behind the
//! test's back: once the test stops its daemon, `org.freedesktop.secrets` is simply gone, as on a
//! desktop whose keyring crashed. The keyring's files live in the test's temporary folder and the
//! daemon unlocks them with a fixed password, so a daemon started again finds the items the
//! first one stored. Processes a test starts through [`PrivateKeychain::envs`] use this keychain.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

const PASSWORD: &str = "lanyard-private-keyring";
const DEADLINE: Duration = Duration::from_secs(30);

const BUS_CONFIG: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#;

/// A private session bus with (while it runs) a gnome-keyring daemon on it.
pub struct PrivateKeychain {
    dir: tempfile::TempDir,
    address: String,
    _bus: Child,
    daemon: Option<Child>,
}

impl PrivateKeychain {
    /// Starts the bus and an unlocked keyring daemon on it.
    pub async fn start() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir().context("a temp dir")?;
        for sub in ["data", "run", "config"] {
            std::fs::create_dir_all(dir.path().join(sub))?;
        }
        std::fs::set_permissions(
            dir.path().join("run"),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )?;
        let config = dir.path().join("bus.conf");
        std::fs::write(&config, BUS_CONFIG)?;
        let mut bus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("start dbus-daemon")?;
        let stdout = bus.stdout.take().context("the bus's stdout is piped")?;
        let mut address = String::new();
        tokio::time::timeout(DEADLINE, BufReader::new(stdout).read_line(&mut address))
            .await
            .context("dbus-daemon did not print its address in time")??;
        let mut keychain = Self { dir, address: address.trim().to_owned(), _bus: bus, daemon: None };
        keychain.start_daemon().await?;
        Ok(keychain)
    }

    /// The environment that points a process at this keychain.
    pub fn envs(&self) -> Vec<(&'static str, OsString)> {
        let sub = |name: &str| self.dir.path().join(name).into_os_string();
        vec![
            ("DBUS_SESSION_BUS_ADDRESS", self.address.clone().into()),
            ("XDG_DATA_HOME", sub("data")),
            ("XDG_RUNTIME_DIR", sub("run")),
            ("XDG_CONFIG_HOME", sub("config")),
        ]
    }

    /// [`PrivateKeychain::envs`] in the form `start_serve_with` takes.
    pub fn env_refs<'a>(envs: &'a [(&'static str, OsString)]) -> Vec<(&'static str, &'a std::ffi::OsStr)> {
        envs.iter().map(|(name, value)| (*name, value.as_os_str())).collect()
    }

    /// Starts gnome-keyring (unlocking the login keyring) and waits until it stores and reads.
    pub async fn start_daemon(&mut self) -> anyhow::Result<()> {
        assert!(self.daemon.is_none(), "one keyring daemon at a time");
        let mut daemon = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .envs(self.envs())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("start gnome-keyring-daemon")?;
        let mut stdin = daemon.stdin.take().context("the daemon's stdin is piped")?;
        stdin.write_all(PASSWORD.as_bytes()).await?;
        drop(stdin);
        self.daemon = Some(daemon);
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            if self.probe().await {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                bail!("the private gnome-keyring did not answer within {DEADLINE:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops the keyring daemon (SIGTERM to the process this started) and waits for it to end.
    pub async fn stop_daemon(&mut self) {
        let mut daemon = self.daemon.take().expect("the keyring daemon runs");
        let pid = daemon.id().expect("the daemon has not been waited for");
        let _ = std::process::Command::new("kill").arg(pid.to_string()).status();
        let _ = tokio::time::timeout(DEADLINE, daemon.wait()).await;
    }

    /// Locks the login keyring, as a screen lock or the person would.
    pub async fn lock(&self) -> anyhow::Result<()> {
        let output = Command::new("gdbus")
            .args(["call", "--session", "--dest", "org.freedesktop.secrets"])
            .args(["--object-path", "/org/freedesktop/secrets"])
            .args(["--method", "org.freedesktop.Secret.Service.Lock"])
            .arg("['/org/freedesktop/secrets/collection/login']")
            .envs(self.envs())
            .output()
            .await
            .context("run gdbus")?;
        if !output.status.success() {
            bail!("gdbus could not lock the keyring: {}", String::from_utf8_lossy(&output.stderr));
        }
        Ok(())
    }

    /// The value Lanyard stored under `account` (service `lanyard`), if the keychain gives it.
    pub async fn lookup(&self, account: &str) -> Option<String> {
        let output = Command::new("secret-tool")
            .args(["lookup", "service", "lanyard", "username", account])
            .envs(self.envs())
            .output()
            .await
            .ok()?;
        output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// The folder that holds the keyring's files (the only place the secrets may be, encrypted).
    pub fn keyring_dir(&self) -> PathBuf {
        self.dir.path().join("data").join("keyrings")
    }

    async fn probe(&self) -> bool {
        let attributes = ["service", "lanyard-private-probe", "username", "probe"];
        let stored = async {
            let mut store = Command::new("secret-tool")
                .args(["store", "--label=probe"])
                .args(attributes)
                .envs(self.envs())
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .ok()?;
            let mut stdin = store.stdin.take()?;
            stdin.write_all(b"probe").await.ok()?;
            drop(stdin);
            store.wait().await.ok()?.success().then_some(())
        };
        if tokio::time::timeout(Duration::from_secs(5), stored).await.ok().flatten().is_none() {
            return false;
        }
        let looked_up = Command::new("secret-tool").arg("lookup").args(attributes).envs(self.envs()).output();
        matches!(tokio::time::timeout(Duration::from_secs(5), looked_up).await, Ok(Ok(out)) if out.stdout == b"probe")
    }
}
