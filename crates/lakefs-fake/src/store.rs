//! The simulated object store: objects and open multipart uploads keyed by physical address,
//! presigned URLs (S3 and GCS query signatures, Azure SAS), and its HTTP endpoint on a port of
//! its own, with S3's rules: signed and unexpired URLs only, `Content-Length` required on PUT,
//! quoted MD5 ETags, ranged GETs, and S3-style XML errors.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use http::Method;
use http_body_util::BodyStream;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::blobs::{Blob, ReceiveError};
use crate::clock;
use crate::config::{Blockstore, Config};
use crate::handlers::{ByteRange, parse_range};
use crate::http::{Query, Reply, request_id};
use crate::server::Shared;
use crate::sign;

/// S3's smallest part but the last.
pub(crate) const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// S3's largest part number.
pub(crate) const MAX_PARTS: u32 = 10_000;

/// One stored object.
#[derive(Debug, Clone)]
pub(crate) struct StoredObject {
    pub(crate) blob: Arc<Blob>,
    pub(crate) content_type: Option<String>,
    pub(crate) mtime: i64,
}

/// A multipart upload not completed or aborted yet.
#[derive(Debug)]
pub(crate) struct MultipartUpload {
    /// The object key it will complete into.
    pub(crate) key: String,
    pub(crate) parts: BTreeMap<u32, Arc<Blob>>,
}

/// Objects and multipart uploads; metadata only (blobs hold the bytes).
#[derive(Debug, Default)]
pub(crate) struct ObjectStore {
    pub(crate) objects: HashMap<String, StoredObject>,
    pub(crate) uploads: BTreeMap<String, MultipartUpload>,
    upload_sequence: u64,
}

impl ObjectStore {
    /// Starts a multipart upload into `key`; returns its id.
    pub(crate) fn create_upload(&mut self, key: &str, secret: &[u8]) -> String {
        self.upload_sequence += 1;
        let id = sign::signature(secret, &["upload", key, &self.upload_sequence.to_string()]);
        self.uploads.insert(
            id.clone(),
            MultipartUpload {
                key: key.to_string(),
                parts: BTreeMap::new(),
            },
        );
        id
    }
}

/// The object key of a physical address: the address without its scheme
/// (`s3://bucket/a/b` -> `bucket/a/b`).
pub(crate) fn key_of(address: &str) -> &str {
    address.split_once("://").map_or(address, |(_, rest)| rest)
}

/// What a presigned URL allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
}

impl Access {
    fn method(self) -> &'static str {
        match self {
            Access::Read => "GET",
            Access::Write => "PUT",
        }
    }
}

/// A part of a multipart upload a URL is for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PartTarget<'a> {
    pub(crate) upload_id: &'a str,
    pub(crate) number: u32,
}

/// Path characters kept as they are in URLs of the store.
const PATH_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// Query values: everything but unreserved characters encoded.
const QUERY_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn signed_fields<'a>(
    access: Access,
    key: &'a str,
    stamp: &'a str,
    expires: &'a str,
    part: &'a (String, String),
) -> [&'a str; 6] {
    [access.method(), key, stamp, expires, &part.0, &part.1]
}

/// A presigned URL for `key` and its expiry (Unix seconds), in the style of `blockstore`.
pub(crate) fn presign(
    config: &Config,
    blockstore: Blockstore,
    access: Access,
    key: &str,
    part: Option<PartTarget<'_>>,
    now: i64,
) -> (String, i64) {
    let expiry = now + config.url_expiry;
    let part_fields = part.map_or_else(Default::default, |part| {
        (part.upload_id.to_string(), part.number.to_string())
    });
    let path = utf8_percent_encode(key, PATH_KEEP);
    let mut query: Vec<(&str, String)> = Vec::new();
    match blockstore {
        Blockstore::Azure => {
            let se = clock::rfc3339(expiry);
            let signature = sign::signature(
                &config.secret,
                &signed_fields(access, key, &se, "", &part_fields),
            );
            let permissions = if access == Access::Read { "r" } else { "cw" };
            query.extend([
                ("sv", "2021-12-02".to_string()),
                ("se", se),
                ("sr", "b".to_string()),
                ("sp", permissions.to_string()),
                ("sig", signature),
            ]);
        }
        _ => {
            let names = QueryNames::of(blockstore);
            let date = clock::amz_date(now);
            let expires = config.url_expiry.to_string();
            let signature = sign::signature(
                &config.secret,
                &signed_fields(access, key, &date, &expires, &part_fields),
            );
            query.extend([
                (names.algorithm, names.algorithm_value.to_string()),
                (names.credential, "lakefs-fake".to_string()),
                (names.date, date),
                (names.expires, expires),
                (names.signed_headers, "host".to_string()),
            ]);
            if let Some(part) = part {
                query.push(("partNumber", part.number.to_string()));
                query.push(("uploadId", part.upload_id.to_string()));
            }
            query.push((names.signature, signature));
        }
    }
    let query: Vec<String> = query
        .into_iter()
        .map(|(name, value)| format!("{name}={}", utf8_percent_encode(&value, QUERY_KEEP)))
        .collect();
    (
        format!("{}/{path}?{}", config.store_endpoint, query.join("&")),
        expiry,
    )
}

