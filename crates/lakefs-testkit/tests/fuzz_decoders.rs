//! Fuzzing the client's decoders on stable: every operation (so every decoder: JSON, text,
//! empty, ETag, Location, part ETag, headers only, downloads through presigned redirects,
//! uploads, and the error path) gets a fixed number of seeded, mutated answers from a hostile
//! server: status, headers (lengths, chunking, Retry-After, Location, ranges, invalid bytes)
//! and body (the spec's success document, mutated). Nothing may panic; every call must end
//! with a value or a typed error. Some of the cases go through the blocking client too.
//!
//! `LAKEFS_FUZZ_CASES` sets the cases per operation (CI's fuzz step runs more than the
//! default).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use lakefs_api::{LakeFsClientBuilder, RetryConfig};
use lakefs_testkit::cases::{SuccessBody, success_case};
use lakefs_testkit::hostile::{HostileServer, Script, SeenRequest};
use std::time::Duration;
use support::generated_calls::{OPERATION_IDS, call, call_blocking};

/// Cases per operation in `cargo test`.
const DEFAULT_CASES: usize = 16;
/// One case in this many also goes through the blocking client.
const BLOCKING_EVERY: usize = 4;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

fn base_body(operation_id: &str) -> Vec<u8> {
    match success_case(operation_id).map(|c| &c.body) {
        Some(SuccessBody::Json(json)) | Some(SuccessBody::Text(json)) => json.as_bytes().to_vec(),
        Some(SuccessBody::Bytes(bytes)) => bytes.to_vec(),
        _ => Vec::new(),
    }
}

fn mutate_body(base: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut body = match rng.below(8) {
        0 => Vec::new(),
        1 => br#"{"message":"fuzzed failure"}"#.to_vec(),
        2 => b"<html><body>502 Bad Gateway</body></html>".to_vec(),
        3 => "[".repeat(1 + rng.below(5000)).into_bytes(),
        4 => vec![0xff; rng.below(300)],
        _ => base.to_vec(),
    };
    for _ in 0..rng.below(4) {
        if body.is_empty() {
            break;
        }
        let i = rng.below(body.len());
        match rng.below(5) {
            0 => body[i] ^= 1 << rng.below(8),
            1 => body.truncate(i),
            2 => {
                let junk: &[u8] = rng.pick(&[
                    &b"null"[..],
                    b"\"",
                    b"{",
                    b"]",
                    b"1e99999",
                    b"-0",
                    b"\xc3\x28",
                    b"\\u00",
                    b"\"x_unknown\":1,",
                ]);
                body.splice(i..i, junk.iter().copied());
            }
            3 => {
                body.remove(i);
            }
            _ => body.extend(std::iter::repeat_n(b' ', rng.below(70_000))),
        }
    }
    body
}

