//! Sign-in, refresh, revocation and client credentials against a real authorization server
//! (oidc-provider in `tests/node/oauth-fixture.mjs`) and a protected MCP server that checks
//! audience-bound tokens by introspection, with tokens in the real Secret Service of
//! `scripts/with-keychain.sh`. A scripted user agent stands in for the person's browser; one test
//! drives the real `lanyard` binary with `$BROWSER` pointing at a curl script.
//! Issue 3: "Sign-in that follows the MCP authorization spec".

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{any, get};
use lanyard::ids::SourceId;
use lanyard::oauth::{Browser, Disconnected, OAuthError, SignInOptions, StoredTokens};
use lanyard::paths::Dirs;
use lanyard::profile::{Auth, ClientCredentialsSettings, OAuthSettings, Profile, Transport};
use lanyard::source::SourceState;
use lanyard::vault::{StoreKind, Vault};
use lanyard::{Engine, Secret};
use serde_json::{Value, json};
use url::Url;

use crate::support::home::{Home, Run};
use crate::support::oauth_fixture::{OAuthFixture, ScriptedBrowser, browser_script};
use crate::support::serve;

pub(crate) fn unique_id(tag: &str) -> SourceId {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("{tag}-{:x}-{}-{nanos:x}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
        .parse()
        .expect("a valid test source id")
}

pub(crate) fn vault() -> Vault {
    assert!(
        std::env::var_os("LANYARD_IN_KEYCHAIN_SESSION").is_some(),
        "the OAuth tests need a private keychain: run them as `scripts/with-keychain.sh cargo test`"
    );
    Vault::new(StoreKind::SecretService).expect("the Secret Service exists on Linux")
}

/// Removes a test's keychain entries when dropped, also when the test fails.
pub(crate) struct Cleanup(pub(crate) Vec<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        // Test homes share the test run's install (see `support::test_run_install_id`), so an
        // entry stored by `lanyard` in one of them is under that install's prefix.
        let install = crate::support::test_run_install_id();
        for account in self.0.iter().flat_map(|a| [a.clone(), format!("install:{install}/{a}")]) {
            let _ = Command::new("secret-tool")
                .args(["clear", "service", "lanyard", "username", &account])
                .status();
        }
    }
}

/// An engine with its own profile file, one source, and the fixture.
struct Setup {
    engine: Engine,
    id: SourceId,
    fixture: OAuthFixture,
    _dir: tempfile::TempDir,
    _cleanup: Cleanup,
}

impl Setup {
    async fn new(tag: &str, flags: &[&str], auth: impl FnOnce(&OAuthFixture) -> Auth) -> Self {
        let fixture = OAuthFixture::start(flags).await.expect("the OAuth fixture starts");
        Self::with_url(tag, fixture, None, auth).await
    }

    async fn with_url(
        tag: &str,
        fixture: OAuthFixture,
        url: Option<String>,
        auth: impl FnOnce(&OAuthFixture) -> Auth,
    ) -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let engine = Engine::new(Dirs::new(dir.path(), dir.path().join("data")), vault());
        let id = unique_id(tag);
        let url = url.unwrap_or_else(|| fixture.mcp.clone());
        let mut profile = Profile::new(id.clone(), Transport::Http { url, headers: Default::default() });
        profile.auth = auth(&fixture);
        let secrets = match &profile.auth {
            Auth::ClientCredentials(cc) => cc
                .client_secret
                .iter()
                .map(|reference| (reference.clone(), Secret::new(fixture.cc_client_secret.clone())))
                .collect(),
            _ => Vec::new(),
        };
        let cleanup = Cleanup(vec![
            format!("source:{id}/oauth/tokens"),
            format!("source:{id}/oauth/client-secret"),
            format!("issuer:{}/registration", fixture.issuer),
        ]);
        engine.add_profile(profile, secrets).await.expect("the profile is saved");
        Self { engine, id, fixture, _dir: dir, _cleanup: cleanup }
    }

    fn profile(&self) -> Profile {
        self.engine.profile(&self.id).expect("the profile exists")
    }

    fn mcp_url(&self) -> Url {
        Url::parse(&self.fixture.mcp).unwrap()
    }

    async fn sign_in_with(&self, browser: ScriptedBrowser) -> Result<StoredTokens, lanyard::Error> {
        let options = SignInOptions {
            browser: Browser::Custom(Arc::new(browser)),
            paste_back: None,
            timeout: Duration::from_secs(30),
            show_url: None,
        };
        self.engine.sign_in(&self.id, options).await
    }

    async fn sign_in(&self) -> StoredTokens {
        self.sign_in_with(ScriptedBrowser::default()).await.expect("the sign-in succeeds")
    }

    async fn tokens(&self) -> Option<StoredTokens> {
        StoredTokens::load(self.engine.vault(), &self.id).await.expect("the tokens can be read")
    }

    /// Calls `whoami` through a fresh connection and returns what the server saw.
    async fn whoami(&self) -> Result<Value, lanyard::Error> {
        let upstream = self.engine.connect(&self.id).await?;
        let result = upstream.call_tool("whoami", None).await;
        upstream.close().await;
        let result = result?;
        let text = result
            .content
            .first()
            .and_then(|c| c.as_text())
            .map(|t| t.text.clone())
            .expect("whoami answers text");
        Ok(serde_json::from_str(&text).expect("whoami answers JSON"))
    }
}

