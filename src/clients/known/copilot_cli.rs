//! GitHub Copilot CLI: `~/.copilot/mcp-config.json` (in `COPILOT_HOME` when set), the file
//! VS Code's portable format shares, and a project's `.mcp.json`.

use super::prelude::*;

pub(crate) const CLIENT: Client = Client {
    id: "copilot-cli",
    name: "GitHub Copilot CLI",
    format: Format::Json,
    markers: |env| vec![env.dir_var("COPILOT_HOME").unwrap_or_else(|| env.in_home(".copilot"))],
    programs: &["copilot"],
    user_file: Some(super::vscode::copilot_config),
    project_file: Some(".mcp.json"),
    place: mcp_servers,
    stdio: super::vscode::copilot_stdio,
    http: Some(super::vscode::copilot_http),
};
