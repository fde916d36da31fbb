//! [`Object`]: a handle on one path in a ref.

use crate::call::{Call, Mode, Operation};
use crate::io::{ObjectReader, ObjectWriter};
use crate::transfer::{self, SendSettings};
use crate::{Branch, Error, Reference, Result};
use futures::future::BoxFuture;
use lakefs_api::transfer::{ProgressCallback, TransferPath, TransferProgress};
use lakefs_api::{ObjectsApi, StatObjectOptions, UploadBody, UploadObjectOptions, models};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The object at a path in a ref. Reading works in any ref; writing (upload, writer, delete,
/// copy to) needs the ref to be a branch, as lakeFS does.
#[derive(Clone, Debug)]
pub struct Object {
    pub(crate) reference: Reference,
    pub(crate) path: Arc<str>,
}

impl Object {
    pub(crate) fn new(reference: Reference, path: String) -> Object {
        Object {
            reference,
            path: path.into(),
        }
    }

    /// Its path in the ref.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The ref it is in.
    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    pub(crate) fn api(&self) -> &lakefs_api::LakeFsClient {
        self.reference.api()
    }

    /// Repository, ref and path, as the API calls take them.
    pub(crate) fn location(&self) -> (&str, &str, &str) {
        (
            self.reference.repository.id(),
            self.reference.id(),
            &self.path,
        )
    }

    /// Its stats: size, checksum, modification time, content type, physical address.
    pub async fn stat(&self) -> Result<models::ObjectStats> {
        self.stat_with(StatObjectOptions::default()).await
    }

    async fn stat_with(&self, options: StatObjectOptions) -> Result<models::ObjectStats> {
        let (repository, reference, path) = self.location();
        self.api()
            .stat_object(repository, reference, path, options)
            .await
    }

    /// Whether it exists (a `HEAD`; only a 404 means no).
    pub async fn exists(&self) -> Result<bool> {
        let (repository, reference, path) = self.location();
        match self
            .api()
            .head_object(repository, reference, path, Default::default())
            .await
        {
            Ok(_) => Ok(true),
            Err(err) if err.is_not_found() => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// Its user metadata (`x-lakefs-meta-*` at upload).
    pub async fn metadata(&self) -> Result<BTreeMap<String, String>> {
        let stats = self
            .stat_with(StatObjectOptions::default().user_metadata(true))
            .await?;
        Ok(stats.metadata.unwrap_or_default())
    }

    /// Copies it to `path` on the branch `destination` (within the repository); the answer
    /// is a handle on the copy.
    pub async fn copy_to(&self, destination: &Branch, path: impl Into<String>) -> Result<Object> {
        let path = path.into();
        let creation = models::ObjectCopyCreation::new(self.path.to_string())
            .with_src_ref(self.reference.id());
        self.api()
            .copy_object(
                self.reference.repository.id(),
                destination.id(),
                &path,
                &creation,
            )
            .await?;
        Ok(destination.object(path))
    }

    /// Deletes it from the branch (uncommitted until the next commit).
    pub async fn delete(&self) -> Result<()> {
        let (repository, branch, path) = self.location();
        self.api()
            .delete_object(repository, branch, path, Default::default())
            .await
    }

    /// Uploads `content` (bytes, a `String`, a `Vec<u8>`, or an [`UploadBody`] from a stream
    /// or reader) to this path of the branch; the answer is its stats. Options:
    /// [`content_type`](Call::content_type), [`metadata`](Call::metadata),
    /// [`create_only`](Call::create_only), [`if_match`](Call::if_match).
    pub fn upload(&self, content: impl Into<UploadBody>) -> Call<Upload> {
        self.upload_from(Source::Body(content.into()))
    }

    /// Uploads the local file at `path`, streamed from disk.
    pub fn upload_file(&self, path: impl Into<PathBuf>) -> Call<Upload> {
        self.upload_from(Source::File(path.into()))
    }

    fn upload_from(&self, source: Source) -> Call<Upload> {
        Call::new(Upload {
            object: self.clone(),
            source,
            options: UploadObjectOptions::default(),
            settings: SendSettings::default(),
        })
    }

    /// A reader of its content (`tokio::io::AsyncRead` + `AsyncSeek`): one streaming GET,
    /// straight from the object store where presigned URLs are offered, issued at the first
    /// read and again only after a seek.
    pub fn reader(&self) -> ObjectReader {
        ObjectReader::new(self.clone())
    }

    /// A writer of new content (`tokio::io::AsyncWrite`), sent as it is written, in bounded
    /// memory (a presigned multipart upload where the storage has them). Call `shutdown()`
    /// (or [`ObjectWriter::finish`]) to complete the upload; a writer dropped before that
    /// links nothing.
    pub fn writer(&self) -> ObjectWriter {
        self.writer_with(UploadObjectOptions::default())
    }

    /// [`writer`](Self::writer) with upload options (content type, metadata, conditions).
    pub fn writer_with(&self, options: UploadObjectOptions) -> ObjectWriter {
        ObjectWriter::new(self.clone(), options)
    }

    /// Downloads its content to the local file `path` through the transfers' download
    /// builder (parallel presigned ranges for large objects where the storage allows, else
    /// one stream); the answer is the number of bytes. The file appears complete or not at
    /// all: the data goes to a temporary file beside it, renamed at the end. Options:
    /// [`concurrency`](Call::concurrency), [`on_progress`](Call::on_progress).
    pub fn download(&self, path: impl AsRef<Path>) -> Call<DownloadFile> {
        Call::new(DownloadFile {
            object: self.clone(),
            target: path.as_ref().to_path_buf(),
            concurrency: None,
            progress: None,
        })
    }
}

/// The settings of [`Object::download`].
pub struct DownloadFile {
    object: Object,
    target: PathBuf,
    concurrency: Option<usize>,
    progress: Option<ProgressCallback>,
}

impl std::fmt::Debug for DownloadFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadFile")
            .field("object", &self.object.path)
            .field("target", &self.target)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

impl<M: Mode> Call<DownloadFile, M> {
    /// Ranges fetched at once by a parallel download (default 10).
    pub fn concurrency(mut self, ranges: usize) -> Self {
        self.args.concurrency = Some(ranges);
        self
    }

    /// Calls `callback` as bytes arrive (from the transfer's tasks: keep it quick).
    pub fn on_progress(
        mut self,
        callback: impl Fn(TransferProgress) + Send + Sync + 'static,
    ) -> Self {
        self.args.progress = Some(Arc::new(callback));
        self
    }
}

impl Operation for DownloadFile {
    type Output = u64;

    fn send(self) -> BoxFuture<'static, Result<u64>> {
        Box::pin(async move {
            let path = &self.target;
            let partial = partial_path(path);
            let (repository, reference, object_path) = self.object.location();
            let mut download = self
                .object
                .api()
                .download(repository, reference, object_path);
            if let Some(concurrency) = self.concurrency {
                download = download.concurrency(concurrency);
            }
            if let Some(progress) = self.progress {
                download = download.on_progress(move |p| progress(p));
            }
            // `to_file` removes what it wrote when it fails.
            let bytes = download.to_file(&partial).await?.bytes;
            match tokio::fs::rename(&partial, path).await {
                Ok(()) => Ok(bytes),
                Err(source) => {
                    let _ = tokio::fs::remove_file(&partial).await;
                    Err(Error::LocalIo {
                        context: format!(
                            "cannot rename {} to {}",
                            partial.display(),
                            path.display()
                        ),
                        source,
                    })
                }
            }
        })
    }
}

/// `dir/name` -> `dir/.name.lakefs-partial`.
fn partial_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.lakefs-partial"))
}

#[derive(Debug)]
enum Source {
    Body(UploadBody),
    File(PathBuf),
}

/// The settings of [`Object::upload`] and [`Object::upload_file`].
#[derive(Debug)]
pub struct Upload {
    object: Object,
    source: Source,
    options: UploadObjectOptions,
    settings: SendSettings,
}

impl<M: Mode> Call<Upload, M> {
    /// The content type stored with the object.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.args.options.content_type = Some(content_type.into());
        self
    }

    /// User metadata stored with the object.
    pub fn metadata(
        mut self,
        metadata: impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>,
    ) -> Self {
        self.args.options.user_metadata = metadata
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self
    }

    /// Create only: fail with 412 ([`Error::is_precondition_failed`]) when the path already
    /// holds an object (`If-None-Match: *`).
    pub fn create_only(mut self) -> Self {
        self.args.options.if_none_match = Some("*".into());
        self
    }

    /// Replace only the version with this ETag (its `checksum`); fail with 412 otherwise.
    pub fn if_match(mut self, etag: impl Into<String>) -> Self {
        self.args.options.if_match = Some(etag.into());
        self
    }

    /// The part size of a multipart upload (default 5 MiB for bytes and files, 8 MiB for a
    /// stream; grown so that no more than 10,000 parts are needed).
    pub fn part_size(mut self, bytes: u64) -> Self {
        self.args.settings.part_size = Some(bytes);
        self
    }

    /// Parts sent at once by a multipart upload (default 5).
    pub fn concurrency(mut self, parts: usize) -> Self {
        self.args.settings.concurrency = Some(parts);
        self
    }

    /// Calls `callback` as bytes are sent (from the transfer's tasks: keep it quick).
    pub fn on_progress(
        mut self,
        callback: impl Fn(TransferProgress) + Send + Sync + 'static,
    ) -> Self {
        self.args.settings.progress = Some(Arc::new(callback));
        self
    }

    /// Every option of `uploadObject` at once (storage class, ...), replacing those set.
    pub fn options(mut self, options: UploadObjectOptions) -> Self {
        self.args.options = options;
        self
    }
}

impl Operation for Upload {
    type Output = models::ObjectStats;

    fn send(self) -> BoxFuture<'static, Result<models::ObjectStats>> {
        Box::pin(async move {
            let source = match self.source {
                Source::Body(body) => transfer::Source::Body(body),
                Source::File(path) => transfer::Source::File(path),
            };
            let (stats, _path): (_, TransferPath) =
                transfer::upload(&self.object, source, self.options, self.settings).await?;
            Ok(stats)
        })
    }
}
