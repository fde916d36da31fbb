//! Transfer benchmark: this SDK's paths side by side with raw reqwest and curl at the same
//! parallelism, each client in a process of its own (wall time, CPU seconds and peak RSS from
//! `/usr/bin/time`), against a fake lakeFS with its simulated object store (data on disk)
//! running in this process, so that its hashing and disk writes are not the client's.
//!
//! ```sh
//! cargo bench -p lakefs-api --bench transfer                       # 64 MiB
//! LAKEFS_BENCH_SIZES=64M,1G cargo bench -p lakefs-api --bench transfer
//! LAKEFS_BENCH_THROTTLE=50M LAKEFS_BENCH_SIZES=256M cargo bench -p lakefs-api --bench transfer
//! LAKEFS_BENCH_RUNS=3 ...                                          # medians of 3 runs
//! LAKEFS_BENCH_CASES=sdk-download-ranges,curl-download-ranges ...   # some cases only
//! LAKEFS_BENCH_RANGE=2M ...                                        # download range size
//! ```
//!
//! Unthrottled, on loopback, the measure is CPU: the client's CPU seconds per GiB beside
//! curl's for the same transfer (uploads: the same parts, 8 at a time, to presigned part URLs;
//! downloads: the same ranges, 8 at a time, into `/dev/null`, and into files: the SDK's one
//! file written at the ranges' offsets, curl's a file per range, both in
//! `LAKEFS_BENCH_SINK_DIR` (default: the temporary directory; `/dev/shm` leaves the disk's
//! writeback out), after a `sync`). With integrity checks on, every
//! byte is hashed (MD5): those rows are also compared with curl plus `md5sum` of the file.
//! `LAKEFS_BENCH_THROTTLE=50M` limits every connection of the fake (API and store, both
//! directions) to 50 MiB/s and compares the parallel presigned paths with the API path.
//!
//! Needs `/usr/bin/time` (GNU time) and `curl`. Machines shared with other work give noisy wall
//! times: compare CPU seconds per GiB and peak RSS, and the ratios, not single wall times.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use lakefs_api::transfer::{MIN_PART_SIZE, TransferMode, part_size_for};
use lakefs_api::*;
use std::process::Command;
use std::time::Instant;

const CONCURRENCY: usize = 8;
/// Where downloads to files write.
fn sink_dir() -> std::path::PathBuf {
    std::env::var_os("LAKEFS_BENCH_SINK_DIR")
        .map(Into::into)
        .unwrap_or_else(std::env::temp_dir)
}

/// The file the SDK's download to a file writes, named after the bench's own directory (that
/// of `source`), so that the parent and its child agree on it.
fn sdk_download_target(source: &str) -> std::path::PathBuf {
    let bench_dir = std::path::Path::new(source)
        .parent()
        .and_then(|d| d.file_name())
        .unwrap()
        .to_string_lossy()
        .into_owned();
    sink_dir().join(format!("{bench_dir}-downloaded"))
}

/// Writes dirty pages out, so that a file sink does not pay for the last run's writeback.
fn sync() {
    assert!(Command::new("sync").status().unwrap().success());
}

/// The download ranges' size, unless `LAKEFS_BENCH_RANGE` says otherwise (read once).
fn download_part() -> u64 {
    static PART: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *PART.get_or_init(|| {
        std::env::var("LAKEFS_BENCH_RANGE")
            .map(|r| parse_size(&r))
            .unwrap_or(8 * 1024 * 1024)
    })
}
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
    /// Minor page faults: fresh memory costs one per 4 KiB written.
    faults: f64,
}

/// Runs `program args` under GNU time; the program prints its own transfer time (seconds) as
/// its last stdout line when it has one, else the wall time of the process is used.
fn measure(case: &str, program: &str, args: &[String]) -> Measured {
    let started = Instant::now();
    let output = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("TIME %U %S %M %R")
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
        faults: fields[3],
    }
}

/// A fake lakeFS with data on disk and the bench repository. Every upload case gets a fresh
/// one (the store keeps every object it was sent; a new fake keeps the disk use to one copy).
struct Lake {
    fake: Option<lakefs_fake::FakeLakeFs>,
    api: LakeFsClient,
    endpoint: String,
    store: std::path::PathBuf,
}

