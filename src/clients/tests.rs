//! The catalogue checked client by client against each client's documented shape: where its
//! file is on each OS, and what an entry written into an empty file, a file with other servers
//! and comments, and a broken file comes to, read back with a parser of that format.

use std::path::Path;

use serde_json::{Value, json};

use super::*;

const PROGRAM: &str = "/opt/lanyard/bin/lanyard";
const URL: &str = "http://127.0.0.1:4820/mcp/github";

/// One client's documented facts.
struct Documented {
    id: &'static str,
    /// The user file under the home folder on Linux, macOS and Windows.
    user: [&'static str; 3],
    project: Option<&'static str>,
    /// Where the servers are, as a JSON pointer to the `github` entry.
    pointer: &'static str,
    stdio: Value,
    http: Option<Value>,
}

fn documented() -> Vec<Documented> {
    let args = json!(["bridge", "github"]);
    let plain = json!({"command": PROGRAM, "args": args});
    let same = |path: &'static str| [path, path, path];
    vec![
        Documented {
            id: "claude-desktop",
            user: [
                ".config/Claude/claude_desktop_config.json",
                "Library/Application Support/Claude/claude_desktop_config.json",
                "AppData/Roaming/Claude/claude_desktop_config.json",
            ],
            project: None,
            pointer: "/mcpServers/github",
            stdio: plain.clone(),
            http: None,
        },
        Documented {
            id: "claude-code",
            user: same(".claude.json"),
            project: Some(".mcp.json"),
            pointer: "/mcpServers/github",
            stdio: json!({"type": "stdio", "command": PROGRAM, "args": args, "env": {}}),
            http: Some(
                json!({"type": "http", "url": URL, "headers": {"Authorization": "Bearer ${LANYARD_BRIDGE_TOKEN}"}}),
            ),
        },
        Documented {
            id: "cursor",
            user: same(".cursor/mcp.json"),
            project: Some(".cursor/mcp.json"),
            pointer: "/mcpServers/github",
            stdio: plain.clone(),
            http: Some(
                json!({"url": URL, "headers": {"Authorization": "Bearer ${env:LANYARD_BRIDGE_TOKEN}"}}),
            ),
        },
        Documented {
            id: "vscode",
            user: same(".copilot/mcp-config.json"),
            project: Some(".mcp.json"),
            pointer: "/mcpServers/github",
            stdio: json!({"type": "stdio", "command": PROGRAM, "args": args, "tools": ["*"]}),
            http: Some(
                json!({"type": "http", "url": URL, "headers": {"Authorization": "Bearer ${LANYARD_BRIDGE_TOKEN}"}, "tools": ["*"]}),
            ),
        },
        Documented {
            id: "vscode-legacy",
            user: [
                ".config/Code/User/mcp.json",
                "Library/Application Support/Code/User/mcp.json",
                "AppData/Roaming/Code/User/mcp.json",
            ],
            project: Some(".vscode/mcp.json"),
            pointer: "/servers/github",
            stdio: json!({"type": "stdio", "command": PROGRAM, "args": args}),
            http: Some(
                json!({"type": "http", "url": URL, "headers": {"Authorization": "Bearer ${env:LANYARD_BRIDGE_TOKEN}"}}),
            ),
        },
        Documented {
            id: "vscode-insiders",
            user: [
                ".config/Code - Insiders/User/mcp.json",
                "Library/Application Support/Code - Insiders/User/mcp.json",
                "AppData/Roaming/Code - Insiders/User/mcp.json",
            ],
            project: Some(".vscode/mcp.json"),
            pointer: "/servers/github",
            stdio: json!({"type": "stdio", "command": PROGRAM, "args": args}),
            http: Some(
                json!({"type": "http", "url": URL, "headers": {"Authorization": "Bearer ${env:LANYARD_BRIDGE_TOKEN}"}}),
            ),
        },
        Documented {
            id: "copilot-cli",
            user: same(".copilot/mcp-config.json"),
            project: Some(".mcp.json"),
            pointer: "/mcpServers/github",
            stdio: json!({"type": "stdio", "command": PROGRAM, "args": args, "tools": ["*"]}),
            http: Some(
                json!({"type": "http", "url": URL, "headers": {"Authorization": "Bearer ${LANYARD_BRIDGE_TOKEN}"}, "tools": ["*"]}),
            ),
        },
        Documented {
            id: "windsurf",
            user: same(".codeium/windsurf/mcp_config.json"),
            project: None,
            pointer: "/mcpServers/github",
            stdio: plain.clone(),
            http: Some(
                json!({"serverUrl": URL, "headers": {"Authorization": "Bearer ${env:LANYARD_BRIDGE_TOKEN}"}}),
            ),
        },
        Documented {
            id: "zed",
            user: [
                ".config/zed/settings.json",
                ".config/zed/settings.json",
                "AppData/Roaming/Zed/settings.json",
            ],
            project: Some(".zed/settings.json"),
            pointer: "/context_servers/github",
            stdio: json!({"source": "custom", "command": PROGRAM, "args": args, "env": {}}),
            http: None,
        },
        Documented {
            id: "codex",
            user: same(".codex/config.toml"),
            project: Some(".codex/config.toml"),
            pointer: "/mcp_servers/github",
            stdio: plain.clone(),
            http: Some(json!({"url": URL, "bearer_token_env_var": "LANYARD_BRIDGE_TOKEN"})),
        },
        Documented {
            id: "gemini-cli",
            user: same(".gemini/settings.json"),
            project: Some(".gemini/settings.json"),
            pointer: "/mcpServers/github",
            stdio: plain.clone(),
            http: Some(
                json!({"httpUrl": URL, "headers": {"Authorization": "Bearer ${LANYARD_BRIDGE_TOKEN}"}}),
            ),
        },
        Documented {
            id: "antigravity",
            user: same(".gemini/antigravity/mcp_config.json"),
            project: None,
            pointer: "/mcpServers/github",
            stdio: plain.clone(),
            http: None,
        },
        Documented {
            id: "goose",
            user: [
                ".config/goose/config.yaml",
                ".config/goose/config.yaml",
                "AppData/Roaming/Block/goose/config/config.yaml",
            ],
            project: None,
            pointer: "/extensions/github",
            stdio: json!({"name": "github", "type": "stdio", "cmd": PROGRAM, "args": args, "enabled": true, "envs": {}, "timeout": 300}),
            http: None,
        },
        Documented {
            id: "cline",
            user: [
                ".config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json",
                "Library/Application Support/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json",
                "AppData/Roaming/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json",
            ],
            project: None,
            pointer: "/mcpServers/github",
            stdio: json!({"command": PROGRAM, "args": args, "disabled": false}),
            http: None,
        },
        Documented {
            id: "cline-cli",
            user: same(".cline/data/settings/cline_mcp_settings.json"),
            project: None,
            pointer: "/mcpServers/github",
            stdio: json!({"command": PROGRAM, "args": args, "disabled": false}),
            http: None,
        },
        Documented {
            id: "continue",
            user: same(".continue/config.yaml"),
            project: None,
            pointer: "/mcpServers/0",
            stdio: json!({"name": "github", "command": PROGRAM, "args": args}),
            http: Some(json!({
                "name": "github",
                "type": "streamable-http",
                "url": URL,
                "requestOptions": {"headers": {"Authorization": "Bearer ${{ secrets.LANYARD_BRIDGE_TOKEN }}"}},
            })),
        },
        Documented {
            id: "opencode",
            user: same(".config/opencode/opencode.json"),
            project: Some("opencode.json"),
            pointer: "/mcp/github",
            stdio: json!({"type": "local", "command": [PROGRAM, "bridge", "github"], "enabled": true}),
            http: Some(
                json!({"type": "remote", "url": URL, "headers": {"Authorization": "Bearer {env:LANYARD_BRIDGE_TOKEN}"}, "enabled": true}),
            ),
        },
        Documented {
            id: "kiro",
            user: same(".kiro/settings/mcp.json"),
            project: Some(".kiro/settings/mcp.json"),
            pointer: "/mcpServers/github",
            stdio: plain.clone(),
            http: Some(json!({"url": URL, "headers": {"Authorization": "Bearer ${LANYARD_BRIDGE_TOKEN}"}})),
        },
        Documented {
            id: "lm-studio",
            user: same(".lmstudio/mcp.json"),
            project: None,
            pointer: "/mcpServers/github",
            stdio: plain,
            http: None,
        },
    ]
}

fn client(id: &str) -> &'static Client {
    find(id).unwrap_or_else(|_| panic!("{id} is in the catalogue"))
}

