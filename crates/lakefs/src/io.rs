//! [`ObjectReader`] and [`ObjectWriter`]: object content as tokio I/O.

use crate::transfer::{self, Content, ReadSource, SendSettings};
use crate::{Error, ErrorKind, Object, Result};
use bytes::{Bytes, BytesMut};
use futures::future::BoxFuture;
use futures::stream::{Stream, StreamExt};
use lakefs_api::transfer::TransferPath;
use lakefs_api::{ByteStream, UploadBody, UploadObjectOptions, models};
use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::PollSender;

/// How many times a reader re-opens its stream after a connection failure in the middle of
/// the content, before giving up.
const READ_RESUMES: u32 = 3;

/// Reads an object's content: `tokio::io::AsyncRead` and `AsyncSeek`.
///
/// One streaming GET serves every read from the current position on: a sequential read of
/// the whole object is one request (plus the retries of failed connections, resumed from
/// where they stopped). Where the repository's storage supports presigned URLs, that GET goes
/// straight to the object store, with the URL of one `statObject` (refreshed when the store
/// refuses it as expired); otherwise it is a `getObject`. A seek elsewhere drops the stream;
/// the next read opens a new one from the new position. Nothing is sent before the first
/// read (or a seek from the end).
pub struct ObjectReader {
    object: Object,
    /// The position of the next byte a read returns.
    position: u64,
    /// The object's size, once an answer or a seek from the end told it.
    size: Option<u64>,
    /// Where the content comes from, chosen at the first request.
    source: Option<ReadSource>,
    state: ReadState,
    seek: Option<PendingSeek>,
    resumes_left: u32,
}

type Opened = (ReadSource, Option<Content>);

enum ReadState {
    /// No request open: the next read opens one at `position`.
    Idle,
    Opening(BoxFuture<'static, Result<Opened>>),
    Streaming {
        body: ByteStream,
        chunk: Bytes,
        /// Bytes still to drop from the stream's start: a server that ignored the `Range`.
        skip: u64,
    },
    Eof,
}

enum PendingSeek {
    To(u64),
    /// From the end, while the size is still unknown: chooses the source (a presigned one
    /// knows the size) or asks for the object's stats.
    FromEnd(i64, BoxFuture<'static, Result<(Option<ReadSource>, u64)>>),
}

impl std::fmt::Debug for ObjectReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectReader")
            .field("object", &self.object.path)
            .field("position", &self.position)
            .field("size", &self.size)
            .field("source", &self.source.as_ref().map(ReadSource::path))
            .finish_non_exhaustive()
    }
}

impl ObjectReader {
    pub(crate) fn new(object: Object) -> ObjectReader {
        ObjectReader {
            object,
            position: 0,
            size: None,
            source: None,
            state: ReadState::Idle,
            seek: None,
            resumes_left: READ_RESUMES,
        }
    }

    /// The position of the next byte a read returns.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// The object's size, once known (after the first read or a seek from the end).
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// The path the content takes ([`TransferPath::PresignedGet`] or
    /// [`TransferPath::Api`]), once the first request chose it.
    pub fn transfer_path(&self) -> Option<TransferPath> {
        self.source.as_ref().map(ReadSource::path)
    }

    fn open(&mut self) {
        let object = self.object.clone();
        let offset = self.position;
        let source = self.source.clone();
        self.state = ReadState::Opening(Box::pin(async move {
            let source = match source {
                Some(source) => source,
                None => ReadSource::choose(&object).await?,
            };
            let content = source.read_from(&object, offset).await?;
            Ok((source, content))
        }));
    }

    /// Moves to `target`, keeping the open stream when the target is within its current chunk.
    fn move_to(&mut self, target: u64) {
        if target == self.position {
            return;
        }
        if let ReadState::Streaming { chunk, skip: 0, .. } = &mut self.state
            && target > self.position
            && target - self.position <= chunk.len() as u64
        {
            let advance = (target - self.position) as usize;
            let _ = chunk.split_to(advance);
            self.position = target;
            return;
        }
        self.position = target;
        self.state = match self.size {
            Some(size) if target >= size => ReadState::Eof,
            _ => ReadState::Idle,
        };
    }
}

