//! The entries Lanyard writes into a client's file, and telling them apart from the others.
//!
//! Lanyard writes one entry per source that runs `lanyard bridge <id>` over stdio (or, for a
//! client that speaks HTTP and has a way to keep the bridge token out of the file, one that
//! points at the hub's `/mcp/<id>`). Reading a file back, any entry whose program is a
//! `lanyard` binary running `bridge`, or whose URL is a loopback `/mcp` address, goes through
//! Lanyard; whatever the client's own key names are.

use std::path::PathBuf;

use serde_json::Value;

/// The variable a client reads the hub's bridge token from (see `lanyard bridge-token`).
pub const TOKEN_VAR: &str = "LANYARD_BRIDGE_TOKEN";

/// A stdio entry: the program and its arguments.
#[derive(Debug, Clone, Copy)]
pub struct Stdio<'a> {
    /// The server's name in the client's file (the source id).
    pub name: &'a str,
    pub command: &'a str,
    pub args: &'a [String],
}

/// An HTTP entry: the hub's address for one source, and the variable holding its token.
#[derive(Debug, Clone, Copy)]
pub struct Http<'a> {
    /// The server's name in the client's file (the source id).
    pub name: &'a str,
    pub url: &'a str,
    pub token_var: &'a str,
}

/// What an existing entry runs, when it goes through Lanyard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViaLanyard {
    /// `lanyard bridge <id>`, with the program as written (an absolute path may go stale).
    Bridge { source: String, program: PathBuf },
    /// `lanyard bridge --all`.
    Merged { program: PathBuf },
    /// The hub's HTTP address for a source.
    Hub { source: String },
}

impl ViaLanyard {
    /// The source it serves (`None` for every source merged).
    pub fn source(&self) -> Option<&str> {
        match self {
            ViaLanyard::Bridge { source, .. } | ViaLanyard::Hub { source } => Some(source),
            ViaLanyard::Merged { .. } => None,
        }
    }
}

/// Whether `entry` goes through Lanyard, and how.
pub fn via_lanyard(entry: &Value) -> Option<ViaLanyard> {
    if let Some(url) = ["url", "serverUrl", "httpUrl", "uri"].iter().find_map(|k| entry.get(k)?.as_str()) {
        return hub_source(url).map(|source| ViaLanyard::Hub { source });
    }
    let (program, args) = command_line(entry)?;
    if !is_lanyard_program(&program) {
        return None;
    }
    let program = PathBuf::from(program);
    match args.as_slice() {
        [bridge, all, ..] if bridge == "bridge" && all == "--all" => Some(ViaLanyard::Merged { program }),
        [bridge, source, ..] if bridge == "bridge" => {
            Some(ViaLanyard::Bridge { source: source.clone(), program })
        }
        _ => None,
    }
}

/// Whether a program as written runs the `lanyard` binary: `lanyard`, a path to it, or
/// `lanyard.exe`, whichever OS the path was written for.
fn is_lanyard_program(program: &str) -> bool {
    let file = program.rsplit(['/', '\\']).next().unwrap_or(program);
    let file = file.strip_suffix(".exe").or_else(|| file.strip_suffix(".EXE")).unwrap_or(file);
    file == "lanyard"
}

/// The program and arguments of a stdio entry, in any client's spelling: `command` and
/// `args`, Goose's `cmd`, or OpenCode's one `command` list.
fn command_line(entry: &Value) -> Option<(String, Vec<String>)> {
    let strings = |value: Option<&Value>| -> Vec<String> {
        value
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    match entry.get("command").or_else(|| entry.get("cmd"))? {
        Value::String(program) => Some((program.clone(), strings(entry.get("args")))),
        Value::Array(_) => {
            let mut parts = strings(entry.get("command"));
            if parts.is_empty() {
                return None;
            }
            let program = parts.remove(0);
            Some((program, parts))
        }
        _ => None,
    }
}

/// `<id>` of `http://127.0.0.1:<port>/mcp/<id>` (or `localhost`).
fn hub_source(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    let mut segments = url.path_segments()?;
    if !loopback || segments.next() != Some("mcp") {
        return None;
    }
    segments.next().filter(|id| !id.is_empty()).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn lanyard_entries_are_told_apart_in_every_spelling() {
        let bridge = |source: &str, program: &str| ViaLanyard::Bridge {
            source: source.into(),
            program: program.into(),
        };
        for (entry, expected) in [
            (
                json!({"command": "/usr/bin/lanyard", "args": ["bridge", "github"]}),
                Some(bridge("github", "/usr/bin/lanyard")),
            ),
            (json!({"cmd": "lanyard", "args": ["bridge", "docs"]}), Some(bridge("docs", "lanyard"))),
            (
                json!({"command": ["C:\\x\\lanyard.exe", "bridge", "a"]}),
                Some(bridge("a", "C:\\x\\lanyard.exe")),
            ),
            (
                json!({"command": "lanyard", "args": ["bridge", "--all"]}),
                Some(ViaLanyard::Merged { program: "lanyard".into() }),
            ),
            (
                json!({"serverUrl": "http://127.0.0.1:4820/mcp/github"}),
                Some(ViaLanyard::Hub { source: "github".into() }),
            ),
            (json!({"url": "https://example.com/mcp/github"}), None),
            (json!({"command": "npx", "args": ["bridge", "x"]}), None),
            (json!({"command": "lanyard", "args": ["serve"]}), None),
        ] {
            assert_eq!(via_lanyard(&entry), expected, "{entry}");
        }
    }
}
