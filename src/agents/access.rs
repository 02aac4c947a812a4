//! An agent's rights, precomputed for the bridge: what it may reach is decided once per agent
//! (when the profile file is read), so that a request costs one pointer check for an agent that
//! may use everything (the built-in `default`) and one map lookup for one that may not.

use std::collections::HashMap;
use std::sync::Arc;

use super::model::{AgentName, AgentProfile, AgentTools};
use crate::ids::SourceId;

/// One agent's rights over every source.
#[derive(Debug)]
pub struct Access {
    name: AgentName,
    /// `None`: every source.
    sources: Option<Vec<SourceId>>,
    /// The grant of each source with a tool rule.
    ruled: HashMap<SourceId, Arc<Grant>>,
    /// The grant of every other allowed source; `None` when nothing is restricted there.
    rest: Option<Arc<Grant>>,
}

/// What an agent may do on one source where it is not allowed everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub agent: AgentName,
    /// `None`: every tool the source exposes.
    pub tools: Option<AgentTools>,
    pub resources: bool,
    pub prompts: bool,
}

/// What an agent may do on one source.
#[derive(Debug, Clone)]
pub enum SourceAccess {
    /// Everything: messages pass as they would without agents.
    Full,
    /// Some things: see the grant.
    Limited(Arc<Grant>),
    /// Nothing: the source is not among the agent's.
    Denied(Lack),
}

/// What an agent lacks for a request: the text of its refusal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Lack {
    #[error(
        "agent `{agent}` may not use source `{on}`: it is not among the agent's sources (`lanyard agent edit {agent} --source {on}` adds it)"
    )]
    Source { agent: AgentName, on: SourceId },
    #[error(
        "agent `{agent}` may not use tool `{tool}` of source `{on}`: it is not among the agent's tools there (`lanyard agent edit {agent} --tool {on}:{tool}` adds it)"
    )]
    Tool { agent: AgentName, on: SourceId, tool: String },
    #[error("agent `{agent}` may not use resources (`lanyard agent edit {agent} --resources` allows them)")]
    Resources { agent: AgentName },
    #[error("agent `{agent}` may not use prompts (`lanyard agent edit {agent} --prompts` allows them)")]
    Prompts { agent: AgentName },
}

impl Access {
    /// An agent that may use everything.
    pub fn everything(name: AgentName) -> Self {
        Self { name, sources: None, ruled: HashMap::new(), rest: None }
    }

    /// The rights `profile` gives agent `name`.
    pub fn of(name: AgentName, profile: &AgentProfile) -> Self {
        let grant = |tools: Option<AgentTools>| {
            Arc::new(Grant {
                agent: name.clone(),
                tools,
                resources: profile.resources,
                prompts: profile.prompts,
            })
        };
        let ruled = profile
            .tools
            .iter()
            .filter(|(id, _)| profile.allows_source(id))
            .map(|(id, tools)| (id.clone(), grant(Some(tools.clone()))))
            .collect();
        let rest = (!profile.resources || !profile.prompts).then(|| grant(None));
        Self { sources: profile.sources.clone(), ruled, rest, name }
    }

    pub fn name(&self) -> &AgentName {
        &self.name
    }

    /// Whether the agent may use everything (no check needed anywhere).
    pub fn is_full(&self) -> bool {
        self.sources.is_none() && self.ruled.is_empty() && self.rest.is_none()
    }

    /// What the agent may do on source `id`.
    pub fn source(&self, id: &SourceId) -> SourceAccess {
        if self.is_full() {
            return SourceAccess::Full;
        }
        if self.sources.as_ref().is_some_and(|sources| !sources.contains(id)) {
            return SourceAccess::Denied(Lack::Source { agent: self.name.clone(), on: id.clone() });
        }
        match self.ruled.get(id).or(self.rest.as_ref()) {
            Some(grant) => SourceAccess::Limited(Arc::clone(grant)),
            None => SourceAccess::Full,
        }
    }

    /// Whether the agent may use source `id` at all.
    pub fn allows_source(&self, id: &SourceId) -> bool {
        !matches!(self.source(id), SourceAccess::Denied(_))
    }

    /// Whether the agent may call the tool source `id` exposes as `tool`.
    pub fn allows_tool(&self, id: &SourceId, tool: &str) -> bool {
        match self.source(id) {
            SourceAccess::Full => true,
            SourceAccess::Limited(grant) => grant.allows_tool(tool),
            SourceAccess::Denied(_) => false,
        }
    }

    /// Why the agent may not call `tool` of source `id`, if it may not.
    pub fn tool_lack(&self, id: &SourceId, tool: &str) -> Option<Lack> {
        match self.source(id) {
            SourceAccess::Full => None,
            SourceAccess::Limited(grant) => grant.check_tool(id, tool).err(),
            SourceAccess::Denied(lack) => Some(lack),
        }
    }

    /// Whether the agent may use resources (anywhere it may go).
    pub fn resources(&self) -> bool {
        self.rest.as_ref().or(self.ruled.values().next()).is_none_or(|grant| grant.resources)
    }