impl Lake {
    fn start(
        runtime: &tokio::runtime::Runtime,
        dir: &std::path::Path,
        throttle: Option<u64>,
    ) -> Lake {
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let store = dir.join(format!("store-{n}"));
        let fake = runtime.block_on(async {
            let mut builder = lakefs_fake::FakeLakeFs::builder().data_dir(&store);
            if let Some(limit) = throttle {
                let both = lakefs_fake::Bandwidth {
                    upload: Some(limit),
                    download: Some(limit),
                };
                builder = builder.api_bandwidth(both).storage_bandwidth(both);
            }
            builder.start().await.unwrap()
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
        Lake {
            fake: Some(fake),
            api,
            endpoint,
            store,
        }
    }
}

impl Drop for Lake {
    fn drop(&mut self) {
        drop(self.fake.take());
        let _ = std::fs::remove_dir_all(&self.store);
    }
}

fn parent() {
    let sizes = std::env::var("LAKEFS_BENCH_SIZES").unwrap_or_else(|_| "64M".into());
    let throttle = std::env::var("LAKEFS_BENCH_THROTTLE")
        .ok()
        .map(|t| parse_size(&t));
    let runs: usize = std::env::var("LAKEFS_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1)
        .max(1);
    // A comma-separated subset of the cases (large sizes: spare the disk the curl part files).
    let only = std::env::var("LAKEFS_BENCH_CASES").ok();
    let wanted = |case: &str| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|c| c == case))
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = std::env::temp_dir().join(format!("lakefs-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let me = std::env::current_exe().unwrap().display().to_string();
    println!(
        "transfer benchmark: {CONCURRENCY}-way, download ranges of {} MiB, clients in their own processes, median of {runs} run(s){}",
        download_part() >> 20,
        throttle
            .map(|t| format!(", every connection limited to {} MiB/s", t >> 20))
            .unwrap_or_default()
    );
    let (upload_cases, download_cases): (&[&str], &[&str]) = if throttle.is_some() {
        // The API path is one stream: one connection's limit. The presigned paths use 8.
        (
            &["sdk-upload-api", "sdk-upload-multipart"],
            &["sdk-download-api", "sdk-download-ranges"],
        )
    } else {
        (
            &[
                "sdk-upload-api",
                "sdk-upload-presigned-put",
                "sdk-upload-multipart",
                "sdk-upload-multipart-noverify",
                "blocking-upload-multipart",
                "blocking-upload-multipart-noverify",
                "reqwest-upload-parts",
            ],
            &[
                "sdk-download-api",
                "sdk-download-ranges",
                "sdk-download-ranges-noverify",
                "sdk-download-ranges-file",
                "reqwest-download-ranges",
            ],
        )
    };
    for size_text in sizes.split(',') {
        let size = parse_size(size_text);
        let file = dir.join(format!("source-{size}"));
        write_source(&file, size);
        let file_text = file.display().to_string();
        let child = |case: &str, endpoint: &str| {
            let args = vec![
                "child".to_string(),
                case.to_string(),
                endpoint.to_string(),
                size.to_string(),
                file_text.clone(),
            ];
            measure(case, &me, &args)
        };
        let mut rows = Vec::new();
        for &case in upload_cases.iter().filter(|c| wanted(c)) {
            rows.push(median(runs, || {
                let lake = Lake::start(&runtime, &dir, throttle);
                child(case, &lake.endpoint)
            }));
        }
        if throttle.is_none() {
            if wanted("curl-upload-put") {
                rows.push(median(runs, || {
                    let lake = Lake::start(&runtime, &dir, None);
                    curl_upload_put(&runtime, &lake.api, &file_text)
                }));
            }
            if wanted("curl-upload-parts") {
                rows.push(median(runs, || {
                    let lake = Lake::start(&runtime, &dir, None);
                    curl_upload_parts(&runtime, &lake.api, &dir, &file, size)
                }));
            }
            if wanted("md5sum") {
                rows.push(median(runs, || {
                    measure("md5sum", "md5sum", std::slice::from_ref(&file_text))
                }));
            }
        }
        // Downloads of one object stored by a multipart upload (from this process).
        let lake = Lake::start(&runtime, &dir, throttle);
        runtime.block_on(async {
            lake.api
                .upload(REPO, "main", "object")
                .file(&file)
                .concurrency(CONCURRENCY)
                .send()
                .await
                .unwrap();
        });
        for &case in download_cases.iter().filter(|c| wanted(c)) {
            let to_file = case.ends_with("-file");
            rows.push(median(runs, || {
                if !to_file {
                    return child(case, &lake.endpoint);
                }
                sync();
                let measured = child(case, &lake.endpoint);
                let target = sdk_download_target(&file_text);
                let written = std::fs::metadata(&target).unwrap().len();
                assert_eq!(written, size, "{case} wrote a file of another size");
                std::fs::remove_file(target).unwrap();
                measured
            }));
        }
        if throttle.is_none() && wanted("curl-download-ranges") {
            rows.push(median(runs, || {
                curl_download_ranges(&runtime, &lake.api, size, None)
            }));
        }
        if throttle.is_none() && wanted("curl-download-ranges-file") {
            rows.push(median(runs, || {
                sync();
                curl_download_ranges(&runtime, &lake.api, size, Some(&sink_dir()))
            }));
        }
        drop(lake);
        let _ = std::fs::remove_file(&file);
        if throttle.is_some() {
            report_throttled(size, &rows);
        } else {
            report(size, &rows);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The median of `runs` measurements (wall, CPU and RSS each).
fn median(runs: usize, mut run: impl FnMut() -> Measured) -> Measured {
    let all: Vec<Measured> = (0..runs).map(|_| run()).collect();
    let middle = |pick: fn(&Measured) -> f64| {
        let mut values: Vec<f64> = all.iter().map(pick).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    Measured {
        case: all[0].case.clone(),
        wall: middle(|m| m.wall),
        cpu: middle(|m| m.cpu),
        rss_mib: middle(|m| m.rss_mib),
        faults: middle(|m| m.faults),
    }
}

/// curl: one PUT of the whole file to a presigned URL (what a single PUT costs).
fn curl_upload_put(runtime: &tokio::runtime::Runtime, api: &LakeFsClient, file: &str) -> Measured {
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
    measure(
        "curl-upload-put",
        "curl",
        &[
            "-sS".into(),
            "-f".into(),
            "-o".into(),
            "/dev/null".into(),
            "-T".into(),
            file.into(),
            url,
        ],
    )
}

/// curl: the parts the SDK would send (same part size), 8 at a time, each from a file of its
/// own (curl cannot send a slice of a file), to the part URLs of a presigned multipart upload
/// that is aborted afterwards.
fn curl_upload_parts(
    runtime: &tokio::runtime::Runtime,
    api: &LakeFsClient,
    dir: &std::path::Path,
    file: &std::path::Path,
    size: u64,
) -> Measured {
    let part = part_size_for(size, MIN_PART_SIZE);
    let count = size.div_ceil(part);
    let created = runtime.block_on(async {
        api.create_presign_multipart_upload(
            REPO,
            "main",
            "curl-parts",
            CreatePresignMultipartUploadOptions::default().parts(count as i64),
        )
        .await
        .unwrap()
    });
    let urls = created.presigned_urls.clone().unwrap();
    let parts = split_into_parts(dir, file, part);
    let mut args = vec![
        "-sS".to_string(),
        "-f".into(),
        "-Z".into(),
        "--parallel-max".into(),
        CONCURRENCY.to_string(),
    ];
    for (i, (path, url)) in parts.iter().zip(&urls).enumerate() {
        if i > 0 {
            args.push("--next".into());
        }
        args.extend([
            "-o".into(),
            "/dev/null".into(),
            "-T".into(),
            path.display().to_string(),
            url.clone(),
        ]);
    }
    let measured = measure("curl-upload-parts", "curl", &args);
    runtime.block_on(async {
        let abort = AbortPresignMultipartUploadOptions::default().abort_presign_multipart_upload(
            models::AbortPresignMultipartUpload::new(created.physical_address.clone()),
        );
        api.abort_presign_multipart_upload(REPO, "main", &created.upload_id, "curl-parts", abort)
            .await
            .unwrap();
    });
    for path in parts {
        let _ = std::fs::remove_file(path);
    }
    measured
}

fn split_into_parts(
    dir: &std::path::Path,
    file: &std::path::Path,
    part: u64,
) -> Vec<std::path::PathBuf> {
    use std::io::Read;
    let mut source = std::fs::File::open(file).unwrap();
    let mut buffer = vec![0u8; part as usize];
    let mut paths = Vec::new();
    loop {
        let mut filled = 0;
        while filled < buffer.len() {
            let n = source.read(&mut buffer[filled..]).unwrap();
            if n == 0 {
                break;
            }
            filled += n;
        }
        if filled == 0 {
            return paths;
        }
        let path = dir.join(format!("part-{}", paths.len() + 1));
        std::fs::write(&path, &buffer[..filled]).unwrap();
        paths.push(path);
    }
}

/// curl: the same ranges as the SDK, 8 at a time, into `/dev/null`, or into files in
/// `files` (a file per range: curl cannot write at an offset of one file).
fn curl_download_ranges(
    runtime: &tokio::runtime::Runtime,
    api: &LakeFsClient,
    size: u64,
    files: Option<&std::path::Path>,
) -> Measured {
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
    let mut args = vec![
        "-sS".to_string(),
        "-f".into(),
        "-Z".into(),
        "--parallel-max".into(),
        CONCURRENCY.to_string(),
    ];
    for (i, start) in (0..size).step_by(download_part() as usize).enumerate() {
        if i > 0 {
            args.push("--next".into());
        }
        let end = (start + download_part()).min(size) - 1;
        let output = files
            .map(|dir| {
                dir.join(format!("lakefs-bench-curl-range-{i}"))
                    .display()
                    .to_string()
            })
            .unwrap_or_else(|| "/dev/null".into());
        args.extend([
            "-r".into(),
            format!("{start}-{end}"),
            "-o".into(),
            output,
            url.clone(),
        ]);
    }
    let case = if files.is_some() {
        "curl-download-ranges-file"
    } else {
        "curl-download-ranges"
    };
    let measured = measure(case, "curl", &args);
    if let Some(dir) = files {
        let mut written = 0;
        for i in 0..size.div_ceil(download_part()) {
            let range = dir.join(format!("lakefs-bench-curl-range-{i}"));
            written += std::fs::metadata(&range).unwrap().len();
            std::fs::remove_file(range).unwrap();
        }
        assert_eq!(written, size);
    }
    measured
}

fn report(size: u64, rows: &[Measured]) {
    let gib = size as f64 / f64::from(1u32 << 30);
    let cpu_of = |name: &str| rows.iter().find(|r| r.case == name).map(|r| r.cpu);
    let ratio = |cpu: f64, base: Option<f64>| {
        base.filter(|&b| b > 0.0)
            .map(|b| format!("{:.2}x", cpu / b))
            .unwrap_or_else(|| "-".into())
    };
    println!("\n{} MiB", size >> 20);
    println!(
        "{:<36} {:>7} {:>8} {:>7} {:>9} {:>8} {:>8} {:>8} {:>10} {:>8}",
        "case",
        "wall s",
        "MiB/s",
        "CPU s",
        "CPU s/GiB",
        "RSS MiB",
        "faults",
        "vs curl",
        "vs c+md5",
        "vs reqw"
    );
    for row in rows {
        let (curl, reqwest) = if row.case.contains("download") && row.case.ends_with("-file") {
            (cpu_of("curl-download-ranges-file"), None)
        } else if row.case.contains("download") {
            (
                cpu_of("curl-download-ranges"),
                cpu_of("reqwest-download-ranges"),
            )
        } else if row.case.contains("multipart") || row.case.contains("parts") {
            (cpu_of("curl-upload-parts"), cpu_of("reqwest-upload-parts"))
        } else if row.case.contains("upload") {
            (cpu_of("curl-upload-put"), None)
        } else {
            (None, None)
        };
        // Rows that hash every byte, beside curl plus md5sum of the same bytes.
        let hashing = row.case.contains("upload")
            && !row.case.contains("noverify")
            && !row.case.contains("api")
            && (row.case.starts_with("sdk") || row.case.starts_with("blocking"));
        let with_md5 = hashing.then(|| Some(curl? + cpu_of("md5sum")?)).flatten();
        println!(
            "{:<36} {:>7.2} {:>8.1} {:>7.2} {:>9.2} {:>8.1} {:>8.0} {:>8} {:>10} {:>8}",
            row.case,
            row.wall,
            (size >> 20) as f64 / row.wall.max(1e-9),
            row.cpu,
            row.cpu / gib,
            row.rss_mib,
            row.faults,
            ratio(row.cpu, curl),
            ratio(row.cpu, with_md5),
            ratio(row.cpu, reqwest),
        );
    }
    let wall_of = |name: &str| rows.iter().find(|r| r.case == name).map(|r| r.wall);
    if let (Some(blocking), Some(async_)) = (
        wall_of("blocking-upload-multipart"),
        wall_of("sdk-upload-multipart"),
    ) {
        println!(
            "blocking multipart upload throughput / async: {:.2}x",
            async_ / blocking.max(1e-9)
        );
    }
}

fn report_throttled(size: u64, rows: &[Measured]) {
    let wall_of = |name: &str| rows.iter().find(|r| r.case == name).map(|r| r.wall);
    println!("\n{} MiB", size >> 20);
    println!(
        "{:<36} {:>7} {:>8} {:>8} {:>12}",
        "case", "wall s", "MiB/s", "RSS MiB", "vs API path"
    );
    for row in rows {
        let api = if row.case.contains("download") {
            wall_of("sdk-download-api")
        } else {
            wall_of("sdk-upload-api")
        };
        println!(
            "{:<36} {:>7.2} {:>8.1} {:>8.1} {:>12}",
            row.case,
            row.wall,
            (size >> 20) as f64 / row.wall.max(1e-9),
            row.rss_mib,
            api.map(|a| format!("{:.2}x", a / row.wall.max(1e-9)))
                .unwrap_or_else(|| "-".into()),
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
    if let Some(verify) = match case.as_str() {
        "blocking-upload-multipart" => Some(true),
        "blocking-upload-multipart-noverify" => Some(false),
        _ => None,
    } {
        // The blocking facade runs its own runtime: no runtime of ours around it.
        let client = lakefs_blocking::LakeFsClient::from_builder(
            LakeFsClient::builder().endpoint(endpoint).access_key(
                lakefs_fake::FAKE_ACCESS_KEY_ID,
                lakefs_fake::FAKE_SECRET_ACCESS_KEY,
            ),
        )
        .unwrap();
        let started = Instant::now();
        client
            .upload(REPO, "main", "blocking")
            .file(file)
            .concurrency(CONCURRENCY)
            .verify_checksums(verify)
            .send()
            .unwrap();
        println!("{:.3}", started.elapsed().as_secs_f64());
        return;
    }
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
            "reqwest-upload-parts" => reqwest_upload_parts(&client, size, file).await,
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
                        .part_size(download_part())
                        .verify_checksums(case == "sdk-download-ranges")
                        .stream()
                        .await
                        .unwrap()
                        .body,
                )
                .await
            }
            "sdk-download-ranges-file" => {
                let target = sdk_download_target(file);
                client
                    .download(REPO, "main", "object")
                    .concurrency(CONCURRENCY)
                    .part_size(download_part())
                    .to_file(&target)
                    .await
                    .unwrap();
                // The parent checks and removes it (outside this process's CPU time, as
                // for curl's files).
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
                    .step_by(download_part() as usize)
                    .map(|s| (s, (s + download_part()).min(size) - 1))
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

/// Raw reqwest: the SDK's parts (same size), read from the file and PUT 8 at a time to the
/// part URLs of a presigned multipart upload, which is then aborted.
async fn reqwest_upload_parts(client: &LakeFsClient, size: u64, file: &str) {
    use std::io::{Read, Seek, SeekFrom};
    let part = part_size_for(size, MIN_PART_SIZE);
    let created = client
        .create_presign_multipart_upload(
            REPO,
            "main",
            "reqwest-parts",
            CreatePresignMultipartUploadOptions::default().parts(size.div_ceil(part) as i64),
        )
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let urls = created.presigned_urls.clone().unwrap();
    futures::stream::iter(urls.into_iter().enumerate())
        .map(|(i, url)| {
            let http = http.clone();
            let file = file.to_string();
            async move {
                let start = i as u64 * part;
                let len = part.min(size - start) as usize;
                let data = tokio::task::spawn_blocking(move || {
                    let mut f = std::fs::File::open(file).unwrap();
                    f.seek(SeekFrom::Start(start)).unwrap();
                    let mut data = vec![0u8; len];
                    f.read_exact(&mut data).unwrap();
                    Bytes::from(data)
                })
                .await
                .unwrap();
                http.put(url)
                    .body(data)
                    .send()
                    .await?
                    .error_for_status()
                    .map(|_| ())
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await
        .unwrap();
    let abort = AbortPresignMultipartUploadOptions::default().abort_presign_multipart_upload(
        models::AbortPresignMultipartUpload::new(created.physical_address.clone()),
    );
    client
        .abort_presign_multipart_upload(REPO, "main", &created.upload_id, "reqwest-parts", abort)
        .await
        .unwrap();
}
