//! The upload builder: [`LakeFsClient::upload`].

use super::multipart::MultipartUpload;
use super::store::{
    PIECE, PiecePool, PutBody, PutOptions, SignedUrl, check_md5, chunks_len, md5_hex,
};
use super::{
    DEFAULT_STREAM_PART_SIZE, DEFAULT_UPLOAD_CONCURRENCY, MAX_PARTS, MAX_SINGLE_PUT, MIN_PART_SIZE,
    Meter, ProgressCallback, StorageCapabilities, Task, TransferMode, TransferPath,
    TransferProgress, part_size_for,
};
use crate::error::{Error, Result};
use crate::{
    GetPhysicalAddressOptions, LakeFsClient, LinkPhysicalAddressOptions, ObjectsApi, StagingApi,
    UploadBody, UploadObjectOptions,
};
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use lakefs_models::{ObjectStats, StagingMetadata};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How often an upload is restarted after a 409 on link (lakectl restarts until it works).
const MAX_CONFLICT_RESTARTS: u32 = 3;

/// An upload to a branch, built by [`LakeFsClient::upload`]; [`send`](Self::send) runs it.
///
/// ```no_run
/// # async fn run(client: lakefs_api::LakeFsClient) -> lakefs_api::Result<()> {
/// let outcome = client
///     .upload("repo", "main", "data/big.parquet")
///     .file("/tmp/big.parquet")
///     .content_type("application/vnd.apache.parquet")
///     .concurrency(8)
///     .on_progress(|p| eprintln!("{} / {:?}", p.bytes_done, p.total))
///     .send()
///     .await?;
/// println!("{} bytes by {}", outcome.stats.size_bytes.unwrap_or(0), outcome.path);
/// # Ok(()) }
/// ```
#[must_use = "an upload does nothing until `send` is awaited"]
pub struct Upload {
    client: LakeFsClient,
    repository: String,
    branch: String,
    path: String,
    source: Option<Source>,
    content_type: Option<String>,
    user_metadata: BTreeMap<String, String>,
    if_none_match: Option<String>,
    if_match: Option<String>,
    part_size: Option<u64>,
    concurrency: usize,
    mode: TransferMode,
    verify: bool,
    progress: Option<ProgressCallback>,
}

enum Source {
    Bytes(Bytes),
    File(PathBuf),
    /// In a mutex only so that the builder is `Sync` (its `&self` methods run across awaits);
    /// it is never locked, only taken out.
    Stream(
        Mutex<BoxStream<'static, std::io::Result<Bytes>>>,
        Option<u64>,
    ),
}

fn stream_source(
    stream: BoxStream<'static, std::io::Result<Bytes>>,
    length: Option<u64>,
) -> Source {
    Source::Stream(Mutex::new(stream), length)
}

fn into_stream(
    stream: Mutex<BoxStream<'static, std::io::Result<Bytes>>>,
) -> BoxStream<'static, std::io::Result<Bytes>> {
    stream
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Source {
    fn is_replayable(&self) -> bool {
        !matches!(self, Source::Stream(..))
    }
}

/// What an upload did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct UploadOutcome {
    /// The object as lakeFS stored it.
    pub stats: ObjectStats,
    /// The path the data took.
    pub path: TransferPath,
    /// Parts uploaded (1 unless multipart).
    pub parts: u32,
    /// How often the upload was restarted after a 409 on link.
    pub restarts: u32,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("repository", &self.repository)
            .field("branch", &self.branch)
            .field("path", &self.path)
            .field("mode", &self.mode)
            .field("part_size", &self.part_size)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

