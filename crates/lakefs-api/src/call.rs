//! Sending one call and decoding its answer. The generated trait implementations describe
//! each call with a [`Call`] and pick one of the decoders below.

use crate::body::{
    ByteStream, ObjectDownload, ObjectMetadata, PartEtag, Progress, UploadBody, WithEtag,
    WithLocation, header_text, unquote,
};
use crate::client::LakeFsClient;
use crate::config::Credentials;
use crate::error::{ApiError, Error, ErrorBody, ErrorKind, Result};
use crate::operation::OperationInfo;
use bytes::Bytes;
use futures::StreamExt;
use serde::de::DeserializeOwned;
use std::time::Duration;
use tracing::Instrument;

const SNIPPET_CHARS: usize = 200;
/// How much of an error body is read (a proxy's error page can be large).
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// One request, before it is sent.
pub(crate) struct Call {
    op: &'static OperationInfo,
    path: String,
    query: Vec<(&'static str, String)>,
    headers: Vec<(String, String)>,
    body: CallBody,
}

enum CallBody {
    None,
    Json(Bytes),
    Upload(UploadBody),
}

impl CallBody {
    /// Whether the body can be sent again (a stream can be read only once).
    fn is_replayable(&self) -> bool {
        match self {
            CallBody::Upload(body) => body.try_clone().is_some(),
            _ => true,
        }
    }

    /// Puts the body of one attempt on the request; a stream moves out on the first attempt.
    /// An upload watched by `progress` notes each chunk the connection takes.
    fn attach(
        &mut self,
        request: reqwest::RequestBuilder,
        progress: Option<&Progress>,
    ) -> reqwest::RequestBuilder {
        let upload = match self {
            CallBody::None => return request,
            CallBody::Json(bytes) => return request.body(bytes.clone()),
            CallBody::Upload(body) => match body.try_clone() {
                Some(copy) => copy,
                None => match std::mem::replace(self, CallBody::None) {
                    CallBody::Upload(body) => body,
                    _ => return request,
                },
            },
        };
        match progress {
            Some(progress) => request.body(upload.into_reqwest_tracked(progress.clone())),
            None => request.body(upload.into_reqwest()),
        }
    }
}

impl Call {
    pub(crate) fn new(op: &'static OperationInfo, path: String) -> Self {
        Call {
            op,
            path,
            query: Vec::new(),
            headers: Vec::new(),
            body: CallBody::None,
        }
    }

    pub(crate) fn query(&mut self, name: &'static str, value: impl ToString) {
        self.query.push((name, value.to_string()));
    }

    pub(crate) fn query_opt(&mut self, name: &'static str, value: Option<impl ToString>) {
        if let Some(v) = value {
            self.query(name, v);
        }
    }

    /// Array parameters repeat the name (`objects=a&objects=b`), as lakeFS expects.
    pub(crate) fn query_list(&mut self, name: &'static str, values: Option<&[String]>) {
        for v in values.unwrap_or_default() {
            self.query(name, v);
        }
    }

    pub(crate) fn header(&mut self, name: &str, value: impl ToString) {
        self.headers.push((name.to_string(), value.to_string()));
    }

    pub(crate) fn header_opt(&mut self, name: &str, value: Option<impl ToString>) {
        if let Some(v) = value {
            self.header(name, v);
        }
    }

    pub(crate) fn json<T: serde::Serialize + ?Sized>(&mut self, body: &T) -> Result<()> {
        let bytes = serde_json::to_vec(body).map_err(|e| {
            Error::InvalidArgument(format!("{}: cannot encode the body: {e}", self.op.id))
        })?;
        self.body = CallBody::Json(bytes.into());
        Ok(())
    }

