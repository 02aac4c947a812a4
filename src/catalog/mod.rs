//! The catalogue: finding MCP servers in registries (the official MCP Registry, a company's
//! own, a folder of `server.json` files) and adding one as a source.
//!
//! A front end drives it in steps, so that nothing runs before the person has seen it:
//! [`Catalog::search`] and [`Catalog::find`] read the registries (with a cache for when they
//! cannot be reached, which says how old it is), [`Plan::new`] turns an entry into the exact
//! command or URL and the [`Question`]s it needs, [`Catalog::checks`] flags a package or endpoint
//! that does not belong to the entry's publisher, and [`add`] saves the source (secrets to the
//! keychain) once the person said yes. [`Catalog::outdated`] finds sources whose entry has a
//! newer version; adding that version over the source keeps the person's settings and secrets.

mod add;
mod cache;
mod error;
mod fetched;
mod folder;
mod http;
mod inputs;
mod link;
mod model;
mod plan;
mod registries;
mod verify;
mod version;
pub mod window;

use std::time::Duration;

use serde::Serialize;

pub use add::{Added, add, may_update, questions_left, sign_in_kind};
pub use cache::{Cache, Cached};
pub use error::{CatalogError, CatalogRemedy};
pub use fetched::{Fetched, Note};
pub use inputs::{Answers, Question};
pub use link::{AddLink, LinkError, LinkView, SCHEME as LINK_SCHEME};
pub use model::{
    Argument, Entry, EntryMeta, Input, KeyValueInput, Official, Package, RemoteTransport, Repository,
    ServerJson,
};
pub use plan::{Built, Choice, Offer, PackageKind, Plan, UPDATE_KEEPS, offers};
pub use registries::{OFFICIAL_REGISTRY, Registries, RegistryAddress, RegistryStore};
pub use verify::{Check, Verdict};
pub use version::{compare as compare_versions, is_newer};

use crate::ids::SourceId;
use crate::paths::Dirs;
use crate::profile::ProfileFile;
use http::HttpRegistry;

/// How long one request to a registry may take by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// An entry and the registry it came from.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub registry: String,
    #[serde(flatten)]
    pub entry: Entry,
    /// Unix seconds of the fetch, when the entry came from the cache because the registry could
    /// not be reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached_at: Option<u64>,
}

/// What [`Catalog::search`] found.
#[derive(Debug, Default, Serialize)]
pub struct SearchOutcome {
    pub hits: Vec<Hit>,
    pub notes: Vec<Note>,
}

/// One entry, found by name, with the versions its registry lists.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    #[serde(flatten)]
    pub hit: Hit,
    /// Every version the registry lists, newest first.
    pub versions: Vec<String>,
    pub notes: Vec<Note>,
}

/// A source whose registry entry has a newer version.
#[derive(Debug, Clone, Serialize)]
pub struct Outdated {
    pub id: SourceId,
    pub name: String,
    pub registry: String,
    pub current: String,
    pub latest: String,
}

/// What [`Catalog::outdated`] found.
#[derive(Debug, Default, Serialize)]
pub struct OutdatedReport {
    pub outdated: Vec<Outdated>,
    /// How many sources came from a registry and were checked.
    pub checked: usize,
    pub notes: Vec<Note>,
}

/// A registry as the catalogue reads it.
enum Registry {
    Http(HttpRegistry),
    Folder(std::path::PathBuf),
}

/// The registries to read, and the cache of what they answered.
#[derive(Debug, Clone)]
pub struct Catalog {
    registries: Vec<RegistryAddress>,
    cache: Cache,
    timeout: Duration,
}

impl Catalog {
    /// The registries in the settings (the official one when there are none), or `only`.
    pub fn open(dirs: &Dirs, only: Option<RegistryAddress>) -> Result<Self, CatalogError> {
        let registries = match only {
            Some(only) => vec![only],
            None => RegistryStore::in_folder(dirs.config()).load()?.registries,
        };
        Ok(Self { registries, cache: Cache::new(dirs.catalog_cache()), timeout: DEFAULT_TIMEOUT })
    }

    /// Each request to a registry gives up after `timeout`.
    pub fn with_timeout(self, timeout: Duration) -> Self {
        Self { timeout, ..self }
    }

