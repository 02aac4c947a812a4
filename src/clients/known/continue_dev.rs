//! Continue: `~/.continue/config.yaml`; `mcpServers` is a list whose items carry their
//! `name`. An HTTP entry is `streamable-http` with its headers under `requestOptions`, and
//! `${{ secrets.NAME }}` keeps the token out of the file.

use super::prelude::*;

pub(crate) const CLIENT: Client = Client {
    id: "continue",
    name: "Continue",
    format: Format::Yaml,
    markers: |env| vec![env.in_home(".continue")],
    programs: &["cn"],
    user_file: Some(|env| env.in_home(".continue/config.yaml")),
    project_file: None,
    place: |_| Place::List("mcpServers"),
    stdio: |stdio| json!({ "name": stdio.name, "command": stdio.command, "args": stdio.args }),
    http: Some(|http| {
        json!({
            "name": http.name,
            "type": "streamable-http",
            "url": http.url,
            "requestOptions": { "headers": bearer(&format!("${{{{ secrets.{} }}}}", http.token_var)) },
        })
    }),
};