    pub(crate) fn upload(&mut self, body: UploadBody) {
        self.body = CallBody::Upload(body);
    }
}

/// Request identity kept for errors and logs (never credentials).
#[derive(Clone)]
pub(crate) struct Sent {
    pub(crate) op: &'static OperationInfo,
    pub(crate) method: String,
    pub(crate) url: String,
}

impl LakeFsClient {
    /// Sends a call; a non-success status becomes [`Error::Api`].
    pub(crate) async fn execute(&self, mut call: Call) -> Result<(Sent, reqwest::Response)> {
        let op = call.op;
        let mut url = self.inner.base_url.clone();
        url.set_path(&format!("{}{}", self.inner.base_url.path(), call.path));
        if !call.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in &call.query {
                pairs.append_pair(k, v);
            }
        }
        let method = reqwest::Method::from_bytes(op.method.as_bytes())
            .map_err(|e| Error::InvalidArgument(format!("{}: {e}", op.id)))?;
        let sent = Sent {
            op,
            method: op.method.to_string(),
            url: redact(&url),
        };
        let headers = call_headers(&call)?;
        let uploading = matches!(call.body, CallBody::Upload(_));
        // A download waits for its headers at most the idle timeout; an upload's sending time
        // depends on its size, so it has no limit but the connect timeout.
        let header_limit = if op.streaming && !uploading {
            self.inner.read_timeout
        } else {
            None
        };
        let replayable = call.body.is_replayable();
        let mut attempt = 1u32;
        loop {
            let mut request = self
                .authorize(op, self.inner.http.request(method.clone(), url.clone()))
                .headers(headers.clone());
            // An upload may take as long as it needs while it moves: it fails after the idle
            // timeout without progress (no chunk taken, or no answer after the last one).
            let progress = uploading.then(Progress::new);
            let watch = progress.clone().zip(self.inner.read_timeout);
            request = call.body.attach(request, progress.as_ref());
            // Streaming transfers are bounded by the idle timeout instead of a total one.
            if let (false, Some(timeout)) = (op.streaming, self.inner.request_timeout) {
                request = request.timeout(timeout);
            }
            let mut outcome = send_attempt(&sent, request, attempt, header_limit, watch).await;
            // A body that failed because its source could not be read is a local failure.
            if let (Err(Error::Transport { .. }), Some(progress)) = (&outcome, &progress)
                && let Some(source) = progress.take_failure()
            {
                outcome = Err(Error::LocalIo {
                    context: format!("{}: cannot read the upload's content", op.id),
                    source,
                });
            }
            match outcome {
                Err(e) if replayable && self.inner.retry.should_retry(op, &e, attempt) => {
                    let delay = self.inner.retry.delay(&e, attempt);
                    tracing::debug!(operation = op.id, attempt, ?delay, error = %e, "retrying");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }

    fn authorize(
        &self,
        op: &OperationInfo,
        request: reqwest::RequestBuilder,
    ) -> reqwest::RequestBuilder {
        if !op.needs_auth {
            return request;
        }
        match &self.inner.credentials {
            Some(Credentials::AccessKey {
                access_key_id,
                secret_access_key,
            }) => request.basic_auth(access_key_id, Some(secret_access_key.expose())),
            Some(Credentials::Bearer(token)) => request.bearer_auth(token.expose()),
            None => request,
        }
    }
}

/// `Accept` and the call's own headers, checked once for every attempt.
fn call_headers(call: &Call) -> Result<reqwest::header::HeaderMap> {
    let op = call.op;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ACCEPT,
        reqwest::header::HeaderValue::from_static(op.accept),
    );
    for (name, value) in &call.headers {
        let header_name =
            reqwest::header::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                Error::InvalidArgument(format!("{}: {name:?} is not a valid header name", op.id))
            })?;
        let value = reqwest::header::HeaderValue::from_str(value).map_err(|_| {
            Error::InvalidArgument(format!("{}: header {name} has an invalid value", op.id))
        })?;
        headers.append(header_name, value);
    }
    if let CallBody::Json(_) = call.body {
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            reqwest::header::HeaderValue::from_static("application/json"),
        );
    }
    if let CallBody::Upload(body) = &call.body
        && let Some(len) = body.len()
    {
        headers.insert(reqwest::header::CONTENT_LENGTH, len.into());
    }
    Ok(headers)
}