impl LakeFsClient {
    /// An upload of one object to `branch`, straight to the object store when the
    /// repository's storage allows (see [the module](crate::transfer) for the path chosen).
    /// Give it a source ([`bytes`](Upload::bytes), [`file`](Upload::file),
    /// [`reader`](Upload::reader), [`stream`](Upload::stream)) and [`send`](Upload::send) it.
    pub fn upload(&self, repository: &str, branch: &str, path: &str) -> Upload {
        Upload {
            client: self.clone(),
            repository: repository.into(),
            branch: branch.into(),
            path: path.into(),
            source: None,
            content_type: None,
            user_metadata: BTreeMap::new(),
            if_none_match: None,
            if_match: None,
            part_size: None,
            concurrency: DEFAULT_UPLOAD_CONCURRENCY,
            mode: TransferMode::Auto,
            verify: true,
            progress: None,
        }
    }
}

impl Upload {
    /// Uploads bytes in memory (restartable after a conflict).
    pub fn bytes(mut self, data: impl Into<Bytes>) -> Self {
        self.source = Some(Source::Bytes(data.into()));
        self
    }

    /// Uploads a file, read part by part (restartable after a conflict).
    pub fn file(mut self, path: impl AsRef<Path>) -> Self {
        self.source = Some(Source::File(path.as_ref().to_path_buf()));
        self
    }

    /// Uploads everything `reader` yields; `length`, when known, lets the upload plan its
    /// parts (it must then be exact).
    pub fn reader(
        self,
        reader: impl tokio::io::AsyncRead + Send + 'static,
        length: Option<u64>,
    ) -> Self {
        self.stream(
            tokio_util::io::ReaderStream::with_capacity(reader, 256 * 1024),
            length,
        )
    }

    /// Uploads a stream of chunks; `length`, when known, must be exact.
    pub fn stream(
        mut self,
        stream: impl futures::Stream<Item = std::io::Result<Bytes>> + Send + 'static,
        length: Option<u64>,
    ) -> Self {
        self.source = Some(stream_source(stream.boxed(), length));
        self
    }

    /// Uploads an [`UploadBody`] (bytes or a stream).
    pub fn body(mut self, body: UploadBody) -> Self {
        let length = body.len();
        self.source = Some(match body.source {
            crate::body::UploadSource::Bytes(b) => Source::Bytes(b),
            crate::body::UploadSource::Stream(s) => stream_source(s, length),
        });
        self
    }

