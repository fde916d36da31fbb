//! Transfers against the fake lakeFS with its faults switched on, end to end over real
//! connections: a part failing once, a store without ETags, 409s on link, download bodies cut
//! short, part URLs expiring mid-upload, an upload dropped mid-way. Each test checks the bytes,
//! the requests the store saw where the count says something, and what the fake is left with
//! (no open multipart upload; the object whole or absent).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use futures::StreamExt;
use lakefs_api::transfer::{MIN_PART_SIZE, TransferPath};
use lakefs_api::*;
use lakefs_fake::{FakeLakeFs, Faults};
use md5::{Digest, Md5};
use std::sync::Arc;
use std::time::Duration;

/// Two full parts and a short third one: every part is numbered, the last is special.
const THREE_PARTS: usize = 2 * MIN_PART_SIZE as usize + 4321;

fn data(len: usize, seed: u8) -> Bytes {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 12) as u8)
        .collect::<Vec<u8>>()
        .into()
}

fn md5(data: &[u8]) -> Vec<u8> {
    Md5::digest(data).to_vec()
}

/// A fake with presigned multipart on S3 and a repository `repo`.
async fn fake() -> (Arc<FakeLakeFs>, LakeFsClient) {
    let fake = FakeLakeFs::builder().start().await.unwrap();
    let client = fake.client().unwrap();
    client
        .create_repository(
            &models::RepositoryCreation::new("repo", "s3://bucket/repo"),
            Default::default(),
        )
        .await
        .unwrap();
    (Arc::new(fake), client)
}

async fn read_back(client: &LakeFsClient, path: &str) -> Bytes {
    let download = client
        .download("repo", "main", path)
        .part_size(MIN_PART_SIZE)
        .stream()
        .await
        .unwrap();
    download.body.bytes().await.unwrap()
}

/// The object is not on the branch: nothing was linked.
async fn assert_absent(client: &LakeFsClient, path: &str) {
    let err = client
        .stat_object("repo", "main", path, Default::default())
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{path} should be absent: {err}");
}

/// Waits (briefly) for aborts spawned in the background to reach the fake.
async fn assert_no_open_multipart_upload(fake: &FakeLakeFs) {
    for _ in 0..200 {
        if fake.open_multipart_uploads().is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("still open: {:?}", fake.open_multipart_uploads());
}

fn temp_file(data: &[u8], name: &str) -> std::path::PathBuf {
    let path =
        std::env::temp_dir().join(format!("lakefs-xfer-faults-{}-{name}", std::process::id()));
    std::fs::write(&path, data).unwrap();
    path
}

#[tokio::test]
async fn a_part_failing_once_is_retried_on_its_own() {
    let (fake, client) = fake().await;
    let object = data(THREE_PARTS, 1);
    fake.set_faults(Faults::new().fail_part_upload(2));
    let outcome = client
        .upload("repo", "main", "retried")
        .bytes(object.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(outcome.path, TransferPath::PresignedMultipart);
    assert_eq!((outcome.parts, outcome.restarts), (3, 0));
    // Three parts, one of them twice; nothing else was sent again.
    assert_eq!(fake.store_requests().puts, 4);
    assert_no_open_multipart_upload(&fake).await;
    assert_eq!(md5(&read_back(&client, "retried").await), md5(&object));
}

#[tokio::test]
async fn a_store_without_etags_fails_the_upload_as_an_integrity_error_and_aborts_it() {
    let (fake, client) = fake().await;
    fake.set_faults(Faults::new().omit_etag(true));
    let err = client
        .upload("repo", "main", "unchecked")
        .bytes(data(THREE_PARTS, 2))
        .concurrency(1)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Integrity(_)), "{err}");
    assert!(err.to_string().contains("without an ETag"), "{err}");
    assert_no_open_multipart_upload(&fake).await;
    assert_absent(&client, "unchecked").await;
    // One PUT (below the part size) fails the same way and links nothing.
    let err = client
        .upload("repo", "main", "small")
        .bytes(data(1000, 3))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Integrity(_)), "{err}");
    assert_absent(&client, "small").await;
}

#[tokio::test]
async fn a_conflict_on_link_restarts_bytes_and_files_at_most_three_times() {
    let (fake, client) = fake().await;
    let object = data(THREE_PARTS, 4);
    fake.set_faults(Faults::new().conflict_next_links(2));
    let outcome = client
        .upload("repo", "main", "from-bytes")
        .bytes(object.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        (outcome.path, outcome.restarts),
        (TransferPath::PresignedMultipart, 2)
    );
    assert_eq!(fake.store_requests().puts, 3 * 3, "three rounds of 3 parts");
    assert_eq!(md5(&read_back(&client, "from-bytes").await), md5(&object));

    let file = temp_file(&object, "conflict");
    let before = fake.store_requests().puts;
    fake.set_faults(Faults::new().conflict_next_links(1));
    let outcome = client
        .upload("repo", "main", "from-file")
        .file(&file)
        .send()
        .await
        .unwrap();
    assert_eq!(outcome.restarts, 1);
    assert_eq!(fake.store_requests().puts - before, 2 * 3);
    assert_eq!(md5(&read_back(&client, "from-file").await), md5(&object));

    // A fourth conflict is the caller's: the first try and 3 restarts, then a typed conflict.
    let before = fake.store_requests().puts;
    fake.set_faults(Faults::new().conflict_next_links(5));
    let err = client
        .upload("repo", "main", "never")
        .file(&file)
        .send()
        .await
        .unwrap_err();
    let _ = std::fs::remove_file(&file);
    assert!(err.is_conflict(), "{err}");
    assert_eq!(fake.store_requests().puts - before, 4 * 3);
    assert_no_open_multipart_upload(&fake).await;
    assert_absent(&client, "never").await;
}