fn oauth() -> impl FnOnce(&OAuthFixture) -> Auth {
    |_| Auth::OAuth(OAuthSettings { resource_param: true, ..OAuthSettings::default() })
}

fn oauth_error(err: lanyard::Error) -> OAuthError {
    match err {
        lanyard::Error::OAuth(err) => err,
        other => panic!("expected an OAuth error, got {other:?}"),
    }
}

#[tokio::test]
async fn sign_in_registers_a_native_client_and_the_token_reaches_the_server() {
    let setup = Setup::new("signin", &[], oauth()).await;
    assert!(
        matches!(
            setup.engine.connect(&setup.id).await,
            Err(lanyard::Error::OAuth(OAuthError::NeedsSignIn { .. }))
        ),
        "before signing in, connecting fails fast with needs-sign-in"
    );
    let tokens = setup.sign_in().await;
    assert_eq!(tokens.issuer, setup.fixture.issuer, "the issuer is the fixture's");
    assert!(tokens.refresh_token.is_some(), "a refresh token came with the sign-in");
    assert_eq!(tokens.resource.as_deref(), Some(setup.fixture.mcp.as_str()), "the resource is the MCP URI");

    let who = setup.whoami().await.expect("a tool call with the token works");
    assert_eq!(who["sub"], "alice", "the server saw the signed-in user: {who}");
    assert_eq!(who["aud"], json!([setup.fixture.mcp]), "the token is bound to the MCP server: {who}");

    let stats = setup.fixture.stats().await.unwrap();
    let client = &stats["registered_clients"][0];
    assert_eq!(client["application_type"], "native", "registered as a native app: {client}");
    assert_eq!(client["token_endpoint_auth_method"], "none", "a public client: {client}");
    assert!(
        client["grant_types"].as_array().is_some_and(|g| g.contains(&json!("refresh_token"))),
        "refresh_token is among the grant types: {client}"
    );
    let redirect = client["redirect_uris"][0].as_str().unwrap_or_default();
    assert!(redirect.starts_with("http://127.0.0.1:"), "a loopback redirect URI: {redirect}");
    let auth = &stats["authorization_log"][0];
    assert_eq!(auth["code_challenge_method"], "S256", "PKCE S256 was used: {auth}");
    assert_eq!(auth["resource"], json!([setup.fixture.mcp]), "resource in the authorization request: {auth}");
    assert_eq!(
        auth["scope"], "openid mcp:read mcp:write",
        "the challenge's scopes were asked for, with openid because the AS supports it: {auth}"
    );
    assert_eq!(
        tokens.account.as_ref().and_then(|a| a.sub.as_deref()),
        Some("alice"),
        "the ID token named the signed-in account"
    );
    let exchange =
        stats["token_log"].as_array().unwrap().iter().find(|t| t["grant_type"] == "authorization_code");
    assert_eq!(
        exchange.map(|t| t["resource"].clone()),
        Some(json!([setup.fixture.mcp])),
        "resource in the token request too: {stats}"
    );

    let status = setup.engine.status(Some(&setup.id)).await.unwrap();
    assert!(
        matches!(&status[0].state, SourceState::Connected { tokens } if tokens.issuer == setup.fixture.issuer),
        "status shows connected with the issuer: {:?}",
        status[0].state
    );

    // A second source at the same issuer reuses the registration.
    let before = setup.fixture.count("/registrations").await.unwrap();
    let again = setup.sign_in().await;
    assert_eq!(setup.fixture.count("/registrations").await.unwrap(), before, "the registration is reused");
    assert_ne!(again.access_token, tokens.access_token, "a new sign-in gives new tokens");
}

