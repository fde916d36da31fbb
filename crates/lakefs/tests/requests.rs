//! What the handles send, counted on a mock lakeFS: on the API path (a storage without
//! presign) one streaming `getObject` for a sequential read and one more per seek (the
//! presigned path is counted against the fake in `transfer_paths.rs`), `deleteObjects` in
//! batches of at most 1,000 paths, and what revert, cherry-pick, imports and metadata send.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use lakefs_testkit::{Fixture, MockLakeFs, operation};
use std::io::SeekFrom;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

/// Serves `content` as lakeFS serves an object: whole, or from `bytes=N-` with a 206.
struct ObjectContent(Vec<u8>);

impl Respond for ObjectContent {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let size = self.0.len();
        let range = request
            .headers
            .get("range")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("bytes="))
            .and_then(|value| value.strip_suffix('-'))
            .and_then(|start| start.parse::<usize>().ok());
        match range {
            None => ResponseTemplate::new(200).set_body_bytes(self.0.clone()),
            Some(start) if start >= size => ResponseTemplate::new(416)
                .insert_header("content-range", format!("bytes */{size}").as_str()),
            Some(start) => ResponseTemplate::new(206)
                .insert_header(
                    "content-range",
                    format!("bytes {start}-{}/{size}", size - 1).as_str(),
                )
                .set_body_bytes(self.0[start..].to_vec()),
        }
    }
}

/// A storage without presign support: object content goes through the API (`getObject`).
async fn without_presign(mock: &MockLakeFs) {
    mock.mount(Mock::given(operation("getConfig")).respond_with(
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "version_config": {"version": "1.84.0"},
            "storage_config": {
                "blockstore_type": "local", "blockstore_namespace_example": "local://x",
                "blockstore_namespace_ValidityRegex": "^local://", "pre_sign_support": false,
                "pre_sign_support_ui": false, "import_support": false,
                "import_validity_regex": "^local://"
            }
        })),
    ))
    .await;
}

fn content(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i * 7 % 253) as u8).collect()
}

#[tokio::test]
async fn a_sequential_read_is_one_request_and_a_seek_one_more() {
    let mock = MockLakeFs::start().await;
    let data = content(3 * 1024 * 1024 + 17);
    without_presign(&mock).await;
    mock.mount(Mock::given(operation("getObject")).respond_with(ObjectContent(data.clone())))
        .await;
    let client = lakefs::Client::new(mock.client());
    let mut reader = client
        .repository("repo")
        .branch("main")
        .object("big.bin")
        .reader();

    // Many small reads, one request.
    let mut read = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let n = reader.read(&mut buffer).await.unwrap();
        if n == 0 {
            break;
        }
        read.extend_from_slice(&buffer[..n]);
    }
    assert_eq!(read, data);
    assert_eq!(reader.size(), Some(data.len() as u64));
    let gets = mock.received_requests_for("getObject").await;
    assert_eq!(gets.len(), 1);
    assert!(gets[0].headers.get("range").is_none());

    // A seek re-opens the stream at the new offset, with a Range.
    let offset = 1_000_000u64;
    assert_eq!(reader.seek(SeekFrom::Start(offset)).await.unwrap(), offset);
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).await.unwrap();
    assert_eq!(rest, data[offset as usize..]);
    let gets = mock.received_requests_for("getObject").await;
    assert_eq!(gets.len(), 2);
    assert_eq!(
        gets[1].headers.get("range").unwrap().to_str().unwrap(),
        format!("bytes={offset}-")
    );

    // Past the end: nothing to read, and a 416 is the end, not an error.
    reader.seek(SeekFrom::End(0)).await.unwrap();
    assert_eq!(reader.read(&mut buffer).await.unwrap(), 0);
    mock.assert_no_unexpected_requests();
}

#[tokio::test]
async fn a_server_that_ignores_the_range_still_gives_the_right_bytes() {
    let mock = MockLakeFs::start().await;
    let data = content(100_000);
    without_presign(&mock).await;
    mock.mount(
        Mock::given(operation("getObject"))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(data.clone())),
    )
    .await;
    let client = lakefs::Client::new(mock.client());
    let mut reader = client.repository("r").branch("main").object("o").reader();
    reader.seek(SeekFrom::Start(12_345)).await.unwrap();
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).await.unwrap();
    assert_eq!(rest, data[12_345..]);
}

#[tokio::test]
async fn delete_objects_sends_at_most_a_thousand_paths_per_call() {
    let mock = MockLakeFs::start().await;
    mock.mount(
        Mock::given(operation("deleteObjects")).respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"errors": []})),
        ),
    )
    .await;
    let client = lakefs::Client::new(mock.client());
    let paths: Vec<String> = (0..2500).map(|i| format!("p/{i}")).collect();
    let failures = client
        .repository("r")
        .branch("main")
        .delete_objects(paths.clone())
        .await
        .unwrap();
    assert!(failures.is_empty());
    let calls = mock.received_requests_for("deleteObjects").await;
    let sent: Vec<Vec<String>> = calls
        .iter()
        .map(|call| {
            let body: serde_json::Value = serde_json::from_slice(&call.body).unwrap();
            serde_json::from_value(body["paths"].clone()).unwrap()
        })
        .collect();
    assert_eq!(
        sent.iter().map(Vec::len).collect::<Vec<_>>(),
        [1000, 1000, 500]
    );
    assert_eq!(sent.concat(), paths);
}

