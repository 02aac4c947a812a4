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
//! The window asks [`Form::problems`] while the person types: every field's problem at once, as
//! [`FieldProblem`]s, found by the code that saving runs (which stops at the first), in the words
//! the CLI uses for the same rule. The window keeps no rule of its own but its text boxes' syntax.
//! The way back, a saved source's settings to fill the form, is [`SourceSettings`](super::SourceSettings).
//!
//! A URL's query and fragment can carry keys, so a form never shows them ([`shown_url`]); a URL
//! saved back as it was shown keeps the stored one whole.

use serde::{Deserialize, Serialize};

use crate::ids::{SecretRef, SourceId};
use crate::secret::Secret;
use crate::source::redact_url_query;

use std::collections::BTreeMap;

use super::draft::{Draft, DraftError, NewSecrets, Value, auth_param_name};
use super::model::{Auth, ClientCredentialsSettings, OAuthSettings, Profile, Transport};
use super::validate::{
    Problem, bad_redirect_port, check_client_id, check_command, check_header_name, check_scopes,
    check_service_client_id, check_url, check_value_name,
};

/// A saved form: text as typed (the rules trim it). A secret value left blank is `""`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "NewSource", export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Form {
    pub id: String,
    pub name: Option<String>,
    pub transport: FormTransport,
    pub auth: FormAuth,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "NewTransport", export_to = crate::TS_DIR))]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum FormTransport {
    Stdio { command: String, args: Vec<String>, env: Vec<FormValue>, cwd: Option<String> },
    Http { url: String, headers: Vec<FormValue> },
    Sse { url: String, headers: Vec<FormValue> },
}

/// A header or environment variable. A `secret` one goes to the vault; blank, it keeps the
/// stored value.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "NamedValue", export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FormValue {
    pub name: String,
    /// For a secret being edited, blank keeps the stored value.
    pub value: String,
    pub secret: bool,
}

/// How the source signs in, with the kinds `SourceSettings` spells back.
#[derive(Debug, Clone, Deserialize)]
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
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "NewOAuth", export_to = crate::TS_DIR))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FormOAuth {
    /// Scopes to request instead of the server's suggestion; empty for the suggestion.
    pub scopes: Vec<String>,
    /// A pre-registered client id; blank to register dynamically (RFC 7591).
    pub client_id: String,
    /// A fixed loopback redirect port (a pre-registered client usually needs one), as typed;
    /// blank for an ephemeral one.
    pub redirect_port: String,
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
#[derive(Debug, Clone, Deserialize)]
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

/// A form field a problem is about; rows and extra parameters by their place in the form's lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = crate::TS_DIR))]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum FormField {
    Id,
    Command,
    Url,
    Scopes,
    /// A browser sign-in's pre-registered client id.
    #[serde(rename = "oauthClientId")]
    OAuthClientId,
    RedirectPort,
    /// An extra authorization parameter, by its place in `extraParams`.
    AuthParam {
        index: u32,
    },
    TokenUrl,
    /// A service account's client id.
    ClientId,
    ClientSecret,
    ServiceTokenHeader,
    ServiceToken,
    /// A header's or variable's name, by its row.
    RowName {
        index: u32,
    },
    /// A header's or variable's value, by its row.
    RowValue {
        index: u32,
    },
}

impl FormField {
    fn row_name(index: usize) -> Self {
        Self::RowName { index: place(index) }
    }

    fn row_value(index: usize) -> Self {
        Self::RowValue { index: place(index) }
    }
}