#[tokio::test]
async fn refresh_rotates_and_stores_the_new_refresh_token_first() {
    let setup = Setup::new("refresh", &[], oauth()).await;
    let first = setup.sign_in().await;
    // A margin longer than the token's life makes the token "about to expire" now.
    let eager = setup.engine.credentials().with_margin(Duration::from_secs(3600));
    let bearer = eager.bearer(&setup.profile(), &setup.mcp_url(), None).await.expect("the refresh works");
    assert_ne!(bearer, first.access_token, "a new access token");
    let stored = setup.tokens().await.expect("tokens are kept");
    assert_eq!(stored.access_token, bearer, "the vault holds what was handed out");
    assert!(
        stored.refresh_token.is_some() && stored.refresh_token != first.refresh_token,
        "the rotated refresh token replaced the old one in the vault"
    );
    assert_eq!(setup.fixture.count("/token_requests/refresh_token").await.unwrap(), 1, "one refresh");
    let stats = setup.fixture.stats().await.unwrap();
    let refresh =
        stats["token_log"].as_array().unwrap().iter().find(|t| t["grant_type"] == "refresh_token").cloned();
    assert_eq!(
        refresh.map(|t| t["resource"].clone()),
        Some(json!([setup.fixture.mcp])),
        "resource is sent on refresh: {stats}"
    );

    let calm = setup.engine.credentials();
    let same = calm.bearer(&setup.profile(), &setup.mcp_url(), None).await.unwrap();
    assert_eq!(same, bearer, "a fresh token is handed out without refreshing");
    assert_eq!(setup.fixture.count("/token_requests/refresh_token").await.unwrap(), 1, "still one refresh");
    assert_eq!(setup.whoami().await.expect("the refreshed token works")["sub"], "alice");
}

#[tokio::test]
async fn an_expired_token_refused_by_the_server_is_refreshed_once_and_retried() {
    let setup = Setup::new("retry", &[], oauth()).await;
    setup.sign_in().await;
    setup.fixture.control("expire-access-tokens", json!({})).await.unwrap();
    let who = setup.whoami().await.expect("the 401 leads to one refresh and a retry");
    assert_eq!(who["sub"], "alice", "the retried call works");
    assert_eq!(setup.fixture.count("/token_requests/refresh_token").await.unwrap(), 1, "exactly one refresh");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_refreshers_refresh_exactly_once() {
    let setup = Arc::new(Setup::new("concurrent", &[], oauth()).await);
    let refused = setup.sign_in().await.access_token;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (setup, refused) = (setup.clone(), refused.clone());
        tasks.push(tokio::spawn(async move {
            let credentials = setup.engine.credentials();
            credentials.bearer(&setup.profile(), &setup.mcp_url(), Some(&refused)).await
        }));
    }
    let mut handed_out = Vec::new();
    for task in tasks {
        handed_out.push(task.await.unwrap().expect("every refresher gets a token"));
    }
    assert_eq!(
        setup.fixture.count("/token_requests/refresh_token").await.unwrap(),
        1,
        "eight refreshers after the same 401: one refresh, the others re-read the vault"
    );
    assert!(
        handed_out.iter().all(|t| *t == handed_out[0] && *t != refused),
        "everyone got the one new token"
    );
    let results = setup.fixture.stats().await.unwrap();
    assert_eq!(results["token_results"]["refresh_token"]["error"], 0, "no refresh was refused: {results}");
}

