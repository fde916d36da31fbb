//! Transfers that move the data straight between the client and the object store, leaving only
//! metadata to lakeFS: [`LakeFsClient::upload`](crate::LakeFsClient::upload) and
//! [`LakeFsClient::download`](crate::LakeFsClient::download).
//!
//! Both pick their path from the repository's storage configuration (`getConfig`, fetched once
//! per client and shared by its clones):
//!
//! | upload | path |
//! |---|---|
//! | store without presign support, or [`TransferMode::Api`] | the lakeFS API (`uploadObject`), streamed |
//! | smaller than the part size | one presigned PUT, then `linkPhysicalAddress` |
//! | larger, store with presigned multipart (S3) | parallel presigned multipart upload |
//! | larger, no presigned multipart, up to 5 GB | one presigned PUT (streamed) |
//! | larger than 5 GB without presigned multipart | the lakeFS API |
//! | unknown size (a stream) | multipart part by part (`uploadPart`), else the API |
//! | `If-None-Match: *` / `If-Match` | one presigned PUT and a conditional link (up to 5 GB), else the API |
//!
//! Downloads with presign support fetch objects of at least the part size as parallel ranged
//! GETs from a presigned URL, smaller ones with one GET; otherwise through the API.
//!
//! The two building blocks are public for layers above (a high-level writer and reader, an
//! `object_store` adapter): [`MultipartUpload`], a part-level presigned multipart session, and
//! [`RangedReader`], ranged reads over a presigned URL that is refreshed when it expires.
//!
//! Storage requests never carry lakeFS credentials, have the client's idle timeout instead of
//! its per-call limit, and are retried one part or range at a time.

mod capabilities;
mod download;
mod limits;
mod multipart;
mod ranged;
mod store;
mod upload;

pub use capabilities::StorageCapabilities;
pub(crate) use capabilities::StorageConfigCache;
pub use download::{Download, DownloadOutcome, DownloadStream};
pub use limits::{DEFAULT_MIN_THROUGHPUT, MinThroughput, TransferLimits};
pub(crate) use limits::{TransferWatch, Violation, guard_download, guard_upload};
pub use multipart::{CompletedPart, MultipartUpload};
pub use ranged::RangedReader;
pub use upload::{Upload, UploadOutcome};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The smallest part S3 accepts (except the last), and the default upload part size.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// The most parts a multipart upload may have.
pub const MAX_PARTS: u64 = 10_000;
/// The default part size of an upload of unknown size (a stream).
pub const DEFAULT_STREAM_PART_SIZE: u64 = 8 * 1024 * 1024;
/// The largest object one PUT can store on S3 (5 GB).
pub const MAX_SINGLE_PUT: u64 = 5 * 1000 * 1000 * 1000;
/// Parts uploaded at once by default (lakectl's value).
pub const DEFAULT_UPLOAD_CONCURRENCY: usize = 5;
/// The default download range size, and the size from which a download is parallel.
pub const DEFAULT_DOWNLOAD_PART_SIZE: u64 = 8 * 1024 * 1024;
/// Ranges downloaded at once by default (lakectl's value).
pub const DEFAULT_DOWNLOAD_CONCURRENCY: usize = 10;

/// Which path a transfer may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TransferMode {
    /// Presigned when the repository's storage supports it, else the lakeFS API.
    #[default]
    Auto,
    /// Always through the lakeFS API.
    Api,
    /// Always presigned; fails with [`Error::Unsupported`](crate::Error::Unsupported) when the
    /// storage does not support it.
    Presigned,
}

/// The path a transfer took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransferPath {
    /// Through the lakeFS API (`uploadObject` / `getObject`).
    Api,
    /// One presigned PUT, then `linkPhysicalAddress`.
    PresignedPut,
    /// A presigned multipart upload.
    PresignedMultipart,
    /// One presigned GET.
    PresignedGet,
    /// Parallel ranged GETs from a presigned URL.
    PresignedRanges,
}

impl std::fmt::Display for TransferPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TransferPath::Api => "lakeFS API",
            TransferPath::PresignedPut => "presigned PUT",
            TransferPath::PresignedMultipart => "presigned multipart",
            TransferPath::PresignedGet => "presigned GET",
            TransferPath::PresignedRanges => "parallel presigned ranges",
        })
    }
}

