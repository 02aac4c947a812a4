//! The profile file: one TOML file, `profiles.toml` in the config folder, with a format version.
//!
//! Reading never changes the file, and a file that does not parse is reported with its path, line
//! and column and left exactly as it was. Writing goes to a temporary file in the same folder that
//! is then renamed over the old one, so a crash or a full disk never leaves half a file; the file
//! is private to its owner (mode 0600). Read-modify-write cycles take an advisory lock so that two
//! `lanyard` processes editing profiles at once do not lose each other's changes.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::model::Profile;
use super::validate::{Problem, validate, validate_new};
use crate::agents::{AgentName, AgentProfile};
use crate::ids::SourceId;

/// The format version this build reads and writes.
pub const CURRENT_VERSION: u32 = 1;

const FILE_NAME: &str = "profiles.toml";

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    pub version: u32,
    #[serde(default)]
    pub sources: BTreeMap<SourceId, Profile>,
    /// The agents and what each may reach (see [`crate::agents`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub agents: BTreeMap<AgentName, AgentProfile>,
}

impl Default for ProfileFile {
    fn default() -> Self {
        Self { version: CURRENT_VERSION, sources: BTreeMap::new(), agents: BTreeMap::new() }
    }
}

impl ProfileFile {
    /// Parses the text of a profile file; `path` is only used in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ProfileError> {
        #[derive(Deserialize)]
        struct VersionOnly {
            version: Option<toml::Value>,
        }
        let syntax = |err: toml::de::Error| ProfileError::Parse {
            path: path.to_owned(),
            location: err.span().map(|span| Location::of(text, span.start)),
            message: err.message().to_owned(),
        };
        let version = toml::from_str::<VersionOnly>(text).map_err(syntax)?.version;
        match version {
            Some(toml::Value::Integer(v)) if v == i64::from(CURRENT_VERSION) => {}
            Some(toml::Value::Integer(v)) => {
                return Err(ProfileError::UnsupportedVersion { path: path.to_owned(), found: v });
            }
            Some(_) | None => return Err(ProfileError::MissingVersion { path: path.to_owned() }),
        }
        let mut file: ProfileFile = toml::from_str(text).map_err(syntax)?;
        for (id, profile) in &mut file.sources {
            profile.id = Some(id.clone());
            validate(profile).map_err(|problem| ProfileError::Invalid {
                path: path.to_owned(),
                location: locate_source(text, id),
                id: id.clone(),
                problem,
            })?;
        }
        if file.agents.keys().any(AgentName::is_default) {
            return Err(ProfileError::Parse {
                path: path.to_owned(),
                location: text.find("[agents.default").map(|offset| Location::of(text, offset)),
                message: "`default` is the built-in agent that may use everything; it has no table of its own. Rename the table".to_owned(),
            });
        }
        Ok(file)
    }

    /// The agent `name`, or [`ProfileError::AgentNotFound`] naming the agents close to it.
    pub fn require_agent(&self, name: &AgentName) -> Result<&AgentProfile, ProfileError> {
        self.agents.get(name).ok_or_else(|| self.agent_not_found(name))
    }

    /// The error for an agent `name` this file does not have.
    pub fn agent_not_found(&self, name: &AgentName) -> ProfileError {
        let near = crate::suggest::closest(name.as_str(), self.agents.keys().map(AgentName::as_str));
        ProfileError::AgentNotFound { name: name.clone(), near }
    }

    /// Checks that every source `agent` names exists in this file.
    pub fn check_agent_sources(&self, agent: &AgentProfile) -> Result<(), ProfileError> {
        match agent.named_sources().find(|id| !self.sources.contains_key(*id)) {
            Some(id) => Err(self.not_found(id)),
            None => Ok(()),
        }
    }

    /// The TOML text of this file.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string_pretty(self).expect("profiles are plain data and always serialize");
        format!("# Lanyard connection profiles. Secrets are not kept here but in the OS keychain.\n{body}")
    }

    pub fn get(&self, id: &SourceId) -> Option<&Profile> {
        self.sources.get(id)
    }

    /// The profile of `id`, or [`ProfileError::NotFound`] naming the ids close to it. Every
    /// command that takes a source id resolves it here (or through [`Self::not_found`]), so a
    /// typo gets the same "did you mean" everywhere.
    pub fn require(&self, id: &SourceId) -> Result<&Profile, ProfileError> {
        self.sources.get(id).ok_or_else(|| self.not_found(id))
    }

    /// The error for an `id` this file has no source of, with the ids close to it.
    pub fn not_found(&self, id: &SourceId) -> ProfileError {
        let near = crate::suggest::closest(id.as_str(), self.sources.keys().map(SourceId::as_str))
            .into_iter()
            .filter_map(|near| near.parse().ok())
            .collect();
        ProfileError::NotFound { id: id.clone(), near }
    }

    pub fn profiles(&self) -> impl Iterator<Item = &Profile> {
        self.sources.values()
    }

    /// Adds a new profile; an existing id is an error rather than an overwrite.
    pub fn insert(&mut self, profile: Profile) -> Result<(), ProfileError> {
        validate_new(&profile)
            .map_err(|problem| ProfileError::InvalidNew { id: profile.id().clone(), problem })?;
        let id = profile.id().clone();
        if self.sources.contains_key(&id) {
            return Err(ProfileError::AlreadyExists { id });
        }
        self.sources.insert(id, profile);
        Ok(())
    }

    /// Replaces an existing profile.
    pub fn replace(&mut self, profile: Profile) -> Result<(), ProfileError> {
        validate_new(&profile)
            .map_err(|problem| ProfileError::InvalidNew { id: profile.id().clone(), problem })?;
        if !self.sources.contains_key(profile.id()) {
            return Err(self.not_found(profile.id()));
        }
        self.sources.insert(profile.id().clone(), profile);
        Ok(())
    }

    /// Removes source `id` and every agent's mention of it, so that agents name only sources
    /// there are and stay editable. Returns the profile (so its secrets can be removed too) and
    /// the agents that named it.
    pub fn remove(&mut self, id: &SourceId) -> Result<RemovedSource, ProfileError> {
        let profile = self.sources.remove(id).ok_or_else(|| self.not_found(id))?;
        let mut removed = RemovedSource { profile, agents: Vec::new(), stranded: Vec::new() };
        for (name, agent) in &mut self.agents {
            if agent.forget_source(id) {
                removed.agents.push(name.clone());
                if agent.sources.as_ref().is_some_and(Vec::is_empty) {
                    removed.stranded.push(name.clone());
                }
            }
        }
        Ok(removed)
    }
}

