//! The merged server: every enabled source behind one MCP server, so an agent needs one entry.
//!
//! Unlike the per-source bridge, this is an MCP server of its own (rmcp): it lists the tools,
//! prompts and resources of every source that is up, under merged names, and routes
//! `tools/call`, `prompts/get` and `resources/read` to the source they came from. It is served by
//! `lanyard bridge --all` (stdio, [`run_stdio`]) and at `/mcp` of `lanyard serve` ([`service`],
//! behind the same door as `/mcp/<source>`).
//!
//! - **Names.** Tools and prompts are `<prefix>__<name>` (the prefix is the source id unless its
//!   profile's `merged_prefix` says otherwise, and may be empty), cleaned to `[A-Za-z0-9_-]`, at most 64
//!   characters, with a hash suffix when cleaned, cut or colliding: the rule is in [`naming`].
//! - **Resources** keep their upstream URI (resource links in tool results stay readable); a URI
//!   is routed to the source that listed it, and a URI nobody listed (one built from a resource
//!   template, say) is tried on each source that offers resources, in id order.
//! - **Sources that are down** (disabled, needing sign-in, unreachable) are left out of the lists
//!   with the reason logged; a call to one of their names gets that reason as its error. They
//!   never fail the whole list. See [`sources`] for connecting and retrying.
//! - **Changes.** When an upstream sends `notifications/tools/list_changed` (or the prompt or
//!   resource variant), a source that was down joins, or the profile file adds, removes, disables
//!   or changes a source, every agent session gets the matching `list_changed` notification and
//!   lists again. A 2026-07-28 agent, which has no session to
//!   push to, gets the same notifications on its open `subscriptions/listen` request.
//!
//! - **During a call** ([`relay`]): a source's progress reaches the agent under the agent's own
//!   progress token, its sampling, elicitation and roots requests go to the agent that made the
//!   call (refused with a JSON-RPC error if that agent did not declare the capability), and the
//!   agent's `notifications/cancelled` reaches the source with the source's own request id.
//! - **Resource subscriptions**: `resources/subscribe` goes to the source that listed the URI,
//!   once for all agents (the last `resources/unsubscribe`, or the end of the last subscribed
//!   session, tells it to stop), and the source's `notifications/resources/updated` reach the
//!   agents that subscribed. A source of 2026-07-28 is asked with `subscriptions/listen`
//!   instead, and one is opened on it for its list changes too ([`crate::upstream`]'s listens).
//! - **Log messages** ([`logs`]) of every source reach every agent, `logger` naming the source;
//!   an agent's `logging/setLevel` filters its own session only.
//!
//! - **Input rounds** (2026-07-28, SEP-2322): a source of that revision asks with an
//!   `input_required` result instead of a request. An agent of the same revision gets that
//!   result as it is and brings the answers in its next try of the call or prompt, which goes to
//!   the same source with the source's `requestState` untouched; an agent of an earlier revision
//!   is sent each input request as a request during its call, and the call is made again with
//!   the answers. Either way the source is told, with each call, what the agent declared it can
//!   be asked (sampling, elicitation, roots), so it asks for nothing the agent cannot give.
//!
//! A source's request that comes while no agent call is in flight on it (server-everything asks
//! for roots right after connecting) has nobody to go to and is refused with an error saying so.
//! A 2026-07-28 agent cannot be sent requests at all, so an older source's request during its
//! call gets rmcp's refusal (the merged server does not turn it into `input_required`); nor does
//! such an agent get log messages, which are pushed to session-based agents only.

mod error;
mod logs;
mod naming;
mod relay;
mod rights;
mod routing;
mod server;
mod sources;

use std::sync::Arc;

use rmcp::ServiceExt;
use rmcp::transport::StreamableHttpServerConfig;
use rmcp::transport::streamable_http_server::StreamableHttpService;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use tokio_util::sync::CancellationToken;
use tracing::info;

pub use self::error::MergedError;
pub(crate) use self::server::Merged;
use self::server::MergedServer;
use super::BridgeError;
use super::profile_watch::ProfileWatch;
use crate::Engine;

/// Runs the merged server on this process's stdin and stdout until the agent closes its input,
/// for `agent` (`None`: the built-in `default`), which must prove itself as for one source.
pub async fn run_stdio(engine: Engine, agent: Option<&crate::agents::AgentName>) -> Result<(), BridgeError> {
    let (access, _) = super::stdio_agent::prove_agent(&engine, agent).await?;
    let profiles = ProfileWatch::start(engine.profile_store().clone());
    let merged = Arc::new(Merged::new(Arc::new(engine), Arc::clone(&profiles)));
    // The session subscribes to list changes before any upstream can report one.
    let server = MergedServer::new(Arc::clone(&merged), Some(access));
    merged.sources().warm_up();
    let following = merged.sources().follow(profiles.subscribe());
    info!("merged bridge started");
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|err| MergedError::AgentSession { err: Box::new(err) })?;
    let _ = running.waiting().await;
    info!("the agent closed its input; ending every session");
    following.abort();
    merged.sources().close().await;
    merged.sources().engine().call_log().flush();
    Ok(())
}

/// The merged server as a streamable HTTP service, for `lanyard serve`'s `/mcp`. Host, Origin
/// and the bridge token are checked by the door in front of it, so rmcp's own Host check is off.
pub(crate) fn service(
    merged: Arc<Merged>,
    cancel: CancellationToken,
) -> StreamableHttpService<MergedServer, LocalSessionManager> {
    let mut config = StreamableHttpServerConfig::default().disable_allowed_hosts();
    config.cancellation_token = cancel;
    StreamableHttpService::new(
        move || Ok(MergedServer::new(Arc::clone(&merged), None)),
        Default::default(),
        config,
    )
}
