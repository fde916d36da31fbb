//! Objects: upload, get/head (with ranges and conditions), stat, list, delete, copy.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::json;

use super::{Ctx, Upload, ensure_writable};
use crate::blobs::BlobStore;
use crate::clock;
use crate::http::{ApiError, HandlerResult, Reply, Request, header, json_body};
use crate::model::{Entry, Metadata, Repo, State};
use crate::multipart::{self, Step};
use std::ops::Bound;

use crate::paging::{Listed, group_by_delimiter, paginate};

/// The content type stored when the upload names none.
const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";
/// Request headers carrying user metadata.
const METADATA_HEADER_PREFIX: &str = "x-lakefs-meta-";

/// The `ObjectCopyCreation` body.
#[derive(Debug, Deserialize)]
struct ObjectCopyCreation {
    src_path: String,
    src_ref: Option<String>,
}

/// The `PathList` body.
#[derive(Debug, Deserialize)]
struct PathList {
    paths: Vec<String>,
}

fn object_not_found(path: &str) -> ApiError {
    ApiError::not_found(format!("object {path} not found"))
}

/// What `uploadObject` checks before taking the body: the same checks run again when the
/// body is in, since the branch can change meanwhile.
pub(crate) fn check_upload(ctx: &Ctx<'_>, state: &State) -> Result<(), ApiError> {
    let path = ctx.query.required("path")?;
    let repo = ctx.repo(state)?;
    ensure_writable(repo)?;
    let current = repo.lookup_entry(&repo.branch_ref(ctx.param("branch"))?, path);
    check_upload_preconditions(ctx.request, current)
}

/// Streams an upload's body (raw, or the `content` part of `multipart/form-data`) into a new
/// blob, hashing it on the way; returns the blob and the content type to store.
pub(crate) async fn receive_upload<B>(
    headers: &http::HeaderMap,
    mut body: B,
    blobs: &BlobStore,
) -> Result<Upload, ApiError>
where
    B: futures::Stream<Item = std::io::Result<bytes::Bytes>> + Unpin,
{
    use futures::StreamExt;
    let content_type = headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    let mut writer = blobs.writer().await.map_err(storage_error)?;
    if media_type.eq_ignore_ascii_case("multipart/form-data") {
        let mut part = multipart::ContentPart::new(content_type)?;
        loop {
            match part.next()? {
                Step::Data(data) => writer.write(&data).await.map_err(storage_error)?,
                Step::Done => break,
                Step::NeedMore => match body.next().await {
                    Some(chunk) => part.push(&chunk.map_err(body_error)?),
                    None => part.end_of_body()?,
                },
            }
        }
        let stored = part
            .content_type()
            .filter(|value| !value.is_empty())
            .unwrap_or(DEFAULT_CONTENT_TYPE)
            .to_string();
        let blob = writer.finish().await.map_err(storage_error)?;
        return Ok(Upload {
            blob,
            content_type: stored,
        });
    }
    while let Some(chunk) = body.next().await {
        writer
            .write(&chunk.map_err(body_error)?)
            .await
            .map_err(storage_error)?;
    }
    let stored = if content_type.is_empty() {
        DEFAULT_CONTENT_TYPE
    } else {
        content_type
    };
    let blob = writer.finish().await.map_err(storage_error)?;
    Ok(Upload {
        blob,
        content_type: stored.to_string(),
    })
}

/// The blob store failed (a full disk): the upload is refused, nothing is linked.
fn storage_error(error: std::io::Error) -> ApiError {
    ApiError::new(500, format!("cannot store the object: {error}"))
}

/// The body did not arrive whole (the connection broke): nothing is linked.
fn body_error(error: std::io::Error) -> ApiError {
    ApiError::bad_request(format!("cannot read the request body: {error}"))
}

pub(super) fn upload_object(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let Some(upload) = &ctx.upload else {
        return Err(ApiError::new(500, "uploadObject without its body"));
    };
    check_upload(ctx, state)?;
    let path = ctx.query.required("path")?.to_string();
    let repo_id = ctx.param("repository");
    let physical_address = state.new_physical_address(repo_id)?;
    state.store_object(
        &physical_address,
        Arc::clone(&upload.blob),
        &upload.content_type,
    );
    let repo = ctx.repo_mut(state)?;
    let entry = Entry {
        checksum: upload.blob.etag(),
        size: upload.blob.size(),
        blob: Arc::clone(&upload.blob),
        physical_address,
        mtime: clock::now(),
        content_type: upload.content_type.clone(),
        metadata: user_metadata(ctx.request),
    };
    let stats = entry.stats_json(&path, true);
    repo.branch_mut(ctx.param("branch"))?
        .staging
        .insert(path, Some(entry));
    Ok(Reply::json(201, &stats))
}

