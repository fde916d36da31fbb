//! The one seam through which object content moves. Reads go straight to the object store
//! through a presigned URL where the repository's storage allows ([`RangedReader`]), else
//! through `getObject`; writes go through the transfers' upload builder
//! (`LakeFsClient::upload`), which picks a presigned PUT, a presigned multipart upload or
//! `uploadObject` by itself.

use crate::{Error, Object, Result};
use lakefs_api::transfer::{ProgressCallback, RangedReader, TransferPath, TransferProgress};
use lakefs_api::{
    ByteStream, ErrorKind, GetObjectOptions, ObjectsApi, UploadBody, UploadObjectOptions, models,
};
use std::path::PathBuf;
use std::sync::Arc;

/// Where a reader's content comes from, chosen once per reader at its first request.
#[derive(Clone, Debug)]
pub(crate) enum ReadSource {
    /// `getObject` with a `Range` from the offset.
    Api,
    /// One presigned GET from the offset, its URL from one `statObject(presign)`.
    Presigned(Arc<RangedReader>),
}

/// The content from some offset on, as one streaming answer.
pub(crate) struct Content {
    pub(crate) body: ByteStream,
    /// The object's size, when the answer tells it.
    pub(crate) size: Option<u64>,
    /// Bytes to drop from the body's start: a server that ignored the `Range`.
    pub(crate) skip: u64,
}

impl ReadSource {
    /// Presigned when the storage has presign support (`getConfig`, once per client) and
    /// lakeFS gives a URL for the object; the API otherwise.
    pub(crate) async fn choose(object: &Object) -> Result<ReadSource> {
        let (repository, reference, path) = object.location();
        let capabilities = object.api().storage_capabilities(repository).await?;
        if !capabilities.presign {
            return Ok(ReadSource::Api);
        }
        match RangedReader::open(object.api(), repository, reference, path).await {
            Ok(reader) => Ok(ReadSource::Presigned(Arc::new(reader))),
            // No usable URL for this object after all (lakeFS answered an address): the API.
            Err(Error::Unsupported(_)) => Ok(ReadSource::Api),
            Err(err) => Err(err),
        }
    }

    /// The object's size, when choosing the source told it (presigned: from the stat).
    pub(crate) fn size(&self) -> Option<u64> {
        match self {
            ReadSource::Api => None,
            ReadSource::Presigned(reader) => Some(reader.size()),
        }
    }

    /// The path the content takes.
    pub(crate) fn path(&self) -> TransferPath {
        match self {
            ReadSource::Api => TransferPath::Api,
            ReadSource::Presigned(_) => TransferPath::PresignedGet,
        }
    }

    /// The content from byte `offset` on; `None` when `offset` is at or past its end.
    pub(crate) async fn read_from(&self, object: &Object, offset: u64) -> Result<Option<Content>> {
        match self {
            ReadSource::Presigned(reader) => {
                if offset >= reader.size() {
                    return Ok(None);
                }
                Ok(Some(Content {
                    body: reader.stream_from(offset).await?,
                    size: Some(reader.size()),
                    skip: 0,
                }))
            }
            ReadSource::Api => api_read_from(object, offset).await,
        }
    }
}

/// `getObject` from `offset`. Offset 0 sends no `Range` (an empty object has no byte 0).
async fn api_read_from(object: &Object, offset: u64) -> Result<Option<Content>> {
    let options = if offset == 0 {
        GetObjectOptions::default()
    } else {
        GetObjectOptions::default().range(format!("bytes={offset}-"))
    };
    let (repository, reference, path) = object.location();
    match object
        .api()
        .get_object(repository, reference, path, options)
        .await
    {
        Ok(download) => {
            let ranged = download.metadata.content_range.is_some();
            Ok(Some(Content {
                size: download.metadata.object_size(),
                skip: if ranged { 0 } else { offset },
                body: download.body,
            }))
        }
        Err(err) if err.kind() == ErrorKind::RangeNotSatisfiable => Ok(None),
        Err(err) => Err(err),
    }
}

/// What an upload sends.
pub(crate) enum Source {
    Body(UploadBody),
    File(PathBuf),
}

/// How an upload is sent: part size and concurrency of a multipart upload, and progress.
#[derive(Clone, Default)]
pub(crate) struct SendSettings {
    pub(crate) part_size: Option<u64>,
    pub(crate) concurrency: Option<usize>,
    pub(crate) progress: Option<ProgressCallback>,
}

impl std::fmt::Debug for SendSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendSettings")
            .field("part_size", &self.part_size)
            .field("concurrency", &self.concurrency)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// Uploads `source` to the object (on a branch) through the transfers' builder: it links the
/// object only once all of it arrived, honours create-only and if-match (a single presigned
/// PUT and a conditional link, or the API), and aborts a multipart upload that fails or is
/// dropped. Options the builder does not carry (`storage_class`, `force`) go through the API.
pub(crate) async fn upload(
    object: &Object,
    source: Source,
    options: UploadObjectOptions,
    settings: SendSettings,
) -> Result<(models::ObjectStats, TransferPath)> {
    let (repository, branch, path) = object.location();
    if options.storage_class.is_some() || options.force.is_some() {
        let body = match source {
            Source::Body(body) => body,
            Source::File(file) => UploadBody::from_file(file).await?,
        };
        let stats = object
            .api()
            .upload_object(repository, branch, path, body, options)
            .await?;
        return Ok((stats, TransferPath::Api));
    }
    let mut upload = object.api().upload(repository, branch, path);
    upload = match source {
        Source::Body(body) => upload.body(body),
        Source::File(file) => upload.file(file),
    };
    if let Some(content_type) = options.content_type {
        upload = upload.content_type(content_type);
    }
    for (key, value) in options.user_metadata {
        upload = upload.metadata(key, value);
    }
    if let Some(etag) = options.if_match {
        upload = upload.if_match(etag);
    }
    match options.if_none_match.as_deref() {
        None => {}
        Some("*") => upload = upload.create_only(),
        Some(other) => {
            return Err(Error::InvalidArgument(format!(
                "If-None-Match {other:?}: lakeFS honours only \"*\" (create only)"
            )));
        }
    }
    if let Some(part_size) = settings.part_size {
        upload = upload.part_size(part_size);
    }
    if let Some(concurrency) = settings.concurrency {
        upload = upload.concurrency(concurrency);
    }
    if let Some(progress) = settings.progress {
        upload = upload.on_progress(move |p: TransferProgress| progress(p));
    }
    let outcome = upload.send().await?;
    Ok((outcome.stats, outcome.path))
}
