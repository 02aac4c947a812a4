//! The seam where a server's `elicitation/create` reaches a person rather than an agent: the
//! CLI's own sessions, where the one who ran `lanyard call` is the user the server wants to ask,
//! and the app's, where the person who pressed *Run* is ([`PersonRelay`](super::PersonRelay)).
//!
//! The engine knows no terminal and no window, so it only declares the capability and hands the
//! request to an [`Elicitor`] the front-end gave it ([`Offers::Person`](super::Offers::Person)).
//! The rule for an implementation: always answer. Whoever cannot ask anybody (no terminal, a
//! script) answers `decline`, which the spec makes a normal outcome, never an error; a person who
//! walks away (end of input) answers `cancel`.

use futures::future::BoxFuture;
use rmcp::model::{ElicitRequestParams, ElicitResult};

use crate::ids::SourceId;

/// Asks the person at hand what a server wants to know, in form or URL mode.
pub trait Elicitor: Send + Sync + std::fmt::Debug + 'static {
    /// The person's answer to `request`, sent by the server of `source`.
    fn elicit<'a>(
        &'a self,
        source: &'a SourceId,
        request: ElicitRequestParams,
    ) -> BoxFuture<'a, ElicitResult>;
}
