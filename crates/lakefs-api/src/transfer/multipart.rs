//! A part-level presigned multipart upload session.

use super::store::{PutBody, PutOptions, SignedUrl, check_md5, md5_hex};
use super::{MAX_PARTS, Meter, ProgressCallback};
use crate::error::{Error, Result};
use crate::{
    AbortPresignMultipartUploadOptions, CompletePresignMultipartUploadOptions,
    CreatePresignMultipartUploadOptions, ExperimentalApi, LakeFsClient,
};
use bytes::Bytes;
use lakefs_models::{
    AbortPresignMultipartUpload, CompletePresignMultipartUpload, ObjectStats, UploadPart,
    UploadPartFrom,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// A part the store has accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompletedPart {
    /// Its number, 1 to 10,000.
    pub part_number: u32,
    /// The store's ETag for it, without quotes.
    pub etag: String,
}

/// A presigned multipart upload: parts go straight to the object store, lakeFS only hands out
/// their URLs and links the result.
///
/// Parts may be put concurrently (the methods take `&self`; wrap it in an `Arc` to share it
/// between tasks), in any order, and the total size need not be known: a part's URL comes
/// with [`create`](Self::create) when the number of parts is given, else from `uploadPart`
/// when the part is put. Every part but the last must be at least 5 MiB (S3's rule).
///
/// Each part is retried on its own (transport errors, 5xx, a wrong ETag) and its URL is
/// refreshed before it expires or when the store refuses it. The MD5 of each part is compared
/// with the store's ETag unless [`verify_checksums`](Self::verify_checksums) turned it off.
///
/// [`complete`](Self::complete) links the object; an upload dropped before that is aborted in
/// a spawned task (best effort), so that no multipart upload is left open.
///
/// ```no_run
/// # async fn run(client: lakefs_api::LakeFsClient) -> lakefs_api::Result<()> {
/// use lakefs_api::transfer::MultipartUpload;
/// let upload = MultipartUpload::create(&client, "repo", "main", "big.bin", None).await?;
/// upload.put_part(1, vec![0u8; 5 << 20].into()).await?;
/// upload.put_part(2, bytes::Bytes::from_static(b"tail")).await?;
/// let stats = upload.complete(None, Default::default()).await?;
/// # let _ = stats; Ok(()) }
/// ```
pub struct MultipartUpload {
    shared: Arc<Shared>,
}

struct Shared {
    client: LakeFsClient,
    repository: String,
    branch: String,
    path: String,
    upload_id: String,
    physical_address: String,
    urls: Mutex<HashMap<u32, SignedUrl>>,
    parts: Mutex<BTreeMap<u32, String>>,
    open: std::sync::atomic::AtomicBool,
    verify: std::sync::atomic::AtomicBool,
    meter: Mutex<Meter>,
}

impl std::fmt::Debug for MultipartUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MultipartUpload")
            .field("repository", &self.shared.repository)
            .field("branch", &self.shared.branch)
            .field("path", &self.shared.path)
            .field("upload_id", &self.shared.upload_id)
            .finish_non_exhaustive()
    }
}

impl MultipartUpload {
    /// Starts an upload (`createPresignMultipartUpload`). With `parts`, the URLs of parts 1 to
    /// `parts` come at once; without, each part's URL is asked for when it is put.
    pub async fn create(
        client: &LakeFsClient,
        repository: &str,
        branch: &str,
        path: &str,
        parts: Option<u32>,
    ) -> Result<MultipartUpload> {
        if let Some(n) = parts
            && u64::from(n) > MAX_PARTS
        {
            return Err(Error::InvalidArgument(format!(
                "{n} parts: a multipart upload has at most {MAX_PARTS}"
            )));
        }
        let mut options = CreatePresignMultipartUploadOptions::default();
        if let Some(n) = parts.filter(|&n| n > 0) {
            options = options.parts(i64::from(n));
        }
        let created = client
            .create_presign_multipart_upload(repository, branch, path, options)
            .await?;
        let urls = created.presigned_urls.unwrap_or_default();
        let wanted = parts.unwrap_or(0) as usize;
        let session = MultipartUpload {
            shared: Arc::new(Shared {
                client: client.clone(),
                repository: repository.into(),
                branch: branch.into(),
                path: path.into(),
                upload_id: created.upload_id,
                physical_address: created.physical_address,
                urls: Mutex::default(),
                parts: Mutex::default(),
                open: true.into(),
                verify: true.into(),
                meter: Mutex::default(),
            }),
        };
        // From here on, a failure aborts the upload (when `session` is dropped).
        if urls.len() != wanted {
            return Err(Error::Decode {
                operation: "createPresignMultipartUpload",
                status: 201,
                message: format!("{} presigned URLs for {wanted} parts", urls.len()),
                request_id: None,
            });
        }
        let mut signed = HashMap::with_capacity(urls.len());
        for (number, url) in (1u32..).zip(urls) {
            signed.insert(number, SignedUrl::parse(&url, None)?);
        }
        *lock(&session.shared.urls) = signed;
        Ok(session)
    }

