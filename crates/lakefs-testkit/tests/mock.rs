//! The mock itself: matching, the catch-all, call assertions, scoping and the checks the
//! table-driven tests rely on.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use lakefs_api::models::CommitCreation;
use lakefs_api::{BranchesApi, CommitsApi, Error, ErrorKind, RepositoriesApi};
use lakefs_testkit::cases::error_case;
use lakefs_testkit::mock::{UNEXPECTED_REQUEST_ID, UNEXPECTED_STATUS};
use lakefs_testkit::{Fixture, MockLakeFs, expect_calls, operation};
use support::check_documented_error;
use support::generated_calls::call;

#[tokio::test]
async fn an_unexpected_request_gets_a_loud_answer_naming_it() {
    let lakefs = MockLakeFs::start().await;
    lakefs.mount(Fixture::error_for("getBranch", 404)).await;
    // Same path, another method: deleteBranch has no fixture.
    let err = lakefs
        .client()
        .delete_branch("repo", "feature/x", Default::default())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(UNEXPECTED_STATUS));
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.request_id(), Some(UNEXPECTED_REQUEST_ID));
    let message = &err.api_error().unwrap().message;
    assert!(
        message
            .contains("unexpected request DELETE /api/v1/repositories/repo/branches/feature%2Fx")
            && message.contains("deleteBranch"),
        "{message}"
    );
    assert_eq!(
        lakefs.take_unexpected_requests(),
        vec!["DELETE /api/v1/repositories/repo/branches/feature%2Fx (operation deleteBranch)"]
    );
    lakefs.verify().await;
}

#[tokio::test]
async fn a_path_outside_the_api_is_named_too() {
    let lakefs = MockLakeFs::start().await;
    let response = reqwest::get(format!("{}/healthz?x=1", lakefs.uri()))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), UNEXPECTED_STATUS);
    assert_eq!(
        lakefs.unexpected_requests(),
        vec!["GET /healthz?x=1 (no lakeFS operation)"]
    );
    lakefs.take_unexpected_requests();
    lakefs.assert_no_unexpected_requests();
}

#[tokio::test]
#[should_panic(expected = "matched no fixture")]
async fn verify_fails_on_an_unexpected_request() {
    let lakefs = MockLakeFs::start().await;
    let _ = lakefs.client().list_repositories(Default::default()).await;
    lakefs.verify().await;
}

#[tokio::test]
#[should_panic(expected = "received 1 request(s) no fixture matched")]
async fn dropping_the_mock_fails_on_an_unexpected_request() {
    let lakefs = MockLakeFs::start().await;
    let _ = lakefs.client().list_repositories(Default::default()).await;
    drop(lakefs);
}

/// User code that must commit exactly once.
async fn commit_once(api: &dyn CommitsApi) -> lakefs_api::Result<String> {
    let commit = api
        .commit(
            "repo",
            "main",
            &CommitCreation::new("nightly import"),
            Default::default(),
        )
        .await?;
    Ok(commit.id)
}

#[tokio::test]
async fn expect_calls_proves_a_commit_is_sent_once() {
    let lakefs = MockLakeFs::start().await;
    lakefs.mount(expect_calls("commit", 1)).await;
    let id = commit_once(&lakefs.client()).await.unwrap();
    assert!(!id.is_empty());
    let commits = lakefs.received_requests_for("commit").await;
    assert_eq!(commits.len(), 1);
    let body: serde_json::Value = commits[0].body_json().unwrap();
    assert_eq!(body["message"], "nightly import");
    lakefs
        .assert_calls(&operation("commit").path_param("branch", "main"), 1)
        .await;
    lakefs
        .assert_calls(&operation("commit").path_param("branch", "dev"), 0)
        .await;
    lakefs.verify().await;
}

#[tokio::test]
#[should_panic(expected = "commit called 1 time(s)")]
async fn expect_calls_fails_when_a_commit_is_sent_twice() {
    let lakefs = MockLakeFs::start().await;
    lakefs.mount(expect_calls("commit", 1)).await;
    commit_once(&lakefs.client()).await.unwrap();
    commit_once(&lakefs.client()).await.unwrap();
    lakefs.verify().await;
}

