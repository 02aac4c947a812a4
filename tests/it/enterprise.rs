//! Issue 22, enterprise-managed authorization, through the real `lanyard` binary: the identity
//! provider is the OAuth fixture's oidc-provider (a real OpenID Connect sign-in, driven by the
//! `$BROWSER` script), with the token exchange it lacks added by `tests/node/enterprise-fixture.mjs`,
//! which also runs two MCP sites (an authorization server that takes only identity assertion
//! grants, in front of a `lanyard-test-server` each). One sign-in at the identity provider gives
//! both sources tokens with no further browser; a source whose tokens are gone gets new ones from
//! the session; signing out of the identity provider makes both need sign-in again. Nothing
//! Lanyard prints or writes holds the ID token, the identity provider's refresh token, an ID-JAG
//! or an access token.

use serde_json::Value;

use crate::oauth::{Cleanup, cli_home, unique_id};
use crate::support::enterprise_fixture::{EnterpriseFixture, identity_session_secrets};
use crate::support::home::{Home, Run};
use crate::support::oauth_fixture::OAuthFixture;
use crate::support::start_test_server_http;

/// Runs lanyard, records what it printed, and checks the exit code.
fn step(home: &Home, transcript: &mut String, args: &[&str], env: &[(&str, &str)], want: i32) -> String {
    let mut command = home.command(args);
    command.envs(env.iter().copied());
    let Run { code, stdout, stderr } = Run::from(command.output().expect("lanyard runs"));
    transcript.push_str(&stdout);
    transcript.push_str(&stderr);
    assert_eq!(code, want, "`lanyard {}`\nstdout: {stdout}\nstderr: {stderr}", args.join(" "));
    stdout
}

fn status_of(home: &Home, transcript: &mut String, id: &str) -> Value {
    let stdout = step(home, transcript, &["status", id, "--json"], &[], 0);
    let status: Value = serde_json::from_str(&stdout).expect("status --json is JSON");
    status["sources"][0].clone()
}