    /// Whether each part's MD5 is compared with the store's ETag (default on).
    pub fn verify_checksums(&self, verify: bool) {
        self.shared
            .verify
            .store(verify, std::sync::atomic::Ordering::Relaxed);
    }

    /// Counts the bytes of every part put from now on, and tells `callback`.
    pub fn on_progress(&self, total: Option<u64>, callback: ProgressCallback) {
        *lock(&self.shared.meter) = Meter::new(total, Some(callback));
    }

    pub(crate) fn set_meter(&self, meter: Meter) {
        *lock(&self.shared.meter) = meter;
    }

    /// The upload id lakeFS gave.
    pub fn upload_id(&self) -> &str {
        &self.shared.upload_id
    }

    /// Where the object is being written in the store.
    pub fn physical_address(&self) -> &str {
        &self.shared.physical_address
    }

    /// The parts accepted so far, in order.
    pub fn completed_parts(&self) -> Vec<CompletedPart> {
        lock(&self.shared.parts)
            .iter()
            .map(|(&part_number, etag)| CompletedPart {
                part_number,
                etag: etag.clone(),
            })
            .collect()
    }

    /// Uploads part `part_number` (1 to 10,000), retried on its own; putting a part again
    /// replaces it.
    pub async fn put_part(&self, part_number: u32, data: Bytes) -> Result<CompletedPart> {
        if part_number == 0 || u64::from(part_number) > MAX_PARTS {
            return Err(Error::InvalidArgument(format!(
                "part number {part_number}: parts are numbered 1 to {MAX_PARTS}"
            )));
        }
        self.ensure_open()?;
        let shared = &self.shared;
        let verify = shared.verify.load(std::sync::atomic::Ordering::Relaxed);
        // The MD5 is computed on another thread while the part is sent.
        let digest = verify.then(|| {
            let data = data.clone();
            let task = tokio::task::spawn_blocking(move || md5_hex(&data));
            futures::FutureExt::shared(futures::FutureExt::boxed(async move {
                task.await.map_err(|e| e.to_string())
            }))
        });
        let meter = lock(&shared.meter).clone();
        let put = PutOptions::default();
        let what = format!("part {part_number}");
        let etag = shared
            .client
            .with_store_retries(|refresh| {
                let data = data.clone();
                let (meter, put, what, digest) = (&meter, &put, &what, digest.clone());
                async move {
                    let length = data.len() as u64;
                    let url = self.part_url(part_number, refresh).await?;
                    let answer = shared
                        .client
                        .store_put(&url.url, PutBody::Bytes(data), put, meter)
                        .await?;
                    if let Some(digest) = digest {
                        let sum = digest.await.map_err(|e| {
                            Error::Blocking(format!("computing the MD5 of a part failed: {e}"))
                        })?;
                        if let Err(e) = check_md5(what, &sum, &answer.checksum) {
                            meter.sub(length);
                            return Err(e);
                        }
                    }
                    Ok(answer.checksum)
                }
            })
            .await?;
        lock(&shared.parts).insert(part_number, etag.clone());
        Ok(CompletedPart { part_number, etag })
    }

    /// A fresh URL for a part (`uploadPart`); [`put_part`](Self::put_part) calls it by itself
    /// when the URL is about to expire or the store refused it.
    pub async fn refresh_part_url(&self, part_number: u32) -> Result<()> {
        self.part_url(part_number, true).await.map(|_| ())
    }

