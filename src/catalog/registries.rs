//! Which registries the catalogue reads: a setting of its own, `registries.toml` beside the
//! profile file, so that a company's registry (or a folder of `server.json` files for a machine
//! without the internet) can be added once and used by the CLI and the app alike.
//!
//! Without the file the official registry is the only one. The file is written the way the
//! profile file is: to a temporary file renamed over the old one, never half.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use url::Url;

use super::error::CatalogError;

/// The official MCP Registry.
pub const OFFICIAL_REGISTRY: &str = "https://registry.modelcontextprotocol.io";

const FILE_NAME: &str = "registries.toml";

/// Where a registry is: an HTTP API with the official registry's paths, or a local folder of
/// `server.json` documents.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RegistryAddress {
    Http(Url),
    Folder(PathBuf),
}

impl RegistryAddress {
    pub fn official() -> Self {
        Self::Http(Url::parse(OFFICIAL_REGISTRY).expect("the official registry's URL is valid"))
    }
}

impl FromStr for RegistryAddress {
    type Err = CatalogError;

    /// `http://` and `https://` are registries on the network; anything else is a folder.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.is_empty() {
            return Err(CatalogError::BadAddress { given: text.to_owned(), reason: "it is empty".into() });
        }
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            let url = Url::parse(text).map_err(|err| CatalogError::BadAddress {
                given: text.to_owned(),
                reason: err.to_string(),
            })?;
            return Ok(Self::Http(url));
        }
        if lower.contains("://") {
            return Err(CatalogError::BadAddress {
                given: text.to_owned(),
                reason: "only http:// and https:// registries, or a folder path, are supported".into(),
            });
        }
        Ok(Self::Folder(PathBuf::from(text)))
    }
}

impl fmt::Display for RegistryAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Http(url) => f.write_str(url.as_str().trim_end_matches('/')),
            Self::Folder(path) => write!(f, "{}", path.display()),
        }
    }
}

impl Serialize for RegistryAddress {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RegistryAddress {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

/// The registries setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registries {
    /// Searched in this order; the first that has a server names it.
    pub registries: Vec<RegistryAddress>,
}

impl Default for Registries {
    fn default() -> Self {
        Self { registries: vec![RegistryAddress::official()] }
    }
}

/// The registries setting on disk, in the config folder.
#[derive(Debug, Clone)]
pub struct RegistryStore {
    path: PathBuf,
}

impl RegistryStore {
    pub fn in_folder(config: &Path) -> Self {
        Self { path: config.join(FILE_NAME) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The setting; the official registry alone when the file does not exist.
    pub fn load(&self) -> Result<Registries, CatalogError> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => toml::from_str(&text).map_err(|err| CatalogError::Settings {
                path: self.path.clone(),
                reason: err.message().to_owned(),
            }),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Registries::default()),
            Err(err) => Err(self.io(err)),
        }
    }

    /// Adds a registry at the end; one already there is left where it is. Returns whether it
    /// was added.
    pub fn add(&self, address: RegistryAddress) -> Result<bool, CatalogError> {
        let mut settings = self.load()?;
        if settings.registries.contains(&address) {
            return Ok(false);
        }
        settings.registries.push(address);
        self.save(&settings)?;
        Ok(true)
    }

    /// Removes a registry. Returns whether it was there.
    pub fn remove(&self, address: &RegistryAddress) -> Result<bool, CatalogError> {
        let mut settings = self.load()?;
        let before = settings.registries.len();
        settings.registries.retain(|known| known != address);
        if settings.registries.len() == before {
            return Ok(false);
        }
        self.save(&settings)?;
        Ok(true)
    }

    fn save(&self, settings: &Registries) -> Result<(), CatalogError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|err| self.io(err))?;
        let body = toml::to_string_pretty(settings)
            .map_err(|err| CatalogError::Settings { path: self.path.clone(), reason: err.to_string() })?;
        let text = format!("# The MCP registries `lanyard catalog` searches, in order.\n{body}");
        let mut temp = tempfile::Builder::new()
            .prefix(".registries.")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|err| self.io(err))?;
        temp.write_all(text.as_bytes()).map_err(|err| self.io(err))?;
        temp.as_file().sync_all().map_err(|err| self.io(err))?;
        temp.persist(&self.path).map_err(|err| self.io(err.error))?;
        Ok(())
    }

    fn io(&self, err: std::io::Error) -> CatalogError {
        CatalogError::Settings { path: self.path.clone(), reason: err.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_registries_on_the_network_and_the_rest_are_folders() {
        assert!(matches!("https://r.example.com".parse(), Ok(RegistryAddress::Http(_))));
        assert!(matches!("./servers".parse(), Ok(RegistryAddress::Folder(_))));
        assert!("ftp://r.example.com".parse::<RegistryAddress>().is_err());
        assert!("".parse::<RegistryAddress>().is_err());
    }

    #[test]
    fn the_official_registry_is_the_default_and_more_can_be_added_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = RegistryStore::in_folder(dir.path());
        assert_eq!(store.load().unwrap(), Registries::default());
        let company: RegistryAddress = "https://mcp.corp.example".parse().unwrap();
        assert!(store.add(company.clone()).unwrap());
        assert!(!store.add(company.clone()).unwrap(), "a registry is listed once");
        assert_eq!(store.load().unwrap().registries, vec![RegistryAddress::official(), company.clone()]);
        assert!(store.remove(&company).unwrap());
        assert!(!store.remove(&company).unwrap());
        assert_eq!(store.load().unwrap(), Registries::default());
    }

    #[test]
    fn a_broken_settings_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = RegistryStore::in_folder(dir.path());
        std::fs::write(store.path(), "registries = 3").unwrap();
        let err = store.load().unwrap_err().to_string();
        assert!(err.contains("registries.toml"), "{err}");
    }
}
