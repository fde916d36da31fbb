//! The relays around Prism.
//!
//! The SDK does not expose response headers, and Prism reports some violations only in the
//! `sl-violations` header, so a relay in front of Prism (the *front* relay) reads every
//! exchange whole and records what Prism said, attributed to the request's operation. A
//! violation is recorded before the answer that carries it is passed on, so once a call has
//! returned, everything Prism said about it has been recorded.
//!
//! In proxy mode a second relay (the *back* relay) sits between Prism and the server, because
//! Prism's proxy is not transparent: it decodes every body as UTF-8 text (binary data comes
//! out altered, stoplightio/prism#1321 and #2349) and answers `HEAD` requests with
//! `Content-Length: 0`. So Prism only gets to *see* the exchange:
//!
//! * the front relay keeps the client's request, tags the copy it sends to Prism with an id
//!   header, and clears the high bit of every byte of a body that is not UTF-8 text (the same
//!   length, so every header Prism checks is the original, and a `string`/`binary` schema
//!   accepts it just as well);
//! * the back relay, given that id, sends the client's original request to the server, keeps
//!   the server's answer, and gives Prism a copy treated the same way;
//! * when Prism passes that answer on, the front relay hands the client the server's original
//!   answer, byte for byte.
//!
//! Client and server thus exchange exactly the bytes they would without Prism, and Prism
//! validates everything but the contents of binary bodies (which the spec does not constrain).
//! Prism still refuses request bodies over 10 MiB (its limit) and never forwards a request it
//! finds invalid.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::http::{Message, Reader, round_trip, write_all};
use super::violation::{Detail, PRISM_ERRORS, Tolerance, Violation};
use lakefs_fake::routes::{Lookup, lookup};

/// The header that carries an exchange's id through Prism.
const RELAY_ID: &str = "x-lakefs-testkit-relay-id";

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The original requests and answers of the exchanges in flight, by id.
#[derive(Debug, Default)]
pub(crate) struct Stash {
    requests: Mutex<HashMap<u64, (String, Vec<u8>)>>,
    answers: Mutex<HashMap<u64, Vec<u8>>>,
}

/// A listening relay; it stops accepting connections when dropped.
#[derive(Debug)]
pub(crate) struct Relay {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn listen<F, Fut>(serve: F) -> io::Result<Relay>
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(serve(stream));
        }
    });
    Ok(Relay { addr, task })
}

/// What the front relay knows and records.
#[derive(Debug)]
pub(crate) struct Front {
    /// Prism.
    pub prism: SocketAddr,
    /// Proxy mode: the server behind Prism, and the originals in flight.
    pub upstream: Option<(SocketAddr, Arc<Stash>)>,
    pub tolerances: Vec<Tolerance>,
    violations: Mutex<Vec<Violation>>,
    tolerated: Mutex<Vec<Violation>>,
    next_id: AtomicU64,
    exchanges: AtomicU64,
}

impl Front {
    pub fn new(
        prism: SocketAddr,
        upstream: Option<(SocketAddr, Arc<Stash>)>,
        tolerances: Vec<Tolerance>,
    ) -> Front {
        Front {
            prism,
            upstream,
            tolerances,
            violations: Mutex::new(Vec::new()),
            tolerated: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
            exchanges: AtomicU64::new(0),
        }
    }

    /// The violations recorded since the last call, tolerated ones or the others.
    pub fn take(&self, tolerated: bool) -> Vec<Violation> {
        let list = if tolerated {
            &self.tolerated
        } else {
            &self.violations
        };
        std::mem::take(&mut *lock(list))
    }

    fn record(&self, violation: Violation) {
        let list = if violation.tolerated {
            &self.tolerated
        } else {
            &self.violations
        };
        lock(list).push(violation);
    }

    /// How many requests have gone through.
    pub fn exchanges(&self) -> u64 {
        self.exchanges.load(Ordering::Relaxed)
    }

