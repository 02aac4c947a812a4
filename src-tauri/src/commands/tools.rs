//! *Test*: the tools a source offers, listed through the same path an agent uses.

use lanyard::profile::SourceId;
use tauri::State;

use super::AppEngine;
use crate::ui_error::UiError;
use crate::wire::ToolView;

#[tauri::command]
pub async fn list_tools(id: String, engine: State<'_, AppEngine>) -> Result<Vec<ToolView>, UiError> {
    let id: SourceId = id.parse()?;
    let tools = engine.get()?.list_tools(&id).await?;
    Ok(tools.iter().map(|tool| ToolView::new(&tool.name, tool.description.as_deref())).collect())
}
