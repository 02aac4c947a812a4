//! Issue 20, "Each agent its own key": two agents with different rights, each driven by the
//! TypeScript SDK client through every bridge path (`/mcp/<id>`, `/mcp`, `lanyard bridge <id>`
//! through the hub and on its own, `lanyard bridge --all`), against `lanyard-test-server`, whose
//! own request log witnesses what reached it. Also: a rotated key is refused at once by a running
//! `lanyard serve`; a stdio bridge without its agent's key refuses to start; the call log holds
//! one entry per call with its agent and outcome; bad input to `lanyard agent` changes nothing;
//! a merged session gets only the resource templates of its agent's sources; `lanyard doctor`
//! finds the key of an agent gone from the profile file; removing a source takes it out of its
//! agents, which stay editable.

use serde_json::{Value, json};

use crate::support::bridge_home::{run_agent_with, start_serve};
use crate::support::home::{Home, lanyard_bin};
use crate::support::{ChildGuard, eventually, start_test_server};

/// `lanyard-test-server http` writing its request log in `home`, as source `th`, and the same
/// server on stdio as source `ts`.
async fn home_with_sources() -> (Home, ChildGuard, std::path::PathBuf) {
    let home = Home::own_install();
    let log = home.path().join("upstream-requests.jsonl");
    let (server, url) = start_test_server(&["http".to_owned(), format!("--request-log={}", log.display())])
        .await
        .expect("lanyard-test-server starts");
    home.add(&["th", "--url", &url]).await;
    let server_bin = crate::support::test_server_bin().display().to_string();
    home.add(&["ts", "--", &server_bin, "stdio"]).await;
    // alpha: the HTTP source only, and there only `echo`; beta: both sources, on `th` only `add`.
    home.run(&["agent", "add", "alpha", "--source", "th", "--tool", "th:echo"]).ok();
    home.run(&["agent", "add", "beta", "--source", "th", "--source", "ts", "--tool", "th:add"]).ok();
    (home, server, log)
}

fn token_of(home: &Home, agent: &str) -> String {
    home.run(&["agent", "token", agent]).ok().stdout.trim().to_owned()
}

/// How many `tools/call` requests reached the upstream, by its own log.
fn upstream_calls(log: &std::path::Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["method"] == "tools/call")
        .count()
}

/// The ways an agent reaches the bridge.
#[derive(Debug, Clone, Copy)]
enum Path {
    HttpSource,
    HttpMerged,
    StdioThroughHub,
    StdioOnItsOwn,
    StdioMerged,
}

impl Path {
    const ALL: [Path; 5] =
        [Path::HttpSource, Path::HttpMerged, Path::StdioThroughHub, Path::StdioOnItsOwn, Path::StdioMerged];

    fn merged(self) -> bool {
        matches!(self, Path::HttpMerged | Path::StdioMerged)
    }

    /// The tool `th` calls `tool`, as this path names it.
    fn tool(self, tool: &str) -> String {
        if self.merged() { format!("th__{tool}") } else { tool.to_owned() }
    }

    fn connect(self, base: &str, agent: &str, token: &str) -> Value {
        let stdio = |args: &[&str]| json!({ "stdio": { "command": lanyard_bin(), "args": args } });
        match self {
            Path::HttpSource => json!({ "http": { "url": format!("{base}/mcp/th"), "token": token } }),
            Path::HttpMerged => json!({ "http": { "url": format!("{base}/mcp"), "token": token } }),
            Path::StdioThroughHub => stdio(&["bridge", "th", "--agent", agent]),
            Path::StdioOnItsOwn => stdio(&["bridge", "th", "--agent", agent, "--no-hub"]),
            Path::StdioMerged => stdio(&["bridge", "--all", "--agent", agent]),
        }
    }
}

/// Runs `agent` on `path`: lists, makes its one allowed call and one forged call outside its set.
async fn drive(home: &Home, base: &str, path: Path, agent: &str, allowed: Value, forged: &str) -> Value {
    let token = token_of(home, agent);
    let mut plan = json!({ "calls": [allowed, { "tool": path.tool(forged), "arguments": { "message": "x", "a": 1, "b": 2 } }] });
    plan.as_object_mut().unwrap().extend(path.connect(base, agent, &token).as_object().unwrap().clone());
    run_agent_with(home, &plan, &[("LANYARD_AGENT_TOKEN", &token)])
        .await
        .unwrap_or_else(|err| panic!("{agent} on {path:?}: {err:#}"))
}

