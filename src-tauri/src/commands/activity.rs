//! A source's activity log (`lanyard logs <id>`) for the detail view: the newest entries, read
//! from the engine's per-source file, which every Lanyard process appends to.

use lanyard::ids::SourceId;
use tauri::State;

use super::AppEngine;
use crate::ui_error::UiError;
use crate::wire::LogEntryView;

/// How many entries the detail view shows.
const SHOWN: usize = 50;

/// The last entries of a source's log, newest first.
#[tauri::command]
pub fn source_activity(id: String, engine: State<'_, AppEngine>) -> Result<Vec<LogEntryView>, UiError> {
    let id: SourceId = id.parse()?;
    let entries = engine.history().read(&id, SHOWN);
    Ok(entries.into_iter().rev().map(LogEntryView::from).collect())
}
