//! The vault against real keychains: gnome-keyring over D-Bus (run the suite under
//! `scripts/with-keychain.sh`, which gives it a private, unlocked one), the kernel keyring (its
//! per-user persistent keyring, also from inside a `keyctl session`), and no Secret Service at all.
//!
//! Entries are checked through the keychain's own tools (`secret-tool`, `keyctl`), not only through
//! the vault, so a test proves the secret really is in the keychain under service `lanyard`. Every
//! test uses keys no other test or run shares and removes them, even when it fails.
//!
//! Cases that need a different environment (no session bus, a session keyring, `LANYARD_KEYCHAIN`)
//! re-run this test binary in a child process, because tests in one binary share the process
//! environment. The child cases are `#[ignore]`d and do nothing unless the parent started them.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lanyard::Secret;
use lanyard::ids::{SecretRef, SourceId};
use lanyard::vault::{StoreKind, Vault, VaultError, VaultKey};

/// Set by `scripts/with-keychain.sh` inside its private D-Bus session.
const KEYCHAIN_SESSION_ENV: &str = "LANYARD_IN_KEYCHAIN_SESSION";
/// Tells a re-run of this binary which child case it is.
const CHILD_ENV: &str = "LANYARD_IT_VAULT_CHILD";
/// How long a child case may take before it counts as hung.
const CHILD_TIMEOUT: Duration = Duration::from_secs(60);

/// A source id no other test or run uses.
fn unique_source(tag: &str) -> SourceId {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.subsec_nanos());
    let id = format!("{tag}-{:x}-{}-{nanos:x}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
    id.parse().unwrap_or_else(|err| panic!("test source id {id:?} should be valid: {err}"))
}

fn header_key(source: &SourceId) -> VaultKey {
    VaultKey::source_secret(source, &SecretRef::header("Authorization"))
}

/// Refuses to run against anything but the private keychain of `scripts/with-keychain.sh`, so the
/// suite never writes into a developer's own keyring.
fn secret_service_vault() -> Vault {
    assert!(
        std::env::var_os(KEYCHAIN_SESSION_ENV).is_some(),
        "the Secret Service tests need a private keychain: run them as `scripts/with-keychain.sh cargo test`"
    );
    Vault::new(StoreKind::SecretService).expect("the Secret Service is available on Linux")
}

/// Removes the listed Secret Service items when dropped, also when the test panics.
struct SecretServiceCleanup(Vec<VaultKey>);

impl Drop for SecretServiceCleanup {
    fn drop(&mut self) {
        for key in &self.0 {
            let _ = Command::new("secret-tool")
                .args(["clear", "service", "lanyard", "username", key.account()])
                .status();
        }
    }
}

