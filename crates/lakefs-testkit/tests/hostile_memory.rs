//! Memory under hostile answers, measured honestly: each case runs the client in a child
//! process of its own (this binary again), against a hostile server in this process, and the
//! child reports its peak resident memory (VmHWM). The cases run one after the other; the
//! child's peak is compared with a baseline child that makes one small call.
//!
//! A test binary without the test harness: `cargo test` runs `main`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures::TryStreamExt;
use lakefs_api::{BranchesApi, ErrorKind, ListRepositoriesOptions, RepositoriesApiExt};
use lakefs_testkit::hostile::{HostileServer, Script, answer, json_answer};
use std::process::Command;

const CHILD_CASE: &str = "LAKEFS_MEMORY_CASE";
const CHILD_URL: &str = "LAKEFS_MEMORY_URL";
const MIB: u64 = 1024 * 1024;
/// Pages of the endless list, each with a new cursor of 30 KiB: keeping the cursors would
/// take 30 MB (3,000 such pages took 270 MB before the fix).
const ENDLESS_PAGES: usize = 1000;
const CURSOR_BYTES: usize = 30 * 1024;

fn main() {
    if let Ok(case) = std::env::var(CHILD_CASE) {
        let url = std::env::var(CHILD_URL).unwrap();
        child(&case, &url);
        return;
    }
    let baseline = measure_with("baseline", &small_answer());
    println!("memory: baseline child peak {} MiB", baseline / MIB);
    let cap = lakefs_api::DEFAULT_MAX_ANSWER_BYTES as u64;
    let started = std::time::Instant::now();
    let cases: Vec<(&str, HostileServer, u64)> = vec![
        // Refused before reading: nothing of the body is buffered.
        ("declared_10_gb", declared_huge(), 16 * MIB),
        // Read up to the cap, then refused: at most the cap is buffered.
        (
            "chunked_200_mb",
            chunked(200 * MIB as usize),
            cap + 32 * MIB,
        ),
        // The largest answer accepted: a list page just under the cap, decoded.
        (
            "list_page_under_cap",
            big_page(cap as usize - MIB as usize),
            4 * cap,
        ),
        // An endless list: 8 bytes kept per page, not the cursor.
        ("endless_list", endless_list(), 8 * MIB),
    ];
    println!("memory: servers ready in {:?}", started.elapsed());
    let mut failures = Vec::new();
    for (case, server, allowed) in cases {
        let started = std::time::Instant::now();
        let peak = measure_with(case, &server);
        println!("memory: {case}: the child took {:?}", started.elapsed());
        let grown = peak.saturating_sub(baseline);
        let verdict = if grown <= allowed { "ok" } else { "FAILED" };
        println!(
            "memory: {case}: child peak {} MiB, {} MiB over the baseline (allowed {} MiB): {verdict}",
            peak / MIB,
            grown / MIB,
            allowed / MIB
        );
        if grown > allowed {
            failures.push(case);
        }
    }
    assert!(
        failures.is_empty(),
        "memory cases over their bound: {failures:?}"
    );
}

/// Runs `case` in a child process against `server`; the child's peak RSS in bytes.
fn measure_with(case: &str, server: &HostileServer) -> u64 {
    let output = Command::new(std::env::current_exe().unwrap())
        .env(CHILD_CASE, case)
        .env(CHILD_URL, server.url())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{case}: the child failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM-bytes: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{case}: no VmHWM from the child: {stdout}"))
}

/// The peak resident memory of this process (Linux `/proc/self/status`).
fn own_peak_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status");
    kib * 1024
}

fn child(case: &str, url: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = lakefs_api::LakeFsClient::builder()
        .endpoint(url)
        .access_key("AKID", "secret")
        .build()
        .unwrap();
    runtime.block_on(async {
        match case {
            "baseline" => {
                client.get_branch("repo", "main").await.unwrap();
            }
            "declared_10_gb" | "chunked_200_mb" => {
                let err = client.get_branch("repo", "main").await.unwrap_err();
                assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
            }
            "list_page_under_cap" => {
                let page = client
                    .list_repositories(ListRepositoriesOptions::default())
                    .await
                    .unwrap();
                assert!(!page.results.is_empty());
            }
            "endless_list" => {
                let pages = lakefs_api::pagination::limit_pages(
                    "listRepositories",
                    client.list_repositories_pages(ListRepositoriesOptions::default()),
                    ENDLESS_PAGES,
                );
                let mut count = 0usize;
                let err = pages
                    .try_for_each(|_| {
                        count += 1;
                        futures::future::ready(Ok(()))
                    })
                    .await
                    .unwrap_err();
                assert_eq!(count, ENDLESS_PAGES, "{err}");
                assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
            }
            other => panic!("unknown case {other}"),
        }
    });
    println!("VmHWM-bytes: {}", own_peak_bytes());
}

use lakefs_api::RepositoriesApi as _;

const BRANCH_JSON: &str = r#"{"id":"main","commit_id":"c0ffee"}"#;

fn small_answer() -> HostileServer {
    HostileServer::always(Script::new().send(json_answer(200, BRANCH_JSON))).unwrap()
}

fn declared_huge() -> HostileServer {
    // The headers promise 10 GB and 64 MiB follow at once: the client must not read them.
    let mut raw = answer(
        200,
        &[
            ("content-type", "application/json"),
            ("content-length", "10000000000"),
        ],
        b"",
    );
    raw.extend(vec![b' '; 64 * MIB as usize]);
    HostileServer::always(Script::new().send(raw).close()).unwrap()
}

fn chunked(size: usize) -> HostileServer {
    let mut raw = answer(
        200,
        &[
            ("content-type", "application/json"),
            ("transfer-encoding", "chunked"),
        ],
        b"",
    );
    const CHUNK: usize = 1024 * 1024;
    let chunk = vec![b' '; CHUNK];
    for _ in 0..size / CHUNK {
        raw.extend_from_slice(format!("{CHUNK:x}\r\n").as_bytes());
        raw.extend_from_slice(&chunk);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    HostileServer::always(Script::new().send(raw).close()).unwrap()
}

fn repository(i: usize) -> String {
    format!(
        r#"{{"id":"repository-{i:08}","creation_date":1700000000,"default_branch":"main","storage_namespace":"s3://bucket/repository-{i:08}"}}"#
    )
}

fn big_page(size: usize) -> HostileServer {
    let head = r#"{"pagination":{"has_more":false,"next_offset":"","results":0,"max_per_page":1000},"results":["#;
    let mut body = String::with_capacity(size);
    body.push_str(head);
    let mut i = 0;
    while body.len() + 200 < size {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&repository(i));
        i += 1;
    }
    body.push_str("]}");
    HostileServer::always(Script::new().send(json_answer(200, &body))).unwrap()
}

fn endless_list() -> HostileServer {
    HostileServer::start(|request| {
        // A new 30 KiB cursor on every page, and always more to come.
        let cursor = format!("{:0>width$}", request.index, width = CURSOR_BYTES);
        let body = format!(
            r#"{{"pagination":{{"has_more":true,"next_offset":"{cursor}","results":1,"max_per_page":1}},"results":[{}]}}"#,
            repository(request.index)
        );
        Script::new().send(json_answer(200, &body))
    })
    .unwrap()
}
