//! The `lanyard` command line: every command, flag and help text, and nothing else.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use lanyard::agents::AgentName;
use lanyard::ids::SourceId;
use lanyard::profile::Sandbox;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  failure not covered below (including a tool that reported an error)
  2  usage error (bad flags or arguments)
  3  connection error: the server could not be started or reached, or broke the protocol
  4  sign-in needed: run `lanyard connect <id>`
  5  profile error: the profile file or a profile is invalid, or a source does not exist
  6  keychain error: the OS keychain is missing, locked or refused access

Environment:
  LANYARD_CONFIG_DIR  folder of profiles.toml (default: the OS config folder + /lanyard)
  LANYARD_DATA_DIR    folder of logs (default: the OS data folder + /lanyard)
  LANYARD_KEYCHAIN    secret-service (default on Linux) or keyutils (kernel keyring, forgets at reboot)
  LANYARD_CATALOG_TIMEOUT  seconds one request to an MCP registry may take (default: 20)
  LANYARD_LOG         log filter for stderr, e.g. debug or lanyard=trace (default: Lanyard's own warnings; RUST_LOG too)";

/// Keeps your MCP server connections and their credentials in one place.
#[derive(Debug, Parser)]
#[command(name = "lanyard", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add, list, show, edit or remove connection profiles.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Create profiles from an MCP client's config file, or take over a client's servers
    /// (`--from <client>`, `--from all`).
    Import(ImportArgs),
    /// List the tools a source offers (after its tool filters).
    Tools(ToolsArgs),
    /// Call one tool of a source and print its result.
    Call(CallArgs),
    /// Show each source's state, or one source's.
    Status(StatusArgs),
    /// Sign a source in (opens the browser for OAuth; gets a token for client credentials).
    Connect(ConnectArgs),
    /// Sign a source in again, replacing its tokens.
    Reconnect(ConnectArgs),
    /// Forget a source's tokens, revoking them at the server where it allows.
    Disconnect(DisconnectArgs),
    /// Serve one source, or every enabled source merged (`--all`), to an agent over stdio.
    Bridge(BridgeArgs),
    /// Serve every source over streamable HTTP on 127.0.0.1, at /mcp/<source>, all merged at /mcp.
    Serve(ServeArgs),
    /// Print the token agents send to `lanyard serve` (made on first use, kept in the keychain).
    BridgeToken,
    /// List the agents and IDEs Lanyard knows: installed or not, their config files, how many
    /// servers each holds and how many go through Lanyard.
    Clients(JsonFlag),
    /// Print the MCP config snippet that points a client at `lanyard bridge`, or write it into
    /// the client's file (`--write`), or undo that (`--undo`).
    Config(ConfigArgs),
    /// Show what happened to a source: connects, sign-ins, refreshes, disconnects, bridge
    /// sessions and agents' calls; or, with --agent, what one agent called.
    Logs(LogsArgs),
    /// Add, list, show, edit or remove agents: who may call the bridge, and what each may reach.
    #[command(subcommand)]
    Agent(AgentCommand),
    /// Check the keychain, the bridge port, each source and the IDE configs; say what to fix.
    Doctor(DoctorArgs),
    /// Print a redacted bundle (versions, OS, sources without secrets, recent activity, doctor)
    /// to attach to a bug report.
    Diagnostics(DiagnosticsArgs),
    /// Find servers in MCP registries and add them as sources.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Starts a stdio server inside its fence; Lanyard runs this itself (see docs/sandbox.md).
    #[command(hide = true)]
    SandboxExec(SandboxExecArgs),
}

/// `lanyard sandbox-exec`: the fence's folders, network and report file, then the server.
#[derive(Debug, Args)]
pub struct SandboxExecArgs {
    /// Where to write what the kernel enforced.
    #[arg(long, value_name = "FILE")]
    pub report: PathBuf,
    #[arg(long, value_name = "PATH")]
    pub read: Vec<PathBuf>,
    #[arg(long, value_name = "PATH")]
    pub write: Vec<PathBuf>,
    #[arg(long, value_name = "NETWORK", value_parser = ["none", "loopback", "any"])]
    pub network: String,
    /// The most private writable memory, in MB (RLIMIT_DATA).
    #[arg(long, value_name = "MB")]
    pub memory_mb: Option<u64>,
    /// The most open files (RLIMIT_NOFILE).
    #[arg(long, value_name = "N")]
    pub open_files: Option<u64>,
    /// The server's command and arguments, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Search the registries for servers whose name, title or description hold every word.
    Search(CatalogSearchArgs),
    /// Show a server: its versions, what it runs, what it needs, and whether it checks out.
    Show(CatalogShowArgs),
    /// Add a server as a source, or a newer version over the source made from it. Shows the
    /// exact command or URL and asks before saving; required secrets go to the keychain.
    Add(CatalogAddArgs),
    /// List the sources whose registry entry has a newer version.
    Outdated(CatalogOutdatedArgs),
    /// List, add or remove the registries the catalogue reads.
    #[command(subcommand)]
    Registry(RegistryCommand),
}

