//! The small helps of the `lanyard` binary, end to end (issue 17, "Small helps missing"): a
//! near-miss source id or tool name gets the closest names, a URL without a scheme gets the one
//! to add, a tool filter entry or a stdio command that matches nothing is warned about, and the
//! help of `call` and `tools` shows what applies, one-off flags apart.

use crate::cli::{everything_js, everything_over_http};
use crate::support::home::Home;

const MISSING_COMMAND: &str = "lanyard-no-such-command-xyz";

/// Every command that takes a source id resolves it in one place, so each one offers the
/// closest id for a typo, and none offers an unrelated one.
#[test]
fn issue_17_a_near_miss_source_id_gets_the_closest_id_from_every_command() {
    let home = Home::own_install();
    home.run(&["profile", "add", "everything", "--", "true"]).ok();
    home.run(&["profile", "add", "github", "--", "true"]).ok();
    let commands: [&[&str]; 12] = [
        &["tools", "everythin"],
        &["call", "everythin", "echo"],
        &["status", "everythin"],
        &["connect", "everythin"],
        &["disconnect", "everythin"],
        &["profile", "show", "everythin"],
        &["profile", "edit", "everythin", "--name", "x"],
        &["profile", "rm", "everythin"],
        &["bridge", "everythin"],
        &["logs", "everythin"],
        &["config", "cursor", "--source", "everythin"],
        &["bridge", "everythin", "--no-hub"],
    ];
    for args in commands {
        let run = home.run(args).fails_with(5, "no source named `everythin`");
        assert!(
            run.stderr.contains("did you mean `everything`?"),
            "`lanyard {}` offers the closest id:\n{}",
            args.join(" "),
            run.stderr
        );
        assert!(!run.stderr.contains("`github`"), "an unrelated id is not offered:\n{}", run.stderr);
    }
    let unrelated = home.run(&["tools", "weather"]).fails_with(5, "no source named `weather`");
    assert!(
        !unrelated.stderr.contains("did you mean"),
        "nothing close, nothing offered:\n{}",
        unrelated.stderr
    );
    assert!(
        unrelated.stderr.contains("lanyard profile list"),
        "without a suggestion, the way to see the ids is named:\n{}",
        unrelated.stderr
    );
}

