//! Checks a profile for mistakes that parsing alone cannot catch (an empty command, a URL that is
//! not http, an alias agents would reject), so they are reported when the profile is saved or
//! loaded, not when a connection fails later. Values with `${VAR}` are checked after expansion, at
//! connect time, since their final form is not known yet.

use std::collections::BTreeSet;
use std::fmt;

use url::Url;

use super::model::{Auth, Profile, RESERVED_AUTH_PARAMS, RESERVED_REASON, Sandbox, Transport};
use crate::vault::ExternalRef;

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

impl std::error::Error for Problem {}

fn problem(field: impl Into<String>, reason: impl Into<String>) -> Problem {
    Problem { field: field.into(), reason: reason.into() }
}

/// The longest merged-server prefix: it leaves a tool name of 64 characters room for most of
/// the tool's own name.
const MERGED_PREFIX_MAX: usize = 32;

/// Whether `name` is a tool name every MCP client accepts.
pub fn is_portable_tool_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Checks a profile being written (added, edited, imported): [`validate`], plus the rules a
/// file written before them may still break without losing its sources. Such a file loads, and
/// the setting is ignored where it always was; the next edit of that source must fix it.
pub fn validate_new(profile: &Profile) -> Result<(), Problem> {
    validate(profile)?;
    match &profile.auth {
        Auth::OAuth(oauth) => {
            if let Some(name) =
                oauth.extra_params.keys().find(|name| RESERVED_AUTH_PARAMS.contains(&name.as_str()))
            {
                return Err(problem(format!("auth.extra_params.{name}"), RESERVED_REASON));
            }
            if let Some(client_id) = &oauth.client_id {
                check_client_id(client_id)?;
            }
            check_scopes(oauth.scopes.iter().flatten())?;
        }
        Auth::ClientCredentials(cc) => {
            check_scopes(cc.scopes.iter().flatten())?;
            if let Some(header) = &cc.service_token_header {
                check_header_name("auth.service_token_header", header)?;
            }
        }
        _ => {}
    }
    Ok(())
}

// The rules for one value each, which a form checks field by field (`super::form`) and the
// whole-profile checks here apply to the profile it makes: each written once.

/// A stdio source's program.
pub(super) fn check_command(command: &str) -> Result<(), Problem> {
    if command.trim().is_empty() {
        return Err(problem("transport.command", "give the program to start, e.g. `npx` or a full path"));
    }
    Ok(())
}

/// A header's (http, sse) or an environment variable's (stdio) name.
pub(super) fn check_value_name(name: &str, stdio: bool) -> Result<(), Problem> {
    if !stdio {
        return check_header_name(&format!("transport.headers.{name}"), name);
    }
    let field = format!("transport.env.{name}");
    if name.is_empty() {
        return Err(problem(field, NO_NAME));
    }
    if name.contains(['=', '\0']) {
        return Err(problem(field, format!("`{name}` is not a valid variable name")));
    }
    Ok(())
}

const NO_NAME: &str = "give it a name, or remove it";

pub(super) fn check_header_name(field: &str, name: &str) -> Result<(), Problem> {
    if name.is_empty() {
        return Err(problem(field, NO_NAME));
    }
    if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(problem(field, format!("`{name}` is not a valid HTTP header name")));
    }
    Ok(())
}

/// A pre-registered OAuth client's id: it goes into URLs and forms as it is.
pub(super) fn check_client_id(client_id: &str) -> Result<(), Problem> {
    if client_id.chars().any(char::is_whitespace) {
        return Err(problem("auth.client_id", "a client id has no spaces"));
    }
    Ok(())
}

/// A service account's client id, which it cannot do without.
pub(super) fn check_service_client_id(client_id: &str) -> Result<(), Problem> {
    if client_id.trim().is_empty() {
        return Err(problem("auth.client_id", "give the service account's client id"));
    }
    Ok(())
}

/// Scopes to request: RFC 6749 scope tokens, printable ASCII without space, `"` or `\`.
pub(super) fn check_scopes<'a>(scopes: impl IntoIterator<Item = &'a String>) -> Result<(), Problem> {
    let token = |scope: &str| {
        !scope.is_empty() && scope.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x5b | 0x5d..=0x7e))
    };
    match scopes.into_iter().find(|scope| !token(scope)) {
        Some(bad) => Err(problem(
            "auth.scopes",
            format!(
                "`{bad}` is not a scope: separate scopes with spaces; a scope has no quotes or backslashes"
            ),
        )),
        None => Ok(()),
    }
}

/// A fixed loopback redirect port out of range.
pub(super) fn bad_redirect_port() -> Problem {
    problem("auth.redirect_port", "use a port from 1 to 65535, or leave it out for any free port")
}

