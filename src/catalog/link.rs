//! `lanyard://add?...` links, with which a web page offers "Add to Lanyard".
//!
//! A link is input from any web page, so it is read strictly: the one action `add`, the
//! parameters `name` (required), `version` and `registry` each at most once, nothing else. A
//! registry in a link must be on the network (`https://` or `http://`): a page has no business
//! naming a folder on this machine. A link never runs anything by itself, nor fetches anything:
//! a page must not make Lanyard send a request to a host of its choosing. Reading one answers
//! only with what it says and whether its registry is one of the configured ones; the app shows
//! that and asks before it looks the entry up (a separate request), and asks again, with the exact
//! command or URL, before it adds.

use serde::Serialize;
use url::Url;

/// The scheme the app registers with the desktop.
pub const SCHEME: &str = "lanyard";

/// The most characters a server name or a version in a link may have.
const MAX_NAME: usize = 200;
const MAX_VERSION: usize = 64;

/// What an `add` link asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase")]
pub struct AddLink {
    /// The registry to read it from; the configured ones without.
    pub registry: Option<String>,
    pub name: String,
    /// The latest version without.
    pub version: Option<String>,
}

/// Why a link cannot be followed, in words for the person who clicked it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this Add to Lanyard link cannot be used: {reason}")]
pub struct LinkError {
    pub reason: String,
}

fn refuse(reason: impl Into<String>) -> LinkError {
    LinkError { reason: reason.into() }
}

impl AddLink {
    /// Reads `lanyard://add?registry=...&name=...&version=...`.
    pub fn parse(text: &str) -> Result<Self, LinkError> {
        let url = Url::parse(text.trim()).map_err(|err| refuse(format!("it is not a link ({err})")))?;
        if !url.scheme().eq_ignore_ascii_case(SCHEME) {
            return Err(refuse(format!("it is a {}: link, not a {SCHEME}: one", url.scheme())));
        }
        // `lanyard://add?...` has the action as its host, `lanyard:add?...` as its path.
        let action = url.host_str().filter(|host| !host.is_empty()).unwrap_or(url.path());
        let action = action.trim_matches('/');
        if !action.eq_ignore_ascii_case("add") {
            return Err(refuse(format!(
                "`{action}` is not something Lanyard does from a link; only `add` is"
            )));
        }
        let (mut registry, mut name, mut version) = (None, None, None);
        for (key, value) in url.query_pairs() {
            let slot = match key.as_ref() {
                "registry" => &mut registry,
                "name" => &mut name,
                "version" => &mut version,
                other => {
                    return Err(refuse(format!(
                        "it has a parameter `{other}`; an add link has only name, version and registry"
                    )));
                }
            };
            if slot.is_some() {
                return Err(refuse(format!("it gives `{key}` twice")));
            }
            *slot = Some(value.trim().to_owned());
        }
        let name = name.filter(|n| !n.is_empty()).ok_or_else(|| refuse("it names no server (`name=`)"))?;
        if name.chars().count() > MAX_NAME || name.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(refuse("its server name is not a registry name (like io.github.owner/server)"));
        }
        let version = version.filter(|v| !v.is_empty());
        if let Some(version) = &version {
            let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_');
            if version.len() > MAX_VERSION || !version.chars().all(plain) {
                return Err(refuse(format!("`{version}` is not a version")));
            }
        }
        let registry = registry.filter(|r| !r.is_empty()).map(|r| network_registry(&r)).transpose()?;
        Ok(Self { registry, name, version })
    }
}

/// A link as the window gets it: what to add, or why the link cannot be followed. Nothing in it
/// was fetched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = crate::TS_DIR))]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum LinkView {
    Add {
        link: AddLink,
        /// The link names no registry (the configured ones are asked) or one of the configured
        /// ones; `false`: a registry the person never chose, to be flagged before it is asked.
        registry_configured: bool,
    },
    Invalid {
        message: String,
    },
}

