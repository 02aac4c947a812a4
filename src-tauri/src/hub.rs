//! The hub the app hosts while it runs: the engine's HTTP bridge server (`lanyard serve`'s), with
//! its own engine, on the Tauri async runtime. While it runs it is announced in the data folder,
//! so `lanyard bridge` processes started by agents go through the app and one process owns each
//! source's tokens.
//!
//! Its whole life is one value, [`HubState`], held by the task that owns the server and watched by
//! everybody else; nothing else records whether it runs. A port already taken (another
//! `lanyard serve`, another Lanyard window) is a state the bridge panel shows, never a reason for
//! the app not to open. Dropping the stop handle (when the app quits) drops the server, which
//! takes its announcement back.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use lanyard::bridge::{self, Agents, BridgeError, SourceRoutes};
use lanyard::ids::SourceId;
use lanyard::{Engine, ErrorKind};
use tauri::AppHandle;
use tokio::sync::{oneshot, watch};

use crate::events::AppEvent;

/// Overrides the port the hub listens on ([`bridge::DEFAULT_PORT`] otherwise); 0 takes any free
/// one, which is what tests do.
pub const PORT_VAR: &str = "LANYARD_BRIDGE_PORT";

/// How long quitting waits for the server to let go of its port and announcement.
const STOP_WAIT: Duration = Duration::from_secs(3);

/// Where the hub stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubState {
    /// Reading the bridge token and binding the port.
    Starting,
    /// Serving agents at `address` (127.0.0.1 and the port).
    Running { address: SocketAddr },
    /// Not serving; the app works on without it.
    Failed { reason: HubFailure },
}

/// Why the hub does not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubFailure {
    /// Something else listens on the port, most likely `lanyard serve` or another Lanyard window.
    PortTaken { port: u16 },
    /// [`PORT_VAR`] is set to something that is not a port number.
    BadPortSetting { value: String },
    /// The keychain, which holds the bridge token, cannot be used (missing, locked, refusing);
    /// the vault's own words, which name the fix.
    Keychain { message: String },
    /// The engine or the server could not start; the engine's own words (never a secret).
    CannotStart { message: String },
    /// The server stopped after it had started.
    Stopped { message: String },
}

impl std::fmt::Display for HubFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::PortTaken { port } => write!(
                f,
                "port {port} on 127.0.0.1 is already in use, most likely by `lanyard serve` or another \
                 Lanyard window; the `lanyard bridge` processes agents start use that one (or connect \
                 on their own)"
            ),
            Self::BadPortSetting { value } => {
                write!(f, "{PORT_VAR} is set to `{value}`, which is not a port number (0 to 65535)")
            }
            Self::Keychain { message } => {
                write!(f, "the bridge could not read its token from the keychain: {message}")
            }
            Self::CannotStart { message } => write!(f, "the bridge could not start: {message}"),
            Self::Stopped { message } => write!(f, "the bridge stopped: {message}"),
        }
    }
}

/// The running hub, as the app's state: its lifecycle to read, and the handle that stops it.
pub struct Hub {
    state: watch::Receiver<HubState>,
    /// Taken (and so dropped) once, when the app quits; its task then ends.
    stop: Mutex<Option<oneshot::Sender<()>>>,
    /// The server's handles, once it runs.
    serving: Arc<OnceLock<Serving>>,
}

/// What the app reads from and tells a running server.
struct Serving {
    agents: Arc<Agents>,
    routes: SourceRoutes,
}

impl Hub {
    /// Starts the hub on the port [`PORT_VAR`] names (the default port otherwise). Every change of
    /// its state is sent to the window as [`AppEvent::HubChanged`].
    pub fn start(app: AppHandle) -> Self {
        let (state_tx, state) = watch::channel(HubState::Starting);
        let (stop, stopped) = oneshot::channel::<()>();
        let port = wanted_port(std::env::var_os(PORT_VAR));
        let serving = Arc::new(OnceLock::new());
        let handles = Arc::clone(&serving);
        tauri::async_runtime::spawn(async move {
            let set = |next: HubState| {
                tracing::info!(state = ?next, "bridge hub");
                AppEvent::HubChanged((&next).into()).emit(&app);
                state_tx.send_replace(next);
            };
            tokio::select! {
                () = host(port, &set, &handles) => {}
                // The app quits: dropping `host` drops the server and its announcement.
                _ = stopped => {}
            }
        });
        Self { state, stop: Mutex::new(Some(stop)), serving }
    }

    /// The agent sessions the hub serves; `None` while it does not run.
    pub fn agents(&self) -> Option<Arc<Agents>> {
        self.running().map(|serving| Arc::clone(&serving.agents))
    }

    /// Tells the hub that `id`'s profile changed: agents' next sessions get the new settings. The
    /// hub follows the profile file by itself within a second (a secret's new value included);
    /// telling it makes the change immediate.
    pub async fn source_changed(&self, id: &SourceId) {
        if let Some(serving) = self.running() {
            serving.routes.forget(id).await;
        }
    }

