//! The Agents view: the engine's board of agents and its changes, one engine call each.

use lanyard::agents::{AgentChange, AgentsBoard};
use tauri::State;

use super::AppEngine;
use crate::ui_error::UiError;

/// Every agent with its rights, and its use since `since_ms` (the window's midnight).
#[tauri::command]
pub fn agents_board(since_ms: u64, engine: State<'_, AppEngine>) -> Result<AgentsBoard, UiError> {
    Ok(engine.get()?.agents_board(since_ms)?)
}

/// Add, edit, rotate, remove or split; no key comes back, only the engine's words for the change.
#[tauri::command]
pub async fn change_agent(
    change: AgentChange,
    engine: State<'_, AppEngine>,
) -> Result<Option<String>, UiError> {
    Ok(engine.get()?.change_agent(change).await?)
}
