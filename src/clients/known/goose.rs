//! Goose: `config.yaml` in `~/.config/goose` (`XDG_CONFIG_HOME` honoured), in
//! `%APPDATA%\\Block\\goose\\config` on Windows; `extensions`, each with its `name`, a
//! `type`, the program in `cmd` (an HTTP one's address in `uri`). It gets the stdio bridge:
//! its headers expand no variables.

use super::prelude::*;

pub(crate) const CLIENT: Client = Client {
    id: "goose",
    name: "Goose",
    format: Format::Yaml,
    markers: |env| vec![goose_dir(env)],
    programs: &["goose"],
    user_file: Some(|env| goose_dir(env).join("config.yaml")),
    project_file: None,
    place: |_| Place::Map(&["extensions"]),
    stdio: |stdio| {
        json!({
            "name": stdio.name,
            "type": "stdio",
            "cmd": stdio.command,
            "args": stdio.args,
            "enabled": true,
            "envs": {},
            "timeout": 300,
        })
    },
    http: None,
};

fn goose_dir(env: &Env) -> PathBuf {
    match env.os {
        Os::Windows => env.appdata().join("Block").join("goose").join("config"),
        Os::Linux | Os::MacOs => env.xdg_config_dir().join("goose"),
    }
}
