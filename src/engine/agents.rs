//! The engine's side of agents: adding, changing and removing `[agents.<name>]` tables and their
//! keys, keeping the profile file and the keychain consistent (the key is made before the table
//! is written, and forgotten after the table is gone), and telling a running hub at once.

use serde_json::Value;

use super::Engine;
use crate::agents::{self, AgentChange, AgentName, AgentProfile, AgentsBoard, Call, CallFilter};
use crate::clients::{Client, Http};
use crate::error::Error;
use crate::ids::SourceId;
use crate::profile::{ProfileError, ProfileFile};
use crate::secret::Secret;

/// How an agent's client entries reach the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentVia {
    /// `lanyard bridge <id> --agent <name>`, the agent's key in the entry's environment.
    Stdio,
    /// The hub's `http://127.0.0.1:<port>/mcp/<id>`, for a client that takes HTTP entries.
    Http { port: u16 },
}

/// An agent as `lanyard agent list` and a window show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AgentSummary {
    pub name: AgentName,
    /// `None` for the built-in `default`, which may use everything.
    pub profile: Option<AgentProfile>,
    pub built_in: bool,
}

impl Engine {
    /// `default` first, then every agent of the profile file by name.
    pub fn agents(&self) -> Result<Vec<AgentSummary>, Error> {
        let file = self.load()?;
        let default = AgentSummary { name: AgentName::default_agent(), profile: None, built_in: true };
        Ok(std::iter::once(default)
            .chain(file.agents.into_iter().map(|(name, profile)| AgentSummary {
                name,
                profile: Some(profile),
                built_in: false,
            }))
            .collect())
    }

    /// One agent.
    pub fn agent(&self, name: &AgentName) -> Result<AgentSummary, Error> {
        if name.is_default() {
            return Ok(AgentSummary { name: name.clone(), profile: None, built_in: true });
        }
        let file = self.load()?;
        let profile = file.require_agent(name)?.clone();
        Ok(AgentSummary { name: name.clone(), profile: Some(profile), built_in: false })
    }

    /// Adds agent `name` with `profile` and makes its key; returns the key.
    pub async fn add_agent(&self, name: &AgentName, profile: AgentProfile) -> Result<Secret, Error> {
        if name.is_default() {
            return Err(ProfileError::AgentReserved.into());
        }
        // Checked before the key is made, and again under the lock when writing.
        let file = self.load()?;
        name_is_free(&file, name)?;
        file.check_agent_sources(&profile)?;
        // A key left from an agent of the same name removed earlier must not come back.
        let token = agents::rotate_token(self.vault(), name).await?;
        self.profiles.update(|file| {
            name_is_free(file, name)?;
            file.check_agent_sources(&profile)?;
            file.agents.insert(name.clone(), profile);
            Ok(())
        })?;
        // A running hub admits the new key at once rather than when it next reads the file.
        crate::bridge::reload_hub_keys(self).await;
        Ok(token)
    }

    /// Changes agent `name` with `change`; nothing is written when the result names a source
    /// that does not exist.
    pub fn edit_agent(
        &self,
        name: &AgentName,
        change: impl FnOnce(&mut AgentProfile),
    ) -> Result<AgentProfile, Error> {
        if name.is_default() {
            return Err(ProfileError::AgentReserved.into());
        }
        Ok(self.profiles.update(|file| {
            let mut profile = file.require_agent(name)?.clone();
            change(&mut profile);
            file.check_agent_sources(&profile)?;
            file.agents.insert(name.clone(), profile.clone());
            Ok(profile)
        })?)
    }

    /// Removes agent `name` and forgets its key: the table first, so that a failure half-way
    /// leaves a key nobody presents rather than an agent without one.
    pub async fn remove_agent(&self, name: &AgentName) -> Result<(), Error> {
        if name.is_default() {
            return Err(ProfileError::AgentReserved.into());
        }
        self.profiles
            .update(|file| file.agents.remove(name).map(drop).ok_or_else(|| file.agent_not_found(name)))?;
        agents::forget_token(self.vault(), name).await?;
        // And refuses the old key at once.
        crate::bridge::reload_hub_keys(self).await;
        Ok(())
    }

    /// Agent `name`'s key (made on first use).
    pub async fn agent_token(&self, name: &AgentName) -> Result<Secret, Error> {
        if !name.is_default() {
            self.load()?.require_agent(name)?;
        }
        Ok(agents::agent_token(self.vault(), name).await?)
    }

    /// Gives agent `name` a new key. The old one stops working at once in a running hub (which
    /// is told), and within a second in one that cannot be told (it follows the profile file,
    /// where the agent's `key_revision` changes).
    pub async fn rotate_agent(&self, name: &AgentName) -> Result<Secret, Error> {
        if !name.is_default() {
            self.load()?.require_agent(name)?;
        }
        let token = agents::rotate_token(self.vault(), name).await?;
        if !name.is_default() {
            self.profiles.update(|file| {
                let missing = file.agent_not_found(name);
                let agent = file.agents.get_mut(name).ok_or(missing)?;
                agent.key_revision += 1;
                Ok(())
            })?;
        }
        crate::bridge::reload_hub_keys(self).await;
        Ok(token)
    }