/// `--registry`, taken by every catalogue command.
#[derive(Debug, Args)]
pub struct RegistryChoice {
    /// Use only this registry: an http(s) URL, or a folder of server.json files.
    #[arg(long, value_name = "URL")]
    pub registry: Option<String>,
}

#[derive(Debug, Args)]
pub struct CatalogSearchArgs {
    /// Words the server's name, title or description must hold.
    #[arg(required = true)]
    pub words: Vec<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub registry: RegistryChoice,
}

#[derive(Debug, Args)]
pub struct CatalogShowArgs {
    /// The server's name in the registry, e.g. io.github.owner/server.
    pub name: String,
    /// A version other than the latest.
    #[arg(long)]
    pub version: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub registry: RegistryChoice,
}

/// What of an entry to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunsChoice {
    Npm,
    Pypi,
    Oci,
    Nuget,
    Remote,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Without a terminal, --yes is needed, and the values the server requires (secrets included) are
read from stdin, one line each, in the order the command lists them. --set gives a value that is
not secret on the command line.")]
pub struct CatalogAddArgs {
    /// The server's name in the registry, e.g. io.github.owner/server.
    pub name: String,
    /// A version other than the latest.
    #[arg(long)]
    pub version: Option<String>,
    /// The new source's id (default: from the server's name; an update finds the source made
    /// from the same server).
    #[arg(long = "as", value_name = "ID")]
    pub id: Option<SourceId>,
    /// Run this kind of package, or the remote endpoint (default: the first package Lanyard can
    /// run, else the remote).
    #[arg(long = "use", value_enum, value_name = "KIND")]
    pub runs: Option<RunsChoice>,
    /// A value that is not secret: `NAME=value`, NAME being the environment variable, header or
    /// argument the server asks for.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Save without asking (for scripts).
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub registry: RegistryChoice,
}

#[derive(Debug, Args)]
pub struct CatalogOutdatedArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub registry: RegistryChoice,
}

#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// List the registries the catalogue reads, in order.
    List(JsonFlag),
    /// Add a registry: an http(s) URL, or a folder of server.json files.
    Add(RegistryAddressArg),
    /// Remove a registry.
    Rm(RegistryAddressArg),
}

#[derive(Debug, Args)]
pub struct RegistryAddressArg {
    /// An http(s) URL, or a folder of server.json files.
    pub address: String,
}

#[derive(Debug, Args)]
#[command(override_usage = "lanyard logs <ID> [--json]\n       lanyard logs --agent <NAME> [--json]")]
pub struct LogsArgs {
    #[arg(required_unless_present = "agent")]
    pub id: Option<SourceId>,
    /// Show the calls of this agent (with a source id: on that source only).
    #[arg(long, value_name = "NAME")]
    pub agent: Option<AgentName>,
    /// How many of the newest entries to show.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// The bridge port to check.
    #[arg(long, default_value_t = lanyard::bridge::DEFAULT_PORT)]
    pub port: u16,
    /// Remove this install's keychain entries that no source or agent owns (other installs' entries are
    /// never touched).
    #[arg(long)]
    pub prune: bool,
}

#[derive(Debug, Args)]
pub struct DiagnosticsArgs {
    /// Accepted for symmetry with `doctor`; `diagnostics` always prints JSON.
    #[arg(long)]
    pub json: bool,
    /// The bridge port to check.
    #[arg(long, default_value_t = lanyard::bridge::DEFAULT_PORT)]
    pub port: u16,
}

#[derive(Debug, Args)]
#[command(
    override_usage = "lanyard bridge <ID> [--agent <NAME>]\n       lanyard bridge --all [--agent <NAME>]",
    after_help = "\
With --all, tools and prompts are named `<source>__<name>` (only A-Z a-z 0-9 _ -, at most 64
characters; a name that had to be cleaned, was too long or collides gets `_` and 8 hex digits of
a hash); resources keep their URIs. Sources that are disabled, need sign-in or are down are left
out, with the reason logged on stderr.