#[tokio::test]
async fn failures_of_a_batch_are_reported() {
    let mock = MockLakeFs::start().await;
    mock.mount(Fixture::error_for("deleteObjects", 403)).await;
    let client = lakefs::Client::new(mock.client());
    let err = client
        .repository("r")
        .branch("main")
        .delete_objects(["a"])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), lakefs::ErrorKind::Forbidden);
}

/// The request body of the only call of `operation`.
async fn only_body(mock: &MockLakeFs, operation_id: &str) -> serde_json::Value {
    let calls = mock.received_requests_for(operation_id).await;
    assert_eq!(calls.len(), 1, "{operation_id}");
    serde_json::from_slice(&calls[0].body).unwrap()
}

// What revert, cherry-pick, imports and repository metadata send, and how the answers are
// read, including answers the fake never gives (an import still running, then done);
// tests/fake_features.rs runs them against the fake.

#[tokio::test]
async fn revert_and_cherry_pick_send_the_commit() {
    let mock = MockLakeFs::start().await;
    mock.mount(Fixture::success_for("revertBranch")).await;
    mock.mount(Fixture::success_for("cherryPick")).await;
    let branch = lakefs::Client::new(mock.client())
        .repository("r")
        .branch("main");
    branch.revert("abc123").await.unwrap();
    let body = only_body(&mock, "revertBranch").await;
    assert_eq!(body["ref"], "abc123");
    assert_eq!(body["parent_number"], 0);
    branch.cherry_pick("def456").await.unwrap();
    assert_eq!(only_body(&mock, "cherryPick").await["ref"], "def456");
    mock.assert_no_unexpected_requests();
}

#[tokio::test]
async fn an_import_starts_reports_and_waits() {
    let mock = MockLakeFs::start().await;
    mock.mount(Mock::given(operation("importStart")).respond_with(
        ResponseTemplate::new(202).set_body_json(serde_json::json!({"id": "imp-1"})),
    ))
    .await;
    let running = serde_json::json!({"completed": false, "update_time": "2026-01-01T00:00:00Z", "ingested_objects": 5});
    let done = serde_json::json!({"completed": true, "update_time": "2026-01-01T00:00:01Z", "ingested_objects": 9});
    mock.mount(
        Mock::given(operation("importStatus"))
            .respond_with(ResponseTemplate::new(200).set_body_json(running))
            .up_to_n_times(2),
    )
    .await;
    mock.mount(
        Mock::given(operation("importStatus"))
            .respond_with(ResponseTemplate::new(200).set_body_json(done)),
    )
    .await;
    let branch = lakefs::Client::new(mock.client())
        .repository("r")
        .branch("main");

    // No source: refused before anything is sent.
    let err = branch.import_data("nothing").await.unwrap_err();
    assert_eq!(err.kind(), lakefs::ErrorKind::InvalidArgument);

    let job = branch
        .import_data("import the raw data")
        .prefix("s3://bucket/raw/", "raw/")
        .object("s3://bucket/one.csv", "one.csv")
        .metadata([("source", "s3")])
        .await
        .unwrap();
    assert_eq!(job.id(), "imp-1");
    let body = only_body(&mock, "importStart").await;
    assert_eq!(body["commit"]["message"], "import the raw data");
    assert_eq!(body["commit"]["metadata"]["source"], "s3");
    assert_eq!(body["paths"][0]["type"], "common_prefix");
    assert_eq!(body["paths"][0]["path"], "s3://bucket/raw/");
    assert_eq!(body["paths"][1]["type"], "object");
    assert_eq!(body["paths"][1]["destination"], "one.csv");

    let mut seen = Vec::new();
    let outcome = job
        .wait(std::time::Duration::from_millis(1), |status| {
            seen.push(status.ingested_objects)
        })
        .await
        .unwrap()
        .unwrap();
    assert!(outcome.completed);
    assert_eq!(seen, [Some(5), Some(5), Some(9)]);
}

#[tokio::test]
async fn a_failed_import_is_the_inner_error_of_wait() {
    let mock = MockLakeFs::start().await;
    let failed = serde_json::json!({"completed": false, "update_time": "2026-01-01T00:00:00Z", "error": {"message": "access denied to s3://bucket"}});
    mock.mount(
        Mock::given(operation("importStatus"))
            .respond_with(ResponseTemplate::new(200).set_body_json(failed)),
    )
    .await;
    mock.mount(Mock::given(operation("importStart")).respond_with(
        ResponseTemplate::new(202).set_body_json(serde_json::json!({"id": "imp-2"})),
    ))
    .await;
    let branch = lakefs::Client::new(mock.client())
        .repository("r")
        .branch("main");
    let job = branch
        .import_data("m")
        .prefix("s3://bucket/", "")
        .await
        .unwrap();
    let error = job
        .wait(std::time::Duration::from_millis(1), |_| {})
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error.message, "access denied to s3://bucket");
}

#[tokio::test]
async fn repository_metadata_is_read() {
    let mock = MockLakeFs::start().await;
    mock.mount(
        Mock::given(operation("getRepositoryMetadata")).respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"owner": "data-team"})),
        ),
    )
    .await;
    let metadata = lakefs::Client::new(mock.client())
        .repository("r")
        .metadata()
        .await
        .unwrap();
    assert_eq!(metadata.get("owner").map(String::as_str), Some("data-team"));
}

#[tokio::test]
async fn the_server_configuration_is_fetched_once_per_client() {
    let mock = MockLakeFs::start().await;
    mock.mount(Fixture::success_for("getConfig")).await;
    let client = lakefs::Client::new(mock.client());
    let clone = client.clone();
    client.server_config().await.unwrap();
    clone.server_config().await.unwrap();
    assert_eq!(mock.received_requests_for("getConfig").await.len(), 1);
}