#[tokio::test]
#[should_panic(expected = "expected 1 call(s) of commit")]
async fn assert_calls_names_what_was_received() {
    let lakefs = MockLakeFs::start().await;
    lakefs.mount(Fixture::success_for("getBranch")).await;
    let _ = lakefs.client().get_branch("repo", "main").await;
    lakefs.assert_calls(&operation("commit"), 1).await;
}

#[tokio::test]
async fn path_parameters_are_compared_percent_encoded() {
    let lakefs = MockLakeFs::start().await;
    lakefs
        .mount(
            Fixture::error_for("getBranch", 404)
                .path_param("branch", "feature%2Fx")
                .message("branch feature/x not found"),
        )
        .await;
    lakefs
        .mount(Fixture::success_for("getBranch").path_param("branch", "main"))
        .await;
    let client = lakefs.client();
    let err = client.get_branch("repo", "feature/x").await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(
        err.api_error().unwrap().message,
        "branch feature/x not found"
    );
    client.get_branch("repo", "main").await.unwrap();
    let stray = client.get_branch("repo", "dev").await.unwrap_err();
    assert_eq!(stray.status(), Some(UNEXPECTED_STATUS));
    assert_eq!(lakefs.take_unexpected_requests().len(), 1);
    lakefs.verify().await;
}

#[tokio::test]
async fn extra_wiremock_matchers_narrow_a_fixture() {
    let lakefs = MockLakeFs::start().await;
    lakefs
        .mount(
            Fixture::success_for("listRepositories")
                .and(wiremock::matchers::query_param("prefix", "prod-"))
                .expect(1),
        )
        .await;
    let options = lakefs_api::ListRepositoriesOptions::default().prefix("prod-");
    lakefs.client().list_repositories(options).await.unwrap();
    lakefs.verify().await;
}

#[tokio::test]
async fn one_failure_then_a_success() {
    let lakefs = MockLakeFs::start().await;
    lakefs
        .mount(
            Fixture::slow_down("getRepository")
                .up_to_n_times(1)
                .priority(1),
        )
        .await;
    lakefs.mount(Fixture::success_for("getRepository")).await;
    let client = lakefs.client();
    let first = client.get_repository("repo").await.unwrap_err();
    assert_eq!(first.status(), Some(503));
    assert_eq!(first.kind(), ErrorKind::Unavailable);
    client.get_repository("repo").await.unwrap();
    assert_eq!(lakefs.received_requests_for("getRepository").await.len(), 2);
    lakefs.verify().await;
}

#[tokio::test]
async fn scoped_fixtures_answer_in_turn_next_to_the_catch_all() {
    // wiremock's own scoped mocks deactivate the wrong mock once the catch-all (lowest
    // priority, mounted first) has been sorted behind them; the testkit's must not.
    let lakefs = MockLakeFs::start().await;
    let client = lakefs.client();
    for status in [404, 401, 500, 429, 404] {
        let guard = lakefs
            .mount_as_scoped(Fixture::error_for("getBranch", status).expect(1))
            .await;
        let err = client.get_branch("repo", "main").await.unwrap_err();
        assert_eq!(err.status(), Some(status));
        assert_eq!(guard.hits(), 1);
    }
    lakefs.verify().await;
}

#[tokio::test]
#[should_panic(
    expected = "the scoped fixture `getBranch 404` expected exactly 2 matching request(s), got 1"
)]
async fn a_scoped_fixture_checks_its_expectation_when_dropped() {
    let lakefs = MockLakeFs::start().await;
    let guard = lakefs
        .mount_as_scoped(Fixture::error_for("getBranch", 404).expect(2))
        .await;
    let _ = lakefs.client().get_branch("repo", "main").await;
    drop(guard);
}

#[tokio::test]
async fn expect_range_accepts_any_count_inside() {
    let lakefs = MockLakeFs::start().await;
    let guard = lakefs
        .mount_as_scoped(Fixture::success_for("getRepository").expect_range(1..=3))
        .await;
    for _ in 0..3 {
        lakefs.client().get_repository("repo").await.unwrap();
    }
    assert_eq!(guard.hits(), 3);
}

