//! Builds the Tauri context. The app manifest names every command, so that a command is callable
//! from the web view only when a capability in `capabilities/` allows it by name.
//!
//! The window embeds `ui/dist`, which `scripts/app-build.sh` (or `npm run build` in `ui/`) makes.
//! So that `cargo build --workspace` still works in a checkout where nobody built the front end,
//! a missing `ui/dist` gets a one-page placeholder that says how to build it.

use std::path::Path;

const PLACEHOLDER: &str = r#"<!doctype html><html lang="en"><meta charset="utf-8"><title>Lanyard</title>
<body data-testid="ui-not-built"><p>The front end was not built. Run <code>scripts/app-build.sh</code>
(or <code>npm run build</code> in <code>ui/</code>), then build the app again.</p></body></html>
"#;

fn main() {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist");
    if !dist.join("index.html").exists() {
        std::fs::create_dir_all(&dist).expect("create ui/dist");
        std::fs::write(dist.join("index.html"), PLACEHOLDER).expect("write the ui/dist placeholder");
    }
    let commands = tauri_build::AppManifest::new().commands(&[
        "list_sources",
        "add_source",
        "check_source",
        "source_settings",
        "edit_source",
        "set_enabled",
        "remove_source",
        "list_tools",
        "call_tool",
        "answer_elicitation",
        "open_elicitation_url",
        "source_activity",
        "tool_choices",
        "set_tool_choices",
        "approve_tool_changes",
        "import_config",
        "sign_in",
        "disconnect",
        "cancel_sign_in",
        "agents_board",
        "change_agent",
        "hub_status",
        "hub_agents",
        "reveal_bridge_token",
        "ide_config",
        "write_ide_config",
        "list_clients",
        "set_up_client",
        "import_client",
        "undo_client",
        "set_health",
        "start_at_login",
        "set_start_at_login",
        "notify_sign_in_needed",
        "catalog",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(commands))
        .expect("tauri-build failed (tauri.conf.json, capabilities/ or icons/)");
}
