//! Issue 14, point 3: two profile files (two `LANYARD_CONFIG_DIR`s) on one keychain never read
//! each other's entries; entries from before installs had namespaces move into the install that
//! claims them, without a new sign-in; `lanyard doctor` finds entries no source owns and `--prune`
//! removes them. The real `lanyard` binary, the real Secret Service (`scripts/with-keychain.sh`),
//! and an HTTP upstream that records the `Authorization` header of every request it gets.
//!
//! Each install here is a [`Home::own_install`]: an install of its own, as a second profile file
//! on a machine is, not the test run's shared one.

use std::process::{Command, Stdio};

use lanyard::Engine;
use lanyard::clock::now;
use lanyard::ids::SourceId;
use lanyard::oauth::{Grant, StoredTokens};
use lanyard::vault::{InstallFile, StoreKind, Vault, VaultKey};
use serde_json::Value;
use url::Url;

use crate::oauth::{Cleanup, unique_id};
use crate::support::bridge_home::CountingUpstream;
use crate::support::home::{Home, output_with_input};

/// Runs `lanyard <args>` in `home`; exit code and stdout (stderr goes to the test's output).
async fn lanyard(home: &Home, args: &[&str]) -> (i32, String) {
    let output = home.lanyard(args).stdin(Stdio::null()).stderr(Stdio::inherit()).output().await.unwrap();
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The state `lanyard status <id> --json` gives in `home`.
async fn state(home: &Home, id: &str) -> String {
    let (code, stdout) = lanyard(home, &["status", id, "--json"]).await;
    assert_eq!(code, 0, "status {id} works: {stdout}");
    let status: Value = serde_json::from_str(&stdout).expect("status --json is JSON");
    status["sources"][0]["state"].as_str().unwrap_or_default().to_owned()
}

/// Makes `home`'s install id now (as its first `lanyard` call would), so that its accounts can
/// be named for clean-up before anything is stored.
fn make_install(home: &Home) {
    InstallFile::beside(&home.profile_file()).read_or_create().expect("the install id is made");
}

/// `accounts` in each of `homes`, for [`Cleanup`].
fn in_installs(homes: &[&Home], accounts: &[String]) -> Vec<String> {
    homes
        .iter()
        .flat_map(|home| accounts.iter().map(|a| home.account(a)))
        .chain(accounts.iter().cloned())
        .collect()
}

/// The keychain as `home`'s `lanyard` sees it, through the engine's own vault.
fn vault_of(home: &Home) -> Vault {
    Vault::new(StoreKind::SecretService)
        .expect("the Secret Service is available on Linux")
        .in_install(InstallFile::beside(&home.profile_file()))
}

/// The value `secret-tool` finds under the account `account` (service `lanyard`).
fn lookup(account: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "lanyard", "username", account])
        .output()
        .expect("secret-tool runs");
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned()).filter(|v| !v.is_empty())
}

/// Stores `value` under the bare account `account`, as Lanyard did before installs had namespaces.
fn store_old_style(account: &str, value: &str) {
    let mut child = Command::new("secret-tool")
        .args(["store", "--label=old lanyard entry", "service", "lanyard", "username", account])
        .stdin(Stdio::piped())
        .spawn()
        .expect("secret-tool runs");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), value.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success(), "secret-tool stored {account}");
}

#[tokio::test]
async fn issue_14_a_header_secret_of_one_profile_file_never_reaches_the_same_source_of_another() {
    let upstream = CountingUpstream::start().await.expect("the recording upstream starts");
    let (mine, theirs) = (Home::own_install(), Home::own_install());
    let id = unique_id("shared").to_string();
    let planted = format!("Bearer planted-{id}");
    make_install(&mine);
    make_install(&theirs);
    let _cleanup = Cleanup(in_installs(&[&mine, &theirs], &[format!("source:{id}/header/Authorization")]));

    let added = output_with_input(
        &mut mine.lanyard(&[
            "profile",
            "add",
            &id,
            "--url",
            &upstream.url,
            "--header-secret",
            "Authorization",
        ]),
        &format!("{planted}\n"),
    )
    .await;
    assert!(added.status.success(), "profile add: {}", String::from_utf8_lossy(&added.stderr));
    // The other profile file has the same source, its secret never set there.
    std::fs::create_dir_all(theirs.config_dir()).unwrap();
    std::fs::copy(mine.profile_file(), theirs.profile_file()).unwrap();

    lanyard(&mine, &["tools", &id]).await; // the upstream answers 500; its record is what counts
    let sent = upstream.authorizations();
    assert!(
        sent.iter().any(|a| a.as_deref() == Some(planted.as_str())),
        "the install that set the secret sends it: {} request(s)",
        sent.len()
    );

    assert_eq!(state(&theirs, &id).await, "missing_secret", "the other install does not see the secret");
    let (code, _) = lanyard(&theirs, &["tools", &id]).await;
    assert_ne!(code, 0, "without its secret the other install's source cannot connect");
    let after = upstream.authorizations();
    assert!(
        after[sent.len()..].iter().all(|a| a.as_deref() != Some(planted.as_str())),
        "the other install never sends the first one's secret: {:?}",
        after[sent.len()..].iter().map(Option::is_some).collect::<Vec<_>>()
    );
    assert_eq!(
        lookup(&mine.account(&format!("source:{id}/header/Authorization"))).as_deref(),
        Some(planted.as_str()),
        "the secret sits under the first install's namespace"
    );
    assert_eq!(
        lookup(&format!("source:{id}/header/Authorization")),
        None,
        "and not under the bare account every install would read"
    );
}

