//! Sign-in against hostile servers: a small axum server on 127.0.0.1:0 plays the MCP server, its
//! authorization server and its token endpoint, and bends one answer per test (an authorization
//! endpoint that is `file:`, `javascript:` or a shell command, another issuer, a redirect to
//! another host, a huge or endless body, a token answer without a token). Each sign-in must fail
//! with a message naming the server and the reason, leave nothing in the keychain, and open no
//! browser before the authorization server has passed every check.
//! Issue 6: "Proof under pressure: faults, hostile input, load and leaks".

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use lanyard::Engine;
use lanyard::ids::SourceId;
use lanyard::oauth::{Browser, OAuthError, SignInOptions, StoredTokens, UserAgent};
use lanyard::paths::Dirs;
use lanyard::profile::{Auth, OAuthSettings, Profile, Transport};
use serde_json::{Value, json};
use url::Url;

use crate::oauth::{Cleanup, unique_id, vault};

/// One answer of the hostile server.
#[derive(Clone)]
enum Reply {
    Json(Value),
    /// `302 Found` to this location.
    Redirect(String),
    /// 2 MiB of JSON-looking bytes with a `Content-Length`.
    Huge,
    /// A body that never ends (chunked, no length).
    Endless,
}

impl Reply {
    fn respond(self) -> Response {
        match self {
            Self::Json(value) => axum::Json(value).into_response(),
            Self::Redirect(to) => (StatusCode::FOUND, [(header::LOCATION, to)]).into_response(),
            Self::Huge => {
                let mut body = vec![b' '; 2 * 1024 * 1024];
                body[0] = b'{';
                (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body).into_response()
            }
            Self::Endless => {
                let chunk = Bytes::from(vec![b' '; 64 * 1024]);
                let stream = futures::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
                (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], Body::from_stream(stream))
                    .into_response()
            }
        }
    }
}

