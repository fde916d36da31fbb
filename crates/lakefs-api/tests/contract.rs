//! Contract tests: every operation, called through the typed async client, checked by an
//! independent validator, Prism (`prism mock`), against the lakeFS spec.
//!
//! * Requests: Prism validates method, path, query, headers, credentials and body of every
//!   call; any `sl-violations` header (recorded by a relay in front of Prism) fails.
//! * Answers: every success answer, static and random (`--dynamic`, fixed seeds, unknown extra
//!   fields), must decode into the method's return type.
//! * Errors: every documented error status (`Prefer: code=N`) must come back as `Error::Api`
//!   with that status, its kind, and the typed body the spec documents.
//!
//! Needs Prism (`$PRISM_BIN`, else `.ci/prism/node_modules/.bin/prism` after
//! `npm install --prefix .ci/prism`) and the spec (`$LAKEFS_SPEC`, else
//! `../shared/lakefs/swagger.yml`). Without them the test says it is skipped, except with
//! `CI=true`, where it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "contract/checks.rs"]
mod checks;
#[path = "contract/generated_calls.rs"]
mod generated_calls;
#[path = "contract/prism.rs"]
mod prism;
#[path = "contract/recorder.rs"]
mod recorder;

use checks::{Server, Tally};
use prism::{Mode, Prism, TempDir};
use std::time::Instant;

/// The seeds of the `--dynamic` servers.
const SEEDS: [u32; 5] = [1, 7, 42, 1234, 31337];

/// Writes to the process's stderr directly, so the summary shows without `--nocapture`
/// (the test harness captures only the `print!` family of macros).
fn report(text: &str) {
    use std::io::Write;
    let _ = std::io::stderr().write_all(text.as_bytes());
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_honours_the_spec() {
    let started = Instant::now();
    let (bin, spec) = match prism::find_tools() {
        Ok(found) => found,
        Err(reason) if in_ci() => panic!("contract tests cannot run with CI=true: {reason}"),
        Err(reason) => {
            report(&format!("skipped: contract tests: {reason}\n"));
            return;
        }
    };
    let dir = TempDir::new("lakefs-contract").unwrap();
    let text = std::fs::read_to_string(&spec).unwrap();
    let spec_copy = dir.path().join("swagger-api-v1.yml");
    std::fs::write(&spec_copy, prism::prefixed_spec(&text).unwrap()).unwrap();

    // All servers start together: Prism needs seconds to load the spec.
    let modes = std::iter::once(Mode::Static).chain(SEEDS.map(Mode::Dynamic));
    let spawned: Vec<Prism> = modes
        .map(|mode| Prism::spawn(&bin, &spec_copy, mode, dir.path()).unwrap())
        .collect();
    let mut servers = Vec::new();
    for result in futures::future::join_all(spawned.into_iter().map(Server::start)).await {
        servers.push(result.unwrap_or_else(|e| panic!("{e}")));
    }
    let ready = started.elapsed();

    let tallies: Vec<(Mode, Tally)> =
        futures::future::join_all(servers.iter_mut().map(|server| async {
            let tally = server.run().await;
            (server.prism.mode, tally)
        }))
        .await;
    drop(servers);

    let sum = |f: fn(&Tally) -> usize| tallies.iter().map(|(_, t)| f(t)).sum::<usize>();
    let seeds_decoded: Vec<u32> = tallies
        .iter()
        .filter_map(|(mode, t)| match mode {
            Mode::Dynamic(seed) if t.success_ok == t.success_calls => Some(*seed),
            _ => None,
        })
        .collect();
    let operations = tallies.first().map_or(0, |(_, t)| t.operations);
    let mut skipped: Vec<&String> = tallies.iter().flat_map(|(_, t)| &t.skipped).collect();
    skipped.sort();
    skipped.dedup();
    let failures: Vec<&String> = tallies.iter().flat_map(|(_, t)| &t.failures).collect();

    let mut summary = format!(
        "contract summary (Prism mock, 1 static + {} dynamic servers):\n",
        SEEDS.len()
    );
    let mut line = |text: String| {
        summary += &text;
        summary.push('\n');
    };
    line(format!(
        "  operations checked: {operations} of {}",
        lakefs_api::OPERATIONS.len()
    ));
    line(format!(
        "  success calls: {} of {} decoded",
        sum(|t| t.success_ok),
        sum(|t| t.success_calls)
    ));
    line(format!("  violations found: {}", sum(|t| t.violations)));
    line(format!(
        "  dynamic seeds decoded: {} of {} {SEEDS:?}",
        seeds_decoded.len(),
        SEEDS.len()
    ));
    line(format!(
        "  error cases checked: {} of {} as documented",
        sum(|t| t.error_ok),
        sum(|t| t.error_cases)
    ));
    for s in &skipped {
        line(format!("  not asked for: {s}"));
    }
    line(format!(
        "  time: {:.1} s ({:.1} s to start Prism)",
        started.elapsed().as_secs_f64(),
        ready.as_secs_f64()
    ));
    for f in &failures {
        line(format!("FAILED {f}"));
    }
    report(&summary);
    assert_eq!(operations, lakefs_api::OPERATIONS.len());
    assert_eq!(
        seeds_decoded.len(),
        SEEDS.len(),
        "some dynamic seeds failed"
    );
    assert!(
        failures.is_empty(),
        "{} contract failures (listed above)",
        failures.len()
    );
}

#[test]
fn the_spec_copy_serves_the_api_under_api_v1() {
    let text = "openapi: 3.0.0\npaths:\n  /repositories/{repository}:\n    get:\n      responses:\n        200:\n          description: ok\n";
    let copy: serde_yaml::Value =
        serde_yaml::from_str(&prism::prefixed_spec(text).unwrap()).unwrap();
    let paths = copy["paths"].as_mapping().unwrap();
    let keys: Vec<&str> = paths.keys().map(|k| k.as_str().unwrap()).collect();
    assert_eq!(keys, ["/api/v1/repositories/{repository}"]);
    assert!(copy["paths"]["/api/v1/repositories/{repository}"]["get"].is_mapping());
}

#[test]
fn violation_headers_are_found_even_when_split_across_reads() {
    let answer = b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nSL-Violations: [{\"code\":\"pattern\"}]\r\nsl-violations: second\r\nContent-Length: 2\r\n\r\n{}";
    for split in [1, 20, 40, 45, 60, 75, answer.len()] {
        let mut scanner = recorder::Scanner::default();
        let mut seen = scanner.feed(&answer[..split]);
        seen.extend(scanner.feed(&answer[split..]));
        assert_eq!(
            seen,
            ["[{\"code\":\"pattern\"}]", "second"],
            "split at {split}"
        );
    }
    let mut scanner = recorder::Scanner::default();
    assert!(
        scanner
            .feed(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            .is_empty()
    );
}
