//! Direct-to-storage transfers, blocking: the same builders as `lakefs_api::transfer`, with
//! `std::io` sources and sinks: [`LakeFsClient::upload`] and [`LakeFsClient::download`].

use crate::io::BodyReader;
use crate::{LakeFsClient, UploadBody};
use futures::StreamExt;
use lakefs_api::Result;
pub use lakefs_api::transfer::{
    DownloadOutcome, TransferMode, TransferPath, TransferProgress, UploadOutcome,
};
use std::io::{Read, Write};
use std::path::Path;

impl LakeFsClient {
    /// An upload of one object, straight to the object store when the repository's storage
    /// allows (presigned PUT or parallel multipart; see `lakefs_api::transfer`).
    ///
    /// ```no_run
    /// # fn run(client: lakefs_blocking::LakeFsClient) -> lakefs_blocking::Result<()> {
    /// let outcome = client.upload("repo", "main", "big.bin").file("big.bin").send()?;
    /// println!("{}", outcome.path);
    /// # Ok(()) }
    /// ```
    pub fn upload(&self, repository: &str, branch: &str, path: &str) -> Upload {
        Upload {
            client: self.clone(),
            inner: self.async_client().upload(repository, branch, path),
            reader: None,
        }
    }

    /// A download of one object, straight from the object store when the repository's
    /// storage allows (one presigned GET, or parallel ranges).
    ///
    /// ```no_run
    /// # fn run(client: lakefs_blocking::LakeFsClient) -> lakefs_blocking::Result<()> {
    /// let outcome = client.download("repo", "main", "big.bin").to_file("big.bin")?;
    /// println!("{} bytes by {}", outcome.bytes, outcome.path);
    /// # Ok(()) }
    /// ```
    pub fn download(&self, repository: &str, ref_: &str, path: &str) -> Download {
        Download {
            client: self.clone(),
            inner: self.async_client().download(repository, ref_, path),
        }
    }
}

/// A blocking upload, built by [`LakeFsClient::upload`]; [`send`](Self::send) runs it.
#[derive(Debug)]
#[must_use = "an upload does nothing until `send` is called"]
pub struct Upload {
    client: LakeFsClient,
    inner: lakefs_api::transfer::Upload,
    reader: Option<UploadBody>,
}

impl Upload {
    fn map(
        mut self,
        change: impl FnOnce(lakefs_api::transfer::Upload) -> lakefs_api::transfer::Upload,
    ) -> Self {
        self.inner = change(self.inner);
        self
    }

    /// Uploads bytes in memory.
    pub fn bytes(self, data: impl Into<bytes::Bytes>) -> Self {
        self.map(|u| u.bytes(data))
    }

    /// Uploads a file, read part by part.
    pub fn file(self, path: impl AsRef<Path>) -> Self {
        self.map(|u| u.file(path))
    }

    /// Uploads everything `reader` yields (read on a thread of its own, a few chunks ahead);
    /// `length`, when known, must be exact.
    pub fn reader(mut self, reader: impl Read + Send + 'static, length: Option<u64>) -> Self {
        self.reader = Some(UploadBody::from_reader(reader, length));
        self
    }

    /// The content type stored with the object.
    pub fn content_type(self, content_type: impl Into<String>) -> Self {
        self.map(|u| u.content_type(content_type))
    }

    /// One user metadata entry.
    pub fn metadata(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.map(|u| u.metadata(key, value))
    }

    /// Creates the object only if the path holds none (`If-None-Match: *`).
    pub fn create_only(self) -> Self {
        self.map(|u| u.create_only())
    }

    /// Replaces the object only if its checksum is `etag` (`If-Match`).
    pub fn if_match(self, etag: impl Into<String>) -> Self {
        self.map(|u| u.if_match(etag))
    }

    /// The part size (at least 5 MiB).
    pub fn part_size(self, bytes: u64) -> Self {
        self.map(|u| u.part_size(bytes))
    }

