//! Every movement of object data goes through here: whole uploads, streaming uploads fed part
//! by part, and reads of whole objects or byte ranges. The rest of the crate deals in keys,
//! options and metadata only, so the transport under each of these can change alone.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Range;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};
use lakefs_api::models::ObjectStats;
use lakefs_api::transfer::{MultipartUpload, RangedReader, TransferMode};
use lakefs_api::{
    GetObjectOptions, LakeFsClient, ObjectDownload, ObjectsApi, UploadBody, UploadObjectOptions,
};
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::failure::{Failure, Outcome, api};
use crate::multipart::lock;
use crate::store::{Presign, Settings};

/// How a write is conditioned on what the path holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Condition {
    /// Replace whatever is there.
    Overwrite,
    /// Only if the path holds nothing (`If-None-Match: *`).
    Create,
    /// Only if the path holds this checksum (`If-Match`).
    Match(String),
}

/// What is stored with the data.
#[derive(Debug, Clone)]
pub(crate) struct WriteOptions {
    pub(crate) condition: Condition,
    pub(crate) content_type: Option<String>,
    pub(crate) user_metadata: BTreeMap<String, String>,
}

impl WriteOptions {
    fn upload_options(&self) -> UploadObjectOptions {
        let mut options = UploadObjectOptions::default();
        options.user_metadata = self.user_metadata.clone();
        if let Some(content_type) = &self.content_type {
            options = options.content_type(content_type.clone());
        }
        match &self.condition {
            Condition::Overwrite => options,
            Condition::Create => options.if_none_match("*"),
            Condition::Match(checksum) => options.if_match(checksum.clone()),
        }
    }
}

/// The data path of one repository: through the lakeFS API, or straight to the object store
/// through presigned URLs (`lakefs_api::transfer`) when the storage and the settings allow.
#[derive(Debug, Clone)]
pub(crate) struct DataPath {
    pub(crate) client: LakeFsClient,
    pub(crate) repository: String,
    pub(crate) settings: Settings,
}

/// What the repository's storage lets this store do directly.
#[derive(Debug, Clone, Copy)]
struct Direct {
    presign: bool,
    multipart: bool,
}

impl DataPath {
    fn mode(&self) -> TransferMode {
        match self.settings.presign {
            Presign::Auto => TransferMode::Auto,
            Presign::Always => TransferMode::Presigned,
            Presign::Never => TransferMode::Api,
        }
    }

    /// Which direct transfers to use (`getConfig`, fetched once per client).
    async fn direct(&self) -> Outcome<Direct> {
        if self.settings.presign == Presign::Never {
            return Ok(Direct {
                presign: false,
                multipart: false,
            });
        }
        let capabilities = self
            .client
            .storage_capabilities(&self.repository)
            .await
            .map_err(api(&self.repository))?;
        if self.settings.presign == Presign::Always && !capabilities.presign {
            return Err(Failure::not_supported(format!(
                "presigned transfers were required, but the storage of repository {} ({}) \
                 offers none",
                self.repository, capabilities.blockstore_type
            )));
        }
        Ok(Direct {
            presign: capabilities.presign,
            multipart: capabilities.presign && capabilities.presign_multipart,
        })
    }

    /// Stores `data` at `path` on `branch`: one presigned PUT and a link, a presigned
    /// multipart upload for large data, or `uploadObject`.
    pub(crate) async fn put(
        &self,
        branch: &str,
        path: &str,
        data: Bytes,
        options: &WriteOptions,
    ) -> lakefs_api::Result<ObjectStats> {
        let mut upload = self
            .client
            .upload(&self.repository, branch, path)
            .bytes(data)
            .mode(self.mode())
            .part_size(self.settings.part_size)
            .concurrency(self.settings.concurrency);
        if let Some(content_type) = &options.content_type {
            upload = upload.content_type(content_type.clone());
        }
        for (key, value) in &options.user_metadata {
            upload = upload.metadata(key.clone(), value.clone());
        }
        upload = match &options.condition {
            Condition::Overwrite => upload,
            Condition::Create => upload.create_only(),
            Condition::Match(checksum) => upload.if_match(checksum.clone()),
        };
        Ok(upload.send().await?.stats)
    }

    /// Reads an object, or one range of it (`Range` header value), as a stream.
    pub(crate) async fn get(
        &self,
        ref_: &str,
        path: &str,
        range: Option<String>,
        if_none_match: Option<String>,
    ) -> lakefs_api::Result<ObjectDownload> {
        let mut options = GetObjectOptions::default();
        options.range = range;
        options.if_none_match = if_none_match;
        self.client
            .get_object(&self.repository, ref_, path, options)
            .await
    }

