//! The blocking [`LakeFsClient`]: an async client and the runtime that drives it.

use lakefs_api::{Error, LakeFsClientBuilder, Result};
use std::future::Future;
use std::sync::Arc;

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
    /// The async builder: configure it, then pass it to [`LakeFsClient::from_builder`].
    pub fn builder() -> LakeFsClientBuilder {
        lakefs_api::LakeFsClient::builder()
    }

    /// Builds a blocking client from an async client builder.
    ///
    /// ```no_run
    /// # fn run() -> lakefs_blocking::Result<()> {
    /// let client = lakefs_blocking::LakeFsClient::from_builder(
    ///     lakefs_blocking::LakeFsClient::builder()
    ///         .endpoint("http://localhost:8000")
    ///         .access_key("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    /// )?;
    /// # Ok(()) }
    /// ```
    pub fn from_builder(builder: LakeFsClientBuilder) -> Result<LakeFsClient> {
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
        Self::from_builder(LakeFsClient::builder().with_lakectl_settings()?)
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
