// The `ObjectStore`, `MultipartStore` and `PaginatedListStore` impls of `LakeFsStore`, written
// once and compiled once per supported `object_store` version: the including module (v0_13.rs,
// v0_14.rs) names that version `object_store` and gives the few constructors that differ
// between versions in `compat`.

use std::ops::Range;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::future::{BoxFuture, FutureExt};
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use lakefs_api::models::{ObjectCopyCreation, ObjectStats, ObjectStatsPathType, PathList};
use lakefs_api::{BranchesApi, ListObjectsOptions, ObjectsApi, ObjectsApiExt, StatObjectOptions};
use object_store::list::{PaginatedListOptions, PaginatedListResult, PaginatedListStore};
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::{Path, PathPart};
use object_store::{
    Attribute, AttributeValue, Attributes, CopyMode, CopyOptions, GetOptions, GetRange, GetResult,
    GetResultPayload, ListResult, MultipartId, MultipartUpload, ObjectMeta, ObjectStore, PutMode,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, TagSet, UploadPart,
};

use crate::data::{Condition, DataPath, StreamingUpload, Upload, WriteOptions};
use crate::failure::{Failure, Outcome, api};
use crate::keys::{self, Layout, Target};
use crate::multipart::{PendingMultipart, PresignedParts};
use crate::store::{DELETE_BATCH, LIST_PAGE, LakeFsStore};

/// The store name in `object_store::Error::Generic`.
const STORE: &str = "lakeFS";

impl From<Failure> for object_store::Error {
    fn from(failure: Failure) -> Self {
        use object_store::Error;
        match failure {
            Failure::NotFound { path, source } => Error::NotFound { path, source },
            Failure::AlreadyExists { path, source } => Error::AlreadyExists { path, source },
            Failure::Precondition { path, source } => Error::Precondition { path, source },
            Failure::NotModified { path, source } => Error::NotModified { path, source },
            Failure::NotSupported { source } => Error::NotSupported { source },
            Failure::NotImplemented { operation } => Error::NotImplemented {
                operation,
                implementer: STORE.to_string(),
            },
            Failure::PermissionDenied { path, source } => Error::PermissionDenied { path, source },
            Failure::Unauthenticated { path, source } => Error::Unauthenticated { path, source },
            Failure::Generic { source } => Error::Generic {
                store: STORE,
                source,
            },
        }
    }
}

/// A lakeFS checksum as an ETag: quoted, as `object_store` compares them (one allocation:
/// listings build one per object).
fn etag(checksum: &str) -> String {
    let mut etag = String::with_capacity(checksum.len() + 2);
    etag.push('"');
    etag.push_str(checksum);
    etag.push('"');
    etag
}

/// A caller's ETag as the lakeFS checksum.
fn checksum(etag: &str) -> &str {
    let etag = etag.trim();
    let etag = etag.strip_prefix("W/").unwrap_or(etag);
    etag.trim_matches('"')
}

fn seconds(mtime: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(mtime, 0).unwrap_or_default()
}

fn location(layout: &Layout, ref_: &str, path: &str) -> object_store::Result<Path> {
    Ok(Path::parse(layout.key(ref_, path))?)
}

/// What `object_store` knows of an object, from lakeFS's stats of it at `ref_`.
fn object_meta(location: Path, ref_: &str, stats: &ObjectStats) -> ObjectMeta {
    ObjectMeta {
        location,
        last_modified: seconds(stats.mtime),
        size: u64::try_from(stats.size_bytes.unwrap_or(0)).unwrap_or(0),
        e_tag: Some(etag(&stats.checksum)),
        // Only a commit holds an object unchanged for ever: that is its version.
        version: keys::is_commit_id(ref_).then(|| ref_.to_string()),
    }
}

/// [`object_meta`] for a listed object, taking its stats (listings are per-object hot loops).
fn listed_meta(
    locations: &mut Locations,
    version: Option<String>,
    stats: ObjectStats,
) -> object_store::Result<ObjectMeta> {
    Ok(ObjectMeta {
        location: locations.of(&stats.path)?,
        last_modified: seconds(stats.mtime),
        size: u64::try_from(stats.size_bytes.unwrap_or(0)).unwrap_or(0),
        e_tag: Some(etag(&stats.checksum)),
        version,
    })
}

