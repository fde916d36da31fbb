//! The server's memory stays bounded whatever the object size: a `lakefs-fake` process with
//! `--data-dir` takes uploads (raw, multipart/form-data, presigned) and serves downloads far
//! larger than the peak resident memory it is allowed (VmHWM, read from /proc).
#![allow(clippy::unwrap_used)]

#[path = "common/transfer.rs"]
mod transfer;

use transfer::{MIB, Server, generated_md5};

/// The peak resident memory the server may reach.
const LIMIT: u64 = 256 * MIB;
/// Each transfer is twice the limit (sized so that a debug build takes well under a minute).
const SIZE: u64 = 512 * MIB;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_stays_bounded_for_transfers_larger_than_it() {
    if !cfg!(target_os = "linux") {
        eprintln!("skipped: VmHWM is read from /proc (Linux only)");
        return;
    }
    // A memory-backed directory where there is one: the data's pages are then the file
    // system's, not the server's, and the test needs no free disk.
    let shm = std::path::Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("lakefs-fake-memory-{}", std::process::id()));
    let server = Server::start(
        env!("CARGO_BIN_EXE_lakefs-fake"),
        &["--data-dir", dir.to_str().unwrap()],
    );
    let http = reqwest::Client::new();
    server.create_repo(&http, "memory").await;
    let md5 = generated_md5(SIZE);

    let raw = server.upload_raw(&http, "memory", "raw", SIZE).await;
    assert_eq!(raw["checksum"], md5);
    let form = server.upload_multipart(&http, "memory", "form", SIZE).await;
    assert_eq!(form["checksum"], md5);
    let presigned = server
        .upload_presigned(&http, "memory", "presigned", SIZE)
        .await;
    assert_eq!(presigned["size_bytes"], SIZE);
    assert_eq!(server.download(&http, "memory", "raw", false).await, SIZE);
    assert_eq!(
        server.download(&http, "memory", "presigned", true).await,
        SIZE
    );

    let peak = server.peak_rss();
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(peak > 0, "VmHWM not found");
    assert!(
        peak < LIMIT,
        "peak RSS {} MiB for {} MiB transfers (limit {} MiB)",
        peak / MIB,
        SIZE / MIB,
        LIMIT / MIB
    );
}
