//! Pinned tool definitions: a tool whose definition changed after the person trusted it (a
//! "rug pull", a poisoned description) does not reach agents until the person approves it.
//!
//! The first listing of a source after it is added or enabled pins each tool's definition (trust
//! on first use; with `review_first` the first listing waits for review too). Each later listing
//! through a bridge is checked against the pins ([`SourcePins::observe`]): a tool that is new,
//! changed, or renamed (the same definition under another name) is *withheld*: left out of the
//! agent's list and refused when called, with a JSON-RPC error that names the command that
//! approves it. The rest of the source keeps working. A source set to `tool_changes = "allow"`
//! re-pins changes at once; one set to `"block"` is withheld whole while a change waits.
//!
//! One seam for every bridge path: the pass-through (`lanyard bridge <id>`, `/mcp/<id>`) checks
//! the raw `tools/list` answers where the tool filter rewrites them, the merged server
//! (`bridge --all`, `/mcp`) checks its upstream's lists; both hand the definitions to the same
//! [`SourcePins`]. The pins live in the data folder ([`store`]), shared by every process, so the
//! person's `lanyard tools <id> --approve-all` reaches a running bridge at its next listing.

mod definition;
mod diff;
mod ledger;
mod store;
pub mod suspicious;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use tracing::{info, warn};

pub use self::definition::Definition;
pub use self::ledger::{Change, Decision, Ledger, Policy};
pub use self::store::{PinStore, PinStoreError};
pub use self::suspicious::{Flag, FlagKind};
use crate::ids::SourceId;
use crate::profile::{Profile, ToolChanges};

/// Why an agent does not get a tool, or a whole source: the text of the JSON-RPC error it gets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Withheld {
    #[error(
        "source `{id}`: tool `{name}` is new or changed since the source's tools were approved, so it is withheld until the person approves it (`lanyard tools {id} --review`, or `lanyard tools {id} --approve-all`)"
    )]
    Waiting { id: SourceId, name: String },
    #[error(
        "source `{id}`: tool `{name}` changed and the person rejected the change; it stays withheld until it changes again or is approved (`lanyard tools {id} --review`)"
    )]
    Rejected { id: SourceId, name: String },
    #[error(
        "source `{id}` is withheld: its tools changed and it is set to block on changes (tool_changes = \"block\"); the person approves them with `lanyard tools {id} --review` or `lanyard tools {id} --approve-all`"
    )]
    Source { id: SourceId },
}

/// Why the person's review of a source's tools could not be done.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PinError {
    #[error(transparent)]
    Store(#[from] PinStoreError),
    #[error("source `{id}` has no tool `{name}` waiting for review{}", waiting_list(waiting))]
    NotWithheld { id: SourceId, name: String, waiting: Vec<String> },
}

fn waiting_list(waiting: &[String]) -> String {
    if waiting.is_empty() {
        " (no tool is waiting)".to_owned()
    } else {
        format!(" (waiting: {})", waiting.join(", "))
    }
}

impl PinError {
    pub fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::Store(_) => crate::ErrorKind::Other,
            Self::NotWithheld { .. } => crate::ErrorKind::Usage,
        }
    }
}

/// What agents may not get of a source, as last read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Withholding {
    /// Upstream names of the withheld tools, rejected ones among them.
    tools: BTreeSet<String>,
    rejected: BTreeSet<String>,
    /// The whole source (`block` with a change waiting).
    source: bool,
}

impl Withholding {
    fn of(ledger: Option<&Ledger>, policy: Policy) -> Self {
        let Some(ledger) = ledger else { return Self::default() };
        Self {
            tools: ledger.withheld.keys().cloned().collect(),
            rejected: ledger
                .withheld
                .iter()
                .filter(|(_, held)| held.decision == Decision::Rejected)
                .map(|(name, _)| name.clone())
                .collect(),
            source: policy.changes == ToolChanges::Block && ledger.waiting(),
        }
    }

    fn is_empty(&self) -> bool {
        self.tools.is_empty() && !self.source
    }