    /// A reader of one object. With presigned reads this stats the object (its stats are
    /// then [`ObjectReader::stats`]); through the API it sends nothing yet.
    pub(crate) async fn open(&self, ref_: &str, path: &str) -> Outcome<ObjectReader> {
        let presigned = if self.direct().await?.presign {
            let reader = RangedReader::open(&self.client, &self.repository, ref_, path)
                .await
                .map_err(api(path))?;
            Some(Arc::new(reader))
        } else {
            None
        };
        Ok(ObjectReader {
            data: self.clone(),
            ref_: ref_.to_string(),
            path: path.to_string(),
            presigned,
        })
    }

    /// Starts an upload whose content comes part by part: a presigned multipart upload when
    /// the storage has them, else one `uploadObject` streamed as the parts come.
    pub(crate) async fn start_upload(
        &self,
        branch: &str,
        path: &str,
        options: &WriteOptions,
    ) -> lakefs_api::Result<Upload> {
        let direct = self
            .direct()
            .await
            .map_err(|failure| lakefs_api::Error::Unsupported(object_store_message(failure)))?;
        if direct.multipart {
            let session =
                MultipartUpload::create(&self.client, &self.repository, branch, path, None).await?;
            return Ok(Upload::Presigned(Box::new(PresignedUpload {
                session: Arc::new(session),
                data: self.clone(),
                branch: branch.to_string(),
                path: path.to_string(),
                options: options.clone(),
                pending: Vec::new(),
                pending_len: 0,
                next_part: 1,
                tasks: Vec::new(),
                limit: Arc::new(Semaphore::new(self.settings.concurrency)),
                failure: Arc::default(),
            })));
        }
        Ok(Upload::Streaming(StreamingUpload::start(
            self, branch, path, options,
        )))
    }

    /// A presigned multipart session for the `MultipartStore` API, when the storage has them.
    pub(crate) async fn start_part_upload(
        &self,
        branch: &str,
        path: &str,
    ) -> lakefs_api::Result<Option<MultipartUpload>> {
        let direct = self
            .direct()
            .await
            .map_err(|failure| lakefs_api::Error::Unsupported(object_store_message(failure)))?;
        if !direct.multipart {
            return Ok(None);
        }
        MultipartUpload::create(&self.client, &self.repository, branch, path, None)
            .await
            .map(Some)
    }
}

fn object_store_message(failure: Failure) -> String {
    match failure {
        Failure::NotSupported { source } | Failure::Generic { source } => source.to_string(),
        other => format!("{other:?}"),
    }
}

/// Reads one object: exact byte ranges, or a stream of a range.
#[derive(Debug, Clone)]
pub(crate) struct ObjectReader {
    data: DataPath,
    ref_: String,
    path: String,
    /// The presigned reader, when reads go straight to the object store.
    presigned: Option<Arc<RangedReader>>,
}

impl ObjectReader {
    /// The object's stats, when opening it took them (presigned reads).
    pub(crate) fn stats(&self) -> Option<&ObjectStats> {
        self.presigned.as_deref().map(RangedReader::stats)
    }

    /// `range` as a stream of part-sized ranges read in parallel from the object store, in
    /// order: memory holds at most `concurrency` parts. Presigned readers only.
    pub(crate) fn stream(&self, range: Range<u64>) -> Option<BoxStream<'static, Outcome<Bytes>>> {
        let reader = self.presigned.clone()?;
        let part = self.data.settings.part_size;
        let path = self.path.clone();
        let ranges = (range.start..range.end)
            .step_by(usize::try_from(part).unwrap_or(usize::MAX))
            .map(move |start| start..(start + part).min(range.end));
        let body = futures::stream::iter(ranges)
            .map(move |range| {
                let reader = reader.clone();
                let path = path.clone();
                async move { reader.read_range(range).await.map_err(api(&path)) }
            })
            .buffered(self.data.settings.concurrency);
        Some(body.boxed())
    }

    /// Exactly the bytes of `range`, or an error (never fewer bytes).
    pub(crate) async fn read(&self, range: Range<u64>) -> Outcome<Bytes> {
        if range.is_empty() {
            return Ok(Bytes::new());
        }
        if let Some(reader) = &self.presigned {
            if range.end > reader.size() {
                return Err(Failure::generic(format!(
                    "{}: bytes {}..{} are outside the object of {} bytes",
                    self.path,
                    range.start,
                    range.end,
                    reader.size()
                )));
            }
            return reader.read_range(range).await.map_err(api(&self.path));
        }
        let header = format!("bytes={}-{}", range.start, range.end - 1);
        let download = self
            .data
            .get(&self.ref_, &self.path, Some(header), None)
            .await
            .map_err(crate::failure::api(&self.path))?;
        let bytes = download
            .bytes()
            .await
            .map_err(crate::failure::api(&self.path))?;
        let expected = range.end - range.start;
        if bytes.len() as u64 != expected {
            return Err(Failure::generic(format!(
                "{}: asked for bytes {}..{} and got {} bytes: the range is outside the object",
                self.path,
                range.start,
                range.end,
                bytes.len()
            )));
        }
        Ok(bytes)
    }
}

