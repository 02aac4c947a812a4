//! The Catalogue view: each request one engine call (`lanyard::catalog::window`), a `lanyard://`
//! link's too (the window gets it from the deep-link plugin and hands it over to be read).

use lanyard::catalog::window::{Answer, Request, answer};
use tauri::State;

use crate::{commands::AppEngine, ui_error::UiError};

#[tauri::command]
pub async fn catalog(request: Request, engine: State<'_, AppEngine>) -> Result<Answer, UiError> {
    Ok(answer(engine.get()?, request).await?)
}
