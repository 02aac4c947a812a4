//! The enterprise fixture (`tests/node/enterprise-fixture.mjs`): the token exchange that
//! oidc-provider (the OAuth fixture, as the identity provider) lacks, and MCP sites whose
//! authorization servers take identity assertion grants, each in front of an MCP server.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use lanyard::vault::{Vault, VaultKey};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};

use super::oauth_fixture::node22;

/// The token exchange and the two MCP sites; stopped when dropped.
pub struct EnterpriseFixture {
    ready: Value,
    http: reqwest::Client,
    _stdin: ChildStdin,
    _child: Child,
}

impl EnterpriseFixture {
    pub async fn start(idp: &str, upstreams: &[&str]) -> anyhow::Result<Self> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node/enterprise-fixture.mjs");
        let mut command = Command::new(node22());
        command.arg(&script).args(["--idp", idp]);
        for upstream in upstreams {
            command.args(["--upstream", upstream]);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if std::env::var_os("LANYARD_FIXTURE_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .kill_on_drop(true)
            .spawn()
            .context("start the enterprise fixture")?;
        let stdin = child.stdin.take().context("stdin is piped")?;
        let stdout = child.stdout.take().context("stdout is piped")?;
        let mut line = String::new();
        tokio::time::timeout(Duration::from_secs(60), BufReader::new(stdout).read_line(&mut line))
            .await
            .context("the enterprise fixture did not print its ready line in time")??;
        let ready = serde_json::from_str(&line).with_context(|| format!("ready line {line:?}"))?;
        Ok(Self { ready, http: reqwest::Client::new(), _stdin: stdin, _child: child })
    }

    pub fn text(&self, pointer: &str) -> String {
        self.ready.pointer(pointer).and_then(Value::as_str).expect("the ready line names it").to_owned()
    }

    pub async fn get(&self, pointer: &str) -> Value {
        let url = self.text(pointer);
        self.http.get(url).send().await.expect("the fixture answers").json().await.expect("JSON")
    }

    /// The ID-JAGs the token exchange issued so far, named, for a leak search.
    pub async fn issued_grants(&self) -> Vec<(String, String)> {
        let grants = self.get("/issued_grants").await;
        let grants = grants.as_array().expect("a list of grants");
        grants
            .iter()
            .enumerate()
            .map(|(n, g)| (format!("ID-JAG {n}"), g.as_str().unwrap().to_owned()))
            .collect()
    }

    pub async fn count(&self, pointer: &str) -> u64 {
        self.get("/stats").await.pointer(pointer).and_then(Value::as_u64).unwrap_or(0)
    }
}

/// The ID token and refresh token of the identity session at `issuer` for `client_id`, named,
/// read from the keychain (for a leak search: they must be there and nowhere else).
pub async fn identity_session_secrets(vault: &Vault, issuer: &str, client_id: &str) -> Vec<(String, String)> {
    let key = VaultKey::identity_session(issuer, client_id);
    let stored =
        vault.get(&key).await.expect("the keychain answers").expect("the identity session is stored");
    let session: Value = serde_json::from_str(stored.expose()).expect("the session is JSON");
    ["id_token", "refresh_token"]
        .into_iter()
        .map(|field| {
            let value = session[field].as_str().expect("the session holds both").to_owned();
            (format!("the identity session's {field}"), value)
        })
        .collect()
}