fn names(report: &Value) -> Vec<String> {
    report["tools"]
        .as_array()
        .expect("tools listed")
        .iter()
        .filter_map(|t| t.as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn two_agents_see_and_call_only_their_own_tools_on_every_path() {
    let (home, _server, log) = home_with_sources().await;
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let before = upstream_calls(&log);
    let mut allowed_calls = 0;
    for path in Path::ALL {
        let alpha = drive(
            &home,
            &base,
            path,
            "alpha",
            json!({ "tool": path.tool("echo"), "arguments": { "message": "from alpha" } }),
            "add",
        )
        .await;
        assert_eq!(names(&alpha), [path.tool("echo")], "alpha sees th's echo and nothing else on {path:?}");
        assert_eq!(alpha["calls"][0]["text"], "from alpha", "alpha's own call works on {path:?}: {alpha}");
        let refusal = alpha["calls"][1]["error"]["message"].as_str().unwrap_or_default();
        assert!(
            refusal.contains("agent `alpha`") && refusal.contains("`add`"),
            "the forged call is refused naming the agent and the tool on {path:?}: {alpha}"
        );

        let beta = drive(
            &home,
            &base,
            path,
            "beta",
            json!({ "tool": path.tool("add"), "arguments": { "a": 2, "b": 3 } }),
            "echo",
        )
        .await;
        let seen = names(&beta);
        assert!(seen.contains(&path.tool("add")) && !seen.contains(&path.tool("echo")), "{path:?}: {seen:?}");
        if path.merged() {
            assert!(seen.contains(&"ts__echo".to_owned()), "beta may use every tool of ts: {seen:?}");
        } else {
            assert_eq!(seen, ["add"], "on th, beta sees add alone");
        }
        assert_eq!(beta["calls"][0]["text"], "5", "beta's own call works on {path:?}: {beta}");
        let refusal = beta["calls"][1]["error"]["message"].as_str().unwrap_or_default();
        assert!(refusal.contains("agent `beta`") && refusal.contains("`echo`"), "{path:?}: {beta}");
        allowed_calls += 2;
    }
    assert_eq!(
        upstream_calls(&log) - before,
        allowed_calls,
        "the upstream's own log shows every allowed call and none of the forged ones"
    );

    // A source outside the agent's set is refused as a whole, before it is touched.
    let token = token_of(&home, "alpha");
    let plan = json!({ "http": { "url": format!("{base}/mcp/ts"), "token": token } });
    let err = run_agent_with(&home, &plan, &[]).await.expect_err("alpha may not use ts");
    assert!(format!("{err:#}").contains("agent `alpha` may not use source `ts`"), "{err:#}");

    // The call log: one entry per call, with the agent and the outcome; the refused ones too.
    let calls =
        eventually("every call of alpha in the call log", std::time::Duration::from_millis(200), || {
            let run = home.run(&["logs", "--agent", "alpha", "--json"]).ok();
            let calls: Vec<Value> = serde_json::from_str(&run.stdout).expect("JSON");
            async move { (calls.len() >= 2 * Path::ALL.len()).then_some(calls) }
        })
        .await;
    assert_eq!(calls.len(), 2 * Path::ALL.len(), "one entry per call, no more: {calls:#?}");
    for call in &calls {
        assert_eq!(call["agent"], "alpha");
        assert_eq!(call["source"], "th");
        let expected = if call["name"] == "echo" { "ok" } else { "refused" };
        assert_eq!(call["outcome"], expected, "{call}");
    }
    let text = home.run(&["logs", "th"]).ok().stdout;
    assert!(text.contains("Agent beta called add: ok"), "logs <source> names each call's agent: {text}");
}

#[tokio::test]
async fn a_rotated_key_is_refused_at_once_by_a_running_serve() {
    let (home, _server, _log) = home_with_sources().await;
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let old = token_of(&home, "alpha");
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let initialize = |token: String| {
        client
            .post(format!("{base}/mcp/th"))
            .bearer_auth(token)
            .header("accept", "application/json, text/event-stream")
            .json(&json!({
                "jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": { "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": { "name": "t", "version": "1" } }
            }))
            .send()
    };
    assert!(initialize(old.clone()).await.unwrap().status().is_success(), "the key works");
    home.run(&["agent", "rotate", "alpha"]).ok();
    // No wait and no restart: the very next request with the old key is refused.
    assert_eq!(initialize(old.clone()).await.unwrap().status(), 401, "the old key is cut off at once");
    let new = token_of(&home, "alpha");
    assert_ne!(new, old);
    assert!(initialize(new).await.unwrap().status().is_success(), "the new key works");
    assert!(initialize(token_of(&home, "beta")).await.unwrap().status().is_success(), "beta is untouched");
}

#[tokio::test]
async fn a_stdio_bridge_without_its_agents_key_refuses_to_start() {
    let (home, _server, _log) = home_with_sources().await;
    for args in [&["bridge", "th", "--agent", "alpha"][..], &["bridge", "--all", "--agent", "alpha"][..]] {
        let missing = home.run(args);
        assert_eq!(missing.code, 2, "no key: a usage error: {}", missing.stderr);
        assert!(
            missing.stderr.contains("LANYARD_AGENT_TOKEN") && missing.stderr.contains("lanyard config"),
            "the message names the variable and the fix: {}",
            missing.stderr
        );
        for wrong in ["not-a-key".to_owned(), token_of(&home, "beta")] {
            let output = home.command(args).env("LANYARD_AGENT_TOKEN", &wrong).output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "a wrong key (or another agent's) refuses: {stderr}");
            assert!(stderr.contains("is not agent `alpha`'s"), "{stderr}");
        }
    }
    let unknown = home.run(&["bridge", "th", "--agent", "nobody"]);
    assert_eq!(unknown.code, 5, "an unknown agent is a profile error: {}", unknown.stderr);
    let lacking = home
        .command(&["bridge", "ts", "--agent", "alpha"])
        .env("LANYARD_AGENT_TOKEN", token_of(&home, "alpha"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&lacking.stderr);
    assert!(stderr.contains("may not use source `ts`"), "a source outside the set refuses: {stderr}");
}

#[tokio::test]
async fn config_writes_an_agent_entry_that_proves_itself() {
    let (home, _server, _log) = home_with_sources().await;
    let file = home.path().join("cursor-mcp.json");
    let file_arg = file.to_str().unwrap();
    home.run(&[
        "config",
        "cursor",
        "--agent",
        "alpha",
        "--transport",
        "stdio",
        "--file",
        file_arg,
        "--write",
    ])
    .ok();
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let servers = written["mcpServers"].as_object().expect("servers");
    assert_eq!(servers.keys().collect::<Vec<_>>(), ["th"], "only the sources alpha may use: {written}");
    let entry = &servers["th"];
    assert_eq!(entry["args"], json!(["bridge", "th", "--agent", "alpha"]), "{entry}");
    let key = entry["env"]["LANYARD_AGENT_TOKEN"].as_str().expect("the key is in the entry");
    assert_eq!(key, token_of(&home, "alpha"));
    // The entry as the client runs it.
    let plan = json!({ "stdio": { "command": entry["command"], "args": entry["args"] } });
    let report =
        run_agent_with(&home, &plan, &[("LANYARD_AGENT_TOKEN", key)]).await.expect("the entry works");
    assert_eq!(names(&report), ["echo"]);
}

#[tokio::test]
async fn bad_agent_input_gets_a_clear_error_and_changes_nothing() {
    let (home, _server, _log) = home_with_sources().await;
    let before = std::fs::read_to_string(home.profile_file()).unwrap();
    home.run(&["agent", "add", "gamma", "--tool", "no-colon"]).fails_with(2, "SOURCE:TOOL");
    home.run(&["agent", "add", "gamma", "--source", "nope"]).fails_with(5, "no source named `nope`");
    home.run(&["agent", "add", "alpha"]).fails_with(5, "already exists");
    home.run(&["agent", "add", "default"]).fails_with(5, "built-in");
    home.run(&["agent", "add", "Bad Name"]).fails_with(2, "not a valid agent name");
    home.run(&["agent", "edit", "alpha", "--source", "nope"]).fails_with(5, "no source named `nope`");
    home.run(&["agent", "edit", "alphx", "--resources"]).fails_with(5, "did you mean `alpha`");
    assert_eq!(std::fs::read_to_string(home.profile_file()).unwrap(), before, "nothing was written");
    home.run(&["agent", "add", "wide"]).ok();
    let before = std::fs::read_to_string(home.profile_file()).unwrap();
    home.run(&["agent", "edit", "wide", "--source", "th"]).fails_with(2, "every source already");
    assert_eq!(std::fs::read_to_string(home.profile_file()).unwrap(), before, "nor here");

    let list = home.run(&["agent", "list", "--json"]).ok().json();
    let listed: Vec<&str> = list.as_array().unwrap().iter().filter_map(|a| a["name"].as_str()).collect();
    assert_eq!(listed, ["default", "alpha", "beta", "wide"], "the built-in agent first");
    home.run(&["agent", "edit", "alpha", "--no-resources", "--remove-tool", "th:echo", "--tool", "th:add"])
        .ok();
    let shown = home.run(&["agent", "show", "alpha", "--json"]).ok().json();
    assert_eq!(shown["profile"]["resources"], false, "{shown}");
    assert_eq!(shown["profile"]["tools"]["th"]["include"], json!(["add"]), "{shown}");
    assert_eq!(shown["profile"]["tools"]["th"]["exclude"], json!(["echo"]), "exclude wins: {shown}");
    home.run(&["agent", "rm", "alpha"]).ok();
    home.run(&["agent", "token", "alpha"]).fails_with(5, "no agent named `alpha`");
}

/// How many `resources/read` requests reached an upstream, by its own log.
fn upstream_reads(log: &std::path::Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["method"] == "resources/read")
        .count()
}

#[tokio::test]
async fn a_merged_session_lists_and_reads_only_the_resource_templates_of_the_agents_sources() {
    let home = Home::own_install();
    let conf_log = home.path().join("conformance-requests.jsonl");
    let args = ["conformance".to_owned(), format!("--request-log={}", conf_log.display())];
    let (_conf, conf_url) = start_test_server(&args).await.expect("the conformance server starts");
    home.add(&["conf", "--url", &conf_url]).await;
    let (_th, th_url) = start_test_server(&["http".to_owned()]).await.expect("lanyard-test-server starts");
    home.add(&["th", "--url", &th_url]).await;
    home.run(&["agent", "add", "on-conf", "--source", "conf"]).ok();
    home.run(&["agent", "add", "on-th", "--source", "th"]).ok();
    home.run(&["agent", "add", "no-resources", "--source", "conf", "--no-resources"]).ok();
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    const TEMPLATE: &str = "test://template/{id}/data";
    const BUILT: &str = "test://template/7/data";

    for path in [Path::HttpMerged, Path::StdioMerged] {
        let run = |agent: &'static str| {
            let home = &home;
            let base = &base;
            async move {
                let token = token_of(home, agent);
                let mut plan = json!({ "templates": true, "resources": [BUILT] });
                plan.as_object_mut()
                    .unwrap()
                    .extend(path.connect(base, agent, &token).as_object().unwrap().clone());
                run_agent_with(home, &plan, &[("LANYARD_AGENT_TOKEN", &token)])
                    .await
                    .unwrap_or_else(|err| panic!("{agent} on {path:?}: {err:#}"))
            }
        };
        let reads = upstream_reads(&conf_log);
        let on_conf = run("on-conf").await;
        assert_eq!(on_conf["templates"], json!([TEMPLATE]), "its source's template on {path:?}: {on_conf}");
        let text = on_conf["read"][BUILT].as_str().unwrap_or_default();
        assert!(text.contains("Data for ID: 7"), "a URI built from it reads on {path:?}: {on_conf}");
        assert_eq!(upstream_reads(&conf_log), reads + 1);

        for agent in ["on-th", "no-resources"] {
            let report = run(agent).await;
            assert_eq!(
                report["templates"],
                json!([]),
                "{agent} gets no template of conf on {path:?}: {report}"
            );
            assert!(report["read"][BUILT]["message"].is_string(), "{agent} cannot read it: {report}");
        }
        assert_eq!(upstream_reads(&conf_log), reads + 1, "and the read never reached conf on {path:?}");
    }
}

