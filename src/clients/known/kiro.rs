//! Kiro: `~/.kiro/settings/mcp.json`, `.kiro/settings/mcp.json` in a project;
//! `mcpServers`. Headers expand `${VAR}`.

use super::prelude::*;

pub(crate) const CLIENT: Client = Client {
    id: "kiro",
    name: "Kiro",
    format: Format::Json,
    markers: |env| vec![env.in_home(".kiro")],
    programs: &["kiro"],
    user_file: Some(|env| env.in_home(".kiro/settings/mcp.json")),
    project_file: Some(".kiro/settings/mcp.json"),
    place: mcp_servers,
    stdio: command_and_args,
    http: Some(|http| json!({ "url": http.url, "headers": bearer(&format!("${{{}}}", http.token_var)) })),
};
