//! Async client for every operation of the lakeFS REST API.
//!
//! * One `#[async_trait]` trait per API group ([`RepositoriesApi`], [`BranchesApi`],
//!   [`ObjectsApi`], [`CommitsApi`], [`RefsApi`], [`TagsApi`], [`AuthApi`], ...), with one
//!   method per operation, named as the operationId in snake_case. The traits are
//!   dyn-compatible (`Arc<dyn BranchesApi>`), so your code can take a mock instead.
//! * [`LakeFsClient`], a reqwest implementation of all of them: cheap to clone, with connect,
//!   request and idle timeouts on by default.
//! * Streams over every paginated list ([`RepositoriesApiExt::list_repositories_stream`], ...).
//! * One [`Error`] type that says where a call failed, with the server's status, message and
//!   request id, and a [`kind`](Error::kind) from one central status map.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use lakefs_api::{
//!     BranchesApi, CommitsApi, LakeFsClient, ListRepositoriesOptions, ObjectsApi,
//!     RepositoriesApiExt, UploadObjectOptions, models,
//! };
//!
//! # async fn run() -> lakefs_api::Result<()> {
//! // LAKECTL_SERVER_ENDPOINT_URL, LAKECTL_CREDENTIALS_* or ~/.lakectl.yaml
//! let client = LakeFsClient::from_env()?;
//!
//! // Every repository, page after page, as one stream.
//! let mut repositories = client.list_repositories_stream(ListRepositoriesOptions::default());
//! while let Some(repository) = repositories.try_next().await? {
//!     println!("{}", repository.id);
//! }
//!
//! let commit_id = client
//!     .create_branch("my-repo", &models::BranchCreation::new("experiment", "main"))
//!     .await?;
//! client
//!     .upload_object("my-repo", "experiment", "data/hello.txt", "hello".into(),
//!         UploadObjectOptions::default().content_type("text/plain"))
//!     .await?;
//! client
//!     .commit("my-repo", "experiment", &models::CommitCreation::new("add hello"), Default::default())
//!     .await?;
//! # let _ = commit_id; Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod auth;
mod body;
mod call;
mod client;
mod config;
mod encoding;
mod error;
mod generated;
mod operation;
pub mod pagination;
pub mod prelude;
mod retry;
pub mod transfer;

pub use body::{
    ByteStream, ObjectDownload, ObjectMetadata, PartEtag, UploadBody, WithEtag, WithLocation,
};
pub use client::{
    DEFAULT_CALL_BUDGET, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_ANSWER_BYTES, DEFAULT_READ_TIMEOUT,
    DEFAULT_REQUEST_TIMEOUT, LakeFsClient, LakeFsClientBuilder,
};
pub use config::{
    AwsIamSettings, Credentials, ENV_ACCESS_KEY_ID, ENV_CONFIG_FILE, ENV_ENDPOINT,
    ENV_PROVIDER_TYPE, ENV_SECRET_ACCESS_KEY, ENV_SESSION_TOKEN, LakectlSettings, Secret,
};
pub use encoding::path_segment;
pub use error::{ApiError, Error, ErrorBody, ErrorKind, Result};
pub use generated::operations::OPERATIONS;
pub use generated::*;
pub use lakefs_models as models;
pub use operation::{OperationInfo, ResponseInfo};
pub use retry::RetryConfig;
pub use transfer::{DEFAULT_MIN_THROUGHPUT, MinThroughput, TransferLimits};
