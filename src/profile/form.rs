//! The settings a form shows (the app's add and edit form), and how saving one becomes a
//! profile through a [`Draft`]. A form shows the common settings only: name, transport, the
//! sign-in kind and its fields (scopes, a pre-registered client id, redirect port and extra
//! authorization parameters; a service account's token URL). Saving an edit changes those and
//! keeps everything else of the saved profile (enabled, timeouts, tool filters, the sign-in
//! settings the form does not show, such as a Client ID Metadata Document URL, `resource_param`
//! or a pre-registered client's secret). A secret field left blank keeps the stored secret.
//! An enterprise source (set with the CLI) keeps its sign-in unless the form picks another kind.
//!
//! A [`Form`] is what the window sends (`camelCase` JSON; its TypeScript twin, `NewSource`, is
//! written by ts-rs with the feature `ts`), so the window's form and these rules cannot drift.
//! The way back, a saved source's settings to fill the form, is [`SourceSettings`](super::SourceSettings).
//!
//! A URL's query and fragment can carry keys, so a form never shows them ([`shown_url`]); a URL
//! saved back as it was shown keeps the stored one whole.

use serde::{Deserialize, Serialize};

use crate::ids::{SecretRef, SourceId};
use crate::secret::Secret;
use crate::source::redact_url_query;

use super::draft::{Draft, DraftError, NewSecrets, Value, auth_params};
use super::model::{Auth, ClientCredentialsSettings, OAuthSettings, Profile, Transport};

/// A saved form: text as typed (the rules trim it). A secret value left blank is `""`.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "NewSource", export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Form {
    pub id: String,
    pub name: Option<String>,
    pub transport: FormTransport,
    pub auth: FormAuth,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "NewTransport", export_to = crate::TS_DIR))]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum FormTransport {
    Stdio { command: String, args: Vec<String>, env: Vec<FormValue>, cwd: Option<String> },
    Http { url: String, headers: Vec<FormValue> },
    Sse { url: String, headers: Vec<FormValue> },
}

/// A header or environment variable. A `secret` one goes to the vault; blank, it keeps the
/// stored value.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "NamedValue", export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FormValue {
    pub name: String,
    /// For a secret being edited, blank keeps the stored value.
    pub value: String,
    pub secret: bool,
}

/// How the source signs in, with the kinds `SourceSettings` spells back.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "NewAuth", export_to = crate::TS_DIR))]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum FormAuth {
    /// No sign-in: none, or credentials in headers when there are headers.
    #[serde(rename = "none")]
    Plain,
    #[serde(rename = "oauth")]
    OAuth(FormOAuth),
    #[serde(rename = "clientCredentials")]
    ServiceAccount(FormServiceAccount),
    /// The agent's own `Authorization` goes to the server unchanged.
    Passthrough,
}

/// A browser sign-in; blank fields keep the engine's defaults (the server's suggested scopes,
/// dynamic registration, an ephemeral loopback redirect).
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "NewOAuth", export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FormOAuth {
    /// Scopes to request instead of the server's suggestion; empty for the suggestion.
    pub scopes: Vec<String>,
    /// A pre-registered client id; blank to register dynamically (RFC 7591).
    pub client_id: String,
    /// A fixed loopback redirect port (a pre-registered client usually needs one); `null` for
    /// an ephemeral one.
    pub redirect_port: Option<u16>,
    /// Extra authorization request parameters, such as `login_hint` or `prompt`, as typed.
    pub extra_params: Vec<AuthParam>,
}

/// One extra authorization request parameter. Not a secret: it is sent in the browser's URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthParam {
    pub name: String,
    pub value: String,
}

/// A service account (client credentials). Blank `token_url`: discovered from the server; blank
/// `service_token_header`: no service token. A blank secret, when editing, keeps the stored one.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "NewClientCredentials", export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FormServiceAccount {
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

impl Form {
    /// A new source and the secrets to store beside it.
    pub fn into_new(self) -> Result<(Profile, NewSecrets), DraftError> {
        let id: SourceId = self.id.trim().parse()?;
        let (transport, values) = self.transport.split();
        let mut draft = Draft::new(Profile::new(id, transport));
        fill(&mut draft, self.name, values, self.auth)?;
        Ok(draft.finish())
    }

