//! The HTTP forward's own upstream connections: one plain-HTTP connection to the source per
//! agent connection, polled by the task that serves the agent's connection.
//!
//! Why: through reqwest's pool, a request crosses to the pool's connection task and its answer
//! crosses back (on the multi-threaded runtime, often to the other core and back), which cost
//! about three times the CPU per call of a connection polled where the agent's request already
//! is, and most of the forward's added latency (`scripts/bench.sh`, docs/performance.md). An agent
//! speaks HTTP/1.1 to the bridge, one request at a time per connection, so one upstream
//! connection per agent connection is enough and is free whenever a request comes.
//!
//! Only plain `http://` sources reached without a proxy take this path ([`reaches_directly`]):
//! a server on this machine or the local network, where the bridge's own cost is most of what a
//! call costs. TLS, proxies and redirects stay with reqwest, the one place their settings (CA
//! bundles, proxies, the same-origin redirect rule) are applied: a request that cannot go this
//! way (no kept connection and connecting fails other than by refusal) is left to the caller to
//! send through reqwest, so that its failure is classified where every other one is.
//!
//! [`reaches_directly`]: crate::net::reaches_directly

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, Request, Response, Uri};
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tower_service::Service;
use tracing::debug;
use url::Url;

/// A plain-HTTP upstream as this path reaches it.
#[derive(Debug, Clone)]
pub(crate) struct PlainOrigin {
    /// `host:port`, to connect to.
    address: String,
    /// The `Host` header.
    host: HeaderValue,
    /// The request target: the URL's path and query.
    target: Uri,
    connect_timeout: Duration,
}

impl PlainOrigin {
    /// `url`'s origin when requests to it may take this path (see the module doc).
    pub(crate) fn of(url: &Url, connect_timeout: Duration) -> Option<Self> {
        if !crate::net::reaches_directly(url) {
            return None;
        }
        let host = url.host_str()?;
        let port = url.port_or_known_default()?;
        let authority = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        let target = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        Some(Self {
            address: format!("{host}:{port}"),
            host: HeaderValue::from_str(&authority).ok()?,
            target: target.parse().ok()?,
            connect_timeout,
        })
    }
}

/// Why a request did not get an answer on this path.
#[derive(Debug)]
pub(crate) enum Unanswered {
    /// Not sent: the caller may send it another way.
    Unsent,
    /// The server refused the connection.
    Refused,
    /// Sent, and the connection broke before the answer came: sending it again could run it
    /// twice.
    Broken(hyper::Error),
}

/// The upstream connections of one agent connection; a handle in each of its requests.
#[derive(Clone)]
pub(crate) struct AgentConnection(Arc<Shared>);

struct Shared {
    /// The connection free for the next request, with the origin it goes to.
    kept: Mutex<Option<(String, SendRequest<Full<Bytes>>)>>,
    /// New connections, for the agent connection's task to poll.
    drive: mpsc::UnboundedSender<Driven>,
}

type Driven = Pin<Box<dyn Future<Output = ()> + Send>>;

impl AgentConnection {
    /// Sends `request` to `origin` on this agent connection's upstream connection, made now if
    /// there is none (or it went to another origin, or it closed). `request` needs only its
    /// method, headers and body: the target and `Host` come from `origin`.
    pub(crate) async fn send(
        &self,
        origin: &PlainOrigin,
        mut request: Request<Full<Bytes>>,
    ) -> Result<Response<Incoming>, Unanswered> {
        *request.uri_mut() = origin.target.clone();
        request.headers_mut().insert(axum::http::header::HOST, origin.host.clone());
        let kept = self.take(&origin.address);
        let mut sender = match kept {
            Some(sender) => sender,
            None => self.connect(origin).await?,
        };
        if sender.ready().await.is_err() {
            sender = self.connect(origin).await?;
        }
        let answer = match sender.try_send_request(request).await {
            Ok(answer) => answer,
            Err(mut failed) => {
                return Err(match failed.take_message() {
                    Some(_) => {
                        debug!(error = %failed.error(), "the upstream connection closed before the request went");
                        Unanswered::Unsent
                    }
                    None => Unanswered::Broken(failed.into_error()),
                });
            }
        };
        *lock(&self.0.kept) = Some((origin.address.clone(), sender));
        Ok(answer)
    }

    fn take(&self, address: &str) -> Option<SendRequest<Full<Bytes>>> {
        let (to, sender) = lock(&self.0.kept).take()?;
        (to == address && !sender.is_closed()).then_some(sender)
    }