    /// The content type stored with the object.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// One user metadata entry.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.user_metadata.insert(key.into(), value.into());
        self
    }

    /// Creates the object only if the path holds none (`If-None-Match: *`); otherwise the
    /// upload fails with 412 ([`Error::is_precondition_failed`]).
    pub fn create_only(mut self) -> Self {
        self.if_none_match = Some("*".into());
        self
    }

    /// Replaces the object only if its current checksum (ETag) is `etag` (`If-Match`).
    pub fn if_match(mut self, etag: impl Into<String>) -> Self {
        self.if_match = Some(etag.into());
        self
    }

    /// The part size (at least 5 MiB; grown so that no more than 10,000 parts are needed).
    /// Default 5 MiB for a known size, 8 MiB for a stream.
    pub fn part_size(mut self, bytes: u64) -> Self {
        self.part_size = Some(bytes);
        self
    }

    /// Parts uploaded at once (default 5). Memory holds at most this many parts.
    pub fn concurrency(mut self, parts: usize) -> Self {
        self.concurrency = parts.max(1);
        self
    }

    /// Which path the upload may take (default [`TransferMode::Auto`]).
    pub fn mode(mut self, mode: TransferMode) -> Self {
        self.mode = mode;
        self
    }

    /// Whether each part's MD5 is compared with the store's ETag (default on).
    pub fn verify_checksums(mut self, verify: bool) -> Self {
        self.verify = verify;
        self
    }

    /// Calls `callback` as bytes are sent.
    pub fn on_progress(
        mut self,
        callback: impl Fn(TransferProgress) + Send + Sync + 'static,
    ) -> Self {
        self.progress = Some(Arc::new(callback));
        self
    }

    /// Runs the upload. On failure nothing is linked, and a multipart upload is aborted;
    /// dropping the future aborts it too (in a spawned task).
    pub async fn send(mut self) -> Result<UploadOutcome> {
        let source = self
            .source
            .take()
            .ok_or_else(|| Error::InvalidArgument("the upload has no source".into()))?;
        let size = match &source {
            Source::Bytes(b) => Some(b.len() as u64),
            Source::File(path) => Some(
                tokio::fs::metadata(path)
                    .await
                    .map_err(|source| local_io(path, source))?
                    .len(),
            ),
            Source::Stream(_, length) => *length,
        };
        let conditional = self.if_none_match.is_some() || self.if_match.is_some();
        let capabilities = if self.mode == TransferMode::Api && !conditional {
            None
        } else {
            Some(self.client.storage_capabilities(&self.repository).await?)
        };
        if let Some(caps) = &capabilities
            && conditional
            && !caps.supports_condition(self.if_match.is_some())
        {
            return Err(Error::Unsupported(format!(
                "lakeFS {} would ignore {}; it is honoured from {} on",
                caps.server_version.as_deref().unwrap_or("?"),
                if self.if_match.is_some() {
                    "If-Match"
                } else {
                    "If-None-Match"
                },
                if self.if_match.is_some() {
                    "1.71.0"
                } else {
                    "1.12.0"
                },
            )));
        }
        let plan = self.plan(capabilities.as_ref(), size)?;
        let meter = Meter::new(size, self.progress.clone());
        let replayable = source.is_replayable();
        let azure = capabilities.as_ref().is_some_and(|c| c.is_azure());
        let mut source = Some(source);
        let mut restarts = 0;
        loop {
            let Some(current) = take_or_replay(&mut source) else {
                return Err(Error::InvalidArgument("the upload's source is gone".into()));
            };
            let outcome = match plan {
                Plan::Api => self.send_api(current, size, &meter).await,
                Plan::Put => self.send_put(current, size, azure, &meter).await,
                Plan::Multipart { part_size } => {
                    self.send_multipart(current, size, part_size, azure, &meter)
                        .await
                }
            };
            match outcome {
                Err(e) if e.is_conflict() && replayable && restarts < MAX_CONFLICT_RESTARTS => {
                    tracing::debug!(path = %self.path, error = %e, "conflict on link; restarting the upload");
                    restarts += 1;
                    meter.sub(meter.done());
                }
                Err(e) => return Err(e),
                Ok((stats, path, parts)) => {
                    if let (Some(size), Some(stored)) = (size, stats.size_bytes)
                        && u64::try_from(stored).ok() != Some(size)
                    {
                        return Err(Error::Integrity(format!(
                            "{}: lakeFS stored {stored} bytes, {size} were sent",
                            self.path
                        )));
                    }
                    return Ok(UploadOutcome {
                        stats,
                        path,
                        parts,
                        restarts,
                    });
                }
            }
        }
    }

    fn plan(&self, caps: Option<&StorageCapabilities>, size: Option<u64>) -> Result<Plan> {
        let presigned_only = self.mode == TransferMode::Presigned;
        let refuse = |why: &str| Err(Error::Unsupported(format!("a presigned upload {why}")));
        let Some(caps) = caps.filter(|_| self.mode != TransferMode::Api) else {
            return Ok(Plan::Api);
        };
        if !caps.presign {
            return if presigned_only {
                refuse(&format!(
                    "needs presign support, which the {} storage of this repository lacks",
                    caps.blockstore_type
                ))
            } else {
                Ok(Plan::Api)
            };
        }
        let conditional = self.if_none_match.is_some() || self.if_match.is_some();
        if conditional {
            // Completing a multipart upload takes no condition: one PUT and a conditional link.
            return match size {
                Some(size) if size <= MAX_SINGLE_PUT => Ok(Plan::Put),
                _ if presigned_only => {
                    refuse("with a condition must be one PUT: of a known size up to 5 GB")
                }
                _ => Ok(Plan::Api),
            };
        }
        match size {
            Some(size) => {
                let part_size = part_size_for(size, self.part_size.unwrap_or(MIN_PART_SIZE));
                if size <= part_size {
                    Ok(Plan::Put)
                } else if caps.presign_multipart {
                    Ok(Plan::Multipart { part_size })
                } else if size <= MAX_SINGLE_PUT {
                    Ok(Plan::Put)
                } else if presigned_only {
                    refuse("over 5 GB needs presigned multipart, which this storage lacks")
                } else {
                    Ok(Plan::Api)
                }
            }
            None if caps.presign_multipart => Ok(Plan::Multipart {
                part_size: self
                    .part_size
                    .unwrap_or(DEFAULT_STREAM_PART_SIZE)
                    .max(MIN_PART_SIZE),
            }),
            None if presigned_only => {
                refuse("of unknown size needs presigned multipart, which this storage lacks")
            }
            None => Ok(Plan::Api),
        }
    }

    async fn send_api(
        &self,
        source: Source,
        size: Option<u64>,
        meter: &Meter,
    ) -> Result<(ObjectStats, TransferPath, u32)> {
        let counted = |stream: BoxStream<'static, std::io::Result<Bytes>>| {
            let meter = meter.clone();
            stream.inspect_ok(move |chunk| meter.add(chunk.len() as u64))
        };
        let body = match source {
            Source::Bytes(b) => UploadBody::from(b),
            Source::File(path) => {
                let file = tokio::fs::File::open(&path)
                    .await
                    .map_err(|e| local_io(&path, e))?;
                let chunks = tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024).boxed();
                UploadBody::from_stream(counted(chunks), size)
            }
            Source::Stream(s, length) => UploadBody::from_stream(counted(into_stream(s)), length),
        };
        let is_bytes = matches!(body.source, crate::body::UploadSource::Bytes(_));
        let options = UploadObjectOptions {
            content_type: self.content_type.clone(),
            user_metadata: self.user_metadata.clone(),
            if_none_match: self.if_none_match.clone(),
            if_match: self.if_match.clone(),
            ..Default::default()
        };
        let stats = self
            .client
            .upload_object(&self.repository, &self.branch, &self.path, body, options)
            .await?;
        if is_bytes {
            meter.add(size.unwrap_or(0));
        }
        Ok((stats, TransferPath::Api, 1))
    }

    /// Stage, one PUT, link.
    async fn send_put(
        &self,
        source: Source,
        size: Option<u64>,
        azure: bool,
        meter: &Meter,
    ) -> Result<(ObjectStats, TransferPath, u32)> {
        let size = size.ok_or_else(|| {
            Error::InvalidArgument("a single presigned PUT needs the size in advance".into())
        })?;
        let client = &self.client;
        let location = Mutex::new(None);
        let stage = |refresh: bool| {
            let location = &location;
            async move {
                let current = lock(location).clone().filter(|_| !refresh);
                match current {
                    Some(staged) => Ok::<_, Error>(staged),
                    None => {
                        let staged = client
                            .get_physical_address(
                                &self.repository,
                                &self.branch,
                                &self.path,
                                GetPhysicalAddressOptions::default().presign(true),
                            )
                            .await?;
                        *lock(location) = Some(staged.clone());
                        Ok(staged)
                    }
                }
            }
        };
        let put = PutOptions {
            content_type: self.content_type.clone(),
            azure,
            hash_stream: self.verify,
        };
        let presigned = |staged: &lakefs_models::StagingLocation| {
            SignedUrl::parse(
                staged.presigned_url.as_deref().unwrap_or_default(),
                staged.presigned_url_expiry,
            )
        };
        let checksum = match source {
            Source::Bytes(data) => {
                let digest = self.verify.then(|| {
                    let data = data.clone();
                    tokio::task::spawn_blocking(move || md5_hex(&data))
                });
                let answer = client
                    .with_store_retries(|refresh| {
                        let data = data.clone();
                        let (put, stage) = (&put, &stage);
                        async move {
                            let url = presigned(&stage(refresh).await?)?;
                            client
                                .store_put(&url.url, PutBody::Chunks(vec![data]), put, meter)
                                .await
                        }
                    })
                    .await?;
                if let Some(digest) = digest {
                    let sum = digest
                        .await
                        .map_err(|e| Error::Blocking(format!("computing an MD5 failed: {e}")))?;
                    check_md5(&self.path, &sum, &answer.checksum)?;
                }
                answer.checksum
            }
            Source::File(path) => {
                let answer = client
                    .with_store_retries(|refresh| {
                        let (put, stage, path) = (&put, &stage, &path);
                        async move {
                            let url = presigned(&stage(refresh).await?)?;
                            let file = tokio::fs::File::open(path)
                                .await
                                .map_err(|e| local_io(path, e))?;
                            let chunks =
                                tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024);
                            let answer = client
                                .store_put(
                                    &url.url,
                                    PutBody::Stream(chunks.boxed(), size),
                                    put,
                                    meter,
                                )
                                .await?;
                            if let Some(sum) = &answer.stream_md5 {
                                check_md5(&path.display().to_string(), sum, &answer.checksum)?;
                            }
                            Ok(answer)
                        }
                    })
                    .await?;
                answer.checksum
            }
            Source::Stream(stream, _) => {
                let stream = into_stream(stream);
                // A stream is read once: one attempt.
                let url = presigned(&stage(false).await?)?;
                let answer = client
                    .store_put(&url.url, PutBody::Stream(stream, size), &put, meter)
                    .await?;
                if let Some(sum) = &answer.stream_md5 {
                    check_md5(&self.path, sum, &answer.checksum)?;
                }
                answer.checksum
            }
        };
        let staged = lock(&location)
            .clone()
            .ok_or_else(|| Error::InvalidArgument("the upload was never staged".into()))?;
        let size_bytes = i64::try_from(size)
            .map_err(|_| Error::InvalidArgument(format!("{size} bytes is too large")))?;
        let mut metadata = StagingMetadata::new(staged, checksum, size_bytes);
        metadata.content_type = self.content_type.clone();
        metadata.user_metadata =
            (!self.user_metadata.is_empty()).then(|| self.user_metadata.clone());
        let options = LinkPhysicalAddressOptions {
            if_none_match: self.if_none_match.clone(),
            if_match: self.if_match.clone(),
        };
        let stats = client
            .link_physical_address(
                &self.repository,
                &self.branch,
                &self.path,
                &metadata,
                options,
            )
            .await?;
        Ok((stats, TransferPath::PresignedPut, 1))
    }

    async fn send_multipart(
        &self,
        source: Source,
        size: Option<u64>,
        part_size: u64,
        azure: bool,
        meter: &Meter,
    ) -> Result<(ObjectStats, TransferPath, u32)> {
        let mut parts = PartReader::new(source, size).await?;
        parts.pieces = meter.pieces.clone();
        // A stream that ends within its first part is one PUT.
        let first = parts.next_part(part_size).await?.unwrap_or_default();
        if size.is_none() && chunks_len(&first) < part_size {
            let first = Bytes::from(first.concat());
            let length = first.len() as u64;
            return self
                .send_put(Source::Bytes(first), Some(length), azure, meter)
                .await;
        }
        let count = size.map(|s| u32::try_from(s.div_ceil(part_size)).unwrap_or(u32::MAX));
        let session = MultipartUpload::create(
            &self.client,
            &self.repository,
            &self.branch,
            &self.path,
            count,
        )
        .await?;
        session.verify_checksums(self.verify);
        session.set_meter(meter.clone());
        let session = Arc::new(session);
        let uploaded = self
            .put_parts(&session, first, parts, part_size, size)
            .await;
        let parts_done = match uploaded {
            Ok(n) => n,
            Err(e) => {
                let _ = session.abort().await;
                return Err(e);
            }
        };
        let stats = session
            .complete(self.content_type.clone(), self.user_metadata.clone())
            .await?;
        Ok((stats, TransferPath::PresignedMultipart, parts_done))
    }

    async fn put_parts(
        &self,
        session: &Arc<MultipartUpload>,
        first: Vec<Bytes>,
        reader: PartReader,
        part_size: u64,
        size: Option<u64>,
    ) -> Result<u32> {
        let rest = futures::stream::try_unfold(reader, move |mut reader| async move {
            Ok(reader
                .next_part(part_size)
                .await?
                .map(|part| (part, reader)))
        });
        let all = futures::stream::once(async move { Ok(first) }).chain(rest);
        let uploads = all
            .enumerate()
            .map(|(index, part)| {
                let session = session.clone();
                async move {
                    let part = part?;
                    let number = u32::try_from(index + 1)
                        .ok()
                        .filter(|&n| u64::from(n) <= MAX_PARTS)
                        .ok_or_else(|| {
                            Error::InvalidArgument(format!(
                                "the stream needs more than {MAX_PARTS} parts of {part_size} bytes; \
                                 set a larger part size"
                            ))
                        })?;
                    Task::spawn(async move { session.put_part_chunks(number, part).await }).await
                }
            })
            .buffer_unordered(self.concurrency);
        let done = uploads
            .try_fold(0u32, |n, _| futures::future::ready(Ok(n + 1)))
            .await?;
        if let Some(size) = size {
            let expected = u32::try_from(size.div_ceil(part_size).max(1)).unwrap_or(u32::MAX);
            if done != expected {
                return Err(Error::LocalIo {
                    context: format!("{}: the source", self.path),
                    source: std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        format!("gave {done} parts, {expected} were expected"),
                    ),
                });
            }
        }
        Ok(done)
    }
}