/// What removing a source from the file did.
#[derive(Debug, Clone)]
pub struct RemovedSource {
    pub profile: Profile,
    /// The agents that named the source (among their sources or tool rules) and no longer do.
    pub agents: Vec<AgentName>,
    /// Of those, the ones left with no source: they reach nothing until they are given one.
    pub stranded: Vec<AgentName>,
}

impl RemovedSource {
    /// What the removal did, as every front end says it.
    pub fn said(&self) -> String {
        let mut said = format!("Removed source `{}` and its secrets.", self.profile.id());
        if !self.agents.is_empty() {
            let verb = if self.agents.len() == 1 { "lists" } else { "list" };
            said += &format!(" {} no longer {verb} it.", agents_named(&self.agents));
        }
        if !self.stranded.is_empty() {
            let (has, reaches) =
                if self.stranded.len() == 1 { ("has", "reaches") } else { ("have", "reach") };
            said += &format!(
                " {} {has} no source left and {reaches} nothing until given one.",
                agents_named(&self.stranded)
            );
        }
        said
    }
}

/// "Agent `a`", "Agents `a` and `b`", "Agents `a`, `b` and `c`".
fn agents_named(names: &[AgentName]) -> String {
    let noun = if names.len() == 1 { "Agent" } else { "Agents" };
    format!("{noun} {}", crate::suggest::quoted_list(names, "and"))
}

