//! The SDK's error type: where a call failed, and what the server said.

use lakefs_models::{ErrorNoACL, MergeResult, StagingLocation};
use std::fmt;

/// A `Result` whose error is the SDK's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a call failed. The variant tells where it failed, so callers know whether the request
/// may have reached the server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument could not be turned into a request; nothing was sent.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The client configuration is unusable (endpoint, credentials, TLS); nothing was sent.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A local file or reader could not be read; nothing (or only part of a body) was sent.
    #[error("{context}: {source}")]
    LocalIo {
        /// What the SDK was doing.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The request could not be sent or its answer not received (connection refused, DNS, TLS,
    /// connection closed). Unless the connection could not be opened, the server may have
    /// acted on it.
    #[error("{method} {url}: could not connect, send or receive: {}", causes(.source))]
    Transport {
        /// HTTP method.
        method: String,
        /// URL without credentials.
        url: String,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// The call did not complete in time (the request timeout of a call, or the idle timeout
    /// of a streaming download). The server may or may not have acted on it.
    #[error("{method} {url}: timed out: {detail}")]
    Timeout {
        /// HTTP method.
        method: String,
        /// URL without credentials.
        url: String,
        /// Which limit was reached.
        detail: String,
    },
    /// The server answered with an error status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The client's [`CredentialsProvider`](crate::auth::CredentialsProvider) could not give
    /// credentials (a login was refused, a callback gave up); the call was not sent.
    #[error("cannot obtain lakeFS credentials: {message}")]
    Credentials {
        /// What failed, without any secret.
        message: String,
        /// The underlying error (e.g. the [`Error::Api`] of a refused login), shared by the
        /// calls that waited for the same attempt.
        #[source]
        source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync>>,
    },
    /// A synchronous facade could not run the call (its runtime is gone or a worker failed);
    /// nothing was sent.
    #[error("the blocking client could not run the call: {0}")]
    Blocking(String),
    /// Transferred data failed a check: a part's MD5 differs from the object store's ETag, a
    /// size differs from the one announced, the store gave no ETag, or the object changed
    /// during a download.
    #[error("integrity check failed: {0}")]
    Integrity(String),
    /// The server or its object store cannot do what was asked (a presigned transfer on a
    /// store without presign support, a condition an older lakeFS would ignore); nothing was
    /// sent.
    #[error("not supported: {0}")]
    Unsupported(String),
    /// The server answered with a success status, but the answer could not be decoded.
    #[error("{operation}: could not decode the answer (HTTP {status}{}): {message}", request_id_suffix(.request_id))]
    Decode {
        /// The operationId.
        operation: &'static str,
        /// HTTP status of the answer.
        status: u16,
        /// What was wrong, with a short snippet of the body.
        message: String,
        /// The server's `X-Request-ID`.
        request_id: Option<String>,
    },
}

/// An error and its causes, `outer: inner: root` (reqwest's own Display stops at the outer
/// one, "error sending request", hiding e.g. "Connection refused"). A cause already contained
/// in the text so far is skipped.
pub(crate) fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let part = cause.to_string();
        if !part.is_empty() && !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        next = cause.source();
    }
    text
}

fn request_id_suffix(id: &Option<String>) -> String {
    id.as_ref()
        .map(|id| format!(", request id {id}"))
        .unwrap_or_default()
}