/// One part handed to a streaming upload, and who waits for it to be sent.
struct QueuedPart {
    chunks: VecDeque<Bytes>,
    sent: oneshot::Sender<()>,
}

/// What a streaming upload's body receives.
enum Feed {
    Part(QueuedPart),
    /// The content is complete: end the body cleanly.
    End,
}

/// An `uploadObject` whose body is fed part by part: each part is sent as soon as the
/// connection takes it, so memory holds only the parts handed over and not yet sent. The
/// object appears only when the body ends ([`finish`](Self::finish)); an aborted or failed
/// upload leaves nothing (lakeFS stores nothing from a body cut short).
pub(crate) struct StreamingUpload {
    queue: Option<mpsc::UnboundedSender<Feed>>,
    task: tokio::task::JoinHandle<lakefs_api::Result<ObjectStats>>,
    path: String,
}

impl std::fmt::Debug for StreamingUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingUpload")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl StreamingUpload {
    pub(crate) fn start(data: &DataPath, branch: &str, path: &str, options: &WriteOptions) -> Self {
        let (queue, parts) = mpsc::unbounded_channel::<Feed>();
        let body = futures::stream::unfold(
            (Some(parts), None::<QueuedPart>),
            |(mut parts, mut current)| async move {
                loop {
                    if let Some(mut part) = current.take() {
                        if let Some(chunk) = part.chunks.pop_front() {
                            return Some((Ok(chunk), (parts, Some(part))));
                        }
                        // The connection asked for more after the part's last chunk: sent.
                        let _ = part.sent.send(());
                    }
                    match parts.as_mut()?.recv().await {
                        Some(Feed::Part(part)) => current = Some(part),
                        Some(Feed::End) => return None,
                        // Dropped without `End`: fail the body so that lakeFS stores nothing.
                        None => {
                            let cut = std::io::Error::other("the upload was aborted");
                            return Some((Err(cut), (None, None)));
                        }
                    }
                }
            },
        );
        let client = data.client.clone();
        let repository = data.repository.clone();
        let (branch, path_owned) = (branch.to_string(), path.to_string());
        let options = options.upload_options();
        let task = tokio::spawn(async move {
            let body = UploadBody::from_stream(body.boxed(), None);
            client
                .upload_object(&repository, &branch, &path_owned, body, options)
                .await
        });
        StreamingUpload {
            queue: Some(queue),
            task,
            path: path.to_string(),
        }
    }

    /// Hands a part over; the future ends when the connection has taken all of it.
    pub(crate) fn send(&self, chunks: Vec<Bytes>) -> BoxFuture<'static, Outcome<()>> {
        let (sent, was_sent) = oneshot::channel();
        let part = QueuedPart {
            chunks: chunks.into_iter().filter(|c| !c.is_empty()).collect(),
            sent,
        };
        let queued = self
            .queue
            .as_ref()
            .is_some_and(|q| q.send(Feed::Part(part)).is_ok());
        let path = self.path.clone();
        async move {
            if queued && was_sent.await.is_ok() {
                return Ok(());
            }
            Err(Failure::generic(format!(
                "{path}: the upload to lakeFS stopped before this part was sent; \
                 complete() says why"
            )))
        }
        .boxed()
    }

    /// Ends the body and waits for lakeFS to store the object.
    pub(crate) async fn finish(mut self) -> lakefs_api::Result<ObjectStats> {
        if let Some(queue) = self.queue.take() {
            let _ = queue.send(Feed::End);
        }
        match (&mut self.task).await {
            Ok(result) => result,
            Err(join) => Err(lakefs_api::Error::InvalidArgument(format!(
                "the upload task of {} failed: {join}",
                self.path
            ))),
        }
    }

    /// Cuts the body short: lakeFS stores nothing.
    pub(crate) fn abort(mut self) {
        self.queue = None;
        self.task.abort();
    }
}

impl Drop for StreamingUpload {
    fn drop(&mut self) {
        // Neither finished nor aborted: the queue closes without `End`, which fails the body,
        // so lakeFS never stores what was sent so far.
        if self.queue.take().is_some() {
            self.task.abort();
        }
    }
}

/// An upload fed part by part.
#[derive(Debug)]
pub(crate) enum Upload {
    /// One `uploadObject`, its body streamed as parts come.
    Streaming(StreamingUpload),
    /// A presigned multipart upload, parts uploaded concurrently.
    Presigned(Box<PresignedUpload>),
}

