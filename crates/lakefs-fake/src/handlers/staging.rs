//! The direct-to-storage data path: staging addresses (`getPhysicalAddress`,
//! `linkPhysicalAddress`) and presigned multipart uploads (`createPresignMultipartUpload`,
//! `uploadPart`, `completePresignMultipartUpload`, `abortPresignMultipartUpload`).
//!
//! A staged physical address is `<address>,<signature>`; the signature binds it to the
//! repository, branch and path it was handed out for, and the address carries its creation
//! time, so that linking checks all three and the 24-hour validity, as lakeFS does.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::json;

use super::objects::{check_upload_preconditions, unquote};
use super::{Ctx, ensure_writable};
use crate::blobs::Blob;
use crate::config::Storage;
use crate::http::{ApiError, HandlerResult, Reply, json_body};
use crate::model::{Entry, Metadata, Repo, State};
use crate::sign;
use crate::store::{self, Access, MAX_PARTS, MIN_PART_SIZE, PartTarget, key_of};

/// How long a staged address may wait for its link (lakeFS's `LinkAddressTime`).
const LINK_ADDRESS_VALIDITY: i64 = 24 * 3600;
/// The content type stored when a link names none.
const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// The `StagingLocation` inside a `StagingMetadata` body.
#[derive(Debug, Deserialize)]
struct StagingLocation {
    physical_address: Option<String>,
}

/// The `StagingMetadata` body.
#[derive(Debug, Deserialize)]
struct StagingMetadata {
    staging: StagingLocation,
    checksum: String,
    size_bytes: i64,
    user_metadata: Option<Metadata>,
    content_type: Option<String>,
}

/// The `UploadPartFrom` and `AbortPresignMultipartUpload` bodies.
#[derive(Debug, Deserialize)]
struct AddressBody {
    physical_address: String,
}

/// One `UploadPart` of a `CompletePresignMultipartUpload` body.
#[derive(Debug, Deserialize)]
struct CompletedPart {
    part_number: u32,
    etag: String,
}

/// The `CompletePresignMultipartUpload` body.
#[derive(Debug, Deserialize)]
struct CompleteUpload {
    physical_address: String,
    parts: Vec<CompletedPart>,
    user_metadata: Option<Metadata>,
    content_type: Option<String>,
}

/// The repository, checked writable, and its branch checked present.
fn writable_branch<'s>(ctx: &Ctx<'_>, state: &'s State) -> Result<&'s Repo, ApiError> {
    let repo = ctx.repo(state)?;
    ensure_writable(repo)?;
    let branch = ctx.param("branch");
    if !repo.branches.contains_key(branch) {
        return Err(ApiError::not_found(format!("branch '{branch}' not found")));
    }
    Ok(repo)
}

fn required_path<'c>(ctx: &'c Ctx<'_>) -> Result<&'c str, ApiError> {
    match ctx.query.get("path") {
        Some(path) if !path.is_empty() => Ok(path),
        _ => Err(ApiError::bad_request("path is required")),
    }
}

/// A fresh address under the repository's namespace, signed for this branch and path.
fn new_staged_address(ctx: &Ctx<'_>, state: &mut State, path: &str) -> Result<String, ApiError> {
    let address = state.new_physical_address(ctx.param("repository"))?;
    let signature = address_signature(state, ctx, path, &address);
    Ok(format!("{address},{signature}"))
}

fn address_signature(state: &State, ctx: &Ctx<'_>, path: &str, address: &str) -> String {
    sign::signature(
        &state.config.secret,
        &[
            "link",
            ctx.param("repository"),
            ctx.param("branch"),
            path,
            address,
        ],
    )
}

