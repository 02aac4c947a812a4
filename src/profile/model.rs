//! The profile model: what one MCP server is and how to reach it.
//!
//! These types are both the in-memory model and the on-disk TOML shape, so that the file a person
//! edits by hand and the model the engine uses cannot drift apart. Every table denies unknown keys:
//! a typo in the file is an error with a line number, never a setting silently ignored. Nothing in
//! here holds a secret; a secret is a [`SecretRef`] naming a vault entry of the same source.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::{SecretRef, SourceId};

/// A header or environment value: text (expanded for `${VAR}` at connect time) or a reference to
/// a secret in the vault. In TOML: `"Bearer ${TOKEN}"` or `{ secret = "header/Authorization" }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigValue {
    Text(String),
    Secret(SecretRef),
}

impl Serialize for ConfigValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Self::Text(text) => serializer.serialize_str(text),
            Self::Secret(reference) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("secret", reference)?;
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for ConfigValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ConfigValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#"a string, or a table `{ secret = "<name>" }` naming a vault entry"#)
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<ConfigValue, E> {
                Ok(ConfigValue::Text(text.to_owned()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<ConfigValue, A::Error> {
                let mut reference = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "secret" if reference.is_none() => reference = Some(map.next_value::<String>()?),
                        "secret" => return Err(serde::de::Error::duplicate_field("secret")),
                        other => return Err(serde::de::Error::unknown_field(other, &["secret"])),
                    }
                }
                let reference = reference.ok_or_else(|| serde::de::Error::missing_field("secret"))?;
                Ok(ConfigValue::Secret(SecretRef(reference)))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// One MCP server and everything needed to reach it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The key of the profile's table in the file; filled in on load.
    #[serde(skip)]
    pub id: Option<SourceId>,
    /// Shown in lists; defaults to the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
    /// Disabled because the person has not approved what it runs yet: a stdio server that came
    /// from outside (an import, a client's or a project's file, a `lanyard://` link), as against
    /// one they switched off. Enabling it is the approval and clears this (see
    /// [`Profile::waits_for_approval`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub waiting_for_approval: bool,
    /// A PEM file of extra CAs trusted for this source's requests (its server, discovery,
    /// sign-in and tokens), on top of the OS store and `LANYARD_CA_BUNDLE`. At the source level,
    /// not in `transport`, because the sign-in endpoints need it as much as the server does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_bundle: Option<PathBuf>,
    /// The fence a stdio server runs in (see `docs/sandbox.md`); none while absent. At the
    /// source level, beside `ca_bundle`, so a new transport setting never moves it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<Sandbox>,
    pub transport: Transport,
    #[serde(default, skip_serializing_if = "Auth::is_none")]
    pub auth: Auth,
    #[serde(default, skip_serializing_if = "Timeouts::is_default")]
    pub timeouts: Timeouts,
    #[serde(default, skip_serializing_if = "ToolFilter::is_empty")]
    pub tools: ToolFilter,
    /// What a bridge does when the server changes a tool's definition after it was pinned (see
    /// `docs/security.md`): `ask` (the default), `allow` or `block`.
    #[serde(default, skip_serializing_if = "ToolChanges::is_ask")]
    pub tool_changes: ToolChanges,
    /// The tools of the first listing wait for the person's review too, instead of being trusted
    /// on first use.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub review_first: bool,
    /// What the merged server puts before this source's tool and prompt names, with `__`
    /// between: the id when absent, nothing when empty (see [`Profile::merged_prefix`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_prefix: Option<String>,
    /// The protocol revision to speak to the server; `auto` asks the server first.
    #[serde(default, skip_serializing_if = "Protocol::is_auto")]
    pub protocol: Protocol,
    /// Goes up each time one of the source's secrets gets a new value in the keychain. The
    /// values never appear here, so without it such a change would leave the file as it was,
    /// and a running hub, which follows the file, would go on using the old value. A count,
    /// not a secret; absent while 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub secrets_revision: u32,
    /// Where the source came from when it was added from an MCP registry (`lanyard catalog
    /// add`): `lanyard catalog outdated` asks that registry whether a newer version exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<CatalogOrigin>,
}

/// The registry entry a source was made from. In TOML:
/// `catalog = { registry = "https://registry.modelcontextprotocol.io", name = "io.github.x/y", version = "1.2.0" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogOrigin {
    /// The registry's URL, or the folder's path.
    pub registry: String,
    /// The server's name in the registry, e.g. `io.github.owner/server`.
    pub name: String,
    pub version: String,
    /// What of the entry runs: `npm`, `pypi`, `oci`, `nuget` for a package, `remote` for an
    /// endpoint; an update keeps to the same kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<String>,
}

