//! The ways Lanyard is a client at the authorization server other than dynamic registration,
//! proven through the real `lanyard` binary against the OAuth fixture: a client an administrator
//! registered beforehand (public, or confidential with its secret from `--client-secret-env`)
//! with the fixed redirect port it was registered with (`--redirect-port`), a busy fixed port as
//! a clear error rather than a silent switch, and a Client ID Metadata Document URL
//! (`--client-metadata-url`) at a server that supports them; and the per-profile switches for
//! servers that bend the rules (`--auth-param`, `--no-resource-param`), and the errors that name
//! them. Also a service account (client credentials) with an extra service token in a header.
//! Issue 3: "Sign-in that follows the MCP authorization spec".

use serde_json::{Value, json};
use sha2::Digest;

use crate::oauth::{Cleanup, Home, unique_id};
use crate::support::oauth_fixture::OAuthFixture;

/// A port that was free a moment ago, for a fixed redirect port.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("an ephemeral port");
    listener.local_addr().expect("its address").port()
}

/// A Lanyard home with a fixture, and the source id a test uses.
struct Bench {
    fixture: OAuthFixture,
    home: Home,
    id: String,
    _cleanup: Cleanup,
}

impl Bench {
    async fn new(tag: &str) -> Self {
        let fixture = OAuthFixture::start(&[]).await.expect("the OAuth fixture starts");
        let id = unique_id(tag);
        let cleanup = Cleanup(vec![
            format!("source:{id}/oauth/tokens"),
            format!("source:{id}/oauth/client-secret"),
            format!("issuer:{}/registration", fixture.issuer),
        ]);
        Self { fixture, home: Home::new(), id: id.to_string(), _cleanup: cleanup }
    }

    /// Runs `lanyard <args>` with extra environment variables; returns code, stdout, stderr.
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
        let mut command = self.home.command(args);
        command.envs(env.iter().copied());
        let output = command.output().expect("lanyard runs");
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    /// Adds the fixture's service account (client credentials, scope `mcp:read`) as the source,
    /// with `extra` flags and environment.
    fn add_service_account(&self, extra: &[&str], env: &[(&str, &str)]) {
        let client_id = self.fixture.cc_client_id.clone();
        let mut args = vec![
            "profile",
            "add",
            &self.id,
            "--url",
            &self.fixture.mcp,
            "--auth",
            "client-credentials",
            "--client-id",
            &client_id,
            "--client-secret-env",
            "CC_SECRET",
            "--scope",
            "mcp:read",
        ];
        args.extend_from_slice(extra);
        let mut env = env.to_vec();
        env.push(("CC_SECRET", &self.fixture.cc_client_secret));
        self.expect(&args, &env, 0);
    }

    fn expect(&self, args: &[&str], env: &[(&str, &str)], want: i32) -> (String, String) {
        let (code, stdout, stderr) = self.run(args, env);
        assert_eq!(code, want, "`lanyard {}`\nstdout: {stdout}\nstderr: {stderr}", args.join(" "));
        (stdout, stderr)
    }

    async fn stats(&self) -> Value {
        self.fixture.stats().await.expect("the fixture's stats answer")
    }

    /// Pre-registers a client at the fixture, as an administrator would.
    async fn pre_register(&self, body: Value) -> Value {
        self.fixture.control("clients", body).await.expect("the fixture pre-registers the client")
    }

    /// Pre-registers a confidential client (`client_secret_basic`) with a fixed redirect port and
    /// adds the source with it, its secret from the environment; returns the secret.
    async fn add_confidential_client(&self) -> String {
        let port = free_port();
        let redirect = format!("http://127.0.0.1:{port}/callback");
        let client = self
            .pre_register(
                json!({"redirect_uris": [redirect], "token_endpoint_auth_method": "client_secret_basic"}),
            )
            .await;
        let client_id = client["client_id"].as_str().expect("the fixture names the client").to_owned();
        let secret = client["client_secret"].as_str().expect("a confidential client has a secret").to_owned();
        let port_text = port.to_string();
        let add = [
            "profile",
            "add",
            &self.id,
            "--url",
            &self.fixture.mcp,
            "--auth",
            "oauth",
            "--client-id",
            &client_id,
            "--client-secret-env",
            "PRE_REGISTERED_SECRET",
            "--redirect-port",
            &port_text,
        ];
        self.expect(&add, &[("PRE_REGISTERED_SECRET", &secret)], 0);
        secret
    }