/// One attempt, in its own tracing span; a non-success status becomes [`Error::Api`].
pub(crate) async fn send_attempt(
    sent: &Sent,
    request: reqwest::RequestBuilder,
    attempt: u32,
    header_limit: Option<Duration>,
    upload_watch: Option<(Progress, Duration)>,
) -> Result<(Sent, reqwest::Response)> {
    let span = tracing::debug_span!(
        "lakefs.request",
        operation = sent.op.id,
        method = sent.op.method,
        attempt,
        status = tracing::field::Empty,
        request_id = tracing::field::Empty,
    );
    async {
        let sending = request.send();
        let response = match (header_limit, upload_watch) {
            (Some(limit), _) => tokio::time::timeout(limit, sending)
                .await
                .map_err(|_| idle_timeout(sent, limit))?,
            (None, Some((progress, limit))) => {
                let stall = std::pin::pin!(stalled(progress, limit));
                match futures::future::select(std::pin::pin!(sending), stall).await {
                    futures::future::Either::Left((answer, _)) => answer,
                    futures::future::Either::Right(_) => return Err(idle_timeout(sent, limit)),
                }
            }
            (None, None) => sending.await,
        }
        .map_err(|e| transport_error(sent, e))?;
        let span = tracing::Span::current();
        span.record("status", response.status().as_u16());
        if let Some(id) = header(&response, "x-request-id") {
            span.record("request_id", id.as_str());
        }
        let status = response.status().as_u16();
        if (200..400).contains(&status) {
            Ok((sent.clone(), response))
        } else {
            Err(api_error(sent, response).await)
        }
    }
    .instrument(span)
    .await
}

fn redact(url: &reqwest::Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.to_string()
}

/// An object-store URL without its query: a presigned URL's query is a credential.
pub(crate) fn redact_presigned(url: &reqwest::Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    redact(&url)
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    header_text(response.headers(), name)
}

fn transport_error(sent: &Sent, source: reqwest::Error) -> Error {
    // reqwest's error would print the full URL again; ours is redacted.
    let source = source.without_url();
    let (method, url) = (sent.method.clone(), sent.url.clone());
    // A connection that timed out while opening was never used: that is a connect failure.
    if source.is_timeout() && !source.is_connect() {
        Error::Timeout {
            method,
            url,
            detail: source.to_string(),
        }
    } else {
        Error::Transport {
            method,
            url,
            source,
        }
    }
}

/// Completes once `progress` has not moved for `limit`.
async fn stalled(progress: Progress, limit: Duration) {
    loop {
        let idle = progress.idle_for();
        if idle >= limit {
            return;
        }
        tokio::time::sleep(limit - idle).await;
    }
}

fn idle_timeout(sent: &Sent, limit: Duration) -> Error {
    Error::Timeout {
        method: sent.method.clone(),
        url: sent.url.clone(),
        detail: format!("no data for {limit:?} (the idle timeout)"),
    }
}

/// Reads at most `limit` bytes of a body: error pages are only shown in part.
async fn read_limited(mut response: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => out.extend_from_slice(&chunk),
            _ => break,
        }
    }
    out.truncate(limit);
    out
}

/// What a success body that is not the expected JSON looked like. A JSON body is not quoted:
/// success answers can hold secrets (new credentials, tokens).
fn describe_unexpected(content_type: Option<&str>, bytes: &[u8]) -> String {
    match content_type {
        Some(ct) if ct.contains("json") => format!("{} bytes of {ct}", bytes.len()),
        Some(ct) => format!("{ct}: {}", snippet(bytes)),
        None => snippet(bytes),
    }
}

fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut cut: String = collapsed.chars().take(SNIPPET_CHARS).collect();
    if collapsed.chars().count() > SNIPPET_CHARS {
        cut.push('…');
    }
    cut
}

/// Builds the error for a non-success answer. Never fails: a body that cannot be read or
/// parsed still gives the status, the request id and a readable message.
async fn api_error(sent: &Sent, response: reqwest::Response) -> Error {
    let status = response.status();
    let request_id = header(&response, "x-request-id");
    let content_type = header(&response, "content-type");
    let retry_after = header(&response, "retry-after")
        .and_then(|v| crate::retry::parse_retry_after(&v, std::time::SystemTime::now()));
    let bytes = read_limited(response, ERROR_BODY_LIMIT).await;
    let reason = status.canonical_reason().unwrap_or("unknown status");
    let (body, server_message) = error_body(sent.op, status.as_u16(), &bytes, content_type);
    // The server's own words first, whatever the schema of the body; else a description.
    let message = server_message.unwrap_or_else(|| match &body {
        ErrorBody::MergeResult(_) => format!("{reason}: merge conflict"),
        ErrorBody::StagingLocation(_) => format!("{reason}: the staged object changed"),
        ErrorBody::NotJson { snippet, .. } => format!("{reason}: {snippet}"),
        ErrorBody::OtherJson(v) => format!("{reason}: {}", snippet(v.to_string().as_bytes())),
        _ => format!("{reason} (no message in the answer)"),
    });
    Error::Api(Box::new(ApiError {
        operation: sent.op.id,
        status: status.as_u16(),
        kind: ErrorKind::from_status(status.as_u16()),
        message,
        request_id,
        method: sent.method.clone(),
        url: sent.url.clone(),
        body,
        retry_after,
    }))
}

