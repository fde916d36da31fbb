//! A pass-through TCP relay in front of Prism that records every `sl-violations` response
//! header. The SDK does not expose response headers, and Prism reports some violations only
//! there, so the bytes are read on their way back to the client.
//!
//! A violation is recorded before the bytes that carry it are passed on, so once a call has
//! returned, everything Prism said about it has been recorded.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const HEADER: &[u8] = b"\r\nsl-violations:";

#[derive(Debug)]
pub struct Recorder {
    pub addr: SocketAddr,
    found: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Recorder {
    /// Listens on a free local port and relays every connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Recorder> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let found = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&found);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let sink = Arc::clone(&sink);
                tokio::spawn(async move {
                    if let Err(e) = relay(client, upstream, &sink).await {
                        sink.lock()
                            .unwrap()
                            .push(format!("(the relay to Prism failed: {e})"));
                    }
                });
            }
        });
        Ok(Recorder { addr, found, task })
    }

    /// The `sl-violations` values seen since the last call.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.found.lock().unwrap())
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(
    client: TcpStream,
    upstream: SocketAddr,
    found: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let server = TcpStream::connect(upstream).await?;
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let requests = async {
        tokio::io::copy(&mut client_read, &mut server_write).await?;
        server_write.shutdown().await
    };
    let answers = async {
        let mut scanner = Scanner::default();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = server_read.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            let seen = scanner.feed(&buf[..n]);
            if !seen.is_empty() {
                found.lock().unwrap().extend(seen);
            }
            client_write.write_all(&buf[..n]).await?;
        }
        client_write.shutdown().await
    };
    let (sent, answered) = tokio::join!(requests, answers);
    // A client that hangs up first is normal; a broken answer is not.
    answered.and(sent.or(Ok(())))
}

/// Finds `sl-violations` header lines in a byte stream that arrives in pieces.
#[derive(Debug, Default)]
pub struct Scanner {
    pending: Vec<u8>,
}

impl Scanner {
    /// Feeds the next bytes; returns the header values completed by them.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(bytes);
        let mut values = Vec::new();
        loop {
            let Some(start) = find(&self.pending, HEADER, true) else {
                // Keep just enough to recognise a header split across two reads.
                let keep = self.pending.len().min(HEADER.len() - 1);
                self.pending.drain(..self.pending.len() - keep);
                return values;
            };
            let value_start = start + HEADER.len();
            match find(&self.pending[value_start..], b"\r\n", false) {
                Some(end) => {
                    let value = &self.pending[value_start..value_start + end];
                    values.push(String::from_utf8_lossy(value).trim().to_string());
                    // Keep the CRLF: it starts the next header line.
                    self.pending.drain(..value_start + end);
                }
                None => {
                    self.pending.drain(..start);
                    return values;
                }
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8], ignore_case: bool) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| {
        if ignore_case {
            w.eq_ignore_ascii_case(needle)
        } else {
            w == needle
        }
    })
}