/// The locations of a listing's objects. `Path::parse` of every whole key cost the adapter
/// more than the rest of its listing work (callgrind: a `&str` split per segment), and
/// consecutive objects mostly share their directory: its `Path` is parsed once, and each
/// location is that directory plus the object's name, checked as `Path::parse` checks it.
/// A key this does not cover (a leading `/`, an empty or invalid segment) goes through
/// `Path::parse`, so the result, or the error, is the same.
struct Locations {
    layout: Layout,
    ref_: String,
    /// Scratch space for the key of each object.
    key: String,
    /// The directory of the last key, as text and as a `Path`.
    directory: Option<(String, Path)>,
}

impl Locations {
    fn new(layout: Layout, ref_: String) -> Self {
        Locations {
            layout,
            ref_,
            key: String::new(),
            directory: None,
        }
    }

    fn of(&mut self, path: &str) -> object_store::Result<Path> {
        self.layout.key_into(&self.ref_, path, &mut self.key);
        let key = self.key.as_str();
        let Some((directory, name)) = key.rsplit_once('/') else {
            return Ok(Path::parse(key)?);
        };
        let Ok(name) = PathPart::parse(name) else {
            return Ok(Path::parse(key)?);
        };
        if name.as_ref().is_empty()
            || directory.is_empty()
            || directory.starts_with('/')
            || directory.ends_with('/')
        {
            return Ok(Path::parse(key)?);
        }
        let cached = match &self.directory {
            Some((text, path)) if text == directory => path,
            _ => {
                let Ok(parsed) = Path::parse(directory) else {
                    return Ok(Path::parse(key)?);
                };
                &self.directory.insert((directory.to_string(), parsed)).1
            }
        };
        let mut location = cached.clone();
        location.extend(std::iter::once(name));
        Ok(location)
    }
}

/// The attributes lakeFS keeps: content type and user metadata.
fn attributes_of(stats: &ObjectStats) -> Attributes {
    let mut attributes = Attributes::new();
    if let Some(content_type) = stats.content_type.clone().filter(|c| !c.is_empty()) {
        attributes.insert(Attribute::ContentType, AttributeValue::from(content_type));
    }
    for (key, value) in stats.metadata.iter().flatten() {
        attributes.insert(
            Attribute::Metadata(key.clone().into()),
            AttributeValue::from(value.clone()),
        );
    }
    attributes
}

/// The write options for `attributes`, refusing what lakeFS cannot keep rather than dropping it.
fn write_options(
    attributes: &Attributes,
    tags: &TagSet,
    condition: Condition,
) -> Outcome<WriteOptions> {
    if !tags.encoded().is_empty() {
        return Err(Failure::NotImplemented {
            operation: "object tags (lakeFS objects have none; use user metadata)".to_string(),
        });
    }
    let mut options = WriteOptions {
        condition,
        content_type: None,
        user_metadata: Default::default(),
    };
    for (attribute, value) in attributes {
        match attribute {
            Attribute::ContentType => options.content_type = Some(value.to_string()),
            Attribute::Metadata(key) => {
                if key.chars().any(char::is_uppercase) {
                    return Err(Failure::NotImplemented {
                        operation: format!(
                            "user metadata key {key:?} with capitals (lakeFS lower-cases keys)"
                        ),
                    });
                }
                options
                    .user_metadata
                    .insert(key.to_string(), value.to_string());
            }
            other => {
                return Err(Failure::NotImplemented {
                    operation: format!(
                        "storing attribute {other:?} (lakeFS keeps only the content type and \
                         user metadata)"
                    ),
                });
            }
        }
    }
    Ok(options)
}

/// Refuses a write to a ref that can never be written, before anything is sent.
fn ensure_writable(target: &Target) -> Outcome<()> {
    if keys::is_read_only_expression(&target.ref_) {
        return Err(not_a_branch(&target.ref_, None));
    }
    Ok(())
}

fn not_a_branch(ref_: &str, cause: Option<lakefs_api::Error>) -> Failure {
    let message = format!(
        "cannot write to {ref_:?}: it is not a branch of the repository (lakeFS writes only \
         to branches; tags and commits are read-only)"
    );
    Failure::Generic {
        source: match cause {
            Some(cause) => format!("{message}: {cause}").into(),
            None => message.into(),
        },
    }
}