impl Profile {
    pub fn new(id: SourceId, transport: Transport) -> Self {
        Self {
            id: Some(id),
            name: None,
            enabled: true,
            waiting_for_approval: false,
            ca_bundle: None,
            sandbox: None,
            transport,
            auth: Auth::None,
            timeouts: Timeouts::default(),
            tools: ToolFilter::default(),
            tool_changes: ToolChanges::Ask,
            review_first: false,
            merged_prefix: None,
            protocol: Protocol::Auto,
            secrets_revision: 0,
            catalog: None,
        }
    }

    /// Whether it is off until the person approves what it runs (rather than switched off by
    /// them). An enabled profile never waits, whatever the file says.
    pub fn waits_for_approval(&self) -> bool {
        !self.enabled && self.waiting_for_approval
    }

    /// Stores a stdio server from outside switched off until the person approves its command:
    /// it would run with their rights, and a file or a link is no proof that they want it to.
    /// Anything else (a URL to connect to) is left as it is.
    pub fn hold_for_approval_if_stdio(&mut self) {
        if matches!(self.transport, Transport::Stdio { .. }) {
            self.enabled = false;
            self.waiting_for_approval = true;
        }
    }

    /// The profile's id. Every profile that came from a file or a constructor has one.
    pub fn id(&self) -> &SourceId {
        self.id.as_ref().expect("a profile gets its id when it is loaded or built")
    }

    /// The prefix of this source's names in the merged server: `<prefix>__<name>`, or the name
    /// alone when it is empty. Without a setting, the id: two sources may well offer a tool of
    /// the same name, and an agent then still tells them apart.
    pub fn merged_prefix(&self) -> &str {
        self.merged_prefix.as_deref().unwrap_or(self.id().as_str())
    }

    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(self.id().as_str())
    }

    /// Every vault entry this profile's settings point at, for removal and for checks.
    pub fn secret_refs(&self) -> Vec<&SecretRef> {
        let values = match &self.transport {
            Transport::Stdio { env, .. } => env.values(),
            Transport::Http { headers, .. } | Transport::Sse { headers, .. } => headers.values(),
        };
        let mut refs: Vec<&SecretRef> = values
            .filter_map(|value| match value {
                ConfigValue::Secret(reference) => Some(reference),
                ConfigValue::Text(_) => None,
            })
            .collect();
        match &self.auth {
            Auth::OAuth(oauth) => refs.extend(oauth.client_secret.as_ref()),
            Auth::ClientCredentials(cc) => {
                refs.extend(cc.client_secret.as_ref());
                refs.extend(cc.client_key.as_ref().map(|key| &key.secret));
                refs.extend(cc.service_token.as_ref());
            }
            Auth::Enterprise(enterprise) => refs.extend(enterprise.client_secret.as_ref()),
            Auth::None | Auth::Headers | Auth::Passthrough => {}
        }
        refs
    }
}

fn yes() -> bool {
    true
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

fn is_true(value: &bool) -> bool {
    *value
}

/// What a bridge does with a tool whose definition changed since it was pinned, or a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolChanges {
    /// Withhold the tool from agents until the person approves it.
    #[default]
    Ask,
    /// Accept it and pin the new definition at once.
    Allow,
    /// Withhold the whole source while a change waits for the person.
    Block,
}

impl ToolChanges {
    pub fn is_ask(&self) -> bool {
        *self == Self::Ask
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Ask => "ask",
            Self::Allow => "allow",
            Self::Block => "block",
        }
    }
}

impl fmt::Display for ToolChanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ToolChanges {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "ask" => Ok(Self::Ask),
            "allow" => Ok(Self::Allow),
            "block" => Ok(Self::Block),
            other => Err(format!("`{other}` is not a setting for tool changes; use ask, allow or block")),
        }
    }
}

