//! The agent's stdin and stdout as non-blocking pipes on the async runtime (Unix).
//!
//! Read and written with blocking calls on threads of their own, every message crosses threads
//! twice, reader to runtime and runtime to writer, and on a small machine those wake-ups were
//! most of what `lanyard bridge` cost per call (the profile in docs/performance.md: two thirds of
//! its time in the kernel, switching). Registered with the runtime's poller instead, the agent's ends are
//! read and written by the same thread that talks to the upstream.
//!
//! Only pipes and sockets qualify. A terminal or a file cannot be polled, and a terminal left
//! non-blocking would trouble the shell after us. Nor when stderr shares stdout's pipe
//! (`2>&1`): the flag belongs to the pipe, not to the descriptor, so a log line written while
//! the agent is not reading would fail instead of waiting. In those cases [`open`] says no and
//! the caller keeps its threads. The flag is put back as it was once both ends are dropped.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::UnixStream;
use tokio::net::unix::pipe;
use tracing::debug;

/// This process's stdin and stdout, polled by the runtime.
pub(crate) struct AgentPipes {
    pub input: Input,
    pub output: Output,
}

pub(crate) type Input = PipeEnd<Box<dyn AsyncRead + Send + Unpin>>;
pub(crate) type Output = PipeEnd<Box<dyn AsyncWrite + Send + Unpin>>;

/// One end of the agent's stream, with the guard that puts its flags back.
pub(crate) struct PipeEnd<T> {
    io: T,
    /// Shared by both ends: the flags go back once neither is in use.
    _restore: Arc<Restore>,
}

/// The file status flags of the agent's pipes as they were, put back when dropped.
struct Restore(Vec<(OwnedFd, OFlags)>);

/// Stdin and stdout made non-blocking and registered with the current runtime, when both are
/// pipes or sockets and stderr is not stdout's pipe; `None` otherwise (nothing is changed then).
pub(crate) fn open() -> Option<AgentPipes> {
    match try_open() {
        Ok(pipes) => pipes,
        Err(err) => {
            debug!(%err, "stdin and stdout stay on threads");
            None
        }
    }
}

/// What an end of the agent's stream is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Fifo,
    Socket,
}

fn try_open() -> io::Result<Option<AgentPipes>> {
    let input = File::from(io::stdin().as_fd().try_clone_to_owned()?);
    let output = File::from(io::stdout().as_fd().try_clone_to_owned()?);
    let error = File::from(io::stderr().as_fd().try_clone_to_owned()?);
    let (input_meta, output_meta) = (input.metadata()?, output.metadata()?);
    let (Some(input_kind), Some(output_kind)) = (kind(&input_meta), kind(&output_meta)) else {
        return Ok(None);
    };
    let error_meta = error.metadata()?;
    if (error_meta.dev(), error_meta.ino()) == (output_meta.dev(), output_meta.ino()) {
        return Ok(None);
    }
    // Taken first, so that a failure half-way puts back what was changed.
    let restore = Arc::new(Restore::capture(&[&input, &output])?);
    let reader: Box<dyn AsyncRead + Send + Unpin> = match input_kind {
        Kind::Fifo => Box::new(pipe::Receiver::from_file(input)?),
        Kind::Socket => Box::new(socket(input)?),
    };
    let writer: Box<dyn AsyncWrite + Send + Unpin> = match output_kind {
        Kind::Fifo => Box::new(pipe::Sender::from_file(output)?),
        Kind::Socket => Box::new(socket(output)?),
    };
    Ok(Some(AgentPipes {
        input: PipeEnd { io: reader, _restore: Arc::clone(&restore) },
        output: PipeEnd { io: writer, _restore: restore },
    }))
}

fn kind(meta: &std::fs::Metadata) -> Option<Kind> {
    let file_type = meta.file_type();
    if file_type.is_fifo() {
        Some(Kind::Fifo)
    } else if file_type.is_socket() {
        Some(Kind::Socket)
    } else {
        None
    }
}

/// A socket end (Node, and so most IDEs, give a child socket pairs for its stdio).
fn socket(file: File) -> io::Result<UnixStream> {
    let stream = std::os::unix::net::UnixStream::from(OwnedFd::from(file));
    stream.set_nonblocking(true)?;
    UnixStream::from_std(stream)
}

impl Restore {
    fn capture(ends: &[&File]) -> io::Result<Self> {
        let mut saved = Vec::with_capacity(ends.len());
        for end in ends {
            saved.push((end.as_fd().try_clone_to_owned()?, fcntl_getfl(end)?));
        }
        Ok(Self(saved))
    }
}

impl Drop for Restore {
    fn drop(&mut self) {
        for (fd, flags) in &self.0 {
            let _ = fcntl_setfl(fd, *flags);
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for PipeEnd<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for PipeEnd<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
