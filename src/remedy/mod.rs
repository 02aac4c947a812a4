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
//! The terminal's words for each remedy are written once, in [`Remedy::command`]; the hints of
//! `lanyard status` are made from it. The window's words (its buttons) are written beside them,
//! in [`window`].
//!
//! Remedies are stored with a source's sign-ins and refreshes in its history
//! ([`crate::history`]), so a line written by a newer Lanyard may hold one this build does not
//! know: [`lenient`] reads that as no remedy instead of losing the whole record.

pub mod window;

use serde::{Deserialize, Deserializer, Serialize};

use crate::ids::{SecretRef, SourceId};

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
    /// Read what the source would run, then turn it on: the approval a stdio server from outside
    /// waits for.
    Approve,
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
    /// The source's tools changed since they were approved: review them (`lanyard tools --review`).
    ReviewTools,
}

impl Remedy {
    /// The remedy as the terminal says it: the `lanyard` command that applies it (or, for the
    /// remedies with nothing to run, what to check), for source `id`. Every hint `lanyard status`
    /// shows is worded from here, so that a fix is written once, beside its data.
    pub fn command(&self, id: &SourceId) -> String {
        match self {
            Remedy::SignIn => format!("run `lanyard connect {id}`"),
            Remedy::GrantScopes { scopes } => {
                format!("run `lanyard reconnect {id}` to sign in again and grant `{}`", scopes.join(" "))
            }
            Remedy::ChangeSetting { setting } => setting.command(id),
            Remedy::Enable => format!("enable it with `lanyard profile edit {id} --enable`"),
            Remedy::Approve => format!(
                "check the command it runs (`lanyard profile show {id}`), then approve it with `lanyard profile edit {id} --enable`"
            ),
            Remedy::StoreSecret { reference } => match store_flag(reference) {
                Some(flag) => format!("store it with `lanyard profile edit {id} {flag}`"),
                None => format!("store it again with `lanyard profile edit {id}` (secret `{reference}`)"),
            },
            Remedy::ServerUnreachable => {
                "check that the server is reachable; Lanyard keeps the sign-in and tries again later"
                    .to_owned()
            }
            Remedy::ServerTroubled => "Lanyard keeps the sign-in and tries again later".to_owned(),
            Remedy::RetryOnNextUse => {
                format!("the next use tries again; if it keeps failing, run `lanyard reconnect {id}`")
            }
            Remedy::UnlockKeychain => "check that the keychain is unlocked".to_owned(),
            Remedy::WatchStatus => format!("`lanyard status {id}` shows how it goes"),
            Remedy::ReviewTools => format!("review the changes with `lanyard tools {id} --review`"),
        }
    }
}

/// The `lanyard profile edit` flag that stores a sign-in's own secret under `reference`; `None`
/// for a header's or a variable's, which the profile names.
fn store_flag(reference: &str) -> Option<&'static str> {
    [
        (SecretRef::client_secret(), "--client-secret-env VAR"),
        (SecretRef::service_token(), "--service-token-env VAR"),
        (SecretRef::client_key(), "--client-key-file key.pem"),
    ]
    .into_iter()
    .find_map(|(known, flag)| (known.0 == reference).then_some(flag))
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

impl Setting {
    /// The `lanyard profile edit` that changes this setting of source `id`.
    fn command(self, id: &SourceId) -> String {
        match self {
            Setting::Scopes => format!("choose others with `lanyard profile edit {id} --scope '<scopes>'`"),
            Setting::ResourceParam => format!("run `lanyard profile edit {id} --no-resource-param`"),
            Setting::Client => format!(
                "check `--client-id`/`--client-secret-env` with `lanyard profile edit {id}`, or remove them so Lanyard registers itself"
            ),
            Setting::RedirectPort => {
                format!("set it with `lanyard profile edit {id} --redirect-port <port>`")
            }
            Setting::RegisteredClient => {
                format!("check `--client-id` and `--redirect-port` with `lanyard profile edit {id}`")
            }
        }
    }
}

/// Reads an optional remedy, taking one this build does not know for none (see the module doc).
pub fn lenient<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Remedy>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(value.and_then(|v| serde_json::from_value(v).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_terminal_words_each_remedy_as_a_command_for_its_source() {
        let id: SourceId = "gh".parse().unwrap();
        assert_eq!(Remedy::SignIn.command(&id), "run `lanyard connect gh`");
        let scopes = Remedy::GrantScopes { scopes: vec!["repo".into(), "admin".into()] };
        assert_eq!(scopes.command(&id), "run `lanyard reconnect gh` to sign in again and grant `repo admin`");
        let client_secret = Remedy::StoreSecret { reference: SecretRef::client_secret().0 };
        assert_eq!(
            client_secret.command(&id),
            "store it with `lanyard profile edit gh --client-secret-env VAR`"
        );
        let header = Remedy::StoreSecret { reference: "header/X-Api-Key".into() };
        assert_eq!(
            header.command(&id),
            "store it again with `lanyard profile edit gh` (secret `header/X-Api-Key`)"
        );
        let setting = Remedy::ChangeSetting { setting: Setting::ResourceParam };
        assert_eq!(setting.command(&id), "run `lanyard profile edit gh --no-resource-param`");
        assert!(
            Remedy::UnlockKeychain.command(&id).contains("keychain"),
            "a remedy with nothing to run says what to check"
        );
    }

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