#[derive(Debug, Clone, Copy)]
enum Plan {
    Api,
    Put,
    Multipart { part_size: u64 },
}

/// The source again for a restart (bytes, a file), or the source itself the first time.
fn take_or_replay(source: &mut Option<Source>) -> Option<Source> {
    match source {
        Some(Source::Bytes(b)) => Some(Source::Bytes(b.clone())),
        Some(Source::File(p)) => Some(Source::File(p.clone())),
        Some(Source::Stream(..)) | None => source.take(),
    }
}

fn local_io(path: &Path, source: std::io::Error) -> Error {
    Error::LocalIo {
        context: format!("cannot read {}", path.display()),
        source,
    }
}

/// Cuts a source into parts, one at a time (so at most the parts in flight are in memory).
struct PartReader {
    source: PartSource,
    /// Bytes still expected from a source of known size.
    remaining: Option<u64>,
    /// Where the pieces read from a file come from.
    pieces: Arc<PiecePool>,
}

enum PartSource {
    Bytes(Bytes),
    File(Option<std::fs::File>, PathBuf),
    Stream(BoxStream<'static, std::io::Result<Bytes>>, Bytes),
}

impl PartReader {
    async fn new(source: Source, size: Option<u64>) -> Result<PartReader> {
        let source = match source {
            Source::Bytes(b) => PartSource::Bytes(b),
            Source::File(path) => {
                let file = std::fs::File::open(&path).map_err(|e| local_io(&path, e))?;
                PartSource::File(Some(file), path)
            }
            Source::Stream(s, _) => PartSource::Stream(into_stream(s), Bytes::new()),
        };
        Ok(PartReader {
            source,
            remaining: size,
            pieces: Arc::default(),
        })
    }

