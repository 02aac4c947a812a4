//! Import from another MCP client's config file (Claude Desktop, Cursor, VS Code).

use std::path::PathBuf;

use lanyard::engine::ImportOutcome;
use tauri::State;

use super::AppEngine;
use crate::ui_error::UiError;

#[tauri::command]
pub async fn import_config(path: String, engine: State<'_, AppEngine>) -> Result<ImportOutcome, UiError> {
    Ok(engine.get()?.import_config(&PathBuf::from(path)).await?)
}
