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
mod config;
mod diff;
mod digest;
mod faults;
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
mod sample;
mod server;
mod sign;
mod store;
mod throttle;

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use auth::{AuthCounters, FakeAuth};
pub use blocking::BlockingFakeLakeFs;
pub use config::Blockstore;
pub use faults::Faults;
use model::State;

/// The access key id the fake accepts by default (HTTP basic user name).
pub const FAKE_ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
/// The secret access key the fake accepts by default (HTTP basic password).
pub const FAKE_SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// The access key id of `lakefs run --quickstart`, which clients expecting a quickstart
/// lakeFS use.
pub const QUICKSTART_ACCESS_KEY_ID: &str = "AKIAIOSFOLQUICKSTART";
/// The secret access key of `lakefs run --quickstart`.
pub const QUICKSTART_SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// Where `lakefs run --quickstart` serves.
pub const QUICKSTART_ADDRESS: &str = "127.0.0.1:8000";

/// A running fake lakeFS server. It stops when dropped.
pub struct FakeLakeFs {
    running: server::Running,
    shared: Arc<server::Shared>,
    access_key_id: String,
    secret_access_key: String,
}

/// A multipart upload of the simulated object store that was neither completed nor aborted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OpenMultipartUpload {
    /// The upload id.
    pub upload_id: String,
    /// The object key it would complete into (the physical address without its scheme).
    pub key: String,
    /// The part numbers uploaded so far.
    pub parts: Vec<u32>,
}

impl fmt::Debug for FakeLakeFs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeLakeFs")
            .field("endpoint", &self.endpoint())
            .finish_non_exhaustive()
    }
}

/// The requests the simulated object store has seen, by method (every one, answered or
/// refused): tests check that a transfer retried what it should and nothing more.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreRequests {
    /// PUTs (whole objects and parts).
    pub puts: u64,
    /// GETs (whole and ranged).
    pub gets: u64,
    /// Everything else (HEAD, POST, DELETE).
    pub others: u64,
}

impl StoreRequests {
    pub(crate) fn count(&mut self, method: &::http::Method) {
        let counter = match *method {
            ::http::Method::PUT => &mut self.puts,
            ::http::Method::GET => &mut self.gets,
            _ => &mut self.others,
        };
        *counter += 1;
    }
}

/// How to start a [`FakeLakeFs`]: from [`FakeLakeFs::builder`].
#[derive(Debug)]
#[must_use = "a builder does nothing until started"]
pub struct FakeLakeFsBuilder {
    listener: Option<std::net::TcpListener>,
    storage_listener: Option<std::net::TcpListener>,
    data_dir: Option<PathBuf>,
    access_key_id: String,
    secret_access_key: String,
    workers: usize,
    blockstore: Blockstore,
    presign: bool,
    presign_multipart: bool,
    default_namespace_prefix: Option<String>,
    extra_storages: Vec<(String, Blockstore)>,
    url_expiry: Duration,
    auth: FakeAuth,
    faults: Faults,
    api_bandwidth: Bandwidth,
    storage_bandwidth: Bandwidth,
    quickstart: bool,
}

/// Bytes per second allowed on each TCP connection, per direction; `None` is unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bandwidth {
    /// Client to server (uploads).
    pub upload: Option<u64>,
    /// Server to client (downloads).
    pub download: Option<u64>,
}

