//! The add and edit form's shapes, translated to and from the engine's [`Form`], which holds
//! the rules of saving one. Inward, [`NewSource`]: what the person typed, secret values
//! included, which go straight to the vault while the profile keeps only a reference. Outward,
//! [`SourceSettings`]: a saved source's settings to fill the edit form, where a secret is only
//! "set" or "not set", never its value, and a URL shows without its query ([`shown_url`]).
//!
//! The engine's [`RESERVED_AUTH_PARAMS`](lanyard::profile::RESERVED_AUTH_PARAMS) are written for
//! the front end (`ReservedAuthParams.ts`) by this module's tests, so that the form checks the
//! same names the engine refuses.

use std::collections::BTreeMap;

use lanyard::ids::SecretRef;
use lanyard::profile::{
    Auth, ConfigValue, Form, FormAuth, FormOAuth, FormServiceAccount, FormTransport, FormValue, NewSecrets,
    Profile, Transport, shown_url,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::TS_DIR;
use crate::ui_error::UiError;

/// The form's content. Values marked `secret` are stored in the vault and the profile keeps
/// only a reference to them.
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = TS_DIR)]
pub struct NewSource {
    pub id: String,
    pub name: Option<String>,
    pub transport: NewTransport,
    /// Per-user sign-in (OAuth in the browser); `null` for none or header credentials.
    pub oauth: Option<NewOAuth>,
    /// A service account (OAuth client credentials); `null` otherwise.
    pub client_credentials: Option<NewClientCredentials>,
    /// The agent's own `Authorization` goes to the server unchanged (token passthrough); only
    /// when neither `oauth` nor `client_credentials` is given.
    pub passthrough: bool,
}

/// The sign-in settings the form offers; blank ones keep the engine's defaults (the server's
/// suggested scopes, dynamic registration, an ephemeral loopback redirect).
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = TS_DIR)]
pub struct NewOAuth {
    /// Scopes to request instead of the server's suggestion; empty for the suggestion.
    pub scopes: Vec<String>,
    /// A pre-registered client id; blank to register dynamically (RFC 7591).
    pub client_id: String,
    /// A fixed loopback redirect port (a pre-registered client usually needs one); `null` for
    /// an ephemeral one.
    pub redirect_port: Option<u16>,
    /// Extra authorization request parameters, such as `login_hint` or `prompt`.
    pub extra_params: Vec<AuthParam>,
}

/// One extra authorization request parameter. Not a secret: it is sent in the browser's URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = TS_DIR)]
pub struct AuthParam {
    pub name: String,
    pub value: String,
}

/// A service account: its client id and secret, scopes, and an optional extra service token sent
/// in a header of its own. The token endpoint is discovered from the server.
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = TS_DIR)]
pub struct NewClientCredentials {
    /// The token endpoint; blank to discover it from the server.
    pub token_url: String,
    pub client_id: String,
    /// Blank when editing keeps the stored secret.
    pub client_secret: String,
    pub scopes: Vec<String>,
    /// The header the service token goes in; blank for none.
    pub service_token_header: String,
    /// Blank when editing keeps the stored token.
    pub service_token: String,
}

#[derive(Debug, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub enum NewTransport {
    Stdio { command: String, args: Vec<String>, env: Vec<NamedValue>, cwd: Option<String> },
    Http { url: String, headers: Vec<NamedValue> },
    Sse { url: String, headers: Vec<NamedValue> },
}

/// A header or environment variable from the form.
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = TS_DIR)]
pub struct NamedValue {
    pub name: String,
    /// For a secret being edited, blank keeps the stored value.
    pub value: String,
    pub secret: bool,
}

impl NewSource {
    /// The profile to add and the secrets that go into the vault beside it.
    pub fn into_profile(self) -> Result<(Profile, NewSecrets), UiError> {
        Ok(self.into_form().into_new()?)
    }

    /// The saved profile `before` with the form's settings, and the secrets to store. A blank
    /// secret keeps the one `before` refers to under the same name.
    pub fn into_edit(self, before: &Profile) -> Result<(Profile, NewSecrets), UiError> {
        Ok(self.into_form().into_edit(before)?)
    }

