//! Antigravity: `~/.gemini/antigravity/mcp_config.json`, `mcpServers`; an HTTP entry names
//! its address `serverUrl`. It expands no variables, so it gets the stdio bridge.

use super::prelude::*;

pub(crate) const CLIENT: Client = Client {
    id: "antigravity",
    name: "Antigravity",
    format: Format::Json,
    markers: |env| vec![env.in_home(".gemini/antigravity")],
    programs: &["antigravity"],
    user_file: Some(|env| env.in_home(".gemini/antigravity/mcp_config.json")),
    project_file: None,
    place: mcp_servers,
    stdio: command_and_args,
    http: None,
};
