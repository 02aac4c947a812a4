//! The door of `lanyard serve`: who may use the local HTTP bridge.
//!
//! Every request is checked here before anything else happens: `Host` must be a loopback name or
//! address with our port (a DNS-rebinding page reaches us under its own host name), `Origin`, when
//! a browser sends one, must be a loopback origin (another web page must not drive the bridge),
//! and the token must be the bridge token or an agent's (other local users and processes must
//! not). The token says which agent calls ([`Keyring`]); the admitted request carries that
//! agent's [`Access`] on to the routes. A refused request gets 403 (Host, Origin) or 401 (token)
//! and reaches no upstream.
//!
//! The token travels as `Authorization: Bearer <token>`, or in `Lanyard-Bridge-Token: <token>`
//! for an agent that needs `Authorization` for its own credential (sources with
//! `auth = passthrough`). Whichever header carried it is removed once the request is admitted, so
//! the bridge token can never be forwarded to an upstream.

use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode, header};

use crate::agents::{Access, Keyring};

/// Why a request was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `Host` is missing or not a loopback name with our port.
    Host,
    /// `Origin` is present and not a loopback origin.
    Origin,
    /// No bearer token.
    MissingToken,
    /// A bearer token that is not this install's.
    WrongToken,
}

impl Refusal {
    pub fn status(self) -> StatusCode {
        match self {
            Refusal::Host | Refusal::Origin => StatusCode::FORBIDDEN,
            Refusal::MissingToken | Refusal::WrongToken => StatusCode::UNAUTHORIZED,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Refusal::Host => "the Host header must be 127.0.0.1, localhost or [::1] with this port",
            Refusal::Origin => {
                "requests from web pages are not allowed; only loopback origins may call the bridge"
            }
            Refusal::MissingToken => {
                "missing bridge token: send `Authorization: Bearer <token>` or `Lanyard-Bridge-Token: <token>` (see `lanyard bridge-token`)"
            }
            Refusal::WrongToken => {
                "wrong token: neither the bridge token (`lanyard bridge-token`) nor an agent's (`lanyard agent token <name>`)"
            }
        }
    }
}

const LOOPBACK_HOSTS: [&str; 3] = ["127.0.0.1", "localhost", "[::1]"];

/// The header that carries the bridge token when `Authorization` is the agent's own.
pub(crate) const BRIDGE_TOKEN_HEADER: &str = "lanyard-bridge-token";

/// Checks one request (see [`check`]) and, when it may pass, takes the token out of it and says
/// which agent it comes from.
pub(crate) fn admit(headers: &mut HeaderMap, port: u16, keys: &Keyring) -> Result<Arc<Access>, Refusal> {
    let access = Arc::clone(check(headers, port, keys)?);
    if headers.remove(BRIDGE_TOKEN_HEADER).is_none() {
        headers.remove(header::AUTHORIZATION);
    }
    Ok(access)
}

/// Checks one request's headers; `port` is the port we listen on. The agent whose token it
/// carries, if it may pass.
pub(crate) fn check<'k>(
    headers: &HeaderMap,
    port: u16,
    keys: &'k Keyring,
) -> Result<&'k Arc<Access>, Refusal> {
    check_host_and_origin(headers, port)?;
    let given = match headers.get(BRIDGE_TOKEN_HEADER) {
        Some(value) => value.to_str().ok(),
        None => headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer "))),
    }
    .ok_or(Refusal::MissingToken)?;
    keys.find(given.trim().as_bytes()).ok_or(Refusal::WrongToken)
}

/// The part of [`check`] that needs no token: `Host` and `Origin`. The hub's proof endpoint
/// (see `hub`) passes this alone, since proving the token's knowledge is its whole point.
pub(crate) fn check_host_and_origin(headers: &HeaderMap, port: u16) -> Result<(), Refusal> {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).ok_or(Refusal::Host)?;
    if !is_loopback_authority(host, Some(port)) {
        return Err(Refusal::Host);
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().map_err(|_| Refusal::Origin)?;
        let authority = origin.strip_prefix("http://").ok_or(Refusal::Origin)?;
        if !is_loopback_authority(authority, None) {
            return Err(Refusal::Origin);
        }
    }
    Ok(())
}