    fn into_form(self) -> Form {
        let values = |values: Vec<NamedValue>| {
            values
                .into_iter()
                .map(|NamedValue { name, value, secret }| FormValue { name, value, secret })
                .collect()
        };
        let transport = match self.transport {
            NewTransport::Stdio { command, args, env, cwd } => {
                FormTransport::Stdio { command, args, env: values(env), cwd }
            }
            NewTransport::Http { url, headers } => FormTransport::Http { url, headers: values(headers) },
            NewTransport::Sse { url, headers } => FormTransport::Sse { url, headers: values(headers) },
        };
        let auth = match (self.oauth, self.client_credentials) {
            (Some(o), _) => FormAuth::OAuth(FormOAuth {
                scopes: o.scopes,
                client_id: o.client_id,
                redirect_port: o.redirect_port,
                extra_params: o.extra_params.into_iter().map(|p| (p.name, p.value)).collect(),
            }),
            (None, Some(cc)) => FormAuth::ServiceAccount(FormServiceAccount {
                token_url: cc.token_url,
                client_id: cc.client_id,
                client_secret: cc.client_secret,
                scopes: cc.scopes,
                service_token_header: cc.service_token_header,
                service_token: cc.service_token,
            }),
            (None, None) if self.passthrough => FormAuth::Passthrough,
            (None, None) => FormAuth::Plain,
        };
        Form { id: self.id, name: self.name, transport, auth }
    }
}

/// A saved source's settings, to fill the edit form. No secret value: only whether it is set.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub struct SourceSettings {
    pub id: String,
    pub name: Option<String>,
    pub transport: TransportSettings,
    pub auth: AuthSettings,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub enum TransportSettings {
    Stdio {
        command: String,
        args: Vec<String>,
        env: Vec<SettingRow>,
        cwd: Option<String>,
    },
    /// `url` without its query, fragment or password; `url_hidden_part` says it had one, which
    /// is kept while the URL is saved unchanged.
    Http {
        url: String,
        url_hidden_part: bool,
        headers: Vec<SettingRow>,
    },
    Sse {
        url: String,
        url_hidden_part: bool,
        headers: Vec<SettingRow>,
    },
}

/// A header or variable: its text, or for a secret whether the keychain holds it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub struct SettingRow {
    pub name: String,
    /// The text; `null` for a secret.
    pub value: Option<String>,
    pub secret: bool,
    /// For a secret: whether the keychain holds a value.
    pub set: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[ts(export, export_to = TS_DIR)]
pub enum AuthSettings {
    /// None, or credentials in headers.
    None,
    #[serde(rename = "oauth")]
    OAuth {
        scopes: Vec<String>,
        /// A pre-registered client id; `null` for dynamic registration.
        client_id: Option<String>,
        #[ts(type = "number | null")]
        redirect_port: Option<u16>,
        extra_params: Vec<AuthParam>,
    },
    ClientCredentials {
        /// `null`: discovered from the server.
        token_url: Option<String>,
        client_id: String,
        client_secret_set: bool,
        scopes: Vec<String>,
        service_token_header: Option<String>,
        service_token_set: bool,
    },
    /// The agent's own credentials, passed through.
    Passthrough,
}

