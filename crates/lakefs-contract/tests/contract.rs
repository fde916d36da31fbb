//! Contract tests: every operation, called through the typed async client, checked by an
//! independent validator, Prism (`prism mock`), against the lakeFS spec.
//!
//! * Requests: Prism validates method, path, query, headers, credentials and body of every
//!   call; anything Prism reports (an `sl-violations` header or an error answer of its own,
//!   recorded by the relay in front of Prism) fails.
//! * Answers: every success answer, static and random (`--dynamic`, fixed seeds, unknown extra
//!   fields), must decode into the method's return type.
//! * Errors: every documented error status (`Prefer: code=N`) must come back as `Error::Api`
//!   with that status, its kind, and the typed body the spec documents.
//!
//! Prism runs through `lakefs_contract`. It needs Prism (`$PRISM_BIN`, else
//! `.ci/prism/node_modules/.bin/prism` after `npm install --prefix .ci/prism`) and the spec
//! (`$LAKEFS_SPEC`, else `../shared/lakefs/swagger.yml`). Without them the test says it is
//! skipped, except with `CI=true`, where it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "contract/checks.rs"]
mod checks;
// The call dispatcher generated for the testkit's fixture tests, shared rather than copied.
#[path = "../../lakefs-testkit/tests/support/mod.rs"]
mod support;

use checks::{Server, Tally};
use lakefs_contract::{self as prism, Mode, Prism};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The seeds of the `--dynamic` servers.
const SEEDS: [u32; 5] = [1, 7, 42, 1234, 31337];

/// Writes to the process's stderr directly, so the summary shows without `--nocapture`
/// (the test harness captures only the `print!` family of macros).
fn report(text: &str) {
    use std::io::Write;
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// The workspace root (two levels above this crate).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_honours_the_spec() {
    let started = Instant::now();
    let root = workspace_root();
    let Some(tools) = prism::tools_or_skip(
        "contract tests",
        root.join(".ci/prism/node_modules/.bin/prism"),
        root.join("../shared/lakefs/swagger.yml"),
    ) else {
        return;
    };
    let spec = tools.spec_copy().unwrap();

    // All servers start together: Prism needs seconds to load the spec.
    let modes = std::iter::once(Mode::Static).chain(SEEDS.map(Mode::Dynamic));
    let started_servers = modes.map(|mode| Prism::start(&spec, mode));
    let mut servers = Vec::new();
    for result in futures::future::join_all(started_servers).await {
        servers.push(Server::new(result.unwrap_or_else(|e| panic!("{e}"))));
    }
    let ready = started.elapsed();

    let tallies: Vec<(Mode, Tally)> =
        futures::future::join_all(servers.iter_mut().map(|server| async {
            let tally = server.run().await;
            (server.prism.mode().clone(), tally)
        }))
        .await;
    // A representative run of the blocking client against the static server, from
    // synchronous code (`block_in_place` lets the relay tasks go on meanwhile).
    let blocking = tokio::task::block_in_place(|| servers[0].run_blocking());
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
    let failures: Vec<&String> = tallies
        .iter()
        .flat_map(|(_, t)| &t.failures)
        .chain(&blocking.failures)
        .collect();

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
    line(format!(
        "  blocking client (static server): {} operations, {} of {} success calls decoded, \
         {} of {} error cases, {} violations",
        blocking.operations,
        blocking.success_ok,
        blocking.success_calls,
        blocking.error_ok,
        blocking.error_cases,
        blocking.violations
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
