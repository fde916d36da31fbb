//! Uploads of the low-level `MultipartStore` API: parts come with an index, possibly out of
//! order, and are streamed to lakeFS in index order.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;
use futures::future::BoxFuture;

use lakefs_api::transfer::MultipartUpload;

use crate::data::{DataPath, StreamingUpload, WriteOptions};
use crate::failure::{Failure, Outcome};
use crate::keys::Target;

/// A `MultipartStore` upload in progress.
#[derive(Debug)]
pub(crate) enum PendingMultipart {
    /// Parts streamed in index order into one `uploadObject`.
    Streaming(StreamedParts),
    /// A presigned multipart upload: part `i` is S3 part `i + 1`.
    Presigned(PresignedParts),
}

/// Parts streamed in index order into one `uploadObject`.
#[derive(Debug)]
pub(crate) struct StreamedParts {
    upload: StreamingUpload,
    target: Target,
    /// The index of the next part to stream.
    next: usize,
    /// Parts that came before their turn, held until it comes.
    early: BTreeMap<usize, Vec<Bytes>>,
}

/// A presigned multipart upload of the `MultipartStore` API.
#[derive(Debug)]
pub(crate) struct PresignedParts {
    pub(crate) session: std::sync::Arc<MultipartUpload>,
    pub(crate) data: DataPath,
    pub(crate) target: Target,
    pub(crate) options: WriteOptions,
}

impl PendingMultipart {
    pub(crate) fn streaming(upload: StreamingUpload, target: Target) -> Self {
        PendingMultipart::Streaming(StreamedParts {
            upload,
            target,
            next: 0,
            early: BTreeMap::new(),
        })
    }

    /// Takes part `index`; the futures end when it is sent.
    pub(crate) fn put(
        &mut self,
        index: usize,
        chunks: Vec<Bytes>,
    ) -> Outcome<Vec<BoxFuture<'static, Outcome<()>>>> {
        match self {
            PendingMultipart::Streaming(parts) => parts.put(index, chunks),
            PendingMultipart::Presigned(parts) => {
                let number = u32::try_from(index + 1)
                    .ok()
                    .filter(|&n| u64::from(n) <= lakefs_api::transfer::MAX_PARTS)
                    .ok_or_else(|| {
                        Failure::generic(format!("part index {index} is beyond 10,000 parts"))
                    })?;
                let session = parts.session.clone();
                let path = parts.target.path.clone();
                let data = if chunks.len() == 1 {
                    chunks.into_iter().next().unwrap_or_default()
                } else {
                    Bytes::from(chunks.concat())
                };
                let sent: BoxFuture<'static, Outcome<()>> = Box::pin(async move {
                    session
                        .put_part(number, data)
                        .await
                        .map(|_| ())
                        .map_err(crate::failure::api(&path))
                });
                Ok(vec![sent])
            }
        }
    }

    /// Completes the object from parts `0..parts`.
    pub(crate) async fn finish(self, parts: usize) -> Outcome<lakefs_api::models::ObjectStats> {
        match self {
            PendingMultipart::Streaming(streamed) => {
                let (upload, target) = streamed.finish(parts)?;
                upload
                    .finish()
                    .await
                    .map_err(crate::failure::api(&target.path))
            }
            PendingMultipart::Presigned(presigned) => {
                let path = presigned.target.path.clone();
                let put = presigned.session.completed_parts().len();
                if parts == 0 && put == 0 {
                    // S3 cannot complete a multipart upload without parts: store it empty.
                    let _ = presigned.session.abort().await;
                    return presigned
                        .data
                        .put(
                            &presigned.target.ref_,
                            &path,
                            Bytes::new(),
                            &presigned.options,
                        )
                        .await
                        .map_err(crate::failure::api(&path));
                }
                if put != parts {
                    let _ = presigned.session.abort().await;
                    return Err(Failure::generic(format!(
                        "cannot complete {path}: {parts} parts named, {put} put"
                    )));
                }
                presigned
                    .session
                    .complete(
                        presigned.options.content_type.clone(),
                        presigned.options.user_metadata.clone(),
                    )
                    .await
                    .map_err(crate::failure::api(&path))
            }
        }
    }

    pub(crate) async fn abort(self) {
        match self {
            PendingMultipart::Streaming(streamed) => streamed.upload.abort(),
            PendingMultipart::Presigned(presigned) => {
                let _ = presigned.session.abort().await;
            }
        }
    }
}

impl StreamedParts {
    /// Takes part `index`: streams it (and the early parts that follow it) when its turn has
    /// come, else holds it. The futures end when the streamed parts are sent.
    pub(crate) fn put(
        &mut self,
        index: usize,
        chunks: Vec<Bytes>,
    ) -> Outcome<Vec<BoxFuture<'static, Outcome<()>>>> {
        if index < self.next || self.early.contains_key(&index) {
            return Err(Failure::not_supported(format!(
                "part {index} of {} was already put: a part streamed to lakeFS cannot be \
                 replaced",
                self.target.path
            )));
        }
        self.early.insert(index, chunks);
        let mut sent = Vec::new();
        while let Some(chunks) = self.early.remove(&self.next) {
            sent.push(self.upload.send(chunks));
            self.next += 1;
        }
        Ok(sent)
    }

    /// The upload to finish, once exactly parts `0..parts` were put.
    pub(crate) fn finish(self, parts: usize) -> Outcome<(StreamingUpload, Target)> {
        if parts != self.next || !self.early.is_empty() {
            let missing = self.next;
            self.upload.abort();
            return Err(Failure::generic(format!(
                "cannot complete {}: {parts} parts named, part {missing} was never put",
                self.target.path
            )));
        }
        Ok((self.upload, self.target))
    }
}

/// The map of uploads, whatever a panicking holder left in it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