    /// The next part of at most `part_size` bytes, as the chunks it was read in (never
    /// copied into one buffer); `None` at the end.
    async fn next_part(&mut self, part_size: u64) -> Result<Option<Vec<Bytes>>> {
        let want = self.remaining.map_or(part_size, |r| r.min(part_size));
        let want_len = usize::try_from(want).unwrap_or(usize::MAX);
        let part: Vec<Bytes> = match &mut self.source {
            PartSource::Bytes(data) => {
                let n = want_len.min(data.len());
                vec![data.split_to(n)]
            }
            PartSource::File(slot, path) => {
                let Some(mut file) = slot.take() else {
                    return Ok(None);
                };
                let path_for_error = path.clone();
                let pool = self.pieces.clone();
                let (file, read) = tokio::task::spawn_blocking(move || {
                    use std::io::Read;
                    let mut pieces = Vec::with_capacity(want_len.div_ceil(PIECE));
                    let mut left = want_len;
                    let read = loop {
                        if left == 0 {
                            break Ok(pieces);
                        }
                        let len = left.min(PIECE);
                        let mut piece = pool.take(len);
                        piece.resize(len, 0);
                        if let Err(e) = file.read_exact(&mut piece) {
                            break Err(e);
                        }
                        left -= len;
                        pieces.push(PiecePool::freeze(&pool, piece));
                    };
                    (file, read)
                })
                .await
                .map_err(|e| Error::Blocking(format!("reading a part failed: {e}")))?;
                *slot = Some(file);
                read.map_err(|e| local_io(&path_for_error, e))?
            }
            PartSource::Stream(stream, pending) => {
                let mut part = Vec::new();
                let mut have = 0usize;
                loop {
                    if !pending.is_empty() {
                        let take = (want_len - have).min(pending.len());
                        part.push(pending.split_to(take));
                        have += take;
                    }
                    if have == want_len {
                        break;
                    }
                    match stream.try_next().await {
                        Ok(Some(chunk)) => *pending = chunk,
                        Ok(None) => break,
                        Err(source) => {
                            return Err(Error::LocalIo {
                                context: "cannot read the upload's stream".into(),
                                source,
                            });
                        }
                    }
                }
                part
            }
        };
        let length = chunks_len(&part);
        if let Some(remaining) = &mut self.remaining {
            *remaining -= length;
            if length < want {
                return Err(Error::LocalIo {
                    context: "the upload's source".into(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "it ended before its announced size",
                    ),
                });
            }
        }
        Ok((length > 0).then_some(part))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(sizes: &[usize]) -> BoxStream<'static, std::io::Result<Bytes>> {
        let mut next = 0u8;
        let items: Vec<std::io::Result<Bytes>> = sizes
            .iter()
            .map(|&n| {
                let chunk: Vec<u8> = (0..n)
                    .map(|_| {
                        next = next.wrapping_add(1);
                        next
                    })
                    .collect();
                Ok(Bytes::from(chunk))
            })
            .collect();
        futures::stream::iter(items).boxed()
    }

