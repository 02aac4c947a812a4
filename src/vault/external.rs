//! Secrets a person keeps in a password manager, read when a connection needs them and never
//! copied anywhere.
//!
//! A profile's secret reference (`{ secret = "..." }`, a client secret, a service token) names a
//! vault entry, or, when it has a scheme, a value that lives elsewhere:
//!
//! | reference | read with |
//! | --- | --- |
//! | `op://vault/item/field` | 1Password's CLI: `op read <reference>` |
//! | `bw://item` or `bw://item/field` | Bitwarden's CLI: `bw get <field> <item>` (`password` by default) |
//! | `pass://path/to/entry` | `pass show <path>`, its first line |
//! | `keychain://service/account` | the OS keychain's entry of that service and account |
//!
//! The value exists in memory only, for the connection that asked; nothing here writes it, and
//! an error names the reference and the program, never the value or the program's output. The
//! programs run without a shell and with no input, so a manager that would prompt fails instead
//! of hanging a bridge; a person unlocks it first (`op signin`, `bw unlock`, `gpg-agent`), as the
//! error says. Bitwarden's `BW_SESSION` and 1Password's `OP_*` variables pass through from the
//! environment as for any child process.

use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;
use zeroize::Zeroizing;

use crate::secret::Secret;

/// How long a password manager may take to answer. Long enough for a desktop unlock prompt the
/// manager shows by itself, short enough that a stuck one does not hold a connection forever.
const ANSWER_WITHIN: Duration = Duration::from_secs(60);

/// A secret reference that points outside Lanyard's own vault entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternalRef<'a> {
    /// `op://vault/item/field`, passed to `op read` as written.
    OnePassword(&'a str),
    /// `bw://item[/field]`.
    Bitwarden { item: &'a str, field: &'a str },
    /// `pass://path/to/entry`.
    Pass(&'a str),
    /// `keychain://service/account`: read through the vault's own store.
    Keychain { service: &'a str, account: &'a str },
}

/// The fields `bw get` answers with a single value.
const BITWARDEN_FIELDS: [&str; 5] = ["password", "username", "totp", "notes", "uri"];

/// Why a reference could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExternalError {
    #[error(
        "the secret reference `{reference}` is not one Lanyard can read: {why}. Use op://vault/item/field, bw://item[/field], pass://path or keychain://service/account"
    )]
    BadReference { reference: String, why: String },
    #[error(
        "the secret reference `{reference}` needs `{program}`, which is not installed or not on PATH: install it, or change the reference"
    )]
    NotInstalled { reference: String, program: &'static str },
    #[error(
        "`{program}` could not read the secret reference `{reference}` ({said}): check that the item exists and that {program} is unlocked and signed in ({unlock}), then try again"
    )]
    Refused { reference: String, program: &'static str, said: String, unlock: &'static str },
    #[error("`{program}` did not answer for the secret reference `{reference}` within {secs} s: unlock it and try again", secs = ANSWER_WITHIN.as_secs())]
    TimedOut { reference: String, program: &'static str },
    #[error(
        "the OS keychain has no entry for the secret reference `{reference}`: check the service and account names (e.g. with `secret-tool search service <service>`)"
    )]
    NoEntry { reference: String },
    #[error("`{program}` gave an empty value for the secret reference `{reference}`: check the item's field")]
    Empty { reference: String, program: &'static str },
    #[error("`{program}` gave a value that is not UTF-8 text for the secret reference `{reference}`")]
    NotText { reference: String, program: &'static str },
}

impl ExternalError {
    /// Whether the reference itself (or the missing program) is what the person must change,
    /// rather than the state of their password manager.
    pub fn is_in_profile(&self) -> bool {
        matches!(self, Self::BadReference { .. } | Self::NotInstalled { .. } | Self::NoEntry { .. })
    }
}

impl<'a> ExternalRef<'a> {
    /// `None` for a reference without a scheme (a vault entry's name such as `header/X-Api-Key`);
    /// else the parsed reference, or why it cannot be read.
    pub fn parse(reference: &'a str) -> Option<Result<Self, ExternalError>> {
        let (scheme, rest) = reference.split_once("://")?;
        let bad =
            |why: &str| ExternalError::BadReference { reference: reference.to_owned(), why: why.to_owned() };
        let nonempty_parts = |rest: &str| rest.split('/').all(|part| !part.is_empty());
        Some(match scheme {
            "op" if rest.split('/').count() >= 3 && nonempty_parts(rest) => Ok(Self::OnePassword(reference)),
            "op" => Err(bad("1Password references have the form op://vault/item/field")),
            "bw" => match rest.split_once('/') {
                None if !rest.is_empty() => Ok(Self::Bitwarden { item: rest, field: "password" }),
                Some((item, field)) if !item.is_empty() && BITWARDEN_FIELDS.contains(&field) => {
                    Ok(Self::Bitwarden { item, field })
                }
                _ => Err(bad(
                    "Bitwarden references have the form bw://item or bw://item/field, field one of password, username, totp, notes, uri",
                )),
            },
            "pass" if !rest.is_empty() && nonempty_parts(rest) && !rest.split('/').any(|p| p == "..") => {
                Ok(Self::Pass(rest))
            }
            "pass" => Err(bad("pass references have the form pass://path/to/entry")),
            "keychain" => match rest.split_once('/') {
                Some((service, account)) if !service.is_empty() && !account.is_empty() => {
                    Ok(Self::Keychain { service, account })
                }
                _ => Err(bad("keychain references have the form keychain://service/account")),
            },
            other => Err(bad(&format!("`{other}://` names no password manager Lanyard knows"))),
        })
    }

    /// The program that reads this reference; `None` for the OS keychain.
    pub fn program(&self) -> Option<&'static str> {
        match self {
            Self::OnePassword(_) => Some("op"),
            Self::Bitwarden { .. } => Some("bw"),
            Self::Pass(_) => Some("pass"),
            Self::Keychain { .. } => None,
        }
    }

    /// Where the value lives, for a person: "1Password", "the OS keychain", ...
    pub fn manager(&self) -> &'static str {
        match self {
            Self::OnePassword(_) => "1Password",
            Self::Bitwarden { .. } => "Bitwarden",
            Self::Pass(_) => "pass",
            Self::Keychain { .. } => "the OS keychain",
        }
    }

    /// Reads the value with the manager's program. The OS keychain is the vault's to read
    /// ([`super::Vault::source_secret`]); asking here for it is a bug, reported as a bad reference.
    pub(super) async fn run(&self, reference: &str) -> Result<Secret, ExternalError> {
        let (program, args, unlock): (&'static str, Vec<&str>, &'static str) = match *self {
            Self::OnePassword(full) => ("op", vec!["read", "--no-newline", full], "`op signin`"),
            Self::Bitwarden { item, field } => {
                ("bw", vec!["get", field, item], "`bw unlock`, then export BW_SESSION")
            }
            Self::Pass(path) => ("pass", vec!["show", path], "the gpg agent"),
            Self::Keychain { .. } => {
                return Err(ExternalError::BadReference {
                    reference: reference.to_owned(),
                    why: "the OS keychain is read by the vault".to_owned(),
                });
            }
        };
        let reference = || reference.to_owned();
        let child = Command::new(program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .output();
        let output = match tokio::time::timeout(ANSWER_WITHIN, child).await {
            Err(_) => return Err(ExternalError::TimedOut { reference: reference(), program }),
            Ok(Err(err)) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(ExternalError::NotInstalled { reference: reference(), program });
            }
            Ok(Err(err)) => {
                return Err(ExternalError::Refused {
                    reference: reference(),
                    program,
                    said: err.to_string(),
                    unlock,
                });
            }
            Ok(Ok(output)) => output,
        };
        let stdout = Zeroizing::new(output.stdout);
        if !output.status.success() {
            let said = first_line(&output.stderr).unwrap_or_else(|| output.status.to_string());
            return Err(ExternalError::Refused { reference: reference(), program, said, unlock });
        }
        let text = std::str::from_utf8(&stdout)
            .map_err(|_| ExternalError::NotText { reference: reference(), program })?;
        let value = match self {
            // `pass` keeps the password on the first line and anything else below it.
            Self::Pass(_) => text.lines().next().unwrap_or(""),
            _ => text.strip_suffix('\n').map_or(text, |t| t.strip_suffix('\r').unwrap_or(t)),
        };
        if value.is_empty() {
            return Err(ExternalError::Empty { reference: reference(), program });
        }
        Ok(Secret::new(value))
    }
}

