//! The Cline CLI: `~/.cline/data/settings/cline_mcp_settings.json`, as the extension's.

use super::prelude::*;

pub(crate) const CLIENT: Client = Client {
    id: "cline-cli",
    name: "Cline CLI",
    format: Format::Json,
    markers: |env| vec![env.in_home(".cline")],
    programs: &["cline"],
    user_file: Some(|env| env.in_home(".cline/data/settings/cline_mcp_settings.json")),
    project_file: None,
    place: mcp_servers,
    stdio: super::cline::cline_stdio,
    http: None,
};
