//! Two forwards with nothing of Lanyard in them, each run as a process of its own, so that the
//! HTTP forward's added latency can be read against what any forward costs on the same machine,
//! in the same run:
//! - a TCP relay that copies bytes both ways on one thread: the least an extra process on the
//!   path costs (it never parses HTTP, so it could check, filter or record nothing);
//! - a bare forward built on hyper the way the hub's is (one single-threaded runtime per core,
//!   upstream connections kept per thread, the answer streamed back as it comes), with no door,
//!   rights, credentials, call log or deadline.
//!
//! The bench starts them by running its own executable with `--floor relay|forward <url>`.

use std::cell::RefCell;

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

/// The request headers the bare forward passes on: the ones an MCP server reads.
const PASSED: [&str; 5] =
    ["accept", "content-type", "mcp-session-id", "mcp-protocol-version", "last-event-id"];

/// Serves `kind` (`relay` or `forward`) in front of the streamable HTTP server at `upstream`,
/// printing `listening on <url>` (the URL agents use) first. Runs until the process is killed.
pub fn serve(kind: Option<&String>, upstream: Option<&String>) -> anyhow::Result<()> {
    let upstream: url::Url = upstream.context("--floor relay|forward <upstream url>")?.parse()?;
    let address = upstream.socket_addrs(|| None)?.into_iter().next().context("the upstream's address")?;
    let path = upstream.path().to_owned();
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    println!("listening on http://{}{path}", listener.local_addr()?);
    match kind.map(String::as_str) {
        Some("relay") => on_one_thread(relay(listener, address)),
        Some("forward") => {
            let authority = upstream[url::Position::BeforeHost..url::Position::AfterPort].to_owned();
            let upstream = Upstream { address, authority, path };
            let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
            let mut serving = Vec::new();
            for _ in 0..threads {
                let (listener, upstream) = (listener.try_clone()?, upstream.clone());
                serving.push(std::thread::spawn(move || on_one_thread(forward(listener, upstream))));
            }
            for thread in serving {
                thread.join().map_err(|_| anyhow::anyhow!("a forward thread panicked"))??;
            }
            Ok(())
        }
        other => bail!("--floor takes relay or forward, not {other:?}"),
    }
}

fn on_one_thread(serving: impl Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(serving)
}

async fn relay(listener: std::net::TcpListener, upstream: std::net::SocketAddr) -> anyhow::Result<()> {
    let listener = TcpListener::from_std(listener)?;
    loop {
        let (mut agent, _) = listener.accept().await?;
        agent.set_nodelay(true)?;
        tokio::spawn(async move {
            let mut server = TcpStream::connect(upstream).await?;
            server.set_nodelay(true)?;
            tokio::io::copy_bidirectional(&mut agent, &mut server).await?;
            anyhow::Ok(())
        });
    }
}

#[derive(Clone)]
struct Upstream {
    address: std::net::SocketAddr,
    /// `host:port`, the `Host` header.
    authority: String,
    path: String,
}

thread_local! {
    /// This thread's idle upstream connections.
    static IDLE: RefCell<Vec<SendRequest<Full<Bytes>>>> = const { RefCell::new(Vec::new()) };
}

async fn forward(listener: std::net::TcpListener, upstream: Upstream) -> anyhow::Result<()> {
    let listener = TcpListener::from_std(listener)?;
    loop {
        let (agent, _) = listener.accept().await?;
        agent.set_nodelay(true)?;
        let upstream = upstream.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| pass_on(upstream.clone(), request));
            hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(agent), service).await
        });
    }
}

/// One request: read whole, sent on a kept connection (or a new one), its answer streamed back.
async fn pass_on(upstream: Upstream, request: Request<Incoming>) -> anyhow::Result<Response<Incoming>> {
    let (parts, body) = request.into_parts();
    let mut out = Request::new(Full::new(body.collect().await?.to_bytes()));
    *out.method_mut() = parts.method;
    *out.uri_mut() = upstream.path.parse()?;
    for name in PASSED {
        if let Some(value) = parts.headers.get(name) {
            out.headers_mut().insert(name, value.clone());
        }
    }
    out.headers_mut().insert(hyper::header::HOST, upstream.authority.parse()?);
    let mut sender = match kept().await {
        Some(sender) => sender,
        None => connect(upstream.address).await?,
    };
    let answer = sender.send_request(out).await?;
    // Back to the idle ones once the answer has been read to its end.
    tokio::spawn(async move {
        if sender.ready().await.is_ok() {
            IDLE.with_borrow_mut(|idle| idle.push(sender));
        }
    });
    Ok(answer)
}

async fn kept() -> Option<SendRequest<Full<Bytes>>> {
    let mut sender = IDLE.with_borrow_mut(Vec::pop)?;
    sender.ready().await.ok().map(|()| sender)
}

async fn connect(address: std::net::SocketAddr) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(address).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}
