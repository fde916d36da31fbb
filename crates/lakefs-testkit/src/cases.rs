//! The tables of documented cases, generated from the spec: every error response of every
//! operation ([`error_cases`]) and one success answer per operation ([`success_cases`]).

/// The JSON schema the spec documents for an error body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorSchema {
    /// `{"message": "..."}`.
    Error,
    /// `ErrorNoACL` (`getGroupACL` 404).
    ErrorNoAcl,
    /// `MergeResult` (merge 409).
    MergeResult,
    /// `StagingLocation` (link/complete 409).
    StagingLocation,
    /// No body is documented (e.g. 429).
    None,
}

/// One documented error response of one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorCase {
    /// The spec's operationId, e.g. `getBranch`.
    pub operation_id: &'static str,
    /// The SDK method, e.g. `get_branch`.
    pub method_name: &'static str,
    /// Upper-case HTTP method.
    pub method: &'static str,
    /// Path template relative to `/api/v1`.
    pub path: &'static str,
    /// The status the fixture answers (the `default` response answers 500).
    pub status: u16,
    /// The documented status; `None` for the spec's `default` response.
    pub documented_status: Option<u16>,
    /// The documented body schema.
    pub schema: ErrorSchema,
}

/// The body of a success answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SuccessBody {
    /// A JSON document valid for the operation's schema.
    Json(&'static str),
    /// Plain text (`createBranch`'s commit id).
    Text(&'static str),
    /// No body.
    Empty,
    /// Raw bytes (object content, hook output, metadata files).
    Bytes(&'static [u8]),
    /// The data is in headers (`headObject`, `uploadPartCopy`).
    Headers,
}

/// A success answer for one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SuccessCase {
    /// The spec's operationId.
    pub operation_id: &'static str,
    /// The SDK method.
    pub method_name: &'static str,
    /// Upper-case HTTP method.
    pub method: &'static str,
    /// Path template relative to `/api/v1`.
    pub path: &'static str,
    /// The documented success status.
    pub status: u16,
    /// The body (or its absence).
    pub body: SuccessBody,
}

/// Every documented error case: one per operation and documented error status (`default`
/// included).
pub fn error_cases() -> &'static [ErrorCase] {
    crate::generated::error_cases::ERROR_CASES
}

/// One success case per operation.
pub fn success_cases() -> &'static [SuccessCase] {
    crate::generated::success_cases::SUCCESS_CASES
}

/// The error case for an operation and a status, e.g. `error_case("getBranch", 404)`.
pub fn error_case(operation_id: &str, status: u16) -> Option<&'static ErrorCase> {
    error_cases()
        .iter()
        .find(|c| c.operation_id == operation_id && c.status == status)
}

/// The success case of an operation.
pub fn success_case(operation_id: &str) -> Option<&'static SuccessCase> {
    success_cases()
        .iter()
        .find(|c| c.operation_id == operation_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_cover_the_spec() {
        // Counted from the SDK's operation table, itself generated from the spec.
        let documented_errors: usize = lakefs_api::OPERATIONS
            .iter()
            .map(|op| {
                op.responses
                    .iter()
                    .filter(|r| r.status.is_none_or(|s| !(200..400).contains(&s)))
                    .count()
            })
            .sum();
        assert_eq!(error_cases().len(), documented_errors);
        assert_eq!(success_cases().len(), lakefs_api::OPERATIONS.len());
        let case = error_case("mergeIntoBranch", 409).unwrap();
        assert_eq!(case.schema, ErrorSchema::MergeResult);
        // Whichever operations document `ErrorNoACL` (getGroupACL until lakeFS 1.88).
        for op in lakefs_api::OPERATIONS {
            for r in op
                .responses
                .iter()
                .filter(|r| r.schema == Some("ErrorNoACL"))
            {
                let status = r.status.unwrap_or(500);
                assert_eq!(
                    error_case(op.id, status).unwrap().schema,
                    ErrorSchema::ErrorNoAcl
                );
            }
        }
        assert_eq!(
            error_case("listRepositories", 429).unwrap().schema,
            ErrorSchema::None
        );
        assert!(
            error_cases()
                .iter()
                .filter(|c| c.documented_status.is_none())
                .all(|c| c.status == 500)
        );
    }
}
