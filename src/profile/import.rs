//! Import from the MCP config files of other clients: `mcpServers` (Claude Desktop, Cursor,
//! Windsurf, Claude Code) and `servers` (VS Code's `.vscode/mcp.json`).
//!
//! Those files usually hold API keys in plain text. Import never copies such a value into the
//! profile file: every literal `env` and `headers` value becomes a vault secret, and only values
//! that are pure variable references (`${VAR}`, VS Code's `${env:VAR}`) stay as text. What cannot
//! be carried over (VS Code `${input:...}` prompts, `envFile`, unknown shapes) is reported, never
//! silently dropped.
//!
//! A stdio server comes in disabled: its command would run with the person's rights, and a config
//! file (a repository's, say) is no proof that they want it to. Import shows the command line, the
//! working folder and the environment's names, and the server runs only once they enable it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::model::{Auth, ConfigValue, Profile, Transport};
use super::validate::validate_new;
use crate::ids::{SecretRef, SourceId};
use crate::secret::Secret;

/// A profile to create, with the secrets that go into the vault alongside it.
#[derive(Debug)]
pub struct ImportedProfile {
    pub profile: Profile,
    pub secrets: Vec<(SecretRef, Secret)>,
    /// Fields that were left out of this profile, with the reason.
    pub notes: Vec<String>,
}

/// A server entry that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "SkippedView", export_to = crate::TS_DIR))]
pub struct Skipped {
    pub name: String,
    pub reason: String,
}

impl Skipped {
    /// A server whose id a source has already: an import never overwrites one.
    pub fn clash(name: String, id: &SourceId) -> Self {
        Self { name, reason: super::id_taken(id) }
    }
}

/// What an import file holds.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub profiles: Vec<ImportedProfile>,
    pub skipped: Vec<Skipped>,
}

/// Why a file could not be read as an MCP client config at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    #[error("{path}: cannot read: {err}", path = path.display())]
    Read {
        path: PathBuf,
        #[source]
        err: std::io::Error,
    },
    #[error("{path}:{line}:{column}: not valid JSON: {message}", path = path.display())]
    Json { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{path}: no `mcpServers` or `servers` object found; is this a Claude Desktop, Cursor or VS Code MCP config?", path = path.display())]
    NoServers { path: PathBuf },
}

impl ImportError {
    /// The file given to import is the one to fix, as a profile would be.
    pub fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::Profile
    }
}

/// Reads and parses an MCP client config file.
pub fn import_file(path: &Path) -> Result<ImportReport, ImportError> {
    let text =
        std::fs::read_to_string(path).map_err(|err| ImportError::Read { path: path.to_owned(), err })?;
    parse_import(&text, path)
}

/// Parses the text of an MCP client config file; `path` is only used in errors.
pub fn parse_import(text: &str, path: &Path) -> Result<ImportReport, ImportError> {
    let root: Value = serde_json::from_str(strip_jsonc(text).as_str()).map_err(|err| ImportError::Json {
        path: path.to_owned(),
        line: err.line(),
        column: err.column(),
        message: err.to_string(),
    })?;
    let servers = ["mcpServers", "servers"]
        .iter()
        .find_map(|key| root.get(key).and_then(Value::as_object))
        .ok_or_else(|| ImportError::NoServers { path: path.to_owned() })?;
    Ok(import_servers(servers.iter().map(|(name, entry)| (name.clone(), entry.clone()))))
}

/// The profiles for `servers` (name, entry in the `command`/`args`/`env` or
/// `type`/`url`/`headers` shape), each id taken once.
pub fn import_servers(servers: impl IntoIterator<Item = (String, Value)>) -> ImportReport {
    let mut report = ImportReport::default();
    let mut taken = BTreeMap::new();
    for (name, entry) in &servers.into_iter().collect::<Vec<_>>() {
        match import_entry(name, entry) {
            Ok(imported) => {
                let id = imported.profile.id().clone();
                if let Some(first) = taken.insert(id.clone(), name.clone()) {
                    report.skipped.push(Skipped {
                        name: name.clone(),
                        reason: format!("its id `{id}` is already taken by `{first}` in the same file"),
                    });
                } else {
                    report.profiles.push(imported);
                }
            }
            Err(reason) => report.skipped.push(Skipped { name: name.clone(), reason }),
        }
    }
    report
}

