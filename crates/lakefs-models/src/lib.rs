//! Typed models for every schema of the lakeFS REST API.
//!
//! This crate has no HTTP stack: it depends on `serde` and `serde_json` only, so it can be used
//! to read and write lakeFS JSON anywhere (a server, a fake, a message queue, a test).
//!
//! Every type is named exactly as its schema in the lakeFS OpenAPI spec
//! (`lakefs_models::ObjectStatsList`, `lakefs_models::RepositoryCreation`, ...).
//!
//! # Compatibility with newer and older servers
//!
//! * Unknown fields are ignored, so a newer server that adds fields does not break decoding.
//! * Every server-defined enum is `#[non_exhaustive]` and keeps a value it does not know in its
//!   `Unknown(String)` variant, which serialises back unchanged.
//! * A field the spec marks required is a plain value (not an `Option`). When an older server
//!   omits it, or sends `null`, it decodes to the type's default (`""`, `0`, `false`, an empty
//!   list or map, a default object). The spec's optional fields are `Option`s and are left out of
//!   the JSON when unset.
//! * Date-times (RFC 3339 strings) stay `String`s, so values such as `0001-01-01T00:00:00Z` from
//!   an unfinished run survive untouched; Unix timestamps, sizes and counts are `i64`.
//!
//! # Building values
//!
//! The structs are `#[non_exhaustive]`: build them with `new` (the required fields) and the
//! `with_*` setters (the optional ones):
//!
//! ```
//! use lakefs_models::RepositoryCreation;
//!
//! let creation = RepositoryCreation::new("my-repo", "s3://bucket/my-repo").with_default_branch("main");
//! assert_eq!(
//!     serde_json::to_value(&creation).unwrap(),
//!     serde_json::json!({"name": "my-repo", "storage_namespace": "s3://bucket/my-repo", "default_branch": "main"})
//! );
//! ```
#![deny(missing_docs)]

mod generated;
mod pagination;
#[doc(hidden)]
pub mod support;

pub use generated::SCHEMA_NAMES;
pub use generated::operations::*;
pub use generated::schemas::*;
pub use pagination::Paginated;
