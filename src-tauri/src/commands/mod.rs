//! The commands the web view may call, one file per area. Each command converts its arguments,
//! makes one engine call and maps the error into a [`UiError`]: nothing else. Logic that a
//! command seems to need belongs in the engine (`src/engine.rs`).

pub mod activity;
pub mod agents;
pub mod bridge;
pub mod catalog;
pub mod clients;
pub mod desktop;
pub mod health;
pub mod import;
pub mod sign_in;
pub mod sources;
pub mod tools;

use lanyard::Engine;
use lanyard::history::History;
use lanyard::paths::Dirs;

use crate::ui_error::UiError;

/// The engine as the app holds it. Opening it can fail (an unknown `LANYARD_KEYCHAIN` value, a
/// store this system lacks); the window still opens and every command answers with the reason,
/// so "no keychain" is a state the person sees, not a crash. The sources' histories need no
/// keychain, so they are read even then.
pub struct AppEngine {
    engine: Result<Engine, UiError>,
    history: History,
}

impl AppEngine {
    /// The engine on `dirs`, the folders the whole app uses.
    pub fn open_in(dirs: Dirs) -> Self {
        Self { history: History::in_dirs(&dirs), engine: Engine::open_in(dirs).map_err(UiError::from) }
    }

    pub fn get(&self) -> Result<&Engine, UiError> {
        self.engine.as_ref().map_err(Clone::clone)
    }

    pub fn history(&self) -> &History {
        &self.history
    }
}
