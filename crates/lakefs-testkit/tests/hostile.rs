//! The fault suite: every hostile answer of [`lakefs_testkit::hostile`] through the async AND
//! the blocking client, each case asserting the exact error kind, the number of requests the
//! server saw, and the time taken against the (small) configured limits plus a fixed slack.
//! Nothing may panic or hang. Cases run concurrently (each has its own server and client).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures::TryStreamExt;
use lakefs_api::models::BranchCreation;
use lakefs_api::{
    BranchesApi, Error, ErrorKind, GetObjectOptions, LakeFsClientBuilder, ListRepositoriesOptions,
    MinThroughput, ObjectsApi, RepositoriesApiExt, RetryConfig, UploadObjectOptions,
};
use lakefs_testkit::hostile::{HostileServer, Script, SeenRequest, answer, json_answer};
use std::io::Read;
use std::time::{Duration, Instant};

const IDLE: Duration = Duration::from_millis(300);
const ATTEMPT: Duration = Duration::from_millis(1000);
const BUDGET: Duration = Duration::from_millis(3000);
const WINDOW: Duration = Duration::from_millis(500);
const TRANSFER: Duration = Duration::from_millis(700);
const MAX_ANSWER: usize = 1024 * 1024;
const ATTEMPTS: usize = 3;
/// Fixed slack over each case's limit: the machine is shared and cases run concurrently.
const SLACK: Duration = Duration::from_millis(2500);
const SECRET: &str = "X-Amz-Signature=very-secret-signature";

/// The suite's client: small limits, fast retries.
fn builder(url: &str) -> LakeFsClientBuilder {
    lakefs_api::LakeFsClient::builder()
        .endpoint(url)
        .access_key("AKIDHOSTILE", "hostile-secret-key")
        .connect_timeout(Duration::from_secs(1))
        .read_timeout(Some(IDLE))
        .request_timeout(Some(ATTEMPT))
        .call_budget(Some(BUDGET))
        .min_throughput(Some(MinThroughput::new(400, WINDOW)))
        .max_answer_bytes(MAX_ANSWER)
        .retry(
            RetryConfig::default()
                .with_max_attempts(ATTEMPTS as u32)
                .with_backoff(Duration::from_millis(10), Duration::from_secs(1)),
        )
}

#[derive(Clone, Copy, Debug)]
enum Op {
    GetBranch,
    /// A branch name of 1 MB: the URL cannot be sent.
    GetBranchHugeName,
    CreateBranch,
    /// Downloads and reads the whole body.
    GetObject,
    /// Uploads 4 KiB from memory.
    Upload,
    /// Reads every repository; `Some(n)` stops the list after n pages.
    ListRepositories(Option<usize>),
}

struct Servers {
    lakefs: HostileServer,
    storage: Option<HostileServer>,
}

impl Servers {
    fn requests(&self) -> Vec<SeenRequest> {
        let mut all = self.lakefs.requests();
        all.extend(self.storage.iter().flat_map(|s| s.requests()));
        all
    }
}

struct Case {
    name: &'static str,
    op: Op,
    start: fn() -> Servers,
    tune: fn(LakeFsClientBuilder) -> LakeFsClientBuilder,
    /// `None`: the call succeeds.
    expect: Option<ErrorKind>,
    requests: usize,
    /// The configured limit the case runs into (zero when it should end at once).
    within: Duration,
    /// Extra checks on what the servers saw and the error's text.
    check: fn(&Servers, &str),
}

fn serve(script: Script) -> Servers {
    Servers {
        lakefs: HostileServer::always(script).unwrap(),
        storage: None,
    }
}

fn serve_sequence(scripts: Vec<Script>) -> Servers {
    Servers {
        lakefs: HostileServer::sequence(scripts).unwrap(),
        storage: None,
    }
}

fn headers_then(status: u16, headers: &[(&str, &str)]) -> Script {
    Script::new().send(answer(status, headers, b""))
}

const BRANCH_JSON: &str = r#"{"id":"main","commit_id":"c0ffee"}"#;
const STATS_JSON: &str =
    r#"{"path":"a","path_type":"object","physical_address":"s3://x","checksum":"x","mtime":1}"#;

