//! The bridge panel: where the hub stands, the bridge token on an explicit *Reveal*, the config
//! snippet for each IDE and *Write to config*.
//!
//! The snippets name the enabled sources, each run as `lanyard bridge <id>` by the IDE, so no
//! credential ever lands in an IDE's file; the `lanyard` program is the one beside the app or on
//! `PATH` ([`installed_cli`]). Each IDE is the engine's catalogued client (`lanyard::clients`),
//! written the way the Clients view's Set up writes it.

use lanyard::agents::AgentName;
use lanyard::bridge::AgentsView;
use lanyard::clients;
use lanyard::program::installed_cli;
use tauri::State;

use super::AppEngine;
use super::clients::{cli_program, user_file};
use crate::hub::Hub;
use crate::ui_error::{UiError, UiErrorKind};
use crate::wire::{CliView, HubView, IdeClientView, IdeConfigView, RevealedToken, WrittenView};

#[tauri::command]
pub fn hub_status(hub: State<'_, Hub>) -> HubView {
    (&hub.state()).into()
}

/// The agents the hub serves right now (none while it does not run).
#[tauri::command]
pub fn hub_agents(hub: State<'_, Hub>) -> AgentsView {
    AgentsView::new(hub.agents().map(|agents| agents.active(std::time::Instant::now())).unwrap_or_default())
}

/// The bridge token (the built-in agent `default`'s) or `agent`'s, for the person who clicked
/// *Reveal* or *Copy key*. Never sent otherwise.
#[tauri::command]
pub async fn reveal_bridge_token(
    agent: Option<AgentName>,
    engine: State<'_, AppEngine>,
) -> Result<RevealedToken, UiError> {
    let token = engine.get()?.agent_token(&agent.unwrap_or_else(AgentName::default_agent)).await?;
    Ok(RevealedToken::new(&token))
}

/// The chosen client's snippet: an entry per enabled source in its own format, and the file
/// *Write to config* writes (the client's user file, as the Clients view's Set up).
#[tauri::command]
pub async fn ide_config(
    client: IdeClientView,
    engine: State<'_, AppEngine>,
) -> Result<IdeConfigView, UiError> {
    let (catalogued, path) = user_file(client.catalogue_id())?;
    let cli = CliView::new(installed_cli());
    let entries = engine.get()?.bridge_entries(catalogued, cli.program(), &[])?;
    let snippet = clients::snippet(catalogued, &entries)
        .map_err(|err| UiError::new(UiErrorKind::Other, format!("cannot write the snippet: {err}")))?;
    Ok(IdeConfigView {
        client,
        snippet,
        cli,
        config_path: Some(path.display().to_string()),
        sources: u32::try_from(entries.len()).unwrap_or(u32::MAX),
    })
}

/// Merges the snippet into the client's own config file, keeping a backup of the old one.
#[tauri::command]
pub async fn write_ide_config(
    client: IdeClientView,
    engine: State<'_, AppEngine>,
) -> Result<WrittenView, UiError> {
    let (catalogued, path) = user_file(client.catalogue_id())?;
    let program = cli_program("write the config")?;
    Ok(engine.get()?.set_up_client(catalogued, &path, &program, None).await?.into())
}
