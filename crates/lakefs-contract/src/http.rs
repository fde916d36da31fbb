//! Just enough HTTP/1.1 for the relays: reading whole requests and answers off a connection
//! (`Content-Length`, chunked, or until close; no body for HEAD, 1xx, 204 and 304), and
//! writing a message again with some headers or its body changed.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// The longest message head accepted.
const MAX_HEAD: usize = 1 << 20;
/// How much is read from a connection at a time.
const READ_SIZE: usize = 64 * 1024;

/// The start line and headers of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Head {
    /// `GET /api/v1/healthcheck HTTP/1.1` or `HTTP/1.1 204 No Content`.
    pub start_line: String,
    /// Names and values in order, as received (names keep their case).
    pub headers: Vec<(String, String)>,
}

impl Head {
    fn parse(bytes: &[u8]) -> Head {
        let text = String::from_utf8_lossy(bytes);
        let mut lines = text.split("\r\n");
        let start_line = lines.next().unwrap_or_default().to_string();
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
            .collect();
        Head {
            start_line,
            headers,
        }
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name` (case-insensitive), in order.
    pub fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The method of a request.
    pub fn method(&self) -> &str {
        self.start_line.split(' ').next().unwrap_or_default()
    }

    /// The target of a request: path and query as sent.
    pub fn target(&self) -> &str {
        self.start_line.split(' ').nth(1).unwrap_or_default()
    }

    /// The status of an answer.
    pub fn status(&self) -> Option<u16> {
        self.start_line.split(' ').nth(1)?.parse().ok()
    }

    fn is_chunked(&self) -> bool {
        self.header("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    }

    fn content_length(&self) -> io::Result<Option<usize>> {
        self.header("content-length")
            .map(|v| {
                v.parse()
                    .map_err(|_| invalid(format!("invalid Content-Length {v:?}")))
            })
            .transpose()
    }
}

/// One whole request or answer.
#[derive(Debug, Clone)]
pub(crate) struct Message {
    pub head: Head,
    /// The bytes exactly as received (interim 1xx answers included).
    pub raw: Vec<u8>,
    /// Where the body starts in `raw`.
    body_start: usize,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Message {
    /// The message with the headers named in `drop` removed and `add` appended. With a new
    /// `body`, the framing headers are replaced by its `Content-Length`; without one, the
    /// original body follows as received.
    pub fn rebuild(&self, drop: &[&str], add: &[(&str, &str)], body: Option<&[u8]>) -> Vec<u8> {
        let framing = ["content-length", "transfer-encoding"];
        let dropped = |name: &str| {
            drop.iter().any(|d| d.eq_ignore_ascii_case(name))
                || (body.is_some() && framing.iter().any(|f| f.eq_ignore_ascii_case(name)))
        };
        let mut out = Vec::with_capacity(self.raw.len() + 64);
        out.extend_from_slice(self.head.start_line.as_bytes());
        out.extend_from_slice(b"\r\n");
        let kept = self.head.headers.iter().filter(|(n, _)| !dropped(n));
        let length = body.map(|b| b.len().to_string());
        let length = length.iter().map(|l| ("content-length", l.as_str()));
        let kept = kept.map(|(n, v)| (n.as_str(), v.as_str()));
        for (name, value) in kept.chain(add.iter().copied()).chain(length) {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        match body {
            Some(body) => out.extend_from_slice(body),
            None => out.extend_from_slice(&self.raw[self.body_start..]),
        }
        out
    }
}

/// How the body of a message is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Empty,
    Length(usize),
    Chunked,
    UntilClose,
}

/// Reads whole messages off one direction of a connection.
#[derive(Debug)]
pub(crate) struct Reader<R> {
    inner: R,
    buf: Vec<u8>,
}

impl<R: AsyncRead + Unpin> Reader<R> {
    pub fn new(inner: R) -> Reader<R> {
        Reader {
            inner,
            buf: Vec::new(),
        }
    }

    /// Reads more bytes; false at the end of the stream.
    async fn fill(&mut self) -> io::Result<bool> {
        let start = self.buf.len();
        self.buf.resize(start + READ_SIZE, 0);
        let read = self.inner.read(&mut self.buf[start..]).await;
        let n = *read.as_ref().unwrap_or(&0);
        self.buf.truncate(start + n);
        read.map(|n| n > 0)
    }

    /// Waits until `len` bytes are buffered.
    async fn ensure(&mut self, len: usize) -> io::Result<()> {
        self.buf.reserve(len.saturating_sub(self.buf.len()));
        while self.buf.len() < len {
            if !self.fill().await? {
                return Err(eof("in the middle of a message body"));
            }
        }
        Ok(())
    }

    /// Waits for the end of the line starting at `from`; returns the position of its CRLF.
    async fn line_end(&mut self, from: usize) -> io::Result<usize> {
        let mut searched = from;
        loop {
            if let Some(at) = find(&self.buf[searched..], b"\r\n") {
                return Ok(searched + at);
            }
            searched = self.buf.len().saturating_sub(1).max(from);
            if self.buf.len() - from > MAX_HEAD {
                return Err(invalid("a chunk size line that does not end".into()));
            }
            if !self.fill().await? {
                return Err(eof("in the middle of a chunked body"));
            }
        }
    }

    /// The next head, or `None` when the stream ends before one starts.
    async fn head(&mut self) -> io::Result<Option<(Head, usize)>> {
        let mut searched = 0;
        loop {
            if let Some(at) = find(&self.buf[searched..], b"\r\n\r\n") {
                let end = searched + at + 4;
                return Ok(Some((Head::parse(&self.buf[..end - 4]), end)));
            }
            searched = self.buf.len().saturating_sub(3);
            if self.buf.len() > MAX_HEAD {
                return Err(invalid("a message head over 1 MiB".into()));
            }
            if !self.fill().await? {
                return if self.buf.is_empty() {
                    Ok(None)
                } else {
                    Err(eof("in the middle of a message head"))
                };
            }
        }
    }

    /// Reads one message whose head is `head` (ending at `start`) and body is framed so.
    async fn body(&mut self, head: Head, start: usize, framing: Framing) -> io::Result<Message> {
        let (end, body) = match framing {
            Framing::Empty => (start, Vec::new()),
            Framing::Length(len) => {
                self.ensure(start + len).await?;
                (start + len, self.buf[start..start + len].to_vec())
            }
            Framing::Chunked => self.chunked(start).await?,
            Framing::UntilClose => {
                while self.fill().await? {}
                (self.buf.len(), self.buf[start..].to_vec())
            }
        };
        let raw: Vec<u8> = self.buf.drain(..end).collect();
        let body_start = raw.len() - (end - start);
        Ok(Message {
            head,
            raw,
            body_start,
            body,
        })
    }

    /// A chunked body starting at `start`: where it ends, and its data.
    async fn chunked(&mut self, start: usize) -> io::Result<(usize, Vec<u8>)> {
        let mut body = Vec::new();
        let mut at = start;
        loop {
            let end = self.line_end(at).await?;
            let line = String::from_utf8_lossy(&self.buf[at..end]).into_owned();
            let size = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size, 16)
                .map_err(|_| invalid(format!("invalid chunk size {line:?}")))?;
            at = end + 2;
            if size == 0 {
                // Trailers, up to an empty line.
                loop {
                    let end = self.line_end(at).await?;
                    let empty = end == at;
                    at = end + 2;
                    if empty {
                        return Ok((at, body));
                    }
                }
            }
            self.ensure(at + size + 2).await?;
            body.extend_from_slice(&self.buf[at..at + size]);
            if &self.buf[at + size..at + size + 2] != b"\r\n" {
                return Err(invalid("a chunk not followed by CRLF".into()));
            }
            at += size + 2;
        }
    }

    /// The next request, or `None` when the peer closed the connection between requests.
    pub async fn request(&mut self) -> io::Result<Option<Message>> {
        let Some((head, start)) = self.head().await? else {
            return Ok(None);
        };
        let framing = if head.is_chunked() {
            Framing::Chunked
        } else {
            match head.content_length()? {
                Some(len) => Framing::Length(len),
                None => Framing::Empty,
            }
        };
        self.body(head, start, framing).await.map(Some)
    }

    /// The answer to a request made with `method`; interim 1xx answers before it are kept
    /// in its `raw` bytes.
    pub async fn response(&mut self, method: &str) -> io::Result<Message> {
        let mut interim = Vec::new();
        loop {
            let (head, start) = self.head().await?.ok_or_else(|| eof("before an answer"))?;
            let status = head.status().unwrap_or(0);
            let framing = if method.eq_ignore_ascii_case("HEAD")
                || (100..200).contains(&status)
                || status == 204
                || status == 304
            {
                Framing::Empty
            } else if head.is_chunked() {
                Framing::Chunked
            } else {
                match head.content_length()? {
                    Some(len) => Framing::Length(len),
                    None => Framing::UntilClose,
                }
            };
            let mut message = self.body(head, start, framing).await?;
            if (100..200).contains(&status) && status != 101 {
                interim.extend_from_slice(&message.raw);
                continue;
            }
            if !interim.is_empty() {
                message.body_start += interim.len();
                interim.extend_from_slice(&message.raw);
                message.raw = interim;
            }
            return Ok(message);
        }
    }
}

/// Sends `request` (made with `method`) to `addr` on a new connection and reads the answer.
pub(crate) async fn round_trip(
    addr: std::net::SocketAddr,
    request: &[u8],
    method: &str,
) -> io::Result<Message> {
    let stream = TcpStream::connect(addr).await?;
    let (read, mut write) = stream.into_split();
    write_all(&mut write, request).await?;
    Reader::new(read).response(method).await
}

/// Writes and flushes.
pub(crate) async fn write_all<W: AsyncWrite + Unpin>(out: &mut W, bytes: &[u8]) -> io::Result<()> {
    out.write_all(bytes).await?;
    out.flush().await
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn eof(place: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("the connection closed {place}"),
    )
}

/// Helpers for the unit tests of the relays: messages read from bytes that arrive in pieces.
#[cfg(test)]
pub(crate) mod testing {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use tokio::io::{AsyncRead, ReadBuf};

    use super::Reader;

    /// A stream that hands out its pieces, one read each.
    #[derive(Debug)]
    pub struct Pieces(Vec<Vec<u8>>);

    impl AsyncRead for Pieces {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            if let Some(mut piece) = self.0.pop() {
                let n = piece.len().min(buf.remaining());
                buf.put_slice(&piece[..n]);
                if n < piece.len() {
                    self.0.push(piece.split_off(n));
                }
            }
            Poll::Ready(Ok(()))
        }
    }

    /// A reader over `bytes`, handed out `step` bytes at a time.
    pub fn reader(bytes: &[u8], step: usize) -> Reader<Pieces> {
        let pieces = bytes.chunks(step.max(1)).rev().map(<[u8]>::to_vec);
        Reader::new(Pieces(pieces.collect()))
    }

    /// Runs `future` to completion on a runtime of its own.
    pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .map(|rt| rt.block_on(future))
            .unwrap_or_else(|e| panic!("no runtime: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{block_on, reader};
    use super::*;

    const REQUESTS: &[u8] = b"PUT /api/v1/x?path=a%20b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloPOST /y HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\nGET /z HTTP/1.1\r\n\r\n";

    #[test]
    fn requests_are_read_whole_in_any_pieces() {
        for step in [1, 2, 7, 30, REQUESTS.len()] {
            block_on(async {
                let mut reader = reader(REQUESTS, step);
                let first = reader.request().await.unwrap().unwrap();
                assert_eq!(first.head.method(), "PUT");
                assert_eq!(first.head.target(), "/api/v1/x?path=a%20b");
                assert_eq!(first.head.header("content-length"), Some("5"));
                assert_eq!(first.body, b"hello");
                let second = reader.request().await.unwrap().unwrap();
                assert_eq!(second.body, b"abcde", "step {step}");
                assert!(second.raw.ends_with(b"Trailer: t\r\n\r\n"));
                let third = reader.request().await.unwrap().unwrap();
                assert_eq!(third.head.target(), "/z");
                assert!(third.body.is_empty());
                assert!(reader.request().await.unwrap().is_none());
                let all = [first.raw, second.raw, third.raw].concat();
                assert_eq!(all, REQUESTS, "raw bytes are kept exactly");
            });
        }
    }

    #[test]
    fn answers_are_framed_by_the_request_method_and_status() {
        block_on(async {
            let head = b"HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\n";
            let answer = reader(head, 5).response("HEAD").await.unwrap();
            assert_eq!(answer.head.status(), Some(200));
            assert!(answer.body.is_empty());

            let text = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
            let answer = reader(text, 3).response("DELETE").await.unwrap();
            assert_eq!(answer.head.status(), Some(204));
            assert_eq!(answer.raw, text);

            let text = b"HTTP/1.0 200 OK\r\n\r\nuntil the end";
            let answer = reader(text, 4).response("GET").await.unwrap();
            assert_eq!(answer.body, b"until the end");

            let cut = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort";
            let err = reader(cut, 4).response("GET").await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        });
    }

    #[test]
    fn rebuilding_replaces_headers_and_framing() {
        block_on(async {
            let text = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Old: 1\r\nETag: e\r\n\r\n2\r\nhi\r\n0\r\n\r\n";
            let answer = reader(text, 8).response("GET").await.unwrap();
            let same = answer.rebuild(&["x-old"], &[("x-new", "2")], None);
            assert_eq!(
                same,
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nETag: e\r\nx-new: 2\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
            );
            let new = answer.rebuild(&[], &[], Some(b"bye!"));
            assert_eq!(
                new,
                b"HTTP/1.1 200 OK\r\nX-Old: 1\r\nETag: e\r\ncontent-length: 4\r\n\r\nbye!"
            );
        });
    }
}