impl Default for FakeLakeFsBuilder {
    fn default() -> Self {
        FakeLakeFsBuilder {
            listener: None,
            storage_listener: None,
            data_dir: None,
            access_key_id: FAKE_ACCESS_KEY_ID.to_string(),
            secret_access_key: FAKE_SECRET_ACCESS_KEY.to_string(),
            workers: 2,
            blockstore: Blockstore::S3,
            presign: true,
            presign_multipart: true,
            default_namespace_prefix: None,
            extra_storages: Vec::new(),
            url_expiry: Duration::from_secs(15 * 60),
            auth: FakeAuth::default(),
            faults: Faults::default(),
            api_bandwidth: Bandwidth::default(),
            storage_bandwidth: Bandwidth::default(),
            quickstart: false,
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

    /// Serves the simulated object store on this listener instead of a free port of
    /// `127.0.0.1`.
    pub fn storage_listener(mut self, listener: std::net::TcpListener) -> Self {
        self.storage_listener = Some(listener);
        self
    }

    /// The blockstore the fake plays (default [`Blockstore::S3`]); it decides what the storage
    /// configuration reports and the style of presigned URLs (S3, GCS, Azure SAS).
    pub fn blockstore(mut self, blockstore: Blockstore) -> Self {
        self.blockstore = blockstore;
        self
    }

    /// Whether presigned URLs are offered (default on; only where the blockstore can presign:
    /// s3, azure, gs).
    pub fn presign(mut self, enabled: bool) -> Self {
        self.presign = enabled;
        self
    }

    /// Whether presigned multipart uploads are offered (default on; only on s3, with presign).
    pub fn presign_multipart(mut self, enabled: bool) -> Self {
        self.presign_multipart = enabled;
        self
    }

    /// The `default_namespace_prefix` the storage configuration offers (clients build new
    /// repositories' namespaces from it), e.g. `s3://quickstart`.
    pub fn default_namespace_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.default_namespace_prefix = Some(prefix.into());
        self
    }

    /// Adds a storage, making the fake a multi-storage lakeFS: `storage_config_list` lists the
    /// default storage (id `default`, the [`blockstore`](Self::blockstore)) and every added
    /// one, and repositories choose theirs with `storage_id`.
    pub fn storage(mut self, id: impl Into<String>, blockstore: Blockstore) -> Self {
        self.extra_storages.push((id.into(), blockstore));
        self
    }

    /// How long presigned URLs live (default 15 minutes, lakeFS's default).
    pub fn presigned_url_expiry(mut self, lifetime: Duration) -> Self {
        self.url_expiry = lifetime;
        self
    }

    /// How tokens are issued and expire, and who may log in with STS/OIDC or AWS IAM (see
    /// [`FakeAuth`]); the key pair of [`credentials`](Self::credentials) always works.
    pub fn auth(mut self, auth: FakeAuth) -> Self {
        self.auth = auth;
        self
    }

    /// Plays `lakefs run --quickstart`: serves on [`QUICKSTART_ADDRESS`] (unless a listener is
    /// given), accepts the quickstart key pair ([`QUICKSTART_ACCESS_KEY_ID`]) and offers a
    /// `default_namespace_prefix` such as `s3://quickstart` (unless one is given).
    pub fn quickstart(mut self) -> Self {
        self.quickstart = true;
        self.access_key_id = QUICKSTART_ACCESS_KEY_ID.to_string();
        self.secret_access_key = QUICKSTART_SECRET_ACCESS_KEY.to_string();
        self
    }

    /// Faults to inject from the start (see [`FakeLakeFs::set_faults`] to change them later).
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Caps each connection to the API, per direction, as real servers and proxies do.
    pub fn api_bandwidth(mut self, limit: Bandwidth) -> Self {
        self.api_bandwidth = limit;
        self
    }

    /// Caps each connection to the object store, per direction: real object stores limit
    /// every connection, which is why parallel transfers pay off.
    pub fn storage_bandwidth(mut self, limit: Bandwidth) -> Self {
        self.storage_bandwidth = limit;
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
            None if self.quickstart => std::net::TcpListener::bind(QUICKSTART_ADDRESS)?,
            None => std::net::TcpListener::bind(("127.0.0.1", 0))?,
        };
        let default_namespace_prefix = self.default_namespace_prefix.clone().or_else(|| {
            self.quickstart
                .then(|| quickstart_prefix(self.blockstore).to_string())
        });
        let storage_listener = match self.storage_listener {
            Some(listener) => listener,
            None => std::net::TcpListener::bind(("127.0.0.1", 0))?,
        };
        let blobs = match &self.data_dir {
            Some(directory) => blobs::BlobStore::on_disk(directory)?,
            None => blobs::BlobStore::in_memory(),
        };
        let multi = !self.extra_storages.is_empty();
        let default_id = multi.then(|| "default".to_string());
        let storages = std::iter::once((default_id, self.blockstore))
            .chain(
                self.extra_storages
                    .into_iter()
                    .map(|(id, kind)| (Some(id), kind)),
            )
            .map(|(id, kind)| {
                let presign = self.presign && kind.can_presign();
                config::Storage {
                    id,
                    blockstore: kind,
                    presign,
                    presign_multipart: presign
                        && self.presign_multipart
                        && kind.can_presign_multipart(),
                    default_namespace_prefix: default_namespace_prefix.clone(),
                }
            })
            .collect();
        let config = Arc::new(config::Config {
            storages,
            store_endpoint: format!("http://{}", storage_listener.local_addr()?),
            secret: sign::new_secret(),
            url_expiry: i64::try_from(self.url_expiry.as_secs()).unwrap_or(i64::MAX),
        });
        let mut state = State::new(clock::now(), config);
        state.faults.set(self.faults);
        let shared = Arc::new(server::Shared {
            state: Mutex::new(state),
            blobs,
            auth: Box::new(auth::Auth::new(
                self.access_key_id.clone(),
                self.secret_access_key.clone(),
                self.auth,
            )),
        });
        let running = server::spawn(
            vec![
                (listener, server::Role::Api, self.api_bandwidth),
                (
                    storage_listener,
                    server::Role::Storage,
                    self.storage_bandwidth,
                ),
            ],
            Arc::clone(&shared),
            self.workers,
        )?;
        Ok(FakeLakeFs {
            running,
            shared,
            access_key_id: self.access_key_id,
            secret_access_key: self.secret_access_key,
        })
    }

