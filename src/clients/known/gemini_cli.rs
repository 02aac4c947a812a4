//! Gemini CLI: `~/.gemini/settings.json`, `.gemini/settings.json` in a project;
//! `mcpServers`. A streamable HTTP entry names its address `httpUrl` (`url` is SSE), and
//! settings expand `${VAR}`.

use super::prelude::*;

pub(crate) const CLIENT: Client = Client {
    id: "gemini-cli",
    name: "Gemini CLI",
    format: Format::Json,
    markers: |env| vec![env.in_home(".gemini/settings.json")],
    programs: &["gemini"],
    user_file: Some(|env| env.in_home(".gemini/settings.json")),
    project_file: Some(".gemini/settings.json"),
    place: mcp_servers,
    stdio: command_and_args,
    http: Some(|http| json!({ "httpUrl": http.url, "headers": bearer(&format!("${{{}}}", http.token_var)) })),
};
