//! Transfers end to end against the fake lakeFS and its simulated object store, in every
//! storage mode: the path chosen, the data intact (MD5 compared), expiry handled, and no
//! multipart upload left open.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use lakefs_api::transfer::{MIN_PART_SIZE, MultipartUpload, RangedReader, TransferPath};
use lakefs_api::*;
use lakefs_fake::{Blockstore, FakeLakeFs};
use md5::{Digest, Md5};
use std::time::Duration;

fn data(len: usize, seed: u8) -> Bytes {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect::<Vec<u8>>()
        .into()
}

fn md5(data: &[u8]) -> Vec<u8> {
    Md5::digest(data).to_vec()
}

async fn fake(
    blockstore: Blockstore,
    presign: bool,
    multipart: bool,
) -> (FakeLakeFs, LakeFsClient) {
    let fake = FakeLakeFs::builder()
        .blockstore(blockstore)
        .presign(presign)
        .presign_multipart(multipart)
        .start()
        .await
        .unwrap();
    let client = fake.client().unwrap();
    let namespace = match blockstore {
        Blockstore::Azure => "https://account.blob.core.windows.net/container/repo".to_string(),
        other => format!("{}://bucket/repo", other.name()),
    };
    client
        .create_repository(
            &models::RepositoryCreation::new("repo", namespace),
            Default::default(),
        )
        .await
        .unwrap();
    (fake, client)
}

/// Uploads `object` and reads it back both ways; returns the upload's and the downloads' paths.
async fn round_trip(
    client: &LakeFsClient,
    path: &str,
    object: &Bytes,
) -> (TransferPath, TransferPath) {
    let uploaded = client
        .upload("repo", "main", path)
        .bytes(object.clone())
        .content_type("application/x-test")
        .metadata("origin", "transfer-test")
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.stats.size_bytes, Some(object.len() as i64));
    let stats = client
        .stat_object(
            "repo",
            "main",
            path,
            StatObjectOptions::default().user_metadata(true),
        )
        .await
        .unwrap();
    assert_eq!(stats.content_type.as_deref(), Some("application/x-test"));
    assert_eq!(
        stats.metadata.unwrap().get("origin").map(String::as_str),
        Some("transfer-test")
    );
    let streamed = client
        .download("repo", "main", path)
        .part_size(1024 * 1024)
        .concurrency(4)
        .stream()
        .await
        .unwrap();
    let download_path = streamed.path;
    let bytes = streamed.body.bytes().await.unwrap();
    assert_eq!(md5(&bytes), md5(object), "{path}: streamed copy differs");
    let file = std::env::temp_dir().join(format!(
        "lakefs-xfer-{}-{}",
        std::process::id(),
        path.replace('/', "_")
    ));
    let written = client
        .download("repo", "main", path)
        .part_size(1024 * 1024)
        .to_file(&file)
        .await
        .unwrap();
    assert_eq!(written.path, download_path);
    assert_eq!(
        md5(&std::fs::read(&file).unwrap()),
        md5(object),
        "{path}: file copy differs"
    );
    let _ = std::fs::remove_file(&file);
    (uploaded.path, download_path)
}

#[tokio::test]
async fn s3_with_presigned_multipart() {
    let (fake, client) = fake(Blockstore::S3, true, true).await;
    let large = data(2 * MIN_PART_SIZE as usize + 12_345, 1);
    assert_eq!(
        round_trip(&client, "large", &large).await,
        (
            TransferPath::PresignedMultipart,
            TransferPath::PresignedRanges
        )
    );
    assert_eq!(
        round_trip(&client, "small", &data(1000, 2)).await,
        (TransferPath::PresignedPut, TransferPath::PresignedGet)
    );
    assert_eq!(
        round_trip(&client, "empty", &Bytes::new()).await,
        (TransferPath::PresignedPut, TransferPath::PresignedGet)
    );
    assert!(fake.open_multipart_uploads().is_empty());
}

#[tokio::test]
async fn s3_without_presigned_multipart_puts_large_objects_whole() {
    let (_fake, client) = fake(Blockstore::S3, true, false).await;
    let large = data(2 * MIN_PART_SIZE as usize, 3);
    assert_eq!(
        round_trip(&client, "large", &large).await,
        (TransferPath::PresignedPut, TransferPath::PresignedRanges)
    );
}

