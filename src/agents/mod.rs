//! Agents: who is calling the bridge, and what each may reach.
//!
//! The bridge separates two questions: *whose credentials reach a server* (the source's, kept in
//! the keychain) and *who is calling* (an agent, with a key of its own). Each agent is a table in
//! the profile file ([`AgentProfile`], `[agents.<name>]`) naming the sources it may use, the
//! tools of each and whether it may use resources and prompts, and has its own token in the
//! keychain ([`keys`]). The install-wide bridge token is the built-in agent `default`, which may
//! use everything, so setups made before agents existed work unchanged.
//!
//! The bridge checks every request against the caller's [`Access`] (precomputed from the
//! profile), on every path: `lanyard bridge <id>`, `bridge --all`, `/mcp/<id>` and `/mcp`; and
//! records each call in the [`calls`] log.

mod access;
mod board;
pub mod calls;
mod keys;
mod model;

pub use access::{Access, Grant, Lack, SourceAccess, Touches};
pub use board::{AgentChange, AgentRights, AgentRow, AgentUse, AgentsBoard, ToolRule, board};
pub use calls::{Call, CallFilter, CallLog, Outcome};
pub use keys::{
    Keyring, ProofError, TOKEN_VAR, access_of, agent_token, existing_token, forget_token, prove,
    rotate_token, token_matches, token_var_of,
};
pub use model::{AgentName, AgentProfile, AgentTools, DEFAULT_AGENT, InvalidAgentName};
