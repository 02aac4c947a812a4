//! Connect / Reconnect and Disconnect: the engine's sign-in and disconnect, started by a click.
//!
//! Sign-in opens the browser through the engine (`$BROWSER` or the platform opener, never a
//! shell); the answer comes back to the engine's loopback listener, not to the web view. While
//! it runs, the authorization URL is announced with [`AppEvent::SignInWaiting`] so the window can
//! show it; when either command ends, [`AppEvent::SourcesChanged`] tells the window to re-read
//! status. The result crossing back is the token *status*, never a token. *Cancel* stops a
//! sign-in that waits (`Engine::cancel_sign_in`); it then ends with [`UiErrorKind::Cancelled`].

use std::sync::Arc;

use lanyard::ids::SourceId;
use lanyard::oauth::{ShowUrl, SignInCancelled, SignInOptions};
use lanyard::source::TokenStatus;
use tauri::{AppHandle, State};

use super::AppEngine;
use crate::events::{AppEvent, SignInWaiting, SourceRef};
use crate::ui_error::{UiError, UiErrorKind};
use crate::wire::{DisconnectView, TokensView};

/// Signs a source in (Connect and Reconnect alike: a new sign-in replaces the tokens held, and
/// asks for any scope a server's step-up challenge added).
#[tauri::command]
pub async fn sign_in(
    id: String,
    app: AppHandle,
    engine: State<'_, AppEngine>,
) -> Result<TokensView, UiError> {
    let id: SourceId = id.parse()?;
    let (announce, source) = (app.clone(), id.to_string());
    let show_url: ShowUrl = Arc::new(move |url| {
        AppEvent::SignInWaiting(SignInWaiting { id: source.clone(), url: url.to_string() }).emit(&announce);
    });
    // The browser from the environment, no paste-back, the default timeout.
    let options = SignInOptions { show_url: Some(show_url), ..SignInOptions::default() };
    let engine = engine.get()?;
    let auth = engine.profile(&id)?.auth;
    let signed_in = engine.sign_in_cancellable(&id, options).await;
    AppEvent::SourcesChanged(SourceRef { id: id.to_string() }).emit(&app);
    match signed_in? {
        Some(tokens) => Ok(TokensView::from(&TokenStatus::of(&tokens, &auth))),
        None => Err(UiError::new(UiErrorKind::Cancelled, SignInCancelled { id }.to_string())),
    }
}

/// Stops a sign-in of `id` that waits for the browser (or for the server's answer); false when
/// none runs. Nothing is stored and the loopback listener closes.
#[tauri::command]
pub fn cancel_sign_in(id: String, engine: State<'_, AppEngine>) -> bool {
    let (Ok(id), Ok(engine)) = (id.parse::<SourceId>(), engine.get()) else { return false };
    engine.cancel_sign_in(&id)
}

/// Forgets a source's tokens, revoking them first where the server offers it.
#[tauri::command]
pub async fn disconnect(
    id: String,
    app: AppHandle,
    engine: State<'_, AppEngine>,
) -> Result<DisconnectView, UiError> {
    let id: SourceId = id.parse()?;
    let outcome = engine.get()?.disconnect(&id).await;
    AppEvent::SourcesChanged(SourceRef { id: id.to_string() }).emit(&app);
    Ok(outcome?.into())
}
