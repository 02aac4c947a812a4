//! The network posture every outbound HTTP client shares: proxies, extra trusted CAs and
//! redirects.
//!
//! Corporate networks reach the internet through a proxy and often run a private PKI, so every
//! client Lanyard builds (upstreams, discovery, token calls) starts from [`client_builder`]:
//! - `HTTPS_PROXY`, `HTTP_PROXY` and `ALL_PROXY` (or their lower-case forms) are honoured, with
//!   `NO_PROXY`; loopback (`localhost`, `127.0.0.0/8`, `::1`) never goes through a proxy, because
//!   a local MCP server, the bridge and the sign-in redirect live there.
//! - TLS trusts the operating system's store, plus the PEM bundle named by `LANYARD_CA_BUNDLE`
//!   for a private PKI, plus a source's own bundle (`ca_bundle` in its profile, a [`CaBundle`])
//!   for every request made for that source: one team's private CA is trusted for its server and
//!   sign-in only, not for every other source.
//!
//! - Redirects: a request never follows a redirect to another origin (scheme, host, port),
//!   because everything it carries would go along to a server nobody named: the source's headers,
//!   its `Authorization`, the `Mcp-Session-Id`, and for a 307/308 the body itself. reqwest's
//!   default follows any redirect and strips only a few headers (`Authorization`, `Cookie`), so no
//!   client keeps it: [`client_builder`] starts from [`no_redirects`], and a client that talks
//!   to an MCP server switches to [`same_origin_redirects`]. Both live here so that there is one
//!   rule; a refused redirect ends the request with a [`RedirectRefused`] in its error chain
//!   (found with [`refused_redirect`]), or, without following, as the 3xx answer itself.
//!
//! The environment is read once per process. A value that cannot be used is an error naming the
//! variable, never silently ignored: a proxy setting that is dropped would send traffic around
//! the proxy. A proxy URL may carry a password, so it never appears in an error or a log.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use reqwest::redirect::Policy;
use reqwest::{Certificate, NoProxy, Proxy};
use url::Url;

use crate::expand::ExpandError;
use crate::ids::SourceId;

/// Always excluded from proxying, whatever `NO_PROXY` says.
const LOOPBACK: &str = "localhost,127.0.0.0/8,::1";
/// The variable naming an extra CA bundle (PEM).
pub const CA_BUNDLE_VAR: &str = "LANYARD_CA_BUNDLE";
/// The most redirects within one origin that one request follows.
pub const MAX_REDIRECTS: usize = 5;

/// The scheme, host and port of a URL: enough to say where, never what was asked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin(String);

