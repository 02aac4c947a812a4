//! The app's place on the desktop: *Start at login* (off until the person turns it on) and the
//! notification that a source needs a new sign-in. Both are the desktop's business, not the
//! engine's: a login item and a notification, through the Tauri plugins that make them.

use tauri::AppHandle;
use tauri_plugin_autostart::ManagerExt as _;
use tauri_plugin_notification::NotificationExt as _;

use crate::ui_error::{UiError, UiErrorKind};

/// Whether the app starts at login.
#[tauri::command]
pub fn start_at_login(app: AppHandle) -> Result<bool, UiError> {
    app.autolaunch().is_enabled().map_err(login_item_error)
}

/// Turns starting at login on or off; answers the setting as it now is.
#[tauri::command]
pub fn set_start_at_login(enabled: bool, app: AppHandle) -> Result<bool, UiError> {
    let launcher = app.autolaunch();
    if enabled { launcher.enable() } else { launcher.disable() }.map_err(login_item_error)?;
    launcher.is_enabled().map_err(login_item_error)
}

fn login_item_error(err: tauri_plugin_autostart::Error) -> UiError {
    UiError::new(UiErrorKind::Other, format!("could not change the login item: {err}"))
}

/// Tells the person, outside the window, that these sources need a new sign-in. The window
/// decides when (once per source, as it turns to needing one); a desktop without a notification
/// service just does not show it.
#[tauri::command]
pub fn notify_sign_in_needed(names: Vec<String>, app: AppHandle) {
    if names.is_empty() {
        return;
    }
    let shown = app.notification().builder().title("Lanyard").body(sign_in_needed_text(&names)).show();
    if let Err(err) = shown {
        tracing::debug!(%err, "no desktop notification");
    }
}

fn sign_in_needed_text(names: &[String]) -> String {
    match names {
        [one] => format!("{one} needs you to sign in again. Open Lanyard and click Reconnect."),
        many => format!("{} need you to sign in again. Open Lanyard and click Reconnect.", many.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notification_names_the_sources_and_the_fix() {
        assert_eq!(
            sign_in_needed_text(&["GitHub".into()]),
            "GitHub needs you to sign in again. Open Lanyard and click Reconnect."
        );
        assert!(sign_in_needed_text(&["A".into(), "B".into()]).starts_with("A, B need"), "several at once");
    }
}