/// A test case: its tag, the bent answer, and the words its refusal must contain.
type Case = (&'static str, fn(&str) -> Reply, &'static [&'static str]);

/// What the server answers, each built from its base URL. The defaults are a well-behaved
/// server with a pre-registered public client, so that only the bent answer can fail.
struct Answers {
    resource_metadata: fn(&str) -> Reply,
    server_metadata: fn(&str) -> Reply,
    token: fn(&str) -> Reply,
}

impl Default for Answers {
    fn default() -> Self {
        Self {
            resource_metadata: |base| {
                Reply::Json(json!({"resource": format!("{base}/mcp"), "authorization_servers": [base]}))
            },
            server_metadata: |base| Reply::Json(server_metadata(base, &format!("{base}/authorize"))),
            token: |_| Reply::Json(json!({"access_token": "planted-access", "token_type": "Bearer"})),
        }
    }
}

fn server_metadata(issuer: &str, authorization_endpoint: &str) -> Value {
    json!({
        "issuer": issuer,
        "authorization_endpoint": authorization_endpoint,
        "token_endpoint": format!("{issuer}/token"),
        "code_challenge_methods_supported": ["S256"],
    })
}

/// Starts the hostile server and returns its base URL (`http://127.0.0.1:<port>`).
async fn hostile_server(answers: Answers) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
    let base = format!("http://{}", listener.local_addr().expect("a local address"));
    let challenge = format!("Bearer resource_metadata=\"{base}/.well-known/oauth-protected-resource/mcp\"");
    let (prm, asm, token) =
        ((answers.resource_metadata)(&base), (answers.server_metadata)(&base), (answers.token)(&base));
    let app = Router::new()
        .route(
            "/mcp",
            any(move || {
                let mut headers = HeaderMap::new();
                headers.insert(header::WWW_AUTHENTICATE, challenge.parse().expect("a header value"));
                async move { (StatusCode::UNAUTHORIZED, headers) }
            }),
        )
        .route("/.well-known/oauth-protected-resource/mcp", get(move || async move { prm.respond() }))
        .route("/.well-known/oauth-authorization-server", get(move || async move { asm.respond() }))
        .route("/token", post(move || async move { token.respond() }));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

/// A user agent that records every URL it is asked to open and, like a person who consents,
/// sends the loopback redirect a code with the request's own `state`.
#[derive(Default)]
struct RecordingAgent {
    opened: Mutex<Vec<Url>>,
}

impl UserAgent for RecordingAgent {
    fn open(&self, url: &Url) -> std::io::Result<()> {
        self.opened.lock().expect("not poisoned").push(url.clone());
        let query: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
        let (Some(redirect), Some(state)) = (query.get("redirect_uri"), query.get("state")) else {
            return Ok(());
        };
        let mut callback = Url::parse(redirect).map_err(std::io::Error::other)?;
        callback.query_pairs_mut().append_pair("code", "planted-code").append_pair("state", state);
        tokio::spawn(async move {
            let _ = reqwest::get(callback.as_str()).await;
        });
        Ok(())
    }
}

/// What one sign-in to a hostile server left behind.
struct Outcome {
    err: OAuthError,
    base: String,
    opened: Vec<Url>,
    tokens_stored: bool,
    keychain_entry: bool,
}

/// Signs in to a fresh hostile server with these answers.
async fn sign_in(tag: &str, answers: Answers) -> Outcome {
    let base = hostile_server(answers).await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let engine = Engine::new(Dirs::new(dir.path(), dir.path().join("data")), vault());
    let id: SourceId = unique_id(tag);
    let account = format!("source:{id}/oauth/tokens");
    let _cleanup = Cleanup(vec![account.clone(), format!("issuer:{base}/registration")]);
    let mut profile =
        Profile::new(id.clone(), Transport::Http { url: format!("{base}/mcp"), headers: Default::default() });
    profile.auth =
        Auth::OAuth(OAuthSettings { client_id: Some("lanyard-test".into()), ..OAuthSettings::default() });
    engine.add_profile(profile, Vec::new()).await.expect("the profile is saved");

    let agent = Arc::new(RecordingAgent::default());
    let options = SignInOptions {
        browser: Browser::Custom(agent.clone()),
        paste_back: None,
        timeout: Duration::from_secs(30),
        show_url: None,
    };
    let err = match engine.sign_in(&id, options).await {
        Ok(_) => panic!("{tag}: the sign-in to a hostile server succeeded"),
        Err(lanyard::Error::OAuth(err)) => err,
        Err(other) => panic!("{tag}: expected an OAuth error, got {other:?}"),
    };
    let tokens_stored = StoredTokens::load(engine.vault(), &id).await.expect("the vault answers").is_some();
    let lookup = Command::new("secret-tool")
        .args(["lookup", "service", "lanyard", "username", &account])
        .output()
        .expect("secret-tool runs");
    let keychain_entry = lookup.status.success() || !lookup.stdout.is_empty();
    let opened = agent.opened.lock().expect("not poisoned").clone();
    Outcome { err, base, opened, tokens_stored, keychain_entry }
}

impl Outcome {
    /// Nothing stored, no browser, and a message with the server's origin and each of `words`.
    fn refused_before_the_browser(&self, tag: &str, words: &[&str]) {
        self.refused(tag, words);
        assert!(self.opened.is_empty(), "{tag}: a browser was opened: {:?}", self.opened);
    }

    fn refused(&self, tag: &str, words: &[&str]) {
        let text = self.err.to_string();
        assert!(!self.tokens_stored, "{tag}: tokens were stored after: {text}");
        assert!(!self.keychain_entry, "{tag}: the keychain holds a token entry after: {text}");
        assert!(text.contains(&self.base), "{tag}: the message should name {}: {text}", self.base);
        for word in words {
            assert!(text.contains(word), "{tag}: the message should say {word:?}: {text}");
        }
        assert!(!text.contains("planted"), "{tag}: the message quotes a secret: {text}");
    }
}

#[tokio::test]
async fn an_authorization_endpoint_that_is_not_a_web_address_is_refused() {
    let cases: [Case; 3] = [
        (
            "file",
            |base| Reply::Json(server_metadata(base, "file:///etc/passwd")),
            &["authorization_endpoint `file:`", "neither https nor a loopback"],
        ),
        (
            "javascript",
            |base| Reply::Json(server_metadata(base, "javascript:alert(document.cookie)")),
            &["authorization_endpoint `javascript:`", "neither https nor a loopback"],
        ),
        (
            "shell",
            |base| Reply::Json(server_metadata(base, "open -a Calculator; $(touch /tmp/lanyard-pwned)")),
            &["authorization server metadata", "`authorization_endpoint` is not a valid URL"],
        ),
    ];
    for (tag, server_metadata, words) in cases {
        let outcome = sign_in(tag, Answers { server_metadata, ..Answers::default() }).await;
        outcome.refused_before_the_browser(tag, words);
        if tag != "shell" {
            assert!(
                matches!(outcome.err, OAuthError::InsecureEndpoint { what: "authorization_endpoint", .. }),
                "{tag}: refused as an unsafe endpoint: {:?}",
                outcome.err
            );
        }
    }
    assert!(!std::path::Path::new("/tmp/lanyard-pwned").exists(), "the shell-looking endpoint ran");
}

#[tokio::test]
async fn metadata_for_another_issuer_is_refused_before_the_browser() {
    // `oauth::bad_metadata_is_refused_with_a_reason` checks the error; this checks what is left.
    let evil = |_: &str| Reply::Json(server_metadata("https://evil.example", "https://evil.example/auth"));
    let outcome = sign_in("issuer", Answers { server_metadata: evil, ..Answers::default() }).await;
    outcome.refused_before_the_browser("issuer", &["issuer `https://evil.example`", "refusing it"]);
    assert!(matches!(outcome.err, OAuthError::IssuerMismatch { .. }), "{:?}", outcome.err);
}

#[tokio::test]
async fn a_redirect_to_another_host_during_discovery_is_refused() {
    let away = |_: &str| Reply::Redirect("https://evil.example/.well-known/oauth-protected-resource".into());
    let outcome = sign_in("redirectprm", Answers { resource_metadata: away, ..Answers::default() }).await;
    outcome.refused_before_the_browser(
        "redirectprm",
        &["protected resource metadata", "redirect (HTTP 302) to https://evil.example", "does not follow"],
    );
    assert!(matches!(outcome.err, OAuthError::Redirected { .. }), "{:?}", outcome.err);

    let away =
        |_: &str| Reply::Redirect("https://evil.example/.well-known/oauth-authorization-server".into());
    let outcome = sign_in("redirectas", Answers { server_metadata: away, ..Answers::default() }).await;
    outcome.refused_before_the_browser(
        "redirectas",
        &["authorization server metadata", "redirect (HTTP 302) to https://evil.example"],
    );
}

#[tokio::test]
async fn huge_and_endless_metadata_is_cut_off() {
    let cases: [(&str, Answers, &str); 4] = [
        (
            "hugeprm",
            Answers { resource_metadata: |_| Reply::Huge, ..Answers::default() },
            "protected resource",
        ),
        (
            "endlessprm",
            Answers { resource_metadata: |_| Reply::Endless, ..Answers::default() },
            "protected resource",
        ),
        (
            "hugeas",
            Answers { server_metadata: |_| Reply::Huge, ..Answers::default() },
            "authorization server",
        ),
        (
            "endlessas",
            Answers { server_metadata: |_| Reply::Endless, ..Answers::default() },
            "authorization server",
        ),
    ];
    for (tag, answers, step) in cases {
        let outcome = sign_in(tag, answers).await;
        outcome.refused_before_the_browser(tag, &[step, "larger than 1 MiB"]);
    }
}

#[tokio::test]
async fn a_hostile_token_endpoint_stores_nothing() {
    // The authorization server is fine up to the code exchange, so the browser opens once; the
    // token endpoint's answer is what must be refused.
    let cases: [Case; 5] = [
        ("hugetoken", |_| Reply::Huge, &["authorization code exchange", "larger than 1 MiB"]),
        ("endlesstoken", |_| Reply::Endless, &["authorization code exchange", "larger than 1 MiB"]),
        (
            "notoken",
            |_| Reply::Json(json!({"token_type": "Bearer", "refresh_token": "planted-refresh"})),
            &["authorization code exchange", "`access_token` is missing"],
        ),
        (
            "emptytoken",
            |_| Reply::Json(json!({"access_token": "", "token_type": "Bearer"})),
            &["`access_token` is missing"],
        ),
        (
            "wrongtype",
            |_| Reply::Json(json!({"access_token": ["planted-in-a-list"], "token_type": "Bearer"})),
            &["a field has the wrong type or is missing"],
        ),
    ];
    for (tag, token, words) in cases {
        let outcome = sign_in(tag, Answers { token, ..Answers::default() }).await;
        outcome.refused(tag, words);
        assert_eq!(outcome.opened.len(), 1, "{tag}: the browser opens once, for the sign-in itself");
        assert!(matches!(outcome.err, OAuthError::BadAnswer { .. }), "{tag}: {:?}", outcome.err);
    }
}
