//! Entry points for the fuzz targets in `fuzz/`: each feeds arbitrary bytes to the engine's real
//! parser for one kind of hostile input and checks what must hold for any input.
//!
//! They live in the engine, not in the fuzz crate, because the parsers are private to their
//! modules and a copy would prove nothing; they are compiled (and linted, and run over the seed
//! corpus by a unit test) in every build, so they cannot rot between fuzzing runs. Hidden from
//! the documentation: no caller but the fuzz targets and the tests should use them. Every
//! function must return normally for any input; a panic is a finding.

use std::path::Path;

use url::Url;

use crate::bridge::jsonrpc;
use crate::expand::{expand, variables};
use crate::ids::SourceId;
use crate::oauth::account::from_id_token;
use crate::oauth::binding::canonical_resource;
use crate::oauth::challenge;
use crate::oauth::discovery::{self, resource_metadata_urls, server_metadata_urls};
use crate::oauth::http::{is_safe_endpoint, refusal};
use crate::oauth::redirect::{Answer, Expected, check, request_target};
use crate::oauth::tokens::{Grant, StoredTokens, TokenAnswer};
use crate::oauth::{OAuthError, Step};
use crate::profile::{ProfileFile, parse_import};
use crate::secret::Secret;
use crate::upstream::Origin;

const ISSUER: &str = "https://auth.example.com";
const MCP_URL: &str = "https://mcp.example.com/mcp";

fn id() -> SourceId {
    "fuzz".parse().expect("a valid id")
}

fn url(raw: &str) -> Url {
    Url::parse(raw).expect("a valid URL")
}

/// A server's text reaches the person only through error messages: none may carry a control
/// character (terminal escapes, fake lines).
fn assert_printable(err: &OAuthError) {
    let text = err.to_string();
    assert!(!text.chars().any(char::is_control), "an error message carries a control character: {text:?}");
}

/// `WWW-Authenticate` header values (one per line).
pub fn www_authenticate(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for challenge in challenge::parse(text) {
        assert!(!challenge.scheme.is_empty(), "a challenge without a scheme");
    }
    if let Some(bearer) = challenge::bearer(text.lines())
        && let Some(scope) = &bearer.scope
    {
        assert!(scope.iter().all(|s| !s.is_empty()), "an empty scope from {text:?}");
    }
}

/// A protected resource metadata body (RFC 9728) for [`MCP_URL`].
pub fn resource_metadata(data: &[u8]) {
    let mcp_url = url(MCP_URL);
    match discovery::parse_resource_metadata(&id(), &mcp_url, &Origin::of(&mcp_url), data) {
        Ok(metadata) => {
            assert!(discovery::resource_covers(&metadata.resource, &mcp_url), "accepted another resource");
            if let Ok(resource) = Url::parse(&metadata.resource) {
                let _ = (canonical_resource(&resource), resource_metadata_urls(&resource));
            }
            for issuer in metadata.authorization_servers.iter().filter_map(|raw| Url::parse(raw).ok()) {
                let _ = server_metadata_urls(&issuer);
            }
        }
        Err(err) => assert_printable(&err),
    }
}

/// An authorization server metadata body (RFC 8414 / OpenID Connect) fetched for [`ISSUER`].
pub fn server_metadata(data: &[u8]) {
    let from = Origin::of(&url(ISSUER));
    match discovery::parse_server_metadata(&id(), ISSUER, &from, data) {
        Ok(server) => {
            let endpoints = [
                Some(&server.token_endpoint),
                server.authorization_endpoint.as_ref(),
                server.registration_endpoint.as_ref(),
                server.revocation_endpoint.as_ref(),
            ];
            for endpoint in endpoints.into_iter().flatten() {
                assert!(is_safe_endpoint(endpoint), "an unsafe endpoint was accepted: {endpoint}");
            }
        }
        Err(err) => assert_printable(&err),
    }
}

/// A token endpoint body: as a success (with its ID token, and renewing held tokens) and as an
/// error answer.
pub fn token_response(data: &[u8]) {
    let (id, endpoint) = (id(), url("https://auth.example.com/token"));
    let origin = Origin::of(&endpoint);
    match TokenAnswer::parse(&id, &origin, Step::CodeExchange, data, true) {
        Ok(answer) => {
            assert!(!answer.access_token.is_empty(), "an empty access token was accepted");
            if let Some(id_token) = &answer.id_token {
                let _ = from_id_token(id_token, ISSUER, "client");
            }
            let held = StoredTokens {
                access_token: Secret::new("old".to_owned()),
                refresh_token: Some(Secret::new("refresh".to_owned())),
                expires_at: Some(1),
                refresh_expires_at: None,
                scopes: vec!["read".to_owned()],
                issuer: ISSUER.to_owned(),
                token_endpoint: endpoint,
                revocation_endpoint: None,
                client_id: "client".to_owned(),
                client_auth_method: "none".to_owned(),
                resource: Some(MCP_URL.to_owned()),
                grant: Grant::AuthorizationCode,
                obtained_at: 0,
                step_up: None,
                account: None,
                binding: None,
                dpop_key: None,
            };
            let renewed = answer.renew(&held);
            assert!(renewed.refresh_token.is_some(), "a refresh lost the refresh token");
        }
        Err(err) => assert_printable(&err),
    }
    assert_printable(&refusal(&id, &origin, Step::Refresh, 400, data));
}