/// Checks a staged address given back for linking; returns the address without its
/// signature. Addresses outside the repository's namespace are taken as they are (lakeFS
/// links such full addresses without a signature).
fn verify_address(
    ctx: &Ctx<'_>,
    state: &State,
    path: &str,
    token: &str,
) -> Result<String, ApiError> {
    let repo = ctx.repo(state)?;
    let (address, signature) = match token.rsplit_once(',') {
        Some((address, signature)) => (address, Some(signature)),
        None => (token, None),
    };
    let scheme = |text: &str| text.split_once("://").map(|(scheme, _)| scheme.to_string());
    if scheme(address).is_none() || scheme(address) != scheme(&repo.storage_namespace) {
        return Err(ApiError::bad_request(
            "invalid blockstore type: invalid address",
        ));
    }
    let namespace = format!("{}/", repo.storage_namespace.trim_end_matches('/'));
    if !address.starts_with(&namespace) {
        return Ok(address.to_string());
    }
    let expected = address_signature(state, ctx, path, address);
    if !signature.is_some_and(|signature| sign::same(signature, &expected)) {
        return Err(ApiError::bad_request("link address invalid"));
    }
    let created = address
        .rsplit('/')
        .next()
        .and_then(|id| id.get(..10))
        .and_then(|time| i64::from_str_radix(time, 16).ok())
        .ok_or_else(|| ApiError::bad_request("link address invalid"))?;
    if state.now() - created > LINK_ADDRESS_VALIDITY {
        return Err(ApiError::bad_request("link address expired"));
    }
    Ok(address.to_string())
}

/// A 409 for a link (a fault tests ask for): lakeFS's message, and, as the spec's
/// `StagingLocation` answer has it, a fresh address to try again with.
fn link_conflict(ctx: &Ctx<'_>, state: &mut State, path: &str) -> Result<ApiError, ApiError> {
    let fresh = new_staged_address(ctx, state, path)?;
    Ok(ApiError::new(409, "conflict found").with_field("physical_address", fresh))
}

/// The storage of the repository, which must offer presigned multipart uploads.
fn multipart_storage<'s>(ctx: &Ctx<'_>, state: &'s State) -> Result<&'s Storage, ApiError> {
    let storage = state.storage_of(ctx.repo(state)?)?;
    if storage.presign_multipart {
        Ok(storage)
    } else {
        Err(ApiError::new(
            501,
            "presign multipart upload API is not supported",
        ))
    }
}

pub(super) fn get_physical_address(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let path = required_path(ctx)?.to_string();
    writable_branch(ctx, state)?;
    let presign = ctx.query.flag("presign", false)?;
    let storage = state.storage_of(ctx.repo(state)?)?.clone();
    if presign && !storage.presign {
        return Err(ApiError::bad_request("operation not supported"));
    }
    let token = new_staged_address(ctx, state, &path)?;
    let mut location = json!({ "physical_address": token });
    if presign {
        let address = token.rsplit_once(',').map_or(token.as_str(), |(a, _)| a);
        let (url, expiry) = store::presign(
            &state.config,
            storage.blockstore,
            Access::Write,
            key_of(address),
            None,
            state.now(),
        );
        location["presigned_url"] = json!(url);
        location["presigned_url_expiry"] = json!(expiry);
    }
    Ok(Reply::json(200, &location))
}

