//! The `server.json` documents an MCP registry serves, as typed data.
//!
//! Registries are run by many parties and their schema grows, so every type here is lenient:
//! unknown fields are ignored, every list and flag has a default, and the kinds that name a
//! package registry or a transport stay strings, read by [`super::plan`]. A document that still
//! does not fit (no name, no version, a field of the wrong type) is skipped by the caller with a
//! note naming it; it never stops the rest of a listing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One version of one server: the publisher's `server.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerJson {
    /// Reverse-DNS name, `io.github.owner/server` or `com.example/server`.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default)]
    pub description: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<Repository>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<Package>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remotes: Vec<RemoteTransport>,
}

impl ServerJson {
    /// The title when it has one, else the name.
    pub fn display_name(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.name)
    }
}

/// Where the server's source code lives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Repository {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subfolder: Option<String>,
}

/// A package that runs the server on this machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Package {
    /// `npm`, `pypi`, `oci`, `nuget`, `mcpb`, or a kind this build does not know.
    pub registry_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_base_url: Option<String>,
    /// A package name, an image, or (for `mcpb`) a download URL.
    pub identifier: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_sha256: Option<String>,
    /// The program to run the package with (`npx`, `uvx`, `docker`, `dnx`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_hint: Option<String>,
    /// How the running package speaks MCP; stdio when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<RemoteTransport>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runtime_arguments: Vec<Argument>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub package_arguments: Vec<Argument>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environment_variables: Vec<KeyValueInput>,
}

/// A transport: a remote endpoint (`streamable-http`, `sse`) or a package's `stdio`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteTransport {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<KeyValueInput>,
    /// Values for the `{placeholders}` of the URL.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, Input>,
}

/// What the person may have to provide: a value with its description and constraints.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_required: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_secret: bool,
    /// `string`, `number`, `boolean` or `filepath`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// A fixed value, possibly with `{variables}`; the person is not asked for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, Input>,
}

/// An environment variable or a header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyValueInput {
    pub name: String,
    #[serde(flatten)]
    pub input: Input,
}

/// A command-line argument: `positional` or `named` (`--flag value`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Argument {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_hint: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_repeated: bool,
    #[serde(flatten)]
    pub input: Input,
}

/// One entry of a registry's answer: the document and what the registry says about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub server: ServerJson,
    #[serde(rename = "_meta", default)]
    pub meta: EntryMeta,
}

/// The registry's own metadata about an entry.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EntryMeta {
    #[serde(
        rename = "io.modelcontextprotocol.registry/official",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub official: Option<Official>,
}

/// What the official registry (and registries with its API) says about a version.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Official {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_latest: Option<bool>,
}

impl Entry {
    /// A document read on its own (a file of a folder registry), with no registry metadata.
    pub fn bare(server: ServerJson) -> Self {
        Self { server, meta: EntryMeta::default() }
    }

    /// Reads one entry from JSON: a `{ "server": ..., "_meta": ... }` answer or a bare
    /// `server.json`. The error says what is wrong, for the note that skips it.
    pub fn from_value(value: serde_json::Value) -> Result<Self, String> {
        let wrapped = value.get("server").is_some_and(serde_json::Value::is_object);
        if wrapped {
            serde_json::from_value::<Entry>(value).map_err(|err| err.to_string())
        } else {
            serde_json::from_value::<ServerJson>(value).map(Self::bare).map_err(|err| err.to_string())
        }
    }

    /// Whether the registry marked this version deleted or deprecated.
    pub fn status(&self) -> Option<&str> {
        self.meta.official.as_ref().and_then(|official| official.status.as_deref())
    }

    pub fn is_latest(&self) -> Option<bool> {
        self.meta.official.as_ref().and_then(|official| official.is_latest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_in_the_official_schema_reads_with_its_inputs() {
        let json = serde_json::json!({
            "server": {
                "$schema": "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
                "name": "io.github.example/weather",
                "description": "Weather",
                "version": "1.2.0",
                "somethingNew": {"ignored": true},
                "packages": [{
                    "registryType": "npm",
                    "identifier": "@example/weather",
                    "version": "1.2.0",
                    "transport": {"type": "stdio"},
                    "packageArguments": [{"type": "named", "name": "--units", "default": "metric"}],
                    "environmentVariables": [{"name": "API_KEY", "isRequired": true, "isSecret": true}]
                }],
                "remotes": [{"type": "streamable-http", "url": "https://weather.example.com/mcp",
                             "headers": [{"name": "X-Key", "isSecret": true, "isRequired": true}]}]
            },
            "_meta": {"io.modelcontextprotocol.registry/official": {"status": "active", "isLatest": true}}
        });
        let entry = Entry::from_value(json).expect("a valid entry");
        assert_eq!(entry.server.name, "io.github.example/weather");
        assert_eq!(entry.is_latest(), Some(true));
        let package = &entry.server.packages[0];
        assert!(package.environment_variables[0].input.is_secret);
        assert_eq!(package.package_arguments[0].name.as_deref(), Some("--units"));
        assert_eq!(entry.server.remotes[0].headers[0].name, "X-Key");
    }

    #[test]
    fn a_broken_document_is_an_error_not_a_panic() {
        for broken in [
            serde_json::json!({"description": "no name"}),
            serde_json::json!({"server": {"name": "a/b"}}),
            serde_json::json!({"name": "a/b", "version": "1", "packages": "not a list"}),
            serde_json::json!(42),
        ] {
            assert!(Entry::from_value(broken.clone()).is_err(), "{broken} should not read");
        }
    }
}