#[tokio::test]
async fn a_refused_refresh_means_sign_in_again() {
    let setup = Setup::new("invalidgrant", &[], oauth()).await;
    setup.sign_in().await;
    setup.fixture.control("revoke-all", json!({})).await.unwrap();
    let eager = setup.engine.credentials().with_margin(Duration::from_secs(3600));
    let err = eager.bearer(&setup.profile(), &setup.mcp_url(), None).await.expect_err("the grant is gone");
    assert!(matches!(err, OAuthError::SignInExpired { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("invalid_grant") && text.contains(&format!("lanyard connect {}", setup.id)),
        "{text}"
    );
    assert!(setup.tokens().await.is_none(), "the dead tokens are gone");
    let status = setup.engine.status(Some(&setup.id)).await.unwrap();
    assert_eq!(status[0].state, SourceState::NeedsSignIn, "the source now needs sign-in");
}

#[tokio::test]
async fn disconnect_revokes_then_forgets() {
    let setup = Setup::new("revoke", &[], oauth()).await;
    let tokens = setup.sign_in().await;
    let outcome = setup.engine.disconnect(&setup.id).await.expect("disconnect works");
    assert!(matches!(outcome, Disconnected::Revoked), "the server confirmed the revocation: {outcome:?}");
    assert!(setup.fixture.count("/revocations").await.unwrap() >= 1, "the revocation endpoint was called");
    assert!(setup.tokens().await.is_none(), "the tokens are forgotten");
    let answer = reqwest::Client::new()
        .post(&setup.fixture.mcp)
        .bearer_auth(tokens.access_token.expose())
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "the revoked token no longer works at the server");
    let err = oauth_error(setup.engine.connect(&setup.id).await.expect_err("no tokens"));
    assert!(matches!(err, OAuthError::NeedsSignIn { .. }), "{err:?}");
}

#[tokio::test]
async fn client_credentials_get_a_service_token() {
    let setup = Setup::new("m2m", &[], |fixture| {
        Auth::ClientCredentials(ClientCredentialsSettings {
            scopes: Some(vec!["mcp:read".into()]),
            ..ClientCredentialsSettings::with_client_secret(fixture.cc_client_id.clone())
        })
    })
    .await;
    let status = setup.engine.status(Some(&setup.id)).await.unwrap();
    assert_eq!(status[0].state, SourceState::Ready, "a service account needs no sign-in");
    let who = setup.whoami().await.expect("the service token works");
    assert_eq!(who["client_id"], setup.fixture.cc_client_id, "the server saw the service client: {who}");
    assert_eq!(who["aud"], json!([setup.fixture.mcp]), "the token is bound to the MCP server: {who}");
    assert_eq!(
        setup.fixture.count("/token_requests/client_credentials").await.unwrap(),
        1,
        "one token request"
    );
    setup.whoami().await.expect("a second call");
    assert_eq!(
        setup.fixture.count("/token_requests/client_credentials").await.unwrap(),
        1,
        "the kept token is reused while fresh"
    );
}

/// `url` with the query parameter `name` set to `value`.
fn replace_param(mut url: Url, name: &str, value: &str) -> Url {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name { value.to_owned() } else { v.into_owned() };
            (k.into_owned(), v)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    url
}

#[tokio::test]
async fn a_wrong_state_stops_the_sign_in() {
    let setup = Setup::new("state", &[], oauth()).await;
    let browser = ScriptedBrowser::tampering(|url| replace_param(url, "state", "forged"));
    let landed = browser.landed.clone();
    let err = oauth_error(setup.sign_in_with(browser).await.expect_err("a forged state"));
    assert!(matches!(err, OAuthError::StateMismatch { .. }), "{err:?}");
    assert!(err.to_string().contains("wrong `state`"), "the message says what happened: {err}");
    assert!(setup.tokens().await.is_none(), "nothing was stored");
    // The flow ends as soon as the page is sent; wait (with a deadline) for the browser to read it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let page = loop {
        if let Some(page) = landed.lock().unwrap().clone() {
            break page;
        }
        assert!(tokio::time::Instant::now() < deadline, "the browser got no answer page");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(page.0, 400, "the browser is told it failed");
    assert!(page.1.contains("Sign-in failed") && page.1.contains("close this tab"), "the page: {}", page.1);
}

#[tokio::test]
async fn a_wrong_iss_stops_the_sign_in() {
    let setup = Setup::new("iss", &[], oauth()).await;
    let browser = ScriptedBrowser::tampering(|url| replace_param(url, "iss", "https://evil.example"));
    let err = oauth_error(setup.sign_in_with(browser).await.expect_err("a forged iss"));
    assert!(
        matches!(&err, OAuthError::IssuerMixUp { found: Some(found), .. } if found == "https://evil.example"),
        "{err:?}"
    );
    assert!(err.to_string().contains("RFC 9207"), "the message names the check: {err}");
    assert_eq!(
        setup.fixture.count("/token_requests/authorization_code").await.unwrap(),
        0,
        "the code was never used"
    );
}

#[tokio::test]
async fn denied_consent_is_reported_with_its_code() {
    let setup = Setup::new("denied", &["--consent", "deny"], oauth()).await;
    let err =
        oauth_error(setup.sign_in_with(ScriptedBrowser::default()).await.expect_err("the user said no"));
    assert!(
        matches!(&err, OAuthError::AuthorizationFailed { code, .. } if code.as_str() == "access_denied"),
        "{err:?}"
    );
    assert!(err.to_string().contains("access_denied"), "the code is shown: {err}");
}

#[tokio::test]
async fn no_answer_times_out() {
    let setup = Setup::new("timeout", &[], oauth()).await;
    let options = SignInOptions {
        browser: Browser::None,
        paste_back: None,
        timeout: Duration::from_millis(300),
        show_url: None,
    };
    let err = oauth_error(setup.engine.sign_in(&setup.id, options).await.expect_err("nobody signs in"));
    assert!(matches!(err, OAuthError::TimedOut { .. }), "{err:?}");
    assert!(err.to_string().contains("--timeout"), "the message names the switch: {err}");
}

#[tokio::test]
async fn paste_back_accepts_the_address_the_browser_ended_on() {
    let setup = Setup::new("paste", &[], oauth()).await;
    // The "browser" runs elsewhere: it never reaches the loopback listener, and the person pastes
    // the callback address. The scripted browser stops at the callback and hands it over.
    let (writer, reader) = tokio::io::duplex(4096);
    let writer = Arc::new(tokio::sync::Mutex::new(writer));
    let browser = ScriptedBrowser::tampering(move |url| {
        let mut pasted = url.to_string();
        pasted.push('\n');
        let writer = writer.clone();
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            let _ = writer.lock().await.write_all(pasted.as_bytes()).await;
        });
        // Send the browser itself nowhere useful, as on a machine without the listener.
        Url::parse("http://127.0.0.1:9/unreachable").unwrap()
    });
    let options = SignInOptions {
        browser: Browser::Custom(Arc::new(browser)),
        paste_back: Some(Box::new(tokio::io::BufReader::new(reader))),
        timeout: Duration::from_secs(30),
        show_url: None,
    };
    setup.engine.sign_in(&setup.id, options).await.expect("the pasted answer signs in");
    assert_eq!(setup.whoami().await.expect("the token works")["sub"], "alice");
}

