//! Secret references to a password manager (issue 22): a header, env or client-secret value
//! kept in 1Password, Bitwarden, pass or another program's keychain entry is read when a
//! connection needs it and written nowhere. The managers' programs are stand-ins the test puts
//! first on `PATH`; the server's own record of what it received is the witness.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::bridge_home::CountingUpstream;
use crate::support::home::Home;
use crate::support::{everything_js, scratch_dir};

const REFERENCE: &str = "op://Private/GitHub/token";

/// A folder holding an `op` that answers `op read --no-newline <REFERENCE>` with `value`, and
/// anything else with 1Password's "not signed in" on stderr and exit 1.
fn stand_in_op(dir: &Path, value: &str) -> PathBuf {
    let script = format!(
        "#!/bin/sh\n\
         if [ \"$1 $2 $3\" = \"read --no-newline {REFERENCE}\" ]; then printf '%s' '{value}'; exit 0; fi\n\
         echo '[ERROR] 2026/12/06 account is not signed in' >&2\n\
         exit 1\n"
    );
    write_program(dir, "op", &script)
}

fn write_program(dir: &Path, name: &str, script: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, script).expect("write the stand-in");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("make it executable");
    dir.to_path_buf()
}

/// `PATH` with `first` in front.
fn path_with(first: &Path) -> String {
    format!("{}:{}", first.display(), std::env::var("PATH").unwrap_or_default())
}

/// Runs `lanyard <args>` with `bin` first on `PATH` and debug logging, without blocking the
/// test's runtime (the upstream answers on it).
async fn run_with_path(home: &Home, bin: &Path, args: &[&str]) -> std::process::Output {
    let mut command = home.lanyard(args);
    command.env("PATH", path_with(bin)).env("LANYARD_LOG", "debug");
    command.output().await.expect("lanyard runs")
}

/// The `X-Api-Key` of every request that reached `upstream`, as the upstream recorded it.
fn api_keys_sent(upstream: &CountingUpstream) -> Vec<String> {
    let headers = upstream.headers();
    let keys =
        headers.iter().filter_map(|headers| headers.get("x-api-key")?.to_str().ok().map(str::to_owned));
    keys.collect()
}

fn planted() -> String {
    format!("planted-op-{}", std::process::id())
}

#[tokio::test]
async fn issue_22_a_header_from_1password_reaches_the_server_and_is_written_nowhere() {
    let upstream = CountingUpstream::start().await.expect("the upstream listens");
    let home = Home::own_install();
    let bin = scratch_dir();
    let value = planted();
    stand_in_op(bin.path(), &value);
    let header = format!("X-Api-Key={REFERENCE}");
    home.run(&["profile", "add", "vaulted", "--url", &upstream.url, "--header-ref", &header]).ok();

    let file = std::fs::read_to_string(home.profile_file()).expect("the profile file");
    assert!(file.contains(REFERENCE), "the file keeps the reference:\n{file}");
    let shown = home.run(&["profile", "show", "vaulted", "--json"]).ok().json();
    assert_eq!(shown["secrets"][REFERENCE], "in 1Password, read when used", "{shown}");

    // The upstream answers 500, so the listing fails; what matters is what reached it.
    let output = run_with_path(&home, bin.path(), &["tools", "vaulted"]).await;
    let sent = api_keys_sent(&upstream);
    assert!(!sent.is_empty(), "the server received the header: {}", String::from_utf8_lossy(&output.stderr));
    assert!(sent.iter().all(|got| *got == value), "the value 1Password gave, on every request: {sent:?}");

    let said =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(!said.contains(&value), "the value is in no output or debug log:\n{said}");
    for path in home.files() {
        let bytes = std::fs::read(&path).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(&value),
            "{} holds the value a password manager keeps",
            path.display()
        );
    }
    let listed = home.run(&["doctor", "--json"]);
    assert!(!listed.stdout.contains(&value), "doctor shows no value");
}

