//! Who signed in, from an OpenID Connect ID token, for `lanyard status` only.
//!
//! The ID token comes straight from the token endpoint over a connection Lanyard checked, so (as
//! OpenID Connect Core 3.1.3.7 allows) its signature is not verified; its `iss` and `aud` are, so
//! a token meant for another client or issuer is ignored. The claims are shown to the person and
//! never used to decide access. Anything unreadable gives no account rather than an error.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use super::tokens::Account;
use crate::secret::Secret;

#[derive(Deserialize)]
struct Claims {
    iss: Option<String>,
    #[serde(default)]
    aud: Audience,
    sub: Option<String>,
    email: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
    #[default]
    None,
}

/// The account in `id_token`, if it is for `client_id` at `issuer`.
pub fn from_id_token(id_token: &Secret, issuer: &str, client_id: &str) -> Option<Account> {
    let payload = id_token.expose().split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: Claims = serde_json::from_slice(&bytes).ok()?;
    let for_us = match &claims.aud {
        Audience::One(aud) => aud == client_id,
        Audience::Many(auds) => auds.iter().any(|aud| aud == client_id),
        Audience::None => false,
    };
    if claims.iss.as_deref() != Some(issuer) || !for_us {
        return None;
    }
    let account = Account { sub: claims.sub, email: claims.email, name: claims.name };
    account.label().is_some().then_some(account)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(claims: serde_json::Value) -> Secret {
        let part = |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
        Secret::new(format!("{}.{}.sig", part(&serde_json::json!({"alg": "RS256"})), part(&claims)))
    }

    #[test]
    fn claims_are_read_for_the_right_client_and_issuer() {
        let good =
            token(serde_json::json!({"iss": "https://as", "aud": "c", "sub": "alice", "email": "a@x"}));
        let account = from_id_token(&good, "https://as", "c").expect("an account");
        assert_eq!(account.label(), Some("a@x"), "email is shown first");
        assert!(from_id_token(&good, "https://other", "c").is_none(), "another issuer's token is ignored");
        assert!(from_id_token(&good, "https://as", "d").is_none(), "another client's token is ignored");
        let many = token(serde_json::json!({"iss": "https://as", "aud": ["c", "x"], "sub": "bob"}));
        assert_eq!(
            from_id_token(&many, "https://as", "c").and_then(|a| a.sub),
            Some("bob".into()),
            "aud list"
        );
        assert!(from_id_token(&Secret::new("not-a-jwt"), "https://as", "c").is_none(), "garbage: none");
    }
}