/// What a failed write means: a failed condition, a missing branch, or the lakeFS error.
async fn write_failure(
    data: &DataPath,
    target: &Target,
    condition: &Condition,
    error: lakefs_api::Error,
) -> Failure {
    let path = &target.path;
    match (error.kind(), condition) {
        (lakefs_api::ErrorKind::PreconditionFailed, Condition::Create) => Failure::AlreadyExists {
            path: path.clone(),
            source: Box::new(error),
        },
        (lakefs_api::ErrorKind::NotFound, _) => {
            let branch = data.client.get_branch(&data.repository, &target.ref_).await;
            match (branch, condition) {
                (Err(_), _) => not_a_branch(&target.ref_, Some(error)),
                // The branch is there, so nothing was at the path to update.
                (Ok(_), Condition::Match(_)) => Failure::Precondition {
                    path: path.clone(),
                    source: Box::new(error),
                },
                (Ok(_), _) => Failure::from_api(path, error),
            }
        }
        _ => Failure::from_api(path, error),
    }
}

fn put_result(stats: &ObjectStats) -> PutResult {
    compat::put_result(Some(etag(&stats.checksum)), None)
}

fn range_header(range: &GetRange) -> String {
    match range {
        GetRange::Bounded(r) => format!("bytes={}-{}", r.start, r.end.saturating_sub(1)),
        GetRange::Offset(start) => format!("bytes={start}-"),
        GetRange::Suffix(n) => format!("bytes=-{n}"),
    }
}

/// `bytes START-END/SIZE` as the range it covers.
fn content_range(header: &str) -> Option<Range<u64>> {
    let spec = header.trim().strip_prefix("bytes ")?;
    let (span, _) = spec.split_once('/')?;
    let (start, end) = span.split_once('-')?;
    let (start, end): (u64, u64) = (start.trim().parse().ok()?, end.trim().parse().ok()?);
    Some(start..end + 1)
}

/// Whether a read's preconditions need the object's stats (lakeFS has a header only for one
/// `If-None-Match` value).
fn needs_stat(options: &GetOptions) -> bool {
    options.if_match.is_some()
        || options.if_modified_since.is_some()
        || options.if_unmodified_since.is_some()
        || options
            .if_none_match
            .as_deref()
            .is_some_and(|value| value.trim() == "*" || value.contains(','))
}

async fn stat(store: &LakeFsStore, target: &Target) -> Outcome<ObjectStats> {
    store.data
        .client
        .stat_object(
            &store.data.repository,
            &target.ref_,
            &target.path,
            StatObjectOptions::default(),
        )
        .await
        .map_err(api(&target.path))
}

/// Objects under `prefix` (directory semantics), after `after` (an object path at the
/// listed ref) when given.
fn list_objects(
    store: &LakeFsStore,
    prefix: Option<&Path>,
    after: Option<String>,
) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
    let target = match store.layout.prefix(prefix.map(|p| p.as_ref())) {
        Ok(target) => target,
        Err(failure) => return stream::once(async { Err(failure.into()) }).boxed(),
    };
    let mut options = ListObjectsOptions::default()
        .prefix(keys::directory_prefix(&target.path))
        .amount(LIST_PAGE)
        .user_metadata(false);
    if let Some(after) = after {
        options = options.after(after);
    }
    // The same for every object of the listing: work it out once.
    let version = keys::is_commit_id(&target.ref_).then(|| target.ref_.clone());
    let mut locations = Locations::new(store.layout.clone(), target.ref_.clone());
    let listed_path = target.path.clone();
    store.data
        .client
        .list_objects_stream(&store.data.repository, &target.ref_, options)
        .map_err(move |error| Failure::from_api(&listed_path, error).into())
        .try_filter_map(move |stats| {
            // Directory markers (`dir/`, made by some tools) are no objects.
            let entry = (!stats.path.ends_with('/'))
                .then(|| listed_meta(&mut locations, version.clone(), stats));
            futures::future::ready(entry.transpose())
        })
        .boxed()
}

