//! `lanyard bridge <source>`: the agent on our stdin and stdout, one JSON-RPC message per line.
//!
//! Our stdout carries nothing but the agent's messages (logs go to stderr, a stdio server's stderr
//! to its log file). Lines are read in order and handed to the [`Pipe`] one at a time, which keeps
//! the agent's order upstream; answers are written as they come. End of input ends the session
//! upstream (HTTP session deleted, child stopped) and the bridge.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::info;

use super::BridgeError;
#[cfg(unix)]
use super::agent_pipes;
use super::gate::Recorder;
use super::hub;
#[cfg(unix)]
use super::lines::read_line_async;
use super::lines::{Line, read_line};
use super::pipe::{Pipe, PipeAgent};
use crate::Engine;
use crate::agents::{Access, AgentName, SourceAccess};
use crate::credentials::SourceCredentials;
use crate::history::{AgentKind, Event};
use crate::ids::SourceId;
use crate::profile::{Resolved, ResolvedTransport, ToolFilter};
use crate::secret::Secret;
use crate::upstream::MAX_MESSAGE_BYTES;
use url::Url;

/// How long answers still queued for the agent get to be written after its input ended.
const DRAIN_GRACE: Duration = Duration::from_secs(1);
/// Agent lines read ahead of the pipe by the reading thread.
const READ_AHEAD: usize = 64;
/// Bytes read from the agent's pipe at a time.
#[cfg(unix)]
const READ_BUFFER: usize = 64 * 1024;

/// The source as the hub serves it (`/mcp/<id>`, with the bridge token), when a hub runs. The
/// hub applies the source's tool filters and credentials, so this end adds none.
async fn through_hub(
    engine: &Engine,
    id: &SourceId,
    agent_token: Option<&Secret>,
) -> Result<Option<(Resolved, SourceCredentials)>, BridgeError> {
    let profile = engine.profile(id)?;
    if !profile.enabled {
        return Err(crate::Error::Disabled { id: id.clone() }.into());
    }
    let data_dir = engine.dirs().data();
    if !hub::announced(data_dir) {
        return Ok(None);
    }
    let token = super::bridge_token(engine.vault()).await?;
    let Some(addr) = hub::find(data_dir, &token).await else { return Ok(None) };
    info!(source = %id, %addr, "serving through the hub");
    let url =
        Url::parse(&format!("http://{addr}/mcp/{id}")).expect("a loopback URL with a source id is valid");
    // The hub checks the agent's rights and records its calls, so the agent's own key goes.
    let presented = agent_token.unwrap_or(&token);
    let headers = vec![("Authorization".to_owned(), Secret::new(format!("Bearer {}", presented.expose())))];
    let credentials = SourceCredentials::fixed(id, &headers)?;
    let transport = ResolvedTransport::Http { url, headers: Vec::new() };
    let resolved = Resolved {
        id: id.clone(),
        transport,
        timeouts: profile.timeouts,
        tools: ToolFilter::default(),
        ca_bundle: None,
        protocol: profile.protocol,
        auth: profile.auth.kind(),
    };
    Ok(Some((resolved, credentials)))
}

/// Runs the bridge for one source on this process's stdin and stdout until stdin ends.
///
/// Where stdin and stdout are pipes, they are read and written on the runtime (see
/// [`agent_pipes`](super::agent_pipes)); otherwise on plain threads with blocking I/O, since
/// tokio's stdin and stdout hand every read and write to its blocking pool, a thread hop per
/// message that showed up in the p99.
///
/// With `use_hub`, a running hub (see `hub`) serves the source and this process only pipes the
/// agent's messages to it; otherwise, or when no hub proves itself, this process connects to the
/// source itself.
///
/// `agent` names the agent served (`None`: the built-in `default`); it must prove itself with
/// its key in [`TOKEN_VAR`](crate::agents::TOKEN_VAR) (see [`prove_agent`]).
pub async fn run_stdio(
    engine: Arc<Engine>,
    id: &SourceId,
    use_hub: bool,
    agent: Option<&AgentName>,
) -> Result<(), BridgeError> {
    let (access, agent_token) = prove_agent(&engine, agent).await?;
    let grant = match access.source(id) {
        SourceAccess::Full => None,
        SourceAccess::Limited(grant) => Some(grant),
        SourceAccess::Denied(lack) => return Err(BridgeError::AgentLacks(lack)),
    };
    let hub = if use_hub { through_hub(&engine, id, agent_token.as_ref()).await? } else { None };
    let (resolved, credentials, agent, pins) = match hub {
        // The hub checks the agent's rights and the pins, and records the session and the calls.
        Some((resolved, credentials)) => (resolved, credentials, PipeAgent::default(), None),
        None => {
            engine.history().record(id, Event::BridgeSession { agent: AgentKind::Stdio });
            let (profile, resolved) = engine.resolve_source(id).await?;
            let credentials = engine.source_credentials(&profile, &resolved)?;
            let recorder = Recorder { log: engine.call_log().clone(), access };
            let pins = Some(engine.source_pins(&profile));
            (resolved, credentials, PipeAgent { grant, recorder: Some(recorder) }, pins)
        }
    };
    let source = resolved.id.clone();
    let (for_agent, to_agent) = mpsc::unbounded_channel();
    let pipe = Pipe::new(resolved, Arc::new(credentials), engine.dirs().logs(), agent, pins, for_agent)?;
    let (mut input, writer) = AgentInput::start(to_agent)?;
    info!(%source, "bridge started");
    let outcome = loop {
        match input.next().await {
            Ok(Line::End) => break Ok(()),
            Ok(Line::Message(line)) => pipe.on_agent_message(line).await,
            Ok(Line::TooLarge) => pipe.refuse_oversized(),
            Err(err) => break Err(BridgeError::AgentIo { err }),
        }
    };
    info!(%source, "the agent closed its input; ending the session");
    pipe.close().await;
    drop(pipe);
    let _ = tokio::time::timeout(DRAIN_GRACE, writer).await;
    engine.call_log().flush();
    outcome
}