    async fn part_url(&self, part_number: u32, refresh: bool) -> Result<SignedUrl> {
        let shared = &self.shared;
        if !refresh
            && let Some(url) = lock(&shared.urls).get(&part_number)
            && !url.expires_soon(SystemTime::now())
        {
            return Ok(url.clone());
        }
        let answer = shared
            .client
            .upload_part(
                &shared.repository,
                &shared.branch,
                &shared.upload_id,
                &shared.path,
                i64::from(part_number),
                &UploadPartFrom::new(shared.physical_address.clone()),
            )
            .await?;
        let url = SignedUrl::parse(&answer.presigned_url, None)?;
        lock(&shared.urls).insert(part_number, url.clone());
        Ok(url)
    }

    /// Assembles the parts put so far, in order, into the object and links it
    /// (`completePresignMultipartUpload`). A failure aborts the upload.
    pub async fn complete(
        &self,
        content_type: Option<String>,
        user_metadata: BTreeMap<String, String>,
    ) -> Result<ObjectStats> {
        self.ensure_open()?;
        let parts: Vec<UploadPart> = self
            .completed_parts()
            .into_iter()
            .map(|p| UploadPart::new(i64::from(p.part_number), p.etag))
            .collect();
        if parts.is_empty() {
            return Err(Error::InvalidArgument(
                "a multipart upload needs at least one part".into(),
            ));
        }
        let shared = &self.shared;
        let mut body = CompletePresignMultipartUpload::new(shared.physical_address.clone(), parts);
        body.content_type = content_type;
        body.user_metadata = (!user_metadata.is_empty()).then_some(user_metadata);
        let options = CompletePresignMultipartUploadOptions::default()
            .complete_presign_multipart_upload(body);
        let completed = shared
            .client
            .complete_presign_multipart_upload(
                &shared.repository,
                &shared.branch,
                &shared.upload_id,
                &shared.path,
                options,
            )
            .await;
        match completed {
            Ok(stats) => {
                shared
                    .open
                    .store(false, std::sync::atomic::Ordering::Relaxed);
                Ok(stats)
            }
            Err(e) => {
                let _ = self.abort().await;
                Err(e)
            }
        }
    }

    /// Cancels the upload (`abortPresignMultipartUpload`): the store discards its parts.
    pub async fn abort(&self) -> Result<()> {
        if !self
            .shared
            .open
            .swap(false, std::sync::atomic::Ordering::Relaxed)
        {
            return Ok(());
        }
        self.shared.send_abort().await
    }

    fn ensure_open(&self) -> Result<()> {
        if self.shared.open.load(std::sync::atomic::Ordering::Relaxed) {
            Ok(())
        } else {
            Err(Error::InvalidArgument(format!(
                "multipart upload {} is already completed or aborted",
                self.shared.upload_id
            )))
        }
    }
}

impl Shared {
    async fn send_abort(&self) -> Result<()> {
        let options = AbortPresignMultipartUploadOptions::default().abort_presign_multipart_upload(
            AbortPresignMultipartUpload::new(self.physical_address.clone()),
        );
        self.client
            .abort_presign_multipart_upload(
                &self.repository,
                &self.branch,
                &self.upload_id,
                &self.path,
                options,
            )
            .await
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        if !*self.open.get_mut() {
            return;
        }
        // Dropped while open (a failure, a cancelled transfer): abort in the background.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(upload_id = %self.upload_id, "a multipart upload was dropped outside a runtime; it stays open");
            return;
        };
        let orphan = Shared {
            client: self.client.clone(),
            repository: std::mem::take(&mut self.repository),
            branch: std::mem::take(&mut self.branch),
            path: std::mem::take(&mut self.path),
            upload_id: std::mem::take(&mut self.upload_id),
            physical_address: std::mem::take(&mut self.physical_address),
            urls: Mutex::default(),
            parts: Mutex::default(),
            open: false.into(),
            verify: false.into(),
            meter: Mutex::default(),
        };
        runtime.spawn(async move {
            if let Err(e) = orphan.send_abort().await {
                tracing::warn!(upload_id = %orphan.upload_id, error = %e, "could not abort a dropped multipart upload");
            }
        });
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
