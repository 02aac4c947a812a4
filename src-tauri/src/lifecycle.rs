//! How the app lives on the desktop: one instance at a time, a closed window that keeps the hub
//! running in the tray until *Quit*, and starting at login when the person asks for it.
//!
//! One instance, because two would fight over the hub's port and each refresh tokens on its own;
//! starting the app again shows and focuses the window that runs. Closing the window only hides
//! it while there is a tray to bring it back and quit from; on a desktop without one, closing
//! quits as before, so the app can always be ended.

use tauri::{AppHandle, Manager, Window, WindowEvent};

use crate::tray::AppTray;

/// The label of the app's one window (`tauri.conf.json`).
pub const MAIN_WINDOW: &str = "main";

/// Shows, unminimizes and focuses the main window: for a second start and the tray's *Show*.
pub fn show_main(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

/// A close of the main window hides it while a tray can bring it back; the hub runs on.
pub fn on_window_event(window: &Window, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event
        && keeps_running_when_closed(
            window.label(),
            window.app_handle().try_state::<AppTray>().is_some_and(|t| t.is_present()),
        )
    {
        api.prevent_close();
        if let Err(err) = window.hide() {
            tracing::warn!(%err, "could not hide the window");
        }
        tracing::info!("window closed; the hub keeps running in the tray until Quit");
    }
}

/// Whether closing the window `label` leaves the app running.
fn keeps_running_when_closed(label: &str, tray: bool) -> bool {
    label == MAIN_WINDOW && tray
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_hides_only_the_main_window_and_only_with_a_tray() {
        assert!(keeps_running_when_closed(MAIN_WINDOW, true), "with a tray the hub keeps running");
        assert!(
            !keeps_running_when_closed(MAIN_WINDOW, false),
            "without a tray closing must quit, or nothing could"
        );
        assert!(!keeps_running_when_closed("other", true), "only the main window's close is kept");
    }
}
