//! OpenCode: `opencode.json` or `opencode.jsonc` in `~/.config/opencode` (`XDG_CONFIG_HOME`
//! honoured, on every OS), `opencode.json` at a project's root. Its first format keeps servers
//! in `mcp`, its second in `mcp.servers`; the file's own shape says which. A stdio entry is
//! `local` with the program and its arguments in one `command` list; headers expand
//! `{env:VAR}`.

use super::prelude::*;

pub(crate) const CLIENT: Client = Client {
    id: "opencode",
    name: "OpenCode",
    format: Format::Jsonc,
    markers: |env| vec![env.xdg_config_dir().join("opencode")],
    programs: &["opencode"],
    user_file: Some(|env| {
        let dir = env.xdg_config_dir().join("opencode");
        let jsonc = dir.join("opencode.jsonc");
        if jsonc.exists() { jsonc } else { dir.join("opencode.json") }
    }),
    project_file: Some("opencode.json"),
    place: |root| {
        let v2 = root.get("mcp").and_then(|mcp| mcp.get("servers")).is_some_and(Value::is_object);
        if v2 { Place::Map(&["mcp", "servers"]) } else { Place::Map(&["mcp"]) }
    },
    stdio: |stdio| {
        let command: Vec<&str> =
            std::iter::once(stdio.command).chain(stdio.args.iter().map(String::as_str)).collect();
        json!({ "type": "local", "command": command, "enabled": true })
    },
    http: Some(|http| {
        json!({
            "type": "remote",
            "url": http.url,
            "headers": bearer(&format!("{{env:{}}}", http.token_var)),
            "enabled": true,
        })
    }),
};