#[tokio::test]
async fn reset_forgets_fixtures_and_requests_but_keeps_the_catch_all() {
    let lakefs = MockLakeFs::start().await;
    lakefs.mount(Fixture::success_for("getRepository")).await;
    lakefs.client().get_repository("repo").await.unwrap();
    lakefs.reset().await;
    assert!(lakefs.received_requests().await.is_empty());
    let err = lakefs.client().get_repository("repo").await.unwrap_err();
    assert_eq!(err.status(), Some(UNEXPECTED_STATUS));
    assert_eq!(lakefs.take_unexpected_requests().len(), 1);
}

#[tokio::test]
async fn the_table_check_catches_a_wrong_answer() {
    // The table-driven tests would pass vacuously if the check accepted anything.
    let lakefs = MockLakeFs::start().await;
    let case = error_case("getBranch", 404).unwrap();
    lakefs
        .mount(Fixture::error(case).message("something else"))
        .await;
    let result = call(&lakefs.client(), "getBranch").await;
    let problem = check_documented_error(case, &Fixture::error(case), result).unwrap_err();
    assert!(problem.contains("message \"something else\""), "{problem}");

    let problem = check_documented_error(case, &Fixture::error(case), Ok(())).unwrap_err();
    assert_eq!(problem, "the call succeeded");
}

#[tokio::test]
async fn special_bodies_reach_the_typed_accessors() {
    let lakefs = MockLakeFs::start().await;
    lakefs
        .mount(Fixture::error_for("mergeIntoBranch", 409))
        .await;
    let err = call(&lakefs.client(), "mergeIntoBranch").await.unwrap_err();
    assert!(err.is_conflict());
    assert_eq!(err.merge_result().unwrap().reference, "");
    // Whichever operations document `ErrorNoACL` (getGroupACL until lakeFS 1.88).
    for op in lakefs_api::OPERATIONS {
        for r in op
            .responses
            .iter()
            .filter(|r| r.schema == Some("ErrorNoACL"))
        {
            let guard = lakefs
                .mount_as_scoped(Fixture::error_for(op.id, r.status.unwrap_or(500)))
                .await;
            let err = call(&lakefs.client(), op.id).await.unwrap_err();
            assert_eq!(err.no_acl().unwrap().no_acl, Some(true), "{}", op.id);
            drop(guard);
        }
    }
    lakefs
        .mount(Fixture::error_for("linkPhysicalAddress", 409))
        .await;
    let err = call(&lakefs.client(), "linkPhysicalAddress")
        .await
        .unwrap_err();
    assert!(err.staging_location().unwrap().presigned_url.is_some());
}

#[tokio::test]
async fn fixtures_work_on_a_plain_wiremock_server() {
    let server = wiremock::MockServer::start().await;
    Fixture::error_for("getRepository", 404)
        .expect(1)
        .into_mock()
        .mount(&server)
        .await;
    let client = lakefs_api::LakeFsClient::builder()
        .endpoint(server.uri())
        .retry(lakefs_api::RetryConfig::disabled())
        .build()
        .unwrap();
    let err = client.get_repository("repo").await.unwrap_err();
    assert!(matches!(&err, Error::Api(api) if api.status == 404 && api.message == "not found"));
}

#[tokio::test]
async fn a_custom_json_answer() {
    let lakefs = MockLakeFs::start().await;
    lakefs
        .mount(Fixture::json(
            "getBranch",
            200,
            serde_json::json!({"id": "main", "commit_id": "c0ffee"}),
        ))
        .await;
    let branch = lakefs.client().get_branch("repo", "main").await.unwrap();
    assert_eq!(branch.commit_id, "c0ffee");
}

#[tokio::test]
async fn delays_apply_to_error_fixtures_too() {
    let lakefs = MockLakeFs::start().await;
    lakefs
        .mount(Fixture::error_for("getBranch", 404).delay(Duration::from_millis(150)))
        .await;
    let started = std::time::Instant::now();
    let err = lakefs
        .client()
        .get_branch("repo", "main")
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    assert!(started.elapsed() >= Duration::from_millis(150));
}
