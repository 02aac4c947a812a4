//! What the profile file says about an agent (`[agents.<name>]`): the sources it may use, the
//! tools of each, and whether it may use resources and prompts. Plain data; the precomputed form
//! the bridge checks requests against is [`Access`](super::Access).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::SourceId;

/// An agent's name: like a source id, lowercase letters, digits, `-` and `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgentName(String);

impl AgentName {
    pub const MAX_LEN: usize = 64;

    /// The built-in agent that holds the install-wide bridge token and may use everything.
    pub fn default_agent() -> Self {
        Self(DEFAULT_AGENT.to_owned())
    }

    pub fn is_default(&self) -> bool {
        self.0 == DEFAULT_AGENT
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name of the built-in agent.
pub const DEFAULT_AGENT: &str = "default";

/// Why a string is not a valid [`AgentName`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{given}` is not a valid agent name: use lowercase letters, digits, `-` and `_` (at most {max} characters), starting with a letter or digit",
    max = AgentName::MAX_LEN
)]
pub struct InvalidAgentName {
    pub given: String,
}

impl FromStr for AgentName {
    type Err = InvalidAgentName;

    fn from_str(given: &str) -> Result<Self, Self::Err> {
        if crate::ids::is_slug(given, Self::MAX_LEN) {
            Ok(Self(given.to_owned()))
        } else {
            Err(InvalidAgentName { given: given.to_owned() })
        }
    }
}

impl fmt::Display for AgentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for AgentName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for AgentName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

/// One agent's rights, as written in the profile file.
///
/// ```toml
/// [agents.cursor]
/// sources = ["tracker", "docs"]      # absent: every source
/// resources = false                  # default true
/// prompts = true                     # default true
///
/// [agents.cursor.tools.tracker]      # absent: every tool the source exposes
/// include = ["search", "get_issue"]
/// exclude = []
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentProfile {
    /// The sources the agent may use; `None` for every source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<SourceId>>,
    /// Per source, which of the tools the source exposes (after its own filter) the agent may
    /// see and call. A source without an entry: all of them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tools: BTreeMap<SourceId, AgentTools>,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub resources: bool,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub prompts: bool,
    /// Bumped on each `lanyard agent rotate`, so that a running hub notices the new key (the
    /// key itself is in the keychain).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub key_revision: u64,
}

impl AgentProfile {
    /// An agent that may use everything: what `lanyard agent add <name>` with no flags makes.
    pub fn everything() -> Self {
        Self { resources: true, prompts: true, ..Self::default() }
    }

    /// Whether the agent may use source `id` at all.
    pub fn allows_source(&self, id: &SourceId) -> bool {
        self.sources.as_ref().is_none_or(|sources| sources.contains(id))
    }

    /// Drops every mention of source `id` (in `sources` and the tool rules); whether there was
    /// one. A list left empty stays a list: the agent then reaches nothing, never every source.
    pub fn forget_source(&mut self, id: &SourceId) -> bool {
        let listed = self.sources.as_ref().is_some_and(|sources| sources.contains(id));
        if let Some(sources) = &mut self.sources {
            sources.retain(|source| source != id);
        }
        self.tools.remove(id).is_some() || listed
    }

    /// The source ids the profile names (its `sources` and the keys of `tools`), for checking
    /// them against the file's sources.
    pub fn named_sources(&self) -> impl Iterator<Item = &SourceId> {
        self.sources.iter().flatten().chain(self.tools.keys())
    }
}

/// Which of a source's tools an agent may use: the names the source exposes (aliases
/// included), with the semantics of a source's own filter: an empty `include` means all, and
/// `exclude` wins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentTools {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

impl AgentTools {
    /// Whether the tool the source exposes as `name` passes.
    pub fn allows(&self, name: &str) -> bool {
        let included = self.include.is_empty() || self.include.iter().any(|n| n == name);
        included && !self.exclude.iter().any(|n| n == name)
    }

    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_source_id_rules_and_default_is_built_in() {
        assert!("cursor".parse::<AgentName>().is_ok());
        assert!("ci-bot_2".parse::<AgentName>().is_ok());
        for bad in ["", "Cursor", "-x", "a b", &"a".repeat(65)] {
            assert!(bad.parse::<AgentName>().is_err(), "{bad:?} is refused");
        }
        assert!(AgentName::default_agent().is_default());
    }

    #[test]
    fn the_table_reads_and_writes_with_defaults_left_out() {
        let text = r#"
sources = ["tracker"]
resources = false
[tools.tracker]
include = ["search"]
"#;
        let agent: AgentProfile = toml::from_str(text).unwrap();
        assert!(agent.allows_source(&"tracker".parse().unwrap()));
        assert!(!agent.allows_source(&"docs".parse().unwrap()), "a source not listed");
        assert!(!agent.resources && agent.prompts, "prompts default to allowed");
        let written = toml::to_string(&agent).unwrap();
        assert!(!written.contains("prompts"), "a default is not written: {written}");
        assert!(toml::from_str::<AgentProfile>("colour = 1").is_err(), "unknown keys are refused");
    }

    #[test]
    fn tool_rules_work_like_a_source_filter() {
        let only = AgentTools { include: vec!["a".into(), "b".into()], exclude: vec!["b".into()] };
        assert!(only.allows("a"));
        assert!(!only.allows("b"), "exclude wins");
        assert!(!only.allows("c"), "outside include");
        assert!(AgentTools::default().allows("anything"));
    }
}
