//! Uploading and downloading a large object straight to and from the object store, with
//! bounded memory: `client.upload(..)` and `client.download(..)`.
//!
//! ```sh
//! cargo run --release --example transfer -- 256M   # size in bytes, or with suffix K, M or G
//! cargo run --release --example transfer           # 1G
//! ```
//!
//! The data is generated on the fly, 1 MiB at a time, from a deterministic pattern (never as one
//! buffer of the whole object) and uploaded as a stream of known length. The SDK picks the path
//! from the repository's storage: on S3 (and on the fake, which plays S3) a parallel presigned
//! multipart upload, then parallel ranged GETs straight from the store; without presign
//! support, the lakeFS API. The download is checked chunk by chunk against the pattern as it
//! arrives, in order. A progress bar is drawn on stderr when it is a terminal; the path taken,
//! the throughput of both directions and the process's peak memory (VmHWM) are printed. The
//! program fails if a single downloaded byte differs.
//!
//! Without a configured lakeFS, an embedded fake is started that keeps its data in a temporary
//! directory (not in memory), so the peak memory printed is the client's own plus the fake's
//! small buffers. The object is deleted at the end (it is never committed).

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{Stream, TryStreamExt, future, stream};
use lakefs_api::{LakeFsClient, LakectlSettings, ObjectsApi, RepositoriesApi, models};
use lakefs_examples::{Failure, mebibytes, storage_namespace};
use lakefs_fake::FakeLakeFs;

const REPO_NAME: &str = "transfer-example";
/// The size when no argument is given.
const DEFAULT_SIZE: &str = "1G";
/// Upload chunk size: the most the generator holds at a time.
const CHUNK_SIZE: u64 = 1024 * 1024;
/// Parts or ranges in flight at once.
const CONCURRENCY: usize = 8;
/// Progress bar redraws at most this often.
const REDRAW_INTERVAL: Duration = Duration::from_millis(100);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let argument = std::env::args().nth(1);
    let size = match parse_size(argument.as_deref().unwrap_or(DEFAULT_SIZE)) {
        Ok(size) => size,
        Err(message) => {
            eprintln!(
                "{message}\nusage: cargo run --release --example transfer -- [SIZE]   \
                 (bytes, or with suffix K, M or G; default {DEFAULT_SIZE})"
            );
            std::process::exit(2);
        }
    };

    let (client, fake, _data_dir) = connect().await?;
    let namespace = storage_namespace(&client, REPO_NAME, fake.is_some()).await?;
    let creation = models::RepositoryCreation::new(REPO_NAME, namespace);
    let repository = match client
        .create_repository(&creation, Default::default())
        .await
    {
        Ok(repository) => repository,
        Err(err) if err.is_conflict() => client.get_repository(REPO_NAME).await?,
        Err(err) => return Err(err.into()),
    };
    let branch = repository.default_branch;
    let path = format!("transfer/{size}-bytes.bin");

    // 1. Upload a generated stream of known length; the SDK cuts it into parts.
    println!(
        "\n--- 1. Uploading {size} bytes ({:.1} MiB) to '{REPO_NAME}/{branch}/{path}' ---",
        mebibytes(size)
    );
    let started = Instant::now();
    let bar = Arc::new(Mutex::new(Progress::new("upload", size)));
    let shown = bar.clone();
    let outcome = client
        .upload(REPO_NAME, &branch, &path)
        .stream(pattern_stream(size), Some(size))
        .content_type("application/octet-stream")
        .concurrency(CONCURRENCY)
        .on_progress(move |p| lock(&shown).update(p.bytes_done))
        .send()
        .await?;
    let upload_time = started.elapsed();
    drop(bar);
    if outcome.stats.size_bytes != Some(size as i64) {
        return Err(Failure::new(format!(
            "lakeFS stored {:?} bytes, not {size}",
            outcome.stats.size_bytes
        ))
        .into());
    }
    report("Upload", size, upload_time);
    println!("  path: {} ({} parts)", outcome.path, outcome.parts);

    // 2. Download and check chunk by chunk, in order, as the ranges arrive.
    println!("\n--- 2. Downloading and checking '{REPO_NAME}/{branch}/{path}' ---");
    let started = Instant::now();
    let download = client
        .download(REPO_NAME, &branch, &path)
        .concurrency(CONCURRENCY)
        .stream()
        .await?;
    let download_path = download.path;
    let mut progress = Progress::new("download", size);
    let mut checker = PatternChecker::default();
    let mut body = download.body;
    while let Some(chunk) = body.try_next().await? {
        checker.check(&chunk, size)?;
        progress.update(checker.received);
    }
    let download_time = started.elapsed();
    if checker.received != size {
        return Err(
            Failure::new(format!("downloaded {} bytes, not {size}", checker.received)).into(),
        );
    }
    report("Download", size, download_time);
    println!("  path: {download_path}");
    println!("All {size} downloaded bytes match the uploaded pattern.");

    // 3. Clean up: the object was only staged, never committed.
    println!("\n--- 3. Deleting '{REPO_NAME}/{branch}/{path}' ---");
    client
        .delete_object(REPO_NAME, &branch, &path, Default::default())
        .await?;
    println!("Deleted.");

    println!("\nSummary ({:.1} MiB):", mebibytes(size));
    println!(
        "  upload:   {:>8.1} MiB/s  ({})",
        rate(size, upload_time),
        outcome.path
    );
    println!(
        "  download: {:>8.1} MiB/s  ({download_path})",
        rate(size, download_time)
    );
    match peak_memory_kib() {
        Some(kib) => println!(
            "  peak memory (VmHWM) of this process: {:.1} MiB{}",
            kib as f64 / 1024.0,
            if fake.is_some() {
                ", the embedded fake included"
            } else {
                ""
            }
        ),
        None => println!("  peak memory: not available on this system"),
    }
    Ok(())
}

