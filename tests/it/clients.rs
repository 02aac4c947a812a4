//! `lanyard clients` and `lanyard config <client>` end to end, with a temporary home laid out as
//! a person's would be: every known client set up, checked and undone through the binary.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::home::{Home, Run};

/// A Lanyard home plus a fake user home folder and a project folder to run in.
struct Person {
    lanyard: Home,
    home: tempfile::TempDir,
    project: PathBuf,
}

impl Person {
    fn new() -> Self {
        let home = tempfile::tempdir().expect("a temp dir");
        let project = home.path().join("project");
        std::fs::create_dir_all(&project).unwrap();
        Self { lanyard: Home::new(), home, project }
    }

    fn run(&self, args: &[&str]) -> Run {
        let mut command = self.lanyard.command(args);
        command.env("HOME", self.home.path()).env("PATH", "").current_dir(&self.project);
        for var in ["XDG_CONFIG_HOME", "APPDATA", "CODEX_HOME", "COPILOT_HOME", "CLAUDE_CONFIG_DIR"] {
            command.env_remove(var);
        }
        Run::from(command.output().expect("lanyard runs"))
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.home.path().join(relative)
    }

    fn clients(&self) -> Vec<Value> {
        self.run(&["clients", "--json"]).ok().json().as_array().expect("a list").clone()
    }

    fn client(&self, id: &str) -> Value {
        self.clients().into_iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("{id} is listed"))
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn clients_lists_every_client_with_its_files_and_what_goes_through_lanyard() {
    let person = Person::new();
    write(
        &person.path(".cursor/mcp.json"),
        r#"{"mcpServers": {"mine": {"command": "npx"}, "gh": {"command": "/old/lanyard", "args": ["bridge", "gh"]}}}"#,
    );
    let clients = person.clients();
    assert!(clients.len() >= 19, "every known client is listed: {}", clients.len());
    let cursor = person.client("cursor");
    assert_eq!(cursor["installed"], true, "{cursor}");
    assert_eq!(cursor["files"][0]["servers"], 2, "{cursor}");
    assert_eq!(cursor["files"][0]["via_lanyard"], serde_json::json!(["gh"]), "{cursor}");
    assert_eq!(person.client("goose")["installed"], false, "nothing of Goose's is there");
    let text = person.run(&["clients"]).ok().stdout;
    assert!(text.contains("2 servers, 1 through Lanyard (gh)"), "{text}");
}

#[test]
fn every_client_is_set_up_listed_and_undone_through_the_binary() {
    let person = Person::new();
    person.run(&["profile", "add", "local", "--", "my-server", "stdio"]).ok();
    for client in person.clients() {
        let id = client["id"].as_str().unwrap();
        let file = PathBuf::from(client["files"][0]["path"].as_str().unwrap());
        let written = person.run(&["config", id, "--write"]).ok();
        assert!(written.stdout.contains("Added: local."), "{id}: {}", written.stdout);
        assert!(file.exists(), "{id}: {} is written", file.display());
        let listed = person.client(id);
        assert_eq!(listed["installed"], true, "{id}: its file makes it installed");
        assert!(
            listed["files"][0]["via_lanyard"].as_array().unwrap().contains(&Value::from("local")),
            "{id}: the entry is read back as Lanyard's: {listed}"
        );
        let undone = person.run(&["config", id, "--undo"]);
        // VS Code and the Copilot CLI share one file: the second undo finds the first's done.
        if undone.code != 0 {
            assert!(undone.stderr.contains("nothing to undo"), "{id}: {}", undone.stderr);
            continue;
        }
        assert!(!file.exists(), "{id}: undo removes the file Lanyard created");
    }
}

#[test]
fn a_file_with_comments_is_edited_in_place_and_undone_byte_for_byte() {
    let person = Person::new();
    person.run(&["profile", "add", "local", "--", "my-server", "stdio"]).ok();
    let zed = person.path(".config/zed/settings.json");
    let before = "// Zed settings\n{\n  \"theme\": \"One Dark\", // mine\n  \"context_servers\": {\n    \"other\": { \"command\": \"x\", \"args\": [] },\n  },\n}\n";
    write(&zed, before);
    person.run(&["config", "zed", "--write"]).ok();
    let after = std::fs::read_to_string(&zed).unwrap();
    assert!(after.contains("// Zed settings") && after.contains("// mine"), "{after}");
    assert!(after.contains("\"local\""), "{after}");
    person.run(&["config", "zed", "--undo"]).ok();
    assert_eq!(std::fs::read_to_string(&zed).unwrap(), before, "undo restores the file byte for byte");
}

#[test]
fn a_broken_file_is_refused_and_left_alone() {
    let person = Person::new();
    person.run(&["profile", "add", "local", "--", "my-server", "stdio"]).ok();
    let codex = person.path(".codex/config.toml");
    let broken = "[mcp_servers\nmodel = 1\n";
    write(&codex, broken);
    let run = person.run(&["config", "codex", "--write"]);
    assert_ne!(run.code, 0, "the write fails");
    assert!(
        run.stderr.contains("not valid TOML") && run.stderr.contains("left it as it was"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(&codex).unwrap(), broken);
    assert_eq!(std::fs::read_dir(codex.parent().unwrap()).unwrap().count(), 1, "no backup is left");
    let listed = person.client("codex");
    assert!(listed["files"][0]["error"].as_str().is_some_and(|e| e.contains("TOML")), "{listed}");
}

#[test]
fn project_scope_writes_the_projects_file() {
    let person = Person::new();
    person.run(&["profile", "add", "local", "--", "my-server", "stdio"]).ok();
    person.run(&["config", "claude-code", "--scope", "project", "--write"]).ok();
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(person.project.join(".mcp.json")).unwrap()).unwrap();
    assert_eq!(written["mcpServers"]["local"]["args"], serde_json::json!(["bridge", "local"]), "{written}");
    assert!(!person.path(".claude.json").exists(), "the user's file is not touched");
    person.run(&["config", "goose", "--scope", "project"]).fails_with(2, "Goose has no project config file");
}

#[test]
fn doctor_checks_each_installed_clients_entries() {
    let person = Person::new();
    person.run(&["profile", "add", "local", "--", "my-server", "stdio"]).ok();
    person.run(&["profile", "add", "off", "--", "my-server", "stdio"]).ok();
    person.run(&["profile", "edit", "off", "--disable"]).ok();
    person.run(&["config", "cursor", "--write", "--source", "local", "--source", "off"]).ok();
    write(
        &person.path(".gemini/settings.json"),
        r#"{"mcpServers": {"moved": {"command": "/nonexistent/old/lanyard", "args": ["bridge", "local"]}}}"#,
    );
    write(&person.path(".continue/config.yaml"), "mcpServers: [\n");
    let run = person.run(&["doctor", "--json"]);
    let report: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|_| panic!("JSON: {}", run.stdout));
    let ide: Vec<&Value> =
        report["findings"].as_array().unwrap().iter().filter(|f| f["area"] == "ide").collect();
    let about = |needle: &str| {
        ide.iter()
            .find(|f| f["detail"].as_str().unwrap().contains(needle))
            .unwrap_or_else(|| panic!("a finding about {needle}: {ide:?}"))
    };
    assert_eq!(about("`local` (Cursor)")["outcome"], "ok");
    assert_eq!(about("`off` (Cursor)")["outcome"], "warning", "a disabled source");
    assert_eq!(about("/nonexistent/old/lanyard")["outcome"], "problem", "a stale path");
    assert_eq!(about("Continue's file")["outcome"], "problem", "a file that no longer parses");
    assert!(about("Continue's file")["fix"].as_str().unwrap().contains("lanyard config continue --undo"));
}

