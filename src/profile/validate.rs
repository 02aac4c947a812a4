//! Checks a profile for mistakes that parsing alone cannot catch (an empty command, a URL that is
//! not http, an alias agents would reject), so they are reported when the profile is saved or
//! loaded, not when a connection fails later. Values with `${VAR}` are checked after expansion, at
//! connect time, since their final form is not known yet.

use std::collections::BTreeSet;
use std::fmt;

use url::Url;

use super::model::{Auth, Profile, RESERVED_AUTH_PARAMS, Transport};

/// One thing wrong with a profile: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

fn problem(field: impl Into<String>, reason: impl Into<String>) -> Problem {
    Problem { field: field.into(), reason: reason.into() }
}

/// Whether `name` is a tool name every MCP client accepts.
pub fn is_portable_tool_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Checks a profile being written (added, edited, imported): [`validate`], plus the rules a
/// file written before them may still break without losing its sources. Such a file loads, and
/// the setting is ignored where it always was; the next edit of that source must fix it.
pub fn validate_new(profile: &Profile) -> Result<(), Problem> {
    validate(profile)?;
    if let Auth::OAuth(oauth) = &profile.auth
        && let Some(name) =
            oauth.extra_params.keys().find(|name| RESERVED_AUTH_PARAMS.contains(&name.as_str()))
    {
        return Err(problem(
            format!("auth.extra_params.{name}"),
            "is set by Lanyard itself in every sign-in, so this value would never be sent; remove it",
        ));
    }
    Ok(())
}

/// Checks `profile`, returning the first problem found.
pub fn validate(profile: &Profile) -> Result<(), Problem> {
    match &profile.transport {
        Transport::Stdio { command, env, .. } => {
            if command.trim().is_empty() {
                return Err(problem("transport.command", "is empty; give the program to start"));
            }
            for name in env.keys() {
                if name.is_empty() || name.contains(['=', '\0']) {
                    return Err(problem(format!("transport.env.{name}"), "is not a valid variable name"));
                }
            }
        }
        Transport::Http { url, headers } | Transport::Sse { url, headers } => {
            check_url("transport.url", url, false)?;
            for name in headers.keys() {
                if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                    return Err(problem(
                        format!("transport.headers.{name}"),
                        "is not a valid HTTP header name",
                    ));
                }
            }
        }
    }
    let is_http = !matches!(profile.transport, Transport::Stdio { .. });
    if let Some(path) = &profile.ca_bundle {
        if !is_http {
            return Err(problem(
                "ca_bundle",
                "applies to http and sse sources; a stdio server makes its own connections",
            ));
        }
        if path.as_os_str().is_empty() {
            return Err(problem("ca_bundle", "is empty; give the path of a PEM file or leave it out"));
        }
    }
    match &profile.auth {
        Auth::None | Auth::Headers => {}
        Auth::OAuth(_) | Auth::ClientCredentials(_) | Auth::Passthrough if !is_http => {
            return Err(problem(
                "auth.kind",
                format!(
                    "`{}` needs an http or sse transport; a stdio server takes its secrets in `env`",
                    profile.auth.kind_name()
                ),
            ));
        }
        Auth::OAuth(oauth) => {
            if oauth.client_secret.is_some() && oauth.client_id.is_none() {
                return Err(problem("auth.client_secret", "is set without `client_id`"));
            }
            if oauth.redirect_port == Some(0) {
                return Err(problem(
                    "auth.redirect_port",
                    "must be 1-65535; leave it out for an ephemeral port",
                ));
            }
            if let Some(url) = &oauth.client_metadata_url {
                check_url("auth.client_metadata_url", url, true)?;
            }
        }
        Auth::ClientCredentials(cc) => {
            if cc.client_id.trim().is_empty() {
                return Err(problem("auth.client_id", "is empty"));
            }
            match (&cc.client_secret, &cc.client_key) {
                (Some(_), None) | (None, Some(_)) => {}
                (None, None) => {
                    return Err(problem(
                        "auth.client_secret",
                        "is missing: a service account proves itself with `client_secret` or `client_key`",
                    ));
                }
                (Some(_), Some(_)) => {
                    return Err(problem(
                        "auth.client_key",
                        "and `client_secret` are both set; a service account uses one of them",
                    ));
                }
            }
            if let Some(url) = &cc.token_url {
                check_url("auth.token_url", url, true)?;
            }
            if cc.service_token.is_some() != cc.service_token_header.is_some() {
                return Err(problem(
                    "auth.service_token_header",
                    "and `service_token` go together; set both or neither",
                ));
            }
        }
        Auth::Passthrough => {}
    }
    let mut aliases = BTreeSet::new();
    for (tool, alias) in &profile.tools.alias {
        if !is_portable_tool_name(alias) {
            return Err(problem(
                format!("tools.alias.{tool}"),
                format!("`{alias}` is not a name clients accept; use 1-64 letters, digits, `_` or `-`"),
            ));
        }
        if !aliases.insert(alias) {
            return Err(problem(
                format!("tools.alias.{tool}"),
                format!("`{alias}` is already the alias of another tool"),
            ));
        }
    }
    Ok(())
}

