//! The `lanyard` command: parse, call the engine, print. No engine logic lives here.

mod agent_cmd;
mod args;
mod auth_cmd;
mod bridge_cmd;
mod catalog_cmd;
mod clients_cmd;
#[cfg(test)]
mod doc_commands;
mod doctor_cmd;
mod elicit;
mod exit;
mod profile_cmd;
mod review_cmd;
mod settings;
mod status_cmd;
mod use_cmd;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use args::{CatalogCommand, Cli, Command, ProfileCommand};
use exit::{Exit, classify};

/// Runs the command line and returns the process's exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    // Becomes the server: no runtime, no logging, nothing else of Lanyard's.
    let command = match cli.command {
        Command::SandboxExec(args) => return sandbox_exec(args),
        command => command,
    };
    exit_quietly_when_stdout_closes();
    init_logging();
    let runtime = match runtime_for(&command).enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return Exit::Failure.into();
        }
    };
    match runtime.block_on(dispatch(command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            classify(&err).into()
        }
    }
}

/// One thread for the per-source stdio bridge: it passes one agent's messages through, and on
/// one thread a message and its answer cross no thread on the way (waking another thread is
/// most of what a message costs, see the bridge's profile in docs/performance.md). Everything
/// else may use the machine's cores (`lanyard serve` serves each agent connection on one
/// thread of its own, see `bridge::paired`).
fn runtime_for(command: &Command) -> tokio::runtime::Builder {
    match command {
        Command::Bridge(args) if args.id.is_some() => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    }
}

async fn dispatch(command: Command) -> anyhow::Result<()> {
    let engine = lanyard::Engine::open()?;
    match command {
        Command::Profile(ProfileCommand::Add(args)) => profile_cmd::add(&engine, args).await,
        Command::Profile(ProfileCommand::List(args)) => profile_cmd::list(&engine, args.json),
        Command::Profile(ProfileCommand::Show(args)) => profile_cmd::show(&engine, args).await,
        Command::Profile(ProfileCommand::Edit(args)) => profile_cmd::edit(&engine, args).await,
        Command::Profile(ProfileCommand::Rm(args)) => profile_cmd::remove(&engine, args).await,
        Command::Import(args) => profile_cmd::import(&engine, args).await,
        Command::Tools(args) => use_cmd::tools(&engine, args).await,
        Command::Call(args) => use_cmd::call(&engine, args).await,
        Command::Status(args) => status_cmd::status(&engine, args).await,
        Command::Connect(args) => auth_cmd::connect(&engine, args, false).await,
        Command::Reconnect(args) => auth_cmd::connect(&engine, args, true).await,
        Command::Disconnect(args) => auth_cmd::disconnect(&engine, args).await,
        Command::Bridge(args) => bridge_cmd::bridge(engine, args).await,
        Command::Serve(args) => bridge_cmd::serve(engine, args).await,
        Command::BridgeToken => bridge_cmd::token(&engine).await,
        Command::Clients(args) => clients_cmd::clients(args.json),
        Command::Config(args) => clients_cmd::config(&engine, args).await,
        Command::Agent(command) => agent_cmd::run(&engine, command).await,
        Command::Logs(args) => doctor_cmd::logs(&engine, args),
        Command::Doctor(args) => doctor_cmd::doctor(&engine, args).await,
        Command::Diagnostics(args) => doctor_cmd::diagnostics(&engine, args).await,
        Command::Catalog(CatalogCommand::Search(args)) => catalog_cmd::search(&engine, args).await,
        Command::Catalog(CatalogCommand::Show(args)) => catalog_cmd::show(&engine, args).await,
        Command::Catalog(CatalogCommand::Add(args)) => catalog_cmd::add(&engine, args).await,
        Command::Catalog(CatalogCommand::Outdated(args)) => catalog_cmd::outdated(&engine, args).await,
        Command::Catalog(CatalogCommand::Registry(command)) => catalog_cmd::registry(&engine, command),
        Command::SandboxExec(_) => Err(anyhow::anyhow!("`sandbox-exec` runs before the engine opens")),
    }
}

/// `lanyard sandbox-exec`: fence this process and become the server (see `lanyard::sandbox`).
fn sandbox_exec(args: args::SandboxExecArgs) -> ExitCode {
    let network = match args.network.parse() {
        Ok(network) => network,
        Err(err) => {
            eprintln!("lanyard sandbox-exec: {err}");
            return ExitCode::from(125);
        }
    };
    lanyard::sandbox::exec::run(lanyard::sandbox::exec::ExecRequest {
        plan: lanyard::sandbox::FencePlan {
            read: args.read,
            write: args.write,
            network,
            limits: lanyard::sandbox::Limits { memory_mb: args.memory_mb, open_files: args.open_files },
        },
        report: args.report,
        command: args.command,
    })
}

/// Logs go to stderr, quiet by default, so stdout stays clean for `--json` and for an agent's
/// stdio stream. `LANYARD_LOG` (or else `RUST_LOG`) sets the filter; without either, Lanyard's own
/// warnings and errors are shown and dependencies (rmcp, hyper, reqwest, ...) say nothing: their
/// failures reach the person as Lanyard's own message, once (see [`default_filter`]).
fn init_logging() {
    let filter = ["LANYARD_LOG", "RUST_LOG"]
        .into_iter()
        .find_map(|var| {
            std::env::var(var).ok().filter(|value| !value.trim().is_empty())?;
            tracing_subscriber::EnvFilter::try_from_env(var).ok()
        })
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new(default_filter()));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// The filter without `LANYARD_LOG` / `RUST_LOG`: Lanyard's targets (the engine and this binary
/// are both `lanyard`) at `warn`, everything else off.
pub(crate) const fn default_filter() -> &'static str {
    "off,lanyard=warn"
}

/// `lanyard tools x | head` closes our stdout early; like other command-line tools, stop quietly
/// with success instead of reporting a panic from `println!`.
fn exit_quietly_when_stdout_closes() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
}

/// Prints a progress line on a terminal; stays quiet when stderr is a file or a pipe.
fn progress(message: &str) {
    if std::io::stderr().is_terminal() {
        eprintln!("{message}");
    }
}

/// Prints a value as pretty JSON on stdout.
fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