#[tokio::test]
async fn issue_14_tokens_of_one_profile_file_are_not_used_by_the_same_source_of_another() {
    let (mine, theirs) = (Home::own_install(), Home::own_install());
    let id = unique_id("signed");
    let text = id.to_string();
    make_install(&mine);
    make_install(&theirs);
    let _cleanup = Cleanup(in_installs(&[&mine, &theirs], &[format!("source:{id}/oauth/tokens")]));
    let (code, _) =
        lanyard(&mine, &["profile", "add", &text, "--url", "https://mcp.one.example/mcp", "--auth", "oauth"])
            .await;
    assert_eq!(code, 0, "profile add in the first install");
    let (code, _) = lanyard(
        &theirs,
        &["profile", "add", &text, "--url", "https://mcp.two.example/mcp", "--auth", "oauth"],
    )
    .await;
    assert_eq!(code, 0, "profile add in the second install, another server, never signed in");

    let engine = Engine::new(mine.dirs(), vault_of(&mine));
    tokens().save(engine.vault(), &id).await.expect("the tokens are stored in the first install");

    assert_eq!(state(&mine, &text).await, "connected", "the first install is signed in");
    assert_eq!(state(&theirs, &text).await, "needs_sign_in", "the second install has no tokens of its own");
}

fn tokens() -> StoredTokens {
    StoredTokens {
        access_token: lanyard::Secret::new("planted-access-token"),
        refresh_token: Some(lanyard::Secret::new("planted-refresh-token")),
        expires_at: Some(now() + 3600),
        refresh_expires_at: None,
        scopes: vec!["read".into()],
        issuer: "https://as.one.example".into(),
        token_endpoint: Url::parse("https://as.one.example/token").unwrap(),
        revocation_endpoint: None,
        client_id: "client".into(),
        client_auth_method: "none".into(),
        resource: Some("https://mcp.one.example/mcp".into()),
        grant: Grant::AuthorizationCode,
        obtained_at: now(),
        step_up: None,
        account: None,
        binding: None,
        dpop_key: None,
    }
}

#[tokio::test]
async fn issue_14_old_entries_move_into_the_first_install_that_claims_them_without_a_new_sign_in() {
    let (first, second) = (Home::own_install(), Home::own_install());
    let (moved, left) = (unique_id("old"), unique_id("old-left"));
    let bare = |id: &SourceId| format!("source:{id}/env/API_KEY");
    make_install(&first);
    make_install(&second);
    let mut accounts = in_installs(&[&first, &second], &[bare(&moved), bare(&left)]);
    accounts.push("installs/legacy-owner".to_owned());
    let _cleanup = Cleanup(accounts);
    // Nothing claims the old entries until this test does; another run's claim would stand in.
    let _ = Command::new("secret-tool")
        .args(["clear", "service", "lanyard", "username", "installs/legacy-owner"])
        .status();
    store_old_style(&bare(&moved), "old-value-moved");
    store_old_style(&bare(&left), "old-value-left");
    for home in [&first, &second] {
        for id in [&moved, &left] {
            let added = output_with_input(
                &mut home.lanyard(&[
                    "profile",
                    "add",
                    &id.to_string(),
                    "--env-secret",
                    "API_KEY",
                    "--",
                    "sh",
                ]),
                "typed-later\n",
            )
            .await;
            assert!(added.status.success(), "profile add: {}", String::from_utf8_lossy(&added.stderr));
        }
    }
    // `profile add` stored fresh values in each install; take them away again so the only value
    // left for each source is the old, bare one.
    for home in [&first, &second] {
        for id in [&moved, &left] {
            let key = VaultKey::source_secret(id, &lanyard::ids::SecretRef::env("API_KEY"));
            let account = home.account(key.account());
            let _ = Command::new("secret-tool")
                .args(["clear", "service", "lanyard", "username", &account])
                .status();
        }
    }
    // `profile add` deleted nothing, and reading `moved` is what moves it.
    assert_eq!(lookup(&bare(&moved)).as_deref(), Some("old-value-moved"), "the old entry is still there");

    assert_eq!(state(&first, &moved.to_string()).await, "ready", "the first install reads the old entry");
    assert_eq!(
        lookup(&first.account(&bare(&moved))).as_deref(),
        Some("old-value-moved"),
        "the value now lives in the first install's namespace"
    );
    assert_eq!(lookup(&bare(&moved)), None, "the old entry is gone");
    assert_eq!(
        state(&second, &left.to_string()).await,
        "missing_secret",
        "the second install does not take old entries that the first one claimed"
    );
    assert_eq!(lookup(&bare(&left)).as_deref(), Some("old-value-left"), "the other old entry stays");
    assert_eq!(state(&first, &left.to_string()).await, "ready", "it is the first install's to take");
    assert_eq!(lookup(&bare(&left)), None, "and it moved when the first install read it");
}

