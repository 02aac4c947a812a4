//! Service accounts that prove themselves with a private key instead of a secret
//! (`private_key_jwt`, RFC 7523 client authentication, MCP SEP-1046), through the real CLI,
//! against oidc-provider in `tests/node/oauth-fixture.mjs`, which knows only the client's public
//! key and verifies every assertion.
//! Issue 15: "Client credentials with private_key_jwt".

use std::process::Command;

use serde_json::Value;

use crate::oauth::{Cleanup, cli_home, unique_id};
use crate::support::home::Run;
use crate::support::oauth_fixture::OAuthFixture;

/// The token log's client-credentials requests, oldest first.
async fn cc_requests(fixture: &OAuthFixture) -> Vec<Value> {
    let stats = fixture.stats().await.expect("fixture stats");
    stats["token_log"]
        .as_array()
        .expect("a token log")
        .iter()
        .filter(|entry| entry["grant_type"] == "client_credentials")
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_service_account_signs_its_token_requests_with_its_key_and_keeps_it_in_the_keychain() {
    let fixture = OAuthFixture::start(&[]).await.unwrap();
    let home = cli_home();
    let id = unique_id("jwt");
    let id_text = id.to_string();
    let _cleanup =
        Cleanup(vec![format!("source:{id}/oauth/tokens"), format!("source:{id}/oauth/client-key")]);
    // The key files live outside the home, whose every file is searched for the key below.
    let keys = tempfile::tempdir().expect("a temp dir");
    let key_file = keys.path().join("service.pem");
    std::fs::write(&key_file, &fixture.cc_jwt_private_key).expect("write the key file");
    let key_path = key_file.display().to_string();

    let mut transcript = String::new();
    let mut step = |args: &[&str], want: i32| -> (String, String) {
        let Run { code, stdout, stderr } = home.run(args);
        transcript.push_str(&stdout);
        transcript.push_str(&stderr);
        assert_eq!(code, want, "`lanyard {}`\nstdout: {stdout}\nstderr: {stderr}", args.join(" "));
        (stdout, stderr)
    };

    step(
        &[
            "profile",
            "add",
            &id_text,
            "--url",
            &fixture.mcp,
            "--auth",
            "client-credentials",
            "--client-id",
            &fixture.cc_jwt_client_id,
            "--client-key-file",
            &key_path,
        ],
        0,
    );
    let (stdout, _) = step(&["connect", &id_text], 0);
    assert!(stdout.contains("is connected"), "the service account connects: {stdout}");
    let (stdout, _) = step(&["call", &id_text, "whoami"], 0);
    assert!(
        stdout.contains(&format!("\"client_id\":\"{}\"", fixture.cc_jwt_client_id)),
        "the token was issued to the key's client, which has no secret: {stdout}"
    );

    let requests = cc_requests(&fixture).await;
    let first = requests.first().expect("a client-credentials token request");
    let auth = &first["client_auth"];
    assert_eq!(auth["method"], "jwt", "the token request carried a signed assertion: {first}");
    assert_eq!(
        auth["assertion_type"], "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "RFC 7523 2.2 assertion type: {first}"
    );
    assert_eq!(auth["alg"], "RS256", "an RSA key signs RS256 unless told otherwise: {first}");
    assert_eq!(auth["iss"], fixture.cc_jwt_client_id, "iss is the client id: {first}");
    assert_eq!(auth["sub"], fixture.cc_jwt_client_id, "sub is the client id: {first}");
    assert_eq!(auth["aud"], fixture.issuer, "aud is the authorization server's issuer: {first}");
    assert!(
        auth["lifetime"].as_u64().is_some_and(|secs| secs <= 60),
        "the assertion is short-lived: {first}"
    );
    assert_eq!(first["status"], 200, "oidc-provider verified the signature and issued a token: {first}");

    // Revocation authenticates the same way; the next token request signs a new assertion (a
    // replayed one would be refused).
    let (stdout, _) = step(&["disconnect", &id_text], 0);
    assert!(stdout.contains("revoked"), "the server revoked the token for the key's client: {stdout}");
    step(&["connect", &id_text], 0);
    let requests = cc_requests(&fixture).await;
    let [.., before, last] = requests.as_slice() else { panic!("two token requests: {requests:?}") };
    assert_eq!(last["status"], 200, "the second request worked too: {last}");
    assert_ne!(before["client_auth"]["jti"], last["client_auth"]["jti"], "each assertion has its own jti");

    // The profile names the keychain entry and the algorithm, never the key or its file.
    let (stdout, _) = step(&["profile", "show", &id_text, "--json"], 0);
    let shown: Value = serde_json::from_str(&stdout).expect("profile show --json is JSON");
    let cc = &shown["auth"];
    assert_eq!(cc["client_key"]["secret"], "oauth/client-key", "the key is a keychain reference: {shown}");
    assert_eq!(cc["client_key"]["alg"], "RS256", "the algorithm is kept in the profile: {shown}");
    assert!(cc.get("client_secret").is_none(), "a key replaces the secret: {shown}");
    assert_eq!(shown["secrets"]["oauth/client-key"], "set", "the key is in the keychain: {shown}");
    let profiles = std::fs::read_to_string(home.profile_file()).expect("the file");
    assert!(!profiles.contains(&key_path), "the key file's path is not kept: {profiles}");

    // A key the server does not know is refused: the assertion is what authenticates.
    let other = keys.path().join("other.pem");
    let made = Command::new("openssl")
        .args(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out"])
        .arg(&other)
        .status()
        .expect("openssl runs (scripts/install-test-deps.sh installs it)");
    assert!(made.success(), "openssl made a P-256 key");
    step(
        &[
            "profile",
            "edit",
            &id_text,
            "--auth",
            "client-credentials",
            "--client-key-file",
            &other.display().to_string(),
        ],
        0,
    );
    let Run { code, stdout, stderr } = home.run(&["reconnect", &id_text]);
    transcript.push_str(&stdout);
    transcript.push_str(&stderr);
    assert_ne!(code, 0, "a key the server does not know gets no token: {stdout}{stderr}");
    assert!(stderr.contains("invalid_client"), "the server said why: {stderr}");
    let refused = cc_requests(&fixture).await.pop().expect("the refused request");
    assert_eq!(refused["client_auth"]["alg"], "ES256", "a P-256 key signs ES256: {refused}");
    assert_eq!(refused["status"], 401, "oidc-provider refused the signature: {refused}");
    let other_pem = std::fs::read_to_string(&other).expect("the other key");

    for (what, pem) in
        [("the registered key", fixture.cc_jwt_private_key.as_str()), ("the other key", &other_pem)]
    {
        let body = pem_body(pem);
        assert!(!transcript.contains(body), "{what} appeared in CLI output or debug logs");
        for file in home.files() {
            let text =
                std::fs::read(&file).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
            assert!(!text.contains(body), "{what} was written to {}", file.display());
        }
    }
}

/// A distinctive line of a PEM's base64 body (the header line is the same in every key).
fn pem_body(pem: &str) -> &str {
    pem.lines().nth(2).expect("a PEM with a body")
}

#[tokio::test]
async fn a_key_that_cannot_sign_is_refused_when_it_is_given() {
    let fixture = OAuthFixture::start(&[]).await.unwrap();
    let home = cli_home();
    let id = unique_id("badkey");
    let id_text = id.to_string();
    let keys = tempfile::tempdir().expect("a temp dir");
    let key_file = keys.path().join("service.pem");
    std::fs::write(&key_file, &fixture.cc_jwt_private_key).expect("write the key file");
    let key_path = key_file.display().to_string();
    let add = |extra: &[&str]| {
        let mut args = vec![
            "profile",
            "add",
            &id_text,
            "--url",
            &fixture.mcp,
            "--auth",
            "client-credentials",
            "--client-id",
            "svc",
        ];
        args.extend_from_slice(extra);
        home.run(&args)
    };

    let Run { code, stderr, .. } = add(&["--client-key-file", &key_path, "--client-key-alg", "ES256"]);
    assert_eq!(code, 2, "an RSA key named ES256 is a usage error: {stderr}");
    assert!(stderr.contains("cannot sign ES256"), "says why: {stderr}");
    let not_a_key = keys.path().join("cert.txt");
    std::fs::write(&not_a_key, "hello").unwrap();
    let Run { code, stderr, .. } = add(&["--client-key-file", &not_a_key.display().to_string()]);
    assert_eq!(code, 2, "a file that is not a key is a usage error: {stderr}");
    assert!(stderr.contains("not a PEM private key"), "says why: {stderr}");
    let Run { code, stderr, .. } = add(&["--client-key-file", &key_path, "--client-secret-env", "HOME"]);
    assert_eq!(code, 2, "a key and a secret at once: {stderr}");
    let Run { code, stderr, .. } = add(&[]);
    assert_eq!(code, 2, "a service account needs a secret or a key: {stderr}");
    assert!(stderr.contains("--client-key-file"), "names the new way too: {stderr}");
    let Run { code, .. } = home.run(&["profile", "show", &id_text]);
    assert_ne!(code, 0, "nothing was saved");
}

/// Workload identity (SEP-1933, issue 22's neighbour in the conformance suite): the profile keeps
/// only the path of the file the platform writes the workload's JWT to; each token request reads
/// it and presents it once with the JWT bearer grant. oidc-provider here knows no such client (nor
/// grant), so it refuses: the refusal is reported as the server's, with no second try and no
/// other grant.
#[tokio::test]
async fn a_workload_presents_the_token_its_platform_keeps_in_a_file_once_per_request() {
    let fixture = OAuthFixture::start(&[]).await.unwrap();
    let home = cli_home();
    let id = unique_id("wif");
    let id_text = id.to_string();
    let _cleanup = Cleanup(vec![format!("source:{id}/oauth/tokens")]);
    let platform = tempfile::tempdir().expect("a temp dir");
    let token_file = platform.path().join("token.jwt");
    let token_path = token_file.display().to_string();
    let workload_jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ3b3JrbG9hZC1wbGFudGVkIn0.c2lnbmF0dXJl";

    let added = home.run(&[
        "profile",
        "add",
        &id_text,
        "--url",
        &fixture.mcp,
        "--auth",
        "client-credentials",
        "--client-id",
        "workload-1",
        "--assertion-file",
        &token_path,
    ]);
    assert_eq!(added.code, 0, "profile add takes --assertion-file: {}", added.stderr);
    let profile = std::fs::read_to_string(home.profile_file()).expect("the profile file");
    assert!(profile.contains(&format!("assertion_file = \"{token_path}\"")), "the path is kept: {profile}");

    // The platform has not written the token yet.
    let missing = home.run(&["connect", &id_text]);
    assert_ne!(missing.code, 0, "no token file, no token");
    assert!(
        missing.stderr.contains(&token_path) && missing.stderr.contains("--assertion-file"),
        "the error names the file and the fix: {}",
        missing.stderr
    );

    std::fs::write(&token_file, format!("{workload_jwt}\n")).expect("the platform writes the token");
    let refused = home.run(&["connect", &id_text]);
    assert_ne!(refused.code, 0, "this authorization server takes no workload");
    assert!(refused.stderr.contains("invalid_client"), "the server's refusal: {}", refused.stderr);
    let stats = fixture.stats().await.expect("fixture stats");
    let requests: Vec<&Value> = stats["token_log"].as_array().expect("a token log").iter().collect();
    let bearer: Vec<&&Value> = requests
        .iter()
        .filter(|r| r["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer")
        .collect();
    assert_eq!(bearer.len(), 1, "one JWT bearer request, not retried: {requests:?}");
    assert_eq!(bearer[0]["client_id"], "workload-1", "as a public client: {requests:?}");
    assert_eq!(requests.len(), 1, "and no other grant tried instead: {requests:?}");
    for file in home.files() {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap_or_default()).into_owned();
        assert!(!text.contains("workload-planted") && !text.contains(workload_jwt), "{}", file.display());
    }
    assert!(!refused.stderr.contains(workload_jwt) && !refused.stdout.contains(workload_jwt), "never shown");
}
