//! Behaviour beyond the per-operation tests: error shapes, special bodies, downloads,
//! uploads, pagination, timeouts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use futures::{StreamExt, TryStreamExt};
use lakefs_api::*;
use support::*;
use wiremock::matchers::{body_bytes, header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

async fn get_branch_error(template: ResponseTemplate) -> Error {
    let server = mock_server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/repositories/r/branches/b"))
        .respond_with(template)
        .mount(&server)
        .await;
    client(&server).get_branch("r", "b").await.unwrap_err()
}

#[tokio::test]
async fn an_html_502_from_a_proxy_keeps_its_status() {
    let err = get_branch_error(ResponseTemplate::new(502).set_body_raw(
        "<html><body><h1>502 Bad Gateway</h1>\n<p>nginx</p></body></html>",
        "text/html",
    ))
    .await;
    assert_eq!(err.status(), Some(502));
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    let api = err.api_error().unwrap();
    assert!(api.message.contains("502 Bad Gateway"), "{}", api.message);
    assert!(
        matches!(&api.body, ErrorBody::NotJson { content_type: Some(c), .. } if c == "text/html")
    );
    assert!(err.to_string().contains("HTTP 502"), "{err}");
}

#[tokio::test]
async fn an_empty_429_is_too_many_requests() {
    let err =
        get_branch_error(ResponseTemplate::new(429).insert_header("x-request-id", "r-429")).await;
    assert_eq!(err.kind(), ErrorKind::TooManyRequests);
    assert_eq!(err.request_id(), Some("r-429"));
    assert!(matches!(err.api_error().unwrap().body, ErrorBody::Empty));
    assert!(
        err.api_error()
            .unwrap()
            .message
            .contains("Too Many Requests")
    );
}

#[tokio::test]
async fn a_json_error_gives_message_and_request_id() {
    let err = get_branch_error(
        ResponseTemplate::new(404)
            .set_body_json(serde_json::json!({"message": "branch not found"}))
            .insert_header("x-request-id", "abc-123"),
    )
    .await;
    assert!(err.is_not_found());
    assert_eq!(err.request_id(), Some("abc-123"));
    let api = err.api_error().unwrap();
    assert_eq!(api.message, "branch not found");
    assert_eq!(api.operation, "getBranch");
    assert_eq!(api.method, "GET");
    assert!(api.url.ends_with("/api/v1/repositories/r/branches/b"));
    let shown = err.to_string();
    assert!(
        shown.contains("branch not found")
            && shown.contains("abc-123")
            && !shown.contains("SECRET"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_truncated_error_body_still_gives_the_status() {
    let err = get_branch_error(
        ResponseTemplate::new(500)
            .set_body_raw("{\"message\": \"branch is currently lo", "application/json"),
    )
    .await;
    assert_eq!(err.kind(), ErrorKind::Server);
    assert!(
        err.api_error()
            .unwrap()
            .message
            .contains("branch is currently lo")
    );
}

#[tokio::test]
async fn a_truncated_success_body_is_a_decode_error() {
    let server = mock_server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/repositories/r"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw("{\"id\": \"r\", \"creation_da", "application/json")
                .insert_header("x-request-id", "t1"),
        )
        .mount(&server)
        .await;
    let err = client(&server).get_repository("r").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.status(), Some(200));
    assert_eq!(err.request_id(), Some("t1"));
    // A JSON success body is not quoted in the error: it could hold new credentials.
    let shown = err.to_string();
    assert!(
        shown.contains("invalid JSON") && shown.contains("application/json"),
        "{shown}"
    );
    assert!(!shown.contains("creation_da"), "{shown}");
}

#[tokio::test]
async fn merge_conflicts_and_staging_conflicts_are_typed() {
    let server = mock_server().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/repositories/r/refs/feature/merge/main"))
        .respond_with(
            ResponseTemplate::new(409).set_body_json(serde_json::json!({"reference": ""})),
        )
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/v1/repositories/r/branches/main/staging/backing"))
        .respond_with(ResponseTemplate::new(409).set_body_json(serde_json::json!({
            "physical_address": "s3://b/k", "presigned_url": null, "token": "t"})))
        .mount(&server)
        .await;
    let c = client(&server);
    let err = c
        .merge_into_branch("r", "feature", "main", Default::default())
        .await
        .unwrap_err();
    assert!(err.is_conflict());
    assert_eq!(err.merge_result().unwrap().reference, "");
    let staging = models::StagingMetadata::new(models::StagingLocation::default(), "etag", 3);
    let err = c
        .link_physical_address("r", "main", "k", &staging, Default::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.staging_location().unwrap().physical_address.as_deref(),
        Some("s3://b/k")
    );
    // `ErrorNoACL` (getGroupACL's 404, an operation lakeFS 1.88 removed) is checked through
    // the testkit's dispatcher for whichever operations document it (tests/mock.rs).
}

#[tokio::test]
async fn ranges_not_modified_and_presigned_redirects() {
    let server = mock_server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/repositories/r/refs/main/objects"))
        .and(header("range", "bytes=2-4"))
        .respond_with(
            ResponseTemplate::new(206)
                .set_body_raw("cde", "text/plain")
                .insert_header("content-range", "bytes 2-4/10"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/repositories/r/refs/main/objects"))
        .and(header("if-none-match", "e1"))
        .respond_with(ResponseTemplate::new(304).insert_header("etag", "\"e1\""))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/repositories/r/refs/main/objects"))
        .and(query_param("presign", "true"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/store/obj?sig=1", server.uri())),
        )
        .mount(&server)
        .await;
    // The object store must never see lakeFS credentials.
    Mock::given(method("GET"))
        .and(path("/store/obj"))
        .and(sends_no_credentials)
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("from the store", "application/octet-stream"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let ranged = c
        .get_object(
            "r",
            "main",
            "p",
            GetObjectOptions::default().range("bytes=2-4"),
        )
        .await
        .unwrap();
    assert_eq!(ranged.metadata.status, 206);
    assert_eq!(ranged.metadata.object_size(), Some(10));
    assert_eq!(&ranged.bytes().await.unwrap()[..], b"cde");
    let cached = c
        .get_object(
            "r",
            "main",
            "p",
            GetObjectOptions::default().if_none_match("e1"),
        )
        .await
        .unwrap();
    assert!(cached.is_not_modified());
    assert!(cached.bytes().await.unwrap().is_empty());
    let presigned = c
        .get_object("r", "main", "p", GetObjectOptions::default().presign(true))
        .await
        .unwrap();
    assert_eq!(&presigned.bytes().await.unwrap()[..], b"from the store");
}

#[tokio::test]
async fn uploads_stream_with_metadata_and_conditions() {
    let server = mock_server().await;
    let content: Vec<u8> = (0..500_000u32).map(|i| (i % 241) as u8).collect();
    Mock::given(method("POST"))
        .and(path("/api/v1/repositories/r/branches/b/objects"))
        .and(query_param("path", "dir/a+b c.bin"))
        .and(header("content-type", "application/x-parquet"))
        .and(header("x-lakefs-meta-owner", "data-team"))
        .and(header("if-none-match", "*"))
        .and(header("content-length", content.len().to_string().as_str()))
        .and(body_bytes(content.clone()))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({
            "path": "dir/a+b c.bin", "path_type": "object", "physical_address": "mem://x", "checksum": "c", "mtime": 1})))
        .expect(2)
        .mount(&server)
        .await;
    let c = client(&server);
    let options = UploadObjectOptions::default()
        .content_type("application/x-parquet")
        .user_metadata("owner", "data-team")
        .if_none_match("*");
    let chunks: Vec<std::io::Result<bytes::Bytes>> = content
        .chunks(64 * 1024)
        .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
        .collect();
    let body = UploadBody::from_stream(futures::stream::iter(chunks), Some(content.len() as u64));
    c.upload_object("r", "b", "dir/a+b c.bin", body, options.clone())
        .await
        .unwrap();

    let file = std::env::temp_dir().join(format!("lakefs-api-upload-{}", std::process::id()));
    std::fs::write(&file, &content).unwrap();
    let body = UploadBody::from_file(&file).await.unwrap();
    std::fs::remove_file(&file).unwrap();
    c.upload_object("r", "b", "dir/a+b c.bin", body, options)
        .await
        .unwrap();
}

#[tokio::test]
async fn empty_path_parameters_are_refused_before_sending() {
    let server = mock_server().await;
    let err = client(&server).get_branch("repo", "").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn timeouts_and_refused_connections_say_where_they_failed() {
    let server = mock_server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(204).set_delay(std::time::Duration::from_secs(3)))
        .mount(&server)
        .await;
    let slow = LakeFsClient::builder()
        .endpoint(server.uri())
        .request_timeout(Some(std::time::Duration::from_millis(200)))
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    let err = slow.health_check().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let refused = LakeFsClient::builder()
        .endpoint(format!("127.0.0.1:{port}"))
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    let err = refused.health_check().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
}

fn object_page(start: usize, count: usize, total: usize) -> serde_json::Value {
    let end = (start + count).min(total);
    let results: Vec<_> = (start..end)
        .map(|i| {
            serde_json::json!({"path": format!("o/{i:06}"), "path_type": "object",
            "physical_address": "mem://x", "checksum": "c", "mtime": 1, "size_bytes": i})
        })
        .collect();
    let has_more = end < total;
    serde_json::json!({"pagination": {"has_more": has_more,
        "next_offset": if has_more { format!("o/{:06}", end - 1) } else { String::new() },
        "results": results.len(), "max_per_page": 1000}, "results": results})
}

/// 10,000 objects through the item stream, one page in memory at a time.
#[tokio::test]
async fn ten_thousand_objects_stream_page_by_page() {
    struct Pages;
    impl wiremock::Respond for Pages {
        fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
            let after = request
                .url
                .query_pairs()
                .find(|(k, _)| k == "after")
                .map(|(_, v)| v.into_owned());
            let start = after
                .map(|a| a[2..].parse::<usize>().unwrap() + 1)
                .unwrap_or(0);
            ResponseTemplate::new(200).set_body_json(object_page(start, 1000, 10_000))
        }
    }
    let server = mock_server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/repositories/r/refs/main/objects/ls"))
        .and(query_param("amount", "1000"))
        .and(query_param("prefix", "o/"))
        .respond_with(Pages)
        .expect(10)
        .mount(&server)
        .await;
    let c = client(&server);
    let mut stream = c.list_objects_stream(
        "r",
        "main",
        ListObjectsOptions::default().amount(1000).prefix("o/"),
    );
    let mut count = 0usize;
    while let Some(object) = stream.try_next().await.unwrap() {
        assert_eq!(object.path, format!("o/{count:06}"));
        count += 1;
        if count == 1000 {
            // Only the first page has been fetched: pages are pulled as items are consumed.
            assert_eq!(server.received_requests().await.unwrap().len(), 1);
        }
    }
    assert_eq!(count, 10_000);
}

#[tokio::test]
async fn pagination_stops_on_missing_or_repeated_cursors_and_after_errors() {
    let page = |next: &str| {
        serde_json::json!({"pagination": {"has_more": true, "next_offset": next, "results": 1, "max_per_page": 1},
            "results": [{"id": "x", "creation_date": 1, "default_branch": "main", "storage_namespace": "mem://x"}]})
    };
    for (next, expected_pages) in [("", 1), ("same", 2)] {
        let server = mock_server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/repositories"))
            .respond_with(ResponseTemplate::new(200).set_body_json(page(next)))
            .mount(&server)
            .await;
        let c = client(&server);
        let results: Vec<_> = c
            .list_repositories_pages(Default::default())
            .collect()
            .await;
        assert_eq!(results.len(), expected_pages + 1, "cursor {next:?}");
        assert!(results[..expected_pages].iter().all(|r| r.is_ok()));
        assert_eq!(
            results[expected_pages].as_ref().unwrap_err().kind(),
            ErrorKind::Decode
        );
    }

    let server = mock_server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/repositories"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let c = client(&server);
    let results: Vec<_> = c
        .list_repositories_stream(Default::default())
        .collect()
        .await;
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].as_ref().unwrap_err().status(), Some(503));
}

#[tokio::test]
async fn dyn_traits_work_for_mocks_and_arcs() {
    let server = mock_server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/repositories"))
        .respond_with(ResponseTemplate::new(200).set_body_json(object_page(0, 0, 0).as_object().map(|_| {
            serde_json::json!({"pagination": {"has_more": false, "next_offset": "", "results": 0, "max_per_page": 100}, "results": []})
        }).unwrap()))
        .mount(&server)
        .await;
    let api: std::sync::Arc<dyn RepositoriesApi> = std::sync::Arc::new(client(&server));
    // Arc<dyn Trait> is itself an implementation, so the stream helpers work on it too.
    let all: Vec<_> = api
        .list_repositories_stream(Default::default())
        .try_collect()
        .await
        .unwrap();
    assert!(all.is_empty());
}

#[tokio::test]
async fn invalid_metadata_headers_are_refused_before_sending() {
    let server = mock_server().await;
    let c = client(&server);
    for options in [
        UploadObjectOptions::default().user_metadata("bad key", "v"),
        UploadObjectOptions::default().user_metadata("k", "line\nbreak"),
    ] {
        let err = c
            .upload_object("r", "b", "p", "x".into(), options)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_plain_message_on_a_special_409_is_not_lost() {
    let server = mock_server().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/repositories/r/refs/feature/merge/main"))
        .respond_with(
            ResponseTemplate::new(409).set_body_json(
                serde_json::json!({"message": "cannot merge into a protected branch"}),
            ),
        )
        .mount(&server)
        .await;
    let err = client(&server)
        .merge_into_branch("r", "feature", "main", Default::default())
        .await
        .unwrap_err();
    assert!(err.is_conflict());
    assert!(err.merge_result().is_none());
    assert_eq!(
        err.api_error().unwrap().message,
        "cannot merge into a protected branch"
    );
}

#[tokio::test]
async fn a_slow_commit_is_bounded_by_the_request_timeout_not_the_idle_one() {
    let server = mock_server().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/repositories/r/branches/b/commits"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(
                    serde_json::json!({"id": "c", "parents": [], "committer": "u",
                    "message": "m", "creation_date": 1, "meta_range_id": "", "metadata": {}}),
                )
                .set_delay(std::time::Duration::from_millis(1500)),
        )
        .mount(&server)
        .await;
    let c = LakeFsClient::builder()
        .endpoint(server.uri())
        .read_timeout(Some(std::time::Duration::from_secs(1)))
        .request_timeout(Some(std::time::Duration::from_secs(10)))
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    let commit = c
        .commit(
            "r",
            "b",
            &models::CommitCreation::new("m"),
            Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(commit.id, "c");
}

#[tokio::test]
async fn a_download_whose_answer_stalls_hits_the_idle_timeout() {
    let server = mock_server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/repositories/r/refs/main/objects"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw("late", "text/plain")
                .set_delay(std::time::Duration::from_secs(2)),
        )
        .mount(&server)
        .await;
    let c = LakeFsClient::builder()
        .endpoint(server.uri())
        .read_timeout(Some(std::time::Duration::from_millis(200)))
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    let err = c
        .get_object("r", "main", "p", Default::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
}

#[tokio::test]
async fn presigned_signatures_never_reach_errors() {
    let server = mock_server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/repositories/r/refs/main/objects"))
        .respond_with(ResponseTemplate::new(302).insert_header(
            "location",
            format!(
                "{}/store/obj?X-Amz-Credential=AKID&X-Amz-Signature=TOPSECRETSIG",
                server.uri()
            ),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/store/obj"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_raw("<Error>AccessDenied</Error>", "application/xml"),
        )
        .mount(&server)
        .await;
    let err = client(&server)
        .get_object("r", "main", "p", GetObjectOptions::default().presign(true))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403));
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(
            !shown.contains("TOPSECRETSIG") && !shown.contains("X-Amz-Credential"),
            "{shown}"
        );
    }
}

