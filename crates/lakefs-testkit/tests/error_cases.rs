//! Every documented error case of the spec, answered by its fixture and sent through the SDK:
//! the SDK must return `Error::Api` with the case's status, kind, message (or typed body) and
//! request id.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use lakefs_testkit::cases::{ErrorSchema, error_cases};
use lakefs_testkit::{BlockingMockLakeFs, Fixture, MockLakeFs};
use support::generated_calls::{OPERATION_IDS, call, call_blocking};
use support::{assert_all_passed, check_documented_error};

#[test]
fn the_table_is_whole() {
    let cases = error_cases();
    // As many cases as the operations document error answers (the table follows the spec).
    let documented: usize = lakefs_api::OPERATIONS
        .iter()
        .map(|op| {
            op.responses
                .iter()
                .filter(|r| r.status.is_none_or(|s| !(200..400).contains(&s)))
                .count()
        })
        .sum();
    assert_eq!(cases.len(), documented);
    for case in cases {
        assert!(
            OPERATION_IDS.contains(&case.operation_id),
            "{} has no dispatcher arm",
            case.operation_id
        );
    }
    let count = |schema| cases.iter().filter(|c| c.schema == schema).count();
    let documenting = |schema: &str| {
        lakefs_api::OPERATIONS
            .iter()
            .flat_map(|op| op.responses.iter())
            .filter(|r| r.status.is_none_or(|s| !(200..400).contains(&s)))
            .filter(|r| r.schema == Some(schema))
            .count()
    };
    assert_eq!(count(ErrorSchema::MergeResult), documenting("MergeResult"));
    assert!(count(ErrorSchema::MergeResult) > 0);
    assert_eq!(
        count(ErrorSchema::StagingLocation),
        documenting("StagingLocation")
    );
    assert_eq!(count(ErrorSchema::ErrorNoAcl), documenting("ErrorNoACL"));
}

#[tokio::test]
async fn every_documented_error_case_through_the_async_client() {
    let lakefs = MockLakeFs::start().await;
    let client = lakefs.client();
    let mut failures = Vec::new();
    for case in error_cases() {
        let fixture = Fixture::error(case).expect(1);
        let guard = lakefs.mount_as_scoped(fixture.clone()).await;
        let result = call(&client, case.operation_id).await;
        drop(guard);
        if let Err(problem) = check_documented_error(case, &fixture, result) {
            failures.push(format!("{} {}: {problem}", case.operation_id, case.status));
        }
    }
    assert_all_passed(
        "documented error cases (async)",
        error_cases().len(),
        &failures,
    );
    assert_eq!(lakefs.received_requests().await.len(), error_cases().len());
    lakefs.verify().await;
}

#[test]
fn every_documented_error_case_through_the_blocking_client() {
    let lakefs = BlockingMockLakeFs::start().unwrap();
    let client = lakefs.blocking_client();
    let mut failures = Vec::new();
    for case in error_cases() {
        let fixture = Fixture::error(case).expect(1);
        let guard = lakefs.mount_as_scoped(fixture.clone());
        let result = call_blocking(&client, case.operation_id);
        drop(guard);
        if let Err(problem) = check_documented_error(case, &fixture, result) {
            failures.push(format!("{} {}: {problem}", case.operation_id, case.status));
        }
    }
    assert_all_passed(
        "documented error cases (blocking)",
        error_cases().len(),
        &failures,
    );
    assert_eq!(lakefs.received_requests().len(), error_cases().len());
    lakefs.verify();
}
