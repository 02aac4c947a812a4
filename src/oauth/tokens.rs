//! The token model: what a source holds after signing in, how it is kept in the vault, and how a
//! token endpoint's answer becomes one.
//!
//! A source's tokens are one vault entry (`VaultKey::source_tokens`): a JSON document that lives
//! only inside a [`Secret`], so it is never logged or written to a file. Expiry is kept as an
//! absolute time (`expires_at`, Unix seconds), computed when the answer arrives, because a
//! relative `expires_in` means nothing once stored. The endpoints and the client id travel with
//! the tokens, so a refresh needs no discovery and a process that only refreshes stays cheap.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use super::binding::{Binding, Mismatch};
use super::dpop::DpopKey;
use super::error::{OAuthError, Problem, Step};
use super::http::{ClientAuth, bad, parse_json, post_form, refusal, shown};
use crate::clock::now;
use crate::ids::SourceId;
use crate::secret::Secret;
use crate::upstream::Origin;
use crate::vault::{Vault, VaultKey};

/// How the tokens were obtained, which decides how they are renewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    /// A person signed in (authorization code + PKCE); renewed with the refresh token.
    AuthorizationCode,
    /// A service account; renewed by asking again.
    ClientCredentials,
    /// Enterprise-managed authorization: an identity assertion grant (ID-JAG) from the identity
    /// session; renewed with a new grant, no browser.
    IdentityAssertion,
}

/// A source's tokens and what is needed to renew and revoke them.
#[derive(Debug, Clone)]
pub struct StoredTokens {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    /// When the access token expires, in Unix seconds; `None` when the server did not say.
    pub expires_at: Option<u64>,
    /// When the refresh token expires, if the server said (`refresh_expires_in`, non-standard).
    pub refresh_expires_at: Option<u64>,
    pub scopes: Vec<String>,
    pub issuer: String,
    pub token_endpoint: Url,
    pub revocation_endpoint: Option<Url>,
    pub client_id: String,
    /// How the client authenticates at the token endpoint: `none`, `client_secret_basic` or
    /// `client_secret_post`. The secret itself stays where it was (profile secret or registration).
    pub client_auth_method: String,
    /// The RFC 8707 resource the tokens are for, when it was sent.
    pub resource: Option<String>,
    pub grant: Grant,
    /// When these tokens arrived, Unix seconds.
    pub obtained_at: u64,
    /// Scopes a server asked for with `403 insufficient_scope` that the next sign-in requests.
    pub step_up: Option<StepUp>,
    /// Who signed in, when the server said (ID token claims).
    pub account: Option<Account>,
    /// The server and settings these tokens were issued for; `None` in documents written before
    /// bindings existed (see [`super::binding`]).
    pub binding: Option<Binding>,
    /// The key the tokens are bound to (`token_type` `DPoP`, see [`super::dpop`]); `None` for
    /// bearer tokens. Kept in this one vault entry with the tokens it binds.
    pub dpop_key: Option<DpopKey>,
}

/// When an access token is renewed, relative to its expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// This long before it expires, or half-way through its life when that comes later, so that
    /// a token that lives less than twice the margin is not renewed on every use.
    Before(Duration),
    /// Exactly this long before it expires, however short its life.
    Exactly(Duration),
}

/// A pending step-up: scopes the server asked for beyond the granted ones, and how many
/// sign-ins have asked for them already (the bound, [`super::step_up::MAX_STEP_UPS`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepUp {
    pub scopes: Vec<String>,
    pub attempts: u32,
}

/// The signed-in account, from the ID token's claims. Shown, never trusted for access decisions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Account {
    /// The best name to show: email, else name, else subject.
    pub fn label(&self) -> Option<&str> {
        self.email.as_deref().or(self.name.as_deref()).or(self.sub.as_deref())
    }
}

/// The vault document. Private, so that the token strings exist outside a [`Secret`] only
/// while being (de)serialized here.
#[derive(Serialize, Deserialize)]
struct Document {
    version: u32,
    access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_expires_at: Option<u64>,
    #[serde(default)]
    scopes: Vec<String>,
    issuer: String,
    token_endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    revocation_endpoint: Option<String>,
    client_id: String,
    #[serde(default = "public_client")]
    client_auth_method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resource: Option<String>,
    grant: Grant,
    obtained_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    step_up: Option<StepUp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    account: Option<Account>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    binding: Option<Binding>,
    /// `DPoP` for DPoP-bound tokens; absent for bearer tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token_type: Option<String>,
    /// The private key of DPoP-bound tokens (PKCS#8, base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dpop_key: Option<String>,
}