/// The query parameter names of S3's and GCS's signed URLs.
struct QueryNames {
    algorithm: &'static str,
    algorithm_value: &'static str,
    credential: &'static str,
    date: &'static str,
    expires: &'static str,
    signed_headers: &'static str,
    signature: &'static str,
}

impl QueryNames {
    fn of(blockstore: Blockstore) -> QueryNames {
        if blockstore == Blockstore::Gs {
            QueryNames {
                algorithm: "X-Goog-Algorithm",
                algorithm_value: "GOOG4-RSA-SHA256",
                credential: "X-Goog-Credential",
                date: "X-Goog-Date",
                expires: "X-Goog-Expires",
                signed_headers: "X-Goog-SignedHeaders",
                signature: "X-Goog-Signature",
            }
        } else {
            QueryNames {
                algorithm: "X-Amz-Algorithm",
                algorithm_value: "AWS4-HMAC-SHA256",
                credential: "X-Amz-Credential",
                date: "X-Amz-Date",
                expires: "X-Amz-Expires",
                signed_headers: "X-Amz-SignedHeaders",
                signature: "X-Amz-Signature",
            }
        }
    }
}

/// A failure of the store, sent as its XML error document.
#[derive(Debug)]
pub(crate) struct StoreError {
    status: u16,
    code: &'static str,
    message: String,
    azure: bool,
}

impl StoreError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> StoreError {
        StoreError {
            status,
            code,
            message: message.into(),
            azure: false,
        }
    }

    fn azure(mut self) -> StoreError {
        self.azure = true;
        self
    }

    fn into_reply(self, resource: &str) -> Reply {
        let id = request_id();
        let escape = |text: &str| {
            text.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        };
        let body = if self.azure {
            format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{}</Code><Message>{}\nRequestId:{id}</Message></Error>",
                self.code,
                escape(&self.message)
            )
        } else {
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message><Resource>{}</Resource><RequestId>{id}</RequestId></Error>",
                self.code,
                escape(&self.message),
                escape(resource)
            )
        };
        let header = if self.azure {
            "x-ms-request-id"
        } else {
            "x-amz-request-id"
        };
        Reply::bytes(self.status, body.into_bytes(), "application/xml").header(header, &id)
    }
}

/// What a verified URL is for.
#[derive(Debug)]
struct Authorized {
    azure: bool,
    part: Option<(String, u32)>,
}

/// Checks a request's URL signature and expiry, as the store would.
fn authorize(
    config: &Config,
    method: &Method,
    key: &str,
    query: &Query,
    now: i64,
) -> Result<Authorized, StoreError> {
    let access = if method == Method::PUT {
        Access::Write
    } else {
        Access::Read
    };
    if let Some(signature) = query.get("sig") {
        let se = query.text("se");
        let expected = sign::signature(
            &config.secret,
            &signed_fields(access, key, se, "", &Default::default()),
        );
        if !sign::same(signature, &expected) {
            return Err(StoreError::new(
                403,
                "AuthenticationFailed",
                "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.",
            )
            .azure());
        }
        let expiry = clock::parse_rfc3339(se).unwrap_or(i64::MIN);
        if now > expiry {
            return Err(StoreError::new(
                403,
                "AuthenticationFailed",
                format!("Signed expiry time [{se}] has to be after signed start time"),
            )
            .azure());
        }
        return Ok(Authorized {
            azure: true,
            part: None,
        });
    }
    let names = if query.get("X-Goog-Signature").is_some() {
        QueryNames::of(Blockstore::Gs)
    } else {
        QueryNames::of(Blockstore::S3)
    };
    let Some(signature) = query.get(names.signature) else {
        return Err(StoreError::new(403, "AccessDenied", "Access Denied"));
    };
    let date = query.text(names.date);
    let expires = query.text(names.expires);
    let part = match (query.get("uploadId"), query.get("partNumber")) {
        (Some(upload), Some(number)) => (upload.to_string(), number.to_string()),
        _ => Default::default(),
    };
    let expected = sign::signature(
        &config.secret,
        &signed_fields(access, key, date, expires, &part),
    );
    if !sign::same(signature, &expected) {
        return Err(StoreError::new(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        ));
    }
    let issued = clock::parse_amz_date(date).unwrap_or(i64::MIN);
    let lifetime: i64 = expires.parse().unwrap_or(0);
    if now > issued.saturating_add(lifetime) {
        return Err(StoreError::new(403, "AccessDenied", "Request has expired"));
    }
    let part = if part.0.is_empty() {
        None
    } else {
        let number: u32 = part.1.parse().unwrap_or(0);
        Some((part.0, number))
    };
    Ok(Authorized { azure: false, part })
}