impl Origin {
    /// The scheme, host and port of `url`. A URL without such an origin (`file:`, `data:`,
    /// `javascript:`) is named by its scheme alone, since the rest may be anything.
    pub fn of(url: &Url) -> Self {
        match url.origin() {
            origin @ url::Origin::Tuple(..) => Self(origin.ascii_serialization()),
            url::Origin::Opaque(_) => Self(format!("{}:", url.scheme())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For the rare error without a URL behind it.
    pub(crate) fn unknown() -> Self {
        Self("the server".to_owned())
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A redirect that [`same_origin_redirects`] did not follow. It sits in the chain of the
/// `reqwest::Error` the request ends with; callers turn it into their own error with
/// [`refused_redirect`], naming the source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedirectRefused {
    #[error(
        "{from} redirected the request to {to}, another origin; Lanyard does not follow that, since the request's headers, tokens and body would go along to a server nobody named"
    )]
    OtherOrigin { from: Origin, to: Origin },
    #[error("{from} redirected the request more than {MAX_REDIRECTS} times")]
    TooMany { from: Origin },
}

/// Follows a redirect only within the origin the request was first sent to, at most
/// [`MAX_REDIRECTS`] times; any other redirect ends the request with a [`RedirectRefused`],
/// before anything is sent to the new address.
pub fn same_origin_redirects() -> Policy {
    Policy::custom(|attempt| {
        // `previous` holds every URL requested so far, the first one included.
        let Some(first) = attempt.previous().first() else { return attempt.stop() };
        let from = Origin::of(attempt.previous().last().unwrap_or(first));
        if attempt.url().origin() != first.origin() {
            let to = Origin::of(attempt.url());
            attempt.error(RedirectRefused::OtherOrigin { from, to })
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(RedirectRefused::TooMany { from })
        } else {
            attempt.follow()
        }
    })
}

/// Follows no redirect: the 3xx is the answer. For the OAuth endpoints (metadata, registration,
/// token, revocation) and the hub's proof, which have no business redirecting; see
/// `oauth::http` for how that answer is worded.
pub fn no_redirects() -> Policy {
    Policy::none()
}

/// The redirect [`same_origin_redirects`] refused, when that is what ended `err`.
pub fn refused_redirect(err: &reqwest::Error) -> Option<&RedirectRefused> {
    if !err.is_redirect() {
        return None;
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = cause {
        if let Some(refused) = current.downcast_ref::<RedirectRefused>() {
            return Some(refused);
        }
        cause = current.source();
    }
    None
}

/// Why the network settings from the environment cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    #[error("`{variable}` is not a usable proxy URL; fix or unset it (e.g. `http://proxy.example:3128`)")]
    InvalidProxy { variable: &'static str },
    #[error("`{CA_BUNDLE_VAR}` names {path}, which cannot be read ({reason}); fix the path or unset it")]
    CaBundleUnreadable { path: String, reason: String },
    #[error("`{CA_BUNDLE_VAR}` names {path}, which holds no PEM certificate; give a PEM bundle or unset it")]
    CaBundleInvalid { path: String },
    #[error(
        "source `{id}`, ca_bundle: {path} cannot be read ({reason}); fix the path or clear it with `lanyard profile edit {id} --no-ca-bundle`"
    )]
    SourceCaBundleUnreadable { id: SourceId, path: String, reason: String },
    #[error(
        "source `{id}`, ca_bundle: {path} holds no PEM certificate; give a PEM bundle or clear it with `lanyard profile edit {id} --no-ca-bundle`"
    )]
    SourceCaBundleInvalid { id: SourceId, path: String },
    #[error("source `{id}`, ca_bundle: {err}")]
    SourceCaBundleExpand { id: SourceId, err: ExpandError },
}

impl NetError {
    /// Proxy and CA settings are the profile's (or its environment's) to fix.
    pub fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::Profile
    }
}

/// The extra CAs one source trusts, read from the PEM file its profile names. Read when the
/// source is used, so an edited file takes effect at the next connection.
#[derive(Debug, Clone)]
pub struct CaBundle {
    path: PathBuf,
    certs: Vec<Certificate>,
}

