//! The failures real deployments send although the spec does not document them, for every
//! operation: the status and its kind must survive, with a readable message, and nothing may
//! panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use lakefs_api::{Error, ErrorKind, ObjectsApi};
use lakefs_testkit::cases::{SuccessBody, success_cases};
use lakefs_testkit::routes;
use lakefs_testkit::{BlockingMockLakeFs, CutBodyServer, Fixture, MockLakeFs};
use support::generated_calls::{OPERATION_IDS, call, call_blocking};
use support::{assert_all_passed, check_status_failure};

/// The undocumented failures that carry a status.
fn status_failures(operation_id: &str) -> Vec<Fixture> {
    vec![
        Fixture::too_many_requests(operation_id),
        Fixture::too_many_requests_without_body(operation_id),
        Fixture::slow_down(operation_id),
        Fixture::branch_locked(operation_id),
        Fixture::repository_gone(operation_id),
        Fixture::not_implemented(operation_id),
        Fixture::proxy_bad_gateway(operation_id),
        Fixture::proxy_gateway_timeout(operation_id),
    ]
}

fn method_of(operation_id: &str) -> &'static str {
    routes::all()
        .iter()
        .find(|r| r.operation_id == operation_id)
        .unwrap()
        .method
}

#[test]
fn the_list_of_undocumented_failures_is_complete() {
    let names: Vec<String> = Fixture::undocumented_failures("getBranch")
        .iter()
        .map(|f| f.name().to_string())
        .collect();
    assert_eq!(names.len(), 11, "{names:?}");
    for fixture in status_failures("getBranch") {
        assert!(
            names.contains(&fixture.name().to_string()),
            "{}",
            fixture.name()
        );
    }
    let locked = Fixture::branch_locked("commit");
    assert_eq!(locked.expected_status(), Some(500));
    assert_eq!(
        locked.expected_message(),
        Some("branch is currently locked, try again later")
    );
    let empty = Fixture::too_many_requests_without_body("commit");
    assert!(empty.expected_body().is_empty());
    let template = format!("{:?}", empty.response_template().unwrap());
    assert!(template.contains("retry-after"), "{template}");
}

#[tokio::test]
async fn status_failures_keep_status_kind_and_message_on_every_operation() {
    let lakefs = MockLakeFs::start().await;
    let client = lakefs.client();
    let (mut checked, mut failures) = (0, Vec::new());
    for &operation_id in OPERATION_IDS {
        for fixture in status_failures(operation_id) {
            let guard = lakefs.mount_as_scoped(fixture.clone().expect(1)).await;
            let result = call(&client, operation_id).await;
            drop(guard);
            checked += 1;
            if let Err(problem) =
                check_status_failure(operation_id, method_of(operation_id), &fixture, result)
            {
                failures.push(format!("{}: {problem}", fixture.name()));
            }
        }
    }
    assert_eq!(
        checked,
        OPERATION_IDS.len() * status_failures("getBranch").len()
    );
    assert_all_passed("undocumented status failures (async)", checked, &failures);
    lakefs.verify().await;
}

#[tokio::test]
async fn broken_success_bodies_are_decode_errors_with_the_status() {
    let lakefs = MockLakeFs::start().await;
    let client = lakefs.client();
    let (mut checked, mut failures) = (0, Vec::new());
    let json_operations = success_cases()
        .iter()
        .filter(|c| matches!(c.body, SuccessBody::Json(_)));
    for case in json_operations {
        for fixture in [
            Fixture::truncated_json(case.operation_id),
            Fixture::html_instead_of_json(case.operation_id),
        ] {
            let guard = lakefs.mount_as_scoped(fixture.clone().expect(1)).await;
            let result = call(&client, case.operation_id).await;
            drop(guard);
            checked += 1;
            let ok = match &result {
                Err(Error::Decode {
                    operation,
                    status,
                    message,
                    request_id,
                }) => {
                    *operation == case.operation_id
                        && *status == case.status
                        && request_id.as_deref() == fixture.expected_request_id()
                        && message.contains("invalid JSON")
                }
                _ => false,
            };
            if !ok {
                failures.push(format!("{}: {result:?}", fixture.name()));
            }
        }
    }
    assert!(checked > 150, "{checked}");
    assert_all_passed("broken success bodies (async)", checked, &failures);
    lakefs.verify().await;
}

#[tokio::test]
async fn an_html_page_instead_of_json_is_shown_in_the_decode_error() {
    let lakefs = MockLakeFs::start().await;
    lakefs
        .mount(Fixture::html_instead_of_json("getRepository"))
        .await;
    let err = call(&lakefs.client(), "getRepository").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.status(), Some(200));
    assert!(err.to_string().contains("Sign in"), "{err}");
}

