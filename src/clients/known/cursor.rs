//! Cursor: `~/.cursor/mcp.json` globally, `.cursor/mcp.json` in a project; `mcpServers`.
//! An HTTP entry is just `url`; headers expand `${env:VAR}`.

use super::prelude::*;

pub(crate) const CLIENT: Client = Client {
    id: "cursor",
    name: "Cursor",
    format: Format::Json,
    markers: |env| vec![env.in_home(".cursor")],
    programs: &["cursor"],
    user_file: Some(|env| env.in_home(".cursor/mcp.json")),
    project_file: Some(".cursor/mcp.json"),
    place: mcp_servers,
    stdio: command_and_args,
    http: Some(|http| json!({ "url": http.url, "headers": bearer(&format!("${{env:{}}}", http.token_var)) })),
};
