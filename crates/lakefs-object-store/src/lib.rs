//! lakeFS as an [`object_store`](https://docs.rs/object_store) `ObjectStore`, so that the Rust
//! data ecosystem (DataFusion, arrow's `parquet`, Polars, delta-rs) reads and writes lakeFS
//! through the lakeFS API, with versions, branches and commits at hand.
//!
//! [`LakeFsStore`] serves one repository. Its keys are `<ref>/<path>`, the layout of lakeFS's
//! S3 gateway, so `lakefs://my-repo/main/data/x.parquet` is object `data/x.parquet` on branch
//! `main`; built with a fixed ref ([`LakeFsStoreBuilder::with_ref`]) it takes plain paths.
//!
//! ```no_run
//! # #[cfg(feature = "object-store-0-13")]
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use object_store_0_13::{ObjectStore, ObjectStoreExt, path::Path};
//! let client = lakefs_api::LakeFsClient::from_env()?;
//! let store = lakefs_object_store::LakeFsStore::new(client, "my-repo");
//! store.put(&Path::from("main/hello.txt"), "hello".into()).await?;
//! let data = store.get(&Path::from("main/hello.txt")).await?.bytes().await?;
//! # let _ = data; Ok(()) }
//! ```
//!
//! # `object_store` versions
//!
//! One implementation serves each `object_store` release selected by a feature; several may be
//! on at once:
//!
//! | feature | `object_store` | used by |
//! |---|---|---|
//! | `object-store-0-13` (default) | 0.13 | DataFusion 55, delta-rs 1.1, Polars 0.55, arrow 59 |
//! | `object-store-0-14` | 0.14 | arrow's `parquet` 60 |
//!
//! # How each operation maps onto lakeFS
//!
//! | `ObjectStore` | lakeFS |
//! |---|---|
//! | `put_opts` | `uploadObject`; `Create` sends `If-None-Match: *` (412 is `AlreadyExists`), `Update` sends `If-Match` (412 is `Precondition`) |
//! | `put_multipart_opts` | one `uploadObject` whose body is streamed part by part as parts are handed over |
//! | `get_opts` | `getObject` (`Range`, one `If-None-Match` value); `head`, other preconditions and whole-object reads also `statObject` |
//! | `get_ranges` | ranged `getObject`s, coalesced and in parallel |
//! | `list`, `list_with_offset`, `list_with_delimiter` | `listObjects` pages of 1,000 (`after` is exclusive, as `list_with_offset` is) |
//! | `delete_stream` | `deleteObjects` in batches of up to 1,000 paths; paths holding nothing are deleted already |
//! | `copy_opts`, `rename_opts` | `copyObject` (`Create` checks the destination first: not atomic), then `deleteObjects` |
//!
//! Attributes: the content type and user metadata (lower-case keys) are kept; any other
//! attribute and object tags are refused with `NotImplemented`, never dropped. ETags are the
//! lakeFS checksums, quoted. `ObjectMeta::version` is the commit id when the object is read
//! from a commit (a `version` given to `get_opts` is read as a ref). Writes to a ref that is
//! not a branch fail with a message that says so.
#![deny(missing_docs)]

#[cfg(not(any(feature = "object-store-0-13", feature = "object-store-0-14")))]
compile_error!(
    "lakefs-object-store implements nothing without a feature: enable object-store-0-13 or \
     object-store-0-14"
);

mod data;
mod failure;
mod keys;
mod multipart;
mod store;
#[cfg(feature = "object-store-0-13")]
mod v0_13;
#[cfg(feature = "object-store-0-14")]
mod v0_14;

pub use store::{DEFAULT_CONCURRENCY, DEFAULT_PART_SIZE, LakeFsStore, LakeFsStoreBuilder, Presign};

/// The `object_store` 0.13 crate this store implements (feature `object-store-0-13`).
#[cfg(feature = "object-store-0-13")]
pub use object_store_0_13;
/// The `object_store` 0.14 crate this store implements (feature `object-store-0-14`).
#[cfg(feature = "object-store-0-14")]
pub use object_store_0_14;
