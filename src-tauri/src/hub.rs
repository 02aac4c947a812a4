//! The hub the app hosts while it runs: the engine's [`HostedHub`] (`lanyard serve`'s server, on
//! the app's folders), run on the Tauri async runtime. Each change of its state goes to the window
//! as [`AppEvent::HubChanged`]; quitting the app stops it, which takes its announcement back.
//! Its lifecycle and its failures are the engine's; this is the wiring.

use lanyard::Engine;
pub use lanyard::bridge::{HostedHub, HubFailure, HubState};
use lanyard::paths::Dirs;
use tauri::AppHandle;

use crate::events::AppEvent;

/// The hub as the app's state, which the commands read and tell of profile changes.
pub type Hub = HostedHub;

/// Starts the hub on the port `LANYARD_BRIDGE_PORT` names (the default port otherwise), with an
/// engine of its own on `dirs`, the folders the app's engine uses.
pub fn start(app: AppHandle, dirs: Dirs) -> Hub {
    let port = lanyard::bridge::hub_port_from_env();
    let on_change = move |state: &HubState| AppEvent::HubChanged(state.into()).emit(&app);
    let (hub, run) = HostedHub::new(Engine::open_in(dirs), port, on_change);
    tauri::async_runtime::spawn(run);
    hub
}

/// Stops the hub and waits (briefly) until it has let go of the port. For the app's exit, on a
/// thread outside the async runtime.
pub fn stop(hub: &Hub) {
    tauri::async_runtime::block_on(hub.stop());
}