#[tokio::test]
async fn issue_14_doctor_lists_entries_no_source_owns_and_prune_removes_only_this_installs() {
    let (home, other) = (Home::own_install(), Home::own_install());
    let kept = unique_id("kept");
    let gone = unique_id("gone");
    let secret = |id: &SourceId| VaultKey::source_secret(id, &lanyard::ids::SecretRef::env("API_KEY"));
    make_install(&home);
    make_install(&other);
    let _cleanup = Cleanup(in_installs(
        &[&home, &other],
        &[secret(&kept).account().to_owned(), secret(&gone).account().to_owned()],
    ));
    let added = output_with_input(
        &mut home.lanyard(&["profile", "add", &kept.to_string(), "--env-secret", "API_KEY", "--", "sh"]),
        "kept-value\n",
    )
    .await;
    assert!(added.status.success(), "profile add: {}", String::from_utf8_lossy(&added.stderr));
    let orphan = secret(&gone);
    vault_of(&home).set(&orphan, &lanyard::Secret::new("orphan-value")).await.expect("an orphan is planted");
    vault_of(&other).set(&orphan, &lanyard::Secret::new("other-value")).await.expect("another install's");
    let other_id = std::fs::read_to_string(other.config_dir().join("install-id")).unwrap().trim().to_owned();

    let (_, stdout) = lanyard(&home, &["doctor", "--json"]).await;
    let report: Value = serde_json::from_str(&stdout).expect("doctor --json is JSON");
    let entries = &report["keychain_entries"];
    assert_eq!(entries["listable"], true, "the Secret Service lists entries: {entries}");
    let orphans: Vec<&str> =
        entries["orphans"].as_array().unwrap().iter().filter_map(|o| o["entry"].as_str()).collect();
    assert_eq!(
        orphans,
        [orphan.account()],
        "only the entry of a source that is gone is an orphan: {entries}"
    );
    assert_eq!(entries["orphans"][0]["reason"], "no_such_source", "{entries}");
    assert!(
        entries["other_installs"][&other_id].as_u64() >= Some(1),
        "the other install is counted: {entries}"
    );
    assert!(
        report["findings"].as_array().unwrap().iter().any(|f| f["area"] == "keychain"
            && f["outcome"] == "warning"
            && f["detail"].as_str().is_some_and(|d| d.contains(orphan.account()))),
        "a finding names the orphan: {report}"
    );
    assert!(lookup(&home.account(orphan.account())).is_some(), "listing removes nothing");

    let (_, stdout) = lanyard(&home, &["doctor", "--prune", "--json"]).await;
    let report: Value = serde_json::from_str(&stdout).expect("doctor --prune --json is JSON");
    let pruned: Vec<&str> = report["keychain_entries"]["pruned"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["entry"].as_str())
        .collect();
    assert_eq!(pruned, [orphan.account()], "the orphan is reported removed: {report}");
    assert_eq!(lookup(&home.account(orphan.account())), None, "and it is gone from the keychain");
    assert_eq!(
        lookup(&home.account(secret(&kept).account())).as_deref(),
        Some("kept-value"),
        "the owned secret stays"
    );
    assert_eq!(
        lookup(&other.account(orphan.account())).as_deref(),
        Some("other-value"),
        "another install's entry of the same name is never touched"
    );
}