/// The fence of a stdio server: the folders it may read and write besides the presets, and how
/// far it may reach on the network, and the resources it may hold. In TOML: `sandbox = { read =
/// [...], write = [...], network = "none", memory_mb = 512, open_files = 256 }`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sandbox {
    /// Folders or files the server may read (and run programs from), beyond the presets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub read: Vec<PathBuf>,
    /// Folders or files the server may read and write, beyond the presets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub write: Vec<PathBuf>,
    #[serde(default)]
    pub network: SandboxNetwork,
    /// The most private writable memory the server may have, in MB (`RLIMIT_DATA`); no limit
    /// while absent. See `docs/sandbox.md` for why this and not the address space.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<u64>,
    /// The most files and sockets the server may hold open at once (`RLIMIT_NOFILE`); the
    /// inherited limit while absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_files: Option<u64>,
}

impl Sandbox {
    /// The smallest and largest `memory_mb`: below 8 MB no runtime starts; above 1 TB is a typo.
    pub const MEMORY_MB: std::ops::RangeInclusive<u64> = 8..=1024 * 1024;
    /// The smallest and largest `open_files`: a server needs its three standard streams and the
    /// files its runtime loads; Linux allows no more than 1048576 by default.
    pub const OPEN_FILES: std::ops::RangeInclusive<u64> = 16..=1024 * 1024;
}

/// How far a fenced server may reach on the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SandboxNetwork {
    /// No TCP connection or listening socket at all.
    #[default]
    None,
    /// This machine only. The kernel's fence cannot tell addresses apart, so this is stored and
    /// reported as not enforced (see `docs/sandbox.md`).
    Loopback,
    /// Anywhere.
    Any,
}

impl SandboxNetwork {
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Loopback => "loopback",
            Self::Any => "any",
        }
    }
}

impl fmt::Display for SandboxNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SandboxNetwork {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "none" => Ok(Self::None),
            "loopback" => Ok(Self::Loopback),
            "any" => Ok(Self::Any),
            other => Err(format!("`{other}` is not a network setting; use none, loopback or any")),
        }
    }
}

/// How to reach the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Transport {
    /// A child process speaking MCP on stdin/stdout.
    Stdio {
        command: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        args: Vec<String>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        env: BTreeMap<String, ConfigValue>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cwd: Option<PathBuf>,
    },
    /// Streamable HTTP (MCP 2025-03-26 and later).
    Http {
        url: String,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        headers: BTreeMap<String, ConfigValue>,
    },
    /// HTTP with server-sent events (MCP 2024-11-05). Deprecated by the spec, still served by some.
    Sse {
        url: String,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        headers: BTreeMap<String, ConfigValue>,
    },
}

/// The transport's kind, for lists and status lines (the desktop window's `TransportView`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "TransportView", export_to = crate::TS_DIR))]
#[serde(rename_all = "snake_case")]
pub enum TransportKind {
    Stdio,
    Http,
    /// Deprecated by the MCP spec, still served by some.
    Sse,
}

impl TransportKind {
    pub fn is_deprecated(self) -> bool {
        self == Self::Sse
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Stdio => "stdio",
            Self::Http => "http",
            Self::Sse => "sse (deprecated)",
        })
    }
}

impl Transport {
    pub fn kind(&self) -> TransportKind {
        match self {
            Self::Stdio { .. } => TransportKind::Stdio,
            Self::Http { .. } => TransportKind::Http,
            Self::Sse { .. } => TransportKind::Sse,
        }
    }

    /// Where it goes, for lists: the URL, or the command line.
    pub fn target(&self) -> String {
        match self {
            // Each word quoted where a shell would split it: `a 'b c'` is two arguments, not three.
            Self::Stdio { command, args, .. } => {
                crate::shell_quote::shell_words(std::iter::once(command).chain(args))
            }
            Self::Http { url, .. } | Self::Sse { url, .. } => url.clone(),
        }
    }
}