With --agent, the bridge serves as that agent (only its sources and tools) and must prove it: the
agent's key in LANYARD_AGENT_TOKEN, which `lanyard config <client> --agent <name>` writes into the
client's entry. Without the key, or with a wrong one, it refuses to start (exit code 2)."
)]
pub struct BridgeArgs {
    /// The source to serve.
    #[arg(required_unless_present = "all")]
    pub id: Option<SourceId>,
    /// Serve every enabled source as one merged MCP server.
    #[arg(long, conflicts_with = "id")]
    pub all: bool,
    /// Connect to the source from this process even when `lanyard serve` or the desktop app
    /// runs (by default the bridge goes through it, so that one process refreshes the tokens).
    #[arg(long)]
    pub no_hub: bool,
    /// Serve as this agent (see `lanyard agent`); its key must be in LANYARD_AGENT_TOKEN.
    #[arg(long, value_name = "NAME")]
    pub agent: Option<AgentName>,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Every request needs `Authorization: Bearer <token>` (see `lanyard bridge-token`), a loopback
Host with this port, and, when a browser sends one, a loopback Origin. The first line on stdout
is `listening on http://127.0.0.1:<port>`.")]
pub struct ServeArgs {
    /// The port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = lanyard::bridge::DEFAULT_PORT)]
    pub port: u16,
}

/// Which of a client's config files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    /// The person's own file (the default where the client has one).
    User,
    /// The file in the current folder's project.
    Project,
}

#[derive(Debug, Args)]
#[command(
    group(clap::ArgGroup::new("action").args(["write", "undo"])),
    after_help = "`lanyard clients` lists the clients and their files. Every entry runs `lanyard bridge <id>` over\nstdio, so no credential is written into a client's file; with --agent, the agent's own key is\n(LANYARD_AGENT_TOKEN), which opens only what that agent may use (see `lanyard agent`)."
)]
pub struct ConfigArgs {
    /// The agent or IDE to configure (`lanyard clients` lists them).
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(
        lanyard::clients::catalogue().iter().map(|client| client.id)
    ))]
    pub client: String,
    /// Which of the client's files (default: the user's, where the client has one).
    #[arg(long, value_enum)]
    pub scope: Option<ScopeArg>,
    /// Only these sources (repeatable; default: every enabled source).
    #[arg(long = "source", value_name = "ID", conflicts_with = "undo")]
    pub sources: Vec<SourceId>,
    /// Entries for this agent (every enabled source it may use, unless --source): the hub's
    /// `/mcp/<id>` with the agent's key as bearer token, read from LANYARD_AGENT_TOKEN_<NAME>, for a
    /// client that takes HTTP entries; `lanyard bridge <id> --agent <name>` with the key in the
    /// entry's environment otherwise.
    #[arg(long, value_name = "NAME", conflicts_with = "undo")]
    pub agent: Option<AgentName>,
    /// With --agent: how the entries reach the hub (default: http where the client takes it).
    #[arg(long, value_enum, requires = "agent")]
    pub transport: Option<EntryTransport>,
    /// With --agent over http: the hub's port (default: the running `lanyard serve`'s or desktop
    /// app's, else 7587).
    #[arg(long, requires = "agent")]
    pub port: Option<u16>,
    /// Merge the entries into the client's config file (other entries, comments and layout
    /// kept, the old file kept beside it as `<file>.lanyard-backup`) instead of printing them.
    #[arg(long)]
    pub write: bool,
    /// Put back the client's file as it was before the last --write.
    #[arg(long, conflicts_with = "write")]
    pub undo: bool,
    /// The config file for --write or --undo (default: the client's own for the scope).
    #[arg(long, value_name = "PATH", requires = "action")]
    pub file: Option<std::path::PathBuf>,
}

/// How `lanyard config --agent` entries reach the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EntryTransport {
    Stdio,
    Http,
}

#[derive(Debug, Subcommand)]
#[command(after_help = "\
Every agent has its own key: the bearer token it sends to `lanyard serve`, or, for a stdio
entry, the key in LANYARD_AGENT_TOKEN that `lanyard bridge --agent <name>` checks. The built-in
agent `default` holds the bridge token and may use everything.")]
pub enum AgentCommand {
    /// Add an agent. Without --source it may use every source; without --tool, every tool.
    #[command(after_help = "\
Examples:
  lanyard agent add cursor --source tracker --tool tracker:search --tool tracker:get_issue
  lanyard agent add scratch --source test-server --no-resources --no-prompts")]
    Add(AgentAddArgs),
    /// List the agents.
    List(JsonFlag),
    /// Show one agent's sources, tools and rights.
    Show(AgentShowArgs),
    /// Change an agent. Flags given change those rights; others stay.
    Edit(AgentEditArgs),
    /// Remove an agent and its key.
    #[command(visible_alias = "remove")]
    Rm(AgentNameArg),
    /// Print an agent's key: the bearer token it sends to `lanyard serve`.
    Token(AgentNameArg),
    /// Give an agent a new key; the old one stops working at once.
    Rotate(AgentNameArg),
}

