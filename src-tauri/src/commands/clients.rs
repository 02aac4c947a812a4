//! The Clients view: the agents and IDEs of the engine's catalogue, where each one's own file
//! stands with Lanyard, and its Set up, Import and Undo, each one engine call on the client's
//! user file. The entries written run the `lanyard` CLI beside the app or on `PATH`
//! ([`installed_cli`]), so without it nothing is written.

use std::path::PathBuf;

use lanyard::agents::AgentName;
use lanyard::clients::{self, Client, Env, Scope};
use lanyard::program::installed_cli;
use tauri::State;

use super::AppEngine;
use crate::ui_error::{UiError, UiErrorKind};
use crate::wire::{CliView, ClientsView, TakenOverView, UndoneView, WrittenView};

/// Every client of the catalogue, installed or not, with its user file's state.
#[tauri::command]
pub async fn list_clients() -> Result<ClientsView, UiError> {
    Ok(ClientsView::new(clients::inspect_all(&current_env()?), CliView::new(installed_cli())))
}

/// Set up: an entry per enabled source in the client's user file, running `lanyard bridge`
/// (as `agent`, with its key, when one is chosen).
#[tauri::command]
pub async fn set_up_client(
    id: String,
    agent: Option<AgentName>,
    engine: State<'_, AppEngine>,
) -> Result<WrittenView, UiError> {
    let (client, path) = user_file(&id)?;
    let program = cli_program("set it up")?;
    Ok(engine.get()?.set_up_client(client, &path, &program, agent.as_ref()).await?.into())
}

/// Import: the client's own servers become sources, and its entries run `lanyard bridge`.
#[tauri::command]
pub async fn import_client(id: String, engine: State<'_, AppEngine>) -> Result<TakenOverView, UiError> {
    let (client, path) = user_file(&id)?;
    Ok(engine.get()?.take_over(client, &path, &cli_program("import its servers")?).await?.into())
}

/// Undo: the client's user file as it was before Lanyard's last write.
#[tauri::command]
pub async fn undo_client(id: String) -> Result<UndoneView, UiError> {
    let (_, path) = user_file(&id)?;
    Ok(clients::undo(&path)?.into())
}

/// The `lanyard` program the entries run, or why there is none, ending in `then <what>`.
pub(super) fn cli_program(what: &str) -> Result<String, UiError> {
    installed_cli()
        .map(|program| program.to_string_lossy().into_owned())
        .map_err(|missing| UiError::new(UiErrorKind::Other, format!("{missing}, then {what}")))
}

/// The catalogue's client `id` and its user file on this machine.
pub(super) fn user_file(id: &str) -> Result<(&'static Client, PathBuf), UiError> {
    let client = clients::find(id).map_err(|err| UiError::new(UiErrorKind::Other, err.to_string()))?;
    let path = client.file(&current_env()?, Scope::User).ok_or_else(|| {
        UiError::new(UiErrorKind::Other, format!("{} keeps its servers per project only", client.name))
    })?;
    Ok((client, path))
}

fn current_env() -> Result<Env, UiError> {
    Env::current().map_err(|err| UiError::new(UiErrorKind::Other, err.to_string()))
}
