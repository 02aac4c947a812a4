//! The hub as a long-running front end hosts it (the desktop app): `lanyard serve`'s server, with
//! an engine of its own on the host's folders, on the port [`HUB_PORT_VAR`] names
//! ([`hub_port_from_env`]), stopped when the host quits. While it runs it is announced in the
//! data folder (see [`hub`](super::hub)), so `lanyard bridge` processes started by agents go
//! through it and one process owns each source's tokens.
//!
//! Its whole life is one value, [`HubState`], held by the task that owns the server and watched by
//! everybody else; nothing else records whether it runs. A port already taken (another
//! `lanyard serve`, another Lanyard window) is a state the host shows, never a reason for the host
//! not to start. Stopping drops the server, which takes its announcement back.
//!
//! The host runs the task on its own async runtime ([`HostedHub::new`] hands it over), so the
//! engine needs no runtime of its own here.

use std::ffi::OsString;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::{oneshot, watch};

use super::{Agents, BridgeError, DEFAULT_PORT, SourceRoutes};
use crate::ids::SourceId;
use crate::{Engine, ErrorKind};

/// Overrides the port the hosted hub listens on ([`DEFAULT_PORT`] otherwise); 0 takes any free
/// one, which is what tests do.
pub const HUB_PORT_VAR: &str = "LANYARD_BRIDGE_PORT";

/// How long stopping waits for the server to let go of its port and announcement.
const STOP_WAIT: Duration = Duration::from_secs(3);

/// Where the hub stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubState {
    /// Reading the bridge token and binding the port.
    Starting,
    /// Serving agents at `address` (127.0.0.1 and the port).
    Running { address: SocketAddr },
    /// Not serving; the host works on without it.
    Failed { reason: HubFailure },
}

/// Why the hub does not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HubFailure {
    /// Something else listens on the port, most likely `lanyard serve` or another Lanyard window.
    #[error(
        "port {port} on 127.0.0.1 is already in use, most likely by `lanyard serve` or another Lanyard \
         window; the `lanyard bridge` processes agents start use that one (or connect on their own)"
    )]
    PortTaken { port: u16 },
    /// [`HUB_PORT_VAR`] is set to something that is not a port number.
    #[error("{} is set to `{value}`, which is not a port number (0 to 65535)", HUB_PORT_VAR)]
    BadPortSetting { value: String },
    /// The keychain, which holds the bridge token, cannot be used (missing, locked, refusing);
    /// the vault's own words, which name the fix.
    #[error("the bridge could not read its token from the keychain: {message}")]
    Keychain { message: String },
    /// The engine or the server could not start; the engine's own words (never a secret).
    #[error("the bridge could not start: {message}")]
    CannotStart { message: String },
    /// The server stopped after it had started.
    #[error("the bridge stopped: {message}")]
    Stopped { message: String },
}

impl HubFailure {
    /// What to do about it, for the host's window (the message says what happened): written
    /// here, beside the failures, so that no front end words them itself.
    pub fn advice(&self) -> String {
        match self {
            Self::PortTaken { port } => format!(
                "To let this app host the bridge, stop whatever holds port {port} (for example lanyard serve) and \
                 restart Lanyard, or start it with {HUB_PORT_VAR} set to another port."
            ),
            Self::BadPortSetting { .. } => format!("Fix {HUB_PORT_VAR} and restart Lanyard."),
            Self::Keychain { .. } => {
                "The bridge keeps its token in the keychain: fix the keychain as the message \
                                      says, then restart Lanyard."
                    .to_owned()
            }
            Self::CannotStart { .. } | Self::Stopped { .. } => "Restart Lanyard to try again.".to_owned(),
        }
    }
}

/// A hub being hosted: its lifecycle to read, and the handle that stops it.
pub struct HostedHub {
    state: watch::Receiver<HubState>,
    /// Taken (and so dropped) once, by [`HostedHub::stop`]; the task then ends.
    stop: Mutex<Option<oneshot::Sender<()>>>,
    /// The server's handles, once it runs.
    serving: Arc<OnceLock<Serving>>,
}

/// What the host reads from and tells a running server.
struct Serving {
    agents: Arc<Agents>,
    routes: SourceRoutes,
}

