//! The download builder: [`LakeFsClient::download`].

use super::ranged::RangedReader;
use super::store::{RangeSink, hex, is_md5};
use super::{
    DEFAULT_DOWNLOAD_CONCURRENCY, DEFAULT_DOWNLOAD_PART_SIZE, Meter, ProgressCallback, Task,
    TransferMode, TransferPath, TransferProgress,
};
use crate::error::{Error, Result};
use crate::{ByteStream, GetObjectOptions, LakeFsClient, ObjectsApi};
use bytes::Bytes;
use futures::stream::{StreamExt, TryStreamExt};
use md5::{Digest, Md5};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

/// The smallest download range accepted (lakectl's minimum).
const MIN_DOWNLOAD_PART_SIZE: u64 = 64 * 1024;

/// A download from a ref, built by [`LakeFsClient::download`]; run it with
/// [`stream`](Self::stream), [`to_file`](Self::to_file) or [`to_writer`](Self::to_writer).
///
/// ```no_run
/// # async fn run(client: lakefs_api::LakeFsClient) -> lakefs_api::Result<()> {
/// let outcome = client
///     .download("repo", "main", "data/big.parquet")
///     .concurrency(8)
///     .to_file("/tmp/big.parquet")
///     .await?;
/// println!("{} bytes by {}", outcome.bytes, outcome.path);
/// # Ok(()) }
/// ```
#[must_use = "a download does nothing until it is run"]
pub struct Download {
    client: LakeFsClient,
    repository: String,
    ref_: String,
    path: String,
    range: Option<Range<u64>>,
    part_size: u64,
    concurrency: usize,
    mode: TransferMode,
    verify: bool,
    progress: Option<ProgressCallback>,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("repository", &self.repository)
            .field("ref", &self.ref_)
            .field("path", &self.path)
            .field("range", &self.range)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// A download as an in-order stream of chunks.
#[derive(Debug)]
#[non_exhaustive]
pub struct DownloadStream {
    /// The path the data takes.
    pub path: TransferPath,
    /// Bytes to come, when known.
    pub size: Option<u64>,
    /// The content. With parallel ranges, at most `concurrency` ranges are held while they
    /// wait for their turn, however slow one of them is.
    pub body: ByteStream,
}

/// What a finished download did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadOutcome {
    /// The path the data took.
    pub path: TransferPath,
    /// Bytes written.
    pub bytes: u64,
}

impl DownloadOutcome {
    /// An outcome, for wrappers that run the download themselves (the blocking facade).
    pub fn new(path: TransferPath, bytes: u64) -> Self {
        DownloadOutcome { path, bytes }
    }
}

impl LakeFsClient {
    /// A download of one object from `ref_`, straight from the object store when the
    /// repository's storage allows: one presigned GET below the part size, parallel ranged
    /// GETs above it, the lakeFS API otherwise.
    pub fn download(&self, repository: &str, ref_: &str, path: &str) -> Download {
        Download {
            client: self.clone(),
            repository: repository.into(),
            ref_: ref_.into(),
            path: path.into(),
            range: None,
            part_size: DEFAULT_DOWNLOAD_PART_SIZE,
            concurrency: DEFAULT_DOWNLOAD_CONCURRENCY,
            mode: TransferMode::Auto,
            verify: true,
            progress: None,
        }
    }
}

enum Source {
    Api,
    Presigned(Arc<RangedReader>, Range<u64>),
}

impl Download {
    /// Only these bytes (end exclusive) of the object.
    pub fn range(mut self, range: Range<u64>) -> Self {
        self.range = Some(range);
        self
    }

    /// The size of each range (default 8 MiB, at least 64 KiB); objects of at least this size
    /// are fetched in parallel.
    pub fn part_size(mut self, bytes: u64) -> Self {
        self.part_size = bytes.max(MIN_DOWNLOAD_PART_SIZE);
        self
    }