#[tokio::test]
async fn a_conflict_on_link_of_a_one_shot_stream_is_a_typed_conflict() {
    let (fake, client) = fake().await;
    let object = data(THREE_PARTS, 5);
    let chunks: Vec<std::io::Result<Bytes>> = object
        .chunks(1 << 20)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    fake.set_faults(Faults::new().conflict_next_links(1));
    let err = client
        .upload("repo", "main", "streamed")
        .stream(futures::stream::iter(chunks), None)
        .part_size(MIN_PART_SIZE)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err}");
    assert_eq!(fake.store_requests().puts, 3, "a stream is read once");
    assert_no_open_multipart_upload(&fake).await;
    assert_absent(&client, "streamed").await;
}

#[tokio::test]
async fn a_download_body_cut_short_is_fetched_again_range_by_range() {
    let (fake, client) = fake().await;
    let object = data(3 * 1024 * 1024 + 99, 6);
    client
        .upload("repo", "main", "cut")
        .bytes(object.clone())
        .send()
        .await
        .unwrap();
    let ranges = object.len().div_ceil(1024 * 1024) as u64;

    let before = fake.store_requests().gets;
    fake.set_faults(Faults::new().cut_body_after(100_000).cut_bodies(1));
    let streamed = client
        .download("repo", "main", "cut")
        .part_size(1024 * 1024)
        .concurrency(2)
        .stream()
        .await
        .unwrap();
    assert_eq!(streamed.path, TransferPath::PresignedRanges);
    assert_eq!(md5(&streamed.body.bytes().await.unwrap()), md5(&object));
    assert_eq!(fake.store_requests().gets - before, ranges + 1);

    // Cut after more than the file writer's batches: the retried range overwrites what the
    // cut attempt had already written, from the range's first byte.
    let before = fake.store_requests().gets;
    fake.set_faults(Faults::new().cut_body_after(700_000).cut_bodies(1));
    let file = temp_file(b"", "cut-download");
    let written = client
        .download("repo", "main", "cut")
        .part_size(1024 * 1024)
        .concurrency(2)
        .to_file(&file)
        .await
        .unwrap();
    assert_eq!(written.bytes, object.len() as u64);
    assert_eq!(md5(&std::fs::read(&file).unwrap()), md5(&object));
    let _ = std::fs::remove_file(&file);
    assert_eq!(fake.store_requests().gets - before, ranges + 1);
}

#[tokio::test]
async fn part_urls_that_expire_mid_upload_are_refreshed_by_the_upload() {
    let (fake, client) = fake().await;
    let object = data(THREE_PARTS, 7);
    // One part at a time: the next part is read from the stream only after the previous one
    // is stored, so the clock moves exactly between part 1 and part 2.
    let first = Ok(object.slice(..MIN_PART_SIZE as usize));
    let rest = object.slice(MIN_PART_SIZE as usize..);
    let clock = fake.clone();
    let later = futures::stream::once(async move {
        // The URLs of parts 2 and 3 came with the create answer, 15 minutes ago now.
        clock.advance_clock(Duration::from_secs(16 * 60));
        Ok(rest)
    });
    let source = futures::stream::iter([first]).chain(later);
    let outcome = client
        .upload("repo", "main", "expiring")
        .stream(source, Some(object.len() as u64))
        .concurrency(1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (outcome.path, outcome.parts),
        (TransferPath::PresignedMultipart, 3)
    );
    // Parts 2 and 3 were refused once each, then put on a fresh URL.
    assert_eq!(fake.store_requests().puts, 3 + 2);
    assert_no_open_multipart_upload(&fake).await;
    assert_eq!(md5(&read_back(&client, "expiring").await), md5(&object));
}

#[tokio::test]
async fn an_upload_dropped_mid_way_leaves_no_multipart_upload_and_links_nothing() {
    let (fake, client) = fake().await;
    let object = data(THREE_PARTS, 8);
    // Parts go one at a time; the upload is dropped once the first part's bytes are out.
    let (started, mut first_part_sent) = tokio::sync::watch::channel(0u64);
    let upload = client
        .upload("repo", "main", "dropped")
        .bytes(object)
        .concurrency(1)
        .on_progress(move |p| {
            let _ = started.send(p.bytes_done);
        })
        .send();
    tokio::select! {
        outcome = upload => panic!("the upload finished first: {outcome:?}"),
        seen = first_part_sent.wait_for(|&done| done >= MIN_PART_SIZE) => { seen.unwrap(); }
    }
    assert_no_open_multipart_upload(&fake).await;
    // Nothing links it later either.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_absent(&client, "dropped").await;
    assert!(
        fake.store_requests().puts <= 2,
        "parts went on after the drop"
    );
}
