//! What the handles send, counted on a mock lakeFS: one streaming request for a sequential
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions
//! read, one more per seek, and `deleteObjects` in batches of at most 1,000 paths.

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

fn content(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i * 7 % 253) as u8).collect()
}

#[tokio::test]
async fn a_sequential_read_is_one_request_and_a_seek_one_more() {
    let mock = MockLakeFs::start().await;
    let data = content(3 * 1024 * 1024 + 17);
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
