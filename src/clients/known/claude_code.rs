//! Claude Code: `~/.claude.json` (in `CLAUDE_CONFIG_DIR` when set) for the user's servers,
//! `.mcp.json` at a project's root; `mcpServers` with a `type`. Headers expand `${VAR}`.

use super::prelude::*;

pub(crate) const CLIENT: Client = Client {
    id: "claude-code",
    name: "Claude Code",
    format: Format::Json,
    markers: |env| vec![env.in_home(".claude"), env.in_home(".claude.json")],
    programs: &["claude"],
    user_file: Some(|env| {
        env.dir_var("CLAUDE_CONFIG_DIR").unwrap_or_else(|| env.home.clone()).join(".claude.json")
    }),
    project_file: Some(".mcp.json"),
    place: mcp_servers,
    stdio: |stdio| json!({ "type": "stdio", "command": stdio.command, "args": stdio.args, "env": {} }),
    http: Some(
        |http| json!({ "type": "http", "url": http.url, "headers": bearer(&format!("${{{}}}", http.token_var)) }),
    ),
};
