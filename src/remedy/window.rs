//! The fix as the desktop window says it: its own buttons (*Connect*, *Reconnect*, *Edit*,
//! *Enable*, *Test*) where the terminal names a command ([`Remedy::command`]). Written here,
//! beside the terminal's words, so that every remedy has both (the matches are exhaustive: a new
//! remedy does not build without its window words) and the window's words go by the remedy's
//! kind and data, never by reading the engine's English.
//!
//! Only settings the app cannot change yet (a pre-registered OAuth client's secret,
//! `--no-resource-param`) still name the command that changes them: there is no button to name.
//! A remedy holds no secret (a keychain entry's name and scope names at most), so neither can a
//! hint made from it.

use serde::Serialize;

use crate::history::ErrorRecord;
use crate::ids::{SecretRef, SourceId};
use crate::profile::AuthKind;

use super::{Remedy, Setting};

/// What the words depend on besides the remedy: the source, how it signs in (`None` where the
/// window does not know), and the button that signs it in.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub id: &'a SourceId,
    pub auth: Option<AuthKind>,
    pub sign_in: SignInButton,
}

/// The window's button for a new sign-in: *Connect* before any, *Reconnect* once one failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInButton {
    Connect,
    Reconnect,
}

impl SignInButton {
    fn label(self) -> &'static str {
        match self {
            Self::Connect => "Connect",
            Self::Reconnect => "Reconnect",
        }
    }
}

impl Context<'_> {
    /// For a recorded error: the window offers Reconnect once an error is on record.
    pub fn after_an_error(self) -> Self {
        Self { sign_in: SignInButton::Reconnect, ..self }
    }
}

/// The to-do for a new browser sign-in, once for each of the window's sign-in buttons: which
/// button shows is the window's choice, by what only it knows (a Test the server refused, a
/// sign-in that failed during this session); the words are these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = crate::TS_DIR))]
pub struct SignInHints {
    pub connect: String,
    pub reconnect: String,
}

impl SignInHints {
    /// For a source that signs in with the browser; `None` for the others, which have no such
    /// button.
    pub fn of(ctx: Context<'_>) -> Option<Self> {
        (ctx.auth == Some(AuthKind::OAuth)).then(|| {
            let words = |sign_in| Remedy::SignIn.in_window(Context { sign_in, ..ctx });
            Self { connect: words(SignInButton::Connect), reconnect: words(SignInButton::Reconnect) }
        })
    }
}

impl Remedy {
    /// The remedy as the window says it, for the source `ctx` describes.
    pub fn in_window(&self, ctx: Context<'_>) -> String {
        let Context { id, auth, sign_in } = ctx;
        let oauth = auth == Some(AuthKind::OAuth);
        let service_account = auth == Some(AuthKind::ClientCredentials);
        match self {
            Remedy::SignIn if oauth => format!("click {} to sign in with your browser", sign_in.label()),
            Remedy::SignIn if service_account => {
                "click Test to request a new token; if it is refused, check the client id and secret with Edit"
                    .to_owned()
            }
            Remedy::SignIn => "click Test to try again".to_owned(),
            Remedy::GrantScopes { scopes } => {
                format!("click Reconnect to sign in again and grant {}", scopes.join(" "))
            }
            Remedy::ChangeSetting { setting: Setting::Client } if service_account => {
                "click Edit and check the client id and secret".to_owned()
            }
            Remedy::ChangeSetting { setting } => setting.in_window(id),
            Remedy::Enable => "click Enable".to_owned(),
            Remedy::Approve => "check the command it runs, then click Approve and enable".to_owned(),
            Remedy::StoreSecret { reference } if oauth && *reference == SecretRef::client_secret().0 => {
                format!("the app's form does not set a pre-registered client's secret yet: {}", self.command(id))
            }
            Remedy::StoreSecret { reference } => {
                format!("click Edit and type the secret `{reference}` again")
            }
            // Nothing to click: the terminal's words.
            Remedy::ServerUnreachable | Remedy::UnlockKeychain => self.command(id),
            Remedy::ServerTroubled => {
                "the server has a problem for now; Lanyard keeps the sign-in and tries again later".to_owned()
            }
            Remedy::RetryOnNextUse if oauth => {
                "Test (or the next use) tries again; if it keeps failing, click Reconnect".to_owned()
            }
            Remedy::RetryOnNextUse => "Test (or the next use) tries again".to_owned(),
            Remedy::WatchStatus => "the source's status shows how it goes".to_owned(),
            Remedy::ReviewTools => "click Review to approve or reject the changed tools".to_owned(),
        }
    }
}