    /// Connects, then calls `whoami`; checks both worked as alice.
    fn connect_and_call(&self, env: &[(&str, &str)]) {
        let (stdout, _) = self.expect(&["connect", &self.id], env, 0);
        assert!(stdout.contains("is connected"), "the sign-in works: {stdout}");
        let (stdout, _) = self.expect(&["call", &self.id, "whoami"], &[], 0);
        assert!(stdout.contains("\"sub\":\"alice\""), "the token reaches the server: {stdout}");
    }
}

#[tokio::test]
async fn issue_3_a_pre_registered_public_client_signs_in_on_its_fixed_redirect_port() {
    let bench = Bench::new("prepublic").await;
    let port = free_port();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    // A `web` client at oidc-provider matches its redirect URI exactly, port included, as many
    // servers do for pre-registered clients: any other port would be refused.
    let client =
        bench.pre_register(json!({"redirect_uris": [redirect], "token_endpoint_auth_method": "none"})).await;
    let client_id = client["client_id"].as_str().expect("the fixture names the client").to_owned();
    let port_text = port.to_string();
    bench.expect(
        &[
            "profile",
            "add",
            &bench.id,
            "--url",
            &bench.fixture.mcp,
            "--auth",
            "oauth",
            "--client-id",
            &client_id,
            "--redirect-port",
            &port_text,
        ],
        &[],
        0,
    );

    bench.connect_and_call(&[]);
    let stats = bench.stats().await;
    assert_eq!(stats["registrations"], 0, "a pre-registered client is never registered again: {stats}");
    let authorization = &stats["authorization_log"][0];
    assert_eq!(
        authorization["client_id"],
        client_id.as_str(),
        "the sign-in used the profile's client: {stats}"
    );
    assert_eq!(authorization["redirect_uri"], redirect.as_str(), "on the fixed port: {stats}");
    assert_eq!(
        stats["token_results"]["authorization_code"]["ok"], 1,
        "the code exchange with the fixed redirect URI worked: {stats}"
    );
}

#[tokio::test]
async fn issue_3_a_pre_registered_confidential_client_sends_its_secret_from_the_keychain() {
    let bench = Bench::new("preconfidential").await;
    let secret = bench.add_confidential_client().await;

    // The secret is read from the keychain now, not from the environment.
    bench.connect_and_call(&[]);
    bench.fixture.control("expire-access-tokens", json!({})).await.expect("the fixture expires tokens");
    let (stdout, _) = bench.expect(&["call", &bench.id, "whoami"], &[], 0);
    assert!(stdout.contains("\"sub\":\"alice\""), "the refresh authenticated the client: {stdout}");
    let stats = bench.stats().await;
    assert_eq!(stats["registrations"], 0, "no registration for a pre-registered client: {stats}");
    assert_eq!(stats["token_results"]["refresh_token"]["ok"], 1, "one refresh, accepted: {stats}");
    assert_eq!(
        stats["token_results"]["authorization_code"]["ok"], 1,
        "the code exchange was accepted: {stats}"
    );

    let mut files = String::new();
    for file in bench.home.files() {
        files.push_str(&String::from_utf8_lossy(&std::fs::read(&file).unwrap_or_default()));
    }
    assert!(!files.contains(&secret), "the client secret was written outside the keychain");
}

#[tokio::test]
async fn issue_3_a_busy_fixed_redirect_port_is_an_error_naming_the_switch() {
    let bench = Bench::new("busyport").await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("an ephemeral port");
    let port = taken.local_addr().expect("its address").port();
    let client =
        bench.pre_register(json!({"redirect_uris": [format!("http://127.0.0.1:{port}/callback")]})).await;
    let client_id = client["client_id"].as_str().expect("the fixture names the client").to_owned();
    let port_text = port.to_string();
    bench.expect(
        &[
            "profile",
            "add",
            &bench.id,
            "--url",
            &bench.fixture.mcp,
            "--auth",
            "oauth",
            "--client-id",
            &client_id,
            "--redirect-port",
            &port_text,
        ],
        &[],
        0,
    );

    let (code, _, stderr) = bench.run(&["connect", &bench.id], &[]);
    assert_eq!(code, 5, "a busy fixed port is a profile problem (exit 5): {stderr}");
    assert!(
        stderr.contains(&format!("port {port}")) && stderr.contains("busy"),
        "the error names the busy port: {stderr}"
    );
    assert!(stderr.contains("--redirect-port"), "and the switch that picks another: {stderr}");
    let stats = bench.stats().await;
    assert_eq!(stats["authorization_requests"], 0, "no sign-in started on another port: {stats}");
    drop(taken);
}

