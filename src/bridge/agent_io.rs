//! The agent's end of `lanyard bridge`: this process's stdin and stdout, read and written on the
//! async runtime when they allow it.
//!
//! IDEs start the bridge with pipes or socket pairs on its stdin and stdout (Node-based ones,
//! socket pairs). Those are put in non-blocking mode and driven by the runtime's reactor, so a
//! message crosses no thread on its way in or out: a hand-over to a blocking thread costs a
//! wake-up per message, which the bridge benchmark shows in the added latency. Anything else (a
//! terminal, a file) is read and written by plain threads with blocking I/O instead.
//!
//! Non-blocking mode belongs to the open file, which the process that started us may share (a
//! terminal, a pipe it hands on), so [`AgentIo`] puts the original mode back when dropped.

use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::FileTypeExt;
use std::pin::Pin;

use rustix::fs::OFlags;
use tokio::io::{AsyncRead, AsyncWrite};

/// Stdin and stdout as async streams, with their blocking mode restored on drop.
pub(crate) struct AgentIo {
    pub input: Pin<Box<dyn AsyncRead + Send>>,
    pub output: Pin<Box<dyn AsyncWrite + Send>>,
    restore: [Restore; 2],
}

impl AgentIo {
    /// Stdin and stdout on the runtime, or `None` when either is neither a pipe nor a socket
    /// (or cannot be switched), in which case the caller uses blocking threads.
    pub fn open() -> Option<Self> {
        let stdin = std::io::stdin();
        let stdout = std::io::stdout();
        let (input, restore_in) = async_end(stdin.as_fd(), Direction::Read)?;
        let Some((output, restore_out)) = async_end(stdout.as_fd(), Direction::Write) else {
            drop(input);
            restore_in.apply();
            return None;
        };
        let input = match input {
            End::Read(reader) => reader,
            End::Write(_) => unreachable!("opened for reading"),
        };
        let output = match output {
            End::Write(writer) => writer,
            End::Read(_) => unreachable!("opened for writing"),
        };
        Some(Self { input, output, restore: [restore_in, restore_out] })
    }
}

impl Drop for AgentIo {
    fn drop(&mut self) {
        for restore in &self.restore {
            restore.apply();
        }
    }
}

#[derive(Clone, Copy)]
enum Direction {
    Read,
    Write,
}

enum End {
    Read(Pin<Box<dyn AsyncRead + Send>>),
    Write(Pin<Box<dyn AsyncWrite + Send>>),
}

/// The file status flags of one standard descriptor as they were before we touched them.
struct Restore {
    /// A duplicate of the descriptor: it shares the open file, whose flags these are.
    fd: OwnedFd,
    flags: OFlags,
}

impl Restore {
    fn apply(&self) {
        // Best effort: a descriptor that cannot be set back is left for the process's exit.
        let _ = rustix::fs::fcntl_setfl(&self.fd, self.flags);
    }
}

/// `fd` (a duplicate of it, sharing its open file) as an async stream when it is a pipe or a
/// socket.
fn async_end(fd: BorrowedFd<'_>, direction: Direction) -> Option<(End, Restore)> {
    let flags = rustix::fs::fcntl_getfl(fd).ok()?;
    let restore = Restore { fd: fd.try_clone_to_owned().ok()?, flags };
    let owned: OwnedFd = fd.try_clone_to_owned().ok()?;
    let file_type = File::from(owned.try_clone().ok()?).metadata().ok()?.file_type();
    let end = if file_type.is_fifo() {
        let file = File::from(owned);
        match direction {
            Direction::Read => End::Read(Box::pin(tokio::net::unix::pipe::Receiver::from_file(file).ok()?)),
            Direction::Write => End::Write(Box::pin(tokio::net::unix::pipe::Sender::from_file(file).ok()?)),
        }
    } else if file_type.is_socket() {
        let stream = std::os::unix::net::UnixStream::from(owned);
        if stream.set_nonblocking(true).is_err() {
            restore.apply();
            return None;
        }
        let Ok(stream) = tokio::net::UnixStream::from_std(stream) else {
            restore.apply();
            return None;
        };
        match direction {
            Direction::Read => End::Read(Box::pin(stream)),
            Direction::Write => End::Write(Box::pin(stream)),
        }
    } else {
        return None;
    };
    Some((end, restore))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn flags(fd: BorrowedFd<'_>) -> OFlags {
        rustix::fs::fcntl_getfl(fd).expect("the flags are readable")
    }

    #[tokio::test]
    async fn a_socket_end_is_async_and_its_blocking_mode_comes_back() {
        let (ours, mut theirs) = std::os::unix::net::UnixStream::pair().expect("a socket pair");
        let before = flags(ours.as_fd());
        assert!(!before.contains(OFlags::NONBLOCK), "a fresh socket blocks");
        let (end, restore) = async_end(ours.as_fd(), Direction::Read).expect("a socket goes async");
        assert!(flags(ours.as_fd()).contains(OFlags::NONBLOCK), "the shared open file is non-blocking now");
        let End::Read(mut reader) = end else { panic!("opened for reading") };
        std::io::Write::write_all(&mut theirs, b"hello\n").expect("write to the pair");
        let mut buf = [0u8; 6];
        reader.read_exact(&mut buf).await.expect("read through the runtime");
        assert_eq!(&buf, b"hello\n");
        restore.apply();
        assert_eq!(flags(ours.as_fd()), before, "the original flags are back");
    }

    #[tokio::test]
    async fn a_pipe_end_is_async_and_a_regular_file_is_not() {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        let (end, restore) = async_end(writer.as_fd(), Direction::Write).expect("a pipe goes async");
        let End::Write(mut output) = end else { panic!("opened for writing") };
        output.write_all(b"line\n").await.expect("write through the runtime");
        output.flush().await.expect("flush");
        let mut got = [0u8; 5];
        std::io::Read::read_exact(&mut &reader, &mut got).expect("read the pipe");
        assert_eq!(&got, b"line\n");
        restore.apply();
        assert!(!flags(writer.as_fd()).contains(OFlags::NONBLOCK), "blocking again");

        let file = tempfile::tempfile().expect("a temporary file");
        assert!(async_end(file.as_fd(), Direction::Read).is_none(), "a regular file stays on threads");
    }
}
