//! `lanyard catalog`: a registry served from the test (`support::registry`, the official API
//! over `server.json` fixtures: several versions, paging, a broken document, a slow answer), a
//! folder of the same documents, and real servers behind the entries: Lanyard's test server
//! over HTTP, server-everything from npm through `npx`, mcp-server-time from PyPI through `uvx`.
//! The registry is served by this process while `lanyard` runs as a child that the test waits
//! for, so the runtime has threads of its own to answer on.

use std::time::Duration;

use lanyard::ids::SecretRef;
use lanyard::vault::VaultKey;

use crate::support::home::{Home, Run};
use crate::support::registry::{FixtureRegistry, fixture_folder};
use crate::support::{id, start_test_server_http};

const ECHO: &str = "io.github.lanyard-tests/echo";

fn catalog(home: &Home, args: &[&str], registry: &str) -> Run {
    let mut full = vec!["catalog"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--registry", registry]);
    home.run(&full)
}

fn catalog_with_stdin(home: &Home, args: &[&str], registry: &str, input: &str) -> Run {
    let mut full = vec!["catalog"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--registry", registry]);
    home.run_with_stdin(&full, input)
}

fn profile_text(home: &Home) -> String {
    std::fs::read_to_string(home.profile_file()).expect("the profile file exists")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_pages_through_the_registry_and_skips_a_broken_document() {
    let registry = FixtureRegistry::start("http://127.0.0.1:9/mcp").await;
    let home = Home::new();

    let found = catalog(&home, &["search", "io.github", "--json"], &registry.url).ok();
    let hits = found.json()["hits"].as_array().cloned().expect("a list of hits");
    let names: Vec<&str> = hits.iter().filter_map(|h| h["server"]["name"].as_str()).collect();
    for wanted in
        [ECHO, "io.github.modelcontextprotocol/server-everything", "io.github.modelcontextprotocol/time"]
    {
        assert!(names.contains(&wanted), "{wanted} is found across the pages: {names:?}");
    }
    let echo = hits.iter().find(|h| h["server"]["name"] == ECHO).expect("echo");
    assert_eq!(echo["server"]["version"], "1.1.0", "the latest version is listed");
    assert!(
        found.stderr.contains("io.github.lanyard-tests/broken") && found.stderr.contains("skipped"),
        "{}",
        found.stderr
    );
    let pages = registry.requests().iter().filter(|r| r.starts_with("/v0/servers?")).count();
    assert!(pages >= 3, "the listing followed the cursor: {:?}", registry.requests());
    assert!(registry.requests().iter().any(|r| r.contains("cursor=")), "{:?}", registry.requests());

    let words = catalog(&home, &["search", "reference", "everything"], &registry.url).ok();
    assert!(
        words.stdout.contains("server-everything"),
        "every word is matched in the description: {}",
        words.stdout
    );
    assert!(!words.stdout.contains(ECHO), "{}", words.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_registry_is_answered_from_the_cache_and_says_how_old_it_is() {
    let registry = FixtureRegistry::start("http://127.0.0.1:9/mcp").await;
    let home = Home::new();
    catalog(&home, &["search", "echo"], &registry.url).ok();

    registry.slow_down(Duration::from_secs(5));
    let mut command = home.command(&["catalog", "search", "echo", "--registry", &registry.url]);
    command.env("LANYARD_CATALOG_TIMEOUT", "1");
    let run = Run::from(command.output().expect("lanyard runs")).ok();
    assert!(run.stdout.contains(ECHO), "the cached entry is shown: {}", run.stdout);
    assert!(run.stderr.contains("no answer within") && run.stderr.contains("ago"), "{}", run.stderr);

    let mut command = home.command(&["catalog", "show", ECHO, "--registry", &registry.url]);
    command.env("LANYARD_CATALOG_TIMEOUT", "1");
    let shown = Run::from(command.output().expect("lanyard runs")).ok();
    assert!(shown.stdout.contains("io.github.lanyard-tests/echo 1.1.0"), "{}", shown.stdout);

    let fresh = Home::new();
    let mut command = fresh.command(&["catalog", "search", "echo", "--registry", &registry.url]);
    command.env("LANYARD_CATALOG_TIMEOUT", "1");
    let run = Run::from(command.output().expect("lanyard runs")).ok();
    assert!(run.stdout.contains("No server matches"), "no cache, no hits: {}", run.stdout);
    assert!(run.stderr.contains("no answer within"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_of_server_json_files_is_a_registry() {
    let folder = fixture_folder("http://127.0.0.1:9/mcp");
    let path = folder.path().to_str().expect("a UTF-8 path");
    let home = Home::new();

    let found = catalog(&home, &["search", "weather"], path).ok();
    assert!(
        found.stdout.contains("com.example/weather 3.2.0"),
        "a bare server.json is read: {}",
        found.stdout
    );
    assert!(found.stderr.contains("broken.json"), "the broken file is named: {}", found.stderr);

    let shown = catalog(&home, &["show", "com.example/weather"], path).ok();
    assert!(
        shown.stdout.contains(
            "would run: docker run -i --rm -e UNITS -e WEATHER_API_KEY docker.io/example/weather:3.2.0"
        ),
        "{}",
        shown.stdout
    );
    assert!(shown.stdout.contains("WEATHER_API_KEY (required, secret"), "{}", shown.stdout);
    assert!(
        shown.stderr.contains("weather.example.net") && shown.stderr.contains("does not match"),
        "an endpoint outside the namespace's domain is flagged: {}",
        shown.stderr
    );

    let versions = catalog(&home, &["show", ECHO, "--version", "2.0.0"], path);
    versions.fails_with(2, "has no version `2.0.0`");
    catalog(&home, &["show", "io.github.lanyard-tests/ecko"], path).fails_with(2, "did you mean");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_package_that_does_not_name_its_server_is_flagged() {
    let registry = FixtureRegistry::start("http://127.0.0.1:9/mcp").await;
    let home = Home::new();
    let genuine =
        catalog(&home, &["show", "io.github.modelcontextprotocol/server-everything"], &registry.url).ok();
    assert!(
        genuine.stdout.contains("verified:    npm package @modelcontextprotocol/server-everything"),
        "{}",
        genuine.stdout
    );
    assert!(!genuine.stderr.contains("does not match"), "{}", genuine.stderr);

    let impostor = catalog(&home, &["show", "io.github.lanyard-tests/impostor"], &registry.url).ok();
    assert!(
        impostor.stderr.contains("does not match") && impostor.stderr.contains("server-everything"),
        "{}",
        impostor.stderr
    );
    assert!(
        impostor.stderr.contains("someone-else"),
        "the repository of another owner is flagged too: {}",
        impostor.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_terminal_add_needs_yes_and_saves_nothing() {
    let registry = FixtureRegistry::start("http://127.0.0.1:9/mcp").await;
    let home = Home::new();
    catalog_with_stdin(&home, &["add", ECHO], &registry.url, "a-key\n").fails_with(2, "--yes");
    assert!(!home.profile_file().exists(), "nothing was saved");

    home.run(&["profile", "add", "echo", "--url", "http://127.0.0.1:9/mcp"]).ok();
    let before = profile_text(&home);
    let refused =
        catalog_with_stdin(&home, &["add", ECHO, "--as", "echo", "--yes"], &registry.url, "a-key\n");
    refused.fails_with(2, "added by hand");
    assert_eq!(profile_text(&home), before, "a source made by hand is never replaced");
    home.run(&["profile", "rm", "echo"]).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_is_added_with_its_secret_in_the_keychain_then_updated_keeping_the_settings() {
    let (_server, mcp_url) = start_test_server_http().await.expect("the test server starts");
    let registry = FixtureRegistry::start(&mcp_url).await;
    let home = Home::new();
    let secret = "catalog-secret-4711";

    let added = catalog_with_stdin(
        &home,
        &["add", ECHO, "--version", "1.0.0", "--as", "catalog-echo", "--yes"],
        &registry.url,
        &format!("{secret}\n"),
    )
    .ok();
    assert!(
        added.stdout.contains(&format!("will connect to: {mcp_url}")),
        "the URL is shown first: {}",
        added.stdout
    );
    assert!(
        added.stdout.contains("It works") && added.stdout.contains("echo"),
        "its tools are listed: {}",
        added.stdout
    );
    assert!(!added.stdout.contains(secret) && !added.stderr.contains(secret));

    let text = profile_text(&home);
    assert!(!text.contains(secret), "the secret is not in the profile file:\n{text}");
    assert!(
        text.contains(r#"name = "io.github.lanyard-tests/echo""#) && text.contains(r#"version = "1.0.0""#),
        "{text}"
    );
    let source = id("catalog-echo");
    let key = VaultKey::source_secret(&source, &SecretRef::header("X-Api-Key"));
    let stored = home.vault().get(&key).await.expect("the keychain answers").expect("the secret is there");
    assert_eq!(stored.expose(), secret);

    let outdated = catalog(&home, &["outdated"], &registry.url).ok();
    assert!(
        outdated.stdout.contains("catalog-echo") && outdated.stdout.contains("1.0.0 -> 1.1.0"),
        "{}",
        outdated.stdout
    );

    home.run(&["profile", "edit", "catalog-echo", "--header", "X-Team: platform"]).ok();
    let updated = catalog(&home, &["add", ECHO, "--yes"], &registry.url).ok();
    assert!(updated.stdout.contains("Updated source `catalog-echo`"), "{}", updated.stdout);
    let text = profile_text(&home);
    assert!(
        text.contains(r#"version = "1.1.0""#) && text.contains("platform"),
        "the person's header stays:\n{text}"
    );
    let kept = home.vault().get(&key).await.expect("the keychain answers").expect("the secret stays");
    assert_eq!(kept.expose(), secret);
    let now = catalog(&home, &["outdated"], &registry.url).ok();
    assert!(now.stdout.contains("up to date"), "{}", now.stdout);

    home.run(&["profile", "rm", "catalog-echo"]).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_npm_package_is_added_and_run_with_npx() {
    let registry = FixtureRegistry::start("http://127.0.0.1:9/mcp").await;
    let home = Home::new();
    let added = catalog(
        &home,
        &["add", "io.github.modelcontextprotocol/server-everything", "--as", "catalog-everything", "--yes"],
        &registry.url,
    )
    .ok();
    assert!(
        added.stdout.contains("will run: npx -y @modelcontextprotocol/server-everything@2026.8.31"),
        "{}",
        added.stdout
    );
    assert!(
        added.stdout.contains("It works") && added.stdout.contains("echo"),
        "{}\n{}",
        added.stdout,
        added.stderr
    );
    let text = profile_text(&home);
    assert!(text.contains(r#"command = "npx""#) && text.contains(r#"runs = "npm""#), "{text}");
    home.run(&["profile", "rm", "catalog-everything"]).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pypi_package_is_added_and_run_with_uvx() {
    assert!(
        std::process::Command::new("uvx").arg("--version").output().is_ok_and(|o| o.status.success()),
        "uvx is missing: run scripts/install-test-deps.sh"
    );
    let registry = FixtureRegistry::start("http://127.0.0.1:9/mcp").await;
    let home = Home::new();
    let added = catalog(
        &home,
        &[
            "add",
            "io.github.modelcontextprotocol/time",
            "--as",
            "catalog-time",
            "--set=--local-timezone=Europe/Oslo",
            "--yes",
        ],
        &registry.url,
    )
    .ok();
    assert!(
        added.stdout.contains("will run: uvx mcp-server-time==2026.10.19 --local-timezone UTC"),
        "the default is shown first: {}",
        added.stdout
    );
    assert!(
        added.stdout.contains("Exactly: uvx mcp-server-time==2026.10.19 --local-timezone Europe/Oslo"),
        "{}",
        added.stdout
    );
    assert!(
        added.stdout.contains("It works") && added.stdout.contains("get_current_time"),
        "{}\n{}",
        added.stdout,
        added.stderr
    );
    assert!(added.stdout.contains("verified:"), "the PyPI description names the server: {}", added.stdout);
    home.run(&["profile", "rm", "catalog-time"]).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registries_are_settings() {
    let home = Home::new();
    let listed = home.run(&["catalog", "registry", "list"]).ok();
    assert_eq!(listed.stdout.trim(), "https://registry.modelcontextprotocol.io");
    home.run(&["catalog", "registry", "add", "https://mcp.corp.example"]).ok();
    let listed = home.run(&["catalog", "registry", "list", "--json"]).ok();
    assert_eq!(
        listed.json(),
        serde_json::json!(["https://registry.modelcontextprotocol.io", "https://mcp.corp.example"])
    );
    home.run(&["catalog", "registry", "rm", "https://mcp.corp.example"]).ok();
    home.run(&["catalog", "registry", "rm", "https://mcp.corp.example"]).fails_with(2, "not listed");
}

/// The requests the desktop app's Catalogue view sends (`lanyard::catalog::window`), against
/// the fixture registry and the session's keychain: search, details, an add that first only says
/// what it would save, then saves with the secret in the keychain; a link read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_19_the_window_searches_sees_exactly_what_it_adds_and_adds_with_its_secret() {
    use lanyard::catalog::window::{AddRequest, Answer, Request, answer};

    let (_server, mcp_url) = start_test_server_http().await.expect("the test server starts");
    let registry = FixtureRegistry::start(&mcp_url).await;
    let home = Home::new();
    std::fs::create_dir_all(home.config_dir()).unwrap();
    std::fs::write(home.config_dir().join("registries.toml"), format!("registries = [{:?}]\n", registry.url))
        .unwrap();
    let engine = lanyard::Engine::new(home.dirs(), home.vault());
    let secret = "window-secret-0815";
    let ask = |request| answer(&engine, request);

    let Answer::Found(found) = ask(Request::Search { words: "echo".into() }).await.unwrap() else {
        panic!("a search answers with what it found")
    };
    let names: Vec<(&str, &str)> = found.hits.iter().map(|h| (h.name.as_str(), h.version.as_str())).collect();
    assert_eq!(names, [(ECHO, "1.1.0")], "one server, at its latest version");

    let details = Request::Details { registry: None, name: ECHO.into(), version: None, choice: None };
    let Answer::Details(details) = ask(details).await.unwrap() else { panic!("details") };
    assert!(details.registry_known);
    assert_eq!(details.publisher, "io.github.lanyard-tests");
    let plan = details.plan.as_ref().expect("echo can be added");
    assert_eq!((plan.preview.as_str(), plan.id.as_str(), plan.remote), (mcp_url.as_str(), "echo", true));
    let key =
        plan.questions.iter().find(|q| q.key == "header:X-Api-Key").expect("the secret header is asked");
    assert!(key.must_ask && key.secret);
    assert_eq!(details.checks.iter().map(|c| c.verdict.as_str()).collect::<Vec<_>>(), ["verified"]);

    let add = |answers: &[(&str, &str)], confirmed| {
        Request::Add(AddRequest {
            registry: registry.url.clone(),
            name: ECHO.into(),
            version: "1.1.0".into(),
            id: "echo".into(),
            choice: None,
            answers: answers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            confirmed,
            from_link: false,
        })
    };
    let missing = ask(add(&[], false)).await.unwrap_err();
    assert!(missing.to_string().contains("X-Api-Key is required"), "{missing}");

    let Answer::Prepared(prepared) = ask(add(&[("header:X-Api-Key", secret)], false)).await.unwrap() else {
        panic!("an unconfirmed add only says what it would save")
    };
    assert_eq!(
        (prepared.shown.as_str(), prepared.secret_names.as_slice()),
        (mcp_url.as_str(), &["X-Api-Key".to_owned()][..])
    );
    assert!(!home.profile_file().exists(), "nothing is saved before the yes");
    let source = id("echo");
    let vault_key = VaultKey::source_secret(&source, &SecretRef::header("X-Api-Key"));
    assert!(home.vault().get(&vault_key).await.unwrap().is_none(), "nor kept in the keychain");

    let added = ask(add(&[("header:X-Api-Key", secret)], true)).await.unwrap();
    let sent = serde_json::to_string(&added).unwrap();
    assert!(!sent.contains(secret), "no answer carries the secret back: {sent}");
    let Answer::Added(added) = added else { panic!("a confirmed add saves") };
    assert_eq!((added.id.as_str(), added.auth.as_str(), added.secrets_stored), ("echo", "headers", 1));
    let stored = home.vault().get(&vault_key).await.unwrap().expect("the secret is in the keychain");
    assert_eq!(stored.expose(), secret);
    assert!(!profile_text(&home).contains(secret));
    let tools = engine.list_tools(&source).await.expect("the added source lists its tools");
    assert!(tools.iter().any(|t| t.name == "echo"), "{tools:?}");

    let Answer::Outdated(outdated) = ask(Request::Outdated).await.unwrap() else { panic!("outdated") };
    assert!(outdated.sources.is_empty(), "at the latest version: {:?}", outdated.sources);
    // A link is read without a request to any registry, its own or the configured ones.
    let other = FixtureRegistry::start(&mcp_url).await;
    let asked_before = registry.requests().len();
    let read = |url: String| async move {
        match ask(Request::Link { url }).await.unwrap() {
            Answer::Link(lanyard::catalog::LinkView::Add { link, registry_configured }) => {
                (link, registry_configured)
            }
            _ => panic!("a good link is read"),
        }
    };
    let (link, configured) = read(format!("lanyard://add?name={ECHO}&version=1.0.0")).await;
    assert_eq!((link.name.as_str(), link.version.as_deref(), configured), (ECHO, Some("1.0.0"), true));
    let (_, configured) = read(format!("lanyard://add?registry={}&name={ECHO}", registry.url)).await;
    assert!(configured, "the configured registry, named by the link");
    let (link, configured) = read(format!("lanyard://add?registry={}&name={ECHO}", other.url)).await;
    assert!(!configured, "a registry the person never chose is flagged");
    assert_eq!(link.registry.as_deref(), Some(other.url.as_str()));
    assert!(other.requests().is_empty(), "the link's registry got no request: {:?}", other.requests());
    assert_eq!(registry.requests().len(), asked_before, "nor did the configured one");
    // Once the person said yes, the details are a request of their own.
    let details = Request::Details {
        registry: Some(other.url.clone()),
        name: ECHO.into(),
        version: None,
        choice: None,
    };
    let Answer::Details(details) = ask(details).await.unwrap() else { panic!("details") };
    assert!(!details.registry_known, "the details flag it too");
    assert!(!other.requests().is_empty(), "looked up once asked to");

    // An entry with a package and a remote: the window's choice picks what the plan runs and adds.
    use lanyard::catalog::Choice;
    const WEATHER: &str = "com.example/weather";
    let weather = |choice| Request::Details { registry: None, name: WEATHER.into(), version: None, choice };
    let Answer::Details(default) = ask(weather(None)).await.unwrap() else { panic!("details") };
    let offered: Vec<Choice> = default.offers.iter().map(|o| o.choice).collect();
    assert_eq!(offered, [Choice::Package(0), Choice::Remote(0)]);
    assert_eq!(
        default.plan.as_ref().map(|p| p.choice),
        Some(Choice::Package(0)),
        "the package, as without --use"
    );
    let Answer::Details(remote) = ask(weather(Some(Choice::Remote(0)))).await.unwrap() else {
        panic!("details")
    };
    let plan = remote.plan.as_ref().expect("the remote can be added");
    assert_eq!((plan.choice, plan.preview.as_str()), (Choice::Remote(0), "https://weather.example.net/mcp"));
    assert!(
        plan.questions.iter().all(|q| !q.key.starts_with("env:")),
        "the package's variables are not asked"
    );
    let prepare = Request::Add(AddRequest {
        registry: registry.url.clone(),
        name: WEATHER.into(),
        version: "3.2.0".into(),
        id: "weather".into(),
        choice: Some(Choice::Remote(0)),
        answers: Default::default(),
        confirmed: false,
        from_link: false,
    });
    let Answer::Prepared(prepared) = ask(prepare).await.unwrap() else { panic!("prepared") };
    assert_eq!((prepared.shown.as_str(), prepared.remote), ("https://weather.example.net/mcp", true));

    // A program a web page's link asked for is stored disabled, waiting for the person's
    // approval, whatever they confirmed in the window; the status says so and shows what it runs.
    let from_link = Request::Add(AddRequest {
        registry: registry.url.clone(),
        name: WEATHER.into(),
        version: "3.2.0".into(),
        id: "weather".into(),
        choice: Some(Choice::Package(0)),
        answers: [("env:WEATHER_API_KEY".to_owned(), "k3y".to_owned())].into(),
        confirmed: true,
        from_link: true,
    });
    let Answer::Added(added) = ask(from_link).await.unwrap() else { panic!("added") };
    assert!(added.waiting_for_approval, "a program from a link waits");
    let weather_id = id("weather");
    let row = engine.status(Some(&weather_id)).await.unwrap().remove(0);
    assert_eq!(row.state, lanyard::source::SourceState::WaitingForApproval);
    let launch = row.launch.expect("a stdio source shows what it runs");
    assert!(launch.command_line.starts_with("docker run"), "{}", launch.command_line);
    assert!(launch.env.iter().any(|v| v.name == "WEATHER_API_KEY" && v.secret.is_some()), "{:?}", launch.env);
    let Err(err) = engine.connect(&weather_id).await else { panic!("nothing runs before the approval") };
    assert!(err.to_string().contains("waits for your approval"), "{err}");
    engine.edit_profile(&weather_id, Vec::new(), |p| p.enabled = true).await.unwrap();
    assert!(!engine.profile(&weather_id).unwrap().waiting_for_approval, "enabling is the approval");
    engine.remove_profile(&weather_id).await.unwrap();

    engine.remove_profile(&source).await.unwrap();
}