fn public_client() -> String {
    "none".to_owned()
}

impl Drop for Document {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.access_token.zeroize();
        if let Some(token) = self.refresh_token.as_mut() {
            token.zeroize();
        }
        self.dpop_key.zeroize();
    }
}

impl StoredTokens {
    /// Whether the access token needs no renewal yet (see [`StoredTokens::renew_at`]). A token
    /// without an expiry is trusted until the server refuses it.
    pub fn is_fresh(&self, renewal: Renewal) -> bool {
        self.renew_at(renewal).is_none_or(|at| at > now())
    }

    /// When to renew the access token, Unix seconds; `None` when the server gave no expiry.
    pub fn renew_at(&self, renewal: Renewal) -> Option<u64> {
        self.expires_at.map(|at| {
            let before = match renewal {
                Renewal::Before(margin) => margin.as_secs().min(at.saturating_sub(self.obtained_at) / 2),
                Renewal::Exactly(margin) => margin.as_secs(),
            };
            at.saturating_sub(before)
        })
    }

    /// Where these tokens were issued and what differs, when that is not `wanted` (see
    /// [`super::binding`]); `None` when they may be sent there. Tokens from before bindings are
    /// judged by their `resource`, when it was sent: the server's URL must still lie under it
    /// (the server's own URL, or a prefix its metadata named, which discovery checked).
    pub fn issued_elsewhere(&self, wanted: &Binding) -> Option<(String, Mismatch)> {
        match (&self.binding, &self.resource) {
            (Some(bound), _) => bound.mismatch(wanted).map(|changed| (bound.server.clone(), changed)),
            (None, Some(resource)) if !wanted.server.starts_with(resource.trim_end_matches('/')) => {
                Some((resource.clone(), Mismatch::Server))
            }
            (None, _) => None,
        }
    }

    /// Whether a refresh token is held and not known to be expired.
    pub fn can_refresh(&self) -> bool {
        self.refresh_token.is_some() && self.refresh_expires_at.is_none_or(|at| at > now())
    }

    /// The tokens of `id`, or `None` when it has none.
    pub async fn load(vault: &Vault, id: &SourceId) -> Result<Option<Self>, OAuthError> {
        let stored = vault
            .get(&VaultKey::source_tokens(id))
            .await
            .map_err(|err| OAuthError::Vault { id: id.clone(), err })?;
        let Some(stored) = stored else { return Ok(None) };
        let document: Document =
            serde_json::from_str(stored.expose()).map_err(|err| OAuthError::CorruptTokens {
                id: id.clone(),
                problem: format!("line {}, column {}", err.line(), err.column()),
            })?;
        Self::from_document(document).map(Some).ok_or_else(|| OAuthError::CorruptTokens {
            id: id.clone(),
            problem: "an endpoint is not a URL, or the DPoP key is not one".to_owned(),
        })
    }

    /// The tokens a new sign-in will replace: like [`load`](Self::load), but unreadable ones
    /// count as none, since nothing of them is needed any more.
    pub async fn load_replaced(vault: &Vault, id: &SourceId) -> Result<Option<Self>, OAuthError> {
        match Self::load(vault, id).await {
            Err(OAuthError::CorruptTokens { .. }) => Ok(None),
            loaded => loaded,
        }
    }

    /// Stores these tokens as `id`'s, replacing what was there.
    pub async fn save(&self, vault: &Vault, id: &SourceId) -> Result<(), OAuthError> {
        let document = self.to_document();
        let text = Secret::new(serde_json::to_string(&document).expect("the token document serializes"));
        vault
            .set(&VaultKey::source_tokens(id), &text)
            .await
            .map_err(|err| OAuthError::Vault { id: id.clone(), err })
    }

