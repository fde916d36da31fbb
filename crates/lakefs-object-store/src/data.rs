//! Every movement of object data goes through here: whole uploads, streaming uploads fed part
//! by part, and reads of whole objects or byte ranges. The rest of the crate deals in keys,
//! options and metadata only, so the transport under each of these can change alone.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Range;

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use lakefs_api::models::ObjectStats;
use lakefs_api::{
    GetObjectOptions, LakeFsClient, ObjectDownload, ObjectsApi, UploadBody, UploadObjectOptions,
};
use tokio::sync::{mpsc, oneshot};

use crate::failure::{Failure, Outcome};

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

/// The data path of one repository.
#[derive(Debug, Clone)]
pub(crate) struct DataPath {
    pub(crate) client: LakeFsClient,
    pub(crate) repository: String,
}

impl DataPath {
    /// Stores `data` at `path` on `branch` in one request.
    pub(crate) async fn put(
        &self,
        branch: &str,
        path: &str,
        data: Bytes,
        options: &WriteOptions,
    ) -> lakefs_api::Result<ObjectStats> {
        self.client
            .upload_object(
                &self.repository,
                branch,
                path,
                data.into(),
                options.upload_options(),
            )
            .await
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

    /// A reader of byte ranges of one object.
    pub(crate) fn reader(&self, ref_: &str, path: &str) -> RangeReader {
        RangeReader {
            data: self.clone(),
            ref_: ref_.to_string(),
            path: path.to_string(),
        }
    }

    /// Starts an upload whose content comes part by part, streamed to lakeFS as it comes.
    pub(crate) fn start_upload(
        &self,
        branch: &str,
        path: &str,
        options: &WriteOptions,
    ) -> StreamingUpload {
        StreamingUpload::start(self, branch, path, options)
    }
}

/// Reads exact byte ranges of one object.
#[derive(Debug, Clone)]
pub(crate) struct RangeReader {
    data: DataPath,
    ref_: String,
    path: String,
}

impl RangeReader {
    /// Exactly the bytes of `range`, or an error (never fewer bytes).
    pub(crate) async fn read(&self, range: Range<u64>) -> Outcome<Bytes> {
        if range.is_empty() {
            return Ok(Bytes::new());
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
    fn start(data: &DataPath, branch: &str, path: &str, options: &WriteOptions) -> Self {
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
