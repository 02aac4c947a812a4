//! Claude Desktop: `claude_desktop_config.json` in the OS's application settings folder,
//! `mcpServers`. Its file takes stdio servers only (remote servers are added in the app), so it
//! always gets the stdio bridge.

use super::prelude::*;

pub(crate) const CLIENT: Client = Client {
    id: "claude-desktop",
    name: "Claude Desktop",
    format: Format::Json,
    markers: |env| vec![env.app_config_dir().join("Claude")],
    programs: &[],
    user_file: Some(|env| env.app_config_dir().join("Claude").join("claude_desktop_config.json")),
    project_file: None,
    place: mcp_servers,
    stdio: command_and_args,
    http: None,
};