    pub fn registries(&self) -> &[RegistryAddress] {
        &self.registries
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    fn reach(&self, address: &RegistryAddress) -> Result<Registry, CatalogError> {
        Ok(match address {
            RegistryAddress::Http(url) => Registry::Http(HttpRegistry::new(url.clone(), self.timeout)?),
            RegistryAddress::Folder(path) => Registry::Folder(path.clone()),
        })
    }

    /// The latest version of each server whose name, title or description holds every word,
    /// from every registry. A registry that cannot be reached is answered from the cache, with
    /// a note saying how old it is; one without a cache is a note.
    pub async fn search(&self, words: &str) -> SearchOutcome {
        let words: Vec<String> = words.split_whitespace().map(str::to_lowercase).collect();
        let mut outcome = SearchOutcome::default();
        for address in &self.registries {
            let shown = address.to_string();
            let fetched = match self.reach(address) {
                Ok(Registry::Http(registry)) => match search_each_word(&registry, &words).await {
                    Ok(fetched) => {
                        self.cache.store(address, &fetched.entries);
                        Ok((fetched, None))
                    }
                    Err(err) => self.cached_instead(address, err),
                },
                Ok(Registry::Folder(path)) => folder::read_folder(&path).map(|f| (latest_only(f), None)),
                Err(err) => Err(err),
            };
            match fetched {
                Ok((fetched, cached_at)) => {
                    outcome.notes.extend(fetched.notes);
                    let matching = latest_entries(fetched.entries).into_iter().filter(|e| matches(e, &words));
                    outcome.hits.extend(matching.map(|entry| Hit {
                        registry: shown.clone(),
                        entry,
                        cached_at,
                    }));
                }
                Err(err) => outcome.notes.push(Note::new(&shown, err.to_string())),
            }
        }
        outcome
    }

    /// What the cache holds for `address`, after `err` kept the registry from answering.
    fn cached_instead(
        &self,
        address: &RegistryAddress,
        err: CatalogError,
    ) -> Result<(Fetched, Option<u64>), CatalogError> {
        let Some(cached) = self.cache.load(address) else { return Err(err) };
        let note = Note::new(
            &address.to_string(),
            format!(
                "{err}; showing what was fetched {} (the cache)",
                crate::clock::relative_time(cached.fetched_at)
            ),
        );
        Ok((Fetched { entries: cached.entries, notes: vec![note] }, Some(cached.fetched_at)))
    }

    /// The server `name` at `version` (its latest without one), from the first registry that
    /// has it, with the versions that registry lists.
    pub async fn find(&self, name: &str, version: Option<&str>) -> Result<Found, CatalogError> {
        let mut notes = Vec::new();
        let mut known_names = Vec::new();
        let mut last_error = None;
        for address in &self.registries {
            let shown = address.to_string();
            let listed = match self.reach(address) {
                Ok(Registry::Http(registry)) => match registry.versions(name).await {
                    Ok(Some(mut fetched)) => {
                        // A registry may list only recent versions; one asked for by number is
                        // asked for on its own.
                        if let Some(wanted) = version
                            && !fetched.entries.iter().any(|e| e.server.version == wanted)
                            && let Ok(Some(entry)) = registry.version(name, wanted).await
                        {
                            fetched.entries.push(entry);
                        }
                        self.cache.store(address, &fetched.entries);
                        Ok((fetched, None))
                    }
                    Ok(None) => Ok((Fetched::default(), None)),
                    Err(err) => self.cached_instead(address, err).map(|(mut fetched, at)| {
                        fetched.entries.retain(|e| e.server.name == name);
                        (fetched, at)
                    }),
                },
                Ok(Registry::Folder(path)) => folder::read_folder(&path).map(|fetched| (fetched, None)),
                Err(err) => Err(err),
            };
            let (fetched, cached_at) = match listed {
                Ok(listed) => listed,
                Err(err) => {
                    notes.push(Note::new(&shown, err.to_string()));
                    last_error = Some(err);
                    continue;
                }
            };
            notes.extend(fetched.notes);
            known_names.extend(fetched.entries.iter().map(|e| e.server.name.clone()));
            let mut versions: Vec<Entry> = fetched
                .entries
                .into_iter()
                .filter(|e| e.server.name == name && e.status() != Some("deleted"))
                .collect();
            if versions.is_empty() {
                continue;
            }
            versions.sort_by(|a, b| compare_versions(&b.server.version, &a.server.version));
            let listed: Vec<String> = versions.iter().map(|e| e.server.version.clone()).collect();
            let chosen = match version {
                Some(wanted) => versions.into_iter().find(|e| e.server.version == wanted),
                None => pick_latest(versions),
            };
            let Some(entry) = chosen else {
                return Err(CatalogError::VersionNotFound {
                    name: name.to_owned(),
                    version: version.unwrap_or("latest").to_owned(),
                    versions: listed,
                });
            };
            return Ok(Found { hit: Hit { registry: shown, entry, cached_at }, versions: listed, notes });
        }
        // Every registry failed: that failure says more than "not found".
        if let Some(err) = last_error.filter(|_| self.registries.len() == 1) {
            return Err(err);
        }
        for address in &self.registries {
            if let Some(cached) = self.cache.load(address) {
                known_names.extend(cached.entries.into_iter().map(|e| e.server.name));
            }
        }
        known_names.sort();
        known_names.dedup();
        let near = crate::suggest::closest(name, known_names.iter());
        Err(CatalogError::NotFound { name: name.to_owned(), near })
    }

    /// The ownership checks of the part of `entry` that `plan` runs (see [`verify`]).
    pub async fn checks(&self, entry: &Entry, plan: &Plan) -> Vec<Check> {
        let mut checks = verify::namespace_checks(&entry.server);
        if !plan.is_remote() {
            for package in
                entry.server.packages.iter().filter(|p| p.registry_type.eq_ignore_ascii_case(&plan.runs))
            {
                checks.push(verify::package_check(&entry.server, package, self.timeout).await);
            }
        }
        checks
    }

    /// The sources of `file` that came from one of this catalogue's registries and whose entry
    /// has a newer version there.
    pub async fn outdated(&self, file: &ProfileFile) -> OutdatedReport {
        let mut report = OutdatedReport::default();
        for profile in file.profiles() {
            let Some(origin) = &profile.catalog else { continue };
            let Ok(address) = origin.registry.parse::<RegistryAddress>() else {
                report.notes.push(Note::new(
                    &origin.registry,
                    format!("source `{}`: not a registry address", profile.id()),
                ));
                continue;
            };
            if !self.registries.contains(&address) {
                continue;
            }
            report.checked += 1;
            let one = Self { registries: vec![address], ..self.clone() };
            match one.find(&origin.name, None).await {
                Ok(found) => {
                    report.notes.extend(found.notes);
                    if is_newer(&found.hit.entry.server.version, &origin.version) {
                        report.outdated.push(Outdated {
                            id: profile.id().clone(),
                            name: origin.name.clone(),
                            registry: origin.registry.clone(),
                            current: origin.version.clone(),
                            latest: found.hit.entry.server.version,
                        });
                    }
                }
                Err(err) => report
                    .notes
                    .push(Note::new(&origin.registry, format!("source `{}`: {err}", profile.id()))),
            }
        }
        report
    }
}

/// The latest entries whose names hold any of `words` (the API searches names by substring),
/// each word asked for once; entries found twice are kept once. Without words, every entry.
async fn search_each_word(registry: &HttpRegistry, words: &[String]) -> Result<Fetched, CatalogError> {
    if words.is_empty() {
        return registry.list_latest(None).await;
    }
    let mut all = Fetched::default();
    let mut asked: Vec<&str> = Vec::new();
    for word in words {
        if asked.contains(&word.as_str()) {
            continue;
        }
        asked.push(word);
        let fetched = registry.list_latest(Some(word)).await?;
        for note in fetched.notes {
            if !all.notes.contains(&note) {
                all.notes.push(note);
            }
        }
        for entry in fetched.entries {
            let seen = all
                .entries
                .iter()
                .any(|e| e.server.name == entry.server.name && e.server.version == entry.server.version);
            if !seen {
                all.entries.push(entry);
            }
        }
    }
    Ok(all)
}

/// A folder's entries cut to each server's latest version.
fn latest_only(fetched: Fetched) -> Fetched {
    Fetched { entries: latest_entries(fetched.entries), notes: fetched.notes }
}

/// Each server's latest version: the one its registry marks latest, else the highest. Deleted
/// entries are left out.
fn latest_entries(entries: Vec<Entry>) -> Vec<Entry> {
    let mut by_name: std::collections::BTreeMap<String, Vec<Entry>> = std::collections::BTreeMap::new();
    for entry in entries.into_iter().filter(|e| e.status() != Some("deleted")) {
        by_name.entry(entry.server.name.clone()).or_default().push(entry);
    }
    by_name.into_values().filter_map(pick_latest).collect()
}

fn pick_latest(mut versions: Vec<Entry>) -> Option<Entry> {
    if let Some(marked) = versions.iter().position(|e| e.is_latest() == Some(true)) {
        return Some(versions.swap_remove(marked));
    }
    versions.into_iter().max_by(|a, b| compare_versions(&a.server.version, &b.server.version))
}

fn matches(entry: &Entry, words: &[String]) -> bool {
    let server = &entry.server;
    let text = format!(
        "{} {} {}",
        server.name.to_lowercase(),
        server.title.as_deref().unwrap_or_default().to_lowercase(),
        server.description.to_lowercase()
    );
    words.iter().all(|word| text.contains(word.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, version: &str, latest: Option<bool>) -> Entry {
        let mut entry = Entry::from_value(
            serde_json::json!({"name": name, "version": version, "description": "Weather data"}),
        )
        .unwrap();
        entry.meta.official = latest.map(|l| Official { is_latest: Some(l), ..Default::default() });
        entry
    }

    #[test]
    fn the_latest_is_the_one_marked_latest_else_the_highest() {
        let marked =
            latest_entries(vec![entry("a/x", "2.0.0", Some(false)), entry("a/x", "1.0.0", Some(true))]);
        assert_eq!(marked[0].server.version, "1.0.0");
        let highest = latest_entries(vec![entry("a/x", "1.9.0", None), entry("a/x", "1.10.0", None)]);
        assert_eq!(highest[0].server.version, "1.10.0");
    }

    #[test]
    fn every_word_must_match_name_title_or_description() {
        let weather = entry("io.github.a/forecast", "1", None);
        assert!(matches(&weather, &["weather".into(), "forecast".into()]));
        assert!(!matches(&weather, &["weather".into(), "stocks".into()]));
    }
}