fn io_error(err: Error) -> io::Error {
    let kind = match err.kind() {
        ErrorKind::NotFound => io::ErrorKind::NotFound,
        ErrorKind::Unauthorized | ErrorKind::Forbidden => io::ErrorKind::PermissionDenied,
        ErrorKind::Timeout => io::ErrorKind::TimedOut,
        ErrorKind::PreconditionFailed => io::ErrorKind::AlreadyExists,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, err)
}

/// The SDK error inside an I/O error made by this module, or the I/O error as a local one.
pub(crate) fn from_io_error(err: io::Error, context: &str) -> Error {
    if err.get_ref().is_some_and(|inner| inner.is::<Error>()) {
        if let Some(inner) = err.into_inner()
            && let Ok(err) = inner.downcast::<Error>()
        {
            return *err;
        }
        return Error::InvalidArgument(format!("{context}: unreadable error"));
    }
    Error::LocalIo {
        context: context.to_string(),
        source: err,
    }
}

/// A failure that reading again from the position may get past: a broken or stalled
/// connection, or a body that stopped short (a presigned GET reports it as an integrity error).
fn is_resumable(err: &Error) -> bool {
    matches!(
        err.kind(),
        ErrorKind::Transport | ErrorKind::Timeout | ErrorKind::Integrity
    )
}

impl AsyncRead for ObjectReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                ReadState::Eof => return Poll::Ready(Ok(())),
                ReadState::Idle => {
                    if this.size.is_some_and(|size| this.position >= size) {
                        this.state = ReadState::Eof;
                    } else {
                        this.open();
                    }
                }
                ReadState::Opening(future) => match ready!(future.as_mut().poll(cx)) {
                    Ok((source, content)) => {
                        if let Some(size) = source.size() {
                            this.size = Some(size);
                        }
                        this.source = Some(source);
                        match content {
                            None => {
                                this.size.get_or_insert(this.position);
                                this.state = ReadState::Eof;
                            }
                            Some(content) => {
                                if let Some(size) = content.size {
                                    this.size = Some(size);
                                }
                                this.state = ReadState::Streaming {
                                    body: content.body,
                                    chunk: Bytes::new(),
                                    skip: content.skip,
                                };
                            }
                        }
                    }
                    Err(err) if is_resumable(&err) && this.resumes_left > 0 => {
                        this.resumes_left -= 1;
                        this.state = ReadState::Idle;
                    }
                    Err(err) => {
                        this.state = ReadState::Idle;
                        return Poll::Ready(Err(io_error(err)));
                    }
                },
                ReadState::Streaming { body, chunk, skip } => {
                    if !chunk.is_empty() {
                        let n = chunk.len().min(buf.remaining());
                        buf.put_slice(&chunk.split_to(n));
                        this.position += n as u64;
                        return Poll::Ready(Ok(()));
                    }
                    match ready!(Pin::new(body).poll_next(cx)) {
                        Some(Ok(mut next)) => {
                            let dropped = (*skip).min(next.len() as u64);
                            let _ = next.split_to(dropped as usize);
                            *skip -= dropped;
                            *chunk = next;
                        }
                        None => {
                            // The answer ended: at the end of the object, or cut short by a
                            // server that closed cleanly too early.
                            match this.size {
                                Some(size) if this.position < size && this.resumes_left > 0 => {
                                    this.resumes_left -= 1;
                                    this.state = ReadState::Idle;
                                }
                                Some(size) if this.position < size => {
                                    this.state = ReadState::Idle;
                                    return Poll::Ready(Err(io::Error::new(
                                        io::ErrorKind::UnexpectedEof,
                                        format!(
                                            "{}: the object has {size} bytes but its content ended at {}",
                                            this.object.path, this.position
                                        ),
                                    )));
                                }
                                _ => {
                                    this.size = Some(this.position);
                                    this.state = ReadState::Eof;
                                }
                            }
                        }
                        Some(Err(err)) if is_resumable(&err) && this.resumes_left > 0 => {
                            this.resumes_left -= 1;
                            this.state = ReadState::Idle;
                        }
                        Some(Err(err)) => {
                            this.state = ReadState::Idle;
                            return Poll::Ready(Err(io_error(err)));
                        }
                    }
                }
            }
        }
    }
}