impl CaBundle {
    /// Reads `path` for source `id`; an unreadable file or one without a certificate is an error
    /// naming the source, the field and the path.
    pub fn read(id: &SourceId, path: &Path) -> Result<Self, NetError> {
        let shown = path.display().to_string();
        let certs = read_bundle(&shown).map_err(|err| match err {
            NetError::CaBundleUnreadable { path, reason } => {
                NetError::SourceCaBundleUnreadable { id: id.clone(), path, reason }
            }
            _ => NetError::SourceCaBundleInvalid { id: id.clone(), path: shown.clone() },
        })?;
        Ok(Self { path: path.to_owned(), certs })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many certificates the file holds.
    pub fn len(&self) -> usize {
        self.certs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }
}

/// [`client_builder`], also trusting a source's own `bundle` when it has one.
pub fn client_builder_trusting(bundle: Option<&CaBundle>) -> Result<reqwest::ClientBuilder, NetError> {
    let builder = client_builder()?;
    Ok(match bundle {
        Some(bundle) => builder.tls_certs_merge(bundle.certs.iter().cloned()),
        None => builder,
    })
}

/// Whether a plain-HTTP request to `url` goes straight to its server: it is `http://`, and no
/// proxy is configured or `url` is a loopback address, which never goes through one. The
/// bridge's forward opens such connections itself (see `bridge::paired`); every other request
/// goes through a client from [`client_builder`].
pub fn reaches_directly(url: &Url) -> bool {
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    url.scheme() == "http" && (loopback || settings().is_ok_and(|settings| settings.proxies.is_empty()))
}

/// The environment's settings, read once per process.
fn settings() -> Result<&'static Settings, &'static NetError> {
    static SETTINGS: OnceLock<Result<Settings, NetError>> = OnceLock::new();
    SETTINGS.get_or_init(|| Settings::from_env(&|name| std::env::var(name).ok())).as_ref()
}

/// What the environment asks for, read once.
#[derive(Debug)]
struct Settings {
    proxies: Vec<Proxy>,
    extra_roots: Vec<Certificate>,
}

/// A client builder with the proxies and trusted CAs of this process's environment, following no
/// redirect until the caller chooses [`same_origin_redirects`].
pub fn client_builder() -> Result<reqwest::ClientBuilder, NetError> {
    let settings = settings().map_err(Clone::clone)?;
    let mut builder = reqwest::Client::builder().no_proxy().redirect(no_redirects());
    for proxy in &settings.proxies {
        builder = builder.proxy(proxy.clone());
    }
    if !settings.proxies.is_empty() {
        // Some proxies (tinyproxy among them) answer a second request on a kept-alive client
        // connection with 400; through a proxy, each request opens its own connection.
        builder = builder.pool_max_idle_per_host(0);
    }
    if !settings.extra_roots.is_empty() {
        builder = builder.tls_certs_merge(settings.extra_roots.iter().cloned());
    }
    Ok(builder)
}

impl Settings {
    fn from_env(var: &dyn Fn(&str) -> Option<String>) -> Result<Self, NetError> {
        let either = |upper: &'static str, lower: &'static str| {
            var(upper)
                .filter(|v| !v.is_empty())
                .map(|v| (upper, v))
                .or_else(|| var(lower).filter(|v| !v.is_empty()).map(|v| (lower, v)))
        };
        let no_proxy = match either("NO_PROXY", "no_proxy") {
            Some((_, list)) => format!("{list},{LOOPBACK}"),
            None => LOOPBACK.to_owned(),
        };
        let mut proxies = Vec::new();
        type Make = fn(&str) -> reqwest::Result<Proxy>;
        let kinds: [(&'static str, &'static str, Make); 3] = [
            ("HTTPS_PROXY", "https_proxy", |url| Proxy::https(url)),
            ("HTTP_PROXY", "http_proxy", |url| Proxy::http(url)),
            ("ALL_PROXY", "all_proxy", |url| Proxy::all(url)),
        ];
        for (upper, lower, make) in kinds {
            if let Some((variable, url)) = either(upper, lower) {
                let valid = url::Url::parse(&url).is_ok_and(|u| u.has_host());
                let proxy = make(&url).ok().filter(|_| valid).ok_or(NetError::InvalidProxy { variable })?;
                proxies.push(proxy.no_proxy(NoProxy::from_string(&no_proxy)));
            }
        }
        let extra_roots = match var(CA_BUNDLE_VAR).filter(|v| !v.is_empty()) {
            Some(path) => read_bundle(&path)?,
            None => Vec::new(),
        };
        Ok(Self { proxies, extra_roots })
    }
}

fn read_bundle(path: &str) -> Result<Vec<Certificate>, NetError> {
    let pem = std::fs::read(path).map_err(|err| NetError::CaBundleUnreadable {
        path: path.to_owned(),
        reason: err.kind().to_string(),
    })?;
    match Certificate::from_pem_bundle(&pem) {
        Ok(certs) if !certs.is_empty() => Ok(certs),
        _ => Err(NetError::CaBundleInvalid { path: path.to_owned() }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::profile::Profile;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, NetError> {
        let vars: HashMap<String, String> =
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Settings::from_env(&|name| vars.get(name).cloned())
    }

    #[test]
    fn no_variables_means_no_proxy_and_no_extra_roots() {
        let s = settings(&[]).expect("an empty environment is fine");
        assert!(s.proxies.is_empty() && s.extra_roots.is_empty(), "{s:?}");
    }

    #[test]
    fn each_proxy_variable_is_taken_upper_case_first() {
        let s = settings(&[("HTTPS_PROXY", "http://p:3128"), ("http_proxy", "http://q:3128")]).unwrap();
        assert_eq!(s.proxies.len(), 2, "one proxy per scheme variable: {s:?}");
    }

    #[test]
    fn a_broken_proxy_url_is_an_error_naming_the_variable_not_the_value() {
        let err = settings(&[("HTTPS_PROXY", "::not a url with s3cret")]).expect_err("refused");
        assert_eq!(err, NetError::InvalidProxy { variable: "HTTPS_PROXY" });
        assert!(!err.to_string().contains("s3cret"), "the value may hold a password: {err}");
    }

    #[test]
    fn a_missing_or_empty_ca_bundle_is_an_error_naming_the_path() {
        let err = settings(&[(CA_BUNDLE_VAR, "/nonexistent/ca.pem")]).expect_err("refused");
        assert!(matches!(err, NetError::CaBundleUnreadable { .. }), "{err:?}");
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no certificate here\n").unwrap();
        let err = settings(&[(CA_BUNDLE_VAR, empty.to_str().unwrap())]).expect_err("refused");
        assert!(matches!(err, NetError::CaBundleInvalid { .. }), "{err:?}");
        assert!(err.to_string().contains("empty.pem"), "{err}");
    }

    /// A self-signed CA certificate, only ever parsed here.
    const TEST_CA: &str = "-----BEGIN CERTIFICATE-----\n\
MIIBkzCCATmgAwIBAgIUIYUYK0JTU9vREyyXm8MGcWnTRRQwCgYIKoZIzj0EAwIw\n\
HzEdMBsGA1UEAwwUTGFueWFyZCBVbml0IFRlc3QgQ0EwHhcNMjYxMTI3MTc1OTA2\n\
WhcNMzYxMTI0MTc1OTA2WjAfMR0wGwYDVQQDDBRMYW55YXJkIFVuaXQgVGVzdCBD\n\
QTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABIhOE1E8N7h++y7Ad3gED+DLdDxb\n\
AZEhjVDLYzG3T5KztrBTl1oS3ukgPTD9t0LcSVg6G85X0DEXT+FuLvzya56jUzBR\n\
MB0GA1UdDgQWBBTHum9QFuwtXYxyYd4U96/4xrJ2ATAfBgNVHSMEGDAWgBTHum9Q\n\
FuwtXYxyYd4U96/4xrJ2ATAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gA\n\
MEUCIB5+DlaTTtkIkeuAMQMgvsgHU9TP/AzU/dO0Lfza7aQ0AiEAoWnsD0HXbW01\n\
8Rx9+aQmYfGTU2ENcacb9/5lZMcNXlg=\n\
-----END CERTIFICATE-----\n";

    fn http_source(ca_bundle: &str) -> Profile {
        let transport = crate::profile::Transport::Http {
            url: "https://mcp.corp.example/mcp".into(),
            headers: Default::default(),
        };
        let mut profile = Profile::new("corp".parse().unwrap(), transport);
        profile.ca_bundle = Some(ca_bundle.into());
        profile
    }

    #[test]
    fn a_source_bundle_path_is_expanded_then_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), TEST_CA).unwrap();
        let profile = http_source("${PKI_DIR}/ca.pem");
        let pki_dir = dir.path().to_str().unwrap().to_owned();
        let bundle =
            crate::profile::ca_bundle_of(&profile, |name| (name == "PKI_DIR").then(|| pki_dir.clone()))
                .expect("the expanded path holds a certificate")
                .expect("the profile names a bundle");
        assert_eq!(bundle.path(), dir.path().join("ca.pem"), "the path is the expanded one");
        assert_eq!(bundle.len(), 1, "the one certificate is read");

        let err = crate::profile::ca_bundle_of(&profile, |_| None).expect_err("an unset variable is refused");
        assert!(
            matches!(&err, NetError::SourceCaBundleExpand { id, .. } if id.as_str() == "corp"),
            "names the source: {err:?}"
        );
        assert!(err.to_string().contains("PKI_DIR"), "and the variable: {err}");
        let mut none = profile.clone();
        none.ca_bundle = None;
        assert!(crate::profile::ca_bundle_of(&none, |_| None).unwrap().is_none(), "no bundle, nothing read");
    }

    #[test]
    fn a_source_bundle_error_names_the_source_the_field_and_the_path() {
        let id: SourceId = "corp".parse().unwrap();
        let err = CaBundle::read(&id, Path::new("/nonexistent/corp-ca.pem")).expect_err("refused");
        assert!(matches!(err, NetError::SourceCaBundleUnreadable { .. }), "{err:?}");
        let text = err.to_string();
        for part in ["`corp`", "ca_bundle", "/nonexistent/corp-ca.pem"] {
            assert!(text.contains(part), "the error names {part}: {text}");
        }
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "-----BEGIN NOTHING-----\n").unwrap();
        let err = CaBundle::read(&id, &empty).expect_err("refused");
        assert_eq!(
            err,
            NetError::SourceCaBundleInvalid { id, path: empty.display().to_string() },
            "a file without a certificate is refused, naming it"
        );
    }
}