fn stdio_entries(client: &Client) -> Vec<(String, Value)> {
    let args = vec!["bridge".to_owned(), "github".to_owned()];
    vec![("github".to_owned(), client.stdio_entry(Stdio { name: "github", command: PROGRAM, args: &args }))]
}

fn http_entries(client: &Client) -> Option<Vec<(String, Value)>> {
    let entry = client.http_entry(Http { name: "github", url: URL, token_var: TOKEN_VAR })?;
    Some(vec![("github".to_owned(), entry)])
}

/// The file parsed back by a parser of its format (strict JSON where the client takes no
/// comments).
fn parse_back(format: Format, text: &str, strict: bool) -> Value {
    match format {
        Format::Json if strict => serde_json::from_str(text).expect("strict JSON"),
        Format::Json | Format::Jsonc => {
            serde_json::from_str(&crate::profile::strip_jsonc(text)).expect("JSONC")
        }
        Format::Toml => toml::from_str(text).expect("TOML"),
        Format::Yaml => serde_norway::from_str(text).expect("YAML"),
    }
}

/// A file of the client's format with another server at the client's place, an unrelated
/// setting and comments.
fn file_with_others(client: &Client) -> String {
    match (client.format, client.place(&Value::Null)) {
        (Format::Json | Format::Jsonc, Place::Map(path)) => {
            let mut inner =
                "{\n    // keep this server\n    \"other\": { \"command\": \"other-server\" }\n  }"
                    .to_owned();
            for key in path.iter().skip(1).rev() {
                inner = format!("{{ \"{key}\": {inner} }}");
            }
            format!("{{\n  // settings\n  \"theme\": \"dark\",\n  \"{}\": {inner}\n}}\n", path[0])
        }
        (Format::Toml, Place::Map(path)) => {
            format!(
                "# settings\nmodel = \"x\" # the model\n\n# keep this server\n[{}.other]\ncommand = \"other-server\"\n",
                path.join(".")
            )
        }
        (Format::Yaml, Place::Map(path)) => {
            format!(
                "# settings\ntheme: dark # the theme\n{}:\n  # keep this server\n  other:\n    cmd: other-server\n",
                path[0]
            )
        }
        (Format::Yaml, Place::List(key)) => {
            format!(
                "# settings\ntheme: dark # the theme\n{key}:\n  # keep this server\n  - name: other\n    command: other-server\n"
            )
        }
        (format, place) => panic!("no fixture for {format:?} at {place:?}"),
    }
}