#[tokio::test]
async fn issue_22_a_manager_that_refuses_is_named_with_the_reference_and_nothing_is_sent() {
    let upstream = CountingUpstream::start().await.expect("the upstream listens");
    let home = Home::own_install();
    let bin = scratch_dir();
    stand_in_op(bin.path(), &planted());
    let other = "op://Private/Missing/token";
    home.run(&[
        "profile",
        "add",
        "refused",
        "--url",
        &upstream.url,
        "--header-ref",
        &format!("X-Api-Key={other}"),
    ])
    .ok();

    let output = run_with_path(&home, bin.path(), &["tools", "refused"]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(6), "a password manager's refusal is a keychain failure: {stderr}");
    assert!(stderr.contains(other), "the error names the reference: {stderr}");
    assert!(stderr.contains("not signed in"), "and what `op` said: {stderr}");
    assert_eq!(upstream.hits(), 0, "nothing reached the server without its header");

    // Without the program at all, the error says which one to install.
    let output =
        home.command(&["tools", "refused"]).env("PATH", "/nonexistent").output().expect("lanyard runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(5), "a missing program is the profile's to fix: {stderr}");
    assert!(stderr.contains("`op`") && stderr.contains(other), "{stderr}");
}

#[test]
fn issue_22_references_are_checked_when_given() {
    let home = Home::own_install();
    home.run(&[
        "profile",
        "add",
        "typo",
        "--url",
        "http://127.0.0.1:9/mcp",
        "--header-ref",
        "X-Api-Key=op://only/two",
    ])
    .fails_with(2, "op://vault/item/field");
    home.run(&[
        "profile",
        "add",
        "typo",
        "--url",
        "http://127.0.0.1:9/mcp",
        "--header-ref",
        "X-Api-Key=plain",
    ])
    .fails_with(2, "not a password manager reference");
    assert!(!home.profile_file().exists(), "nothing written after a refused command");
}

#[test]
fn issue_22_an_env_value_from_pass_reaches_a_stdio_server() {
    let home = Home::own_install();
    let bin = scratch_dir();
    let value = planted();
    let js = everything_js().display().to_string();
    // `pass show` prints the password on the first line and notes below it.
    write_program(
        bin.path(),
        "pass",
        &format!(
            "#!/bin/sh\n[ \"$1 $2\" = \"show work/api\" ] || {{ echo 'Error: not in the store' >&2; exit 1; }}\n\
             printf '%s\\nurl: https://example.com\\n' '{value}'\n"
        ),
    );
    home.run(&[
        "profile",
        "add",
        "everything",
        "--env-ref",
        "API_KEY=pass://work/api",
        "--",
        "node",
        &js,
        "stdio",
    ])
    .ok();
    let output = home
        .command(&["call", "everything", "get-env", "--json"])
        .env("PATH", path_with(bin.path()))
        .output()
        .expect("lanyard runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "get-env: {}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains(&value), "the server's env has the first line of `pass show`: {stdout}");
    assert!(!stdout.contains("url: https://example.com"), "only the first line: {stdout}");
}

#[tokio::test]
async fn issue_22_another_programs_keychain_entry_is_read_and_left_alone() {
    let upstream = CountingUpstream::start().await.expect("the upstream listens");
    let home = Home::own_install();
    let value = planted();
    let service = format!("lanyard-test-other-{}", std::process::id());
    let mut store = Command::new("secret-tool")
        .args(["store", "--label=another program's token", "service", &service, "username", "me"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("secret-tool runs (package libsecret-tools)");
    std::io::Write::write_all(store.stdin.as_mut().expect("stdin"), value.as_bytes()).expect("write");
    drop(store.stdin.take());
    assert!(store.wait().expect("secret-tool finishes").success(), "the entry is stored");

    let reference = format!("keychain://{service}/me");
    home.run(&[
        "profile",
        "add",
        "named",
        "--url",
        &upstream.url,
        "--header-ref",
        &format!("X-Api-Key={reference}"),
    ])
    .ok();
    home.lanyard(&["tools", "named"]).output().await.expect("lanyard runs");
    let sent = api_keys_sent(&upstream);
    assert!(!sent.is_empty() && sent.iter().all(|got| *got == value), "the entry's value was sent: {sent:?}");

    home.run(&["profile", "rm", "named"]).ok();
    let left = Command::new("secret-tool")
        .args(["lookup", "service", &service, "username", "me"])
        .output()
        .expect("lookup");
    assert_eq!(
        String::from_utf8_lossy(&left.stdout),
        value,
        "removing the source leaves the other program's entry"
    );
    let _ = Command::new("secret-tool").args(["clear", "service", &service, "username", "me"]).status();

    let missing = format!("keychain://{service}-gone/me");
    home.run(&[
        "profile",
        "add",
        "gone",
        "--url",
        &upstream.url,
        "--header-ref",
        &format!("X-Api-Key={missing}"),
    ])
    .ok();
    let output = home.lanyard(&["tools", "gone"]).output().await.expect("lanyard runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(5), "a missing entry is the profile's to fix: {stderr}");
    assert!(stderr.contains(&missing), "the error names the reference: {stderr}");
}
