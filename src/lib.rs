//! Lanyard's engine: profiles, the vault of secrets, connections to MCP servers.
//!
//! Everything that does not need a window lives here, so that the `lanyard` CLI, the bridge and
//! the desktop shell are thin callers of one library, and most tests run without a display.
//! Imports point one way: front-ends use this crate's public API; this crate never knows them.

pub mod agents;
pub mod bridge;
pub mod catalog;
pub mod clients;
pub mod clock;
pub mod credentials;
pub mod diagnostics;
pub mod doctor;
pub mod engine;
pub mod error;
pub mod error_chain;
pub mod error_kind;
pub mod expand;
pub mod filter;
#[doc(hidden)]
pub mod fuzz;
pub mod history;
pub mod ids;
pub mod launch;
pub mod net;
pub mod oauth;
pub mod paths;
pub mod pins;
pub mod profile;
pub mod program;
pub mod remedy;
pub mod sandbox;
pub mod secret;
pub mod shell_quote;
pub mod source;
pub mod suggest;
pub mod upstream;
pub mod vault;

pub use engine::{AgentVia, Engine};
pub use error::Error;
pub use error_kind::ErrorKind;
pub use secret::Secret;

/// Where the desktop app's tests write the TypeScript types (feature `ts`): the front end's
/// `ui/src/api/generated/`, relative to `src-tauri/bindings/`, ts-rs's base when those tests run.
#[cfg(feature = "ts")]
pub const TS_DIR: &str = "../../ui/src/api/generated/";