/// `If-None-Match: *` creates only; `If-Match: <etag>` replaces only that version.
pub(super) fn check_upload_preconditions(
    request: &Request,
    current: Option<&Entry>,
) -> Result<(), ApiError> {
    if let Some(value) = header(request, "if-none-match") {
        if value.trim() != "*" {
            return Err(ApiError::bad_request("If-None-Match only supports \"*\""));
        }
        if current.is_some() {
            return Err(ApiError::new(412, "path already exists"));
        }
    }
    if let Some(expected) = header(request, "if-match") {
        let current = current.ok_or_else(|| ApiError::not_found("object not found"))?;
        if unquote(expected) != current.checksum {
            return Err(ApiError::new(412, "ETag mismatch"));
        }
    }
    Ok(())
}

pub(super) fn unquote(etag: &str) -> &str {
    let etag = etag.trim();
    etag.strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .unwrap_or(etag)
}

/// `x-lakefs-meta-<key>` request headers, keys lower-cased (header names already are).
fn user_metadata(request: &Request) -> Metadata {
    request
        .headers
        .iter()
        .filter_map(|(name, value)| {
            let key = name.as_str().strip_prefix(METADATA_HEADER_PREFIX)?;
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            Some((key.to_ascii_lowercase(), value))
        })
        .collect()
}

pub(super) fn get_object(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    if ctx.query.flag("presign", false)? {
        return presigned_get(ctx, state);
    }
    serve_object(ctx, state, true)
}

/// `getObject` with `presign=true`: a redirect to a presigned GET of the object store, after
/// the conditional check (a matching `If-None-Match` is still 304), as lakeFS does.
fn presigned_get(ctx: &Ctx<'_>, state: &State) -> HandlerResult {
    let path = ctx.query.required("path")?;
    let repo = ctx.repo(state)?;
    let entry = repo
        .lookup_entry(&repo.resolve(ctx.param("ref"))?, path)
        .ok_or_else(|| object_not_found(path))?;
    if header(ctx.request, "if-none-match").is_some_and(|value| unquote(value) == entry.checksum) {
        return Ok(Reply::empty(304).header("etag", &entry.etag()));
    }
    let (url, _) = presigned_read(state, repo, entry)?;
    Ok(Reply::empty(302).header("location", &url))
}

/// A presigned GET URL of an entry's bytes and its expiry; 400 where the storage cannot
/// presign, as lakeFS answers `ErrOperationNotSupported`.
fn presigned_read(state: &State, repo: &Repo, entry: &Entry) -> Result<(String, i64), ApiError> {
    let storage = state.storage_of(repo)?;
    if !storage.presign {
        return Err(ApiError::bad_request("operation not supported"));
    }
    Ok(crate::store::presign(
        &state.config,
        storage.blockstore,
        crate::store::Access::Read,
        crate::store::key_of(&entry.physical_address),
        None,
        state.now(),
    ))
}

/// Like `getObject` without the body; `Content-Length` still tells the size.
pub(super) fn head_object(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    serve_object(ctx, state, false)
}

fn serve_object(ctx: &Ctx<'_>, state: &State, with_body: bool) -> HandlerResult {
    let path = ctx.query.required("path")?;
    let repo = ctx.repo(state)?;
    let resolved = repo.resolve(ctx.param("ref"))?;
    let entry = repo
        .lookup_entry(&resolved, path)
        .ok_or_else(|| object_not_found(path))?;
    let etag = entry.etag();
    let last_modified = clock::http_date(entry.mtime);
    let if_none_match = header(ctx.request, "if-none-match");
    if with_body && if_none_match.is_some_and(|value| unquote(value) == entry.checksum) {
        return Ok(Reply::empty(304)
            .header("etag", &etag)
            .header("last-modified", &last_modified));
    }
    let size = entry.blob.size();
    let blob = Arc::clone(&entry.blob);
    let reply = match parse_range(header(ctx.request, "range"), size)? {
        ByteRange::Full => Reply::blob(200, blob, 0, size, &entry.content_type),
        ByteRange::Slice(start, end) => {
            Reply::blob(206, blob, start, end - start + 1, &entry.content_type)
                .header("content-range", &format!("bytes {start}-{end}/{size}"))
        }
        ByteRange::Unsatisfiable => {
            return Ok(
                Reply::from(ApiError::new(416, "Requested Range Not Satisfiable"))
                    .header("content-range", &format!("bytes */{size}")),
            );
        }
    };
    let reply = reply
        .header("etag", &etag)
        .header("last-modified", &last_modified)
        .header("content-disposition", &content_disposition(path));
    Ok(if with_body { reply } else { reply.for_head() })
}

