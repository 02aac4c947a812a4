//! Saving a planned entry as a source, or as a new version of the source made from it.
//!
//! A new source is written by [`Engine::add_profile`] (secrets first, the profile last); an
//! update by [`Engine::edit_profile`], which changes the command or URL and the record of the
//! version only: the name, tool filter, timeouts and sign-in stay, and so does every environment
//! variable and header the source already had, with its keychain entry.

use std::time::Duration;

use serde::Serialize;

use super::error::CatalogError;
use super::inputs::{Answers, Question};
use super::plan::{Built, Plan};
use crate::Engine;
use crate::ids::SourceId;
use crate::profile::{Auth, OAuthSettings, Profile, Transport};

/// What [`add`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Added {
    pub id: SourceId,
    /// An existing source got the new version.
    pub updated: bool,
    /// The exact command line or URL saved, without secrets.
    pub shown: String,
    /// How many secrets went to the keychain.
    pub secrets_stored: usize,
    /// The sign-in kind the source got (`none`, `headers`, `oauth`).
    pub auth: &'static str,
    /// Stored disabled until the person approves what it runs (a stdio server from a link).
    pub waiting_for_approval: bool,
}

/// The questions still to ask before adding `plan` over `existing` (or as a new source): an
/// update does not ask again for what the source already sets.
pub fn questions_left<'a>(plan: &'a Plan, existing: Option<&Profile>) -> Vec<&'a Question> {
    let set: Vec<String> = match existing.map(|p| &p.transport) {
        Some(Transport::Stdio { env, .. }) => env.keys().map(|name| format!("env:{name}")).collect(),
        Some(Transport::Http { headers, .. } | Transport::Sse { headers, .. }) => {
            headers.keys().map(|name| format!("header:{name}")).collect()
        }
        None => Vec::new(),
    };
    plan.questions
        .iter()
        .filter(|q| {
            let slot = q.key.split('/').next().unwrap_or(&q.key);
            !set.iter().any(|s| s == slot)
        })
        .collect()
}

/// The sign-in a remote needs: `headers` when the person gives it a secret header, `oauth`
/// when the server answers an anonymous request with a Bearer challenge (401), none otherwise.
/// A server that cannot be reached gets none, and the check that follows says why.
pub async fn sign_in_kind(built: &Built, timeout: Duration) -> Auth {
    if !built.secret_names.is_empty() && !matches!(built.transport, Transport::Stdio { .. }) {
        return Auth::Headers;
    }
    let (url, post) = match &built.transport {
        Transport::Http { url, .. } => (url, true),
        Transport::Sse { url, .. } => (url, false),
        Transport::Stdio { .. } => return Auth::None,
    };
    let Ok(builder) = crate::net::client_builder() else { return Auth::None };
    let Ok(client) = builder.timeout(timeout).build() else { return Auth::None };
    let request = if post {
        let probe = serde_json::json!({"jsonrpc": "2.0", "id": 0, "method": "ping"});
        client.post(url).header("Accept", "application/json, text/event-stream").json(&probe)
    } else {
        client.get(url).header("Accept", "text/event-stream")
    };
    let Ok(response) = request.send().await else { return Auth::None };
    if response.status() != reqwest::StatusCode::UNAUTHORIZED {
        return Auth::None;
    }
    let challenges = response.headers().get_all(reqwest::header::WWW_AUTHENTICATE);
    let values = challenges.iter().filter_map(|value| value.to_str().ok());
    if crate::oauth::challenge::bearer(values).is_some() {
        Auth::OAuth(OAuthSettings::default())
    } else {
        Auth::None
    }
}

/// Whether `plan` may be saved over `existing`: only a source made from the same server is
/// updated; one made from another, or by hand, is left alone.
pub fn may_update(existing: &Profile, plan: &Plan) -> Result<(), CatalogError> {
    match &existing.catalog {
        Some(origin) if origin.name == plan.name => Ok(()),
        other => Err(CatalogError::OtherOrigin {
            id: existing.id().to_string(),
            existing: other
                .as_ref()
                .map_or_else(|| "no registry (it was added by hand)".to_owned(), |o| o.name.clone()),
            name: plan.name.clone(),
        }),
    }
}

