//! Networks people actually have (issue 7): a forward proxy from the environment is used for
//! upstreams, never for loopback, and a proxy setting that cannot be used is an error naming the
//! variable; a server whose certificate comes from a private CA is trusted with `LANYARD_CA_BUNDLE`
//! and only then. The proxy is Debian's tinyproxy, started on 127.0.0.1 by the test.
//!
//! A loopback URL never goes through a proxy, so the upstream is addressed as `0.0.0.0:<port>`:
//! not a loopback name to Lanyard's rules, yet the same local server to the kernel, so the test
//! can see traffic cross the proxy without leaving the machine.

use std::path::Path;
use std::process::{Command, Stdio};

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

/// `lanyard tools --url <url>` in an empty home with `env`; exit code, stdout, stderr.
fn tools(url: &str, env: &[(&str, &str)]) -> (i32, String, String) {
    let home = tempfile::tempdir().expect("a temp dir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_lanyard"));
    command
        .args(["tools", "--url", url])
        .env("LANYARD_CONFIG_DIR", home.path().join("config"))
        .env("LANYARD_DATA_DIR", home.path().join("data"))
        .env_remove("LANYARD_LOG")
        .stdin(Stdio::null());
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
    let output = command.output().expect("lanyard runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn issue_7_upstreams_go_through_the_proxy_and_loopback_never_does() {
    let (_server, url) =
        start_everything(Everything::StreamableHttp).await.expect("server-everything starts");
    let dir = tempfile::tempdir().expect("a temp dir");
    let (_proxy, proxy_url, log) = start_tinyproxy(dir.path()).await;
    let through = url.replacen("127.0.0.1", "0.0.0.0", 1);

    let (code, stdout, stderr) = tools(&through, &[("HTTP_PROXY", &proxy_url)]);
    assert_eq!(code, 0, "the tools are listed through the proxy: {stderr}");
    assert!(stdout.contains("echo"), "server-everything's tools arrive: {stdout}");
    let seen = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(seen.contains("0.0.0.0"), "the proxy saw the upstream's requests: {seen}");

    let dead_proxy = format!("http://127.0.0.1:{}", free_port().unwrap());
    let (code, _, stderr) = tools(&url, &[("HTTP_PROXY", &dead_proxy), ("HTTPS_PROXY", &dead_proxy)]);
    assert_eq!(code, 0, "a loopback upstream bypasses even a dead proxy: {stderr}");
    let (code, _, stderr) = tools(&through, &[("HTTP_PROXY", &dead_proxy), ("NO_PROXY", "0.0.0.0")]);
    assert_eq!(code, 0, "NO_PROXY is honoured: {stderr}");
    let (code, _, _) = tools(&through, &[("HTTP_PROXY", &dead_proxy)]);
    assert_ne!(code, 0, "without NO_PROXY the dead proxy is used, and fails: the bypass above was real");
}

#[test]
fn issue_7_an_unusable_proxy_setting_is_an_error_naming_the_variable() {
    let (code, _, stderr) = tools("http://0.0.0.0:9/mcp", &[("HTTP_PROXY", "not a url, with p4ssword")]);
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

#[tokio::test]
async fn issue_7_a_server_of_a_private_ca_is_trusted_only_with_the_bundle() {
    let dir = tempfile::tempdir().expect("a temp dir");
    make_test_ca(dir.path());
    let port = free_port().expect("a free port");
    // A plain HTTPS server (Node's own) that answers every request with 404: enough to tell a
    // finished TLS handshake from a refused certificate.
    let script = format!(
        "const fs=require('fs');require('https').createServer({{key:fs.readFileSync('srv.key'),cert:fs.readFileSync('srv.pem')}},(q,s)=>{{s.writeHead(404,{{'content-type':'text/plain'}});s.end('not here')}}).listen({port},'127.0.0.1')"
    );
    let child = tokio::process::Command::new("node")
        .args(["-e", &script])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let _server = ChildGuard::new(child);
    wait_for_port(port).await.expect("the HTTPS server listens");
    let url = format!("https://127.0.0.1:{port}/mcp");

    let (code, _, stderr) = tools(&url, &[]);
    assert_ne!(code, 0, "an unknown issuer is refused");
    assert!(stderr.contains("TLS handshake"), "the refusal is about the certificate: {stderr}");

    let bundle = dir.path().join("ca.pem");
    let (code, _, stderr) = tools(&url, &[("LANYARD_CA_BUNDLE", bundle.to_str().unwrap())]);
    assert_ne!(code, 0, "the server is not an MCP server, so the command still fails");
    assert!(!stderr.contains("TLS handshake"), "with the bundle the certificate is trusted: {stderr}");
    assert!(stderr.contains("404"), "and the server's own answer comes through: {stderr}");
}
