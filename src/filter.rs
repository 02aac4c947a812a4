//! Tool filters: which of a source's tools agents see, under which names and descriptions.
//!
//! The same rules serve `lanyard tools`, `lanyard call` and the bridge, so what a person sees in a
//! list is exactly what an agent can call: a tool hidden by `include`/`exclude` cannot be called
//! under any name, and an aliased tool is called by its alias only.

use std::borrow::Cow;

use rmcp::model::Tool;

use crate::profile::ToolFilter;

/// Why a tool name given by a caller does not lead to an upstream tool.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    #[error("tool `{name}` is hidden by this source's tool filter (include/exclude)")]
    Hidden { name: String },
    #[error("tool `{name}` is exposed under its alias `{alias}`; call it by that name")]
    CalledByUpstreamName { name: String, alias: String },
}

impl ToolFilter {
    /// Whether the upstream tool `name` passes `include` and `exclude`.
    pub fn allows(&self, name: &str) -> bool {
        let included = self.include.is_empty() || self.include.iter().any(|n| n == name);
        included && !self.exclude.iter().any(|n| n == name)
    }

    /// The name agents see for the upstream tool `name`, if it is exposed at all.
    pub fn exposed_name<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.allows(name).then(|| self.alias.get(name).map(String::as_str).unwrap_or(name))
    }

    /// The upstream name behind the name an agent called, or why it cannot be called.
    pub fn upstream_name<'a>(&'a self, exposed: &'a str) -> Result<&'a str, FilterError> {
        if let Some((upstream, _)) = self.alias.iter().find(|(_, alias)| *alias == exposed) {
            return if self.allows(upstream) {
                Ok(upstream)
            } else {
                Err(FilterError::Hidden { name: exposed.to_owned() })
            };
        }
        if let Some(alias) = self.alias.get(exposed).filter(|_| self.allows(exposed)) {
            return Err(FilterError::CalledByUpstreamName { name: exposed.to_owned(), alias: alias.clone() });
        }
        if self.allows(exposed) { Ok(exposed) } else { Err(FilterError::Hidden { name: exposed.to_owned() }) }
    }

    /// Applies the filter to one listed tool: `None` when hidden, else the tool as agents see it.
    pub fn apply(&self, mut tool: Tool) -> Option<Tool> {
        let upstream = tool.name.to_string();
        let exposed = self.exposed_name(&upstream)?.to_owned();
        if let Some(description) = self.description.get(&upstream) {
            tool.description = Some(Cow::Owned(description.clone()));
        }
        tool.name = Cow::Owned(exposed);
        Some(tool)
    }

    /// Applies the filter to a whole list, keeping the upstream order.
    pub fn apply_all(&self, tools: impl IntoIterator<Item = Tool>) -> Vec<Tool> {
        tools.into_iter().filter_map(|tool| self.apply(tool)).collect()
    }

    /// What the filter says about the upstream tool `name`, as an editor shows it.
    pub fn choice(&self, name: &str) -> ToolChoice {
        ToolChoice {
            name: name.to_owned(),
            exposed: self.allows(name),
            alias: self.alias.get(name).cloned(),
            description: self.description.get(name).cloned(),
        }
    }

    /// The filter with `choices` applied, one upstream tool each. Entries for tools that are not
    /// among the choices (say, a tool the server stopped listing for now) are kept as they were.
    /// A filter written as an `include` list stays one, so tools the server adds later stay
    /// hidden; otherwise hidden tools go to `exclude`, so added tools show. An include list left
    /// empty would mean "everything", so then the hidden tools go to `exclude` instead.
    pub fn with_choices(&self, choices: &[ToolChoice]) -> ToolFilter {
        let mut next = self.clone();
        let include_mode = !self.include.is_empty();
        let named = |list: &mut Vec<String>| list.retain(|n| !choices.iter().any(|c| &c.name == n));
        named(&mut next.include);
        named(&mut next.exclude);
        for choice in choices {
            let name = choice.name.clone();
            match (include_mode, choice.exposed) {
                (true, true) => next.include.push(name.clone()),
                (false, false) => next.exclude.push(name.clone()),
                _ => {}
            }
            set_or_remove(&mut next.alias, &name, choice.alias.as_deref());
            set_or_remove(&mut next.description, &name, choice.description.as_deref());
        }
        if include_mode && next.include.is_empty() {
            next.exclude.extend(choices.iter().filter(|c| !c.exposed).map(|c| c.name.clone()));
        }
        next
    }
}