fn broken(format: Format) -> &'static str {
    match format {
        Format::Json | Format::Jsonc => "{ \"mcpServers\": { , }\n",
        Format::Toml => "[mcp_servers\ncommand = 1\n",
        Format::Yaml => "extensions: [unclosed\n  - x: {\n",
    }
}

fn other_pointer(pointer: &str) -> String {
    match pointer.rsplit_once('/') {
        Some((parent, "0")) => format!("{parent}/0/command"),
        Some((parent, _)) => format!("{parent}/other"),
        None => unreachable!(),
    }
}

#[test]
fn every_documented_client_is_in_the_catalogue_and_the_other_way_round() {
    let documented: Vec<&str> = documented().iter().map(|d| d.id).collect();
    let catalogue: Vec<&str> = catalogue().iter().map(|c| c.id).collect();
    assert_eq!(documented, catalogue);
}

#[test]
fn each_client_finds_its_files_in_each_os_layout() {
    for (n, os) in [Os::Linux, Os::MacOs, Os::Windows].into_iter().enumerate() {
        for doc in documented() {
            let home = tempfile::tempdir().unwrap();
            let project = home.path().join("work");
            let env = Env::new(os, home.path(), &project);
            let client = client(doc.id);
            assert_eq!(
                client.file(&env, Scope::User),
                Some(env::join(home.path(), doc.user[n])),
                "{} on {os:?}",
                doc.id
            );
            assert_eq!(
                client.file(&env, Scope::Project),
                doc.project.map(|p| env::join(&project, p)),
                "{}",
                doc.id
            );
            assert!(!client.installed(&env), "{} is not installed in an empty home", doc.id);
            let marker = client.file(&env, Scope::User).unwrap();
            std::fs::create_dir_all(marker.parent().unwrap()).unwrap();
            std::fs::write(&marker, "").unwrap();
            assert!(client.installed(&env), "{} is installed once its file is there ({os:?})", doc.id);
            std::fs::remove_file(&marker).unwrap();
        }
    }
}