/// A client for the configured lakeFS (`LAKECTL_*`, `~/.lakectl.yaml`), else for an embedded
/// fake that keeps its data in a temporary directory (removed at the end).
async fn connect()
-> Result<(LakeFsClient, Option<FakeLakeFs>, Option<TempDir>), Box<dyn std::error::Error>> {
    if LakectlSettings::load()?.endpoint.is_some() {
        let client = LakeFsClient::from_env()?;
        println!("Using lakeFS at {}", client.base_url());
        return Ok((client, None, None));
    }
    let dir = TempDir::new()?;
    let fake = FakeLakeFs::builder().data_dir(&dir.0).start().await?;
    println!(
        "No lakeFS configured (LAKECTL_SERVER_ENDPOINT_URL / ~/.lakectl.yaml): using an \
         embedded fake lakeFS at {} (data in {})",
        fake.endpoint(),
        dir.0.display()
    );
    Ok((fake.client()?, Some(fake), Some(dir)))
}

/// A directory removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> std::io::Result<TempDir> {
        let dir =
            std::env::temp_dir().join(format!("lakefs-transfer-example-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The peak resident memory of this process (`VmHWM` of `/proc/self/status`), in KiB.
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Parses `1048576`, `512K`, `256M`, `1G` (binary multiples, case-insensitive).
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, multiplier) = match text.chars().last() {
        Some(unit) if unit.is_ascii_alphabetic() => {
            let multiplier: u64 = match unit.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                _ => return Err(format!("unknown size suffix {unit:?} in {text:?}")),
            };
            (&text[..text.len() - 1], multiplier)
        }
        _ => (text, 1),
    };
    let count: u64 = digits
        .parse()
        .map_err(|_| format!("invalid size {text:?}"))?;
    match count.checked_mul(multiplier) {
        Some(0) => Err("the size must be at least 1 byte".to_string()),
        Some(size) => Ok(size),
        None => Err(format!("size {text:?} is too large")),
    }
}

/// The 8 pattern bytes at object offsets `8 * index .. 8 * index + 8`: a different word at
/// every position, so that lost, repeated or reordered data is detected.
fn pattern_word(index: u64) -> [u8; 8] {
    (index ^ 0x6c61_6b65_4653)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .to_le_bytes()
}

/// Fills `buf` with the pattern bytes found at object offset `offset` onwards.
fn fill_pattern(offset: u64, buf: &mut [u8]) {
    // Bytes before the next multiple of 8, then whole words, then the rest.
    let head = ((8 - offset % 8) % 8).min(buf.len() as u64) as usize;
    let (head_bytes, rest) = buf.split_at_mut(head);
    for (position, byte) in (offset..).zip(head_bytes.iter_mut()) {
        *byte = pattern_word(position / 8)[(position % 8) as usize];
    }
    let mut index = (offset + head as u64) / 8;
    let mut words = rest.chunks_exact_mut(8);
    for word in &mut words {
        word.copy_from_slice(&pattern_word(index));
        index += 1;
    }
    let tail = words.into_remainder();
    let tail_len = tail.len();
    tail.copy_from_slice(&pattern_word(index)[..tail_len]);
}