    /// Ranges fetched at once (default 10). Memory holds at most this many ranges.
    pub fn concurrency(mut self, ranges: usize) -> Self {
        self.concurrency = ranges.max(1);
        self
    }

    /// Which path the download may take (default [`TransferMode::Auto`]).
    pub fn mode(mut self, mode: TransferMode) -> Self {
        self.mode = mode;
        self
    }

    /// Whether the content's MD5 is compared with the object's checksum where it can be
    /// (a whole object read in order whose checksum is an MD5; default on). Sizes, and the
    /// store's ETag of each range, are always checked.
    pub fn verify_checksums(mut self, verify: bool) -> Self {
        self.verify = verify;
        self
    }

    /// Calls `callback` as bytes arrive.
    pub fn on_progress(
        mut self,
        callback: impl Fn(TransferProgress) + Send + Sync + 'static,
    ) -> Self {
        self.progress = Some(Arc::new(callback));
        self
    }

    async fn source(&self) -> Result<Source> {
        if self.mode == TransferMode::Api {
            return Ok(Source::Api);
        }
        let caps = self.client.storage_capabilities(&self.repository).await?;
        if !caps.presign {
            return if self.mode == TransferMode::Presigned {
                Err(Error::Unsupported(format!(
                    "a presigned download needs presign support, which the {} storage of this \
                     repository lacks",
                    caps.blockstore_type
                )))
            } else {
                Ok(Source::Api)
            };
        }
        let reader =
            RangedReader::open(&self.client, &self.repository, &self.ref_, &self.path).await?;
        let size = reader.size();
        let window = match &self.range {
            Some(r) if r.start > r.end || r.end > size => {
                return Err(Error::InvalidArgument(format!(
                    "range {}..{} is outside {} of {size} bytes",
                    r.start, r.end, self.path
                )));
            }
            Some(r) => r.clone(),
            None => 0..size,
        };
        let meter = Meter::new(Some(window.end - window.start), self.progress.clone());
        Ok(Source::Presigned(
            Arc::new(reader.with_meter(meter)),
            window,
        ))
    }

    /// The content as an in-order stream.
    pub async fn stream(self) -> Result<DownloadStream> {
        match self.source().await? {
            Source::Api => self.api_stream().await,
            Source::Presigned(reader, window) => Ok(self.ranged_stream(reader, window)),
        }
    }

    fn ranged_stream(&self, reader: Arc<RangedReader>, window: Range<u64>) -> DownloadStream {
        let length = window.end - window.start;
        let whole = window.start == 0 && window.end == reader.size();
        let checksum = reader.stats().checksum.clone();
        let expected_md5 = (self.verify && whole && is_md5(&checksum)).then_some(checksum);
        let path = if length < self.part_size {
            TransferPath::PresignedGet
        } else {
            TransferPath::PresignedRanges
        };
        let part_size = self.part_size;
        let ranges = (window.start..window.end)
            .step_by(usize::try_from(part_size).unwrap_or(usize::MAX))
            .map(move |start| start..(start + part_size).min(window.end));
        // `buffered` keeps the order and holds at most `concurrency` ranges, fetched by tasks
        // of their own (cancelled when the stream is dropped).
        let chunks = futures::stream::iter(ranges)
            .map(move |range| {
                let reader = reader.clone();
                Task::spawn(async move { reader.read_range_chunks(range).await })
            })
            .buffered(self.concurrency)
            .map_ok(|chunks| futures::stream::iter(chunks.into_iter().map(Ok)))
            .try_flatten();
        DownloadStream {
            path,
            size: Some(length),
            body: checked(chunks.boxed(), Some(length), expected_md5, &self.path, None),
        }
    }

