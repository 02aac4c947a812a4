//! The clients Lanyard knows, one module each: where each keeps its servers and how it
//! spells an entry. Each is checked against the client's documented shape in its tests.

mod antigravity;
mod claude_code;
mod claude_desktop;
mod cline;
mod cline_cli;
mod codex;
mod continue_dev;
mod copilot_cli;
mod cursor;
mod gemini_cli;
mod goose;
mod kiro;
mod lm_studio;
mod opencode;
mod vscode;
mod vscode_insiders;
mod vscode_legacy;
mod windsurf;
mod zed;

/// What the client modules share.
mod prelude {
    pub(super) use std::path::PathBuf;

    pub(super) use serde_json::{Value, json};

    pub(super) use crate::clients::client::Client;
    pub(super) use crate::clients::document::{Format, Place};
    pub(super) use crate::clients::entry::{Http, Stdio};
    pub(super) use crate::clients::env::{Env, Os};

    /// Most clients' place: `mcpServers` at the top.
    pub(super) fn mcp_servers(_: &Value) -> Place {
        Place::Map(&["mcpServers"])
    }

    /// The plainest stdio entry: `command` and `args`.
    pub(super) fn command_and_args(stdio: Stdio) -> Value {
        json!({ "command": stdio.command, "args": stdio.args })
    }

    /// `{"Authorization": "Bearer <reference>"}`, the reference in the client's own syntax.
    pub(super) fn bearer(reference: &str) -> Value {
        json!({ "Authorization": format!("Bearer {reference}") })
    }
}

/// Every known client, in the order `lanyard clients` lists them.
pub(crate) const ALL: &[crate::clients::client::Client] = &[
    claude_desktop::CLIENT,
    claude_code::CLIENT,
    cursor::CLIENT,
    vscode::CLIENT,
    vscode_legacy::CLIENT,
    vscode_insiders::CLIENT,
    copilot_cli::CLIENT,
    windsurf::CLIENT,
    zed::CLIENT,
    codex::CLIENT,
    gemini_cli::CLIENT,
    antigravity::CLIENT,
    goose::CLIENT,
    cline::CLIENT,
    cline_cli::CLIENT,
    continue_dev::CLIENT,
    opencode::CLIENT,
    kiro::CLIENT,
    lm_studio::CLIENT,
];