/// One page of a listing: `prefix` is a raw prefix of keys (no directory semantics).
async fn list_page(
    store: &LakeFsStore,
    prefix: Option<&str>,
    delimiter: Option<&str>,
    after: Option<String>,
    amount: Option<usize>,
) -> object_store::Result<(ListResult, Option<String>)> {
    let target = store.layout.prefix(prefix)?;
    let mut options = ListObjectsOptions::default()
        .prefix(target.path.clone())
        .user_metadata(false);
    if let Some(delimiter) = delimiter {
        options = options.delimiter(delimiter);
    }
    if let Some(after) = after {
        options = options.after(after);
    }
    let amount = amount.map_or(LIST_PAGE, |n| i64::try_from(n).unwrap_or(LIST_PAGE));
    options = options.amount(amount.clamp(1, LIST_PAGE));
    let page = store
        .data
        .client
        .list_objects(&store.data.repository, &target.ref_, options)
        .await
        .map_err(api(&target.path))?;
    let (common_prefixes, objects) = split_listing(store, &target.ref_, page.results)?;
    let token = (page.pagination.has_more && !page.pagination.next_offset.is_empty())
        .then_some(page.pagination.next_offset);
    Ok((compat::list_result(common_prefixes, objects), token))
}

fn split_listing(
    store: &LakeFsStore,
    ref_: &str,
    entries: Vec<ObjectStats>,
) -> object_store::Result<(Vec<Path>, Vec<ObjectMeta>)> {
    let mut common_prefixes = Vec::new();
    let mut objects = Vec::new();
    for stats in entries {
        if stats.path_type == ObjectStatsPathType::CommonPrefix {
            let directory = stats.path.trim_end_matches('/');
            common_prefixes.push(location(&store.layout, ref_, directory)?);
        } else if !stats.path.ends_with('/') {
            let location = location(&store.layout, ref_, &stats.path)?;
            objects.push(object_meta(location, ref_, &stats));
        }
    }
    Ok((common_prefixes, objects))
}

/// How often a whole-object read starts again when its `getObject` and its `statObject`
/// (sent together) saw different versions; the last attempt reports only the content type.
const READ_ATTEMPTS: usize = 3;

/// What the headers of a download say of the object.
fn download_meta(location: &Path, ref_: &str, headers: &lakefs_api::ObjectMetadata) -> ObjectMeta {
    ObjectMeta {
        location: location.clone(),
        last_modified: headers
            .last_modified
            .as_deref()
            .and_then(|date| DateTime::parse_from_rfc2822(date).ok())
            .map(|date| date.with_timezone(&Utc))
            .unwrap_or_default(),
        size: headers.object_size().unwrap_or(0),
        e_tag: headers.etag.as_deref().map(etag),
        version: keys::is_commit_id(ref_).then(|| ref_.to_string()),
    }
}

/// A read: `getObject` (one `If-None-Match` value as its header), every precondition checked
/// against the answer's ETag and date, and for a whole object its user metadata from a
/// `statObject` of the same version.
async fn read(
    store: &LakeFsStore,
    target: &Target,
    location: &Path,
    options: &GetOptions,
) -> object_store::Result<(ObjectMeta, Attributes, lakefs_api::ObjectDownload)> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let if_none_match = match &options.if_none_match {
            Some(value) if !needs_stat(options) => Some(etag(checksum(value))),
            _ => None,
        };
        let get = store.data.get(
            &target.ref_,
            &target.path,
            options.range.as_ref().map(range_header),
            if_none_match,
        );
        // A whole object's user metadata comes from a `statObject`, sent alongside the
        // `getObject` so that the read costs one round trip, not two.
        let wants_stats = options.range.is_none() && attempt < READ_ATTEMPTS;
        let (download, stats) = if wants_stats {
            let (download, stats) = futures::join!(get, stat(store, target));
            (download, Some(stats))
        } else {
            (get.await, None)
        };
        let download = download.map_err(api(&target.path))?;
        if download.is_not_modified() {
            return Err(Failure::NotModified {
                path: location.to_string(),
                source: "the object's ETag matches if_none_match".into(),
            }
            .into());
        }
        let meta = download_meta(location, &target.ref_, &download.metadata);
        options.check_preconditions(&meta)?;
        let mut attributes = Attributes::new();
        if let Some(content_type) = download.metadata.content_type.clone() {
            attributes.insert(Attribute::ContentType, AttributeValue::from(content_type));
        }
        let Some(stats) = stats else {
            return Ok((meta, attributes, download));
        };
        let stats = stats?;
        if download.metadata.etag.as_deref() == Some(stats.checksum.as_str()) {
            return Ok((meta, attributes_of(&stats), download));
        }
        // Replaced in between: read again, so that data and attributes are of one version.
    }
}

