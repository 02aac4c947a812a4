//! An [`Elicitor`] for a front end that asks its person somewhere else than where the call runs:
//! the app, whose window shows the form while the engine holds the server's request.
//!
//! Each request gets a number and goes out through the front end's `tell` (the app sends it to
//! the window as an event); the answer comes back through [`PersonRelay::answer`] with that
//! number (the window's command). The rule of [`Elicitor`] holds here too: every request is
//! answered. A person who does not answer within the relay's patience, or a front end that can
//! no longer answer (the request forgotten), answers `cancel`; an answer that comes too late, or
//! twice, finds nobody waiting and says so, so the front end can tell its person.
//!
//! A URL is opened only when the person asks for it, and only the URL the server sent: the front
//! end names the request ([`PersonRelay::url_of`]), never a URL of its own.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use futures::future::BoxFuture;
use rmcp::model::{ElicitRequestParams, ElicitResult, ElicitationAction};
use tokio::sync::oneshot;

use super::person::Elicitor;
use crate::ids::SourceId;

/// One request the front end is asked to put to its person.
#[derive(Debug, Clone)]
pub struct Asked {
    /// What [`PersonRelay::answer`] is called with.
    pub number: u64,
    pub source: SourceId,
    /// The server's request as it sent it: a form (message and requested schema) or a URL.
    pub request: ElicitRequestParams,
}

/// What the person chose.
#[derive(Debug, Clone, PartialEq)]
pub enum PersonAnswer {
    /// Go ahead: the form's values (none are sent for a URL the person opened).
    Accept(serde_json::Map<String, serde_json::Value>),
    /// No, and the server may ask again another way.
    Decline,
    /// Not now: the person dismissed the question.
    Cancel,
}

impl From<PersonAnswer> for ElicitResult {
    fn from(answer: PersonAnswer) -> Self {
        match answer {
            PersonAnswer::Accept(content) => {
                Self::new(ElicitationAction::Accept).with_content(serde_json::Value::Object(content))
            }
            PersonAnswer::Decline => Self::new(ElicitationAction::Decline),
            PersonAnswer::Cancel => Self::new(ElicitationAction::Cancel),
        }
    }
}

/// Whoever tells the front end's person about a request.
type Tell = Box<dyn Fn(Asked) + Send + Sync>;

/// Requests handed to the front end, each waiting for its person's answer.
pub struct PersonRelay {
    tell: Tell,
    patience: Duration,
    next: AtomicU64,
    waiting: Mutex<HashMap<u64, Waiting>>,
}

/// A request handed out and not answered yet.
struct Waiting {
    source: SourceId,
    /// The URL of a URL-mode request, when it is one a browser can open.
    url: Option<url::Url>,
    answer: oneshot::Sender<ElicitResult>,
}

impl std::fmt::Debug for PersonRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonRelay").field("patience", &self.patience).finish_non_exhaustive()
    }
}

impl PersonRelay {
    /// A relay that tells the front end each request through `tell` and answers `cancel` for
    /// the person after `patience` without an answer.
    pub fn new(patience: Duration, tell: impl Fn(Asked) + Send + Sync + 'static) -> Self {
        Self { tell: Box::new(tell), patience, next: AtomicU64::new(1), waiting: Mutex::default() }
    }

    /// The person's answer to request `number`. `false` when no request waits under that
    /// number (it was answered already, or ran out of patience): nothing was sent.
    pub fn answer(&self, number: u64, answer: PersonAnswer) -> bool {
        let Some(waiting) = self.waiting().remove(&number) else { return false };
        waiting.answer.send(answer.into()).is_ok()
    }

    /// The URL request `number` asks the person to open, with the source that sent it; `None`
    /// when that request is not a URL request or no longer waits.
    pub fn url_of(&self, number: u64) -> Option<(SourceId, url::Url)> {
        let waiting = self.waiting();
        let asked = waiting.get(&number)?;
        Some((asked.source.clone(), asked.url.clone()?))
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Waiting>> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Forgets a request when its wait ends, however it ends (answered, out of patience, or the call
/// dropped), so a late answer finds nobody waiting.
struct Forget<'a> {
    relay: &'a PersonRelay,
    number: u64,
}

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        self.relay.waiting().remove(&self.number);
    }
}

