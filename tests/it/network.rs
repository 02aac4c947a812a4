//! Networks people actually have (issue 7): a forward proxy from the environment is used for
//! upstreams, never for loopback, and a proxy setting that cannot be used is an error naming the
//! variable; a server whose certificate comes from a private CA is trusted with `LANYARD_CA_BUNDLE`
//! and only then, or with the source's own `ca_bundle`, which no other source shares. The proxy is
//! Debian's tinyproxy, started on 127.0.0.1 by the test.
//!
//! A loopback URL never goes through a proxy, so the upstream is addressed as `0.0.0.0:<port>`:
//! not a loopback name to Lanyard's rules, yet the same local server to the kernel, so the test
//! can see traffic cross the proxy without leaving the machine.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::home::{Home, Run};
use crate::support::{ChildGuard, Everything, free_port, start_everything, wait_for_port};

/// tinyproxy on 127.0.0.1 with its log in `dir`; returns it, its URL and the log's path.
async fn start_tinyproxy(dir: &Path) -> (ChildGuard, String, std::path::PathBuf) {
    let port = free_port().expect("a free port");
    let log = dir.join("tinyproxy.log");
    let conf = dir.join("tinyproxy.conf");
    let text = format!(
        "Port {port}\nListen 127.0.0.1\nTimeout 30\nLogFile \"{}\"\nLogLevel Info\nAllow 127.0.0.1\nMaxClients 20\n",
        log.display()
    );
    std::fs::write(&conf, text).expect("write the proxy config");
    let child = tokio::process::Command::new("tinyproxy")
        .arg("-d")
        .arg("-c")
        .arg(&conf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("tinyproxy runs (scripts/install-test-deps.sh installs it)");
    wait_for_port(port).await.expect("tinyproxy listens");
    (ChildGuard::new(child), format!("http://127.0.0.1:{port}"), log)
}

/// `lanyard tools --url <url>` in an empty home with `env`.
fn tools(url: &str, env: &[(&str, &str)]) -> Run {
    let home = Home::own_install();
    let mut command = home.command(&["tools", "--url", url]);
    for var in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "no_proxy",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    Run::from(command.output().expect("lanyard runs"))
}

#[tokio::test]
async fn issue_7_upstreams_go_through_the_proxy_and_loopback_never_does() {
    let (_server, url) =
        start_everything(Everything::StreamableHttp).await.expect("server-everything starts");
    let dir = tempfile::tempdir().expect("a temp dir");
    let (_proxy, proxy_url, log) = start_tinyproxy(dir.path()).await;
    let through = url.replacen("127.0.0.1", "0.0.0.0", 1);

    let Run { code, stdout, stderr } = tools(&through, &[("HTTP_PROXY", &proxy_url)]);
    assert_eq!(code, 0, "the tools are listed through the proxy: {stderr}");
    assert!(stdout.contains("echo"), "server-everything's tools arrive: {stdout}");
    let seen = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(seen.contains("0.0.0.0"), "the proxy saw the upstream's requests: {seen}");

    let dead_proxy = format!("http://127.0.0.1:{}", free_port().unwrap());
    let Run { code, stderr, .. } = tools(&url, &[("HTTP_PROXY", &dead_proxy), ("HTTPS_PROXY", &dead_proxy)]);
    assert_eq!(code, 0, "a loopback upstream bypasses even a dead proxy: {stderr}");
    let Run { code, stderr, .. } = tools(&through, &[("HTTP_PROXY", &dead_proxy), ("NO_PROXY", "0.0.0.0")]);
    assert_eq!(code, 0, "NO_PROXY is honoured: {stderr}");
    let Run { code, .. } = tools(&through, &[("HTTP_PROXY", &dead_proxy)]);
    assert_ne!(code, 0, "without NO_PROXY the dead proxy is used, and fails: the bypass above was real");
}

#[test]
fn issue_7_an_unusable_proxy_setting_is_an_error_naming_the_variable() {
    let Run { code, stderr, .. } =
        tools("http://0.0.0.0:9/mcp", &[("HTTP_PROXY", "not a url, with p4ssword")]);
    assert_ne!(code, 0, "the command fails");
    assert!(stderr.contains("HTTP_PROXY"), "the error names the variable: {stderr}");
    assert!(!stderr.contains("p4ssword"), "and never repeats the value, which may hold a password: {stderr}");
}

/// `openssl` makes a test CA and a certificate for 127.0.0.1 signed by it, in `dir`.
fn make_test_ca(dir: &Path) {
    let run = |args: &[&str]| {
        let status = Command::new("openssl").args(args).current_dir(dir).stderr(Stdio::null()).status();
        assert!(status.expect("openssl runs").success(), "openssl {args:?}");
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Lanyard Test CA",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "srv.key",
        "-out",
        "srv.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(
        dir.join("ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "srv.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "srv.pem",
        "-days",
        "2",
        "-extfile",
        "ext",
    ]);
}

/// A plain HTTPS server (Node's own) on 127.0.0.1 with a certificate of the test CA made in
/// `dir`, answering every request with 404: enough to tell a finished TLS handshake from a
/// refused certificate. Returns it and its `/mcp` URL.
async fn start_private_tls_server(dir: &Path) -> (ChildGuard, String) {
    make_test_ca(dir);
    let port = free_port().expect("a free port");
    let script = format!(
        "const fs=require('fs');require('https').createServer({{key:fs.readFileSync('srv.key'),cert:fs.readFileSync('srv.pem')}},(q,s)=>{{s.writeHead(404,{{'content-type':'text/plain'}});s.end('not here')}}).listen({port},'127.0.0.1')"
    );
    let child = tokio::process::Command::new("node")
        .args(["-e", &script])
        .current_dir(dir)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let server = ChildGuard::new(child);
    wait_for_port(port).await.expect("the HTTPS server listens");
    (server, format!("https://127.0.0.1:{port}/mcp"))
}

#[tokio::test]
async fn issue_7_a_server_of_a_private_ca_is_trusted_only_with_the_bundle() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (_server, url) = start_private_tls_server(dir.path()).await;

    let Run { code, stderr, .. } = tools(&url, &[]);
    assert_ne!(code, 0, "an unknown issuer is refused");
    assert!(stderr.contains("TLS handshake"), "the refusal is about the certificate: {stderr}");

    let bundle = dir.path().join("ca.pem");
    let Run { code, stderr, .. } = tools(&url, &[("LANYARD_CA_BUNDLE", bundle.to_str().unwrap())]);
    assert_ne!(code, 0, "the server is not an MCP server, so the command still fails");
    assert!(!stderr.contains("TLS handshake"), "with the bundle the certificate is trusted: {stderr}");
    assert!(stderr.contains("404"), "and the server's own answer comes through: {stderr}");
}