pub(super) fn link_physical_address(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let path = required_path(ctx)?.to_string();
    let body: StagingMetadata = json_body(ctx.request)?;
    if let Some(value) = crate::http::header(ctx.request, "if-none-match")
        && value.trim() != "*"
    {
        return Err(ApiError::bad_request(
            "Unsupported value for If-None-Match - Only \"*\" is supported",
        ));
    }
    writable_branch(ctx, state)?;
    let token = body
        .staging
        .physical_address
        .as_deref()
        .filter(|token| !token.is_empty())
        .ok_or_else(|| ApiError::bad_request("physical_address is required"))?;
    let address = verify_address(ctx, state, &path, token)?;
    if state.faults.link_conflicts() {
        return Err(link_conflict(ctx, state, &path)?);
    }
    let checksum = unquote(&body.checksum).trim().to_string();
    if checksum.is_empty() {
        return Err(ApiError::bad_request("checksum is required"));
    }
    let stored = state
        .store
        .objects
        .get(key_of(&address))
        .cloned()
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "no object at physical address {address} in lakefs-fake's object store: \
                 upload it before linking"
            ))
        })?;
    let branch = ctx.param("branch");
    let repo = ctx.repo(state)?;
    check_upload_preconditions(
        ctx.request,
        repo.lookup_entry(&repo.branch_ref(branch)?, &path),
    )?;
    let entry = Entry {
        checksum,
        size: u64::try_from(body.size_bytes).unwrap_or(0),
        blob: stored.blob,
        physical_address: address,
        mtime: state.now(),
        content_type: body
            .content_type
            .filter(|value| !value.is_empty())
            .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_string()),
        metadata: body.user_metadata.unwrap_or_default(),
    };
    let stats = entry.stats_json(&path, true);
    ctx.repo_mut(state)?
        .branch_mut(branch)?
        .staging
        .insert(path, Some(entry));
    Ok(Reply::json(200, &stats))
}

pub(super) fn create_presign_multipart_upload(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let blockstore = multipart_storage(ctx, state)?.blockstore;
    writable_branch(ctx, state)?;
    let path = required_path(ctx)?.to_string();
    let parts: i64 = match ctx.query.get("parts") {
        None | Some("") => 0,
        Some(raw) => raw.parse().map_err(|_| {
            ApiError::bad_request(format!("invalid integer {raw:?} for query parameter parts"))
        })?,
    };
    if !(0..=i64::from(MAX_PARTS)).contains(&parts) {
        return Err(ApiError::bad_request(format!(
            "parts can be between 0 and {MAX_PARTS}"
        )));
    }
    let token = new_staged_address(ctx, state, &path)?;
    let address = token.rsplit_once(',').map_or(token.as_str(), |(a, _)| a);
    let secret = state.config.secret.clone();
    let upload_id = state.store.create_upload(key_of(address), &secret);
    let now = state.now();
    let urls: Vec<String> = (1..=parts as u32)
        .map(|number| {
            let part = PartTarget {
                upload_id: &upload_id,
                number,
            };
            store::presign(
                &state.config,
                blockstore,
                Access::Write,
                key_of(address),
                Some(part),
                now,
            )
            .0
        })
        .collect();
    let mut answer = json!({ "upload_id": upload_id, "physical_address": token });
    if !urls.is_empty() {
        answer["presigned_urls"] = json!(urls);
    }
    Ok(Reply::json(201, &answer))
}

/// The upload id, path and verified address every call on an upload needs.
fn upload_target(ctx: &Ctx<'_>, state: &State, token: &str) -> Result<(String, String), ApiError> {
    let upload_id = ctx.param("uploadId");
    if upload_id.is_empty() {
        return Err(ApiError::bad_request("upload_id is required"));
    }
    let path = required_path(ctx)?;
    if token.is_empty() {
        return Err(ApiError::bad_request("physical_address is required"));
    }
    let address = verify_address(ctx, state, path, token)?;
    Ok((upload_id.to_string(), address))
}

pub(super) fn upload_part(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let blockstore = multipart_storage(ctx, state)?.blockstore;
    let body: AddressBody = json_body(ctx.request)?;
    let (upload_id, address) = upload_target(ctx, state, &body.physical_address)?;
    let number: u32 = ctx
        .param("partNumber")
        .parse()
        .ok()
        .filter(|number| (1..=MAX_PARTS).contains(number))
        .ok_or_else(|| {
            ApiError::bad_request(format!("part number must be between 1 and {MAX_PARTS}"))
        })?;
    // Presigning is local to the signer, as on S3: an unknown upload fails at the PUT.
    let part = PartTarget {
        upload_id: &upload_id,
        number,
    };
    let (url, _) = store::presign(
        &state.config,
        blockstore,
        Access::Write,
        key_of(&address),
        Some(part),
        state.now(),
    );
    Ok(Reply::json(200, &json!({ "presigned_url": url })))
}

