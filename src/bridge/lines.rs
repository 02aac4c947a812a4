//! Reading newline-delimited JSON-RPC (the stdio transport) with a size cap, from the agent and
//! from a stdio server alike.
//!
//! A plain `read_until(b'\n')` grows its buffer for as long as the peer writes without a newline,
//! so a broken or hostile peer could make the bridge take all the memory there is. Here a line
//! longer than the cap is read no further than the cap, the rest of it is skipped up to its
//! newline, and the caller hears [`Line::TooLarge`] to answer with an error.

use std::io::BufRead;

use bytes::Bytes;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// One read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line {
    /// A message, without surrounding whitespace; blank lines are skipped, never returned.
    Message(Bytes),
    /// A line over the cap, skipped.
    TooLarge,
    /// The peer closed its end.
    End,
}

/// The next line of `input`, at most `max` bytes.
pub(crate) fn read_line(input: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> std::io::Result<Line> {
    loop {
        buf.clear();
        let read = std::io::Read::take(&mut *input, max as u64 + 1).read_until(b'\n', buf)?;
        if read == 0 {
            return Ok(Line::End);
        }
        if buf.len() > max && buf.last() != Some(&b'\n') {
            skip_rest(input)?;
            return Ok(Line::TooLarge);
        }
        let text = buf.trim_ascii();
        if !text.is_empty() {
            return Ok(Line::Message(Bytes::copy_from_slice(text)));
        }
    }
}

fn skip_rest(input: &mut impl BufRead) -> std::io::Result<()> {
    loop {
        let (used, done) = skip_step(input.fill_buf()?);
        input.consume(used);
        if done {
            return Ok(());
        }
    }
}

/// How much of `available` belongs to the line being skipped, and whether the line ends there
/// (its newline found, or the input ended).
fn skip_step(available: &[u8]) -> (usize, bool) {
    match available.iter().position(|&b| b == b'\n') {
        Some(at) => (at + 1, true),
        None => (available.len(), available.is_empty()),
    }
}

/// [`read_line`] for an async reader.
pub(crate) async fn read_line_async(
    input: &mut (impl AsyncBufRead + Unpin),
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Line> {
    loop {
        buf.clear();
        let read = (&mut *input).take(max as u64 + 1).read_until(b'\n', buf).await?;
        if read == 0 {
            return Ok(Line::End);
        }
        if buf.len() > max && buf.last() != Some(&b'\n') {
            loop {
                let (used, done) = skip_step(input.fill_buf().await?);
                input.consume(used);
                if done {
                    break;
                }
            }
            return Ok(Line::TooLarge);
        }
        let text = buf.trim_ascii();
        if !text.is_empty() {
            return Ok(Line::Message(Bytes::copy_from_slice(text)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8], max: usize) -> Vec<Line> {
        let mut reader = std::io::BufReader::with_capacity(4, input);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            let line = read_line(&mut reader, &mut buf, max).unwrap();
            let end = line == Line::End;
            out.push(line);
            if end {
                return out;
            }
        }
    }

    #[test]
    fn long_lines_are_skipped_to_their_newline_and_the_next_line_survives() {
        let lines = all(b"{\"a\":1}\n\n0123456789abcdef\n{\"b\":2}\n", 10);
        assert_eq!(
            lines,
            vec![
                Line::Message(Bytes::from_static(b"{\"a\":1}")),
                Line::TooLarge,
                Line::Message(Bytes::from_static(b"{\"b\":2}")),
                Line::End
            ],
            "blank lines skipped, the long one reported once, the next one intact"
        );
        assert_eq!(
            all(b"0123456789\n", 10)[0],
            Line::Message(Bytes::from_static(b"0123456789")),
            "exactly the cap fits"
        );
        assert_eq!(
            all(b"0123456789abc", 10),
            vec![Line::TooLarge, Line::End],
            "an endless line ends as too large"
        );
    }

    #[tokio::test]
    async fn the_async_reader_agrees() {
        let input: &[u8] = b"{\"a\":1}\n0123456789abcdef\n{\"b\":2}";
        let mut reader = tokio::io::BufReader::with_capacity(4, input);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            let line = read_line_async(&mut reader, &mut buf, 10).await.unwrap();
            let end = line == Line::End;
            out.push(line);
            if end {
                break;
            }
        }
        assert_eq!(
            out,
            vec![
                Line::Message(Bytes::from_static(b"{\"a\":1}")),
                Line::TooLarge,
                Line::Message(Bytes::from_static(b"{\"b\":2}")),
                Line::End
            ]
        );
    }
}
