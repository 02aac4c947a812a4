//! VS Code Insiders: as [`super::vscode_legacy`], in `Code - Insiders`.

use super::prelude::*;

pub(crate) const CLIENT: Client = Client {
    id: "vscode-insiders",
    name: "VS Code Insiders",
    format: Format::Jsonc,
    markers: |env| vec![env.app_config_dir().join("Code - Insiders")],
    programs: &["code-insiders"],
    user_file: Some(|env| env.app_config_dir().join("Code - Insiders").join("User").join("mcp.json")),
    project_file: Some(".vscode/mcp.json"),
    place: |_| Place::Map(&["servers"]),
    stdio: super::vscode_legacy::vscode_stdio,
    http: Some(super::vscode_legacy::vscode_http),
};