/// How the source proves who is calling. Only the shape lives here; the flows live in `oauth/`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Auth {
    /// No credentials.
    #[default]
    None,
    /// Static credentials carried in the transport's `headers` (text with `${VAR}`, or secrets).
    Headers,
    /// Per-user sign-in: OAuth authorization code with PKCE, as the MCP authorization spec says.
    #[serde(rename = "oauth")]
    OAuth(OAuthSettings),
    /// A service account: OAuth client credentials grant.
    ClientCredentials(ClientCredentialsSettings),
    /// Enterprise-managed authorization: one sign-in at the company's identity provider, then an
    /// identity assertion grant (ID-JAG) per server, with no browser.
    Enterprise(EnterpriseSettings),
    /// The agent's own `Authorization` header is forwarded to this source (HTTP bridge only).
    Passthrough,
}

impl Auth {
    pub fn is_none(&self) -> bool {
        matches!(self, Self::None)
    }

    /// The kind of auth, without its settings.
    pub fn kind(&self) -> AuthKind {
        match self {
            Self::None => AuthKind::None,
            Self::Headers => AuthKind::Headers,
            Self::OAuth(_) => AuthKind::OAuth,
            Self::ClientCredentials(_) => AuthKind::ClientCredentials,
            Self::Enterprise(_) => AuthKind::Enterprise,
            Self::Passthrough => AuthKind::Passthrough,
        }
    }

    /// The kind's name, as the profile file and `lanyard status --json` spell it.
    pub fn kind_name(&self) -> &'static str {
        self.kind().name()
    }
}

/// The kinds of [`Auth`]: what a front end branches on (which buttons a source gets, how a fix
/// is worded). Serialized as the profile file spells the kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuthKind {
    None,
    Headers,
    #[serde(rename = "oauth")]
    OAuth,
    ClientCredentials,
    Enterprise,
    Passthrough,
}

impl AuthKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Headers => "headers",
            Self::OAuth => "oauth",
            Self::ClientCredentials => "client_credentials",
            Self::Enterprise => "enterprise",
            Self::Passthrough => "passthrough",
        }
    }
}

/// Settings for per-user sign-in, including the switches for servers that bend the rules. The
/// default is what a profile file without any of the keys means (`resource` sent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthSettings {
    /// A pre-registered client id; without one, Lanyard registers itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The pre-registered client's secret, in the vault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<SecretRef>,
    /// The authorization server (its issuer) the pre-registered client belongs to: its secret is
    /// shown to no other. Without it, the issuer of the source's current tokens counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_issuer: Option<String>,
    /// A Client ID Metadata Document URL, used when the server supports them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_metadata_url: Option<String>,
    /// Scopes to request instead of the ones the server suggests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// A fixed loopback redirect port (pre-registered clients need one); ephemeral otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_port: Option<u16>,
    /// Send the RFC 8707 `resource` parameter (some servers, such as Entra v2, reject it).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub resource_param: bool,
    /// Extra authorization request parameters, such as `login_hint` or `prompt`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_params: BTreeMap<String, String>,
    /// Accept discovered endpoints in a private network although the MCP server is public.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_private_network: bool,
}

impl Default for OAuthSettings {
    fn default() -> Self {
        Self {
            client_id: None,
            client_secret: None,
            client_issuer: None,
            client_metadata_url: None,
            scopes: None,
            redirect_port: None,
            resource_param: true,
            extra_params: BTreeMap::new(),
            allow_private_network: false,
        }
    }
}

/// Parameters Lanyard sets itself in an authorization request, which `extra_params` may not
/// replace: a setting naming one would do nothing, so the profile refuses it, whichever editor
/// made it (the CLI's `--auth-param`, the app's form, a hand edit).
pub const RESERVED_AUTH_PARAMS: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "code_challenge",
    "code_challenge_method",
    "scope",
    "resource",
];

/// Why a [`RESERVED_AUTH_PARAMS`] name is refused, after the name, wherever it is refused.
pub(crate) const RESERVED_REASON: &str =
    "is set by Lanyard itself in every sign-in, so this value would never be sent; remove it";

