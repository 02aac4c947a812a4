//! Receiving the authorization answer: the loopback redirect (RFC 8252 7.3) and paste-back.
//!
//! [`LoopbackRedirect`] binds 127.0.0.1 (an ephemeral port unless the profile fixes one; a busy
//! fixed port is an error, never a silent switch) for one flow only. It answers requests for
//! other paths (a browser's `/favicon.ico`) with 404, reads its connections side by side (a
//! browser may open one it sends nothing on), takes the first request to `/callback`,
//! answers the browser with a small page saying what happened and that the tab can be closed,
//! and stops listening. For machines without a browser, [`read_pasted`] takes the address the
//! browser ended on, typed or pasted in. Both go through [`check`], which holds the rules:
//! `state` must match, and `iss` must match the issuer when the server promises to send it
//! (RFC 9207) or sends it anyway.

use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing::debug;
use url::Url;

use super::error::{OAuthError, OAuthErrorCode};
use super::http::shown;
use crate::ids::SourceId;
use crate::secret::Secret;

const CALLBACK_PATH: &str = "/callback";
const MAX_REQUEST_HEAD: usize = 16 * 1024;
/// How long one browser connection may take to send its request.
const REQUEST_DEADLINE: Duration = Duration::from_secs(10);
/// Browser connections read at once; a browser opens a handful at most.
const MAX_OPEN_CONNECTIONS: usize = 16;

/// The parameters of the redirect, before checks.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Answer {
    pub code: Option<Secret>,
    pub state: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
}

impl Answer {
    /// The answer's parameters from a callback URL's query (or a bare query string).
    pub fn from_query(query: &str) -> Self {
        let mut answer = Self::default();
        for (name, value) in url::form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
            match name.as_ref() {
                "code" => answer.code = Some(Secret::new(value.into_owned())),
                "state" => answer.state = Some(value.into_owned()),
                "iss" => answer.iss = Some(value.into_owned()),
                "error" => answer.error = Some(shown(&value, 100)),
                _ => {}
            }
        }
        answer
    }

    /// The answer in one pasted line: the whole address the browser ended on, or its query.
    pub fn from_pasted(line: &str) -> Self {
        let text = line.trim();
        match Url::parse(text) {
            Ok(url) => Self::from_query(url.query().unwrap_or_default()),
            Err(_) => Self::from_query(text.split_once('?').map_or(text, |(_, q)| q)),
        }
    }
}

/// What the answer must match.
#[derive(Debug, Clone)]
pub struct Expected {
    pub state: String,
    pub issuer: String,
    /// The server advertises `authorization_response_iss_parameter_supported`.
    pub iss_required: bool,
}

/// Checks an answer and returns its code.
pub fn check(id: &SourceId, answer: Answer, expected: &Expected) -> Result<Secret, OAuthError> {
    if answer.state.as_deref() != Some(expected.state.as_str()) {
        return Err(OAuthError::StateMismatch { id: id.clone() });
    }
    // RFC 9207: when present, `iss` must match; when promised, it must be present. Checked on
    // error answers too, since a mix-up attacker can send errors.
    match &answer.iss {
        Some(iss) if !super::discovery::same_issuer(iss, &expected.issuer) => {
            return Err(OAuthError::IssuerMixUp {
                id: id.clone(),
                expected: expected.issuer.clone(),
                found: Some(shown(iss, 200)),
            });
        }
        None if expected.iss_required => {
            return Err(OAuthError::IssuerMixUp {
                id: id.clone(),
                expected: expected.issuer.clone(),
                found: None,
            });
        }
        _ => {}
    }
    if let Some(error) = answer.error {
        return Err(OAuthError::AuthorizationFailed { id: id.clone(), code: OAuthErrorCode(error) });
    }
    answer.code.filter(|code| !code.is_empty()).ok_or_else(|| OAuthError::BadCallback { id: id.clone() })
}

/// The listener for one flow's redirect.
#[derive(Debug)]
pub struct LoopbackRedirect {
    listener: TcpListener,
    port: u16,
}

impl LoopbackRedirect {
    /// Binds 127.0.0.1 on `port`, or on a port the OS picks.
    pub async fn bind(id: &SourceId, port: Option<u16>) -> Result<Self, OAuthError> {
        let listener =
            TcpListener::bind(("127.0.0.1", port.unwrap_or(0))).await.map_err(|err| match port {
                Some(port) if err.kind() == std::io::ErrorKind::AddrInUse => {
                    OAuthError::RedirectPortBusy { id: id.clone(), port, err }
                }
                _ => OAuthError::Listener { id: id.clone(), err },
            })?;
        let port = listener.local_addr().map_err(|err| OAuthError::Listener { id: id.clone(), err })?.port();
        Ok(Self { listener, port })
    }