/// The agent a stdio bridge serves, and the key it proved itself with (`None` for `default`,
/// which needs no proof: a process that can start the bridge can read the bridge token too).
pub(crate) async fn prove_agent(
    engine: &Engine,
    agent: Option<&AgentName>,
) -> Result<(Arc<Access>, Option<Secret>), BridgeError> {
    let Some(name) = agent.filter(|name| !name.is_default()) else {
        return Ok((Arc::new(Access::everything(AgentName::default_agent())), None));
    };
    let given = std::env::var(crate::agents::TOKEN_VAR).ok();
    let file = engine.load()?;
    let access = crate::agents::prove(engine.vault(), &file, name, given.as_deref()).await?;
    Ok((Arc::new(access), given.map(Secret::new)))
}

/// The agent's lines, read on the runtime or by a thread of their own.
enum AgentInput {
    #[cfg(unix)]
    Pipe {
        input: tokio::io::BufReader<agent_pipes::Input>,
        buf: Vec<u8>,
    },
    Thread(mpsc::Receiver<std::io::Result<Line>>),
}

impl AgentInput {
    /// Starts reading stdin and writing `to_agent` to stdout; the writer ends once `to_agent`
    /// closes and its messages are written.
    fn start(to_agent: mpsc::UnboundedReceiver<Bytes>) -> Result<(Self, JoinHandle<()>), BridgeError> {
        #[cfg(unix)]
        if let Some(pipes) = agent_pipes::open() {
            let writer = tokio::spawn(write_lines_async(to_agent, pipes.output));
            let input = tokio::io::BufReader::with_capacity(READ_BUFFER, pipes.input);
            return Ok((AgentInput::Pipe { input, buf: Vec::with_capacity(4096) }, writer));
        }
        let writer = tokio::task::spawn_blocking(move || write_lines(to_agent));
        let (lines, agent_lines) = mpsc::channel(READ_AHEAD);
        // Detached: a read blocked on a silent agent must not keep the process alive at exit.
        std::thread::Builder::new()
            .name("lanyard-stdin".into())
            .spawn(move || read_lines(lines))
            .map_err(|err| BridgeError::AgentIo { err })?;
        Ok((AgentInput::Thread(agent_lines), writer))
    }

    async fn next(&mut self) -> std::io::Result<Line> {
        match self {
            #[cfg(unix)]
            AgentInput::Pipe { input, buf } => read_line_async(input, buf, MAX_MESSAGE_BYTES).await,
            AgentInput::Thread(lines) => lines.recv().await.unwrap_or(Ok(Line::End)),
        }
    }
}

/// Reads the agent's lines, skipping blank ones and capping their size, until end of input or a
/// failure.
fn read_lines(lines: mpsc::Sender<std::io::Result<Line>>) {
    let mut input = std::io::stdin().lock();
    let mut buf = Vec::with_capacity(4096);
    loop {
        let line = read_line(&mut input, &mut buf, MAX_MESSAGE_BYTES);
        let last = !matches!(line, Ok(Line::Message(_) | Line::TooLarge));
        if lines.blocking_send(line).is_err() || last {
            return;
        }
    }
}

/// Writes each message for the agent as one line, flushing when no more are queued.
fn write_lines(mut to_agent: mpsc::UnboundedReceiver<Bytes>) {
    let mut output = std::io::BufWriter::new(std::io::stdout().lock());
    while let Some(message) = to_agent.blocking_recv() {
        let written = output
            .write_all(&message)
            .and_then(|()| output.write_all(b"\n"))
            .and_then(|()| if to_agent.is_empty() { output.flush() } else { Ok(()) });
        if written.is_err() {
            return; // the agent is gone
        }
    }
    let _ = output.flush();
}

/// [`write_lines`] on the runtime.
#[cfg(unix)]
async fn write_lines_async(mut to_agent: mpsc::UnboundedReceiver<Bytes>, output: agent_pipes::Output) {
    use tokio::io::AsyncWriteExt;
    let mut output = tokio::io::BufWriter::new(output);
    while let Some(message) = to_agent.recv().await {
        let written = async {
            output.write_all(&message).await?;
            output.write_all(b"\n").await?;
            if to_agent.is_empty() { output.flush().await } else { Ok(()) }
        };
        if written.await.is_err() {
            return; // the agent is gone
        }
    }
    let _ = output.flush().await;
}
