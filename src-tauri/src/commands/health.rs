//! The tray's health line: the window tells it the sources' overall health after each status
//! read. No engine call: the window already holds the status.

use tauri::State;

use crate::tray::AppTray;
use crate::wire::HealthView;

#[tauri::command]
pub fn set_health(health: HealthView, tray: State<'_, AppTray>) {
    tray.show(health);
}
