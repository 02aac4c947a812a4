//! *Test*: the tools a source offers, listed through the same path an agent uses; trying one,
//! with the window's person answering what the server asks meanwhile (elicitation, relayed by
//! the engine's [`PersonRelay`]: an event out, `answer_elicitation` back); and the tool editor:
//! every upstream tool with its place in the source's filter, and saving the person's choices
//! into the profile (the engine validates them before it writes).

use std::sync::Arc;
use std::time::Duration;

use lanyard::filter::ToolChoice;
use lanyard::ids::SourceId;
use lanyard::oauth::Browser;
use lanyard::upstream::{Offers, PersonRelay};
use serde_json::{Map, Value};
use tauri::{AppHandle, State};

use super::AppEngine;
use crate::events::AppEvent;
use crate::hub::Hub;
use crate::ui_error::UiError;
use crate::wire::{ElicitAnswerInput, ToolChoiceInput, ToolChoiceView, ToolResultView, ToolView};

/// How long a server's question waits for the person before it is answered `cancel`.
const PATIENCE: Duration = Duration::from_secs(300);

/// The window's person, as the servers of the tools it tries reach them.
pub struct Person(Arc<PersonRelay>);

impl Person {
    /// Questions go to the window as [`AppEvent::ElicitationAsked`].
    pub fn in_window(app: AppHandle) -> Self {
        Self(Arc::new(PersonRelay::new(PATIENCE, move |asked| {
            AppEvent::ElicitationAsked(asked.into()).emit(&app);
        })))
    }
}

/// Calls one tool of a source on a connection of its own, as `lanyard call` does.
#[tauri::command]
pub async fn call_tool(
    id: String,
    name: String,
    arguments: Option<Map<String, Value>>,
    engine: State<'_, AppEngine>,
    person: State<'_, Person>,
) -> Result<ToolResultView, UiError> {
    let id: SourceId = id.parse()?;
    let offers = Offers::Person(Arc::clone(&person.0) as _);
    let result = engine.get()?.call_tool(&id, &name, arguments, offers).await?;
    Ok(ToolResultView { is_error: result.is_error == Some(true), text: lanyard::upstream::readable(&result) })
}

/// Opens the URL of URL question `number` in the browser, when the person presses Open (nothing
/// opens by itself); `false` when there is no such question waiting.
#[tauri::command]
pub fn open_elicitation_url(number: u64, person: State<'_, Person>) -> Result<bool, UiError> {
    let Some((source, url)) = person.0.url_of(number) else { return Ok(false) };
    Browser::FromEnv.open(&source, &url).map_err(lanyard::Error::from)?;
    Ok(true)
}

/// The person's answer to question `number`; `false` when the server no longer waits for it.
#[tauri::command]
pub fn answer_elicitation(number: u64, answer: ElicitAnswerInput, person: State<'_, Person>) -> bool {
    person.0.answer(number, answer.into())
}

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

/// The person's verdict (approve unless told) on the withheld tool `tool`, or on every one.
#[tauri::command]
pub fn approve_tool_changes(
    id: String,
    tool: Option<String>,
    verdict: Option<lanyard::pins::Verdict>,
    engine: State<'_, AppEngine>,
) -> Result<(), UiError> {
    engine.get()?.review_tool_change(&id.parse()?, tool.as_deref(), verdict.unwrap_or_default())?;
    Ok(())
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