#[tokio::test]
async fn azure_gets_its_blob_type_header() {
    let (_fake, client) = fake(Blockstore::Azure, true, false).await;
    let large = data(MIN_PART_SIZE as usize + 1, 4);
    assert_eq!(
        round_trip(&client, "large", &large).await,
        (TransferPath::PresignedPut, TransferPath::PresignedRanges)
    );
}

#[tokio::test]
async fn without_presign_everything_goes_through_the_api() {
    let (_fake, client) = fake(Blockstore::Local, false, false).await;
    let large = data(MIN_PART_SIZE as usize + 1, 5);
    assert_eq!(
        round_trip(&client, "large", &large).await,
        (TransferPath::Api, TransferPath::Api)
    );
}

#[tokio::test]
async fn a_stream_of_unknown_size_is_uploaded_part_by_part() {
    let (fake, client) = fake(Blockstore::S3, true, true).await;
    let object = data(2 * MIN_PART_SIZE as usize + 77, 6);
    let chunks: Vec<std::io::Result<Bytes>> = object
        .chunks(100_000)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let outcome = client
        .upload("repo", "main", "streamed")
        .stream(futures::stream::iter(chunks), None)
        .part_size(MIN_PART_SIZE)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (outcome.path, outcome.parts),
        (TransferPath::PresignedMultipart, 3)
    );
    let back = client
        .download("repo", "main", "streamed")
        .stream()
        .await
        .unwrap();
    assert_eq!(md5(&back.body.bytes().await.unwrap()), md5(&object));
    assert!(fake.open_multipart_uploads().is_empty());
}

#[tokio::test]
async fn part_urls_that_expire_mid_upload_are_refreshed() {
    let (fake, client) = fake(Blockstore::S3, true, true).await;
    let session = MultipartUpload::create(&client, "repo", "main", "expiring", Some(2))
        .await
        .unwrap();
    let first = data(MIN_PART_SIZE as usize, 7);
    session.put_part(1, first.clone()).await.unwrap();
    // The URLs of the create answer are now past their 15 minutes on the store's clock.
    fake.advance_clock(Duration::from_secs(16 * 60));
    session
        .put_part(2, Bytes::from_static(b"tail"))
        .await
        .unwrap();
    let stats = session.complete(None, Default::default()).await.unwrap();
    assert_eq!(stats.size_bytes, Some(MIN_PART_SIZE as i64 + 4));
    assert!(fake.open_multipart_uploads().is_empty());
}

#[tokio::test]
async fn a_ranged_reader_re_stats_when_its_url_expires() {
    let (fake, client) = fake(Blockstore::S3, true, true).await;
    let object = data(300_000, 8);
    client
        .upload("repo", "main", "read-me")
        .bytes(object.clone())
        .send()
        .await
        .unwrap();
    let reader = RangedReader::open(&client, "repo", "main", "read-me")
        .await
        .unwrap();
    assert_eq!(reader.read_range(0..10).await.unwrap(), object.slice(0..10));
    fake.advance_clock(Duration::from_secs(16 * 60));
    assert_eq!(
        reader.read_range(1000..300_000).await.unwrap(),
        object.slice(1000..300_000)
    );
}

#[tokio::test]
async fn a_cancelled_upload_leaves_no_multipart_upload_open() {
    let (fake, client) = fake(Blockstore::S3, true, true).await;
    // One full part, then a stream that never ends: the upload is cancelled while waiting.
    let first = Ok(data(MIN_PART_SIZE as usize, 9));
    let stream = futures::stream::iter(vec![first]).chain(futures::stream::pending());
    let upload = client
        .upload("repo", "main", "cancelled")
        .stream(stream, None)
        .part_size(MIN_PART_SIZE)
        .send();
    use futures::StreamExt;
    assert!(
        tokio::time::timeout(Duration::from_millis(500), upload)
            .await
            .is_err()
    );
    for _ in 0..100 {
        if fake.open_multipart_uploads().is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("still open: {:?}", fake.open_multipart_uploads());
}

#[tokio::test]
async fn create_only_fails_on_an_existing_path_and_links_nothing() {
    let (_fake, client) = fake(Blockstore::S3, true, true).await;
    client
        .upload("repo", "main", "once")
        .bytes(&b"first"[..])
        .create_only()
        .send()
        .await
        .unwrap();
    let err = client
        .upload("repo", "main", "once")
        .bytes(&b"second"[..])
        .create_only()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_precondition_failed(), "{err}");
    let kept = client
        .download("repo", "main", "once")
        .stream()
        .await
        .unwrap();
    assert_eq!(
        kept.body.bytes().await.unwrap(),
        Bytes::from_static(b"first")
    );
}