/// Settings for a service account (client credentials grant).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientCredentialsSettings {
    /// The token endpoint; discovered from the server's metadata when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    pub client_id: String,
    /// The client secret, for `client_secret_basic` or `client_secret_post`. A profile has this
    /// or a `client_key`, never both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<SecretRef>,
    /// The private key for `private_key_jwt` (RFC 7523 client authentication).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key: Option<ClientKey>,
    /// Workload identity (SEP-1933): the file where the platform keeps the workload's JWT (a
    /// Kubernetes projected service account token, a cloud workload identity token), presented
    /// with the JWT bearer grant (RFC 7523 2.1) instead of a secret or a key. Read at each token
    /// request, since the platform replaces it; never copied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assertion_file: Option<String>,
    /// The authorization server (its issuer) the client belongs to when the token endpoint is
    /// discovered: its secret or assertion goes to no other. Without it, the issuer of the
    /// source's current token counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// An extra service token sent in the named header with every request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_token_header: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_token: Option<SecretRef>,
    /// Accept discovered endpoints in a private network although the MCP server is public.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_private_network: bool,
}

impl ClientCredentialsSettings {
    /// A service account `client_id` that proves itself with the client secret kept in the
    /// keychain under its usual reference, with nothing else set.
    pub fn with_client_secret(client_id: impl Into<String>) -> Self {
        Self {
            token_url: None,
            client_id: client_id.into(),
            client_secret: Some(SecretRef::client_secret()),
            client_key: None,
            assertion_file: None,
            client_issuer: None,
            scopes: None,
            service_token_header: None,
            service_token: None,
            allow_private_network: false,
        }
    }
}

/// The identifier of the enterprise-managed authorization extension, which an enterprise source
/// declares in its handshake (`capabilities.extensions`).
pub const ENTERPRISE_EXTENSION: &str = "io.modelcontextprotocol/enterprise-managed-authorization";

/// Settings for enterprise-managed authorization (the MCP `ext-auth` extension, ID-JAG): the
/// identity provider a person signs in to once, and the client this source uses at the MCP
/// server's authorization server. Every source that names the same `idp_issuer` and
/// `idp_client_id` shares one identity session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnterpriseSettings {
    /// The identity provider's issuer (OpenID Connect discovery runs from it).
    pub idp_issuer: String,
    /// Lanyard's client at the identity provider (a public client, PKCE).
    pub idp_client_id: String,
    /// The identity provider's token endpoint, where ID tokens are exchanged; discovered from
    /// the issuer when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp_token_endpoint: Option<String>,
    /// The client at the MCP server's authorization server that presents the grant; the
    /// identity provider's client id when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// That client's secret, in the vault; a public client without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<SecretRef>,
    /// Scopes to request instead of the ones the server suggests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// Accept discovered endpoints in a private network although the MCP server is public.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_private_network: bool,
}

impl EnterpriseSettings {
    /// The client id at the MCP server's authorization server.
    pub fn client_id(&self) -> &str {
        self.client_id.as_deref().unwrap_or(&self.idp_client_id)
    }
}

/// A service account's private key: the PEM in the vault (read once from a file, never kept as a
/// path), and the JWS algorithm its client assertions are signed with. In TOML:
/// `client_key = { secret = "oauth/client-key", alg = "ES256" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientKey {
    pub secret: SecretRef,
    pub alg: KeyAlg,
}

/// The JWS algorithms a client assertion can be signed with (RFC 7518 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyAlg {
    #[serde(rename = "RS256")]
    Rs256,
    #[serde(rename = "RS384")]
    Rs384,
    #[serde(rename = "RS512")]
    Rs512,
    #[serde(rename = "PS256")]
    Ps256,
    #[serde(rename = "PS384")]
    Ps384,
    #[serde(rename = "PS512")]
    Ps512,
    #[serde(rename = "ES256")]
    Es256,
    #[serde(rename = "ES384")]
    Es384,
    #[serde(rename = "EdDSA")]
    EdDsa,
}

impl KeyAlg {
    /// Every choice, in the words of the profile file and the `--client-key-alg` flag.
    pub const ALL: [Self; 9] = [
        Self::Rs256,
        Self::Rs384,
        Self::Rs512,
        Self::Ps256,
        Self::Ps384,
        Self::Ps512,
        Self::Es256,
        Self::Es384,
        Self::EdDsa,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Rs384 => "RS384",
            Self::Rs512 => "RS512",
            Self::Ps256 => "PS256",
            Self::Ps384 => "PS384",
            Self::Ps512 => "PS512",
            Self::Es256 => "ES256",
            Self::Es384 => "ES384",
            Self::EdDsa => "EdDSA",
        }
    }
}

