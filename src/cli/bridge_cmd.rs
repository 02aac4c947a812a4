//! `lanyard bridge`, `serve`, `bridge-token` and `config`: thin callers of [`lanyard::bridge`].

use std::io::Write;

use anyhow::Context;
use lanyard::Engine;
use lanyard::bridge::{self, IdeClient};

use super::args::{BridgeArgs, ConfigArgs, IdeArg, ServeArgs};

/// MCP on our stdin/stdout for one source, or for all of them merged (`--all`). Our stdout is the agent's stream: nothing else is
/// printed to it.
pub async fn bridge(engine: Engine, args: BridgeArgs) -> anyhow::Result<()> {
    let Some(id) = args.id else {
        // A profile file that does not parse stops here, with its exit code, rather than at the
        // agent's first list.
        engine.load()?;
        bridge::run_stdio_merged(engine).await?;
        return Ok(());
    };
    let engine = std::sync::Arc::new(engine);
    bridge::run_stdio(engine, &id, !args.no_hub).await?;
    Ok(())
}

pub async fn serve(engine: Engine, args: ServeArgs) -> anyhow::Result<()> {
    let server = bridge::serve(engine, args.port).await?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on http://{}", server.local_addr())?;
        stdout.flush()?;
    }
    tokio::select! {
        served = server.run() => served.context("the bridge server stopped")?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}

pub async fn token(engine: &Engine) -> anyhow::Result<()> {
    let token = bridge::bridge_token(engine.vault()).await?;
    // Printing it is the point of this command.
    println!("{}", token.expose());
    Ok(())
}

pub fn config(engine: &Engine, args: ConfigArgs) -> anyhow::Result<()> {
    let file = engine.load()?;
    let sources = if args.sources.is_empty() {
        file.profiles().filter(|p| p.enabled).map(|p| p.id().clone()).collect()
    } else {
        for id in &args.sources {
            engine.profile(id)?;
        }
        args.sources
    };
    let program = std::env::current_exe().context("find the lanyard executable")?;
    let client = match args.client {
        IdeArg::ClaudeDesktop => IdeClient::ClaudeDesktop,
        IdeArg::Cursor => IdeClient::Cursor,
        IdeArg::Vscode => IdeClient::Vscode,
        IdeArg::Zed => IdeClient::Zed,
    };
    let snippet = bridge::ide_snippet(client, &program.to_string_lossy(), &sources);
    if !args.write {
        return super::print_json(&snippet);
    }
    let path = match args.file {
        Some(path) => path,
        None => bridge::default_config_path(client).ok_or(bridge::IdeConfigError::NoDefaultPath)?,
    };
    let written = bridge::write_config(&path, &snippet)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "wrote {}", written.path.display())?;
    if let Some(backup) = &written.backup {
        writeln!(stdout, "the previous file is kept as {}", backup.display())?;
    }
    for (what, names) in [("added", &written.added), ("replaced", &written.replaced)] {
        if !names.is_empty() {
            writeln!(stdout, "{what}: {}", names.join(", "))?;
        }
    }
    Ok(())
}