    async fn api_stream(&self) -> Result<DownloadStream> {
        let mut options = GetObjectOptions::default();
        if let Some(r) = &self.range {
            if r.is_empty() {
                return Ok(DownloadStream {
                    path: TransferPath::Api,
                    size: Some(0),
                    body: ByteStream::empty(),
                });
            }
            options = options.range(format!("bytes={}-{}", r.start, r.end - 1));
        }
        let download = self
            .client
            .get_object(&self.repository, &self.ref_, &self.path, options)
            .await?;
        let size = download.metadata.content_length;
        let expected_md5 = download
            .metadata
            .etag
            .clone()
            .filter(|e| self.verify && self.range.is_none() && is_md5(e));
        let meter = Meter::new(size, self.progress.clone());
        Ok(DownloadStream {
            path: TransferPath::Api,
            size,
            body: checked(
                download.body.boxed(),
                size,
                expected_md5,
                &self.path,
                Some(meter),
            ),
        })
    }

    /// Writes the content to an async writer, in order.
    pub async fn to_writer<W: tokio::io::AsyncWrite + Unpin>(
        self,
        writer: &mut W,
    ) -> Result<DownloadOutcome> {
        let download = self.stream().await?;
        let bytes = download.body.write_to(writer).await?;
        Ok(DownloadOutcome {
            path: download.path,
            bytes,
        })
    }

    /// Writes the content to a file (created or truncated). Parallel ranges are written at
    /// their offsets as they arrive; a failed download removes the file.
    pub async fn to_file(self, path: impl AsRef<Path>) -> Result<DownloadOutcome> {
        let target = path.as_ref().to_path_buf();
        let outcome = self.write_file(&target).await;
        if outcome.is_err() {
            let _ = tokio::fs::remove_file(&target).await;
        }
        outcome
    }

    async fn write_file(self, target: &Path) -> Result<DownloadOutcome> {
        let source = self.source().await?;
        let (reader, window) = match source {
            Source::Presigned(reader, window) if window.end - window.start >= self.part_size => {
                (reader, window)
            }
            other => {
                let download = match other {
                    Source::Api => self.api_stream().await?,
                    Source::Presigned(reader, window) => self.ranged_stream(reader, window),
                };
                let mut file = tokio::fs::File::create(target)
                    .await
                    .map_err(|e| write_error(target, e))?;
                let bytes = download.body.write_to(&mut file).await?;
                return Ok(DownloadOutcome {
                    path: download.path,
                    bytes,
                });
            }
        };
        let length = window.end - window.start;
        let file = std::fs::File::create(target).map_err(|e| write_error(target, e))?;
        file.set_len(length).map_err(|e| write_error(target, e))?;
        let file = Arc::new(std::sync::Mutex::new(file));
        let part_size = self.part_size;
        let ranges = (window.start..window.end)
            .step_by(usize::try_from(part_size).unwrap_or(usize::MAX))
            .map(move |start| start..(start + part_size).min(window.end));
        let base = window.start;
        futures::stream::iter(ranges)
            .map(|range| {
                let (reader, file) = (reader.clone(), file.clone());
                Task::spawn(async move {
                    let sink = FileRange::new(file, range.start - base);
                    reader.read_range_into(range, sink).await.map(|_| ())
                })
            })
            .buffer_unordered(self.concurrency)
            .try_for_each(|()| futures::future::ready(Ok(())))
            .await?;
        Ok(DownloadOutcome {
            path: TransferPath::PresignedRanges,
            bytes: length,
        })
    }
}

/// The network's chunks of a range are written in batches of about this size: one
/// `writev` each, and few enough held that the client's read buffers are soon reused.
const WRITE_BATCH: usize = 256 * 1024;

/// Writes one range of a download at its offset in the file as it arrives, without copying
/// the bytes in memory. The ranges of a download share one handle and write one at a time:
/// concurrent writes to one file contend for its inode lock in the kernel, which spins (on
/// tmpfs a 4 GiB download cost twice curl's CPU that way), while a mutex waiter sleeps.
struct FileRange {
    file: Arc<std::sync::Mutex<std::fs::File>>,
    offset: u64,
    batch: Vec<Bytes>,
    batched: usize,
    /// Bytes of the current attempt already in the file.
    written: u64,
}