fn place(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

/// One problem with a form, for the field it is about, in the engine's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = crate::TS_DIR))]
pub struct FieldProblem {
    pub field: FormField,
    pub message: String,
}

/// What the checks of a form found, field by field, in the form's order.
#[derive(Debug, Default)]
struct Found(Vec<(FormField, DraftError)>);

impl Found {
    fn add(&mut self, field: FormField, err: impl Into<DraftError>) {
        self.0.push((field, err.into()));
    }

    /// The value, or `None` with the problem noted against `field`.
    fn check<T, E: Into<DraftError>>(&mut self, field: FormField, result: Result<T, E>) -> Option<T> {
        result.map_err(|err| self.add(field, err)).ok()
    }
}

impl Form {
    /// A new source and the secrets to store beside it.
    pub fn into_new(self) -> Result<(Profile, NewSecrets), DraftError> {
        self.into_profile(None)
    }

    /// The saved `before` with the form's settings, and the secrets to store.
    pub fn into_edit(self, before: &Profile) -> Result<(Profile, NewSecrets), DraftError> {
        self.into_profile(Some(before))
    }

    /// Every problem of the form, field by field: what saving it (new, or as an edit of
    /// `before`) would refuse, found by the same code; none when it saves. The window asks this
    /// as the person types, so a rule and its words live here only.
    pub fn problems(&self, before: Option<&Profile>) -> Vec<FieldProblem> {
        let mut found = Found::default();
        self.clone().build(before, &mut found);
        found.0.into_iter().map(|(field, err)| FieldProblem { field, message: err.in_form() }).collect()
    }

    fn into_profile(self, before: Option<&Profile>) -> Result<(Profile, NewSecrets), DraftError> {
        let mut found = Found::default();
        let made = self.build(before, &mut found);
        match found.0.into_iter().next() {
            Some((_, err)) => Err(err),
            None => Ok(made),
        }
    }

    /// The profile the form makes, its problems noted in `found` (the profile is then not to
    /// be saved).
    fn build(self, before: Option<&Profile>, found: &mut Found) -> (Profile, NewSecrets) {
        let id = found.check(FormField::Id, parse_id(&self.id));
        if let (Some(id), Some(before)) = (&id, before)
            && id != before.id()
        {
            found.add(FormField::Id, DraftError::IdChanged);
        }
        let (mut transport, values) = self.transport.split(found);
        let mut draft = match before {
            None => Draft::new(Profile::new(id.unwrap_or_else(SourceId::stand_in), transport)),
            Some(before) => {
                keep_hidden_url_parts(&mut transport, &before.transport);
                let mut draft = Draft::edit(before);
                let profile = draft.profile_mut();
                // A stdio source cannot have one (the profile refuses it), so a switch to stdio
                // drops it.
                if matches!(transport, Transport::Stdio { .. }) {
                    profile.ca_bundle = None;
                } else {
                    // Likewise the fence, which only a stdio server runs in.
                    profile.sandbox = None;
                }
                profile.transport = transport;
                draft
            }
        };
        fill(&mut draft, self.name, values, self.auth, found);
        if let Some(before) = before {
            keep_unshown_auth(draft.profile_mut(), &before.auth);
        }
        draft.finish()
    }
}

/// The id as typed, trimmed.
fn parse_id(given: &str) -> Result<SourceId, DraftError> {
    match given.trim() {
        "" => Err(DraftError::NoId),
        id => Ok(id.parse()?),
    }
}

/// An edit's sign-in keeps the saved settings the form does not show.
fn keep_unshown_auth(profile: &mut Profile, before: &Auth) {
    profile.auth = match (std::mem::take(&mut profile.auth), before) {
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
}

impl FormTransport {
    /// The transport without its values, and the values, which go through the draft.
    fn split(self, found: &mut Found) -> (Transport, Vec<FormValue>) {
        match self {
            Self::Stdio { command, args, env, cwd } => {
                let cwd = cwd.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).map(Into::into);
                let command = command.trim().to_owned();
                found.check(FormField::Command, check_command(&command));
                (Transport::Stdio { command, args, env: Default::default(), cwd }, env)
            }
            Self::Http { url, headers } => {
                let url = url.trim().to_owned();
                found.check(FormField::Url, check_url("transport.url", &url, false));
                (Transport::Http { url, headers: Default::default() }, headers)
            }
            Self::Sse { url, headers } => {
                let url = url.trim().to_owned();
                found.check(FormField::Url, check_url("transport.url", &url, false));
                (Transport::Sse { url, headers: Default::default() }, headers)
            }
        }
    }
}

/// Sets the rest of what the form shows on `draft`, whose transport is the form's already.
fn fill(draft: &mut Draft, name: Option<String>, values: Vec<FormValue>, auth: FormAuth, found: &mut Found) {
    let stdio = matches!(draft.profile().transport, Transport::Stdio { .. });
    let has_headers = !values.is_empty() && !stdio;
    draft.profile_mut().name = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    let mut names: Vec<String> = Vec::new();
    for (index, FormValue { name, value, secret }) in values.into_iter().enumerate() {
        let name = name.trim().to_owned();
        if found.check(FormField::row_name(index), check_value_name(&name, stdio)).is_some()
            && names.iter().any(|given| given.eq_ignore_ascii_case(&name))
        {
            found.add(FormField::row_name(index), DraftError::ValueTwice { name: name.clone() });
        }
        let value = match (secret, value.is_empty()) {
            (false, _) => Value::Text(value),
            (true, true) => Value::KeepSecret,
            (true, false) => Value::Secret(Secret::new(value)),
        };
        found.check(FormField::row_value(index), draft.set_value(&name, value));
        names.push(name);
    }
    let auth = match auth {
        FormAuth::OAuth(oauth) => Auth::OAuth(OAuthSettings {
            client_id: found.check(FormField::OAuthClientId, client_id(oauth.client_id)).flatten(),
            scopes: found.check(FormField::Scopes, scope_list(oauth.scopes)).flatten(),
            redirect_port: found
                .check(FormField::RedirectPort, redirect_port(&oauth.redirect_port))
                .flatten(),
            extra_params: extra_params(oauth.extra_params, found),
            // The same default as a profile file without the key: send RFC 8707 `resource`.
            resource_param: true,
            ..OAuthSettings::default()
        }),
        FormAuth::ServiceAccount(cc) => Auth::ClientCredentials(service_account(cc, draft, found)),
        FormAuth::Passthrough => Auth::Passthrough,
        FormAuth::Plain if has_headers => Auth::Headers,
        FormAuth::Plain => Auth::None,
    };
    draft.profile_mut().auth = auth;
}

/// A pre-registered client id, trimmed; `None` when blank (dynamic registration).
fn client_id(given: String) -> Result<Option<String>, Problem> {
    let client_id = non_blank(given);
    client_id.as_deref().map(check_client_id).transpose()?;
    Ok(client_id)
}

/// A redirect port as typed: blank for any free port.
fn redirect_port(given: &str) -> Result<Option<u16>, Problem> {
    match given.trim() {
        "" => Ok(None),
        port => port.parse().ok().filter(|&port| port != 0).map(Some).ok_or_else(bad_redirect_port),
    }
}

/// The extra authorization parameters that pass, each one that does not noted at its place.
fn extra_params(given: Vec<AuthParam>, found: &mut Found) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    for (index, AuthParam { name, value }) in given.into_iter().enumerate() {
        let field = FormField::AuthParam { index: place(index) };
        if let Some(name) = found.check(field, auth_param_name(&name, &params)) {
            params.insert(name, value);
        }
    }
    params
}

