//! LM Studio: `~/.lmstudio/mcp.json`, `mcpServers`. It expands no variables, so it gets the
//! stdio bridge.

use super::prelude::*;

pub(crate) const CLIENT: Client = Client {
    id: "lm-studio",
    name: "LM Studio",
    format: Format::Json,
    markers: |env| vec![env.in_home(".lmstudio")],
    programs: &["lms"],
    user_file: Some(|env| env.in_home(".lmstudio/mcp.json")),
    project_file: None,
    place: mcp_servers,
    stdio: command_and_args,
    http: None,
};
