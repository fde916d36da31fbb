//! Sending one call and decoding its answer. The generated trait implementations describe
//! each call with a [`Call`] and pick one of the decoders below.

use crate::auth::Authenticator;
use crate::body::{
    ByteStream, ObjectDownload, ObjectMetadata, PartEtag, UploadBody, WithEtag, WithLocation,
    header_text, unquote,
};
use crate::client::LakeFsClient;
use crate::config::Credentials;
use crate::error::{ApiError, Error, ErrorBody, ErrorKind, Result};
use crate::operation::OperationInfo;
use crate::transfer::{TransferWatch, Violation, guard_download, guard_upload};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use std::time::{Duration, Instant};
use tracing::Instrument;

const SNIPPET_CHARS: usize = 200;
/// How much of an error body is read (a proxy's error page can be large).
const ERROR_BODY_LIMIT: usize = 64 * 1024;
/// The longest URL an HTTP request can carry (the `http` crate refuses longer ones).
const MAX_URL_BYTES: usize = u16::MAX as usize - 1;
/// The operations whose `302` leads to the object store (a presigned URL), followed once.
const PRESIGN_REDIRECTS: [&str; 2] = ["getObject", "getMetadataObject"];

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
    /// An upload is guarded by `watch` (each chunk the connection takes is progress).
    fn attach(
        &mut self,
        request: reqwest::RequestBuilder,
        watch: Option<&TransferWatch>,
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
        match watch {
            Some(watch) => request.body(guard_upload(upload.into_chunks(), watch.clone())),
            None => request.body(reqwest::Body::wrap_stream(upload.into_chunks())),
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

/// A success answer whose body is still to be read, with the limits that read must keep.
pub(crate) struct Answer {
    sent: Sent,
    response: reqwest::Response,
    limits: ReadLimits,
    /// The streaming transfer's guard (headers already counted), for a download's body.
    watch: Option<TransferWatch>,
    /// Held until the body is read, when the client limits concurrent requests.
    permit: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// Limits of reading a whole (non-streamed) body.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadLimits {
    /// Longest wait for each chunk.
    idle: Option<Duration>,
    /// The end of the call's budget.
    deadline: Option<Deadline>,
    /// The call's budget, for a streaming call's answer (see [`ReadLimits::after_headers`]).
    budget: Option<Duration>,
    /// The largest JSON or text answer accepted.
    max_answer_bytes: usize,
}

impl ReadLimits {
    /// The limits of reading an answer whose headers just came. A streaming call's answer
    /// (an upload's JSON, a download's error body) gets a budget of its own from now: the
    /// transfer before it is outside the call's budget, but what follows is bounded.
    fn after_headers(self, streaming: bool) -> ReadLimits {
        if streaming {
            ReadLimits {
                deadline: Deadline::after(self.budget),
                ..self
            }
        } else {
            self
        }
    }
}

/// The end of a call's budget (all attempts, the waits between them and reading the answer).
#[derive(Clone, Copy, Debug)]
struct Deadline {
    at: Instant,
    budget: Duration,
}

impl Deadline {
    fn after(budget: Option<Duration>) -> Option<Deadline> {
        let budget = budget?;
        Some(Deadline {
            // A budget too large for the clock is no budget.
            at: Instant::now().checked_add(budget)?,
            budget,
        })
    }

    fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    fn error(&self, sent: &Sent) -> Error {
        Error::Timeout {
            method: sent.method.clone(),
            url: sent.url.clone(),
            detail: format!("the call's budget of {:?} ran out", self.budget),
        }
    }
}

impl LakeFsClient {
    /// Sends a call, retrying as the policy allows within the call's budget; a non-success
    /// status becomes [`Error::Api`].
    pub(crate) async fn execute(&self, mut call: Call) -> Result<Answer> {
        let op = call.op;
        let deadline = Deadline::after(self.inner.call_budget);
        let (url, sent) = self.target(&call)?;
        let headers = call_headers(&call)?;
        let replayable = call.body.is_replayable();
        let limits = ReadLimits {
            idle: self.inner.read_timeout,
            // A streamed transfer is outside the budget (it has its own guards).
            deadline: deadline.filter(|_| !op.streaming),
            budget: self.inner.call_budget,
            max_answer_bytes: self.inner.max_answer_bytes,
        };
        let mut attempt = 1u32;
        // A 401 is answered once by new credentials and the same call: not a retry.
        let mut reauthenticated = false;
        loop {
            // Before the permit: a login must not wait for a turn this call holds.
            let credentials = match (&self.inner.auth, op.needs_auth) {
                (Some(auth), true) => Some(credentials_within(auth, &sent, deadline).await?),
                _ => None,
            };
            let permit = self.acquire_permit(&sent, deadline).await?;
            let watch = op
                .streaming
                .then(|| TransferWatch::new(self.inner.transfer_limits()));
            let request = self.build_request(
                &mut call,
                &url,
                &headers,
                watch.as_ref(),
                deadline,
                credentials.as_ref().map(|c| &c.credentials),
            )?;
            let mut outcome = send_attempt(
                self,
                &sent,
                request,
                attempt,
                watch.as_ref(),
                deadline,
                limits,
            )
            .await;
            // A body that failed because its source could not be read is a local failure.
            if let (Err(Error::Transport { .. }), Some(watch)) = (&outcome, &watch)
                && let Some(source) = watch.take_source_failure()
            {
                outcome = Err(Error::LocalIo {
                    context: format!("{}: cannot read the upload's content", op.id),
                    source,
                });
            }
            match outcome {
                Ok(response) => {
                    return Ok(Answer {
                        sent,
                        response,
                        limits: limits.after_headers(op.streaming),
                        watch,
                        permit,
                    });
                }
                Err(e)
                    if e.status() == Some(401)
                        && let (Some(auth), Some(used)) = (&self.inner.auth, &credentials)
                        && auth.refreshes() =>
                {
                    // The next call fetches anew even when this one cannot be repeated.
                    auth.reject(used);
                    if reauthenticated || !replayable {
                        return Err(e);
                    }
                    tracing::debug!(
                        operation = op.id,
                        attempt,
                        "401: new credentials, same call"
                    );
                    drop(permit);
                    reauthenticated = true;
                    attempt += 1;
                }
                Err(e)
                    if replayable
                        && self.inner.retry.should_retry(
                            op,
                            &e,
                            attempt - u32::from(reauthenticated),
                        ) =>
                {
                    let delay = self
                        .inner
                        .retry
                        .delay(&e, attempt - u32::from(reauthenticated));
                    // A wait that would pass the budget ends the call now, with its error.
                    if deadline.is_some_and(|d| d.remaining() <= delay) {
                        return Err(e);
                    }
                    tracing::debug!(operation = op.id, attempt, ?delay, error = %e, "retrying");
                    drop(permit);
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The URL of a call and its identity for errors; a URL too long to send is refused.
    fn target(&self, call: &Call) -> Result<(reqwest::Url, Sent)> {
        let op = call.op;
        let mut url = self.inner.base_url.clone();
        url.set_path(&format!("{}{}", self.inner.base_url.path(), call.path));
        if !call.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in &call.query {
                pairs.append_pair(k, v);
            }
        }
        if url.as_str().len() > MAX_URL_BYTES {
            return Err(Error::InvalidArgument(format!(
                "{}: the URL would be {} bytes long, more than the {MAX_URL_BYTES} an HTTP \
                 request can carry (a path or parameter is too long)",
                op.id,
                url.as_str().len()
            )));
        }
        let sent = Sent {
            op,
            method: op.method.to_string(),
            url: redact(&url),
        };
        Ok((url, sent))
    }

    /// A permit of the client's concurrency limit, if it has one; waiting counts against the
    /// call's budget.
    async fn acquire_permit(
        &self,
        sent: &Sent,
        deadline: Option<Deadline>,
    ) -> Result<Option<tokio::sync::OwnedSemaphorePermit>> {
        let Some(semaphore) = &self.inner.concurrency else {
            return Ok(None);
        };
        let acquiring = semaphore.clone().acquire_owned();
        let permit = match deadline {
            Some(d) => tokio::time::timeout(d.remaining(), acquiring)
                .await
                .map_err(|_| d.error(sent))?,
            None => acquiring.await,
        };
        // The semaphore is never closed; a closed one would mean no limit.
        Ok(permit.ok())
    }

    /// One attempt's request, built in full before anything is sent: an argument that cannot
    /// be put in a request is [`Error::InvalidArgument`], never a transport failure.
    fn build_request(
        &self,
        call: &mut Call,
        url: &reqwest::Url,
        headers: &reqwest::header::HeaderMap,
        watch: Option<&TransferWatch>,
        deadline: Option<Deadline>,
        credentials: Option<&Credentials>,
    ) -> Result<reqwest::Request> {
        let op = call.op;
        let method = reqwest::Method::from_bytes(op.method.as_bytes())
            .map_err(|e| Error::InvalidArgument(format!("{}: {e}", op.id)))?;
        let mut request = authorize(self.inner.http.request(method, url.clone()), credentials)
            .headers(headers.clone());
        request = call.body.attach(request, watch);
        // The per-attempt timeout, cut to what is left of the budget. Streaming transfers have
        // their own guards instead (their duration grows with their size).
        if !op.streaming {
            let remaining = deadline.map(|d| d.remaining());
            let timeout = match (self.inner.request_timeout, remaining) {
                (Some(t), Some(r)) => Some(t.min(r)),
                (t, r) => t.or(r),
            };
            if let Some(timeout) = timeout {
                request = request.timeout(timeout);
            }
        }
        request.build().map_err(|e| {
            Error::InvalidArgument(format!(
                "{}: the request cannot be built: {}",
                op.id,
                crate::error::causes(&e.without_url())
            ))
        })
    }
}

/// The call's credentials from the client's provider, within what is left of its budget.
async fn credentials_within(
    auth: &Authenticator,
    sent: &Sent,
    deadline: Option<Deadline>,
) -> Result<std::sync::Arc<crate::auth::manager::Current>> {
    match deadline {
        Some(d) => tokio::time::timeout(d.remaining(), auth.credentials())
            .await
            .map_err(|_| d.error(sent))?,
        None => auth.credentials().await,
    }
}

/// Puts the credentials on a request (calls that need none get none).
fn authorize(
    request: reqwest::RequestBuilder,
    credentials: Option<&Credentials>,
) -> reqwest::RequestBuilder {
    match credentials {
        Some(Credentials::AccessKey {
            access_key_id,
            secret_access_key,
        }) => request.basic_auth(access_key_id, Some(secret_access_key.expose())),
        Some(Credentials::Bearer(token)) => request.bearer_auth(token.expose()),
        None => request,
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

/// Waits for `sending` (the answer's headers) within the transfer's guards and the budget.
async fn guarded<F, T>(
    sent: &Sent,
    sending: F,
    watch: Option<&TransferWatch>,
    deadline: Option<Deadline>,
) -> Result<T>
where
    F: std::future::Future<Output = T>,
{
    use futures::future::{Either, select};
    let sending = std::pin::pin!(sending);
    let violation = std::pin::pin!(async {
        match watch {
            Some(watch) => watch.violation().await,
            None => futures::future::pending().await,
        }
    });
    let guarded = select(sending, violation);
    let budget = match deadline {
        Some(d) => tokio::time::timeout(d.remaining(), guarded)
            .await
            .map_err(|_| d.error(sent))?,
        None => guarded.await,
    };
    match budget {
        Either::Left((answer, _)) => Ok(answer),
        Either::Right((violation, _)) => Err(transfer_error(sent, violation)),
    }
}

/// One attempt, in its own tracing span; a non-success status becomes [`Error::Api`].
async fn send_attempt(
    client: &LakeFsClient,
    sent: &Sent,
    request: reqwest::Request,
    attempt: u32,
    watch: Option<&TransferWatch>,
    deadline: Option<Deadline>,
    limits: ReadLimits,
) -> Result<reqwest::Response> {
    let span = tracing::debug_span!(
        "lakefs.request",
        operation = sent.op.id,
        method = sent.op.method,
        attempt,
        status = tracing::field::Empty,
        request_id = tracing::field::Empty,
    );
    async {
        // An upload is not cut by the budget: its duration grows with its size.
        let uploading = sent.op.streaming && request.body().is_some();
        let deadline = deadline.filter(|_| !uploading);
        let sending = client.inner.http.execute(request);
        let response = guarded(sent, sending, watch, deadline)
            .await?
            .map_err(|e| transport_error(sent, e))?;
        if let Some(watch) = watch {
            watch.record(0);
        }
        let span = tracing::Span::current();
        span.record("status", response.status().as_u16());
        if let Some(id) = header(&response, "x-request-id") {
            span.record("request_id", id.as_str());
        }
        check_status(sent, response, limits.after_headers(sent.op.streaming)).await
    }
    .instrument(span)
    .await
}

/// A success, or a redirect the spec documents for the operation, is the answer; any other
/// status is an error.
async fn check_status(
    sent: &Sent,
    response: reqwest::Response,
    limits: ReadLimits,
) -> Result<reqwest::Response> {
    let status = response.status().as_u16();
    let documented = || sent.op.responses.iter().any(|r| r.status == Some(status));
    match status {
        200..=299 => Ok(response),
        300..=399 if documented() => Ok(response),
        300..=399 => Err(redirect_error(sent, &response)),
        _ => Err(api_error(sent, response, limits).await),
    }
}

/// A redirect the SDK does not follow, named with its target (without its query, which may
/// hold a credential).
fn redirect_error(sent: &Sent, response: &reqwest::Response) -> Error {
    let status = response.status().as_u16();
    let target = header(response, "location")
        .and_then(|l| reqwest::Url::parse(&l).ok())
        .map(|u| format!(" to {}", redact_presigned(&u)))
        .unwrap_or_default();
    Error::Api(Box::new(ApiError {
        operation: sent.op.id,
        status,
        kind: ErrorKind::from_status(status),
        message: format!(
            "an unexpected redirect (HTTP {status}){target}: only the presigned 302 of \
             getObject and getMetadataObject is followed"
        ),
        request_id: header(response, "x-request-id"),
        method: sent.method.clone(),
        url: sent.url.clone(),
        body: ErrorBody::Empty,
        retry_after: None,
    }))
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
    if source.is_builder() {
        // Nothing was sent: the request itself could not be made.
        return Error::InvalidArgument(format!(
            "{}: the request cannot be built: {}",
            sent.op.id,
            crate::error::causes(&source)
        ));
    }
    // A connection that timed out while opening was never used: that is a connect failure.
    if source.is_timeout() && !source.is_connect() {
        Error::Timeout {
            method,
            url,
            detail: crate::error::causes(&source),
        }
    } else {
        Error::Transport {
            method,
            url,
            source,
        }
    }
}

fn transfer_error(sent: &Sent, violation: Violation) -> Error {
    Error::Timeout {
        method: sent.method.clone(),
        url: sent.url.clone(),
        detail: violation.to_string(),
    }
}

fn idle_timeout(sent: &Sent, limit: Duration) -> Error {
    transfer_error(sent, Violation::Idle(limit))
}

/// Why reading a whole body stopped early.
enum ReadStop {
    /// More than the cap (declared or received).
    TooLarge { declared: Option<u64> },
    /// A timeout or a broken connection.
    Failed(Error),
}

/// Reads a whole body: the idle timeout applies to every chunk, the call's deadline to all of
/// them, and no more than `cap` bytes are kept. When `refuse_declared` is set, a declared
/// `Content-Length` above `cap` stops before reading anything. The one place every whole-body
/// read goes through (JSON, text, empty and error answers, the object store's errors).
async fn read_capped(
    sent: &Sent,
    response: &mut reqwest::Response,
    limits: ReadLimits,
    cap: usize,
    refuse_declared: bool,
) -> (Vec<u8>, Option<ReadStop>) {
    let declared = response.content_length();
    let cap_u64 = u64::try_from(cap).unwrap_or(u64::MAX);
    if refuse_declared && declared.is_some_and(|len| len > cap_u64) {
        return (Vec::new(), Some(ReadStop::TooLarge { declared }));
    }
    // Never reserve from what the server declares beyond what will be kept.
    let reserve = declared.map_or(0, |len| len.min(cap_u64).min(1024 * 1024));
    let mut out = Vec::with_capacity(usize::try_from(reserve).unwrap_or(0));
    loop {
        let wait = match (limits.idle, limits.deadline) {
            (Some(idle), Some(d)) => Some(idle.min(d.remaining())),
            (idle, d) => idle.or(d.map(|d| d.remaining())),
        };
        let next = match wait {
            Some(wait) => match tokio::time::timeout(wait, response.chunk()).await {
                Ok(next) => next,
                Err(_) => {
                    let error = match (limits.deadline, limits.idle) {
                        (Some(d), _) if d.remaining().is_zero() => d.error(sent),
                        (_, Some(idle)) => idle_timeout(sent, idle),
                        (_, None) => idle_timeout(sent, wait),
                    };
                    return (out, Some(ReadStop::Failed(error)));
                }
            },
            None => response.chunk().await,
        };
        match next {
            Ok(Some(chunk)) => {
                let room = cap - out.len();
                if chunk.len() > room {
                    out.extend_from_slice(&chunk[..room]);
                    return (out, Some(ReadStop::TooLarge { declared }));
                }
                out.extend_from_slice(&chunk);
            }
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(ReadStop::Failed(transport_error(sent, e)))),
        }
    }
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

/// Builds the error for a non-success answer. Never fails: a body that cannot be read (it
/// stalls, breaks or is too long) or parsed still gives the status, the request id and a
/// readable message from what was read.
async fn api_error(sent: &Sent, mut response: reqwest::Response, limits: ReadLimits) -> Error {
    let status = response.status();
    let request_id = header(&response, "x-request-id");
    let content_type = header(&response, "content-type");
    let retry_after = header(&response, "retry-after")
        .and_then(|v| crate::retry::parse_retry_after(&v, std::time::SystemTime::now()));
    let (bytes, _) = read_capped(sent, &mut response, limits, ERROR_BODY_LIMIT, false).await;
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

/// A whole success body, within the answer cap, the idle timeout and the call's budget.
async fn read_all(answer: Answer) -> Result<(Sent, u16, Option<String>, Vec<u8>)> {
    let Answer {
        sent,
        mut response,
        limits,
        permit,
        ..
    } = answer;
    let status = response.status().as_u16();
    let request_id = header(&response, "x-request-id");
    let cap = limits.max_answer_bytes;
    let (bytes, stop) = read_capped(&sent, &mut response, limits, cap, true).await;
    drop(permit);
    match stop {
        None => Ok((sent, status, request_id, bytes)),
        Some(ReadStop::Failed(e)) => Err(e),
        Some(ReadStop::TooLarge { declared }) => {
            let size = match declared {
                Some(len) => format!("declares {len} bytes"),
                None => "is longer".into(),
            };
            let message = format!(
                "the answer {size}, more than the limit of {cap} bytes \
                 (LakeFsClientBuilder::max_answer_bytes)"
            );
            Err(decode_error(&sent, status, request_id, message))
        }
    }
}

// ------------------------------------------------------------------- decoders

pub(crate) async fn json<T: DeserializeOwned>(answer: Answer) -> Result<T> {
    let content_type = header(&answer.response, "content-type");
    let (sent, status, request_id, bytes) = read_all(answer).await?;
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

pub(crate) async fn empty(answer: Answer) -> Result<()> {
    read_all(answer).await.map(|_| ())
}

pub(crate) async fn text(answer: Answer) -> Result<String> {
    let (sent, status, request_id, bytes) = read_all(answer).await?;
    String::from_utf8(bytes)
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

pub(crate) async fn json_with_etag<T: DeserializeOwned>(answer: Answer) -> Result<WithEtag<T>> {
    let etag = header(&answer.response, "etag").map(|e| unquote(&e));
    Ok(WithEtag {
        value: json(answer).await?,
        etag,
    })
}

pub(crate) async fn json_with_location<T: DeserializeOwned>(
    answer: Answer,
) -> Result<WithLocation<T>> {
    let location = header(&answer.response, "location");
    Ok(WithLocation {
        value: json(answer).await?,
        location,
    })
}

pub(crate) async fn part_etag(answer: Answer) -> Result<PartEtag> {
    let etag = header(&answer.response, "etag").map(|e| unquote(&e));
    empty(answer).await?;
    Ok(PartEtag { etag })
}

pub(crate) async fn head(answer: Answer) -> Result<ObjectMetadata> {
    Ok(ObjectMetadata::from_response(
        answer.response.status().as_u16(),
        answer.response.headers(),
    ))
}

/// The body as a stream under the transfer's guards (idle, throughput, total); the permit
/// of the concurrency limit is held until the stream ends or is dropped.
fn body_stream(answer: Answer) -> ByteStream {
    let Answer {
        sent,
        response,
        limits,
        watch,
        permit,
    } = answer;
    let watch = watch.unwrap_or_else(|| {
        TransferWatch::new(crate::transfer::TransferLimits {
            idle_timeout: limits.idle,
            min_throughput: None,
            total_timeout: None,
        })
    });
    let for_errors = sent.clone();
    ByteStream::new(guard_download(
        response.bytes_stream(),
        watch,
        permit,
        move |violation| transfer_error(&sent, violation),
        move |e| transport_error(&for_errors, e),
    ))
}

impl LakeFsClient {
    /// Follows the presigned `302` of `getObject`/`getMetadataObject` to the object store,
    /// WITHOUT lakeFS credentials, once (a redirect from the store is an error), to http or
    /// https only. Any other answer is returned as is.
    async fn follow_presign_redirect(&self, answer: Answer, range: Option<&str>) -> Result<Answer> {
        let status = answer.response.status().as_u16();
        if status != 302 || !PRESIGN_REDIRECTS.contains(&answer.sent.op.id) {
            return Ok(answer);
        }
        let Answer {
            sent,
            response,
            limits,
            watch,
            permit,
        } = answer;
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
                request_id.clone(),
                format!("invalid redirect location: {e}"),
            )
        })?;
        if !matches!(target.scheme(), "http" | "https") {
            return Err(decode_error(
                &sent,
                status,
                request_id,
                format!(
                    "the redirect leads to a {:?} URL; only http and https are followed",
                    target.scheme()
                ),
            ));
        }
        let storage = Sent {
            op: sent.op,
            method: "GET".into(),
            url: redact_presigned(&target),
        };
        let mut request = self.inner.http.get(target);
        if let Some(range) = range {
            request = request.header("range", range);
        }
        let request = request.build().map_err(|e| transport_error(&storage, e))?;
        let response = guarded(
            &storage,
            self.inner.http.execute(request),
            watch.as_ref(),
            None,
        )
        .await?
        .map_err(|e| transport_error(&storage, e))?;
        if let Some(watch) = &watch {
            watch.record(0);
        }
        let status = response.status().as_u16();
        match status {
            200..=299 => Ok(Answer {
                sent: storage,
                response,
                limits,
                watch,
                permit,
            }),
            300..=399 => Err(redirect_error(&storage, &response)),
            _ => Err(api_error(&storage, response, limits).await),
        }
    }

    pub(crate) async fn object_download(
        &self,
        answer: Answer,
        range: Option<&str>,
    ) -> Result<ObjectDownload> {
        let answer = self.follow_presign_redirect(answer, range).await?;
        let metadata = ObjectMetadata::from_response(
            answer.response.status().as_u16(),
            answer.response.headers(),
        );
        let body = if metadata.status == 304 {
            ByteStream::empty()
        } else {
            body_stream(answer)
        };
        Ok(ObjectDownload { metadata, body })
    }

    pub(crate) async fn bytes_stream(&self, answer: Answer) -> Result<ByteStream> {
        let answer = self.follow_presign_redirect(answer, None).await?;
        Ok(body_stream(answer))
    }

    /// Sends one request to the object store (a presigned URL of a transfer): never with
    /// lakeFS credentials, outside the per-call budget, under the transfer guards (idle
    /// timeout, minimum throughput, total limit), which also guard `upload` and the answer's
    /// body. Statuses are checked as for any call (`op` documents no redirect).
    pub(crate) async fn send_to_store(
        &self,
        op: &'static OperationInfo,
        url: &reqwest::Url,
        mut request: reqwest::RequestBuilder,
        upload: Option<futures::stream::BoxStream<'static, std::io::Result<Bytes>>>,
    ) -> Result<StoreAnswer> {
        let sent = Sent {
            op,
            method: op.method.to_string(),
            url: redact_presigned(url),
        };
        let watch = TransferWatch::new(self.inner.transfer_limits());
        if let Some(chunks) = upload {
            request = request.body(guard_upload(chunks, watch.clone()));
        }
        let request = request.build().map_err(|e| transport_error(&sent, e))?;
        let limits = ReadLimits {
            idle: self.inner.read_timeout,
            deadline: None,
            // What follows the store's headers (an error body) is bounded like a call's answer.
            budget: self.inner.call_budget,
            max_answer_bytes: self.inner.max_answer_bytes,
        };
        let permit = self.acquire_permit(&sent, None).await?;
        let mut outcome = send_attempt(self, &sent, request, 1, Some(&watch), None, limits).await;
        if let Err(Error::Transport { .. }) = &outcome
            && let Some(source) = watch.take_source_failure()
        {
            outcome = Err(Error::LocalIo {
                context: format!("{}: cannot read the upload's content", op.id),
                source,
            });
        }
        let response = outcome?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = body_stream(Answer {
            sent: sent.clone(),
            response,
            limits,
            watch: Some(watch),
            permit,
        });
        Ok(StoreAnswer {
            status,
            headers,
            body,
        })
    }
}

/// An object store's success answer: its status, headers and guarded body.
pub(crate) struct StoreAnswer {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: ByteStream,
}