/// One mutated answer; `request` tells where to point a redirect (the same server).
fn mutated_answer(request: &SeenRequest, rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let status = match rng.below(4) {
        0 => 100 + rng.below(900),
        _ => rng.pick(&[
            200, 200, 200, 201, 204, 206, 301, 302, 302, 304, 307, 400, 401, 403, 404, 409, 410,
            412, 416, 420, 429, 500, 501, 502, 503, 504,
        ]),
    };
    let body = mutate_body(base, rng);
    let host = request.header("host").unwrap_or("127.0.0.1").to_string();
    let mut head = format!("HTTP/1.1 {status} Fuzzed\r\nconnection: close\r\n").into_bytes();
    let mut header = |name: &str, value: &[u8]| {
        head.extend_from_slice(name.as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    };
    let length = body.len();
    let chunked = rng.below(5) == 0;
    match rng.below(6) {
        _ if chunked => header("transfer-encoding", b"chunked"),
        0 => {}
        1 => header(
            "content-length",
            (length + rng.below(50)).to_string().as_bytes(),
        ),
        2 => header(
            "content-length",
            rng.pick(&[
                &b"-1"[..],
                b"99999999999999999999999",
                b"18446744073709551615",
                b"abc",
                b"1, 2",
            ]),
        ),
        3 => header(
            "content-length",
            length.saturating_sub(rng.below(20)).to_string().as_bytes(),
        ),
        _ => header("content-length", length.to_string().as_bytes()),
    }
    let extras: &[(&str, &[&[u8]])] = &[
        (
            "content-type",
            &[
                b"application/json",
                b"text/plain",
                b"text/html",
                b"\xff\xfe",
                b"",
            ],
        ),
        (
            "retry-after",
            &[
                b"0",
                b"1",
                b"18446744073709551615",
                b"-5",
                b"Wed, 21 Oct 2015 07:28:00 GMT",
                b"Wed, 21 Oct 300000000000 07:28:00 GMT",
                b"Fri, 31 Dec 9999 23:59:59 GMT",
                b"soon",
            ],
        ),
        ("etag", &[b"\"abc\"", b"W/\"weak\"", b"\"", b"\xff"]),
        (
            "content-range",
            &[
                b"bytes 0-1/2",
                b"bytes 0-9/*",
                b"bytes 5-1/999999999999999999999999",
                b"bytes */0",
                b"garbage",
            ],
        ),
        ("x-request-id", &[b"req-1", b"\xff\xfe", b""]),
        ("x-lakefs-meta-key", &[b"v", b"\xc3\xa9", b"\xff"]),
        (
            "last-modified",
            &[b"Wed, 21 Oct 2015 07:28:00 GMT", b"yesterday"],
        ),
    ];
    for (name, values) in extras {
        if rng.below(3) == 0 {
            header(name, rng.pick(values));
        }
    }
    if rng.below(2) == 0 {
        let store = format!("http://{host}/store/object?X-Amz-Signature=s");
        let locations: [&[u8]; 6] = [
            store.as_bytes(),
            b"ftp://127.0.0.1/file",
            b"file:///etc/passwd",
            b"/relative/path",
            b"http://[::1",
            b"",
        ];
        header("location", rng.pick(&locations));
    }
    if rng.below(10) == 0 {
        header("x-long", &vec![b'a'; 8 * 1024]);
    }
    head.extend_from_slice(b"\r\n");
    if chunked {
        match rng.below(3) {
            0 => head.extend_from_slice(b"zz\r\nbad chunk\r\n"),
            _ => {
                if !body.is_empty() {
                    head.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
                    head.extend_from_slice(&body);
                    head.extend_from_slice(b"\r\n");
                }
                if rng.below(3) > 0 {
                    head.extend_from_slice(b"0\r\n\r\n");
                }
            }
        }
    } else {
        head.extend_from_slice(&body);
    }
    head
}

fn builder(url: &str) -> LakeFsClientBuilder {
    lakefs_api::LakeFsClient::builder()
        .endpoint(url)
        .access_key("AKIDFUZZ", "fuzz-secret")
        .read_timeout(Some(Duration::from_millis(300)))
        .request_timeout(Some(Duration::from_millis(600)))
        .call_budget(Some(Duration::from_secs(2)))
        .max_answer_bytes(256 * 1024)
        .retry(RetryConfig::disabled())
}

fn cases_per_operation() -> usize {
    std::env::var("LAKEFS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

fn server_for(operation_id: &'static str, seed: u64) -> HostileServer {
    let base = base_body(operation_id);
    HostileServer::start(move |request| {
        let mut rng = Rng(seed ^ (request.index as u64).wrapping_mul(0x1000_0001));
        Script::new()
            .send(mutated_answer(request, &mut rng, &base))
            .close()
    })
    .unwrap()
}

#[test]
fn no_mutated_answer_panics_or_hangs_a_call() {
    let cases = cases_per_operation();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let (mut ok, mut errors, mut panics, mut blocking_calls) = (0usize, 0usize, Vec::new(), 0);
    // A few operations at a time, each with its own server and clients.
    for batch in OPERATION_IDS.chunks(8) {
        let outcomes = runtime.block_on(async {
            let mut tasks = Vec::new();
            for (offset, &operation_id) in batch.iter().enumerate() {
                let seed = 0xF0CC_0000 + offset as u64 + operation_id.len() as u64 * 7919;
                tasks.push(tokio::spawn(async move {
                    let server = server_for(operation_id, seed);
                    let client = builder(&server.url()).build().unwrap();
                    let mut results = Vec::new();
                    for case in 0..cases {
                        let call = tokio::spawn({
                            let client = client.clone();
                            async move { call(&client, operation_id).await.is_ok() }
                        });
                        let outcome =
                            match tokio::time::timeout(Duration::from_secs(10), call).await {
                                Ok(Ok(succeeded)) => Ok(succeeded),
                                Ok(Err(e)) if e.is_panic() => {
                                    Err(format!("{operation_id} case {case}: panicked"))
                                }
                                Ok(Err(e)) => Err(format!("{operation_id} case {case}: {e}")),
                                Err(_) => Err(format!("{operation_id} case {case}: hung")),
                            };
                        results.push(outcome);
                    }
                    (operation_id, seed, results)
                }));
            }
            let mut all = Vec::new();
            for task in tasks {
                all.push(task.await.unwrap());
            }
            all
        });
        for (operation_id, seed, results) in outcomes {
            for outcome in results {
                match outcome {
                    Ok(true) => ok += 1,
                    Ok(false) => errors += 1,
                    Err(problem) => panics.push(problem),
                }
            }
            // The same answers (same seed) through the blocking client, for some cases.
            let server = server_for(operation_id, seed);
            let client =
                lakefs_blocking::LakeFsClient::from_builder(builder(&server.url())).unwrap();
            for case in (0..cases).step_by(BLOCKING_EVERY) {
                let _ = case;
                blocking_calls += 1;
                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let _ = call_blocking(&client, operation_id);
                }))
                .is_err()
                {
                    panics.push(format!("{operation_id}: the blocking call panicked"));
                }
            }
        }
    }
    std::panic::set_hook(hook);
    println!(
        "fuzz: decoders: {} operations x {cases} cases = {} async calls ({ok} succeeded, {errors} typed errors) and {blocking_calls} blocking calls, {} panics or hangs",
        OPERATION_IDS.len(),
        OPERATION_IDS.len() * cases,
        panics.len()
    );
    assert!(panics.is_empty(), "{}", panics.join("\n"));
}