impl Upload {
    /// Hands data over; the future ends when it is sent (or, below the part size, held for
    /// the next part).
    pub(crate) fn send(&mut self, chunks: Vec<Bytes>) -> BoxFuture<'static, Outcome<()>> {
        match self {
            Upload::Streaming(upload) => upload.send(chunks),
            Upload::Presigned(upload) => upload.send(chunks),
        }
    }

    /// Completes the object.
    pub(crate) async fn finish(self) -> lakefs_api::Result<ObjectStats> {
        match self {
            Upload::Streaming(upload) => upload.finish().await,
            Upload::Presigned(upload) => upload.finish().await,
        }
    }

    /// Discards everything sent.
    pub(crate) async fn abort(self) {
        match self {
            Upload::Streaming(upload) => upload.abort(),
            Upload::Presigned(upload) => upload.abort().await,
        }
    }
}

/// A presigned multipart upload fed with payloads of any size: they are joined into parts of
/// at least the part size (S3 refuses smaller parts but the last), each part uploaded as soon
/// as it is full, at most `concurrency` at once.
pub(crate) struct PresignedUpload {
    session: Arc<MultipartUpload>,
    data: DataPath,
    branch: String,
    path: String,
    options: WriteOptions,
    /// Data of the part being filled.
    pending: Vec<Bytes>,
    pending_len: u64,
    next_part: u32,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    limit: Arc<Semaphore>,
    /// The first part failure, for `finish` to report.
    failure: Arc<Mutex<Option<lakefs_api::Error>>>,
}

impl std::fmt::Debug for PresignedUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PresignedUpload")
            .field("session", &self.session)
            .field("next_part", &self.next_part)
            .finish_non_exhaustive()
    }
}

fn join(chunks: Vec<Bytes>) -> Bytes {
    if chunks.len() == 1 {
        return chunks.into_iter().next().unwrap_or_default();
    }
    Bytes::from(chunks.concat())
}

impl PresignedUpload {
    fn send(&mut self, chunks: Vec<Bytes>) -> BoxFuture<'static, Outcome<()>> {
        for chunk in chunks.into_iter().filter(|c| !c.is_empty()) {
            self.pending_len += chunk.len() as u64;
            self.pending.push(chunk);
        }
        if self.pending_len < self.data.settings.part_size {
            return async { Ok(()) }.boxed();
        }
        self.upload_pending()
    }

    /// Uploads the pending data as the next part, in a task of its own.
    fn upload_pending(&mut self) -> BoxFuture<'static, Outcome<()>> {
        let data = join(std::mem::take(&mut self.pending));
        self.pending_len = 0;
        let number = self.next_part;
        self.next_part += 1;
        let (session, limit, failure) = (
            self.session.clone(),
            self.limit.clone(),
            self.failure.clone(),
        );
        let (done, outcome) = oneshot::channel::<Result<(), String>>();
        self.tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await;
            let report = match session.put_part(number, data).await {
                Ok(_) => Ok(()),
                Err(error) => {
                    let message = error.to_string();
                    lock(&failure).get_or_insert(error);
                    Err(message)
                }
            };
            let _ = done.send(report);
        }));
        let path = self.path.clone();
        async move {
            match outcome.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(message)) => Err(Failure::generic(format!("{path}: {message}"))),
                Err(_) => Err(Failure::generic(format!(
                    "{path}: the part was cancelled with its upload"
                ))),
            }
        }
        .boxed()
    }

    async fn finish(mut self) -> lakefs_api::Result<ObjectStats> {
        if self.next_part == 1 && self.pending.is_empty() {
            // No data at all: S3 cannot complete a multipart upload without parts.
            let _ = self.session.abort().await;
            return self
                .data
                .put(&self.branch, &self.path, Bytes::new(), &self.options)
                .await;
        }
        if !self.pending.is_empty() {
            // The last part may be smaller than the part size.
            drop(self.upload_pending());
        }
        for task in std::mem::take(&mut self.tasks) {
            if let Err(join) = task.await {
                lock(&self.failure).get_or_insert(lakefs_api::Error::Unsupported(format!(
                    "a part upload task of {} failed: {join}",
                    self.path
                )));
            }
        }
        let failure = lock(&self.failure).take();
        if let Some(error) = failure {
            let _ = self.session.abort().await;
            return Err(error);
        }
        self.session
            .complete(
                self.options.content_type.clone(),
                self.options.user_metadata.clone(),
            )
            .await
    }

    async fn abort(mut self) {
        for task in std::mem::take(&mut self.tasks) {
            task.abort();
        }
        let _ = self.session.abort().await;
    }
}

impl Drop for PresignedUpload {
    fn drop(&mut self) {
        // Neither completed nor aborted: stop the parts; the session aborts itself when the
        // last of its handles goes.
        for task in &self.tasks {
            task.abort();
        }
    }
}
