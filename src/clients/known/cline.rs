//! Cline, the VS Code extension: `cline_mcp_settings.json` in the extension's storage under
//! VS Code's user folder; `mcpServers`. Its settings expand no variables, so it gets the stdio
//! bridge.

use super::prelude::*;

pub(crate) const CLIENT: Client = Client {
    id: "cline",
    name: "Cline",
    format: Format::Json,
    markers: |env| vec![storage(env)],
    programs: &[],
    user_file: Some(|env| storage(env).join("settings").join("cline_mcp_settings.json")),
    project_file: None,
    place: mcp_servers,
    stdio: cline_stdio,
    http: None,
};

fn storage(env: &Env) -> PathBuf {
    env.app_config_dir().join("Code").join("User").join("globalStorage").join("saoudrizwan.claude-dev")
}

pub(super) fn cline_stdio(stdio: Stdio) -> Value {
    json!({ "command": stdio.command, "args": stdio.args, "disabled": false })
}
