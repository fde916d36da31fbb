//! Throughput, CPU time and peak memory (VmHWM) of `ObjectWriter` and `ObjectReader` moving a
//! large object (default 1 GiB, 3 runs each way), on both data paths: presigned (the fake's
//! S3 with presigned multipart: the writer sends parallel parts straight to the store, the
//! reader one presigned GET) and the lakeFS API (presign off: `uploadObject` / `getObject`).
//!
//! ```sh
//! cargo bench -p lakefs --bench object_io            # 1024 MiB, 3 runs
//! cargo bench -p lakefs --bench object_io -- 256 5   # 256 MiB, 5 runs
//! ```
//!
//! For each path, the fake lakeFS and the client each run in a child process of their own
//! (this binary again, with `--serve-fake` / `--client`), so that the peak RSS reported is
//! that client's alone, for that path alone: the fake keeps objects in memory. Figures are
//! medians over the runs; CPU seconds are the client process's user + system time per run.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MIB: usize = 1024 * 1024;

/// The byte at `offset` of the test object: a pattern that a misplaced chunk would break.
fn pattern(offset: usize) -> u8 {
    (offset % 251) as u8 ^ ((offset / MIB) % 256) as u8
}

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

/// User + system CPU seconds of this process so far.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
    (ticks(11) + ticks(12)) / 100.0
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn serve_fake(presign: bool) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let fake = runtime
        .block_on(
            lakefs_testkit::FakeLakeFs::builder()
                .presign(presign)
                .presign_multipart(presign)
                .start(),
        )
        .unwrap();
    println!("{}", fake.endpoint());
    // Serves (on the runtime's workers) until the parent closes our stdin.
    let mut sink = Vec::new();
    let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
    drop(fake);
}

/// Writes and reads the object `runs` times against the fake at `endpoint`; prints the
/// figures of this process.
fn run_client(endpoint: &str, size_mib: usize, runs: usize) {
    let size = size_mib * MIB;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let baseline_kib = status_kib("VmRSS:");
    let (mut write_mibs, mut read_mibs, mut write_cpu, mut read_cpu) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut paths = (None, None);
    runtime.block_on(async {
        let client = lakefs::Client::builder()
            .endpoint(endpoint)
            .access_key(
                lakefs_testkit::fake::FAKE_ACCESS_KEY_ID,
                lakefs_testkit::fake::FAKE_SECRET_ACCESS_KEY,
            )
            .build()
            .unwrap();
        let repo = client.repository("bench");
        repo.create("s3://bucket/bench").await.unwrap();
        let object = repo.branch("main").object("big.bin");
        let mut block = vec![0u8; MIB];
        for _ in 0..runs {
            // Write: 1 MiB writes of the pattern, generated into one reused buffer.
            let (started, cpu) = (Instant::now(), cpu_seconds());
            let mut writer = object.writer();
            for mib in 0..size_mib {
                for (i, byte) in block.iter_mut().enumerate() {
                    *byte = pattern(mib * MIB + i);
                }
                writer.write_all(&block).await.unwrap();
            }
            writer.shutdown().await.unwrap();
            assert_eq!(writer.stats().unwrap().size_bytes, Some(size as i64));
            paths.0 = writer.transfer_path();
            write_mibs.push(size_mib as f64 / started.elapsed().as_secs_f64());
            write_cpu.push(cpu_seconds() - cpu);

            // Read: 64 KiB reads, every byte checked.
            let (started, cpu) = (Instant::now(), cpu_seconds());
            let mut reader = object.reader();
            let mut buffer = vec![0u8; 64 * 1024];
            let mut offset = 0usize;
            loop {
                let n = reader.read(&mut buffer).await.unwrap();
                if n == 0 {
                    break;
                }
                for (i, byte) in buffer[..n].iter().enumerate() {
                    assert_eq!(*byte, pattern(offset + i), "byte {}", offset + i);
                }
                offset += n;
            }
            assert_eq!(offset, size);
            paths.1 = reader.transfer_path();
            read_mibs.push(size_mib as f64 / started.elapsed().as_secs_f64());
            read_cpu.push(cpu_seconds() - cpu);
        }
    });
    let peak_kib = status_kib("VmHWM:");
    let shown = |path: Option<lakefs::api::transfer::TransferPath>| {
        path.map_or_else(|| "?".to_string(), |p| p.to_string())
    };
    println!(
        "  writer ({}): median {:.0} MiB/s, {:.2} CPU s per run",
        shown(paths.0),
        median(&mut write_mibs),
        median(&mut write_cpu)
    );
    println!(
        "  reader ({}): median {:.0} MiB/s, {:.2} CPU s per run (checking every byte)",
        shown(paths.1),
        median(&mut read_mibs),
        median(&mut read_cpu)
    );
    println!(
        "  peak RSS (VmHWM) of the client process: {:.1} MiB (RSS before the client: {:.1} MiB)",
        peak_kib as f64 / 1024.0,
        baseline_kib as f64 / 1024.0
    );
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.first().map(String::as_str) {
        Some("--serve-fake") => {
            serve_fake(args.get(1).map(String::as_str) == Some("presigned"));
            return;
        }
        Some("--client") => {
            let number = |i: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap();
            run_client(&args[1], number(2), number(3));
            return;
        }
        _ => {}
    }
    let size_mib: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(1024);
    let runs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    let this = std::env::current_exe().unwrap();
    println!(
        "object_io: {size_mib} MiB, {runs} runs per path, fake lakeFS and client in child processes"
    );
    for (name, what) in [
        ("presigned", "presigned (S3 with presigned multipart)"),
        ("api", "lakeFS API (presign off)"),
    ] {
        let mut fake = Command::new(&this)
            .args(["--serve-fake", name])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut endpoint = String::new();
        BufReader::new(fake.stdout.take().unwrap())
            .read_line(&mut endpoint)
            .unwrap();
        println!("{what}:");
        let status = Command::new(&this)
            .args([
                "--client",
                endpoint.trim(),
                &size_mib.to_string(),
                &runs.to_string(),
            ])
            .status()
            .unwrap();
        drop(fake.stdin.take());
        let _ = fake.wait();
        assert!(status.success(), "the {name} client failed");
    }
}