fn import_entry(name: &str, entry: &Value) -> Result<ImportedProfile, String> {
    let entry = entry.as_object().ok_or("the entry is not a JSON object")?;
    if entry.get("disabled").and_then(Value::as_bool) == Some(true) {
        return Err("it is disabled in the source file".to_owned());
    }
    let id = slug(name).ok_or("its name has no letters or digits to make an id from")?;
    let kind = entry.get("type").and_then(Value::as_str);
    let mut notes = Vec::new();
    let mut secrets = Vec::new();
    let string_field = |key: &str| entry.get(key).and_then(Value::as_str).map(str::to_owned);
    let transport =
        match (kind, string_field("command"), string_field("url").or_else(|| string_field("serverUrl"))) {
            (None | Some("stdio"), Some(command), _) => {
                let args = match entry.get("args") {
                    None => Vec::new(),
                    Some(Value::Array(items)) => items
                        .iter()
                        .map(|item| {
                            item.as_str()
                                .map(str::to_owned)
                                .ok_or("`args` holds a value that is not a string")
                        })
                        .collect::<Result<_, _>>()?,
                    Some(_) => return Err("`args` is not a list".to_owned()),
                };
                let env = values(entry.get("env"), "env", SecretRef::env, &mut secrets, &mut notes)?;
                if entry.contains_key("envFile") {
                    notes.push("`envFile` was not imported; add its variables with `--env`".to_owned());
                }
                let cwd = string_field("cwd").map(PathBuf::from);
                Transport::Stdio { command, args, env, cwd }
            }
            (Some("sse"), _, Some(url)) => Transport::Sse {
                url,
                headers: values(
                    entry.get("headers"),
                    "headers",
                    SecretRef::header,
                    &mut secrets,
                    &mut notes,
                )?,
            },
            (None | Some("http") | Some("streamable-http") | Some("streamableHttp"), _, Some(url)) => {
                let headers =
                    values(entry.get("headers"), "headers", SecretRef::header, &mut secrets, &mut notes)?;
                Transport::Http { url, headers }
            }
            (Some(other), _, _)
                if !matches!(other, "stdio" | "sse" | "http" | "streamable-http" | "streamableHttp") =>
            {
                return Err(format!("transport type `{other}` is not supported"));
            }
            _ => return Err("it has neither a `command` nor a `url`".to_owned()),
        };
    let has_headers = matches!(&transport, Transport::Http { headers, .. } | Transport::Sse { headers, .. } if !headers.is_empty());
    let mut profile = Profile::new(id, transport);
    profile.name = Some(name.to_owned());
    // A program from someone else's file runs with the person's rights: it waits for them to
    // read its command line and enable it (`lanyard profile edit <id> --enable`).
    profile.hold_for_approval_if_stdio();
    if has_headers {
        profile.auth = Auth::Headers;
    }
    validate_new(&profile).map_err(|problem| problem.to_string())?;
    Ok(ImportedProfile { profile, secrets, notes })
}

/// Converts an `env` or `headers` object: literal values become vault secrets, pure variable
/// references stay as text.
fn values(
    object: Option<&Value>,
    what: &str,
    reference: fn(&str) -> SecretRef,
    secrets: &mut Vec<(SecretRef, Secret)>,
    notes: &mut Vec<String>,
) -> Result<BTreeMap<String, ConfigValue>, String> {
    let Some(object) = object else { return Ok(BTreeMap::new()) };
    let object = object.as_object().ok_or_else(|| format!("`{what}` is not an object"))?;
    let mut out = BTreeMap::new();
    for (key, value) in object {
        let Some(text) = value.as_str() else {
            notes.push(format!("{what}.{key} was not imported: its value is not a string"));
            continue;
        };
        let text = text.replace("${env:", "${");
        if text.contains("${input:") || text.contains("${workspaceFolder") || text.contains("${userHome") {
            notes.push(format!(
                "{what}.{key} was not imported: it uses a VS Code variable; set it with `lanyard profile edit`"
            ));
            continue;
        }
        if is_only_variables(&text) {
            out.insert(key.clone(), ConfigValue::Text(text));
        } else {
            let name = reference(key);
            secrets.push((name.clone(), Secret::new(text)));
            out.insert(key.clone(), ConfigValue::Secret(name));
        }
    }
    Ok(out)
}