    fn running(&self) -> Option<&Serving> {
        matches!(self.state(), HubState::Running { .. }).then(|| self.serving.get()).flatten()
    }

    pub fn state(&self) -> HubState {
        self.state.borrow().clone()
    }

    /// Stops the hub and waits (briefly) until its task has let go of the port. For the app's
    /// exit, on a thread outside the async runtime.
    pub fn stop(&self) {
        let stop = self.stop.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        drop(stop);
        let mut state = self.state.clone();
        tauri::async_runtime::block_on(async move {
            // `changed` fails once the task, which holds the sender, has ended.
            let ended = async { while state.changed().await.is_ok() {} };
            if tokio::time::timeout(STOP_WAIT, ended).await.is_err() {
                tracing::warn!("the bridge hub did not stop within {STOP_WAIT:?}");
            }
        });
    }
}

/// Runs the server until it ends; reports each step through `set`.
async fn host(port: Result<u16, HubFailure>, set: &impl Fn(HubState), serving: &OnceLock<Serving>) {
    let failed = |reason| set(HubState::Failed { reason });
    let port = match port {
        Ok(port) => port,
        Err(reason) => return failed(reason),
    };
    let engine = match Engine::open() {
        Ok(engine) => engine,
        Err(err) => return failed(HubFailure::CannotStart { message: err.to_string() }),
    };
    let server = match bridge::serve(engine, port).await {
        Ok(server) => server,
        Err(err) => return failed(start_failure(&err)),
    };
    let _ = serving.set(Serving { agents: server.agents(), routes: server.routes() });
    set(HubState::Running { address: server.local_addr() });
    let message = match server.run().await {
        Ok(()) => "the listener closed".to_owned(),
        Err(err) => err.to_string(),
    };
    failed(HubFailure::Stopped { message });
}

/// The port from [`PORT_VAR`]'s value, the default without one.
fn wanted_port(value: Option<OsString>) -> Result<u16, HubFailure> {
    let Some(value) = value.filter(|v| !v.is_empty()) else { return Ok(bridge::DEFAULT_PORT) };
    let text = value.to_string_lossy();
    text.trim().parse().map_err(|_| HubFailure::BadPortSetting { value: text.into_owned() })
}

/// A port in use is its own case: the panel says who probably holds it and what to do.
fn start_failure(err: &BridgeError) -> HubFailure {
    match err {
        BridgeError::Bind { addr, err } if err.kind() == std::io::ErrorKind::AddrInUse => {
            HubFailure::PortTaken { port: addr.port() }
        }
        other => match other.kind() {
            ErrorKind::KeychainLocked | ErrorKind::NoKeychain | ErrorKind::Keychain => {
                HubFailure::Keychain { message: other.to_string() }
            }
            _ => HubFailure::CannotStart { message: other.to_string() },
        },
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, TcpListener};

    use super::*;

    #[test]
    fn the_port_comes_from_the_variable_or_the_default() {
        assert_eq!(wanted_port(None), Ok(bridge::DEFAULT_PORT), "no variable: the documented port");
        assert_eq!(wanted_port(Some("".into())), Ok(bridge::DEFAULT_PORT), "empty counts as unset");
        assert_eq!(wanted_port(Some("0".into())), Ok(0), "0 asks for any free port (tests)");
        assert_eq!(wanted_port(Some(" 7600 ".into())), Ok(7600), "spaces around the number are fine");
        assert_eq!(
            wanted_port(Some("70000".into())),
            Err(HubFailure::BadPortSetting { value: "70000".into() }),
            "out of range is refused with the value"
        );
    }

    #[test]
    fn a_taken_port_is_told_apart_from_other_failures() {
        // Hold a port, then fail to bind it the way the server would.
        let held = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free port");
        let addr = held.local_addr().unwrap();
        let err = std::net::TcpListener::bind(addr).expect_err("the port is held");
        let failure = start_failure(&BridgeError::Bind { addr, err });
        assert_eq!(failure, HubFailure::PortTaken { port: addr.port() }, "address in use is PortTaken");
        assert!(
            failure.to_string().contains("lanyard serve"),
            "the message names the likely holder: {failure}"
        );

        let other = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let failure = start_failure(&BridgeError::Bind { addr, err: other });
        assert!(
            matches!(failure, HubFailure::CannotStart { .. }),
            "another bind error is not a taken port: {failure:?}"
        );
    }

    #[test]
    fn a_keychain_that_holds_no_token_is_a_keychain_failure() {
        let kept = lanyard::vault::VaultError::NotKept {
            kind: lanyard::vault::StoreKind::Keyutils,
            key: lanyard::vault::VaultKey::bridge_token(),
        };
        let failure = start_failure(&BridgeError::Vault(kept));
        assert!(
            matches!(failure, HubFailure::Keychain { .. }),
            "the panel points at the keychain: {failure:?}"
        );
    }
}