#[async_trait]
impl ObjectStore for LakeFsStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        let target = self.layout.object(location.as_ref())?;
        ensure_writable(&target)?;
        let condition = match opts.mode {
            PutMode::Overwrite => Condition::Overwrite,
            PutMode::Create => Condition::Create,
            PutMode::Update(version) => match version.e_tag {
                Some(e_tag) => Condition::Match(checksum(&e_tag).to_string()),
                None => {
                    return Err(Failure::not_supported(
                        "a conditional update of a lakeFS object needs the e_tag it replaces",
                    )
                    .into());
                }
            },
        };
        let options = write_options(&opts.attributes, &opts.tags, condition)?;
        match self
            .data
            .put(&target.ref_, &target.path, Bytes::from(payload), &options)
            .await
        {
            Ok(stats) => Ok(put_result(&stats)),
            Err(error) => Err(write_failure(&self.data, &target, &options.condition, error)
                .await
                .into()),
        }
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        let target = self.layout.object(location.as_ref())?;
        ensure_writable(&target)?;
        let options = write_options(&opts.attributes, &opts.tags, Condition::Overwrite)?;
        let upload = match self
            .data
            .start_upload(&target.ref_, &target.path, &options)
            .await
        {
            Ok(upload) => upload,
            Err(error) => {
                return Err(write_failure(&self.data, &target, &Condition::Overwrite, error)
                    .await
                    .into());
            }
        };
        Ok(Box::new(LakeFsUpload {
            upload: Some(upload),
            data: self.data.clone(),
            target,
        }))
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        let key = self.layout.object(location.as_ref())?;
        // A version is a ref (a commit id) to read the same path from.
        let target = match &options.version {
            Some(version) => Target {
                ref_: version.clone(),
                path: key.path.clone(),
            },
            None => key,
        };
        if options.head {
            let stats = stat(self, &target).await?;
            let meta = object_meta(location.clone(), &target.ref_, &stats);
            options.check_preconditions(&meta)?;
            let size = meta.size;
            return Ok(compat::get_result(
                GetResultPayload::Stream(stream::empty().boxed()),
                meta,
                0..size,
                attributes_of(&stats),
            ));
        }
        let reader = self.data.open(&target.ref_, &target.path).await?;
        if let Some(stats) = reader.stats() {
            // Presigned: the stats came with the URL, the data comes straight from the store
            // (in parallel part-sized ranges), and a changed object fails the read.
            let meta = object_meta(location.clone(), &target.ref_, stats);
            options.check_preconditions(&meta)?;
            let range = match &options.range {
                Some(range) => range
                    .as_range(meta.size)
                    .map_err(|invalid| Failure::generic(format!("{location}: {invalid}")))?,
                None => 0..meta.size,
            };
            let attributes = attributes_of(stats);
            let body = reader
                .stream(range.clone())
                .unwrap_or_else(|| stream::empty().boxed())
                .map_err(object_store::Error::from)
                .boxed();
            return Ok(compat::get_result(
                GetResultPayload::Stream(body),
                meta,
                range,
                attributes,
            ));
        }
        let (meta, attributes, download) = read(self, &target, location, &options).await?;
        let headers = &download.metadata;
        let range = headers
            .content_range
            .as_deref()
            .and_then(content_range)
            .unwrap_or(0..meta.size);
        let path = target.path.clone();
        let body = download
            .body
            .map_err(move |error| Failure::from_api(&path, error).into())
            .fuse()
            .boxed();
        Ok(compat::get_result(
            GetResultPayload::Stream(body),
            meta,
            range,
            attributes,
        ))
    }

    async fn get_ranges(
        &self,
        location: &Path,
        ranges: &[Range<u64>],
    ) -> object_store::Result<Vec<Bytes>> {
        let target = self.layout.object(location.as_ref())?;
        // Presigned: one stat for every range of the object.
        let reader = self.data.open(&target.ref_, &target.path).await?;
        object_store::coalesce_ranges(
            ranges,
            |range| {
                let reader = reader.clone();
                async move { reader.read(range).await.map_err(object_store::Error::from) }
            },
            object_store::OBJECT_STORE_COALESCE_DEFAULT,
        )
        .await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        let data = self.data.clone();
        let layout = self.layout.clone();
        locations
            .ready_chunks(DELETE_BATCH)
            .map(move |batch| delete_batch(data.clone(), layout.clone(), batch))
            .buffered(self.settings.concurrency)
            .flat_map(stream::iter)
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        list_objects(self, prefix, None)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        let offset = offset.as_ref();
        let after = match &self.layout {
            Layout::FixedRef(_) => Some(offset.to_string()),
            Layout::RefInKey => {
                let ref_ = prefix
                    .and_then(|p| p.as_ref().split('/').next())
                    .unwrap_or_default();
                let ref_root = format!("{ref_}/");
                match offset.strip_prefix(&ref_root) {
                    Some(after) => Some(after.to_string()),
                    // Every key of the ref sorts after the offset.
                    None if offset < ref_root.as_str() => None,
                    // No key of the ref sorts after it.
                    None => return stream::empty().boxed(),
                }
            }
        };
        // lakeFS's `after` is exclusive, as `list_with_offset` is.
        list_objects(self, prefix, after.filter(|a| !a.is_empty()))
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        let target = self.layout.prefix(prefix.map(|p| p.as_ref()))?;
        let options = ListObjectsOptions::default()
            .prefix(keys::directory_prefix(&target.path))
            .delimiter("/")
            .amount(LIST_PAGE)
            .user_metadata(false);
        let entries: Vec<ObjectStats> = self
            .data
            .client
            .list_objects_stream(&self.data.repository, &target.ref_, options)
            .try_collect()
            .await
            .map_err(api(&target.path))?;
        let (common_prefixes, objects) = split_listing(self, &target.ref_, entries)?;
        Ok(compat::list_result(common_prefixes, objects))
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        let source = self.layout.object(from.as_ref())?;
        let destination = self.layout.object(to.as_ref())?;
        ensure_writable(&destination)?;
        if options.mode == CopyMode::Create {
            // lakeFS's copy has no condition: checked first, so two racing copies may both
            // write. A missing source is reported before an existing destination.
            stat(self, &source).await.map_err(|failure| match failure {
                Failure::NotFound { source, .. } => Failure::NotFound {
                    path: from.to_string(),
                    source,
                },
                other => other,
            })?;
            match stat(self, &destination).await {
                Ok(_) => {
                    return Err(Failure::AlreadyExists {
                        path: to.to_string(),
                        source: "the destination of a create-only copy exists".into(),
                    }
                    .into());
                }
                Err(failure) if failure.is_not_found() => {}
                Err(failure) => return Err(failure.into()),
            }
        }
        let creation = ObjectCopyCreation::new(source.path.clone()).with_src_ref(source.ref_);
        let copied = self
            .data
            .client
            .copy_object(
                &self.data.repository,
                &destination.ref_,
                &destination.path,
                &creation,
            )
            .await;
        match copied {
            Ok(_) => Ok(()),
            Err(error) => {
                let failure =
                    write_failure(&self.data, &destination, &Condition::Overwrite, error).await;
                Err(match failure {
                    // The branch is there: the source is what is missing.
                    Failure::NotFound { source, .. } => Failure::NotFound {
                        path: from.to_string(),
                        source,
                    },
                    other => other,
                }
                .into())
            }
        }
    }
}

