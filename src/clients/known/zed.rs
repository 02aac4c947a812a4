//! Zed: `settings.json` (JSONC) in `~/.config/zed` on Linux and macOS, `%APPDATA%\\Zed` on
//! Windows, `.zed/settings.json` in a project; `context_servers`. Its settings expand no
//! variables, so it gets the stdio bridge.

use super::prelude::*;

pub(crate) const CLIENT: Client = Client {
    id: "zed",
    name: "Zed",
    format: Format::Jsonc,
    markers: |env| vec![zed_dir(env)],
    programs: &["zed", "zeditor"],
    user_file: Some(|env| zed_dir(env).join("settings.json")),
    project_file: Some(".zed/settings.json"),
    place: |_| Place::Map(&["context_servers"]),
    stdio: |stdio| json!({ "source": "custom", "command": stdio.command, "args": stdio.args, "env": {} }),
    http: None,
};

fn zed_dir(env: &Env) -> PathBuf {
    match env.os {
        Os::Windows => env.appdata().join("Zed"),
        Os::Linux | Os::MacOs => env.xdg_config_dir().join("zed"),
    }
}
