//! Whether a registry entry's package or endpoint belongs to whoever published the entry.
//!
//! The official registry verifies a namespace when a server is published (`io.github.owner/`
//! through GitHub, `com.example/` through DNS or HTTP) and asks each package to name its server
//! back: `mcpName` in an npm package's `package.json`, a `mcp-name: <name>` line in a PyPI
//! package's description. Other registries may check nothing, so Lanyard checks what it can
//! before anything runs, and flags what does not match:
//! - the namespace against the entry's own links (the GitHub owner against the repository, a
//!   domain against each remote's host), offline;
//! - an npm or PyPI package against its package registry, asking it for that version.
//!
//! Kinds that cannot be checked from here (an OCI image's labels, a NuGet README) say so.

use std::time::Duration;

use serde::Serialize;
use url::Url;

use super::model::{Package, ServerJson};
use crate::net::{client_builder, same_origin_redirects};

const NPM: &str = "https://registry.npmjs.org";
const PYPI: &str = "https://pypi.org";

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", content = "detail", rename_all = "snake_case")]
pub enum Verdict {
    /// The package names this server back, or the link matches the namespace.
    Verified(String),
    /// It does not: someone else's package or endpoint may be behind this entry.
    Mismatch(String),
    /// Could not be checked, and why.
    Unchecked(String),
}

impl Verdict {
    pub fn is_mismatch(&self) -> bool {
        matches!(self, Self::Mismatch(_))
    }
}

/// One check and its verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked: "npm package @x/y 1.2.0", "remote https://...".
    pub subject: String,
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// The namespace checks that need no network: the GitHub owner against the repository's URL,
/// a domain namespace against each remote's host.
pub fn namespace_checks(server: &ServerJson) -> Vec<Check> {
    let Some((namespace, _)) = server.name.split_once('/') else { return Vec::new() };
    let namespace = namespace.to_ascii_lowercase();
    let mut checks = Vec::new();
    if let Some(owner) = namespace.strip_prefix("io.github.") {
        if let Some(repository) = &server.repository {
            let repo_owner = Url::parse(&repository.url)
                .ok()
                .filter(|u| u.host_str() == Some("github.com"))
                .and_then(|u| u.path_segments().and_then(|mut s| s.next().map(str::to_ascii_lowercase)));
            let subject = format!("repository {}", repository.url);
            let verdict = match repo_owner {
                Some(found) if found == owner => Verdict::Verified(format!("GitHub owner `{owner}`")),
                Some(found) => Verdict::Mismatch(format!(
                    "the name says GitHub owner `{owner}`, the repository belongs to `{found}`"
                )),
                None => Verdict::Unchecked("the repository is not on github.com".into()),
            };
            checks.push(Check { subject, verdict });
        }
        return checks;
    }
    let domain: Vec<&str> = namespace.split('.').rev().collect();
    let domain = domain.join(".");
    for remote in &server.remotes {
        let Some(url) = &remote.url else { continue };
        let subject = format!("remote {url}");
        // A URL with `{variables}` in its host is checked after them.
        let host = Url::parse(&url.replace(['{', '}'], ""))
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
        let verdict = match host {
            Some(host) if host == domain || host.ends_with(&format!(".{domain}")) => {
                Verdict::Verified(format!("served under {domain}"))
            }
            Some(host) => Verdict::Mismatch(format!("the name is under {domain}, the endpoint is at {host}")),
            None => Verdict::Unchecked("the URL cannot be read".into()),
        };
        checks.push(Check { subject, verdict });
    }
    checks
}

/// Asks the package's registry whether the package names `server` back.
pub async fn package_check(server: &ServerJson, package: &Package, timeout: Duration) -> Check {
    let version = package.version.clone().unwrap_or_else(|| "latest".to_owned());
    let kind = package.registry_type.to_ascii_lowercase();
    let subject = format!("{kind} package {} {version}", package.identifier);
    let verdict = match kind.as_str() {
        "npm" => npm(server, package, &version, timeout).await,
        "pypi" => pypi(server, package, &version, timeout).await,
        "mcpb" => match &package.file_sha256 {
            Some(_) => Verdict::Unchecked(
                "bundles are not run by Lanyard; the entry gives a SHA-256 to check the download against"
                    .into(),
            ),
            None => Verdict::Mismatch("a bundle without a SHA-256: its download cannot be checked".into()),
        },
        _ => Verdict::Unchecked(format!("Lanyard cannot check the ownership of {kind} packages")),
    };
    Check { subject, verdict }
}