#[tokio::test]
async fn issue_3_a_client_id_metadata_document_is_used_when_the_server_supports_them() {
    let bench = Bench::new("cimd").await;
    let document = "https://client.lanyard.test/oauth/client.json";
    bench
        .fixture
        .control(
            "client-metadata-documents",
            json!({"client_id": document, "client_name": "Lanyard", "redirect_uris": ["http://127.0.0.1/callback"]}),
        )
        .await
        .expect("the fixture serves the document");
    bench.expect(
        &[
            "profile",
            "add",
            &bench.id,
            "--url",
            &bench.fixture.mcp,
            "--auth",
            "oauth",
            "--client-metadata-url",
            document,
        ],
        &[],
        0,
    );

    bench.connect_and_call(&[]);
    let stats = bench.stats().await;
    assert_eq!(
        stats["registrations"], 0,
        "with a metadata document there is no dynamic registration: {stats}"
    );
    assert_eq!(stats["authorization_log"][0]["client_id"], document, "the URL is the client id: {stats}");
    assert!(
        stats["metadata_document_fetches"].as_u64().is_some_and(|n| n >= 1),
        "the authorization server read the document: {stats}"
    );

    bench.fixture.control("expire-access-tokens", json!({})).await.expect("the fixture expires tokens");
    let (stdout, _) = bench.expect(&["call", &bench.id, "whoami"], &[], 0);
    assert!(stdout.contains("\"sub\":\"alice\""), "a public metadata-document client refreshes: {stdout}");
    let refresh = bench.stats().await["token_log"]
        .as_array()
        .and_then(|log| log.iter().rev().find(|e| e["grant_type"] == "refresh_token").cloned())
        .expect("a refresh was logged");
    assert_eq!(refresh["client_id"], document, "the refresh names the same client: {refresh}");
    assert!(refresh["status"].as_u64().is_some_and(|s| s < 300), "and was accepted: {refresh}");
}

#[tokio::test]
async fn issue_3_server_refusals_name_the_profile_switch_that_fixes_them() {
    let bench = Bench::new("refusals").await;
    let port = free_port();
    let client = bench
        .pre_register(json!({
            "redirect_uris": [format!("http://127.0.0.1:{port}/callback")],
            "token_endpoint_auth_method": "client_secret_basic",
        }))
        .await;
    let client_id = client["client_id"].as_str().expect("the fixture names the client").to_owned();
    let port_text = port.to_string();

    // The wrong secret: the code exchange is refused with invalid_client.
    bench.expect(
        &[
            "profile",
            "add",
            &bench.id,
            "--url",
            &bench.fixture.mcp,
            "--auth",
            "oauth",
            "--client-id",
            &client_id,
            "--client-secret-env",
            "WRONG_SECRET",
            "--redirect-port",
            &port_text,
        ],
        &[("WRONG_SECRET", "not-the-secret")],
        0,
    );
    let (code, _, stderr) = bench.run(&["connect", &bench.id], &[]);
    assert_eq!(code, 5, "a refused client is a profile problem (exit 5): {stderr}");
    assert!(
        stderr.contains("invalid_client") && stderr.contains("--client-id"),
        "invalid_client is shown with the client switches: {stderr}"
    );

    // The right client on another port than the one it was registered with: the authorization
    // server shows its error in the browser and never redirects back, so the flow times out.
    let other_port = free_port().to_string();
    bench.expect(&["profile", "rm", &bench.id], &[], 0);
    bench.expect(
        &[
            "profile",
            "add",
            &bench.id,
            "--url",
            &bench.fixture.mcp,
            "--auth",
            "oauth",
            "--client-id",
            &client_id,
            "--redirect-port",
            &other_port,
        ],
        &[],
        0,
    );
    let (code, _, stderr) = bench.run(&["connect", &bench.id, "--timeout", "2"], &[]);
    assert_ne!(code, 0, "the sign-in cannot finish: {stderr}");
    assert!(
        stderr.contains("did not finish") && stderr.contains("--redirect-port"),
        "a pre-registered client's timeout points at the redirect port: {stderr}"
    );
    let stats = bench.stats().await;
    assert_eq!(
        stats["token_requests"]["authorization_code"], 1,
        "the rejected redirect URI produced no code (only the first attempt reached the token endpoint): {stats}"
    );
}