#[derive(Debug, Args)]
pub struct AgentNameArg {
    pub name: AgentName,
}

#[derive(Debug, Args)]
pub struct AgentShowArgs {
    pub name: AgentName,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AgentAddArgs {
    /// Lowercase letters, digits, `-` and `_`; `default` is built in.
    pub name: AgentName,
    #[command(flatten)]
    pub rights: AgentRights,
}

#[derive(Debug, Args)]
pub struct AgentEditArgs {
    pub name: AgentName,
    #[command(flatten)]
    pub rights: AgentRights,
    /// Let it use every source again.
    #[arg(long, conflicts_with_all = ["sources", "remove_source"])]
    pub all_sources: bool,
    /// Take a source away (repeatable).
    #[arg(long, value_name = "ID")]
    pub remove_source: Vec<SourceId>,
    /// Take a tool away, `SOURCE:TOOL` (repeatable).
    #[arg(long, value_name = "SOURCE:TOOL")]
    pub remove_tool: Vec<String>,
    /// Let it use every tool of a source again (repeatable).
    #[arg(long, value_name = "ID")]
    pub all_tools: Vec<SourceId>,
}

/// The rights `agent add` sets and `agent edit` adds to.
#[derive(Debug, Args)]
pub struct AgentRights {
    /// A source it may use (repeatable; without any: every source).
    #[arg(long = "source", value_name = "ID")]
    pub sources: Vec<SourceId>,
    /// A tool it may use, `SOURCE:TOOL`, the name as the source exposes it (repeatable; a
    /// source with none: every tool).
    #[arg(long = "tool", value_name = "SOURCE:TOOL")]
    pub tools: Vec<String>,
    /// Let it use resources.
    #[arg(long, conflicts_with = "no_resources")]
    pub resources: bool,
    /// Keep it from resources.
    #[arg(long)]
    pub no_resources: bool,
    /// Let it use prompts.
    #[arg(long, conflicts_with = "no_prompts")]
    pub prompts: bool,
    /// Keep it from prompts.
    #[arg(long)]
    pub no_prompts: bool,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Add a profile: `--url` for an HTTP or SSE server, or `-- <command> [args...]` for stdio.
    #[command(after_help = "\
Examples:
  lanyard profile add everything -- npx -y @modelcontextprotocol/server-everything
  lanyard profile add remote --url https://mcp.example.com/mcp --header-secret Authorization
  lanyard profile add local --url http://127.0.0.1:3001/mcp --header 'X-Team: ${TEAM:-core}'

Secrets are never taken as plain command-line values: --header-secret and --env-secret read the
value from standard input (one line each, in the order given) or ask on a terminal, and the
--*-env flags read it from an environment variable. The value goes to the OS keychain; the
profile keeps only a reference.")]
    Add(AddArgs),
    /// List profiles.
    List(JsonFlag),
    /// Show one profile (secrets show as references, with whether they are set).
    Show(ShowArgs),
    /// Change a profile. Flags given replace those settings; others stay.
    Edit(EditArgs),
    /// Remove a profile and its secrets from the keychain.
    #[command(visible_alias = "remove")]
    Rm(RmArgs),
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The source id: lowercase letters, digits, `-` and `_`.
    pub id: SourceId,
    #[command(flatten)]
    pub settings: ProfileSettings,
    /// The command and arguments of a stdio server, after `--`.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    pub id: SourceId,
    #[command(flatten)]
    pub settings: ProfileSettings,
    /// Enable the source.
    #[arg(long, conflicts_with = "disable")]
    pub enable: bool,
    /// Disable the source (agents no longer see it).
    #[arg(long)]
    pub disable: bool,
    /// Remove a header (repeatable).
    #[arg(long, value_name = "NAME")]
    pub remove_header: Vec<String>,
    /// Remove an environment variable (repeatable).
    #[arg(long, value_name = "NAME")]
    pub remove_env: Vec<String>,
    /// Stop trusting the source's own CA bundle.
    #[arg(long, conflicts_with = "ca_bundle")]
    pub no_ca_bundle: bool,
    /// Replace the command and arguments of a stdio server, after `--`.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// Settings shared by `profile add`, `profile edit` and the one-off `--url` mode.
#[derive(Debug, Args, Default)]
pub struct ProfileSettings {
    /// Display name.
    #[arg(long)]
    pub name: Option<String>,
    /// Server URL (streamable HTTP or SSE).
    #[arg(long)]
    pub url: Option<String>,
    /// Transport for --url. `sse` is the deprecated HTTP+SSE transport of MCP 2024-11-05.
    #[arg(long, value_enum)]
    pub transport: Option<HttpTransport>,
    /// A header sent to the server, `Name: value`; `${VAR}` and `${VAR:-default}` expand at
    /// connect time (repeatable). Credentials belong in --header-secret or a ${VAR}.
    #[arg(long, value_name = "NAME: VALUE")]
    pub header: Vec<String>,
    /// A secret header: its value is read from stdin (or asked for) and kept in the keychain.
    #[arg(long, value_name = "NAME")]
    pub header_secret: Vec<String>,
    /// A secret header whose value is read now from an environment variable and kept in the
    /// keychain.
    #[arg(long, value_name = "NAME=VAR")]
    pub header_secret_env: Vec<String>,
    /// A header whose value a password manager keeps, `NAME=REFERENCE` (`op://vault/item/field`,
    /// `bw://item[/field]`, `pass://path` or `keychain://service/account`): read when a
    /// connection needs it, never stored (repeatable).
    #[arg(long, value_name = "NAME=REF")]
    pub header_ref: Vec<String>,
    /// An environment variable for a stdio server, `NAME=value` (`${VAR}` expands at start).
    #[arg(long, value_name = "NAME=VALUE")]
    pub env: Vec<String>,
    /// A secret environment variable: its value is read from stdin (or asked for) and kept in
    /// the keychain.
    #[arg(long, value_name = "NAME")]
    pub env_secret: Vec<String>,
    /// A secret environment variable read now from another environment variable.
    #[arg(long, value_name = "NAME=VAR")]
    pub env_secret_env: Vec<String>,
    /// A secret environment variable whose value a password manager keeps, `NAME=REFERENCE`
    /// (as for --header-ref): read when the server starts, never stored.
    #[arg(long, value_name = "NAME=REF")]
    pub env_ref: Vec<String>,
    /// Working folder for a stdio server.
    #[arg(long)]
    pub cwd: Option<PathBuf>,
    /// Fence a stdio server (Linux): how far it may reach on the network, `none` (no TCP),
    /// `loopback` (stored, but the kernel cannot enforce it: see docs/sandbox.md) or `any`.
    /// Any --sandbox-* flag turns the fence on.
    #[arg(long, value_name = "NETWORK", value_parser = ["none", "loopback", "any"])]
    pub sandbox_network: Option<String>,
    /// A folder or file the fenced server may read, beyond the presets (repeatable; replaces
    /// the saved list).
    #[arg(long, value_name = "PATH")]
    pub sandbox_read: Vec<PathBuf>,
    /// A folder or file the fenced server may read and write, beyond the presets (repeatable;
    /// replaces the saved list).
    #[arg(long, value_name = "PATH")]
    pub sandbox_write: Vec<PathBuf>,
    /// The most memory the fenced server may use, in MB (its private writable memory,
    /// RLIMIT_DATA; see docs/sandbox.md). No limit unless given.
    #[arg(long, value_name = "MB", value_parser = clap::value_parser!(u64).range(Sandbox::MEMORY_MB))]
    pub sandbox_memory: Option<u64>,
    /// The most files and sockets the fenced server may hold open at once (RLIMIT_NOFILE).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(Sandbox::OPEN_FILES))]
    pub sandbox_open_files: Option<u64>,
    /// Run the stdio server without a fence (removes the fence, its lists and its limits).
    #[arg(
        long,
        conflicts_with_all = ["sandbox_network", "sandbox_read", "sandbox_write", "sandbox_memory", "sandbox_open_files"]
    )]
    pub no_sandbox: bool,
    /// What agents get when the server changes a tool's definition after it was approved, or
    /// adds a tool: `ask` (withheld until approved with `lanyard tools <id> --review`, the
    /// default), `allow` (accepted and pinned at once) or `block` (the whole source withheld
    /// while a change waits). See docs/security.md.
    #[arg(long, value_name = "SETTING", value_parser = ["ask", "allow", "block"])]
    pub tool_changes: Option<String>,
    /// The tools of the source's first listing wait for review too, instead of being trusted on
    /// first use.
    #[arg(long, conflicts_with = "no_review_first")]
    pub review_first: bool,
    /// Trust the first listing of the source's tools (the default).
    #[arg(long)]
    pub no_review_first: bool,
    /// A PEM file of extra CAs trusted for this source's server and sign-in (http, sse), on top
    /// of the OS store and `LANYARD_CA_BUNDLE`; `${VAR}` expands at connect time.
    #[arg(long, value_name = "PATH")]
    pub ca_bundle: Option<PathBuf>,
    /// Seconds allowed to start and initialize the connection.
    #[arg(long, value_name = "SECONDS")]
    pub connect_timeout: Option<u64>,
    /// Seconds allowed for one request.
    #[arg(long, value_name = "SECONDS")]
    pub request_timeout: Option<u64>,
    /// The MCP revision to speak: `auto` (ask the server, the default), `2026-07-28`,
    /// `2025-11-25` or `2025-06-18`.
    #[arg(long, value_name = "REVISION")]
    pub protocol: Option<lanyard::profile::Protocol>,
    /// What the merged server (`bridge --all`, `/mcp`) puts before this source's tool and
    /// prompt names, as `PREFIX__name`; `""` for none (default: the source id).
    #[arg(long, value_name = "PREFIX")]
    pub merged_prefix: Option<String>,
    /// Only these tools are exposed (repeatable).
    #[arg(long, value_name = "TOOL")]
    pub include: Vec<String>,
    /// These tools are hidden and cannot be called (repeatable).
    #[arg(long, value_name = "TOOL")]
    pub exclude: Vec<String>,
    /// Expose a tool under another name, `tool=alias` (repeatable).
    #[arg(long, value_name = "TOOL=ALIAS")]
    pub alias: Vec<String>,
    /// Replace a tool's description, `tool=text` (repeatable).
    #[arg(long, value_name = "TOOL=TEXT")]
    pub description: Vec<String>,
    #[command(flatten)]
    pub auth: AuthSettings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HttpTransport {
    Http,
    Sse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthKind {
    None,
    Headers,
    Oauth,
    ClientCredentials,
    /// Enterprise-managed authorization: one sign-in at the identity provider for every source.
    Enterprise,
    Passthrough,
}

/// How the source authenticates. Sign-in itself is `lanyard connect`.
#[derive(Debug, Args, Default)]
pub struct AuthSettings {
    /// Auth kind (default: `headers` when headers are given, else `none`).
    #[arg(long, value_enum)]
    pub auth: Option<AuthKind>,
    /// A pre-registered OAuth client id (oauth, client-credentials).
    #[arg(long)]
    pub client_id: Option<String>,
    /// Read the OAuth client secret from this environment variable into the keychain.
    #[arg(long, value_name = "VAR")]
    pub client_secret_env: Option<String>,
    /// The OAuth client secret kept in a password manager (`op://...`, as for --header-ref):
    /// read at each token request, never stored.
    #[arg(long, value_name = "REF")]
    pub client_secret_ref: Option<String>,
    /// Authenticate with a private key instead of a secret (`private_key_jwt`, client-credentials):
    /// the PEM file is read once into the keychain, and each token request carries a fresh
    /// assertion signed with it.
    #[arg(long, value_name = "PEM_FILE")]
    pub client_key_file: Option<PathBuf>,
    /// Workload identity (client-credentials): present the JWT the platform keeps in this file
    /// (a Kubernetes projected token, a cloud workload identity token) with the JWT bearer grant
    /// instead of a secret or key; read at each token request, never copied.
    #[arg(long, value_name = "JWT_FILE")]
    pub assertion_file: Option<PathBuf>,
    /// The client key's signing algorithm: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384
    /// or EdDSA (default: from the key, RS256 for RSA, ES256 for P-256, ES384 for P-384).
    #[arg(long, value_name = "ALG")]
    pub client_key_alg: Option<lanyard::profile::KeyAlg>,
    /// The authorization server (issuer) the pre-registered client belongs to (oauth,
    /// client-credentials): its secret or key is shown to no other. Without it, the issuer of
    /// the source's current tokens counts.
    #[arg(long, value_name = "ISSUER")]
    pub client_issuer: Option<String>,
    /// A Client ID Metadata Document URL (oauth).
    #[arg(long, value_name = "URL")]
    pub client_metadata_url: Option<String>,
    /// Scopes to request, space-separated.
    #[arg(long, value_name = "SCOPES")]
    pub scope: Option<String>,
    /// A fixed loopback port for the sign-in redirect (oauth).
    #[arg(long, value_name = "PORT")]
    pub redirect_port: Option<u16>,
    /// Do not send the RFC 8707 `resource` parameter (oauth; Entra v2 rejects it).
    #[arg(long)]
    pub no_resource_param: bool,
    /// Accept discovered OAuth endpoints in a private network (10.x, 192.168.x, localhost, ...)
    /// although the MCP server is public (oauth, client-credentials).
    #[arg(long)]
    pub allow_private_network: bool,
    /// An extra authorization request parameter, `name=value`, e.g. `prompt=select_account`.
    #[arg(long, value_name = "NAME=VALUE")]
    pub auth_param: Vec<String>,
    /// The token endpoint (client-credentials; discovered when left out).
    #[arg(long, value_name = "URL")]
    pub token_url: Option<String>,
    /// The identity provider's issuer (enterprise).
    #[arg(long, value_name = "URL")]
    pub idp_issuer: Option<String>,
    /// Lanyard's client id at the identity provider (enterprise).
    #[arg(long, value_name = "ID")]
    pub idp_client_id: Option<String>,
    /// The identity provider's token endpoint (enterprise; discovered from the issuer when left
    /// out).
    #[arg(long, value_name = "URL")]
    pub idp_token_endpoint: Option<String>,
    /// Header that carries an extra service token (client-credentials).
    #[arg(long, value_name = "NAME")]
    pub service_token_header: Option<String>,
    /// Read the extra service token from this environment variable into the keychain.
    #[arg(long, value_name = "VAR")]
    pub service_token_env: Option<String>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    pub id: SourceId,
    /// Print JSON instead of TOML.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    pub id: SourceId,
}

#[derive(Debug, Args)]
#[command(after_help = "\
--from reads a client's own (user) file, never a project's: a repository's .mcp.json is not
imported unless it is named as a file. Secrets found in env and headers go to the keychain.")]
pub struct ImportArgs {
    /// claude_desktop_config.json, ~/.cursor/mcp.json, .vscode/mcp.json, ...
    #[arg(required_unless_present = "from", conflicts_with = "from")]
    pub file: Option<PathBuf>,
    /// Import the servers of this client's user file (`all`: of every installed client).
    #[arg(long, value_name = "CLIENT", value_parser = clap::builder::PossibleValuesParser::new(
        lanyard::clients::catalogue().iter().map(|client| client.id).chain(["all"])
    ))]
    pub from: Option<String>,
    /// With --from: replace the imported entries in the client's file by ones that run
    /// `lanyard bridge` (the old file kept; `lanyard config <client> --undo` reverts it).
    #[arg(long, requires = "from")]
    pub replace: bool,
    /// Show what would be imported without changing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The help heading of the flags that describe a one-off server (`--url` mode): none of them