    #[tokio::test]
    async fn a_stream_is_cut_into_parts_of_the_size_asked() {
        let mut reader = PartReader::new(stream_source(chunks(&[3, 5, 1, 7]), None), None)
            .await
            .unwrap();
        let mut sizes = Vec::new();
        let mut all = Vec::new();
        while let Some(part) = reader.next_part(4).await.unwrap() {
            sizes.push(chunks_len(&part) as usize);
            all.extend_from_slice(&part.concat());
        }
        assert_eq!(sizes, vec![4, 4, 4, 4]);
        let expected: Vec<u8> = (1..=16).collect();
        assert_eq!(all, expected);
    }

    #[tokio::test]
    async fn a_short_stream_of_announced_size_is_an_error() {
        let mut reader = PartReader::new(stream_source(chunks(&[3]), None), Some(10))
            .await
            .unwrap();
        let err = reader.next_part(4).await.unwrap_err();
        assert!(matches!(err, Error::LocalIo { .. }), "{err}");
    }

    #[tokio::test]
    async fn bytes_are_sliced_without_copy() {
        let data = Bytes::from(vec![7u8; 10]);
        let mut reader = PartReader::new(Source::Bytes(data.clone()), Some(10))
            .await
            .unwrap();
        let first = reader.next_part(4).await.unwrap().unwrap();
        assert_eq!(first[0].as_ptr(), data.as_ptr());
        assert_eq!(chunks_len(&reader.next_part(4).await.unwrap().unwrap()), 4);
        assert_eq!(chunks_len(&reader.next_part(4).await.unwrap().unwrap()), 2);
        assert!(reader.next_part(4).await.unwrap().is_none());
    }
}