impl Setting {
    /// The setting a server's refusal points at, as the window says it; the problem beside it
    /// says why.
    fn in_window(self, id: &SourceId) -> String {
        match self {
            Setting::Scopes => "click Edit and choose other scopes".to_owned(),
            Setting::Client => {
                "click Edit and check the client id, or clear it so Lanyard registers itself".to_owned()
            }
            Setting::RedirectPort => {
                "click Edit and check the redirect port (a pre-registered client needs the one it was registered with)"
                    .to_owned()
            }
            Setting::RegisteredClient => "sign in again; if the browser showed an error about the client or its redirect URI, click Edit and check the client id and the redirect port".to_owned(),
            Setting::ResourceParam => format!(
                "if the server does not support the `resource` parameter (RFC 8707), leave it out with `lanyard profile edit {id} --no-resource-param` (the app's form cannot yet)"
            ),
        }
    }
}

/// A recorded sign-in or refresh error in the window's words: its problem (the message without
/// the terminal instruction) and the window's hint, when the record holds a remedy; else the
/// message whole, instruction included, and no hint.
pub fn record_words(record: &ErrorRecord, ctx: Context<'_>) -> (String, Option<String>) {
    match &record.remedy {
        Some(remedy) => {
            let problem = record.problem.clone().unwrap_or_else(|| record.message.clone());
            (problem, Some(remedy.in_window(ctx)))
        }
        None => (record.message.clone(), None),
    }
}

