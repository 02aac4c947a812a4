//! The engine's side of the clients: the entries Lanyard writes into an agent's or IDE's file,
//! and taking a client's own servers over.
//!
//! The catalogue ([`crate::clients`]) knows each client's file and spelling; what goes into the
//! file depends on the profile (which sources are enabled), and taking over adds sources, so
//! both are engine operations, shared by `lanyard config`, `lanyard import --from` and the
//! desktop app's Clients view.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::{AgentVia, Engine, ImportOutcome};
use crate::agents::AgentName;
use crate::clients::{self, Client, ClientFileError, Written};
use crate::error::Error;
use crate::ids::SourceId;
use crate::profile::import_servers;

/// What [`Engine::take_over`] did.
#[derive(Debug)]
pub struct TakenOver {
    pub imported: ImportOutcome,
    /// The client's file with the imported servers' entries running `lanyard bridge` instead;
    /// `None` when nothing was imported, so nothing was written.
    pub written: Option<Written>,
}

impl Engine {
    /// One entry per source (every enabled one when `chosen` is empty), under the source's id,
    /// each running `program bridge <id>` in `client`'s spelling.
    pub fn bridge_entries(
        &self,
        client: &Client,
        program: &str,
        chosen: &[SourceId],
    ) -> Result<Vec<(String, Value)>, Error> {
        let sources = if chosen.is_empty() {
            self.load()?.profiles().filter(|p| p.enabled).map(|p| p.id().clone()).collect()
        } else {
            for id in chosen {
                self.profile(id)?;
            }
            chosen.to_vec()
        };
        Ok(sources
            .iter()
            .map(|id| (id.as_str().to_owned(), client.bridge_entry(program, id.as_str())))
            .collect())
    }

    /// Points `client`'s file at `path` at Lanyard: an entry per enabled source, every other
    /// entry kept, the old file backed up for [`clients::undo`]. With `agent`, the entries are
    /// that agent's (each source it may use, see [`Engine::agent_entries`]): the hub's HTTP
    /// address ([`Engine::hub_port`]) when the client takes HTTP entries, with the variable to
    /// set to its key in [`Written::key_var`]; the stdio bridge run with `--agent` and its key
    /// otherwise.
    pub async fn set_up_client(
        &self,
        client: &Client,
        path: &Path,
        program: &str,
        agent: Option<&AgentName>,
    ) -> Result<Written, Error> {
        let Some(agent) = agent else {
            return Ok(clients::write_entries(client, path, &self.bridge_entries(client, program, &[])?)?);
        };
        let via = if client.takes_http() {
            AgentVia::Http { port: self.hub_port().await }
        } else {
            AgentVia::Stdio
        };
        let entries = self.agent_entries(client, program, agent, &[], via).await?;
        let mut written = clients::write_entries(client, path, &entries)?;
        if via != AgentVia::Stdio {
            written.key_var = Some(crate::agents::token_var_of(agent));
        }
        Ok(written)
    }

    /// The port agents' HTTP entries point at: the running hub's (`lanyard serve`, or the
    /// desktop app's, which may have taken another port), else the one a hub would take.
    pub async fn hub_port(&self) -> u16 {
        if let Some(hub) = crate::bridge::running_hub(self).await {
            return hub.port();
        }
        let wanted = crate::bridge::hub_port_from_env().ok().filter(|&port| port != 0);
        wanted.unwrap_or(crate::bridge::DEFAULT_PORT)
    }

