//! Every example, run as its own program against a fake lakeFS behind
//! `prism proxy --errors`, so that what the examples send and what the fake answers is
//! validated against the spec. Each example must exit 0, print its steps, and cause no
//! violation.
//!
//! The examples are the binaries cargo builds beside this test (`cargo test` builds them
//! first; `cargo test --test through_prism` alone does not: then `cargo build --examples`).
//! Needs Prism (`$PRISM_BIN`, else `.ci/prism/node_modules/.bin/prism`) and the spec
//! (`$LAKEFS_SPEC`, else `../shared/lakefs/swagger.yml`); without them the test says it is
//! skipped, except with `CI=true`, where it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use lakefs_contract::{
    self as prism, GET_OBJECT_CONTENT_TYPE, Mode, Prism, Tolerance, UPLOAD_OBJECT_CONTENT_TYPE,
};
use lakefs_fake::FakeLakeFs;

/// Each example, its arguments, and lines its output must contain (its steps).
const EXAMPLES: &[(&str, &[&str], &[&str])] = &[
    (
        "workflow",
        &[],
        &[
            "--- 1. Creating Repository",
            "--- 2. Creating Branch",
            "--- 3. Uploading object",
            "--- 4. Committing changes",
            "--- 5. Listing objects",
            "  - Path: data/generated_sdk_sample.txt",
        ],
    ),
    (
        "list_repositories",
        &[],
        &[
            "--- 1. Listing Repositories as one stream",
            "--- 2. Listing Repositories page by page",
            "  - ID: generated-sdk-workflow-repo",
            "Total: 1 repositories in 1 page(s).",
        ],
    ),
    (
        "error_handling",
        &[],
        &[
            "--- 1. A branch that does not exist ---",
            "Not found:",
            "--- 2. A repository that exists already ---",
            "Conflict:",
            "--- 3. An invalid repository name ---",
            "Bad request:",
            "--- 4. A server that cannot be reached ---",
            "No answer from lakeFS",
        ],
    ),
    (
        "blocking_workflow",
        &[],
        &[
            "--- 1. Creating Repository",
            "--- 3. Uploading object",
            "--- 5. Listing objects",
            "--- 6. Reading 'data/blocking_sample.csv' back ---",
            "2,beta",
        ],
    ),
    (
        "highlevel_workflow",
        &[],
        &[
            "--- 1. Creating Repository",
            "--- 3. Uploading object",
            "--- 4. Committing changes",
            "  - Path: data/sample.txt",
        ],
    ),
    (
        "transaction",
        &[],
        &[
            "attempt 2 on the hidden branch tx-",
            "Transaction committed after 2 attempt(s)",
            "transaction branches left: 0",
        ],
    ),
    (
        "branch_diff_merge",
        &[],
        &[
            "     added data/new.csv",
            "   removed data/obsolete.csv",
            "Conflict (HTTP 409)",
            "--- 5. Settling it",
        ],
    ),
    (
        "transfer",
        &["8M"],
        &[
            "--- 1. Uploading 8388608 bytes",
            "--- 2. Downloading and checking",
            "All 8388608 downloaded bytes match the uploaded pattern.",
            "--- 3. Deleting",
        ],
    ),
];

/// `error_handling` creates a repository named `Invalid_Name!` on purpose, to show lakeFS's
/// 400. The spec's pattern for repository names forbids it, so Prism refuses the request
/// itself (422) without forwarding it; the relay then sends it to the fake, whose 400 the
/// example expects.
const INVALID_NAME_ON_PURPOSE: Tolerance = Tolerance {
    operation: "createRepository",
    location: "request.body.name",
    code: "pattern",
    reason: "error_handling sends the invalid repository name `Invalid_Name!` on purpose",
};

/// Writes to the process's stderr directly, so that it shows without `--nocapture`.
fn report(text: &str) {
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// Where cargo put the example binaries: `target/<profile>/examples`, beside the `deps`
/// folder that holds this test.
fn examples_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test executable lives in target/<profile>/deps");
    profile.join("examples")
}

fn example_binary(name: &str) -> PathBuf {
    let path = examples_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "the example binary {name} is not at {}: build the examples first (`cargo test -p \
         lakefs-examples` builds them; with `--test through_prism` alone, run `cargo build \
         --examples` before)",
        path.display()
    );
    path
}

