//! Retries: only what is safe to repeat is repeated, within the attempt budget.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use lakefs_api::*;
use std::time::Duration;
use support::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn retrying_client(server: &MockServer) -> LakeFsClient {
    LakeFsClient::builder()
        .endpoint(server.uri())
        .access_key("AKID", "SECRET")
        .retry(
            RetryConfig::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .build()
        .unwrap()
}

fn repository() -> serde_json::Value {
    serde_json::json!({"id": "r", "creation_date": 1, "default_branch": "main", "storage_namespace": "mem://r"})
}

fn commit() -> serde_json::Value {
    serde_json::json!({"id": "c", "parents": [], "committer": "u", "message": "m", "creation_date": 1,
        "meta_range_id": "", "metadata": {}})
}

#[tokio::test]
async fn a_read_is_retried_after_503_and_succeeds() {
    let server = mock_server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/repositories/r"))
        .respond_with(ResponseTemplate::new(503).set_body_json(
            serde_json::json!({"message": "Throughput exceeded. Slow down and retry"}),
        ))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/repositories/r"))
        .respond_with(ResponseTemplate::new(200).set_body_json(repository()))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        retrying_client(&server)
            .get_repository("r")
            .await
            .unwrap()
            .id,
        "r"
    );
}

#[tokio::test]
async fn the_attempt_budget_is_kept() {
    let server = mock_server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/repositories/r/branches/b"))
        .respond_with(
            ResponseTemplate::new(502).set_body_raw("<html>bad gateway</html>", "text/html"),
        )
        .expect(4)
        .mount(&server)
        .await;
    let err = retrying_client(&server)
        .get_branch("r", "b")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(502));
}

#[tokio::test]
async fn a_commit_is_not_repeated_after_a_500() {
    let server = mock_server().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/repositories/r/branches/b/commits"))
        .respond_with(ResponseTemplate::new(500).set_body_json(
            serde_json::json!({"message": "branch is currently locked, try again later"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = retrying_client(&server)
        .commit(
            "r",
            "b",
            &models::CommitCreation::new("m"),
            Default::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
}

#[tokio::test]
async fn a_commit_refused_with_429_is_sent_again_after_retry_after() {
    let server = mock_server().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/repositories/r/branches/b/commits"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/repositories/r/branches/b/commits"))
        .respond_with(ResponseTemplate::new(201).set_body_json(commit()))
        .expect(1)
        .mount(&server)
        .await;
    let done = retrying_client(&server)
        .commit(
            "r",
            "b",
            &models::CommitCreation::new("m"),
            Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(done.id, "c");
}

#[tokio::test]
async fn bytes_uploads_are_repeated_but_streams_are_not() {
    let server = mock_server().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/repositories/r/branches/b/objects"))
        .respond_with(ResponseTemplate::new(503))
        .expect(4 + 1)
        .mount(&server)
        .await;
    let client = retrying_client(&server);
    let err = client
        .upload_object("r", "b", "p", "in memory".into(), Default::default())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    let chunks = futures::stream::iter(vec![Ok(bytes::Bytes::from_static(b"streamed"))]);
    let err = client
        .upload_object(
            "r",
            "b",
            "p",
            UploadBody::from_stream(chunks, Some(8)),
            Default::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
}

#[tokio::test]
async fn retries_can_be_disabled() {
    let server = mock_server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/repositories/r"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server).get_repository("r").await.unwrap_err();
    assert_eq!(err.status(), Some(503));
}

#[tokio::test]
async fn an_unreachable_server_is_tried_again_then_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = LakeFsClient::builder()
        .endpoint(format!("127.0.0.1:{port}"))
        .retry(
            RetryConfig::default()
                .with_backoff(Duration::from_millis(20), Duration::from_millis(20)),
        )
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = client
        .commit(
            "r",
            "b",
            &models::CommitCreation::new("m"),
            Default::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    // Three waits of 10..20 ms: the connection failure was retried even for a commit.
    assert!(
        started.elapsed() >= Duration::from_millis(30),
        "{:?}",
        started.elapsed()
    );
}
