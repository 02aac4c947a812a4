//! The desktop app's Agents view, both ways: [`AgentsBoard`], each agent with its rights and its
//! use as the call log tells it (last use, calls and errors since a moment the window chooses,
//! its local midnight), and [`AgentChange`], the one move the window asks for (add, edit, rotate,
//! remove, split the built-in `default`). Plain data built from the profile file and the call
//! log, so the view's numbers are the CLI's (`lanyard logs --agent`), and no key ever in it: a
//! key reaches the window only when the person asks to copy it.
//!
//! With the feature `ts`, ts-rs writes the TypeScript twins the window reads and sends.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::calls::{Call, Outcome};
use super::model::{AgentName, AgentProfile, AgentTools};
use crate::ids::SourceId;
use crate::profile::ProfileFile;

/// Every agent (`default` first) and the sources an agent may be given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase")]
pub struct AgentsBoard {
    pub agents: Vec<AgentRow>,
    /// The ids of the profile file's sources, in its order.
    pub sources: Vec<String>,
}

/// One agent: its rights and its use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase")]
pub struct AgentRow {
    pub name: String,
    /// The built-in `default`: the bridge token, every source and tool; not editable.
    pub built_in: bool,
    pub rights: AgentRights,
    #[serde(rename = "use")]
    #[cfg_attr(feature = "ts", ts(rename = "use"))]
    pub usage: AgentUse,
}

/// What an agent may use, as the window shows and sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase")]
pub struct AgentRights {
    /// `null`: every source.
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<String>>"))]
    pub sources: Option<Vec<SourceId>>,
    /// Per source, the tools it may use; a source without an entry: every tool.
    #[cfg_attr(feature = "ts", ts(as = "Vec<ToolRule>"))]
    pub tools: Vec<ToolRule>,
    pub resources: bool,
    pub prompts: bool,
}

/// The tools an agent may use on one source (the names the source exposes): an empty
/// `include` means all, and `exclude` wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase")]
pub struct ToolRule {
    #[cfg_attr(feature = "ts", ts(as = "String"))]
    pub source: SourceId,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

/// An agent's use as the call log holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase")]
pub struct AgentUse {
    /// Unix milliseconds of its newest call; `null` when the log holds none.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub last_ms: Option<u64>,
    /// Calls since the moment asked for (the window's midnight).
    pub calls: u32,
    /// Of those, the ones that did not end `ok` (tool errors, refusals, upstream errors,
    /// timeouts).
    pub errors: u32,
}

/// One change the Agents view asks for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = crate::TS_DIR))]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum AgentChange {
    Add {
        #[cfg_attr(feature = "ts", ts(as = "String"))]
        name: AgentName,
        rights: AgentRights,
    },
    /// Replaces the agent's rights (its key stays).
    Edit {
        #[cfg_attr(feature = "ts", ts(as = "String"))]
        name: AgentName,
        rights: AgentRights,
    },
    /// A new key; the old one stops working at once.
    Rotate {
        #[cfg_attr(feature = "ts", ts(as = "String"))]
        name: AgentName,
    },
    Remove {
        #[cfg_attr(feature = "ts", ts(as = "String"))]
        name: AgentName,
    },
    /// Splits the built-in `default`: an agent allowed everything per name (the window names
    /// them after the clients chosen), so each client can get its own key.
    Split {
        #[cfg_attr(feature = "ts", ts(as = "Vec<String>"))]
        names: Vec<AgentName>,
    },
}

impl AgentChange {
    /// What the change did, as every front end says it (the CLI adds its next command); `None`
    /// for a change the board itself shows (an add, an edit, a split).
    pub fn said(&self) -> Option<String> {
        match self {
            AgentChange::Rotate { name } => {
                Some(format!("{name} has a new key; the old one no longer works."))
            }
            AgentChange::Remove { name } => Some(format!("Removed {name} and its key.")),
            AgentChange::Add { .. } | AgentChange::Edit { .. } | AgentChange::Split { .. } => None,
        }
    }
}

impl AgentRights {
    /// What `profile` allows, as the window shows it.
    pub fn of(profile: &AgentProfile) -> Self {
        Self {
            sources: profile.sources.clone(),
            tools: profile
                .tools
                .iter()
                .map(|(source, rule)| ToolRule {
                    source: source.clone(),
                    include: rule.include.clone(),
                    exclude: rule.exclude.clone(),
                })
                .collect(),
            resources: profile.resources,
            prompts: profile.prompts,
        }
    }

    /// Everything: the built-in `default`'s rights.
    pub fn everything() -> Self {
        Self::of(&AgentProfile::everything())
    }

    /// These rights as the profile file keeps them, with `key_revision` kept. A rule without
    /// names is dropped (it would allow every tool, as no rule does).
    pub fn into_profile(self, key_revision: u64) -> AgentProfile {
        let tools: BTreeMap<SourceId, AgentTools> = self
            .tools
            .into_iter()
            .map(|rule| (rule.source, AgentTools { include: rule.include, exclude: rule.exclude }))
            .filter(|(_, tools)| !tools.is_empty())
            .collect();
        AgentProfile {
            sources: self.sources,
            tools,
            resources: self.resources,
            prompts: self.prompts,
            key_revision,
        }
    }
}

