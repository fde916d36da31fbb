//! Every operation's success fixture, decoded by the SDK: the decoded answer must be what the
//! fixture sent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use lakefs_testkit::cases::{SuccessBody, SuccessCase, success_cases};
use lakefs_testkit::fixtures::LAST_MODIFIED;
use lakefs_testkit::{BlockingMockLakeFs, Fixture, MockLakeFs};
use support::generated_calls::{Answer, Args, answer, answer_blocking};

/// Compares what the SDK decoded with what the fixture sent.
fn check(case: &SuccessCase, fixture: &Fixture, decoded: Answer) -> Result<(), String> {
    match (case.body, decoded) {
        (SuccessBody::Json(text), Answer::Json(value)) => {
            let sent: serde_json::Value = serde_json::from_str(text).unwrap();
            if value == sent {
                Ok(())
            } else {
                Err(format!("decoded {value}, sent {sent}"))
            }
        }
        (SuccessBody::Text(text), Answer::Text(decoded)) if decoded == text => Ok(()),
        (SuccessBody::Empty, Answer::Empty) => Ok(()),
        (SuccessBody::Bytes(bytes), Answer::Bytes { data, metadata }) => {
            if data != bytes {
                return Err(format!("decoded {data:?}, sent {bytes:?}"));
            }
            match metadata {
                // getObject: the object's metadata comes from the headers.
                Some(m) => {
                    let ok = m
                        .etag
                        .as_deref()
                        .is_some_and(|e| !e.is_empty() && !e.contains('"'))
                        && m.content_length == Some(bytes.len() as u64)
                        && m.last_modified.as_deref() == Some(LAST_MODIFIED)
                        && m.request_id.as_deref() == fixture.expected_request_id();
                    if ok {
                        Ok(())
                    } else {
                        Err(format!("metadata {m:?}"))
                    }
                }
                None => Ok(()),
            }
        }
        (SuccessBody::Headers, Answer::Headers { etag, metadata }) => {
            if !etag
                .as_deref()
                .is_some_and(|e| e.len() == 32 && !e.contains('"'))
            {
                return Err(format!("etag {etag:?}"));
            }
            match metadata {
                // headObject: the size a GET would get.
                Some(m)
                    if m.content_length != Some(22)
                        || m.last_modified.as_deref() != Some(LAST_MODIFIED) =>
                {
                    Err(format!("metadata {m:?}"))
                }
                _ => Ok(()),
            }
        }
        (body, decoded) => Err(format!("sent {body:?}, decoded {decoded:?}")),
    }
}

#[tokio::test]
async fn every_success_fixture_decodes() {
    let lakefs = MockLakeFs::start().await;
    let client = lakefs.client();
    let mut failures = Vec::new();
    for case in success_cases() {
        let fixture = Fixture::success(case).expect(1);
        let guard = lakefs.mount_as_scoped(fixture.clone()).await;
        let result = answer(&client, case.operation_id, Args::Required).await;
        drop(guard);
        let outcome = match result {
            Ok(decoded) => check(case, &fixture, decoded),
            Err(e) => Err(format!("failed: {e}")),
        };
        if let Err(problem) = outcome {
            failures.push(format!("{}: {problem}", case.operation_id));
        }
    }
    support::assert_all_passed("success fixtures (async)", success_cases().len(), &failures);
    assert_eq!(success_cases().len(), lakefs_api::OPERATIONS.len());
    lakefs.verify().await;
}

#[test]
fn every_success_fixture_decodes_through_the_blocking_client() {
    let lakefs = BlockingMockLakeFs::start().unwrap();
    let client = lakefs.blocking_client();
    let mut failures = Vec::new();
    for case in success_cases() {
        let fixture = Fixture::success(case).expect(1);
        let guard = lakefs.mount_as_scoped(fixture.clone());
        let result = answer_blocking(&client, case.operation_id, Args::Required);
        drop(guard);
        let outcome = match result {
            Ok(decoded) => check(case, &fixture, decoded),
            Err(e) => Err(format!("failed: {e}")),
        };
        if let Err(problem) = outcome {
            failures.push(format!("{}: {problem}", case.operation_id));
        }
    }
    support::assert_all_passed(
        "success fixtures (blocking)",
        success_cases().len(),
        &failures,
    );
    lakefs.verify();
}
