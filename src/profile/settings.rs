//! A saved source's settings as the edit form shows them: the way back of a [`Form`](super::Form).
//! A secret is only "set" or "not set", never its value, and a URL shows without its query
//! ([`shown_url`]), which saving it back unchanged keeps. With the feature `ts`, ts-rs writes the
//! TypeScript twins the window fills its form from.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ids::SecretRef;

use super::form::{AuthParam, shown_url};
use super::model::{Auth, ConfigValue, Profile, Transport};

/// A saved source's settings, to fill the edit form. No secret value: only whether it is set.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase")]
pub struct SourceSettings {
    pub id: String,
    pub name: Option<String>,
    pub transport: TransportSettings,
    pub auth: AuthSettings,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = crate::TS_DIR))]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
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
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase")]
pub struct SettingRow {
    pub name: String,
    /// The text; `null` for a secret.
    pub value: Option<String>,
    pub secret: bool,
    /// For a secret: whether the keychain holds a value.
    pub set: bool,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = crate::TS_DIR))]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum AuthSettings {
    /// None, or credentials in headers.
    None,
    #[serde(rename = "oauth")]
    OAuth {
        scopes: Vec<String>,
        /// A pre-registered client id; `null` for dynamic registration.
        client_id: Option<String>,
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
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
    use super::*;
    use crate::profile::{
        ClientCredentialsSettings, Form, FormAuth, FormTransport, FormValue, OAuthSettings,
    };

    fn saved(url: &str) -> Profile {
        let headers = vec![FormValue { name: "X-Api-Key".into(), value: "old-secret".into(), secret: true }];
        let form = Form {
            id: "remote".into(),
            name: None,
            transport: FormTransport::Http { url: url.into(), headers },
            auth: FormAuth::Plain,
        };
        form.into_new().unwrap().0
    }

    #[test]
    fn oauth_settings_fill_the_form_as_it_sends_them_back() {
        let mut before = saved("https://old.example/mcp");
        before.auth = Auth::OAuth(OAuthSettings {
            client_id: Some("pre-registered".into()),
            redirect_port: Some(8765),
            extra_params: BTreeMap::from([("prompt".to_owned(), "consent".to_owned())]),
            ..OAuthSettings::default()
        });
        let json = serde_json::to_value(SourceSettings::new(&before, &[])).unwrap();
        assert_eq!(json["auth"]["kind"], "oauth", "{json}");
        assert_eq!(json["auth"]["clientId"], "pre-registered", "{json}");
        assert_eq!(json["auth"]["redirectPort"], 8765, "{json}");
        assert_eq!(json["auth"]["extraParams"][0], serde_json::json!({"name": "prompt", "value": "consent"}));

        before.auth = Auth::Passthrough;
        let json = serde_json::to_value(SourceSettings::new(&before, &[])).unwrap();
        assert_eq!(json["auth"], serde_json::json!({"kind": "passthrough"}), "the form can show it: {json}");
    }

    #[test]
    fn a_url_query_never_reaches_the_form() {
        let before = saved("https://x.example/mcp?key=planted");
        let json = serde_json::to_value(SourceSettings::new(&before, &[])).unwrap();
        assert_eq!(json["transport"]["url"], "https://x.example/mcp", "the query stays behind: {json}");
        assert_eq!(json["transport"]["urlHiddenPart"], true, "the form can say there is more: {json}");

        let edit = |url: &str| Form {
            id: "remote".into(),
            name: None,
            transport: FormTransport::Http { url: url.into(), headers: vec![] },
            auth: FormAuth::Plain,
        };
        let (after, _) = edit("https://x.example/mcp").into_edit(&before).unwrap();
        assert_eq!(after.transport.target(), "https://x.example/mcp?key=planted", "unchanged: kept whole");
        let (after, _) = edit("https://y.example/mcp").into_edit(&before).unwrap();
        assert_eq!(after.transport.target(), "https://y.example/mcp", "changed: the typed URL");
    }

    #[test]
    fn settings_say_set_or_not_set_and_never_carry_a_secret() {
        let mut before = saved("https://old.example/mcp");
        before.auth = Auth::ClientCredentials(ClientCredentialsSettings {
            token_url: Some("https://as.example/token".into()),
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
        assert_eq!(json["auth"]["tokenUrl"], "https://as.example/token", "{json}");
        assert_eq!(json["auth"]["clientSecretSet"], true, "{json}");
        assert_eq!(json["auth"]["serviceTokenSet"], false, "the vault lacks it: {json}");
        assert!(!json.to_string().contains("old-secret"), "no secret value: {json}");
    }
}