/// The secret stored under `key`, read by `secret-tool` straight from the Secret Service.
fn secret_tool_lookup(key: &VaultKey) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "lanyard", "username", key.account()])
        .output()
        .expect("secret-tool should run (scripts/install-test-deps.sh installs libsecret-tools)");
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What `secret-tool search --all` shows for the items under `key` (labels on stdout, attributes
/// on stderr), with the secret lines left out so a failing assertion cannot print them.
fn secret_tool_items(key: &VaultKey) -> String {
    let out = Command::new("secret-tool")
        .args(["search", "--all", "service", "lanyard", "username", key.account()])
        .output()
        .expect("secret-tool should run");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    text.lines().filter(|line| !line.starts_with("secret =")).collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn secret_service_round_trip_is_in_the_keychain() {
    let vault = secret_service_vault();
    let key = header_key(&unique_source("rt"));
    let _cleanup = SecretServiceCleanup(vec![key.clone()]);

    assert!(vault.get(&key).await.expect("reading an absent key works").is_none(), "a new key starts absent");
    assert!(secret_tool_lookup(&key).is_none(), "the keychain has no item for a new key");

    vault.set(&key, &Secret::new("first-value")).await.expect("set should work on an unlocked keychain");
    let got = vault.get(&key).await.expect("get after set works");
    assert_eq!(got.as_ref().map(Secret::expose), Some("first-value"), "get returns what set stored");
    assert_eq!(
        secret_tool_lookup(&key).as_deref(),
        Some("first-value"),
        "the value is in the Secret Service under service=lanyard, username=<account>"
    );
    let items = secret_tool_items(&key);
    assert!(
        items.contains(&format!("label = Lanyard: {}", key.account())),
        "the item has a readable label:\n{items}"
    );

    vault.set(&key, &Secret::new("second-value")).await.expect("overwriting works");
    let got = vault.get(&key).await.expect("get after overwrite works");
    assert_eq!(got.as_ref().map(Secret::expose), Some("second-value"), "set replaces the old value");
    assert_eq!(secret_tool_lookup(&key).as_deref(), Some("second-value"), "the keychain holds the new value");
    let items = secret_tool_items(&key);
    assert_eq!(
        items.matches("label = ").count(),
        1,
        "overwriting replaces the item instead of adding one:\n{items}"
    );

    assert!(vault.delete(&key).await.expect("delete works"), "deleting an existing secret reports true");
    assert!(
        vault.get(&key).await.expect("get after delete works").is_none(),
        "a deleted secret reads as absent"
    );
    assert!(secret_tool_lookup(&key).is_none(), "the item is gone from the keychain");
    assert!(!vault.delete(&key).await.expect("deleting an absent key works"), "deleting again reports false");
}

#[tokio::test]
async fn two_sources_on_one_url_keep_separate_secrets() {
    // Two profiles for the same server (say, work and personal accounts on one URL) differ only
    // by source id; their secrets must not land in one entry.
    let vault = secret_service_vault();
    let (work, personal) = (unique_source("work"), unique_source("personal"));
    let keys = [
        header_key(&work),
        header_key(&personal),
        VaultKey::source_tokens(&work),
        VaultKey::source_tokens(&personal),
    ];
    let _cleanup = SecretServiceCleanup(keys.to_vec());

    for (key, value) in keys.iter().zip(["work-header", "personal-header", "work-tokens", "personal-tokens"])
    {
        vault.set(key, &Secret::new(value)).await.unwrap_or_else(|err| panic!("set {key}: {err}"));
    }
    for (key, value) in keys.iter().zip(["work-header", "personal-header", "work-tokens", "personal-tokens"])
    {
        let got = vault.get(key).await.unwrap_or_else(|err| panic!("get {key}: {err}"));
        assert_eq!(got.as_ref().map(Secret::expose), Some(value), "{key} keeps its own value");
        assert_eq!(
            secret_tool_lookup(key).as_deref(),
            Some(value),
            "the keychain has a separate item for {key}"
        );
    }
    for key in &keys {
        assert!(vault.delete(key).await.unwrap_or_else(|err| panic!("delete {key}: {err}")), "{key} existed");
    }
}

#[tokio::test]
async fn deleting_one_source_leaves_the_other() {
    let vault = secret_service_vault();
    let (gone, kept) = (header_key(&unique_source("gone")), header_key(&unique_source("kept")));
    let _cleanup = SecretServiceCleanup(vec![gone.clone(), kept.clone()]);

    vault.set(&gone, &Secret::new("to-delete")).await.expect("set the first");
    vault.set(&kept, &Secret::new("to-keep")).await.expect("set the second");
    assert!(vault.delete(&gone).await.expect("delete the first"), "the first secret existed");

    assert!(vault.get(&gone).await.expect("get the deleted one").is_none(), "the deleted secret is absent");
    let kept_value = vault.get(&kept).await.expect("get the kept one");
    assert_eq!(
        kept_value.as_ref().map(Secret::expose),
        Some("to-keep"),
        "deleting one source's secret leaves the other's"
    );
    assert_eq!(
        secret_tool_lookup(&kept).as_deref(),
        Some("to-keep"),
        "the other item is still in the keychain"
    );
    assert!(vault.delete(&kept).await.expect("delete the second"), "the second secret existed");
}

#[tokio::test]
async fn concurrent_calls_on_one_vault_all_land() {
    let vault = secret_service_vault();
    let keys: Vec<VaultKey> = (0..8).map(|_| header_key(&unique_source("many"))).collect();
    let _cleanup = SecretServiceCleanup(keys.clone());

    let values: Vec<Secret> = keys.iter().map(|key| Secret::new(format!("value-of-{key}"))).collect();
    let writes = keys.iter().zip(&values).map(|(key, value)| vault.set(key, value));
    for (key, written) in keys.iter().zip(futures::future::join_all(writes).await) {
        written.unwrap_or_else(|err| panic!("concurrent set of {key} should work: {err}"));
    }
    let reads = futures::future::join_all(keys.iter().map(|key| vault.get(key))).await;
    for (key, read) in keys.iter().zip(reads) {
        let got = read.unwrap_or_else(|err| panic!("concurrent get of {key} should work: {err}"));
        let expected = format!("value-of-{key}");
        assert_eq!(
            got.as_ref().map(Secret::expose),
            Some(expected.as_str()),
            "{key} holds its own value after concurrent writes"
        );
    }
    for key in &keys {
        assert!(vault.delete(key).await.unwrap_or_else(|err| panic!("delete {key}: {err}")), "{key} existed");
    }
}

/// Re-runs this test binary for one `#[ignore]`d child case, under `wrapper` (e.g. `keyctl
/// session -`) with `env` changes, and returns its output. Fails if the child fails or hangs.
async fn run_child(case: &str, wrapper: &[&str], env: &[(&str, Option<&str>)]) -> String {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    // module_path!() is `<crate>::vault`; libtest names tests without the crate.
    let module = module_path!().split_once("::").map_or(module_path!(), |(_, rest)| rest);
    let test_name = format!("{module}::{case}");
    let mut command = match wrapper.split_first() {
        Some((program, args)) => {
            let mut command = tokio::process::Command::new(program);
            command.args(args).arg(&exe);
            command
        }
        None => tokio::process::Command::new(&exe),
    };
    command
        .args([test_name.as_str(), "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, case)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    for (name, value) in env {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let out = tokio::time::timeout(CHILD_TIMEOUT, command.output())
        .await
        .unwrap_or_else(|_| panic!("child case {case} should finish within {CHILD_TIMEOUT:?}, not hang"))
        .unwrap_or_else(|err| panic!("child case {case} should start ({wrapper:?}): {err}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "child case {case} should pass; its output:\n{text}");
    assert!(
        text.contains("1 passed"),
        "the child should have run exactly the case {test_name}; its output:\n{text}"
    );
    text
}

/// True in the child process started for `case`; the case does nothing in a normal run.
fn is_child(case: &str) -> bool {
    std::env::var(CHILD_ENV).is_ok_and(|value| value == case)
}

#[tokio::test]
async fn no_secret_service_is_a_clear_error() {
    let out = run_child(
        "child_without_secret_service",
        &[],
        &[("DBUS_SESSION_BUS_ADDRESS", Some("unix:path=/nonexistent")), ("LANYARD_KEYCHAIN", None)],
    )
    .await;
    let message = out
        .lines()
        .find_map(|line| line.split_once("VAULT-ERROR: ").map(|(_, message)| message))
        .unwrap_or_else(|| panic!("the child should print the vault's error; its output:\n{out}"));
    for needed in [
        "Secret Service",
        "unix:path=/nonexistent",
        "gnome-keyring",
        "KeePassXC",
        "LANYARD_KEYCHAIN=keyutils",
    ] {
        assert!(
            message.contains(needed),
            "the error should mention {needed:?} so the user knows what to do: {message}"
        );
    }
}

#[tokio::test]
#[ignore = "child case: run by no_secret_service_is_a_clear_error in its own environment"]
async fn child_without_secret_service() {
    if !is_child("child_without_secret_service") {
        return;
    }
    let vault = Vault::from_env().expect("creating a vault must work without any keychain");
    assert_eq!(
        vault.kind(),
        StoreKind::SecretService,
        "unset LANYARD_KEYCHAIN means the Secret Service on Linux"
    );
    let key = header_key(&unique_source("nobus"));
    let err = vault.get(&key).await.expect_err("reading without a session bus must fail, not answer None");
    assert!(matches!(err, VaultError::NoSecretService { .. }), "no session bus is NoSecretService: {err:?}");
    let again =
        vault.set(&key, &Secret::new("never-stored")).await.expect_err("writing must fail the same way");
    assert!(
        matches!(again, VaultError::NoSecretService { .. }),
        "a failed open is reported again on the next call: {again:?}"
    );
    println!("VAULT-ERROR: {err}");
}

#[tokio::test]
async fn keyutils_round_trip_in_a_session_keyring() {
    let out = run_child(
        "child_keyutils_round_trip",
        &["keyctl", "session", "-"],
        &[("LANYARD_KEYCHAIN", Some("keyutils"))],
    )
    .await;
    assert!(
        out.contains("VAULT-KEYUTILS-OK"),
        "the child should reach the end of the round trip; its output:\n{out}"
    );
}

/// Removes the listed kernel keys when dropped, also when the child case panics.
struct KeyutilsCleanup(Vec<String>);

impl Drop for KeyutilsCleanup {
    fn drop(&mut self) {
        for description in &self.0 {
            if let Some(id) = persistent_key(description) {
                let _ = persistent_keyctl(&format!("keyctl invalidate {id}"));
            }
        }
    }
}

/// Runs `script` with `$ring` set to the user's persistent keyring, in a fresh session keyring
/// that links it (so the script possesses it and may read its keys); stdout if it succeeded.
pub(crate) fn persistent_keyctl(script: &str) -> Option<String> {
    let full = format!("ring=$(keyctl get_persistent @s) && {script}");
    let out = Command::new("keyctl")
        .args(["session", "-", "sh", "-c", &full])
        .output()
        .expect("keyctl should run (scripts/install-test-deps.sh installs keyutils)");
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The id of the key `description` in the user's persistent keyring.
fn persistent_key(description: &str) -> Option<String> {
    persistent_keyctl(&format!("keyctl search \"$ring\" user '{description}'")).map(|id| id.trim().to_owned())
}

/// The value of the kernel key the keyutils store uses for `key`, read with `keyctl` from the
/// user's persistent keyring, where the store keeps it.
fn keyctl_read(key: &VaultKey) -> Option<String> {
    keyctl_read_account(key.account())
}

/// [`keyctl_read`] for a keychain account as stored (e.g. with its install prefix).
pub(crate) fn keyctl_read_account(account: &str) -> Option<String> {
    let description = format!("keyring:{account}@lanyard");
    let id = persistent_key(&description)?;
    persistent_keyctl(&format!("keyctl pipe {id}"))
}

#[tokio::test]
#[ignore = "child case: run by keyutils_round_trip_in_a_session_keyring inside `keyctl session`"]
async fn child_keyutils_round_trip() {
    if !is_child("child_keyutils_round_trip") {
        return;
    }
    let vault = Vault::from_env().expect("LANYARD_KEYCHAIN=keyutils is valid");
    assert_eq!(vault.kind(), StoreKind::Keyutils, "LANYARD_KEYCHAIN=keyutils picks the kernel keyring");
    let (mine, other) = (header_key(&unique_source("ku")), header_key(&unique_source("ku-other")));
    let _cleanup = KeyutilsCleanup(
        [&mine, &other].iter().map(|key| format!("keyring:{}@lanyard", key.account())).collect(),
    );

    assert!(
        vault.get(&mine).await.expect("reading an absent key works").is_none(),
        "a new key starts absent"
    );
    vault.set(&mine, &Secret::new("kernel-first")).await.expect("set works inside a session keyring");
    vault.set(&other, &Secret::new("kernel-other")).await.expect("a second key can be set");
    assert_eq!(
        keyctl_read(&mine).as_deref(),
        Some("kernel-first"),
        "the value is a kernel key named after the account, in the persistent keyring"
    );

    vault.set(&mine, &Secret::new("kernel-second")).await.expect("overwriting works");
    let got = vault.get(&mine).await.expect("get after overwrite works");
    assert_eq!(got.as_ref().map(Secret::expose), Some("kernel-second"), "set replaces the old value");
    assert_eq!(keyctl_read(&mine).as_deref(), Some("kernel-second"), "the kernel key holds the new value");

    assert!(vault.delete(&mine).await.expect("delete works"), "deleting an existing secret reports true");
    assert!(
        vault.get(&mine).await.expect("get after delete works").is_none(),
        "a deleted secret reads as absent"
    );
    assert!(keyctl_read(&mine).is_none(), "the kernel key is gone");
    let kept = vault.get(&other).await.expect("get the other key");
    assert_eq!(kept.as_ref().map(Secret::expose), Some("kernel-other"), "deleting one key leaves the other");
    assert!(vault.delete(&other).await.expect("delete the other key"), "the other key existed");
    println!("VAULT-KEYUTILS-OK");
}
