//! Showing the authorization URL to the person: `$BROWSER`, the platform opener, or a caller's
//! own user agent (the desktop app's, a test's scripted one).
//!
//! Only a sign-in the person asked for opens a browser, and only after the URL is checked to be
//! https (or http on this machine). Nothing goes through a shell: `$BROWSER` is split on
//! whitespace into a program and its arguments and run directly, with the URL as one argument
//! (or in place of a `%s`). The platform opener is `xdg-open` (Linux and BSDs), `open` (macOS),
//! or `rundll32 url.dll,FileProtocolHandler` (Windows, which avoids `cmd /c start` and its
//! quoting). Written here rather than with the `open` crate to keep those rules visible in one
//! screen of code. The opener's exit status is not waited for: a browser may keep running.

use std::fmt;
use std::process::{Command, Stdio};
use std::sync::Arc;

use url::Url;

use super::error::OAuthError;
use super::http::is_safe_endpoint;
use crate::ids::SourceId;
use crate::upstream::Origin;

/// Something that can show a URL to the person: the app's web view, a test's scripted client.
pub trait UserAgent: Send + Sync {
    /// Starts showing `url`. Returns once the URL is handed over, not when the person is done.
    fn open(&self, url: &Url) -> std::io::Result<()>;
}

/// How the authorization URL reaches the person.
#[derive(Clone, Default)]
pub enum Browser {
    /// `$BROWSER` when set, else the platform opener.
    #[default]
    FromEnv,
    /// This command (program and arguments, no shell); `%s` is replaced by the URL, else the
    /// URL is the last argument.
    Command(Vec<String>),
    /// A caller's own user agent.
    Custom(Arc<dyn UserAgent>),
    /// Open nothing: the URL is only printed (paste-back mode).
    None,
}

impl fmt::Debug for Browser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FromEnv => f.write_str("FromEnv"),
            Self::Command(command) => f.debug_tuple("Command").field(command).finish(),
            Self::Custom(_) => f.write_str("Custom"),
            Self::None => f.write_str("None"),
        }
    }
}

impl Browser {
    /// Opens `url` after checking its scheme.
    pub fn open(&self, id: &SourceId, url: &Url) -> Result<(), OAuthError> {
        if !is_safe_endpoint(url) {
            return Err(OAuthError::UnsafeAuthorizationUrl { id: id.clone(), origin: Origin::of(url) });
        }
        let command = match self {
            Self::None => return Ok(()),
            Self::Custom(agent) => {
                return agent.open(url).map_err(|err| OAuthError::Browser {
                    id: id.clone(),
                    command: "the built-in browser".to_owned(),
                    err,
                });
            }
            Self::Command(command) => command.clone(),
            Self::FromEnv => match std::env::var("BROWSER").ok().and_then(|value| browser_command(&value)) {
                Some(command) => command,
                None => platform_opener(),
            },
        };
        spawn(&command, url).map_err(|err| OAuthError::Browser {
            id: id.clone(),
            command: command.first().cloned().unwrap_or_default(),
            err,
        })
    }
}

/// The command of a `$BROWSER` value: its first `:`-separated entry, split on whitespace.
pub fn browser_command(value: &str) -> Option<Vec<String>> {
    let first = value.split(':').map(str::trim).find(|entry| !entry.is_empty())?;
    Some(first.split_whitespace().map(str::to_owned).collect())
}

fn platform_opener() -> Vec<String> {
    let parts: &[&str] = if cfg!(target_os = "macos") {
        &["open"]
    } else if cfg!(target_os = "windows") {
        &["rundll32", "url.dll,FileProtocolHandler"]
    } else {
        &["xdg-open"]
    };
    parts.iter().map(|part| (*part).to_owned()).collect()
}

/// The program and arguments to run for `url`.
pub fn argv(command: &[String], url: &Url) -> Vec<String> {
    let mut argv: Vec<String> = command.iter().map(|part| part.replace("%s", url.as_str())).collect();
    if !command.iter().any(|part| part.contains("%s")) {
        argv.push(url.to_string());
    }
    argv
}

fn spawn(command: &[String], url: &Url) -> std::io::Result<()> {
    let argv = argv(command, url);
    let (program, args) = argv.split_first().ok_or_else(|| std::io::Error::other("empty browser command"))?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    // Reap it whenever it ends, so it never lingers as a zombie.
    std::thread::spawn(move || child.wait());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_variable_is_split_without_a_shell() {
        assert_eq!(browser_command("firefox"), Some(vec!["firefox".to_owned()]), "one program");
        assert_eq!(
            browser_command("  :firefox -new-tab:chromium"),
            Some(vec!["firefox".to_owned(), "-new-tab".to_owned()]),
            "the first entry of a list, split on spaces"
        );
        assert_eq!(browser_command(" : "), None, "an empty value means the platform opener");
    }

    #[test]
    fn url_is_one_argument() {
        let url = Url::parse("https://a.example/auth?x=1&y=$(rm -rf ~)").unwrap();
        let got = argv(&["b".to_owned()], &url);
        assert_eq!(got.len(), 2, "program + the URL as one argument: {got:?}");
        assert_eq!(got[1], url.as_str(), "unchanged");
        let got = argv(&["b".to_owned(), "--url=%s".to_owned(), "--new".to_owned()], &url);
        assert_eq!(got[1], format!("--url={url}"), "%s is replaced in place");
        assert_eq!(got.len(), 3, "and the URL is not added again");
    }

    #[test]
    fn unsafe_urls_are_not_opened() {
        let id: SourceId = "s".parse().unwrap();
        let err = Browser::None.open(&id, &Url::parse("http://evil.example/auth").unwrap()).unwrap_err();
        assert!(matches!(err, OAuthError::UnsafeAuthorizationUrl { .. }), "plain http elsewhere: {err:?}");
        let err = Browser::None.open(&id, &Url::parse("file:///etc/passwd").unwrap()).unwrap_err();
        assert!(matches!(err, OAuthError::UnsafeAuthorizationUrl { .. }), "file URLs: {err:?}");
    }
}