async fn npm(server: &ServerJson, package: &Package, version: &str, timeout: Duration) -> Verdict {
    let base = package.registry_base_url.as_deref().unwrap_or(NPM);
    let Some(mut url) = base_url(base) else { return Verdict::Unchecked(format!("`{base}` is not a URL")) };
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(package.identifier.split('/')).push(version);
    }
    let document = match get_json(url, timeout).await {
        Ok(document) => document,
        Err(reason) => return Verdict::Unchecked(reason),
    };
    match document.get("mcpName").and_then(|v| v.as_str()) {
        Some(named) if named == server.name => Verdict::Verified(format!("its package.json names `{named}`")),
        Some(named) => Verdict::Mismatch(format!("its package.json names `{named}`, not `{}`", server.name)),
        None => Verdict::Mismatch(format!(
            "its package.json has no `mcpName`, so it does not name `{}`",
            server.name
        )),
    }
}

async fn pypi(server: &ServerJson, package: &Package, version: &str, timeout: Duration) -> Verdict {
    let base = package.registry_base_url.as_deref().unwrap_or(PYPI);
    let Some(mut url) = base_url(base) else { return Verdict::Unchecked(format!("`{base}` is not a URL")) };
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(["pypi", package.identifier.as_str()]);
        if version != "latest" {
            path.push(version);
        }
        path.push("json");
    }
    let document = match get_json(url, timeout).await {
        Ok(document) => document,
        Err(reason) => return Verdict::Unchecked(reason),
    };
    let description = document.pointer("/info/description").and_then(|v| v.as_str()).unwrap_or_default();
    let wanted = format!("mcp-name: {}", server.name);
    if description.lines().any(|line| line.contains(&wanted)) {
        Verdict::Verified(format!("its description says `{wanted}`"))
    } else {
        Verdict::Mismatch(format!("its description has no `{wanted}` line"))
    }
}

fn base_url(base: &str) -> Option<Url> {
    Url::parse(base).ok().filter(|url| matches!(url.scheme(), "http" | "https"))
}

async fn get_json(url: Url, timeout: Duration) -> Result<serde_json::Value, String> {
    let client = client_builder()
        .map_err(|err| err.to_string())?
        .redirect(same_origin_redirects())
        .timeout(timeout)
        .build()
        .map_err(|err| err.to_string())?;
    let origin = crate::net::Origin::of(&url);
    let response = client.get(url).send().await.map_err(|err| {
        if err.is_timeout() {
            format!("{origin} did not answer in time")
        } else {
            format!("{origin} cannot be reached")
        }
    })?;
    if !response.status().is_success() {
        return Err(format!("{origin} answered {}", response.status().as_u16()));
    }
    response.json().await.map_err(|_| format!("{origin} did not answer with JSON"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(json: serde_json::Value) -> ServerJson {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_github_namespace_must_match_the_repository_owner() {
        let ok = server(serde_json::json!({"name": "io.github.alice/x", "version": "1",
            "repository": {"url": "https://github.com/Alice/x", "source": "github"}}));
        assert!(matches!(namespace_checks(&ok)[0].verdict, Verdict::Verified(_)));
        let other = server(serde_json::json!({"name": "io.github.alice/x", "version": "1",
            "repository": {"url": "https://github.com/mallory/x", "source": "github"}}));
        assert!(namespace_checks(&other)[0].verdict.is_mismatch());
    }

    #[test]
    fn a_domain_namespace_must_match_each_remote_host() {
        let entry = server(serde_json::json!({"name": "com.example/x", "version": "1", "remotes": [
            {"type": "streamable-http", "url": "https://mcp.example.com/mcp"},
            {"type": "sse", "url": "https://example.com.evil.test/sse"}
        ]}));
        let checks = namespace_checks(&entry);
        assert!(matches!(checks[0].verdict, Verdict::Verified(_)), "{checks:?}");
        assert!(checks[1].verdict.is_mismatch(), "{checks:?}");
    }
}
