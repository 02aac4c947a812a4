//! A source's activity log (`lanyard logs <id>`) for the detail view: the newest entries, read
//! from the engine's per-source file, which every Lanyard process appends to, and the agents'
//! calls on the source from the call log.

use lanyard::agents::CallFilter;
use lanyard::ids::SourceId;
use tauri::State;

use super::AppEngine;
use crate::ui_error::UiError;
use crate::wire::LogEntryView;

/// How many entries the detail view shows.
const SHOWN: usize = 50;

/// The last entries of a source's log with the agents' calls on it (when the engine opened: the
/// call log is its), newest first.
#[tauri::command]
pub fn source_activity(id: String, engine: State<'_, AppEngine>) -> Result<Vec<LogEntryView>, UiError> {
    let id: SourceId = id.parse()?;
    let entries = engine.history().read(&id, SHOWN).into_iter().map(LogEntryView::from);
    let filter = CallFilter { agent: None, source: Some(id) };
    let calls = engine.get().map(|engine| engine.calls(&filter, SHOWN)).unwrap_or_default();
    let mut shown: Vec<LogEntryView> = entries.chain(calls.into_iter().map(LogEntryView::from)).collect();
    shown.sort_by_key(|entry| entry.at); // stable: each log's own order kept within a second
    shown.reverse();
    shown.truncate(SHOWN);
    Ok(shown)
}
