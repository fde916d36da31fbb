//! Synchronous client for the lakeFS REST API, for code that is not async.
//!
//! The same operations as `lakefs-api`, with the same names, arguments and answers, grouped
//! in the same traits ([`RepositoriesApi`], [`BranchesApi`], [`ObjectsApi`], ...) but
//! synchronous. Lists come as lazy iterators (`list_repositories_iter`, `*_pages`, from the
//! `*ApiExt` traits, so they work on mocks too), downloads
//! as `std::io::Read` ([`ObjectReader`]), uploads from bytes, any `Read` or a file
//! ([`UploadBody`]). No tokio in your code: the client owns its runtime.
//!
//! Depending on this crate alone is enough: it re-exports the models, errors and settings.
//!
//! ```no_run
//! use lakefs_blocking::{BranchesApi, CommitsApi, LakeFsClient, ObjectsApi, ObjectsApiExt, UploadBody, models};
//!
//! # fn run() -> lakefs_blocking::Result<()> {
//! let client = LakeFsClient::from_env()?;
//! client.create_branch("my-repo", &models::BranchCreation::new("experiment", "main"))?;
//! client.upload_object(
//!     "my-repo", "experiment", "data/table.csv",
//!     UploadBody::from_path("table.csv"),
//!     lakefs_blocking::UploadObjectOptions::default().content_type("text/csv"),
//! )?;
//! client.commit("my-repo", "experiment", &models::CommitCreation::new("add table"), Default::default())?;
//! for object in client.list_objects_iter("my-repo", "experiment", Default::default()) {
//!     println!("{}", object?.path);
//! }
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod client;
mod generated;
mod io;
mod iter;
pub mod prelude;
pub mod transfer;

pub use client::{LakeFsClient, LakeFsClientBuilder};
pub use generated::*;
pub use io::{BodyReader, ObjectReader, UploadBody};
pub use iter::{Items, Pages};

// Everything else a synchronous user needs, without depending on lakefs-api directly.
pub use lakefs_api::{
    ApiError, Credentials, DEFAULT_CALL_BUDGET, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_ANSWER_BYTES,
    DEFAULT_MIN_THROUGHPUT, DEFAULT_READ_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, ENV_ACCESS_KEY_ID,
    ENV_CONFIG_FILE, ENV_ENDPOINT, ENV_SECRET_ACCESS_KEY, Error, ErrorBody, ErrorKind,
    LakectlSettings, MinThroughput, OPERATIONS, ObjectMetadata, OperationInfo, PartEtag,
    ResponseInfo, Result, RetryConfig, Secret, TransferLimits, WithEtag, WithLocation, models,
};
