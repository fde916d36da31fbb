//! HTTP plumbing shared by the handlers: replies, errors, query strings, headers and bodies.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http::Uri;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::blobs::Blob;

/// A request as handlers see it: its head and, except for streamed uploads, its whole body
/// (JSON bodies are small).
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) uri: Uri,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// What a reply sends after its headers.
#[derive(Debug)]
pub(crate) enum Body {
    /// Bytes in hand (JSON, error messages).
    Bytes(Vec<u8>),
    /// A slice of a blob, streamed out of the blob store once the metadata lock is released.
    Blob {
        blob: Arc<Blob>,
        start: u64,
        len: u64,
    },
}

impl Body {
    fn len(&self) -> u64 {
        match self {
            Body::Bytes(bytes) => bytes.len() as u64,
            Body::Blob { len, .. } => *len,
        }
    }
}

/// A response before it goes on the wire.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Body,
}

impl Reply {
    /// A reply with no body (204, 304, HEAD answers).
    pub(crate) fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Bytes(Vec::new()),
        }
    }

    /// A JSON reply.
    pub(crate) fn json(status: u16, value: &Value) -> Reply {
        // Serializing a `Value` cannot fail: it has string keys only.
        let body = serde_json::to_vec(value).unwrap_or_default();
        Reply::bytes(status, body, "application/json")
    }

    /// A reply with a body of the given media type.
    pub(crate) fn bytes(status: u16, body: Vec<u8>, content_type: &str) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Bytes(body),
        }
        .header("content-type", content_type)
    }

    /// A reply streaming `len` bytes of `blob` from `start`.
    pub(crate) fn blob(
        status: u16,
        blob: Arc<Blob>,
        start: u64,
        len: u64,
        content_type: &str,
    ) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Blob { blob, start, len },
        }
        .header("content-type", content_type)
    }

    /// Adds a header; a value that is not a valid header value is dropped rather than
    /// panicking, since values can come from client input.
    pub(crate) fn header(mut self, name: &'static str, value: &str) -> Reply {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.push((HeaderName::from_static(name), value));
        }
        self
    }

    /// Whether the reply carries a body.
    pub(crate) fn has_body(&self) -> bool {
        self.body.len() > 0
    }

    /// Drops the body and its content type (HEAD answers and errors to HEAD requests), keeping
    /// every other header.
    pub(crate) fn without_body(mut self) -> Reply {
        self.body = Body::Bytes(Vec::new());
        self.headers
            .retain(|(name, _)| name.as_str() != "content-type");
        self
    }

    /// The answer to a HEAD request for this reply: no body, but a `Content-Length` telling the
    /// size the body would have had.
    pub(crate) fn for_head(mut self) -> Reply {
        let length = self.body.len().to_string();
        self.body = Body::Bytes(Vec::new());
        self.header("content-length", &length)
    }
}

/// A handler failure, sent as `{"message": ...}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: u16,
    message: String,
    /// Fields some error answers carry besides the message.
    extra: Vec<(&'static str, String)>,
}

impl ApiError {
    pub(crate) fn new(status: u16, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            extra: Vec::new(),
        }
    }

    /// Adds a field to the error body.
    pub(crate) fn with_field(mut self, name: &'static str, value: String) -> ApiError {
        self.extra.push((name, value));
        self
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(404, message)
    }

    pub(crate) fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(409, message)
    }
}

impl From<ApiError> for Reply {
    fn from(error: ApiError) -> Reply {
        let mut body = json!({ "message": error.message });
        for (name, value) in error.extra {
            body[name] = json!(value);
        }
        Reply::json(error.status, &body)
    }
}

/// What every handler returns; errors become `{"message": ...}` replies.
pub(crate) type HandlerResult = Result<Reply, ApiError>;

/// A fresh identifier for the `X-Request-ID` header, unique within the process.
pub(crate) fn request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let seed = process_seed();
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        seed >> 32,
        (seed >> 16) & 0xffff,
        seed & 0xfff,
        (count >> 48) & 0xfff,
        count & 0xffff_ffff_ffff
    )
}

/// A per-process value so that ids differ between fakes started by different processes.
fn process_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *SEED.get_or_init(|| RandomState::new().hash_one(std::process::id()))
}