#[tokio::test]
async fn non_ascii_metadata_headers_survive_a_download() {
    let server = mock_server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/repositories/r/refs/main/objects"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw("x", "text/plain")
                .insert_header(
                    "x-lakefs-meta-owner",
                    reqwest::header::HeaderValue::from_bytes("José".as_bytes()).unwrap(),
                ),
        )
        .mount(&server)
        .await;
    let download = client(&server)
        .get_object("r", "main", "p", Default::default())
        .await
        .unwrap();
    assert_eq!(
        download
            .metadata
            .user_metadata
            .get("owner")
            .map(String::as_str),
        Some("José")
    );
}

#[tokio::test]
async fn a_cursor_cycle_is_caught() {
    struct Cycle;
    impl wiremock::Respond for Cycle {
        fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
            let after = request
                .url
                .query_pairs()
                .find(|(k, _)| k == "after")
                .map(|(_, v)| v.into_owned());
            // A -> B -> A -> ...
            let next = if after.as_deref() == Some("A") {
                "B"
            } else {
                "A"
            };
            ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "pagination": {"has_more": true, "next_offset": next, "results": 0, "max_per_page": 100},
                "results": []}))
        }
    }
    let server = mock_server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/repositories"))
        .respond_with(Cycle)
        .mount(&server)
        .await;
    let results: Vec<_> = client(&server)
        .list_repositories_pages(Default::default())
        .collect()
        .await;
    assert_eq!(results.len(), 4, "pages (none), A, B, then the error");
    let err = results[3].as_ref().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.to_string().contains("listRepositories"), "{err}");
}

