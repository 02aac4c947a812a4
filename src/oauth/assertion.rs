//! Client assertions for `private_key_jwt` (RFC 7523 2.2, MCP SEP-1046): a service account
//! proves itself at the token endpoint with a short-lived JWT signed by its private key instead
//! of sending a secret.
//!
//! Kept apart from `http` because it is the only code that touches key material: the PEM stays a
//! [`Secret`] from the vault to the signer, and only the signature leaves. An assertion is signed
//! for each request (its own `jti`, a one-minute `exp`), so one that leaks from a log or a proxy
//! cannot be replayed later.
//!
//! `aud` is the authorization server's issuer identifier, a single string. RFC 7523 allows the
//! token endpoint URL too, but the update of RFC 7523 (and OpenID's errata after the 2025
//! audience-injection findings) asks for the issuer alone, since a token endpoint URL or a list
//! lets one server reuse an assertion at another; the MCP conformance suite checks the issuer.
//! Only a profile with a fixed `token_url` and no metadata has no known issuer, and uses the
//! token endpoint URL.
//!
//! Signing is `jsonwebtoken` on aws-lc-rs (the crypto rustls already brings); keys are PEM,
//! PKCS#8 (`PRIVATE KEY`) for every type, or PKCS#1 (`RSA PRIVATE KEY`) for RSA.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use crate::clock::now;
use crate::ids::random_base64url;
use crate::profile::KeyAlg;
use crate::secret::Secret;

/// The `client_assertion_type` of a JWT assertion (RFC 7523 2.2).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long an assertion is good for: long enough for the request, short enough not to matter
/// if it leaks.
const LIFETIME_SECS: u64 = 60;

/// Why a key cannot sign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error("it is not a PEM private key (PKCS#8 `BEGIN PRIVATE KEY`, or PKCS#1 `BEGIN RSA PRIVATE KEY`)")]
    NotAKey,
    #[error(
        "it cannot sign {0} (an RSA key signs RS*/PS*, a P-256 key ES256, a P-384 key ES384, an Ed25519 key EdDSA; EC keys must be PKCS#8: `openssl pkcs8 -topk8 -nocrypt`)"
    )]
    WrongAlg(KeyAlg),
}

/// A private key from the vault and the algorithm it signs with.
#[derive(Debug, Clone)]
pub struct SigningKey {
    pem: Secret,
    alg: KeyAlg,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
    jti: String,
}

impl SigningKey {
    pub fn new(pem: Secret, alg: KeyAlg) -> Self {
        Self { pem, alg }
    }

    /// A fresh assertion for `client_id` at the authorization server `audience`.
    pub fn assertion(&self, client_id: &str, audience: &str) -> Result<Secret, KeyError> {
        let key = encoding_key(&self.pem, self.alg)?;
        let iat = now();
        let claims = Claims {
            iss: client_id,
            sub: client_id,
            aud: audience,
            iat,
            exp: iat.saturating_add(LIFETIME_SECS),
            jti: random_base64url(16),
        };
        jsonwebtoken::encode(&Header::new(algorithm(self.alg)), &claims, &key)
            .map(Secret::new)
            .map_err(|_| KeyError::WrongAlg(self.alg))
    }
}

/// Checks that `pem` is a private key that signs with `alg`, or, without one, picks the
/// algorithm its type implies (RS256 for RSA, ES256 for P-256, ES384 for P-384, EdDSA for
/// Ed25519). A test signature proves it, so a wrong key is refused when it is given, not at the
/// first token request.
pub fn check_key(pem: &Secret, alg: Option<KeyAlg>) -> Result<KeyAlg, KeyError> {
    let signs = |alg: KeyAlg| SigningKey::new(pem.clone(), alg).assertion("check", "check").is_ok();
    match alg {
        Some(alg) if signs(alg) => Ok(alg),
        Some(alg) if is_key(pem) => Err(KeyError::WrongAlg(alg)),
        Some(_) => Err(KeyError::NotAKey),
        None => [KeyAlg::Rs256, KeyAlg::Es256, KeyAlg::Es384, KeyAlg::EdDsa]
            .into_iter()
            .find(|alg| signs(*alg))
            .ok_or(KeyError::NotAKey),
    }
}

/// Whether `pem` parses as a private key of any type.
fn is_key(pem: &Secret) -> bool {
    let bytes = pem.expose().as_bytes();
    EncodingKey::from_rsa_pem(bytes).is_ok()
        || EncodingKey::from_ec_pem(bytes).is_ok()
        || EncodingKey::from_ed_pem(bytes).is_ok()
}

fn encoding_key(pem: &Secret, alg: KeyAlg) -> Result<EncodingKey, KeyError> {
    // The PEM leaves its wrapper into the signer's key, which zeroes itself on drop.
    let bytes = pem.expose().as_bytes();
    let parsed = match alg {
        KeyAlg::Rs256 | KeyAlg::Rs384 | KeyAlg::Rs512 | KeyAlg::Ps256 | KeyAlg::Ps384 | KeyAlg::Ps512 => {
            EncodingKey::from_rsa_pem(bytes)
        }
        KeyAlg::Es256 | KeyAlg::Es384 => EncodingKey::from_ec_pem(bytes),
        KeyAlg::EdDsa => EncodingKey::from_ed_pem(bytes),
    };
    parsed.map_err(|_| if is_key(pem) { KeyError::WrongAlg(alg) } else { KeyError::NotAKey })
}

