//! The add and edit form's shapes. Inward, [`NewSource`]: what the person typed, secret values
//! included, which go straight to the vault while the profile keeps only a reference. Outward,
//! [`SourceSettings`]: a saved source's settings to fill the edit form, where a secret is only
//! "set" or "not set", never its value.
//!
//! A URL's query and fragment can carry keys, so they never cross either: the form gets the URL
//! without them, and a URL saved back unchanged keeps the stored one whole.
//!
//! Editing changes what the form shows (name, transport, sign-in kind and its fields: scopes, a
//! pre-registered client id, redirect port and extra authorization parameters; a service
//! account's token URL) and keeps everything else of the saved profile (enabled, timeouts, tool
//! filters, the sign-in settings the form does not show, such as a Client ID Metadata Document
//! URL, `resource_param` or a pre-registered client's secret). A secret field left blank keeps the
//! stored secret.

use std::collections::BTreeMap;

use lanyard::Secret;
use lanyard::ids::{SecretRef, SourceId};
use lanyard::profile::{Auth, ClientCredentialsSettings, ConfigValue, OAuthSettings, Profile, Transport};
use lanyard::source::redact_url_query;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::TS_DIR;
use crate::ui_error::{UiError, UiErrorKind};

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

/// The secrets to store beside a profile.
pub type Secrets = Vec<(SecretRef, Secret)>;

impl NewSource {
    /// The profile to add and the secrets that go into the vault beside it. This is argument
    /// conversion only; the engine validates the profile when it is added.
    pub fn into_profile(self) -> Result<(Profile, Secrets), UiError> {
        self.build(&[])
    }

    /// The saved profile `before` with the form's settings, and the secrets to store. A blank
    /// secret keeps the one `before` refers to under the same name.
    pub fn into_edit(self, before: &Profile) -> Result<(Profile, Secrets), UiError> {
        let id: SourceId = self.id.trim().parse()?;
        if &id != before.id() {
            return Err(UiError::new(
                UiErrorKind::InvalidProfile,
                "a source's id cannot change; add a new source instead",
            ));
        }
        let kept: Vec<SecretRef> = before.secret_refs().into_iter().cloned().collect();
        let (mut profile, secrets) = self.build(&kept)?;
        keep_hidden_url_parts(&mut profile.transport, &before.transport);
        profile.enabled = before.enabled;
        profile.timeouts = before.timeouts;
        profile.tools = before.tools.clone();
        // A stdio source cannot have one (the profile refuses it), so a switch to stdio drops it.
        if !matches!(profile.transport, Transport::Stdio { .. }) {
            profile.ca_bundle = before.ca_bundle.clone();
        }
        profile.auth = match (std::mem::take(&mut profile.auth), &before.auth) {
            (Auth::OAuth(new), Auth::OAuth(old)) => Auth::OAuth(OAuthSettings {
                // A pre-registered client's secret (set with the CLI) stays while there is a
                // client id; without one it would be refused, and the engine forgets it.
                client_secret: old.client_secret.clone().filter(|_| new.client_id.is_some()),
                client_id: new.client_id,
                scopes: new.scopes,
                redirect_port: new.redirect_port,
                extra_params: new.extra_params,
                ..old.clone()
            }),
            (Auth::ClientCredentials(new), Auth::ClientCredentials(old)) => {
                Auth::ClientCredentials(ClientCredentialsSettings {
                    allow_private_network: old.allow_private_network,
                    // A client key (set with the CLI) stays while the form gives no secret.
                    client_key: old.client_key.clone().filter(|_| new.client_secret.is_none()),
                    client_issuer: old.client_issuer.clone(),
                    ..new
                })
            }
            (new, _) => new,
        };
        Ok((profile, secrets))
    }