/// An HTTP request head arriving at the loopback redirect listener, and a pasted answer.
pub fn callback(data: &[u8]) {
    let id = id();
    let answers = [
        request_target(data).map(|target| Answer::from_query(target.split_once('?').map_or("", |(_, q)| q))),
        std::str::from_utf8(data).ok().map(Answer::from_pasted),
    ];
    for answer in answers.into_iter().flatten() {
        for iss_required in [false, true] {
            let expected = Expected { state: "state".to_owned(), issuer: ISSUER.to_owned(), iss_required };
            let state_ok = answer.state.as_deref() == Some("state");
            let copy = Answer {
                code: answer.code.clone(),
                state: answer.state.clone(),
                iss: answer.iss.clone(),
                error: answer.error.clone(),
            };
            match check(&id, copy, &expected) {
                Ok(code) => {
                    assert!(state_ok, "a code was accepted without the right state");
                    assert!(!code.is_empty(), "an empty code was accepted");
                }
                Err(err) => assert_printable(&err),
            }
        }
    }
}

/// The profile file. One that loads must survive being written back and loaded again.
pub fn profile_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let path = Path::new("profiles.toml");
    let _ = variables(text);
    let _ = expand(text, |name| (name.len() % 2 == 0).then(|| name.to_owned()));
    if let Ok(file) = ProfileFile::parse(text, path) {
        let written = file.to_toml();
        match ProfileFile::parse(&written, path) {
            Ok(again) => assert_eq!(again, file, "a written profile file reads back differently"),
            Err(err) => panic!("a profile file that loaded cannot be written back: {err}\n{written}"),
        }
    }
}

/// An IDE's MCP config file. Every profile it yields must be one Lanyard can save and load.
pub fn ide_import(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(report) = parse_import(text, Path::new("mcp.json")) else { return };
    let mut file = ProfileFile::default();
    for imported in report.profiles {
        let id = imported.profile.id().clone();
        if let Err(err) = file.insert(imported.profile) {
            panic!("an imported profile `{id}` cannot be saved: {err}");
        }
    }
    let written = file.to_toml();
    match ProfileFile::parse(&written, Path::new("profiles.toml")) {
        Ok(again) => assert_eq!(again, file, "imported profiles read back differently"),
        Err(err) => panic!("imported profiles cannot be loaded once saved: {err}\n{written}"),
    }
}

/// A JSON-RPC message (or batch) as the bridge peeks at it. An error reply made for a request
/// must peek back as the response to that request.
pub fn jsonrpc_peek(data: &[u8]) {
    let Some(messages) = jsonrpc::peek(data) else { return };
    for message in messages {
        let (request, response) = (message.request_key(), message.response_key());
        assert!(request.is_none() || response.is_none(), "a message is both a request and a response");
        if let (Some(key), Some(id_value)) = (request, &message.id) {
            let reply = jsonrpc::error_reply(id_value, jsonrpc::UPSTREAM_FAILED, "down", &id());
            let peeked = jsonrpc::peek(&reply).expect("an error reply is JSON-RPC");
            assert_eq!(peeked[0].response_key(), Some(key), "the reply answers another id");
        }
    }
}

#[cfg(test)]
mod tests {
    //! Runs every committed seed (and every regression input) through its entry point, so the
    //! ordinary test suite checks what the fuzzers start from.

    use std::path::PathBuf;

    type Target = fn(&[u8]);

    const TARGETS: &[(&str, Target)] = &[
        ("www_authenticate", super::www_authenticate),
        ("resource_metadata", super::resource_metadata),
        ("server_metadata", super::server_metadata),
        ("token_response", super::token_response),
        ("callback", super::callback),
        ("profile_file", super::profile_file),
        ("ide_import", super::ide_import),
        ("jsonrpc_peek", super::jsonrpc_peek),
    ];

    #[test]
    fn every_seed_and_regression_input_passes() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz");
        for (name, target) in TARGETS {
            let mut ran = 0;
            for folder in ["corpus", "regressions"] {
                let Ok(entries) = std::fs::read_dir(root.join(folder).join(name)) else { continue };
                for entry in entries {
                    let path = entry.expect("a readable folder").path();
                    let data = std::fs::read(&path).expect("a readable seed");
                    target(&data);
                    ran += 1;
                }
            }
            assert!(ran >= 3, "fuzz/corpus/{name} should hold a handful of seeds, found {ran}");
        }
    }
}
