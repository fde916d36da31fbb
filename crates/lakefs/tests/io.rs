//! Object readers and writers, uploads from streams and directories, against the fake.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

mod support;

use futures::TryStreamExt;
use std::io::SeekFrom;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

fn content(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i * 31 % 241) as u8).collect()
}

#[tokio::test]
async fn a_writer_streams_an_object_that_a_reader_reads_back() {
    let (_fake, repo) = support::repository().await;
    let object = repo.branch("main").object("big.bin");
    let data = content(3 * 1024 * 1024 + 333);
    let mut writer = object.writer_with(
        lakefs::api::UploadObjectOptions::default().content_type("application/x-test"),
    );
    // Odd-sized writes, crossing the writer's chunks.
    for piece in data.chunks(70_001) {
        writer.write_all(piece).await.unwrap();
    }
    let stats = writer.finish().await.unwrap();
    assert_eq!(stats.size_bytes, Some(data.len() as i64));
    assert_eq!(
        object.stat().await.unwrap().content_type.as_deref(),
        Some("application/x-test")
    );

    let mut reader = object.reader();
    let mut read = Vec::new();
    reader.read_to_end(&mut read).await.unwrap();
    assert_eq!(read, data);

    // Seeks in every form.
    let mut reader = object.reader();
    reader.seek(SeekFrom::End(-10)).await.unwrap(); // size unknown yet: asks stat
    let mut tail = Vec::new();
    reader.read_to_end(&mut tail).await.unwrap();
    assert_eq!(tail, data[data.len() - 10..]);
    reader.seek(SeekFrom::Start(5)).await.unwrap();
    let mut five = [0u8; 5];
    reader.read_exact(&mut five).await.unwrap();
    assert_eq!(five, data[5..10]);
    reader.seek(SeekFrom::Current(100)).await.unwrap();
    assert_eq!(reader.position(), 110);
    reader.read_exact(&mut five).await.unwrap();
    assert_eq!(five, data[110..115]);
    assert!(reader.seek(SeekFrom::Current(-1000)).await.is_err());
}

#[tokio::test]
async fn a_writer_dropped_before_shutdown_links_nothing() {
    let (_fake, repo) = support::repository().await;
    let main = repo.branch("main");
    let fresh = main.object("fresh.bin");
    let replaced = main.object("replaced.txt");
    replaced.upload("the old version").await.unwrap();
    for object in [&fresh, &replaced] {
        let mut writer = object.writer();
        // More than the writer holds, so that the upload is under way.
        writer.write_all(&content(6 * 1024 * 1024)).await.unwrap();
        drop(writer);
    }
    // The abandoned uploads end on their own; whenever they do, nothing may be linked.
    for _ in 0..20 {
        assert!(!fresh.exists().await.unwrap());
        let mut text = String::new();
        replaced.reader().read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "the old version");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let listed: Vec<String> = main
        .objects("")
        .map_ok(|o| o.path)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed, ["replaced.txt"]);
}

#[tokio::test]
async fn a_writer_reports_the_uploads_failure() {
    let (_fake, repo) = support::repository().await;
    let mut writer = repo.branch("no-such-branch").object("a").writer();
    let _ = writer.write_all(b"data").await;
    let err = writer.shutdown().await.unwrap_err();
    let inner = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<lakefs::Error>())
        .expect("the SDK error inside");
    assert!(inner.is_not_found(), "{inner}");

    let mut writer = repo.branch("no-such-branch").object("a").writer();
    let _ = writer.write_all(b"data").await;
    assert!(writer.finish().await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn empty_objects_write_and_read() {
    let (_fake, repo) = support::repository().await;
    let object = repo.branch("main").object("empty");
    let mut writer = object.writer();
    writer.shutdown().await.unwrap();
    assert_eq!(writer.stats().unwrap().size_bytes, Some(0));
    let mut read = Vec::new();
    object.reader().read_to_end(&mut read).await.unwrap();
    assert!(read.is_empty());
    let target = std::env::temp_dir().join(format!("lakefs-empty-{}", std::process::id()));
    assert_eq!(object.download(&target).await.unwrap(), 0);
    std::fs::remove_file(&target).unwrap();
}

#[tokio::test]
async fn a_reader_of_a_missing_object_fails_with_not_found() {
    let (_fake, repo) = support::repository().await;
    let mut reader = repo.branch("main").object("missing").reader();
    let err = reader.read(&mut [0u8; 10]).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound, "{err}");
}

#[tokio::test]
async fn uploads_from_a_stream() {
    let (_fake, repo) = support::repository().await;
    let object = repo.branch("main").object("streamed");
    let chunks = (0..10).map(|i| Ok(bytes::Bytes::from(vec![i as u8; 1000])));
    let body = lakefs::UploadBody::from_stream(futures::stream::iter(chunks), None);
    let stats = object.upload(body).await.unwrap();
    assert_eq!(stats.size_bytes, Some(10_000));
}

#[tokio::test]
async fn directories_go_up_and_down_with_progress() {
    let (_fake, repo) = support::repository().await;
    let main = repo.branch("main");
    let root = std::env::temp_dir().join(format!("lakefs-dirs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let source = root.join("source");
    let files = ["a.txt", "sub/b.txt", "sub/deeper/c.txt", "z.bin"];
    for (i, file) in files.iter().enumerate() {
        let path = source.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content(1000 * (i + 1))).unwrap();
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let progress = seen.clone();
    let summary = main
        .upload_dir(&source, "imported")
        .concurrency(2)
        .on_progress(move |p| progress.lock().unwrap().push(p.clone()))
        .await
        .unwrap();
    assert_eq!(summary.files, files.len() as u64);
    assert_eq!(
        summary.bytes,
        (1..=files.len() as u64).map(|i| i * 1000).sum::<u64>()
    );
    let seen = seen.lock().unwrap().clone();
    let total_bytes = (1..=files.len() as u64).map(|i| i * 1000).sum::<u64>();
    let finished: Vec<_> = seen.iter().filter(|p| p.file_done).collect();
    assert_eq!(finished.len(), files.len());
    assert_eq!(finished.last().unwrap().files_done, files.len() as u64);
    assert_eq!(finished.last().unwrap().bytes_done, total_bytes);
    // The transfers' byte progress passes through, before the files finish.
    assert!(seen.iter().any(|p| !p.file_done && p.bytes_done > 0));
    assert!(seen.iter().all(|p| p.bytes_done <= total_bytes));
    assert!(
        seen.iter()
            .all(|p| p.files_total == Some(files.len() as u64))
    );
    let listed: Vec<String> = main
        .objects("imported/")
        .map_ok(|o| o.path)
        .try_collect()
        .await
        .unwrap();
    let expected: Vec<String> = files.iter().map(|f| format!("imported/{f}")).collect();
    assert_eq!(listed, expected);

    let target = root.join("target");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let progress = seen.clone();
    let summary = main
        .download_dir("imported", &target)
        .concurrency(3)
        .on_progress(move |p| progress.lock().unwrap().push(p.clone()))
        .await
        .unwrap();
    assert_eq!(summary.files, files.len() as u64);
    assert_eq!(summary.bytes, total_bytes);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.iter().filter(|p| p.file_done).count(), files.len());
    assert!(seen.iter().any(|p| !p.file_done && p.bytes_done > 0));
    assert_eq!(seen.iter().map(|p| p.bytes_done).max(), Some(total_bytes));
    for file in files {
        assert_eq!(
            std::fs::read(target.join(file)).unwrap(),
            std::fs::read(source.join(file)).unwrap(),
            "{file}"
        );
    }
    std::fs::remove_dir_all(&root).unwrap();
}
