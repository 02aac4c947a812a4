//! VS Code with Copilot, in its portable format (the default now): the user's servers in
//! `~/.copilot/mcp-config.json` (in `COPILOT_HOME` when set), shared with the Copilot CLI, and
//! a project's in `.mcp.json`; `mcpServers`, each with a `type` and the `tools` it may call.
//! Headers expand `${VAR}`.

use super::prelude::*;

pub(crate) const CLIENT: Client = Client {
    id: "vscode",
    name: "VS Code",
    format: Format::Json,
    markers: |env| vec![env.app_config_dir().join("Code")],
    programs: &["code"],
    user_file: Some(copilot_config),
    project_file: Some(".mcp.json"),
    place: mcp_servers,
    stdio: copilot_stdio,
    http: Some(copilot_http),
};

/// `$COPILOT_HOME/mcp-config.json`, or `~/.copilot/mcp-config.json`.
pub(super) fn copilot_config(env: &Env) -> PathBuf {
    env.dir_var("COPILOT_HOME").unwrap_or_else(|| env.in_home(".copilot")).join("mcp-config.json")
}

pub(super) fn copilot_stdio(stdio: Stdio) -> Value {
    json!({ "type": "stdio", "command": stdio.command, "args": stdio.args, "tools": ["*"] })
}

pub(super) fn copilot_http(http: Http) -> Value {
    json!({
        "type": "http",
        "url": http.url,
        "headers": bearer(&format!("${{{}}}", http.token_var)),
        "tools": ["*"],
    })
}
