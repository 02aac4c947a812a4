//! Import from another MCP client's config file (Claude Desktop, Cursor, VS Code).

use std::path::PathBuf;

use tauri::State;

use super::AppEngine;
use crate::ui_error::UiError;
use crate::wire::ImportView;

#[tauri::command]
pub async fn import_config(path: String, engine: State<'_, AppEngine>) -> Result<ImportView, UiError> {
    let outcome = engine.get()?.import_config(&PathBuf::from(path)).await?;
    Ok(outcome.into())
}
