//! Readers, writers, uploads and downloads against the fake in each of its storage modes
//! (presign on/off, presigned multipart on/off, Azure): the path the data takes, the requests
//! it costs (a sequential read is one data GET), expired URLs, and aborts on drop.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use lakefs::api::transfer::{MIN_PART_SIZE, TransferPath};
use lakefs::blocking;
use lakefs_testkit::fake::{Blockstore, FakeLakeFs};
use std::collections::BTreeMap;
use std::io::SeekFrom;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

fn content(size: usize, seed: u8) -> Vec<u8> {
    (0..size)
        .map(|i| (i as u8).wrapping_mul(29).wrapping_add(seed) ^ (i >> 20) as u8)
        .collect()
}

/// The fake's storage modes.
#[derive(Debug, Clone, Copy)]
struct Storage {
    blockstore: Blockstore,
    presign: bool,
    multipart: bool,
}

const S3_MULTIPART: Storage = Storage {
    blockstore: Blockstore::S3,
    presign: true,
    multipart: true,
};
const S3_NO_MULTIPART: Storage = Storage {
    blockstore: Blockstore::S3,
    presign: true,
    multipart: false,
};
const AZURE: Storage = Storage {
    blockstore: Blockstore::Azure,
    presign: true,
    multipart: false,
};
const NO_PRESIGN: Storage = Storage {
    blockstore: Blockstore::S3,
    presign: false,
    multipart: false,
};
const ALL: [Storage; 4] = [S3_MULTIPART, S3_NO_MULTIPART, AZURE, NO_PRESIGN];

impl Storage {
    fn builder(self) -> lakefs_testkit::fake::FakeLakeFsBuilder {
        FakeLakeFs::builder()
            .blockstore(self.blockstore)
            .presign(self.presign)
            .presign_multipart(self.multipart)
    }

    fn namespace(self) -> String {
        match self.blockstore {
            Blockstore::Azure => "https://account.blob.core.windows.net/container/repo".into(),
            other => format!("{}://bucket/repo", other.name()),
        }
    }

    async fn repository(self) -> (FakeLakeFs, lakefs::Repository) {
        self.repository_with(self.builder()).await
    }

    async fn repository_with(
        self,
        builder: lakefs_testkit::fake::FakeLakeFsBuilder,
    ) -> (FakeLakeFs, lakefs::Repository) {
        let fake = builder.start().await.unwrap();
        let client = lakefs::Client::new(fake.client().unwrap());
        let repo = client.repository("repo");
        repo.create(self.namespace()).await.unwrap();
        (fake, repo)
    }

    /// The path a writer of `size` bytes takes, parts of [`MIN_PART_SIZE`].
    fn writer_path(self, size: usize) -> TransferPath {
        if !self.presign {
            TransferPath::Api
        } else if size as u64 <= MIN_PART_SIZE {
            TransferPath::PresignedPut
        } else if self.multipart {
            TransferPath::PresignedMultipart
        } else {
            TransferPath::Api
        }
    }
}

/// Counts the client's requests by operation (each attempt is a `lakefs.request` span) on
/// this thread: the tests run on tokio's current-thread runtime, the fake on threads of its
/// own, so only the client is counted.
#[derive(Default, Clone)]
struct Requests(Arc<Mutex<BTreeMap<String, usize>>>);

impl Requests {
    fn count(&self, operation: &str) -> usize {
        self.0.lock().unwrap().get(operation).copied().unwrap_or(0)
    }

    fn reset(&self) {
        self.0.lock().unwrap().clear();
    }

    fn data_requests(&self) -> usize {
        ["objectStoreGet", "getObject"]
            .iter()
            .map(|op| self.count(op))
            .sum()
    }
}

struct Counter {
    requests: Requests,
    next_id: AtomicU64,
}

struct OperationField(Option<String>);

impl tracing::field::Visit for OperationField {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "operation" {
            self.0 = Some(value.to_string());
        }
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "operation" {
            self.0 = Some(format!("{value:?}").trim_matches('"').to_string());
        }
    }
}