    /// Agent `name`'s entries for `client`: one per source (every one the agent may use when
    /// `chosen` is empty). Over [`AgentVia::Stdio`], or for a client that takes no HTTP entry,
    /// each runs `program bridge <id> --agent <name>` with the agent's key in its environment;
    /// over [`AgentVia::Http`], each points at the hub's `/mcp/<id>` and sends the key as its
    /// bearer token from the variable [`agents::token_var_of`] names, in the client's own syntax,
    /// so the key stays out of the file.
    pub async fn agent_entries(
        &self,
        client: &Client,
        program: &str,
        name: &AgentName,
        chosen: &[SourceId],
        via: AgentVia,
    ) -> Result<Vec<(String, Value)>, Error> {
        let file = self.load()?;
        let access = agents::access_of(&file, name).ok_or_else(|| file.agent_not_found(name))?;
        let sources: Vec<SourceId> = if chosen.is_empty() {
            file.profiles()
                .filter(|p| p.enabled && access.allows_source(p.id()))
                .map(|p| p.id().clone())
                .collect()
        } else {
            for id in chosen {
                file.require(id)?;
            }
            chosen.to_vec()
        };
        let token = agents::agent_token(self.vault(), name).await?;
        let token_var = agents::token_var_of(name);
        let entry = |id: &str| {
            let http = match via {
                AgentVia::Http { port } => {
                    let url = format!("http://127.0.0.1:{port}/mcp/{id}");
                    client.http_entry(Http { name: id, url: &url, token_var: &token_var })
                }
                AgentVia::Stdio => None,
            };
            http.unwrap_or_else(|| client.agent_entry(program, id, name.as_str(), token.expose()))
        };
        Ok(sources.iter().map(|id| (id.as_str().to_owned(), entry(id.as_str()))).collect())
    }

    /// The Agents view: every agent with its rights, and its use from the call log since
    /// `since_ms` (Unix milliseconds; the window's midnight).
    pub fn agents_board(&self, since_ms: u64) -> Result<AgentsBoard, Error> {
        let file = self.load()?;
        let calls = self.calls.read(&CallFilter::default(), usize::MAX);
        Ok(agents::board(&file, &calls, since_ms))
    }

    /// One change from the Agents view. A new key is never returned: the window asks for a key
    /// only to copy it into a client's setup.
    pub async fn change_agent(&self, change: AgentChange) -> Result<Option<String>, Error> {
        let said = change.said();
        match change {
            AgentChange::Add { name, rights } => {
                self.add_agent(&name, rights.into_profile(0)).await.map(drop)
            }
            AgentChange::Edit { name, rights } => self
                .edit_agent(&name, |profile| *profile = rights.into_profile(profile.key_revision))
                .map(drop),
            AgentChange::Rotate { name } => self.rotate_agent(&name).await.map(drop),
            AgentChange::Remove { name } => self.remove_agent(&name).await,
            AgentChange::Split { names } => self.split_default(&names).await,
        }
        .map(|()| said)
    }

    /// Splits the built-in `default`: an agent allowed everything for each of `names` (the
    /// window names them after the clients chosen), so that each client can have a key of its
    /// own. A name that is already an agent is left as it is.
    async fn split_default(&self, names: &[AgentName]) -> Result<(), Error> {
        let existing = self.load()?.agents;
        for name in names.iter().filter(|name| !existing.contains_key(*name)) {
            self.add_agent(name, AgentProfile::everything()).await?;
        }
        Ok(())
    }

    /// The newest `limit` calls `filter` keeps, oldest first.
    pub fn calls(&self, filter: &CallFilter, limit: usize) -> Vec<Call> {
        self.calls.read(filter, limit)
    }

    /// The call log, for the bridge to record in.
    pub fn call_log(&self) -> &agents::CallLog {
        &self.calls
    }
}