    /// One request through Prism: the bytes to answer the client with.
    async fn exchange(&self, request: &Message) -> io::Result<Vec<u8>> {
        self.exchanges.fetch_add(1, Ordering::Relaxed);
        let method = request.head.method();
        let Some((server, stash)) = &self.upstream else {
            let answer = round_trip(self.prism, &request.raw, method).await?;
            if let Some(violation) = self.inspect(request, &answer) {
                self.record(violation);
            }
            return Ok(answer.raw);
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        lock(&stash.requests).insert(id, (method.to_string(), request.raw.clone()));
        let tag = id.to_string();
        let copy = request.rebuild(
            &[RELAY_ID],
            &[(RELAY_ID, &tag)],
            readable(&request.body).as_deref(),
        );
        let answer = round_trip(self.prism, &copy, method).await;
        lock(&stash.requests).remove(&id);
        let original = lock(&stash.answers).remove(&id);
        let answer = answer?;
        let violation = self.inspect(request, &answer);
        let tolerated = violation.as_ref().is_some_and(|v| v.tolerated);
        if let Some(violation) = violation {
            self.record(violation);
        }
        let passed_on = answer.head.header(RELAY_ID) == Some(tag.as_str());
        Ok(match original {
            Some(original) if passed_on || tolerated => original,
            // Prism refused the request without forwarding it.
            None if tolerated => round_trip(*server, &request.raw, method).await?.raw,
            _ => answer.raw,
        })
    }

    /// What Prism said about `request` in `answer`, if anything.
    fn inspect(&self, request: &Message, answer: &Message) -> Option<Violation> {
        let headers: Vec<&str> = answer.head.all("sl-violations").collect();
        let problem = answer
            .head
            .header("content-type")
            .filter(|t| {
                t.to_ascii_lowercase()
                    .starts_with("application/problem+json")
            })
            .and_then(|_| serde_json::from_slice::<Value>(&answer.body).ok())
            .filter(|p| {
                p.get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.starts_with(PRISM_ERRORS))
            });
        if headers.is_empty() && problem.is_none() {
            return None;
        }
        let prism_error = problem
            .as_ref()
            .and_then(|p| p.get("type")?.as_str())
            .map(|t| t.trim_start_matches(PRISM_ERRORS).to_string());
        // The header lists everything (request and answer); Prism's error answers list only
        // what made it answer itself, and come without the header when it refused a request.
        let details = match &problem {
            Some(problem) if headers.is_empty() => {
                let list = problem.get("validation").cloned().unwrap_or(Value::Null);
                let prefix = match prism_error.as_deref() {
                    Some("VIOLATIONS") => "response",
                    _ => "request",
                };
                Detail::from_list(&list, Some(prefix))
            }
            _ => headers
                .iter()
                .flat_map(|h| Detail::from_header(h))
                .collect(),
        };
        let raw = headers
            .iter()
            .map(|h| format!("sl-violations: {h}"))
            .chain(problem.map(|_| String::from_utf8_lossy(&answer.body).into_owned()))
            .collect::<Vec<_>>()
            .join("; ");
        let operation = operation_of(request.head.method(), request.head.target());
        let tolerated = !details.is_empty()
            && details
                .iter()
                .all(|d| self.tolerances.iter().any(|t| t.covers(operation, d)));
        Some(Violation {
            method: request.head.method().to_string(),
            target: request.head.target().to_string(),
            operation,
            status: answer.head.status(),
            prism_error,
            details,
            raw,
            tolerated,
        })
    }
}

/// The operation a request is for, from its method and target.
fn operation_of(method: &str, target: &str) -> Option<&'static str> {
    let path = target.split(['?', '#']).next().unwrap_or_default();
    let path = path.strip_prefix("/api/v1")?;
    match lookup(method, path) {
        Lookup::Found(route, _) => Some(route.operation_id),
        _ => None,
    }
}

/// A body as Prism can read it: `None` when it is UTF-8 text already, else every byte with
/// its high bit cleared (ASCII, the same length).
fn readable(body: &[u8]) -> Option<Vec<u8>> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let text = std::str::from_utf8(body).is_ok() && !body.starts_with(BOM);
    (!text).then(|| body.iter().map(|b| b & 0x7F).collect())
}

/// Starts the relay in front of Prism.
pub(crate) async fn start_front(front: Arc<Front>) -> io::Result<Relay> {
    listen(move |stream| serve_front(stream, Arc::clone(&front))).await
}

async fn serve_front(client: TcpStream, front: Arc<Front>) {
    let (read, mut write) = client.into_split();
    let mut requests = Reader::new(read);
    // A client that hangs up, even in the middle of a request, is normal.
    while let Ok(Some(request)) = requests.request().await {
        match front.exchange(&request).await {
            Ok(answer) => {
                if write_all(&mut write, &answer).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                front.record(Violation {
                    method: request.head.method().to_string(),
                    target: request.head.target().to_string(),
                    operation: operation_of(request.head.method(), request.head.target()),
                    status: None,
                    prism_error: None,
                    details: Vec::new(),
                    raw: format!("the relay got no answer from Prism: {e}"),
                    tolerated: false,
                });
                return;
            }
        }
    }
}

/// Starts the relay between Prism and `server` (proxy mode).
pub(crate) async fn start_back(server: SocketAddr, stash: Arc<Stash>) -> io::Result<Relay> {
    listen(move |stream| serve_back(stream, server, Arc::clone(&stash))).await
}