    /// Whether the agent may use prompts (anywhere it may go).
    pub fn prompts(&self) -> bool {
        self.rest.as_ref().or(self.ruled.values().next()).is_none_or(|grant| grant.prompts)
    }

    pub fn resources_lack(&self) -> Lack {
        Lack::Resources { agent: self.name.clone() }
    }

    pub fn prompts_lack(&self) -> Lack {
        Lack::Prompts { agent: self.name.clone() }
    }
}

/// What kind of thing a JSON-RPC method touches, as far as agent rights go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Touches {
    Tool,
    /// A resource method; `listing` when it only lists (answered with an empty list).
    Resources {
        listing: bool,
    },
    Prompts {
        listing: bool,
    },
    /// Anything else (initialize, ping, tools/list, notifications, ...).
    Other,
}

impl Touches {
    pub fn of(method: &str) -> Self {
        match method {
            "tools/call" => Touches::Tool,
            "resources/list" | "resources/templates/list" => Touches::Resources { listing: true },
            "prompts/list" => Touches::Prompts { listing: true },
            m if m.starts_with("resources/") => Touches::Resources { listing: false },
            m if m.starts_with("prompts/") => Touches::Prompts { listing: false },
            _ => Touches::Other,
        }
    }
}

impl Grant {
    pub fn allows_tool(&self, tool: &str) -> bool {
        self.tools.as_ref().is_none_or(|tools| tools.allows(tool))
    }

    /// Whether the tool `tool` of `source` may be called, or what is lacking.
    pub fn check_tool(&self, source: &SourceId, tool: &str) -> Result<(), Lack> {
        if self.allows_tool(tool) {
            Ok(())
        } else {
            Err(Lack::Tool { agent: self.agent.clone(), on: source.clone(), tool: tool.to_owned() })
        }
    }

    /// Whether a request of `method` (calling `name`, for `tools/call`) on `source` may go
    /// upstream, or what is lacking.
    pub fn check(&self, source: &SourceId, method: &str, name: Option<&str>) -> Result<(), Lack> {
        match Touches::of(method) {
            Touches::Tool => self.check_tool(source, name.unwrap_or_default()),
            Touches::Resources { .. } if !self.resources => {
                Err(Lack::Resources { agent: self.agent.clone() })
            }
            Touches::Prompts { .. } if !self.prompts => Err(Lack::Prompts { agent: self.agent.clone() }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> SourceId {
        text.parse().unwrap()
    }

    fn limited() -> Access {
        let profile = AgentProfile {
            sources: Some(vec![id("tracker"), id("docs")]),
            tools: [(id("tracker"), AgentTools { include: vec!["search".into()], exclude: vec![] })].into(),
            resources: false,
            prompts: true,
            key_revision: 0,
        };
        Access::of("cursor".parse().unwrap(), &profile)
    }

    #[test]
    fn everything_needs_no_check() {
        let access = Access::everything(AgentName::default_agent());
        assert!(access.is_full());
        assert!(matches!(access.source(&id("any")), SourceAccess::Full));
        assert!(Access::of("x".parse().unwrap(), &AgentProfile::everything()).is_full());
    }

    #[test]
    fn an_agent_whose_only_source_was_removed_reaches_nothing() {
        let mut profile = AgentProfile {
            sources: Some(vec![id("tracker")]),
            tools: [(id("tracker"), AgentTools { include: vec!["search".into()], exclude: vec![] })].into(),
            ..AgentProfile::everything()
        };
        assert!(profile.forget_source(&id("tracker")));
        assert!(!profile.forget_source(&id("tracker")), "nothing left to forget");
        // Read back from the file, as a hub does.
        let written = toml::to_string(&profile).unwrap();
        let profile: AgentProfile = toml::from_str(&written).unwrap();
        let access = Access::of("cursor".parse().unwrap(), &profile);
        assert!(!access.is_full(), "an empty list is not `every source`: {written}");
        for source in ["tracker", "docs", "any"] {
            assert!(!access.allows_source(&id(source)), "{source}");
            assert!(!access.allows_tool(&id(source), "search"), "{source}");
            assert!(matches!(access.source(&id(source)), SourceAccess::Denied(Lack::Source { .. })));
        }
    }

    #[test]
    fn sources_tools_and_resources_are_checked() {
        let access = limited();
        assert!(!access.is_full());
        let Some(Lack::Source { .. }) = access.tool_lack(&id("mail"), "send") else {
            panic!("a source outside the list is denied")
        };
        assert!(access.allows_tool(&id("tracker"), "search"));
        let lack = access.tool_lack(&id("tracker"), "close_issue").expect("not included");
        assert!(
            lack.to_string().contains("agent `cursor`") && lack.to_string().contains("close_issue"),
            "{lack}"
        );
        assert!(access.allows_tool(&id("docs"), "anything"), "no tool rule on docs");
        let SourceAccess::Limited(grant) = access.source(&id("docs")) else {
            panic!("resources are limited")
        };
        assert!(grant.check(&id("docs"), "resources/read", None).is_err());
        assert!(grant.check(&id("docs"), "prompts/get", None).is_ok());
        assert!(grant.check(&id("docs"), "ping", None).is_ok());
        assert!(!access.resources() && access.prompts());
    }
}
