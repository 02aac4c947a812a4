//! A response body that hands the agent's connection, in one piece, what is ready together.
//!
//! Why: an answer the forward streams from an upstream comes from the upstream connection's own
//! task, one chunk at a time, and that task only reads on (to the chunk after, or the end of the
//! body) once this one has been taken. Handed on as they came, the last event of an answer and
//! the end of the body (chunked encoding's `0\r\n\r\n`) left in two writes even when the
//! upstream had sent them in one. The agent then got its answer before the end of the body, and
//! an agent that sends its next request as soon as it has its answer (rmcp's client does) found
//! its connection still busy and opened a new one, for a fifth to a quarter of the calls through
//! the hub against 2-4 % direct (docs/performance.md).
//!
//! So after a chunk the body lets the other tasks of its thread run, up to three times, which
//! gives the upstream connection's task the turns it needs, and then hands on whatever has
//! become ready, the end included, so that hyper writes it all at once. The first chunk is not
//! held: hyper writes it with the head, which it would otherwise send alone while the body
//! waits. A body whose one chunk is also its end (a JSON answer read whole) passes as it is.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use hyper::body::{Body, Frame, SizeHint};

/// How many turns of its thread a body waits, after data came, for more: the upstream
/// connection's task takes two to pass on the end of a body whose bytes it has already read.
const TURNS: u8 = 3;

/// Held data goes on once it reaches this size, however fast more comes: a long answer streams
/// on rather than gathering in memory.
const HELD_LIMIT: usize = 64 * 1024;

/// `B` with the data frames that are ready together joined into one.
pub(crate) struct Gathered<B: Body> {
    inner: B,
    /// Data taken but not handed on yet.
    held: BytesMut,
    /// How often the task has let the others run since data last came into `held`.
    turns: u8,
    /// Whether a data frame has been handed on.
    started: bool,
    /// A frame (trailers) or error that came after held data, handed on after it.
    next: Option<Result<Frame<Bytes>, B::Error>>,
    /// The inner body ended.
    ended: bool,
}

impl<B: Body> Gathered<B> {
    pub(crate) fn new(inner: B) -> Self {
        Self { inner, held: BytesMut::new(), turns: 0, started: false, next: None, ended: false }
    }

    /// The held data, with `frame` to come after it; `frame` alone when nothing is held.
    fn after_held(&mut self, frame: Result<Frame<Bytes>, B::Error>) -> Result<Frame<Bytes>, B::Error> {
        match self.take_held() {
            Some(held) => {
                self.next = Some(frame);
                held
            }
            None => frame,
        }
    }

    /// The held data as a frame, if any.
    fn take_held(&mut self) -> Option<Result<Frame<Bytes>, B::Error>> {
        (!self.held.is_empty()).then(|| Ok(Frame::data(self.held.split().freeze())))
    }
}