#[tokio::test]
async fn per_call_overrides_share_the_client() {
    let server = mock_server().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/healthcheck"))
        .respond_with(ResponseTemplate::new(204).set_delay(std::time::Duration::from_millis(300)))
        .mount(&server)
        .await;
    let base = client(&server);
    let hurried = base.with_request_timeout(Some(std::time::Duration::from_millis(50)));
    assert_eq!(
        hurried.health_check().await.unwrap_err().kind(),
        ErrorKind::Timeout
    );
    base.health_check().await.unwrap();
    assert_eq!(hurried.base_url(), base.base_url());
}

fn object_stats() -> serde_json::Value {
    serde_json::json!({"path": "p", "path_type": "object", "physical_address": "mem://x", "checksum": "c", "mtime": 1})
}

fn idle_limited(server: &wiremock::MockServer, idle_ms: u64) -> LakeFsClient {
    LakeFsClient::builder()
        .endpoint(server.uri())
        .read_timeout(Some(std::time::Duration::from_millis(idle_ms)))
        .retry(RetryConfig::disabled())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_slow_but_moving_upload_is_not_cut() {
    let server = mock_server().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/repositories/r/branches/b/objects"))
        .respond_with(ResponseTemplate::new(201).set_body_json(object_stats()))
        .mount(&server)
        .await;
    // Ten chunks, 100 ms apart: one second in all, never 300 ms without progress.
    let chunks = futures::stream::unfold(0u8, |i| async move {
        if i == 10 {
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        Some((Ok(bytes::Bytes::from(vec![i; 1000])), i + 1))
    });
    let body = UploadBody::from_stream(chunks, Some(10_000));
    idle_limited(&server, 300)
        .upload_object("r", "b", "p", body, Default::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn an_upload_without_an_answer_hits_the_idle_timeout() {
    let server = mock_server().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/repositories/r/branches/b/objects"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(object_stats())
                .set_delay(std::time::Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let started = std::time::Instant::now();
    let err = idle_limited(&server, 300)
        .upload_object(
            "r",
            "b",
            "p",
            vec![7u8; 3 * 1024 * 1024].into(),
            Default::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_failing_upload_source_is_a_local_error() {
    let server = mock_server().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/repositories/r/branches/b/objects"))
        .respond_with(ResponseTemplate::new(201).set_body_json(object_stats()))
        .mount(&server)
        .await;
    let chunks = futures::stream::iter(vec![
        Ok(bytes::Bytes::from_static(b"first part")),
        Err(std::io::Error::other("the disk went away")),
    ]);
    let err = client(&server)
        .upload_object(
            "r",
            "b",
            "p",
            UploadBody::from_stream(chunks, None),
            Default::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LocalIo, "{err}");
    assert!(err.to_string().contains("the disk went away"), "{err}");
}
