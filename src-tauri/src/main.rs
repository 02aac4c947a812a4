//! Lanyard's desktop app: wiring only. The engine is opened once and handed to the commands as
//! Tauri state; every command lives in `commands/` and makes one engine call. The app also hosts
//! the hub (`hub.rs`: the engine's HTTP bridge, with its own engine on the same folders) from
//! start to quit, and the tray icon with the sources' health (`tray.rs`); one instance runs at a
//! time, and closing the window keeps it (and the hub) running in the tray (`lifecycle.rs`).
//! Nothing here reads the keychain, the network or the profile file itself: that is the engine's
//! job.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod events;
mod hub;
mod lifecycle;
mod tray;
mod ui_error;
mod wire;

use commands::AppEngine;
use hub::Hub;
use lanyard::paths::Dirs;
use tauri::Manager;

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                // Lanyard's own targets only: a dependency's log (rmcp's worker errors, ...)
                // shows only when RUST_LOG asks for it.
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off,lanyard=info,lanyard_app=info")),
        )
        .with_writer(std::io::stderr)
        .init();

    let dirs = Dirs::from_env();
    let app = tauri::Builder::default()
        // First, so that a second start hands over to the running app before anything else runs.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| lifecycle::show_main(app)))
        .plugin(tauri_plugin_autostart::Builder::new().app_name("Lanyard").build())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_deep_link::init())
        .on_window_event(lifecycle::on_window_event)
        .manage(AppEngine::open_in(dirs.clone()))
        .setup(|app| {
            app.manage(hub::start(app.handle().clone(), dirs));
            app.manage(commands::tools::Person::in_window(app.handle().clone()));
            app.manage(tray::AppTray::build(app.handle()));
            quit_on_terminate(app.handle().clone());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::sources::list_sources,
            commands::sources::add_source,
            commands::sources::check_source,
            commands::sources::source_settings,
            commands::sources::edit_source,
            commands::sources::set_enabled,
            commands::sources::remove_source,
            commands::tools::list_tools,
            commands::tools::call_tool,
            commands::tools::answer_elicitation,
            commands::tools::open_elicitation_url,
            commands::activity::source_activity,
            commands::tools::tool_choices,
            commands::tools::set_tool_choices,
            commands::tools::approve_tool_changes,
            commands::import::import_config,
            commands::sign_in::sign_in,
            commands::sign_in::disconnect,
            commands::sign_in::cancel_sign_in,
            commands::agents::agents_board,
            commands::agents::change_agent,
            commands::bridge::hub_status,
            commands::bridge::hub_agents,
            commands::bridge::reveal_bridge_token,
            commands::bridge::ide_config,
            commands::bridge::write_ide_config,
            commands::clients::list_clients,
            commands::clients::set_up_client,
            commands::clients::import_client,
            commands::clients::undo_client,
            commands::health::set_health,
            commands::desktop::start_at_login,
            commands::desktop::set_start_at_login,
            commands::desktop::notify_sign_in_needed,
            commands::catalog::catalog,
        ])
        .build(tauri::generate_context!())
        .expect("the Lanyard window could not start");
    app.run(|app, event| {
        if let tauri::RunEvent::Exit = event {
            // Agents' bridges must not find a hub that is going away: stop it and take its
            // announcement back before the process ends.
            if let Some(running) = app.try_state::<Hub>() {
                hub::stop(&running);
            }
        }
    });
}

/// SIGTERM (a session logging out, `kill`) quits the app the way closing its window does, so the
/// hub is stopped and its announcement taken back on that path too.
fn quit_on_terminate(app: tauri::AppHandle) {
    #[cfg(unix)]
    tauri::async_runtime::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                if terminate.recv().await.is_some() {
                    app.exit(0);
                }
            }
            Err(err) => tracing::debug!(%err, "cannot watch for SIGTERM"),
        }
    });
    #[cfg(not(unix))]
    drop(app);
}