impl Error {
    /// The kind of failure: for server answers, the meaning of the status; otherwise what
    /// went wrong on the client side.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidArgument(_) => ErrorKind::InvalidArgument,
            Error::Config(_) => ErrorKind::Config,
            Error::LocalIo { .. } => ErrorKind::LocalIo,
            Error::Transport { .. } => ErrorKind::Transport,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Api(e) => e.kind,
            Error::Credentials { .. } => ErrorKind::Credentials,
            Error::Blocking(_) => ErrorKind::Blocking,
            Error::Integrity(_) => ErrorKind::Integrity,
            Error::Unsupported(_) => ErrorKind::Unsupported,
            Error::Decode { .. } => ErrorKind::Decode,
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// An [`Error::Credentials`] saying `message`, caused by `source`.
    pub fn credentials(
        message: impl Into<String>,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Error {
        Error::Credentials {
            message: message.into(),
            source: source.map(std::sync::Arc::from),
        }
    }

    /// The SDK error that made the credentials provider fail (e.g. the [`Error::Api`] 401 of
    /// a refused `login`), when this is an [`Error::Credentials`] with one.
    pub fn credentials_cause(&self) -> Option<&Error> {
        match self {
            Error::Credentials {
                source: Some(source),
                ..
            } => {
                let source: &(dyn std::error::Error + 'static) = source.as_ref();
                source.downcast_ref::<Error>()
            }
            _ => None,
        }
    }

    /// The server's `X-Request-ID`, when the server answered and sent one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.request_id.as_deref(),
            Error::Decode { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The server's error answer, when this is one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the server answered 404.
    pub fn is_not_found(&self) -> bool {
        self.kind() == ErrorKind::NotFound
    }

    /// Whether the server answered 409.
    pub fn is_conflict(&self) -> bool {
        self.kind() == ErrorKind::Conflict
    }

    /// Whether the server answered 412 (an `If-Match`/`If-None-Match` condition failed).
    pub fn is_precondition_failed(&self) -> bool {
        self.kind() == ErrorKind::PreconditionFailed
    }

    /// The typed body of a merge conflict (`mergeIntoBranch`/`mergePullRequest` 409).
    pub fn merge_result(&self) -> Option<&MergeResult> {
        match &self.api_error()?.body {
            ErrorBody::MergeResult(m) => Some(m),
            _ => None,
        }
    }

    /// The typed body of a `linkPhysicalAddress`/`completePresignMultipartUpload` 409.
    pub fn staging_location(&self) -> Option<&StagingLocation> {
        match &self.api_error()?.body {
            ErrorBody::StagingLocation(s) => Some(s),
            _ => None,
        }
    }

    /// The typed body of a `getGroupACL` 404.
    pub fn no_acl(&self) -> Option<&ErrorNoACL> {
        match &self.api_error()?.body {
            ErrorBody::NoAcl(e) => Some(e),
            _ => None,
        }
    }
}

/// What a failure means, from one central map of HTTP statuses (see [`ErrorKind::from_status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 400: the request was invalid (bad name, bad body, nothing to commit, ...).
    BadRequest,
    /// 401: missing or wrong credentials.
    Unauthorized,
    /// 403: the credentials may not do this.
    Forbidden,
    /// 404: the repository, branch, object... does not exist.
    NotFound,
    /// 409: it already exists, or a merge conflicts.
    Conflict,
    /// 410: gone (e.g. a repository being deleted).
    Gone,
    /// 412: an `If-Match`/`If-None-Match` condition failed.
    PreconditionFailed,
    /// 416: the requested byte range is outside the object.
    RangeNotSatisfiable,
    /// 420/429: too many requests; slow down and retry.
    TooManyRequests,
    /// 501: this lakeFS edition or version does not implement the call.
    NotImplemented,
    /// 502/503/504: a proxy or the server is unavailable; usually worth retrying.
    Unavailable,
    /// 500 and other 5xx: the server failed.
    Server,
    /// Another status the SDK has no special meaning for.
    OtherStatus,
    /// Nothing was sent: an argument was invalid.
    InvalidArgument,
    /// Nothing was sent: the configuration was invalid.
    Config,
    /// A local file or reader failed.
    LocalIo,
    /// The connection failed.
    Transport,
    /// The call timed out.
    Timeout,
    /// A success answer could not be decoded.
    Decode,
    /// The blocking facade could not run the call.
    Blocking,
    /// The credentials provider could not give credentials.
    Credentials,
    /// Transferred data failed an integrity check.
    Integrity,
    /// The server or its store cannot do what was asked.
    Unsupported,
}

impl ErrorKind {
    /// The one place that maps an HTTP status to its meaning.
    pub fn from_status(status: u16) -> ErrorKind {
        match status {
            400 => ErrorKind::BadRequest,
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            410 => ErrorKind::Gone,
            412 => ErrorKind::PreconditionFailed,
            416 => ErrorKind::RangeNotSatisfiable,
            420 | 429 => ErrorKind::TooManyRequests,
            501 => ErrorKind::NotImplemented,
            502..=504 => ErrorKind::Unavailable,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::OtherStatus,
        }
    }
}

/// An error status from the server, with everything needed to report or handle it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// The operationId of the call.
    pub operation: &'static str,
    /// HTTP status.
    pub status: u16,
    /// What the status means.
    pub kind: ErrorKind,
    /// The server's message, or a description of the answer when it carried none.
    pub message: String,
    /// The server's `X-Request-ID`.
    pub request_id: Option<String>,
    /// HTTP method of the request.
    pub method: String,
    /// URL of the request, without credentials.
    pub url: String,
    /// The body, typed when the spec documents a special schema for this status.
    pub body: ErrorBody,
    /// How long the server asks to wait before retrying (`Retry-After`, seconds or a date), if
    /// it said.
    pub retry_after: Option<std::time::Duration>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} failed with HTTP {}: {}",
            self.operation, self.status, self.message
        )?;
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        write!(f, " [{} {}]", self.method, self.url)
    }
}

impl std::error::Error for ApiError {}

/// The body of an error answer.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ErrorBody {
    /// The usual `{"message": ...}` body.
    Error(lakefs_models::Error),
    /// A merge conflict's `MergeResult`.
    MergeResult(MergeResult),
    /// A staging conflict's `StagingLocation`.
    StagingLocation(StagingLocation),
    /// `getGroupACL`'s `ErrorNoACL`.
    NoAcl(ErrorNoACL),
    /// JSON that is not of the documented schema.
    OtherJson(serde_json::Value),
    /// A body that is not JSON (a proxy's HTML page, a truncated body): its start.
    NotJson {
        /// The `Content-Type` of the answer.
        content_type: Option<String>,
        /// The first characters of the body, whitespace collapsed.
        snippet: String,
    },
    /// No body at all.
    Empty,
}
