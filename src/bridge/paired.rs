//! The HTTP forward's own upstream connections, and the threads that serve agent connections.
//!
//! Why: through reqwest's pool, a request crosses to the pool's connection task and its answer
//! crosses back (on a multi-threaded runtime, often to the other core and back), which cost
//! about twice the CPU per call and most of the forward's added latency (`scripts/bench.sh`,
//! docs/performance.md). So `lanyard serve` serves agent connections on one single-threaded
//! runtime per core, each accepting on the same socket ([`serve`]), and on each of those
//! threads the forward keeps its own idle upstream connections ([`send`]): a request, its
//! upstream connection and its answer then stay on one thread, and a connection is used again
//! by the next request on that thread, whichever agent connection it comes on (many clients
//! open a connection per request).
//!
//! Only plain `http://` sources reached without a proxy take this path ([`reaches_directly`]):
//! a server on this machine or the local network, where the bridge's own cost is most of what a
//! call costs. TLS, proxies and redirects stay with reqwest, the one place their settings (CA
//! bundles, proxies, the same-origin redirect rule) are applied: a request that cannot go this
//! way (connecting fails other than by refusal, or the kept connection closed before the request
//! went) is left to the caller to send through reqwest, so that its failure is classified where
//! every other one is.
//!
//! [`reaches_directly`]: crate::net::reaches_directly

use std::cell::RefCell;
use std::collections::HashMap;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderValue, Request, Response, Uri};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::{Body as _, Frame, Incoming, SizeHint};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tower_service::Service;
use tracing::debug;
use url::Url;

use super::gathered::Gathered;

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

/// Idle upstream connections kept per thread and origin address, at most this many each.
const IDLE_PER_ORIGIN: usize = 8;

thread_local! {
    /// This thread's idle upstream connections, by origin address. Their connection tasks run
    /// on this thread's runtime.
    static IDLE: RefCell<HashMap<String, Vec<Idle>>> = RefCell::new(HashMap::new());
}

/// Sends `request` to `origin` on an idle connection of this thread, or a new one. `request`
/// needs only its method, headers and body: the target and `Host` come from `origin`. The
/// connection goes back to the idle ones once the answer's body has been read to its end.
pub(crate) async fn send(
    origin: &PlainOrigin,
    mut request: Request<Full<Bytes>>,
) -> Result<Response<Returning>, Unanswered> {
    *request.uri_mut() = origin.target.clone();
    request.headers_mut().insert(axum::http::header::HOST, origin.host.clone());
    // A kept connection becomes ready once its task has seen the last answer end; should it
    // close instead, a new one is made.
    let mut sender = match idle(&origin.address) {
        Some(mut sender) => match sender.ready().await {
            Ok(()) => sender,
            Err(_) => connect(origin).await?,
        },
        None => connect(origin).await?,
    };
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
    let returned = Some((origin.address.clone(), sender));
    Ok(answer.map(|body| Returning { body, ended: false, sender: returned }))
}

/// A kept connection and since when it is idle.
struct Idle {
    since: Instant,
    sender: SendRequest<Full<Bytes>>,
}

/// The idle connection to `address` kept last. Closed ones are dropped, and so are those idle
/// for [`POOL_IDLE`](crate::upstream::POOL_IDLE) or more, as reqwest's pool does: a server may
/// close an idle connection just as a request goes out on it (Node's after 5 s), which would
/// lose that request.
fn idle(address: &str) -> Option<SendRequest<Full<Bytes>>> {
    IDLE.with_borrow_mut(|idle| {
        let kept = idle.get_mut(address)?;
        kept.retain(|idle| !idle.sender.is_closed() && idle.since.elapsed() < crate::upstream::POOL_IDLE);
        kept.pop().map(|idle| idle.sender)
    })
}