/// Answers one request to the store's endpoint.
pub(crate) async fn respond<B>(shared: &Shared, request: http::Request<B>) -> Reply
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let resource = request.uri().path().to_string();
    let is_head = request.method() == Method::HEAD;
    let reply = match serve(shared, request).await {
        Ok(reply) => reply,
        Err(error) => error.into_reply(&resource),
    };
    if is_head && reply.has_body() {
        reply.without_body()
    } else {
        reply
    }
}

async fn serve<B>(shared: &Shared, request: http::Request<B>) -> Result<Reply, StoreError>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let raw_key = request.uri().path().trim_start_matches('/');
    let key = percent_encoding::percent_decode_str(raw_key)
        .decode_utf8()
        .map_err(|_| StoreError::new(400, "InvalidURI", "Couldn't parse the specified URI."))?
        .into_owned();
    let query = Query::from_uri(request.uri());
    let (config, now) = {
        let state = shared.lock();
        (Arc::clone(&state.config), state.now())
    };
    let authorized = match authorize(&config, request.method(), &key, &query, now) {
        Ok(authorized) => authorized,
        Err(error) => return refuse(request, error).await,
    };
    match *request.method() {
        Method::PUT => put(shared, request, &key, authorized).await,
        Method::GET | Method::HEAD => get(shared, &request, &key, authorized.azure),
        _ => Err(StoreError::new(
            405,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        )),
    }
}

async fn put<B>(
    shared: &Shared,
    request: http::Request<B>,
    key: &str,
    authorized: Authorized,
) -> Result<Reply, StoreError>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let azure = authorized.azure;
    let checked = check_put_headers(request.headers(), azure).and_then(|content_type| {
        if let Some((upload_id, number)) = &authorized.part {
            check_part_target(&shared.lock().store, upload_id, *number)?;
        }
        Ok(content_type)
    });
    let content_type = match checked {
        Ok(content_type) => content_type,
        Err(error) => return refuse(request, error).await,
    };
    let body = BodyStream::new(request.into_body())
        .try_filter_map(|frame| futures::future::ready(Ok(frame.into_data().ok())))
        .map_err(std::io::Error::other);
    let blob = shared.blobs.receive(body).await.map_err(|error| match error {
        ReceiveError::Body(error) => StoreError::new(
            400,
            "IncompleteBody",
            format!("You did not provide the number of bytes specified by the Content-Length HTTP header: {error}"),
        ),
        ReceiveError::Store(error) => {
            StoreError::new(500, "InternalError", format!("We encountered an internal error: {error}"))
        }
    })?;
    let etag = blob.etag();
    let md5 = blob.md5();
    let omit_etag;
    {
        let mut state = shared.lock();
        let now = state.now();
        omit_etag = state.faults.faults.omit_etag;
        match &authorized.part {
            Some((upload_id, number)) => {
                check_part_target(&state.store, upload_id, *number)?;
                if state.faults.part_upload_fails() {
                    return Err(StoreError::new(
                        500,
                        "InternalError",
                        "We encountered an internal error. Please try again. (lakefs-fake fault)",
                    ));
                }
                if let Some(upload) = state.store.uploads.get_mut(upload_id) {
                    upload.parts.insert(*number, blob);
                }
            }
            None => {
                state.store.objects.insert(
                    key.to_string(),
                    StoredObject {
                        blob,
                        content_type,
                        mtime: now,
                    },
                );
            }
        }
    }
    Ok(if omit_etag {
        Reply::empty(if azure { 201 } else { 200 })
    } else if azure {
        // Azure's ETag is opaque; its Content-MD5 is what clients take as the checksum.
        Reply::empty(201)
            .header(
                "etag",
                &format!("\"0x8D{}\"", &etag[..12].to_ascii_uppercase()),
            )
            .header("content-md5", &sign::base64(&md5))
    } else {
        Reply::empty(200).header("etag", &format!("\"{etag}\""))
    })
}