/// Deletes one batch, at most `DELETE_BATCH` paths per `deleteObjects` call, and answers for
/// each path in order. Paths that hold nothing are deleted already (as on S3).
async fn delete_batch(
    data: DataPath,
    layout: Layout,
    batch: Vec<object_store::Result<Path>>,
) -> Vec<object_store::Result<Path>> {
    // Per ref, the lakeFS paths of the batch (a store without a fixed ref may mix refs).
    let mut by_ref: Vec<(String, Vec<String>)> = Vec::new();
    let targets: Vec<Option<Outcome<Target>>> = batch
        .iter()
        .map(|item| item.as_ref().ok().map(|p| layout.object(p.as_ref())))
        .collect();
    for target in targets.iter().flatten().flatten() {
        match by_ref.iter_mut().find(|(ref_, _)| *ref_ == target.ref_) {
            Some((_, paths)) => paths.push(target.path.clone()),
            None => by_ref.push((target.ref_.clone(), vec![target.path.clone()])),
        }
    }
    let mut failed: std::collections::HashMap<(String, String), String> = Default::default();
    for (ref_, paths) in &by_ref {
        let target = Target {
            ref_: ref_.clone(),
            path: String::new(),
        };
        let answer = match ensure_writable(&target) {
            Err(failure) => Err(failure),
            Ok(()) => match data
                .client
                .delete_objects(
                    &data.repository,
                    ref_,
                    &PathList::new(paths.clone()),
                    Default::default(),
                )
                .await
            {
                Ok(errors) => Ok(errors),
                Err(error) => Err(write_failure(&data, &target, &Condition::Overwrite, error).await),
            },
        };
        match answer {
            Ok(errors) => {
                for error in errors.errors {
                    // A path that holds nothing is not an error.
                    if error.status_code == 404 {
                        continue;
                    }
                    if let Some(path) = error.path {
                        failed.insert((ref_.clone(), path), error.message);
                    }
                }
            }
            Err(failure) => {
                let message = object_store::Error::from(failure).to_string();
                for path in paths {
                    failed.insert((ref_.clone(), path.clone()), message.clone());
                }
            }
        }
    }
    batch
        .into_iter()
        .zip(targets)
        .map(|(item, target)| {
            let location = item?;
            let target = target.unwrap_or_else(|| layout.object(location.as_ref()))?;
            match failed.remove(&(target.ref_, target.path)) {
                Some(message) => Err(Failure::generic(format!(
                    "could not delete {location}: {message}"
                ))
                .into()),
                None => Ok(location),
            }
        })
        .collect()
}

