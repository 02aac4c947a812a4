//! A headless machine (issue 17, "A newcomer's first hour"): no Secret Service, the kernel
//! keyring as the opt-in, and quiet, single messages.
//!
//! Every `lanyard` here is a separate process, as a person's commands are. None runs inside a
//! session keyring made for it: the secret must survive in the user's persistent keyring alone.
//! "No Secret Service" is a session bus address where nothing listens.

use std::process::{Output, Stdio};

use lanyard::vault::{InstallFile, StoreKind, Vault, VaultKey};
use serde_json::Value;
use tokio::process::Command;

use crate::support::free_port;
use crate::support::home::{Home, output_with_input};

/// A session bus address with nothing behind it: the Secret Service cannot be reached.
const NO_BUS: &str = "unix:path=/nonexistent/lanyard-test-bus";

/// `lanyard <args>` in `home` with the kernel keyring and no log filter from the caller.
fn keyutils(home: &Home, args: &[&str]) -> Command {
    let mut command = home.lanyard(args);
    command.env("LANYARD_KEYCHAIN", "keyutils").env_remove("RUST_LOG");
    command
}

/// `lanyard <args>` in `home` on a machine without a Secret Service (the default keychain).
fn no_keychain(home: &Home, args: &[&str]) -> Command {
    let mut command = home.lanyard(args);
    command.env("DBUS_SESSION_BUS_ADDRESS", NO_BUS).env_remove("LANYARD_KEYCHAIN").env_remove("RUST_LOG");
    command
}

async fn run(mut command: Command) -> Output {
    command.stdin(Stdio::null()).output().await.expect("lanyard runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Removes `keys` of `home`'s install from the kernel keyring when dropped, also on a panic.
struct KernelCleanup {
    vault: Vault,
    keys: Vec<VaultKey>,
}

impl KernelCleanup {
    fn new(home: &Home, keys: Vec<VaultKey>) -> Self {
        let profiles = home.config_dir().join("profiles.toml");
        let vault = Vault::new(StoreKind::Keyutils)
            .expect("keyutils on Linux")
            .in_install(InstallFile::beside(&profiles));
        Self { vault, keys }
    }
}

impl Drop for KernelCleanup {
    fn drop(&mut self) {
        let (vault, keys) = (&self.vault, std::mem::take(&mut self.keys));
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a runtime");
                for key in &keys {
                    let _ = runtime.block_on(vault.delete(key));
                }
            });
        });
    }
}

#[tokio::test]
async fn issue_17_a_keyutils_secret_stored_by_one_command_is_read_by_the_next() {
    let home = Home::own_install();
    let source = crate::support::id("headless-api");
    let header = VaultKey::source_secret(&source, &lanyard::ids::SecretRef::header("X-Api-Key"));
    let _cleanup = KernelCleanup::new(&home, vec![header.clone(), VaultKey::bridge_token()]);

    let added = output_with_input(
        &mut keyutils(
            &home,
            &[
                "profile",
                "add",
                "headless-api",
                "--url",
                "http://127.0.0.1:9/mcp",
                "--header-secret",
                "X-Api-Key",
            ],
        ),
        "planted-headless-4e1a\n",
    )
    .await;
    assert!(added.status.success(), "adding with a secret works with keyutils: {}", text(&added.stderr));

    let shown = run(keyutils(&home, &["profile", "show", "headless-api", "--json"])).await;
    assert!(shown.status.success(), "show works: {}", text(&shown.stderr));
    let shown: Value = serde_json::from_slice(&shown.stdout).expect("show --json is JSON");
    assert_eq!(
        shown["secrets"]["header/X-Api-Key"], "set",
        "the next command finds the secret the first one stored: {shown}"
    );
    let account = home.account(header.account());
    assert_eq!(
        crate::vault::keyctl_read_account(&account).as_deref(),
        Some("planted-headless-4e1a"),
        "the value is in the user's persistent keyring"
    );

    let first = run(keyutils(&home, &["bridge-token"])).await;
    let second = run(keyutils(&home, &["bridge-token"])).await;
    assert!(first.status.success(), "bridge-token works with keyutils: {}", text(&first.stderr));
    assert_eq!(text(&first.stdout).trim().len(), 64, "a token is printed: {}", text(&first.stdout));
    assert_eq!(
        text(&first.stdout),
        text(&second.stdout),
        "two commands print the same bridge token: it was kept between them"
    );
}

#[tokio::test]
async fn issue_17_bridge_token_is_an_error_without_a_keychain() {
    let home = Home::own_install();
    let out = run(no_keychain(&home, &["bridge-token"])).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "no keychain is a keychain error (exit 6): {stderr}");
    assert!(out.stdout.is_empty(), "no token may be printed that is not kept: {}", text(&out.stdout));
    assert!(stderr.starts_with("error: "), "one `error:` message: {stderr}");
    assert!(
        stderr.contains("export LANYARD_KEYCHAIN=keyutils"),
        "the error gives the command that works headless: {stderr}"
    );
    assert!(!stderr.contains("locked"), "nothing is locked when there is no keychain: {stderr}");
}

