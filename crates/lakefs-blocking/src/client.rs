//! The blocking [`LakeFsClient`]: an async client and the runtime that drives it.

use lakefs_api::{Error, LakectlSettings, Result, RetryConfig, Secret};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// The synchronous lakeFS client. It implements every blocking API trait
/// ([`RepositoriesApi`](crate::RepositoriesApi), [`BranchesApi`](crate::BranchesApi), ...).
///
/// It owns a small tokio runtime and its own async client, never shared with another runtime.
/// Cloning is cheap and clones share both; it is `Send + Sync`, so many threads can use it at
/// once. It may be called and dropped anywhere, including inside an async runtime (there the
/// call runs on a helper thread, which blocks the calling task: prefer `lakefs-api` in async
/// code).
///
/// ```no_run
/// use lakefs_blocking::{BranchesApi, LakeFsClient, RepositoriesApiExt, models};
///
/// # fn run() -> lakefs_blocking::Result<()> {
/// let client = LakeFsClient::from_env()?;
/// let commit_id = client.create_branch("my-repo", &models::BranchCreation::new("experiment", "main"))?;
/// for repository in client.list_repositories_iter(Default::default()) {
///     println!("{}", repository?.id);
/// }
/// # let _ = commit_id; Ok(()) }
/// ```
#[derive(Clone)]
pub struct LakeFsClient {
    shared: Arc<Shared>,
}

struct Shared {
    // `Option` so that Drop can take it and shut it down without blocking.
    runtime: Option<tokio::runtime::Runtime>,
    client: lakefs_api::LakeFsClient,
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Never a blocking shutdown: dropping inside an async context must not panic.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl std::fmt::Debug for LakeFsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LakeFsClient")
            .field("client", &self.shared.client)
            .finish_non_exhaustive()
    }
}

impl LakeFsClient {
    /// A builder with nothing set yet; its [`build`](LakeFsClientBuilder::build) returns this
    /// blocking client.
    ///
    /// ```no_run
    /// # fn run() -> lakefs_blocking::Result<()> {
    /// let client = lakefs_blocking::LakeFsClient::builder()
    ///     .endpoint("http://localhost:8000")
    ///     .access_key("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    ///     .build()?;
    /// # let _: lakefs_blocking::LakeFsClient = client;
    /// # Ok(()) }
    /// ```
    pub fn builder() -> LakeFsClientBuilder {
        LakeFsClientBuilder(lakefs_api::LakeFsClient::builder())
    }

    /// Builds a blocking client from a builder: this crate's, or the async one
    /// (`lakefs_api::LakeFsClientBuilder`) for settings that only it has.
    ///
    /// ```no_run
    /// # fn run() -> lakefs_blocking::Result<()> {
    /// let client = lakefs_blocking::LakeFsClient::from_builder(
    ///     lakefs_api::LakeFsClient::builder()
    ///         .endpoint("http://localhost:8000")
    ///         .access_key("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    /// )?;
    /// # Ok(()) }
    /// ```
    pub fn from_builder(
        builder: impl Into<lakefs_api::LakeFsClientBuilder>,
    ) -> Result<LakeFsClient> {
        let builder = builder.into();
        // Callers' threads poll their own calls (`block_on`); one worker drives the I/O and
        // the connection tasks. Measured: a second worker only adds cross-thread wake-ups.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("lakefs-blocking")
            .enable_all()
            .build()
            .map_err(|source| Error::LocalIo {
                context: "cannot start the blocking client's runtime".into(),
                source,
            })?;
        let client = {
            let _entered = runtime.enter();
            builder.build()
        };
        match client {
            Ok(client) => Ok(LakeFsClient {
                shared: Arc::new(Shared {
                    runtime: Some(runtime),
                    client,
                }),
            }),
            Err(e) => {
                runtime.shutdown_background();
                Err(e)
            }
        }
    }

    /// A client configured as lakectl is (`LAKECTL_*` variables, then `~/.lakectl.yaml`).
    pub fn from_env() -> Result<LakeFsClient> {
        LakeFsClient::builder().with_lakectl_settings()?.build()
    }

    /// The async client underneath, for the rare call that should be async after all.
    /// Use it only on this client's runtime (through [`LakeFsClient::block_on`]).
    pub fn async_client(&self) -> &lakefs_api::LakeFsClient {
        &self.shared.client
    }

    /// Runs a future on this client's runtime and waits for it.
    ///
    /// Outside any async runtime the current thread drives it. Inside one (where blocking the
    /// thread with a nested runtime would panic), a scoped helper thread drives it instead.
    pub fn block_on<F>(&self, future: F) -> Result<F::Output>
    where
        F: Future + Send,
        F::Output: Send,
    {
        let runtime = self
            .shared
            .runtime
            .as_ref()
            .ok_or_else(|| Error::Blocking("the runtime has been shut down".into()))?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Ok(runtime.block_on(future));
        }
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("lakefs-blocking-call".into())
                .spawn_scoped(scope, || runtime.block_on(future))
                .map_err(|source| Error::LocalIo {
                    context: "cannot start a helper thread".into(),
                    source,
                })?
                .join()
                .map_err(|_| Error::Blocking("the helper thread running the call panicked".into()))
        })
    }

    /// [`block_on`](Self::block_on) for a call that returns a `Result`.
    pub(crate) fn run<T: Send>(&self, future: impl Future<Output = Result<T>> + Send) -> Result<T> {
        self.block_on(future)?
    }
}