/// `lanyard <args>` in `home` with no proxy or CA variables.
fn lanyard(home: &Home, args: &[&str]) -> Run {
    let mut command = home.command(args);
    command.env_remove("LANYARD_CA_BUNDLE");
    for var in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"] {
        command.env_remove(var);
    }
    Run::from(command.output().expect("lanyard runs"))
}

#[tokio::test]
async fn issue_7_a_source_trusts_its_own_ca_bundle_and_only_that_source() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (_server, url) = start_private_tls_server(dir.path()).await;
    let home = &Home::own_install();
    // A copy of the CA, so that breaking it later leaves the server's files alone.
    let bundle = home.path().join("corp-ca.pem");
    std::fs::copy(dir.path().join("ca.pem"), &bundle).expect("copy the test CA");
    let bundle_arg = bundle.to_str().unwrap();

    let Run { code, stderr, .. } =
        lanyard(home, &["profile", "add", "corp", "--url", &url, "--ca-bundle", bundle_arg]);
    assert_eq!(code, 0, "a source with a readable bundle is saved: {stderr}");
    let Run { code, stderr, .. } = lanyard(home, &["profile", "add", "other", "--url", &url]);
    assert_eq!(code, 0, "a second source for the same server, without a bundle: {stderr}");
    let Run { stdout: shown, .. } = lanyard(home, &["profile", "show", "corp"]);
    assert!(
        shown.contains("ca_bundle") && shown.contains(bundle_arg),
        "show prints the bundle's path: {shown}"
    );

    let Run { code, stderr, .. } = lanyard(home, &["tools", "corp"]);
    assert_ne!(code, 0, "the server is not an MCP server, so the command still fails");
    assert!(!stderr.contains("TLS handshake"), "the source's bundle makes its server trusted: {stderr}");
    assert!(stderr.contains("404"), "and the server's own answer comes through: {stderr}");

    let Run { code, stderr, .. } = lanyard(home, &["tools", "other"]);
    assert_ne!(code, 0, "another source does not borrow the bundle");
    assert!(stderr.contains("TLS handshake"), "its refusal is about the certificate: {stderr}");

    std::fs::write(&bundle, "not a certificate\n").expect("break the bundle");
    let Run { code, stderr, .. } = lanyard(home, &["tools", "corp"]);
    assert_eq!(code, 5, "a broken bundle is a profile problem (exit 5): {stderr}");
    for part in ["`corp`", "ca_bundle", bundle_arg, "no PEM certificate"] {
        assert!(stderr.contains(part), "the error names {part}: {stderr}");
    }
    assert!(!stderr.contains("panicked"), "no panic: {stderr}");

    let Run { code, stderr, .. } = lanyard(home, &["profile", "edit", "corp", "--no-ca-bundle"]);
    assert_eq!(code, 0, "the bundle can be cleared: {stderr}");
    let Run { stdout: shown, .. } = lanyard(home, &["profile", "show", "corp"]);
    assert!(!shown.contains("ca_bundle"), "cleared means gone from the file: {shown}");
    let Run { code, stderr, .. } = lanyard(home, &["tools", "corp"]);
    assert_ne!(code, 0, "without its bundle the source is refused");
    assert!(
        stderr.contains("TLS handshake"),
        "by the certificate check, so the bundle did the trusting: {stderr}"
    );
}