fn service_account(
    cc: FormServiceAccount,
    draft: &mut Draft,
    found: &mut Found,
) -> ClientCredentialsSettings {
    let secret = |value: String| (!value.is_empty()).then(|| Secret::new(value));
    let token_url = non_blank(cc.token_url);
    if let Some(url) = &token_url {
        found.check(FormField::TokenUrl, check_url("auth.token_url", url, true));
    }
    let client_id = cc.client_id.trim().to_owned();
    found.check(FormField::ClientId, check_service_client_id(&client_id));
    let scopes = found.check(FormField::Scopes, scope_list(cc.scopes)).flatten();
    // A blank secret on a source with a client key or a workload token file keeps it (see
    // `keep_unshown_auth`); the draft still holds the saved auth here.
    let workload =
        matches!(&draft.profile().auth, Auth::ClientCredentials(old) if old.assertion_file.is_some());
    let client_secret = if cc.client_secret.is_empty()
        && (workload || draft.has_stored(&SecretRef::client_key()))
    {
        None
    } else {
        let stored =
            draft.secret_or_stored(SecretRef::client_secret(), secret(cc.client_secret), "the client secret");
        found.check(FormField::ClientSecret, stored)
    };
    let header = non_blank(cc.service_token_header);
    let service_token = header.as_ref().and_then(|header| {
        found.check(FormField::ServiceTokenHeader, check_header_name("auth.service_token_header", header));
        let stored =
            draft.secret_or_stored(SecretRef::service_token(), secret(cc.service_token), "the service token");
        found.check(FormField::ServiceToken, stored)
    });
    ClientCredentialsSettings {
        token_url,
        client_id,
        client_secret,
        client_key: None,
        assertion_file: None,
        client_issuer: None,
        scopes,
        service_token_header: header,
        service_token,
        allow_private_network: false,
    }
}

