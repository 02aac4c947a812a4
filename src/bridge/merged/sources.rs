//! The upstreams behind the merged server: one slot per saved source, connected in parallel.
//!
//! Each slot connects through [`Engine::connect`] (credentials attached, OAuth tokens refreshed,
//! filters applied), bounded by the source's own connect timeout, and all slots connect at the
//! same time, so a slow source delays nobody else's connection. A source that is disabled, needs
//! sign-in or cannot be reached is left out with its reason logged, and tried again on a later
//! list once [`RETRY_AFTER`] has passed (a call to it gets the reason as its error). A session
//! that ended (a stdio server that exited) is reconnected on its next use. The set of sources is
//! read from the profile file once, on first use: a changed profile takes effect after a restart.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, OnceCell, broadcast};
use tracing::{debug, info, warn};

use super::MergedError;
use super::logs::SourceLog;
use crate::Engine;
use crate::profile::SourceId;
use crate::upstream::{ListChanged, Offers, Upstream};

/// How long a source that failed to connect is left alone before a list tries it again.
const RETRY_AFTER: Duration = Duration::from_secs(10);
/// List-change signals kept for a slow agent session before the oldest are dropped.
const CHANGE_BUFFER: usize = 16;
/// Log messages kept for a slow agent session before the oldest are dropped.
const LOG_BUFFER: usize = 64;

/// Every saved source, in id order, and the connections to them.
pub(crate) struct Sources {
    engine: Arc<Engine>,
    slots: OnceCell<Vec<Slot>>,
    changes: broadcast::Sender<ListChanged>,
    logs: broadcast::Sender<SourceLog>,
}

struct Slot {
    id: SourceId,
    state: Mutex<State>,
}

/// Where one source stands.
enum State {
    Disabled,
    /// Not connected yet.
    Idle,
    Connected(Arc<Upstream>),
    Failed {
        err: Arc<crate::Error>,
        at: Instant,
    },
}

