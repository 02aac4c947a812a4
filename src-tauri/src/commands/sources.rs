//! Sources: list with status, add, check the form, read for editing and edit, enable/disable,
//! remove.

use lanyard::ids::SourceId;
use lanyard::profile::{FieldProblem, Form, SourceSettings};
use tauri::State;

use super::AppEngine;
use crate::hub::Hub;
use crate::ui_error::UiError;
use crate::wire::SourceView;

#[tauri::command]
pub async fn list_sources(engine: State<'_, AppEngine>) -> Result<Vec<SourceView>, UiError> {
    let rows = engine.get()?.status(None).await?;
    Ok(rows.into_iter().map(SourceView::from).collect())
}

/// Adds a source. Secret header and env values go straight to the vault through the engine;
/// they are never echoed back.
#[tauri::command]
pub async fn add_source(source: Form, engine: State<'_, AppEngine>) -> Result<(), UiError> {
    let (profile, secrets) = source.into_new()?;
    Ok(engine.get()?.add_profile(profile, secrets).await?)
}

/// The form's problems field by field, in the engine's words, as the person types: what saving
/// it would refuse (editing: as an edit of the saved source); none when it saves.
#[tauri::command]
pub async fn check_source(
    source: Form,
    editing: bool,
    engine: State<'_, AppEngine>,
) -> Result<Vec<FieldProblem>, UiError> {
    Ok(engine.get()?.form_problems(&source, editing)?)
}

/// A saved source's settings for the edit form: secrets only as "set" / "not set".
#[tauri::command]
pub async fn source_settings(id: String, engine: State<'_, AppEngine>) -> Result<SourceSettings, UiError> {
    let id: SourceId = id.parse()?;
    let engine = engine.get()?;
    let profile = engine.profile(&id)?;
    let stored = engine.stored_secrets(&profile).await?;
    Ok(SourceSettings::new(&profile, &stored))
}

/// Saves the edit form. New secret values go straight to the vault; a blank one keeps the stored
/// secret, and secrets the profile no longer refers to are removed by the engine.
#[tauri::command]
pub async fn edit_source(
    source: Form,
    engine: State<'_, AppEngine>,
    hub: State<'_, Hub>,
) -> Result<(), UiError> {
    let id: SourceId = source.id.trim().parse()?;
    let engine = engine.get()?;
    let (profile, secrets) = source.into_edit(&engine.profile(&id)?)?;
    engine.edit_profile(&id, secrets, |saved| *saved = profile).await?;
    hub.source_changed(&id).await;
    Ok(())
}

#[tauri::command]
pub async fn set_enabled(
    id: String,
    enabled: bool,
    engine: State<'_, AppEngine>,
    hub: State<'_, Hub>,
) -> Result<(), UiError> {
    let id: SourceId = id.parse()?;
    engine.get()?.edit_profile(&id, Vec::new(), |profile| profile.enabled = enabled).await?;
    hub.source_changed(&id).await;
    Ok(())
}

#[tauri::command]
pub async fn remove_source(
    id: String,
    engine: State<'_, AppEngine>,
    hub: State<'_, Hub>,
) -> Result<String, UiError> {
    let id: SourceId = id.parse()?;
    let removed = engine.get()?.remove_profile(&id).await?;
    hub.source_changed(&id).await;
    Ok(removed.said())
}