/// A line and column, both counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl Location {
    fn of(text: &str, offset: usize) -> Self {
        let before = &text[..offset.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Self { line, column }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

fn at(location: &Option<Location>) -> String {
    location.map(|l| format!(":{l}")).unwrap_or_default()
}

/// Where the table of source `id` starts, for errors found after parsing.
fn locate_source(text: &str, id: &SourceId) -> Option<Location> {
    let header = format!("[sources.{id}");
    let quoted = format!("[sources.\"{id}\"");
    text.find(&header).or_else(|| text.find(&quoted)).map(|offset| Location::of(text, offset))
}

/// What went wrong with the profile file or a change to it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    #[error("{path}{loc}: {message}\nThe file was left unchanged; fix it by hand and try again.", path = path.display(), loc = at(location))]
    Parse { path: PathBuf, location: Option<Location>, message: String },
    #[error("{path}: the file has no `version = {CURRENT_VERSION}` line at the top; add it", path = path.display())]
    MissingVersion { path: PathBuf },
    #[error("{path}: format version {found} is not supported by this Lanyard (it reads version {CURRENT_VERSION}); upgrade Lanyard or restore a backup", path = path.display())]
    UnsupportedVersion { path: PathBuf, found: i64 },
    #[error("{path}{loc}: source `{id}`: {problem}", path = path.display(), loc = at(location))]
    Invalid { path: PathBuf, location: Option<Location>, id: SourceId, problem: Problem },
    #[error("source `{id}`: {problem}")]
    InvalidNew { id: SourceId, problem: Problem },
    #[error("no source named `{id}`{}", DidYouMeanIds(near))]
    NotFound {
        id: SourceId,
        /// The ids close to `id`, best first (empty when none is).
        near: Vec<SourceId>,
    },
    #[error("no agent named `{name}`{}", crate::suggest::DidYouMean { near, then: "`lanyard agent list` shows the agents there are" })]
    AgentNotFound { name: AgentName, near: Vec<String> },
    #[error(
        "an agent named `{name}` already exists; pick another name, or change it with `lanyard agent edit {name}`"
    )]
    AgentExists { name: AgentName },
    #[error(
        "agent `{name}` would read its key from `{var}`, as agent `{other}` does (`-` and `_` both become `_`); pick another name"
    )]
    AgentVarTaken { name: AgentName, other: AgentName, var: String },
    #[error("`default` is the built-in agent that may use everything (the bridge token); pick another name")]
    AgentReserved,
    #[error("{}; pick another id or remove it first with `lanyard profile rm {id}`", id_taken(id))]
    AlreadyExists { id: SourceId },
    #[error("{path}: cannot {action}: {err}", path = path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        err: io::Error,
    },
}

impl ProfileError {
    /// A file that cannot be read or written is not fixed in the form, unlike everything else.
    pub fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::Io { .. } => crate::ErrorKind::ProfileFile,
            Self::Parse { .. }
            | Self::MissingVersion { .. }
            | Self::UnsupportedVersion { .. }
            | Self::Invalid { .. }
            | Self::InvalidNew { .. }
            | Self::NotFound { .. }
            | Self::AlreadyExists { .. }
            | Self::AgentNotFound { .. }
            | Self::AgentExists { .. }
            | Self::AgentVarTaken { .. }
            | Self::AgentReserved => crate::ErrorKind::Profile,
        }
    }
}

/// A source id that is taken, in the words the add form shows, an import's skip says and the
/// CLI's [`ProfileError::AlreadyExists`] begins with.
pub fn id_taken(id: &SourceId) -> String {
    format!("a source named `{id}` already exists")
}

/// "did you mean" for source ids.
struct DidYouMeanIds<'a>(&'a [SourceId]);

impl std::fmt::Display for DidYouMeanIds<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let near: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        let then = "`lanyard profile list` shows the sources there are";
        crate::suggest::DidYouMean { near: &near, then }.fmt(f)
    }
}

/// The profile file on disk.
#[derive(Debug, Clone)]
pub struct ProfileStore {
    path: PathBuf,
}

impl ProfileStore {
    /// The file in Lanyard's config folder (see [`crate::paths::Dirs::config`]).
    pub fn in_folder(config: &Path) -> Self {
        Self::at(config.join(FILE_NAME))
    }

    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the file; a file that does not exist yet reads as empty.
    pub fn load(&self) -> Result<ProfileFile, ProfileError> {
        match fs::read_to_string(&self.path) {
            Ok(text) => ProfileFile::parse(&text, &self.path),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(ProfileFile::default()),
            Err(err) => Err(self.io("read", err)),
        }
    }

    /// Loads, changes and saves the file under a lock, so concurrent edits are not lost.
    /// Nothing is written when `change` fails.
    pub fn update<T>(
        &self,
        change: impl FnOnce(&mut ProfileFile) -> Result<T, ProfileError>,
    ) -> Result<T, ProfileError> {
        let _lock = self.lock()?;
        let mut file = self.load()?;
        let result = change(&mut file)?;
        self.save(&file)?;
        Ok(result)
    }