/// Checks an http(s) URL unless it still holds `${VAR}` references. With `https_only`, plain
/// http is accepted for loopback hosts only (credentials must not cross a network in clear).
fn check_url(field: &str, given: &str, https_only: bool) -> Result<(), Problem> {
    if given.contains("${") {
        return Ok(());
    }
    let url =
        Url::parse(given).map_err(|err| problem(field, format!("`{given}` is not a valid URL ({err})")))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if !https_only || is_loopback(&url) => Ok(()),
        "http" => {
            Err(problem(field, "must be https (plain http is allowed for 127.0.0.1 and localhost only)"))
        }
        other => Err(problem(field, format!("must be an http or https URL, not `{other}:`"))),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{ClientCredentialsSettings, SecretRef};

    fn http(url: &str) -> Profile {
        Profile::new("s".parse().unwrap(), Transport::Http { url: url.into(), headers: Default::default() })
    }

    #[test]
    fn good_http_profile_passes() {
        assert_eq!(validate(&http("https://example.com/mcp")), Ok(()));
        assert_eq!(validate(&http("${BASE_URL}/mcp")), Ok(()), "variables are checked at connect time");
    }

    #[test]
    fn non_http_url_is_refused() {
        let err = validate(&http("ftp://example.com")).unwrap_err();
        assert_eq!(err.field, "transport.url");
        assert!(err.reason.contains("ftp"), "names the scheme: {err}");
        assert!(validate(&http("not a url")).is_err(), "garbage is not a URL");
    }

    #[test]
    fn empty_command_is_refused() {
        let profile = Profile::new(
            "s".parse().unwrap(),
            Transport::Stdio { command: " ".into(), args: vec![], env: Default::default(), cwd: None },
        );
        assert_eq!(validate(&profile).unwrap_err().field, "transport.command");
    }

    #[test]
    fn oauth_on_stdio_is_refused() {
        let mut profile = Profile::new(
            "s".parse().unwrap(),
            Transport::Stdio { command: "x".into(), args: vec![], env: Default::default(), cwd: None },
        );
        profile.auth = Auth::OAuth(Default::default());
        assert_eq!(validate(&profile).unwrap_err().field, "auth.kind");
    }

    #[test]
    fn an_authorization_parameter_lanyard_sets_itself_is_refused() {
        let mut profile = http("https://example.com/mcp");
        let mut oauth = crate::profile::OAuthSettings::default();
        oauth.extra_params.insert("login_hint".into(), "me@example.com".into());
        profile.auth = Auth::OAuth(oauth.clone());
        assert_eq!(validate_new(&profile), Ok(()), "a parameter of the person's own passes");
        oauth.extra_params.insert("state".into(), "x".into());
        profile.auth = Auth::OAuth(oauth);
        assert_eq!(validate(&profile), Ok(()), "a file written before the rule still loads");
        let err = validate_new(&profile).unwrap_err();
        assert_eq!(err.field, "auth.extra_params.state", "an edit must fix it: {err}");
    }

    #[test]
    fn token_url_must_be_https_unless_loopback() {
        let mut profile = http("https://example.com/mcp");
        let mut cc = ClientCredentialsSettings {
            token_url: Some("http://auth.example.com/token".into()),
            client_id: "svc".into(),
            client_secret: Some(SecretRef::client_secret()),
            client_key: None,
            scopes: None,
            service_token_header: None,
            service_token: None,
            allow_private_network: false,
        };
        profile.auth = Auth::ClientCredentials(cc.clone());
        assert_eq!(
            validate(&profile).unwrap_err().field,
            "auth.token_url",
            "http to a remote host is refused"
        );
        cc.token_url = Some("http://127.0.0.1:8080/token".into());
        profile.auth = Auth::ClientCredentials(cc.clone());
        assert_eq!(validate(&profile), Ok(()), "loopback may be plain http");
        let key =
            crate::profile::ClientKey { secret: SecretRef::client_key(), alg: crate::profile::KeyAlg::Es256 };
        cc.client_key = Some(key.clone());
        profile.auth = Auth::ClientCredentials(cc.clone());
        assert_eq!(
            validate(&profile).unwrap_err().field,
            "auth.client_key",
            "a secret and a key are refused"
        );
        cc.client_secret = None;
        profile.auth = Auth::ClientCredentials(cc.clone());
        assert_eq!(validate(&profile), Ok(()), "a key alone is a service account's proof");
        cc.client_key = None;
        profile.auth = Auth::ClientCredentials(cc);
        assert_eq!(validate(&profile).unwrap_err().field, "auth.client_secret", "neither is refused");
    }

    #[test]
    fn aliases_must_be_portable_and_unique() {
        let mut profile = http("https://example.com/mcp");
        profile.tools.alias.insert("a".into(), "has space".into());
        assert!(validate(&profile).unwrap_err().reason.contains("has space"));
        profile.tools.alias.insert("a".into(), "same".into());
        profile.tools.alias.insert("b".into(), "same".into());
        assert!(validate(&profile).unwrap_err().reason.contains("already"), "duplicate aliases are refused");
    }

    #[test]
    fn ca_bundle_is_for_http_sources_and_not_empty() {
        let mut profile = http("https://example.com/mcp");
        profile.ca_bundle = Some("${HOME}/corp-ca.pem".into());
        assert_eq!(validate(&profile), Ok(()), "the file is read at connect time, after expansion");
        profile.ca_bundle = Some("".into());
        assert_eq!(validate(&profile).unwrap_err().field, "ca_bundle", "an empty path is refused");
        let mut stdio = Profile::new(
            "s".parse().unwrap(),
            Transport::Stdio { command: "x".into(), args: vec![], env: Default::default(), cwd: None },
        );
        stdio.ca_bundle = Some("/etc/corp-ca.pem".into());
        assert_eq!(validate(&stdio).unwrap_err().field, "ca_bundle", "a stdio source makes no TLS requests");
    }

    #[test]
    fn bad_header_name_is_refused() {
        let mut profile = http("https://example.com/mcp");
        if let Transport::Http { headers, .. } = &mut profile.transport {
            headers.insert("Bad Header".into(), crate::profile::ConfigValue::Text("x".into()));
        }
        assert_eq!(validate(&profile).unwrap_err().field, "transport.headers.Bad Header");
    }
}
