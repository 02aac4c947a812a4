//! DPoP (RFC 9449): tokens bound to a key pair that only Lanyard holds, so that a token that
//! leaks (from a log, a proxy, an agent's memory) is worth nothing without the key.
//!
//! When a server asks for it (see [`Discovery::wants_dpop`](super::discovery::Discovery)), a
//! source's sign-in makes a P-256 key pair and sends a proof signed with it to the token
//! endpoint; the authorization server binds the tokens to the key's thumbprint and answers
//! `token_type: DPoP`. The private key is kept with those tokens, inside the one keychain entry
//! that holds them ([`super::tokens`]), so the key lives exactly as long as the tokens it
//! binds: a new sign-in makes a new key, a sign-out ends both, and no file ever holds either.
//! Every later token request (refresh, a new service token, a new identity assertion grant)
//! and every MCP request carries a fresh proof: a JWT (`typ` `dpop+jwt`, ES256, the public key
//! in `jwk`) over the request's method (`htm`) and URL without query or fragment (`htu`), with
//! its own `jti`, `iat`, and at a resource server `ath`, the hash of the access token. Agents
//! never see the key or a proof: the bridge adds them to each request it forwards.
//!
//! A server may demand a nonce of its choosing in the proof (`use_dpop_nonce`, with the nonce
//! in a `DPoP-Nonce` header): the request is sent once more with it. The last nonce each server
//! gave is remembered for this process's next proofs there ([`remember_nonce`]), since servers
//! rotate them at their own pace and say so in any answer.
//!
//! Signing is aws-lc-rs, the crypto rustls already brings: its fixed-size ECDSA signature is
//! exactly the JWS `r || s` form.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use sha2::{Digest, Sha256};
use url::Url;

use crate::clock::now;
use crate::ids::random_base64url;
use crate::secret::Secret;

/// The request header that carries a proof.
pub const PROOF_HEADER: &str = "DPoP";
/// The answer header that carries a server's nonce.
pub const NONCE_HEADER: &str = "DPoP-Nonce";
/// The one algorithm Lanyard signs proofs with.
pub const ALGORITHM: &str = "ES256";
/// The error code of a server that wants a (new) nonce in the proof.
pub const USE_NONCE: &str = "use_dpop_nonce";

/// Why a proof could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DpopError {
    #[error("the operating system's random source or the signer failed while making a DPoP proof")]
    Signing,
}

/// A source's DPoP key pair. Cheap to clone; the private key never leaves it except as
/// [`DpopKey::to_stored`], for the keychain.
#[derive(Clone)]
pub struct DpopKey {
    pair: Arc<EcdsaKeyPair>,
    /// The private key as stored: PKCS#8, base64url.
    stored: Secret,
    /// The public key as a JWK (RFC 7517), with the members in the order RFC 7638 hashes them.
    jwk: serde_json::Value,
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopKey").field("jkt", &self.thumbprint()).finish_non_exhaustive()
    }
}

impl PartialEq for DpopKey {
    fn eq(&self, other: &Self) -> bool {
        self.stored == other.stored
    }
}

