//! Turning one package or remote of a registry entry into what a profile runs: the command line
//! (`npx -y pkg@version`, `uvx pkg==version`, `docker run -i --rm image:tag`, `dnx pkg@version`,
//! with the runtime's and the package's arguments) or the URL with its transport and headers,
//! and the [`Question`]s the person must answer first.
//!
//! A [`Plan`] is made before anything runs and can be shown as it is ([`Plan::preview`]); only
//! [`Plan::build`], given the answers, makes the transport and the secrets. A secret answer goes
//! to an environment variable or a header kept in the keychain, never to the command line: an
//! input that would put one there is refused.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::CatalogError;
use super::inputs::{Answers, Question, Template};
use super::model::{Argument, Entry, KeyValueInput, Package, RemoteTransport, ServerJson};
use crate::ids::{SecretRef, SourceId};
use crate::profile::{CatalogOrigin, ConfigValue, Transport};
use crate::secret::Secret;

/// The package registries whose packages Lanyard knows how to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageKind {
    Npm,
    Pypi,
    Oci,
    Nuget,
}

impl PackageKind {
    fn of(registry_type: &str) -> Option<Self> {
        match registry_type.to_ascii_lowercase().as_str() {
            "npm" => Some(Self::Npm),
            "pypi" => Some(Self::Pypi),
            "oci" | "docker" => Some(Self::Oci),
            "nuget" => Some(Self::Nuget),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Npm => "npm",
            Self::Pypi => "pypi",
            Self::Oci => "oci",
            Self::Nuget => "nuget",
        }
    }

    /// The program that runs such a package when the entry names none.
    fn runtime(self) -> &'static str {
        match self {
            Self::Npm => "npx",
            Self::Pypi => "uvx",
            Self::Oci => "docker",
            Self::Nuget => "dnx",
        }
    }
}

/// What of an entry to run: the CLI's `--use`, the window's choice in its Add walk-through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "CatalogChoice", export_to = crate::TS_DIR))]
#[serde(tag = "kind", content = "index", rename_all = "lowercase")]
pub enum Choice {
    Package(usize),
    Remote(usize),
}

/// One way to run an entry, as `catalog show` lists them.
#[derive(Debug, Clone, Serialize)]
pub struct Offer {
    pub choice: Choice,
    /// `npm`, `pypi`, `oci`, `nuget`, `mcpb`, ... for a package; `remote` for an endpoint.
    pub runs: String,
    /// The package identifier or the URL.
    pub target: String,
    /// `stdio`, `streamable-http` or `sse`.
    pub transport: String,
    /// Why Lanyard cannot run it, when it cannot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsupported: Option<String>,
}

/// Every package and remote of `server`, supported or not.
pub fn offers(server: &ServerJson) -> Vec<Offer> {
    let packages = server.packages.iter().enumerate().map(|(index, package)| Offer {
        choice: Choice::Package(index),
        runs: package.registry_type.to_ascii_lowercase(),
        target: match &package.version {
            Some(version) => format!("{} {version}", package.identifier),
            None => package.identifier.clone(),
        },
        transport: package.transport.as_ref().map_or_else(|| "stdio".to_owned(), |t| t.kind.clone()),
        unsupported: package_unsupported(package),
    });
    let remotes = server.remotes.iter().enumerate().map(|(index, remote)| Offer {
        choice: Choice::Remote(index),
        runs: "remote".to_owned(),
        target: remote.url.clone().unwrap_or_default(),
        transport: remote.kind.clone(),
        unsupported: remote_unsupported(remote),
    });
    packages.chain(remotes).collect()
}

fn package_unsupported(package: &Package) -> Option<String> {
    let Some(kind) = PackageKind::of(&package.registry_type) else {
        return Some(format!(
            "`{}` packages are not supported; pick another package or a remote",
            package.registry_type
        ));
    };
    if let Some(transport) = &package.transport
        && !transport.kind.eq_ignore_ascii_case("stdio")
    {
        return Some(format!(
            "this {} package serves MCP over {} on this machine; Lanyard starts stdio packages only",
            kind.name(),
            transport.kind
        ));
    }
    if package.identifier.trim().is_empty() {
        return Some("the package has no identifier".into());
    }
    None
}

