//! What a stdio source runs, as the person reads it before they let it run: the exact command
//! line, the working folder, the names of the environment it gets and its fence.
//!
//! A stdio server runs with the person's rights, so a server that came from outside (an import,
//! a project's file, a `lanyard://` link) waits for their approval; what they approve must be
//! shown exactly. Each word of the command line is quoted as a POSIX shell would need it to read
//! one word, so that `a b` as one argument never reads as two. Environment values are never shown,
//! only their names (a secret as the reference of its keychain entry): a value may be a key.
//! `lanyard import`, `lanyard status --json` and the app's source detail all show this one view.

use serde::Serialize;

use crate::profile::{ConfigValue, Profile, Transport};

/// A stdio source's launch, for the person to check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = crate::TS_DIR))]
pub struct LaunchView {
    /// The program, as the profile names it (variables not expanded).
    pub program: String,
    pub args: Vec<String>,
    /// The program and each argument, quoted where a shell would split or change it.
    pub command_line: String,
    /// The working folder; Lanyard's own when absent.
    pub cwd: Option<String>,
    /// The environment's names, never their values.
    pub env: Vec<EnvName>,
    /// The fence it runs in, when it has one.
    pub sandbox: Option<FenceView>,
}

/// One environment variable a stdio source gets: its name, and for a secret the keychain entry
/// it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = crate::TS_DIR))]
pub struct EnvName {
    pub name: String,
    /// The secret's reference (`env/API_KEY`) when the value is kept in the keychain.
    pub secret: Option<String>,
}

/// A stdio source's fence setting (what the kernel enforced is `status`'s `sandbox`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = crate::TS_DIR))]
pub struct FenceView {
    /// `none`, `loopback` or `any`.
    pub network: String,
    pub read: Vec<String>,
    pub write: Vec<String>,
}

impl LaunchView {
    /// What `profile` runs; `None` for a source reached by URL.
    pub fn of(profile: &Profile) -> Option<Self> {
        let Transport::Stdio { command, args, env, cwd } = &profile.transport else { return None };
        let env = env
            .iter()
            .map(|(name, value)| EnvName {
                name: name.clone(),
                secret: match value {
                    ConfigValue::Secret(reference) => Some(reference.to_string()),
                    ConfigValue::Text(_) => None,
                },
            })
            .collect();
        let paths = |list: &[std::path::PathBuf]| list.iter().map(|p| p.display().to_string()).collect();
        Some(Self {
            program: command.clone(),
            args: args.clone(),
            command_line: profile.transport.target(),
            cwd: cwd.as_ref().map(|dir| dir.display().to_string()),
            env,
            sandbox: profile.sandbox.as_ref().map(|fence| FenceView {
                network: fence.network.name().to_owned(),
                read: paths(&fence.read),
                write: paths(&fence.write),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::ids::SecretRef;
    use crate::profile::{Sandbox, SandboxNetwork};

    #[test]
    fn a_launch_shows_each_word_unambiguously_and_no_environment_value() {
        let env = BTreeMap::from([
            ("API_KEY".to_owned(), ConfigValue::Secret(SecretRef::env("API_KEY"))),
            ("MODE".to_owned(), ConfigValue::Text("planted-value".into())),
        ]);
        let transport = Transport::Stdio {
            command: "/opt/my server/run".into(),
            args: vec!["--name".into(), "a b".into(), "it's".into(), String::new(), "$HOME".into()],
            env,
            cwd: Some("/work/project".into()),
        };
        let mut profile = Profile::new("x".parse().unwrap(), transport);
        profile.sandbox =
            Some(Sandbox { read: vec!["/data".into()], network: SandboxNetwork::None, ..Sandbox::default() });
        let launch = LaunchView::of(&profile).unwrap();
        assert_eq!(launch.command_line, r"'/opt/my server/run' --name 'a b' 'it'\''s' '' '$HOME'");
        assert_eq!(launch.args.len(), 5);
        assert_eq!(launch.cwd.as_deref(), Some("/work/project"));
        assert_eq!(
            launch.env,
            vec![
                EnvName { name: "API_KEY".into(), secret: Some("env/API_KEY".into()) },
                EnvName { name: "MODE".into(), secret: None },
            ]
        );
        assert!(!serde_json::to_string(&launch).unwrap().contains("planted"), "a value was shown");
        let fence = launch.sandbox.unwrap();
        assert_eq!(
            (fence.network.as_str(), fence.read.as_slice()),
            ("none", ["/data".to_owned()].as_slice())
        );
    }

    #[test]
    fn a_source_reached_by_url_has_no_launch() {
        let transport = Transport::Http { url: "https://x.example/mcp".into(), headers: BTreeMap::new() };
        assert_eq!(LaunchView::of(&Profile::new("x".parse().unwrap(), transport)), None);
    }
}