type Doc = fn(&str) -> Value;

/// A fake MCP server on `base`: `/mcp` answers 401 pointing at its resource metadata, which is
/// `prm(base)`, and it serves `as_metadata(base)` as RFC 8414 metadata at its root.
async fn fake_server(prm: Doc, as_metadata: Doc) -> String {
    let cell = Arc::new(std::sync::OnceLock::<String>::new());
    let (for_mcp, for_prm, for_as) = (cell.clone(), cell.clone(), cell.clone());
    let app = Router::new()
        .route(
            "/mcp",
            any(move || {
                let base = for_mcp.clone();
                async move {
                    let mut headers = HeaderMap::new();
                    let value = format!(
                        "Bearer resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"",
                        base.get().unwrap()
                    );
                    headers.insert("www-authenticate", value.parse().unwrap());
                    (StatusCode::UNAUTHORIZED, headers).into_response()
                }
            }),
        )
        .route(
            "/.well-known/oauth-protected-resource/mcp",
            get(move || {
                let base = for_prm.clone();
                async move { axum::Json(prm(base.get().unwrap())) }
            }),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(move || {
                let base = for_as.clone();
                async move { axum::Json(as_metadata(base.get().unwrap())) }
            }),
        );
    let addr = serve(app).await.expect("the fake server listens");
    let base = format!("http://{addr}");
    cell.set(base.clone()).unwrap();
    base
}