/// A filter entry that names no tool the server offers: a typo, or a tool the server no longer
/// has. The filter still works (the entry just does nothing), so this is worth a warning, not an
/// error: a server may offer a tool only at times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmatched {
    /// The filter's field: `include`, `exclude`, `alias` or `description`.
    pub field: &'static str,
    /// The upstream tool name the entry gives.
    pub name: String,
    /// Offered tools close to `name`, best first.
    pub near: Vec<String>,
}

impl std::fmt::Display for Unmatched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the tool filter's `{}` names `{}`, but the server offers no such tool",
            self.field, self.name
        )?;
        crate::suggest::DidYouMean { near: &self.near, then: "" }.fmt(f)
    }
}

impl ToolFilter {
    /// The entries of this filter that name none of the tools in `offered` (the server's own
    /// names, before the filter), in the order include, exclude, alias, description.
    pub fn unmatched(&self, offered: &[&str]) -> Vec<Unmatched> {
        let entries = (self.include.iter().map(|name| ("include", name)))
            .chain(self.exclude.iter().map(|name| ("exclude", name)))
            .chain(self.alias.keys().map(|name| ("alias", name)))
            .chain(self.description.keys().map(|name| ("description", name)));
        entries
            .filter(|(_, name)| !offered.contains(&name.as_str()))
            .map(|(field, name)| Unmatched {
                field,
                name: name.clone(),
                near: crate::suggest::closest(name, offered.iter().copied()),
            })
            .collect()
    }
}

/// One upstream tool's place in a [`ToolFilter`]: shown or hidden, its alias and its
/// description override (`None`: the upstream's own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolChoice {
    /// The upstream name.
    pub name: String,
    pub exposed: bool,
    pub alias: Option<String>,
    pub description: Option<String>,
}