#[tokio::test]
async fn doctor_finds_the_key_of_an_agent_gone_from_the_profile_file_and_prune_removes_it() {
    let (home, _server, _log) = home_with_sources().await;
    let key = token_of(&home, "alpha");
    let beta = token_of(&home, "beta");
    // The table taken out by hand: the key stays behind in the keychain.
    let file = std::fs::read_to_string(home.profile_file()).unwrap();
    let table: toml::Table = file.parse().unwrap();
    let mut kept = table;
    kept["agents"].as_table_mut().unwrap().remove("alpha");
    std::fs::write(home.profile_file(), toml::to_string(&kept).unwrap()).unwrap();

    let report = home.run(&["doctor", "--json"]).json();
    let orphans = report["keychain_entries"]["orphans"].as_array().expect("orphans listed").clone();
    assert_eq!(orphans.len(), 1, "beta's key is owned, alpha's is not: {report}");
    assert_eq!(orphans[0]["entry"], "agent:alpha/token");
    assert_eq!(orphans[0]["reason"], "no_such_agent");
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["area"] == "keychain" && f["outcome"] == "warning")
        .unwrap_or_else(|| panic!("a warning names the orphan: {report}"));
    assert!(finding["detail"].as_str().unwrap().contains("no agent `alpha`"), "{finding}");
    assert!(finding["fix"].as_str().unwrap().contains("lanyard doctor --prune"), "{finding}");

    let pruned = home.run(&["doctor", "--prune", "--json"]).json();
    assert_eq!(pruned["keychain_entries"]["pruned"][0]["entry"], "agent:alpha/token", "{pruned}");
    // Added again under the same name, the agent gets a new key, never the old one.
    home.run(&["agent", "add", "alpha"]).ok();
    assert_ne!(token_of(&home, "alpha"), key);
    assert_eq!(token_of(&home, "beta"), beta, "beta's key is untouched");
}