/// Checks `profile`, returning the first problem found.
pub fn validate(profile: &Profile) -> Result<(), Problem> {
    match &profile.transport {
        Transport::Stdio { command, env, .. } => {
            check_command(command)?;
            for name in env.keys() {
                check_value_name(name, true)?;
            }
        }
        Transport::Http { url, headers } | Transport::Sse { url, headers } => {
            check_url("transport.url", url, false)?;
            for name in headers.keys() {
                check_value_name(name, false)?;
            }
        }
    }
    for reference in profile.secret_refs() {
        if let Some(Err(err)) = ExternalRef::parse(&reference.0) {
            return Err(problem("secret", err.to_string()));
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
    if let Some(sandbox) = &profile.sandbox {
        if is_http {
            return Err(problem("sandbox", "applies to stdio sources; an http or sse server runs elsewhere"));
        }
        let paths = sandbox.read.iter().chain(&sandbox.write);
        if paths.into_iter().any(|path| path.as_os_str().is_empty()) {
            return Err(problem("sandbox", "has an empty path; give a folder or a file, or leave it out"));
        }
        let limits = [
            ("sandbox.memory_mb", sandbox.memory_mb, Sandbox::MEMORY_MB, "the most memory in MB"),
            ("sandbox.open_files", sandbox.open_files, Sandbox::OPEN_FILES, "the most open files"),
        ];
        for (field, value, range, what) in limits {
            if let Some(value) = value.filter(|value| !range.contains(value)) {
                return Err(problem(
                    field,
                    format!(
                        "is {value}; give {what} the server may have, from {} to {}, or leave it out",
                        range.start(),
                        range.end()
                    ),
                ));
            }
        }
    }
    if profile.review_first && profile.tool_changes == super::model::ToolChanges::Allow {
        return Err(problem(
            "review_first",
            "has no effect with tool_changes = \"allow\", which accepts every definition; use ask or block",
        ));
    }
    match &profile.auth {
        Auth::None | Auth::Headers => {}
        Auth::OAuth(_) | Auth::ClientCredentials(_) | Auth::Enterprise(_) | Auth::Passthrough if !is_http => {
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
                return Err(bad_redirect_port());
            }
            if let Some(url) = &oauth.client_metadata_url {
                check_url("auth.client_metadata_url", url, true)?;
            }
        }
        Auth::ClientCredentials(cc) => {
            check_service_client_id(&cc.client_id)?;
            match (&cc.client_secret, &cc.client_key, &cc.assertion_file) {
                (Some(_), None, None) | (None, Some(_), None) | (None, None, Some(_)) => {}
                (None, None, None) => {
                    return Err(problem(
                        "auth.client_secret",
                        "is missing: a service account proves itself with `client_secret`, `client_key` or `assertion_file`",
                    ));
                }
                (_, _, Some(_)) => {
                    return Err(problem(
                        "auth.assertion_file",
                        "is set beside `client_secret` or `client_key`; a service account uses one of them",
                    ));
                }
                (Some(_), Some(_), None) => {
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
        Auth::Enterprise(enterprise) => {
            check_url("auth.idp_issuer", &enterprise.idp_issuer, true)?;
            if enterprise.idp_client_id.trim().is_empty() {
                return Err(problem("auth.idp_client_id", "is empty"));
            }
            if let Some(url) = &enterprise.idp_token_endpoint {
                check_url("auth.idp_token_endpoint", url, true)?;
            }
            if enterprise.client_secret.is_some() && enterprise.client_id.is_none() {
                return Err(problem("auth.client_secret", "is set without `client_id`"));
            }
        }
        Auth::Passthrough => {}
    }
    if let Some(prefix) = &profile.merged_prefix
        && !(prefix.len() <= MERGED_PREFIX_MAX
            && prefix.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
    {
        return Err(problem(
            "merged_prefix",
            format!(
                "`{prefix}` is not a prefix clients accept in a tool name; use at most \
                 {MERGED_PREFIX_MAX} letters, digits, `_` or `-`, or \"\" for none"
            ),
        ));
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
pub(super) fn check_url(field: &str, given: &str, https_only: bool) -> Result<(), Problem> {
    if given.contains("${") {
        return Ok(());
    }
    if given.trim().is_empty() {
        return Err(problem(field, "give a URL, e.g. `https://mcp.example.com/mcp`"));
    }
    // Only a URL that is not http(s) is looked at again, for a scheme left out.
    let missing_scheme = || MissingScheme::of(given).map(|missing| problem(field, missing.to_string()));
    let url = Url::parse(given).map_err(|err| {
        missing_scheme().unwrap_or_else(|| problem(field, format!("`{given}` is not a valid URL ({err})")))
    })?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if !https_only || is_loopback(&url) => Ok(()),
        "http" => Err(problem(field, "use https (plain http only to 127.0.0.1 or localhost)")),
        other => Err(missing_scheme()
            .unwrap_or_else(|| problem(field, format!("use an http or https URL, not `{other}:`")))),
    }
}

/// A server URL typed without its scheme, as `127.0.0.1:3001/mcp` or `example.com/mcp`: the URL
/// parser calls the first a "relative URL without a base" and the second a URL of scheme
/// `example.com:` when a port follows, neither of which tells a person what to do. The scheme to
/// add is `http` for a loopback host (a local server rarely has a certificate) and `https`
/// otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingScheme {
    /// The text as given.
    pub given: String,
    /// `http` or `https`.
    pub scheme: &'static str,
}

impl MissingScheme {
    /// `Some` when `given` is not an http(s) URL but becomes one, with a host that looks like a
    /// server's (`localhost`, an IP address, or a name with a dot), once a scheme is put before
    /// it; `None` for a proper URL and for text that no scheme would fix.
    pub fn of(given: &str) -> Option<Self> {
        let given = given.trim();
        match Url::parse(given) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => return None,
            // `localhost:3001/mcp` parses with the scheme `localhost`: a port, not a path, follows.
            Ok(_) => {
                let after = given.split_once(':').map_or("", |(_, after)| after);
                if !after.starts_with(|c: char| c.is_ascii_digit()) {
                    return None;
                }
            }
            Err(url::ParseError::RelativeUrlWithoutBase) => {}
            Err(_) => return None,
        }
        let rest = given.trim_start_matches('/');
        let url = Url::parse(&format!("http://{rest}")).ok()?;
        let server_like = match url.host()? {
            url::Host::Domain(name) => name == "localhost" || name.contains('.'),
            url::Host::Ipv4(_) | url::Host::Ipv6(_) => true,
        };
        server_like.then(|| Self {
            given: given.to_owned(),
            scheme: if is_loopback(&url) { "http" } else { "https" },
        })
    }

    /// The URL with the scheme added.
    pub fn suggestion(&self) -> String {
        format!("{}://{}", self.scheme, self.given.trim_start_matches('/'))
    }
}

impl fmt::Display for MissingScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scheme {
            "http" => write!(f, "`{}` has no scheme; add `http://` (`{}`)", self.given, self.suggestion()),
            _ => write!(f, "`{}` has no scheme; did you mean `{}`?", self.given, self.suggestion()),
        }
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
    use crate::ids::SecretRef;
    use crate::profile::ClientCredentialsSettings;

    fn http(url: &str) -> Profile {
        Profile::new("s".parse().unwrap(), Transport::Http { url: url.into(), headers: Default::default() })
    }

    #[test]
    fn a_url_without_a_scheme_gets_the_scheme_to_add() {
        let hint = |given: &str| MissingScheme::of(given).map(|m| (m.suggestion(), m.to_string()));
        let (local, said) = hint("127.0.0.1:3001/mcp").expect("an address and a path");
        assert_eq!(local, "http://127.0.0.1:3001/mcp", "http for a loopback server");
        assert!(said.contains("add `http://`"), "the message says what to add: {said}");
        assert_eq!(
            hint("localhost:3001/mcp").unwrap().0,
            "http://localhost:3001/mcp",
            "the `localhost:` scheme"
        );
        assert_eq!(hint("[::1]:8080/mcp").unwrap().0, "http://[::1]:8080/mcp", "IPv6 loopback");
        let (remote, said) = hint("example.com/mcp").expect("a host name and a path");
        assert_eq!(remote, "https://example.com/mcp", "https for any other server");
        assert!(said.contains("did you mean `https://example.com/mcp`?"), "{said}");
        assert_eq!(hint("mcp.example.com:8443/mcp").unwrap().0, "https://mcp.example.com:8443/mcp");
        for fine_or_hopeless in
            ["https://example.com/mcp", "http://127.0.0.1:1/mcp", "ftp://x", "not a url", "mcp"]
        {
            assert_eq!(hint(fine_or_hopeless), None, "no scheme hint for `{fine_or_hopeless}`");
        }
        let err = validate(&http("example.com/mcp")).unwrap_err();
        assert!(err.reason.contains("https://example.com/mcp"), "saving says it too: {err}");
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
            ..ClientCredentialsSettings::with_client_secret("svc")
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
        profile.auth = Auth::ClientCredentials(cc.clone());
        assert_eq!(validate(&profile).unwrap_err().field, "auth.client_secret", "neither is refused");
        cc.assertion_file = Some("/var/run/secrets/tokens/mcp".into());
        profile.auth = Auth::ClientCredentials(cc.clone());
        assert_eq!(validate(&profile), Ok(()), "a workload identity token file alone is a proof");
        cc.client_secret = Some(SecretRef::client_secret());
        profile.auth = Auth::ClientCredentials(cc);
        assert_eq!(
            validate(&profile).unwrap_err().field,
            "auth.assertion_file",
            "a token file beside a secret is refused"
        );
    }

    #[test]
    fn a_merged_prefix_is_a_name_part_clients_accept_or_nothing() {
        let mut profile = http("https://example.com/mcp");
        for fine in ["", "gh", "team-a_2"] {
            profile.merged_prefix = Some(fine.into());
            assert_eq!(validate(&profile), Ok(()), "`{fine}` is a prefix");
        }
        for bad in ["git.hub", "ü", &"x".repeat(33)] {
            profile.merged_prefix = Some(bad.into());
            let problem = validate(&profile).unwrap_err();
            assert_eq!(problem.field, "merged_prefix", "`{bad}` is refused");
            assert!(problem.reason.contains("\"\" for none"), "the fix is said: {}", problem.reason);
        }
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