#[tokio::test]
async fn issue_22_one_identity_sign_in_serves_two_servers_until_sign_out() {
    let idp = OAuthFixture::start(&[]).await.expect("the identity provider starts");
    let (_server_a, upstream_a) = start_test_server_http().await.expect("MCP server a starts");
    let (_server_b, upstream_b) = start_test_server_http().await.expect("MCP server b starts");
    let fixture =
        EnterpriseFixture::start(&idp.issuer, &[&upstream_a, &upstream_b]).await.expect("the fixture starts");
    let home = cli_home();
    let (a, b) = (unique_id("ent-a").to_string(), unique_id("ent-b").to_string());
    let idp_client = fixture.text("/idp_client_id");
    let _cleanup = Cleanup(vec![
        format!("source:{a}/oauth/tokens"),
        format!("source:{b}/oauth/tokens"),
        format!("source:{a}/oauth/client-secret"),
        format!("source:{b}/oauth/client-secret"),
        format!("idp:{}#{idp_client}", idp.issuer),
    ]);
    let mut transcript = String::new();
    let secret = fixture.text("/client_secret");
    for (id, site) in [(&a, 0), (&b, 1)] {
        let mcp = fixture.text(&format!("/sites/{site}/mcp"));
        let (token_endpoint, client_id) = (fixture.text("/token_endpoint"), fixture.text("/client_id"));
        let add = [
            "profile",
            "add",
            id,
            "--url",
            &mcp,
            "--auth",
            "enterprise",
            "--idp-issuer",
            &idp.issuer,
            "--idp-client-id",
            &idp_client,
            "--idp-token-endpoint",
            &token_endpoint,
            "--client-id",
            &client_id,
            "--client-secret-env",
            "ENTERPRISE_SECRET",
        ];
        step(&home, &mut transcript, &add, &[("ENTERPRISE_SECRET", &secret)], 0);
    }
    // Flags that do not fit are refused, naming what is missing or where they belong.
    let url = fixture.text("/sites/0/mcp");
    let without_idp =
        ["profile", "add", "ent-bad", "--url", &url, "--auth", "enterprise", "--idp-client-id", "x"];
    step(&home, &mut transcript, &without_idp, &[], 2);
    assert!(transcript.contains("needs --idp-issuer"), "{transcript}");
    let wrong_kind =
        ["profile", "add", "ent-bad", "--url", &url, "--auth", "oauth", "--idp-issuer", &idp.issuer];
    step(&home, &mut transcript, &wrong_kind, &[], 2);
    assert!(transcript.contains("apply to --auth enterprise"), "{transcript}");

    let row = status_of(&home, &mut transcript, &a);
    assert_eq!(row["state"], "needs_sign_in", "before any sign-in: {row}");
    assert_eq!(row["identity"]["signed_in"], false, "no identity session yet: {row}");

    // One sign-in at the identity provider.
    let stdout = step(&home, &mut transcript, &["connect", &a], &[], 0);
    assert!(stdout.contains("is connected"), "{stdout}");
    assert_eq!(idp.count("/authorization_requests").await.unwrap(), 1, "one sign-in in the browser");

    // The other source gets its tokens from the same session, with no browser and no connect.
    let row = status_of(&home, &mut transcript, &b);
    assert_eq!(row["state"], "ready", "b needs no sign-in of its own: {row}");
    let stdout =
        step(&home, &mut transcript, &["call", &b, "echo", "--args", r#"{"message":"from b"}"#], &[], 0);
    assert!(stdout.contains("from b"), "b's server answered: {stdout}");
    let stdout =
        step(&home, &mut transcript, &["call", &a, "echo", "--args", r#"{"message":"from a"}"#], &[], 0);
    assert!(stdout.contains("from a"), "a's server answered: {stdout}");
    assert_eq!(idp.count("/authorization_requests").await.unwrap(), 1, "still one sign-in for two servers");
    assert_eq!(fixture.count("/exchanges").await, 2, "one identity assertion grant per server");
    assert_eq!(fixture.count("/grants").await, 2, "each presented once at its server");
    for site in [0, 1] {
        assert!(
            fixture.count(&format!("/sites/{site}/declared_extension")).await >= 1,
            "the handshake declares the extension to site {site}"
        );
    }
    let row = status_of(&home, &mut transcript, &b);
    assert_eq!(row["state"], "connected", "{row}");
    assert_eq!(row["tokens"]["grant"], "identity_assertion", "status names the grant: {row}");
    assert_eq!(row["identity"]["signed_in"], true, "status shows the shared session: {row}");
    assert_eq!(row["identity"]["has_refresh_token"], true, "renewable without the browser: {row}");
    assert_eq!(row["identity"]["issuer"], idp.issuer.as_str(), "{row}");

    // A source whose tokens are gone gets new ones from the session, still without the browser.
    step(&home, &mut transcript, &["disconnect", &b], &[], 0);
    let stdout = step(&home, &mut transcript, &["tools", &b], &[], 0);
    assert!(stdout.contains("echo"), "{stdout}");
    assert_eq!(fixture.count("/exchanges").await, 3, "a new grant from the stored ID token");
    assert_eq!(idp.count("/authorization_requests").await.unwrap(), 1, "and no browser");

    // What must never be printed or written: the session, the grants, the access tokens.
    let mut planted: Vec<(String, String)> = Vec::new();
    let vault = home.vault();
    for id in [&a, &b] {
        let tokens = lanyard::oauth::StoredTokens::load(&vault, &id.parse().unwrap()).await.unwrap();
        let tokens = tokens.expect("tokens are in the keychain");
        planted.push((format!("{id}'s access token"), tokens.access_token.expose().to_owned()));
    }
    planted.extend(identity_session_secrets(&vault, &idp.issuer, &idp_client).await);
    planted.extend(fixture.issued_grants().await);
    assert_eq!(planted.len(), 2 + 2 + 3, "every secret was found where it belongs");

    // Signing out of the identity provider ends it for both.
    let stdout = step(&home, &mut transcript, &["disconnect", "--idp", &idp.issuer], &[], 0);
    assert!(stdout.contains("ended its identity session"), "{stdout}");
    assert!(stdout.contains(&a) && stdout.contains(&b), "both sources are named: {stdout}");
    assert_eq!(idp.count("/revocations").await.unwrap(), 1, "the session's refresh token was revoked");
    for id in [&a, &b] {
        let row = status_of(&home, &mut transcript, id);
        assert_eq!(row["state"], "needs_sign_in", "{id} after the sign-out: {row}");
        let stderr_and_out = step(&home, &mut transcript, &["tools", id], &[], 4);
        let _ = stderr_and_out;
    }
    assert!(transcript.contains(&format!("lanyard connect {a}")), "the way back is named");

    let files = home.files();
    assert!(!files.is_empty(), "the home holds files to search");
    for (what, value) in &planted {
        assert!(!transcript.contains(value.as_str()), "{what} was printed");
        for file in &files {
            let text = String::from_utf8_lossy(&std::fs::read(file).unwrap_or_default()).into_owned();
            assert!(!text.contains(value.as_str()), "{what} is in {}", file.display());
        }
    }
}
