//! The upstreams behind the merged server: one slot per saved source, connected in parallel.
//!
//! Each slot connects through [`Engine::connect_profile_offering`] (credentials attached, OAuth
//! tokens refreshed, filters applied), bounded by the source's own connect timeout, and all slots
//! connect at the same time, so a slow source delays nobody else's connection. A source that is
//! disabled, needs sign-in or cannot be reached is left out with its reason logged, and tried
//! again on a later list once [`RETRY_AFTER`] has passed (a call to it gets the reason as its
//! error). A session that ended (a stdio server that exited) is reconnected on its next use.
//!
//! The slots follow the profile file ([`Sources::follow`]): a source the file adds gets a slot
//! and is connected at once, a source it removes or disables loses its slot and its session is
//! closed, and a source whose profile changed gets a new slot, so it reconnects with the new
//! settings. Each time, agents are told which merged lists changed. A slot keeps the profile it
//! was made from, so a file broken by hand changes nothing until it is fixed.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use rmcp::model::ResourceUpdatedNotificationParam;
use tokio::sync::{Mutex, broadcast, watch};
use tracing::{debug, info, warn};

use super::error::MergedError;
use super::logs::SourceLog;
use crate::Engine;
use crate::bridge::pins_watch;
use crate::bridge::profile_watch::ProfileWatch;
use crate::ids::SourceId;
use crate::pins::SourcePins;
use crate::profile::{Profile, ProfileFile};
use crate::upstream::{ListChanged, Offers, Upstream};

/// How long a source that failed to connect is left alone before a list tries it again.
const RETRY_AFTER: Duration = Duration::from_secs(10);
/// List-change signals kept for a slow agent session before the oldest are dropped.
const CHANGE_BUFFER: usize = 16;
/// Log messages kept for a slow agent session before the oldest are dropped.
const LOG_BUFFER: usize = 64;

/// The slots in id order.
type Lineup = Arc<[Arc<Slot>]>;

/// Every saved source, in id order, and the connections to them.
pub(crate) struct Sources {
    engine: Arc<Engine>,
    profiles: Arc<ProfileWatch>,
    /// Made from the profile file on first use; replaced whole when the file changes. Never
    /// held across an `.await`.
    lineup: std::sync::Mutex<Option<Lineup>>,
    changes: broadcast::Sender<ListChanged>,
    logs: broadcast::Sender<SourceLog>,
    /// Every source's `notifications/resources/updated` (resource URIs are kept as they are,
    /// so no source needs naming).
    updates: broadcast::Sender<ResourceUpdatedNotificationParam>,
}

struct Slot {
    id: SourceId,
    /// The profile the slot connects with.
    profile: Profile,
    state: Mutex<State>,
}

impl Slot {
    fn new(profile: &Profile) -> Self {
        let state = if profile.enabled {
            State::Idle
        } else {
            info!(source = %profile.id(), "left out of the merged server: the source is disabled");
            State::Disabled
        };
        Slot { id: profile.id().clone(), profile: profile.clone(), state: Mutex::new(state) }
    }
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
    /// The profile file no longer has this slot's source as it was; a newer slot (if any) serves it.
    Replaced,
}

/// How a new profile file changes the slots.
struct Reconciled {
    lineup: Lineup,
    /// New slots: sources added, or whose profile changed.
    added: Vec<Arc<Slot>>,
    /// Slots that left: sources removed, or whose profile changed.
    removed: Vec<Arc<Slot>>,
}

/// The slots for `file`, keeping each of `old` whose profile is unchanged, except `renew`'s.
fn reconcile(file: &ProfileFile, old: &[Arc<Slot>], renew: Option<&SourceId>) -> Reconciled {
    let mut profiles: Vec<_> = file.profiles().collect();
    profiles.sort_by(|a, b| a.id().as_str().cmp(b.id().as_str()));
    let (mut lineup, mut added, mut removed) = (Vec::new(), Vec::new(), Vec::new());
    for profile in profiles {
        match old.iter().find(|slot| &slot.id == profile.id()) {
            Some(slot) if slot.profile == *profile && renew != Some(&slot.id) => {
                lineup.push(Arc::clone(slot))
            }
            found => {
                removed.extend(found.cloned());
                let slot = Arc::new(Slot::new(profile));
                added.push(Arc::clone(&slot));
                lineup.push(slot);
            }
        }
    }
    removed.extend(old.iter().filter(|slot| file.get(&slot.id).is_none()).cloned());
    Reconciled { lineup: lineup.into(), added, removed }
}