    /// `kept`: the secret references a blank secret value may keep.
    fn build(self, kept: &[SecretRef]) -> Result<(Profile, Secrets), UiError> {
        let id: SourceId = self.id.trim().parse()?;
        let mut secrets = Vec::new();
        let mut take_secret =
            |reference: SecretRef, value: String, what: &str| -> Result<SecretRef, UiError> {
                if !value.is_empty() {
                    secrets.push((reference.clone(), Secret::new(value)));
                } else if !kept.contains(&reference) {
                    return Err(UiError::new(
                        UiErrorKind::InvalidProfile,
                        format!("{what} is empty; type it in, or remove it"),
                    ));
                }
                Ok(reference)
            };
        let mut collect = |values: Vec<NamedValue>, reference: fn(&str) -> SecretRef| {
            let mut out = BTreeMap::new();
            for NamedValue { name, value, secret } in values {
                let name = name.trim().to_owned();
                let value = if secret {
                    ConfigValue::Secret(take_secret(reference(&name), value, "a secret value")?)
                } else {
                    ConfigValue::Text(value)
                };
                out.insert(name, value);
            }
            Ok::<_, UiError>(out)
        };
        let (transport, has_headers) = match self.transport {
            NewTransport::Stdio { command, args, env, cwd } => {
                let env = collect(env, SecretRef::env)?;
                let cwd = cwd.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).map(Into::into);
                (Transport::Stdio { command: command.trim().to_owned(), args, env, cwd }, false)
            }
            NewTransport::Http { url, headers } => {
                let headers = collect(headers, SecretRef::header)?;
                let has = !headers.is_empty();
                (Transport::Http { url: url.trim().to_owned(), headers }, has)
            }
            NewTransport::Sse { url, headers } => {
                let headers = collect(headers, SecretRef::header)?;
                let has = !headers.is_empty();
                (Transport::Sse { url: url.trim().to_owned(), headers }, has)
            }
        };
        let mut profile = Profile::new(id, transport);
        profile.name = self.name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        if let Some(oauth) = self.oauth {
            profile.auth = Auth::OAuth(OAuthSettings {
                client_id: non_blank(oauth.client_id),
                scopes: scope_list(oauth.scopes),
                redirect_port: oauth.redirect_port,
                extra_params: param_map(oauth.extra_params)?,
                // The same default as a profile file without the key: send RFC 8707 `resource`.
                resource_param: true,
                ..OAuthSettings::default()
            });
        } else if let Some(cc) = self.client_credentials {
            let header = cc.service_token_header.trim().to_owned();
            let service_token = if header.is_empty() {
                None
            } else {
                Some(take_secret(SecretRef::service_token(), cc.service_token, "the service token")?)
            };
            profile.auth = Auth::ClientCredentials(ClientCredentialsSettings {
                token_url: non_blank(cc.token_url),
                client_id: cc.client_id.trim().to_owned(),
                // A blank secret on a source with a client key keeps the key (see `into_edit`).
                client_secret: if cc.client_secret.is_empty() && kept.contains(&SecretRef::client_key()) {
                    None
                } else {
                    Some(take_secret(SecretRef::client_secret(), cc.client_secret, "the client secret")?)
                },
                client_key: None,
                client_issuer: None,
                scopes: scope_list(cc.scopes),
                service_token_header: (!header.is_empty()).then_some(header),
                service_token,
                allow_private_network: false,
            });
        } else if self.passthrough {
            profile.auth = Auth::Passthrough;
        } else if has_headers {
            profile.auth = Auth::Headers;
        }
        Ok((profile, secrets))
    }
}

/// Trimmed; `None` when blank.
fn non_blank(text: String) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// The extra authorization parameters as the profile keeps them. A blank name, a name given twice
/// or one Lanyard sets itself is refused: the form checks these too, so this only catches a
/// caller that skipped it.
fn param_map(params: Vec<AuthParam>) -> Result<BTreeMap<String, String>, UiError> {
    let mut map = BTreeMap::new();
    for AuthParam { name, value } in params {
        let name = name.trim().to_owned();
        let problem = if name.is_empty() {
            Some("an extra sign-in parameter has no name".to_owned())
        } else if lanyard::oauth::RESERVED_PARAMS.contains(&name.as_str()) {
            Some(format!("the sign-in parameter `{name}` is set by Lanyard itself; remove it"))
        } else if map.contains_key(&name) {
            Some(format!("the sign-in parameter `{name}` is given twice"))
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(UiError::new(UiErrorKind::InvalidProfile, problem));
        }
        map.insert(name, value);
    }
    Ok(map)
}

/// A URL sent back as the form showed it (without query) stays the stored URL, query and all.
fn keep_hidden_url_parts(after: &mut Transport, before: &Transport) {
    let (Transport::Http { url, .. } | Transport::Sse { url, .. }) = after else { return };
    let (Transport::Http { url: old, .. } | Transport::Sse { url: old, .. }) = before else { return };
    if *url == shown_url(old) {
        url.clone_from(old);
    }
}

/// The URL as the form shows it: without query, fragment or password (the engine's redaction,
/// without its "there was more" mark, so that saving it back unchanged is recognised).
fn shown_url(url: &str) -> String {
    let redacted = redact_url_query(url);
    redacted.strip_suffix("?…").map(str::to_owned).unwrap_or(redacted)
}

/// Scopes trimmed, blanks dropped; none at all means the server's suggestion.
fn scope_list(scopes: Vec<String>) -> Option<Vec<String>> {
    let scopes: Vec<String> = scopes.iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
    (!scopes.is_empty()).then_some(scopes)
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
            Auth::None | Auth::Headers => AuthSettings::None,
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
    use super::*;

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
            token_url: None,
            client_id: "svc".into(),
            client_secret: Some(SecretRef::client_secret()),
            client_key: None,
            client_issuer: None,
            scopes: None,
            service_token_header: Some("X-Service-Token".into()),
            service_token: Some(SecretRef::service_token()),
            allow_private_network: false,
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
