//! *Test*: the tools a source offers, listed through the same path an agent uses; and the tool
//! editor: every upstream tool with its place in the source's filter, and saving the person's
//! choices into the profile (the engine validates them before it writes).

use lanyard::filter::ToolChoice;
use lanyard::ids::SourceId;
use tauri::State;

use super::AppEngine;
use crate::hub::Hub;
use crate::ui_error::UiError;
use crate::wire::{ToolChoiceInput, ToolChoiceView, ToolView};

#[tauri::command]
pub async fn list_tools(id: String, engine: State<'_, AppEngine>) -> Result<Vec<ToolView>, UiError> {
    let id: SourceId = id.parse()?;
    let tools = engine.get()?.list_tools(&id).await?;
    Ok(tools.iter().map(|tool| ToolView::new(&tool.name, tool.description.as_deref())).collect())
}

/// The source's tools before its filter, each with what the filter does with it.
#[tauri::command]
pub async fn tool_choices(id: String, engine: State<'_, AppEngine>) -> Result<Vec<ToolChoiceView>, UiError> {
    let id: SourceId = id.parse()?;
    let listed = engine.get()?.tool_choices(&id).await?;
    Ok(listed
        .into_iter()
        .map(|(tool, choice)| ToolChoiceView::new(tool.description.as_deref(), choice))
        .collect())
}

#[tauri::command]
pub async fn set_tool_choices(
    id: String,
    choices: Vec<ToolChoiceInput>,
    engine: State<'_, AppEngine>,
    hub: State<'_, Hub>,
) -> Result<(), UiError> {
    let id: SourceId = id.parse()?;
    let choices: Vec<ToolChoice> = choices.into_iter().map(ToolChoice::from).collect();
    engine.get()?.set_tool_choices(&id, &choices).await?;
    // Agents' next sessions through the hub get the new filter.
    hub.source_changed(&id).await;
    Ok(())
}