fn page_json(has_more: bool, next_offset: &str) -> String {
    format!(
        r#"{{"pagination":{{"has_more":{has_more},"next_offset":"{next_offset}","results":1,"max_per_page":1}},"results":[{{"id":"r","creation_date":1,"default_branch":"main","storage_namespace":"s3://x"}}]}}"#
    )
}

fn no_check(_: &Servers, _: &str) {}

/// The presigned redirect of getObject to `location`.
fn redirect_to(location: &str) -> Script {
    Script::new().send(answer(
        302,
        &[("location", location), ("content-length", "0")],
        b"",
    ))
}

fn storage_redirect(request: &SeenRequest) -> Script {
    let host = request.header("host").unwrap_or("127.0.0.1").to_string();
    redirect_to(&format!("http://{host}/store/object?{SECRET}"))
}

fn nothing_secret_and_no_credentials_to_storage(servers: &Servers, error: &str) {
    assert!(!error.contains("very-secret"), "{error}");
    assert!(!error.contains("hostile-secret-key"), "{error}");
    for request in servers.requests() {
        if request.target.starts_with("/store") {
            assert_eq!(request.header("authorization"), None, "{request:?}");
        } else {
            assert!(request.header("authorization").is_some(), "{request:?}");
        }
    }
}

fn cases() -> Vec<Case> {
    let base = |b| b;
    vec![
        Case {
            name: "reset before headers (idempotent GET: retried)",
            op: Op::GetBranch,
            start: || serve(Script::new().reset()),
            tune: base,
            expect: Some(ErrorKind::Transport),
            requests: ATTEMPTS,
            within: Duration::ZERO,
            check: no_check,
        },
        Case {
            name: "reset after headers",
            op: Op::GetBranch,
            start: || serve(headers_then(200, &[("content-length", "100")]).reset()),
            tune: base,
            expect: Some(ErrorKind::Transport),
            requests: 1,
            within: Duration::ZERO,
            check: no_check,
        },
        Case {
            name: "reset mid-body of a download",
            op: Op::GetObject,
            start: || {
                serve(
                    headers_then(200, &[("content-length", "1000")])
                        .send(vec![b'x'; 100])
                        .sleep(Duration::from_millis(20))
                        .reset(),
                )
            },
            tune: base,
            expect: Some(ErrorKind::Transport),
            requests: 1,
            within: Duration::ZERO,
            check: no_check,
        },
        Case {
            name: "body shorter than its Content-Length",
            op: Op::GetBranch,
            start: || {
                serve(
                    headers_then(200, &[("content-length", "100")])
                        .send(&b"{\"id\":"[..])
                        .close(),
                )
            },
            tune: base,
            expect: Some(ErrorKind::Transport),
            requests: 1,
            within: Duration::ZERO,
            check: no_check,
        },
        Case {
            name: "body longer than its Content-Length",
            op: Op::GetBranch,
            start: || {
                serve(
                    headers_then(200, &[("content-length", "5")])
                        .send(BRANCH_JSON)
                        .close(),
                )
            },
            tune: base,
            expect: Some(ErrorKind::Decode),
            requests: 1,
            within: Duration::ZERO,
            check: no_check,
        },
        Case {
            name: "invalid chunking",
            op: Op::GetBranch,
            start: || {
                serve(
                    headers_then(200, &[("transfer-encoding", "chunked")])
                        .send(&b"zz\r\nnot a chunk\r\n"[..])
                        .close(),
                )
            },
            tune: base,
            expect: Some(ErrorKind::Transport),
            requests: 1,
            within: Duration::ZERO,
            check: no_check,
        },
        Case {
            name: "slowloris headers of a JSON call (per-attempt timeout, retried)",
            op: Op::GetBranch,
            start: || {
                serve(
                    Script::new()
                        .send(&b"HTTP/1.1 200 OK\r\nx-slow: "[..])
                        .trickle(vec![b'a'; 400], Duration::from_millis(50)),
                )
            },
            tune: base,
            expect: Some(ErrorKind::Timeout),
            requests: ATTEMPTS,
            within: BUDGET,
            check: no_check,
        },
        Case {
            name: "slowloris headers of a download (idle timeout, retried)",
            op: Op::GetObject,
            start: || {
                serve(
                    Script::new()
                        .send(&b"HTTP/1.1 200 OK\r\nx-slow: "[..])
                        .trickle(vec![b'a'; 400], Duration::from_millis(50)),
                )
            },
            tune: base,
            expect: Some(ErrorKind::Timeout),
            requests: ATTEMPTS,
            within: IDLE * ATTEMPTS as u32,
            check: no_check,
        },
        Case {
            name: "slowloris body of a download (minimum throughput)",
            op: Op::GetObject,
            start: || {
                serve(
                    headers_then(200, &[("content-length", "100000")])
                        .trickle(vec![b'x'; 2000], Duration::from_millis(50)),
                )
            },
            tune: base,
            expect: Some(ErrorKind::Timeout),
            requests: 1,
            within: WINDOW,
            check: |_, error| assert!(error.contains("throughput"), "{error}"),
        },
        Case {
            name: "slowloris body of a JSON answer (per-attempt timeout)",
            op: Op::GetBranch,
            start: || {
                serve(
                    headers_then(200, &[("content-length", "1000")])
                        .trickle(vec![b' '; 1000], Duration::from_millis(50)),
                )
            },
            tune: base,
            expect: Some(ErrorKind::Timeout),
            requests: 1,
            within: ATTEMPT,
            check: no_check,
        },
        Case {
            name: "a download longer than the total transfer limit",
            op: Op::GetObject,
            start: || {
                let mut script = headers_then(200, &[("content-length", "10000000")]);
                for _ in 0..1000 {
                    script = script
                        .send(vec![b'x'; 1000])
                        .sleep(Duration::from_millis(50));
                }
                serve(script)
            },
            tune: |b| b.transfer_timeout(TRANSFER),
            expect: Some(ErrorKind::Timeout),
            requests: 1,
            within: TRANSFER,
            check: |_, error| assert!(error.contains("total limit"), "{error}"),
        },
        Case {
            name: "stalled error body of a download",
            op: Op::GetObject,
            start: || serve(headers_then(404, &[("content-length", "100")]).hang()),
            tune: base,
            expect: Some(ErrorKind::NotFound),
            requests: 1,
            within: IDLE,
            check: no_check,
        },
        Case {
            name: "stalled error body of a JSON call (500: retried)",
            op: Op::GetBranch,
            start: || serve(headers_then(500, &[("content-length", "100")]).hang()),
            tune: base,
            expect: Some(ErrorKind::Server),
            requests: ATTEMPTS,
            within: IDLE * ATTEMPTS as u32,
            check: no_check,
        },
        Case {
            name: "trickled error body of a download (bounded by the call's budget)",
            op: Op::GetObject,
            start: || {
                serve(
                    headers_then(404, &[("content-length", "60000")])
                        .trickle(vec![b' '; 60000], Duration::from_millis(100)),
                )
            },
            tune: base,
            expect: Some(ErrorKind::NotFound),
            requests: 1,
            within: BUDGET,
            check: no_check,
        },
        Case {
            name: "trickled 201 body of an upload (bounded by a budget of its own)",
            op: Op::Upload,
            start: || {
                serve(
                    headers_then(201, &[("content-length", "60000")])
                        .trickle(vec![b' '; 60000], Duration::from_millis(100)),
                )
            },
            tune: base,
            expect: Some(ErrorKind::Timeout),
            requests: 1,
            within: BUDGET,
            check: |_, error| assert!(error.contains("budget"), "{error}"),
        },
        Case {
            name: "stalled 201 body of an upload",
            op: Op::Upload,
            start: || serve(headers_then(201, &[("content-length", "100")]).hang()),
            tune: base,
            expect: Some(ErrorKind::Timeout),
            requests: 1,
            within: IDLE,
            check: no_check,
        },
        Case {
            name: "stalled 404 body of an upload",
            op: Op::Upload,
            start: || serve(headers_then(404, &[("content-length", "100")]).hang()),
            tune: base,
            expect: Some(ErrorKind::NotFound),
            requests: 1,
            within: IDLE,
            check: no_check,
        },
        Case {
            name: "no answer at all to an upload",
            op: Op::Upload,
            start: || serve(Script::new().hang()),
            tune: base,
            expect: Some(ErrorKind::Timeout),
            requests: 1,
            within: IDLE,
            check: no_check,
        },
        Case {
            name: "stalled 403 body of the presigned object store",
            op: Op::GetObject,
            start: || Servers {
                lakefs: HostileServer::start(|request| {
                    if request.target.starts_with("/store") {
                        headers_then(403, &[("content-length", "100")]).hang()
                    } else {
                        storage_redirect(request)
                    }
                })
                .unwrap(),
                storage: None,
            },
            tune: base,
            expect: Some(ErrorKind::Forbidden),
            requests: 2,
            within: IDLE,
            check: nothing_secret_and_no_credentials_to_storage,
        },
        Case {
            name: "redirect loop at the object store",
            op: Op::GetObject,
            start: || Servers {
                lakefs: HostileServer::start(storage_redirect).unwrap(),
                storage: None,
            },
            tune: base,
            expect: Some(ErrorKind::OtherStatus),
            requests: 2,
            within: Duration::ZERO,
            check: |servers, error| {
                assert!(error.contains("redirect (HTTP 302)"), "{error}");
                nothing_secret_and_no_credentials_to_storage(servers, error);
            },
        },
        Case {
            name: "presigned redirect to another host, without credentials",
            op: Op::GetObject,
            start: || {
                let storage = HostileServer::always(Script::new().send(answer(
                    200,
                    &[("content-length", "5")],
                    b"hello",
                )))
                .unwrap();
                let location = format!("{}/store/object?{SECRET}", storage.url());
                Servers {
                    lakefs: HostileServer::always(redirect_to(&location)).unwrap(),
                    storage: Some(storage),
                }
            },
            tune: base,
            expect: None,
            requests: 2,
            within: Duration::ZERO,
            check: nothing_secret_and_no_credentials_to_storage,
        },
        Case {
            name: "redirect to a non-HTTP scheme",
            op: Op::GetObject,
            start: || serve(redirect_to("file:///etc/passwd")),
            tune: base,
            expect: Some(ErrorKind::Decode),
            requests: 1,
            within: Duration::ZERO,
            check: |_, error| assert!(error.contains("\"file\""), "{error}"),
        },
        Case {
            name: "a redirect the spec does not document for the call",
            op: Op::GetBranch,
            start: || serve(redirect_to("http://127.0.0.1:9/elsewhere")),
            tune: base,
            expect: Some(ErrorKind::OtherStatus),
            requests: 1,
            within: Duration::ZERO,
            check: |_, error| assert!(error.contains("HTTP 302"), "{error}"),
        },
        Case {
            name: "Retry-After in seconds",
            op: Op::GetBranch,
            start: || {
                serve_sequence(vec![
                    Script::new().send(answer(
                        429,
                        &[("retry-after", "0"), ("content-length", "0")],
                        b"",
                    )),
                    Script::new().send(json_answer(200, BRANCH_JSON)),
                ])
            },
            tune: base,
            expect: None,
            requests: 2,
            within: Duration::ZERO,
            check: no_check,
        },
        Case {
            name: "Retry-After as a past HTTP date",
            op: Op::GetBranch,
            start: || {
                serve_sequence(vec![
                    Script::new().send(answer(
                        503,
                        &[
                            ("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"),
                            ("content-length", "0"),
                        ],
                        b"",
                    )),
                    Script::new().send(json_answer(200, BRANCH_JSON)),
                ])
            },
            tune: base,
            expect: None,
            requests: 2,
            within: Duration::ZERO,
            check: no_check,
        },
        Case {
            name: "Retry-After in the year 300000000000",
            op: Op::GetBranch,
            start: || {
                serve(Script::new().send(answer(
                    503,
                    &[
                        ("retry-after", "Wed, 21 Oct 300000000000 07:28:00 GMT"),
                        ("content-length", "0"),
                    ],
                    b"",
                )))
            },
            tune: base,
            expect: Some(ErrorKind::Unavailable),
            requests: ATTEMPTS,
            within: Duration::ZERO,
            check: no_check,
        },
        Case {
            name: "Retry-After in the year 999999999999",
            op: Op::GetBranch,
            start: || {
                serve(Script::new().send(answer(
                    429,
                    &[
                        ("retry-after", "Wed, 21 Oct 999999999999 07:28:00 GMT"),
                        ("content-length", "0"),
                    ],
                    b"",
                )))
            },
            tune: base,
            expect: Some(ErrorKind::TooManyRequests),
            requests: ATTEMPTS,
            within: Duration::ZERO,
            check: no_check,
        },
        Case {
            name: "Retry-After longer than the longest backoff",
            op: Op::GetBranch,
            start: || {
                serve(Script::new().send(answer(
                    429,
                    &[
                        ("retry-after", "18446744073709551615"),
                        ("content-length", "0"),
                    ],
                    b"",
                )))
            },
            tune: base,
            expect: Some(ErrorKind::TooManyRequests),
            requests: 1,
            within: Duration::ZERO,
            check: no_check,
        },
        Case {
            name: "Retry-After that would pass the call's budget",
            op: Op::GetBranch,
            start: || {
                serve(Script::new().send(answer(
                    429,
                    &[("retry-after", "2"), ("content-length", "0")],
                    b"",
                )))
            },
            tune: |b| {
                b.call_budget(Some(Duration::from_millis(1500))).retry(
                    RetryConfig::default()
                        .with_max_attempts(ATTEMPTS as u32)
                        .with_backoff(Duration::from_millis(10), Duration::from_secs(5)),
                )
            },
            expect: Some(ErrorKind::TooManyRequests),
            requests: 1,
            within: Duration::ZERO,
            check: no_check,
        },
        Case {
            name: "Retry-After that is not a number nor a date",
            op: Op::GetBranch,
            start: || {
                serve(Script::new().send(answer(
                    503,
                    &[("retry-after", "soon"), ("content-length", "0")],
                    b"",
                )))
            },
            tune: base,
            expect: Some(ErrorKind::Unavailable),
            requests: ATTEMPTS,
            within: Duration::ZERO,
            check: no_check,
        },
        Case {
            name: "503 storm on a GET",
            op: Op::GetBranch,
            start: || serve(Script::new().send(json_answer(503, r#"{"message":"down"}"#))),
            tune: base,
            expect: Some(ErrorKind::Unavailable),
            requests: ATTEMPTS,
            within: Duration::ZERO,
            check: |_, error| assert!(error.contains("down"), "{error}"),
        },
        Case {
            name: "500 storm on a POST (not repeated)",
            op: Op::CreateBranch,
            start: || serve(Script::new().send(json_answer(500, r#"{"message":"boom"}"#))),
            tune: base,
            expect: Some(ErrorKind::Server),
            requests: 1,
            within: Duration::ZERO,
            check: no_check,
        },
        Case {
            name: "429 storm on a POST (refused before acting: repeated)",
            op: Op::CreateBranch,
            start: || serve(Script::new().send(json_answer(429, r#"{"message":"slow"}"#))),
            tune: base,
            expect: Some(ErrorKind::TooManyRequests),
            requests: ATTEMPTS,
            within: Duration::ZERO,
            check: no_check,
        },
        Case {
            name: "a declared 10 GB JSON answer is refused before reading",
            op: Op::GetBranch,
            start: || {
                serve(
                    headers_then(
                        200,
                        &[
                            ("content-type", "application/json"),
                            ("content-length", "10000000000"),
                        ],
                    )
                    .hang(),
                )
            },
            tune: base,
            expect: Some(ErrorKind::Decode),
            requests: 1,
            within: Duration::ZERO,
            check: |_, error| assert!(error.contains("declares 10000000000 bytes"), "{error}"),
        },
        Case {
            name: "a chunked JSON answer over the cap",
            op: Op::GetBranch,
            start: || {
                let size = 2 * MAX_ANSWER;
                let mut body = format!("{size:x}\r\n").into_bytes();
                body.extend(vec![b' '; size]);
                body.extend_from_slice(b"\r\n0\r\n\r\n");
                serve(headers_then(200, &[("transfer-encoding", "chunked")]).send(body))
            },
            tune: base,
            expect: Some(ErrorKind::Decode),
            requests: 1,
            within: Duration::ZERO,
            check: |_, error| assert!(error.contains("max_answer_bytes"), "{error}"),
        },
        Case {
            name: "deeply nested JSON",
            op: Op::GetBranch,
            start: || serve(Script::new().send(json_answer(200, &"[".repeat(200_000)))),
            tune: base,
            expect: Some(ErrorKind::Decode),
            requests: 1,
            within: Duration::ZERO,
            check: no_check,
        },
        Case {
            name: "deeply nested JSON in an error body",
            op: Op::CreateBranch,
            start: || serve(Script::new().send(json_answer(400, &"{\"a\":".repeat(20_000)))),
            tune: base,
            expect: Some(ErrorKind::BadRequest),
            requests: 1,
            within: Duration::ZERO,
            check: no_check,
        },
        Case {
            name: "invalid UTF-8 in a JSON body",
            op: Op::GetBranch,
            start: || {
                serve(Script::new().send(answer(
                    200,
                    &[("content-length", "12")],
                    b"{\"id\":\"\xff\xfe\"}\n",
                )))
            },
            tune: base,
            expect: Some(ErrorKind::Decode),
            requests: 1,
            within: Duration::ZERO,
            check: no_check,
        },
        Case {
            name: "invalid UTF-8 in a text body",
            op: Op::CreateBranch,
            start: || {
                serve(Script::new().send(answer(
                    201,
                    &[("content-type", "text/plain"), ("content-length", "3")],
                    b"\xff\xfe\xfd",
                )))
            },
            tune: base,
            expect: Some(ErrorKind::Decode),
            requests: 1,
            within: Duration::ZERO,
            check: no_check,
        },
        Case {
            name: "invalid UTF-8 in headers",
            op: Op::GetBranch,
            start: || {
                let mut raw = b"HTTP/1.1 404 Not Found\r\nx-request-id: \xff\xfe-id\r\ncontent-type: \xc3(\r\n".to_vec();
                let body = br#"{"message":"no \u00e9 branch"}"#;
                raw.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
                raw.extend_from_slice(body);
                serve(Script::new().send(raw))
            },
            tune: base,
            expect: Some(ErrorKind::NotFound),
            requests: 1,
            within: Duration::ZERO,
            check: |_, error| assert!(error.contains("-id"), "{error}"),
        },
        Case {
            name: "an endless list stops at the page limit",
            op: Op::ListRepositories(Some(20)),
            start: || Servers {
                lakefs: HostileServer::start(|request| {
                    let cursor = format!("cursor-{}", request.index);
                    Script::new().send(json_answer(200, &page_json(true, &cursor)))
                })
                .unwrap(),
                storage: None,
            },
            tune: base,
            expect: Some(ErrorKind::Decode),
            requests: 20,
            within: Duration::ZERO,
            check: |_, error| assert!(error.contains("20 pages"), "{error}"),
        },
        Case {
            name: "a cyclic list (a, b, a)",
            op: Op::ListRepositories(None),
            start: || {
                serve_sequence(vec![
                    Script::new().send(json_answer(200, &page_json(true, "a"))),
                    Script::new().send(json_answer(200, &page_json(true, "b"))),
                    Script::new().send(json_answer(200, &page_json(true, "a"))),
                ])
            },
            tune: base,
            expect: Some(ErrorKind::Decode),
            requests: 3,
            within: Duration::ZERO,
            check: |_, error| assert!(error.contains("again"), "{error}"),
        },
        Case {
            name: "a cursor over 64 KiB",
            op: Op::ListRepositories(None),
            start: || {
                serve(Script::new().send(json_answer(200, &page_json(true, &"c".repeat(70_000)))))
            },
            tune: base,
            expect: Some(ErrorKind::Decode),
            requests: 1,
            within: Duration::ZERO,
            check: |_, error| assert!(error.contains("cursor of 70000 bytes"), "{error}"),
        },
        Case {
            name: "has_more without a cursor",
            op: Op::ListRepositories(None),
            start: || serve(Script::new().send(json_answer(200, &page_json(true, "")))),
            tune: base,
            expect: Some(ErrorKind::Decode),
            requests: 1,
            within: Duration::ZERO,
            check: no_check,
        },
        Case {
            name: "an absurd Content-Range total",
            op: Op::GetObject,
            start: || {
                serve(Script::new().send(answer(
                    206,
                    &[
                        ("content-range", "bytes 0-1/999999999999999999999999999"),
                        ("content-length", "2"),
                    ],
                    b"ab",
                )))
            },
            tune: base,
            expect: None,
            requests: 1,
            within: Duration::ZERO,
            check: no_check,
        },
        Case {
            name: "an absurd Content-Length on a download (retried: the GET is idempotent)",
            op: Op::GetObject,
            start: || {
                serve(headers_then(200, &[("content-length", "99999999999999999999999")]).close())
            },
            tune: base,
            expect: Some(ErrorKind::Transport),
            requests: ATTEMPTS,
            within: Duration::ZERO,
            check: no_check,
        },
        Case {
            name: "the object store refuses the connection",
            op: Op::GetObject,
            start: || {
                // A port that was just free: nothing listens there.
                let closed = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
                let refused = closed.local_addr().unwrap();
                drop(closed);
                serve(redirect_to(&format!("http://{refused}/store?{SECRET}")))
            },
            tune: base,
            expect: Some(ErrorKind::Transport),
            requests: 1,
            within: Duration::ZERO,
            check: |_, error| {
                assert!(error.to_lowercase().contains("refused"), "{error}");
                assert!(!error.contains("very-secret"), "{error}");
            },
        },
        Case {
            name: "a URL too long to send is an invalid argument, nothing sent",
            op: Op::GetBranchHugeName,
            start: || serve(Script::new().send(json_answer(200, BRANCH_JSON))),
            tune: base,
            expect: Some(ErrorKind::InvalidArgument),
            requests: 0,
            within: Duration::ZERO,
            check: no_check,
        },
        Case {
            name: "a healthy answer still works",
            op: Op::Upload,
            start: || serve(Script::new().send(json_answer(201, STATS_JSON))),
            tune: base,
            expect: None,
            requests: 1,
            within: Duration::ZERO,
            check: |servers, _| assert_eq!(servers.lakefs.requests()[0].body_len, 4096),
        },
    ]
}

fn upload_bytes() -> Vec<u8> {
    vec![b'u'; 4096]
}

async fn run_async(client: &lakefs_api::LakeFsClient, op: Op) -> Result<(), Error> {
    match op {
        Op::GetBranch => client.get_branch("repo", "main").await.map(drop),
        Op::GetBranchHugeName => client
            .get_branch("repo", &"b".repeat(1_000_000))
            .await
            .map(drop),
        Op::CreateBranch => client
            .create_branch("repo", &BranchCreation::new("b", "main"))
            .await
            .map(drop),
        Op::GetObject => {
            let download = client
                .get_object("repo", "main", "a", GetObjectOptions::default())
                .await?;
            download.bytes().await.map(drop)
        }
        Op::Upload => client
            .upload_object(
                "repo",
                "main",
                "a",
                upload_bytes().into(),
                UploadObjectOptions::default(),
            )
            .await
            .map(drop),
        Op::ListRepositories(limit) => {
            let pages = client.list_repositories_pages(ListRepositoriesOptions::default());
            let pages = match limit {
                Some(n) => lakefs_api::pagination::limit_pages("listRepositories", pages, n),
                None => pages,
            };
            pages.try_collect::<Vec<_>>().await.map(drop)
        }
    }
}

fn run_blocking(client: &lakefs_blocking::LakeFsClient, op: Op) -> Result<(), Error> {
    use lakefs_blocking::{BranchesApi as _, ObjectsApi as _, RepositoriesApiExt as _};
    match op {
        Op::GetBranch => client.get_branch("repo", "main").map(drop),
        Op::GetBranchHugeName => client.get_branch("repo", &"b".repeat(1_000_000)).map(drop),
        Op::CreateBranch => client
            .create_branch("repo", &BranchCreation::new("b", "main"))
            .map(drop),
        Op::GetObject => {
            let mut reader = client.get_object("repo", "main", "a", GetObjectOptions::default())?;
            let mut all = Vec::new();
            reader.read_to_end(&mut all).map_err(|e| {
                // The reader's error carries the SDK's error.
                match e.into_inner().map(|inner| inner.downcast::<Error>()) {
                    Some(Ok(error)) => *error,
                    other => panic!("a download error without the SDK's error: {other:?}"),
                }
            })?;
            Ok(())
        }
        Op::Upload => client
            .upload_object(
                "repo",
                "main",
                "a",
                upload_bytes().into(),
                UploadObjectOptions::default(),
            )
            .map(drop),
        Op::ListRepositories(limit) => {
            let mut pages = client.list_repositories_pages(ListRepositoriesOptions::default());
            if let Some(n) = limit {
                pages = pages.max_pages(n);
            }
            pages.collect::<Result<Vec<_>, _>>().map(drop)
        }
    }
}

/// Checks one case's outcome; `Err` says what went wrong.
fn verdict(
    case: &Case,
    servers: &Servers,
    outcome: Result<(), Error>,
    took: Duration,
) -> Result<(), String> {
    let text = match &outcome {
        Ok(()) => String::new(),
        Err(e) => e.to_string(),
    };
    let kind = outcome.as_ref().err().map(Error::kind);
    if kind != case.expect {
        return Err(format!("expected {:?}, got {kind:?}: {text}", case.expect));
    }
    let seen = servers.requests().len();
    if seen != case.requests {
        return Err(format!(
            "expected {} requests, the servers saw {seen}: {text}",
            case.requests
        ));
    }
    if took > case.within + SLACK {
        return Err(format!(
            "took {took:?}, limit {:?} + slack {SLACK:?}",
            case.within
        ));
    }
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        (case.check)(servers, &text)
    }))
    .map_err(|_| format!("its check failed: {text}"))
}

fn report(client: &str, results: Vec<(&'static str, Duration, Result<(), String>)>) {
    let failed: Vec<String> = results
        .iter()
        .filter_map(|(name, _, r)| r.as_ref().err().map(|e| format!("{name}: {e}")))
        .collect();
    println!("{client} client: {} fault cases", results.len());
    for (name, took, result) in &results {
        let verdict = if result.is_ok() { "ok" } else { "FAILED" };
        println!("  {verdict:6} {took:>10.3?}  {name}");
    }
    assert!(failed.is_empty(), "{client} client:\n{}", failed.join("\n"));
}

#[test]
fn every_fault_through_the_async_client() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let results = runtime.block_on(async {
        let mut tasks = Vec::new();
        for case in cases() {
            tasks.push(tokio::spawn(async move {
                let servers = (case.start)();
                let client = (case.tune)(builder(&servers.lakefs.url())).build().unwrap();
                let started = Instant::now();
                let outcome = run_async(&client, case.op).await;
                let took = started.elapsed();
                let result = verdict(&case, &servers, outcome, took);
                (case.name, took, result)
            }));
        }
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.expect("a fault case panicked"));
        }
        results
    });
    report("async", results);
}

#[test]
fn every_fault_through_the_blocking_client() {
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = cases()
            .into_iter()
            .map(|case| {
                scope.spawn(move || {
                    let servers = (case.start)();
                    let client = lakefs_blocking::LakeFsClient::from_builder((case.tune)(builder(
                        &servers.lakefs.url(),
                    )))
                    .unwrap();
                    let started = Instant::now();
                    let outcome = run_blocking(&client, case.op);
                    let took = started.elapsed();
                    let result = verdict(&case, &servers, outcome, took);
                    (case.name, took, result)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a fault case panicked"))
            .collect::<Vec<_>>()
    });
    report("blocking", results);
}

#[test]
fn a_transport_error_names_its_root_cause() {
    let closed = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let client = builder(&url)
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let err = runtime
        .block_on(client.get_branch("repo", "main"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert!(err.to_string().to_lowercase().contains("refused"), "{err}");
}

#[test]
fn credentials_that_cannot_be_sent_are_a_configuration_error() {
    for token in ["zqx\r\nX-Injected: 1", "zqx\nen", "zq\0x"] {
        let err = lakefs_api::LakeFsClient::builder()
            .endpoint("http://127.0.0.1:9")
            .bearer_token(token)
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        assert!(!err.to_string().contains("zq"), "{err}");
        let err = lakefs_blocking::LakeFsClient::from_builder(
            lakefs_api::LakeFsClient::builder()
                .endpoint("http://127.0.0.1:9")
                .bearer_token(token),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    }
    let err = lakefs_api::LakeFsClient::builder()
        .endpoint("http://127.0.0.1:9")
        .access_key("AK\r\nID", "secret")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
}

#[test]
fn a_concurrency_limit_holds_requests_back() {
    let server = HostileServer::always(
        Script::new()
            .sleep(Duration::from_millis(200))
            .send(json_answer(200, BRANCH_JSON)),
    )
    .unwrap();
    let client = builder(&server.url())
        .max_concurrent_requests(1)
        .build()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    runtime.block_on(async {
        let calls = (0..3).map(|_| client.get_branch("repo", "main"));
        for result in futures::future::join_all(calls).await {
            result.unwrap();
        }
    });
    // One at a time: three answers of 200 ms each.
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests().len(), 3);
}
