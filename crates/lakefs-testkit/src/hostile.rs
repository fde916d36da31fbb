//! A hostile HTTP server on raw TCP, for testing what a client does with answers no sane
//! server sends: every byte, delay and reset is scripted per request.
//!
//! [`HostileServer::start`] listens on a free port of `127.0.0.1` and, for each request it
//! reads (head and body, whatever the body's framing), asks a closure for the [`Script`] to
//! play: exact bytes ([`Script::send`]), bytes one at a time ([`Script::trickle`]), pauses,
//! a connection that stays silent ([`Script::hang`]), a reset ([`Script::reset`]) or a close.
//! It records every request it saw ([`HostileServer::requests`]), so a test can assert how
//! many attempts a client made and what it sent (e.g. no credentials to an object store).
//!
//! ```
//! use lakefs_testkit::hostile::{HostileServer, Script, answer};
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // Headers promise 100 bytes; the body never comes.
//! let server = HostileServer::always(
//!     Script::new().send(answer(404, &[("content-length", "100")], b"")).hang(),
//! ).unwrap();
//! let client = lakefs_api::LakeFsClient::builder()
//!     .endpoint(server.url())
//!     .read_timeout(Some(Duration::from_millis(200)))
//!     .build()
//!     .unwrap();
//! # use lakefs_api::BranchesApi;
//! let err = client.get_branch("repo", "main").await.unwrap_err();
//! assert!(err.is_not_found(), "{err}");
//! assert_eq!(server.requests().len(), 1);
//! # }
//! ```

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The largest request head or body the server reads (larger ones end the connection).
const MAX_REQUEST_BYTES: usize = 64 * 1024 * 1024;

/// What the server does on a connection after reading a request, step after step.
#[derive(Debug, Clone)]
enum Step {
    Send(Vec<u8>),
    Trickle { bytes: Vec<u8>, every: Duration },
    Sleep(Duration),
    Hang,
    Reset,
    Close,
}

/// The answer to one request, played step after step. When the script ends without
/// [`close`](Script::close), [`reset`](Script::reset) or [`hang`](Script::hang), the connection
/// stays open for the next request (keep-alive).
#[derive(Debug, Clone, Default)]
pub struct Script {
    steps: Vec<Step>,
}

impl Script {
    /// A script that does nothing yet.
    pub fn new() -> Self {
        Script::default()
    }

    /// Sends these bytes as they are.
    pub fn send(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.steps.push(Step::Send(bytes.into()));
        self
    }

    /// Sends these bytes one at a time, pausing `every` before each.
    pub fn trickle(mut self, bytes: impl Into<Vec<u8>>, every: Duration) -> Self {
        self.steps.push(Step::Trickle {
            bytes: bytes.into(),
            every,
        });
        self
    }

    /// Waits.
    pub fn sleep(mut self, pause: Duration) -> Self {
        self.steps.push(Step::Sleep(pause));
        self
    }

    /// Keeps the connection open and silent until the client goes away or the server stops.
    pub fn hang(mut self) -> Self {
        self.steps.push(Step::Hang);
        self
    }

    /// Resets the connection (TCP RST: the client sees "connection reset by peer").
    pub fn reset(mut self) -> Self {
        self.steps.push(Step::Reset);
        self
    }

    /// Closes the connection (FIN).
    pub fn close(mut self) -> Self {
        self.steps.push(Step::Close);
        self
    }
}

/// The bytes of an HTTP/1.1 answer: the status line, these headers exactly (no
/// `Content-Length` is added: give one, or `transfer-encoding`, or neither and close), and
/// the body.
pub fn answer(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} Hostile\r\n").into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// A complete JSON answer with its right `Content-Length`.
pub fn json_answer(status: u16, body: &str) -> Vec<u8> {
    let length = body.len().to_string();
    answer(
        status,
        &[
            ("content-type", "application/json"),
            ("content-length", &length),
        ],
        body.as_bytes(),
    )
}

/// A request the server read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SeenRequest {
    /// Its position among all requests the server saw (0 for the first).
    pub index: usize,
    /// Which connection carried it (0 for the first accepted).
    pub connection: usize,
    /// The method, e.g. `GET`.
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    /// The headers, names in lower case, values lossily decoded.
    pub headers: Vec<(String, String)>,
    /// The length of the body read.
    pub body_len: usize,
}