impl SourceSettings {
    /// `stored`: the secret references the vault holds a value for.
    pub fn new(profile: &Profile, stored: &[SecretRef]) -> Self {
        let rows = |values: &BTreeMap<String, ConfigValue>| {
            values
                .iter()
                .map(|(name, value)| match value {
                    ConfigValue::Text(text) => SettingRow {
                        name: name.clone(),
                        value: Some(text.clone()),
                        secret: false,
                        set: false,
                    },
                    ConfigValue::Secret(reference) => SettingRow {
                        name: name.clone(),
                        value: None,
                        secret: true,
                        set: stored.contains(reference),
                    },
                })
                .collect()
        };
        let transport = match &profile.transport {
            Transport::Stdio { command, args, env, cwd } => TransportSettings::Stdio {
                command: command.clone(),
                args: args.clone(),
                env: rows(env),
                cwd: cwd.as_ref().map(|c| c.display().to_string()),
            },
            Transport::Http { url, headers } => TransportSettings::Http {
                url: shown_url(url),
                url_hidden_part: shown_url(url) != *url,
                headers: rows(headers),
            },
            Transport::Sse { url, headers } => TransportSettings::Sse {
                url: shown_url(url),
                url_hidden_part: shown_url(url) != *url,
                headers: rows(headers),
            },
        };
        let auth = match &profile.auth {
            // Enterprise sign-in is set with the CLI; the form keeps it (see `Form::into_edit`).
            Auth::None | Auth::Headers | Auth::Enterprise(_) => AuthSettings::None,
            Auth::OAuth(o) => AuthSettings::OAuth {
                scopes: o.scopes.clone().unwrap_or_default(),
                client_id: o.client_id.clone(),
                redirect_port: o.redirect_port,
                extra_params: o
                    .extra_params
                    .iter()
                    .map(|(name, value)| AuthParam { name: name.clone(), value: value.clone() })
                    .collect(),
            },
            Auth::Passthrough => AuthSettings::Passthrough,
            Auth::ClientCredentials(cc) => AuthSettings::ClientCredentials {
                token_url: cc.token_url.clone(),
                client_id: cc.client_id.clone(),
                client_secret_set: cc
                    .client_secret
                    .iter()
                    .chain(cc.client_key.as_ref().map(|key| &key.secret))
                    .any(|r| stored.contains(r)),
                scopes: cc.scopes.clone().unwrap_or_default(),
                service_token_header: cc.service_token_header.clone(),
                service_token_set: cc.service_token.as_ref().is_some_and(|r| stored.contains(r)),
            },
        };
        Self { id: profile.id().to_string(), name: profile.name.clone(), transport, auth }
    }
}

#[cfg(test)]
mod tests {
    use lanyard::profile::{ClientCredentialsSettings, OAuthSettings, RESERVED_AUTH_PARAMS};

    use super::*;
    use crate::ui_error::UiErrorKind;

    /// Writes the names the engine refuses as extra sign-in parameters for the front end, as
    /// ts-rs writes the types, and fails while the committed file differs, so the form's own
    /// check (`ui/src/lib/validate.ts`) never drifts from the engine's.
    #[test]
    fn export_reserved_auth_params() {
        let names: Vec<String> = RESERVED_AUTH_PARAMS.iter().map(|n| format!("  \"{n}\",\n")).collect();
        let text = format!(
            "// Written by `cargo test -p lanyard-app` from the engine's RESERVED_AUTH_PARAMS. Do not edit.\n\n\
             /** Parameters Lanyard sets itself in an authorization request; the engine refuses them as\n \
             *  extra sign-in parameters. */\n\
             export const RESERVED_AUTH_PARAMS: readonly string[] = [\n{}];\n",
            names.concat()
        );
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../ui/src/api/generated/ReservedAuthParams.ts");
        let before = std::fs::read_to_string(&path).unwrap_or_default();
        if before != text {
            std::fs::write(&path, &text).unwrap();
        }
        assert_eq!(before, text, "{} was out of date and is now written again; commit it", path.display());
    }

    fn http(url: &str, headers: Vec<NamedValue>) -> NewSource {
        NewSource {
            id: "remote".into(),
            name: None,
            transport: NewTransport::Http { url: url.into(), headers },
            oauth: None,
            client_credentials: None,
            passthrough: false,
        }
    }

    fn oauth(scopes: Vec<String>) -> NewOAuth {
        NewOAuth { scopes, client_id: String::new(), redirect_port: None, extra_params: vec![] }
    }

    fn header(name: &str, value: &str, secret: bool) -> NamedValue {
        NamedValue { name: name.into(), value: value.into(), secret }
    }

    #[test]
    fn secret_header_values_become_vault_references() {
        let mut form = http(
            "https://mcp.example.com/mcp",
            vec![header("X-Api-Key", "planted-secret", true), header("X-Team", "core", false)],
        );
        form.name = Some(" Remote ".into());
        let (profile, secrets) = form.into_profile().unwrap();
        assert_eq!(secrets.len(), 1, "only the secret header goes to the vault");
        assert_eq!(secrets[0].0, SecretRef::header("X-Api-Key"));
        let saved = format!("{profile:?}");
        assert!(!saved.contains("planted-secret"), "the profile must not hold the secret: {saved}");
        assert_eq!(profile.name.as_deref(), Some("Remote"));
        assert_eq!(profile.auth, Auth::Headers, "headers mean header auth");
    }