#[test]
fn import_from_takes_over_a_clients_servers_and_undo_puts_its_file_back() {
    let person = Person::new();
    let cursor = person.path(".cursor/mcp.json");
    let before = r#"{
  // my servers
  "mcpServers": {
    "files": { "command": "my-server", "args": ["stdio"], "env": { "API_KEY": "planted-import-4e1a" } },
    "remote": { "url": "https://mcp.example.com/mcp", "headers": { "X-Team": "${TEAM}" } }
  }
}
"#;
    write(&cursor, before);
    let goose = person.path(".config/goose/config.yaml");
    let goose_before = "# goose\nextensions:\n  docs:\n    name: docs\n    type: stdio\n    cmd: docs-server\n    args: []\n    enabled: true\n";
    write(&goose, goose_before);
    write(&person.project.join(".mcp.json"), r#"{"mcpServers": {"repo": {"command": "repo-server"}}}"#);

    let dry = person.run(&["import", "--from", "all", "--dry-run", "--json"]).ok().json();
    assert!(dry.as_array().unwrap().iter().all(|r| r["dry_run"] == true), "{dry}");
    assert_eq!(person.run(&["profile", "list", "--json"]).ok().json().as_array().unwrap().len(), 0);

    let run = person.run(&["import", "--from", "all", "--replace"]).ok();
    assert!(run.stdout.contains("undo with `lanyard config cursor --undo`"), "{}", run.stdout);
    let ids: Vec<String> = person
        .run(&["profile", "list", "--json"])
        .ok()
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["docs", "files", "remote"], "the servers of both clients, not the project's");
    let profiles = std::fs::read_to_string(person.lanyard.profile_file()).unwrap();
    assert!(!profiles.contains("planted-import-4e1a"), "the secret went to the keychain: {profiles}");

    let after = std::fs::read_to_string(&cursor).unwrap();
    assert!(after.contains("// my servers") && !after.contains("planted-import-4e1a"), "{after}");
    let cursor_report = person.client("cursor");
    assert_eq!(
        cursor_report["files"][0]["via_lanyard"],
        serde_json::json!(["files", "remote"]),
        "{cursor_report}"
    );
    let goose_after: Value = serde_norway::from_str(&std::fs::read_to_string(&goose).unwrap()).unwrap();
    assert_eq!(
        goose_after["extensions"]["docs"]["args"],
        serde_json::json!(["bridge", "docs"]),
        "{goose_after}"
    );

    let again = person.run(&["import", "--from", "cursor"]).ok();
    assert!(
        again.stdout.contains("Imported 0 source(s)"),
        "Lanyard's own entries are not imported: {}",
        again.stdout
    );

    person.run(&["config", "cursor", "--undo"]).ok();
    person.run(&["config", "goose", "--undo"]).ok();
    assert_eq!(std::fs::read_to_string(&cursor).unwrap(), before, "undo puts the client's file back");
    assert_eq!(std::fs::read_to_string(&goose).unwrap(), goose_before);
}