impl DpopKey {
    /// A new P-256 key pair.
    pub fn generate() -> Result<Self, DpopError> {
        let pair =
            EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).map_err(|_| DpopError::Signing)?;
        let pkcs8 = pair.to_pkcs8v1().map_err(|_| DpopError::Signing)?;
        let stored = Secret::new(URL_SAFE_NO_PAD.encode(pkcs8.as_ref()));
        Ok(Self::with(pair, stored))
    }

    /// The key stored as [`DpopKey::to_stored`] made it; `None` when that is not a P-256 key.
    pub fn from_stored(stored: &Secret) -> Option<Self> {
        let der = zeroize::Zeroizing::new(URL_SAFE_NO_PAD.decode(stored.expose()).ok()?);
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der).ok()?;
        Some(Self::with(pair, stored.clone()))
    }

    fn with(pair: EcdsaKeyPair, stored: Secret) -> Self {
        // An uncompressed P-256 point: 0x04, then x and y, 32 bytes each.
        let point = pair.public_key().as_ref();
        let (x, y) = point[1..].split_at(32);
        let jwk = json!({
            "crv": "P-256",
            "kty": "EC",
            "x": URL_SAFE_NO_PAD.encode(x),
            "y": URL_SAFE_NO_PAD.encode(y),
        });
        Self { pair: Arc::new(pair), stored, jwk }
    }

    /// The private key for the keychain.
    pub fn to_stored(&self) -> &Secret {
        &self.stored
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> &serde_json::Value {
        &self.jwk
    }

    /// The key's JWK SHA-256 thumbprint (RFC 7638), base64url: what a bound token's `cnf.jkt`
    /// names.
    pub fn thumbprint(&self) -> String {
        // The required members, in lexicographic order, no whitespace: `serde_json` keeps the
        // order they were written in above.
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.jwk.to_string().as_bytes()))
    }

    /// A fresh proof for a request `method` to `url`. `access_token` is the token the request
    /// presents, at a resource server (`ath`); `nonce` the server's latest, if it gave one.
    pub fn proof(
        &self,
        method: &str,
        url: &Url,
        access_token: Option<&Secret>,
        nonce: Option<&str>,
    ) -> Result<Secret, DpopError> {
        let header = json!({ "typ": "dpop+jwt", "alg": ALGORITHM, "jwk": self.jwk });
        let mut claims = json!({
            "jti": random_base64url(16),
            "htm": method,
            "htu": htu(url),
            "iat": now(),
        });
        if let Some(token) = access_token {
            claims["ath"] = json!(ath(token));
        }
        if let Some(nonce) = nonce {
            claims["nonce"] = json!(nonce);
        }
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature =
            self.pair.sign(&SystemRandom::new(), signing_input.as_bytes()).map_err(|_| DpopError::Signing)?;
        Ok(Secret::new(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))))
    }
}

/// The `htu` of a request to `url`: the URL without query and fragment (RFC 9449 4.2).
pub fn htu(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

/// The `ath` of `token`: its SHA-256, base64url (RFC 9449 4.2).
pub fn ath(token: &Secret) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.expose().as_bytes()))
}

/// The last nonce each server gave, by the `htu` it gave it at (so that an authorization server
/// and an MCP server on one origin keep their own), for this process's next proofs there.
static NONCES: LazyLock<Mutex<HashMap<String, String>>> = LazyLock::new(Default::default);

/// At most this many servers' nonces are kept; past it the memory starts over.
const MAX_NONCES: usize = 256;

/// The nonce the server at `url` gave last, if any.
pub fn nonce_for(url: &Url) -> Option<String> {
    NONCES.lock().ok()?.get(&htu(url)).cloned()
}

/// Remembers the nonce in an answer from `url`'s server, if it has one.
pub fn remember_nonce(url: &Url, headers: &reqwest::header::HeaderMap) {
    let Some(nonce) = headers.get(NONCE_HEADER).and_then(|value| value.to_str().ok()) else { return };
    // RFC 9449 8.1: a nonce is a non-empty string of visible ASCII (NQCHAR).
    if nonce.is_empty() || nonce.len() > 1024 || !nonce.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return;
    }
    if let Ok(mut nonces) = NONCES.lock() {
        if nonces.len() >= MAX_NONCES {
            nonces.clear();
        }
        nonces.insert(htu(url), nonce.to_owned());
    }
}