    /// Stores renewed tokens that replace `spent` (whose refresh token the server has just
    /// used up): if the keychain refuses them they are held in this process's memory until it
    /// takes them (see [`Vault::set_or_hold`]), unless by then the keychain holds tokens other
    /// than `spent` (a sign-in made meanwhile), which win. The refusal is returned to be reported.
    pub async fn save_or_hold(
        &self,
        vault: &Vault,
        id: &SourceId,
        spent: &StoredTokens,
    ) -> Result<(), OAuthError> {
        let document = self.to_document();
        let text = Secret::new(serde_json::to_string(&document).expect("the token document serializes"));
        let spent = spent.refresh_token.clone();
        let supersedes: crate::vault::Supersedes =
            std::sync::Arc::new(move |stored| replaced(stored, spent.as_ref()));
        vault
            .set_or_hold(&VaultKey::source_tokens(id), &text, supersedes)
            .await
            .map_err(|err| OAuthError::Vault { id: id.clone(), err })
    }

    /// Removes `id`'s tokens; `true` if there were some.
    pub async fn delete(vault: &Vault, id: &SourceId) -> Result<bool, OAuthError> {
        vault
            .delete(&VaultKey::source_tokens(id))
            .await
            .map_err(|err| OAuthError::Vault { id: id.clone(), err })
    }

    fn from_document(mut document: Document) -> Option<Self> {
        let token_endpoint = Url::parse(&document.token_endpoint).ok()?;
        let dpop_key = match document.dpop_key.take() {
            Some(stored) => Some(DpopKey::from_stored(&Secret::new(stored))?),
            None => None,
        };
        let revocation_endpoint = match document.revocation_endpoint.take() {
            Some(raw) => Some(Url::parse(&raw).ok()?),
            None => None,
        };
        Some(Self {
            access_token: Secret::new(std::mem::take(&mut document.access_token)),
            refresh_token: document.refresh_token.take().map(Secret::new),
            expires_at: document.expires_at,
            refresh_expires_at: document.refresh_expires_at,
            scopes: std::mem::take(&mut document.scopes),
            issuer: std::mem::take(&mut document.issuer),
            token_endpoint,
            revocation_endpoint,
            client_id: std::mem::take(&mut document.client_id),
            client_auth_method: std::mem::take(&mut document.client_auth_method),
            resource: document.resource.take(),
            grant: document.grant,
            obtained_at: document.obtained_at,
            step_up: document.step_up.take(),
            account: document.account.take(),
            binding: document.binding.take(),
            dpop_key,
        })
    }

    fn to_document(&self) -> Document {
        Document {
            version: 1,
            access_token: self.access_token.expose().to_owned(),
            refresh_token: self.refresh_token.as_ref().map(|t| t.expose().to_owned()),
            expires_at: self.expires_at,
            refresh_expires_at: self.refresh_expires_at,
            scopes: self.scopes.clone(),
            issuer: self.issuer.clone(),
            token_endpoint: self.token_endpoint.to_string(),
            revocation_endpoint: self.revocation_endpoint.as_ref().map(Url::to_string),
            client_id: self.client_id.clone(),
            client_auth_method: self.client_auth_method.clone(),
            resource: self.resource.clone(),
            grant: self.grant,
            obtained_at: self.obtained_at,
            step_up: self.step_up.clone(),
            account: self.account.clone(),
            binding: self.binding.clone(),
            token_type: self.dpop_key.as_ref().map(|_| "DPoP".to_owned()),
            dpop_key: self.dpop_key.as_ref().map(|key| key.to_stored().expose().to_owned()),
        }
    }
}

/// Whether the token document `stored` is other than the one whose refresh token `spent` was:
/// someone wrote new tokens since. A document that does not parse replaces nothing.
fn replaced(stored: &Secret, spent: Option<&Secret>) -> bool {
    match serde_json::from_str::<Document>(stored.expose()) {
        Ok(document) => document.refresh_token.as_deref() != spent.map(Secret::expose),
        Err(_) => false,
    }
}

/// A successful token endpoint answer (RFC 6749 5.1).
#[derive(Debug)]
pub struct TokenAnswer {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    pub expires_in: Option<u64>,
    pub refresh_expires_in: Option<u64>,
    /// The granted scopes, when the server said (RFC 6749: absent means as requested).
    pub scope: Option<Vec<String>>,
    /// An OpenID Connect ID token, when `openid` was requested.
    pub id_token: Option<Secret>,
    /// Whether the access token is DPoP-bound (`token_type` `DPoP`), to the key whose proof the
    /// request carried.
    pub dpop_bound: bool,
}