/// Signs in to a fake server and returns the error.
async fn sign_in_to_fake(tag: &str, prm: Doc, as_metadata: Doc) -> OAuthError {
    let fixture = OAuthFixture::start(&[]).await.unwrap();
    let base = fake_server(prm, as_metadata).await;
    let setup = Setup::with_url(tag, fixture, Some(format!("{base}/mcp")), oauth()).await;
    oauth_error(
        setup.sign_in_with(ScriptedBrowser::default()).await.expect_err("the fake server cannot work"),
    )
}

#[tokio::test]
async fn bad_metadata_is_refused_with_a_reason() {
    let err = sign_in_to_fake("badprm", |_| json!({"hello": "world"}), |_| json!({})).await;
    assert!(matches!(err, OAuthError::BadAnswer { .. }), "not a metadata document: {err:?}");
    assert!(err.to_string().contains("protected resource metadata"), "names the document: {err}");

    let other = |_: &str| json!({"resource": "https://elsewhere.example/mcp", "authorization_servers": []});
    let err = sign_in_to_fake("otherres", other, |_| json!({})).await;
    assert!(matches!(err, OAuthError::ResourceMismatch { .. }), "metadata of another server: {err:?}");
    assert!(err.to_string().contains("elsewhere.example"), "names what it found: {err}");

    let itself = |base: &str| json!({"resource": format!("{base}/mcp"), "authorization_servers": [base]});
    let plain_only = |base: &str| {
        json!({
            "issuer": base, "authorization_endpoint": format!("{base}/auth"),
            "token_endpoint": format!("{base}/token"), "code_challenge_methods_supported": ["plain"],
        })
    };
    let err = sign_in_to_fake("nopkce", itself, plain_only).await;
    assert!(matches!(err, OAuthError::NoPkce { .. }), "an AS without S256: {err:?}");
    assert!(err.to_string().contains("S256"), "says why: {err}");

    let wrong_issuer = |_: &str| {
        json!({
            "issuer": "https://evil.example", "authorization_endpoint": "https://evil.example/auth",
            "token_endpoint": "https://evil.example/token", "code_challenge_methods_supported": ["S256"],
        })
    };
    let err = sign_in_to_fake("wrongissuer", itself, wrong_issuer).await;
    assert!(matches!(err, OAuthError::IssuerMismatch { .. }), "metadata for another issuer: {err:?}");

    let insecure = |base: &str| {
        json!({
            "issuer": base, "authorization_endpoint": "http://auth.example.com/auth",
            "token_endpoint": format!("{base}/token"), "code_challenge_methods_supported": ["S256"],
        })
    };
    let err = sign_in_to_fake("insecure", itself, insecure).await;
    assert!(matches!(err, OAuthError::InsecureEndpoint { .. }), "plain http off loopback: {err:?}");
}

