//! Sign-in and tokens for sources that use OAuth: discovery, client registration, the
//! authorization code flow with PKCE over a loopback redirect, client credentials, refresh,
//! revocation, and the token model. Callers use [`Credentials`] for a fresh bearer token,
//! [`sign_in`] when the person clicks Connect, and [`disconnect`] when they click Disconnect.
//!
//! **Why Lanyard owns the flow** instead of using rmcp's `transport::auth` or the `oauth2`
//! crate: the per-profile switches for servers that bend the rules (no `resource` parameter,
//! extra authorization parameters, a fixed redirect port, a scopes override), the RFC 9207 `iss`
//! check, the cross-process refresh lock with a re-read of the vault, and the vault layout
//! (registrations per issuer, tokens per source, secrets typed) all sit between the steps that
//! those libraries run as one unit; adapting their stores and state machines took more code than
//! the few form posts and JSON documents the protocol needs. The HTTP rules (no redirects, 1 MiB
//! bodies, https-or-loopback endpoints) live in one module, so every request follows them.
//!
//! Module map, one job each: `challenge` (parse `WWW-Authenticate`), `discovery` (RFC 9728 and
//! RFC 8414 in the spec's order), `registration` (pre-registered, Client ID Metadata Document,
//! RFC 7591), `pkce`, `browser` (opening the URL without a shell), `redirect` (loopback listener
//! and paste-back, `state`/`iss` checks), `authorize` (the sign-in), `client_credentials`,
//! `credentials` (refresh under a per-source lock), `lock` (the lock files), `retry` (backoff after a failed refresh),
//! `assertion` (the signed JWTs of `private_key_jwt`), `dpop` (proof-of-possession keys and proofs), `identity` (the
//! session at an enterprise identity provider), `enterprise` (tokens from it through an identity
//! assertion grant), `step_up` (`403 insufficient_scope`, acted on only by an explicit sign-in), `account` (who
//! signed in, from the ID token), `activity` (what refreshes and sign-ins record in a source's history, for status), `pending`
//! (the sign-in a flow waits for, for status), `waiting` (the sign-ins *Cancel* can stop), `revoke`, `tokens` (the stored model), `http`
//! (shared request rules), `error`.

pub(crate) mod account;
pub mod activity;
mod assertion;
mod authorize;
pub mod binding;
mod browser;
pub mod challenge;
mod client_credentials;
mod credentials;
pub mod discovery;
pub mod dpop;
mod enterprise;
mod error;
pub(crate) mod http;
mod identity;
mod lock;
pub mod pending;
mod pkce;
mod private_net;
pub(crate) mod redirect;
mod registration;
pub mod retry;
mod revoke;
pub mod step_up;
pub(crate) mod tokens;
pub(crate) mod waiting;

pub use assertion::{KeyError, check_key};
pub use authorize::{DEFAULT_TIMEOUT, RESERVED_PARAMS, ShowUrl, SignInOptions, sign_in};
pub use browser::{Browser, UserAgent};
pub use client_credentials::fetch as client_credentials;
pub use credentials::{AccessToken, Credentials, DEFAULT_MARGIN, DEFAULT_RENEWAL, refresh_in_flight};
pub use enterprise::{Identity, connect as enterprise_connect};
pub use error::{OAuthError, OAuthErrorCode, Problem, SignInCancelled, Step};
pub use http::{
    MAX_BODY, client as http_client, client_for as http_client_for, client_trusting as http_client_trusting,
};
pub use identity::{IdentitySession, end as end_identity_session};
pub use registration::ClientKind;
pub use revoke::{Disconnected, disconnect};
pub use tokens::{Account, Grant, Renewal, StepUp, StoredTokens};
