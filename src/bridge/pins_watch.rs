//! Approvals reach the agents connected at that moment: when the person approves withheld tools
//! (`lanyard tools <id> --approve-all` or `--review`, or the app: another process), every bridge
//! session of the source sends its agent `notifications/tools/list_changed`, so the agent lists
//! again and gets them without reconnecting. A 2026-07-28 agent, which is sent nothing unasked,
//! gets it on the `subscriptions/listen` it keeps open for that ([`super::listens`]).
//!
//! The approval is written to the source's pins file ([`crate::pins`]), so this follows that file
//! the way [`super::profile_watch`] follows the profile file: a `stat` every [`EVERY`], a read only
//! when it changed, and only while something is withheld (a source with nothing withheld costs
//! one atomic load a second).

use std::sync::Arc;

use bytes::Bytes;

use super::profile_watch::{EVERY, Stamp};
use crate::pins::SourcePins;

/// What the agent is sent when an approval gave it tools.
pub(crate) const TOOLS_CHANGED: &[u8] = br#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#;

/// Calls `tell` each time the person releases something `pins` withheld, for as long as `goes_on`
/// says so (looked at once every [`EVERY`]). Run it as a task of its own.
pub(crate) async fn follow(pins: Arc<SourcePins>, goes_on: impl Fn() -> bool, tell: impl Fn()) {
    let mut told = pins.releases();
    let mut seen: Option<Stamp> = None;
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if !goes_on() {
            return;
        }
        if pins.withholds_anything() {
            let stamp = Stamp::of(&pins.file());
            if seen.as_ref() != Some(&stamp) {
                seen = Some(stamp);
                pins.reread();
            }
        }
        // A release another path saw (a call that read the file again) counts too.
        let releases = pins.releases();
        if releases != told {
            told = releases;
            tell();
        }
    }
}

/// [`TOOLS_CHANGED`] as a message to send.
pub(crate) fn tools_changed() -> Bytes {
    Bytes::from_static(TOOLS_CHANGED)
}
