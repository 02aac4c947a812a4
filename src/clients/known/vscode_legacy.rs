//! VS Code's earlier format, still read: the user's `Code/User/mcp.json` in the application
//! settings folder and a workspace's `.vscode/mcp.json`; `servers` with a `type`. The file is
//! JSONC; headers expand `${env:VAR}` (and `${input:...}` prompts).

use super::prelude::*;

pub(crate) const CLIENT: Client = Client {
    id: "vscode-legacy",
    name: "VS Code (mcp.json)",
    format: Format::Jsonc,
    markers: |env| vec![env.app_config_dir().join("Code")],
    programs: &["code"],
    user_file: Some(|env| env.app_config_dir().join("Code").join("User").join("mcp.json")),
    project_file: Some(".vscode/mcp.json"),
    place: |_| Place::Map(&["servers"]),
    stdio: vscode_stdio,
    http: Some(vscode_http),
};

pub(super) fn vscode_stdio(stdio: Stdio) -> Value {
    json!({ "type": "stdio", "command": stdio.command, "args": stdio.args })
}

pub(super) fn vscode_http(http: Http) -> Value {
    json!({ "type": "http", "url": http.url, "headers": bearer(&format!("${{env:{}}}", http.token_var)) })
}