/// Trimmed; `None` when blank.
fn non_blank(text: String) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Scopes trimmed, blanks dropped; none at all means the server's suggestion.
fn scope_list(scopes: Vec<String>) -> Result<Option<Vec<String>>, Problem> {
    let scopes: Vec<String> = scopes.iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
    check_scopes(&scopes)?;
    Ok((!scopes.is_empty()).then_some(scopes))
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
                redirect_port: String::new(),
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
        assert_eq!(refs, vec![SecretRef::client_secret(), SecretRef::service_token()], "both to the vault");
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
        FormOAuth { scopes, client_id: String::new(), redirect_port: String::new(), extra_params: vec![] }
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
            "auth": {"kind": "oauth", "scopes": ["a"], "clientId": "", "redirectPort": " 8765 ",
                     "extraParams": [{"name": "prompt", "value": "consent"}]},
        });
        let form: Form = serde_json::from_value(json).unwrap();
        let FormAuth::OAuth(o) = &form.auth else { panic!("expected OAuth: {form:?}") };
        assert_eq!(
            (&o.redirect_port[..], &o.extra_params[..]),
            (" 8765 ", &[param("prompt", "consent")][..])
        );
        let Auth::OAuth(settings) = form.clone().into_new().unwrap().0.auth else { panic!("expected OAuth") };
        assert_eq!(settings.redirect_port, Some(8765), "the port as typed, trimmed");
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
            redirect_port: "8765".into(),
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

    /// The window asks [`Form::problems`] as the person types: every field's problem at once,
    /// in the words saving the form refuses it with.
    #[test]
    fn problems_name_each_field_in_the_words_saving_uses() {
        use FormField::*;
        let form = Form {
            id: "Bad Id".into(),
            name: None,
            transport: FormTransport::Http {
                url: "ftp://x.example".into(),
                headers: vec![
                    header(" ", "v", false),
                    header("bad header", "v", false),
                    header("X-Key", "", true),
                    header("x-key", "v", false),
                ],
            },
            auth: FormAuth::OAuth(FormOAuth {
                scopes: vec!["a\"b".into()],
                client_id: "has space".into(),
                redirect_port: "70000".into(),
                extra_params: vec![
                    param("login_hint", "a"),
                    param("state", "x"),
                    param("login_hint", "b"),
                    param("bad name", "x"),
                ],
            }),
        };
        let problems = form.problems(None);
        let fields: Vec<FormField> = problems.iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                Id,
                Url,
                RowName { index: 0 },
                RowName { index: 1 },
                RowValue { index: 2 },
                RowName { index: 3 },
                OAuthClientId,
                Scopes,
                RedirectPort,
                AuthParam { index: 1 },
                AuthParam { index: 2 },
                AuthParam { index: 3 },
            ]
        );
        let refused = form.clone().into_new().unwrap_err();
        assert_eq!(problems[0].message, refused.in_form(), "saving refuses the first, in the same words");
        let reserved = DraftError::ReservedAuthParam { name: "state".into() };
        assert_eq!(problems[9].message, reserved.to_string(), "the CLI's words for the same rule");
        assert!(problems[1].message.contains("ftp"), "{}", problems[1].message);
        assert!(problems[8].message.contains("1 to 65535"), "{}", problems[8].message);
        assert!(problems.iter().all(|p| !p.message.contains("auth.") && !p.message.contains("transport.")));

        let fine = http("https://x.example/mcp", vec![header("X-Key", "v", true)]);
        assert_eq!(fine.problems(None), [], "a form that saves has no problems");
    }

    #[test]
    fn an_edit_has_no_problem_with_a_blank_stored_secret_and_a_new_form_has() {
        let before = saved();
        let form = http("https://old.example/mcp", vec![header("X-Api-Key", "", true)]);
        assert_eq!(form.problems(Some(&before)), [], "the stored secret is kept");
        let problems = form.problems(None);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].field, FormField::RowValue { index: 0 });
        let empty = Form { id: " ".into(), ..http(" ", vec![]) };
        let fields: Vec<FormField> = empty.problems(None).iter().map(|p| p.field).collect();
        assert_eq!(fields, [FormField::Id, FormField::Url], "blank required fields");
    }

    #[test]
    fn a_service_account_form_checks_its_fields() {
        let auth = FormAuth::ServiceAccount(FormServiceAccount {
            token_url: "http://as.example/token".into(),
            client_id: " ".into(),
            client_secret: String::new(),
            scopes: vec![],
            service_token_header: "bad header".into(),
            service_token: String::new(),
        });
        let form = Form { auth, ..http("https://x.example/mcp", vec![]) };
        let fields: Vec<FormField> = form.problems(None).iter().map(|p| p.field).collect();
        use FormField::*;
        assert_eq!(fields, [TokenUrl, ClientId, ClientSecret, ServiceTokenHeader, ServiceToken]);
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