impl SeenRequest {
    /// The value of a header (name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

type Responder = dyn Fn(&SeenRequest) -> Script + Send + Sync;

/// A raw-TCP HTTP server on `127.0.0.1` that plays a [`Script`] for each request. It runs on
/// a thread of its own (usable from async and blocking tests alike) and stops when dropped.
pub struct HostileServer {
    address: SocketAddr,
    requests: Arc<Mutex<Vec<SeenRequest>>>,
    stop: Option<tokio::sync::watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for HostileServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostileServer")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl HostileServer {
    /// Starts a server that answers each request with `respond(&request)`.
    pub fn start(
        respond: impl Fn(&SeenRequest) -> Script + Send + Sync + 'static,
    ) -> io::Result<HostileServer> {
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        std_listener.set_nonblocking(true)?;
        let address = std_listener.local_addr()?;
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let respond: Arc<Responder> = Arc::new(respond);
        let seen = requests.clone();
        let thread = std::thread::Builder::new()
            .name("lakefs-hostile".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = TcpListener::from_std(std_listener) else {
                        return;
                    };
                    serve(listener, respond, seen, stopped).await;
                });
            })?;
        Ok(HostileServer {
            address,
            requests,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Starts a server that plays the same script for every request.
    pub fn always(script: Script) -> io::Result<HostileServer> {
        HostileServer::start(move |_| script.clone())
    }

    /// Starts a server that plays `scripts[i]` for request `i`, and the last one after them.
    pub fn sequence(scripts: Vec<Script>) -> io::Result<HostileServer> {
        HostileServer::start(move |request| {
            scripts
                .get(request.index)
                .or(scripts.last())
                .cloned()
                .unwrap_or_default()
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Every request read so far, in order.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(
    listener: TcpListener,
    respond: Arc<Responder>,
    seen: Arc<Mutex<Vec<SeenRequest>>>,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let mut connections = tokio::task::JoinSet::new();
    let mut connection = 0usize;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let (respond, seen, stopped) = (respond.clone(), seen.clone(), stopped.clone());
                connections.spawn(serve_connection(stream, connection, respond, seen, stopped));
                connection += 1;
            }
            _ = stopped.changed() => break,
        }
    }
    connections.abort_all();
}

async fn serve_connection(
    stream: TcpStream,
    connection: usize,
    respond: Arc<Responder>,
    seen: Arc<Mutex<Vec<SeenRequest>>>,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let mut stream = BufReader::new(stream);
    loop {
        let request = tokio::select! {
            read = read_request(&mut stream, connection) => read,
            _ = stopped.changed() => return,
        };
        let Ok(Some(mut request)) = request else {
            return;
        };
        let script = {
            let mut seen = seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            request.index = seen.len();
            seen.push(request.clone());
            respond(&request)
        };
        for step in script.steps {
            let socket = stream.get_mut();
            let done = match step {
                Step::Send(bytes) => socket.write_all(&bytes).await.is_err(),
                Step::Trickle { bytes, every } => {
                    let mut failed = false;
                    for byte in bytes {
                        tokio::time::sleep(every).await;
                        if socket.write_all(&[byte]).await.is_err() {
                            failed = true;
                            break;
                        }
                    }
                    failed
                }
                Step::Sleep(pause) => {
                    tokio::time::sleep(pause).await;
                    false
                }
                Step::Hang => {
                    // Silent until the client closes (a read sees the end) or the server stops.
                    let mut sink = [0u8; 1024];
                    loop {
                        tokio::select! {
                            read = socket.read(&mut sink) => if !matches!(read, Ok(n) if n > 0) { break },
                            _ = stopped.changed() => break,
                        }
                    }
                    true
                }
                Step::Reset => {
                    let _ = socket.set_zero_linger();
                    true
                }
                Step::Close => {
                    let _ = socket.shutdown().await;
                    true
                }
            };
            if done {
                return;
            }
        }
        let _ = stream.get_mut().flush().await;
    }
}

/// Reads one request: its head, then its body (by `Content-Length` or chunked). `None` when
/// the client closed the connection.
async fn read_request(
    stream: &mut BufReader<TcpStream>,
    connection: usize,
) -> io::Result<Option<SeenRequest>> {
    let mut head = Vec::new();
    loop {
        let before = head.len();
        let n = stream.read_until(b'\n', &mut head).await?;
        if n == 0 {
            return Ok(None);
        }
        if head.len() > MAX_REQUEST_BYTES {
            return Err(io::Error::other("request head too long"));
        }
        let line = &head[before..];
        if line == b"\r\n" || line == b"\n" {
            break;
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.lines();
    let mut request_line = lines.next().unwrap_or_default().split_whitespace();
    let method = request_line.next().unwrap_or_default().to_string();
    let target = request_line.next().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut request = SeenRequest {
        index: 0,
        connection,
        method,
        target,
        headers,
        body_len: 0,
    };
    let chunked = request
        .header("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    if chunked {
        request.body_len = read_chunked(stream).await?;
    } else if let Some(length) = request.header("content-length") {
        let length: usize = length.parse().map_err(io::Error::other)?;
        if length > MAX_REQUEST_BYTES {
            return Err(io::Error::other("request body too long"));
        }
        let mut body = vec![0u8; length];
        stream.read_exact(&mut body).await?;
        request.body_len = length;
    }
    Ok(Some(request))
}

async fn read_chunked(stream: &mut BufReader<TcpStream>) -> io::Result<usize> {
    let mut total = 0usize;
    loop {
        let mut size_line = String::new();
        stream.read_line(&mut size_line).await?;
        let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or(""), 16)
            .map_err(io::Error::other)?;
        total = total.saturating_add(size);
        if total > MAX_REQUEST_BYTES {
            return Err(io::Error::other("request body too long"));
        }
        let mut chunk = vec![0u8; size + 2];
        stream.read_exact(&mut chunk).await?;
        if size == 0 {
            return Ok(total);
        }
    }
}
