#![deny(missing_docs)]
//! Test helpers for code that talks to lakeFS.
//!
//! * [`MockLakeFs`] (and [`BlockingMockLakeFs`] for synchronous code) is a wiremock server
//!   that answers exactly what a test mounts: [`Fixture`]s for every error response the lakeFS
//!   spec documents ([`cases::error_cases`], one per documented error status of each operation), a success answer for every
//!   operation ([`cases::success_cases`]), and the failures real deployments send although
//!   the spec does not document them (429 with and without a body, 503 "slow down", 500
//!   "branch locked", a proxy's HTML 502/504, truncated or HTML bodies, slow answers, closed
//!   connections). Any other request gets a loud 599 naming it and fails the test.
//! * [`FakeLakeFs`] is a stateful lakeFS server speaking the real HTTP API (`/api/v1`), for
//!   tests that need lakeFS semantics (branches, staging, commits, merges) without a lakeFS
//!   installation; [`fake::BlockingFakeLakeFs`] runs one for synchronous code. It is the
//!   [`lakefs_fake`] crate, re-exported here as [`fake`]; that crate also has the `lakefs-fake`
//!   binary.
//!
//! # Testing your own code's handling of lakeFS failures
//!
//! Add the testkit as a dev-dependency next to the SDK:
//!
//! ```toml
//! [dependencies]
//! lakefs-api = "0.1"
//!
//! [dev-dependencies]
//! lakefs-testkit = "0.1"
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! Write your code against the SDK's traits (`&dyn BranchesApi`, `&impl CommitsApi`...), then
//! in a test start a [`MockLakeFs`], mount the answers the scenario needs, and hand your code
//! [`MockLakeFs::client`]. Code that uses the pagination streams takes an `Arc<dyn ObjectsApi>`
//! instead (a stream owns its client; `Arc::new(lakefs.client())`), as the
//! `lakefs_api::prelude` docs show:
//!
//! ```
//! use lakefs_api::{BranchesApi, models::BranchCreation};
//! use lakefs_testkit::{Fixture, MockLakeFs};
//!
//! /// Your code: creates the branch, or reuses it when it already exists.
//! async fn ensure_branch(api: &dyn BranchesApi, repo: &str, name: &str) -> lakefs_api::Result<()> {
//!     match api.create_branch(repo, &BranchCreation::new(name, "main")).await {
//!         Ok(_) => Ok(()),
//!         Err(e) if e.is_conflict() => Ok(()),
//!         Err(e) => Err(e),
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let lakefs = MockLakeFs::start().await;
//! // lakeFS answers 409: the branch exists. It must be asked exactly once.
//! lakefs.mount(Fixture::error_for("createBranch", 409).expect(1)).await;
//! ensure_branch(&lakefs.client(), "repo", "feature").await.unwrap();
//!
//! // Any other failure reaches the caller with its status and message.
//! lakefs.reset().await;
//! lakefs.mount(Fixture::slow_down("createBranch")).await;
//! let err = ensure_branch(&lakefs.client(), "repo", "feature").await.unwrap_err();
//! assert_eq!(err.status(), Some(503));
//!
//! // What was sent can be inspected too.
//! assert_eq!(lakefs.received_requests_for("createBranch").await.len(), 1);
//! lakefs.verify().await; // every `expect` met, no request without a fixture
//! # }
//! ```
//!
//! * Table-driven: iterate [`cases::error_cases`] and mount [`Fixture::error`] for each case
//!   your code handles, or [`Fixture::undocumented_failures`] for one operation.
//! * Exactly-once: [`fixtures::expect_calls`]`("commit", 1)`, or
//!   `Fixture::success_for("commit").path_param("branch", "main").expect(1)`; path parameters
//!   are compared percent-encoded (`feature%2Fx`).
//! * Custom answers: [`Fixture::json`], [`Fixture::message`], [`Fixture::delay`],
//!   [`Fixture::up_to_n_times`] (e.g. one 503, then a success), or any wiremock [`Mock`](wiremock::Mock)
//!   built with [`fixtures::operation`] as its matcher, mounted with [`MockLakeFs::mount`].
//! * Synchronous code: [`BlockingMockLakeFs`] has the same methods without `.await`, from a
//!   plain `#[test]`.
//!
//! The workspace's `tests-downstream` crate is a complete example that uses only this public
//! API.

pub mod cases;
pub mod fixtures;
mod generated;
pub mod hostile;
pub mod mock;

pub use fixtures::{Fixture, OperationMatcher, ScopedFixture, expect_calls, operation};
/// The fake lakeFS: the [`lakefs_fake`] crate.
pub use lakefs_fake as fake;
pub use lakefs_fake::FakeLakeFs;
/// The lakeFS operation table the fixtures match requests with (one table, the fake's).
pub use lakefs_fake::routes;
pub use mock::{BlockingMockLakeFs, CutBodyServer, MockLakeFs};