impl LinkView {
    /// Reads `text` against the `configured` registries, without a request to any of them.
    pub fn read(text: &str, configured: &[super::RegistryAddress]) -> Self {
        match AddLink::parse(text) {
            Ok(link) => {
                let registry_configured = link
                    .registry
                    .as_ref()
                    .is_none_or(|named| configured.iter().any(|c| c.to_string() == *named));
                Self::Add { link, registry_configured }
            }
            Err(err) => Self::Invalid { message: err.to_string() },
        }
    }
}

/// `text` as a registry address on the network, written the way the settings write it.
fn network_registry(text: &str) -> Result<String, LinkError> {
    let url = Url::parse(text).map_err(|_| refuse(format!("its registry `{text}` is not a URL")))?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(refuse(format!("its registry `{text}` is not an https:// address")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("its registry address carries a user name or password"));
    }
    Ok(super::RegistryAddress::Http(url).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_add_link_names_the_server_and_may_name_a_version_and_a_registry() {
        let link = AddLink::parse(
            "lanyard://add?registry=https%3A%2F%2Fmcp.corp.example%2F&name=io.github.o%2Fecho&version=1.1.0",
        )
        .unwrap();
        assert_eq!(
            link,
            AddLink {
                registry: Some("https://mcp.corp.example".into()),
                name: "io.github.o/echo".into(),
                version: Some("1.1.0".into()),
            }
        );
        let bare = AddLink::parse("LANYARD://add?name=com.example/weather").unwrap();
        assert_eq!(bare, AddLink { registry: None, name: "com.example/weather".into(), version: None });
        assert_eq!(AddLink::parse("lanyard:add?name=a/b").unwrap().name, "a/b");
    }

    #[test]
    fn a_link_says_whether_its_registry_is_a_configured_one() {
        let configured: Vec<super::super::RegistryAddress> =
            vec!["https://mcp.corp.example/".parse().unwrap(), "/srv/registry".parse().unwrap()];
        let configured_of = |link: &str| match LinkView::read(link, &configured) {
            LinkView::Add { registry_configured, .. } => registry_configured,
            LinkView::Invalid { message } => panic!("{link}: {message}"),
        };
        assert!(configured_of("lanyard://add?name=a/b"), "no registry: the configured ones are asked");
        assert!(configured_of("lanyard://add?name=a/b&registry=https%3A%2F%2Fmcp.corp.example"));
        assert!(
            !configured_of("lanyard://add?name=a/b&registry=https%3A%2F%2Fevil.example%2Fmcp.corp.example"),
            "a registry the person never chose is flagged"
        );
        assert!(!configured_of("lanyard://add?name=a/b&registry=https%3A%2F%2Fmcp.corp.example%3A8443"));
        assert!(matches!(LinkView::read("lanyard://add", &configured), LinkView::Invalid { .. }));
    }

    #[test]
    fn a_bad_link_says_what_is_wrong_with_it() {
        let cases = [
            ("not a link", "not a link"),
            ("https://add?name=a/b", "not a lanyard: one"),
            ("lanyard://remove?name=a/b", "`remove` is not something"),
            ("lanyard://add?version=1.0.0", "names no server"),
            ("lanyard://add?name=", "names no server"),
            ("lanyard://add?name=a/b&name=c/d", "`name` twice"),
            ("lanyard://add?name=a/b&command=rm", "parameter `command`"),
            ("lanyard://add?name=a%20b", "not a registry name"),
            ("lanyard://add?name=a/b&version=1;rm", "`1;rm` is not a version"),
            ("lanyard://add?name=a/b&registry=%2Fetc", "not a URL"),
            ("lanyard://add?name=a/b&registry=file%3A%2F%2F%2Fetc", "not an https:// address"),
            ("lanyard://add?name=a/b&registry=https%3A%2F%2Fu%3Ap%40r.example", "user name or password"),
        ];
        for (link, expected) in cases {
            let err = AddLink::parse(link).unwrap_err().to_string();
            assert!(err.starts_with("this Add to Lanyard link cannot be used: "), "{link}: {err}");
            assert!(err.contains(expected), "{link}: `{err}` should say {expected}");
        }
    }
}