/// The board of `file`'s agents, their use counted from `calls` made at or after `since_ms`
/// (the last use from all of them).
pub fn board(file: &ProfileFile, calls: &[Call], since_ms: u64) -> AgentsBoard {
    let mut usage: BTreeMap<&AgentName, AgentUse> = BTreeMap::new();
    for call in calls {
        let seen = usage.entry(&call.agent).or_default();
        seen.last_ms = seen.last_ms.max(Some(call.at_ms));
        if call.at_ms >= since_ms {
            seen.calls += 1;
            if call.outcome != Outcome::Ok {
                seen.errors += 1;
            }
        }
    }
    let default = AgentName::default_agent();
    let row = |name: &AgentName, built_in: bool, rights: AgentRights| AgentRow {
        name: name.to_string(),
        built_in,
        rights,
        usage: usage.get(name).cloned().unwrap_or_default(),
    };
    let agents = std::iter::once(row(&default, true, AgentRights::everything()))
        .chain(file.agents.iter().map(|(name, profile)| row(name, false, AgentRights::of(profile))))
        .collect();
    let sources = file.profiles().map(|p| p.id().to_string()).collect();
    AgentsBoard { agents, sources }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(agent: &str, at_ms: u64, outcome: Outcome) -> Call {
        Call {
            at_ms,
            agent: agent.parse().unwrap(),
            source: "one".parse().unwrap(),
            name: "echo".into(),
            outcome,
            ms: 1,
        }
    }

    #[test]
    fn use_is_counted_per_agent_since_the_moment_asked() {
        let mut file = ProfileFile::default();
        let limited = AgentProfile {
            sources: Some(vec!["one".parse().unwrap()]),
            tools: [("one".parse().unwrap(), AgentTools { include: vec!["echo".into()], exclude: vec![] })]
                .into(),
            resources: false,
            ..AgentProfile::everything()
        };
        file.agents.insert("ci".parse().unwrap(), limited.clone());
        file.agents.insert("idle".parse().unwrap(), AgentProfile::everything());
        let calls = [
            call("ci", 5, Outcome::Ok),
            call("ci", 20, Outcome::Ok),
            call("ci", 30, Outcome::Refused),
            call("default", 40, Outcome::ToolError),
            call("gone", 50, Outcome::Ok),
        ];
        let board = board(&file, &calls, 10);
        let names: Vec<&str> = board.agents.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["default", "ci", "idle"], "default first; a removed agent's calls show nowhere");
        assert_eq!(board.agents[0].usage, AgentUse { last_ms: Some(40), calls: 1, errors: 1 });
        assert!(board.agents[0].built_in && board.agents[0].rights.sources.is_none());
        assert_eq!(
            board.agents[1].usage,
            AgentUse { last_ms: Some(30), calls: 2, errors: 1 },
            "the call at 5 is older"
        );
        assert_eq!(board.agents[2].usage, AgentUse::default());
        assert_eq!(board.agents[1].rights.clone().into_profile(0), limited, "the rights go back unchanged");
    }

    #[test]
    fn a_rule_without_names_is_no_rule_and_the_key_revision_is_kept() {
        let rights = AgentRights {
            tools: vec![ToolRule { source: "one".parse().unwrap(), include: vec![], exclude: vec![] }],
            ..AgentRights::everything()
        };
        let profile = rights.into_profile(3);
        assert!(profile.tools.is_empty());
        assert_eq!(profile.key_revision, 3);
    }

    #[test]
    fn changes_read_from_the_window_and_bad_names_are_refused() {
        let change: AgentChange = serde_json::from_value(serde_json::json!({
            "kind": "add", "name": "ci",
            "rights": {"sources": ["one"], "tools": [{"source": "one", "include": ["echo"], "exclude": []}],
                       "resources": false, "prompts": true}
        }))
        .unwrap();
        let AgentChange::Add { name, rights } = change else { panic!("an add") };
        assert_eq!(name.as_str(), "ci");
        assert_eq!(rights.tools[0].include, ["echo"]);
        let bad =
            serde_json::from_value::<AgentChange>(serde_json::json!({"kind": "remove", "name": "Bad Name"}));
        assert!(bad.unwrap_err().to_string().contains("not a valid agent name"));
    }

    #[test]
    fn a_rotate_and_a_remove_are_worded_once_and_the_board_shows_the_rest() {
        let name: AgentName = "ci".parse().unwrap();
        let rotate = AgentChange::Rotate { name: name.clone() };
        assert_eq!(rotate.said().as_deref(), Some("ci has a new key; the old one no longer works."));
        let remove = AgentChange::Remove { name: name.clone() };
        assert_eq!(remove.said().as_deref(), Some("Removed ci and its key."));
        assert_eq!(AgentChange::Split { names: vec![name] }.said(), None);
    }
}