#[test]
fn the_variables_that_move_a_clients_files_are_honoured() {
    let env = |os| Env::new(os, "/home/me", "/work");
    for (id, env, expected) in [
        ("codex", env(Os::Linux).with_var("CODEX_HOME", "/c"), "/c/config.toml"),
        ("vscode", env(Os::MacOs).with_var("COPILOT_HOME", "/cp"), "/cp/mcp-config.json"),
        ("copilot-cli", env(Os::Linux).with_var("COPILOT_HOME", "/cp"), "/cp/mcp-config.json"),
        ("claude-code", env(Os::Linux).with_var("CLAUDE_CONFIG_DIR", "/cc"), "/cc/.claude.json"),
        (
            "claude-desktop",
            env(Os::Windows).with_var("APPDATA", "/ad"),
            "/ad/Claude/claude_desktop_config.json",
        ),
        (
            "claude-desktop",
            env(Os::Linux).with_var("XDG_CONFIG_HOME", "/x"),
            "/x/Claude/claude_desktop_config.json",
        ),
        ("goose", env(Os::Linux).with_var("XDG_CONFIG_HOME", "/x"), "/x/goose/config.yaml"),
        ("goose", env(Os::Windows).with_var("APPDATA", "/ad"), "/ad/Block/goose/config/config.yaml"),
        ("zed", env(Os::Linux).with_var("XDG_CONFIG_HOME", "/x"), "/x/zed/settings.json"),
        ("opencode", env(Os::MacOs).with_var("XDG_CONFIG_HOME", "/x"), "/x/opencode/opencode.json"),
        ("vscode-legacy", env(Os::Windows).with_var("APPDATA", "/ad"), "/ad/Code/User/mcp.json"),
    ] {
        assert_eq!(client(id).file(&env, Scope::User).as_deref(), Some(Path::new(expected)), "{id}");
    }
}

#[test]
fn entries_written_into_an_empty_file_have_the_documented_shape() {
    for doc in documented() {
        let client = client(doc.id);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        write_entries(client, &path, &stdio_entries(client))
            .unwrap_or_else(|err| panic!("{}: {err}", doc.id));
        let text = std::fs::read_to_string(&path).unwrap();
        let value = parse_back(client.format, &text, client.format == Format::Json);
        assert_eq!(value.pointer(doc.pointer), Some(&doc.stdio), "{}: {text}", doc.id);
        assert_eq!(
            via_lanyard(&doc.stdio),
            Some(ViaLanyard::Bridge { source: "github".into(), program: PROGRAM.into() }),
            "{}: the entry is read back as Lanyard's",
            doc.id
        );

        let http = http_entries(client);
        assert_eq!(http.is_some(), doc.http.is_some(), "{}: takes HTTP or not, as documented", doc.id);
        if let (Some(entries), Some(expected)) = (http, &doc.http) {
            let path = dir.path().join("http");
            write_entries(client, &path, &entries).unwrap_or_else(|err| panic!("{}: {err}", doc.id));
            let text = std::fs::read_to_string(&path).unwrap();
            let value = parse_back(client.format, &text, client.format == Format::Json);
            assert_eq!(value.pointer(doc.pointer), Some(expected), "{}: {text}", doc.id);
            assert!(text.contains(TOKEN_VAR), "{}: the token is a reference: {text}", doc.id);
            assert_eq!(
                via_lanyard(expected),
                Some(ViaLanyard::Hub { source: "github".into() }),
                "{}",
                doc.id
            );
        }
    }
}

