//! What the SDK knows about each operation, generated from the spec into
//! [`OPERATIONS`](crate::OPERATIONS).

/// One operation of the lakeFS API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct OperationInfo {
    /// The spec's operationId, e.g. `listRepositories`.
    pub id: &'static str,
    /// The Rust method name, e.g. `list_repositories`.
    pub method_name: &'static str,
    /// The API group (the operation's first tag), e.g. `repositories`.
    pub group: &'static str,
    /// Upper-case HTTP method.
    pub method: &'static str,
    /// Path template relative to `/api/v1`.
    pub path: &'static str,
    /// Whether the call sends credentials (9 operations do not).
    pub needs_auth: bool,
    /// Whether the operation is a paginated list.
    pub paginated: bool,
    /// Whether the spec marks it deprecated.
    pub deprecated: bool,
    /// Whether sending it twice has the same effect as once (reads, deletes, most PUTs): what
    /// retries after an ambiguous failure rely on.
    pub idempotent: bool,
    /// Whether it streams a body (upload or byte download), bounded by the idle timeout.
    pub streaming: bool,
    /// The `Accept` header the SDK sends.
    pub accept: &'static str,
    /// Every documented response.
    pub responses: &'static [ResponseInfo],
}

/// One documented response of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseInfo {
    /// The status; `None` for the spec's `default` response.
    pub status: Option<u16>,
    /// The JSON schema of the body, if any (e.g. `Error`, `MergeResult`).
    pub schema: Option<&'static str>,
    /// The first documented content type, if the response has a body.
    pub content_type: Option<&'static str>,
    /// Response headers the spec documents (e.g. `ETag`, `Location`).
    pub headers: &'static [&'static str],
}

impl OperationInfo {
    /// The schema documented for an error status (falling back to `default`).
    pub fn error_schema(&self, status: u16) -> Option<&'static str> {
        let exact = self.responses.iter().find(|r| r.status == Some(status));
        exact
            .or_else(|| self.responses.iter().find(|r| r.status.is_none()))
            .and_then(|r| r.schema)
    }

    /// Looks an operation up by operationId.
    pub fn find(id: &str) -> Option<&'static OperationInfo> {
        crate::OPERATIONS.iter().copied().find(|op| op.id == id)
    }
}
