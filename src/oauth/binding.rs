//! What a source's tokens were issued for, so that they go nowhere else.
//!
//! Tokens are stored per source, but a source is only a name: its URL, its auth kind, its client
//! and its scopes can all change under it (an edit in the CLI or the app, a hand edit of the
//! profile file that a running hub picks up). Without a record of where they came from, the
//! tokens of the old server would be sent to the new one, and refreshed at the old one on the
//! new one's `401`. So every token document carries a [`Binding`]: the canonical URL of the MCP
//! server the tokens are for (the RFC 8707 resource, recorded whether or not the parameter was
//! sent) and a digest of the profile settings that decided the grant. Before a token is handed
//! out, the binding is compared with what the profile says now; a difference means the source
//! needs a new sign-in, never a send.
//!
//! The digest covers the settings that change *which* tokens a server issues or to whom: the
//! auth kind, the client id (pre-registered or a Client ID Metadata Document), the scopes chosen
//! in the profile, whether `resource` is sent, and a service account's token URL. Settings that
//! do not (the redirect port, extra authorization parameters, a secret's value) keep the
//! sign-in. The issuer is checked separately against what discovery finds, at sign-in and on
//! every later discovery.
//!
//! Token documents written before bindings existed have none. Their `resource`, when the
//! RFC 8707 parameter was sent, still names their server and is checked the same way; otherwise
//! they are taken to belong to the profile as it is when they are first used. Either way they get
//! the profile's binding with their next renewal: the only choice that keeps existing sign-ins
//! working.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;

use crate::profile::{Auth, ClientCredentialsSettings, EnterpriseSettings, OAuthSettings};

/// The server and settings a source's tokens were issued for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    /// The canonical URL of the MCP server (see [`canonical_resource`]).
    pub server: String,
    /// A digest of the profile settings that decided the grant (hex).
    pub settings: String,
}

impl Binding {
    /// The binding tokens of `auth` at `mcp_url` get; `None` for an auth kind without tokens.
    pub fn of(auth: &Auth, mcp_url: &Url) -> Option<Self> {
        match auth {
            Auth::OAuth(settings) => Some(Self::oauth(settings, mcp_url)),
            Auth::ClientCredentials(settings) => Some(Self::client_credentials(settings, mcp_url)),
            Auth::Enterprise(settings) => Some(Self::enterprise(settings, mcp_url)),
            Auth::None | Auth::Headers | Auth::Passthrough => None,
        }
    }

    /// The binding of tokens from a person's sign-in.
    pub fn oauth(settings: &OAuthSettings, mcp_url: &Url) -> Self {
        let decisive = serde_json::json!([
            "oauth",
            settings.client_id,
            settings.client_metadata_url,
            settings.scopes,
            settings.resource_param,
        ]);
        Self::new(mcp_url, &decisive)
    }

    /// The binding of a service account's tokens.
    pub fn client_credentials(settings: &ClientCredentialsSettings, mcp_url: &Url) -> Self {
        let decisive = serde_json::json!([
            "client-credentials",
            settings.client_id,
            settings.scopes,
            settings.token_url
        ]);
        Self::new(mcp_url, &decisive)
    }

    /// The binding of tokens from an identity assertion grant: the identity provider and both
    /// clients decide who the tokens are for.
    pub fn enterprise(settings: &EnterpriseSettings, mcp_url: &Url) -> Self {
        let decisive = serde_json::json!([
            "enterprise",
            settings.idp_issuer,
            settings.idp_client_id,
            settings.client_id(),
            settings.scopes,
        ]);
        Self::new(mcp_url, &decisive)
    }

    fn new(mcp_url: &Url, decisive: &serde_json::Value) -> Self {
        let digest = Sha256::digest(decisive.to_string().as_bytes());
        let settings = digest[..16].iter().map(|byte| format!("{byte:02x}")).collect();
        Self { server: canonical_resource(mcp_url), settings }
    }

    /// Why tokens bound to `self` may not go where `wanted` says; `None` when they may.
    pub fn mismatch(&self, wanted: &Binding) -> Option<Mismatch> {
        if self.server != wanted.server {
            Some(Mismatch::Server)
        } else if self.settings != wanted.settings {
            Some(Mismatch::Settings)
        } else {
            None
        }
    }
}

/// What differs between where tokens were issued and where a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    /// Another MCP server (the source's URL changed).
    Server,
    /// The same server, other sign-in settings (auth kind, client, scopes).
    Settings,
}

impl Mismatch {
    /// The problem in words, for tokens issued at `signed_in_at`.
    pub fn problem(self, signed_in_at: &str) -> String {
        match self {
            Self::Server => format!(
                "it was signed in at {signed_in_at}, not at its current URL, so those tokens were removed unsent"
            ),
            Self::Settings => {
                "its sign-in settings (auth kind, client or scopes) changed since it signed in, so its tokens were removed".to_owned()
            }
        }
    }
}

/// The canonical URI of an MCP server (MCP spec, RFC 8707): no fragment, no query.
pub fn canonical_resource(url: &Url) -> String {
    let mut url = url.clone();
    url.set_fragment(None);
    url.set_query(None);
    let text = url.to_string();
    if url.path() == "/" { text.trim_end_matches('/').to_owned() } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_resource_drops_query_fragment_and_root_slash() {
        assert_eq!(
            canonical_resource(&url("HTTPS://MCP.example.com/mcp?a=b#c")),
            "https://mcp.example.com/mcp"
        );
        assert_eq!(canonical_resource(&url("https://mcp.example.com/")), "https://mcp.example.com");
    }

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn another_server_or_other_settings_do_not_match() {
        let settings = OAuthSettings::default();
        let bound = Binding::oauth(&settings, &url("https://a.example/mcp"));
        assert_eq!(bound.mismatch(&Binding::oauth(&settings, &url("https://a.example/mcp#x"))), None);
        assert_eq!(
            bound.mismatch(&Binding::oauth(&settings, &url("https://b.example/mcp"))),
            Some(Mismatch::Server)
        );
        let scoped = OAuthSettings { scopes: Some(vec!["admin".into()]), ..OAuthSettings::default() };
        assert_eq!(
            bound.mismatch(&Binding::oauth(&scoped, &url("https://a.example/mcp"))),
            Some(Mismatch::Settings)
        );
        let client = OAuthSettings { client_id: Some("other".into()), ..OAuthSettings::default() };
        assert_eq!(
            bound.mismatch(&Binding::oauth(&client, &url("https://a.example/mcp"))),
            Some(Mismatch::Settings)
        );
    }

    #[test]
    fn settings_that_do_not_decide_the_grant_keep_it() {
        let before = OAuthSettings::default();
        let after = OAuthSettings {
            redirect_port: Some(8976),
            extra_params: [("login_hint".to_owned(), "me".to_owned())].into(),
            ..OAuthSettings::default()
        };
        let at = url("https://a.example/mcp");
        assert_eq!(Binding::oauth(&before, &at), Binding::oauth(&after, &at));
    }

    #[test]
    fn a_service_account_is_not_a_sign_in() {
        let at = url("https://a.example/mcp");
        let service = ClientCredentialsSettings::with_client_secret("c");
        let signed_in = OAuthSettings { client_id: Some("c".into()), ..OAuthSettings::default() };
        assert_eq!(
            Binding::client_credentials(&service, &at).mismatch(&Binding::oauth(&signed_in, &at)),
            Some(Mismatch::Settings)
        );
    }
}