    /// Whether `next` gives agents something this withheld: a tool approved (or gone), or the
    /// whole source.
    fn released_by(&self, next: &Self) -> bool {
        (self.source && !next.source) || !self.tools.is_subset(&next.tools)
    }

    /// Whether the whole source is withheld.
    pub fn whole_source(&self) -> bool {
        self.source
    }

    /// Whether the tool of upstream name `name` is withheld (the whole source counts).
    pub fn withholds(&self, name: &str) -> bool {
        self.source || self.tools.contains(name)
    }

    fn reason(&self, source: &SourceId, name: &str) -> Option<Withheld> {
        let (id, name) = (source.clone(), name.to_owned());
        if self.source {
            Some(Withheld::Source { id })
        } else if self.rejected.contains(&name) {
            Some(Withheld::Rejected { id, name })
        } else if self.tools.contains(&name) {
            Some(Withheld::Waiting { id, name })
        } else {
            None
        }
    }
}

/// The policy a profile sets.
pub fn policy_of(profile: &Profile) -> Policy {
    Policy { changes: profile.tool_changes, review_first: profile.review_first }
}

/// One source's pins as a bridge uses them: checks listings, and answers whether a tool is
/// withheld. Shared by the sessions of a route; the file is the truth, this is its last reading.
#[derive(Debug)]
pub struct SourcePins {
    source: SourceId,
    store: PinStore,
    policy: Policy,
    last: Mutex<Withholding>,
    /// Whether `last` withholds anything: a call pays one load for the common case.
    any: AtomicBool,
    /// How many times a reading released something (see [`SourcePins::releases`]).
    releases: AtomicU64,
}

impl SourcePins {
    /// The pins of `profile`'s source in `store`, as they stand.
    pub fn new(store: PinStore, profile: &Profile) -> Self {
        let policy = policy_of(profile);
        let source = profile.id().clone();
        let pins = Self {
            source,
            store,
            policy,
            last: Mutex::default(),
            any: AtomicBool::new(false),
            releases: AtomicU64::new(0),
        };
        pins.reread();
        pins
    }

    pub fn source(&self) -> &SourceId {
        &self.source
    }

    /// Checks a listing of the source's tools (as the server offered them, before the tool
    /// filter) against the pins, records what changed, and returns what agents may not get.
    /// Should the pins be out of reach (a disk error), the listing is trusted as it is rather than
    /// the source failing, with a warning.
    pub fn observe(&self, offered: &[Definition]) -> Withholding {
        self.observe_page(offered, true)
    }

    /// [`SourcePins::observe`] for one page of a listing (see [`Ledger::observe_page`]).
    pub fn observe_page(&self, offered: &[Definition], complete: bool) -> Withholding {
        let now = crate::clock::now();
        let policy = self.policy;
        let observed = self.store.update(&self.source, |ledger| {
            let next = Ledger::observe_page(ledger, offered, complete, policy, now);
            let fresh: Vec<String> = next
                .withheld
                .iter()
                .filter(|(name, held)| ledger.and_then(|l| l.withheld.get(*name)) != Some(*held))
                .map(|(name, _)| name.clone())
                .collect();
            let withholding = Withholding::of(Some(&next), policy);
            (Some(next), (withholding, fresh))
        });
        match observed {
            Ok((withholding, fresh)) => {
                if !fresh.is_empty() {
                    info!(source = %self.source, tools = ?fresh, "tool definitions changed since they were approved; withheld from agents until approved");
                }
                self.remember(withholding.clone());
                withholding
            }
            Err(err) => {
                warn!(source = %self.source, "{err}; the tools are passed on unchecked");
                Withholding::default()
            }
        }
    }

    /// Why the tool of upstream name `name` is withheld, if it is. A tool withheld at the last
    /// reading is looked up again in the file, where the person may have approved it since.
    pub fn withheld(&self, name: &str) -> Option<Withheld> {
        if !self.any.load(Ordering::Acquire) {
            return None;
        }
        if !self.last().withholds(name) {
            return None;
        }
        self.reread().reason(&self.source, name)
    }