    #[test]
    fn a_bad_id_is_an_invalid_profile() {
        let mut form = http("https://x", vec![]);
        form.id = "Bad Id".into();
        assert_eq!(form.into_profile().unwrap_err().kind, UiErrorKind::InvalidProfile);
    }

    #[test]
    fn an_empty_secret_is_refused_when_adding() {
        let form = http("https://x", vec![header("X-Api-Key", "", true)]);
        assert_eq!(form.into_profile().unwrap_err().kind, UiErrorKind::InvalidProfile, "nothing to keep yet");
    }

    #[test]
    fn an_oauth_form_asks_for_sign_in_with_the_resource_parameter() {
        let mut form = http("https://mcp.example.com/mcp", vec![]);
        form.oauth = Some(oauth(vec![" mcp:read ".into(), "".into()]));
        let (profile, secrets) = form.into_profile().unwrap();
        assert!(secrets.is_empty(), "an OAuth source has no secret of its own before sign-in");
        let Auth::OAuth(settings) = &profile.auth else {
            panic!("expected OAuth auth, got {:?}", profile.auth)
        };
        assert!(settings.resource_param, "RFC 8707 `resource` is sent unless a profile turns it off");
        assert_eq!(
            settings.scopes.as_deref(),
            Some(&["mcp:read".to_owned()][..]),
            "scopes trimmed, blanks dropped"
        );

        let mut form = http("https://mcp.example.com/mcp", vec![]);
        form.oauth = Some(oauth(vec![]));
        let Auth::OAuth(settings) = form.into_profile().unwrap().0.auth else { panic!("expected OAuth") };
        assert_eq!(settings.scopes, None, "no scopes typed means the server's suggestion");
    }

    fn client_credentials(secret: &str, header: &str, token: &str) -> NewClientCredentials {
        NewClientCredentials {
            token_url: String::new(),
            client_id: " svc ".into(),
            client_secret: secret.into(),
            scopes: vec!["read".into()],
            service_token_header: header.into(),
            service_token: token.into(),
        }
    }

    #[test]
    fn a_client_credentials_form_puts_both_secrets_in_the_vault() {
        let mut form = http("https://mcp.example.com/mcp", vec![]);
        form.client_credentials = Some(client_credentials("cs-planted", "X-Service-Token", "st-planted"));
        let (profile, secrets) = form.into_profile().unwrap();
        let refs: Vec<_> = secrets.iter().map(|(r, _)| r.clone()).collect();
        assert_eq!(
            refs,
            vec![SecretRef::service_token(), SecretRef::client_secret()],
            "both secrets go to the vault"
        );
        let Auth::ClientCredentials(cc) = &profile.auth else {
            panic!("expected client credentials: {profile:?}")
        };
        assert_eq!(cc.client_id, "svc", "the client id is trimmed");
        assert_eq!(cc.service_token_header.as_deref(), Some("X-Service-Token"));
        assert!(!format!("{profile:?}").contains("planted"), "no secret in the profile");

        let mut form = http("https://mcp.example.com/mcp", vec![]);
        form.client_credentials = Some(client_credentials("cs", "", ""));
        let Auth::ClientCredentials(cc) = form.into_profile().unwrap().0.auth else { panic!() };
        assert_eq!((cc.service_token_header, cc.service_token), (None, None), "no header, no service token");
    }

    fn saved() -> Profile {
        let mut form = http("https://old.example/mcp", vec![header("X-Api-Key", "old-secret", true)]);
        form.id = "remote".into();
        let (mut profile, _) = form.into_profile().unwrap();
        profile.enabled = false;
        profile.tools.exclude = vec!["rm".into()];
        profile
    }

    #[test]
    fn editing_keeps_a_blank_secret_and_what_the_form_does_not_show() {
        let mut before = saved();
        before.ca_bundle = Some("/etc/corp/ca.pem".into());
        let form = http("https://new.example/mcp", vec![header("X-Api-Key", "", true)]);
        let (after, secrets) = form.into_edit(&before).unwrap();
        assert!(secrets.is_empty(), "a blank secret keeps the stored one, nothing new to store");
        assert_eq!(after.transport.target(), "https://new.example/mcp", "the URL changed");
        assert_eq!(
            after.secret_refs(),
            before.secret_refs(),
            "the profile still refers to the stored secret"
        );
        assert!(!after.enabled, "enabled is not the form's to change");
        assert_eq!(after.tools, before.tools, "tool filters are kept");
        assert_eq!(after.ca_bundle, before.ca_bundle, "the source's CA bundle is kept");

        let form = http("https://new.example/mcp", vec![header("X-Other", "", true)]);
        assert!(form.into_edit(&before).is_err(), "a blank secret under a new name has nothing to keep");
    }