    async fn connect(&self, origin: &PlainOrigin) -> Result<SendRequest<Full<Bytes>>, Unanswered> {
        let stream =
            match tokio::time::timeout(origin.connect_timeout, TcpStream::connect(&origin.address)).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(err)) if err.kind() == std::io::ErrorKind::ConnectionRefused => {
                    return Err(Unanswered::Refused);
                }
                Ok(Err(_)) | Err(_) => return Err(Unanswered::Unsent),
            };
        let _ = stream.set_nodelay(true);
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|_| Unanswered::Unsent)?;
        let connection: Driven = Box::pin(async move {
            if let Err(err) = connection.await {
                debug!(%err, "an upstream connection of the forward ended");
            }
        });
        self.0.drive.send(connection).map_err(|_| Unanswered::Unsent)?;
        Ok(sender)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Serves `router` on every connection `listener` accepts (with `TCP_NODELAY`: Nagle plus
/// delayed ACK would stall each call of a Node agent by ~45 ms), each request carrying its
/// connection's [`AgentConnection`].
///
/// Connections are dealt out in turn to one single-threaded runtime per core ([`Lanes`]): a
/// connection, its requests and its upstream connections then live on one thread, where a
/// request and its answer cross no thread on the way, while the hub as a whole still uses every
/// core. (One multi-threaded runtime moves tasks between threads and wakes one thread from
/// another several times per call; one single-threaded runtime for all agents cost a third of
/// the hub's capacity under many agents. See docs/performance.md.)
pub(crate) async fn serve(listener: TcpListener, router: Router) -> std::io::Result<()> {
    let lanes = Lanes::start()?;
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(err) => {
                // Out of file descriptors and the like: wait, rather than spin or stop serving.
                debug!(%err, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if let Err(err) = stream.set_nodelay(true) {
            debug!(%err, "could not set TCP_NODELAY");
        }
        lanes.serve(stream, router.clone())?;
    }
}

/// The threads that serve agent connections, each with a single-threaded runtime; they end
/// when this is dropped (the connections they serve with them).
struct Lanes {
    lanes: Vec<mpsc::UnboundedSender<(std::net::TcpStream, Router)>>,
    next: std::cell::Cell<usize>,
}

impl Lanes {
    fn start() -> std::io::Result<Self> {
        let count = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let mut lanes = Vec::with_capacity(count);
        for n in 0..count {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let (send, mut connections) = mpsc::unbounded_channel::<(std::net::TcpStream, Router)>();
            std::thread::Builder::new().name(format!("lanyard-lane-{n}")).spawn(move || {
                runtime.block_on(async move {
                    while let Some((stream, router)) = connections.recv().await {
                        match TcpStream::from_std(stream) {
                            Ok(stream) => drop(tokio::spawn(serve_connection(stream, router))),
                            Err(err) => debug!(%err, "could not take over an agent connection"),
                        }
                    }
                });
            })?;
            lanes.push(send);
        }
        Ok(Self { lanes, next: std::cell::Cell::new(0) })
    }

    /// Hands `stream` to the next lane.
    fn serve(&self, stream: TcpStream, router: Router) -> std::io::Result<()> {
        let n = self.next.get();
        self.next.set((n + 1) % self.lanes.len());
        let stream = stream.into_std()?;
        self.lanes[n]
            .send((stream, router))
            .map_err(|_| std::io::Error::other("a connection thread has ended"))
    }
}

/// One agent connection, and the upstream connections its requests open, in one task.
async fn serve_connection(stream: TcpStream, router: Router) {
    let (drive, mut new_connections) = mpsc::unbounded_channel();
    let connection = AgentConnection(Arc::new(Shared { kept: Mutex::new(None), drive }));
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(connection.clone());
        let mut router = router.clone();
        async move { Ok::<_, Infallible>(router.call(request).await.unwrap_or_else(|never| match never {})) }
    });
    let agent = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(agent);
    let mut upstreams = FuturesUnordered::new();
    loop {
        tokio::select! {
            served = &mut agent => {
                if let Err(err) = served {
                    debug!(%err, "an agent connection ended with an error");
                }
                return;
            }
            Some(connection) = new_connections.recv() => upstreams.push(connection),
            Some(()) = upstreams.next(), if !upstreams.is_empty() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(url: &str) -> Option<PlainOrigin> {
        PlainOrigin::of(&url.parse().unwrap(), Duration::from_secs(1))
    }

    #[test]
    fn plain_http_sources_get_their_address_host_and_target() {
        let v4 = origin("http://127.0.0.1:3001/mcp?x=1").expect("plain loopback HTTP takes this path");
        assert_eq!(v4.address, "127.0.0.1:3001");
        assert_eq!(v4.host, "127.0.0.1:3001");
        assert_eq!(v4.target, "/mcp?x=1", "the query goes with the path");
        let v6 = origin("http://[::1]:3002/mcp").expect("IPv6 loopback too");
        assert_eq!(v6.address, "[::1]:3002", "an IPv6 address keeps its brackets to be connected to");
        let default_port = origin("http://localhost/mcp").expect("a name");
        assert_eq!(default_port.address, "localhost:80");
        assert_eq!(default_port.host, "localhost", "Host names the port only when the URL does");
    }

    #[test]
    fn tls_sources_stay_with_reqwest() {
        assert!(origin("https://127.0.0.1:3001/mcp").is_none(), "TLS is reqwest's");
    }
}