#[test]
fn other_servers_and_comments_are_kept_and_undo_restores_the_file_byte_for_byte() {
    for doc in documented() {
        let client = client(doc.id);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        let before = file_with_others(client);
        std::fs::write(&path, &before).unwrap();
        let written = write_entries(client, &path, &stdio_entries(client))
            .unwrap_or_else(|err| panic!("{}: {err}", doc.id));
        assert_eq!(written.added, vec!["github".to_owned()], "{}", doc.id);
        let text = std::fs::read_to_string(&path).unwrap();
        for comment in ["settings", "keep this server"] {
            assert!(text.contains(comment), "{}: the comment {comment:?} is kept: {text}", doc.id);
        }
        let value = parse_back(client.format, &text, false);
        let other_pointer = other_pointer(doc.pointer);
        let pointer = if doc.pointer.ends_with("/0") {
            doc.pointer.replace("/0", "/1")
        } else {
            doc.pointer.to_owned()
        };
        assert_eq!(value.pointer(&pointer), Some(&doc.stdio), "{}: {text}", doc.id);
        assert!(value.pointer(&other_pointer).is_some(), "{}: the other server is kept: {text}", doc.id);

        let again = write_entries(client, &path, &stdio_entries(client)).unwrap();
        assert_eq!(
            (again.replaced, again.backup),
            (vec!["github".to_owned()], None),
            "{}: a second write changes nothing",
            doc.id
        );
        let undone = undo(&path).unwrap();
        assert!(!undone.removed, "{}", doc.id);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before, "{}: undo restores the file", doc.id);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "{}: the backup is used up", doc.id);
        assert!(matches!(undo(&path), Err(ClientFileError::NothingToUndo { .. })), "{}", doc.id);
    }
}

#[test]
fn a_broken_file_is_refused_and_left_untouched() {
    for doc in documented() {
        let client = client(doc.id);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        let text = broken(client.format);
        std::fs::write(&path, text).unwrap();
        let err = write_entries(client, &path, &stdio_entries(client)).expect_err(doc.id);
        assert!(matches!(err, ClientFileError::Refused { .. }), "{}: {err}", doc.id);
        assert!(err.to_string().contains("left it as it was"), "{}: {err}", doc.id);
        assert!(err.to_string().contains("`lanyard config` without --write"), "{}: {err}", doc.id);
        let window = err.in_window();
        assert_eq!(
            window.replace(
                "copy the snippet from the Bridge panel into it",
                "paste the snippet (`lanyard config` without --write)"
            ),
            err.to_string(),
            "{}: the same problem, with the window's way to the snippet: {window}",
            doc.id
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "{}", doc.id);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "{}: no backup", doc.id);
    }
}

#[test]
fn undo_after_creating_a_file_removes_it_and_backups_stack() {
    let client = client("cursor");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mcp.json");
    write_entries(client, &path, &stdio_entries(client)).unwrap();
    let args = vec!["bridge".to_owned(), "docs".to_owned()];
    let docs =
        vec![("docs".to_owned(), client.stdio_entry(Stdio { name: "docs", command: PROGRAM, args: &args }))];
    let first = std::fs::read(&path).unwrap();
    write_entries(client, &path, &docs).unwrap();
    undo(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), first, "the newest write is undone first");
    assert!(undo(&path).unwrap().removed);
    assert!(!path.exists(), "the file Lanyard created is gone");
}

#[test]
fn a_snippet_is_the_entries_alone_in_the_clients_format() {
    for id in ["cursor", "codex", "goose", "continue"] {
        let client = client(id);
        let text = snippet(client, &stdio_entries(client)).unwrap();
        println!("{id}:\n{text}");
        let value = parse_back(client.format, &text, true);
        assert_eq!(servers_of(client, &value).len(), 1, "{id}: {text}");
    }
}

