//! [`LakeFsStore`] and its builder: one repository, its keys mapped onto refs.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;

use lakefs_api::LakeFsClient;

use crate::data::DataPath;
use crate::keys::{Layout, parse_url};
use crate::multipart::PendingMultipart;

/// Whether object data goes straight to the object store through presigned URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Presign {
    /// Presigned when the repository's storage supports it, else through the lakeFS API.
    #[default]
    Auto,
    /// Always presigned: fails when the storage does not support it.
    Always,
    /// Always through the lakeFS API.
    Never,
}

/// The default size of the parts of a multipart upload: S3's minimum, 5 MiB.
pub const DEFAULT_PART_SIZE: u64 = 5 * 1024 * 1024;
/// The default number of parts or ranges transferred at once (lakectl's upload value).
pub const DEFAULT_CONCURRENCY: usize = 5;
/// Objects asked for per `listObjects` page (lakeFS's maximum).
pub(crate) const LIST_PAGE: i64 = 1000;
/// Paths per `deleteObjects` call (lakeFS's maximum).
pub(crate) const DELETE_BATCH: usize = 1000;

/// How the store moves data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Settings {
    pub(crate) presign: Presign,
    pub(crate) part_size: u64,
    pub(crate) concurrency: usize,
}

/// One lakeFS repository as an `object_store::ObjectStore`.
///
/// Keys are `<ref>/<path>`, the layout of lakeFS's S3 gateway, so that
/// `lakefs://repo/main/data/x.parquet` means object `data/x.parquet` of branch `main`; a store
/// built with a fixed ref ([`LakeFsStoreBuilder::with_ref`]) takes plain paths instead. Reads
/// work on any ref (branch, tag, commit id, `main~1`); writes need a branch.
///
/// ```no_run
/// # fn run(client: lakefs_api::LakeFsClient) {
/// use std::sync::Arc;
/// let store = Arc::new(lakefs_object_store::LakeFsStore::new(client, "my-repo"));
/// // e.g. DataFusion: ctx.register_object_store(&url::Url::parse("lakefs://my-repo").unwrap(), store);
/// # let _ = store; }
/// ```
pub struct LakeFsStore {
    pub(crate) data: DataPath,
    pub(crate) layout: Layout,
    pub(crate) settings: Settings,
    /// Uploads of the low-level `MultipartStore` API, by id.
    pub(crate) multipart: Mutex<HashMap<String, PendingMultipart>>,
    pub(crate) next_multipart_id: AtomicU64,
}

impl LakeFsStore {
    /// A store of `repository` whose keys are `<ref>/<path>`, with default settings.
    pub fn new(client: LakeFsClient, repository: impl Into<String>) -> LakeFsStore {
        LakeFsStore::from_parts(
            client,
            repository.into(),
            Layout::RefInKey,
            LakeFsStoreBuilder::default().settings,
        )
    }

    /// A builder: client from the environment or given, fixed ref, presign, part size,
    /// concurrency.
    pub fn builder() -> LakeFsStoreBuilder {
        LakeFsStoreBuilder::default()
    }

    fn from_parts(
        client: LakeFsClient,
        repository: String,
        layout: Layout,
        settings: Settings,
    ) -> LakeFsStore {
        LakeFsStore {
            data: DataPath {
                client,
                repository,
                settings,
            },
            layout,
            settings,
            multipart: Mutex::default(),
            next_multipart_id: AtomicU64::new(1),
        }
    }

    /// The repository this store serves.
    pub fn repository(&self) -> &str {
        &self.data.repository
    }

    /// The ref every key is under, when the store was built with one.
    pub fn fixed_ref(&self) -> Option<&str> {
        self.layout.fixed_ref()
    }

    /// The client the store calls lakeFS with.
    pub fn client(&self) -> &LakeFsClient {
        &self.data.client
    }
}

impl fmt::Display for LakeFsStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.fixed_ref() {
            Some(ref_) => write!(f, "LakeFsStore(lakefs://{}/{ref_})", self.repository()),
            None => write!(f, "LakeFsStore(lakefs://{})", self.repository()),
        }
    }
}