#[tokio::test]
async fn issue_3_a_refused_scope_names_the_scope_switch() {
    let bench = Bench::new("badscope").await;
    bench.expect(
        &["profile", "add", &bench.id, "--url", &bench.fixture.mcp, "--auth", "oauth", "--scope", "mcp:read"],
        &[],
        0,
    );
    // oidc-provider drops scopes it does not know rather than refusing them, so the token
    // endpoint is made to answer as a stricter server does (RFC 6749 5.2).
    bench
        .fixture
        .control(
            "token-failures",
            json!({"count": 1, "status": 400, "error": "invalid_scope", "grant_type": "authorization_code"}),
        )
        .await
        .expect("the fixture arms the refusal");
    let (code, _, stderr) = bench.run(&["connect", &bench.id], &[]);
    assert_eq!(code, 5, "a refused scope is a profile problem (exit 5): {stderr}");
    assert!(
        stderr.contains("invalid_scope")
            && stderr.contains(&format!("lanyard profile edit {} --scope", bench.id)),
        "invalid_scope is shown with the scope switch: {stderr}"
    );
    let row = serde_json::from_str::<Value>(&bench.expect(&["status", &bench.id, "--json"], &[], 0).0)
        .expect("status --json is JSON")["sources"][0]
        .clone();
    assert!(
        row["last_error"]["hint"].as_str().is_some_and(|h| h.contains("--scope")),
        "status keeps the refusal with the same switch: {row}"
    );
}

#[tokio::test]
async fn issue_3_extra_parameters_and_no_resource_reach_the_server_as_the_profile_says() {
    let bench = Bench::new("switches").await;
    let add = |extra: &'static [&'static str]| {
        let mut args = vec!["profile", "add", &bench.id, "--url", &bench.fixture.mcp, "--auth", "oauth"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--auth-param", "login_hint=alice@fixture.invalid", "--no-resource-param"]);
        args
    };
    // A parameter Lanyard sets itself would never be sent: the command is refused, unsaved.
    let (_, stderr) = bench.expect(&add(&["--auth-param", "state=not-this-one"]), &[], 2);
    assert!(
        stderr.contains("`state`") && stderr.contains("remove it"),
        "the refusal names the parameter: {stderr}"
    );
    bench.expect(&add(&[]), &[], 0);
    let (stdout, _) = bench.expect(&["connect", &bench.id], &[], 0);
    assert!(stdout.contains("is connected"), "the sign-in works without `resource`: {stdout}");
    let stats = bench.stats().await;
    let authorization = &stats["authorization_log"][0];
    assert_eq!(
        authorization["login_hint"], "alice@fixture.invalid",
        "an extra authorization parameter reaches the server: {authorization}"
    );
    assert_eq!(
        authorization["resource"],
        json!([]),
        "no `resource` in the authorization request: {authorization}"
    );
    let exchange = stats["token_log"]
        .as_array()
        .and_then(|log| log.iter().find(|e| e["grant_type"] == "authorization_code").cloned())
        .expect("the code exchange was logged");
    assert_eq!(exchange["resource"], json!([]), "nor in the token request: {exchange}");
    assert!(exchange["status"].as_u64().is_some_and(|s| s < 300), "the code was exchanged: {exchange}");
}