/// Decoded query parameters, in request order (repeated names kept).
#[derive(Debug, Default)]
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Reads the query string with form rules (`+` is a space).
    pub(crate) fn from_uri(uri: &Uri) -> Query {
        let pairs = uri
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                (form_decode(key), form_decode(value))
            })
            .collect();
        Query { pairs }
    }

    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The first value of `name`, empty when absent (lakeFS treats both alike for filters).
    pub(crate) fn text(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    /// Every value of a repeated parameter (`objects=a&objects=b`).
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// A required, non-empty parameter.
    pub(crate) fn required(&self, name: &str) -> Result<&str, ApiError> {
        match self.get(name) {
            Some(value) if !value.is_empty() => Ok(value),
            _ => Err(ApiError::bad_request(format!(
                "query parameter {name} is required"
            ))),
        }
    }

    /// A boolean parameter, parsed with Go's `strconv.ParseBool` rules as lakeFS does.
    pub(crate) fn flag(&self, name: &str, default: bool) -> Result<bool, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some("1" | "t" | "T" | "true" | "TRUE" | "True") => Ok(true),
            Some("0" | "f" | "F" | "false" | "FALSE" | "False") => Ok(false),
            Some(other) => Err(ApiError::bad_request(format!(
                "invalid boolean {other:?} for query parameter {name}"
            ))),
        }
    }

    /// The page size: missing or <= 0 means 100, more than 1000 means 1000.
    pub(crate) fn amount(&self) -> Result<usize, ApiError> {
        let Some(raw) = self.get("amount") else {
            return Ok(crate::paging::DEFAULT_AMOUNT);
        };
        let amount: i64 = raw.parse().map_err(|_| {
            ApiError::bad_request(format!(
                "invalid integer {raw:?} for query parameter amount"
            ))
        })?;
        Ok(crate::paging::clamp_amount(amount))
    }
}

/// A request header as text, if present and visible ASCII.
pub(crate) fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers.get(name)?.to_str().ok()
}

/// One `application/x-www-form-urlencoded` component: `+` is a space, invalid UTF-8 is
/// replaced rather than refused (as Go's URL parser leaves such bytes to the handlers).
fn form_decode(raw: &str) -> String {
    let plus_as_space = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_as_space)
        .decode_utf8_lossy()
        .into_owned()
}

/// Parses a JSON request body; a malformed body or a missing required field is a 400.
pub(crate) fn json_body<T: DeserializeOwned>(request: &Request) -> Result<T, ApiError> {
    serde_json::from_slice(&request.body)
        .map_err(|error| ApiError::bad_request(format!("invalid request body: {error}")))
}

/// Parses an optional JSON body: an empty body (or `null`) means the defaults.
pub(crate) fn optional_json_body<T: DeserializeOwned + Default>(
    request: &Request,
) -> Result<T, ApiError> {
    if request.body.trim_ascii().is_empty() || request.body.trim_ascii() == b"null" {
        Ok(T::default())
    } else {
        json_body(request)
    }
}

/// Decodes one raw path segment the way lakeFS does: with query-string rules, so a literal `+`
/// becomes a space and `%2F` becomes `/`.
pub(crate) fn decode_path_segment(raw: &str) -> Result<String, ApiError> {
    let plus_as_space = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_as_space)
        .decode_utf8()
        .map(|decoded| decoded.into_owned())
        .map_err(|_| ApiError::bad_request(format!("path segment {raw:?} is not UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_decode_with_query_rules() {
        assert_eq!(decode_path_segment("a+b%2Bc%2Fd").unwrap(), "a b+c/d");
        assert_eq!(decode_path_segment("%C3%BC").unwrap(), "ü");
        assert!(decode_path_segment("%FF").is_err());
    }

    #[test]
    fn queries_decode_with_form_rules() {
        let uri: Uri = "/x?path=a+b%2Fc&amount=5&objects=1&objects=2&flag&empty="
            .parse()
            .unwrap();
        let query = Query::from_uri(&uri);
        assert_eq!(query.get("path"), Some("a b/c"));
        assert_eq!(query.all("objects"), vec!["1", "2"]);
        assert_eq!(query.get("flag"), Some(""));
        assert_eq!(query.text("missing"), "");
    }

    #[test]
    fn request_ids_differ() {
        assert_ne!(request_id(), request_id());
    }
}
