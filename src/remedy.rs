//! What the person can do about a source's state or its last sign-in error, as data.
//!
//! The engine knows *what* fixes a problem (sign in again, change one profile setting, unlock
//! the keychain, wait for the server); how to say it depends on who reads it. The CLI says it as
//! a command (`lanyard connect <id>`, the `hint` strings beside a remedy), the desktop app names
//! its own buttons. Keeping the fix as data lets each front-end word it without parsing the
//! other's English. A remedy holds no secret: at most a keychain entry's name and scope names.
//!
//! Errors give their fix with `remedy()`, beside their kind (`kind()`, see [`crate::ErrorKind`]).
//! Those whose message ends in a terminal instruction also offer an [`Advice`]: the same message
//! without that instruction (the problem, written once in the error's module), and the fix as a
//! remedy. The CLI prints the message whole; the app shows the problem and says the fix its own
//! way.
//!
//! Remedies are stored with a source's sign-in activity (`oauth-activity/<id>.json`), so a file
//! written by a newer Lanyard may hold one this build does not know: [`lenient`] reads that as no
//! remedy instead of losing the whole record.

use serde::{Deserialize, Deserializer, Serialize};

use crate::ids::SourceId;

/// One way out of a state or an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", rename_all_fields = "snake_case")]
#[non_exhaustive]
pub enum Remedy {
    /// Sign in again with the browser (`lanyard connect`); for a service account, a new token.
    SignIn,
    /// Sign in again and grant these scopes the server asked for (`lanyard reconnect`).
    GrantScopes { scopes: Vec<String> },
    /// Change one of the source's settings (`lanyard profile edit`).
    ChangeSetting { setting: Setting },
    /// Turn the source on (`--enable`).
    Enable,
    /// Store the secret the profile refers to again (its keychain entry's name, never its value).
    StoreSecret { reference: String },
    /// Nothing to do but check the server: it could not be reached, and Lanyard tries again later.
    ServerUnreachable,
    /// Nothing to do: the server reported a passing problem, and Lanyard tries again later.
    ServerTroubled,
    /// A failed refresh that the next use tries again; sign in again if it keeps failing.
    RetryOnNextUse,
    /// The keychain refused: unlock it.
    UnlockKeychain,
    /// Lanyard is already at it (a slow authorization server); the source's status shows how it
    /// goes (`lanyard status`).
    WatchStatus,
}

/// An error's message without its terminal instruction, and the fix that instruction names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advice {
    /// The source the error is about.
    pub id: SourceId,
    /// What happened, in the error's own words (its `Display` up to the instruction); the
    /// variant's data only, so no more secret than the message itself, which has none.
    pub problem: String,
    pub remedy: Remedy,
}

impl Advice {
    pub fn new(id: &SourceId, problem: impl Into<String>, remedy: Remedy) -> Self {
        Self { id: id.clone(), problem: problem.into(), remedy }
    }
}

/// The profile settings a server's refusal points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Setting {
    /// The scopes asked for (`--scope`).
    Scopes,
    /// Sending RFC 8707's `resource` parameter (`--no-resource-param`).
    ResourceParam,
    /// The pre-registered client (`--client-id`, `--client-secret-env`).
    Client,
    /// The fixed loopback redirect port (`--redirect-port`).
    RedirectPort,
    /// A pre-registered client's id and redirect port together: a sign-in that never came back
    /// may be the server refusing them in the browser (`--client-id`, `--redirect-port`).
    RegisteredClient,
}

/// Reads an optional remedy, taking one this build does not know for none (see the module doc).
pub fn lenient<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Remedy>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(value.and_then(|v| serde_json::from_value(v).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Holder {
        #[serde(default, deserialize_with = "lenient")]
        remedy: Option<Remedy>,
    }

    #[test]
    fn remedies_keep_their_data_through_a_file() {
        let all = [
            Remedy::SignIn,
            Remedy::GrantScopes { scopes: vec!["admin".into()] },
            Remedy::ChangeSetting { setting: Setting::RedirectPort },
            Remedy::StoreSecret { reference: "header/X-Api-Key".into() },
            Remedy::ServerUnreachable,
        ];
        for remedy in all {
            let json = serde_json::json!({ "remedy": remedy });
            let back: Holder = serde_json::from_value(json.clone()).unwrap();
            assert_eq!(back.remedy, Some(remedy), "read back as written: {json}");
        }
    }

    #[test]
    fn a_remedy_from_a_newer_build_reads_as_none() {
        let newer: Holder = serde_json::from_str(r#"{"remedy": {"kind": "buy_a_new_laptop"}}"#).unwrap();
        assert_eq!(newer.remedy, None, "an unknown remedy must not lose the record it is in");
        let absent: Holder = serde_json::from_str("{}").unwrap();
        assert_eq!(absent.remedy, None, "files from before remedies have none");
    }
}
