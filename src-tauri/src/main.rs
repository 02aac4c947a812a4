//! Lanyard's desktop app: wiring only. The engine is opened once and handed to the commands as
//! Tauri state; every command lives in `commands/` and makes one engine call. Nothing here reads
//! the keychain, the network or the profile file itself: that is the engine's job.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod events;
mod ui_error;
mod wire;

use commands::AppEngine;

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,lanyard=info")),
        )
        .with_writer(std::io::stderr)
        .init();

    tauri::Builder::default()
        .manage(AppEngine::open())
        .invoke_handler(tauri::generate_handler![
            commands::sources::list_sources,
            commands::sources::add_source,
            commands::sources::set_enabled,
            commands::sources::remove_source,
            commands::tools::list_tools,
            commands::import::import_config,
            commands::sign_in::sign_in,
            commands::sign_in::disconnect,
        ])
        .run(tauri::generate_context!())
        .expect("the Lanyard window could not start");
}