impl HostedHub {
    /// The hub serving `engine`'s install on `port`, and the task that runs it, for the host to
    /// spawn on its runtime. An engine that did not open, or a port setting that is not one, is
    /// the hub's first failure. `on_change` hears every change of its state.
    pub fn new(
        engine: Result<Engine, crate::Error>,
        port: Result<u16, HubFailure>,
        on_change: impl Fn(&HubState) + Send + Sync + 'static,
    ) -> (Self, impl Future<Output = ()> + Send + 'static) {
        let (state_tx, state) = watch::channel(HubState::Starting);
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = Arc::new(OnceLock::new());
        let handles = Arc::clone(&serving);
        let task = async move {
            let set = |next: HubState| {
                tracing::info!(state = ?next, "bridge hub");
                on_change(&next);
                state_tx.send_replace(next);
            };
            tokio::select! {
                () = host(engine, port, &set, &handles) => {}
                // Stopped: dropping `host` drops the server and its announcement.
                _ = stopped => {}
            }
        };
        (Self { state, stop: Mutex::new(Some(stop)), serving }, task)
    }

    pub fn state(&self) -> HubState {
        self.state.borrow().clone()
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

    /// Stops the hub and waits (briefly) until its task has let go of the port.
    pub async fn stop(&self) {
        let stop = self.stop.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        drop(stop);
        let mut state = self.state.clone();
        // `changed` fails once the task, which holds the sender, has ended.
        let ended = async { while state.changed().await.is_ok() {} };
        if tokio::time::timeout(STOP_WAIT, ended).await.is_err() {
            tracing::warn!("the bridge hub did not stop within {STOP_WAIT:?}");
        }
    }
}

/// Runs the server until it ends; reports each step through `set`.
async fn host(
    engine: Result<Engine, crate::Error>,
    port: Result<u16, HubFailure>,
    set: &impl Fn(HubState),
    serving: &OnceLock<Serving>,
) {
    let failed = |reason| set(HubState::Failed { reason });
    let port = match port {
        Ok(port) => port,
        Err(reason) => return failed(reason),
    };
    let engine = match engine {
        Ok(engine) => engine,
        Err(err) => return failed(HubFailure::CannotStart { message: err.to_string() }),
    };
    let server = match super::serve(engine, port).await {
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

/// The port [`HUB_PORT_VAR`] names, the default without it.
pub fn hub_port_from_env() -> Result<u16, HubFailure> {
    wanted_port(std::env::var_os(HUB_PORT_VAR))
}

/// The port from [`HUB_PORT_VAR`]'s value, the default without one.
fn wanted_port(value: Option<OsString>) -> Result<u16, HubFailure> {
    let Some(value) = value.filter(|v| !v.is_empty()) else { return Ok(DEFAULT_PORT) };
    let text = value.to_string_lossy();
    text.trim().parse().map_err(|_| HubFailure::BadPortSetting { value: text.into_owned() })
}

/// A port in use is its own case: the host says who probably holds it and what to do.
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
        assert_eq!(wanted_port(None), Ok(DEFAULT_PORT), "no variable: the documented port");
        assert_eq!(wanted_port(Some("".into())), Ok(DEFAULT_PORT), "empty counts as unset");
        assert_eq!(wanted_port(Some("0".into())), Ok(0), "0 asks for any free port (tests)");
        assert_eq!(wanted_port(Some(" 7600 ".into())), Ok(7600), "spaces around the number are fine");
        assert_eq!(
            wanted_port(Some("70000".into())),
            Err(HubFailure::BadPortSetting { value: "70000".into() }),
            "out of range is refused with the value"
        );
    }

    #[test]
    fn each_failure_says_what_to_do() {
        let taken = HubFailure::PortTaken { port: 7587 }.advice();
        assert!(taken.contains("7587") && taken.contains(HUB_PORT_VAR), "{taken}");
        let keychain = HubFailure::Keychain { message: "no Secret Service".into() }.advice();
        assert!(
            keychain.contains("keychain") && !keychain.contains("unlock"),
            "nothing is locked: {keychain}"
        );
        let bad = HubFailure::BadPortSetting { value: "x".into() }.advice();
        assert!(bad.contains(HUB_PORT_VAR), "{bad}");
    }

    #[test]
    fn a_taken_port_is_told_apart_from_other_failures() {
        // Hold a port, then fail to bind it the way the server would.
        let held = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free port");
        let addr = held.local_addr().unwrap();
        let err = TcpListener::bind(addr).expect_err("the port is held");
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
        let kept = crate::vault::VaultError::NotKept {
            kind: crate::vault::StoreKind::Keyutils,
            key: crate::vault::VaultKey::bridge_token(),
        };
        let failure = start_failure(&BridgeError::Vault(kept));
        assert!(
            matches!(failure, HubFailure::Keychain { .. }),
            "the host points at the keychain: {failure:?}"
        );
    }
}