fn algorithm(alg: KeyAlg) -> Algorithm {
    match alg {
        KeyAlg::Rs256 => Algorithm::RS256,
        KeyAlg::Rs384 => Algorithm::RS384,
        KeyAlg::Rs512 => Algorithm::RS512,
        KeyAlg::Ps256 => Algorithm::PS256,
        KeyAlg::Ps384 => Algorithm::PS384,
        KeyAlg::Ps512 => Algorithm::PS512,
        KeyAlg::Es256 => Algorithm::ES256,
        KeyAlg::Es384 => Algorithm::ES384,
        KeyAlg::EdDsa => Algorithm::EdDSA,
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::*;

    // Throwaway keys made for these tests with `openssl genpkey`; they sign nothing else.
    const P256: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgKTmgnRdbBW31pBIU
59wpMmybl7GOdgthjnLlw/AR532hRANCAASnzOUm4t1jfhV+yKbSm/R2dYXCfyPJ
JG5Vs2LJ3pSOlHx4sfhmecRc8aMjjGfB/sLsbZaPw88OKmxyp7cR1rkn
-----END PRIVATE KEY-----
";
    const P384: &str = "-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDDcnFDO33K/ECImEWQp
kD2bwmk2j3b5kNeInFFxyclSSPpjMpCGEsNzErphyEBKTKChZANiAATtHt314SYB
6jflzVDp4rTvrMgWp1uxnCZaGrjYmWKlOCfKS72tPE2B+OVlfdzCtqCAPm8W67T4
YYFJhkexgpMHUmgiVgJ90UQ1rd1sYnOivH1suHUriuygCgXZJjV/Aj8=
-----END PRIVATE KEY-----
";
    const ED25519: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEINs3B3nTauivVN0MLgfemcdtQOfNSoIVBo8W1Jev+6IU
-----END PRIVATE KEY-----
";

    fn secret(text: &str) -> Secret {
        Secret::new(text.to_owned())
    }

    fn part(jwt: &str, index: usize) -> serde_json::Value {
        let raw = jwt.split('.').nth(index).expect("three parts");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw).expect("base64url");
        serde_json::from_slice(&bytes).expect("JSON")
    }

    #[test]
    fn the_key_type_picks_the_default_algorithm() {
        assert_eq!(check_key(&secret(P256), None), Ok(KeyAlg::Es256), "a P-256 key signs ES256");
        assert_eq!(check_key(&secret(P384), None), Ok(KeyAlg::Es384), "a P-384 key signs ES384");
        assert_eq!(check_key(&secret(ED25519), None), Ok(KeyAlg::EdDsa), "an Ed25519 key signs EdDSA");
        assert_eq!(check_key(&secret(P256), Some(KeyAlg::Es256)), Ok(KeyAlg::Es256), "a named fit is kept");
    }

    #[test]
    fn a_key_that_cannot_sign_is_refused_up_front() {
        assert_eq!(
            check_key(&secret(P256), Some(KeyAlg::Es384)),
            Err(KeyError::WrongAlg(KeyAlg::Es384)),
            "a P-256 key does not sign ES384"
        );
        assert_eq!(
            check_key(&secret(P256), Some(KeyAlg::Rs256)),
            Err(KeyError::WrongAlg(KeyAlg::Rs256)),
            "an EC key does not sign RS256"
        );
        assert_eq!(check_key(&secret("not a key"), None), Err(KeyError::NotAKey), "garbage");
        let public = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEp8zlJuLdY34Vfsim0pv0dnWFwn8j\nySRuVbNiyd6UjpR8eLH4ZnnEXPGjI4xnwf7C7G2Wj8PPDipscqe3Eda5Jw==\n-----END PUBLIC KEY-----\n";
        assert_eq!(check_key(&secret(public), None), Err(KeyError::NotAKey), "a public key cannot sign");
    }

    #[test]
    fn an_assertion_names_the_client_and_the_server_and_is_fresh() {
        let key = SigningKey::new(secret(P256), KeyAlg::Es256);
        let first = key.assertion("svc", "https://auth.example.com").expect("signed");
        let second = key.assertion("svc", "https://auth.example.com").expect("signed");
        let first = first.expose();
        assert_eq!(part(first, 0)["alg"], "ES256", "the header names the algorithm");
        let claims = part(first, 1);
        assert_eq!(claims["iss"], "svc", "RFC 7523 3: iss is the client id");
        assert_eq!(claims["sub"], "svc", "RFC 7523 3: sub is the client id");
        assert_eq!(claims["aud"], "https://auth.example.com", "aud is the issuer, one string");
        let (iat, exp) = (claims["iat"].as_u64().unwrap(), claims["exp"].as_u64().unwrap());
        assert_eq!(exp - iat, LIFETIME_SECS, "short-lived");
        assert!(iat + 5 >= now(), "issued now");
        assert_ne!(claims["jti"], part(second.expose(), 1)["jti"], "every assertion has its own jti");
        assert_eq!(first.split('.').count(), 3, "a signed JWS in compact form");
    }
}
