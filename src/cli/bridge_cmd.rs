//! `lanyard bridge`, `serve` and `bridge-token`: thin callers of [`lanyard::bridge`].

use std::io::Write;

use anyhow::Context;
use lanyard::Engine;
use lanyard::bridge;

use super::args::{BridgeArgs, ServeArgs};

/// MCP on our stdin/stdout for one source, or for all of them merged (`--all`). Our stdout is the agent's stream: nothing else is
/// printed to it.
pub async fn bridge(engine: Engine, args: BridgeArgs) -> anyhow::Result<()> {
    let Some(id) = args.id else {
        // A profile file that does not parse stops here, with its exit code, rather than at the
        // agent's first list.
        engine.load()?;
        bridge::run_stdio_merged(engine, args.agent.as_ref()).await?;
        return Ok(());
    };
    let engine = std::sync::Arc::new(engine);
    bridge::run_stdio(engine, &id, !args.no_hub, args.agent.as_ref()).await?;
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