#[test]
fn issue_7_a_missing_ca_bundle_is_refused_when_the_source_is_added() {
    let home = &Home::own_install();
    let missing = home.path().join("nowhere").join("ca.pem");
    let missing = missing.to_str().unwrap();
    let Run { code, stderr, .. } = lanyard(
        home,
        &["profile", "add", "corp", "--url", "https://127.0.0.1:9/mcp", "--ca-bundle", missing],
    );
    assert_eq!(code, 5, "an unreadable bundle is a profile problem (exit 5): {stderr}");
    for part in ["`corp`", "ca_bundle", missing, "cannot be read"] {
        assert!(stderr.contains(part), "the error names {part}: {stderr}");
    }
    let Run { stdout: listed, .. } = lanyard(home, &["profile", "list"]);
    assert!(!listed.contains("corp"), "nothing is saved: {listed}");
}

#[tokio::test]
async fn issue_7_sign_in_requests_trust_the_source_ca_bundle() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (_server, url) = start_private_tls_server(dir.path()).await;
    let home = &Home::own_install();
    let bundle = dir.path().join("ca.pem");
    let add =
        ["profile", "add", "corp", "--url", &url, "--auth", "oauth", "--ca-bundle", bundle.to_str().unwrap()];
    let Run { code, stderr, .. } = lanyard(home, &add);
    assert_eq!(code, 0, "an OAuth source with a bundle is saved: {stderr}");
    let Run { code, stderr, .. } =
        lanyard(home, &["profile", "add", "other", "--url", &url, "--auth", "oauth"]);
    assert_eq!(code, 0, "the same server without a bundle: {stderr}");

    // Discovery is the sign-in's first request. The server has no metadata, so discovery falls
    // back to the 2025-03-26 default endpoints at its origin and stops at the registration the
    // server does not have, before any browser would open: an HTTP answer, over TLS.
    let Run { code, stderr, .. } = lanyard(home, &["connect", "corp", "--no-browser"]);
    assert_ne!(code, 0, "the server publishes no OAuth metadata");
    assert!(
        stderr.contains("answered the client registration with HTTP 404"),
        "discovery got the server's answers over TLS: {stderr}"
    );
    assert!(!stderr.contains("invalid peer certificate"), "the certificate was trusted: {stderr}");

    let Run { code, stderr, .. } = lanyard(home, &["connect", "other", "--no-browser"]);
    assert_ne!(code, 0, "without the bundle discovery cannot connect");
    assert!(
        stderr.contains("invalid peer certificate"),
        "and the refusal is the certificate, so the bundle made the difference above: {stderr}"
    );
}

#[test]
fn issue_7_doctor_checks_a_source_ca_bundle() {
    let dir = tempfile::tempdir().expect("a temp dir");
    make_test_ca(dir.path());
    let home = &Home::own_install();
    let bundle = home.path().join("corp-ca.pem");
    std::fs::copy(dir.path().join("ca.pem"), &bundle).expect("copy the test CA");
    let url = format!("https://127.0.0.1:{}/mcp", free_port().unwrap());
    let add = ["profile", "add", "corp", "--url", &url, "--ca-bundle", bundle.to_str().unwrap()];
    let Run { code, stderr, .. } = lanyard(home, &add);
    assert_eq!(code, 0, "the source is saved: {stderr}");
    let corp = |report: &serde_json::Value| -> Vec<(String, String)> {
        let all = report["findings"].as_array().expect("doctor lists findings");
        all.iter()
            .filter(|f| f["subject"] == "corp")
            .map(|f| (f["outcome"].as_str().unwrap().to_owned(), f["detail"].as_str().unwrap().to_owned()))
            .collect()
    };
    let doctor = || {
        let Run { stdout, stderr, .. } = lanyard(home, &["doctor", "--json"]);
        serde_json::from_str::<serde_json::Value>(&stdout)
            .unwrap_or_else(|err| panic!("doctor --json is JSON ({err}): {stdout}{stderr}"))
    };

    let found = corp(&doctor());
    assert!(
        found.iter().any(|(outcome, detail)| outcome == "ok"
            && detail.contains("ca_bundle")
            && detail.contains("1 certificate")),
        "a readable bundle is reported with its certificates: {found:?}"
    );

    std::fs::write(&bundle, "not a certificate\n").expect("break the bundle");
    let found = corp(&doctor());
    assert!(
        found.iter().any(|(outcome, detail)| outcome == "problem"
            && detail.contains("ca_bundle")
            && detail.contains(bundle.to_str().unwrap())),
        "a broken bundle is a problem naming the field and the path: {found:?}"
    );
}