/// A failed command's message in the window's words: the problem and what to click, when the
/// engine's message ends in a command (a catalogue error's fix in the Catalogue view's words:
/// [`crate::catalog::CatalogError::in_window`]); `None` keeps the message. The source's auth is not at hand
/// here; the sign-in errors with advice are the browser sign-in's own, and after an error the
/// window offers Reconnect.
pub fn error_message(err: &crate::Error) -> Option<String> {
    if let crate::Error::Catalog(err) = err {
        // The catalogue's fixes concern no source; it words them itself.
        return err.remedy().map(|_| err.in_window());
    }
    let advice = err.advice()?;
    let auth = matches!(err, crate::Error::OAuth(_)).then_some(AuthKind::OAuth);
    let ctx = Context { id: &advice.id, auth, sign_in: SignInButton::Reconnect };
    Some(format!("{}; {}", advice.problem, advice.remedy.in_window(ctx)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_remedies() -> Vec<Remedy> {
        let mut all = vec![
            Remedy::SignIn,
            Remedy::GrantScopes { scopes: vec!["mcp:admin".into(), "mcp:write".into()] },
            Remedy::Enable,
            Remedy::Approve,
            Remedy::StoreSecret { reference: "header/X-Api-Key".into() },
            Remedy::StoreSecret { reference: SecretRef::client_secret().0 },
            Remedy::ServerUnreachable,
            Remedy::ServerTroubled,
            Remedy::RetryOnNextUse,
            Remedy::UnlockKeychain,
            Remedy::WatchStatus,
            Remedy::ReviewTools,
        ];
        for setting in [
            Setting::Scopes,
            Setting::ResourceParam,
            Setting::Client,
            Setting::RedirectPort,
            Setting::RegisteredClient,
        ] {
            all.push(Remedy::ChangeSetting { setting });
        }
        all
    }

    fn ctx(id: &SourceId, auth: AuthKind) -> Context<'_> {
        Context { id, auth: Some(auth), sign_in: SignInButton::Connect }
    }

    #[test]
    fn a_sign_in_names_the_button_never_the_command() {
        let id: SourceId = "github".parse().unwrap();
        let first = Remedy::SignIn.in_window(ctx(&id, AuthKind::OAuth));
        assert_eq!(first, "click Connect to sign in with your browser", "before any sign-in");
        let again = Remedy::SignIn.in_window(ctx(&id, AuthKind::OAuth).after_an_error());
        assert_eq!(again, "click Reconnect to sign in with your browser", "once one failed");
        let scopes = Remedy::GrantScopes { scopes: vec!["a".into(), "b".into()] };
        assert_eq!(
            scopes.in_window(ctx(&id, AuthKind::OAuth)),
            "click Reconnect to sign in again and grant a b",
            "step-up names the scopes and Reconnect"
        );
        let service = Remedy::SignIn.in_window(ctx(&id, AuthKind::ClientCredentials));
        assert!(service.starts_with("click Test"), "a service account has no browser sign-in: {service}");
    }

    #[test]
    fn the_sign_in_hints_are_the_sign_in_remedy_for_each_button() {
        let id: SourceId = "github".parse().unwrap();
        let hints = SignInHints::of(ctx(&id, AuthKind::OAuth)).expect("a browser sign-in has them");
        assert_eq!(hints.connect, Remedy::SignIn.in_window(ctx(&id, AuthKind::OAuth)));
        assert_eq!(hints.reconnect, Remedy::SignIn.in_window(ctx(&id, AuthKind::OAuth).after_an_error()));
        assert!(hints.reconnect.contains("Reconnect"), "{}", hints.reconnect);
        assert_eq!(SignInHints::of(ctx(&id, AuthKind::ClientCredentials)), None, "no sign-in button");
    }

    #[test]
    fn settings_the_form_has_point_at_edit() {
        let id: SourceId = "github".parse().unwrap();
        for setting in [Setting::Scopes, Setting::Client, Setting::RedirectPort, Setting::RegisteredClient] {
            let hint = Remedy::ChangeSetting { setting }.in_window(ctx(&id, AuthKind::OAuth));
            assert!(hint.contains("click Edit"), "{setting:?}: {hint}");
        }
        let client = Remedy::ChangeSetting { setting: Setting::Client };
        assert_eq!(
            client.in_window(ctx(&id, AuthKind::ClientCredentials)),
            "click Edit and check the client id and secret",
            "a service account registers nothing"
        );
        let secret = Remedy::StoreSecret { reference: "header/X-Api-Key".into() };
        assert_eq!(
            secret.in_window(ctx(&id, AuthKind::Headers)),
            "click Edit and type the secret `header/X-Api-Key` again",
            "a missing header secret is typed in the form"
        );
        assert_eq!(Remedy::Enable.in_window(ctx(&id, AuthKind::None)), "click Enable");
    }

    #[test]
    fn only_settings_without_a_button_name_a_command() {
        let id: SourceId = "github".parse().unwrap();
        for remedy in all_remedies() {
            for auth in [AuthKind::OAuth, AuthKind::ClientCredentials, AuthKind::Headers, AuthKind::None] {
                let hint = remedy.in_window(ctx(&id, auth));
                let no_button = matches!(remedy, Remedy::ChangeSetting { setting: Setting::ResourceParam })
                    || (auth == AuthKind::OAuth
                        && remedy == Remedy::StoreSecret { reference: SecretRef::client_secret().0 });
                assert_eq!(
                    hint.contains("lanyard "),
                    no_button,
                    "{remedy:?} for {auth:?}: a command only where the window has no button: {hint}"
                );
                for cli in ["lanyard connect", "lanyard reconnect", "lanyard status", "--enable"] {
                    assert!(!hint.contains(cli), "{remedy:?}: the window has a button for `{cli}`: {hint}");
                }
            }
        }
    }

    #[test]
    fn a_recorded_error_shows_its_problem_and_the_window_hint() {
        use crate::oauth::OAuthError;
        let id: SourceId = "fixture".parse().unwrap();
        let ctx = Context { id: &id, auth: Some(AuthKind::OAuth), sign_in: SignInButton::Reconnect };
        let record = ErrorRecord::of(&OAuthError::NeedsSignIn { id: id.clone() }, &id);
        assert!(record.message.contains("`lanyard connect fixture`"), "the record keeps the CLI's words");
        let (message, hint) = record_words(&record, ctx);
        assert_eq!(message, "source `fixture` needs sign-in", "the problem only");
        assert_eq!(hint.as_deref(), Some("click Reconnect to sign in with your browser"));

        let old = ErrorRecord { problem: None, remedy: None, ..record.clone() };
        assert_eq!(
            record_words(&old, ctx),
            (record.message.clone(), None),
            "a record from before remedies keeps its whole message rather than lose its instruction"
        );
    }

    #[test]
    fn a_failed_command_names_the_button_where_the_cli_names_a_command() {
        use crate::oauth::OAuthError;
        let id: SourceId = "fixture".parse().unwrap();
        let refused = crate::Error::OAuth(OAuthError::NeedsSignIn { id: id.clone() });
        assert_eq!(
            error_message(&refused).as_deref(),
            Some("source `fixture` needs sign-in; click Reconnect to sign in with your browser")
        );
        let disabled = crate::Error::Disabled { id: id.clone() };
        assert_eq!(error_message(&disabled).as_deref(), Some("source `fixture` is disabled; click Enable"));
        let waiting = crate::Error::WaitingForApproval { id: id.clone() };
        assert_eq!(
            error_message(&waiting).as_deref(),
            Some(
                "source `fixture` waits for your approval: it runs a program on this computer and came from an import or a link; check the command it runs, then click Approve and enable"
            )
        );
        let waited = crate::Error::Upstream(crate::upstream::UpstreamError::TokenTimeout {
            id: id.clone(),
            method: "tools/list".into(),
            limit: std::time::Duration::from_secs(20),
        });
        let text = error_message(&waited).unwrap();
        assert!(text.ends_with("the source's status shows how it goes"), "{text}");
        assert!(!text.contains("lanyard status"), "{text}");
        let taken = crate::Error::from(crate::catalog::CatalogError::OtherOrigin {
            id: "fixture".into(),
            existing: "o/echo".into(),
            name: "a/echo".into(),
        });
        let text = error_message(&taken).unwrap();
        assert!(text.ends_with("type another source id in the Add form") && !text.contains("--as"), "{text}");
        let unknown = crate::Error::Profile(crate::profile::ProfileError::NotFound { id, near: Vec::new() });
        assert_eq!(error_message(&unknown), None, "errors without advice keep their message");
    }
}
