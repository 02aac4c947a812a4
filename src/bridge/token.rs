//! The bridge token: the one secret a local agent needs to use `lanyard serve`.
//!
//! It is made once per install from the operating system's CSPRNG (32 bytes, hex), kept in the
//! vault under [`VaultKey::bridge_token`], shown by `lanyard bridge-token`, and compared in
//! constant time. When two processes create it at once, both read back what the keychain kept,
//! so they end up agreeing on one value. A keychain that fails, or keeps nothing, is an error:
//! never a token that is not stored.

use crate::secret::Secret;
use crate::vault::{Vault, VaultError, VaultKey};

const TOKEN_BYTES: usize = 32;

/// The install's bridge token, created on first use.
pub async fn bridge_token(vault: &Vault) -> Result<Secret, VaultError> {
    kept_token(vault, VaultKey::bridge_token()).await
}

/// The token kept under `key`, made and stored on first use (the bridge token, an agent's).
pub(crate) async fn kept_token(vault: &Vault, key: VaultKey) -> Result<Secret, VaultError> {
    if let Some(token) = vault.get(&key).await?.filter(|t| !t.is_empty()) {
        return Ok(token);
    }
    vault.set(&key, &new_token()).await?;
    // A keychain that takes the value but keeps nothing must be an error: a token printed now
    // and gone at the next command would be a different token on every call.
    vault.get(&key).await?.ok_or(VaultError::NotKept { kind: vault.kind(), key })
}

/// A fresh random token.
pub(crate) fn new_token() -> Secret {
    let mut bytes = zeroize::Zeroizing::new([0u8; TOKEN_BYTES]);
    getrandom::fill(bytes.as_mut()).expect("the operating system's random source works");
    let mut text = String::with_capacity(TOKEN_BYTES * 2);
    for byte in bytes.iter() {
        text.push_str(&format!("{byte:02x}"));
    }
    Secret::new(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_hex() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.expose().len(), 64, "32 bytes as hex");
        assert!(a.expose().bytes().all(|c| c.is_ascii_hexdigit()), "hex only");
        assert_ne!(a, b, "two tokens differ");
    }

    #[tokio::test]
    async fn created_once_then_kept() {
        let vault = Vault::mock();
        let first = bridge_token(&vault).await.expect("created");
        let again = bridge_token(&vault).await.expect("read back");
        assert_eq!(first, again, "the token is made once and kept");
    }
}
