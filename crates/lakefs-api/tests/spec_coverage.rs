//! The SDK covers exactly the operations of the spec it is checked against.
//!
//! The spec is read from `$LAKEFS_SPEC`, else `../shared/lakefs/swagger.yml` beside the
//! workspace (where CI has it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;

fn spec_path() -> PathBuf {
    match std::env::var_os("LAKEFS_SPEC") {
        Some(p) => PathBuf::from(p),
        None => {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/lakefs/swagger.yml")
        }
    }
}

fn spec_operation_ids() -> BTreeSet<String> {
    let path = spec_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "the lakeFS spec is needed at {} ({e}); set LAKEFS_SPEC",
            path.display()
        )
    });
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let paths = doc["paths"].as_mapping().expect("paths");
    let mut ids = BTreeSet::new();
    for (_, item) in paths {
        for (method, op) in item.as_mapping().expect("path item") {
            if method.as_str() == Some("parameters") {
                continue;
            }
            ids.insert(op["operationId"].as_str().expect("operationId").to_string());
        }
    }
    ids
}

#[test]
fn every_spec_operation_has_a_method_and_nothing_else() {
    let spec = spec_operation_ids();
    let sdk: BTreeSet<String> = lakefs_api::OPERATIONS
        .iter()
        .map(|op| op.id.to_string())
        .collect();
    let missing: Vec<_> = spec.difference(&sdk).collect();
    let extra: Vec<_> = sdk.difference(&spec).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    assert_eq!(sdk.len(), spec.len());
}

#[test]
fn method_names_are_the_snake_case_operation_ids() {
    for op in lakefs_api::OPERATIONS {
        let flat: String = op.id.to_ascii_lowercase();
        assert_eq!(op.method_name.replace('_', ""), flat, "{}", op.id);
    }
}