/// What a `Range` header asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ByteRange {
    Full,
    /// Inclusive byte positions.
    Slice(u64, u64),
    Unsatisfiable,
}

/// One range only, as lakeFS: `bytes=A-B`, `bytes=A-` or `bytes=-N`; several ranges, or one
/// outside the object, are unsatisfiable. A header not of the spec's `bytes=` form is a 400.
pub(crate) fn parse_range(header: Option<&str>, size: u64) -> Result<ByteRange, ApiError> {
    let Some(header) = header else {
        return Ok(ByteRange::Full);
    };
    let spec = header
        .trim()
        .strip_prefix("bytes=")
        .ok_or_else(|| ApiError::bad_request(format!("invalid Range header {header:?}")))?;
    if spec.contains(',') {
        return Ok(ByteRange::Unsatisfiable);
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Err(ApiError::bad_request(format!(
            "invalid Range header {header:?}"
        )));
    };
    let number = |text: &str| text.trim().parse::<u64>().ok();
    let range = if first.trim().is_empty() {
        number(last)
            .filter(|&suffix| suffix > 0 && size > 0)
            .map(|suffix| (size.saturating_sub(suffix), size - 1))
    } else {
        number(first)
            .filter(|&start| start < size)
            .and_then(|start| {
                let end = if last.trim().is_empty() {
                    Some(size - 1)
                } else {
                    number(last).map(|end| end.min(size - 1))
                };
                end.filter(|&end| end >= start).map(|end| (start, end))
            })
    };
    Ok(range.map_or(ByteRange::Unsatisfiable, |(start, end)| {
        ByteRange::Slice(start, end)
    }))
}

/// `attachment; filename=...` as Go's `mime.FormatMediaType` writes it: bare when the name is
/// a token, quoted when it needs quoting, RFC 2231 encoded when it is not ASCII.
fn content_disposition(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    let is_token_char = |c: char| c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?=".contains(c);
    if !name.is_empty() && name.chars().all(is_token_char) {
        format!("attachment; filename={name}")
    } else if name.chars().all(|c| c.is_ascii() && !c.is_ascii_control()) {
        let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
        format!("attachment; filename=\"{escaped}\"")
    } else {
        let encoded = percent_encoding::utf8_percent_encode(name, RFC2231_ESCAPED);
        format!("attachment; filename*=utf-8''{encoded}")
    }
}

/// Everything but RFC 2231 attribute characters is percent-encoded.
const RFC2231_ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

pub(super) fn stat_object(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let path = ctx.query.required("path")?;
    let with_metadata = ctx.query.flag("user_metadata", true)?;
    let repo = ctx.repo(state)?;
    let resolved = repo.resolve(ctx.param("ref"))?;
    let entry = repo
        .lookup_entry(&resolved, path)
        .ok_or_else(|| object_not_found(path))?;
    let mut stats = entry.stats_json(path, with_metadata);
    if ctx.query.flag("presign", false)? {
        let (url, expiry) = presigned_read(state, repo, entry)?;
        stats["physical_address"] = json!(url);
        stats["physical_address_expiry"] = json!(expiry);
    }
    Ok(Reply::json(200, &stats))
}

pub(super) fn list_objects(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let with_metadata = ctx.query.flag("user_metadata", true)?;
    let amount = ctx.query.amount()?;
    let repo = ctx.repo(state)?;
    let resolved = repo.resolve(ctx.param("ref"))?;
    let prefix = ctx.query.text("prefix");
    let after = ctx.query.text("after");
    // A page starts where the last one ended, not at the prefix: paging through a listing
    // costs its length, not its length squared. `paginate` still skips keys <= `after`
    // (a common prefix can sort before the keys it stands for).
    let start = if after > prefix {
        Bound::Excluded(after)
    } else {
        Bound::Included(prefix)
    };
    let matching = repo
        .view_from(&resolved, start)?
        .take_while(|(path, _)| path.starts_with(prefix))
        .map(|(path, entry)| (path.clone(), entry));
    let listed = group_by_delimiter(matching, prefix, ctx.query.text("delimiter"));
    let page = paginate(listed, after, amount, |path, item| match item {
        Listed::Item(entry) => entry.stats_json(&path, with_metadata),
        // lakeFS fills the required fields of a common prefix with zero values.
        Listed::Prefix => json!({
            "path": path,
            "path_type": "common_prefix",
            "physical_address": "",
            "checksum": "",
            "mtime": 0,
        }),
    });
    Ok(Reply::json(200, &page.into_json()))
}

