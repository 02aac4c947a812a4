//! How an edit from a front end becomes a profile and the secrets stored beside it, whichever
//! front end made it: the CLI's `profile add` and `profile edit`, the app's form ([`Form`]).
//! The front ends only translate (flags, the form's JSON) into calls on a [`Draft`]; the rules
//! are here, once:
//!
//! - a secret value goes to the vault and the profile keeps a reference to it; a header's is
//!   `header/NAME`, an environment variable's `env/NAME`;
//! - a secret left blank in an edit keeps the stored one, and is refused where there is none;
//! - an extra authorization parameter has a name, is given once, and is not one Lanyard sets
//!   itself ([`RESERVED_AUTH_PARAMS`]): such a value would never be sent.
//!
//! A `Draft` is refused with a [`DraftError`] before anything is stored. The profile it makes
//! is still checked as a whole when it is written ([`ProfileStore`]), like every profile.
//!
//! [`Form`]: super::Form
//! [`ProfileStore`]: super::ProfileStore

use std::collections::BTreeMap;

use crate::ids::{InvalidSourceId, SecretRef};
use crate::secret::Secret;

use super::model::{ConfigValue, Profile, RESERVED_AUTH_PARAMS, RESERVED_REASON, Transport};
use super::validate::Problem;

/// Secret values to store in the vault beside a profile, under the references it keeps.
pub type NewSecrets = Vec<(SecretRef, Secret)>;

/// Why an edit cannot become a profile. Each names the value at fault; none holds a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DraftError {
    #[error("give the source an id, e.g. `github`")]
    NoId,
    #[error(transparent)]
    Id(#[from] InvalidSourceId),
    #[error("a source's id cannot change; add a new source instead")]
    IdChanged,
    #[error("{what} is empty; type it in")]
    EmptySecret { what: String },
    /// A setting the profile's own rules refuse (`validate`), checked as it is set.
    #[error(transparent)]
    Setting(#[from] Problem),
    #[error("`{name}` is given twice")]
    ValueTwice { name: String },
    #[error("an extra sign-in parameter has no name")]
    UnnamedAuthParam,
    #[error(
        "the sign-in parameter name `{name}` has a character other than letters, digits, `-`, `.` or `_`"
    )]
    AuthParamName { name: String },
    #[error("the sign-in parameter `{name}` {}", RESERVED_REASON)]
    ReservedAuthParam { name: String },
    #[error("the sign-in parameter `{name}` is given twice")]
    AuthParamTwice { name: String },
}

impl DraftError {
    /// The words for a form, under the field the problem is about: a profile rule's reason
    /// without the profile file's field path, which the field itself stands for.
    pub fn in_form(&self) -> String {
        match self {
            Self::Setting(problem) => problem.reason.clone(),
            other => other.to_string(),
        }
    }
}

/// A header's or an environment variable's new value.
#[derive(Debug)]
pub enum Value {
    /// Kept in the profile as written (`${VAR}` expands at connect time).
    Text(String),
    /// Stored in the vault; the profile keeps a reference.
    Secret(Secret),
    /// Kept in a password manager (`op://...`): the profile keeps this reference, and the value
    /// is read when a connection needs it.
    Reference(SecretRef),
    /// A secret left blank in an edit: the stored value stays.
    KeepSecret,
}

/// A profile being made from an edit, with the secret values to store beside it.
#[derive(Debug)]
pub struct Draft {
    profile: Profile,
    secrets: NewSecrets,
    /// The references of the profile being edited, which a blank secret keeps.
    stored: Vec<SecretRef>,
    /// The edited profile's secret header or env values by name: a blank one keeps its
    /// reference, which may name a password manager rather than a vault entry.
    stored_values: Vec<(String, SecretRef)>,
}

impl Draft {
    /// A new source, starting from `profile`.
    pub fn new(profile: Profile) -> Self {
        Self { profile, secrets: Vec::new(), stored: Vec::new(), stored_values: Vec::new() }
    }

