//! Transfer benchmark: this SDK's paths side by side with raw reqwest and curl, each client in
//! a process of its own (wall time, CPU seconds and peak RSS from `/usr/bin/time`), against a
//! fake lakeFS with its simulated object store (data on disk) running in this process.
//!
//! ```sh
//! cargo bench -p lakefs-api --bench transfer                       # 64 MiB
//! LAKEFS_BENCH_SIZES=64M,1G cargo bench -p lakefs-api --bench transfer
//! ```
//!
//! Needs `/usr/bin/time` (GNU time) and `curl`. Machines shared with other work give noisy wall
//! times: compare CPU seconds per GiB and peak RSS, and the ratios, not single wall times.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use lakefs_api::transfer::TransferMode;
use lakefs_api::*;
use std::process::Command;
use std::time::Instant;

const CONCURRENCY: usize = 8;
const DOWNLOAD_PART: u64 = 8 * 1024 * 1024;
const REPO: &str = "bench";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("child") {
        child(&args[2..]);
        return;
    }
    parent();
}

fn parse_size(text: &str) -> u64 {
    let text = text.trim();
    let (digits, unit) = text.split_at(text.len() - 1);
    match unit.to_ascii_uppercase().as_str() {
        "K" => digits.parse::<u64>().unwrap() << 10,
        "M" => digits.parse::<u64>().unwrap() << 20,
        "G" => digits.parse::<u64>().unwrap() << 30,
        _ => text.parse().unwrap(),
    }
}

fn client(endpoint: &str) -> LakeFsClient {
    LakeFsClient::builder()
        .endpoint(endpoint)
        .access_key(
            lakefs_fake::FAKE_ACCESS_KEY_ID,
            lakefs_fake::FAKE_SECRET_ACCESS_KEY,
        )
        .build()
        .unwrap()
}

struct Measured {
    case: String,
    wall: f64,
    cpu: f64,
    rss_mib: f64,
}

/// Runs `program args` under GNU time; the program prints its own transfer time (seconds) as
/// its last stdout line when it has one, else the wall time of the process is used.
fn measure(case: &str, program: &str, args: &[String]) -> Measured {
    let started = Instant::now();
    let output = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("TIME %U %S %M")
        .arg(program)
        .args(args)
        .output()
        .expect("GNU time (/usr/bin/time) is needed");
    let elapsed = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{case} failed: {stderr}\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let line = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("TIME "))
        .unwrap();
    let fields: Vec<f64> = line[5..]
        .split_whitespace()
        .map(|f| f.parse().unwrap())
        .collect();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let wall = stdout
        .lines()
        .last()
        .and_then(|l| l.trim().parse::<f64>().ok())
        .unwrap_or(elapsed);
    Measured {
        case: case.to_string(),
        wall,
        cpu: fields[0] + fields[1],
        rss_mib: fields[2] / 1024.0,
    }
}

fn parent() {
    let sizes = std::env::var("LAKEFS_BENCH_SIZES").unwrap_or_else(|_| "64M".into());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = std::env::temp_dir().join(format!("lakefs-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fake = runtime.block_on(async {
        lakefs_fake::FakeLakeFs::builder()
            .data_dir(dir.join("store"))
            .start()
            .await
            .unwrap()
    });
    let endpoint = fake.endpoint();
    let api = client(&endpoint);
    runtime.block_on(async {
        api.create_repository(
            &models::RepositoryCreation::new(REPO, "s3://bench/repo"),
            Default::default(),
        )
        .await
        .unwrap();
    });
    let me = std::env::current_exe().unwrap().display().to_string();
    println!(
        "transfer benchmark: {CONCURRENCY}-way, download ranges of {} MiB, clients in their own processes",
        DOWNLOAD_PART >> 20
    );
    for size_text in sizes.split(',') {
        let size = parse_size(size_text);
        let file = dir.join(format!("source-{size}"));
        write_source(&file, size);
        let file_text = file.display().to_string();
        let child = |case: &str| {
            let args = vec![
                "child".to_string(),
                case.to_string(),
                endpoint.clone(),
                size.to_string(),
                file_text.clone(),
            ];
            measure(case, &me, &args)
        };
        let mut rows = Vec::new();
        for case in [
            "sdk-upload-api",
            "sdk-upload-presigned-put",
            "sdk-upload-multipart",
            "sdk-upload-multipart-noverify",
        ] {
            rows.push(child(case));
        }
        // curl: one PUT of the whole file to a presigned URL (what a single PUT costs).
        let url = runtime.block_on(async {
            api.get_physical_address(
                REPO,
                "main",
                "curl-put",
                GetPhysicalAddressOptions::default().presign(true),
            )
            .await
            .unwrap()
            .presigned_url
            .unwrap()
        });
        rows.push(measure(
            "curl-upload-put",
            "curl",
            &[
                "-sS".into(),
                "-f".into(),
                "-o".into(),
                "/dev/null".into(),
                "-T".into(),
                file_text.clone(),
                url,
            ],
        ));
        // Downloads of the object the multipart upload stored.
        for case in [
            "sdk-download-api",
            "sdk-download-ranges",
            "sdk-download-ranges-noverify",
            "reqwest-download-ranges",
        ] {
            rows.push(child(case));
        }
        let url = runtime.block_on(async {
            api.stat_object(
                REPO,
                "main",
                "object",
                StatObjectOptions::default().presign(true),
            )
            .await
            .unwrap()
            .physical_address
        });
        let mut curl_args = vec![
            "-sS".to_string(),
            "-f".into(),
            "-Z".into(),
            "--parallel-max".into(),
            CONCURRENCY.to_string(),
        ];
        for (i, start) in (0..size).step_by(DOWNLOAD_PART as usize).enumerate() {
            if i > 0 {
                curl_args.push("--next".into());
            }
            let end = (start + DOWNLOAD_PART).min(size) - 1;
            curl_args.extend([
                "-r".into(),
                format!("{start}-{end}"),
                "-o".into(),
                "/dev/null".into(),
                url.clone(),
            ]);
        }
        rows.push(measure("curl-download-ranges", "curl", &curl_args));
        report(size, &rows);
        let _ = std::fs::remove_file(&file);
    }
    drop(fake);
    let _ = std::fs::remove_dir_all(&dir);
}