#[tokio::test]
async fn a_closed_connection_is_a_transport_error_on_every_operation() {
    let lakefs = MockLakeFs::start().await;
    let client = lakefs.client();
    let mut failures = Vec::new();
    for &operation_id in OPERATION_IDS {
        let guard = lakefs
            .mount_as_scoped(Fixture::connection_closed(operation_id).expect(1))
            .await;
        let result = call(&client, operation_id).await;
        drop(guard);
        match &result {
            Err(err @ Error::Transport { method, url, .. })
                if err.status().is_none()
                    && err.kind() == ErrorKind::Transport
                    && *method == method_of(operation_id)
                    && url.contains("/api/v1/") => {}
            other => failures.push(format!("{operation_id}: {other:?}")),
        }
    }
    assert_all_passed("closed connections (async)", OPERATION_IDS.len(), &failures);
    lakefs.verify().await;
}

#[tokio::test]
async fn a_download_cut_mid_body_fails_while_reading() {
    let lakefs = MockLakeFs::start().await;
    let cut = CutBodyServer::start(1000, &b"only the first bytes"[..]).unwrap();
    lakefs
        .mount(Fixture::redirect("getObject", cut.url()).expect(1))
        .await;
    let download = lakefs
        .client()
        .get_object("repo", "main", "big.parquet", Default::default())
        .await
        .expect("the headers arrive");
    assert_eq!(download.metadata.content_length, Some(1000));
    let err = download.bytes().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err:?}");
    assert_eq!(err.status(), None);
    assert!(err.to_string().contains("/cut-body"), "{err}");
    lakefs.verify().await;
}

#[tokio::test]
async fn a_slow_answer_trips_the_request_timeout() {
    let lakefs = MockLakeFs::start().await;
    lakefs
        .mount(Fixture::slow("getBranch", Duration::from_secs(2)))
        .await;
    let impatient = lakefs
        .client_builder()
        .request_timeout(Some(Duration::from_millis(200)))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = call(&impatient, "getBranch").await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(started.elapsed() < Duration::from_millis(1500));
}

#[tokio::test]
async fn a_slow_answer_within_the_timeout_succeeds() {
    let lakefs = MockLakeFs::start().await;
    lakefs
        .mount(Fixture::slow("getBranch", Duration::from_millis(300)).expect(1))
        .await;
    let started = std::time::Instant::now();
    call(&lakefs.client(), "getBranch").await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    lakefs.verify().await;
}

#[test]
fn status_failures_keep_status_kind_and_message_through_the_blocking_client() {
    let lakefs = BlockingMockLakeFs::start().unwrap();
    let client = lakefs.blocking_client();
    let (mut checked, mut failures) = (0, Vec::new());
    for &operation_id in OPERATION_IDS {
        for fixture in status_failures(operation_id) {
            let guard = lakefs.mount_as_scoped(fixture.clone().expect(1));
            let result = call_blocking(&client, operation_id);
            drop(guard);
            checked += 1;
            if let Err(problem) =
                check_status_failure(operation_id, method_of(operation_id), &fixture, result)
            {
                failures.push(format!("{}: {problem}", fixture.name()));
            }
        }
    }
    assert_all_passed(
        "undocumented status failures (blocking)",
        checked,
        &failures,
    );
    lakefs.verify();
}

#[test]
fn broken_bodies_closed_connections_and_cut_downloads_through_the_blocking_client() {
    use lakefs_blocking::ObjectsApi as _;
    let lakefs = BlockingMockLakeFs::start().unwrap();
    let client = lakefs.blocking_client();
    for fixture in [
        Fixture::truncated_json("getCommit"),
        Fixture::html_instead_of_json("getCommit"),
    ] {
        let guard = lakefs.mount_as_scoped(fixture.clone().expect(1));
        let err = call_blocking(&client, "getCommit").unwrap_err();
        drop(guard);
        assert_eq!(err.kind(), ErrorKind::Decode, "{}: {err:?}", fixture.name());
        assert_eq!(err.status(), Some(200));
        assert_eq!(err.request_id(), fixture.expected_request_id());
    }
    let guard = lakefs.mount_as_scoped(Fixture::connection_closed("commit").expect(1));
    let err = call_blocking(&client, "commit").unwrap_err();
    drop(guard);
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");

    let cut = CutBodyServer::start(1000, &b"only the first bytes"[..]).unwrap();
    lakefs.mount(Fixture::redirect("getObject", cut.url()).expect(1));
    let download = client
        .get_object("repo", "main", "big.parquet", Default::default())
        .unwrap();
    assert_eq!(download.metadata.content_length, Some(1000));
    let err = download.bytes().unwrap_err();
    let inner = err.get_ref().and_then(|e| e.downcast_ref::<Error>());
    assert!(
        matches!(inner, Some(Error::Transport { .. })),
        "the reader's error carries the SDK's transport error: {err:?}"
    );
    lakefs.verify();
}

#[test]
fn a_slow_answer_trips_the_blocking_client_timeout() {
    use lakefs_blocking::BranchesApi as _;
    let lakefs = BlockingMockLakeFs::start().unwrap();
    lakefs.mount(Fixture::slow("getBranch", Duration::from_secs(2)));
    let builder = lakefs
        .client_builder()
        .request_timeout(Some(Duration::from_millis(200)));
    let client = lakefs_blocking::LakeFsClient::from_builder(builder).unwrap();
    let err = client.get_branch("repo", "main").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
}