/// Saves `plan` with `answers` as source `id`: a new source with `auth`, or, when `id` was made
/// from the same server, that source at the plan's version (keeping its settings and secrets).
/// A source of that id made some other way is left alone. `from_link`: a web page asked for it
/// (a `lanyard://` link), so a program it runs is stored disabled until the person approves it,
/// as an imported one is; an update from a link too, since the program changes.
pub async fn add(
    engine: &Engine,
    plan: &Plan,
    id: &SourceId,
    answers: &Answers,
    auth: Auth,
    from_link: bool,
) -> Result<Added, crate::Error> {
    let hold = |profile: &mut Profile| {
        if from_link {
            profile.hold_for_approval_if_stdio();
        }
    };
    let existing = engine.load()?.get(id).cloned();
    let Some(existing) = existing else {
        let built = plan.build(answers, None)?;
        let (shown, secrets_stored) = (built.shown.clone(), built.secrets.len());
        let mut profile = Profile::new(id.clone(), built.transport);
        profile.name = plan.title.clone();
        profile.auth = auth;
        profile.catalog = Some(plan.origin());
        hold(&mut profile);
        let (auth, waiting_for_approval) = (profile.auth.kind_name(), profile.waits_for_approval());
        engine.add_profile(profile, built.secrets).await?;
        return Ok(Added {
            id: id.clone(),
            updated: false,
            shown,
            secrets_stored,
            auth,
            waiting_for_approval,
        });
    };
    may_update(&existing, plan)?;
    let built = plan.build(answers, Some(&existing.transport))?;
    let (shown, secrets_stored) = (built.shown.clone(), built.secrets.len());
    let origin = plan.origin();
    let transport = built.transport;
    let saved = engine
        .edit_profile(id, built.secrets, |profile| {
            profile.transport = transport;
            profile.catalog = Some(origin);
            hold(profile);
        })
        .await?;
    Ok(Added {
        id: id.clone(),
        updated: true,
        shown,
        secrets_stored,
        auth: saved.auth.kind_name(),
        waiting_for_approval: saved.waits_for_approval(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// A server that answers every request with `status` and, when given, a challenge.
    async fn answering(status: u16, challenge: Option<&'static str>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/mcp", listener.local_addr().unwrap());
        let app = axum::Router::new().fallback(move || async move {
            let mut response = axum::response::Response::new(axum::body::Body::empty());
            *response.status_mut() = axum::http::StatusCode::from_u16(status).unwrap();
            if let Some(challenge) = challenge {
                response.headers_mut().insert("www-authenticate", challenge.parse().unwrap());
            }
            response
        });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    }

    fn remote(url: String, secret_header: bool) -> Built {
        Built {
            transport: Transport::Http { url: url.clone(), headers: BTreeMap::new() },
            secrets: Vec::new(),
            shown: url,
            secret_names: if secret_header { vec!["X-Api-Key".into()] } else { Vec::new() },
        }
    }

    #[tokio::test]
    async fn a_remote_that_challenges_for_a_bearer_token_gets_oauth() {
        let limit = Duration::from_secs(5);
        let oauth = answering(401, Some(r#"Bearer resource_metadata="http://127.0.0.1:9/prm""#)).await;
        assert!(matches!(sign_in_kind(&remote(oauth.clone(), false), limit).await, Auth::OAuth(_)));
        assert!(
            matches!(sign_in_kind(&remote(oauth, true), limit).await, Auth::Headers),
            "a secret header the person gave is the sign-in"
        );
        let open = answering(200, None).await;
        assert!(matches!(sign_in_kind(&remote(open, false), limit).await, Auth::None));
        let basic = answering(401, Some("Basic realm=x")).await;
        assert!(matches!(sign_in_kind(&remote(basic, false), limit).await, Auth::None));
    }
}