fn report(size: u64, rows: &[Measured]) {
    let gib = size as f64 / f64::from(1u32 << 30);
    let cpu_of = |name: &str| rows.iter().find(|r| r.case == name).map(|r| r.cpu);
    println!("\n{} MiB", size >> 20);
    println!(
        "{:<30} {:>8} {:>9} {:>8} {:>9} {:>9} {:>12}",
        "case", "wall s", "MiB/s", "CPU s", "CPU s/GiB", "RSS MiB", "CPU vs curl"
    );
    for row in rows {
        let curl = if row.case.contains("upload") {
            cpu_of("curl-upload-put")
        } else {
            cpu_of("curl-download-ranges")
        };
        let ratio = curl
            .filter(|&c| c > 0.0)
            .map(|c| format!("{:.2}x", row.cpu / c))
            .unwrap_or_else(|| "-".into());
        println!(
            "{:<30} {:>8.2} {:>9.1} {:>8.2} {:>9.2} {:>9.1} {:>12}",
            row.case,
            row.wall,
            (size >> 20) as f64 / row.wall.max(1e-9),
            row.cpu,
            row.cpu / gib,
            row.rss_mib,
            ratio
        );
    }
}

fn write_source(path: &std::path::Path, size: u64) {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let block: Vec<u8> = (0..1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut left = size;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        out.write_all(&block[..n]).unwrap();
        left -= n as u64;
    }
    out.flush().unwrap();
}

/// One client run; prints the transfer's seconds as its last line.
fn child(args: &[String]) {
    let (case, endpoint, size, file) = (&args[0], &args[1], parse_size(&args[2]), &args[3]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = client(endpoint);
        let started = Instant::now();
        match case.as_str() {
            "sdk-upload-api" => {
                client
                    .upload(REPO, "main", "api")
                    .file(file)
                    .mode(TransferMode::Api)
                    .send()
                    .await
                    .unwrap();
            }
            "sdk-upload-presigned-put" => {
                // A part size above the object's: one PUT.
                client
                    .upload(REPO, "main", "put")
                    .file(file)
                    .part_size(size + 1)
                    .send()
                    .await
                    .unwrap();
            }
            "sdk-upload-multipart" | "sdk-upload-multipart-noverify" => {
                client
                    .upload(REPO, "main", "object")
                    .file(file)
                    .concurrency(CONCURRENCY)
                    .verify_checksums(case == "sdk-upload-multipart")
                    .send()
                    .await
                    .unwrap();
            }
            "sdk-download-api" => {
                drain(
                    client
                        .download(REPO, "main", "object")
                        .mode(TransferMode::Api)
                        .stream()
                        .await
                        .unwrap()
                        .body,
                )
                .await
            }
            "sdk-download-ranges" | "sdk-download-ranges-noverify" => {
                drain(
                    client
                        .download(REPO, "main", "object")
                        .concurrency(CONCURRENCY)
                        .part_size(DOWNLOAD_PART)
                        .verify_checksums(case == "sdk-download-ranges")
                        .stream()
                        .await
                        .unwrap()
                        .body,
                )
                .await
            }
            "reqwest-download-ranges" => {
                let url = client
                    .stat_object(
                        REPO,
                        "main",
                        "object",
                        StatObjectOptions::default().presign(true),
                    )
                    .await
                    .unwrap()
                    .physical_address;
                let http = reqwest::Client::new();
                let ranges: Vec<(u64, u64)> = (0..size)
                    .step_by(DOWNLOAD_PART as usize)
                    .map(|s| (s, (s + DOWNLOAD_PART).min(size) - 1))
                    .collect();
                let total: u64 = futures::stream::iter(ranges)
                    .map(|(a, b)| {
                        let request = http.get(&url).header("range", format!("bytes={a}-{b}"));
                        async move {
                            let mut body = request.send().await?.error_for_status()?.bytes_stream();
                            let mut n = 0u64;
                            while let Some(chunk) = body.try_next().await? {
                                n += chunk.len() as u64;
                            }
                            Ok::<u64, reqwest::Error>(n)
                        }
                    })
                    .buffer_unordered(CONCURRENCY)
                    .try_fold(0, |t, n| async move { Ok(t + n) })
                    .await
                    .unwrap();
                assert_eq!(total, size);
            }
            other => panic!("unknown case {other}"),
        }
        println!("{:.3}", started.elapsed().as_secs_f64());
    });
}

async fn drain(mut body: ByteStream) {
    let mut n = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk: Bytes = chunk.unwrap();
        n += chunk.len() as u64;
    }
    std::hint::black_box(n);
}