impl AsyncSeek for ObjectReader {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        let this = self.get_mut();
        let invalid = || io::Error::new(io::ErrorKind::InvalidInput, "seek before the start");
        let pending = match position {
            SeekFrom::Start(target) => PendingSeek::To(target),
            SeekFrom::Current(delta) => PendingSeek::To(
                this.position
                    .checked_add_signed(delta)
                    .ok_or_else(invalid)?,
            ),
            SeekFrom::End(delta) => match this.size {
                Some(size) => PendingSeek::To(size.checked_add_signed(delta).ok_or_else(invalid)?),
                None => {
                    let object = this.object.clone();
                    let source = this.source.clone();
                    PendingSeek::FromEnd(delta, Box::pin(size_of(object, source)))
                }
            },
        };
        this.seek = Some(pending);
        Ok(())
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let this = self.get_mut();
        let target = match &mut this.seek {
            None => return Poll::Ready(Ok(this.position)),
            Some(PendingSeek::To(target)) => *target,
            Some(PendingSeek::FromEnd(delta, sizing)) => {
                let delta = *delta;
                let result = ready!(sizing.as_mut().poll(cx));
                this.seek = None;
                let (source, size) = result.map_err(io_error)?;
                if source.is_some() {
                    this.source = source;
                }
                this.size = Some(size);
                size.checked_add_signed(delta).ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidInput, "seek before the start")
                })?
            }
        };
        this.seek = None;
        this.move_to(target);
        Poll::Ready(Ok(this.position))
    }
}

/// The object's size for a seek from the end: a presigned source learns it from its stat
/// (and is kept for the reads that follow), the API path from `statObject`.
async fn size_of(object: Object, source: Option<ReadSource>) -> Result<(Option<ReadSource>, u64)> {
    let source = match source {
        Some(source) => source,
        None => ReadSource::choose(&object).await?,
    };
    if let Some(size) = source.size() {
        return Ok((Some(source), size));
    }
    let stats = object.stat().await?;
    let size = u64::try_from(stats.size_bytes.unwrap_or(0)).unwrap_or(0);
    Ok((Some(source), size))
}

/// How much a writer gathers, once the upload streams, before handing a chunk to it.
const WRITE_CHUNK: usize = 1024 * 1024;
/// How many chunks may wait for the upload to take them.
const WRITE_CHANNEL: usize = 4;

/// Writes an object's content: `tokio::io::AsyncWrite`, sent as it is written, with no
/// whole-object buffer.
///
/// The writer first gathers one part ([`part_size`](Self::part_size), default 8 MiB). An
/// object that ends within it is sent in one piece: one presigned PUT and a link where the
/// storage allows, else `uploadObject`. A larger one streams through the transfers' upload
/// builder: a presigned multipart upload where the storage has them, its parts sent
/// [`concurrency`](Self::concurrency) at a time (memory: at most the part size times one
/// more than the concurrency, plus a few MiB), else one streaming `uploadObject`.
/// Create-only and if-match writers never use multipart (completing one takes no
/// condition): above one part they stream through `uploadObject`, which honours it.
///
/// `shutdown()` (or [`finish`](Self::finish)) completes the upload and waits for lakeFS to
/// link the object. A writer dropped before that links nothing: a multipart upload is
/// aborted (in the spawned upload task, best effort), a streaming `uploadObject` ends in
/// error, and the previous version (if any) stays.
pub struct ObjectWriter {
    object: Object,
    /// Taken when the upload starts.
    options: Option<UploadObjectOptions>,
    settings: SendSettings,
    /// The first part, gathered before anything is sent.
    first: BytesMut,
    buffer: BytesMut,
    sender: Option<PollSender<io::Result<Bytes>>>,
    /// Told when the content is complete; dropped untold, the upload's body ends in error.
    complete: Option<oneshot::Sender<()>>,
    upload: Option<JoinHandle<Result<(models::ObjectStats, TransferPath)>>>,
    stats: Option<models::ObjectStats>,
    path: Option<TransferPath>,
}

