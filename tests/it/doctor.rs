//! `lanyard doctor` and `lanyard diagnostics` (issue 7, "Seeing what happened"): findings with
//! fixes for the usual breakages, and a bug-report bundle that carries no secret (issue 6,
//! "Secrets never leak": secrets are planted in every place a profile can hold one, and none may
//! appear in either command's output).

use std::process::Stdio;

use serde_json::Value;
use tokio::io::AsyncWriteExt;

use crate::support::bridge_home::bridge_token;
use crate::support::home::Home;
use crate::support::{free_port, test_server_bin};

const PLANTED: [&str; 4] =
    ["planted-header-8c1f", "planted-env-5d2e", "planted-query-77ab", "planted-arg-93fe"];

/// `lanyard <args>` in `home` with `$HOME` at `fake_home` (where the IDE configs are looked
/// for), `stdin` written to it; exit code and stdout+stderr.
async fn run(home: &Home, fake_home: &std::path::Path, args: &[&str], stdin: &str) -> (i32, String) {
    let mut child = home
        .lanyard(args)
        .env("HOME", fake_home)
        .env("XDG_CONFIG_HOME", fake_home.join(".config"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lanyard runs");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let output = child.wait_with_output().await.expect("lanyard ends");
    let text =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.code().unwrap_or(-1), text)
}

fn findings<'a>(report: &'a Value, subject: &str) -> Vec<&'a Value> {
    report["findings"].as_array().unwrap().iter().filter(|f| f["subject"] == subject).collect()
}

#[tokio::test]
async fn issue_7_doctor_names_what_is_wrong_and_diagnostics_carry_no_secret() {
    let home = Home::new();
    let fake_home = tempfile::tempdir().expect("a temp dir");
    let dead = free_port().unwrap();
    let url = format!("http://127.0.0.1:{dead}/mcp?key={}", PLANTED[2]);
    let added = run(
        &home,
        fake_home.path(),
        &["profile", "add", "remote", "--url", &url, "--header-secret", "X-Api-Key"],
        &format!("{}\n", PLANTED[0]),
    )
    .await;
    assert_eq!(added.0, 0, "a source with a secret header is added: {}", added.1);
    let server = test_server_bin().display().to_string();
    let added = run(
        &home,
        fake_home.path(),
        &["profile", "add", "local", "--env-secret", "API_KEY", "--", &server, "stdio", PLANTED[3]],
        &format!("{}\n", PLANTED[1]),
    )
    .await;
    assert_eq!(added.0, 0, "a stdio source with a secret variable is added: {}", added.1);
    home.add(&["gone", "--", "/nonexistent/lanyard-doctor-program"]).await;
    let cursor = fake_home.path().join(".cursor");
    std::fs::create_dir_all(&cursor).unwrap();
    std::fs::write(
        cursor.join("mcp.json"),
        r#"{"mcpServers": {"old": {"command": "/usr/bin/lanyard", "args": ["bridge", "deleted"]}}}"#,
    )
    .unwrap();

    let (code, text) = run(&home, fake_home.path(), &["doctor", "--json"], "").await;
    assert_eq!(code, 1, "problems make doctor fail: {text}");
    let json_end = text.rfind('}').unwrap() + 1;
    let report: Value = serde_json::from_str(&text[..json_end]).expect("doctor --json is JSON");
    assert!(
        findings(&report, "remote").iter().any(|f| f["outcome"] == "problem"
            && f["detail"].as_str().unwrap().contains(&format!("127.0.0.1:{dead}"))),
        "an unreachable server is named by its origin: {report}"
    );
    assert!(
        findings(&report, "local").iter().all(|f| f["outcome"] == "ok"),
        "a runnable stdio source with its secret set is fine: {report}"
    );
    assert!(
        findings(&report, "gone").iter().any(|f| f["outcome"] == "problem" && f["fix"].as_str().is_some()),
        "a missing program is a problem with a fix: {report}"
    );
    let cursor_file = cursor.join("mcp.json").display().to_string();
    assert!(
        findings(&report, &cursor_file)
            .iter()
            .any(|f| f["outcome"] == "problem" && f["detail"].as_str().unwrap().contains("deleted")),
        "an IDE entry for a source that no longer exists is found: {report}"
    );

    let (code, bundle_text) = run(&home, fake_home.path(), &["diagnostics"], "").await;
    assert_eq!(code, 0, "diagnostics always succeed: {bundle_text}");
    let bundle: Value = serde_json::from_str(bundle_text.trim()).expect("diagnostics print JSON");
    let remote =
        bundle["sources"].as_array().unwrap().iter().find(|s| s["id"] == "remote").expect("remote listed");
    assert_eq!(remote["header_names"], serde_json::json!(["X-Api-Key"]), "header names are kept: {remote}");
    assert_eq!(
        remote["origin"],
        format!("http://127.0.0.1:{dead}"),
        "the URL is cut to its origin: {remote}"
    );

    let token = bridge_token();
    for output in [&text, &bundle_text] {
        for secret in PLANTED.iter().copied().chain([token.as_str()]) {
            assert!(!output.contains(secret), "`{secret}` leaked into the output:\n{output}");
        }
    }
}