/// `host[:port]` where host is loopback and, when `port` is given, the port is exactly that.
fn is_loopback_authority(authority: &str, port: Option<u16>) -> bool {
    let (host, given_port) = match authority.rsplit_once(':') {
        Some((host, p)) if !host.is_empty() && !p.contains(']') => (host, Some(p)),
        _ => (authority, None),
    };
    let host_ok = LOOPBACK_HOSTS.iter().any(|h| h.eq_ignore_ascii_case(host));
    let port_ok = match (port, given_port) {
        (Some(expected), Some(given)) => given.parse::<u16>().ok() == Some(expected),
        (Some(_), None) => false,
        (None, Some(given)) => given.parse::<u16>().is_ok(),
        (None, None) => true,
    };
    host_ok && port_ok
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;
    use crate::secret::Secret;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    const PORT: u16 = 7587;

    fn token() -> Keyring {
        let default = Arc::new(Access::everything(crate::agents::AgentName::default_agent()));
        let cursor = Arc::new(Access::everything("cursor".parse().unwrap()));
        Keyring::of(vec![(Secret::new("t0ken"), default), (Secret::new("curs0r"), cursor)])
    }

    #[test]
    fn each_token_admits_its_own_agent() {
        let mut h = headers(&[("host", "127.0.0.1:7587"), ("authorization", "Bearer curs0r")]);
        assert_eq!(admit(&mut h, PORT, &token()).map(|a| a.name().to_string()), Ok("cursor".to_owned()));
        let mut h = headers(&[("host", "127.0.0.1:7587"), ("authorization", "Bearer t0ken")]);
        assert_eq!(admit(&mut h, PORT, &token()).map(|a| a.name().to_string()), Ok("default".to_owned()));
    }

    #[test]
    fn loopback_with_token_passes() {
        for host in ["127.0.0.1:7587", "localhost:7587", "[::1]:7587", "LOCALHOST:7587"] {
            let h = headers(&[("host", host), ("authorization", "Bearer t0ken")]);
            assert_eq!(check(&h, PORT, &token()).map(drop), Ok(()), "{host} is loopback");
        }
        let h = headers(&[
            ("host", "127.0.0.1:7587"),
            ("origin", "http://localhost:5173"),
            ("authorization", "Bearer t0ken"),
        ]);
        assert_eq!(check(&h, PORT, &token()).map(drop), Ok(()), "a loopback origin is fine");
    }

    #[test]
    fn rebinding_hosts_and_wrong_ports_are_refused() {
        for host in [
            "evil.example:7587",
            "127.0.0.1",
            "127.0.0.1:80",
            "127.0.0.1.evil.example:7587",
            "localhost:7587x",
        ] {
            let h = headers(&[("host", host), ("authorization", "Bearer t0ken")]);
            assert_eq!(check(&h, PORT, &token()).map(drop), Err(Refusal::Host), "{host} must be refused");
        }
        assert_eq!(
            check(&headers(&[("authorization", "Bearer t0ken")]), PORT, &token()).map(drop),
            Err(Refusal::Host)
        );
    }

    #[test]
    fn foreign_origins_are_refused() {
        for origin in [
            "https://evil.example",
            "http://evil.example:7587",
            "null",
            "https://127.0.0.1:7587",
            "http://localhost.evil:1",
        ] {
            let h =
                headers(&[("host", "127.0.0.1:7587"), ("origin", origin), ("authorization", "Bearer t0ken")]);
            assert_eq!(check(&h, PORT, &token()).map(drop), Err(Refusal::Origin), "{origin} must be refused");
        }
    }

    #[test]
    fn tokens_are_required_and_compared() {
        let h = headers(&[("host", "127.0.0.1:7587")]);
        assert_eq!(check(&h, PORT, &token()).map(drop), Err(Refusal::MissingToken));
        let h = headers(&[("host", "127.0.0.1:7587"), ("authorization", "Bearer nope")]);
        assert_eq!(check(&h, PORT, &token()).map(drop), Err(Refusal::WrongToken));
        let h = headers(&[("host", "127.0.0.1:7587"), ("authorization", "Basic t0ken")]);
        assert_eq!(
            check(&h, PORT, &token()).map(drop),
            Err(Refusal::MissingToken),
            "only bearer tokens count"
        );
        assert_eq!(Refusal::WrongToken.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(Refusal::Origin.status(), StatusCode::FORBIDDEN);
    }

    #[test]
    fn admitted_requests_lose_the_bridge_token_and_keep_the_agents_own() {
        let mut h = headers(&[("host", "127.0.0.1:7587"), ("authorization", "Bearer t0ken")]);
        assert_eq!(admit(&mut h, PORT, &token()).map(drop), Ok(()));
        assert!(h.get("authorization").is_none(), "the bridge token must not stay in the request");

        let mut h = headers(&[
            ("host", "127.0.0.1:7587"),
            ("lanyard-bridge-token", "t0ken"),
            ("authorization", "Bearer agents-own"),
        ]);
        assert_eq!(admit(&mut h, PORT, &token()).map(drop), Ok(()));
        assert!(h.get("lanyard-bridge-token").is_none(), "the bridge token header must be removed");
        assert_eq!(
            h["authorization"], "Bearer agents-own",
            "the agent's own credential stays for passthrough"
        );

        let mut h = headers(&[
            ("host", "127.0.0.1:7587"),
            ("lanyard-bridge-token", "nope"),
            ("authorization", "Bearer t0ken"),
        ]);
        assert_eq!(
            admit(&mut h, PORT, &token()).map(drop),
            Err(Refusal::WrongToken),
            "with the token header present, Authorization is the agent's and does not open the door"
        );
    }
}