impl tracing::Subscriber for Counter {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        if span.metadata().name() == "lakefs.request" {
            let mut operation = OperationField(None);
            span.record(&mut operation);
            if let Some(operation) = operation.0 {
                *self
                    .requests
                    .0
                    .lock()
                    .unwrap()
                    .entry(operation)
                    .or_default() += 1;
            }
        }
        tracing::span::Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

fn count_requests() -> (Requests, tracing::subscriber::DefaultGuard) {
    let requests = Requests::default();
    let guard = tracing::subscriber::set_default(Counter {
        requests: requests.clone(),
        next_id: AtomicU64::new(0),
    });
    (requests, guard)
}

async fn read_all(object: &lakefs::Object) -> Vec<u8> {
    let mut read = Vec::new();
    object.reader().read_to_end(&mut read).await.unwrap();
    read
}

/// Waits (bounded) until the fake has no multipart upload open.
async fn no_upload_left_open(fake: &FakeLakeFs) {
    for _ in 0..100 {
        if fake.open_multipart_uploads().is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("left open: {:?}", fake.open_multipart_uploads());
}

#[tokio::test]
async fn a_sequential_read_is_one_data_get_in_every_mode_and_a_seek_one_more() {
    let data = content(3 * 1024 * 1024 + 17, 1);
    for storage in ALL {
        let (_fake, repo) = storage.repository().await;
        let object = repo.branch("main").object("big.bin");
        object.upload(data.clone()).await.unwrap();
        let (requests, _guard) = count_requests();

        let mut reader = object.reader();
        let mut read = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            let n = reader.read(&mut buffer).await.unwrap();
            if n == 0 {
                break;
            }
            read.extend_from_slice(&buffer[..n]);
        }
        assert!(read == data, "{storage:?}: content differs");
        let expected = if storage.presign {
            TransferPath::PresignedGet
        } else {
            TransferPath::Api
        };
        assert_eq!(reader.transfer_path(), Some(expected), "{storage:?}");
        assert_eq!(requests.data_requests(), 1, "{storage:?}");
        let stats = usize::from(storage.presign);
        assert_eq!(requests.count("statObject"), stats, "{storage:?}");

        // A seek re-opens the stream at the new offset: one more GET, no new stat.
        reader.seek(SeekFrom::Start(1_000_000)).await.unwrap();
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).await.unwrap();
        assert!(rest == data[1_000_000..], "{storage:?}");
        assert_eq!(requests.data_requests(), 2, "{storage:?}");
        // From the end, the size being known: no request; reads there end at once.
        reader.seek(SeekFrom::End(-5)).await.unwrap();
        let mut tail = Vec::new();
        reader.read_to_end(&mut tail).await.unwrap();
        assert_eq!(tail, data[data.len() - 5..], "{storage:?}");
        assert_eq!(requests.data_requests(), 3, "{storage:?}");
        assert_eq!(requests.count("statObject"), stats, "{storage:?}");
        assert_eq!(requests.count("getObject") > 0, !storage.presign);
    }
}

#[tokio::test]
async fn a_seek_from_the_end_first_learns_the_size_from_the_presigned_stat() {
    let (_fake, repo) = S3_MULTIPART.repository().await;
    let object = repo.branch("main").object("o");
    let data = content(10_000, 2);
    object.upload(data.clone()).await.unwrap();
    let (requests, _guard) = count_requests();
    let mut reader = object.reader();
    reader.seek(SeekFrom::End(-100)).await.unwrap();
    let mut tail = Vec::new();
    reader.read_to_end(&mut tail).await.unwrap();
    assert_eq!(tail, data[data.len() - 100..]);
    assert_eq!(
        requests.count("statObject"),
        1,
        "the stat serves size and URL"
    );
    assert_eq!(requests.count("objectStoreGet"), 1);
}

#[tokio::test]
async fn an_expired_presigned_url_is_refreshed_on_the_next_get() {
    let (fake, repo) = S3_MULTIPART.repository().await;
    let object = repo.branch("main").object("o");
    let data = content(200_000, 3);
    object.upload(data.clone()).await.unwrap();
    let (requests, _guard) = count_requests();
    let mut reader = object.reader();
    let mut head = [0u8; 100];
    reader.read_exact(&mut head).await.unwrap();
    assert_eq!(head, data[..100]);
    // The URL expires (on the store's clock: the client still believes it valid).
    fake.advance_clock(Duration::from_secs(24 * 3600));
    reader.seek(SeekFrom::Start(150_000)).await.unwrap();
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).await.unwrap();
    assert_eq!(rest, data[150_000..]);
    assert_eq!(requests.count("statObject"), 2, "the open and one refresh");
    assert_eq!(
        requests.count("objectStoreGet"),
        3,
        "the first GET, the refused one, the one with the fresh URL"
    );
}