/// server-everything answers a call of an unknown tool with `isError`, not a JSON-RPC error;
/// `lanyard call` must still say that the tool does not exist, offer the closest names and
/// point at `lanyard tools`, while a real tool's own error stays a tool error.
#[test]
fn issue_17_a_mistyped_tool_on_a_real_server_gets_the_closest_names() {
    let home = Home::own_install();
    home.run(&["profile", "add", "everything", "--", "node", &everything_js(), "stdio"]).ok();
    let run = home
        .run(&["call", "everything", "echoo", "--args", r#"{"message":"hi"}"#])
        .fails_with(2, "the server has no tool `echoo`");
    assert!(run.stderr.contains("did you mean `echo`?"), "the closest tool is offered:\n{}", run.stderr);
    assert!(
        run.stderr.contains("`lanyard tools everything`"),
        "the command that lists the tools is named:\n{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("the tool reported an error"),
        "a tool that does not exist is not reported as a tool's error:\n{}",
        run.stderr
    );

    let wrong_arguments =
        home.run(&["call", "everything", "echo", "--args", "{}"]).fails_with(1, "reported an error");
    assert!(
        !wrong_arguments.stderr.contains("no tool"),
        "an existing tool's own error is not called a missing tool:\n{}",
        wrong_arguments.stderr
    );
}

#[tokio::test]
async fn issue_17_a_mistyped_tool_of_a_one_off_server_points_at_tools_with_its_url() {
    let (_server, url) = everything_over_http().await;
    let home = Home::own_install();
    let run = home
        .run(&["call", "--url", &url, "echoo", "--args", r#"{"message":"hi"}"#])
        .fails_with(2, "the server has no tool `echoo`; did you mean `echo`?");
    assert!(
        run.stderr.contains(&format!("`lanyard tools --url {url}`")),
        "a one-off server has no id: its URL is named instead:\n{}",
        run.stderr
    );
}

/// `--url` without `http://` is what people type first; the URL library's "relative URL without
/// a base" does not say what to do.
#[test]
fn issue_17_a_url_without_a_scheme_says_which_scheme_to_add() {
    let home = Home::own_install();
    let local =
        home.run(&["profile", "add", "local", "--url", "127.0.0.1:3001/mcp"]).fails_with(5, "add `http://`");
    assert!(
        local.stderr.contains("`http://127.0.0.1:3001/mcp`"),
        "the fixed URL is shown:\n{}",
        local.stderr
    );
    let remote = home
        .run(&["profile", "add", "remote", "--url", "example.com/mcp"])
        .fails_with(5, "did you mean `https://example.com/mcp`?");
    let with_port = home
        .run(&["profile", "add", "local", "--url", "localhost:3001/mcp"])
        .fails_with(5, "`http://localhost:3001/mcp`");
    assert!(!home.profile_file().exists(), "nothing was saved");

    home.run(&["profile", "add", "web", "--url", "http://127.0.0.1:9/mcp"]).ok();
    let edit =
        home.run(&["profile", "edit", "web", "--url", "127.0.0.1:9/mcp"]).fails_with(5, "add `http://`");
    let one_off = home.run(&["tools", "--url", "127.0.0.1:9/mcp"]).fails_with(5, "add `http://`");
    for run in [&local, &remote, &with_port, &edit, &one_off] {
        assert!(
            !run.stderr.contains("relative URL without a base") && !run.stderr.contains("not `localhost:`"),
            "the URL library's words are replaced:\n{}",
            run.stderr
        );
    }
}

/// A filter entry naming a tool the server does not offer (a typo, or a tool it dropped, like
/// server-everything's `longRunningOperation`) does nothing; saying so is a warning, not an
/// error, when the profile is added and when its tools are listed.
#[test]
fn issue_17_filter_entries_that_match_no_tool_of_a_real_server_are_warned_about() {
    let home = Home::own_install();
    let js = everything_js();
    let added = home
        .run(&[
            "profile",
            "add",
            "ev",
            "--exclude",
            "longRunningOperation",
            "--alias",
            "get-sun=sum",
            "--",
            "node",
            &js,
            "stdio",
        ])
        .ok();
    assert!(
        added
            .stderr
            .contains("warning: source `ev`: the tool filter's `exclude` names `longRunningOperation`"),
        "adding warns about the entry that matches nothing:\n{}",
        added.stderr
    );
    assert!(
        added.stderr.contains("`alias` names `get-sun`") && added.stderr.contains("did you mean `get-sum`?"),
        "a typo gets the tool it meant:\n{}",
        added.stderr
    );

    let listed = home.run(&["tools", "ev", "--json"]).ok();
    assert!(listed.stderr.contains("`longRunningOperation`"), "listing warns too:\n{}", listed.stderr);
    let names = listed.json()["tools"].as_array().map(Vec::len).unwrap_or(0);
    assert!(names > 0, "the warning stays off stdout; the JSON still lists the tools: {}", listed.stdout);

    home.run(&["profile", "rm", "ev"]).ok();
    let matching = home
        .run(&[
            "profile",
            "add",
            "ev",
            "--exclude",
            "echo",
            "--alias",
            "get-sum=sum",
            "--",
            "node",
            &js,
            "stdio",
        ])
        .ok();
    let fixed = home.run(&["tools", "ev"]).ok();
    for run in [&matching, &fixed] {
        assert!(!run.stderr.contains("warning"), "entries that match warn about nothing:\n{}", run.stderr);
    }

    let edited = home.run(&["profile", "edit", "ev", "--include", "echoo"]).ok();
    assert!(
        edited.stderr.contains("`include` names `echoo`") && edited.stderr.contains("did you mean `echo`?"),
        "editing the filter checks it as well:\n{}",
        edited.stderr
    );
}

/// A stdio command that is not installed is accepted (it may be installed later) with a warning,
/// and `status` says it is not found instead of *ready*.
#[test]
fn issue_17_a_stdio_command_not_on_path_is_warned_about_and_status_says_not_found() {
    let home = Home::own_install();
    let added = home.run(&["profile", "add", "ghost", "--", MISSING_COMMAND, "--flag"]).ok();
    assert!(
        added.stderr.contains("warning")
            && added.stderr.contains(&format!("`{MISSING_COMMAND}` is not found")),
        "adding warns that the command is not found:\n{}",
        added.stderr
    );
    let status = home.run(&["status", "ghost", "--json"]).ok().json();
    assert_eq!(status["sources"][0]["state"], "command_not_found", "not ready: {status}");
    assert_eq!(status["sources"][0]["command"], MISSING_COMMAND, "the command is named: {status}");
    let text = home.run(&["status"]).ok();
    assert!(text.stdout.contains(&format!("command `{MISSING_COMMAND}` not found")), "{}", text.stdout);
    assert!(!text.stdout.contains("ready"), "the source is not called ready:\n{}", text.stdout);

    let fixed = home.run(&["profile", "edit", "ghost", "--", "true"]).ok();
    assert!(
        !fixed.stderr.contains("warning"),
        "a command that is found warns about nothing:\n{}",
        fixed.stderr
    );
    let status = home.run(&["status", "ghost", "--json"]).ok().json();
    assert_eq!(status["sources"][0]["state"], "ready", "found again, ready again: {status}");
}

/// The help of `call` and `tools`: a usage line whose brackets pair up, the command's own flags
/// first, the one-off (`--url`) flags under their own heading, the ones that never apply to a
/// one-off server hidden, and every flag still accepted.
#[test]
fn issue_17_call_and_tools_help_show_what_applies_with_one_off_flags_apart() {
    let home = Home::own_install();
    for (command, own, usage) in [
        ("call", &["--args", "--json", "--elicit"][..], "lanyard call [OPTIONS] <ID> <TOOL>"),
        ("tools", &["--json"][..], "lanyard tools [OPTIONS] <ID>"),
    ] {
        let help = home.run(&[command, "--help"]).ok().stdout;
        let usage_lines: Vec<&str> = help.lines().skip_while(|l| !l.starts_with("Usage:")).take(2).collect();
        assert!(usage_lines[0].contains(usage), "`{command}` usage names the saved source form:\n{help}");
        assert!(
            usage_lines[1].contains(&format!("lanyard {command} --url <URL>")),
            "and the one-off form:\n{help}"
        );
        for line in &usage_lines {
            assert!(brackets_pair_up(line), "a well-formed usage line, not `<ID] [TOOL>`: {line}");
        }
        let heading = help.find("One-off server").unwrap_or_else(|| panic!("a one-off heading:\n{help}"));
        let at = |flag: &str| help.find(&format!("  {flag} ")).or_else(|| help.find(&format!("  {flag}\n")));
        for flag in own {
            let found = at(flag).unwrap_or_else(|| panic!("`{command} {flag}` is shown:\n{help}"));
            assert!(
                found < heading,
                "`{flag}` is the command's own, shown before the one-off flags:\n{help}"
            );
        }
        for flag in ["--url", "--header", "--auth", "--include"] {
            let found = at(flag).unwrap_or_else(|| panic!("`{command} {flag}` is shown:\n{help}"));
            assert!(found > heading, "`{flag}` is under the one-off heading:\n{help}");
        }
        for hidden in ["--name", "--env", "--env-secret", "--cwd"] {
            assert!(at(hidden).is_none(), "`{hidden}` never applies to `{command}`; hidden:\n{help}");
        }
        let mut args = vec![command, "--url", "http://127.0.0.1:9/mcp", "--name", "n", "--cwd", "/"];
        if command == "call" {
            args.push("echo");
        }
        let still_accepted = home.run(&args);
        assert!(
            !still_accepted.stderr.contains("unexpected argument"),
            "hidden flags are still part of the command line:\n{}",
            still_accepted.stderr
        );
    }
}

/// Whether every `<` and `[` in `line` is closed by its own kind, innermost first.
fn brackets_pair_up(line: &str) -> bool {
    let mut open = Vec::new();
    for c in line.chars() {
        match c {
            '<' | '[' => open.push(c),
            '>' if open.pop() != Some('<') => return false,
            ']' if open.pop() != Some('[') => return false,
            _ => {}
        }
    }
    open.is_empty()
}