/// The body of an error answer, typed by the schema the spec documents for its status, and
/// the non-empty `message` field of a JSON body.
fn error_body(
    op: &OperationInfo,
    status: u16,
    bytes: &[u8],
    content_type: Option<String>,
) -> (ErrorBody, Option<String>) {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return (ErrorBody::Empty, None);
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        let body = ErrorBody::NotJson {
            content_type,
            snippet: snippet(bytes),
        };
        return (body, None);
    };
    let message = value
        .get("message")
        .and_then(|m| m.as_str())
        .filter(|m| !m.is_empty())
        .map(str::to_string);
    fn typed<T: DeserializeOwned>(v: &serde_json::Value) -> Option<T> {
        if !v.is_object() {
            return None;
        }
        serde_json::from_value(v.clone()).ok()
    }
    // Every field of the special schemas has a default, so anything would parse as one: take
    // the typed body only when its own fields are there (a protected branch answers a merge
    // with a plain `{"message": ...}` 409).
    let has = |keys: &[&str]| keys.iter().any(|k| value.get(k).is_some());
    let parsed = match op.error_schema(status) {
        Some("MergeResult") if has(&["reference"]) => typed(&value).map(ErrorBody::MergeResult),
        Some("StagingLocation")
            if has(&["physical_address", "presigned_url", "presigned_url_expiry"]) =>
        {
            typed(&value).map(ErrorBody::StagingLocation)
        }
        Some("ErrorNoACL") => typed(&value).map(ErrorBody::NoAcl),
        _ if value.get("message").is_some_and(|m| m.is_string()) => {
            typed(&value).map(ErrorBody::Error)
        }
        _ => None,
    };
    (parsed.unwrap_or(ErrorBody::OtherJson(value)), message)
}

fn decode_error(sent: &Sent, status: u16, request_id: Option<String>, message: String) -> Error {
    Error::Decode {
        operation: sent.op.id,
        status,
        message,
        request_id,
    }
}

async fn read_all(
    sent: &Sent,
    response: reqwest::Response,
) -> Result<(u16, Option<String>, Bytes)> {
    let status = response.status().as_u16();
    let request_id = header(&response, "x-request-id");
    match response.bytes().await {
        Ok(b) => Ok((status, request_id, b)),
        Err(e) => Err(transport_error(sent, e)),
    }
}

// ------------------------------------------------------------------- decoders

pub(crate) async fn json<T: DeserializeOwned>(answer: (Sent, reqwest::Response)) -> Result<T> {
    let (sent, response) = answer;
    let content_type = header(&response, "content-type");
    let (status, request_id, bytes) = read_all(&sent, response).await?;
    serde_json::from_slice(&bytes).map_err(|e| {
        let seen = describe_unexpected(content_type.as_deref(), &bytes);
        decode_error(
            &sent,
            status,
            request_id,
            format!("invalid JSON ({e}); got {seen}"),
        )
    })
}

pub(crate) async fn empty(answer: (Sent, reqwest::Response)) -> Result<()> {
    let (sent, response) = answer;
    read_all(&sent, response).await.map(|_| ())
}

pub(crate) async fn text(answer: (Sent, reqwest::Response)) -> Result<String> {
    let (sent, response) = answer;
    let (status, request_id, bytes) = read_all(&sent, response).await?;
    String::from_utf8(bytes.to_vec())
        .map(|s| s.trim().to_string())
        .map_err(|_| {
            decode_error(
                &sent,
                status,
                request_id,
                "the text answer is not UTF-8".into(),
            )
        })
}