/// A `put_multipart` upload: parts go out in the order they are handed over.
#[derive(Debug)]
struct LakeFsUpload {
    upload: Option<Upload>,
    data: DataPath,
    target: Target,
}

fn closed_upload() -> object_store::Error {
    Failure::generic("the upload is already completed or aborted").into()
}

#[async_trait]
impl MultipartUpload for LakeFsUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        match &mut self.upload {
            Some(upload) => {
                let sent = upload.send(data.into_iter().collect());
                async move { sent.await.map_err(object_store::Error::from) }.boxed()
            }
            None => async { Err(closed_upload()) }.boxed(),
        }
    }

    async fn complete(&mut self) -> object_store::Result<PutResult> {
        let upload = self.upload.take().ok_or_else(closed_upload)?;
        match upload.finish().await {
            Ok(stats) => Ok(put_result(&stats)),
            Err(error) => Err(
                write_failure(&self.data, &self.target, &Condition::Overwrite, error)
                    .await
                    .into(),
            ),
        }
    }

    async fn abort(&mut self) -> object_store::Result<()> {
        if let Some(upload) = self.upload.take() {
            upload.abort().await;
        }
        Ok(())
    }
}

async fn create_multipart_with(
    store: &LakeFsStore,
    path: &Path,
    attributes: &Attributes,
    tags: &TagSet,
) -> object_store::Result<MultipartId> {
    let target = store.layout.object(path.as_ref())?;
    ensure_writable(&target)?;
    let options = write_options(attributes, tags, Condition::Overwrite)?;
    let session = match store
        .data
        .start_part_upload(&target.ref_, &target.path)
        .await
    {
        Ok(session) => session,
        Err(error) => {
            return Err(write_failure(&store.data, &target, &Condition::Overwrite, error)
                .await
                .into());
        }
    };
    let pending = match session {
        Some(session) => PendingMultipart::Presigned(PresignedParts {
            session: std::sync::Arc::new(session),
            data: store.data.clone(),
            target,
            options,
        }),
        None => {
            let upload = StreamingUpload::start(&store.data, &target.ref_, &target.path, &options);
            PendingMultipart::streaming(upload, target)
        }
    };
    let id = store
        .next_multipart_id
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        .to_string();
    crate::multipart::lock(&store.multipart).insert(id.clone(), pending);
    Ok(id)
}

fn pending_failure(id: &MultipartId) -> object_store::Error {
    Failure::generic(format!(
        "no multipart upload {id} in progress in this store (completed, aborted or never \
         created here)"
    ))
    .into()
}

