//! A source's state as people see it: one enum, shared by the CLI, the bridge and the app, so
//! that "needs sign-in" means the same thing everywhere.

use serde::Serialize;

use crate::profile::{Auth, Profile, SecretRef, SourceId, TransportKind};

/// Where a source stands. Sign-in states arrive with the OAuth flows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SourceState {
    /// Switched off in its profile; agents do not see it.
    Disabled,
    /// Nothing stands in the way of connecting.
    Ready,
    /// A secret the profile refers to is not in the vault.
    MissingSecret { reference: SecretRef },
    /// The source uses per-user sign-in and holds no tokens yet.
    NeedsSignIn,
}

impl SourceState {
    /// A short plain-words line for lists.
    pub fn summary(&self) -> String {
        match self {
            Self::Disabled => "disabled".to_owned(),
            Self::Ready => "ready".to_owned(),
            Self::MissingSecret { reference } => format!("missing secret `{reference}`"),
            Self::NeedsSignIn => "needs sign-in".to_owned(),
        }
    }

    /// What to do about it, when there is something to do.
    pub fn hint(&self, id: &SourceId) -> Option<String> {
        match self {
            Self::Disabled => Some(format!("enable it with `lanyard profile edit {id} --enable`")),
            Self::Ready => None,
            Self::MissingSecret { reference } => {
                Some(format!("store it again with `lanyard profile edit {id}` (secret `{reference}`)"))
            }
            Self::NeedsSignIn => Some(format!("run `lanyard connect {id}`")),
        }
    }
}

/// One row of `lanyard status`.
#[derive(Debug, Clone, Serialize)]
pub struct SourceStatus {
    pub id: SourceId,
    pub name: String,
    pub enabled: bool,
    pub transport: TransportKind,
    pub deprecated_transport: bool,
    pub target: String,
    pub auth: &'static str,
    #[serde(flatten)]
    pub state: SourceState,
    pub hint: Option<String>,
}

impl SourceStatus {
    pub fn new(profile: &Profile, state: SourceState) -> Self {
        let kind = profile.transport.kind();
        Self {
            id: profile.id().clone(),
            name: profile.display_name().to_owned(),
            enabled: profile.enabled,
            transport: kind,
            deprecated_transport: kind.is_deprecated(),
            target: redact_url_query(&profile.transport.target()),
            auth: profile.auth.kind_name(),
            hint: state.hint(profile.id()),
            state,
        }
    }
}

/// Drops a URL's query and fragment, which can carry keys, before it is shown anywhere.
pub fn redact_url_query(target: &str) -> String {
    match url::Url::parse(target) {
        Ok(mut url) if url.query().is_some() || url.fragment().is_some() || url.password().is_some() => {
            url.set_query(None);
            url.set_fragment(None);
            let _ = url.set_password(None);
            format!("{url}?…")
        }
        _ => target.to_owned(),
    }
}

/// Whether a profile's auth kind keeps sign-in tokens in the vault.
pub fn uses_sign_in(profile: &Profile) -> bool {
    matches!(profile.auth, Auth::OAuth(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_never_reach_status() {
        let shown = redact_url_query("https://x.example/mcp?api_key=planted");
        assert!(!shown.contains("planted"), "the query was shown: {shown}");
        assert_eq!(redact_url_query("https://x.example/mcp"), "https://x.example/mcp");
        assert_eq!(redact_url_query("npx -y server"), "npx -y server", "a command line is left alone");
    }
}