    /// Whether anything was withheld at the last reading: the one check a message pays when
    /// nothing is.
    pub fn withholds_anything(&self) -> bool {
        self.any.load(Ordering::Acquire)
    }

    /// Why the whole source is withheld (`block` with a change waiting), if it is.
    pub fn withheld_source(&self) -> Option<Withheld> {
        if !self.any.load(Ordering::Acquire) || !self.last().whole_source() {
            return None;
        }
        self.reread().whole_source().then(|| Withheld::Source { id: self.source.clone() })
    }

    fn last(&self) -> std::sync::MutexGuard<'_, Withholding> {
        self.last.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The file the pins are kept in, for a watcher of approvals by another process.
    pub fn file(&self) -> PathBuf {
        self.store.path(&self.source)
    }

    /// How many times a reading of the pins gave agents something that was withheld (the person
    /// approved a tool or the whole source): a bridge that sees this go up tells its agents that
    /// the tool list changed.
    pub fn releases(&self) -> u64 {
        self.releases.load(Ordering::Acquire)
    }

    /// Reads the pins again from the file, where another process may have changed them.
    pub fn reread(&self) -> Withholding {
        let withholding = match self.store.load(&self.source) {
            Ok(ledger) => Withholding::of(ledger.as_ref(), self.policy),
            Err(err) => {
                warn!(source = %self.source, "{err}");
                self.last().clone()
            }
        };
        self.remember(withholding.clone());
        withholding
    }

    fn remember(&self, withholding: Withholding) {
        self.any.store(!withholding.is_empty(), Ordering::Release);
        let before = std::mem::replace(&mut *self.last(), withholding.clone());
        if before.released_by(&withholding) {
            self.releases.fetch_add(1, Ordering::AcqRel);
        }
    }
}

/// The person's word on a withheld tool, from the app's Review (the CLI has `--approve-all`,
/// `--reject NAME` and `--review`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Pin its definition: agents get it at once.
    #[default]
    Approve,
    /// Keep it withheld until the server changes it again or it is approved.
    Reject,
}

/// What a withheld tool is, next to the pins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = crate::TS_DIR))]
pub enum ChangeKind {
    New,
    Changed,
    Renamed,
}

impl ChangeKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Changed => "changed",
            Self::Renamed => "renamed",
        }
    }
}

/// One withheld tool as the person reviews it: what changed, the readable difference, and the
/// text worth a second look. `lanyard status --json` carries these under `tool_changes`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = crate::TS_DIR))]
pub struct PendingTool {
    /// The tool's upstream name, as offered now.
    pub name: String,
    pub change: ChangeKind,
    /// For a rename: the name it was pinned under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    pub decision: Decision,
    /// When this definition was first offered, Unix seconds.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seen_at: u64,
    /// The difference from the pinned definition, line by line (see [`diff::readable`]).
    pub diff: Vec<String>,
    /// Suspicious text in the offered definition (flagged, never blocked).
    pub flags: Vec<Flag>,
}

/// The tools of a source waiting for review, in name order.
pub fn pending(ledger: &Ledger) -> Vec<PendingTool> {
    let names: Vec<&str> = ledger.pinned.keys().chain(ledger.withheld.keys()).map(String::as_str).collect();
    ledger
        .withheld
        .iter()
        .map(|(name, held)| {
            let (change, renamed_from, before) = match &held.change {
                Change::New => (ChangeKind::New, None, None),
                Change::Changed => (ChangeKind::Changed, None, ledger.pinned.get(name)),
                Change::Renamed { from } => {
                    (ChangeKind::Renamed, Some(from.clone()), ledger.pinned.get(from))
                }
            };
            PendingTool {
                name: name.clone(),
                change,
                renamed_from,
                decision: held.decision,
                seen_at: held.seen_at,
                diff: diff::readable(before.map(|pin| &pin.definition), &held.definition),
                flags: suspicious::scan(&held.definition, &names),
            }
        })
        .collect()
}
