//! Tests of the "user code" with lakefs-testkit's public API only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use lakefs_downstream_example::{
    EnsuredBranch, PublishError, ensure_branch, ensure_branch_blocking, publish,
};
use lakefs_testkit::cases::error_cases;
use lakefs_testkit::{BlockingMockLakeFs, Fixture, MockLakeFs, expect_calls, operation};

#[tokio::test]
async fn ensure_branch_creates_a_missing_branch() {
    let lakefs = MockLakeFs::start().await;
    lakefs
        .mount(Fixture::success_for("createBranch").expect(1))
        .await;
    let outcome = ensure_branch(&lakefs.client(), "repo", "feature/x", "main")
        .await
        .unwrap();
    assert!(matches!(outcome, EnsuredBranch::Created(id) if id.len() == 64));
    let sent: serde_json::Value = lakefs.received_requests_for("createBranch").await[0]
        .body_json()
        .unwrap();
    assert_eq!(sent["name"], "feature/x");
    assert_eq!(sent["source"], "main");
    lakefs.verify().await;
}

#[tokio::test]
async fn ensure_branch_reuses_an_existing_branch_on_409() {
    let lakefs = MockLakeFs::start().await;
    lakefs
        .mount(Fixture::error_for("createBranch", 409).expect(1))
        .await;
    lakefs
        .mount(
            Fixture::json(
                "getBranch",
                200,
                serde_json::json!({"id": "feature/x", "commit_id": "c0ffee"}),
            )
            // Path parameters are compared percent-encoded.
            .path_param("branch", "feature%2Fx")
            .expect(1),
        )
        .await;
    let outcome = ensure_branch(&lakefs.client(), "repo", "feature/x", "main")
        .await
        .unwrap();
    assert_eq!(outcome, EnsuredBranch::Reused("c0ffee".into()));
    lakefs.verify().await;
}

#[tokio::test]
async fn ensure_branch_passes_every_other_documented_failure_on() {
    let lakefs = MockLakeFs::start().await;
    let client = lakefs.client();
    let cases = error_cases()
        .iter()
        .filter(|c| c.operation_id == "createBranch" && c.status != 409);
    let mut seen = 0;
    for case in cases {
        let guard = lakefs.mount_as_scoped(Fixture::error(case).expect(1)).await;
        let err = ensure_branch(&client, "repo", "feature", "main")
            .await
            .unwrap_err();
        drop(guard);
        assert_eq!(err.status(), Some(case.status), "{err}");
        seen += 1;
    }
    assert!(seen >= 5, "{seen}");
    // getBranch was never called: the catch-all would have recorded it.
    lakefs.verify().await;
}

#[tokio::test]
async fn publish_sends_exactly_one_commit() {
    let lakefs = MockLakeFs::start().await;
    lakefs.mount(expect_calls("commit", 1)).await;
    let id = publish(&lakefs.client(), "repo", "main", "nightly")
        .await
        .unwrap();
    assert!(!id.is_empty());
    lakefs
        .assert_calls(&operation("commit").path_param("branch", "main"), 1)
        .await;
    lakefs.verify().await;
}

#[tokio::test]
async fn publish_never_repeats_a_commit_that_may_not_have_happened() {
    for fixture in [
        Fixture::slow_down("commit"),
        Fixture::branch_locked("commit"),
        Fixture::too_many_requests_without_body("commit"),
        Fixture::proxy_gateway_timeout("commit"),
    ] {
        let lakefs = MockLakeFs::start().await;
        let name = fixture.name().to_string();
        lakefs.mount(fixture.expect(1)).await;
        let err = publish(&lakefs.client(), "repo", "main", "nightly")
            .await
            .unwrap_err();
        assert!(matches!(err, PublishError::TryLater(_)), "{name}: {err:?}");
        lakefs.verify().await;
    }
}

#[tokio::test]
async fn publish_reports_a_timeout_as_try_later() {
    let lakefs = MockLakeFs::start().await;
    lakefs
        .mount(Fixture::slow("commit", Duration::from_secs(2)).expect(1))
        .await;
    let client = lakefs
        .client_builder()
        .request_timeout(Some(Duration::from_millis(200)))
        .build()
        .unwrap();
    let err = publish(&client, "repo", "main", "nightly")
        .await
        .unwrap_err();
    assert!(matches!(err, PublishError::TryLater(_)), "{err:?}");
}

#[tokio::test]
async fn publish_rejects_an_empty_commit() {
    let lakefs = MockLakeFs::start().await;
    lakefs
        .mount(Fixture::error_for("commit", 400).message("commit: no changes"))
        .await;
    let err = publish(&lakefs.client(), "repo", "main", "nightly")
        .await
        .unwrap_err();
    let PublishError::Rejected(e) = err else {
        panic!("{err:?}")
    };
    assert_eq!(e.api_error().unwrap().message, "commit: no changes");
}

#[test]
fn the_blocking_version_reuses_an_existing_branch() {
    let lakefs = BlockingMockLakeFs::start().unwrap();
    lakefs.mount(Fixture::error_for("createBranch", 409).expect(1));
    lakefs.mount(
        Fixture::json(
            "getBranch",
            200,
            serde_json::json!({"id": "dev", "commit_id": "c0ffee"}),
        )
        .expect(1),
    );
    let outcome = ensure_branch_blocking(&lakefs.blocking_client(), "repo", "dev", "main").unwrap();
    assert_eq!(outcome, EnsuredBranch::Reused("c0ffee".into()));
    lakefs.verify();
}