    /// `http://127.0.0.1:<port>/callback`.
    pub fn redirect_uri(&self) -> Url {
        Url::parse(&format!("http://127.0.0.1:{}{CALLBACK_PATH}", self.port)).expect("a valid loopback URL")
    }

    /// Waits for the callback, checks it, answers the browser, and stops listening.
    ///
    /// Connections are read side by side: a browser may open one and send nothing on it (a
    /// speculative preconnect), and the callback must not wait behind it for its deadline.
    pub async fn receive(self, id: &SourceId, expected: &Expected) -> Result<Secret, OAuthError> {
        let mut reading = FuturesUnordered::new();
        loop {
            let read = tokio::select! {
                accepted = self.listener.accept() => {
                    let (stream, _) = accepted.map_err(|err| OAuthError::Listener { id: id.clone(), err })?;
                    // Past the bound the connection is closed at once; the browser retries.
                    if reading.len() < MAX_OPEN_CONNECTIONS {
                        let _ = stream.set_nodelay(true);
                        reading.push(read_target(stream));
                    }
                    continue;
                }
                Some(read) = reading.next(), if !reading.is_empty() => read,
            };
            let Some((stream, target)) = read else { continue };
            let (path, query) = target.split_once('?').unwrap_or((target.as_str(), ""));
            if path != CALLBACK_PATH {
                respond(
                    stream,
                    "404 Not Found",
                    "Not found",
                    "This address only receives Lanyard's sign-in.",
                )
                .await;
                continue;
            }
            debug!(source = %id, "sign-in redirect received");
            let checked = check(id, Answer::from_query(query), expected);
            match &checked {
                Ok(_) => {
                    respond(
                        stream,
                        "200 OK",
                        "Signed in",
                        &format!("Lanyard received the sign-in for source {id}. You can close this tab."),
                    )
                    .await
                }
                Err(err) => {
                    respond(
                        stream,
                        "400 Bad Request",
                        "Sign-in failed",
                        &format!(
                            "{}. You can close this tab and return to Lanyard.",
                            html_escape(&err.to_string())
                        ),
                    )
                    .await
                }
            }
            return checked;
        }
    }
}

/// Reads a request's head and returns its target (path and query); `None` for anything that is
/// not a GET with a target within the limits.
async fn read_target(mut stream: TcpStream) -> Option<(TcpStream, String)> {
    let mut head = Vec::with_capacity(1024);
    let read = async {
        let mut buf = [0u8; 2048];
        loop {
            let n = stream.read(&mut buf).await.ok()?;
            if n == 0 {
                return None;
            }
            head.extend_from_slice(&buf[..n]);
            if head.windows(4).any(|w| w == b"\r\n\r\n") || head.windows(2).any(|w| w == b"\n\n") {
                return Some(());
            }
            if head.len() > MAX_REQUEST_HEAD {
                return None;
            }
        }
    };
    tokio::time::timeout(REQUEST_DEADLINE, read).await.ok()??;
    let target = request_target(&head)?.to_owned();
    Some((stream, target))
}

/// The target of a GET request, from its head; `None` for any other request line.
pub(crate) fn request_target(head: &[u8]) -> Option<&str> {
    let line = head.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?.trim_end();
    let mut parts = line.split(' ');
    let (method, target) = (parts.next()?, parts.next()?);
    (method == "GET").then_some(target)
}

