//! HTTP plumbing shared by the handlers: replies, errors, query strings, headers and bodies.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use wiremock::http::{HeaderName, HeaderValue};
use wiremock::{Request, ResponseTemplate};

/// A response before it becomes a wiremock template.
#[derive(Debug)]
pub(crate) struct Reply {
    status: u16,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Vec<u8>,
}

impl Reply {
    /// A reply with no body (204, 304, HEAD answers).
    pub(crate) fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
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
            body,
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
        !self.body.is_empty()
    }

    /// Drops the body and its content type (HEAD answers and errors to HEAD requests), keeping
    /// every other header.
    pub(crate) fn without_body(mut self) -> Reply {
        self.body.clear();
        self.headers
            .retain(|(name, _)| name.as_str() != "content-type");
        self
    }

    /// The answer to a HEAD request for this reply: no body, but a `Content-Length` telling the
    /// size the body would have had.
    pub(crate) fn for_head(mut self) -> Reply {
        let length = self.body.len().to_string();
        self.body.clear();
        self.header("content-length", &length)
    }

    /// Converts into the template wiremock sends. Only pre-validated names and values are
    /// handed to wiremock, whose builders panic on invalid input.
    pub(crate) fn into_template(self) -> ResponseTemplate {
        let mut template = ResponseTemplate::new(self.status);
        for (name, value) in self.headers {
            template = template.append_header(name, value);
        }
        if self.body.is_empty() {
            template
        } else {
            template.set_body_bytes(self.body)
        }
    }
}

/// A handler failure, sent as `{"message": ...}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: u16,
    message: String,
}

impl ApiError {
    pub(crate) fn new(status: u16, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
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
        Reply::json(error.status, &json!({ "message": error.message }))
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
    pub(crate) fn from_request(request: &Request) -> Query {
        Query {
            pairs: request
                .url
                .query_pairs()
                .map(|(key, value)| (key.into_owned(), value.into_owned()))
                .collect(),
        }
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
            return Ok(crate::fake::paging::DEFAULT_AMOUNT);
        };
        let amount: i64 = raw.parse().map_err(|_| {
            ApiError::bad_request(format!(
                "invalid integer {raw:?} for query parameter amount"
            ))
        })?;
        Ok(crate::fake::paging::clamp_amount(amount))
    }
}

/// A request header as text, if present and visible ASCII.
pub(crate) fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers.get(name)?.to_str().ok()
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
    fn request_ids_differ() {
        assert_ne!(request_id(), request_id());
    }
}
