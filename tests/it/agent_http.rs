//! Issue 20, an agent's HTTP entries: `lanyard config <client> --agent x` writes, for a client
//! that takes HTTP, an entry pointing at the hub's `/mcp/<id>` whose bearer header names the
//! agent's own variable in the client's syntax. Each file is read back the way its client reads
//! it (its variables expanded from the environment), and the TypeScript SDK connects to
//! `lanyard serve` with exactly that URL and those headers: the agent sees its one tool, a call
//! outside it is refused, and the call log holds the calls under agent `x`. Without `--port`
//! the entries point at the running hub's port.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::support::bridge_home::{run_agent, start_serve};
use crate::support::home::Home;
use crate::support::{eventually, start_test_server};

/// The variable the entries name for agent `x`.
const VAR: &str = "LANYARD_AGENT_TOKEN_X";

/// `text` with each `${<prefix>NAME}` (and `${<prefix>NAME:-default}`) replaced from `vars`,
/// as Cursor (`${env:NAME}`) and Claude Code (`${NAME}`) expand their headers.
fn expand(text: &str, prefix: &str, vars: &BTreeMap<&str, String>) -> String {
    let open = format!("${{{prefix}");
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        out.push_str(&rest[..start]);
        let after = &rest[start + open.len()..];
        let end = after.find('}').expect("a closed reference");
        let (name, default) = after[..end].split_once(":-").unwrap_or((&after[..end], ""));
        out.push_str(vars.get(name).map_or(default, String::as_str));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The URL and headers `client` sends for server `th` in `file`, its variables taken from `vars`.
fn as_the_client_sends_it(
    client: &str,
    file: &Path,
    vars: &BTreeMap<&str, String>,
) -> (String, Map<String, Value>) {
    let text = std::fs::read_to_string(file).expect("the file is written");
    let expand_all = |entry: &Value, prefix: &str| -> Map<String, Value> {
        let headers = entry["headers"].as_object().unwrap_or_else(|| panic!("{client}: headers in {entry}"));
        headers
            .iter()
            .map(|(name, value)| {
                (name.clone(), Value::from(expand(value.as_str().expect("a text header"), prefix, vars)))
            })
            .collect()
    };
    match client {
        "cursor" => {
            let entry = &serde_json::from_str::<Value>(&text).expect("JSON")["mcpServers"]["th"];
            (entry["url"].as_str().expect("url").to_owned(), expand_all(entry, "env:"))
        }
        "claude-code" => {
            let entry = &serde_json::from_str::<Value>(&text).expect("JSON")["mcpServers"]["th"];
            assert_eq!(entry["type"], "http", "{entry}");
            (entry["url"].as_str().expect("url").to_owned(), expand_all(entry, ""))
        }
        "codex" => {
            let file: toml::Table = toml::from_str(&text).expect("TOML");
            let entry = &file["mcp_servers"]["th"];
            let var = entry["bearer_token_env_var"].as_str().expect("bearer_token_env_var");
            let token = vars.get(var).unwrap_or_else(|| panic!("codex reads {var}, which is not set"));
            let headers =
                Map::from_iter([("Authorization".to_owned(), Value::from(format!("Bearer {token}")))]);
            (entry["url"].as_str().expect("url").to_owned(), headers)
        }
        other => panic!("no reader for {other}"),
    }
}

#[tokio::test]
async fn an_agents_http_entry_reaches_the_hub_as_that_agent_in_each_clients_own_syntax() {
    let home = Home::own_install();
    let (_server, url) = start_test_server(&["http".to_owned()]).await.expect("lanyard-test-server starts");
    home.add(&["th", "--url", &url]).await;
    home.run(&["agent", "add", "x", "--source", "th", "--tool", "th:echo"]).ok();
    let (_serve, base) = start_serve(&home).await.expect("lanyard serve starts");
    let port = base.rsplit(':').next().expect("a port").to_owned();
    let key = home.run(&["agent", "token", "x"]).ok().stdout.trim().to_owned();
    let vars = BTreeMap::from([(VAR, key.clone())]);

    let clients = ["cursor", "claude-code", "codex"];
    for client in clients {
        let file = home.path().join(format!("{client}.config"));
        let path = file.to_str().unwrap();
        let mut args = vec!["config", client, "--agent", "x", "--file", path, "--write"];
        // The port given, or else the running hub's, found by its announcement.
        if client == "cursor" {
            args.extend(["--port", &port]);
        }
        let run = home.run(&args).ok();
        assert!(run.stderr.contains(VAR), "{client}: the output names the variable to set: {}", run.stderr);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains(VAR) && !text.contains(&key), "{client}: the key is named, not held: {text}");

        let (url, headers) = as_the_client_sends_it(client, &file, &vars);
        assert_eq!(url, format!("{base}/mcp/th"), "{client}");
        let plan = json!({
            "http": { "url": url, "headers": headers },
            "calls": [
                { "tool": "echo", "arguments": { "message": format!("x via {client}") } },
                { "tool": "add", "arguments": { "a": 1, "b": 2 } },
            ],
        });
        let report = run_agent(&home, &plan).await.unwrap_or_else(|err| panic!("{client}: {err:#}"));
        assert_eq!(report["tools"], json!(["echo"]), "{client}: agent x sees its one tool: {report}");
        assert_eq!(report["calls"][0]["text"], format!("x via {client}"), "{report}");
        let refusal = report["calls"][1]["error"]["message"].as_str().unwrap_or_default();
        assert!(refusal.contains("agent `x`"), "{client}: a call outside its set is refused: {report}");
    }

    // Without the variable set the client sends no key, and the hub lets nothing through.
    let (url, headers) =
        as_the_client_sends_it("cursor", &home.path().join("cursor.config"), &BTreeMap::new());
    let plan = json!({ "http": { "url": url, "headers": headers } });
    assert!(run_agent(&home, &plan).await.is_err(), "an unset variable is no key");

    let calls = eventually("agent x's calls in the call log", std::time::Duration::from_millis(200), || {
        let run = home.run(&["logs", "--agent", "x", "--json"]).ok();
        let calls: Vec<Value> = serde_json::from_str(&run.stdout).expect("JSON");
        async move { (calls.len() >= 2 * clients.len()).then_some(calls) }
    })
    .await;
    assert_eq!(calls.len(), 2 * clients.len(), "one entry per call: {calls:#?}");
    for call in &calls {
        assert_eq!((&call["agent"], &call["source"]), (&json!("x"), &json!("th")), "{call}");
        let expected = if call["name"] == "echo" { "ok" } else { "refused" };
        assert_eq!(call["outcome"], expected, "{call}");
    }
}

#[test]
fn a_client_without_http_entries_is_refused_http_and_nothing_is_written() {
    let home = Home::own_install();
    home.run(&["agent", "add", "x"]).ok();
    let file = home.path().join("zed.json");
    let run = home.run(&[
        "config",
        "zed",
        "--agent",
        "x",
        "--transport",
        "http",
        "--file",
        file.to_str().unwrap(),
        "--write",
    ]);
    assert_eq!(run.code, 2, "a usage error: {}", run.stderr);
    assert!(run.stderr.contains("Zed takes no HTTP entry"), "{}", run.stderr);
    assert!(!file.exists(), "nothing is written");
}