/// `name` is taken, or reads its HTTP key from the same variable as another agent
/// ([`agents::token_var_of`]), which would hand one agent's key to the other's client entries.
fn name_is_free(file: &ProfileFile, name: &AgentName) -> Result<(), ProfileError> {
    if file.agents.contains_key(name) {
        return Err(ProfileError::AgentExists { name: name.clone() });
    }
    let var = agents::token_var_of(name);
    match file.agents.keys().find(|other| agents::token_var_of(other) == var) {
        Some(other) => Err(ProfileError::AgentVarTaken { name: name.clone(), other: other.clone(), var }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::Dirs;
    use crate::vault::Vault;

    fn engine(dir: &std::path::Path) -> Engine {
        Engine::new(Dirs::new(dir, dir.join("data")), Vault::mock())
    }

    #[tokio::test]
    async fn bad_input_is_refused_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine(dir.path());
        let name: AgentName = "cursor".parse().unwrap();
        let unknown =
            AgentProfile { sources: Some(vec!["nope".parse().unwrap()]), ..AgentProfile::everything() };
        let err = engine.add_agent(&name, unknown).await.unwrap_err();
        assert!(err.to_string().contains("no source named `nope`"), "{err}");
        assert!(engine.load().unwrap().agents.is_empty(), "nothing written");
        assert!(engine.add_agent(&AgentName::default_agent(), AgentProfile::everything()).await.is_err());

        let token = engine.add_agent(&name, AgentProfile::everything()).await.unwrap();
        assert_eq!(engine.agent_token(&name).await.unwrap(), token, "the key is kept");
        assert!(engine.add_agent(&name, AgentProfile::everything()).await.is_err(), "no overwrite");
        let err = engine.edit_agent(&name, |a| a.sources = Some(vec!["nope".parse().unwrap()])).unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
        assert_eq!(engine.agent(&name).unwrap().profile, Some(AgentProfile::everything()), "unchanged");

        let rotated = engine.rotate_agent(&name).await.unwrap();
        assert_ne!(rotated, token);
        assert_eq!(engine.agent(&name).unwrap().profile.unwrap().key_revision, 1, "the revision tells a hub");
        engine.remove_agent(&name).await.unwrap();
        let err = engine.agent_token(&name).await.unwrap_err();
        assert!(err.to_string().contains("no agent named `cursor`"), "{err}");
    }

    #[tokio::test]
    async fn the_windows_changes_keep_the_key_and_count_use_from_the_call_log() {
        use crate::agents::{AgentRights, Outcome, ToolRule};
        let dir = tempfile::tempdir().unwrap();
        let engine = engine(dir.path());
        let transport = crate::profile::Transport::Stdio {
            command: "x".into(),
            args: vec![],
            env: Default::default(),
            cwd: None,
        };
        let source = crate::profile::Profile::new("one".parse().unwrap(), transport);
        engine.add_profile(source, Vec::new()).await.unwrap();
        let name: AgentName = "ci".parse().unwrap();
        let only_echo = AgentRights {
            sources: Some(vec!["one".parse().unwrap()]),
            tools: vec![ToolRule {
                source: "one".parse().unwrap(),
                include: vec!["echo".into()],
                exclude: vec![],
            }],
            ..AgentRights::everything()
        };
        engine
            .change_agent(AgentChange::Add { name: name.clone(), rights: only_echo.clone() })
            .await
            .unwrap();
        let token = engine.agent_token(&name).await.unwrap();
        engine.change_agent(AgentChange::Rotate { name: name.clone() }).await.unwrap();
        let rotated = engine.agent_token(&name).await.unwrap();
        assert_ne!(rotated, token);
        let widened = AgentRights { tools: vec![], ..only_echo };
        engine.change_agent(AgentChange::Edit { name: name.clone(), rights: widened }).await.unwrap();
        let profile = engine.agent(&name).unwrap().profile.unwrap();
        assert!(profile.tools.is_empty(), "the edit replaced the rules");
        assert_eq!(profile.key_revision, 1, "an edit keeps the key's revision");
        assert_eq!(engine.agent_token(&name).await.unwrap(), rotated, "and the key");

        let split = AgentChange::Split { names: vec![name.clone(), "cursor".parse().unwrap()] };
        engine.change_agent(split).await.unwrap();
        assert_eq!(
            engine.agent(&name).unwrap().profile.unwrap(),
            profile,
            "an agent that exists is left alone"
        );
        assert_eq!(
            engine.agent(&"cursor".parse().unwrap()).unwrap().profile,
            Some(AgentProfile::everything())
        );

        let log = engine.call_log();
        let started = (std::time::SystemTime::now(), std::time::Instant::now());
        log.finished(&name, &"one".parse().unwrap(), "echo", started, Outcome::Ok);
        log.finished(&name, &"one".parse().unwrap(), "close", started, Outcome::Refused);
        log.flush();
        let board = engine.agents_board(0).unwrap();
        let ci = board.agents.iter().find(|a| a.name == "ci").unwrap();
        assert_eq!((ci.usage.calls, ci.usage.errors), (2, 1));
        assert_eq!(board.sources, ["one"]);
        let later = engine.agents_board(u64::MAX).unwrap();
        assert_eq!(later.agents.iter().find(|a| a.name == "ci").unwrap().usage.calls, 0, "none since then");

        engine.change_agent(AgentChange::Remove { name: name.clone() }).await.unwrap();
        assert!(engine.agent(&name).is_err());
    }

    #[tokio::test]
    async fn an_agent_whose_key_variable_another_reads_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine(dir.path());
        engine.add_agent(&"a-b".parse().unwrap(), AgentProfile::everything()).await.unwrap();
        let before = engine.agents().unwrap().len();
        let err = engine.add_agent(&"a_b".parse().unwrap(), AgentProfile::everything()).await.unwrap_err();
        assert!(err.to_string().contains("LANYARD_AGENT_TOKEN_A_B"), "{err}");
        assert!(err.to_string().contains("`a-b`"), "{err}");
        assert_eq!(engine.agents().unwrap().len(), before, "nothing written");
    }
}