    /// [`spawn`](Self::spawn), for async callers.
    pub async fn start(self) -> io::Result<FakeLakeFs> {
        self.spawn()
    }
}

/// The namespace prefix a quickstart lakeFS offers on each blockstore.
fn quickstart_prefix(blockstore: Blockstore) -> &'static str {
    match blockstore {
        Blockstore::S3 => "s3://quickstart",
        Blockstore::Azure => "https://quickstart.blob.core.windows.net/quickstart",
        Blockstore::Gs => "gs://quickstart",
        Blockstore::Local => "local://quickstart",
        Blockstore::Mem => "mem://quickstart",
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
        format!("http://{}", self.running.addresses[0])
    }

    /// The base URL of the simulated object store, e.g. `http://127.0.0.1:41235`: presigned
    /// URLs point there.
    pub fn storage_endpoint(&self) -> String {
        format!("http://{}", self.running.addresses[1])
    }

    /// Moves the clock that presigned URLs and staged addresses expire on forward (or back),
    /// so that expiry is testable without waiting.
    pub fn advance_clock(&self, by: Duration) {
        let seconds = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        let mut state = self.shared.lock();
        state.clock_offset = state.clock_offset.saturating_add(seconds);
    }

    /// Replaces the faults in force (their counters start again).
    pub fn set_faults(&self, faults: Faults) {
        self.shared.lock().faults.set(faults);
    }

    /// Puts an object into the simulated object store at a physical address such as
    /// `s3://bucket/path/file.csv` (for imports and links of existing data).
    pub async fn seed_object(&self, address: &str, data: &[u8]) -> io::Result<()> {
        let blob = self.shared.blobs.store_bytes(data).await?;
        self.shared
            .lock()
            .store_object(address, blob, "application/octet-stream");
        Ok(())
    }

    /// The multipart uploads of the object store still open: a client that completed or
    /// aborted every upload leaves none.
    pub fn open_multipart_uploads(&self) -> Vec<OpenMultipartUpload> {
        self.shared
            .lock()
            .store
            .uploads
            .iter()
            .map(|(id, upload)| OpenMultipartUpload {
                upload_id: id.clone(),
                key: upload.key.clone(),
                parts: upload.parts.keys().copied().collect(),
            })
            .collect()
    }

    /// The requests the simulated object store has seen so far.
    pub fn store_requests(&self) -> StoreRequests {
        self.shared.lock().store_requests
    }

    /// A one-time code for `stsLogin` as user `user`, as an OIDC provider's redirect to
    /// `redirect_uri` would carry it with `state`.
    pub fn issue_sts_code(&self, user: &str, state: &str, redirect_uri: &str) -> String {
        self.shared.auth.issue_sts_code(user, state, redirect_uri)
    }

    /// What authentication has seen so far: logins of each kind, requests refused with 401.
    pub fn auth_counters(&self) -> AuthCounters {
        self.shared.auth.counters()
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
