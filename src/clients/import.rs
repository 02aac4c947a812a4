//! A client's own server entries in the one shape `lanyard import` reads: `command`, `args`,
//! `env`, or `type`, `url`, `headers` (see `profile::import_servers`).
//!
//! Each client spells an entry its own way (Goose's `cmd` and `uri`, OpenCode's one `command`
//! list and `environment`, Codex's `http_headers` and `bearer_token_env_var`, Gemini's
//! `httpUrl`, Continue's `requestOptions`); taking over a client's servers starts here, so that
//! the import itself (and its rule that no secret is copied into the profile file) is written
//! once.

use std::path::Path;

use serde_json::{Map, Value};

use super::client::Client;
use super::document::DocError;
use super::entry::via_lanyard;
use super::inventory::read_file;

/// The servers in `client`'s file at `path` that do not go through Lanyard yet, in the import
/// shape: what taking the client over imports, and what the app counts as the servers Lanyard
/// could manage.
pub fn importable(client: &Client, path: &Path) -> Result<Vec<(String, Value)>, DocError> {
    Ok(read_file(client, path)?
        .into_iter()
        .filter(|(_, entry)| via_lanyard(entry).is_none())
        .map(|(name, entry)| {
            let entry = normalize(client, &entry);
            (name, entry)
        })
        .collect())
}

/// `entry` of `client` in the import shape.
pub fn normalize(client: &Client, entry: &Value) -> Value {
    let Some(fields) = entry.as_object() else { return entry.clone() };
    let mut out = Map::new();
    let get = |key: &str| fields.get(key).cloned();
    let disabled = fields.get("enabled").and_then(Value::as_bool) == Some(false)
        || fields.get("disabled").and_then(Value::as_bool) == Some(true);
    if disabled {
        out.insert("disabled".into(), Value::Bool(true));
    }
    // The program and its arguments.
    match get("command").or_else(|| get("cmd")) {
        Some(Value::Array(parts)) => {
            let mut parts = parts.into_iter();
            if let Some(program) = parts.next() {
                out.insert("command".into(), program);
            }
            out.insert("args".into(), Value::Array(parts.collect()));
        }
        Some(program) => {
            out.insert("command".into(), program);
            if let Some(args) = get("args") {
                out.insert("args".into(), args);
            }
        }
        None => {}
    }
    if let Some(env) = get("env").or_else(|| get("envs")).or_else(|| get("environment")) {
        out.insert("env".into(), env);
    }
    if let Some(cwd) = get("cwd") {
        out.insert("cwd".into(), cwd);
    }
    // The address and its headers.
    let url = ["url", "serverUrl", "httpUrl", "uri"].iter().find_map(|key| get(key));
    if let Some(url) = url {
        out.insert("url".into(), url);
    }
    let mut headers = get("headers")
        .or_else(|| get("http_headers"))
        .or_else(|| fields.get("requestOptions").and_then(|o| o.get("headers")).cloned())
        .and_then(|h| h.as_object().cloned())
        .unwrap_or_default();
    for (header, var) in fields.get("env_http_headers").and_then(Value::as_object).into_iter().flatten() {
        if let Some(var) = var.as_str() {
            headers.insert(header.clone(), Value::String(format!("${{{var}}}")));
        }
    }
    if let Some(var) = fields.get("bearer_token_env_var").and_then(Value::as_str) {
        headers.insert("Authorization".into(), Value::String(format!("Bearer ${{{var}}}")));
    }
    if !headers.is_empty() {
        out.insert("headers".into(), Value::Object(headers));
    }
    if let Some(kind) = transport(client, fields) {
        out.insert("type".into(), Value::String(kind));
    }
    Value::Object(out)
}

/// The entry's transport in the import's words, when the client says it.
fn transport(client: &Client, fields: &Map<String, Value>) -> Option<String> {
    let kind = fields.get("type").and_then(Value::as_str);
    let known = match kind {
        Some("stdio" | "local") => "stdio",
        Some("http" | "remote" | "streamable_http" | "streamable-http" | "streamableHttp") => "http",
        Some("sse") => "sse",
        // Gemini CLI: `httpUrl` is streamable HTTP, `url` the older SSE transport.
        None if client.id == "gemini-cli" && fields.contains_key("httpUrl") => "http",
        None if client.id == "gemini-cli" && fields.contains_key("url") => "sse",
        None => return None,
        // An unknown kind (Goose's `builtin`, ...) is kept, so that the import reports it by name.
        Some(other) => other,
    };
    Some(known.to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::clients::find;

    #[test]
    fn each_clients_spelling_becomes_the_import_shape() {
        let client = |id| find(id).unwrap();
        for (id, entry, expected) in [
            (
                "goose",
                json!({"name": "gh", "type": "stdio", "cmd": "npx", "args": ["-y", "gh"], "envs": {"K": "v"}, "enabled": true}),
                json!({"type": "stdio", "command": "npx", "args": ["-y", "gh"], "env": {"K": "v"}}),
            ),
            (
                "goose",
                json!({"type": "streamable_http", "uri": "https://x/mcp", "enabled": false}),
                json!({"type": "http", "url": "https://x/mcp", "disabled": true}),
            ),
            (
                "opencode",
                json!({"type": "local", "command": ["npx", "-y", "gh"], "environment": {"K": "v"}}),
                json!({"type": "stdio", "command": "npx", "args": ["-y", "gh"], "env": {"K": "v"}}),
            ),
            (
                "codex",
                json!({"url": "https://x/mcp", "bearer_token_env_var": "TOKEN", "env_http_headers": {"X-Team": "TEAM"}}),
                json!({"url": "https://x/mcp", "headers": {"Authorization": "Bearer ${TOKEN}", "X-Team": "${TEAM}"}}),
            ),
            (
                "gemini-cli",
                json!({"httpUrl": "https://x/mcp"}),
                json!({"type": "http", "url": "https://x/mcp"}),
            ),
            ("gemini-cli", json!({"url": "https://x/sse"}), json!({"type": "sse", "url": "https://x/sse"})),
            (
                "continue",
                json!({"name": "x", "type": "streamable-http", "url": "https://x/mcp", "requestOptions": {"headers": {"A": "b"}}}),
                json!({"type": "http", "url": "https://x/mcp", "headers": {"A": "b"}}),
            ),
            (
                "copilot-cli",
                json!({"type": "local", "command": "npx", "tools": ["*"]}),
                json!({"type": "stdio", "command": "npx"}),
            ),
        ] {
            assert_eq!(normalize(client(id), &entry), expected, "{id}: {entry}");
        }
    }
}