    /// An edit of the saved `before`, starting as it is.
    pub fn edit(before: &Profile) -> Self {
        let stored = before.secret_refs().into_iter().cloned().collect();
        let (Transport::Stdio { env: values, .. }
        | Transport::Http { headers: values, .. }
        | Transport::Sse { headers: values, .. }) = &before.transport;
        let stored_values = values
            .iter()
            .filter_map(|(name, value)| match value {
                ConfigValue::Secret(reference) => Some((name.clone(), reference.clone())),
                ConfigValue::Text(_) => None,
            })
            .collect();
        Self { profile: before.clone(), secrets: Vec::new(), stored, stored_values }
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The settings that hold no secret are set directly.
    pub fn profile_mut(&mut self) -> &mut Profile {
        &mut self.profile
    }

    /// Whether the edited profile referred to `reference` (so that a blank value may keep it).
    pub fn has_stored(&self, reference: &SecretRef) -> bool {
        self.stored.contains(reference)
    }

    /// A secret given now, to store under `reference`, which the profile then keeps.
    pub fn secret(&mut self, reference: SecretRef, value: Secret) -> SecretRef {
        self.secrets.retain(|(r, _)| *r != reference);
        self.secrets.push((reference.clone(), value));
        reference
    }

    /// A secret field that an edit may leave blank (`None`) to keep the stored value; `what`
    /// names it when there is none to keep.
    pub fn secret_or_stored(
        &mut self,
        reference: SecretRef,
        value: Option<Secret>,
        what: &str,
    ) -> Result<SecretRef, DraftError> {
        match value {
            Some(value) => Ok(self.secret(reference, value)),
            None if self.has_stored(&reference) => Ok(reference),
            None => Err(DraftError::EmptySecret { what: what.to_owned() }),
        }
    }

    /// Sets a header (http, sse) or an environment variable (stdio): the values the transport
    /// takes. The name is trimmed.
    pub fn set_value(&mut self, name: &str, value: Value) -> Result<(), DraftError> {
        let name = name.trim().to_owned();
        let stdio = matches!(self.profile.transport, Transport::Stdio { .. });
        let reference = if stdio { SecretRef::env(&name) } else { SecretRef::header(&name) };
        let value = match value {
            Value::Text(text) => ConfigValue::Text(text),
            Value::Secret(secret) => ConfigValue::Secret(self.secret(reference, secret)),
            Value::Reference(external) => ConfigValue::Secret(external),
            Value::KeepSecret => match self.stored_values.iter().find(|(stored, _)| *stored == name) {
                Some((_, kept)) => ConfigValue::Secret(kept.clone()),
                None => ConfigValue::Secret(self.secret_or_stored(reference, None, "a secret value")?),
            },
        };
        let (Transport::Stdio { env: values, .. }
        | Transport::Http { headers: values, .. }
        | Transport::Sse { headers: values, .. }) = &mut self.profile.transport;
        values.insert(name, value);
        Ok(())
    }

    /// The profile and the secrets to store beside it. Secrets it no longer refers to are not
    /// stored (a value given, then removed again in the same edit).
    pub fn finish(self) -> (Profile, NewSecrets) {
        let Self { profile, mut secrets, .. } = self;
        let used = profile.secret_refs();
        secrets.retain(|(reference, _)| used.contains(&reference));
        (profile, secrets)
    }
}

/// Extra authorization parameters as given, as the profile keeps them: names trimmed, values as
/// typed. Each name must pass [`auth_param_name`].
pub fn auth_params(
    given: impl IntoIterator<Item = (String, String)>,
) -> Result<BTreeMap<String, String>, DraftError> {
    let mut params = BTreeMap::new();
    for (name, value) in given {
        let name = auth_param_name(&name, &params)?;
        params.insert(name, value);
    }
    Ok(params)
}

/// An extra authorization parameter's name, trimmed, when it may join `params`: a name (RFC
/// 6749, Appendix A: letters, digits, `-`, `.`, `_`), not given before, and not one Lanyard sets
/// itself.
pub fn auth_param_name(name: &str, params: &BTreeMap<String, String>) -> Result<String, DraftError> {
    let name = name.trim().to_owned();
    if name.is_empty() {
        return Err(DraftError::UnnamedAuthParam);
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')) {
        return Err(DraftError::AuthParamName { name });
    }
    if RESERVED_AUTH_PARAMS.contains(&name.as_str()) {
        return Err(DraftError::ReservedAuthParam { name });
    }
    if params.contains_key(&name) {
        return Err(DraftError::AuthParamTwice { name });
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http() -> Profile {
        let transport = Transport::Http { url: "https://mcp.example/mcp".into(), headers: BTreeMap::new() };
        Profile::new("remote".parse().unwrap(), transport)
    }

    #[test]
    fn a_secret_value_goes_to_the_vault_and_the_profile_keeps_its_reference() {
        let mut draft = Draft::new(http());
        draft.set_value(" X-Api-Key ", Value::Secret(Secret::new("planted"))).unwrap();
        draft.set_value("X-Team", Value::Text("core".into())).unwrap();
        let (profile, secrets) = draft.finish();
        assert_eq!(secrets.len(), 1, "only the secret goes to the vault");
        assert_eq!(secrets[0].0, SecretRef::header("X-Api-Key"), "a header's reference, name trimmed");
        assert!(!format!("{profile:?}").contains("planted"), "the profile holds no secret");
    }

    #[test]
    fn a_blank_secret_keeps_the_stored_one_and_only_that() {
        let mut new = Draft::new(http());
        let err = new.set_value("X-Api-Key", Value::KeepSecret).unwrap_err();
        assert!(matches!(err, DraftError::EmptySecret { .. }), "nothing to keep when adding: {err}");

        let mut saved = Draft::new(http());
        saved.set_value("X-Api-Key", Value::Secret(Secret::new("old"))).unwrap();
        let (before, _) = saved.finish();
        let mut edit = Draft::edit(&before);
        edit.set_value("X-Api-Key", Value::KeepSecret).unwrap();
        let (after, secrets) = edit.finish();
        assert!(secrets.is_empty(), "nothing new to store");
        assert_eq!(after.secret_refs(), before.secret_refs(), "the stored secret is still referred to");
        let mut edit = Draft::edit(&before);
        assert!(edit.set_value("X-Other", Value::KeepSecret).is_err(), "a new name has nothing to keep");
    }

    #[test]
    fn a_blank_secret_keeps_a_password_manager_reference() {
        let reference = SecretRef("op://Work/GitHub/token".into());
        let mut saved = Draft::new(http());
        saved.set_value("X-Api-Key", Value::Reference(reference.clone())).unwrap();
        let (before, secrets) = saved.finish();
        assert!(secrets.is_empty(), "a reference stores nothing");
        let mut edit = Draft::edit(&before);
        edit.set_value("X-Api-Key", Value::KeepSecret).unwrap();
        let (after, secrets) = edit.finish();
        assert!(secrets.is_empty(), "nothing new to store");
        assert_eq!(after.secret_refs(), [&reference], "the reference is kept, not swapped for a vault entry");
    }

    #[test]
    fn a_secret_no_longer_referred_to_is_not_stored() {
        let mut draft = Draft::new(http());
        draft.set_value("X-Api-Key", Value::Secret(Secret::new("v"))).unwrap();
        if let Transport::Http { headers, .. } = &mut draft.profile_mut().transport {
            headers.clear();
        }
        assert!(draft.finish().1.is_empty(), "a removed header's secret is not stored");
    }

    #[test]
    fn extra_parameters_need_a_name_given_once_that_lanyard_does_not_set() {
        let pairs = |given: &[(&str, &str)]| {
            auth_params(given.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())))
        };
        assert_eq!(
            pairs(&[(" login_hint ", "a@b"), ("prompt", "consent")]).unwrap(),
            BTreeMap::from([("login_hint".into(), "a@b".into()), ("prompt".into(), "consent".into())]),
            "names trimmed, values as given"
        );
        assert!(matches!(pairs(&[(" ", "x")]), Err(DraftError::UnnamedAuthParam)));
        assert!(matches!(pairs(&[("p", "a"), ("p", "b")]), Err(DraftError::AuthParamTwice { .. })));
        for reserved in RESERVED_AUTH_PARAMS {
            let err = pairs(&[(reserved, "x")]).unwrap_err();
            let text = err.to_string();
            assert!(
                matches!(err, DraftError::ReservedAuthParam { .. })
                    && text.contains(&format!("`{reserved}`"))
                    && text.contains("Lanyard itself"),
                "`{reserved}` is refused, named, with the reason: {text}"
            );
        }
    }
}