impl Elicitor for PersonRelay {
    fn elicit<'a>(
        &'a self,
        source: &'a SourceId,
        request: ElicitRequestParams,
    ) -> BoxFuture<'a, ElicitResult> {
        Box::pin(async move {
            let number = self.next.fetch_add(1, Ordering::Relaxed);
            let (answer, answered) = oneshot::channel();
            let url = match &request {
                ElicitRequestParams::UrlElicitationParams { url, .. } => url::Url::parse(url).ok(),
                _ => None,
            };
            let is_url = matches!(request, ElicitRequestParams::UrlElicitationParams { .. });
            self.waiting().insert(number, Waiting { source: source.clone(), url, answer });
            let _forget = Forget { relay: self, number };
            (self.tell)(Asked { number, source: source.clone(), request });
            match tokio::time::timeout(self.patience, answered).await {
                Ok(Ok(result)) if is_url => ElicitResult::new(result.action),
                Ok(Ok(result)) => result,
                Ok(Err(_)) | Err(_) => {
                    tracing::debug!(%source, number, "no answer from the person; cancelled");
                    ElicitResult::new(ElicitationAction::Cancel)
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;

    fn form() -> ElicitRequestParams {
        serde_json::from_value(json!({
            "message": "Your name?",
            "requestedSchema": { "type": "object", "properties": { "name": { "type": "string" } } },
        }))
        .unwrap()
    }

    /// A relay whose front end is a channel of the numbers it was told.
    fn relay(patience: Duration) -> (Arc<PersonRelay>, tokio::sync::mpsc::UnboundedReceiver<Asked>) {
        let (told, asked) = tokio::sync::mpsc::unbounded_channel();
        let relay = PersonRelay::new(patience, move |asked| {
            let _ = told.send(asked);
        });
        (Arc::new(relay), asked)
    }

    fn content(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        value.as_object().cloned().unwrap()
    }

    fn source() -> SourceId {
        "modern".parse().unwrap()
    }

    #[tokio::test]
    async fn the_front_end_is_told_the_request_and_its_answer_reaches_the_server() {
        let (relay, mut asked) = relay(Duration::from_secs(30));
        let asking = tokio::spawn({
            let relay = Arc::clone(&relay);
            async move { relay.elicit(&source(), form()).await }
        });
        let told = asked.recv().await.unwrap();
        assert_eq!(told.source, source());
        assert_eq!(relay.url_of(told.number), None, "a form has no URL to open");
        assert!(
            matches!(&told.request, ElicitRequestParams::FormElicitationParams { message, .. } if message == "Your name?")
        );
        assert!(relay.answer(told.number, PersonAnswer::Accept(content(json!({ "name": "Ada" })))));
        let result = asking.await.unwrap();
        assert_eq!(result.action, ElicitationAction::Accept);
        assert_eq!(result.content, Some(json!({ "name": "Ada" })));
        assert!(!relay.answer(told.number, PersonAnswer::Decline), "a second answer finds nobody waiting");
    }

    #[tokio::test]
    async fn decline_and_cancel_carry_no_content() {
        let (relay, mut asked) = relay(Duration::from_secs(30));
        for (answer, action) in [
            (PersonAnswer::Decline, ElicitationAction::Decline),
            (PersonAnswer::Cancel, ElicitationAction::Cancel),
        ] {
            let asking = tokio::spawn({
                let relay = Arc::clone(&relay);
                async move { relay.elicit(&source(), form()).await }
            });
            let told = asked.recv().await.unwrap();
            assert!(relay.answer(told.number, answer));
            let result = asking.await.unwrap();
            assert_eq!((result.action, result.content), (action, None));
        }
    }

    #[tokio::test]
    async fn an_accepted_url_carries_no_content() {
        let (relay, mut asked) = relay(Duration::from_secs(30));
        let url: ElicitRequestParams = serde_json::from_value(json!({
            "mode": "url", "message": "Sign the form", "url": "https://example.com/form", "elicitationId": "e1",
        }))
        .unwrap();
        let asking = tokio::spawn({
            let relay = Arc::clone(&relay);
            async move { relay.elicit(&source(), url).await }
        });
        let told = asked.recv().await.unwrap();
        assert!(
            matches!(told.request, ElicitRequestParams::UrlElicitationParams { .. }),
            "{:?}",
            told.request
        );
        assert_eq!(
            relay.url_of(told.number),
            Some((source(), url::Url::parse("https://example.com/form").unwrap())),
            "the front end opens the server's URL, named by the request"
        );
        assert!(relay.answer(told.number, PersonAnswer::Accept(content(json!({ "stray": 1 })))));
        let result = asking.await.unwrap();
        assert_eq!((result.action, result.content), (ElicitationAction::Accept, None));
        assert_eq!(relay.url_of(told.number), None, "an answered request opens nothing more");
    }

    #[tokio::test]
    async fn no_answer_within_the_patience_is_cancel_and_a_late_answer_is_refused() {
        let (relay, mut asked) = relay(Duration::from_millis(50));
        let asking = tokio::spawn({
            let relay = Arc::clone(&relay);
            async move { relay.elicit(&source(), form()).await }
        });
        let told = asked.recv().await.unwrap();
        let result = asking.await.unwrap();
        assert_eq!(result.action, ElicitationAction::Cancel);
        assert!(!relay.answer(told.number, PersonAnswer::Accept(serde_json::Map::new())), "too late");
    }

    #[tokio::test]
    async fn each_request_has_its_own_number() {
        let (relay, mut asked) = relay(Duration::from_secs(30));
        let first = tokio::spawn({
            let relay = Arc::clone(&relay);
            async move { relay.elicit(&source(), form()).await }
        });
        let second = tokio::spawn({
            let relay = Arc::clone(&relay);
            async move { relay.elicit(&source(), form()).await }
        });
        let (a, b) = (asked.recv().await.unwrap(), asked.recv().await.unwrap());
        assert_ne!(a.number, b.number);
        assert!(relay.answer(b.number, PersonAnswer::Decline));
        assert!(relay.answer(a.number, PersonAnswer::Accept(content(json!({ "name": "A" })))));
        let mut actions = [first.await.unwrap().action, second.await.unwrap().action];
        actions.sort_by_key(|action| action == &ElicitationAction::Decline);
        assert_eq!(
            actions,
            [ElicitationAction::Accept, ElicitationAction::Decline],
            "each wait got its own answer"
        );
    }
}