    /// Takes `client` over: the servers in its file at `path` that do not go through Lanyard
    /// become sources (secrets into the keychain; an id that exists is skipped, never
    /// overwritten), and their entries, under their own names, run `program bridge <id>`
    /// instead, in one write that [`clients::undo`] reverts (the sources stay).
    pub async fn take_over(&self, client: &Client, path: &Path, program: &str) -> Result<TakenOver, Error> {
        let servers = clients::importable(client, path)
            .map_err(|err| ClientFileError::Unreadable { path: path.to_owned(), err })?;
        let report = import_servers(servers);
        let names: BTreeMap<SourceId, String> = report
            .profiles
            .iter()
            .map(|entry| (entry.profile.id().clone(), entry.profile.display_name().to_owned()))
            .collect();
        let imported = self.add_imported(report).await?;
        let entries: Vec<(String, Value)> = imported
            .added
            .iter()
            .filter_map(|id| Some((names.get(id)?.clone(), client.bridge_entry(program, id.as_str()))))
            .collect();
        let written =
            if entries.is_empty() { None } else { Some(clients::write_entries(client, path, &entries)?) };
        Ok(TakenOver { imported, written })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::paths::Dirs;
    use crate::vault::Vault;

    fn engine(dir: &Path) -> Engine {
        Engine::new(Dirs::new(dir, dir.join("data")), Vault::mock())
    }

    #[tokio::test]
    async fn taking_a_client_over_imports_its_servers_and_points_their_entries_at_lanyard() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine(dir.path());
        let client = clients::find("cursor").unwrap();
        let path = dir.path().join("mcp.json");
        let before = r#"{"mcpServers": {"My Server": {"command": "my-server", "args": ["--x"]}}}"#;
        std::fs::write(&path, before).unwrap();

        let taken = engine.take_over(client, &path, "/bin/lanyard").await.unwrap();
        assert_eq!(taken.imported.added, vec!["my-server".parse::<SourceId>().unwrap()]);
        assert_eq!(taken.imported.waiting_for_approval, taken.imported.added, "and it says the server waits");
        let file: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(
            file["mcpServers"]["My Server"],
            json!({"command": "/bin/lanyard", "args": ["bridge", "my-server"]}),
            "the entry keeps its name and now runs the bridge: {file}"
        );
        let id: SourceId = "my-server".parse().unwrap();
        let source = engine.profile(&id).expect("the server is a source now");
        assert!(source.waits_for_approval(), "a stdio server taken over waits for the person's approval");

        let again = engine.take_over(client, &path, "/bin/lanyard").await.unwrap();
        assert!(again.imported.added.is_empty() && again.written.is_none(), "nothing left to take over");

        clients::undo(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before, "undo puts the file back");

        let set_up = engine.set_up_client(client, &path, "/bin/lanyard", None).await.unwrap();
        assert!(set_up.added.is_empty(), "Set up writes no entry for a disabled source: {:?}", set_up.added);
        clients::undo(&path).unwrap();
        engine.edit_profile(&id, Vec::new(), |profile| profile.enabled = true).await.unwrap();
        let set_up = engine.set_up_client(client, &path, "/bin/lanyard", None).await.unwrap();
        assert_eq!(set_up.added, vec!["my-server".to_owned()], "Set up writes an entry per enabled source");

        // As an agent: its sources only; Cursor takes HTTP, so each points at the hub with the
        // agent's key named, not held.
        clients::undo(&path).unwrap();
        let agent: AgentName = "ci".parse().unwrap();
        let only = crate::agents::AgentProfile { sources: Some(vec![]), ..Default::default() };
        engine.add_agent(&agent, only).await.unwrap();
        let set_up = engine.set_up_client(client, &path, "/bin/lanyard", Some(&agent)).await.unwrap();
        assert!(set_up.added.is_empty(), "an agent without sources gets no entry: {:?}", set_up.added);
        engine.edit_agent(&agent, |a| a.sources = None).unwrap();
        let written = engine.set_up_client(client, &path, "/bin/lanyard", Some(&agent)).await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let file: Value = serde_json::from_str(&text).unwrap();
        let entry = &file["mcpServers"]["my-server"];
        assert!(entry["url"].as_str().unwrap().ends_with("/mcp/my-server"), "{file}");
        assert_eq!(
            written.key_var.as_deref(),
            Some("LANYARD_AGENT_TOKEN_CI"),
            "the variable to set is named"
        );
        assert_eq!(entry["headers"]["Authorization"], "Bearer ${env:LANYARD_AGENT_TOKEN_CI}", "{file}");
        let key = engine.agent_token(&agent).await.unwrap();
        assert!(!text.contains(key.expose()), "the key stays out of the file: {text}");

        // Over stdio, and for a client that takes no HTTP entry: the bridge with `--agent` and the key.
        for (client, via) in
            [(client, AgentVia::Stdio), (clients::find("zed").unwrap(), AgentVia::Http { port: 1 })]
        {
            let entries = engine.agent_entries(client, "/bin/lanyard", &agent, &[], via).await.unwrap();
            let entry = &entries[0].1;
            assert_eq!(entry["args"], json!(["bridge", "my-server", "--agent", "ci"]), "{entry}");
            assert_eq!(
                entry["env"]["LANYARD_AGENT_TOKEN"],
                key.expose(),
                "the entry proves the agent with its key"
            );
        }
    }

    #[tokio::test]
    async fn a_file_that_does_not_read_is_not_taken_over_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine(dir.path());
        let client = clients::find("cursor").unwrap();
        let path = dir.path().join("mcp.json");
        std::fs::write(&path, "{ broken").unwrap();
        let err = engine.take_over(client, &path, "/bin/lanyard").await.unwrap_err();
        assert!(err.to_string().contains("mcp.json"), "the error names the file: {err}");
        assert!(err.to_string().contains("nothing was imported"), "and says nothing happened: {err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ broken");
        assert!(engine.load().unwrap().profiles().next().is_none());
    }
}
