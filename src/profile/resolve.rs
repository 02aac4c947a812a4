//! Turns a saved profile into what a connection needs: variables expanded from the environment
//! and secret references read from the vault. This happens at connect time, so a profile never
//! stores an expanded value, and a missing variable or secret is reported against the profile
//! and the field that needed it.

use std::path::PathBuf;

use url::Url;

use super::model::{AuthKind, ConfigValue, Profile, Protocol, Sandbox, Timeouts, ToolFilter, Transport};
use super::validate::MissingScheme;
use crate::expand::{ExpandError, expand};
use crate::ids::{SecretRef, SourceId};
use crate::net::{CaBundle, NetError};
use crate::secret::Secret;
use crate::vault::{Vault, VaultError};

/// A profile ready to connect: every value final, secrets still wrapped.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub id: SourceId,
    pub transport: ResolvedTransport,
    pub timeouts: Timeouts,
    pub tools: ToolFilter,
    /// The extra CAs the profile's `ca_bundle` names, read at resolve time.
    pub ca_bundle: Option<CaBundle>,
    pub protocol: Protocol,
    /// How the source signs in; an enterprise source declares that extension in its handshake.
    pub auth: AuthKind,
}

/// A transport with every value final. Header and environment values are all [`Secret`]s,
/// because any of them may carry a credential.
#[derive(Debug, Clone)]
pub enum ResolvedTransport {
    Stdio {
        command: String,
        args: Vec<String>,
        env: Vec<(String, Secret)>,
        cwd: Option<PathBuf>,
        /// The fence to start it in, its paths expanded; `None` runs it unfenced.
        sandbox: Option<Sandbox>,
    },
    Http {
        url: Url,
        headers: Vec<(String, Secret)>,
    },
    Sse {
        url: Url,
        headers: Vec<(String, Secret)>,
    },
}

/// Why a profile could not be made ready to connect.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    #[error("source `{id}`, {field}: {err}")]
    Expand { id: SourceId, field: String, err: ExpandError },
    #[error("source `{id}`, {field}: `{given}` is not a valid URL ({err})")]
    BadUrl { id: SourceId, field: String, given: String, err: url::ParseError },
    #[error("source `{id}`, {field}: {missing}")]
    MissingScheme { id: SourceId, field: String, missing: MissingScheme },
    #[error("source `{id}`, {field}: only http and https URLs are supported, not `{scheme}:`")]
    UnsupportedScheme { id: SourceId, field: String, scheme: String },
    #[error(
        "source `{id}`, {field}: the secret `{reference}` is not in the keychain; set it with `lanyard profile edit {id} ...` or remove the reference"
    )]
    MissingSecret { id: SourceId, field: String, reference: SecretRef },
    #[error("source `{id}`: {err}")]
    Vault { id: SourceId, err: VaultError },
    /// The profile's `ca_bundle` cannot be used; the error names the source and the path.
    #[error("{err}")]
    CaBundle { err: NetError },
}

impl ResolveError {
    /// A keychain failure is the keychain's kind; everything else is the profile's to fix.
    pub fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::Vault { err, .. } => err.kind(),
            Self::Expand { .. }
            | Self::BadUrl { .. }
            | Self::MissingScheme { .. }
            | Self::UnsupportedScheme { .. }
            | Self::MissingSecret { .. }
            | Self::CaBundle { .. } => crate::ErrorKind::Profile,
        }
    }

    /// The fix, as data: store the missing secret again, or the keychain's own.
    pub fn remedy(&self) -> Option<crate::remedy::Remedy> {
        match self {
            Self::MissingSecret { reference, .. } => {
                Some(crate::remedy::Remedy::StoreSecret { reference: reference.0.clone() })
            }
            Self::Vault { err, .. } => err.remedy(),
            _ => None,
        }
    }
}

/// Resolves `profile` against the process environment and `vault`.
pub async fn resolve(profile: &Profile, vault: &Vault) -> Result<Resolved, ResolveError> {
    resolve_with(profile, &SecretSource::Vault(vault), |name| std::env::var(name).ok()).await
}

/// Where secret references are looked up.
pub enum SecretSource<'a> {
    /// The keychain, for saved profiles.
    Vault(&'a Vault),
    /// Values held in memory only, for one-off connections that keep nothing; a reference to a
    /// password manager is still read, through `vault` (which only reads it).
    Memory { values: &'a [(SecretRef, Secret)], vault: &'a Vault },
}