#[tokio::test]
async fn an_authorization_server_that_is_down_is_named() {
    let dead = |base: &str| {
        // The fake's own port + 0 is alive; point at a port that was free a moment ago instead.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let dead = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        json!({"resource": format!("{base}/mcp"), "authorization_servers": [dead]})
    };
    let err = sign_in_to_fake("asdown", dead, |_| json!({})).await;
    assert!(matches!(err, OAuthError::Unreachable { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("could not reach http://127.0.0.1:"), "names the server: {text}");
    assert!(text.contains("authorization server metadata"), "and the step: {text}");
}

// ------------------------------------------------------------------------------------------------
// The real CLI, with `$BROWSER` pointing at a curl script
// ------------------------------------------------------------------------------------------------

/// A home whose `lanyard connect` signs in through the scripted browser, every run logging at
/// debug level so that the tests can check that no token reaches a log.
pub(crate) fn cli_home() -> Home {
    Home::with_browser(browser_script()).logging("debug")
}

#[tokio::test]
async fn cli_connect_call_status_disconnect_and_no_token_leaks() {
    let fixture = OAuthFixture::start(&[]).await.unwrap();
    let home = cli_home();
    let id = unique_id("cli");
    let _cleanup =
        Cleanup(vec![format!("source:{id}/oauth/tokens"), format!("issuer:{}/registration", fixture.issuer)]);
    let id_text = id.to_string();
    let mut transcript = String::new();
    let mut step = |args: &[&str], want: i32| -> (String, String) {
        let Run { code, stdout, stderr } = home.run(args);
        transcript.push_str(&stdout);
        transcript.push_str(&stderr);
        assert_eq!(code, want, "`lanyard {}`\nstdout: {stdout}\nstderr: {stderr}", args.join(" "));
        (stdout, stderr)
    };

    step(&["profile", "add", &id_text, "--url", &fixture.mcp, "--auth", "oauth"], 0);
    let (_, stderr) = step(&["call", &id_text, "whoami"], 4);
    assert!(stderr.contains(&format!("lanyard connect {id}")), "says which command fixes it: {stderr}");

    let (stdout, stderr) = step(&["connect", &id_text], 0);
    assert!(stdout.contains("is connected"), "connect reports success: {stdout}");
    assert!(stderr.contains("http://127.0.0.1"), "the sign-in URL is printed too: {stderr}");

    let (stdout, _) = step(&["call", &id_text, "whoami"], 0);
    assert!(stdout.contains("\"sub\":\"alice\""), "the call ran as the signed-in user: {stdout}");

    let (stdout, _) = step(&["status", &id_text, "--json"], 0);
    let status: Value = serde_json::from_str(&stdout).expect("status --json is JSON");
    let row = &status["sources"][0];
    assert_eq!(row["state"], "connected", "status: {row}");
    assert_eq!(row["tokens"]["issuer"], fixture.issuer, "status shows the issuer: {row}");
    assert!(row["tokens"]["access_expires_at"].is_u64(), "and the expiry: {row}");
    let (stdout, _) = step(&["status", &id_text], 0);
    assert!(stdout.contains("access token expires in"), "text status shows the expiry: {stdout}");

    let tokens =
        StoredTokens::load(&home.vault(), &id).await.unwrap().expect("the CLI stored tokens in the keychain");
    let planted =
        [tokens.access_token.expose().to_owned(), tokens.refresh_token.as_ref().unwrap().expose().to_owned()];

    let (stdout, _) = step(&["disconnect", &id_text], 0);
    assert!(stdout.contains("revoked"), "disconnect revokes: {stdout}");
    let (_, stderr) = step(&["call", &id_text, "whoami"], 4);
    assert!(stderr.contains("needs sign-in"), "after disconnect the source needs sign-in: {stderr}");

    for secret in &planted {
        assert!(!transcript.contains(secret.as_str()), "a token appeared in CLI output or debug logs");
        for file in home.files() {
            let text =
                std::fs::read(&file).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
            assert!(!text.contains(secret.as_str()), "a token was written to {}", file.display());
        }
    }
}

/// The app's *Cancel*: a sign-in that waits for the person stops when cancelled, stores nothing
/// and takes its pending record back; with none waiting, there is nothing to cancel.
#[tokio::test]
async fn a_waiting_sign_in_stops_when_cancelled_and_keeps_nothing() {
    let setup = Setup::new("cancel", &[], oauth()).await;
    let record = setup.engine.dirs().sign_ins().join(format!("{}.json", setup.id));
    let shown = Arc::new(tokio::sync::Notify::new());
    let tell = Arc::clone(&shown);
    let options = SignInOptions {
        // Opens nothing: the flow waits for the person.
        browser: Browser::None,
        paste_back: None,
        timeout: Duration::from_secs(120),
        show_url: Some(Arc::new(move |_| tell.notify_one())),
    };
    assert!(!setup.engine.cancel_sign_in(&setup.id), "no sign-in runs yet");
    let cancel = async {
        shown.notified().await;
        assert!(record.is_file(), "the waiting sign-in is recorded for `lanyard status`");
        assert!(setup.engine.cancel_sign_in(&setup.id), "the waiting sign-in is cancelled");
    };
    let (outcome, ()) = tokio::time::timeout(Duration::from_secs(60), async {
        tokio::join!(setup.engine.sign_in_cancellable(&setup.id, options), cancel)
    })
    .await
    .expect("the cancel ends the sign-in at once, not at its timeout");
    assert!(matches!(outcome, Ok(None)), "a cancelled sign-in is no failure: {outcome:?}");
    assert!(setup.tokens().await.is_none(), "nothing is stored");
    assert!(!record.exists(), "the pending record goes with the flow");
    assert!(!setup.engine.cancel_sign_in(&setup.id), "an ended sign-in cannot be cancelled");
}
