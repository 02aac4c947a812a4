//! Discovered endpoints that point into a private network are refused unless the profile allows
//! private networks.
//!
//! A public MCP server controls the metadata Lanyard reads, so without this check it could steer
//! the sign-in, the token request (with the client secret) or the registration at a machine on the
//! person's own network, or at a cloud metadata service (169.254.169.254). When the MCP server is
//! itself private (a company-internal server, `localhost`), endpoints there are expected and pass.
//! Only addresses written as such are recognized (`10.0.0.5`, `[fd00::1]`, `localhost`): a public
//! name that resolves to a private address is not, since resolving here would not bind the later
//! connection to the answer.

use std::net::IpAddr;

use url::{Host, Url};

use super::discovery::Discovery;
use super::error::OAuthError;
use crate::ids::SourceId;
use crate::upstream::Origin;

/// Refuses `discovery`'s endpoints that are private while `mcp_url` is not, unless `allowed`.
pub fn check(id: &SourceId, mcp_url: &Url, discovery: &Discovery, allowed: bool) -> Result<(), OAuthError> {
    if allowed || is_private(mcp_url) {
        return Ok(());
    }
    let server = &discovery.server;
    let issuer = Url::parse(&server.issuer).ok();
    let endpoints = [
        ("authorization server", issuer.as_ref()),
        ("authorization_endpoint", server.authorization_endpoint.as_ref()),
        ("token_endpoint", Some(&server.token_endpoint)),
        ("registration_endpoint", server.registration_endpoint.as_ref()),
        ("revocation_endpoint", server.revocation_endpoint.as_ref()),
    ];
    for (what, url) in endpoints {
        if let Some(url) = url.filter(|url| is_private(url)) {
            return Err(OAuthError::PrivateNetwork { id: id.clone(), what, origin: Origin::of(url) });
        }
    }
    Ok(())
}

/// Whether `url` names this machine or a private, link-local, shared or unique-local address.
pub fn is_private(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.');
            name.eq_ignore_ascii_case("localhost") || name.to_ascii_lowercase().ends_with(".localhost")
        }
        Some(Host::Ipv4(ip)) => is_private_ip(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => is_private_ip(IpAddr::V6(ip)),
        None => false,
    }
}

fn is_private_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => {
            let [a, b, ..] = ip.octets();
            ip.is_private()
                || ip.is_loopback()
                || ip.is_link_local()
                || ip.is_unspecified()
                || (a == 100 && (64..128).contains(&b)) // shared address space (RFC 6598)
        }
        IpAddr::V6(ip) => {
            if let Some(v4) = ip.to_ipv4_mapped() {
                return is_private_ip(IpAddr::V4(v4));
            }
            let first = ip.segments()[0];
            ip.is_loopback()
                || ip.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn private(url: &str) -> bool {
        is_private(&Url::parse(url).unwrap())
    }

    #[test]
    fn private_link_local_and_loopback_addresses_are_recognized() {
        for url in [
            "http://10.1.2.3/",
            "https://172.16.0.1/",
            "https://192.168.1.1/",
            "http://169.254.169.254/latest",
            "http://100.64.0.1/",
            "http://127.0.0.1:8080/",
            "http://localhost/",
            "http://auth.localhost/",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[::ffff:10.0.0.1]/",
            "http://0.0.0.0/",
        ] {
            assert!(private(url), "{url} is private");
        }
        for url in
            ["https://auth.example.com/", "https://8.8.8.8/", "https://[2001:db8::1]/", "https://172.32.0.1/"]
        {
            assert!(!private(url), "{url} is public");
        }
    }

    fn discovery(token_endpoint: &str) -> Discovery {
        let server = super::super::discovery::ServerMetadata {
            issuer: "https://as.example".into(),
            authorization_endpoint: Some(Url::parse("https://as.example/authorize").unwrap()),
            token_endpoint: Url::parse(token_endpoint).unwrap(),
            registration_endpoint: None,
            revocation_endpoint: None,
            code_challenge_methods_supported: vec!["S256".into()],
            authorization_response_iss_parameter_supported: true,
            client_id_metadata_document_supported: false,
            token_endpoint_auth_methods_supported: None,
            scopes_supported: None,
            dpop_signing_alg_values_supported: None,
        };
        Discovery {
            resource: "https://mcp.example/mcp".into(),
            resource_metadata: None,
            server,
            challenge: None,
        }
    }

    #[test]
    fn a_public_server_cannot_point_endpoints_into_a_private_network_unless_allowed() {
        let id: SourceId = "s".parse().unwrap();
        let public = Url::parse("https://mcp.example/mcp").unwrap();
        let steered = discovery("http://169.254.169.254/token");
        let err =
            check(&id, &public, &steered, false).expect_err("a metadata-service token endpoint is refused");
        let message = err.to_string();
        assert!(message.contains("token_endpoint") && message.contains("169.254.169.254"), "{message}");
        assert!(message.contains("--allow-private-network"), "the error names the switch: {message}");
        assert!(check(&id, &public, &steered, true).is_ok(), "the profile may allow it");
        let internal = Url::parse("https://10.0.0.2/mcp").unwrap();
        assert!(
            check(&id, &internal, &steered, false).is_ok(),
            "a private MCP server may use private endpoints"
        );
        assert!(
            check(&id, &public, &discovery("https://as.example/token"), false).is_ok(),
            "public ones pass"
        );
    }
}