    #[test]
    fn editing_keeps_oauth_settings_the_form_does_not_show_and_refuses_a_new_id() {
        let mut before = saved();
        before.auth = Auth::OAuth(OAuthSettings {
            client_id: Some("pre-registered".into()),
            client_secret: Some(SecretRef::client_secret()),
            client_metadata_url: Some("https://lanyard.example/client.json".into()),
            redirect_port: Some(8765),
            resource_param: false,
            extra_params: BTreeMap::from([("prompt".to_owned(), "consent".to_owned())]),
            ..OAuthSettings::default()
        });
        // The form as `SourceSettings` filled it, saved with only the scopes changed.
        let json = serde_json::to_value(SourceSettings::new(&before, &[])).unwrap();
        assert_eq!(json["auth"]["clientId"], "pre-registered", "{json}");
        assert_eq!(json["auth"]["redirectPort"], 8765, "{json}");
        assert_eq!(json["auth"]["extraParams"][0], serde_json::json!({"name": "prompt", "value": "consent"}));
        let mut form = http("https://old.example/mcp", vec![header("X-Api-Key", "", true)]);
        form.oauth = Some(NewOAuth {
            scopes: vec!["a".into()],
            client_id: "pre-registered".into(),
            redirect_port: Some(8765),
            extra_params: vec![AuthParam { name: "prompt".into(), value: "consent".into() }],
        });
        let Auth::OAuth(after) = form.into_edit(&before).unwrap().0.auth else { panic!("expected OAuth") };
        let Auth::OAuth(old) = &before.auth else { unreachable!() };
        assert_eq!(
            after,
            OAuthSettings { scopes: Some(vec!["a".to_owned()]), ..old.clone() },
            "only the scopes changed; the secret, metadata URL and resource switch the form does not show are kept"
        );

        let mut form = http("https://old.example/mcp", vec![header("X-Api-Key", "", true)]);
        form.oauth = Some(oauth(vec![]));
        let (profile, _) = form.into_edit(&before).unwrap();
        let Auth::OAuth(after) = &profile.auth else { panic!("expected OAuth") };
        assert_eq!(
            (after.client_id.as_deref(), after.client_secret.as_ref(), after.redirect_port),
            (None, None, None),
            "a cleared client id is dynamic registration, and its secret goes with it"
        );
        assert!(after.extra_params.is_empty(), "the parameters were removed in the form");

        let mut form = http("https://old.example/mcp", vec![]);
        form.id = "other".into();
        assert_eq!(
            form.into_edit(&before).unwrap_err().kind,
            UiErrorKind::InvalidProfile,
            "ids do not change"
        );
    }

    #[test]
    fn an_oauth_form_sets_a_pre_registered_client_its_port_and_extra_parameters() {
        let mut form = http("https://mcp.example.com/mcp", vec![]);
        form.oauth = Some(NewOAuth {
            scopes: vec![],
            client_id: " lanyard-desktop ".into(),
            redirect_port: Some(8765),
            extra_params: vec![
                AuthParam { name: " login_hint ".into(), value: "alice@example.com".into() },
                AuthParam { name: "prompt".into(), value: "consent".into() },
            ],
        });
        let Auth::OAuth(settings) = form.into_profile().unwrap().0.auth else { panic!("expected OAuth") };
        assert_eq!(settings.client_id.as_deref(), Some("lanyard-desktop"), "trimmed");
        assert_eq!(settings.redirect_port, Some(8765));
        assert_eq!(
            settings.extra_params,
            BTreeMap::from([
                ("login_hint".to_owned(), "alice@example.com".to_owned()),
                ("prompt".to_owned(), "consent".to_owned())
            ]),
            "names trimmed, values as typed"
        );

        for (params, why) in [
            (vec![("", "x")], "a blank name"),
            (vec![("state", "x")], "a parameter Lanyard sets itself"),
            (vec![("prompt", "a"), ("prompt", "b")], "a name given twice"),
        ] {
            let mut form = http("https://mcp.example.com/mcp", vec![]);
            let mut o = oauth(vec![]);
            o.extra_params =
                params.iter().map(|(n, v)| AuthParam { name: (*n).into(), value: (*v).into() }).collect();
            form.oauth = Some(o);
            assert_eq!(
                form.into_profile().unwrap_err().kind,
                UiErrorKind::InvalidProfile,
                "{why} is refused"
            );
        }
    }

