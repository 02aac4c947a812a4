//! The PKCE verifier of one sign-in and its S256 challenge (RFC 7636). The verifier comes from the
//! OS's random source (through [`crate::ids`], like the sign-in's `state`) and is used for one
//! flow only.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::ids::random_base64url;
use crate::secret::Secret;

/// A PKCE verifier and its S256 challenge.
#[derive(Debug)]
pub struct Pkce {
    pub verifier: Secret,
    pub challenge: String,
}

impl Pkce {
    pub fn new() -> Self {
        let verifier = random_base64url(32);
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
