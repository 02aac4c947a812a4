//! Windsurf: `~/.codeium/windsurf/mcp_config.json`, `mcpServers`; an HTTP entry names its
//! address `serverUrl`, and headers expand `${env:VAR}`.

use super::prelude::*;

pub(crate) const CLIENT: Client = Client {
    id: "windsurf",
    name: "Windsurf",
    format: Format::Json,
    markers: |env| vec![env.in_home(".codeium/windsurf")],
    programs: &["windsurf"],
    user_file: Some(|env| env.in_home(".codeium/windsurf/mcp_config.json")),
    project_file: None,
    place: mcp_servers,
    stdio: command_and_args,
    http: Some(
        |http| json!({ "serverUrl": http.url, "headers": bearer(&format!("${{env:{}}}", http.token_var)) }),
    ),
};