impl fmt::Debug for LakeFsStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LakeFsStore")
            .field("repository", &self.data.repository)
            .field("fixed_ref", &self.fixed_ref())
            .field("endpoint", &self.data.client.base_url().as_str())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// Builds a [`LakeFsStore`].
///
/// ```no_run
/// # fn run() -> lakefs_api::Result<()> {
/// use lakefs_object_store::{LakeFsStore, Presign};
/// let store = LakeFsStore::builder()
///     .from_env()                      // LAKECTL_* variables or ~/.lakectl.yaml
///     .with_url("lakefs://my-repo/main")? // repository my-repo, keys are paths on main
///     .with_presign(Presign::Never)
///     .with_concurrency(8)
///     .build()?;
/// # let _ = store; Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "a builder does nothing until built"]
pub struct LakeFsStoreBuilder {
    client: Option<lakefs_api::Result<LakeFsClient>>,
    repository: Option<String>,
    fixed_ref: Option<String>,
    settings: Settings,
}

impl Default for LakeFsStoreBuilder {
    fn default() -> Self {
        LakeFsStoreBuilder {
            client: None,
            repository: None,
            fixed_ref: None,
            settings: Settings {
                presign: Presign::Auto,
                part_size: DEFAULT_PART_SIZE,
                concurrency: DEFAULT_CONCURRENCY,
            },
        }
    }
}

impl LakeFsStoreBuilder {
    /// Calls lakeFS with `client`.
    pub fn with_client(mut self, client: LakeFsClient) -> Self {
        self.client = Some(Ok(client));
        self
    }

    /// Calls lakeFS with a client configured as lakectl is ([`LakeFsClient::from_env`]:
    /// `LAKECTL_*` variables, then `~/.lakectl.yaml`); a configuration error is reported by
    /// [`build`](Self::build).
    pub fn from_env(mut self) -> Self {
        self.client = Some(LakeFsClient::from_env());
        self
    }

    /// The repository to serve.
    pub fn with_repository(mut self, repository: impl Into<String>) -> Self {
        self.repository = Some(repository.into());
        self
    }

    /// Binds every key to `ref_`: keys are plain object paths. Writes need `ref_` to be a
    /// branch.
    pub fn with_ref(mut self, ref_: impl Into<String>) -> Self {
        self.fixed_ref = Some(ref_.into());
        self
    }

    /// Repository and, when given, fixed ref from a URL `lakefs://<repository>[/<ref>]`.
    pub fn with_url(mut self, url: &str) -> lakefs_api::Result<Self> {
        let (repository, ref_) = parse_url(url).map_err(lakefs_api::Error::InvalidArgument)?;
        self.repository = Some(repository);
        self.fixed_ref = ref_;
        Ok(self)
    }

    /// Whether data goes through presigned URLs (default [`Presign::Auto`]).
    pub fn with_presign(mut self, presign: Presign) -> Self {
        self.settings.presign = presign;
        self
    }

    /// The size of multipart upload parts; smaller parts handed to an upload are joined up
    /// to it. At least 5 MiB (S3's minimum), the default.
    pub fn with_part_size(mut self, bytes: u64) -> Self {
        self.settings.part_size = bytes.max(DEFAULT_PART_SIZE);
        self
    }

    /// Parts or ranges transferred at once (default 5, at least 1).
    pub fn with_concurrency(mut self, transfers: usize) -> Self {
        self.settings.concurrency = transfers.max(1);
        self
    }

    /// The store, or why it cannot be built (no client or repository, a client
    /// configuration error).
    pub fn build(self) -> lakefs_api::Result<LakeFsStore> {
        let client = self.client.ok_or_else(|| {
            lakefs_api::Error::Config("no lakeFS client: call with_client or from_env".to_string())
        })??;
        let repository = self.repository.ok_or_else(|| {
            lakefs_api::Error::Config("no repository: call with_repository or with_url".to_string())
        })?;
        let layout = match self.fixed_ref {
            Some(ref_) if !ref_.is_empty() => Layout::FixedRef(ref_),
            _ => Layout::RefInKey,
        };
        Ok(LakeFsStore::from_parts(
            client,
            repository,
            layout,
            self.settings,
        ))
    }
}
