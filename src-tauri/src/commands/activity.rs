//! A source's activity log (`lanyard logs <id>`) for the detail view: the newest entries, read
//! from the engine's per-source file, which every Lanyard process appends to.

use lanyard::activity_log;
use lanyard::ids::SourceId;

use crate::ui_error::UiError;
use crate::wire::LogEntryView;

/// How many entries the detail view shows.
const SHOWN: usize = 50;

/// The last entries of a source's log, newest first.
#[tauri::command]
pub fn source_activity(id: String) -> Result<Vec<LogEntryView>, UiError> {
    let id: SourceId = id.parse()?;
    let entries = activity_log::read(&activity_log::default_dir(), &id, SHOWN);
    Ok(entries.into_iter().rev().map(LogEntryView::from).collect())
}