impl Sources {
    pub(crate) fn new(engine: Arc<Engine>) -> Self {
        Self {
            engine,
            slots: OnceCell::new(),
            changes: broadcast::channel(CHANGE_BUFFER).0,
            logs: broadcast::channel(LOG_BUFFER).0,
        }
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Signals when an upstream's list changed, or a source joined the merged lists.
    pub(crate) fn changes(&self) -> broadcast::Receiver<ListChanged> {
        self.changes.subscribe()
    }

    /// Every source's log messages, tagged with the source.
    pub(crate) fn logs(&self) -> broadcast::Receiver<SourceLog> {
        self.logs.subscribe()
    }

    async fn slots(&self) -> Result<&[Slot], MergedError> {
        let slots = self
            .slots
            .get_or_try_init(|| async {
                let file = self.engine.load().map_err(|err| MergedError::Profiles { err: Arc::new(err) })?;
                let mut profiles: Vec<_> = file.profiles().collect();
                profiles.sort_by(|a, b| a.id().as_str().cmp(b.id().as_str()));
                let slots: Vec<Slot> = profiles
                    .into_iter()
                    .map(|profile| {
                        let state = if profile.enabled {
                            State::Idle
                        } else {
                            info!(source = %profile.id(), "left out of the merged server: the source is disabled");
                            State::Disabled
                        };
                        Slot { id: profile.id().clone(), state: Mutex::new(state) }
                    })
                    .collect();
                info!(sources = slots.len(), "merged server: sources read from the profile file");
                Ok::<_, MergedError>(slots)
            })
            .await?;
        Ok(slots)
    }

    /// Every source that is connected now or connects within its own timeout, in id order.
    pub(crate) async fn connected(&self) -> Result<Vec<(SourceId, Arc<Upstream>)>, MergedError> {
        let slots = self.slots().await?;
        let ready = futures::future::join_all(slots.iter().map(|slot| self.ready(slot, false))).await;
        Ok(slots
            .iter()
            .zip(ready)
            .filter_map(|(slot, ready)| ready.ok().map(|upstream| (slot.id.clone(), upstream)))
            .collect())
    }

    /// The connection to one source, for a call routed to it.
    pub(crate) async fn get(&self, id: &SourceId) -> Result<Arc<Upstream>, MergedError> {
        let slots = self.slots().await?;
        let slot = slots
            .iter()
            .find(|slot| &slot.id == id)
            .ok_or_else(|| MergedError::UnknownSource { id: id.clone() })?;
        self.ready(slot, true).await
    }

    /// The id of the saved source whose merged names start with `prefix__`, for an error that
    /// names it when a call reaches no route.
    pub(crate) async fn owner_of(&self, merged_name: &str) -> Option<SourceId> {
        let slots = self.slots().await.ok()?;
        slots
            .iter()
            .filter(|slot| {
                merged_name
                    .strip_prefix(slot.id.as_str())
                    .is_some_and(|rest| rest.starts_with(super::naming::SEPARATOR))
            })
            .max_by_key(|slot| slot.id.as_str().len())
            .map(|slot| slot.id.clone())
    }

    /// Connects the slot if it is not (or its session ended), unless it failed recently and
    /// `now` is false.
    async fn ready(&self, slot: &Slot, now: bool) -> Result<Arc<Upstream>, MergedError> {
        let mut state = slot.state.lock().await;
        match &*state {
            State::Disabled => return Err(MergedError::Disabled { id: slot.id.clone() }),
            State::Connected(upstream) if !upstream.is_closed() => return Ok(Arc::clone(upstream)),
            State::Connected(_) => info!(source = %slot.id, "the session ended; connecting again"),
            State::Failed { err, at } if !now && at.elapsed() < RETRY_AFTER => {
                return Err(MergedError::Unavailable { id: slot.id.clone(), err: Arc::clone(err) });
            }
            State::Failed { .. } | State::Idle => {}
        }
        let was_failed = matches!(&*state, State::Failed { .. });
        match self.engine.connect_offering(&slot.id, Offers::AgentRequests).await {
            Ok(upstream) => {
                let upstream = Arc::new(upstream);
                self.forward_changes(&upstream);
                self.forward_logs(&upstream);
                let joined_late = was_failed;
                *state = State::Connected(Arc::clone(&upstream));
                info!(source = %slot.id, "joined the merged server");
                if joined_late {
                    // Agents that listed without it should list again.
                    let _ = self.changes.send(ListChanged::Tools);
                }
                Ok(upstream)
            }
            Err(err) => {
                warn!(source = %slot.id, "left out of the merged server: {err}");
                let err = Arc::new(err);
                *state = State::Failed { err: Arc::clone(&err), at: Instant::now() };
                Err(MergedError::Unavailable { id: slot.id.clone(), err })
            }
        }
    }

    /// Passes an upstream's list-changed signals on to every agent session, until it closes.
    fn forward_changes(&self, upstream: &Upstream) {
        let mut from_upstream = upstream.list_changes();
        let to_agents = self.changes.clone();
        let id = upstream.id().clone();
        tokio::spawn(async move {
            loop {
                match from_upstream.recv().await {
                    Ok(change) => {
                        debug!(source = %id, ?change, "passing a list change on to the agents");
                        let _ = to_agents.send(change);
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let _ = to_agents.send(ListChanged::Tools);
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }

    /// Passes an upstream's log messages on to every agent session, until it closes.
    fn forward_logs(&self, upstream: &Upstream) {
        let mut from_upstream = upstream.log_messages();
        let to_agents = self.logs.clone();
        let id = upstream.id().clone();
        tokio::spawn(async move {
            loop {
                match from_upstream.recv().await {
                    Ok(message) => {
                        let _ = to_agents.send(SourceLog::tagged(&id, message));
                    }
                    Err(broadcast::error::RecvError::Lagged(lost)) => {
                        debug!(source = %id, lost, "log messages dropped; the merged server fell behind");
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }

    /// Starts connecting every enabled source in the background, so the agent's first list
    /// does not wait for the start-up of each server in turn.
    pub(crate) fn warm_up(self: &Arc<Self>) {
        let sources = Arc::clone(self);
        tokio::spawn(async move {
            match sources.connected().await {
                Ok(connected) => debug!(connected = connected.len(), "merged server warmed up"),
                Err(err) => warn!("merged server: {err}"),
            }
        });
    }

    /// Ends every session (stdio servers are stopped).
    pub(crate) async fn close(&self) {
        let Some(slots) = self.slots.get() else { return };
        for slot in slots {
            let previous = std::mem::replace(&mut *slot.state.lock().await, State::Idle);
            if let State::Connected(upstream) = previous {
                match Arc::try_unwrap(upstream) {
                    Ok(upstream) => upstream.close().await,
                    // A call still holds it; dropping the last handle ends the session.
                    Err(shared) => drop(shared),
                }
            }
        }
    }
}
