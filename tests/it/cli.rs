//! The `lanyard` binary end to end: profiles, the keychain, real MCP servers, exit codes.
//! Each test gets its own config and data folders; secrets go to the real Secret Service that
//! `scripts/with-keychain.sh` provides.

use std::process::{Command, Stdio};

use crate::support::home::{Home, Run};

pub(crate) fn everything_js() -> String {
    crate::support::everything_js().display().to_string()
}

pub(crate) async fn everything_over_http() -> (crate::support::ChildGuard, String) {
    crate::support::start_everything(crate::support::Everything::StreamableHttp)
        .await
        .expect("server-everything starts")
}

fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Reads a secret back through the Secret Service itself (`secret-tool`), not through Lanyard.
fn keychain_lookup(account: &str) -> Option<String> {
    let output = Command::new("secret-tool")
        .args(["lookup", "service", "lanyard", "username", account])
        .output()
        .expect("secret-tool runs (package libsecret-tools)");
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
        .filter(|v| !v.is_empty())
}

#[test]
fn stdio_profile_lists_tools_and_calls_echo() {
    let home = Home::own_install();
    home.run(&["profile", "add", "everything", "--", "node", &everything_js(), "stdio"]).ok();
    let listed = home.run(&["tools", "everything", "--json"]).ok().json();
    let names: Vec<&str> =
        listed["tools"].as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
    assert!(names.contains(&"echo"), "server-everything offers echo: {names:?}");

    let called = home.run(&["call", "everything", "echo", "--args", r#"{"message":"hello lanyard"}"#]).ok();
    assert!(called.stdout.contains("hello lanyard"), "echo echoes: {}", called.stdout);

    let log = home.path().join("data/logs/everything.stderr.log");
    assert!(log.exists(), "the server's stderr goes to its per-source log at {}", log.display());
}

#[tokio::test]
async fn http_profile_lists_tools_and_calls_echo() {
    let (_server, url) = everything_over_http().await;
    let home = Home::own_install();
    home.run(&["profile", "add", "web", "--url", &url]).ok();
    let called =
        home.run(&["call", "web", "echo", "--args", r#"{"message":"over http"}"#, "--json"]).ok().json();
    let text = called["content"][0]["text"].as_str().unwrap_or_default();
    assert!(text.contains("over http"), "echo over streamable HTTP: {called}");
}

#[tokio::test]
async fn one_off_url_mode_keeps_nothing() {
    let (_server, url) = everything_over_http().await;
    let home = Home::own_install();
    let run = home.run(&["tools", "--url", &url]).ok();
    assert!(run.stdout.contains("echo"), "tools of a URL without a profile: {}", run.stdout);
    assert!(!home.profile_file().exists(), "the one-off mode must not write a profile file");
}

#[test]
fn header_secret_goes_to_the_keychain_not_the_file() {
    let home = Home::own_install();
    let id = unique("sec");
    let planted = format!("planted-{}", unique("value"));
    home.run_with_stdin(
        &["profile", "add", &id, "--url", "http://127.0.0.1:9/mcp", "--header-secret", "X-Api-Key"],
        &format!("{planted}\n"),
    )
    .ok();
    let file = std::fs::read_to_string(home.profile_file()).expect("profile file written");
    assert!(!file.contains(&planted), "the secret must never be written to the profile file:\n{file}");
    assert!(file.contains("header/X-Api-Key"), "the file keeps a reference:\n{file}");
    let account =
        crate::support::install_account(&home.config_dir(), &format!("source:{id}/header/X-Api-Key"));
    assert_eq!(
        keychain_lookup(&account).as_deref(),
        Some(planted.as_str()),
        "the Secret Service holds the value"
    );

    let shown = home.run(&["profile", "show", &id, "--json"]).ok();
    assert!(!shown.stdout.contains(&planted), "profile show must not print the secret");
    assert_eq!(shown.json()["secrets"]["header/X-Api-Key"], "set");

    home.run(&["profile", "rm", &id]).ok();
    assert_eq!(keychain_lookup(&account), None, "removing a profile removes its secrets");
}

#[test]
fn plain_credential_on_the_command_line_is_refused() {
    let home = Home::own_install();
    home.run(&[
        "profile",
        "add",
        "x",
        "--url",
        "http://127.0.0.1:9/mcp",
        "--header",
        "Authorization: Bearer abc",
    ])
    .fails_with(2, "--header-secret");
    assert!(!home.profile_file().exists(), "nothing written after a refused command");
}

#[test]
fn sign_in_settings_are_edited_in_place_and_flags_of_the_other_kind_are_refused() {
    let home = Home::own_install();
    home.run(&["profile", "add", "signs-in", "--url", "http://127.0.0.1:9/mcp", "--auth", "oauth"]).ok();
    home.run(&[
        "profile",
        "edit",
        "signs-in",
        "--scope",
        "read write",
        "--client-issuer",
        "https://as.example",
    ])
    .ok();
    let file = std::fs::read_to_string(home.profile_file()).expect("the profile file");
    assert!(file.contains("\"read\"") && file.contains("https://as.example"), "edited in place:\n{file}");
    assert!(file.contains("oauth"), "still an OAuth source:\n{file}");
    let before = file;
    home.run(&["profile", "edit", "signs-in", "--token-url", "https://as.example/token"])
        .fails_with(2, "apply to --auth client-credentials");
    let after = std::fs::read_to_string(home.profile_file()).expect("the profile file");
    assert_eq!(after, before, "a refused edit writes nothing");
    home.run(&["profile", "add", "plain", "--url", "http://127.0.0.1:9/mcp"]).ok();
    home.run(&["profile", "edit", "plain", "--scope", "read"]).fails_with(2, "need --auth oauth");
}

/// Issue 16: a sign-in parameter Lanyard sets itself was accepted by `--auth-param` and never
/// sent. The engine's draft refuses it, as for the app's form, before anything is written.
#[test]
fn issue_16_a_reserved_auth_param_is_refused_as_a_usage_error() {
    let home = Home::new();
    let add = ["profile", "add", "signs-in", "--url", "http://127.0.0.1:9/mcp", "--auth", "oauth"];
    for reserved in ["state", "redirect_uri", "scope"] {
        let param = format!("{reserved}=x");
        let run = home.run(&[&add[..], &["--auth-param", &param]].concat());
        let run = run.fails_with(2, &format!("the sign-in parameter `{reserved}` is set by Lanyard itself"));
        assert!(run.stderr.contains("--auth-param"), "the refusal names the flag: {}", run.stderr);
        assert!(run.stderr.contains("never be sent"), "and says why: {}", run.stderr);
        assert!(!home.profile_file().exists(), "nothing written after a refused add");
    }
    home.run(&[&add[..], &["--auth-param", "login_hint=a@example.com"]].concat()).ok();
    let before = std::fs::read_to_string(home.profile_file()).expect("the profile file");
    home.run(&["profile", "edit", "signs-in", "--auth-param", "resource=https://elsewhere"])
        .fails_with(2, "`resource` is set by Lanyard itself");
    home.run(&["profile", "edit", "signs-in", "--auth-param", "prompt=a", "--auth-param", "prompt=b"])
        .fails_with(2, "`prompt` is given twice");
    let after = std::fs::read_to_string(home.profile_file()).expect("the profile file");
    assert_eq!(after, before, "a refused edit writes nothing");
    home.run(&["profile", "edit", "signs-in", "--auth-param", "login_hint=b@example.com"]).ok();
    let edited = std::fs::read_to_string(home.profile_file()).expect("the profile file");
    assert!(edited.contains("b@example.com"), "an edit replaces a parameter of the person's own:\n{edited}");
}

#[test]
fn malformed_profile_file_names_line_and_is_left_untouched() {
    let home = Home::own_install();
    std::fs::create_dir_all(home.config_dir()).unwrap();
    let broken =
        "version = 1\n\n[sources.a]\ntransport = { type = \"http\", url = \"http://x\" }\ncolour = \"red\"\n";
    std::fs::write(home.profile_file(), broken).unwrap();
    let expected = format!("{}:5:", home.profile_file().display());
    home.run(&["profile", "list"]).fails_with(5, &expected);
    home.run(&["profile", "add", "b", "--url", "http://127.0.0.1:9/mcp"]).fails_with(5, "colour");
    assert_eq!(
        std::fs::read_to_string(home.profile_file()).unwrap(),
        broken,
        "the broken file is never rewritten"
    );
}

#[test]
fn unset_variable_names_profile_and_variable() {
    let home = Home::own_install();
    home.run(&[
        "profile",
        "add",
        "envy",
        "--url",
        "http://127.0.0.1:9/mcp",
        "--header",
        "X-Team: ${LANYARD_TEST_UNSET_VAR}",
    ])
    .ok();
    let run = home.run(&["tools", "envy"]).fails_with(5, "LANYARD_TEST_UNSET_VAR");
    assert!(run.stderr.contains("envy"), "names the source: {}", run.stderr);
    let with_default = home.run(&["profile", "show", "envy"]).ok();
    assert!(with_default.stdout.contains("${LANYARD_TEST_UNSET_VAR}"), "kept unexpanded in the file");
}

#[test]
fn excluded_tool_is_neither_listed_nor_callable() {
    let home = Home::own_install();
    home.run(&[
        "profile",
        "add",
        "ev",
        "--exclude",
        "echo",
        "--alias",
        "get-sum=sum",
        "--",
        "node",
        &everything_js(),
        "stdio",
    ])
    .ok();
    let tools = home.run(&["tools", "ev", "--json"]).ok().json();
    let names: Vec<&str> =
        tools["tools"].as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
    assert!(!names.contains(&"echo"), "echo is excluded: {names:?}");
    assert!(
        names.contains(&"sum") && !names.contains(&"get-sum"),
        "get-sum is listed as its alias: {names:?}"
    );
    home.run(&["call", "ev", "echo", "--args", r#"{"message":"x"}"#]).fails_with(2, "hidden");
    let sum = home.run(&["call", "ev", "sum", "--args", r#"{"a":2,"b":3}"#]).ok();
    assert!(sum.stdout.contains('5'), "the alias routes to get-sum: {}", sum.stdout);
}

#[test]
fn import_claude_desktop_config() {
    let home = Home::own_install();
    let suffix = unique("imp");
    let config = home.path().join("claude_desktop_config.json");
    let planted = format!("ghp-{suffix}");
    std::fs::write(
        &config,
        format!(
            r#"{{"mcpServers": {{
                "Everything {suffix}": {{"command": "node", "args": ["{js}", "stdio"], "env": {{"API_TOKEN": "{planted}"}}}},
                "broken": {{"args": []}}
            }}}}"#,
            js = everything_js()
        ),
    )
    .unwrap();
    let report = home.run(&["import", config.to_str().unwrap(), "--json"]).ok().json();
    let id = format!("everything-{suffix}");
    assert_eq!(report["imported"][0]["id"], id.as_str(), "imported under a slug of its name: {report}");
    assert_eq!(report["skipped"][0]["name"], "broken", "the broken entry is reported: {report}");
    let file = std::fs::read_to_string(home.profile_file()).unwrap();
    assert!(!file.contains(&planted), "the imported token is not in the profile file");
    let account = crate::support::install_account(&home.config_dir(), &format!("source:{id}/env/API_TOKEN"));
    assert_eq!(keychain_lookup(&account).as_deref(), Some(planted.as_str()));
    assert_eq!(
        report["imported"][0]["enabled"], false,
        "an imported stdio server waits for approval: {report}"
    );
    assert_eq!(report["imported"][0]["env_names"], serde_json::json!(["API_TOKEN"]), "{report}");
    home.run(&["profile", "edit", &id, "--enable"]).ok();
    home.run(&["call", &id, "echo", "--args", r#"{"message":"imported"}"#]).ok();
    home.run(&["profile", "rm", &id]).ok();
}

#[test]
fn an_imported_stdio_server_runs_only_once_enabled() {
    let home = Home::own_install();
    let dir = home.path().join("project");
    std::fs::create_dir_all(&dir).unwrap();
    let marker = dir.join("ran.marker");
    let script = dir.join("server.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ntouch '{}'\nexec '{}' stdio\n",
            marker.display(),
            crate::support::test_server_bin().display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let config = dir.join(".mcp.json");
    std::fs::write(
        &config,
        format!(
            r#"{{"mcpServers": {{"repo tool": {{"command": "{}", "args": ["--flag", "two words"], "cwd": "{}", "env": {{"LEVEL": "${{LEVEL:-info}}"}}}}}}}}"#,
            script.display(),
            dir.display()
        ),
    )
    .unwrap();

    let import = home.run(&["import", config.to_str().unwrap()]).ok();
    assert!(
        import.stdout.contains(&format!("runs: {} --flag 'two words'", script.display())),
        "{}",
        import.stdout
    );
    assert!(import.stdout.contains(&format!("in: {}", dir.display())), "{}", import.stdout);
    assert!(import.stdout.contains("env: LEVEL"), "{}", import.stdout);
    assert!(import.stdout.contains("lanyard profile edit repo-tool --enable"), "{}", import.stdout);
    let waiting = home.run(&["status", "repo-tool", "--json"]).ok().json()["sources"][0].clone();
    assert_eq!(
        (&waiting["enabled"], &waiting["state"]),
        (&false.into(), &"waiting_for_approval".into()),
        "{waiting}"
    );
    assert_eq!(
        waiting["launch"]["command_line"],
        format!("{} --flag 'two words'", script.display()).as_str(),
        "the status shows what it would run: {waiting}"
    );
    assert_eq!(waiting["launch"]["env"], serde_json::json!([{"name": "LEVEL", "secret": null}]), "{waiting}");
    let listed = home.run(&["status"]).ok();
    assert!(listed.stdout.contains("waiting for your approval"), "{}", listed.stdout);

    home.run(&["tools", "repo-tool"]).fails_with(5, "waits for your approval");
    home.run(&["call", "repo-tool", "echo"]).fails_with(5, "waits for your approval");
    assert!(!marker.exists(), "nothing ran before the person enabled it");

    home.run(&["profile", "edit", "repo-tool", "--enable"]).ok();
    assert!(!marker.exists(), "enabling alone runs nothing");
    assert!(!std::fs::read_to_string(home.profile_file()).unwrap().contains("waiting_for_approval"));
    home.run(&["tools", "repo-tool"]).ok();
    assert!(marker.exists(), "it runs once enabled");
    home.run(&["profile", "edit", "repo-tool", "--disable"]).ok();
    let off = home.run(&["status", "repo-tool", "--json"]).ok().json();
    assert_eq!(off["sources"][0]["state"], "disabled", "switched off by the person, not waiting: {off}");
}

#[test]
fn command_not_found_is_a_connection_error() {
    let home = Home::own_install();
    home.run(&["profile", "add", "ghost", "--", "lanyard-no-such-command-xyz"]).ok();
    home.run(&["tools", "ghost"]).fails_with(3, "lanyard-no-such-command-xyz");
}

#[test]
fn connection_refused_is_a_connection_error() {
    let port = crate::support::free_port().expect("a free port");
    let home = Home::own_install();
    home.run(&["tools", "--url", &format!("http://127.0.0.1:{port}/mcp")]).fails_with(3, "127.0.0.1");
}

#[test]
fn unknown_source_and_bad_arguments() {
    let home = Home::own_install();
    home.run(&["tools", "nope"]).fails_with(5, "no source named `nope`");
    home.run(&["profile", "add", "Bad Id", "--url", "http://x"]).fails_with(2, "not a valid source id");
    home.run(&["profile", "add", "both", "--url", "http://x", "--", "cmd"]).fails_with(2, "not both");
    home.run(&["profile", "add", "ftp", "--url", "ftp://x"]).fails_with(5, "ftp");
    home.run(&["call", "x", "echo", "--args", "[1]"]).fails_with(2, "JSON object");
}

#[test]
fn status_and_list_speak_json() {
    let home = Home::own_install();
    home.run(&["profile", "add", "legacy", "--url", "http://127.0.0.1:9/sse", "--transport", "sse"]).ok();
    let list = home.run(&["profile", "list", "--json"]).ok().json();
    assert_eq!(list[0]["transport"], "sse");
    assert_eq!(list[0]["deprecated_transport"], true, "sse is marked deprecated");
    let status = home.run(&["status", "--json"]).ok().json();
    assert_eq!(status["keychain"], "secret-service", "status names the keychain in use: {status}");
    assert_eq!(status["sources"][0]["state"], "ready");
    home.run(&["profile", "edit", "legacy", "--disable"]).ok();
    let status = home.run(&["status", "legacy", "--json"]).ok().json();
    assert_eq!(status["sources"][0]["state"], "disabled", "edit --disable is reflected: {status}");
    home.run(&["tools", "legacy"]).fails_with(5, "disabled");
}

#[test]
fn closed_stdout_ends_quietly() {
    let home = Home::own_install();
    home.run(&["profile", "add", "everything", "--", "node", &everything_js(), "stdio"]).ok();
    let mut child = home
        .command(&["tools", "everything"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lanyard runs");
    drop(child.stdout.take()); // like `lanyard tools everything | head -0`
    let run = Run::from(child.wait_with_output().expect("lanyard finishes"));
    assert!(!run.stderr.contains("panicked"), "a closed pipe is not a crash: {}", run.stderr);
    assert_eq!(run.code, 0, "a closed pipe ends quietly: {}", run.stderr);
}

/// `lanyard bridge` exits with the same codes as every other command: a missing or disabled
/// source is a profile error (5), not a bare failure.
#[test]
fn bridge_exit_codes_follow_the_error() {
    let home = Home::own_install();
    home.run(&["bridge", "nowhere"]).fails_with(5, "nowhere");
    home.run(&["profile", "add", "off", "--", "true"]).ok();
    home.run(&["profile", "edit", "off", "--disable"]).ok();
    home.run(&["bridge", "off"]).fails_with(5, "off");
}