impl std::fmt::Debug for ObjectWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectWriter")
            .field("object", &self.object.path)
            .field("started", &self.options.is_none())
            .field("finished", &self.stats.is_some())
            .field("transfer_path", &self.path)
            .finish_non_exhaustive()
    }
}

impl ObjectWriter {
    pub(crate) fn new(object: Object, options: UploadObjectOptions) -> ObjectWriter {
        ObjectWriter {
            object,
            options: Some(options),
            settings: SendSettings::default(),
            first: BytesMut::new(),
            buffer: BytesMut::new(),
            sender: None,
            complete: None,
            upload: None,
            stats: None,
            path: None,
        }
    }

    /// The part size: the most gathered before the upload starts, and the size of each part
    /// of a multipart upload (default 8 MiB, at least 5 MiB as S3 requires). Set it before
    /// the first write.
    pub fn part_size(mut self, bytes: u64) -> Self {
        self.settings.part_size = Some(bytes.max(lakefs_api::transfer::MIN_PART_SIZE));
        self
    }

    /// Parts sent at once by a multipart upload (default 5).
    pub fn concurrency(mut self, parts: usize) -> Self {
        self.settings.concurrency = Some(parts.max(1));
        self
    }

    fn first_part_size(&self) -> usize {
        let size = self
            .settings
            .part_size
            .unwrap_or(lakefs_api::transfer::DEFAULT_STREAM_PART_SIZE);
        usize::try_from(size).unwrap_or(usize::MAX)
    }

    /// Completes the upload (as `shutdown()` does) and answers the new object's stats.
    pub async fn finish(mut self) -> Result<models::ObjectStats> {
        use tokio::io::AsyncWriteExt;
        self.shutdown()
            .await
            .map_err(|err| from_io_error(err, "cannot finish the upload"))?;
        self.stats
            .take()
            .ok_or_else(|| Error::InvalidArgument("the upload was already finished".into()))
    }

    /// The new object's stats, once `shutdown()` completed.
    pub fn stats(&self) -> Option<&models::ObjectStats> {
        self.stats.as_ref()
    }

    /// The path the content took, once `shutdown()` completed.
    pub fn transfer_path(&self) -> Option<TransferPath> {
        self.path
    }

    /// Whether the writer is still gathering its first part (nothing sent yet).
    fn gathering(&self) -> bool {
        self.options.is_some()
    }

