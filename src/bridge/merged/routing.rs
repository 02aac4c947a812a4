//! Which source answers a merged tool or prompt name, or a resource URI.
//!
//! The tables are built when the lists are built, from the same names the agent is shown, and a
//! call is routed by looking its name up, never by splitting it at `__` (a source id or a tool
//! name may contain `__` itself, and cleaned or cut names cannot be split back). Resources keep
//! their upstream URI, so resource links inside tool results stay readable; a URI two sources
//! list is kept for the first source in id order and left out for the others.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use rmcp::model::{Resource, ResourceTemplate};
use tracing::warn;

use super::naming::Namer;
use crate::ids::SourceId;

/// Where a merged name leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route {
    pub source: SourceId,
    /// The name as the source exposes it (after its aliases), which is what it is called by.
    pub name: String,
}

/// Merged name -> source and name.
#[derive(Debug, Default)]
pub(crate) struct Table {
    routes: HashMap<String, Route>,
}

impl Table {
    pub(crate) fn get(&self, merged: &str) -> Option<&Route> {
        self.routes.get(merged)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.routes.len()
    }
}

/// Names every item of `lists` (in source order, then list order) and returns the renamed
/// items with their table. `prefix` gives a source's merged prefix, `name` reads an item's name,
/// `rename` replaces it.
pub(crate) fn merge<T>(
    lists: Vec<(SourceId, Vec<T>)>,
    prefix: impl Fn(&SourceId) -> String,
    name: impl Fn(&T) -> String,
    mut rename: impl FnMut(&mut T, String),
) -> (Vec<T>, Table) {
    let mut namer = Namer::new();
    let mut table = Table::default();
    let mut merged = Vec::new();
    for (source, items) in lists {
        let prefix = prefix(&source);
        for mut item in items {
            let exposed = name(&item);
            let new_name = namer.name(source.as_str(), &prefix, &exposed);
            table.routes.insert(new_name.clone(), Route { source: source.clone(), name: exposed });
            rename(&mut item, new_name);
            merged.push(item);
        }
    }
    (merged, table)
}

/// Resource URI -> the source that listed it.
#[derive(Debug, Default)]
pub(crate) struct Owners {
    by_uri: HashMap<String, SourceId>,
}

impl Owners {
    pub(crate) fn get(&self, uri: &str) -> Option<&SourceId> {
        self.by_uri.get(uri)
    }
}

/// Concatenates the resource lists (in source order), keeping a URI for the first source that
/// lists it.
pub(crate) fn merge_resources(lists: Vec<(SourceId, Vec<Resource>)>) -> (Vec<Resource>, Owners) {
    merge_by_uri(lists, |resource| &resource.uri)
}

/// Concatenates the resource template lists as [`merge_resources`] does, by URI template.
pub(crate) fn merge_templates(
    lists: Vec<(SourceId, Vec<ResourceTemplate>)>,
) -> (Vec<ResourceTemplate>, Owners) {
    merge_by_uri(lists, |template| &template.uri_template)
}

fn merge_by_uri<T>(lists: Vec<(SourceId, Vec<T>)>, uri_of: impl Fn(&T) -> &String) -> (Vec<T>, Owners) {
    let mut owners = Owners::default();
    let mut merged = Vec::new();
    for (source, resources) in lists {
        for resource in resources {
            let uri = uri_of(&resource);
            match owners.by_uri.entry(uri.clone()) {
                Entry::Vacant(slot) => {
                    slot.insert(source.clone());
                    merged.push(resource);
                }
                Entry::Occupied(owner) => {
                    warn!(source = %source, owner = %owner.get(), %uri,
                        "two sources list the same resource URI; the merged server keeps the first");
                }
            }
        }
    }
    (merged, owners)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> SourceId {
        name.parse().expect("a valid test id")
    }

    #[test]
    fn merged_names_route_back_to_source_and_exposed_name() {
        let lists = vec![
            (id("alpha"), vec!["echo".to_owned(), "odd.name".to_owned()]),
            (id("beta"), vec!["echo".to_owned()]),
        ];
        let (names, table) = merge(lists, |id| id.to_string(), String::clone, |item, new| *item = new);
        assert_eq!(names[0], "alpha__echo");
        assert_eq!(names[2], "beta__echo");
        assert_eq!(table.len(), 3, "every item has a route");
        assert_eq!(
            table.get("beta__echo"),
            Some(&Route { source: id("beta"), name: "echo".into() }),
            "the same tool name in two sources routes to each"
        );
        assert_eq!(
            table.get(&names[1]).map(|r| r.name.as_str()),
            Some("odd.name"),
            "a cleaned name routes to the original spelling"
        );
        assert!(table.get("echo").is_none(), "an unprefixed name routes nowhere");
    }

    #[test]
    fn a_resource_uri_listed_twice_belongs_to_the_first_source() {
        let lists = vec![
            (id("a"), vec![Resource::new("test://x", "x")]),
            (id("b"), vec![Resource::new("test://x", "x again"), Resource::new("test://y", "y")]),
        ];
        let (merged, owners) = merge_resources(lists);
        let uris: Vec<&str> = merged.iter().map(|r| r.uri.as_str()).collect();
        assert_eq!(uris, ["test://x", "test://y"], "the duplicate is left out");
        assert_eq!(owners.get("test://x"), Some(&id("a")), "the first source owns it");
        assert_eq!(owners.get("test://y"), Some(&id("b")));
    }
}