/// A client's own command line from `tests/clients`, run with the person's home and no network
/// at all (its own network namespace), so that nothing it does leaves the machine.
/// Returns its stdout and its stderr.
fn client_cli(person: &Person, program: &str, args: &[&str]) -> (String, String) {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/node_modules/.bin").join(program);
    assert!(bin.exists(), "{} is missing: run scripts/install-test-deps.sh", bin.display());
    let output = std::process::Command::new("unshare")
        .arg("--net")
        .arg(&bin)
        .args(args)
        .env("HOME", person.home.path())
        .env("CODEX_HOME", person.path(".codex"))
        .current_dir(&person.project)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("unshare runs (util-linux, as root)");
    assert!(output.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn codex_itself_lists_the_servers_lanyard_wrote() {
    let person = Person::new();
    person.run(&["profile", "add", "local", "--", "my-server", "stdio"]).ok();
    write(
        &person.path(".codex/config.toml"),
        "# mine\nmodel = \"o3\"\n\n[mcp_servers.other]\ncommand = \"other-server\"\n",
    );
    person.run(&["config", "codex", "--write"]).ok();
    let (stdout, _) = client_cli(&person, "codex", &["mcp", "list", "--json"]);
    let listed: Value = serde_json::from_str(&stdout).unwrap_or_else(|err| panic!("JSON ({err}): {stdout}"));
    let server = |name: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("{name}: {listed}"))
            .clone()
    };
    let local = server("local");
    assert_eq!(local["enabled"], true, "{local}");
    assert_eq!(local["transport"]["type"], "stdio", "{local}");
    assert_eq!(local["transport"]["command"], env!("CARGO_BIN_EXE_lanyard"), "{local}");
    assert_eq!(local["transport"]["args"], serde_json::json!(["bridge", "local"]), "{local}");
    assert_eq!(
        server("other")["transport"]["command"],
        "other-server",
        "the person's own server is still read"
    );
}

#[test]
fn gemini_cli_itself_lists_the_servers_lanyard_wrote() {
    let person = Person::new();
    person.run(&["profile", "add", "local", "--", "my-server", "stdio"]).ok();
    write(
        &person.path(".gemini/settings.json"),
        "{\n  // mine\n  \"mcpServers\": { \"other\": { \"httpUrl\": \"http://127.0.0.1:9/mcp\" } }\n}\n",
    );
    person.run(&["config", "gemini-cli", "--write"]).ok();
    // Gemini CLI prints its report on stderr.
    let (stdout, stderr) = client_cli(&person, "gemini", &["mcp", "list"]);
    let listed = format!("{stdout}{stderr}");
    let lanyard = env!("CARGO_BIN_EXE_lanyard");
    assert!(listed.contains(&format!("local: {lanyard} bridge local (stdio)")), "{listed}");
    assert!(listed.contains("other: http://127.0.0.1:9/mcp (http)"), "{listed}");
}