    fn spawn_upload(&mut self, body: UploadBody) -> io::Result<()> {
        let Some(options) = self.options.take() else {
            return Ok(());
        };
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| io::Error::other("an ObjectWriter must be used inside a tokio runtime"))?;
        let object = self.object.clone();
        let settings = self.settings.clone();
        self.upload = Some(runtime.spawn(async move {
            transfer::upload(&object, transfer::Source::Body(body), options, settings).await
        }));
        Ok(())
    }

    /// The content is larger than one part: starts a streaming upload, the first part first.
    fn start_stream(&mut self) -> io::Result<()> {
        let (sender, receiver) = mpsc::channel::<io::Result<Bytes>>(WRITE_CHANNEL);
        let (complete, completed) = oneshot::channel::<()>();
        let first = self.first.split().freeze();
        self.first = BytesMut::new();
        let body = futures::stream::once(async move { Ok(first) })
            .chain(content_stream(receiver, completed));
        self.spawn_upload(UploadBody::from_stream(body, None))?;
        self.sender = Some(PollSender::new(sender));
        self.complete = Some(complete);
        Ok(())
    }

    /// Hands the gathered bytes to the upload.
    fn poll_send_buffer(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.buffer.is_empty() {
            return Poll::Ready(Ok(()));
        }
        let Some(sender) = self.sender.as_mut() else {
            return Poll::Ready(Err(io::Error::other("the upload is already finished")));
        };
        match ready!(sender.poll_reserve(cx)) {
            Ok(()) => {
                let chunk = self.buffer.split().freeze();
                if sender.send_item(Ok(chunk)).is_err() {
                    return self.poll_upload_failure(cx);
                }
                Poll::Ready(Ok(()))
            }
            // The upload stopped taking data: it failed; say why.
            Err(_) => self.poll_upload_failure(cx),
        }
    }

    fn poll_upload_failure(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.sender = None;
        match ready!(self.poll_upload(cx)) {
            Ok(()) => Poll::Ready(Err(io::Error::other(
                "the upload ended before all the content was written",
            ))),
            Err(err) => Poll::Ready(Err(err)),
        }
    }

    fn poll_upload(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(upload) = self.upload.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let joined = ready!(Pin::new(upload).poll(cx));
        self.upload = None;
        match joined {
            Ok(Ok((stats, path))) => {
                self.stats = Some(stats);
                self.path = Some(path);
                Poll::Ready(Ok(()))
            }
            Ok(Err(err)) => Poll::Ready(Err(io_error(err))),
            Err(join) => Poll::Ready(Err(io::Error::other(format!(
                "the upload task failed: {join}"
            )))),
        }
    }
}

/// The upload's body: the written chunks, then the end only if the writer said the content is
/// complete; an error instead when it was dropped before, so that lakeFS links nothing.
fn content_stream(
    receiver: mpsc::Receiver<io::Result<Bytes>>,
    completed: oneshot::Receiver<()>,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    let chunks = futures::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    let end = futures::stream::once(async move {
        match completed.await {
            Ok(()) => None,
            Err(_) => Some(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the object writer was dropped before shutdown: upload abandoned",
            ))),
        }
    })
    .filter_map(std::future::ready);
    chunks.chain(end)
}

impl AsyncWrite for ObjectWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.stats.is_some() || (!this.gathering() && this.sender.is_none()) {
            return Poll::Ready(Err(io::Error::other("the upload is already finished")));
        }
        if this.gathering() {
            let room = this.first_part_size() - this.first.len().min(this.first_part_size());
            if room > 0 || data.is_empty() {
                let n = data.len().min(room);
                this.first.extend_from_slice(&data[..n]);
                return Poll::Ready(Ok(n));
            }
            // More than one part: the upload starts.
            this.start_stream()?;
        }
        if this.buffer.len() >= WRITE_CHUNK {
            ready!(this.poll_send_buffer(cx))?;
        }
        let n = data.len().min(WRITE_CHUNK - this.buffer.len());
        this.buffer.extend_from_slice(&data[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // While gathering the first part there is nothing to send yet: the part is sent once
        // it is full or the content complete.
        self.get_mut().poll_send_buffer(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.stats.is_some() {
            return Poll::Ready(Ok(()));
        }
        if this.gathering() {
            // The whole object fits in one part: one upload of it.
            let content = this.first.split().freeze();
            this.first = BytesMut::new();
            this.spawn_upload(UploadBody::from(content))?;
        } else {
            ready!(this.poll_send_buffer(cx))?;
            // The content is complete: close the channel and let the body end normally.
            this.sender = None;
            if let Some(complete) = this.complete.take() {
                let _ = complete.send(());
            }
        }
        ready!(this.poll_upload(cx))?;
        if this.stats.is_none() {
            return Poll::Ready(Err(io::Error::other("the upload is already finished")));
        }
        Poll::Ready(Ok(()))
    }
}