/// True when `text` is made only of `${...}` references (and `Bearer ` style prefixes with no
/// digits), so it holds no secret of its own.
fn is_only_variables(text: &str) -> bool {
    if !text.contains("${") {
        return false;
    }
    let mut rest = text.to_owned();
    while let Some(start) = rest.find("${") {
        let Some(end) = rest[start..].find('}') else { return false };
        rest.replace_range(start..start + end + 1, "");
    }
    rest.chars().all(|c| c.is_ascii_alphabetic() || c == ' ')
}

/// An id made from a client's server name: lowercase, other characters folded into `-`.
fn slug(name: &str) -> Option<SourceId> {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let trimmed: String = out.trim_end_matches('-').chars().take(SourceId::MAX_LEN).collect();
    trimmed.trim_end_matches('-').parse().ok()
}

/// Removes `//` and `/* */` comments and trailing commas (VS Code's files are JSON with comments).
pub(crate) fn strip_jsonc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                out.extend(chars.next());
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                for next in chars.by_ref() {
                    if next == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut last = ' ';
                for next in chars.by_ref() {
                    if next == '\n' {
                        out.push('\n');
                    }
                    if last == '*' && next == '/' {
                        break;
                    }
                    last = next;
                }
            }
            (',', _) => {
                if !matches!(next_token(chars.clone()), Some('}') | Some(']')) {
                    out.push(c);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// The next character that is neither white space nor inside a comment. Looks only as far as
/// that character, so that a file of many commas is read in linear time.
fn next_token(mut chars: impl Iterator<Item = char>) -> Option<char> {
    let mut chars = std::iter::from_fn(move || chars.next()).peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            (c, _) if c.is_whitespace() => {}
            ('/', Some('/')) => {
                chars.find(|&next| next == '\n')?;
            }
            ('/', Some('*')) => {
                chars.next();
                let mut last = ' ';
                chars.find(|&next| std::mem::replace(&mut last, next) == '*' && next == '/')?;
            }
            _ => return Some(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ImportReport {
        parse_import(text, Path::new("mcp.json")).expect("valid config")
    }

    #[test]
    fn claude_desktop_stdio_entry_moves_env_secret_to_vault() {
        let report = parse(
            r#"{"mcpServers": {"GitHub Server": {"command": "npx", "args": ["-y", "gh"],
                "env": {"GITHUB_TOKEN": "ghp_planted", "HOME_DIR": "${HOME}"}}}}"#,
        );
        assert!(report.skipped.is_empty(), "nothing skipped: {:?}", report.skipped);
        let imported = &report.profiles[0];
        assert_eq!(imported.profile.id().as_str(), "github-server", "the name is slugged into an id");
        let Transport::Stdio { env, args, .. } = &imported.profile.transport else { panic!("stdio") };
        assert_eq!(args, &["-y", "gh"]);
        assert_eq!(
            env["GITHUB_TOKEN"],
            ConfigValue::Secret(SecretRef::env("GITHUB_TOKEN")),
            "literal goes to vault"
        );
        assert_eq!(env["HOME_DIR"], ConfigValue::Text("${HOME}".into()), "a pure reference stays text");
        assert_eq!(imported.secrets.len(), 1);
        assert_eq!(imported.secrets[0].1.expose(), "ghp_planted");
    }

    #[test]
    fn vscode_servers_with_types_comments_and_inputs() {
        let report = parse(
            r#"{
              // VS Code allows comments
              "inputs": [{"id": "key", "type": "promptString", "password": true}],
              "servers": {
                "remote": {"type": "http", "url": "https://example.com/mcp",
                           "headers": {"Authorization": "Bearer ${input:key}", "X-Env": "${env:TEAM}"}},
                "legacy": {"type": "sse", "url": "https://example.com/sse"},
                "weird": {"type": "websocket", "url": "wss://x"},
              },
            }"#,
        );
        let ids: Vec<_> = report.profiles.iter().map(|p| p.profile.id().as_str()).collect();
        assert_eq!(ids, vec!["legacy", "remote"]);
        let remote = &report.profiles[1];
        let Transport::Http { headers, .. } = &remote.profile.transport else { panic!("http") };
        assert_eq!(
            headers.get("X-Env"),
            Some(&ConfigValue::Text("${TEAM}".into())),
            "${{env:X}} becomes ${{X}}"
        );
        assert!(!headers.contains_key("Authorization"), "an input prompt cannot be imported");
        assert!(
            remote.notes.iter().any(|n| n.contains("Authorization")),
            "and that is reported: {:?}",
            remote.notes
        );
        assert!(matches!(report.profiles[0].profile.transport, Transport::Sse { .. }), "sse keeps its type");
        assert_eq!(
            report.skipped,
            vec![Skipped {
                name: "weird".into(),
                reason: "transport type `websocket` is not supported".into()
            }]
        );
    }

    #[test]
    fn entries_without_command_or_url_are_skipped_with_reason() {
        let report = parse(r#"{"mcpServers": {"empty": {}, "bad": 3}}"#);
        assert_eq!(report.profiles.len(), 0);
        let reasons: Vec<_> = report.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(reasons, vec!["the entry is not a JSON object", "it has neither a `command` nor a `url`"]);
    }

    #[test]
    fn colliding_slugs_keep_the_first() {
        let report =
            parse(r#"{"mcpServers": {"My Server": {"command": "a"}, "my-server": {"command": "b"}}}"#);
        assert_eq!(report.profiles.len(), 1);
        assert!(report.skipped[0].reason.contains("already taken"), "{:?}", report.skipped);
    }

    #[test]
    fn malformed_json_names_line_and_column() {
        let err = parse_import("{\n  \"mcpServers\": {\"a\": nope}\n}", Path::new("c.json")).unwrap_err();
        assert!(err.to_string().starts_with("c.json:2:"), "{err}");
        let err = parse_import("{\"other\": 1}", Path::new("c.json")).unwrap_err();
        assert!(matches!(err, ImportError::NoServers { .. }), "{err}");
    }

    #[test]
    fn jsonc_strip_keeps_strings_intact() {
        assert_eq!(
            strip_jsonc(r#"{"a": "http://x // not a comment", /* c */ "b": [1,],}"#),
            r#"{"a": "http://x // not a comment",  "b": [1]}"#
        );
    }

    #[test]
    fn a_trailing_comma_before_a_comment_is_removed() {
        // Issue 6: VS Code accepts `[1, // last\n]`; the comma used to stay and break the JSON.
        let text = "{\"servers\": {\"a\": {\"command\": \"x\"}, // the last one\n /* really */ }}";
        let report = parse(text);
        assert_eq!(report.profiles.len(), 1, "the entry before the comment is imported");
    }

    #[test]
    fn many_commas_are_stripped_in_linear_time() {
        // Issue 6: each comma used to copy the rest of the file to look past it, so a 1 MB file of
        // commas took minutes. 200 000 commas: instant now, tens of minutes before.
        let text = format!("[{}1]", "1,".repeat(200_000));
        let stripped = strip_jsonc(&text);
        assert_eq!(stripped.len(), text.len(), "no comma here is a trailing one");
        assert_eq!(strip_jsonc("[1, /* a */ // b\n ]"), "[1  \n ]", "a comma before comments and `]` goes");
    }
}