fn servers_of(client: &Client, value: &Value) -> Vec<(String, Value)> {
    document::servers_in(value, client.place(value)).unwrap()
}

#[test]
fn undo_refuses_when_the_file_changed_after_the_write() {
    let client = client("cursor");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mcp.json");
    std::fs::write(&path, "{}\n").unwrap();
    let written = write_entries(client, &path, &stdio_entries(client)).unwrap();
    let edited = std::fs::read_to_string(&path).unwrap().replace("github", "github2");
    std::fs::write(&path, &edited).unwrap();
    let err = undo(&path).expect_err("the person's later edit would be lost");
    assert!(matches!(err, ClientFileError::ChangedSince { .. }), "{err}");
    assert!(err.to_string().contains("mcp.json.lanyard-backup"), "it names the backup: {err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), edited, "the file is left as the person made it");
    assert!(written.backup.unwrap().exists(), "the backup is kept");
}

#[cfg(unix)]
#[test]
fn a_backup_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let client = client("claude-desktop");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("claude_desktop_config.json");
    std::fs::write(&path, r#"{"mcpServers": {"x": {"command": "x", "env": {"API_KEY": "in-clear"}}}}"#)
        .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let backup = write_entries(client, &path, &stdio_entries(client)).unwrap().backup.unwrap();
    assert_eq!(std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o644,
        "the file keeps its mode"
    );
}

#[test]
fn opencode_v2_keeps_its_servers_under_mcp_servers() {
    let client = client("opencode");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("opencode.jsonc");
    std::fs::write(
        &path,
        "{\n  \"mcp\": { \"servers\": { \"other\": { \"type\": \"local\", \"command\": [\"x\"] } } }\n}\n",
    )
    .unwrap();
    write_entries(client, &path, &stdio_entries(client)).unwrap();
    let value = parse_back(Format::Jsonc, &std::fs::read_to_string(&path).unwrap(), false);
    assert_eq!(value["mcp"]["servers"]["github"]["command"][0], PROGRAM, "{value}");
    assert!(value["mcp"].get("github").is_none(), "{value}");
}

/// The app's three states (and a broken file), through the same inventory `lanyard clients` reads.
#[test]
fn a_files_standing_follows_what_it_holds_and_undo_is_offered_after_a_write() {
    let client = client("cursor");
    let home = tempfile::tempdir().unwrap();
    let env = Env::new(Os::Linux, home.path(), home.path().join("project"));
    let path = client.file(&env, Scope::User).unwrap();
    let user = |env: &Env| inspect(client, env).files.into_iter().find(|f| f.scope == Scope::User).unwrap();
    assert_eq!(user(&env).standing(), Standing::NotSetUp, "no file yet");
    assert_eq!(user(&env).undo_from, None);

    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, r#"{"mcpServers": {"mine": {"command": "my-server", "env": {"K": "v"}}}}"#)
        .unwrap();
    assert_eq!(user(&env).standing(), Standing::CouldManage { servers: 1, via_lanyard: 0 });
    let theirs = importable(client, &path).unwrap();
    assert_eq!(theirs, vec![("mine".to_owned(), json!({"command": "my-server", "env": {"K": "v"}}))]);

    let entries = vec![("github".to_owned(), client.bridge_entry(PROGRAM, "github"))];
    assert_eq!(entries, stdio_entries(client), "the bridge entry is the stdio entry running `bridge <id>`");
    let written = write_entries(client, &path, &entries).unwrap();
    let after = user(&env);
    assert_eq!(after.standing(), Standing::CouldManage { servers: 1, via_lanyard: 1 });
    assert_eq!(after.undo_from, written.backup, "undo is offered with the backup it puts back");
    assert_eq!(importable(client, &path).unwrap().len(), 1, "Lanyard's own entry is not importable");

    let mine = vec![("mine".to_owned(), client.bridge_entry(PROGRAM, "mine"))];
    write_entries(client, &path, &mine).unwrap();
    assert_eq!(user(&env).standing(), Standing::UsesLanyard { entries: 2 });

    std::fs::write(&path, "{ not json").unwrap();
    assert!(matches!(user(&env).standing(), Standing::Unreadable { .. }));
}