async fn connect(origin: &PlainOrigin) -> Result<SendRequest<Full<Bytes>>, Unanswered> {
    let stream = match tokio::time::timeout(origin.connect_timeout, TcpStream::connect(&origin.address)).await
    {
        Ok(Ok(stream)) => stream,
        Ok(Err(err)) if err.kind() == std::io::ErrorKind::ConnectionRefused => {
            return Err(Unanswered::Refused);
        }
        Ok(Err(_)) | Err(_) => return Err(Unanswered::Unsent),
    };
    let _ = stream.set_nodelay(true);
    let (sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|_| Unanswered::Unsent)?;
    tokio::spawn(async move {
        if let Err(err) = connection.await {
            debug!(%err, "an upstream connection of the forward ended");
        }
    });
    Ok(sender)
}

/// An answer's body that gives its connection back to the thread's idle ones once it has been
/// read to its end (a body dropped before that leaves a connection hyper closes).
pub(crate) struct Returning {
    body: Incoming,
    ended: bool,
    sender: Option<(String, SendRequest<Full<Bytes>>)>,
}

impl hyper::body::Body for Returning {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        if let Poll::Ready(None) = polled {
            self.ended = true;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for Returning {
    fn drop(&mut self) {
        let Some((address, sender)) = self.sender.take() else { return };
        if !(self.ended || self.body.is_end_stream()) || sender.is_closed() {
            return;
        }
        IDLE.with_borrow_mut(|idle| {
            let kept = idle.entry(address).or_default();
            if kept.len() < IDLE_PER_ORIGIN {
                kept.push(Idle { since: Instant::now(), sender });
            }
        });
    }
}

/// Serves `router` on every connection `listener` accepts (with `TCP_NODELAY`: Nagle plus
/// delayed ACK would stall each call of a Node agent by ~45 ms), until this future is dropped.
///
/// One thread per core, each with a single-threaded runtime, accepts on the same socket and
/// serves what it accepted: a connection, its requests and the upstream connections they use
/// then live on one thread, where a request and its answer cross no thread on the way (nor does
/// a new connection, and many clients open one per request), while the hub as a whole still
/// uses every core. (One multi-threaded runtime moves tasks between threads and wakes one
/// thread from another several times per call; one single-threaded runtime for all agents cost
/// a third of the hub's capacity under many agents. See docs/performance.md.)
pub(crate) async fn serve(listener: TcpListener, router: Router) -> std::io::Result<()> {
    let listener = listener.into_std()?;
    let stop = CancellationToken::new();
    let _stop_on_drop = stop.clone().drop_guard();
    let (failed, mut failure) = mpsc::unbounded_channel();
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    for n in 0..threads {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (listener, router, stop, failed) =
            (listener.try_clone()?, router.clone(), stop.clone(), failed.clone());
        std::thread::Builder::new().name(format!("lanyard-serve-{n}")).spawn(move || {
            runtime.block_on(async move {
                match TcpListener::from_std(listener) {
                    Ok(listener) => accept(listener, router, stop).await,
                    Err(err) => drop(failed.send(err)),
                }
            });
        })?;
    }
    drop(failed);
    // Only a thread that could not start says anything; the others serve until the stop.
    match failure.recv().await {
        Some(err) => Err(err),
        None => std::future::pending().await,
    }
}

/// One thread's accept loop, until `stop`.
async fn accept(listener: TcpListener, router: Router, stop: CancellationToken) {
    loop {
        let accepted = tokio::select! {
            () = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _)) => {
                if let Err(err) = stream.set_nodelay(true) {
                    debug!(%err, "could not set TCP_NODELAY");
                }
                tokio::spawn(serve_connection(stream, router.clone()));
            }
            Err(err) => {
                // Out of file descriptors and the like: wait, rather than spin or stop serving.
                debug!(%err, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// One agent connection, served on the thread that accepted it. Answers go out
/// [`Gathered`]: what of a streamed answer is ready together leaves in one write.
async fn serve_connection(stream: TcpStream, router: Router) {
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let mut router = router.clone();
        async move { router.call(request).await.map(|response| response.map(Gathered::new)) }
    });
    let served = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    if let Err(err) = served.await {
        debug!(%err, "an agent connection ended with an error");
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