#[tokio::test]
async fn writers_take_the_path_of_each_mode_and_round_trip() {
    let small = 100_000;
    let large = 2 * MIN_PART_SIZE as usize + 12_345;
    for storage in ALL {
        let (fake, repo) = storage.repository().await;
        for size in [0, small, large] {
            let object = repo.branch("main").object(format!("w/{size}"));
            let data = content(size, 4);
            let mut writer = object
                .writer_with(
                    lakefs::api::UploadObjectOptions::default()
                        .content_type("application/x-test")
                        .user_metadata("origin", "writer"),
                )
                .part_size(MIN_PART_SIZE)
                .concurrency(2);
            // Odd-sized writes, crossing parts.
            for piece in data.chunks(70_001) {
                writer.write_all(piece).await.unwrap();
            }
            writer.shutdown().await.unwrap();
            let what = format!("{storage:?}, {size} bytes");
            assert_eq!(
                writer.stats().unwrap().size_bytes,
                Some(size as i64),
                "{what}"
            );
            assert_eq!(
                writer.transfer_path(),
                Some(storage.writer_path(size)),
                "{what}"
            );
            let stats = object.stat().await.unwrap();
            assert_eq!(
                stats.content_type.as_deref(),
                Some("application/x-test"),
                "{what}"
            );
            assert_eq!(
                object
                    .metadata()
                    .await
                    .unwrap()
                    .get("origin")
                    .map(String::as_str),
                Some("writer"),
                "{what}"
            );
            assert!(read_all(&object).await == data, "{what}: content differs");
        }
        assert!(fake.open_multipart_uploads().is_empty(), "{storage:?}");
    }
}