#[async_trait]
impl MultipartStore for LakeFsStore {
    async fn create_multipart(&self, path: &Path) -> object_store::Result<MultipartId> {
        create_multipart_with(self, path, &Attributes::new(), &TagSet::default()).await
    }

    compat::create_multipart_opts!();

    async fn put_part(
        &self,
        _path: &Path,
        id: &MultipartId,
        part_idx: usize,
        data: PutPayload,
    ) -> object_store::Result<PartId> {
        let sent: Vec<BoxFuture<'static, Outcome<()>>> = {
            let mut uploads = crate::multipart::lock(&self.multipart);
            let pending = uploads
                .get_mut(id)
                .ok_or_else(|| pending_failure(id))?;
            pending.put(part_idx, data.into_iter().collect())?
        };
        futures::future::try_join_all(sent).await?;
        Ok(PartId {
            content_id: part_idx.to_string(),
        })
    }

    async fn complete_multipart(
        &self,
        _path: &Path,
        id: &MultipartId,
        parts: Vec<PartId>,
    ) -> object_store::Result<PutResult> {
        let pending = crate::multipart::lock(&self.multipart)
            .remove(id)
            .ok_or_else(|| pending_failure(id))?;
        let stats = pending.finish(parts.len()).await?;
        Ok(put_result(&stats))
    }

    async fn abort_multipart(&self, _path: &Path, id: &MultipartId) -> object_store::Result<()> {
        let pending = crate::multipart::lock(&self.multipart).remove(id);
        if let Some(pending) = pending {
            pending.abort().await;
        }
        Ok(())
    }
}

#[async_trait]
impl PaginatedListStore for LakeFsStore {
    async fn list_paginated(
        &self,
        prefix: Option<&str>,
        opts: PaginatedListOptions,
    ) -> object_store::Result<PaginatedListResult> {
        // The page token is lakeFS's `next_offset`; the first page starts after `offset`.
        let after = opts.page_token.or(opts.offset).filter(|a| !a.is_empty());
        let after = match (&self.layout, after) {
            (Layout::RefInKey, Some(key)) => Some(self.layout.object(&key)?.path),
            (_, after) => after,
        };
        let (result, page_token) = list_page(self, prefix, opts.delimiter.as_deref(), after, opts.max_keys)
            .await?;
        let page_token = page_token.map(|offset| match &self.layout {
            Layout::RefInKey => {
                let ref_ = prefix.and_then(|p| p.split('/').next()).unwrap_or_default();
                format!("{ref_}/{offset}")
            }
            Layout::FixedRef(_) => offset,
        });
        Ok(PaginatedListResult { result, page_token })
    }
}

#[cfg(test)]
mod listed_location_tests {
    use super::*;

    /// `Locations::of` gives what `Path::parse` of the whole key gives, value or error, for
    /// keys of every shape, in both layouts, with and without a directory shared with the
    /// key before.
    #[test]
    fn a_listed_location_is_what_path_parse_makes_of_its_key() {
        let paths = [
            "a.parquet",
            "dir/a.parquet",
            "dir/b.parquet",
            "dir/sub/c.json",
            "dir/sub/d.json",
            "other/e",
            "dir/b.parquet",
            "/leading",
            "/dir/leading",
            "trailing/",
            "dir//double",
            "dir/./dot",
            "dir/../up",
            "dir/.",
            "dir/..",
            ".hidden/x",
            "dir/con\u{7}trol",
            "con\u{1}trol/x",
            "dir/ünïcødé naïve",
            "dir/sp ace/%41",
            "",
            "/",
            "//",
            "a/b/c/d/e/f",
        ];
        for layout in [Layout::RefInKey, Layout::FixedRef("main".into())] {
            let mut locations = Locations::new(layout.clone(), "main".into());
            for path in paths {
                let key = layout.key("main", path);
                let expected = Path::parse(&key).map_err(object_store::Error::from);
                let got = locations.of(path);
                match (&expected, &got) {
                    (Ok(e), Ok(g)) => assert_eq!(e, g, "{key:?}"),
                    (Err(e), Err(g)) => assert_eq!(e.to_string(), g.to_string(), "{key:?}"),
                    _ => panic!("{key:?}: Path::parse gives {expected:?}, Locations {got:?}"),
                }
            }
        }
    }
}