impl<B> Body for Gathered<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = self.get_mut();
        if let Some(next) = this.next.take() {
            return Poll::Ready(Some(next));
        }
        if this.ended {
            return Poll::Ready(None);
        }
        loop {
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) if this.held.is_empty() && (!this.started || this.inner.is_end_stream()) => {
                        // The first goes with the head, which hyper would write alone if this
                        // waited; a last one passes as it is.
                        this.started = true;
                        this.ended = this.inner.is_end_stream();
                        return Poll::Ready(Some(Ok(Frame::data(data))));
                    }
                    Ok(data) => {
                        this.held.extend_from_slice(&data);
                        this.turns = 0;
                        if this.held.len() >= HELD_LIMIT {
                            return Poll::Ready(this.take_held());
                        }
                    }
                    Err(frame) => return Poll::Ready(Some(this.after_held(Ok(frame)))),
                },
                Poll::Ready(Some(Err(err))) => return Poll::Ready(Some(this.after_held(Err(err)))),
                Poll::Ready(None) => {
                    this.ended = true;
                    return Poll::Ready(this.take_held());
                }
                Poll::Pending if this.held.is_empty() => return Poll::Pending,
                Poll::Pending if this.turns < TURNS => {
                    // Let the upstream connection's task read on, then come back.
                    this.turns += 1;
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                Poll::Pending => return Poll::Ready(this.take_held()),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.ended && self.held.is_empty() && self.next.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        if self.held.is_empty() && self.next.is_none() && !self.ended {
            self.inner.size_hint()
        } else {
            SizeHint::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::time::Duration;

    use http_body_util::{BodyExt, Full, StreamBody};
    use tokio::sync::mpsc;

    use super::*;

    type Channel = StreamBody<Pin<Box<dyn futures::Stream<Item = Result<Frame<Bytes>, Infallible>> + Send>>>;

    /// A body fed by `pieces` from another task, which, like an upstream connection's task,
    /// passes each piece on only once the one before has been taken (a channel of one).
    fn fed(pieces: Vec<(&'static str, Duration)>) -> Gathered<Channel> {
        let (tx, rx) = mpsc::channel::<Bytes>(1);
        tokio::spawn(async move {
            for (piece, pause) in pieces {
                if !pause.is_zero() {
                    tokio::time::sleep(pause).await;
                }
                if tx.send(Bytes::from_static(piece.as_bytes())).await.is_err() {
                    return;
                }
            }
        });
        let stream = futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|bytes| (Ok(Frame::data(bytes)), rx))
        });
        Gathered::new(StreamBody::new(Box::pin(stream) as Pin<Box<dyn futures::Stream<Item = _> + Send>>))
    }

    async fn frames<B: Body<Data = Bytes> + Unpin>(mut body: Gathered<B>) -> Vec<(String, bool)>
    where
        B::Error: Unpin + std::fmt::Debug,
    {
        let mut seen = Vec::new();
        while let Some(frame) = body.frame().await {
            let data = frame.expect("no error").into_data().expect("data");
            seen.push((String::from_utf8_lossy(&data).into_owned(), body.is_end_stream()));
        }
        seen
    }

    #[tokio::test]
    async fn what_is_ready_together_leaves_as_one_frame_with_the_end() {
        let body = fed(vec![
            ("event: a\n\n", Duration::ZERO),
            ("event: b\n\n", Duration::ZERO),
            ("event: c\n\n", Duration::ZERO),
        ]);
        assert_eq!(
            frames(body).await,
            [("event: a\n\n".to_owned(), false), ("event: b\n\nevent: c\n\n".to_owned(), true)],
            "the first piece goes at once (with the head); the others and the end, in one frame that \
             hyper writes with the end"
        );
    }

    #[tokio::test]
    async fn what_comes_later_is_not_held_back() {
        let body = fed(vec![
            ("event: a\n\n", Duration::ZERO),
            ("event: b\n\n", Duration::ZERO),
            ("event: c\n\n", Duration::from_millis(30)),
        ]);
        assert_eq!(
            frames(body).await,
            [
                ("event: a\n\n".to_owned(), false),
                ("event: b\n\n".to_owned(), false),
                ("event: c\n\n".to_owned(), true)
            ],
            "an event goes as soon as nothing more is ready"
        );
    }

    #[tokio::test]
    async fn a_long_answer_streams_on_rather_than_gathering() {
        let piece: &'static str = "x".repeat(HELD_LIMIT / 2 + 1).leak();
        let body = fed(vec![(piece, Duration::ZERO); 5]);
        let sizes: Vec<usize> = frames(body).await.iter().map(|(data, _)| data.len()).collect();
        assert_eq!(sizes.iter().sum::<usize>(), 5 * piece.len(), "nothing lost");
        assert!(sizes.iter().all(|&size| size < 2 * HELD_LIMIT), "held no more than the limit: {sizes:?}");
        assert!(sizes.len() >= 3, "went on in several frames: {sizes:?}");
    }

    #[tokio::test]
    async fn a_whole_body_passes_as_it_is() {
        let body = Gathered::new(Full::new(Bytes::from_static(b"{\"jsonrpc\":\"2.0\"}")));
        assert!(!body.is_end_stream());
        assert_eq!(frames(body).await, [("{\"jsonrpc\":\"2.0\"}".to_owned(), true)]);
    }
}