#[tokio::test]
async fn a_multipart_writer_sends_parts_while_it_is_written() {
    let (fake, repo) = S3_MULTIPART.repository().await;
    let object = repo.branch("main").object("parts");
    let (requests, _guard) = count_requests();
    let mut writer = object.writer().part_size(MIN_PART_SIZE).concurrency(2);
    let part = content(MIN_PART_SIZE as usize, 5);
    for _ in 0..4 {
        writer.write_all(&part).await.unwrap();
    }
    // Before shutdown, parts are already in the store (a writer is no whole-object buffer).
    let mut sent = 0;
    for _ in 0..100 {
        sent = fake
            .open_multipart_uploads()
            .first()
            .map_or(0, |upload| upload.parts.len());
        if sent >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(sent >= 2, "parts put before shutdown: {sent}");
    let stats = writer.finish().await.unwrap();
    assert_eq!(stats.size_bytes, Some(4 * MIN_PART_SIZE as i64));
    assert_eq!(requests.count("createPresignMultipartUpload"), 1);
    assert_eq!(requests.count("completePresignMultipartUpload"), 1);
    assert_eq!(requests.count("uploadObject"), 0);
    assert!(fake.open_multipart_uploads().is_empty());
}

#[tokio::test]
async fn a_writer_dropped_before_shutdown_aborts_and_links_nothing_in_every_mode() {
    for storage in ALL {
        let (fake, repo) = storage.repository().await;
        let main = repo.branch("main");
        let replaced = main.object("replaced.txt");
        replaced.upload("the old version").await.unwrap();
        for (object, size) in [
            (main.object("fresh.bin"), 3 * MIN_PART_SIZE as usize),
            (replaced.clone(), 3 * MIN_PART_SIZE as usize),
            (main.object("small.bin"), 1000),
        ] {
            let mut writer = object.writer().part_size(MIN_PART_SIZE);
            writer.write_all(&content(size, 6)).await.unwrap();
            drop(writer);
        }
        no_upload_left_open(&fake).await;
        // Whenever the abandoned uploads end, nothing may be linked.
        for _ in 0..10 {
            assert!(!main.object("fresh.bin").exists().await.unwrap());
            assert!(!main.object("small.bin").exists().await.unwrap());
            assert_eq!(read_all(&replaced).await, b"the old version");
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        assert!(fake.open_multipart_uploads().is_empty(), "{storage:?}");
    }
}

#[tokio::test]
async fn conditional_writers_do_not_use_multipart_and_honour_the_condition() {
    let (fake, repo) = S3_MULTIPART.repository().await;
    let object = repo.branch("main").object("cond.bin");
    let large = content(2 * MIN_PART_SIZE as usize + 1, 7);
    let create_only = || {
        object
            .writer_with(lakefs::api::UploadObjectOptions::default().if_none_match("*"))
            .part_size(MIN_PART_SIZE)
    };
    let mut writer = create_only();
    writer.write_all(&large).await.unwrap();
    writer.shutdown().await.unwrap();
    assert_eq!(writer.transfer_path(), Some(TransferPath::Api));
    // Again: the path is taken, and the object stays as it was. One part: a presigned PUT
    // whose conditional link answers 412.
    let mut writer = create_only();
    writer.write_all(b"small").await.unwrap();
    let err = writer.finish().await.unwrap_err();
    assert!(err.is_precondition_failed(), "{err}");
    // Larger: the streaming uploadObject is refused. The fake (as lakeFS) answers 412 before
    // reading the body and closes the connection, so the client may see the broken pipe
    // before the answer: the upload fails either way, with the 412 or a transport error.
    let mut writer = create_only();
    let written = writer.write_all(&content(large.len(), 8)).await;
    let err = match written {
        Ok(()) => writer.finish().await.unwrap_err(),
        Err(err) => lakefs::Error::LocalIo {
            context: "write".into(),
            source: err,
        },
    };
    let refused = err.is_precondition_failed()
        || matches!(&err, lakefs::Error::LocalIo { source, .. }
            if source.get_ref().and_then(|e| e.downcast_ref::<lakefs::Error>()).is_some_and(
                |e| e.is_precondition_failed() || e.kind() == lakefs::ErrorKind::Transport))
        || err.kind() == lakefs::ErrorKind::Transport;
    assert!(refused, "{err}");
    assert!(read_all(&object).await == large);
    // If-match: the right checksum replaces, a wrong one is refused.
    let checksum = object.stat().await.unwrap().checksum;
    let mut writer = object
        .writer_with(lakefs::api::UploadObjectOptions::default().if_match("0123"))
        .part_size(MIN_PART_SIZE);
    writer.write_all(b"wrong").await.unwrap();
    assert!(writer.finish().await.unwrap_err().is_precondition_failed());
    let mut writer =
        object.writer_with(lakefs::api::UploadObjectOptions::default().if_match(checksum));
    writer.write_all(b"right").await.unwrap();
    writer.shutdown().await.unwrap();
    assert_eq!(writer.transfer_path(), Some(TransferPath::PresignedPut));
    assert_eq!(read_all(&object).await, b"right");
    assert!(fake.open_multipart_uploads().is_empty());
}

#[tokio::test]
async fn uploads_and_downloads_go_through_the_transfers_with_progress() {
    for storage in ALL {
        let (fake, repo) = storage.repository().await;
        let object = repo.branch("main").object("up.bin");
        let data = content(3 * MIN_PART_SIZE as usize + 99, 9);
        let seen = Arc::new(AtomicU64::new(0));
        let progress = seen.clone();
        let (requests, guard) = count_requests();
        let stats = object
            .upload(data.clone())
            .part_size(MIN_PART_SIZE)
            .on_progress(move |p| progress.store(p.bytes_done, Ordering::Relaxed))
            .await
            .unwrap();
        assert_eq!(stats.size_bytes, Some(data.len() as i64));
        assert_eq!(
            seen.load(Ordering::Relaxed),
            data.len() as u64,
            "{storage:?}"
        );
        let expected_op = match (storage.presign, storage.multipart) {
            (true, true) => "completePresignMultipartUpload",
            (true, false) => "linkPhysicalAddress",
            _ => "uploadObject",
        };
        assert_eq!(requests.count(expected_op), 1, "{storage:?}");
        // Create-only on a taken path: 412, nothing changed.
        let err = object.upload("other").create_only().await.unwrap_err();
        assert!(err.is_precondition_failed(), "{storage:?}: {err}");

        requests.reset();
        let dir = std::env::temp_dir().join(format!(
            "lakefs-transfer-paths-{}-{}",
            std::process::id(),
            storage.blockstore.name()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join(format!("down-{}-{}", storage.presign, storage.multipart));
        let seen = Arc::new(AtomicU64::new(0));
        let progress = seen.clone();
        let bytes = object
            .download(&target)
            .concurrency(3)
            .on_progress(move |p| progress.store(p.bytes_done, Ordering::Relaxed))
            .await
            .unwrap();
        drop(guard);
        assert_eq!(bytes, data.len() as u64);
        assert!(std::fs::read(&target).unwrap() == data, "{storage:?}");
        assert_eq!(
            seen.load(Ordering::Relaxed),
            data.len() as u64,
            "{storage:?}"
        );
        if storage.presign {
            assert!(requests.count("objectStoreGet") > 1, "parallel ranges");
            assert_eq!(requests.count("getObject"), 0);
        } else {
            assert_eq!(requests.count("getObject"), 1);
        }
        // A failed download leaves neither the file nor its partial copy.
        let missing = dir.join("missing");
        let err = repo
            .branch("main")
            .object("no-such-object")
            .download(&missing)
            .await
            .unwrap_err();
        assert!(err.is_not_found(), "{err}");
        assert!(!missing.exists());
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "only the download"
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(fake.open_multipart_uploads().is_empty());
    }
}

#[test]
fn blocking_readers_and_writers_in_every_mode() {
    for storage in ALL {
        let fake =
            lakefs_testkit::fake::BlockingFakeLakeFs::from_builder(storage.builder()).unwrap();
        let client = blocking::Client::new(fake.client().unwrap());
        let repo = client.repository("repo");
        repo.create(storage.namespace()).run().unwrap();
        let main = repo.branch("main");
        let object = main.object("b.bin");
        let data = content(2 * MIN_PART_SIZE as usize + 3, 10);
        let mut writer = object.writer().part_size(MIN_PART_SIZE).concurrency(2);
        std::io::Write::write_all(&mut writer, &data).unwrap();
        let stats = writer.finish().unwrap();
        assert_eq!(stats.size_bytes, Some(data.len() as i64), "{storage:?}");

        let mut reader = object.reader();
        let mut read = Vec::new();
        std::io::Read::read_to_end(&mut reader, &mut read).unwrap();
        assert!(read == data, "{storage:?}");
        let expected = if storage.presign {
            TransferPath::PresignedGet
        } else {
            TransferPath::Api
        };
        assert_eq!(reader.transfer_path(), Some(expected));
        std::io::Seek::seek(&mut reader, SeekFrom::Start(7)).unwrap();
        let mut seven = [0u8; 7];
        std::io::Read::read_exact(&mut reader, &mut seven).unwrap();
        assert_eq!(seven, data[7..14]);
        assert_eq!(reader.position(), 14);

        // Dropped unfinished: nothing linked, no multipart upload left open.
        let mut dropped = main.object("dropped.bin").writer().part_size(MIN_PART_SIZE);
        std::io::Write::write_all(&mut dropped, &data).unwrap();
        drop(dropped);
        let mut left = fake.fake().open_multipart_uploads();
        for _ in 0..100 {
            if left.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
            left = fake.fake().open_multipart_uploads();
        }
        assert!(left.is_empty(), "{storage:?}: {left:?}");
        assert!(!main.object("dropped.bin").exists().unwrap(), "{storage:?}");
    }
}

#[tokio::test]
async fn a_read_cut_short_resumes_from_where_it_stopped_in_both_paths() {
    for storage in [S3_MULTIPART, NO_PRESIGN] {
        let (fake, repo) = storage.repository().await;
        let object = repo.branch("main").object("cut.bin");
        let data = content(250_000, 11);
        object.upload(data.clone()).await.unwrap();
        // Every body stops after 100,000 bytes: the reader resumes twice, from 100,000 and
        // from 200,000.
        fake.set_faults(lakefs_testkit::fake::Faults::new().cut_body_after(100_000));
        let (requests, _guard) = count_requests();
        let read = read_all(&object).await;
        assert!(read == data, "{storage:?}: content differs");
        assert_eq!(requests.data_requests(), 3, "{storage:?}");
    }
}

#[tokio::test]
async fn a_writer_larger_than_a_part_reports_the_uploads_failure() {
    for storage in [S3_MULTIPART, NO_PRESIGN] {
        let (fake, repo) = storage.repository().await;
        let object = repo.branch("no-such-branch").object("a");
        let mut writer = object.writer().part_size(MIN_PART_SIZE);
        let data = content(3 * MIN_PART_SIZE as usize, 12);
        // The failure comes back from a write (the upload stopped taking data) or from
        // finish, as the SDK's 404.
        let err = match writer.write_all(&data).await {
            Err(err) => lakefs::Error::LocalIo {
                context: "write".into(),
                source: err,
            },
            Ok(()) => writer.finish().await.unwrap_err(),
        };
        let inner = match &err {
            lakefs::Error::LocalIo { source, .. } => source
                .get_ref()
                .and_then(|e| e.downcast_ref::<lakefs::Error>())
                .expect("the SDK error inside"),
            other => other,
        };
        if storage.presign {
            assert!(inner.is_not_found(), "{storage:?}: {err}");
        } else {
            // The fake (as lakeFS) answers 404 before reading the streamed body and closes
            // the connection: the client may see the broken pipe before the answer.
            let transport = inner.kind() == lakefs::ErrorKind::Transport;
            assert!(inner.is_not_found() || transport, "{storage:?}: {err}");
        }
        assert!(fake.open_multipart_uploads().is_empty(), "{storage:?}");
    }
}