/// [`resolve`] with explicit secret and variable lookups.
/// The CA bundle `profile` names, with `${VAR}` expanded through `lookup`; `None` without one.
/// Here rather than in [`crate::net`], so that the network posture never needs the profile model.
pub fn ca_bundle_of(
    profile: &Profile,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Option<CaBundle>, NetError> {
    let Some(raw) = &profile.ca_bundle else { return Ok(None) };
    let id = profile.id();
    let path = expand(&raw.to_string_lossy(), lookup)
        .map_err(|err| NetError::SourceCaBundleExpand { id: id.clone(), err })?;
    CaBundle::read(id, std::path::Path::new(&path)).map(Some)
}

/// [`ca_bundle_of`] with the process environment.
pub fn ca_bundle_of_env(profile: &Profile) -> Result<Option<CaBundle>, NetError> {
    ca_bundle_of(profile, |name| std::env::var(name).ok())
}

pub async fn resolve_with(
    profile: &Profile,
    secrets: &SecretSource<'_>,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Resolved, ResolveError> {
    let id = profile.id().clone();
    let text = |field: &str, value: &str| {
        expand(value, &lookup).map_err(|err| ResolveError::Expand {
            id: id.clone(),
            field: field.to_owned(),
            err,
        })
    };
    let transport = match &profile.transport {
        Transport::Stdio { command, args, env, cwd } => {
            let command = text("command", command)?;
            let args = args
                .iter()
                .enumerate()
                .map(|(index, arg)| text(&format!("args[{index}]"), arg))
                .collect::<Result<_, _>>()?;
            let cwd = match cwd {
                Some(dir) => Some(PathBuf::from(text("cwd", &dir.to_string_lossy())?)),
                None => None,
            };
            let mut resolved_env = Vec::with_capacity(env.len());
            for (name, value) in env {
                let field = format!("env.{name}");
                resolved_env.push((name.clone(), value_of(&id, &field, value, secrets, &text).await?));
            }
            let sandbox = match &profile.sandbox {
                Some(fence) => {
                    let paths = |field: &str, paths: &[PathBuf]| {
                        paths
                            .iter()
                            .enumerate()
                            .map(|(index, path)| {
                                text(&format!("sandbox.{field}[{index}]"), &path.to_string_lossy())
                                    .map(PathBuf::from)
                            })
                            .collect::<Result<Vec<_>, _>>()
                    };
                    Some(Sandbox {
                        read: paths("read", &fence.read)?,
                        write: paths("write", &fence.write)?,
                        network: fence.network,
                        memory_mb: fence.memory_mb,
                        open_files: fence.open_files,
                    })
                }
                None => None,
            };
            ResolvedTransport::Stdio { command, args, env: resolved_env, cwd, sandbox }
        }
        Transport::Http { url, headers } | Transport::Sse { url, headers } => {
            let url = parse_http_url(&id, "url", &text("url", url)?)?;
            let mut resolved_headers = Vec::with_capacity(headers.len());
            for (name, value) in headers {
                let field = format!("headers.{name}");
                resolved_headers.push((name.clone(), value_of(&id, &field, value, secrets, &text).await?));
            }
            match profile.transport {
                Transport::Sse { .. } => ResolvedTransport::Sse { url, headers: resolved_headers },
                _ => ResolvedTransport::Http { url, headers: resolved_headers },
            }
        }
    };
    let ca_bundle = ca_bundle_of(profile, &lookup).map_err(|err| ResolveError::CaBundle { err })?;
    Ok(Resolved {
        id,
        transport,
        timeouts: profile.timeouts,
        tools: profile.tools.clone(),
        ca_bundle,
        protocol: profile.protocol,
        auth: profile.auth.kind(),
    })
}

async fn value_of(
    id: &SourceId,
    field: &str,
    value: &ConfigValue,
    secrets: &SecretSource<'_>,
    text: &impl Fn(&str, &str) -> Result<String, ResolveError>,
) -> Result<Secret, ResolveError> {
    let reference = match value {
        ConfigValue::Text(raw) => return Ok(Secret::new(text(field, raw)?)),
        ConfigValue::Secret(reference) => reference,
    };
    let found = match secrets {
        SecretSource::Memory { values, .. } if !reference.is_external() => {
            values.iter().find(|(r, _)| r == reference).map(|(_, v)| v.clone())
        }
        SecretSource::Vault(vault) | SecretSource::Memory { vault, .. } => vault
            .source_secret(id, reference)
            .await
            .map_err(|err| ResolveError::Vault { id: id.clone(), err })?,
    };
    found.ok_or_else(|| ResolveError::MissingSecret {
        id: id.clone(),
        field: field.to_owned(),
        reference: reference.clone(),
    })
}

/// The URL of an HTTP or SSE profile's server with its variables expanded from the process
/// environment; `None` for stdio, or when the URL does not expand or parse (connecting says why).
pub fn server_url(profile: &Profile) -> Option<Url> {
    let (Transport::Http { url, .. } | Transport::Sse { url, .. }) = &profile.transport else { return None };
    let expanded = expand(url, |name| std::env::var(name).ok()).ok()?;
    parse_http_url(profile.id(), "url", &expanded).ok()
}

/// Parses an upstream URL, accepting only http and https.
pub fn parse_http_url(id: &SourceId, field: &str, given: &str) -> Result<Url, ResolveError> {
    // Only a URL that is not http(s) is looked at again, for a scheme left out.
    let missing_scheme = || {
        MissingScheme::of(given).map(|missing| ResolveError::MissingScheme {
            id: id.clone(),
            field: field.to_owned(),
            missing,
        })
    };
    let url = Url::parse(given).map_err(|err| {
        missing_scheme().unwrap_or_else(|| ResolveError::BadUrl {
            id: id.clone(),
            field: field.to_owned(),
            given: given.to_owned(),
            err,
        })
    })?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        scheme => Err(missing_scheme().unwrap_or_else(|| ResolveError::UnsupportedScheme {
            id: id.clone(),
            field: field.to_owned(),
            scheme: scheme.to_owned(),
        })),
    }
}