/// Whether a resource server's `WWW-Authenticate` values refuse the proof rather than the token:
/// a `DPoP` challenge with `use_dpop_nonce` (it wants a nonce, given in `DPoP-Nonce`) or
/// `invalid_dpop_proof` (say, a proof it has seen before). A fresh proof is then worth one more
/// try with the same token.
pub fn refuses_proof<'a>(www_authenticate: impl IntoIterator<Item = &'a str>) -> bool {
    www_authenticate.into_iter().flat_map(super::challenge::parse).any(|challenge| {
        challenge.scheme.eq_ignore_ascii_case("dpop")
            && challenge.params.iter().any(|(name, value)| {
                name.eq_ignore_ascii_case("error") && (value == USE_NONCE || value == "invalid_dpop_proof")
            })
    })
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};

    use super::*;

    fn part(jwt: &str, index: usize) -> serde_json::Value {
        let raw = jwt.split('.').nth(index).expect("three parts");
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(raw).expect("base64url")).expect("JSON")
    }

    /// Verifies `proof`'s signature with the public key in its own header, as a server does.
    fn verifies(proof: &str) -> bool {
        let jwk = &part(proof, 0)["jwk"];
        let coordinate = |name: &str| URL_SAFE_NO_PAD.decode(jwk[name].as_str().unwrap()).unwrap();
        let mut point = vec![0x04];
        point.extend(coordinate("x"));
        point.extend(coordinate("y"));
        let (input, signature) = proof.rsplit_once('.').unwrap();
        let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point).verify(input.as_bytes(), &signature).is_ok()
    }

    #[test]
    fn a_proof_is_signed_by_the_key_in_its_header_and_names_the_request() {
        let key = DpopKey::generate().unwrap();
        let url = Url::parse("https://mcp.example/mcp?session=1#top").unwrap();
        let token = Secret::new("at-1");
        let proof = key.proof("POST", &url, Some(&token), Some("n-1")).unwrap();
        let proof = proof.expose();
        assert!(verifies(proof), "the signature verifies with the public jwk");
        let header = part(proof, 0);
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], "ES256");
        assert!(header["jwk"].get("d").is_none(), "the header carries no private part");
        let claims = part(proof, 1);
        assert_eq!(claims["htm"], "POST");
        assert_eq!(claims["htu"], "https://mcp.example/mcp", "no query, no fragment");
        assert_eq!(claims["nonce"], "n-1");
        let expected_ath = URL_SAFE_NO_PAD.encode(Sha256::digest(b"at-1"));
        assert_eq!(claims["ath"], expected_ath.as_str(), "the hash of the token presented");
        assert!(claims["iat"].as_u64().unwrap() + 5 >= now(), "issued now");
        let again = key.proof("POST", &url, Some(&token), Some("n-1")).unwrap();
        assert_ne!(claims["jti"], part(again.expose(), 1)["jti"], "every proof has its own jti");
        let at_token_endpoint = key.proof("POST", &url, None, None).unwrap();
        let claims = part(at_token_endpoint.expose(), 1);
        assert!(claims.get("ath").is_none() && claims.get("nonce").is_none(), "only what applies");
    }

    #[test]
    fn a_stored_key_signs_as_the_same_key() {
        let key = DpopKey::generate().unwrap();
        let back = DpopKey::from_stored(key.to_stored()).expect("reads back");
        assert_eq!(back.thumbprint(), key.thumbprint(), "the same public key");
        let url = Url::parse("https://as.example/token").unwrap();
        let proof = back.proof("POST", &url, None, None).unwrap();
        assert!(verifies(proof.expose()));
        assert_eq!(part(proof.expose(), 0)["jwk"], *key.jwk());
        assert!(DpopKey::from_stored(&Secret::new("not a key")).is_none(), "garbage is no key");
        assert!(!format!("{key:?}").contains(key.to_stored().expose()), "Debug shows no private key");
        assert_ne!(DpopKey::generate().unwrap().thumbprint(), key.thumbprint(), "each key its own");
    }

    #[test]
    fn the_thumbprint_follows_rfc_7638() {
        // RFC 7638 3.1 hashes the required members in lexicographic order without whitespace.
        let key = DpopKey::generate().unwrap();
        let jwk = key.jwk();
        let canonical = format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            jwk["x"].as_str().unwrap(),
            jwk["y"].as_str().unwrap()
        );
        assert_eq!(key.thumbprint(), URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())));
    }

    #[test]
    fn a_refused_proof_is_told_from_a_refused_token() {
        assert!(refuses_proof([r#"DPoP error="use_dpop_nonce", error_description="x""#]));
        assert!(refuses_proof(["Bearer realm=\"a\"", r#"DPoP algs="ES256", error="invalid_dpop_proof""#]));
        assert!(!refuses_proof([r#"DPoP error="invalid_token""#]), "an expired token is renewed instead");
        assert!(!refuses_proof([r#"Bearer error="use_dpop_nonce""#]), "only a DPoP challenge");
    }

    #[test]
    fn nonces_are_remembered_per_server() {
        let a = Url::parse("https://nonce-a.example/mcp").unwrap();
        let b = Url::parse("https://nonce-b.example/token").unwrap();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(NONCE_HEADER, "n-a".parse().unwrap());
        remember_nonce(&a, &headers);
        assert_eq!(
            nonce_for(&Url::parse("https://nonce-a.example/mcp?x=1").unwrap()).as_deref(),
            Some("n-a")
        );
        assert_eq!(nonce_for(&Url::parse("https://nonce-a.example/token").unwrap()), None, "per endpoint");
        assert_eq!(nonce_for(&b), None, "another server's nonce is its own");
        headers.insert(NONCE_HEADER, "bad nonce".parse().unwrap());
        remember_nonce(&a, &headers);
        assert_eq!(nonce_for(&a).as_deref(), Some("n-a"), "a nonce that is not NQCHAR is ignored");
    }
}