pub(crate) async fn json_with_etag<T: DeserializeOwned>(
    answer: (Sent, reqwest::Response),
) -> Result<WithEtag<T>> {
    let etag = header(&answer.1, "etag").map(|e| unquote(&e));
    Ok(WithEtag {
        value: json(answer).await?,
        etag,
    })
}

pub(crate) async fn json_with_location<T: DeserializeOwned>(
    answer: (Sent, reqwest::Response),
) -> Result<WithLocation<T>> {
    let location = header(&answer.1, "location");
    Ok(WithLocation {
        value: json(answer).await?,
        location,
    })
}

pub(crate) async fn part_etag(answer: (Sent, reqwest::Response)) -> Result<PartEtag> {
    let etag = header(&answer.1, "etag").map(|e| unquote(&e));
    empty(answer).await?;
    Ok(PartEtag { etag })
}

pub(crate) async fn head(answer: (Sent, reqwest::Response)) -> Result<ObjectMetadata> {
    let (_, response) = answer;
    Ok(ObjectMetadata::from_response(
        response.status().as_u16(),
        response.headers(),
    ))
}

/// The body as a stream that fails when no data comes for `idle` (the whole transfer may
/// take as long as it needs).
pub(crate) fn body_stream(
    sent: Sent,
    response: reqwest::Response,
    idle: Option<Duration>,
) -> ByteStream {
    let state = Some((response.bytes_stream().boxed(), sent));
    let chunks = futures::stream::unfold(state, move |state| async move {
        let (mut chunks, sent) = state?;
        let next = match idle {
            Some(limit) => match tokio::time::timeout(limit, chunks.next()).await {
                Ok(next) => next,
                Err(_) => return Some((Err(idle_timeout(&sent, limit)), None)),
            },
            None => chunks.next().await,
        };
        match next? {
            Ok(chunk) => Some((Ok(chunk), Some((chunks, sent)))),
            Err(e) => Some((Err(transport_error(&sent, e)), None)),
        }
    });
    ByteStream::new(chunks.boxed())
}

impl LakeFsClient {
    /// Follows a presign redirect to the object store, WITHOUT lakeFS credentials.
    async fn follow_redirect(
        &self,
        sent: Sent,
        response: reqwest::Response,
        range: Option<&str>,
    ) -> Result<(Sent, reqwest::Response)> {
        let status = response.status().as_u16();
        if !(300..400).contains(&status) || status == 304 {
            return Ok((sent, response));
        }
        let request_id = header(&response, "x-request-id");
        let location = header(&response, "location").ok_or_else(|| {
            decode_error(
                &sent,
                status,
                request_id.clone(),
                "a redirect without a Location header".into(),
            )
        })?;
        let target = reqwest::Url::parse(&location).map_err(|e| {
            decode_error(
                &sent,
                status,
                request_id,
                format!("invalid redirect location: {e}"),
            )
        })?;
        let storage = Sent {
            op: sent.op,
            method: "GET".into(),
            url: redact_presigned(&target),
        };
        let mut request = self.inner.http.get(target);
        if let Some(range) = range {
            request = request.header("range", range);
        }
        let sending = request.send();
        let response = match self.inner.read_timeout {
            Some(limit) => tokio::time::timeout(limit, sending)
                .await
                .map_err(|_| idle_timeout(&storage, limit))?,
            None => sending.await,
        }
        .map_err(|e| transport_error(&storage, e))?;
        if response.status().is_success() {
            Ok((storage, response))
        } else {
            Err(api_error(&storage, response).await)
        }
    }

    pub(crate) async fn object_download(
        &self,
        answer: (Sent, reqwest::Response),
        range: Option<&str>,
    ) -> Result<ObjectDownload> {
        let (sent, response) = self.follow_redirect(answer.0, answer.1, range).await?;
        let metadata =
            ObjectMetadata::from_response(response.status().as_u16(), response.headers());
        let body = if metadata.status == 304 {
            ByteStream::empty()
        } else {
            body_stream(sent, response, self.inner.read_timeout)
        };
        Ok(ObjectDownload { metadata, body })
    }

    pub(crate) async fn bytes_stream(
        &self,
        answer: (Sent, reqwest::Response),
    ) -> Result<ByteStream> {
        let (sent, response) = self.follow_redirect(answer.0, answer.1, None).await?;
        Ok(body_stream(sent, response, self.inner.read_timeout))
    }
}