/// What a PUT's headers must have before its body is read; its content type when they do.
fn check_put_headers(headers: &http::HeaderMap, azure: bool) -> Result<Option<String>, StoreError> {
    let chunked = headers
        .get("transfer-encoding")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.to_ascii_lowercase().contains("chunked"));
    if chunked || !headers.contains_key("content-length") {
        let error = if azure {
            StoreError::new(
                411,
                "MissingContentLengthHeader",
                "Content-Length HTTP header is required.",
            )
            .azure()
        } else if chunked {
            StoreError::new(
                501,
                "NotImplemented",
                "A header you provided implies functionality that is not implemented",
            )
        } else {
            StoreError::new(
                411,
                "MissingContentLength",
                "You must provide the Content-Length HTTP header.",
            )
        };
        return Err(error);
    }
    if azure
        && headers
            .get("x-ms-blob-type")
            .and_then(|value| value.to_str().ok())
            != Some("BlockBlob")
    {
        return Err(StoreError::new(
            400,
            "MissingRequiredHeader",
            "An HTTP header that's mandatory for this request is not specified.",
        )
        .azure());
    }
    Ok(headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .map(str::to_string))
}

/// A refusal sent before the request's body was read: the body is read and dropped first (up
/// to a bound), so the client, still sending it, gets the answer rather than a broken pipe.
async fn refuse<B>(request: http::Request<B>, error: StoreError) -> Result<Reply, StoreError>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    const DRAIN_LIMIT: u64 = 64 * 1024 * 1024;
    let mut frames = BodyStream::new(request.into_body());
    let mut drained = 0u64;
    while drained < DRAIN_LIMIT {
        match frames.try_next().await {
            Ok(Some(frame)) => {
                drained += frame.data_ref().map_or(0, |data| data.len() as u64);
            }
            _ => break,
        }
    }
    Err(error)
}

fn check_part_target(store: &ObjectStore, upload_id: &str, number: u32) -> Result<(), StoreError> {
    if !(1..=MAX_PARTS).contains(&number) {
        return Err(StoreError::new(
            400,
            "InvalidArgument",
            format!("Part number must be an integer between 1 and {MAX_PARTS}, inclusive"),
        ));
    }
    if !store.uploads.contains_key(upload_id) {
        return Err(no_such_upload());
    }
    Ok(())
}

pub(crate) fn no_such_upload() -> StoreError {
    StoreError::new(
        404,
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    )
}

fn get<B>(
    shared: &Shared,
    request: &http::Request<B>,
    key: &str,
    azure: bool,
) -> Result<Reply, StoreError> {
    let object = shared.lock().store.objects.get(key).cloned();
    let Some(object) = object else {
        let error = StoreError::new(404, "NoSuchKey", "The specified key does not exist.");
        return Err(if azure { error.azure() } else { error });
    };
    let size = object.blob.size();
    let range = request
        .headers()
        .get("range")
        .and_then(|value| value.to_str().ok());
    let content_type = object
        .content_type
        .as_deref()
        .unwrap_or("application/octet-stream");
    let etag = if azure {
        format!("\"0x8D{}\"", &object.blob.etag()[..12].to_ascii_uppercase())
    } else {
        format!("\"{}\"", object.blob.etag())
    };
    let blob = Arc::clone(&object.blob);
    let reply = match parse_range(range, size) {
        Ok(ByteRange::Full) | Err(_) => Reply::blob(200, blob, 0, size, content_type),
        Ok(ByteRange::Slice(start, end)) => {
            Reply::blob(206, blob, start, end - start + 1, content_type)
                .header("content-range", &format!("bytes {start}-{end}/{size}"))
        }
        Ok(ByteRange::Unsatisfiable) => {
            return Err(StoreError::new(
                416,
                "InvalidRange",
                "The requested range is not satisfiable",
            ));
        }
    };
    let reply = reply
        .header("etag", &etag)
        .header("last-modified", &clock::http_date(object.mtime))
        .header("accept-ranges", "bytes");
    Ok(if request.method() == Method::HEAD {
        reply.for_head()
    } else {
        reply
    })
}
