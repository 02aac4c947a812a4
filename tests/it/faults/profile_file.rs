//! The profile file edited by hand, or broken, while `lanyard serve` runs: the hub keeps serving
//! the last file that read cleanly (sources already served and sources not served yet) and logs
//! the broken file's path and line, every other reader of the broken file reports them too,
//! nothing rewrites it, and once it is valid again a source added by hand is served on its first
//! request while the sessions under way never notice. (Edits the hub follows are tested in
//! `live_profiles`.)

use std::process::Stdio;

use serde_json::json;

use super::Agent;
use crate::support::bridge_home::start_serve_logged;
use crate::support::home::Home;
use crate::support::{start_test_server_http, test_server_bin};

fn echoed(answer: &serde_json::Value) -> Option<&str> {
    answer["result"]["content"][0]["text"].as_str()
}

#[tokio::test]
async fn issue_6_a_profile_file_broken_by_hand_under_a_running_bridge_keeps_it_serving_and_names_the_line() {
    let home = Home::new();
    let (_upstream, url) = start_test_server_http().await.expect("the test server starts");
    let server = test_server_bin().display().to_string();
    home.add(&["steady", "--url", &url]).await;
    home.add(&["later", "--", &server, "stdio"]).await;
    let scratch = tempfile::tempdir().expect("a temp dir");
    let log = scratch.path().join("serve.log");
    let (_serve, base) = start_serve_logged(&home, &log).await.expect("lanyard serve starts");
    let mut agent = Agent::new(&base, "steady");
    assert!(agent.initialize().await.get("result").is_some(), "the session starts");
    let first = agent.call(1, "echo", json!({ "message": "before" })).await;
    assert_eq!(echoed(&first), Some("before"), "the source works: {first}");

    let file = home.envs()[0].1.join("profiles.toml");
    let valid = std::fs::read_to_string(&file).expect("the profile file exists");
    let broken_line = valid.lines().count() + 2;
    let broken = format!("{valid}\n[sources.typo\nname = \"never closed\"\n");
    std::fs::write(&file, &broken).expect("the file is edited by hand");
    let where_ = format!("profiles.toml:{broken_line}:");

    let during = agent.call(2, "echo", json!({ "message": "during" })).await;
    assert_eq!(echoed(&during), Some("during"), "the open session goes on: {during}");
    let mut fresh = Agent::new(&base, "steady");
    assert!(fresh.initialize().await.get("result").is_some(), "a new session to a served source starts");
    let again = fresh.call(1, "echo", json!({ "message": "new session" })).await;
    assert_eq!(echoed(&again), Some("new session"), "and works: {again}");

    let mut unserved = Agent::new(&base, "later");
    let started = unserved.initialize().await;
    assert!(
        started.get("result").is_some(),
        "a source not served yet is served from the last good file: {started}"
    );
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(logged.contains(&where_), "the hub's log names the file and line {where_}: {logged}");

    let status = home.lanyard(&["status", "--json"]).stdin(Stdio::null()).output().await.unwrap();
    assert_eq!(status.status.code(), Some(5), "`lanyard status` fails with the profile error code");
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert!(stderr.contains(&where_), "`lanyard status` names the file and line {where_}: {stderr}");
    let edit =
        home.lanyard(&["profile", "edit", "steady", "--name", "x"]).stdin(Stdio::null()).output().await;
    assert!(!edit.unwrap().status.success(), "an edit through Lanyard refuses to touch the broken file");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), broken, "the broken file is never rewritten");

    // Fixed by hand, with a new source added the same way.
    let fixed = format!(
        "{valid}\n[sources.added.transport]\ntype = \"stdio\"\ncommand = \"{server}\"\nargs = [\"stdio\"]\n"
    );
    std::fs::write(&file, fixed).expect("the file is fixed by hand");
    let mut added = Agent::new(&base, "added");
    assert!(added.initialize().await.get("result").is_some(), "the source added by hand is served");
    let hello = added.call(1, "echo", json!({ "message": "hand-made" })).await;
    assert_eq!(echoed(&hello), Some("hand-made"), "and works: {hello}");
    let mut later = Agent::new(&base, "later");
    assert!(later.initialize().await.get("result").is_some(), "the source served while broken still is");
    let last = agent.call(3, "echo", json!({ "message": "after" })).await;
    assert_eq!(echoed(&last), Some("after"), "the first session never noticed: {last}");
}