#[tokio::test]
async fn issue_3_a_service_account_sends_its_extra_service_token_in_the_named_header() {
    let bench = Bench::new("servicetoken").await;
    let planted = format!("svc-{}", bench.id);
    let client_id = bench.fixture.cc_client_id.clone();
    bench.add_service_account(
        &["--service-token-header", "X-Service-Token", "--service-token-env", "SVC_TOKEN"],
        &[("SVC_TOKEN", &planted)],
    );
    let (stdout, stderr) = bench.expect(&["call", &bench.id, "whoami"], &[], 0);
    assert!(
        stdout.contains(&format!("\"client_id\":\"{client_id}\"")),
        "the service client's token: {stdout}"
    );
    let stats = bench.stats().await;
    assert!(
        stats["mcp"]["service_token_requests"].as_u64().is_some_and(|n| n >= 1),
        "the server saw the service token header: {stats}"
    );
    let sha: String = sha2::Sha256::digest(planted.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(stats["mcp"]["service_token_sha256"], sha.as_str(), "with the stored value: {stats}");
    assert!(!stderr.contains(&planted), "the service token is never logged");
    for file in bench.home.files() {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap_or_default()).into_owned();
        assert!(!text.contains(&planted), "the service token was written to {}", file.display());
    }
    bench.expect(&["profile", "rm", &bench.id], &[], 0);
}

/// A service account's next token comes from the token endpoint its last one came from: one
/// request, no discovery of the MCP server and its authorization server first.
#[tokio::test]
async fn issue_3_a_service_account_renews_at_the_known_token_endpoint_without_discovery() {
    let bench = Bench::new("ccrenew").await;
    let client_id = bench.fixture.cc_client_id.clone();
    bench.add_service_account(&[], &[]);
    bench.expect(&["call", &bench.id, "whoami"], &[], 0);
    let first = bench.stats().await;
    assert_eq!(first["token_requests"]["client_credentials"], 1, "one token so far: {first}");
    let discovered = first["discovery"].clone();
    assert_ne!(
        discovered,
        serde_json::json!({ "openid_configuration": 0, "oauth_authorization_server": 0 }),
        "the first token needed discovery: {first}"
    );

    bench
        .fixture
        .control("expire-access-tokens", serde_json::json!({}))
        .await
        .expect("the fixture expires tokens");
    let (stdout, _) = bench.expect(&["call", &bench.id, "whoami"], &[], 0);
    assert!(
        stdout.contains(&format!("\"client_id\":\"{client_id}\"")),
        "the call works with a new token: {stdout}"
    );
    let second = bench.stats().await;
    assert_eq!(second["token_requests"]["client_credentials"], 2, "the expired token was renewed: {second}");
    assert_eq!(second["discovery"], discovered, "the renewal asked no discovery document: {second}");
    bench.expect(&["profile", "rm", &bench.id], &[], 0);
}

/// The one-off `--url` mode takes a service account too: the token is fetched with the secret
/// given for this command, used, and kept nowhere.
#[tokio::test]
async fn issue_15_a_one_off_service_account_gets_its_token_and_keeps_nothing() {
    let bench = Bench::new("oneoff-cc").await;
    let client_id = bench.fixture.cc_client_id.clone();
    let secret = bench.fixture.cc_client_secret.clone();
    let args = [
        "call",
        "--url",
        &bench.fixture.mcp,
        "--auth",
        "client-credentials",
        "--client-id",
        &client_id,
        "--client-secret-env",
        "CC_SECRET",
        "--scope",
        "mcp:read",
        "whoami",
    ];
    let (stdout, _) = bench.expect(&args, &[("CC_SECRET", &secret)], 0);
    assert!(stdout.contains(&client_id), "the call reaches the server as the service account: {stdout}");
    assert_eq!(
        bench.fixture.count("/token_requests/client_credentials").await.unwrap(),
        1,
        "one token was asked for"
    );
    assert!(
        !bench.home.dir.path().join("config/profiles.toml").exists(),
        "no profile was written for the one-off server"
    );
}

/// Points the bench fixture's protected resource metadata at another authorization server, as a
/// server that moved (or was taken over) would.
async fn move_to(bench: &Bench, other: &OAuthFixture) {
    bench
        .fixture
        .control("config", json!({"authorization_servers": [other.issuer]}))
        .await
        .expect("the fixture names the other authorization server");
}

