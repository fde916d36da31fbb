#![deny(missing_docs)]
//! A stateful fake lakeFS server for tests and local development.
//!
//! [`FakeLakeFs`] serves the real lakeFS HTTP API under `/api/v1` on `127.0.0.1`: repositories,
//! branches with staging areas, objects, commits, diffs, merges and tags behave as on a lakeFS
//! server, with lakeFS's status codes and error bodies. Operations it does not implement answer
//! 501 with a message naming the operation.
//!
//! It runs on its own thread (a hyper server on a runtime of its own), so it serves async and
//! synchronous callers alike. Bodies stream: an upload (raw, or `multipart/form-data` as
//! lakectl sends it) is hashed and stored chunk by chunk, a download streams out of the store,
//! so memory per transfer stays bounded whatever the object size. Objects live in memory, or
//! in files with [`FakeLakeFsBuilder::data_dir`]. ETags are the MD5 of the content, as on S3.
//!
//! ```no_run
//! # async fn demo() -> Result<(), lakefs_api::Error> {
//! let fake = lakefs_fake::FakeLakeFs::start().await;
//! let client = fake.client()?; // a lakefs_api::LakeFsClient for it
//! println!("{}", fake.endpoint()); // e.g. "http://127.0.0.1:41234"
//! # let _ = client;
//! # Ok(()) }
//! ```
//!
//! The `lakefs-fake` binary serves the same fake on a chosen address.

mod auth;
mod blobs;
mod blocking;
mod clock;
mod diff;
mod digest;
mod handlers;
mod http;
mod merge;
mod model;
mod multipart;
mod names;
mod paging;
mod refs;
mod router;
pub mod routes;
mod server;

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub use blocking::BlockingFakeLakeFs;
use model::State;

/// The access key id the fake accepts by default (HTTP basic user name).
pub const FAKE_ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
/// The secret access key the fake accepts by default (HTTP basic password).
pub const FAKE_SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// A running fake lakeFS server. It stops when dropped.
pub struct FakeLakeFs {
    running: server::Running,
    access_key_id: String,
    secret_access_key: String,
}

impl fmt::Debug for FakeLakeFs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeLakeFs")
            .field("endpoint", &self.endpoint())
            .finish_non_exhaustive()
    }
}

/// How to start a [`FakeLakeFs`]: from [`FakeLakeFs::builder`].
#[derive(Debug)]
#[must_use = "a builder does nothing until started"]
pub struct FakeLakeFsBuilder {
    listener: Option<std::net::TcpListener>,
    data_dir: Option<PathBuf>,
    access_key_id: String,
    secret_access_key: String,
    workers: usize,
}

impl Default for FakeLakeFsBuilder {
    fn default() -> Self {
        FakeLakeFsBuilder {
            listener: None,
            data_dir: None,
            access_key_id: FAKE_ACCESS_KEY_ID.to_string(),
            secret_access_key: FAKE_SECRET_ACCESS_KEY.to_string(),
            workers: 2,
        }
    }
}

impl FakeLakeFsBuilder {
    /// Serves on this already bound listener (e.g. a fixed port) instead of a free port of
    /// `127.0.0.1`.
    pub fn listener(mut self, listener: std::net::TcpListener) -> Self {
        self.listener = Some(listener);
        self
    }

    /// Keeps object data in files under `directory` (created if missing) instead of memory,
    /// so that large objects need no memory. Each blob is deleted when no object refers to it
    /// any more; the directory itself stays.
    pub fn data_dir(mut self, directory: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(directory.into());
        self
    }

    /// The access key pair the API accepts (default [`FAKE_ACCESS_KEY_ID`] /
    /// [`FAKE_SECRET_ACCESS_KEY`]).
    pub fn credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        self.access_key_id = access_key_id.into();
        self.secret_access_key = secret_access_key.into();
        self
    }

    /// How many runtime threads serve connections (default 2).
    pub fn worker_threads(mut self, workers: usize) -> Self {
        self.workers = workers;
        self
    }

    /// Starts the fake: binds, creates the data directory, and serves from a thread of its
    /// own. Needs no async runtime, so synchronous code can call it too.
    pub fn spawn(self) -> io::Result<FakeLakeFs> {
        let listener = match self.listener {
            Some(listener) => listener,
            None => std::net::TcpListener::bind(("127.0.0.1", 0))?,
        };
        let blobs = match &self.data_dir {
            Some(directory) => blobs::BlobStore::on_disk(directory)?,
            None => blobs::BlobStore::in_memory(),
        };
        let shared = Arc::new(server::Shared {
            state: Mutex::new(State::new(clock::now())),
            blobs,
            auth: Box::new(auth::BasicAuth {
                access_key_id: self.access_key_id.clone(),
                secret_access_key: self.secret_access_key.clone(),
            }),
        });
        let running = server::spawn(listener, shared, self.workers)?;
        Ok(FakeLakeFs {
            running,
            access_key_id: self.access_key_id,
            secret_access_key: self.secret_access_key,
        })
    }

    /// [`spawn`](Self::spawn), for async callers.
    pub async fn start(self) -> io::Result<FakeLakeFs> {
        self.spawn()
    }
}

impl FakeLakeFs {
    /// A builder, for a data directory, credentials or a fixed listener.
    pub fn builder() -> FakeLakeFsBuilder {
        FakeLakeFsBuilder::default()
    }

    /// Starts an empty fake on a free port of `127.0.0.1`, objects in memory.
    ///
    /// # Panics
    ///
    /// If no port of `127.0.0.1` can be bound or no thread started; use
    /// [`FakeLakeFs::builder`] to get that as an error instead.
    pub async fn start() -> FakeLakeFs {
        FakeLakeFs::builder()
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start the fake lakeFS: {error}"))
    }

    /// Starts an empty fake on an already bound listener (e.g. a fixed port).
    ///
    /// # Panics
    ///
    /// If the listener cannot serve (see [`FakeLakeFsBuilder::listener`] for the fallible
    /// form).
    pub async fn start_on(listener: std::net::TcpListener) -> FakeLakeFs {
        FakeLakeFs::builder()
            .listener(listener)
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start the fake lakeFS: {error}"))
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`, without the `/api/v1` API path.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.running.address)
    }

    /// The access key id the fake accepts (by default [`FAKE_ACCESS_KEY_ID`]).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret access key the fake accepts (by default [`FAKE_SECRET_ACCESS_KEY`]).
    pub fn secret_access_key(&self) -> &str {
        &self.secret_access_key
    }

    /// An SDK client for this fake, with its credentials.
    pub fn client(&self) -> lakefs_api::Result<lakefs_api::LakeFsClient> {
        lakefs_api::LakeFsClient::builder()
            .endpoint(self.endpoint())
            .access_key(self.access_key_id(), self.secret_access_key())
            .build()
    }
}