    /// The saved `before` with the form's settings, and the secrets to store.
    pub fn into_edit(self, before: &Profile) -> Result<(Profile, NewSecrets), DraftError> {
        let id: SourceId = self.id.trim().parse()?;
        if &id != before.id() {
            return Err(DraftError::IdChanged);
        }
        let mut draft = Draft::edit(before);
        let (mut transport, values) = self.transport.split();
        keep_hidden_url_parts(&mut transport, &before.transport);
        let profile = draft.profile_mut();
        // A stdio source cannot have one (the profile refuses it), so a switch to stdio drops it.
        if matches!(transport, Transport::Stdio { .. }) {
            profile.ca_bundle = None;
        } else {
            // Likewise the fence, which only a stdio server runs in.
            profile.sandbox = None;
        }
        profile.transport = transport;
        fill(&mut draft, self.name, values, self.auth)?;
        let profile = draft.profile_mut();
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
                    assertion_file: old.assertion_file.clone().filter(|_| new.client_secret.is_none()),
                    client_issuer: old.client_issuer.clone(),
                    ..new
                })
            }
            // The form has no fields for enterprise sign-in: saving it without choosing another
            // kind keeps the source's.
            (Auth::None | Auth::Headers, Auth::Enterprise(old)) => Auth::Enterprise(old.clone()),
            (new, _) => new,
        };
        Ok(draft.finish())
    }
}

impl FormTransport {
    /// The transport without its values, and the values, which go through the draft.
    fn split(self) -> (Transport, Vec<FormValue>) {
        match self {
            Self::Stdio { command, args, env, cwd } => {
                let cwd = cwd.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).map(Into::into);
                let command = command.trim().to_owned();
                (Transport::Stdio { command, args, env: Default::default(), cwd }, env)
            }
            Self::Http { url, headers } => {
                (Transport::Http { url: url.trim().to_owned(), headers: Default::default() }, headers)
            }
            Self::Sse { url, headers } => {
                (Transport::Sse { url: url.trim().to_owned(), headers: Default::default() }, headers)
            }
        }
    }
}

/// Sets the rest of what the form shows on `draft`, whose transport is the form's already.
fn fill(
    draft: &mut Draft,
    name: Option<String>,
    values: Vec<FormValue>,
    auth: FormAuth,
) -> Result<(), DraftError> {
    let has_headers = !values.is_empty() && !matches!(draft.profile().transport, Transport::Stdio { .. });
    draft.profile_mut().name = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    for FormValue { name, value, secret } in values {
        let value = match (secret, value.is_empty()) {
            (false, _) => Value::Text(value),
            (true, true) => Value::KeepSecret,
            (true, false) => Value::Secret(Secret::new(value)),
        };
        draft.set_value(&name, value)?;
    }
    let auth = match auth {
        FormAuth::OAuth(oauth) => Auth::OAuth(OAuthSettings {
            client_id: non_blank(oauth.client_id),
            scopes: scope_list(oauth.scopes),
            redirect_port: oauth.redirect_port,
            extra_params: auth_params(oauth.extra_params.into_iter().map(|p| (p.name, p.value)))?,
            // The same default as a profile file without the key: send RFC 8707 `resource`.
            resource_param: true,
            ..OAuthSettings::default()
        }),
        FormAuth::ServiceAccount(cc) => Auth::ClientCredentials(service_account(cc, draft)?),
        FormAuth::Passthrough => Auth::Passthrough,
        FormAuth::Plain if has_headers => Auth::Headers,
        FormAuth::Plain => Auth::None,
    };
    draft.profile_mut().auth = auth;
    Ok(())
}