    /// Parts uploaded at once.
    pub fn concurrency(self, parts: usize) -> Self {
        self.map(|u| u.concurrency(parts))
    }

    /// Which path the upload may take.
    pub fn mode(self, mode: TransferMode) -> Self {
        self.map(|u| u.mode(mode))
    }

    /// Whether each part's MD5 is compared with the store's ETag (default on).
    pub fn verify_checksums(self, verify: bool) -> Self {
        self.map(|u| u.verify_checksums(verify))
    }

    /// Calls `callback` as bytes are sent (from the client's runtime threads).
    pub fn on_progress(self, callback: impl Fn(TransferProgress) + Send + Sync + 'static) -> Self {
        self.map(|u| u.on_progress(callback))
    }

    /// Runs the upload and waits for it.
    pub fn send(self) -> Result<UploadOutcome> {
        let mut inner = self.inner;
        if let Some(reader) = self.reader {
            inner = inner.body(reader.into_async()?);
        }
        self.client.run(inner.send())
    }
}

/// A blocking download, built by [`LakeFsClient::download`].
#[derive(Debug)]
#[must_use = "a download does nothing until it is run"]
pub struct Download {
    client: LakeFsClient,
    inner: lakefs_api::transfer::Download,
}

impl Download {
    fn map(
        mut self,
        change: impl FnOnce(lakefs_api::transfer::Download) -> lakefs_api::transfer::Download,
    ) -> Self {
        self.inner = change(self.inner);
        self
    }

    /// Only these bytes (end exclusive).
    pub fn range(self, range: std::ops::Range<u64>) -> Self {
        self.map(|d| d.range(range))
    }

    /// The size of each range.
    pub fn part_size(self, bytes: u64) -> Self {
        self.map(|d| d.part_size(bytes))
    }

    /// Ranges fetched at once.
    pub fn concurrency(self, ranges: usize) -> Self {
        self.map(|d| d.concurrency(ranges))
    }

    /// Which path the download may take.
    pub fn mode(self, mode: TransferMode) -> Self {
        self.map(|d| d.mode(mode))
    }

    /// Whether the content's MD5 is compared with the object's checksum where it can be.
    pub fn verify_checksums(self, verify: bool) -> Self {
        self.map(|d| d.verify_checksums(verify))
    }

    /// Calls `callback` as bytes arrive (from the client's runtime threads).
    pub fn on_progress(self, callback: impl Fn(TransferProgress) + Send + Sync + 'static) -> Self {
        self.map(|d| d.on_progress(callback))
    }

    /// Writes the content to a file; parallel ranges are written at their offsets.
    pub fn to_file(self, path: impl AsRef<Path>) -> Result<DownloadOutcome> {
        let path = path.as_ref().to_path_buf();
        self.client.run(self.inner.to_file(path))
    }

    /// The content as a `Read`, in order.
    pub fn reader(self) -> Result<(TransferPath, BodyReader)> {
        let download = self.client.run(self.inner.stream())?;
        Ok((
            download.path,
            BodyReader::new(self.client.clone(), download.body),
        ))
    }

    /// Writes the content to `writer`, in order; returns the bytes written.
    pub fn to_writer(self, writer: &mut impl Write) -> Result<DownloadOutcome> {
        let download = self.client.run(self.inner.stream())?;
        let path = download.path;
        let mut body = download.body;
        let mut bytes = 0u64;
        while let Some(chunk) = self.client.block_on(body.next())? {
            let chunk = chunk?;
            writer
                .write_all(&chunk)
                .map_err(|source| lakefs_api::Error::LocalIo {
                    context: "cannot write the downloaded data".into(),
                    source,
                })?;
            bytes += chunk.len() as u64;
        }
        writer
            .flush()
            .map_err(|source| lakefs_api::Error::LocalIo {
                context: "cannot flush".into(),
                source,
            })?;
        Ok(DownloadOutcome::new(path, bytes))
    }
}