#[derive(Deserialize)]
struct RawAnswer {
    access_token: Option<String>,
    token_type: Option<String>,
    refresh_token: Option<String>,
    expires_in: Option<serde_json::Value>,
    refresh_expires_in: Option<serde_json::Value>,
    scope: Option<String>,
    id_token: Option<String>,
}

impl Drop for RawAnswer {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.access_token.zeroize();
        self.refresh_token.zeroize();
        self.id_token.zeroize();
    }
}

/// A number of seconds, sent as a number or (by some servers) as a string.
fn seconds(value: Option<&serde_json::Value>) -> Option<u64> {
    match value? {
        serde_json::Value::Number(n) => n.as_u64().or_else(|| n.as_f64().map(|f| f.max(0.0) as u64)),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl TokenAnswer {
    /// Posts a grant (`fields`) to the token endpoint, with a DPoP proof of `dpop` when given,
    /// and reads the tokens it answers with; a status other than 2xx is the endpoint's refusal,
    /// as an error. For grants whose refusal needs nothing but reporting; the sign-in and
    /// refresh act on the refusal's code first.
    pub async fn request(
        http: &reqwest::Client,
        id: &SourceId,
        step: Step,
        endpoint: &Url,
        auth: &ClientAuth,
        fields: &[(&str, &str)],
        dpop: Option<&DpopKey>,
    ) -> Result<Self, OAuthError> {
        let origin = Origin::of(endpoint);
        let (status, body) = post_form(http, id, step, endpoint, auth, fields, dpop).await?;
        if !(200..300).contains(&status) {
            return Err(refusal(id, &origin, step, status, &body));
        }
        Self::parse(id, &origin, step, &body, dpop.is_some())
    }

    /// Parses a 2xx token endpoint body. `proved`: the request carried a DPoP proof, so a
    /// `DPoP` token is expected; without one, only a bearer token is usable.
    pub fn parse(
        id: &SourceId,
        origin: &Origin,
        step: Step,
        body: &[u8],
        proved: bool,
    ) -> Result<Self, OAuthError> {
        let mut raw: RawAnswer = parse_json(id, origin, step, body)?;
        let access_token = raw.access_token.take().filter(|t| !t.is_empty());
        let access_token =
            access_token.ok_or_else(|| bad(id, origin, step, Problem::Missing("access_token")))?;
        let dpop_bound = match raw.token_type.as_deref() {
            None => false,
            Some(kind) if kind.eq_ignore_ascii_case("bearer") => false,
            Some(kind) if proved && kind.eq_ignore_ascii_case("dpop") => true,
            Some(kind) => return Err(bad(id, origin, step, Problem::NotBearer(shown(kind, 40)))),
        };
        Ok(Self {
            access_token: Secret::new(access_token),
            refresh_token: raw.refresh_token.take().filter(|t| !t.is_empty()).map(Secret::new),
            expires_in: seconds(raw.expires_in.as_ref()),
            refresh_expires_in: seconds(raw.refresh_expires_in.as_ref()),
            scope: raw.scope.as_deref().map(|s| s.split_ascii_whitespace().map(str::to_owned).collect()),
            id_token: raw.id_token.take().filter(|t| !t.is_empty()).map(Secret::new),
            dpop_bound,
        })
    }

    /// The key the answer's tokens are bound to: `key`, whose proof the request carried, when
    /// the server bound them; none for bearer tokens.
    pub fn bound_key(&self, key: Option<&DpopKey>) -> Option<DpopKey> {
        key.filter(|_| self.dpop_bound).cloned()
    }

    /// Renewed tokens: this answer over `previous`. A refresh token that did not rotate is kept,
    /// and scopes not reported stay as they were.
    pub fn renew(self, previous: &StoredTokens) -> StoredTokens {
        let at = now();
        let keeps_refresh = self.refresh_token.is_none();
        let dpop_key = self.bound_key(previous.dpop_key.as_ref());
        StoredTokens {
            access_token: self.access_token,
            refresh_token: self.refresh_token.or_else(|| previous.refresh_token.clone()),
            expires_at: self.expires_in.map(|s| at.saturating_add(s)),
            refresh_expires_at: match self.refresh_expires_in {
                Some(s) => Some(at.saturating_add(s)),
                None if keeps_refresh => previous.refresh_expires_at,
                None => None,
            },
            scopes: self.scope.unwrap_or_else(|| previous.scopes.clone()),
            obtained_at: at,
            dpop_key,
            ..previous.clone()
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn tokens_are_judged_by_their_binding_or_else_their_resource() {
        let settings = crate::profile::OAuthSettings::default();
        let at = |url: &str| Binding::oauth(&settings, &Url::parse(url).unwrap());
        let legacy = sample();
        assert_eq!(legacy.issued_elsewhere(&at("https://mcp.example/mcp")), None, "their own server");
        assert_eq!(
            legacy.issued_elsewhere(&at("https://other.example/mcp")),
            Some(("https://mcp.example/mcp".to_owned(), Mismatch::Server)),
            "tokens from before bindings are kept from another server by their resource"
        );
        let bound = StoredTokens { binding: Some(at("https://mcp.example/mcp")), resource: None, ..sample() };
        assert_eq!(
            bound.issued_elsewhere(&at("https://mcp.example/mcp")),
            None,
            "the server they are bound to"
        );
        assert_eq!(
            bound.issued_elsewhere(&at("https://other.example/mcp")).map(|(_, changed)| changed),
            Some(Mismatch::Server),
            "a binding names its server"
        );
    }

    pub(crate) fn sample() -> StoredTokens {
        StoredTokens {
            access_token: Secret::new("at-1"),
            refresh_token: Some(Secret::new("rt-1")),
            expires_at: Some(now() + 3600),
            refresh_expires_at: None,
            scopes: vec!["a".into()],
            issuer: "https://as.example".into(),
            token_endpoint: Url::parse("https://as.example/token").unwrap(),
            revocation_endpoint: None,
            client_id: "c".into(),
            client_auth_method: "none".into(),
            resource: Some("https://mcp.example/mcp".into()),
            grant: Grant::AuthorizationCode,
            obtained_at: now(),
            step_up: None,
            account: None,
            binding: None,
            dpop_key: None,
        }
    }

    #[tokio::test]
    async fn tokens_round_trip_through_the_vault() {
        let vault = Vault::mock();
        let id: SourceId = "s".parse().unwrap();
        assert!(StoredTokens::load(&vault, &id).await.unwrap().is_none(), "nothing stored yet");
        sample().save(&vault, &id).await.unwrap();
        let back = StoredTokens::load(&vault, &id).await.unwrap().expect("stored");
        assert_eq!(back.access_token.expose(), "at-1", "the access token survives");
        assert_eq!(
            back.refresh_token.as_ref().map(Secret::expose),
            Some("rt-1"),
            "the refresh token survives"
        );
        assert_eq!(back.resource.as_deref(), Some("https://mcp.example/mcp"), "the resource survives");
        assert!(!format!("{back:?}").contains("at-1"), "Debug never shows a token");
    }

    #[test]
    fn stored_tokens_other_than_the_spent_ones_supersede_held_ones() {
        let text = |tokens: &StoredTokens| Secret::new(serde_json::to_string(&tokens.to_document()).unwrap());
        let spent = sample();
        let mut signed_in = sample();
        signed_in.refresh_token = Some(Secret::new("rt-from-a-new-sign-in"));
        let spent_token = spent.refresh_token.as_ref();
        assert!(replaced(&text(&signed_in), spent_token), "a sign-in made meanwhile wins over held tokens");
        assert!(!replaced(&text(&spent), spent_token), "the spent tokens are replaced by the held ones");
        assert!(!replaced(&Secret::new("not json"), spent_token), "nonsense never wins");
    }

    #[test]
    fn freshness_uses_the_margin() {
        let mut tokens = sample();
        tokens.obtained_at = now() - 3600;
        tokens.expires_at = Some(now() + 30);
        assert!(tokens.is_fresh(Renewal::Before(Duration::from_secs(10))), "30 s left, 10 s margin");
        assert!(!tokens.is_fresh(Renewal::Before(Duration::from_secs(60))), "30 s left, 60 s margin");
        tokens.expires_at = None;
        assert!(
            tokens.is_fresh(Renewal::Before(Duration::from_secs(60))),
            "no expiry: trusted until refused"
        );
    }

    #[test]
    fn a_token_shorter_lived_than_the_margin_is_renewed_half_way() {
        let mut tokens = sample();
        tokens.obtained_at = now();
        tokens.expires_at = Some(now() + 40);
        let default = Renewal::Before(Duration::from_secs(60));
        assert_eq!(tokens.renew_at(default), Some(now() + 20), "half-way through 40 s");
        assert!(tokens.is_fresh(default), "a fresh 40 s token is not renewed at once");
        assert!(!tokens.is_fresh(Renewal::Exactly(Duration::from_secs(60))), "unless asked to be exact");
        tokens.obtained_at = now() - 30;
        tokens.expires_at = Some(now() + 10);
        assert!(!tokens.is_fresh(default), "past half-way it is renewed");
    }

    #[test]
    fn renewal_keeps_an_unrotated_refresh_token() {
        let origin = Origin::of(&Url::parse("https://as.example").unwrap());
        let id: SourceId = "s".parse().unwrap();
        let answer = TokenAnswer::parse(
            &id,
            &origin,
            Step::Refresh,
            br#"{"access_token":"at-2","token_type":"bearer","expires_in":"60"}"#,
            false,
        )
        .unwrap();
        let renewed = answer.renew(&sample());
        assert_eq!(renewed.access_token.expose(), "at-2", "the new access token");
        assert_eq!(
            renewed.refresh_token.as_ref().map(Secret::expose),
            Some("rt-1"),
            "no rotation: old one kept"
        );
        assert!(renewed.expires_at.is_some_and(|at| at <= now() + 60), "expires_in as a string is read");
        let rotated = TokenAnswer::parse(
            &id,
            &origin,
            Step::Refresh,
            br#"{"access_token":"at-3","refresh_token":"rt-2"}"#,
            false,
        )
        .unwrap()
        .renew(&sample());
        assert_eq!(rotated.refresh_token.as_ref().map(Secret::expose), Some("rt-2"), "rotation replaces it");
    }

    #[tokio::test]
    async fn dpop_bound_tokens_keep_their_key_through_the_vault_and_a_refresh() {
        let origin = Origin::of(&Url::parse("https://as.example").unwrap());
        let id: SourceId = "s".parse().unwrap();
        let key = DpopKey::generate().unwrap();
        let bound = br#"{"access_token":"at-2","token_type":"DPoP","expires_in":60}"#;
        let answer = TokenAnswer::parse(&id, &origin, Step::Refresh, bound, true).unwrap();
        assert_eq!(answer.bound_key(Some(&key)), Some(key.clone()), "a DPoP answer binds the key proved");
        let tokens = StoredTokens { dpop_key: Some(key.clone()), ..sample() };
        let vault = Vault::mock();
        tokens.save(&vault, &id).await.unwrap();
        let back = StoredTokens::load(&vault, &id).await.unwrap().unwrap();
        assert_eq!(back.dpop_key.as_ref().map(DpopKey::thumbprint), Some(key.thumbprint()), "kept");
        let renewed = answer.renew(&back);
        assert_eq!(renewed.dpop_key, Some(key), "a bound refresh keeps the key");
        let unbound = TokenAnswer::parse(&id, &origin, Step::Refresh, br#"{"access_token":"at-3"}"#, true)
            .unwrap()
            .renew(&back);
        assert_eq!(unbound.dpop_key, None, "a server that answers Bearer ends the binding");
    }

    #[test]
    fn unusable_answers_are_refused() {
        let origin = Origin::of(&Url::parse("https://as.example").unwrap());
        let id: SourceId = "s".parse().unwrap();
        let err = TokenAnswer::parse(&id, &origin, Step::Refresh, br#"{"token_type":"Bearer"}"#, false)
            .unwrap_err();
        assert!(
            matches!(err, OAuthError::BadAnswer { problem: Problem::Missing("access_token"), .. }),
            "{err:?}"
        );
        let err = TokenAnswer::parse(
            &id,
            &origin,
            Step::Refresh,
            br#"{"access_token":"x","token_type":"DPoP"}"#,
            false,
        )
        .unwrap_err();
        assert!(matches!(err, OAuthError::BadAnswer { problem: Problem::NotBearer(_), .. }), "{err:?}");
        let err = TokenAnswer::parse(&id, &origin, Step::Refresh, b"<html>", false).unwrap_err();
        assert!(!err.to_string().contains("<html>"), "the body is never quoted: {err}");
    }
}