/// The first non-empty line a program wrote to stderr, shortened: enough to tell "not signed
/// in" from "no such item", and never the program's standard output, where the value would be.
fn first_line(stderr: &[u8]) -> Option<String> {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(stderr);
    let line = text.lines().map(str::trim).find(|line| !line.is_empty())?;
    Some(match line.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_without_a_scheme_is_a_vault_entry() {
        assert_eq!(ExternalRef::parse("header/X-Api-Key"), None);
        assert_eq!(ExternalRef::parse("oauth/client-secret"), None);
    }

    #[test]
    fn each_manager_has_its_form() {
        let parsed = |raw| ExternalRef::parse(raw).expect("external").expect("valid");
        assert_eq!(
            parsed("op://Private/GitHub/token"),
            ExternalRef::OnePassword("op://Private/GitHub/token")
        );
        assert_eq!(parsed("bw://github"), ExternalRef::Bitwarden { item: "github", field: "password" });
        assert_eq!(parsed("bw://github/totp"), ExternalRef::Bitwarden { item: "github", field: "totp" });
        assert_eq!(parsed("pass://work/github/token"), ExternalRef::Pass("work/github/token"));
        assert_eq!(
            parsed("keychain://gh:github.com/me"),
            ExternalRef::Keychain { service: "gh:github.com", account: "me" }
        );
    }

    #[test]
    fn malformed_references_say_what_the_form_is() {
        for raw in [
            "op://vault/item",
            "op://vault//field",
            "bw://",
            "bw://item/colour",
            "pass://",
            "pass://../etc/passwd",
            "keychain://service",
            "vault://x/y",
        ] {
            let err = ExternalRef::parse(raw).expect("has a scheme").expect_err(raw);
            assert!(
                matches!(&err, ExternalError::BadReference { reference, .. } if reference == raw),
                "{raw}: {err}"
            );
            assert!(err.to_string().contains("op://vault/item/field"), "the forms are listed: {err}");
        }
    }

    #[test]
    fn stderr_is_cut_to_its_first_line() {
        assert_eq!(
            first_line(b"\n  [ERROR] not signed in\nmore\n").as_deref(),
            Some("[ERROR] not signed in")
        );
        assert_eq!(first_line(b"").as_deref(), None);
        let long = "x".repeat(500);
        assert_eq!(first_line(long.as_bytes()).map(|l| l.chars().count()), Some(201));
    }
}