pub(super) fn complete_presign_multipart_upload(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    multipart_storage(ctx, state)?;
    let body: CompleteUpload = json_body(ctx.request)?;
    if body.parts.is_empty() {
        return Err(ApiError::bad_request("parts are required"));
    }
    let (upload_id, address) = upload_target(ctx, state, &body.physical_address)?;
    writable_branch(ctx, state)?;
    let path = required_path(ctx)?.to_string();
    let upload = state
        .store
        .uploads
        .get(&upload_id)
        .filter(|upload| upload.key == key_of(&address))
        .ok_or_else(|| ApiError::not_found(s3_message("NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")))?;
    let blobs = chosen_parts(&upload.parts, &body.parts)?;
    let blob = Blob::concat(blobs);
    state.store.uploads.remove(&upload_id);
    let content_type = body
        .content_type
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_string());
    state.store_object(&address, Arc::clone(&blob), &content_type);
    // The store completed the upload; lakeFS then failed to stage it (the object is orphaned).
    if state.faults.link_conflicts() {
        return Err(link_conflict(ctx, state, &path)?);
    }
    let entry = Entry {
        checksum: blob.etag(),
        size: blob.size(),
        blob,
        physical_address: address,
        mtime: state.now(),
        content_type,
        metadata: body.user_metadata.unwrap_or_default(),
    };
    let stats = entry.stats_json(&path, true);
    ctx.repo_mut(state)?
        .branch_mut(ctx.param("branch"))?
        .staging
        .insert(path, Some(entry));
    Ok(Reply::json(200, &stats))
}

/// The parts a completion names, checked with S3's rules: ascending numbers, each uploaded
/// with that ETag, each but the last at least 5 MiB.
fn chosen_parts(
    uploaded: &BTreeMap<u32, Arc<Blob>>,
    chosen: &[CompletedPart],
) -> Result<Vec<Arc<Blob>>, ApiError> {
    if chosen
        .windows(2)
        .any(|pair| pair[0].part_number >= pair[1].part_number)
    {
        return Err(ApiError::bad_request(s3_message(
            "InvalidPartOrder",
            "The list of parts was not in ascending order. Parts must be ordered by part number.",
        )));
    }
    let mut blobs = Vec::with_capacity(chosen.len());
    for part in chosen {
        let blob = uploaded
            .get(&part.part_number)
            .filter(|blob| blob.etag() == unquote(&part.etag).trim())
            .ok_or_else(|| {
                ApiError::bad_request(s3_message(
                    "InvalidPart",
                    "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
                ))
            })?;
        blobs.push(Arc::clone(blob));
    }
    if blobs[..blobs.len() - 1]
        .iter()
        .any(|blob| blob.size() < MIN_PART_SIZE)
    {
        return Err(ApiError::bad_request(s3_message(
            "EntityTooSmall",
            "Your proposed upload is smaller than the minimum allowed object size.",
        )));
    }
    Ok(blobs)
}

/// An S3 error as lakeFS passes it on: the code, then S3's message.
fn s3_message(code: &str, message: &str) -> String {
    format!("{code}: {message}")
}

pub(super) fn abort_presign_multipart_upload(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    multipart_storage(ctx, state)?;
    let body: AddressBody = json_body(ctx.request)?;
    let (upload_id, address) = upload_target(ctx, state, &body.physical_address)?;
    let known = state
        .store
        .uploads
        .get(&upload_id)
        .is_some_and(|upload| upload.key == key_of(&address));
    if !known {
        return Err(ApiError::not_found(s3_message(
            "NoSuchUpload",
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
        )));
    }
    state.store.uploads.remove(&upload_id);
    Ok(Reply::empty(204))
}
