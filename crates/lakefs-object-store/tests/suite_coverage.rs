//! The README's conformance table against the integration suite's source: every function of
//! the suite is in the table, and every function marked passing is called by the conformance
//! tests of that version (and no other is).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// The source directory of each `object_store` version this crate depends on, from
/// `cargo metadata`.
fn object_store_sources() -> BTreeMap<String, PathBuf> {
    let output = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "object_store")
        .map(|p| {
            let version = p["version"].as_str().unwrap();
            let (major_minor, _) = version.rsplit_once('.').unwrap();
            let manifest = PathBuf::from(p["manifest_path"].as_str().unwrap());
            (
                major_minor.to_string(),
                manifest.parent().unwrap().join("src"),
            )
        })
        .collect()
}

/// The suite's functions: every `pub async fn` of `integration.rs`.
fn suite_functions(source: &str) -> BTreeSet<String> {
    source
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("pub async fn "))
        .map(|rest| rest.split(['(', '<']).next().unwrap().trim().to_string())
        .collect()
}

/// The README table: function -> status per version column ("0.13", "0.14").
fn readme_table() -> BTreeMap<String, BTreeMap<String, String>> {
    let readme = include_str!("../README.md");
    let mut lines = readme
        .lines()
        .skip_while(|l| !l.starts_with("| Function |"));
    let header: Vec<String> = lines
        .next()
        .expect("the README has the conformance table")
        .split('|')
        .map(|c| c.trim().to_string())
        .collect();
    lines
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let name = cells[1].trim_matches('`').to_string();
            let statuses = header
                .iter()
                .zip(&cells)
                .filter(|(column, _)| column.starts_with("0."))
                .map(|(column, cell)| (column.clone(), cell.to_string()))
                .collect();
            (name, statuses)
        })
        .collect()
}

/// The suite functions the conformance tests of `version` call.
fn called(version: &str) -> BTreeSet<String> {
    let shared = include_str!("conformance/suite.rs");
    let main = include_str!("conformance/main.rs");
    let module = format!("mod v{} {{", version.replace('.', "_"));
    let own = main
        .split_once(&module)
        .map(|(_, rest)| rest.split("\nmod ").next().unwrap_or(rest))
        .expect("the conformance tests have a module per version");
    let extra = if own.contains("suite_0_14.rs") {
        include_str!("conformance/suite_0_14.rs")
    } else {
        ""
    };
    [shared, extra]
        .iter()
        .flat_map(|text| text.split("integration::").skip(1))
        .map(|rest| rest.split('(').next().unwrap().to_string())
        .collect()
}

#[test]
fn the_readme_table_matches_the_suite_and_the_tests() {
    let sources = object_store_sources();
    let table = readme_table();
    let versions: Vec<&String> = sources.keys().collect();
    assert!(!versions.is_empty(), "no object_store in cargo metadata");
    for (version, src) in &sources {
        let source = std::fs::read_to_string(src.join("integration.rs")).unwrap();
        let functions = suite_functions(&source);
        assert!(
            !functions.is_empty(),
            "no suite functions in {}",
            src.display()
        );
        let calls = called(version);
        for function in &functions {
            let status = table
                .get(function)
                .and_then(|statuses| statuses.get(version))
                .unwrap_or_else(|| {
                    panic!("{function} of object_store {version} is not in the README table")
                });
            if status == "passing" {
                assert!(
                    calls.contains(function),
                    "{function} ({version}) is marked passing but never called"
                );
            } else {
                assert!(
                    status.starts_with("n/a"),
                    "{function} ({version}): {status:?} is neither passing nor n/a"
                );
                assert!(
                    !calls.contains(function),
                    "{function} ({version}) is called but marked {status:?}"
                );
            }
        }
        // Nothing in the table for this version that the suite does not have.
        for (function, statuses) in &table {
            let status = &statuses[version.as_str()];
            if !functions.contains(function) {
                assert!(
                    status.starts_with("not in"),
                    "{function} is marked {status:?} for {version}, but the suite has no such function"
                );
            }
        }
        for call in &calls {
            assert!(
                functions.contains(call),
                "the tests call {call}, which the {version} suite does not have"
            );
        }
    }
}