#[tokio::test]
async fn issue_17_status_names_the_keychain_state() {
    let home = Home::own_install();

    let out = run(no_keychain(&home, &["status", "--json"])).await;
    assert!(out.status.success(), "status works without a keychain: {}", text(&out.stderr));
    let status: Value = serde_json::from_slice(&out.stdout).expect("status --json is JSON");
    assert_eq!(status["keychain_state"]["state"], "no_secret_service", "{status}");
    assert!(
        status["keychain_fix"].as_str().is_some_and(|fix| fix.contains("export LANYARD_KEYCHAIN=keyutils")),
        "the fix is the command that works: {status}"
    );
    let out = run(no_keychain(&home, &["status"])).await;
    let shown = text(&out.stdout);
    let first = shown.lines().next().unwrap_or_default();
    assert!(first.starts_with("keychain: no Secret Service"), "the first line says there is none: {shown}");
    assert!(
        !shown.contains("Secret Service keychain"),
        "it does not claim a Secret Service keychain: {shown}"
    );

    let out = run(keyutils(&home, &["status", "--json"])).await;
    let status: Value = serde_json::from_slice(&out.stdout).expect("status --json is JSON");
    assert_eq!(status["keychain_state"]["state"], "keyutils_persistent", "{status}");
    let expiry: Option<u64> = std::fs::read_to_string("/proc/sys/kernel/keys/persistent_keyring_expiry")
        .ok()
        .and_then(|text| text.trim().parse().ok());
    assert_eq!(
        status["keychain_state"]["expiry_secs"].as_u64(),
        expiry,
        "the expiry is the kernel's own setting: {status}"
    );
    let out = run(keyutils(&home, &["status"])).await;
    let shown = text(&out.stdout);
    assert!(
        shown
            .lines()
            .next()
            .is_some_and(|line| line.contains("persistent") && line.contains("forgotten at reboot")),
        "the keyutils line says how long secrets stay: {shown}"
    );

    if std::env::var_os("LANYARD_IN_KEYCHAIN_SESSION").is_some() {
        let mut command = home.lanyard(&["status", "--json"]);
        command.env_remove("LANYARD_KEYCHAIN");
        let status: Value =
            serde_json::from_slice(&run(command).await.stdout).expect("status --json is JSON");
        assert_eq!(
            status["keychain_state"],
            serde_json::json!({"state": "ok", "kind": "secret-service"}),
            "with-keychain.sh's unlocked gnome-keyring is ok: {status}"
        );
    }
}

#[tokio::test]
async fn issue_17_doctor_reports_a_missing_keychain_once_with_its_fix() {
    let home = Home::own_install();
    let source = crate::support::id("needs-secret");
    let header = VaultKey::source_secret(&source, &lanyard::ids::SecretRef::header("X-Api-Key"));
    let _cleanup = KernelCleanup::new(&home, vec![header]);
    let dead = free_port().expect("a free port");
    let url = format!("http://127.0.0.1:{dead}/mcp");
    let added = output_with_input(
        &mut keyutils(
            &home,
            &["profile", "add", "needs-secret", "--url", &url, "--header-secret", "X-Api-Key"],
        ),
        "planted-doctor-77c2\n",
    )
    .await;
    assert!(added.status.success(), "{}", text(&added.stderr));
    let added =
        run(keyutils(&home, &["profile", "add", "no-program", "--", "/nonexistent/lanyard-doctor-prog"]))
            .await;
    assert!(added.status.success(), "{}", text(&added.stderr));

    let out = run(no_keychain(&home, &["doctor"])).await;
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "doctor fails on problems: {report}{}", text(&out.stderr));
    let mentions = report.matches("no Secret Service").count();
    assert_eq!(mentions, 1, "the missing keychain is reported once: {report}");
    let lines: Vec<&str> = report.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("PROBLEM") {
            assert!(
                lines.get(i + 1).is_some_and(|next| next.trim_start().starts_with("fix: ")),
                "every problem has a fix on the next line: {line}\n{report}"
            );
        }
    }
    assert!(!report.contains("<id>"), "fixes name the source, not a placeholder: {report}");
    assert!(
        report.contains("lanyard profile edit no-program"),
        "the missing program's fix names its source: {report}"
    );
    assert!(
        report.contains("export LANYARD_KEYCHAIN=keyutils"),
        "the keychain's fix is the command that works: {report}"
    );
    assert!(!report.contains("unlock"), "nothing is locked: {report}");
}

#[tokio::test]
async fn issue_17_a_failed_connection_prints_lanyards_message_only() {
    let home = Home::own_install();
    let dead = free_port().expect("a free port");
    let url = format!("http://127.0.0.1:{dead}/mcp");
    let added = run(keyutils(&home, &["profile", "add", "gone", "--url", &url])).await;
    assert!(added.status.success(), "{}", text(&added.stderr));

    let out = run(keyutils(&home, &["tools", "gone"])).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "a refused connection is exit 3: {stderr}");
    assert!(!stderr.contains("rmcp::"), "no dependency log line by default: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one message: {stderr}");
    assert!(stderr.starts_with("error: source `gone`"), "Lanyard's own message: {stderr}");

    let mut asked = keyutils(&home, &["tools", "gone"]);
    asked.env("RUST_LOG", "rmcp=error");
    let stderr = text(&run(asked).await.stderr);
    assert!(
        stderr.contains("rmcp::transport::worker"),
        "RUST_LOG still shows the dependency's line when asked for (so the check above can see it): {stderr}"
    );
}
