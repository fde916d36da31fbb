//! Transfer figures of the fake, each server a `lakefs-fake` process of its own (release
//! build): `cargo bench -p lakefs-fake --bench transfer`.
//!
//! * With `--data-dir`: a 4 GiB upload (raw body, multipart/form-data, presigned PUT) and a
//!   download of it, per kind on a fresh server; the server's peak RSS (VmHWM), GB/s, and the
//!   server's CPU seconds per GiB (the MD5 of S3 ETags is most of it).
//! * In memory: downloads to `curl -o /dev/null` (median of 3), GB/s.
//!
//! `LAKEFS_FAKE_BENCH_GIB` sets the size (default 4), `LAKEFS_FAKE_BENCH_DIR` the data
//! directory's parent (default `/dev/shm` where it exists, so that no disk is needed: the
//! pages are the file system's, not the server's). Data is generated while sent and counted
//! while received. Each data directory is deleted afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/transfer.rs"]
mod transfer;

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use transfer::{GIB, MIB, Server};

const BINARY: &str = env!("CARGO_BIN_EXE_lakefs-fake");

fn gb_per_s(bytes: u64, seconds: f64) -> f64 {
    bytes as f64 / seconds / 1e9
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[derive(Clone, Copy)]
enum Kind {
    Raw,
    Multipart,
    Presigned,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Raw => "API raw body",
            Kind::Multipart => "API multipart/form-data",
            Kind::Presigned => "presigned PUT / GET",
        }
    }
}

async fn with_data_dir(kind: Kind, size: u64, parent: &std::path::Path) {
    let dir = parent.join(format!("lakefs-fake-bench-{}", std::process::id()));
    let server = Server::start(BINARY, &["--data-dir", dir.to_str().unwrap()]);
    let http = reqwest::Client::new();
    server.create_repo(&http, "bench").await;
    let cpu_before = server.cpu_seconds();
    let started = Instant::now();
    match kind {
        Kind::Raw => server.upload_raw(&http, "bench", "object", size).await,
        Kind::Multipart => {
            server
                .upload_multipart(&http, "bench", "object", size)
                .await
        }
        Kind::Presigned => {
            server
                .upload_presigned(&http, "bench", "object", size)
                .await
        }
    };
    let upload_seconds = started.elapsed().as_secs_f64();
    let upload_cpu = server.cpu_seconds() - cpu_before;
    let cpu_before = server.cpu_seconds();
    let started = Instant::now();
    let presign = matches!(kind, Kind::Presigned);
    assert_eq!(
        server.download(&http, "bench", "object", presign).await,
        size
    );
    let download_seconds = started.elapsed().as_secs_f64();
    let download_cpu = server.cpu_seconds() - cpu_before;
    let peak = server.peak_rss();
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    let gib = size as f64 / GIB as f64;
    println!(
        "{:<26} upload {:5.2} GB/s, {:5.2} server CPU s/GiB | download {:5.2} GB/s, {:5.2} CPU s/GiB | peak RSS {:5.1} MiB",
        kind.name(),
        gb_per_s(size, upload_seconds),
        upload_cpu / gib,
        gb_per_s(size, download_seconds),
        download_cpu / gib,
        peak as f64 / MIB as f64,
    );
}

async fn in_memory_curl(size: u64) {
    let server = Server::start(BINARY, &[]);
    let http = reqwest::Client::new();
    server.create_repo(&http, "bench").await;
    server.upload_raw(&http, "bench", "object", size).await;
    let mut speeds = Vec::new();
    let mut cpu = Vec::new();
    for _ in 0..3 {
        let cpu_before = server.cpu_seconds();
        let output = Command::new("curl")
            .args([
                "-s",
                "-f",
                "-o",
                "/dev/null",
                "-w",
                "%{size_download} %{time_total}",
            ])
            .arg("-u")
            .arg(format!(
                "{}:{}",
                server.access_key_id, server.secret_access_key
            ))
            .arg(server.object_url("bench", "object"))
            .output()
            .expect("curl");
        assert!(output.status.success(), "curl failed");
        let text = String::from_utf8_lossy(&output.stdout).to_string();
        let mut fields = text.split_whitespace();
        let bytes: f64 = fields.next().unwrap().parse().unwrap();
        let seconds: f64 = fields.next().unwrap().parse().unwrap();
        assert_eq!(bytes as u64, size);
        speeds.push(bytes / seconds / 1e9);
        cpu.push((server.cpu_seconds() - cpu_before) / (size as f64 / GIB as f64));
    }
    println!(
        "in memory, curl -o /dev/null: median {:.2} GB/s (runs {}), server {:.2} CPU s/GiB",
        median(speeds.clone()),
        speeds
            .iter()
            .map(|s| format!("{s:.2}"))
            .collect::<Vec<_>>()
            .join(", "),
        median(cpu),
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a filter is not supported, every figure is taken.
    let gib: u64 = std::env::var("LAKEFS_FAKE_BENCH_GIB")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(4);
    let size = gib * GIB;
    let parent = std::env::var_os("LAKEFS_FAKE_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let shm = PathBuf::from("/dev/shm");
            if shm.is_dir() {
                shm
            } else {
                std::env::temp_dir()
            }
        });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!(
        "lakefs-fake transfers of {gib} GiB (data dir under {})",
        parent.display()
    );
    runtime.block_on(async {
        for kind in [Kind::Raw, Kind::Multipart, Kind::Presigned] {
            with_data_dir(kind, size, &parent).await;
        }
        in_memory_curl(size.min(GIB)).await;
    });
}