fn service_account(
    cc: FormServiceAccount,
    draft: &mut Draft,
) -> Result<ClientCredentialsSettings, DraftError> {
    let secret = |value: String| (!value.is_empty()).then(|| Secret::new(value));
    let header = cc.service_token_header.trim().to_owned();
    let service_token = if header.is_empty() {
        None
    } else {
        Some(draft.secret_or_stored(
            SecretRef::service_token(),
            secret(cc.service_token),
            "the service token",
        )?)
    };
    // A blank secret on a source with a client key or a workload token file keeps it (see
    // `into_edit`); the draft still holds the saved auth here.
    let workload =
        matches!(&draft.profile().auth, Auth::ClientCredentials(old) if old.assertion_file.is_some());
    let client_secret =
        if cc.client_secret.is_empty() && (workload || draft.has_stored(&SecretRef::client_key())) {
            None
        } else {
            Some(draft.secret_or_stored(
                SecretRef::client_secret(),
                secret(cc.client_secret),
                "the client secret",
            )?)
        };
    Ok(ClientCredentialsSettings {
        token_url: non_blank(cc.token_url),
        client_id: cc.client_id.trim().to_owned(),
        client_secret,
        client_key: None,
        assertion_file: None,
        client_issuer: None,
        scopes: scope_list(cc.scopes),
        service_token_header: (!header.is_empty()).then_some(header),
        service_token,
        allow_private_network: false,
    })
}

/// Trimmed; `None` when blank.
fn non_blank(text: String) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Scopes trimmed, blanks dropped; none at all means the server's suggestion.
fn scope_list(scopes: Vec<String>) -> Option<Vec<String>> {
    let scopes: Vec<String> = scopes.iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
    (!scopes.is_empty()).then_some(scopes)
}

/// A URL sent back as the form showed it (without query) stays the stored URL, query and all.
fn keep_hidden_url_parts(after: &mut Transport, before: &Transport) {
    let (Transport::Http { url, .. } | Transport::Sse { url, .. }) = after else { return };
    let (Transport::Http { url: old, .. } | Transport::Sse { url: old, .. }) = before else { return };
    if *url == shown_url(old) {
        url.clone_from(old);
    }
}