/// Keeps `value` under `name`, trimmed; blank or absent removes the entry.
fn set_or_remove(map: &mut std::collections::BTreeMap<String, String>, name: &str, value: Option<&str>) {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(value) => {
            map.insert(name.to_owned(), value.to_owned());
        }
        None => {
            map.remove(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn tool(name: &str) -> Tool {
        Tool::new(name.to_owned(), format!("{name} upstream"), Arc::new(serde_json::Map::new()))
    }

    fn filter() -> ToolFilter {
        ToolFilter {
            include: vec![],
            exclude: vec!["rm".into()],
            alias: [("echo".to_owned(), "say".to_owned())].into(),
            description: [("add".to_owned(), "Adds two numbers".to_owned())].into(),
        }
    }

    #[test]
    fn excluded_tool_is_not_listed_and_cannot_be_called() {
        let f = filter();
        let names: Vec<_> = f.apply_all([tool("rm"), tool("add")]).into_iter().map(|t| t.name).collect();
        assert_eq!(names, vec!["add"], "rm is excluded");
        assert_eq!(f.upstream_name("rm"), Err(FilterError::Hidden { name: "rm".into() }));
    }

    #[test]
    fn include_list_hides_everything_else() {
        let f = ToolFilter { include: vec!["add".into()], ..ToolFilter::default() };
        assert!(f.allows("add"));
        assert!(!f.allows("echo"), "echo is not in include");
        assert!(f.upstream_name("echo").is_err(), "a tool outside include cannot be called");
    }

    #[test]
    fn alias_renames_and_maps_back() {
        let f = filter();
        let listed = f.apply(tool("echo")).expect("echo is exposed");
        assert_eq!(listed.name, "say");
        assert_eq!(f.upstream_name("say"), Ok("echo"), "the alias routes to the upstream tool");
        assert_eq!(
            f.upstream_name("echo"),
            Err(FilterError::CalledByUpstreamName { name: "echo".into(), alias: "say".into() }),
            "the upstream name of an aliased tool is not callable"
        );
    }

    #[test]
    fn description_override_replaces_upstream_text() {
        let listed = filter().apply(tool("add")).expect("add is exposed");
        assert_eq!(listed.description.as_deref(), Some("Adds two numbers"));
    }

    fn pick(name: &str, exposed: bool, alias: Option<&str>) -> ToolChoice {
        ToolChoice { name: name.into(), exposed, alias: alias.map(Into::into), description: None }
    }

    #[test]
    fn choices_round_trip_through_the_filter() {
        let f = filter();
        let rm = f.choice("rm");
        assert!(!rm.exposed, "rm is excluded");
        let echo = f.choice("echo");
        assert_eq!(echo.alias.as_deref(), Some("say"), "echo's alias is shown");
        assert_eq!(f.with_choices(&[rm, echo, f.choice("add")]), f, "unchanged choices change nothing");
    }

    #[test]
    fn choices_in_exclude_mode_hide_by_exclude_and_keep_other_entries() {
        let f = filter();
        let next = f.with_choices(&[pick("rm", true, None), pick("add", false, Some(" plus "))]);
        assert_eq!(next.exclude, vec!["add".to_owned()], "rm shown again, add hidden");
        assert!(next.include.is_empty(), "an exclude filter stays one");
        assert_eq!(next.alias.get("add").map(String::as_str), Some("plus"), "aliases are trimmed");
        assert_eq!(
            next.alias.get("echo").map(String::as_str),
            Some("say"),
            "a tool not in the choices keeps its alias"
        );
        assert_eq!(
            next.description.get("add").map(String::as_str),
            None,
            "a blank description override goes back to the upstream's"
        );
    }

    #[test]
    fn choices_in_include_mode_keep_an_include_list() {
        let f = ToolFilter { include: vec!["add".into()], ..ToolFilter::default() };
        let next =
            f.with_choices(&[pick("add", true, None), pick("echo", true, None), pick("rm", false, None)]);
        assert_eq!(next.include, vec!["add".to_owned(), "echo".to_owned()], "shown tools are included");
        assert!(next.exclude.is_empty(), "nothing needs excluding in include mode");
        assert!(!next.allows("new-tool"), "a tool the server adds later stays hidden");
    }

    #[test]
    fn hiding_every_included_tool_does_not_show_everything() {
        let f = ToolFilter { include: vec!["add".into()], ..ToolFilter::default() };
        let next = f.with_choices(&[pick("add", false, None), pick("echo", false, None)]);
        assert!(!next.allows("add") && !next.allows("echo"), "hidden stays hidden: {next:?}");
    }

    #[test]
    fn entries_naming_no_offered_tool_are_reported_with_the_closest_names() {
        let f = ToolFilter {
            include: vec!["echo".into()],
            exclude: vec!["longRunningOperation".into()],
            alias: [("get-sun".to_owned(), "sum".to_owned())].into(),
            description: [("echo".to_owned(), "Says it back".to_owned())].into(),
        };
        let unmatched = f.unmatched(&["echo", "get-sum", "simulate-research-query"]);
        let named: Vec<_> = unmatched.iter().map(|u| (u.field, u.name.as_str())).collect();
        assert_eq!(
            named,
            vec![("exclude", "longRunningOperation"), ("alias", "get-sun")],
            "only entries naming no offered tool are reported"
        );
        assert_eq!(unmatched[1].near, vec!["get-sum".to_owned()], "a typo gets the tool it meant");
        assert!(
            unmatched[1].to_string().contains("did you mean `get-sum`?"),
            "the warning offers it: {}",
            unmatched[1]
        );
        assert!(f.unmatched(&["echo", "get-sun", "longRunningOperation"]).is_empty(), "all offered");
    }

    #[test]
    fn alias_of_an_excluded_tool_is_hidden_too() {
        let f = ToolFilter {
            exclude: vec!["echo".into()],
            alias: [("echo".to_owned(), "say".to_owned())].into(),
            ..ToolFilter::default()
        };
        assert!(f.upstream_name("say").is_err(), "an excluded tool stays hidden behind its alias");
    }
}