/// How far a transfer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TransferProgress {
    /// Bytes sent or received so far (a retried part counts once).
    pub bytes_done: u64,
    /// The size of the whole transfer, when known.
    pub total: Option<u64>,
}

/// A progress callback; it is called from the transfer's tasks, so it should be quick (store
/// the value, send it on a `tokio::sync::watch` channel).
pub type ProgressCallback = Arc<dyn Fn(TransferProgress) + Send + Sync>;

/// Counts a transfer's bytes and tells the callback; carries the transfer's receive buffers.
#[derive(Clone, Default)]
pub(crate) struct Meter {
    done: Arc<AtomicU64>,
    total: Option<u64>,
    callback: Option<ProgressCallback>,
    /// Buffers the transfer's data is copied into, reused as their bytes are dropped.
    pub(crate) pieces: Arc<store::PiecePool>,
}

impl Meter {
    pub(crate) fn new(total: Option<u64>, callback: Option<ProgressCallback>) -> Self {
        Meter {
            done: Arc::default(),
            total,
            callback,
            pieces: Arc::default(),
        }
    }

    pub(crate) fn add(&self, bytes: u64) {
        let done = self.done.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.tell(done);
    }

    /// Takes back what a failed attempt had counted.
    pub(crate) fn sub(&self, bytes: u64) {
        if bytes == 0 {
            return;
        }
        let done = self.done.fetch_sub(bytes, Ordering::Relaxed) - bytes;
        self.tell(done);
    }

    pub(crate) fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    fn tell(&self, bytes_done: u64) {
        if let Some(callback) = &self.callback {
            callback(TransferProgress {
                bytes_done,
                total: self.total,
            });
        }
    }
}

/// Part size of an upload of `size` bytes as lakectl chooses it: at least `requested` (and
/// at least 5 MiB), grown so that no more than 10,000 parts are needed.
pub fn part_size_for(size: u64, requested: u64) -> u64 {
    let part = requested.max(MIN_PART_SIZE);
    if size / part >= MAX_PARTS {
        size / MAX_PARTS + 1
    } else {
        part
    }
}

/// A spawned task that is cancelled when dropped: a dropped transfer stops its parts.
pub(crate) struct Task<T>(tokio::task::JoinHandle<T>);

impl<T: Send + 'static> Task<T> {
    pub(crate) fn spawn(future: impl Future<Output = T> + Send + 'static) -> Self {
        Task(tokio::spawn(future))
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> Future for Task<crate::Result<T>> {
    type Output = crate::Result<T>;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx).map(|joined| {
            joined.unwrap_or_else(|e| {
                Err(crate::Error::Blocking(format!(
                    "a transfer task failed: {e}"
                )))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_size_grows_to_stay_within_the_part_limit() {
        assert_eq!(part_size_for(1, 0), MIN_PART_SIZE);
        assert_eq!(part_size_for(100 * MIN_PART_SIZE, 0), MIN_PART_SIZE);
        assert_eq!(part_size_for(1, 64 << 20), 64 << 20);
        let huge = 5 * 1024 * 1024 * 1024 * 1024u64; // 5 TiB
        let part = part_size_for(huge, 0);
        assert!(huge.div_ceil(part) <= MAX_PARTS, "{part}");
        assert!(part > MIN_PART_SIZE);
        // Exactly at the limit, lakectl already grows (`size / part >= 10000`).
        let at_limit = MAX_PARTS * MIN_PART_SIZE;
        assert!(at_limit.div_ceil(part_size_for(at_limit, 0)) <= MAX_PARTS);
    }

    #[test]
    fn meter_counts_and_takes_back() {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = seen.clone();
        let meter = Meter::new(
            Some(10),
            Some(Arc::new(move |p: TransferProgress| {
                record.lock().unwrap().push(p.bytes_done)
            })),
        );
        meter.add(4);
        meter.add(4);
        meter.sub(4);
        assert_eq!(meter.done(), 4);
        assert_eq!(*seen.lock().unwrap(), vec![4, 8, 4]);
    }
}