/// Which merged lists an upstream contributes to (a server that declared nothing, all).
fn lists_of(upstream: &Upstream) -> Vec<ListChanged> {
    let Some(info) = upstream.server_info() else {
        return vec![ListChanged::Tools, ListChanged::Prompts, ListChanged::Resources];
    };
    let caps = &info.capabilities;
    [
        (caps.tools.is_some(), ListChanged::Tools),
        (caps.prompts.is_some(), ListChanged::Prompts),
        (caps.resources.is_some(), ListChanged::Resources),
    ]
    .into_iter()
    .filter_map(|(offered, list)| offered.then_some(list))
    .collect()
}

/// Ends a session, or leaves it to the call that still holds it (dropping the last handle ends it).
async fn close_upstream(upstream: Arc<Upstream>) {
    match Arc::try_unwrap(upstream) {
        Ok(upstream) => upstream.close().await,
        Err(shared) => drop(shared),
    }
}

impl Sources {
    pub(crate) fn new(engine: Arc<Engine>, profiles: Arc<ProfileWatch>) -> Self {
        Self {
            engine,
            profiles,
            lineup: std::sync::Mutex::new(None),
            changes: broadcast::channel(CHANGE_BUFFER).0,
            logs: broadcast::channel(LOG_BUFFER).0,
            updates: broadcast::channel(LOG_BUFFER).0,
        }
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Signals when an upstream's list changed, a source joined or left the merged lists.
    pub(crate) fn changes(&self) -> broadcast::Receiver<ListChanged> {
        self.changes.subscribe()
    }

    /// Every source's log messages, tagged with the source.
    pub(crate) fn logs(&self) -> broadcast::Receiver<SourceLog> {
        self.logs.subscribe()
    }

    pub(crate) fn resource_updates(&self) -> broadcast::Receiver<ResourceUpdatedNotificationParam> {
        self.updates.subscribe()
    }

    fn lineup(&self) -> std::sync::MutexGuard<'_, Option<Lineup>> {
        self.lineup.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The slots, made from the profile file on first use. Read under the lock, so that a file
    /// change applied meanwhile (see [`Sources::follow`]) is never lost.
    fn slots(&self) -> Result<Lineup, MergedError> {
        let mut lineup = self.lineup();
        if let Some(slots) = &*lineup {
            return Ok(Arc::clone(slots));
        }
        let file =
            self.profiles.look_now().map_err(|err| MergedError::Profiles { err: Arc::new(err.into()) })?;
        let slots = reconcile(&file, &[], None).lineup;
        info!(sources = slots.len(), "merged server: sources read from the profile file");
        *lineup = Some(Arc::clone(&slots));
        Ok(slots)
    }

    /// Follows the profile file: each clean read of a changed file reconciles the slots. The
    /// task ends when the watch or these sources are gone.
    pub(crate) fn follow(
        self: &Arc<Self>,
        mut files: watch::Receiver<Option<Arc<ProfileFile>>>,
    ) -> tokio::task::JoinHandle<()> {
        let sources = Arc::downgrade(self);
        tokio::spawn(async move {
            while files.changed().await.is_ok() {
                let Some(file) = files.borrow_and_update().clone() else { continue };
                let Some(sources) = sources.upgrade() else { return };
                sources.apply(&file, None).await;
            }
        })
    }

    /// Makes `id`'s slot anew from the profile file as it is now, so that it connects again with
    /// what the vault holds now: for a secret changed without a change the file shows.
    pub(crate) async fn renew(self: &Arc<Self>, id: &SourceId) {
        if let Ok(file) = self.profiles.look_now() {
            self.apply(&file, Some(id)).await;
        }
    }

    /// Puts `file`'s sources in place of the slots (and `renew`'s slot anew): closes the
    /// sessions of slots that left, connects the new ones, and tells agents which lists changed.
    async fn apply(self: &Arc<Self>, file: &ProfileFile, renew: Option<&SourceId>) {
        let Reconciled { added, removed, .. } = {
            let mut lineup = self.lineup();
            // Not used yet: the first use reads the file as it is then.
            let Some(old) = &*lineup else { return };
            let reconciled = reconcile(file, old, renew);
            *lineup = Some(Arc::clone(&reconciled.lineup));
            reconciled
        };
        let mut changed = Vec::new();
        for slot in removed {
            info!(source = %slot.id, "the source's profile changed or it was removed; its session ends");
            let previous = std::mem::replace(&mut *slot.state.lock().await, State::Replaced);
            if let State::Connected(upstream) = previous {
                changed.extend(lists_of(&upstream));
                close_upstream(upstream).await;
            }
        }
        self.tell(changed);
        for slot in added.into_iter().filter(|slot| slot.profile.enabled) {
            let sources = Arc::clone(self);
            tokio::spawn(async move {
                if let Ok(upstream) = sources.ready(&slot, true).await {
                    sources.tell(lists_of(&upstream));
                }
            });
        }
    }

    /// Tells agents each of `lists` changed, once each.
    fn tell(&self, lists: Vec<ListChanged>) {
        let mut told = Vec::new();
        for list in lists {
            if told.contains(&list) {
                continue;
            }
            told.push(list);
            debug!(?list, "a merged list changed with the profile file");
            let _ = self.changes.send(list);
        }
    }

    /// Every source that is connected now or connects within its own timeout, in id order.
    pub(crate) async fn connected(&self) -> Result<Vec<(SourceId, Arc<Upstream>)>, MergedError> {
        let slots = self.slots()?;
        let ready = futures::future::join_all(slots.iter().map(|slot| self.ready(slot, false))).await;
        Ok(slots
            .iter()
            .zip(ready)
            .filter_map(|(slot, ready)| ready.ok().map(|upstream| (slot.id.clone(), upstream)))
            .collect())
    }

    /// The connection to one source, for a call routed to it.
    pub(crate) async fn get(&self, id: &SourceId) -> Result<Arc<Upstream>, MergedError> {
        let slots = self.slots()?;
        let slot = slots
            .iter()
            .find(|slot| &slot.id == id)
            .ok_or_else(|| MergedError::UnknownSource { id: id.clone() })?;
        self.ready(slot, true).await
    }

    /// Each source's merged prefix ([`Profile::merged_prefix`]), as its slot's profile says.
    pub(crate) fn merged_prefixes(&self) -> HashMap<SourceId, String> {
        self.slots()
            .map(|slots| {
                slots.iter().map(|slot| (slot.id.clone(), slot.profile.merged_prefix().to_owned())).collect()
            })
            .unwrap_or_default()
    }

    /// The id of the saved source whose merged names start with `<prefix>__`, for an error that
    /// names it when a call reaches no route.
    pub(crate) async fn owner_of(&self, merged_name: &str) -> Option<SourceId> {
        let slots = self.slots().ok()?;
        slots
            .iter()
            .map(|slot| (slot, slot.profile.merged_prefix()))
            .filter(|(_, prefix)| {
                !prefix.is_empty()
                    && merged_name
                        .strip_prefix(prefix)
                        .is_some_and(|rest| rest.starts_with(super::naming::SEPARATOR))
            })
            .max_by_key(|(_, prefix)| prefix.len())
            .map(|(slot, _)| slot.id.clone())
    }

    /// Connects the slot if it is not (or its session ended), unless it failed recently and
    /// `now` is false.
    async fn ready(&self, slot: &Slot, now: bool) -> Result<Arc<Upstream>, MergedError> {
        let mut state = slot.state.lock().await;
        match &*state {
            State::Disabled => return Err(crate::Error::Disabled { id: slot.id.clone() }.into()),
            State::Replaced => return Err(MergedError::UnknownSource { id: slot.id.clone() }),
            State::Connected(upstream) if !upstream.is_closed() => return Ok(Arc::clone(upstream)),
            State::Connected(_) => info!(source = %slot.id, "the session ended; connecting again"),
            State::Failed { err, at } if !now && at.elapsed() < RETRY_AFTER => {
                return Err(MergedError::Unavailable { id: slot.id.clone(), err: Arc::clone(err) });
            }
            State::Failed { .. } | State::Idle => {}
        }
        let was_failed = matches!(&*state, State::Failed { .. });
        match self.engine.connect_profile_offering(&slot.profile, Offers::AgentRequests).await {
            Ok(upstream) => {
                let pins = self.engine.source_pins(&slot.profile);
                let upstream = Arc::new(upstream.with_pins(Arc::clone(&pins)));
                self.forward(&upstream);
                self.follow_approvals(pins, &upstream);
                upstream.follow_list_changes().await;
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

    /// Passes an upstream's list changes, log messages (tagged with the source) and resource
    /// updates on to every agent session, until the upstream closes.
    fn forward(&self, upstream: &Upstream) {
        let id = upstream.id().clone();
        // A lost list change is made good by telling agents to list the tools again.
        pass_on(
            &id,
            "list changes",
            upstream.list_changes(),
            &self.changes,
            |change| change,
            Some(ListChanged::Tools),
        );
        let tagged = id.clone();
        pass_on(
            &id,
            "log messages",
            upstream.log_messages(),
            &self.logs,
            move |message| SourceLog::tagged(&tagged, message),
            None,
        );
        pass_on(&id, "resource updates", upstream.resource_updates(), &self.updates, |update| update, None);
    }

    /// Tells agents to list the tools again whenever the person approves some of the source's
    /// withheld tools ([`crate::bridge::pins_watch`]), until the upstream closes.
    fn follow_approvals(&self, pins: Arc<SourcePins>, upstream: &Arc<Upstream>) {
        let (upstream, changes) = (Arc::downgrade(upstream), self.changes.clone());
        tokio::spawn(pins_watch::follow(
            pins,
            move || upstream.upgrade().is_some_and(|upstream| !upstream.is_closed()),
            move || drop(changes.send(ListChanged::Tools)),
        ));
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
        let Some(slots) = self.lineup().clone() else { return };
        for slot in slots.iter() {
            let previous = std::mem::replace(&mut *slot.state.lock().await, State::Idle);
            if let State::Connected(upstream) = previous {
                close_upstream(upstream).await;
            }
        }
    }
}

/// Passes what an upstream sends on `from` to the agent sessions' `to`, made into what they get
/// by `into`, until the upstream closes. When this falls behind, `lagged` goes in place of what
/// was lost, if something can stand in for it; otherwise the loss is logged.
fn pass_on<T, U>(
    id: &SourceId,
    what: &'static str,
    mut from: broadcast::Receiver<T>,
    to: &broadcast::Sender<U>,
    into: impl Fn(T) -> U + Send + 'static,
    lagged: Option<U>,
) where
    T: Clone + Send + 'static,
    U: Clone + Send + 'static,
{
    let (id, to) = (id.clone(), to.clone());
    tokio::spawn(async move {
        loop {
            match from.recv().await {
                // An error only means no agent session is listening.
                Ok(item) => drop(to.send(into(item))),
                Err(broadcast::error::RecvError::Lagged(lost)) => match &lagged {
                    Some(stand_in) => drop(to.send(stand_in.clone())),
                    None => debug!(source = %id, lost, "{what} dropped; the merged server fell behind"),
                },
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> ProfileFile {
        ProfileFile::parse(&format!("version = 1\n{text}"), std::path::Path::new("profiles.toml")).unwrap()
    }

    fn ids(slots: &[Arc<Slot>]) -> Vec<&str> {
        slots.iter().map(|slot| slot.id.as_str()).collect()
    }

    const A: &str = "[sources.a]\ntransport = { type = \"stdio\", command = \"a\" }\n";
    const B: &str = "[sources.b]\ntransport = { type = \"stdio\", command = \"b\" }\n";

    #[test]
    fn unchanged_sources_keep_their_slots_and_the_rest_are_added_or_removed() {
        let first = reconcile(&file(&format!("{B}{A}")), &[], None);
        assert_eq!(ids(&first.lineup), ["a", "b"], "slots are in id order");
        assert_eq!(ids(&first.added), ["a", "b"], "a first lineup adds every source");

        let b_changed = "[sources.b]\ntransport = { type = \"stdio\", command = \"b2\" }\n";
        let c = "[sources.c]\nenabled = false\ntransport = { type = \"stdio\", command = \"c\" }\n";
        let next = reconcile(&file(&format!("{b_changed}{c}")), &first.lineup, None);
        assert_eq!(ids(&next.lineup), ["b", "c"], "a removed source has no slot");
        assert_eq!(ids(&next.added), ["b", "c"], "a changed source gets a new slot, a new one too");
        assert_eq!(ids(&next.removed), ["b", "a"], "the changed source's old slot and the removed one leave");
        assert!(!Arc::ptr_eq(&next.lineup[0], &first.lineup[1]), "the changed source's slot is new");
        assert!(
            matches!(*next.lineup[1].state.try_lock().unwrap(), State::Disabled),
            "a disabled source's slot is disabled"
        );

        let same = reconcile(&file(&format!("{b_changed}{c}")), &next.lineup, None);
        assert!(same.added.is_empty() && same.removed.is_empty(), "an unchanged file changes no slot");
        assert!(Arc::ptr_eq(&same.lineup[0], &next.lineup[0]), "an unchanged source keeps its slot");

        let b: SourceId = "b".parse().unwrap();
        let renewed = reconcile(&file(&format!("{b_changed}{c}")), &next.lineup, Some(&b));
        assert_eq!(ids(&renewed.added), ["b"], "a renewed source gets a new slot");
        assert_eq!(ids(&renewed.removed), ["b"], "and its old one leaves");
        assert!(Arc::ptr_eq(&renewed.lineup[1], &next.lineup[1]), "the others keep theirs");
    }
}