    #[test]
    fn a_passthrough_form_passes_the_agents_credentials_and_reads_back_as_passthrough() {
        let mut form = http("https://mcp.example.com/mcp", vec![]);
        form.passthrough = true;
        let (profile, _) = form.into_profile().unwrap();
        assert_eq!(profile.auth, Auth::Passthrough, "token passthrough is chosen in the form");
        let json = serde_json::to_value(SourceSettings::new(&profile, &[])).unwrap();
        assert_eq!(json["auth"], serde_json::json!({"kind": "passthrough"}), "the form can show it: {json}");
    }

    #[test]
    fn a_service_accounts_token_url_is_the_forms_blank_is_discovery() {
        let mut form = http("https://mcp.example.com/mcp", vec![]);
        let mut cc = client_credentials("cs", "", "");
        cc.token_url = " https://as.example/token ".into();
        form.client_credentials = Some(cc);
        let (before, _) = form.into_profile().unwrap();
        let Auth::ClientCredentials(settings) = &before.auth else { panic!("expected client credentials") };
        assert_eq!(settings.token_url.as_deref(), Some("https://as.example/token"), "trimmed");
        let json = serde_json::to_value(SourceSettings::new(&before, &[SecretRef::client_secret()])).unwrap();
        assert_eq!(json["auth"]["tokenUrl"], "https://as.example/token", "the form shows it: {json}");

        let mut form = http("https://mcp.example.com/mcp", vec![]);
        form.client_credentials = Some(client_credentials("", "", ""));
        let (after, secrets) = form.into_edit(&before).unwrap();
        assert!(secrets.is_empty(), "the blank secret keeps the stored one");
        let Auth::ClientCredentials(settings) = after.auth else { panic!("expected client credentials") };
        assert_eq!(settings.token_url, None, "a cleared token URL means discovery again");
    }

    #[test]
    fn a_url_query_never_reaches_the_form_and_survives_an_unchanged_save() {
        let mut before = saved();
        before.transport =
            Transport::Http { url: "https://x.example/mcp?key=planted".into(), headers: BTreeMap::new() };
        let json = serde_json::to_value(SourceSettings::new(&before, &[])).unwrap();
        assert_eq!(json["transport"]["url"], "https://x.example/mcp", "the query stays behind: {json}");
        assert_eq!(json["transport"]["urlHiddenPart"], true, "the form can say there is more: {json}");

        let (after, _) = http("https://x.example/mcp", vec![]).into_edit(&before).unwrap();
        assert_eq!(
            after.transport.target(),
            "https://x.example/mcp?key=planted",
            "unchanged: the stored URL is kept"
        );
        let (after, _) = http("https://y.example/mcp", vec![]).into_edit(&before).unwrap();
        assert_eq!(after.transport.target(), "https://y.example/mcp", "changed: the typed URL");
    }

    #[test]
    fn settings_say_set_or_not_set_and_never_carry_a_secret() {
        let mut before = saved();
        before.auth = Auth::ClientCredentials(ClientCredentialsSettings {
            service_token_header: Some("X-Service-Token".into()),
            service_token: Some(SecretRef::service_token()),
            ..ClientCredentialsSettings::with_client_secret("svc")
        });
        let settings =
            SourceSettings::new(&before, &[SecretRef::header("X-Api-Key"), SecretRef::client_secret()]);
        let json = serde_json::to_value(&settings).unwrap();
        assert_eq!(
            json["transport"]["headers"][0],
            serde_json::json!({"name": "X-Api-Key", "value": null, "secret": true, "set": true})
        );
        assert_eq!(json["auth"]["kind"], "clientCredentials", "{json}");
        assert_eq!(json["auth"]["clientSecretSet"], true, "{json}");
        assert_eq!(json["auth"]["serviceTokenSet"], false, "the vault lacks it: {json}");
        assert!(!json.to_string().contains("old-secret"), "no secret value: {json}");
    }
}
