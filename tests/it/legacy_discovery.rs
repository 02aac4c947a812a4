//! Discovery for MCP servers of the 2025-03-26 revision, which publish no protected resource
//! metadata: the MCP server's origin is the authorization server, its RFC 8414 metadata is read
//! at the origin (its issuer must be on that origin), else the revision's default endpoints are
//! used.
//! Issue 15: "Servers of the 2025-03-26 revision".

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{any, get};
use lanyard::oauth::OAuthError;
use lanyard::oauth::discovery::{Discovery, discover};
use serde_json::{Value, json};
use url::Url;

use crate::support::serve;

/// A 2025-03-26 server on `base`: `/mcp` answers 401 with a bare `Bearer` challenge, there is no
/// protected resource metadata anywhere, and `as_metadata(base)`, when given, is served at the
/// root RFC 8414 URL. Returns the MCP URL.
async fn legacy_server(as_metadata: Option<fn(&str) -> Value>) -> Url {
    let cell = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let for_as = cell.clone();
    let mut app = Router::new().route(
        "/mcp",
        any(|| async {
            let mut headers = HeaderMap::new();
            headers.insert("www-authenticate", "Bearer".parse().unwrap());
            (StatusCode::UNAUTHORIZED, headers).into_response()
        }),
    );
    if let Some(metadata) = as_metadata {
        app = app.route(
            "/.well-known/oauth-authorization-server",
            get(move || {
                let base = for_as.clone();
                async move { axum::Json(metadata(base.get().unwrap())) }
            }),
        );
    }
    let addr = serve(app).await.expect("the legacy server listens");
    let base = format!("http://{addr}");
    cell.set(base.clone()).unwrap();
    Url::parse(&format!("{base}/mcp")).unwrap()
}

async fn discover_at(mcp: &Url) -> Result<Discovery, OAuthError> {
    let http = lanyard::oauth::http_client().expect("an HTTP client");
    discover(&http, &"legacy".parse().unwrap(), mcp).await
}

fn origin(mcp: &Url) -> String {
    mcp.origin().ascii_serialization()
}

#[tokio::test]
async fn metadata_at_the_origin_is_used_without_resource_metadata() {
    let mcp = legacy_server(Some(|base| {
        json!({
            "issuer": base,
            "authorization_endpoint": format!("{base}/oauth/authorize"),
            "token_endpoint": format!("{base}/oauth/token"),
            "registration_endpoint": format!("{base}/oauth/register"),
            "code_challenge_methods_supported": ["S256"],
        })
    }))
    .await;
    let found = discover_at(&mcp).await.expect("the origin's metadata is found");
    assert!(found.resource_metadata.is_none(), "there was no protected resource metadata");
    assert_eq!(found.server.issuer, origin(&mcp), "the origin is the issuer");
    assert_eq!(
        found.server.token_endpoint.as_str(),
        format!("{}/oauth/token", origin(&mcp)),
        "the metadata's endpoints win over the default ones"
    );
    assert_eq!(found.resource, mcp.as_str(), "the MCP URL is still the RFC 8707 resource");
}

#[tokio::test]
async fn without_any_metadata_the_default_endpoints_are_used() {
    let mcp = legacy_server(None).await;
    let found = discover_at(&mcp).await.expect("the default endpoints");
    let base = origin(&mcp);
    assert_eq!(found.server.issuer, base, "the origin is the issuer");
    assert_eq!(
        found.server.authorization_endpoint.as_ref().map(Url::to_string),
        Some(format!("{base}/authorize")),
        "the default authorization endpoint"
    );
    assert_eq!(found.server.token_endpoint.as_str(), format!("{base}/token"), "the default token endpoint");
    assert_eq!(
        found.server.registration_endpoint.as_ref().map(Url::to_string),
        Some(format!("{base}/register")),
        "the default registration endpoint"
    );
    assert!(found.server.supports_s256(), "S256 is assumed, since the revision requires PKCE");
}

/// The conformance suite's `auth/2025-03-26-oauth-metadata-backcompat` server: its metadata at
/// the origin's well-known URL names an issuer under a path of that origin. The 2025-03-26
/// revision names the authorization server by its origin only, so that issuer is the server's
/// own, and it is the one the tokens are bound to.
#[tokio::test]
async fn the_fallback_takes_an_issuer_under_the_origin() {
    let mcp = legacy_server(Some(|base| {
        json!({
            "issuer": format!("{base}/oauth"),
            "authorization_endpoint": format!("{base}/oauth/authorize"),
            "token_endpoint": format!("{base}/oauth/token"),
            "code_challenge_methods_supported": ["S256"],
        })
    }))
    .await;
    let found = discover_at(&mcp).await.expect("an issuer on the MCP server's own origin");
    assert_eq!(found.server.issuer, format!("{}/oauth", origin(&mcp)), "the issuer as the metadata names it");
}

#[tokio::test]
async fn the_fallback_refuses_an_issuer_on_another_origin() {
    let mcp = legacy_server(Some(|_base| {
        json!({
            "issuer": "http://127.0.0.1:9/oauth",
            "authorization_endpoint": "http://127.0.0.1:9/oauth/authorize",
            "token_endpoint": "http://127.0.0.1:9/oauth/token",
            "code_challenge_methods_supported": ["S256"],
        })
    }))
    .await;
    let err = discover_at(&mcp).await.expect_err("metadata at the origin for another origin's issuer");
    assert!(
        matches!(&err, OAuthError::IssuerMismatch { expected, .. } if *expected == origin(&mcp)),
        "metadata at the origin's well-known URL must name an issuer on that origin: {err:?}"
    );
}