impl fmt::Display for KeyAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyAlg {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|alg| alg.as_str().eq_ignore_ascii_case(text)).ok_or_else(|| {
            let names: Vec<_> = Self::ALL.iter().map(|alg| alg.as_str()).collect();
            format!("`{text}` is not a signing algorithm Lanyard knows; use one of {}", names.join(", "))
        })
    }
}

/// Which MCP protocol revision a source is spoken to in.
///
/// `auto` asks the server with `server/discover` (2026-07-28 and later) and falls back to the
/// `initialize` handshake of earlier revisions when the server does not know it, as the spec
/// says a client should. A pin skips the probe: a revision with `server/discover` is required of
/// the server, an older one is asked for in `initialize`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Protocol {
    #[default]
    #[serde(rename = "auto")]
    Auto,
    #[serde(rename = "2026-07-28")]
    V2026_07_28,
    #[serde(rename = "2025-11-25")]
    V2025_11_25,
    #[serde(rename = "2025-06-18")]
    V2025_06_18,
}

impl Protocol {
    /// Every choice, in the words of the profile file and the `--protocol` flag.
    pub const NAMES: [&str; 4] = ["auto", "2026-07-28", "2025-11-25", "2025-06-18"];

    pub fn is_auto(&self) -> bool {
        *self == Self::Auto
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::V2026_07_28 => "2026-07-28",
            Self::V2025_11_25 => "2025-11-25",
            Self::V2025_06_18 => "2025-06-18",
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Protocol {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "auto" => Ok(Self::Auto),
            "2026-07-28" => Ok(Self::V2026_07_28),
            "2025-11-25" => Ok(Self::V2025_11_25),
            "2025-06-18" => Ok(Self::V2025_06_18),
            other => Err(format!(
                "`{other}` is not a protocol revision Lanyard speaks; use one of {}",
                Self::NAMES.join(", ")
            )),
        }
    }
}

/// Time limits, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    /// Starting the process or opening the connection, through `initialize`.
    #[serde(default = "Timeouts::default_connect")]
    pub connect_secs: u64,
    /// One request, such as `tools/call`.
    #[serde(default = "Timeouts::default_request")]
    pub request_secs: u64,
}

impl Timeouts {
    fn default_connect() -> u64 {
        30
    }
    fn default_request() -> u64 {
        120
    }
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
    pub fn connect(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.connect_secs)
    }
    pub fn request(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.request_secs)
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Self { connect_secs: Self::default_connect(), request_secs: Self::default_request() }
    }
}

/// Which tools a source exposes, and under which names and descriptions.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolFilter {
    /// When not empty, only these tools (by their upstream names).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// These tools are hidden and cannot be called.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// Upstream name -> the name agents see.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub alias: BTreeMap<String, String>,
    /// Upstream name -> the description agents see.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub description: BTreeMap<String, String>,
}

impl ToolFilter {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_auth_kind_is_named_as_the_profile_file_tags_it() {
        let service = ClientCredentialsSettings {
            client_secret: None,
            ..ClientCredentialsSettings::with_client_secret("svc")
        };
        let all = [
            Auth::None,
            Auth::Headers,
            Auth::OAuth(OAuthSettings::default()),
            Auth::ClientCredentials(service),
            Auth::Passthrough,
        ];
        for auth in all {
            let tag = serde_json::to_value(&auth).unwrap()["kind"].clone();
            assert_eq!(serde_json::to_value(auth.kind()).unwrap(), tag, "{auth:?}");
            assert_eq!(auth.kind_name(), tag, "{auth:?}");
        }
    }

    #[test]
    fn default_oauth_settings_are_what_a_file_without_keys_means() {
        let from_file: OAuthSettings = toml::from_str("").expect("an empty table is valid");
        assert_eq!(OAuthSettings::default(), from_file);
        assert!(OAuthSettings::default().resource_param, "RFC 8707 `resource` is sent unless turned off");
    }
}
