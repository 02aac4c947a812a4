//! `lanyard config <client>`: the snippet an IDE needs to reach sources through the bridge.
//!
//! Each client has its own file shape; all of them run `lanyard bridge <source>` over stdio, so
//! no credential ever lands in an IDE's config file.

use serde_json::{Map, Value, json};

use crate::ids::SourceId;

/// The agents we know how to configure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdeClient {
    /// `claude_desktop_config.json`: `mcpServers`.
    ClaudeDesktop,
    /// `~/.cursor/mcp.json`: `mcpServers`.
    Cursor,
    /// `.vscode/mcp.json`: `servers`, with `"type": "stdio"`.
    Vscode,
    /// Zed's `settings.json`: `context_servers`.
    Zed,
}

/// The config snippet for `client` that runs `program bridge <id>` for each source.
pub fn ide_snippet(client: IdeClient, program: &str, sources: &[SourceId]) -> Value {
    let mut servers = Map::new();
    for id in sources {
        let args = json!(["bridge", id.as_str()]);
        let entry = match client {
            IdeClient::ClaudeDesktop | IdeClient::Cursor => json!({ "command": program, "args": args }),
            IdeClient::Vscode => json!({ "type": "stdio", "command": program, "args": args }),
            IdeClient::Zed => json!({ "source": "custom", "command": program, "args": args, "env": {} }),
        };
        servers.insert(id.as_str().to_owned(), entry);
    }
    let key = match client {
        IdeClient::ClaudeDesktop | IdeClient::Cursor => "mcpServers",
        IdeClient::Vscode => "servers",
        IdeClient::Zed => "context_servers",
    };
    json!({ key: servers })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_gets_its_own_shape() {
        let ids = ["github".parse().unwrap()];
        let claude = ide_snippet(IdeClient::ClaudeDesktop, "/bin/lanyard", &ids);
        assert_eq!(claude["mcpServers"]["github"]["args"], json!(["bridge", "github"]), "{claude}");
        let vscode = ide_snippet(IdeClient::Vscode, "/bin/lanyard", &ids);
        assert_eq!(vscode["servers"]["github"]["type"], "stdio", "{vscode}");
        let zed = ide_snippet(IdeClient::Zed, "/bin/lanyard", &ids);
        assert_eq!(zed["context_servers"]["github"]["command"], "/bin/lanyard", "{zed}");
    }
}