/// The URL as a form shows it: without query, fragment or password (the engine's redaction,
/// without its "there was more" mark, so that saving it back unchanged is recognised).
pub fn shown_url(url: &str) -> String {
    let redacted = redact_url_query(url);
    redacted.strip_suffix("?…").map(str::to_owned).unwrap_or(redacted)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::profile::Protocol;

    fn http(url: &str, headers: Vec<FormValue>) -> Form {
        Form {
            id: "remote".into(),
            name: None,
            transport: FormTransport::Http { url: url.into(), headers },
            auth: FormAuth::Plain,
        }
    }

    fn header(name: &str, value: &str, secret: bool) -> FormValue {
        FormValue { name: name.into(), value: value.into(), secret }
    }

    fn saved() -> Profile {
        let form = http("https://old.example/mcp?key=planted", vec![header("X-Api-Key", "old", true)]);
        let (mut profile, _) = form.into_new().unwrap();
        profile.enabled = false;
        profile.tools.exclude = vec!["rm".into()];
        profile.protocol = Protocol::V2025_06_18;
        profile.ca_bundle = Some("/etc/corp/ca.pem".into());
        profile
    }

    #[test]
    fn an_edit_keeps_enterprise_sign_in_which_the_form_does_not_show() {
        let mut before = saved();
        let enterprise = crate::profile::EnterpriseSettings {
            idp_issuer: "https://login.example".into(),
            idp_client_id: "lanyard".into(),
            idp_token_endpoint: None,
            client_id: Some("crm".into()),
            client_secret: None,
            scopes: None,
            allow_private_network: false,
        };
        before.auth = Auth::Enterprise(enterprise.clone());
        let form = http("https://old.example/mcp?key=planted", vec![header("X-Api-Key", "", true)]);
        let (after, _) = form.into_edit(&before).unwrap();
        assert_eq!(after.auth, Auth::Enterprise(enterprise), "saving the form keeps the enterprise settings");
        let mut form = http("https://old.example/mcp?key=planted", Vec::new());
        form.auth = FormAuth::Passthrough;
        let (after, _) = form.into_edit(&before).unwrap();
        assert_eq!(after.auth, Auth::Passthrough, "choosing another kind replaces it");
    }

    #[test]
    fn a_new_form_stores_secrets_apart_and_headers_mean_header_auth() {
        let mut form = http("https://x.example/mcp", vec![header("X-Api-Key", "planted", true)]);
        form.name = Some(" Remote ".into());
        let (profile, secrets) = form.into_new().unwrap();
        assert_eq!(secrets.len(), 1, "the secret goes to the vault");
        assert!(!format!("{profile:?}").contains("planted"), "the profile keeps a reference only");
        assert_eq!(profile.name.as_deref(), Some("Remote"), "trimmed");
        assert_eq!(profile.auth, Auth::Headers);
        let blank = http("https://x.example/mcp", vec![header("X-Api-Key", "", true)]);
        assert!(matches!(blank.into_new(), Err(DraftError::EmptySecret { .. })), "nothing to keep yet");
    }

    #[test]
    fn an_edit_changes_what_the_form_shows_and_keeps_the_rest() {
        let before = saved();
        let form = http("https://old.example/mcp", vec![header("X-Api-Key", "", true)]);
        let (after, secrets) = form.into_edit(&before).unwrap();
        assert!(secrets.is_empty(), "a blank secret keeps the stored one");
        assert_eq!(
            after.transport.target(),
            "https://old.example/mcp?key=planted",
            "the URL as shown keeps its query"
        );
        assert_eq!(after.secret_refs(), before.secret_refs());
        assert!(!after.enabled, "enabled is not the form's");
        assert_eq!(after.tools, before.tools, "tool filters are kept");
        assert_eq!(after.protocol, before.protocol, "the protocol revision is kept");
        assert_eq!(after.ca_bundle, before.ca_bundle, "the CA bundle is kept");

        let stdio = Form {
            transport: FormTransport::Stdio { command: " srv ".into(), args: vec![], env: vec![], cwd: None },
            ..http("", vec![])
        };
        let (after, _) = stdio.into_edit(&before).unwrap();
        assert_eq!(after.ca_bundle, None, "a stdio source has no CA bundle");
        assert_eq!(after.transport.target(), "srv", "trimmed");
        let other = Form { id: "other".into(), ..http("https://old.example/mcp", vec![]) };
        assert!(matches!(other.into_edit(&before), Err(DraftError::IdChanged)), "ids do not change");
    }

    #[test]
    fn an_oauth_edit_keeps_the_settings_the_form_does_not_show() {
        let mut before = saved();
        before.auth = Auth::OAuth(OAuthSettings {
            client_id: Some("pre-registered".into()),
            client_secret: Some(SecretRef::client_secret()),
            client_metadata_url: Some("https://lanyard.example/client.json".into()),
            resource_param: false,
            ..OAuthSettings::default()
        });
        let oauth = |client_id: &str, extra: Vec<(String, String)>| {
            let form = http("https://old.example/mcp", vec![header("X-Api-Key", "", true)]);
            let auth = FormAuth::OAuth(FormOAuth {
                scopes: vec![" a ".into(), "".into()],
                client_id: client_id.into(),
                redirect_port: None,
                extra_params: extra.into_iter().map(|(name, value)| AuthParam { name, value }).collect(),
            });
            Form { auth, ..form }
        };
        let Auth::OAuth(after) = oauth("pre-registered", vec![]).into_edit(&before).unwrap().0.auth else {
            panic!("expected OAuth")
        };
        let Auth::OAuth(old) = &before.auth else { unreachable!() };
        assert_eq!(
            after,
            OAuthSettings { scopes: Some(vec!["a".into()]), ..old.clone() },
            "only the scopes changed"
        );

        let Auth::OAuth(after) = oauth("", vec![]).into_edit(&before).unwrap().0.auth else { panic!() };
        assert_eq!((after.client_id, after.client_secret), (None, None), "no client id, no client secret");

        let reserved = oauth("", vec![("state".into(), "x".into())]);
        assert!(matches!(reserved.into_edit(&before), Err(DraftError::ReservedAuthParam { .. })));
        let form = oauth("", vec![("prompt".into(), "consent".into())]);
        let form = Form {
            transport: FormTransport::Http { url: "https://x.example".into(), headers: vec![] },
            ..form
        };
        let (new, _) = form.into_new().unwrap();
        let Auth::OAuth(settings) = new.auth else { panic!() };
        assert!(settings.resource_param, "a new sign-in sends RFC 8707 `resource`");
        assert_eq!(settings.extra_params, BTreeMap::from([("prompt".into(), "consent".into())]));
    }

    #[test]
    fn a_service_account_keeps_its_stored_secret_or_key_when_the_form_leaves_it_blank() {
        let account = |secret: &str| {
            let auth = FormAuth::ServiceAccount(FormServiceAccount {
                token_url: String::new(),
                client_id: " svc ".into(),
                client_secret: secret.into(),
                scopes: vec![],
                service_token_header: "X-Service-Token".into(),
                service_token: "st".into(),
            });
            Form { auth, ..http("https://x.example/mcp", vec![]) }
        };
        let (before, secrets) = account("cs").into_new().unwrap();
        let refs: Vec<_> = secrets.iter().map(|(r, _)| r.clone()).collect();
        assert_eq!(refs, vec![SecretRef::service_token(), SecretRef::client_secret()], "both to the vault");
        assert!(matches!(account("").into_new(), Err(DraftError::EmptySecret { .. })), "no secret to keep");

        let (after, secrets) = account("").into_edit(&before).unwrap();
        assert_eq!(secrets.len(), 1, "only the retyped service token is stored");
        let Auth::ClientCredentials(cc) = after.auth else { panic!("expected a service account") };
        assert_eq!(
            cc.client_secret,
            Some(SecretRef::client_secret()),
            "the blank secret keeps the stored one"
        );
        assert_eq!(cc.client_id, "svc", "trimmed");

        let mut workload = before.clone();
        if let Auth::ClientCredentials(cc) = &mut workload.auth {
            cc.client_secret = None;
            cc.assertion_file = Some("/run/tokens/mcp".into());
        }
        let (after, _) = account("").into_edit(&workload).unwrap();
        let Auth::ClientCredentials(cc) = after.auth else { panic!("expected a service account") };
        assert_eq!(cc.assertion_file.as_deref(), Some("/run/tokens/mcp"), "a workload keeps its token file");
        assert_eq!(cc.client_secret, None, "and gets no secret");
        let (after, _) = account("new-secret").into_edit(&workload).unwrap();
        let Auth::ClientCredentials(cc) = after.auth else { panic!("expected a service account") };
        assert_eq!(
            (cc.assertion_file, cc.client_secret.is_some()),
            (None, true),
            "a typed secret replaces it"
        );
    }

    fn oauth(scopes: Vec<String>) -> FormOAuth {
        FormOAuth { scopes, client_id: String::new(), redirect_port: None, extra_params: vec![] }
    }

    fn param(name: &str, value: &str) -> AuthParam {
        AuthParam { name: name.into(), value: value.into() }
    }

    /// The JSON the window sends (`NewSource` in TypeScript) is a [`Form`].
    #[test]
    fn the_windows_json_is_a_form() {
        let json = serde_json::json!({
            "id": "remote",
            "name": null,
            "transport": {"kind": "http", "url": "https://x.example/mcp",
                          "headers": [{"name": "X-Api-Key", "value": "planted", "secret": true}]},
            "auth": {"kind": "oauth", "scopes": ["a"], "clientId": "", "redirectPort": 8765,
                     "extraParams": [{"name": "prompt", "value": "consent"}]},
        });
        let form: Form = serde_json::from_value(json).unwrap();
        let FormAuth::OAuth(o) = &form.auth else { panic!("expected OAuth: {form:?}") };
        assert_eq!((o.redirect_port, &o.extra_params[..]), (Some(8765), &[param("prompt", "consent")][..]));
        for (auth, kind) in [("none", "Plain"), ("passthrough", "Passthrough")] {
            let json = serde_json::json!({"id": "x", "name": null, "auth": {"kind": auth},
                                          "transport": {"kind": "sse", "url": "https://x", "headers": []}});
            let form: Form = serde_json::from_value(json).unwrap();
            assert_eq!(format!("{:?}", form.auth), kind);
        }
        let unknown = serde_json::json!({"id": "x", "name": null, "auth": {"kind": "none"}, "extra": 1,
                                         "transport": {"kind": "sse", "url": "https://x", "headers": []}});
        assert!(serde_json::from_value::<Form>(unknown).is_err(), "an unknown field is refused");
    }

    #[test]
    fn an_oauth_form_asks_for_sign_in_with_the_resource_parameter() {
        let form = Form {
            auth: FormAuth::OAuth(oauth(vec![" mcp:read ".into(), "".into()])),
            ..http("https://x", vec![])
        };
        let (profile, secrets) = form.into_new().unwrap();
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

        let form = Form { auth: FormAuth::OAuth(oauth(vec![])), ..http("https://x", vec![]) };
        let Auth::OAuth(settings) = form.into_new().unwrap().0.auth else { panic!("expected OAuth") };
        assert_eq!(settings.scopes, None, "no scopes typed means the server's suggestion");
    }

    #[test]
    fn an_oauth_form_sets_a_pre_registered_client_its_port_and_extra_parameters() {
        let auth = FormAuth::OAuth(FormOAuth {
            scopes: vec![],
            client_id: " lanyard-desktop ".into(),
            redirect_port: Some(8765),
            extra_params: vec![param(" login_hint ", "alice@example.com"), param("prompt", "consent")],
        });
        let form = Form { auth, ..http("https://mcp.example.com/mcp", vec![]) };
        let Auth::OAuth(settings) = form.into_new().unwrap().0.auth else { panic!("expected OAuth") };
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
            (vec![param("", "x")], "a blank name"),
            (vec![param("state", "x")], "a parameter Lanyard sets itself"),
            (vec![param("prompt", "a"), param("prompt", "b")], "a name given twice"),
        ] {
            let auth = FormAuth::OAuth(FormOAuth { extra_params: params, ..oauth(vec![]) });
            let form = Form { auth, ..http("https://mcp.example.com/mcp", vec![]) };
            assert!(form.into_new().is_err(), "{why} is refused");
        }
    }

    #[test]
    fn an_oauth_edit_clears_a_client_and_its_parameters_when_the_form_does() {
        let mut before = saved();
        before.auth = Auth::OAuth(OAuthSettings {
            client_id: Some("pre-registered".into()),
            client_secret: Some(SecretRef::client_secret()),
            redirect_port: Some(8765),
            extra_params: BTreeMap::from([("prompt".to_owned(), "consent".to_owned())]),
            ..OAuthSettings::default()
        });
        let form = Form { auth: FormAuth::OAuth(oauth(vec![])), ..http("https://old.example/mcp", vec![]) };
        let Auth::OAuth(after) = form.into_edit(&before).unwrap().0.auth else { panic!("expected OAuth") };
        assert_eq!(
            (after.client_id.as_deref(), after.client_secret.as_ref(), after.redirect_port),
            (None, None, None),
            "a cleared client id is dynamic registration, and its secret goes with it"
        );
        assert!(after.extra_params.is_empty(), "the parameters were removed in the form");
    }

    #[test]
    fn a_passthrough_form_passes_the_agents_credentials() {
        let form = Form { auth: FormAuth::Passthrough, ..http("https://mcp.example.com/mcp", vec![]) };
        assert_eq!(form.into_new().unwrap().0.auth, Auth::Passthrough);
        let bad = Form { id: "Bad Id".into(), ..http("https://x", vec![]) };
        assert!(matches!(bad.into_new(), Err(DraftError::Id(_))), "a bad id is refused");
    }

    #[test]
    fn a_service_account_without_a_header_has_no_service_token_and_a_blank_token_url_is_discovery() {
        let account = |token_url: &str, secret: &str| {
            let auth = FormAuth::ServiceAccount(FormServiceAccount {
                token_url: token_url.into(),
                client_id: "svc".into(),
                client_secret: secret.into(),
                scopes: vec!["read".into()],
                service_token_header: String::new(),
                service_token: String::new(),
            });
            Form { auth, ..http("https://mcp.example.com/mcp", vec![]) }
        };
        let (before, _) = account(" https://as.example/token ", "cs").into_new().unwrap();
        let Auth::ClientCredentials(cc) = &before.auth else { panic!("expected client credentials") };
        assert_eq!(cc.token_url.as_deref(), Some("https://as.example/token"), "trimmed");
        assert_eq!(
            (&cc.service_token_header, &cc.service_token),
            (&None, &None),
            "no header, no service token"
        );
        let (after, secrets) = account("", "").into_edit(&before).unwrap();
        assert!(secrets.is_empty(), "the blank secret keeps the stored one");
        let Auth::ClientCredentials(cc) = after.auth else { panic!("expected client credentials") };
        assert_eq!(cc.token_url, None, "a cleared token URL means discovery again");
    }
}