    /// Writes the whole file atomically with mode 0600.
    pub fn save(&self, file: &ProfileFile) -> Result<(), ProfileError> {
        let dir = self.dir();
        fs::create_dir_all(dir).map_err(|err| self.io("create its folder", err))?;
        let mut builder = tempfile::Builder::new();
        builder.prefix(".profiles.").suffix(".tmp");
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600));
        let mut temp =
            builder.tempfile_in(dir).map_err(|err| self.io("create a temporary file beside it", err))?;
        temp.write_all(file.to_toml().as_bytes()).map_err(|err| self.io("write", err))?;
        temp.as_file().sync_all().map_err(|err| self.io("write", err))?;
        temp.persist(&self.path).map_err(|err| self.io("replace", err.error))?;
        Ok(())
    }

    fn dir(&self) -> &Path {
        self.path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
    }

    fn lock(&self) -> Result<File, ProfileError> {
        fs::create_dir_all(self.dir()).map_err(|err| self.io("create its folder", err))?;
        let lock_path = self.path.with_extension("toml.lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|err| self.io("create its lock file", err))?;
        lock.lock().map_err(|err| self.io("lock", err))?;
        Ok(lock)
    }

    fn io(&self, action: &'static str, err: io::Error) -> ProfileError {
        ProfileError::Io { path: self.path.clone(), action, err }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SecretRef;
    use crate::profile::{Auth, ConfigValue, Transport};

    const EXAMPLE: &str = r#"
version = 1

[sources.everything]
name = "Everything"
transport = { type = "stdio", command = "npx", args = ["-y", "@modelcontextprotocol/server-everything"] }

[sources.github]
auth = { kind = "oauth", scopes = ["repo"] }
ca_bundle = "${PKI_DIR:-/etc/corp}/ca.pem"

[sources.github.transport]
type = "http"
url = "https://api.example.com/mcp"

[sources.github.transport.headers]
X-Api-Key = { secret = "header/X-Api-Key" }
X-Team = "${TEAM:-core}"

[sources.github.tools]
exclude = ["delete_repo"]
alias = { create_issue = "new_issue" }
"#;

    fn parse(text: &str) -> Result<ProfileFile, ProfileError> {
        ProfileFile::parse(text, Path::new("profiles.toml"))
    }

    #[test]
    fn example_parses_into_the_model() {
        let file = parse(EXAMPLE).expect("the example is valid");
        let github = file.get(&"github".parse().unwrap()).expect("github is there");
        assert_eq!(github.id().as_str(), "github", "the id comes from the table key");
        let Transport::Http { headers, .. } = &github.transport else { panic!("github is http") };
        assert_eq!(headers["X-Api-Key"], ConfigValue::Secret(SecretRef("header/X-Api-Key".into())));
        assert_eq!(headers["X-Team"], ConfigValue::Text("${TEAM:-core}".into()), "kept unexpanded");
        assert!(
            matches!(&github.auth, Auth::OAuth(o) if o.scopes.as_deref() == Some(&["repo".to_owned()][..]))
        );
        assert_eq!(github.tools.exclude, vec!["delete_repo"]);
        assert_eq!(
            github.ca_bundle.as_deref(),
            Some(Path::new("${PKI_DIR:-/etc/corp}/ca.pem")),
            "ca_bundle is kept unexpanded"
        );
        let everything = file.get(&"everything".parse().unwrap()).unwrap();
        assert!(everything.enabled, "enabled by default");
        assert_eq!(everything.ca_bundle, None, "no bundle unless one is named");
    }

    #[test]
    fn an_unknown_id_names_the_closest_ids_wherever_it_is_resolved() {
        let mut file = parse(EXAMPLE).unwrap();
        let typo: SourceId = "everythin".parse().unwrap();
        let everything: SourceId = "everything".parse().unwrap();
        for err in [
            file.require(&typo).unwrap_err(),
            file.clone().remove(&typo).unwrap_err(),
            file.clone()
                .replace(Profile { id: Some(typo.clone()), ..file.get(&everything).unwrap().clone() })
                .unwrap_err(),
        ] {
            assert!(
                matches!(&err, ProfileError::NotFound { near, .. } if near == &vec![everything.clone()]),
                "the near miss names `everything`: {err:?}"
            );
            assert!(err.to_string().contains("did you mean `everything`?"), "and says so: {err}");
        }
        let far = file.require(&"weather".parse().unwrap()).unwrap_err();
        assert!(matches!(&far, ProfileError::NotFound { near, .. } if near.is_empty()), "{far:?}");
        assert!(far.to_string().contains("lanyard profile list"), "no suggestion: the list is named: {far}");
        assert!(file.remove(&everything).is_ok(), "an id that is there is found");
    }

    #[test]
    fn removing_a_source_takes_it_out_of_every_agent_in_the_same_file() {
        let text = format!(
            "{EXAMPLE}\n[agents.cursor]\nsources = [\"github\"]\n[agents.cursor.tools.github]\ninclude = [\"search\"]\n\
             [agents.both]\nsources = [\"everything\", \"github\"]\n\
             [agents.wide.tools.github]\nexclude = [\"delete_repo\"]\n\
             [agents.other]\nsources = [\"everything\"]\n"
        );
        let mut file = parse(&text).unwrap();
        let github: SourceId = "github".parse().unwrap();
        let removed = file.remove(&github).unwrap();
        assert_eq!(removed.profile.id(), &github);
        let names = |names: &[AgentName]| names.iter().map(AgentName::to_string).collect::<Vec<_>>();
        assert_eq!(names(&removed.agents), ["both", "cursor", "wide"], "`other` never named it");
        assert_eq!(names(&removed.stranded), ["cursor"], "its only source is gone");
        for agent in file.agents.values() {
            assert!(!agent.named_sources().any(|id| id == &github), "{agent:?}");
            file.check_agent_sources(agent).expect("every agent names only sources there are");
        }
        let cursor = &file.agents[&"cursor".parse().unwrap()];
        assert_eq!(cursor.sources, Some(vec![]), "an emptied list stays a list, not `every source`");
        assert!(cursor.tools.is_empty());
        assert_eq!(file.agents[&"wide".parse().unwrap()].sources, None, "every source, as before");
        let again = parse(&file.to_toml()).expect("the file written reads back");
        assert_eq!(again, file);
        let said = removed.said();
        assert!(said.starts_with("Removed source `github` and its secrets."), "{said}");
        assert!(said.contains("Agents `both`, `cursor` and `wide` no longer list it."), "{said}");
        assert!(said.contains("Agent `cursor` has no source left and reaches nothing"), "{said}");
        let alone = file.remove(&"everything".parse().unwrap()).unwrap();
        assert_eq!(names(&alone.agents), ["both", "other"]);
        assert!(
            !parse(EXAMPLE).unwrap().remove(&github).unwrap().said().contains("gent"),
            "no agent, no word"
        );
    }

    #[test]
    fn round_trip_keeps_everything() {
        let file = parse(EXAMPLE).unwrap();
        let again = parse(&file.to_toml()).expect("what we write, we read");
        assert_eq!(file, again, "save + load must not change a profile");
    }

    #[test]
    fn unknown_key_is_an_error_with_its_line() {
        let text = "version = 1\n[sources.a]\ntransport = { type = \"http\", url = \"http://x\" }\ncolour = \"red\"\n";
        let err = parse(text).unwrap_err();
        let ProfileError::Parse { location: Some(location), message, .. } = &err else {
            panic!("expected a parse error, got {err:?}")
        };
        assert_eq!(location.line, 4, "colour is on line 4: {err}");
        assert!(message.contains("colour"), "the message names the unknown key: {err}");
    }

    #[test]
    fn a_sandbox_is_read_for_stdio_sources_and_refused_elsewhere() {
        let text = "version = 1\n[sources.a]\nsandbox = { read = [\"/data\"], network = \"loopback\" }\ntransport = { type = \"stdio\", command = \"x\" }\n";
        let file = parse(text).unwrap();
        let sandbox = file.profiles().next().unwrap().sandbox.clone().expect("the fence is read");
        assert_eq!(sandbox.read, vec![std::path::PathBuf::from("/data")]);
        assert!(sandbox.write.is_empty());
        assert_eq!(sandbox.network, super::super::SandboxNetwork::Loopback);
        let typo = text.replace("network", "netwrk");
        assert!(parse(&typo).unwrap_err().to_string().contains("netwrk"), "an unknown key is an error");
        let bad = text.replace("loopback", "lan");
        assert!(parse(&bad).is_err(), "an unknown network setting is an error");
        let http = "version = 1\n[sources.a]\nsandbox = { network = \"none\" }\ntransport = { type = \"http\", url = \"http://x\" }\n";
        let err = parse(http).unwrap_err();
        assert!(err.to_string().contains("sandbox"), "an http source has no fence: {err}");
    }

    #[test]
    fn the_fences_limits_are_read_and_zero_or_absurd_ones_are_refused_by_name() {
        let text = |limits: &str| {
            format!(
                "version = 1\n[sources.a]\nsandbox = {{ {limits} }}\ntransport = {{ type = \"stdio\", command = \"x\" }}\n"
            )
        };
        let file = parse(&text("memory_mb = 512, open_files = 256")).unwrap();
        let sandbox = file.profiles().next().unwrap().sandbox.clone().expect("the fence is read");
        assert_eq!((sandbox.memory_mb, sandbox.open_files), (Some(512), Some(256)));
        let none = parse(&text("network = \"none\"")).unwrap();
        let sandbox = none.profiles().next().unwrap().sandbox.clone().unwrap();
        assert_eq!((sandbox.memory_mb, sandbox.open_files), (None, None), "no limit unless asked");
        for (limits, field) in [
            ("memory_mb = 0", "sandbox.memory_mb"),
            ("memory_mb = 99999999", "sandbox.memory_mb"),
            ("open_files = 0", "sandbox.open_files"),
            ("open_files = 3", "sandbox.open_files"),
            ("open_files = 5000000", "sandbox.open_files"),
        ] {
            let err = parse(&text(limits)).unwrap_err().to_string();
            assert!(
                err.contains(field) && err.contains("from "),
                "`{limits}` names {field} and the range: {err}"
            );
        }
        assert!(parse(&text("memory_mb = -1")).is_err(), "a negative limit is an error");
    }

    #[test]
    fn ca_bundle_belongs_to_the_source_not_the_transport() {
        let text = "version = 1\n[sources.a]\ntransport = { type = \"http\", url = \"http://x\", ca_bundle = \"/ca.pem\" }\n";
        let err = parse(text).unwrap_err();
        assert!(err.to_string().contains("ca_bundle"), "inside transport it is an unknown key: {err}");
        let text = "version = 1\n[sources.a]\nca_bundle = \"/ca.pem\"\ntransport = { type = \"stdio\", command = \"x\" }\n";
        let err = parse(text).unwrap_err();
        let ProfileError::Invalid { problem, location: Some(location), .. } = &err else {
            panic!("expected a validation error, got {err:?}")
        };
        assert_eq!(problem.field, "ca_bundle", "a stdio source cannot have one: {err}");
        assert_eq!(location.line, 2, "the error points at the source's table: {err}");
    }

    #[test]
    fn syntax_error_reports_line_and_column() {
        let err = parse("version = 1\n[sources.a\n").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("profiles.toml:2:"), "path:line:column first: {text}");
        assert!(text.contains("left unchanged"), "says the file was not touched: {text}");
    }

    #[test]
    fn unknown_transport_type_is_named() {
        let err = parse("version = 1\n[sources.a]\ntransport = { type = \"carrier-pigeon\" }\n").unwrap_err();
        assert!(err.to_string().contains("carrier-pigeon"), "names the bad value: {err}");
    }

    #[test]
    fn bad_source_id_is_rejected() {
        let err =
            parse("version = 1\n[sources.Bad_Id]\ntransport = { type = \"http\", url = \"http://x\" }\n")
                .unwrap_err();
        assert!(err.to_string().contains("Bad_Id"), "names the bad id: {err}");
    }

    #[test]
    fn missing_and_future_versions_are_refused() {
        assert!(matches!(parse("[sources]\n").unwrap_err(), ProfileError::MissingVersion { .. }));
        assert!(matches!(
            parse("version = 9\n").unwrap_err(),
            ProfileError::UnsupportedVersion { found: 9, .. }
        ));
    }

    #[test]
    fn save_is_atomic_private_and_loadable() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::at(dir.path().join("profiles.toml"));
        let file = parse(EXAMPLE).unwrap();
        store.save(&file).unwrap();
        assert_eq!(store.load().unwrap(), file, "what was saved loads back");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(store.path()).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "the profile file is private to its owner");
        }
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "no temporary files left behind: {leftovers:?}");
    }

    #[test]
    fn failed_update_leaves_the_file_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::at(dir.path().join("profiles.toml"));
        let broken = "version = 1\n[sources.a\n";
        fs::write(store.path(), broken).unwrap();
        let err = store.update(|_| Ok(())).unwrap_err();
        assert!(matches!(err, ProfileError::Parse { .. }), "a broken file is reported: {err}");
        assert_eq!(fs::read_to_string(store.path()).unwrap(), broken, "and never rewritten");
    }
}