fn remote_unsupported(remote: &RemoteTransport) -> Option<String> {
    if remote_kind(&remote.kind).is_none() {
        return Some(format!("the transport `{}` is not one Lanyard speaks", remote.kind));
    }
    if remote.url.as_deref().is_none_or(str::is_empty) {
        return Some("the remote has no URL".into());
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RemoteKind {
    Http,
    Sse,
}

fn remote_kind(kind: &str) -> Option<RemoteKind> {
    match kind.to_ascii_lowercase().as_str() {
        "streamable-http" | "streamable_http" | "http" => Some(RemoteKind::Http),
        "sse" => Some(RemoteKind::Sse),
        _ => None,
    }
}

/// A command-line piece: one argument, or a flag with its value; left out whole when a value it
/// needs is optional and not given.
#[derive(Debug, Clone)]
struct ArgPiece {
    values: Vec<Template>,
    label: String,
}

#[derive(Debug, Clone)]
enum Shape {
    Stdio {
        command: String,
        before: Vec<ArgPiece>,
        /// `docker run` gets `-e NAME` for each variable set, between `before` and `after`.
        pass_env: bool,
        after: Vec<ArgPiece>,
        env: Vec<(String, Template)>,
    },
    Remote {
        kind: RemoteKind,
        url: Template,
        headers: Vec<(String, Template)>,
    },
}

/// What adding an entry will run, and what it needs from the person.
#[derive(Debug, Clone)]
pub struct Plan {
    pub registry: String,
    pub name: String,
    pub version: String,
    /// The entry's title, when it has one.
    pub title: Option<String>,
    /// `npm`, `pypi`, `oci`, `nuget` or `remote`.
    pub runs: String,
    /// The package or remote it runs.
    pub choice: Choice,
    pub questions: Vec<Question>,
    shape: Shape,
}

/// A plan with its answers: the transport to save and the secrets to keep.
#[derive(Debug)]
pub struct Built {
    pub transport: Transport,
    pub secrets: Vec<(SecretRef, Secret)>,
    /// The exact command line or URL, with no secret in it.
    pub shown: String,
    /// The environment variables or headers that hold a secret, by name.
    pub secret_names: Vec<String>,
}

impl Built {
    /// Where the secret values go, when there are any: the line `catalog add` prints and the
    /// window shows before saving.
    pub fn secrets_kept(&self) -> Option<String> {
        (!self.secret_names.is_empty()).then(|| {
            format!("Kept in the keychain, not in the profile file: {}", self.secret_names.join(", "))
        })
    }
}

/// What an update keeps, in the words every front end uses (the CLI's `catalog outdated` too).
pub const UPDATE_KEEPS: &str = "its settings and secrets stay";

impl Plan {
    /// What adding this plan does to source `id`, made from version `from` of the same server:
    /// the sentence the CLI and the window both show before an update.
    pub fn update_said(&self, id: &SourceId, from: &str) -> String {
        format!("This updates source {id} from {from} to {}; {UPDATE_KEEPS}.", self.version)
    }

    /// The plan for `choice` of `entry`, or, without a choice, for the first package Lanyard
    /// can run, else the first remote.
    pub fn new(registry: &str, entry: &Entry, choice: Option<Choice>) -> Result<Self, CatalogError> {
        let server = &entry.server;
        let all = offers(server);
        let chosen = match choice {
            Some(choice) => all.iter().find(|offer| offer.choice == choice),
            None => all.iter().find(|offer| offer.unsupported.is_none()),
        };
        let Some(offer) = chosen else {
            let reasons = if all.is_empty() {
                "it lists no package and no remote".to_owned()
            } else {
                all.iter()
                    .filter_map(|o| {
                        o.unsupported.as_ref().map(|why| format!("{} {}: {why}", o.runs, o.target))
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            return Err(CatalogError::NothingToAdd {
                name: server.name.clone(),
                version: server.version.clone(),
                reasons,
            });
        };
        if let Some(why) = &offer.unsupported {
            return Err(CatalogError::NothingToAdd {
                name: server.name.clone(),
                version: server.version.clone(),
                reasons: format!("{} {}: {why}", offer.runs, offer.target),
            });
        }
        let unknown = || CatalogError::NothingToAdd {
            name: server.name.clone(),
            version: server.version.clone(),
            reasons: format!("{} {}: not a kind Lanyard runs", offer.runs, offer.target),
        };
        let mut questions = Vec::new();
        let shape = match offer.choice {
            Choice::Package(index) => {
                let package = server.packages.get(index).ok_or_else(unknown)?;
                let kind = PackageKind::of(&package.registry_type).ok_or_else(unknown)?;
                package_shape(kind, package, &mut questions)
            }
            Choice::Remote(index) => {
                let remote = server.remotes.get(index).ok_or_else(unknown)?;
                let kind = remote_kind(&remote.kind).ok_or_else(unknown)?;
                remote_shape(kind, remote, &mut questions)
            }
        };
        Ok(Self {
            registry: registry.to_owned(),
            name: server.name.clone(),
            version: server.version.clone(),
            title: server.title.clone(),
            runs: offer.runs.clone(),
            choice: offer.choice,
            questions,
            shape,
        })
    }

    /// Whether it connects to an endpoint rather than starting a program.
    pub fn is_remote(&self) -> bool {
        matches!(self.shape, Shape::Remote { .. })
    }

    /// What will run, with `<placeholders>` for what is asked.
    pub fn preview(&self) -> String {
        match &self.shape {
            Shape::Stdio { command, before, after, env, pass_env } => {
                let mut words = vec![command.clone()];
                let piece =
                    |p: &ArgPiece| p.values.iter().map(|v| v.preview(&self.questions)).collect::<Vec<_>>();
                words.extend(before.iter().flat_map(piece));
                if *pass_env {
                    // In the order `build` passes them: by name.
                    let names: std::collections::BTreeSet<&String> =
                        env.iter().map(|(name, _)| name).collect();
                    words.extend(names.into_iter().flat_map(|name| ["-e".to_owned(), name.clone()]));
                }
                words.extend(after.iter().flat_map(piece));
                shell_words(&words)
            }
            Shape::Remote { url, .. } => url.preview(&self.questions),
        }
    }

    /// The profile's record of where it came from.
    pub fn origin(&self) -> CatalogOrigin {
        CatalogOrigin {
            registry: self.registry.clone(),
            name: self.name.clone(),
            version: self.version.clone(),
            runs: Some(self.runs.clone()),
        }
    }

    /// A source id made from the server's name: `io.github.owner/weather-server` gives
    /// `weather-server`.
    pub fn suggested_id(&self) -> SourceId {
        let last = self.name.rsplit('/').next().unwrap_or(&self.name).to_ascii_lowercase();
        let mut id: String = last
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
            .collect();
        id = id.trim_start_matches(['-', '_']).chars().take(SourceId::MAX_LEN).collect();
        id.parse().unwrap_or_else(|_| "server".parse().expect("a fixed valid id"))
    }

    /// The transport and secrets, with `answers` filled in. With `keep` (the transport of the
    /// source being updated), each environment variable or header it already sets keeps its
    /// value (text or keychain entry) and is not asked for.
    pub fn build(&self, answers: &Answers, keep: Option<&Transport>) -> Result<Built, CatalogError> {
        let kept = |name: &str| -> Option<ConfigValue> {
            match keep? {
                Transport::Stdio { env, .. } => env.get(name).cloned(),
                Transport::Http { headers, .. } | Transport::Sse { headers, .. } => {
                    headers.get(name).cloned()
                }
            }
        };
        let mut secrets = Vec::new();
        let mut secret_names = Vec::new();
        match &self.shape {
            Shape::Stdio { command, before, pass_env, after, env } => {
                let mut env_values = BTreeMap::new();
                for (name, template) in env {
                    if let Some(value) = kept(name) {
                        env_values.insert(name.clone(), value);
                        continue;
                    }
                    let Some(rendered) = template.render(&self.questions, answers)? else { continue };
                    let value = if rendered.secret {
                        let reference = SecretRef::env(name);
                        secrets.push((reference.clone(), rendered.value));
                        secret_names.push(name.clone());
                        ConfigValue::Secret(reference)
                    } else {
                        ConfigValue::Text(rendered.value.expose().to_owned())
                    };
                    env_values.insert(name.clone(), value);
                }
                let mut args = self.render_pieces(before, answers)?;
                if *pass_env {
                    for name in env_values.keys() {
                        args.extend(["-e".to_owned(), name.clone()]);
                    }
                }
                args.extend(self.render_pieces(after, answers)?);
                let mut words = vec![command.clone()];
                words.extend(args.iter().cloned());
                Ok(Built {
                    transport: Transport::Stdio {
                        command: command.clone(),
                        args,
                        env: env_values,
                        cwd: None,
                    },
                    secrets,
                    shown: shell_words(&words),
                    secret_names,
                })
            }
            Shape::Remote { kind, url, headers } => {
                let rendered = url
                    .render(&self.questions, answers)?
                    .ok_or_else(|| CatalogError::MissingInput { label: "the URL".into() })?;
                if rendered.secret {
                    return Err(secret_refused("the URL"));
                }
                let url = rendered.value.expose().to_owned();
                let mut header_values = BTreeMap::new();
                for (name, template) in headers {
                    if let Some(value) = kept(name) {
                        header_values.insert(name.clone(), value);
                        continue;
                    }
                    let Some(rendered) = template.render(&self.questions, answers)? else { continue };
                    let value = if rendered.secret {
                        let reference = SecretRef::header(name);
                        secrets.push((reference.clone(), rendered.value));
                        secret_names.push(name.clone());
                        ConfigValue::Secret(reference)
                    } else {
                        ConfigValue::Text(rendered.value.expose().to_owned())
                    };
                    header_values.insert(name.clone(), value);
                }
                let transport = match kind {
                    RemoteKind::Http => Transport::Http { url: url.clone(), headers: header_values },
                    RemoteKind::Sse => Transport::Sse { url: url.clone(), headers: header_values },
                };
                Ok(Built { transport, secrets, shown: url, secret_names })
            }
        }
    }

    fn render_pieces(&self, pieces: &[ArgPiece], answers: &Answers) -> Result<Vec<String>, CatalogError> {
        let mut args = Vec::new();
        'pieces: for piece in pieces {
            let mut words = Vec::new();
            for value in &piece.values {
                match value.render(&self.questions, answers)? {
                    Some(rendered) if rendered.secret => return Err(secret_refused(&piece.label)),
                    Some(rendered) => words.push(rendered.value.expose().to_owned()),
                    None => continue 'pieces,
                }
            }
            args.extend(words);
        }
        Ok(args)
    }
}

fn secret_refused(label: &str) -> CatalogError {
    CatalogError::SecretOnCommandLine { label: label.to_owned() }
}

fn package_shape(kind: PackageKind, package: &Package, questions: &mut Vec<Question>) -> Shape {
    let command = package
        .runtime_hint
        .clone()
        .filter(|h| !h.trim().is_empty())
        .unwrap_or_else(|| kind.runtime().to_owned());
    let runtime_args = arguments(&package.runtime_arguments, "runtime", questions);
    let package_args = arguments(&package.package_arguments, "arg", questions);
    let env = package.environment_variables.iter().map(|var| env_slot(var, questions)).collect();
    let identifier = package.identifier.trim();
    let version = package.version.as_deref().map(str::trim).filter(|v| !v.is_empty());
    let fixed = |words: &[&str]| {
        words
            .iter()
            .map(|w| ArgPiece { values: vec![Template::text(*w)], label: (*w).to_owned() })
            .collect::<Vec<_>>()
    };
    let mut before = Vec::new();
    let mut after = Vec::new();
    let reference = match (kind, version) {
        (PackageKind::Npm | PackageKind::Nuget, Some(version)) => format!("{identifier}@{version}"),
        (PackageKind::Pypi, Some(version)) => format!("{identifier}=={version}"),
        (PackageKind::Oci, Some(version)) if !image_has_tag(identifier) => format!("{identifier}:{version}"),
        _ => identifier.to_owned(),
    };
    match kind {
        PackageKind::Npm => {
            let says_yes = package.runtime_arguments.iter().any(|a| {
                matches!(a.input.value.as_deref(), Some("-y" | "--yes"))
                    || matches!(a.name.as_deref(), Some("-y" | "--yes"))
            });
            if !says_yes {
                before.extend(fixed(&["-y"]));
            }
            before.extend(runtime_args);
            after.extend(fixed(&[&reference]));
            after.extend(package_args);
        }
        PackageKind::Pypi => {
            before.extend(runtime_args);
            after.extend(fixed(&[&reference]));
            after.extend(package_args);
        }
        PackageKind::Oci => {
            before.extend(fixed(&["run", "-i", "--rm"]));
            before.extend(runtime_args);
            after.extend(fixed(&[&reference]));
            after.extend(package_args);
        }
        PackageKind::Nuget => {
            before.extend(runtime_args);
            after.extend(fixed(&[&reference, "--yes"]));
            if !package_args.is_empty() {
                after.extend(fixed(&["--"]));
                after.extend(package_args);
            }
        }
    }
    Shape::Stdio { command, before, pass_env: kind == PackageKind::Oci, after, env }
}

/// Whether an image reference already names its tag or digest (`image:1.2`, `image@sha256:..`).
fn image_has_tag(identifier: &str) -> bool {
    let last = identifier.rsplit('/').next().unwrap_or(identifier);
    last.contains(':') || last.contains('@')
}

fn arguments(arguments: &[Argument], prefix: &str, questions: &mut Vec<Question>) -> Vec<ArgPiece> {
    let mut pieces = Vec::new();
    for (index, argument) in arguments.iter().enumerate() {
        let tag = argument
            .name
            .clone()
            .or_else(|| argument.value_hint.clone())
            .unwrap_or_else(|| index.to_string());
        let key = format!("{prefix}:{tag}");
        match (argument.kind.eq_ignore_ascii_case("named"), &argument.name) {
            (true, Some(name)) => {
                let input = &argument.input;
                let bare_flag = input.value.is_none() && input.default.is_none() && !input.is_required;
                if bare_flag {
                    // A flag with no value to give: nothing says to set it, so it is left out.
                    continue;
                }
                let label = format!("argument {tag}");
                let value = Template::of_input(&key, &label, input, questions);
                pieces.push(ArgPiece { values: vec![Template::text(name.clone()), value], label });
            }
            _ => {
                let label = format!("argument <{tag}>");
                let value = Template::of_input(&key, &label, &argument.input, questions);
                pieces.push(ArgPiece { values: vec![value], label });
            }
        }
    }
    pieces
}

fn env_slot(var: &KeyValueInput, questions: &mut Vec<Question>) -> (String, Template) {
    let key = format!("env:{}", var.name);
    let label = format!("environment variable {}", var.name);
    (var.name.clone(), Template::of_input(&key, &label, &var.input, questions))
}

fn remote_shape(kind: RemoteKind, remote: &RemoteTransport, questions: &mut Vec<Question>) -> Shape {
    let url_input = super::model::Input {
        value: remote.url.clone(),
        variables: remote.variables.clone(),
        is_required: true,
        ..Default::default()
    };
    let url = Template::of_input("url", "the URL", &url_input, questions);
    let headers = remote
        .headers
        .iter()
        .map(|header| {
            let key = format!("header:{}", header.name);
            let label = format!("header {}", header.name);
            (header.name.clone(), Template::of_input(&key, &label, &header.input, questions))
        })
        .collect();
    Shape::Remote { kind, url, headers }
}

/// Words joined for a person to read, each quoted when a shell would split it; the entry's
/// `<placeholders>` and `%` stay bare.
fn shell_words(words: &[String]) -> String {
    words.iter().map(|word| crate::shell_quote::quoted_unless(word, "%<>")).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(server: serde_json::Value) -> Entry {
        Entry::from_value(server).unwrap()
    }

    fn answers(pairs: &[(&str, &str)]) -> Answers {
        let mut answers = Answers::new();
        for (key, value) in pairs {
            answers.set(*key, Secret::new(*value));
        }
        answers
    }

    #[test]
    fn an_npm_package_runs_with_npx_and_its_secret_goes_to_the_keychain() {
        let entry = entry(serde_json::json!({
            "name": "io.github.example/weather", "version": "1.2.0",
            "packages": [{
                "registryType": "npm", "identifier": "@example/weather", "version": "1.2.0",
                "packageArguments": [
                    {"type": "named", "name": "--units", "default": "metric"},
                    {"type": "positional", "valueHint": "city", "isRequired": true}
                ],
                "environmentVariables": [
                    {"name": "API_KEY", "isRequired": true, "isSecret": true},
                    {"name": "LOG", "default": "info"},
                    {"name": "OPTIONAL"}
                ]
            }]
        }));
        let plan = Plan::new("https://r.example", &entry, None).unwrap();
        assert_eq!(plan.preview(), "npx -y @example/weather@1.2.0 --units metric <city>");
        let asked: Vec<_> = plan.questions.iter().filter(|q| q.must_ask()).map(|q| q.key.as_str()).collect();
        assert_eq!(asked, ["arg:city", "env:API_KEY"]);

        let built = plan.build(&answers(&[("arg:city", "Oslo"), ("env:API_KEY", "k3y")]), None).unwrap();
        assert_eq!(built.shown, "npx -y @example/weather@1.2.0 --units metric Oslo");
        let Transport::Stdio { command, args, env, .. } = &built.transport else { panic!("stdio") };
        assert_eq!(command, "npx");
        assert!(!args.iter().any(|a| a.contains("k3y")), "no secret on the command line: {args:?}");
        assert_eq!(env.get("API_KEY"), Some(&ConfigValue::Secret(SecretRef::env("API_KEY"))));
        assert_eq!(env.get("LOG"), Some(&ConfigValue::Text("info".into())));
        assert!(!env.contains_key("OPTIONAL"), "an optional value without an answer is left out");
        assert_eq!(built.secrets.len(), 1);
        assert_eq!(built.secrets[0].1.expose(), "k3y");
        assert_eq!(
            built.secrets_kept().as_deref(),
            Some("Kept in the keychain, not in the profile file: API_KEY"),
            "the words the CLI prints and the window shows"
        );
        assert_eq!(plan.suggested_id().as_str(), "weather");
    }

    #[test]
    fn pypi_oci_and_nuget_packages_run_with_their_runtimes() {
        let entry = entry(serde_json::json!({
            "name": "com.example/multi", "version": "3.1.0",
            "packages": [
                {"registryType": "pypi", "identifier": "multi-mcp", "version": "3.1.0"},
                {"registryType": "oci", "identifier": "docker.io/example/multi", "version": "3.1.0",
                 "runtimeArguments": [{"type": "named", "name": "--network", "value": "host"}],
                 "environmentVariables": [{"name": "TOKEN", "isRequired": true, "isSecret": true}]},
                {"registryType": "nuget", "identifier": "Example.Multi", "version": "3.1.0",
                 "packageArguments": [{"type": "positional", "value": "mcp"}]},
                {"registryType": "mcpb", "identifier": "https://example.com/x.mcpb"}
            ]
        }));
        let plan = |index| Plan::new("r", &entry, Some(Choice::Package(index))).unwrap();
        assert_eq!(plan(0).preview(), "uvx multi-mcp==3.1.0");
        assert_eq!(
            plan(1).preview(),
            "docker run -i --rm --network host -e TOKEN docker.io/example/multi:3.1.0"
        );
        let built = plan(1).build(&answers(&[("env:TOKEN", "s3cret")]), None).unwrap();
        assert!(!built.shown.contains("s3cret"), "{}", built.shown);
        assert_eq!(plan(2).preview(), "dnx Example.Multi@3.1.0 --yes -- mcp");
        let refused = Plan::new("r", &entry, Some(Choice::Package(3)));
        assert!(matches!(refused, Err(CatalogError::NothingToAdd { .. })), "{refused:?}");
    }

    #[test]
    fn a_remote_gets_its_url_variables_and_secret_headers() {
        let entry = entry(serde_json::json!({
            "name": "com.example/remote", "version": "1.0.0",
            "remotes": [{
                "type": "streamable-http", "url": "https://{tenant}.example.com/mcp",
                "variables": {"tenant": {"isRequired": true}},
                "headers": [{"name": "X-Api-Key", "isRequired": true, "isSecret": true},
                            {"name": "X-Region", "default": "eu"}]
            }, {"type": "websocket", "url": "wss://example.com"}]
        }));
        let plan = Plan::new("r", &entry, None).unwrap();
        assert!(plan.is_remote());
        assert_eq!(plan.preview(), "https://<tenant>.example.com/mcp");
        let built =
            plan.build(&answers(&[("url/tenant", "acme"), ("header:X-Api-Key", "abc")]), None).unwrap();
        let Transport::Http { url, headers } = &built.transport else { panic!("http") };
        assert_eq!(url, "https://acme.example.com/mcp");
        assert_eq!(headers.get("X-Api-Key"), Some(&ConfigValue::Secret(SecretRef::header("X-Api-Key"))));
        assert_eq!(headers.get("X-Region"), Some(&ConfigValue::Text("eu".into())));
        assert!(offers(&entry.server)[1].unsupported.is_some(), "an unknown transport is named, not planned");
    }

    #[test]
    fn an_update_keeps_the_values_the_source_already_has() {
        let entry = entry(serde_json::json!({
            "name": "io.github.example/weather", "version": "2.0.0",
            "packages": [{"registryType": "npm", "identifier": "@example/weather", "version": "2.0.0",
                          "environmentVariables": [{"name": "API_KEY", "isRequired": true, "isSecret": true},
                                                   {"name": "UNITS", "default": "metric"}]}]
        }));
        let plan = Plan::new("r", &entry, None).unwrap();
        let before = Transport::Stdio {
            command: "npx".into(),
            args: vec![],
            env: BTreeMap::from([
                ("API_KEY".to_owned(), ConfigValue::Secret(SecretRef::env("API_KEY"))),
                ("UNITS".to_owned(), ConfigValue::Text("imperial".into())),
            ]),
            cwd: None,
        };
        let built = plan.build(&Answers::new(), Some(&before)).unwrap();
        let Transport::Stdio { args, env, .. } = &built.transport else { panic!("stdio") };
        assert_eq!(args, &["-y", "@example/weather@2.0.0"]);
        assert_eq!(
            env.get("UNITS"),
            Some(&ConfigValue::Text("imperial".into())),
            "the person's setting stays"
        );
        assert_eq!(env.get("API_KEY"), Some(&ConfigValue::Secret(SecretRef::env("API_KEY"))));
        assert!(built.secrets.is_empty(), "the kept secret is not asked for nor stored again");
    }

    #[test]
    fn a_secret_argument_is_refused_rather_than_put_on_the_command_line() {
        let entry = entry(serde_json::json!({
            "name": "com.example/leaky", "version": "1",
            "packages": [{"registryType": "npm", "identifier": "leaky", "version": "1",
                          "packageArguments": [{"type": "named", "name": "--token", "isRequired": true, "isSecret": true}]}]
        }));
        let plan = Plan::new("r", &entry, None).unwrap();
        let built = plan.build(&answers(&[("arg:--token", "x")]), None);
        assert!(matches!(built, Err(CatalogError::SecretOnCommandLine { .. })), "{built:?}");
    }
}
