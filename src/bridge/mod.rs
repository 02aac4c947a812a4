//! What agents talk to: `lanyard bridge <source>` on stdio and `lanyard serve` on loopback HTTP.
//!
//! The per-source bridge is a pass-through: JSON-RPC messages are forwarded as they came, both
//! ways, and only tool filters touch them (see [`rewrite`]). That keeps it cheap and lets methods,
//! notifications and protocol versions it has never heard of flow unharmed. Four paths:
//!
//! | agent | upstream | how |
//! |---|---|---|
//! | stdio | stdio | a line pipe to the child ([`pipe`] + `link::stdio`) |
//! | stdio | HTTP | a message-level streamable HTTP client ([`pipe`] + `link::http`) |
//! | HTTP | stdio | one child per agent session, `Mcp-Session-Id` minted here ([`session`]) |
//! | HTTP | HTTP | an HTTP-level forward, headers swapped and bodies streamed ([`forward`]) |
//!
//! The merged server ([`merged`]) is the exception: one MCP server over every enabled source, with
//! tools and prompts named `<source>__<name>`, served by `lanyard bridge --all` and at `/mcp`.
//!
//! The HTTP listener is a door ([`door`]): loopback only, the install's bridge token ([`token`]),
//! `Host` and `Origin` checked, all before any upstream is touched. Credentials for HTTP upstreams
//! come from one function per request ([`credentials`]), where OAuth tokens will plug in.

#[cfg(unix)]
mod agent_pipes;
mod agents;
mod door;
mod forward;
mod gate;
mod gathered;
mod hosted;
mod hub;
mod inflight;
pub(crate) mod jsonrpc;
mod lines;
mod link;
mod listens;
mod merged;
mod paired;
mod pins_watch;
mod pipe;
mod profile_watch;
mod rewrite;
mod serve;
mod session;
mod stdio_agent;
mod token;

use std::net::SocketAddr;

pub use agents::{AgentCount, AgentRoute, AgentRouteView, Agents, AgentsView, RECENT as AGENTS_RECENT};
pub use hosted::{HUB_PORT_VAR, HostedHub, HubFailure, HubState, hub_port_from_env};
pub use hub::{reload_hub_keys, running_hub};
pub use merged::{MergedError, run_stdio as run_stdio_merged};
pub use serve::{DEFAULT_PORT, Server, SourceRoutes, serve};
pub use stdio_agent::run_stdio;
pub use token::bridge_token;
pub(crate) use token::{kept_token, new_token};

use crate::ErrorKind;
use crate::upstream::UpstreamError;
use crate::vault::VaultError;

/// What can go wrong in the bridge. Errors about one request go back to the agent as JSON-RPC
/// errors with this text; the rest end the bridge.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BridgeError {
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error(transparent)]
    Engine(Box<crate::Error>),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(
        "cannot listen on {addr}: {err}; is another `lanyard serve` running? Pick another port with --port"
    )]
    Bind {
        addr: SocketAddr,
        #[source]
        err: std::io::Error,
    },
    #[error(transparent)]
    Merged(Box<MergedError>),
    #[error(transparent)]
    AgentProof(#[from] crate::agents::ProofError),
    #[error("{0}")]
    AgentLacks(crate::agents::Lack),
    #[error(
        "source `{id}` runs as one server process per agent session at `/mcp/{id}`, and a session starts with `initialize`, which a 2026-07-28 agent does not send; reach it through `/mcp` (every source, merged) or `lanyard bridge {id} --no-hub` on stdio"
    )]
    SessionNeeded { id: crate::ids::SourceId },
    #[error("the agent's standard input or output failed: {err}")]
    AgentIo {
        #[source]
        err: std::io::Error,
    },
}

impl BridgeError {
    /// What kind of thing went wrong: the kind of the error carried, or the bridge's own.
    pub fn kind(&self) -> ErrorKind {
        match self {
            BridgeError::Upstream(err) => err.kind(),
            BridgeError::Engine(err) => err.kind(),
            BridgeError::Vault(err) => err.kind(),
            BridgeError::Merged(err) => err.kind(),
            BridgeError::AgentProof(err) => err.kind(),
            BridgeError::AgentLacks(_) => ErrorKind::Profile,
            BridgeError::SessionNeeded { .. } => ErrorKind::Usage,
            BridgeError::Bind { .. } | BridgeError::AgentIo { .. } => ErrorKind::Other,
        }
    }

    /// Whether the person has to sign in (again) before this source works: the agent gets
    /// [`jsonrpc::SIGN_IN_NEEDED`] and a message naming the command, never a browser window.
    pub fn needs_sign_in(&self) -> bool {
        self.kind() == ErrorKind::NeedsSignIn
    }

    /// The JSON-RPC error code an agent gets for this error. Agents branch on these codes, so
    /// they stay as they are: only a needed sign-in has its own.
    pub(crate) fn json_rpc_code(&self) -> i32 {
        match self.kind() {
            ErrorKind::NeedsSignIn => jsonrpc::SIGN_IN_NEEDED,
            ErrorKind::Usage
            | ErrorKind::Profile
            | ErrorKind::ProfileFile
            | ErrorKind::ConnectionSetup
            | ErrorKind::Unreachable
            | ErrorKind::Protocol
            | ErrorKind::SignInFailed
            | ErrorKind::KeychainLocked
            | ErrorKind::NoKeychain
            | ErrorKind::Keychain
            | ErrorKind::ServerError
            | ErrorKind::Other => jsonrpc::UPSTREAM_FAILED,
        }
    }
}

impl From<crate::Error> for BridgeError {
    fn from(err: crate::Error) -> Self {
        match err {
            crate::Error::Upstream(err) => BridgeError::Upstream(err),
            other => BridgeError::Engine(Box::new(other)),
        }
    }
}

impl From<MergedError> for BridgeError {
    fn from(err: MergedError) -> Self {
        BridgeError::Merged(Box::new(err))
    }
}
