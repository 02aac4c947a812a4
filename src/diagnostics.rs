//! `lanyard diagnostics`: one bundle a person can attach to a bug report.
//!
//! Redacted by construction rather than by a list of things to hide: the bundle is built from
//! fields chosen to carry no secret (versions, the OS, each source's transport kind, the origin of
//! its URL, its program's name, the *names* of its headers and variables, its auth kind, its
//! recent sign-in activity, and the `doctor` findings). Values that could hold a credential never
//! enter it: header and environment values, command arguments, URL paths, queries and user info,
//! tokens, the bridge token, log files.

use serde::Serialize;

use crate::Engine;
use crate::doctor::{Report, doctor};
use crate::history::TokenActivity;
use crate::profile::{Profile, Transport};
use crate::upstream::Origin;

/// The bundle.
#[derive(Debug, Serialize)]
pub struct Bundle {
    pub lanyard_version: &'static str,
    pub os: &'static str,
    pub arch: &'static str,
    pub keychain: String,
    pub sources: Vec<SourceSummary>,
    pub doctor: Report,
}

/// What a bug report needs to know about a source, and nothing secret.
#[derive(Debug, Serialize)]
pub struct SourceSummary {
    pub id: String,
    pub enabled: bool,
    pub transport: &'static str,
    /// `scheme://host:port` of an HTTP or SSE source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// The file name of a stdio source's program (not its arguments, which may hold a key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    pub argument_count: usize,
    pub header_names: Vec<String>,
    pub env_names: Vec<String>,
    pub auth: &'static str,
    pub tool_filter: bool,
    #[serde(flatten)]
    pub activity: TokenActivity,
}

/// Builds the bundle; `bridge_port` is passed on to [`doctor`].
pub async fn diagnostics(engine: &Engine, bridge_port: u16) -> Bundle {
    let profiles: Vec<Profile> =
        engine.load().map(|file| file.profiles().cloned().collect()).unwrap_or_default();
    let sources =
        profiles.iter().map(|profile| summary(profile, engine.history().tokens(profile.id()))).collect();
    Bundle {
        lanyard_version: env!("CARGO_PKG_VERSION"),
        os: std::env::consts::OS,
        arch: std::env::consts::ARCH,
        keychain: engine.vault().kind().to_string(),
        sources,
        doctor: doctor(engine, bridge_port).await,
    }
}

fn summary(profile: &Profile, activity: TokenActivity) -> SourceSummary {
    let (transport, origin, program, argument_count, header_names, env_names) = match &profile.transport {
        Transport::Stdio { command, args, env, .. } => {
            let program = std::path::Path::new(command).file_name().map(|n| n.to_string_lossy().into_owned());
            ("stdio", None, program, args.len(), Vec::new(), env.keys().cloned().collect())
        }
        Transport::Http { url, headers } | Transport::Sse { url, headers } => {
            let kind = if matches!(profile.transport, Transport::Http { .. }) { "http" } else { "sse" };
            // A URL with `${VAR}` in it is shown as not parsed rather than as text.
            let origin = url::Url::parse(url).ok().map(|u| Origin::of(&u).to_string());
            (
                kind,
                Some(origin.unwrap_or_else(|| "(not a plain URL)".to_owned())),
                None,
                0,
                headers.keys().cloned().collect(),
                Vec::new(),
            )
        }
    };
    SourceSummary {
        id: profile.id().to_string(),
        enabled: profile.enabled,
        transport,
        origin,
        program,
        argument_count,
        header_names,
        env_names,
        auth: profile.auth.kind_name(),
        tool_filter: profile.tools != Default::default(),
        activity,
    }
}
