//! Sources: list with status, add, enable/disable, remove.

use lanyard::profile::SourceId;
use tauri::State;

use super::AppEngine;
use crate::ui_error::UiError;
use crate::wire::{NewSource, SourceView};

#[tauri::command]
pub async fn list_sources(engine: State<'_, AppEngine>) -> Result<Vec<SourceView>, UiError> {
    let rows = engine.get()?.status(None).await?;
    Ok(rows.into_iter().map(SourceView::from).collect())
}

/// Adds a source. Secret header and env values go straight to the vault through the engine;
/// they are never echoed back.
#[tauri::command]
pub async fn add_source(source: NewSource, engine: State<'_, AppEngine>) -> Result<(), UiError> {
    let (profile, secrets) = source.into_profile()?;
    Ok(engine.get()?.add_profile(profile, secrets).await?)
}

#[tauri::command]
pub async fn set_enabled(id: String, enabled: bool, engine: State<'_, AppEngine>) -> Result<(), UiError> {
    let id: SourceId = id.parse()?;
    engine.get()?.edit_profile(&id, Vec::new(), |profile| profile.enabled = enabled).await?;
    Ok(())
}

#[tauri::command]
pub async fn remove_source(id: String, engine: State<'_, AppEngine>) -> Result<(), UiError> {
    let id: SourceId = id.parse()?;
    engine.get()?.remove_profile(&id).await?;
    Ok(())
}
