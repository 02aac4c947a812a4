//! Codex: `config.toml` in `CODEX_HOME` (default `~/.codex`), `.codex/config.toml` in a
//! trusted project; one `[mcp_servers.<id>]` table each. An HTTP entry names the variable
//! holding its bearer token in `bearer_token_env_var`.

use super::prelude::*;

pub(crate) const CLIENT: Client = Client {
    id: "codex",
    name: "Codex",
    format: Format::Toml,
    markers: |env| vec![codex_home(env)],
    programs: &["codex"],
    user_file: Some(|env| codex_home(env).join("config.toml")),
    project_file: Some(".codex/config.toml"),
    place: |_| Place::Map(&["mcp_servers"]),
    stdio: command_and_args,
    http: Some(|http| json!({ "url": http.url, "bearer_token_env_var": http.token_var })),
};

fn codex_home(env: &Env) -> PathBuf {
    env.dir_var("CODEX_HOME").unwrap_or_else(|| env.in_home(".codex"))
}