/// applies to a saved source, so they are kept apart from the command's own.
const ONE_OFF_HEADING: &str = "One-off server (with --url, instead of a saved source)";

/// Said under `tools --help` and `call --help`: the one-off flags are shared with `profile add`,
/// whose help speaks of the keychain.
const ONE_OFF_NOTE: &str = "\
With --url nothing is saved: a secret read by a one-off flag (--header-secret, --client-secret-env,
...) and the tokens of an --auth oauth sign-in stay in memory for this command only.";

/// Which server a one-shot command talks to: a saved source, or a URL given right here.
#[derive(Debug, Args)]
pub struct Target {
    /// The source id (or use --url for a server without a saved profile).
    #[arg(required_unless_present = "url")]
    pub id: Option<SourceId>,
    #[command(flatten, next_help_heading = ONE_OFF_HEADING)]
    pub adhoc: ProfileSettings,
}

// The one-off flags that only a stdio profile or a saved one uses are hidden here (a one-off
// server is an HTTP or SSE URL and has no name). They are still accepted, and refused with a
// reason, as the command line's shape is kept for the tools that drive it.
#[derive(Debug, Args)]
#[command(
    override_usage = "lanyard tools [OPTIONS] <ID>\n       lanyard tools --url <URL> [OPTIONS]",
    after_help = ONE_OFF_NOTE,
    mut_arg("name", |arg| arg.hide(true)),
    mut_arg("env", |arg| arg.hide(true)),
    mut_arg("env_secret", |arg| arg.hide(true)),
    mut_arg("env_secret_env", |arg| arg.hide(true)),
    mut_arg("env_ref", |arg| arg.hide(true)),
    mut_arg("cwd", |arg| arg.hide(true)),
    mut_arg("merged_prefix", |arg| arg.hide(true)),
    mut_arg("sandbox_network", |arg| arg.hide(true)),
    mut_arg("sandbox_read", |arg| arg.hide(true)),
    mut_arg("sandbox_write", |arg| arg.hide(true)),
    mut_arg("sandbox_memory", |arg| arg.hide(true)),
    mut_arg("sandbox_open_files", |arg| arg.hide(true)),
    mut_arg("no_sandbox", |arg| arg.hide(true)),
    mut_arg("tool_changes", |arg| arg.hide(true)),
    mut_arg("review_first", |arg| arg.hide(true)),
    mut_arg("no_review_first", |arg| arg.hide(true)),
)]
pub struct ToolsArgs {
    /// Print JSON (the tools as the MCP `tools/list` result shapes them).
    #[arg(long)]
    pub json: bool,
    /// Review the tools withheld from agents because their definition changed (or they are new)
    /// since they were approved: each change as a readable difference, approved or rejected one
    /// by one on a terminal.
    #[arg(long, conflicts_with_all = ["approve_all", "reject", "json"])]
    pub review: bool,
    /// Approve every withheld tool of the source: agents get them at their next listing.
    #[arg(long, conflicts_with_all = ["reject", "json"])]
    pub approve_all: bool,
    /// Reject a withheld tool: it stays withheld until the server changes it again or it is
    /// approved (repeatable).
    #[arg(long, value_name = "NAME", conflicts_with = "json")]
    pub reject: Vec<String>,
    // Last: its one-off flags go under their own heading, which holds for the flags after it.
    #[command(flatten)]
    pub target: Target,
}