/// `size` pattern bytes as a stream of 1 MiB chunks, generated when the upload asks for them.
fn pattern_stream(size: u64) -> impl Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    stream::unfold(0u64, move |offset| {
        let next = (offset < size).then(|| {
            let len = CHUNK_SIZE.min(size - offset);
            let mut chunk = vec![0u8; len as usize];
            fill_pattern(offset, &mut chunk);
            (Ok(Bytes::from(chunk)), offset + len)
        });
        future::ready(next)
    })
}

/// Checks downloaded chunks, of whatever sizes they arrive in, against the pattern.
#[derive(Debug, Default)]
struct PatternChecker {
    /// Bytes checked so far.
    received: u64,
    /// The expected bytes of the current chunk; reused, so it only grows to the largest chunk.
    expected: Vec<u8>,
}

impl PatternChecker {
    fn check(&mut self, chunk: &[u8], size: u64) -> Result<(), Failure> {
        let end = self.received + chunk.len() as u64;
        if end > size {
            return Err(Failure::new(format!("the download goes past {size} bytes")));
        }
        self.expected.resize(chunk.len(), 0);
        fill_pattern(self.received, &mut self.expected);
        if let Some(at) = chunk.iter().zip(&self.expected).position(|(a, b)| a != b) {
            return Err(Failure::new(format!(
                "downloaded data differs from the upload at byte {}",
                self.received + at as u64
            )));
        }
        self.received = end;
        Ok(())
    }
}

/// A progress bar on stderr, `upload   [#####...............]  25%  123.4 MiB/s`, redrawn
/// at most every 100 ms. When stderr is not a terminal (logs, CI) only the final state is
/// drawn, once.
#[derive(Debug)]
struct Progress {
    label: &'static str,
    total: u64,
    started: Instant,
    last_draw: Option<Instant>,
    terminal: bool,
    done: bool,
}

impl Progress {
    const WIDTH: u64 = 30;

    fn new(label: &'static str, total: u64) -> Self {
        Progress {
            label,
            total,
            started: Instant::now(),
            last_draw: None,
            terminal: std::io::stderr().is_terminal(),
            done: false,
        }
    }

    /// Records that `current` bytes are through; the bar ends its line at the total.
    fn update(&mut self, current: u64) {
        if self.done {
            return;
        }
        let now = Instant::now();
        let finished = current >= self.total;
        let due = self
            .last_draw
            .is_none_or(|last| now.duration_since(last) >= REDRAW_INTERVAL);
        // Draw the final state always, intermediate states only on a terminal.
        let draw = finished || (self.terminal && due);
        if !draw {
            return;
        }
        self.last_draw = Some(now);
        let filled = (current.min(self.total) * Self::WIDTH / self.total.max(1)) as usize;
        let percent = current.min(self.total) * 100 / self.total.max(1);
        let speed = rate(current, now.duration_since(self.started));
        let bar = format!(
            "{}{}",
            "#".repeat(filled),
            ".".repeat(Self::WIDTH as usize - filled)
        );
        let mut stderr = std::io::stderr().lock();
        // A progress bar that cannot be drawn is no reason to fail the transfer.
        let _ = write!(
            stderr,
            "\r{:<8} [{bar}] {percent:>3}% {speed:>8.1} MiB/s",
            self.label
        );
        if finished {
            let _ = writeln!(stderr);
            self.done = true;
        }
        let _ = stderr.flush();
    }
}

impl Drop for Progress {
    /// Ends a bar left unfinished (the transfer failed), so that the error starts a line.
    fn drop(&mut self) {
        if self.terminal && self.last_draw.is_some() && !self.done {
            eprintln!();
        }
    }
}

/// MiB per second.
fn rate(bytes: u64, elapsed: Duration) -> f64 {
    mebibytes(bytes) / elapsed.as_secs_f64().max(1e-9)
}

fn report(direction: &str, size: u64, elapsed: Duration) {
    println!(
        "{direction}: {size} bytes ({:.1} MiB) in {:.2} s = {:.1} MiB/s",
        mebibytes(size),
        elapsed.as_secs_f64(),
        rate(size, elapsed)
    );
}
