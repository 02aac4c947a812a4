//! The sign-ins this window started and that still wait, so that *Cancel* can stop one.
//!
//! Stopping means dropping the engine's sign-in future: its loopback listener closes, its pending
//! record (`lanyard status`'s *sign-in pending*) is removed, and nothing is stored, exactly as when
//! `lanyard connect` is interrupted with Ctrl-C. The map holds only the stop handles; the lock is
//! never held across an await.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::oneshot;

/// The stop handles of running sign-ins, by source id.
#[derive(Default)]
pub struct WaitingSignIns {
    running: Mutex<HashMap<String, (u64, oneshot::Sender<()>)>>,
    next: Mutex<u64>,
}

/// One running sign-in's side: [`Waiting::cancelled`] resolves when Cancel is clicked. Dropping it
/// (the sign-in ended) forgets its handle.
pub struct Waiting<'a> {
    owner: &'a WaitingSignIns,
    id: String,
    number: u64,
    stop: Option<oneshot::Receiver<()>>,
}

impl WaitingSignIns {
    /// Registers a sign-in of `id`. A second one of the same source replaces the first's handle
    /// (the window offers one at a time).
    pub fn begin(&self, id: &str) -> Waiting<'_> {
        let number = {
            let mut next = self.next.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            *next += 1;
            *next
        };
        let (tx, rx) = oneshot::channel();
        self.lock().insert(id.to_owned(), (number, tx));
        Waiting { owner: self, id: id.to_owned(), number, stop: Some(rx) }
    }

    /// Stops the sign-in of `id`; false when none runs.
    pub fn cancel(&self, id: &str) -> bool {
        match self.lock().remove(id) {
            Some((_, stop)) => stop.send(()).is_ok(),
            None => false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u64, oneshot::Sender<()>)>> {
        self.running.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Waiting<'_> {
    /// Resolves when [`WaitingSignIns::cancel`] is called for this sign-in; never otherwise.
    pub async fn cancelled(&mut self) {
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

    #[tokio::test]
    async fn cancel_reaches_the_waiting_sign_in_and_only_that_one() {
        let sign_ins = WaitingSignIns::default();
        let mut waiting = sign_ins.begin("github");
        assert!(!sign_ins.cancel("other"), "no sign-in of another source to cancel");
        assert!(sign_ins.cancel("github"), "the running sign-in is cancelled");
        tokio::time::timeout(Duration::from_secs(5), waiting.cancelled())
            .await
            .expect("the cancel must reach the sign-in");
        assert!(!sign_ins.cancel("github"), "a cancelled sign-in cannot be cancelled twice");
    }

    #[tokio::test]
    async fn an_ended_sign_in_leaves_nothing_behind() {
        let sign_ins = WaitingSignIns::default();
        drop(sign_ins.begin("github"));
        assert!(!sign_ins.cancel("github"), "the ended sign-in's handle is gone");

        let first = sign_ins.begin("github");
        let _second = sign_ins.begin("github");
        drop(first);
        assert!(sign_ins.cancel("github"), "the first ending does not forget the second's handle");
    }
}