/// Stages a delete: a tombstone over a committed object, or dropping an uncommitted one.
/// Returns whether there was anything to delete.
fn stage_delete(repo: &mut Repo, branch: &str, path: &str) -> Result<bool, ApiError> {
    let committed = repo.head_tree(branch)?.contains_key(path);
    let staging = &mut repo.branch_mut(branch)?.staging;
    let existed = match staging.get(path) {
        Some(staged) => staged.is_some(),
        None => committed,
    };
    if committed {
        staging.insert(path.to_string(), None);
    } else {
        staging.remove(path);
    }
    Ok(existed)
}

/// Missing objects are not an error, as in lakeFS.
pub(super) fn delete_object(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let path = ctx.query.required("path")?;
    let repo = ctx.repo_mut(state)?;
    ensure_writable(repo)?;
    stage_delete(repo, ctx.param("branch"), path)?;
    Ok(Reply::empty(204))
}

pub(super) fn delete_objects(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let body: PathList = json_body(ctx.request)?;
    let repo = ctx.repo_mut(state)?;
    ensure_writable(repo)?;
    let branch = ctx.param("branch");
    repo.branch(branch)?;
    for path in &body.paths {
        stage_delete(repo, branch, path)?;
    }
    Ok(Reply::json(200, &json!({ "errors": [] })))
}

pub(super) fn copy_object(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let dest_path = ctx.query.required("dest_path")?.to_string();
    let body: ObjectCopyCreation = json_body(ctx.request)?;
    let repo_id = ctx.param("repository");
    state.repo(repo_id)?;
    let physical_address = state.new_physical_address(repo_id)?;
    let repo = ctx.repo_mut(state)?;
    ensure_writable(repo)?;
    let branch = ctx.param("branch");
    let destination = repo.branch_ref(branch)?;
    let source = match body.src_ref.as_deref().filter(|r| !r.is_empty()) {
        Some(src_ref) => repo.resolve(src_ref)?,
        None => destination,
    };
    let original = repo
        .lookup_entry(&source, &body.src_path)
        .ok_or_else(|| object_not_found(&body.src_path))?;
    let copy = Entry {
        physical_address,
        mtime: clock::now(),
        ..original.clone()
    };
    let stats = copy.stats_json(&dest_path, true);
    repo.branch_mut(branch)?
        .staging
        .insert(dest_path, Some(copy.clone()));
    // The copy shares the bytes; the store gets them at the new address too.
    state.store_object(
        &copy.physical_address,
        Arc::clone(&copy.blob),
        &copy.content_type,
    );
    Ok(Reply::json(201, &stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ranges() {
        assert_eq!(parse_range(None, 10).unwrap(), ByteRange::Full);
        assert_eq!(
            parse_range(Some("bytes=2-4"), 10).unwrap(),
            ByteRange::Slice(2, 4)
        );
        assert_eq!(
            parse_range(Some("bytes=7-"), 10).unwrap(),
            ByteRange::Slice(7, 9)
        );
        assert_eq!(
            parse_range(Some("bytes=-3"), 10).unwrap(),
            ByteRange::Slice(7, 9)
        );
        assert_eq!(
            parse_range(Some("bytes=-30"), 10).unwrap(),
            ByteRange::Slice(0, 9)
        );
        assert_eq!(
            parse_range(Some("bytes=5-50"), 10).unwrap(),
            ByteRange::Slice(5, 9)
        );
        for unsatisfiable in [
            "bytes=10-",
            "bytes=4-2",
            "bytes=-0",
            "bytes=0-1,3-4",
            "bytes=-",
        ] {
            assert_eq!(
                parse_range(Some(unsatisfiable), 10).unwrap(),
                ByteRange::Unsatisfiable,
                "{unsatisfiable}"
            );
        }
        assert_eq!(
            parse_range(Some("bytes=0-"), 0).unwrap(),
            ByteRange::Unsatisfiable
        );
        assert!(parse_range(Some("items=0-1"), 10).is_err());
    }

    #[test]
    fn formats_content_disposition() {
        assert_eq!(
            content_disposition("a/b/c.txt"),
            "attachment; filename=c.txt"
        );
        assert_eq!(
            content_disposition("dir/my file.txt"),
            "attachment; filename=\"my file.txt\""
        );
        assert_eq!(
            content_disposition("ü.txt"),
            "attachment; filename*=utf-8''%C3%BC.txt"
        );
    }
}