async fn serve_back(prism: TcpStream, server: SocketAddr, stash: Arc<Stash>) {
    let (read, mut write) = prism.into_split();
    let mut requests = Reader::new(read);
    while let Ok(Some(request)) = requests.request().await {
        let id = request.head.header(RELAY_ID).map(str::to_string);
        let original = id
            .as_deref()
            .and_then(|id| id.parse().ok())
            .and_then(|id: u64| Some((id, lock(&stash.requests).get(&id)?.clone())));
        let answer = match &original {
            Some((_, (method, raw))) => round_trip(server, raw, method).await,
            // Prism's own requests (its health probes go through here too).
            None => round_trip(server, &request.raw, request.head.method()).await,
        };
        // Prism reports a server that does not answer; nothing to add here.
        let Ok(answer) = answer else { return };
        let copy = match (&original, &id) {
            (Some((id, _)), Some(tag)) => {
                lock(&stash.answers).insert(*id, answer.raw.clone());
                answer.rebuild(
                    &[RELAY_ID],
                    &[(RELAY_ID, tag)],
                    readable(&answer.body).as_deref(),
                )
            }
            _ => answer.raw,
        };
        if write_all(&mut write, &copy).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::http::testing::{block_on, reader};
    use super::*;

    #[test]
    fn requests_are_attributed_to_their_operation() {
        assert_eq!(
            operation_of("GET", "/api/v1/repositories/r/refs/main/objects?path=a%2Fb"),
            Some("getObject")
        );
        assert_eq!(
            operation_of("HEAD", "/api/v1/repositories/r/refs/main/objects?path=a"),
            Some("headObject")
        );
        assert_eq!(
            operation_of("GET", "/api/v1/healthcheck"),
            Some("healthCheck")
        );
        assert_eq!(operation_of("GET", "/elsewhere"), None);
    }

    /// The request or answer in `bytes`, read `step` bytes at a time.
    fn message(bytes: &[u8], step: usize, answer: bool) -> Message {
        block_on(async {
            let mut reader = reader(bytes, step);
            if answer {
                reader.response("GET").await.unwrap()
            } else {
                reader.request().await.unwrap().unwrap()
            }
        })
    }

    #[test]
    fn violation_headers_are_found_even_when_split_across_reads() {
        let front = Front::new(SocketAddr::from(([127, 0, 0, 1], 1)), None, Vec::new());
        let request = message(
            b"GET /api/v1/repositories/r HTTP/1.1\r\nhost: h\r\n\r\n",
            100,
            false,
        );
        let answer = b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nSL-Violations: [{\"location\":[\"request\",\"path\"],\"code\":\"pattern\"}]\r\nsl-violations: second\r\nContent-Length: 2\r\n\r\n{}";
        for split in [1, 20, 40, 45, 60, 75, answer.len()] {
            let found = front
                .inspect(&request, &message(answer, split, true))
                .unwrap();
            assert_eq!(found.operation, Some("getRepository"));
            assert_eq!(found.status, Some(400));
            assert_eq!(found.details.len(), 1, "split at {split}");
            assert_eq!(found.details[0].location, "request.path");
            assert!(
                found.raw.ends_with("; sl-violations: second"),
                "{}",
                found.raw
            );
            assert!(!found.tolerated);
        }
        let clean = message(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 3, true);
        assert!(front.inspect(&request, &clean).is_none());
    }

    #[test]
    fn prism_error_answers_are_violations_and_tolerances_cover_exactly_theirs() {
        let tolerance = Tolerance {
            operation: "createRepository",
            location: "request.body.name",
            code: "pattern",
            reason: "on purpose",
        };
        let front = Front::new(SocketAddr::from(([127, 0, 0, 1], 1)), None, vec![tolerance]);
        let body = r#"{"type":"https://stoplight.io/prism/errors#UNPROCESSABLE_ENTITY","title":"Invalid request","status":422,"detail":"","validation":[{"location":["body","name"],"severity":"Error","code":"pattern","message":"must match"}]}"#;
        let answer = format!(
            "HTTP/1.1 422 Unprocessable Entity\r\ncontent-type: application/problem+json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let answer = message(answer.as_bytes(), 50, true);
        let create = message(
            b"POST /api/v1/repositories HTTP/1.1\r\ncontent-length: 2\r\n\r\n{}",
            9,
            false,
        );
        let found = front.inspect(&create, &answer).unwrap();
        assert_eq!(found.prism_error.as_deref(), Some("UNPROCESSABLE_ENTITY"));
        assert_eq!(found.details[0].location, "request.body.name");
        assert!(found.tolerated);
        // The same refusal of another operation is not covered.
        let branch = message(
            b"POST /api/v1/repositories/r/branches HTTP/1.1\r\ncontent-length: 2\r\n\r\n{}",
            9,
            false,
        );
        assert!(!front.inspect(&branch, &answer).unwrap().tolerated);
        // Nor is a Prism error that lists nothing.
        let bare = r#"{"type":"https://stoplight.io/prism/errors#NOT_ACCEPTABLE","status":406}"#;
        let bare = format!(
            "HTTP/1.1 406 Not Acceptable\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\n\r\n{bare}",
            bare.len()
        );
        let found = front
            .inspect(&create, &message(bare.as_bytes(), 7, true))
            .unwrap();
        assert!(found.details.is_empty() && !found.tolerated);
    }

    #[test]
    fn binary_bodies_become_ascii_of_the_same_length() {
        assert_eq!(readable(b"plain text, \xC3\xBC"), None);
        assert_eq!(readable(b"\xFF\x80a").as_deref(), Some(&b"\x7F\x00a"[..]));
        assert_eq!(
            readable(b"\xEF\xBB\xBFbom").as_deref(),
            Some(&b"\x6F\x3B\x3Fbom"[..])
        );
    }
}
