//! The bridge panel: where the hub stands, the bridge token on an explicit *Reveal*, the config
//! snippet for each IDE and *Write to config*.
//!
//! The snippets name the enabled sources, each run as `lanyard bridge <id>` by the IDE, so no
//! credential ever lands in an IDE's file; the `lanyard` program is the one beside the app or on
//! `PATH` ([`installed_cli`]).

use lanyard::Engine;
use lanyard::bridge;
use lanyard::ids::SourceId;
use lanyard::program::installed_cli;
use tauri::State;

use super::AppEngine;
use crate::hub::Hub;
use crate::ui_error::{UiError, UiErrorKind};
use crate::wire::{
    AgentsView, CliView, HubView, IdeClientView, IdeConfigView, RevealedToken, WrittenView, app_config_path,
};

#[tauri::command]
pub fn hub_status(hub: State<'_, Hub>) -> HubView {
    (&hub.state()).into()
}

/// The agents the hub serves right now (none while it does not run).
#[tauri::command]
pub fn hub_agents(hub: State<'_, Hub>) -> AgentsView {
    AgentsView::new(hub.agents().map(|agents| agents.active(std::time::Instant::now())).unwrap_or_default())
}

/// The install's bridge token, for the person who clicked *Reveal*. Never sent otherwise.
#[tauri::command]
pub async fn reveal_bridge_token(engine: State<'_, AppEngine>) -> Result<RevealedToken, UiError> {
    let token = bridge::bridge_token(engine.get()?.vault()).await?;
    Ok(RevealedToken::new(&token))
}

#[tauri::command]
pub async fn ide_config(
    client: IdeClientView,
    engine: State<'_, AppEngine>,
) -> Result<IdeConfigView, UiError> {
    let sources = enabled_sources(engine.get()?)?;
    let cli = CliView::new(installed_cli());
    let snippet = bridge::ide_snippet(client.into(), cli.program(), &sources);
    Ok(IdeConfigView {
        client,
        snippet: serde_json::to_string_pretty(&snippet).expect("a JSON value serializes"),
        cli,
        config_path: app_config_path(bridge::default_config_path(client.into()))
            .map(|path| path.display().to_string()),
        sources: u32::try_from(sources.len()).unwrap_or(u32::MAX),
    })
}

/// Merges the snippet into the client's own config file, keeping a backup of the old one.
#[tauri::command]
pub async fn write_ide_config(
    client: IdeClientView,
    engine: State<'_, AppEngine>,
) -> Result<WrittenView, UiError> {
    let sources = enabled_sources(engine.get()?)?;
    let program = installed_cli()
        .map_err(|missing| UiError::new(UiErrorKind::Other, format!("{missing}, then write the config")))?;
    let path = app_config_path(bridge::default_config_path(client.into())).ok_or_else(|| {
        UiError::new(
            UiErrorKind::Other,
            "this client keeps its config per workspace; copy the snippet into the workspace's file",
        )
    })?;
    let snippet = bridge::ide_snippet(client.into(), &program.to_string_lossy(), &sources);
    Ok(bridge::write_config(&path, &snippet)?.into())
}

/// The sources an IDE config names: the enabled ones, as `lanyard config` does.
fn enabled_sources(engine: &Engine) -> Result<Vec<SourceId>, UiError> {
    Ok(engine.load()?.profiles().filter(|p| p.enabled).map(|p| p.id().clone()).collect())
}