async fn respond(mut stream: TcpStream, status: &str, title: &str, message: &str) {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Lanyard: {title}</title></head>\
         <body style=\"font-family: sans-serif; margin: 3em\"><h1>{title}</h1><p>{message}</p></body></html>"
    );
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nContent-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n\
         Referrer-Policy: no-referrer\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Reads lines from `input` until one holds a sign-in answer (a URL or query with `code` or
/// `error`), then checks it.
pub async fn read_pasted(
    id: &SourceId,
    input: &mut (dyn AsyncBufRead + Unpin + Send),
    expected: &Expected,
) -> Result<Secret, OAuthError> {
    let mut line = String::new();
    loop {
        line.clear();
        let n =
            input.read_line(&mut line).await.map_err(|err| OAuthError::Listener { id: id.clone(), err })?;
        if n == 0 {
            return Err(OAuthError::PasteBackClosed { id: id.clone() });
        }
        let answer = Answer::from_pasted(&line);
        if answer.code.is_some() || answer.error.is_some() {
            return check(id, answer, expected);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> SourceId {
        "s".parse().unwrap()
    }

    fn expected(iss_required: bool) -> Expected {
        Expected { state: "st".into(), issuer: "https://as.example".into(), iss_required }
    }

    #[test]
    fn state_must_match() {
        let err = check(&id(), Answer::from_query("code=c&state=other"), &expected(false)).unwrap_err();
        assert!(matches!(err, OAuthError::StateMismatch { .. }), "{err:?}");
        let err = check(&id(), Answer::from_query("code=c"), &expected(false)).unwrap_err();
        assert!(matches!(err, OAuthError::StateMismatch { .. }), "a missing state is a mismatch: {err:?}");
        let code = check(&id(), Answer::from_query("code=c&state=st"), &expected(false)).unwrap();
        assert_eq!(code.expose(), "c", "the code");
    }

    #[test]
    fn iss_is_checked_when_present_or_promised() {
        let err = check(
            &id(),
            Answer::from_query("code=c&state=st&iss=https%3A%2F%2Fevil.example"),
            &expected(false),
        )
        .unwrap_err();
        assert!(matches!(err, OAuthError::IssuerMixUp { found: Some(_), .. }), "a wrong iss: {err:?}");
        let err = check(&id(), Answer::from_query("code=c&state=st"), &expected(true)).unwrap_err();
        assert!(
            matches!(err, OAuthError::IssuerMixUp { found: None, .. }),
            "a promised iss missing: {err:?}"
        );
        assert!(
            check(&id(), Answer::from_query("code=c&state=st&iss=https%3A%2F%2Fas.example"), &expected(true))
                .is_ok(),
            "the right iss"
        );
        assert!(
            check(&id(), Answer::from_query("code=c&state=st"), &expected(false)).is_ok(),
            "not promised, absent"
        );
    }

    #[test]
    fn errors_keep_their_code() {
        let err =
            check(&id(), Answer::from_query("error=access_denied&state=st"), &expected(false)).unwrap_err();
        assert!(
            matches!(&err, OAuthError::AuthorizationFailed { code, .. } if code.as_str() == "access_denied"),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn pasted_lines_are_read_until_an_answer() {
        let mut input: &[u8] = b"\nhello\nhttp://127.0.0.1:1/callback?code=abc&state=st\n";
        let code = read_pasted(&id(), &mut input, &expected(false)).await.unwrap();
        assert_eq!(code.expose(), "abc", "noise lines are skipped");
        let mut empty: &[u8] = b"nothing here\n";
        let err = read_pasted(&id(), &mut empty, &expected(false)).await.unwrap_err();
        assert!(matches!(err, OAuthError::PasteBackClosed { .. }), "{err:?}");
    }

    /// A browser's preconnect (a connection that sends nothing) must not hold up the callback
    /// on the next connection until the preconnect's read deadline passes.
    #[tokio::test]
    async fn the_callback_is_read_beside_connections_that_send_nothing() {
        let redirect = LoopbackRedirect::bind(&id(), None).await.unwrap();
        let address = format!("127.0.0.1:{}", redirect.port);
        let receiving = tokio::spawn(async move { redirect.receive(&id(), &expected(false)).await });
        let mut idle = Vec::new();
        for _ in 0..3 {
            idle.push(TcpStream::connect(&address).await.unwrap());
        }
        let mut browser = TcpStream::connect(&address).await.unwrap();
        browser.write_all(b"GET /callback?code=abc&state=st HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        // Read one after the other, the three idle connections would hold the callback for
        // three read deadlines (30 s); side by side it is answered at once.
        let code = tokio::time::timeout(REQUEST_DEADLINE - Duration::from_secs(2), receiving)
            .await
            .expect("the callback is answered before any idle connection's deadline")
            .unwrap()
            .unwrap();
        assert_eq!(code.expose(), "abc", "the code from the callback");
        let mut page = String::new();
        browser.read_to_string(&mut page).await.unwrap();
        assert!(page.starts_with("HTTP/1.1 200"), "the browser is told it worked: {page}");
        drop(idle);
    }

    #[tokio::test]
    async fn a_busy_fixed_port_is_an_error() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let err = LoopbackRedirect::bind(&id(), Some(port)).await.unwrap_err();
        assert!(matches!(err, OAuthError::RedirectPortBusy { port: p, .. } if p == port), "{err:?}");
        assert!(err.to_string().contains("--redirect-port"), "names the switch: {err}");
    }
}
