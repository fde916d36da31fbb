//! Ranged reads over a presigned URL, refreshed when it expires.

use super::Meter;
use super::store::{SignedUrl, is_md5};
use crate::error::{Error, Result};
use crate::{LakeFsClient, ObjectsApi, StatObjectOptions};
use bytes::Bytes;
use lakefs_models::ObjectStats;
use std::sync::Mutex;
use std::time::SystemTime;

/// Reads byte ranges of one object straight from the object store, through the presigned URL
/// of `statObject(presign=true)`. The URL is refreshed (a new `statObject`) before it expires
/// and when the store refuses it; if the object changed meanwhile (another checksum), reads
/// fail with [`Error::Integrity`] instead of mixing two versions.
///
/// Each read is retried on its own, must come back as 206 with exactly the bytes asked for,
/// and, when the store sends an MD5 ETag, it must match the object's checksum.
/// `read_range` takes `&self`: share the reader (in an `Arc`) to read ranges concurrently.
///
/// ```no_run
/// # async fn run(client: lakefs_api::LakeFsClient) -> lakefs_api::Result<()> {
/// use lakefs_api::transfer::RangedReader;
/// let reader = RangedReader::open(&client, "repo", "main", "big.bin").await?;
/// let head = reader.read_range(0..1024.min(reader.size())).await?;
/// # let _ = head; Ok(()) }
/// ```
pub struct RangedReader {
    client: LakeFsClient,
    repository: String,
    ref_: String,
    path: String,
    stats: ObjectStats,
    size: u64,
    url: Mutex<SignedUrl>,
    meter: Meter,
}

impl std::fmt::Debug for RangedReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RangedReader")
            .field("repository", &self.repository)
            .field("ref", &self.ref_)
            .field("path", &self.path)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl RangedReader {
    /// Stats the object with `presign=true`. Fails with [`Error::Unsupported`] when lakeFS
    /// gives no presigned URL (its store has no presign support).
    pub async fn open(
        client: &LakeFsClient,
        repository: &str,
        ref_: &str,
        path: &str,
    ) -> Result<RangedReader> {
        let stats = stat_presigned(client, repository, ref_, path).await?;
        let url = SignedUrl::parse(&stats.physical_address, stats.physical_address_expiry)?;
        let size = object_size(&stats)?;
        Ok(RangedReader {
            client: client.clone(),
            repository: repository.into(),
            ref_: ref_.into(),
            path: path.into(),
            stats,
            size,
            url: Mutex::new(url),
            meter: Meter::default(),
        })
    }

    pub(crate) fn with_meter(mut self, meter: Meter) -> Self {
        self.meter = meter;
        self
    }

    /// The object's size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The object's stats (its `physical_address` is the presigned URL of the first stat).
    pub fn stats(&self) -> &ObjectStats {
        &self.stats
    }

    /// Reads `range` (end exclusive, within the object) into memory.
    pub async fn read_range(&self, range: std::ops::Range<u64>) -> Result<Bytes> {
        if range.start > range.end || range.end > self.size {
            return Err(Error::InvalidArgument(format!(
                "range {}..{} is outside the object of {} bytes",
                range.start, range.end, self.size
            )));
        }
        if range.is_empty() {
            return Ok(Bytes::new());
        }
        let checksum = self.stats.checksum.clone();
        self.client
            .with_store_retries(|refresh| {
                let range = range.clone();
                let checksum = &checksum;
                async move {
                    let url = self.current_url(refresh).await?;
                    let (bytes, etag) = self
                        .client
                        .store_get_range(&url, range, self.size, &self.meter)
                        .await?;
                    if let Some(etag) = etag
                        && is_md5(&etag)
                        && is_md5(checksum)
                        && !etag.eq_ignore_ascii_case(checksum)
                    {
                        return Err(Error::Integrity(format!(
                            "{}: the store's ETag {etag} is not the object's checksum {checksum}",
                            self.path
                        )));
                    }
                    Ok(bytes)
                }
            })
            .await
    }

    /// A fresh presigned URL (a new `statObject`).
    pub async fn refresh(&self) -> Result<()> {
        self.current_url(true).await.map(|_| ())
    }

    async fn current_url(&self, refresh: bool) -> Result<reqwest::Url> {
        {
            let url = lock(&self.url);
            if !refresh && !url.expires_soon(SystemTime::now()) {
                return Ok(url.url.clone());
            }
            // Only the first stat's URL is used without refresh when its expiry is unknown:
            // re-statting before every range would double the calls.
            if !refresh && url.expires.is_none() {
                return Ok(url.url.clone());
            }
        }
        let stats = stat_presigned(&self.client, &self.repository, &self.ref_, &self.path).await?;
        if stats.checksum != self.stats.checksum {
            return Err(Error::Integrity(format!(
                "{} changed during the download (checksum {} -> {})",
                self.path, self.stats.checksum, stats.checksum
            )));
        }
        let url = SignedUrl::parse(&stats.physical_address, stats.physical_address_expiry)?;
        let fresh = url.url.clone();
        *lock(&self.url) = url;
        Ok(fresh)
    }
}

pub(crate) async fn stat_presigned(
    client: &LakeFsClient,
    repository: &str,
    ref_: &str,
    path: &str,
) -> Result<ObjectStats> {
    client
        .stat_object(
            repository,
            ref_,
            path,
            StatObjectOptions::default().presign(true),
        )
        .await
}

pub(crate) fn object_size(stats: &ObjectStats) -> Result<u64> {
    stats
        .size_bytes
        .and_then(|s| u64::try_from(s).ok())
        .ok_or_else(|| Error::Decode {
            operation: "statObject",
            status: 200,
            message: format!("no usable size_bytes for {}", stats.path),
            request_id: None,
        })
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