/// What the other authorization server was asked for: token requests and authorizations.
async fn asked_of(other: &OAuthFixture) -> (Value, Value) {
    let stats = other.stats().await.expect("the other fixture's stats answer");
    (stats["token_log"].clone(), stats["authorization_log"].clone())
}

#[tokio::test]
async fn issue_14_a_service_account_shows_its_secret_to_no_authorization_server_but_its_own() {
    let bench = Bench::new("ccmoved").await;
    let other = OAuthFixture::start(&[]).await.expect("a second OAuth fixture starts");
    bench.add_service_account(&[], &[]);
    bench.expect(&["tools", &bench.id], &[], 0);

    move_to(&bench, &other).await;
    let (_, stderr) = bench.expect(&["reconnect", &bench.id], &[], 5);
    assert!(
        stderr.contains(&format!("belongs to {}", bench.fixture.issuer)) && stderr.contains(&other.issuer),
        "the refusal names both authorization servers: {stderr}"
    );
    assert!(stderr.contains("--client-issuer"), "and the setting that accepts the move: {stderr}");
    let (tokens, _) = asked_of(&other).await;
    assert_eq!(tokens, json!([]), "the other server received no token request, so no secret");

    // The person pins the client to its own server: the pin holds without any tokens.
    bench.expect(&["disconnect", &bench.id], &[], 0);
    bench.expect(
        &[
            "profile",
            "edit",
            &bench.id,
            "--auth",
            "client-credentials",
            "--client-issuer",
            &bench.fixture.issuer,
        ],
        &[],
        0,
    );
    bench.expect(&["connect", &bench.id], &[], 5);
    let (tokens, _) = asked_of(&other).await;
    assert_eq!(tokens, json!([]), "still nothing at the other server");
}

#[tokio::test]
async fn issue_14_a_pre_registered_client_secret_is_not_shown_to_a_new_authorization_server() {
    let bench = Bench::new("premoved").await;
    let other = OAuthFixture::start(&[]).await.expect("a second OAuth fixture starts");
    bench.add_confidential_client().await;
    bench.connect_and_call(&[]);

    move_to(&bench, &other).await;
    let (_, stderr) = bench.expect(&["reconnect", &bench.id], &[], 5);
    assert!(
        stderr.contains(&format!("belongs to {}", bench.fixture.issuer)),
        "the refusal says why: {stderr}"
    );
    let (tokens, authorizations) = asked_of(&other).await;
    assert_eq!(tokens, json!([]), "the other server received no token request");
    assert_eq!(authorizations, json!([]), "and no authorization request: the browser never opened");
    let (stdout, _) = bench.expect(&["call", &bench.id, "whoami"], &[], 0);
    assert!(
        stdout.contains("\"sub\":\"alice\""),
        "the tokens of the first server still work there: {stdout}"
    );
}

#[tokio::test]
async fn issue_14_a_dynamic_client_registers_anew_at_a_new_authorization_server_and_brings_no_refresh_token()
{
    let bench = Bench::new("dynmoved").await;
    let other = OAuthFixture::start(&[]).await.expect("a second OAuth fixture starts");
    let _other_registration = Cleanup(vec![format!("issuer:{}/registration", other.issuer)]);
    bench.expect(&["profile", "add", &bench.id, "--url", &bench.fixture.mcp, "--auth", "oauth"], &[], 0);
    bench.connect_and_call(&[]);
    let first = bench.stats().await;
    let first_client = first["authorization_log"][0]["client_id"].as_str().expect("a client id").to_owned();

    move_to(&bench, &other).await;
    // The other server takes the registration and the sign-in, but refuses a token for a resource
    // that is not its own; what matters is what it was shown.
    let _ = bench.run(&["reconnect", &bench.id], &[]);
    let stats = other.stats().await.expect("the other fixture's stats answer");
    assert_eq!(stats["registrations"], 1, "Lanyard registered anew at the other server: {stats}");
    let shown = stats.to_string();
    assert!(!shown.contains(&first_client), "the first server's client id never reached it: {shown}");
    let refreshes = stats["token_log"]
        .as_array()
        .expect("a token log")
        .iter()
        .filter(|entry| entry["grant_type"] == "refresh_token")
        .count();
    assert_eq!(refreshes, 0, "no refresh token was presented there: {stats}");
}
