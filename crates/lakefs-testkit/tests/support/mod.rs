//! Shared checks of the testkit's integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod generated_calls;

use lakefs_api::{Error, ErrorBody, ErrorKind};
use lakefs_testkit::Fixture;
use lakefs_testkit::cases::{ErrorCase, ErrorSchema};
use lakefs_testkit::fixtures::STAGING_PHYSICAL_ADDRESS;

/// The reason phrase of a status, as the SDK puts it in messages it composes.
pub fn reason(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("unknown status")
}

/// Checks that the SDK turned a documented error case into the right `Error::Api`:
/// status, kind, operation, method, request id, and the message or typed body. Returns every
/// mismatch, so one run lists all of them.
pub fn check_documented_error(
    case: &ErrorCase,
    fixture: &Fixture,
    result: Result<(), Error>,
) -> Result<(), String> {
    let err = match result {
        Ok(()) => return Err("the call succeeded".into()),
        Err(e) => e,
    };
    let Error::Api(api) = &err else {
        return Err(format!("not Error::Api: {err:?}"));
    };
    let mut problems = Vec::new();
    let mut expect = |ok: bool, what: String| {
        if !ok {
            problems.push(what);
        }
    };
    expect(
        err.status() == Some(case.status) && api.status == case.status,
        format!("status {:?}, expected {}", err.status(), case.status),
    );
    expect(
        err.kind() == ErrorKind::from_status(case.status),
        format!(
            "kind {:?}, expected {:?}",
            err.kind(),
            ErrorKind::from_status(case.status)
        ),
    );
    expect(
        api.operation == case.operation_id,
        format!("operation {}", api.operation),
    );
    expect(api.method == case.method, format!("method {}", api.method));
    expect(
        err.request_id() == fixture.expected_request_id(),
        format!(
            "request id {:?}, expected {:?}",
            err.request_id(),
            fixture.expected_request_id()
        ),
    );
    let shown = err.to_string();
    expect(
        shown.contains(&case.status.to_string()) && shown.contains(case.operation_id),
        format!("Display lacks the status or operation: {shown}"),
    );
    match case.schema {
        ErrorSchema::Error => {
            let message = fixture.expected_message().unwrap_or_default();
            expect(
                api.message == message,
                format!("message {:?}, expected {message:?}", api.message),
            );
            expect(
                matches!(&api.body, ErrorBody::Error(e) if e.message == message),
                format!("body {:?}", api.body),
            );
        }
        ErrorSchema::ErrorNoAcl => {
            let message = fixture.expected_message().unwrap_or_default();
            expect(
                err.no_acl()
                    .is_some_and(|b| b.message == message && b.no_acl == Some(true)),
                format!("no_acl() {:?}", err.no_acl()),
            );
            expect(
                api.message == message,
                format!("message {:?}, expected {message:?}", api.message),
            );
        }
        ErrorSchema::MergeResult => {
            expect(
                err.merge_result().is_some_and(|m| m.reference.is_empty()),
                format!("merge_result() {:?}", err.merge_result()),
            );
            expect(
                api.message.contains(reason(case.status)),
                format!("message {:?}", api.message),
            );
        }
        ErrorSchema::StagingLocation => {
            expect(
                err.staging_location().is_some_and(|s| {
                    s.physical_address.as_deref() == Some(STAGING_PHYSICAL_ADDRESS)
                }),
                format!("staging_location() {:?}", err.staging_location()),
            );
            expect(
                api.message.contains(reason(case.status)),
                format!("message {:?}", api.message),
            );
        }
        ErrorSchema::None => {
            expect(
                matches!(api.body, ErrorBody::Empty),
                format!("body {:?}, expected none", api.body),
            );
            expect(
                api.message.contains(reason(case.status)),
                format!("message {:?} does not name the status", api.message),
            );
        }
        other => expect(false, format!("schema {other:?} unknown to the test")),
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Panics with every failed case, one a line.
pub fn assert_all_passed(what: &str, checked: usize, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} of {checked} {what} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Checks the SDK's error for an undocumented failure that carries a status: `Error::Api` with
/// the fixture's status, the kind of the central map, the request id when sent, and a readable
/// message: the fixture's message, or one naming the status (with the start of an HTML page).
pub fn check_status_failure(
    operation_id: &str,
    method: &str,
    fixture: &Fixture,
    result: Result<(), Error>,
) -> Result<(), String> {
    let status = fixture.expected_status().unwrap();
    let err = match result {
        Ok(()) => return Err("the call succeeded".into()),
        Err(e) => e,
    };
    let Error::Api(api) = &err else {
        return Err(format!("not Error::Api: {err:?}"));
    };
    let mut problems = Vec::new();
    if err.status() != Some(status) {
        problems.push(format!("status {:?}", err.status()));
    }
    if err.kind() != ErrorKind::from_status(status) {
        problems.push(format!("kind {:?}", err.kind()));
    }
    if err.request_id() != fixture.expected_request_id() {
        problems.push(format!("request id {:?}", err.request_id()));
    }
    if api.operation != operation_id {
        problems.push(format!("operation {}", api.operation));
    }
    let head = method == "HEAD";
    match fixture.expected_message() {
        // A HEAD answer has no body: the message can only name the status.
        Some(message) if !head => {
            if api.message != message {
                problems.push(format!("message {:?}, expected {message:?}", api.message));
            }
        }
        _ => {
            if !api.message.contains(reason(status)) {
                problems.push(format!(
                    "message {:?} does not name the status",
                    api.message
                ));
            }
            let body = String::from_utf8_lossy(&fixture.expected_body()).into_owned();
            if body.contains("<html>") && !head {
                let title = format!("{status} {}", reason(status));
                let snippet_ok = matches!(&api.body, ErrorBody::NotJson { content_type, snippet }
                    if content_type.as_deref() == Some("text/html") && snippet.contains(&title));
                if !snippet_ok || !api.message.contains(&title) {
                    problems.push(format!(
                        "HTML page lost: {:?} / {:?}",
                        api.message, api.body
                    ));
                }
            }
        }
    }
    if api.message.trim().is_empty() || err.to_string().trim().is_empty() {
        problems.push("empty message".into());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}