/// Runs one example against `endpoint` with the fake's credentials.
fn run_example(binary: &Path, args: &[&str], endpoint: &str, config: &Path) -> Output {
    Command::new(binary)
        .args(args)
        .env("LAKECTL_SERVER_ENDPOINT_URL", endpoint)
        .env(
            "LAKECTL_CREDENTIALS_ACCESS_KEY_ID",
            lakefs_fake::FAKE_ACCESS_KEY_ID,
        )
        .env(
            "LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY",
            lakefs_fake::FAKE_SECRET_ACCESS_KEY,
        )
        .env("LAKEFS_EXAMPLE_STORAGE_NAMESPACE", "mem://examples")
        // No lakectl file of the user's may change what the examples do.
        .env("LAKECTL_CONFIG_FILE", config)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_through_prism_proxy() {
    let started = Instant::now();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let Some(tools) = prism::tools_or_skip(
        "examples through prism proxy",
        root.join(".ci/prism/node_modules/.bin/prism"),
        root.join("../shared/lakefs/swagger.yml"),
    ) else {
        return;
    };
    let binaries: Vec<PathBuf> = EXAMPLES
        .iter()
        .map(|(name, _, _)| example_binary(name))
        .collect();
    let fake = FakeLakeFs::start().await;
    let spec = tools.spec_copy().unwrap();
    let tolerances = [
        GET_OBJECT_CONTENT_TYPE,
        UPLOAD_OBJECT_CONTENT_TYPE,
        INVALID_NAME_ON_PURPOSE,
    ];
    let proxy = Prism::builder(&spec, Mode::Proxy(fake.endpoint()))
        .tolerate_all(tolerances)
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let ready = started.elapsed();
    let endpoint = proxy.endpoint();
    let config = spec.dir().join("no-lakectl.yaml");

    let mut failures = Vec::new();
    let mut violations = 0;
    let mut tolerated = Vec::new();
    let mut timings = Vec::new();
    for ((name, args, steps), binary) in EXAMPLES.iter().zip(&binaries) {
        let run_started = Instant::now();
        let (binary, url, config) = (binary.clone(), endpoint.clone(), config.clone());
        let output = tokio::task::spawn_blocking(move || run_example(&binary, args, &url, &config))
            .await
            .unwrap();
        timings.push((*name, run_started.elapsed()));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stdout.lines().next().unwrap_or_default();
        let mut problems = Vec::new();
        if !output.status.success() {
            problems.push(format!("exited with {}", output.status));
        }
        if first != format!("Using lakeFS at {endpoint}/api/v1") {
            problems.push(format!("did not use the proxy: first line {first:?}"));
        }
        for step in *steps {
            if !stdout.contains(step) {
                problems.push(format!("printed no {step:?}"));
            }
        }
        if !problems.is_empty() {
            failures.push(format!(
                "example {name}: {}\n--- stdout:\n{stdout}--- stderr:\n{stderr}---",
                problems.join("; ")
            ));
        }
        for violation in proxy.take_violations() {
            violations += 1;
            failures.push(format!("example {name}: {violation}"));
        }
        tolerated.extend(proxy.take_tolerated());
    }
    // A tolerance that nothing needs any more must go (once everything ran to its end).
    let unused = if failures.is_empty() {
        prism::unused_tolerances(&tolerances, &tolerated)
    } else {
        Vec::new()
    };
    for t in unused {
        failures.push(format!(
            "tolerance never needed, remove it: {} {} {}",
            t.operation, t.location, t.code
        ));
    }

    let mut summary = format!(
        "examples through prism proxy --errors in front of the fake:\n  examples run: {}\n  \
         requests through Prism: {}\n  violations: {violations}\n  tolerated: {}\n",
        EXAMPLES.len(),
        proxy.requests_seen(),
        tolerated.len()
    );
    for v in &tolerated {
        summary.push_str(&format!("    {v}\n"));
    }
    let times: Vec<String> = timings
        .iter()
        .map(|(name, time)| format!("{name} {:.1} s", time.as_secs_f64()))
        .collect();
    summary.push_str(&format!(
        "  time: {:.1} s ({:.1} s to start Prism; {})\n",
        started.elapsed().as_secs_f64(),
        ready.as_secs_f64(),
        times.join(", ")
    ));
    for f in &failures {
        summary.push_str(&format!("FAILED {f}\n"));
    }
    report(&summary);
    assert!(
        failures.is_empty(),
        "{} failures through prism proxy (listed above); Prism's log ends with:\n{}",
        failures.len(),
        proxy.log_tail(20)
    );
}
