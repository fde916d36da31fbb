//! The high-level lakeFS client: repositories, branches, refs and objects as handles.
//!
//! Built on [`lakefs_api`] (the complete, generated layer: every operation of the API, one
//! trait per group), with the same errors ([`Error`], [`ErrorKind`]) and the same connections.
//! Handles are cheap to clone and `'static`: keep them, move them into tasks. Nothing is sent
//! until a method is called; methods with options return a [`Call`] whose settings are chained
//! before `.await`.
//!
//! ```no_run
//! use futures::TryStreamExt;
//!
//! # async fn run() -> lakefs::Result<()> {
//! let client = lakefs::Client::from_env()?; // LAKECTL_* variables or ~/.lakectl.yaml
//! let repo = client.repository("example");
//! repo.create("s3://bucket/example").exist_ok(true).await?;
//!
//! // A branch, an upload, a commit.
//! let branch = repo.branch("experiment").create("main").exist_ok(true).await?;
//! branch.object("data/hello.txt").upload("hello").content_type("text/plain").await?;
//! branch.commit("add hello").metadata([("author", "me")]).await?;
//!
//! // Objects, commits and differences as streams.
//! let mut objects = branch.objects("data/");
//! while let Some(object) = objects.try_next().await? {
//!     println!("{} ({} bytes)", object.path, object.size_bytes.unwrap_or(0));
//! }
//! let changes: Vec<_> = branch.diff("main").try_collect().await?;
//! println!("{} changes against main", changes.len());
//!
//! // Merge; a conflict is a typed 409 with the server's report.
//! match branch.merge_into(&repo.branch("main")).await {
//!     Ok(commit) => println!("merged as {commit}"),
//!     Err(err) if err.is_conflict() => println!("conflict: {err}"),
//!     Err(err) => return Err(err),
//! }
//! # Ok(()) }
//! ```
//!
//! # Reading and writing objects
//!
//! [`Object::reader`] is a `tokio::io::AsyncRead + AsyncSeek` served by one streaming request
//! (re-issued only after a seek); [`Object::writer`] is an `AsyncWrite` sent while it is
//! written, in bounded memory, linked only when shut down (dropped before, nothing is linked).
//! Where the repository's storage supports presigned URLs, the data goes straight to the
//! object store: the reader GETs a presigned URL, the writer and `upload` send a presigned
//! PUT or presigned multipart parts, `download` fetches parallel ranges (the building blocks
//! of [`lakefs_api::transfer`]); otherwise it goes through the lakeFS API.
//!
//! ```no_run
//! use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
//!
//! # async fn run(branch: lakefs::Branch) -> lakefs::Result<()> {
//! # async fn io(branch: lakefs::Branch) -> std::io::Result<()> {
//! let mut writer = branch.object("logs/today.txt").writer();
//! writer.write_all(b"first line\n").await?;
//! writer.shutdown().await?; // now it exists
//!
//! let mut reader = branch.object("logs/today.txt").reader();
//! reader.seek(std::io::SeekFrom::Start(6)).await?;
//! let mut rest = String::new();
//! reader.read_to_string(&mut rest).await?;
//! # Ok(()) }
//! // Whole files and directories:
//! branch.object("data/table.csv").upload_file("table.csv").create_only().await?;
//! branch.object("data/table.csv").download("copy.csv").await?;
//! branch.upload_dir("local/dir", "data/dir").concurrency(16).await?;
//! # Ok(()) }
//! ```
//!
//! # Transactions
//!
//! [`Branch::transact`] runs a closure on a hidden branch and merges its changes back as one
//! commit, or not at all; a merge conflict runs the closure again (see
//! [`Transaction::run`]).
//!
//! ```no_run
//! # async fn run(main: lakefs::Branch) -> lakefs::Result<()> {
//! main.transaction()
//!     .commit_message("replace the daily table")
//!     .max_attempts(5)
//!     .run(|tx| async move {
//!         tx.object("tables/daily.csv").upload("a,b\n").await?;
//!         tx.object("tables/daily.tmp").delete().await?;
//!         Ok::<_, lakefs::Error>(())
//!     })
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! # Synchronous code
//!
//! With the `blocking` feature, [`blocking`] has the same handles without `async`, with
//! `std::io` readers and writers.
#![deny(missing_docs)]

mod branch;
mod call;
mod client;
mod dir;
mod import;
mod io;
mod object;
mod reference;
mod repository;
mod transaction;
mod transfer;

#[cfg(feature = "blocking")]
pub mod blocking;

pub use branch::{Branch, CommitChanges, CreateBranch};
pub use call::{Async, Call, Mode, Operation};
pub use client::{Client, ClientBuilder};
pub use dir::{DEFAULT_DIR_CONCURRENCY, DownloadDir, TransferProgress, TransferSummary, UploadDir};
pub use import::{DEFAULT_IMPORT_POLL_INTERVAL, ImportJob, StartImport};
pub use io::{ObjectReader, ObjectWriter};
pub use object::{DownloadFile, Object, Upload};
pub use reference::{Commit, CreateTag, MergeInto, Reference, Tag};
pub use repository::{CreateRepository, Repository};
pub use transaction::{DEFAULT_TRANSACTION_ATTEMPTS, TRANSACTION_BRANCH_PREFIX, Transaction};

pub use lakefs_api::{self as api, Error, ErrorKind, Result, UploadBody, models};