// The one-off flags that do not apply to a call are hidden as for `tools`.
#[derive(Debug, Args)]
#[command(
    override_usage = "lanyard call [OPTIONS] <ID> <TOOL>\n       lanyard call --url <URL> [OPTIONS] <TOOL>",
    after_help = ONE_OFF_NOTE,
    mut_arg("name", |arg| arg.hide(true)),
    mut_arg("env", |arg| arg.hide(true)),
    mut_arg("env_secret", |arg| arg.hide(true)),
    mut_arg("env_secret_env", |arg| arg.hide(true)),
    mut_arg("env_ref", |arg| arg.hide(true)),
    mut_arg("cwd", |arg| arg.hide(true)),
    mut_arg("merged_prefix", |arg| arg.hide(true)),
    mut_arg("sandbox_network", |arg| arg.hide(true)),
    mut_arg("sandbox_read", |arg| arg.hide(true)),
    mut_arg("sandbox_write", |arg| arg.hide(true)),
    mut_arg("sandbox_memory", |arg| arg.hide(true)),
    mut_arg("sandbox_open_files", |arg| arg.hide(true)),
    mut_arg("no_sandbox", |arg| arg.hide(true)),
    mut_arg("tool_changes", |arg| arg.hide(true)),
    mut_arg("review_first", |arg| arg.hide(true)),
    mut_arg("no_review_first", |arg| arg.hide(true)),
)]
pub struct CallArgs {
    /// The saved source whose tool to call; with --url, leave it out and give only the tool.
    #[arg(required = true, value_name = "ID")]
    pub first: String,
    /// The tool to call.
    #[arg(value_name = "TOOL")]
    pub second: Option<String>,
    /// The tool's arguments as a JSON object.
    #[arg(long, value_name = "JSON")]
    pub args: Option<String>,
    /// Print the whole result as JSON.
    #[arg(long)]
    pub json: bool,
    /// When the server asks for input (MCP elicitation): `ask` on the terminal (declined when
    /// none is attached), `decline` without asking, or `accept-defaults`: accept a form with
    /// its default values (declined when a required field has none).
    #[arg(long, value_enum, value_name = "HOW", default_value_t = ElicitMode::Ask)]
    pub elicit: ElicitMode,
    // Last: its flags go under their own heading, which holds for the flags after it.
    #[command(flatten, next_help_heading = ONE_OFF_HEADING)]
    pub adhoc: ProfileSettings,
}

/// What `lanyard call` does with a server's request for input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ElicitMode {
    Ask,
    Decline,
    AcceptDefaults,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    pub id: Option<SourceId>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    pub id: SourceId,
    /// Do not open a browser: print the sign-in URL and read the address the browser ended on
    /// from standard input (for machines without a browser).
    #[arg(long)]
    pub no_browser: bool,
    /// Seconds allowed to finish signing in.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub timeout: u64,
    /// An enterprise source: take the ID token from this environment variable (obtained by
    /// another tool) as the identity session, instead of signing in to the identity provider.
    #[arg(long, value_name = "VAR", conflicts_with = "no_browser")]
    pub id_token_env: Option<String>,
}

#[derive(Debug, Args)]
#[command(after_help = "\
--idp signs out of an identity provider (enterprise sources): its identity sessions end, and every
source that signs in there is disconnected and needs `lanyard connect` again.")]
pub struct DisconnectArgs {
    #[arg(required_unless_present = "idp", conflicts_with = "idp")]
    pub id: Option<SourceId>,
    /// Sign out of this identity provider (its issuer URL) instead of one source.
    #[arg(long, value_name = "ISSUER")]
    pub idp: Option<String>,
}