/// Builds a blocking [`LakeFsClient`]: the settings of the async builder
/// (`lakefs_api::LakeFsClientBuilder`), whose client is then built on the blocking client's
/// own runtime.
#[derive(Debug, Default)]
pub struct LakeFsClientBuilder(lakefs_api::LakeFsClientBuilder);

impl LakeFsClientBuilder {
    /// The lakeFS endpoint: `http://host:8000` or `http://host:8000/api/v1`.
    pub fn endpoint(self, endpoint: impl Into<String>) -> Self {
        Self(self.0.endpoint(endpoint))
    }

    /// Authenticates with an access key pair (HTTP basic).
    pub fn access_key(
        self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<Secret>,
    ) -> Self {
        Self(self.0.access_key(access_key_id, secret_access_key))
    }

    /// Authenticates with a bearer token.
    pub fn bearer_token(self, token: impl Into<Secret>) -> Self {
        Self(self.0.bearer_token(token))
    }

    /// Takes credentials from this provider (see [`lakefs_api::auth`]): it logs in and
    /// renews tokens on the blocking client's own runtime.
    pub fn credentials_provider(
        self,
        provider: impl lakefs_api::auth::CredentialsProvider + 'static,
    ) -> Self {
        Self(self.0.credentials_provider(provider))
    }

    /// How long before their expiry credentials are renewed (default 5 minutes).
    pub fn refresh_ahead(self, ahead: Duration) -> Self {
        Self(self.0.refresh_ahead(ahead))
    }

    /// The clock credentials expire on (default the system clock).
    pub fn clock(self, clock: Arc<dyn lakefs_api::auth::Clock>) -> Self {
        Self(self.0.clock(clock))
    }

    /// Fills the settings not given explicitly from the `LAKECTL_*` environment variables and
    /// the lakectl configuration file.
    pub fn with_lakectl_settings(self) -> Result<Self> {
        Ok(Self(self.0.with_lakectl_settings()?))
    }

    /// Uses these lakectl-style settings for whatever is not set explicitly.
    pub fn lakectl_settings(self, settings: LakectlSettings) -> Self {
        Self(self.0.lakectl_settings(settings))
    }

    /// Replaces the `User-Agent`.
    pub fn user_agent(self, user_agent: impl Into<String>) -> Self {
        Self(self.0.user_agent(user_agent))
    }

    /// Time allowed to open a connection.
    pub fn connect_timeout(self, timeout: Duration) -> Self {
        Self(self.0.connect_timeout(timeout))
    }

    /// Time allowed for a whole call that does not stream a body; `None` disables it.
    pub fn request_timeout(self, timeout: Option<Duration>) -> Self {
        Self(self.0.request_timeout(timeout))
    }

    /// How long an upload or a download may go without progress; `None` disables it.
    pub fn read_timeout(self, timeout: Option<Duration>) -> Self {
        Self(self.0.read_timeout(timeout))
    }

    /// The budget of a whole call: every attempt, the waits between them and reading the
    /// answer (default 300 s); streamed bodies have the transfer guards instead. `None`
    /// disables it.
    pub fn call_budget(self, budget: Option<Duration>) -> Self {
        Self(self.0.call_budget(budget))
    }

    /// The slowest an upload or download may move (default 1 KiB/s averaged over 30 s);
    /// `None` turns the guard off.
    pub fn min_throughput(self, min: Option<lakefs_api::MinThroughput>) -> Self {
        Self(self.0.min_throughput(min))
    }

    /// The longest an upload or download may take in all (default: no limit).
    pub fn transfer_timeout(self, timeout: Duration) -> Self {
        Self(self.0.transfer_timeout(timeout))
    }

    /// The largest JSON or text answer accepted (default 64 MiB).
    pub fn max_answer_bytes(self, bytes: usize) -> Self {
        Self(self.0.max_answer_bytes(bytes))
    }

    /// At most this many requests of this client (and its clones) in flight at once
    /// (default: no limit).
    pub fn max_concurrent_requests(self, requests: usize) -> Self {
        Self(self.0.max_concurrent_requests(requests))
    }

    /// How failed calls are retried.
    pub fn retry(self, retry: RetryConfig) -> Self {
        Self(self.0.retry(retry))
    }

    /// Changes the async builder underneath, for settings this one does not forward (extra
    /// root certificates, ...).
    pub fn configure(
        self,
        change: impl FnOnce(lakefs_api::LakeFsClientBuilder) -> lakefs_api::LakeFsClientBuilder,
    ) -> Self {
        Self(change(self.0))
    }

    /// Builds the blocking client (and its runtime). Fails, without sending anything, when no
    /// endpoint is set or a setting is invalid.
    pub fn build(self) -> Result<LakeFsClient> {
        LakeFsClient::from_builder(self.0)
    }
}

impl From<LakeFsClientBuilder> for lakefs_api::LakeFsClientBuilder {
    fn from(builder: LakeFsClientBuilder) -> Self {
        builder.0
    }
}
