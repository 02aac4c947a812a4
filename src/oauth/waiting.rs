//! The sign-ins this process runs that can be cancelled while they wait, so that a front end's
//! *Cancel* (the app's) can stop one ([`crate::Engine::cancel_sign_in`]).
//!
//! Stopping means dropping the sign-in's future: its loopback listener closes, its pending record
//! (`lanyard status`'s *sign-in pending*, see [`pending`](super::pending)) is removed, and nothing
//! is stored, exactly as when `lanyard connect` is interrupted with Ctrl-C. The map holds only the
//! stop handles; its lock is never held across an await.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use tokio::sync::oneshot;

use crate::ids::SourceId;

type Running = HashMap<SourceId, (u64, oneshot::Sender<()>)>;

/// The stop handles of running sign-ins, by source.
#[derive(Debug, Default)]
pub(crate) struct WaitingSignIns {
    running: Mutex<Running>,
    next: AtomicU64,
}

/// One running sign-in's side: [`Waiting::cancelled`] resolves when it is cancelled. Dropping it
/// (the sign-in ended) forgets its handle.
pub(crate) struct Waiting<'a> {
    owner: &'a WaitingSignIns,
    id: SourceId,
    number: u64,
    stop: Option<oneshot::Receiver<()>>,
}

impl WaitingSignIns {
    /// Registers a sign-in of `id`. A second one of the same source replaces the first's handle
    /// (a front end offers one at a time); the first then runs to its end.
    pub(crate) fn begin(&self, id: &SourceId) -> Waiting<'_> {
        let number = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.lock().insert(id.clone(), (number, tx));
        Waiting { owner: self, id: id.clone(), number, stop: Some(rx) }
    }

    /// Stops the sign-in of `id`; false when none runs.
    pub(crate) fn cancel(&self, id: &SourceId) -> bool {
        match self.lock().remove(id) {
            Some((_, stop)) => stop.send(()).is_ok(),
            None => false,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Running> {
        self.running.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Waiting<'_> {
    /// Resolves when [`WaitingSignIns::cancel`] is called for this sign-in; never otherwise.
    pub(crate) async fn cancelled(&mut self) {
        match self.stop.take() {
            Some(stop) => {
                if stop.await.is_err() {
                    // Replaced by a newer sign-in of the same source: that one is cancellable now,
                    // this one runs to its end.
                    std::future::pending::<()>().await;
                }
            }
            None => std::future::pending::<()>().await,
        }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let mut running = self.owner.lock();
        if running.get(&self.id).is_some_and(|(number, _)| *number == self.number) {
            running.remove(&self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn id(name: &str) -> SourceId {
        name.parse().unwrap()
    }

    #[tokio::test]
    async fn cancel_reaches_the_waiting_sign_in_and_only_that_one() {
        let sign_ins = WaitingSignIns::default();
        let mut waiting = sign_ins.begin(&id("github"));
        assert!(!sign_ins.cancel(&id("other")), "no sign-in of another source to cancel");
        assert!(sign_ins.cancel(&id("github")), "the running sign-in is cancelled");
        tokio::time::timeout(Duration::from_secs(5), waiting.cancelled())
            .await
            .expect("the cancel must reach the sign-in");
        assert!(!sign_ins.cancel(&id("github")), "a cancelled sign-in cannot be cancelled twice");
    }

    #[tokio::test]
    async fn an_ended_sign_in_leaves_nothing_behind() {
        let sign_ins = WaitingSignIns::default();
        drop(sign_ins.begin(&id("github")));
        assert!(!sign_ins.cancel(&id("github")), "the ended sign-in's handle is gone");

        let first = sign_ins.begin(&id("github"));
        let _second = sign_ins.begin(&id("github"));
        drop(first);
        assert!(sign_ins.cancel(&id("github")), "the first ending does not forget the second's handle");
    }
}