/// Removing a source takes it out of every agent that named it, in the same write: each agent
/// stays editable, the file still reads, `profile rm` names the agents, and a running hub
/// follows: the agent left with no source reaches nothing until it is given one.
#[tokio::test]
async fn removing_a_source_takes_it_out_of_its_agents_and_they_stay_editable() {
    let (home, _server, _log) = home_with_sources().await;
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let initialize = |source: &str, agent: &str| {
        let request = client
            .post(format!("{base}/mcp/{source}"))
            .bearer_auth(token_of(&home, agent))
            .header("accept", "application/json, text/event-stream")
            .json(&json!({
                "jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": { "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": { "name": "t", "version": "1" } }
            }));
        async move {
            let response = request.send().await.expect("the hub answers");
            (response.status().as_u16(), response.text().await.unwrap_or_default())
        }
    };

    let removed = home.run(&["profile", "rm", "th"]).ok().stdout;
    assert!(removed.contains("Removed source `th`"), "{removed}");
    assert!(removed.contains("Agents `alpha` and `beta` no longer list it."), "{removed}");
    assert!(removed.contains("Agent `alpha` has no source left and reaches nothing"), "{removed}");
    let text = std::fs::read_to_string(home.profile_file()).unwrap();
    let file = lanyard::profile::ProfileFile::parse(&text, &home.profile_file()).expect("the file reads");
    for (name, agent) in &file.agents {
        file.check_agent_sources(agent).unwrap_or_else(|err| panic!("{name}: {err}"));
    }
    for agent in ["alpha", "beta"] {
        let shown = home.run(&["agent", "show", agent]).ok().stdout;
        assert!(!shown.contains("th"), "{agent} no longer names th: {shown}");
    }
    assert!(home.run(&["agent", "list"]).ok().stdout.contains("no source"), "alpha has none");

    // The stranded agent reaches nothing through the running hub; beta keeps its other source.
    let (status, body) = initialize("ts", "alpha").await;
    assert!(status != 401 && body.contains("agent `alpha` may not use source `ts`"), "{status}: {body}");
    let (status, body) = initialize("ts", "beta").await;
    assert!(status == 200 && body.contains("\"result\""), "beta still reaches ts: {status}: {body}");
    let (status, body) = initialize("th", "beta").await;
    let refused = status == 404 || body.contains("agent `beta` may not use source `th`");
    assert!(refused && !body.contains("\"result\""), "th is gone: {status}: {body}");

    // Both stay editable; the edit reaches the running hub.
    home.run(&["agent", "edit", "beta", "--no-prompts"]).ok();
    let edited = home.run(&["agent", "edit", "alpha", "--source", "ts"]).ok().stdout;
    assert!(edited.contains("sources:   ts") && !edited.contains("th"), "{edited}");
    eventually("the hub to let alpha reach ts", std::time::Duration::from_millis(200), || async {
        let (status, body) = initialize("ts", "alpha").await;
        (status == 200 && body.contains("\"result\"")).then_some(())
    })
    .await;
    // Naming a source that does not exist says which, and the near one.
    home.run(&["agent", "edit", "alpha", "--source", "tss"])
        .fails_with(5, "no source named `tss`; did you mean `ts`?");
}
