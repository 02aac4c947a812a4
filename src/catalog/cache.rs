//! What was last fetched from each registry on the network, kept in the data folder with the
//! time it was fetched, so that the catalogue still answers when the registry cannot be reached
//! and says how old that answer is.
//!
//! One file per registry, named after a hash of its address; each fetch replaces the entries of
//! the servers it returned and keeps the others. The cache is a convenience: a cache that cannot
//! be read is treated as empty and one that cannot be written is logged, never an error.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::model::Entry;
use super::registries::RegistryAddress;

/// What a registry answered, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cached {
    pub registry: String,
    /// Unix seconds of the last fetch that changed this file.
    pub fetched_at: u64,
    pub entries: Vec<Entry>,
}

/// The cache folder.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// The cache in `dir` (see [`crate::paths::Dirs::catalog_cache`]).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn file(&self, registry: &RegistryAddress) -> PathBuf {
        let digest = Sha256::digest(registry.to_string().as_bytes());
        let name: String = digest.iter().take(12).map(|byte| format!("{byte:02x}")).collect();
        self.dir.join(format!("{name}.json"))
    }

    /// What was last fetched from `registry`, if anything.
    pub fn load(&self, registry: &RegistryAddress) -> Option<Cached> {
        let path = self.file(registry);
        let text = std::fs::read_to_string(&path).ok()?;
        match serde_json::from_str::<Cached>(&text) {
            Ok(cached) if cached.registry == registry.to_string() => Some(cached),
            Ok(_) => None,
            Err(err) => {
                tracing::warn!(path = %path.display(), %err, "the catalogue cache cannot be read; it is ignored");
                None
            }
        }
    }

    /// Records `entries` as fetched from `registry` now, replacing the cached versions of the
    /// same servers.
    pub fn store(&self, registry: &RegistryAddress, entries: &[Entry]) {
        let mut cached = self.load(registry).unwrap_or_else(|| Cached {
            registry: registry.to_string(),
            fetched_at: 0,
            entries: Vec::new(),
        });
        cached.entries.retain(|old| {
            !entries
                .iter()
                .any(|new| new.server.name == old.server.name && new.server.version == old.server.version)
        });
        cached.entries.extend(entries.iter().cloned());
        cached.fetched_at = crate::clock::now();
        if let Err(err) = write_atomically(&self.dir, &self.file(registry), &cached) {
            tracing::warn!(dir = %self.dir.display(), %err, "the catalogue cache cannot be written");
        }
    }
}

fn write_atomically(dir: &Path, path: &Path, cached: &Cached) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let text = serde_json::to_vec(cached).map_err(std::io::Error::other)?;
    let mut temp = tempfile::Builder::new().prefix(".cache.").suffix(".tmp").tempfile_in(dir)?;
    temp.write_all(&text)?;
    temp.persist(path).map_err(|err| err.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, version: &str) -> Entry {
        Entry::from_value(serde_json::json!({"name": name, "version": version})).unwrap()
    }

    #[test]
    fn a_fetch_replaces_the_same_versions_and_keeps_the_rest_with_its_time() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let registry: RegistryAddress = "https://r.example".parse().unwrap();
        assert!(cache.load(&registry).is_none());
        cache.store(&registry, &[entry("a/a", "1"), entry("a/b", "1")]);
        cache.store(&registry, &[entry("a/a", "1"), entry("a/a", "2")]);
        let cached = cache.load(&registry).unwrap();
        let mut kept: Vec<(&str, &str)> =
            cached.entries.iter().map(|e| (e.server.name.as_str(), e.server.version.as_str())).collect();
        kept.sort();
        assert_eq!(kept, [("a/a", "1"), ("a/a", "2"), ("a/b", "1")]);
        assert!(cached.fetched_at > 0);
        let other: RegistryAddress = "https://other.example".parse().unwrap();
        assert!(cache.load(&other).is_none(), "each registry has its own cache");
    }

    #[test]
    fn a_damaged_cache_reads_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let registry: RegistryAddress = "https://r.example".parse().unwrap();
        std::fs::write(cache.file(&registry), "{ damaged").unwrap();
        assert!(cache.load(&registry).is_none());
    }
}