impl FileRange {
    fn new(file: Arc<std::sync::Mutex<std::fs::File>>, offset: u64) -> Self {
        FileRange {
            file,
            offset,
            batch: Vec::new(),
            batched: 0,
            written: 0,
        }
    }

    async fn flush(&mut self) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        let at = self.offset + self.written;
        self.written += self.batched as u64;
        self.batched = 0;
        let file = self.file.clone();
        tokio::task::spawn_blocking(move || {
            use std::io::{IoSlice, Seek, SeekFrom, Write};
            let mut file = file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            file.seek(SeekFrom::Start(at))?;
            let mut slices: Vec<IoSlice<'_>> = batch.iter().map(|c| IoSlice::new(c)).collect();
            let mut rest = &mut slices[..];
            while !rest.is_empty() {
                let n = file.write_vectored(rest)?;
                if n == 0 {
                    return Err(std::io::ErrorKind::WriteZero.into());
                }
                IoSlice::advance_slices(&mut rest, n);
            }
            Ok(())
        })
        .await
        .map_err(|e| Error::Blocking(format!("writing a range failed: {e}")))?
        .map_err(|source| Error::LocalIo {
            context: "cannot write the downloaded range".into(),
            source,
        })
    }
}

impl RangeSink for FileRange {
    fn restart(&mut self) {
        self.batch.clear();
        self.batched = 0;
        self.written = 0;
    }

    async fn accept(&mut self, chunk: Bytes) -> Result<()> {
        self.batched += chunk.len();
        self.batch.push(chunk);
        if self.batched >= WRITE_BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    async fn finish(&mut self) -> Result<()> {
        self.flush().await
    }
}

fn write_error(path: &Path, source: std::io::Error) -> Error {
    Error::LocalIo {
        context: format!("cannot write {}", path.display()),
        source,
    }
}

/// The content, counted, and checked at its end: its length, and its MD5 when one is expected.
fn checked(
    chunks: futures::stream::BoxStream<'static, Result<Bytes>>,
    length: Option<u64>,
    expected_md5: Option<String>,
    path: &str,
    meter: Option<Meter>,
) -> ByteStream {
    struct State {
        chunks: futures::stream::BoxStream<'static, Result<Bytes>>,
        received: u64,
        hasher: Option<Md5>,
        done: bool,
    }
    let hasher = expected_md5.as_ref().map(|_| Md5::new());
    let path = path.to_string();
    let state = State {
        chunks,
        received: 0,
        hasher,
        done: false,
    };
    let stream = futures::stream::unfold(state, move |mut state| {
        let (path, expected_md5, meter) = (path.clone(), expected_md5.clone(), meter.clone());
        async move {
            if state.done {
                return None;
            }
            match state.chunks.next().await {
                Some(Ok(chunk)) => {
                    state.received += chunk.len() as u64;
                    if let Some(h) = &mut state.hasher {
                        h.update(&chunk);
                    }
                    if let Some(meter) = &meter {
                        meter.add(chunk.len() as u64);
                    }
                    Some((Ok(chunk), state))
                }
                Some(Err(e)) => {
                    state.done = true;
                    Some((Err(e), state))
                }
                None => {
                    state.done = true;
                    if let Some(length) = length.filter(|&l| l != state.received) {
                        let e = Error::Integrity(format!(
                            "{path}: {} bytes received, {length} announced",
                            state.received
                        ));
                        return Some((Err(e), state));
                    }
                    if let (Some(h), Some(expected)) = (state.hasher.take(), expected_md5) {
                        let sum = hex(&h.finalize());
                        if !sum.eq_ignore_ascii_case(&expected) {
                            let e = Error::Integrity(format!(
                                "{path}: the content's MD5 {sum} is not its checksum {expected}"
                            ));
                            return Some((Err(e), state));
                        }
                    }
                    None
                }
            }
        }
    });
    ByteStream::new(stream.boxed())
}
