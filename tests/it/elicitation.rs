//! `lanyard call` answering a server's `elicitation/create` (issue 15), against server-everything,
//! which registers its elicitation tools only for a client that declares the capability. A person
//! at a terminal is played through a real pseudo-terminal: util-linux `script` runs `lanyard` on
//! one and passes it what the test types, so `lanyard` sees a terminal exactly as it would in use.

use std::process::Stdio;

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::support::everything_js;
use crate::support::home::{Home, lanyard_bin};

/// A home with server-everything over stdio saved as `ev`.
async fn home_with_everything() -> Home {
    let home = Home::new();
    let js = everything_js();
    home.add(&["ev", "--", "node", js.to_str().expect("a UTF-8 path"), "stdio"]).await;
    home
}

/// Quotes one word for `sh -c`.
fn shell_word(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// Runs `lanyard ARGS` on a pseudo-terminal with `typed` as what the person types; returns the
/// exit code and everything the terminal showed (prompts, echo, result).
async fn at_terminal(home: &Home, args: &[&str], typed: &str) -> (i32, String) {
    let command =
        std::iter::once(lanyard_bin()).chain(args.iter().copied()).map(shell_word).collect::<Vec<_>>();
    let mut child = Command::new("script")
        .args(["--quiet", "--return", "--command", &command.join(" "), "/dev/null"])
        .envs(home.envs())
        .env_remove("LANYARD_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("util-linux `script` runs (it is in Debian's essential bsdutils)");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    stdin.write_all(typed.as_bytes()).await.expect("type into the terminal");
    drop(stdin);
    let output = tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("lanyard at the terminal finishes within a minute")
        .expect("script ends");
    let shown = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.code().unwrap_or(-1), shown)
}

/// The elicitation result server-everything reports back ("Raw result: {…}").
fn raw_result(output: &str) -> Value {
    let (_, raw) = output.split_once("Raw result: ").unwrap_or_else(|| panic!("no raw result in: {output}"));
    let mut values = serde_json::Deserializer::from_str(raw).into_iter::<Value>();
    values.next().and_then(Result::ok).unwrap_or_else(|| panic!("the raw result is JSON: {raw}"))
}

#[tokio::test]
async fn without_a_terminal_the_server_hears_decline_and_the_call_returns() {
    let home = home_with_everything().await;
    let output = home
        .lanyard(&["call", "ev", "trigger-elicitation-request"])
        .stdin(Stdio::null())
        .output()
        .await
        .expect("lanyard runs");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the call itself succeeds\nstdout: {stdout}\nstderr: {stderr}");
    assert_eq!(
        raw_result(&stdout),
        json!({ "action": "decline" }),
        "nobody to ask is a decline, not an error"
    );
    let said =
        stderr.lines().filter(|line| line.contains("declined because no terminal is attached")).count();
    assert_eq!(said, 1, "one line on stderr says the server asked and why it was declined: {stderr}");
}

#[tokio::test]
#[expect(clippy::approx_constant, reason = "3.14 is server-everything's default, not π")]
async fn a_person_at_a_terminal_fills_the_form_and_the_server_gets_values_and_defaults() {
    let home = home_with_everything().await;
    // One answer per field, in the server's order; an empty answer keeps the default.
    let typed = [
        "y",               // Answer? [y/N]
        "Ada Lovelace",    // name (required)
        "y",               // check
        "",                // firstLine: default "It was a dark and stormy night."
        "not-an-email",    // email: refused, asked again
        "ada@example.org", // email
        "",                // homepage: optional without a default, left out
        "1815-12-10",      // birthdate
        "",                // integer: default 42
        "",                // number: default 3.14
        "3",               // untitledSingleSelectEnum: the third option
        "",                // untitledMultipleSelectEnum: default ["Guitar"]
        "wonder woman",    // titledSingleSelectEnum: by title
        "1, 2",            // titledMultipleSelectEnum: by number
        "",                // legacyTitledEnum: default "pet-1"
        "",                // Send them? [Y/n]
    ]
    .map(|line| format!("{line}\n"))
    .concat();
    let (code, shown) = at_terminal(&home, &["call", "ev", "trigger-elicitation-request"], &typed).await;
    assert_eq!(code, 0, "the call succeeds: {shown}");
    assert!(shown.contains("is not an email address; try again"), "a bad email is asked again: {shown}");
    assert_eq!(
        raw_result(&shown),
        json!({
            "action": "accept",
            "content": {
                "name": "Ada Lovelace",
                "check": true,
                "firstLine": "It was a dark and stormy night.",
                "email": "ada@example.org",
                "birthdate": "1815-12-10",
                "integer": 42,
                "number": 3.14,
                "untitledSingleSelectEnum": "Joey",
                "untitledMultipleSelectEnum": ["Guitar"],
                "titledSingleSelectEnum": "hero-3",
                "titledMultipleSelectEnum": ["fish-1", "fish-2"],
                "legacyTitledEnum": "pet-1"
            }
        }),
        "the server gets the typed values with the schema's types, and the defaults of fields left empty"
    );
}

#[tokio::test]
async fn a_person_at_a_terminal_can_decline_or_cancel_a_form() {
    let home = home_with_everything().await;
    let (code, shown) = at_terminal(&home, &["call", "ev", "trigger-elicitation-request"], "\n").await;
    assert_eq!(code, 0, "a declined form still ends the call normally: {shown}");
    assert_eq!(raw_result(&shown), json!({ "action": "decline" }), "Enter at `Answer?` declines: {shown}");
    // The end of what was typed reaches lanyard as Ctrl-D.
    let (code, shown) = at_terminal(&home, &["call", "ev", "trigger-elicitation-request"], "y\nAda\n").await;
    assert_eq!(code, 0, "a cancelled form still ends the call normally: {shown}");
    assert_eq!(raw_result(&shown), json!({ "action": "cancel" }), "Ctrl-D in the form cancels: {shown}");
}

#[tokio::test]
async fn a_url_is_printed_and_accepted_only_when_the_person_says_so() {
    let home = home_with_everything().await;
    let call = [
        "call",
        "ev",
        "trigger-url-elicitation",
        "--args",
        r#"{"url": "https://example.com/consent?step=1"}"#,
    ];
    let (code, shown) = at_terminal(&home, &call, "y\n").await;
    assert_eq!(code, 0, "the call succeeds: {shown}");
    assert!(
        shown.contains("https://example.com/consent?step=1"),
        "the URL is printed for the person: {shown}"
    );
    assert!(shown.contains("Open this URL yourself; done? [y/N]"), "the person is asked: {shown}");
    assert_eq!(raw_result(&shown)["action"], "accept", "`y` tells the server the person went there: {shown}");

    let output = home.lanyard(&call).stdin(Stdio::null()).output().await.expect("lanyard runs");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert_eq!(raw_result(&stdout)["action"], "decline", "without a terminal the URL is declined: {stderr}");
    assert!(
        stderr.contains("https://example.com/consent?step=1") && stderr.contains("no terminal is attached"),
        "stderr names the URL and why it was declined: {stderr}"
    );
}

#[tokio::test]
async fn elicit_accept_defaults_answers_without_asking_when_every_required_field_has_a_default() {
    let home = home_with_everything().await;
    // server-everything's `name` is required and has no default: nothing to accept with.
    let output = home
        .lanyard(&["call", "ev", "trigger-elicitation-request", "--elicit", "accept-defaults"])
        .stdin(Stdio::null())
        .output()
        .await
        .expect("lanyard runs");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert_eq!(
        raw_result(&stdout),
        json!({ "action": "decline" }),
        "a required field lacks a default: {stderr}"
    );
    assert!(stderr.contains("the required field `name` has no default"), "stderr says why: {stderr}");
}

/// The tool names `lanyard ARGS --json` lists.
async fn listed_tools(home: &Home, args: &[&str]) -> Vec<String> {
    let output = home.lanyard(args).stdin(Stdio::null()).output().await.expect("lanyard runs");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "`lanyard {}` lists\nstdout: {stdout}\nstderr: {stderr}",
        args.join(" ")
    );
    let listed: Value = serde_json::from_str(&stdout).unwrap_or_else(|err| panic!("JSON ({err}): {stdout}"));
    let tools = listed["tools"].as_array().unwrap_or_else(|| panic!("a tool list: {listed}"));
    tools.iter().filter_map(|tool| tool["name"].as_str().map(str::to_owned)).collect()
}

/// Issue 15: `lanyard tools` declares what `lanyard call` declares, so a server that lists tools
/// by the client's capabilities (server-everything lists its elicitation tool only to a client
/// that declares elicitation) lists to `tools` the tools `call` can use, for a saved source and
/// for a one-off `--url`.
#[tokio::test]
async fn issue_15_tools_declares_elicitation_like_call_and_lists_the_same_tools() {
    let home = home_with_everything().await;
    let saved = listed_tools(&home, &["tools", "ev", "--json"]).await;
    assert!(
        saved.iter().any(|name| name == "trigger-elicitation-request"),
        "`tools <id>` declares elicitation, so the elicitation tool `call` can use is listed: {saved:?}"
    );

    let (_server, url) = crate::cli::everything_over_http().await;
    let one_off = listed_tools(&home, &["tools", "--url", &url, "--json"]).await;
    assert!(
        one_off.iter().any(|name| name == "trigger-elicitation-request"),
        "`tools --url` declares elicitation too: {one_off:?}"
    );
}

/// The app's seam ([`lanyard::upstream::PersonRelay`]): a server that sends `elicitation/create`
/// during a call (server-everything, an `initialize`-era server) reaches the front end as a
/// numbered request, and the answer the front end gives by that number is what the server gets.
/// The front end here is a task that answers from the relay's `tell`, as the app's window does
/// through its event and command.
#[tokio::test]
async fn issue_15_app_relay_a_server_request_reaches_the_front_end_and_its_answer_the_server() {
    use lanyard::upstream::{Offers, PersonAnswer, PersonRelay};
    use rmcp::model::ElicitRequestParams;

    let home = home_with_everything().await;
    let engine = lanyard::Engine::new(home.dirs(), home.vault());
    let (told, mut asked) = tokio::sync::mpsc::unbounded_channel();
    let relay = std::sync::Arc::new(PersonRelay::new(std::time::Duration::from_secs(30), move |asked| {
        let _ = told.send(asked);
    }));
    let front_end = {
        let relay = std::sync::Arc::clone(&relay);
        tokio::spawn(async move {
            let asked = asked.recv().await.expect("the server's question reaches the front end");
            assert_eq!(asked.source.as_str(), "ev");
            let ElicitRequestParams::FormElicitationParams { requested_schema, .. } = &asked.request else {
                panic!("server-everything asks with a form: {:?}", asked.request);
            };
            assert!(
                requested_schema.properties.contains_key("name"),
                "the form's fields come along: {requested_schema:?}"
            );
            let values = json!({ "name": "Ada", "check": true, "email": "ada@example.com", "integer": 7, "number": 1.5 });
            assert!(relay.answer(asked.number, PersonAnswer::Accept(values.as_object().unwrap().clone())));
        })
    };
    let id: lanyard::ids::SourceId = "ev".parse().unwrap();
    let result = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        engine.call_tool(&id, "trigger-elicitation-request", None, Offers::Person(relay)),
    )
    .await
    .expect("the call ends")
    .expect("the call succeeds");
    front_end.await.expect("the front end answered");
    let reported = raw_result(&lanyard::upstream::readable(&result));
    assert_eq!(reported["action"], "accept", "the server heard accept: {reported}");
    assert_eq!(reported["content"]["name"], "Ada", "the server got the front end's values: {reported}");
    assert_eq!(reported["content"]["integer"], 7, "typed as given: {reported}");
}
