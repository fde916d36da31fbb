//! [`Client`] and its builder.

use crate::call::{Async, Mode};
use crate::{Repository, Result};
use futures::stream::BoxStream;
use lakefs_api::{
    ConfigApi, LakeFsClient, LakectlSettings, RepositoriesApiExt, RetryConfig, Secret, models,
};
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

/// The entry point: a cheap-to-clone handle on a lakeFS server, from which every other handle
/// comes ([`Client::repository`]).
///
/// ```no_run
/// # async fn run() -> lakefs::Result<()> {
/// let client = lakefs::Client::from_env()?; // LAKECTL_* variables or ~/.lakectl.yaml
/// let repo = client.repository("my-repo");
/// println!("default branch: {}", repo.properties().await?.default_branch);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    api: LakeFsClient,
    server: Arc<tokio::sync::OnceCell<models::Config>>,
}

impl Client {
    /// A client configured as lakectl is: explicit settings, then `LAKECTL_*` environment
    /// variables, then `~/.lakectl.yaml` (or `$LAKECTL_CONFIG_FILE`).
    pub fn from_env() -> Result<Client> {
        Client::builder().with_lakectl_settings()?.build()
    }

    /// A builder with nothing set yet.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client on a low-level client (same connections, credentials, retries and timeouts).
    pub fn new(api: LakeFsClient) -> Client {
        Client {
            api,
            server: Arc::default(),
        }
    }

    /// The low-level client underneath: every operation of the API, for what the handles do
    /// not cover.
    pub fn api(&self) -> &LakeFsClient {
        &self.api
    }

    /// A handle on the repository `id` (nothing is sent until you call one of its methods).
    pub fn repository(&self, id: impl Into<String>) -> Repository {
        Repository::new(self.clone(), id.into())
    }

    /// Every repository, page after page.
    pub fn repositories(&self) -> BoxStream<'static, Result<models::Repository>> {
        self.api.list_repositories_stream(Default::default())
    }

    /// The server's configuration (version, storage: blockstore type, presign support,
    /// default namespace prefix), fetched once per client and its clones.
    pub async fn server_config(&self) -> Result<models::Config> {
        let api = self.api.clone();
        self.server
            .get_or_try_init(|| async move { api.get_config().await })
            .await
            .cloned()
    }
}

impl From<LakeFsClient> for Client {
    fn from(api: LakeFsClient) -> Self {
        Client::new(api)
    }
}

/// Builds a [`Client`] (or, with the `blocking` feature, a `lakefs::blocking::Client`):
/// the settings of `lakefs_api::LakeFsClientBuilder`, forwarded.
#[derive(Debug)]
pub struct ClientBuilder<M = Async> {
    pub(crate) api: lakefs_api::LakeFsClientBuilder,
    mode: PhantomData<M>,
}

impl<M> Default for ClientBuilder<M> {
    fn default() -> Self {
        ClientBuilder {
            api: lakefs_api::LakeFsClient::builder(),
            mode: PhantomData,
        }
    }
}

impl<M: Mode> ClientBuilder<M> {
    /// The lakeFS endpoint: `http://host:8000` or `http://host:8000/api/v1`.
    pub fn endpoint(self, endpoint: impl Into<String>) -> Self {
        self.map(|b| b.endpoint(endpoint))
    }

    /// Authenticates with an access key pair.
    pub fn access_key(
        self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<Secret>,
    ) -> Self {
        self.map(|b| b.access_key(access_key_id, secret_access_key))
    }

    /// Authenticates with a bearer token.
    pub fn bearer_token(self, token: impl Into<Secret>) -> Self {
        self.map(|b| b.bearer_token(token))
    }

    /// Fills what is not set explicitly from `LAKECTL_*` variables and the lakectl file.
    pub fn with_lakectl_settings(self) -> Result<Self> {
        Ok(ClientBuilder {
            api: self.api.with_lakectl_settings()?,
            mode: PhantomData,
        })
    }

    /// Uses these lakectl-style settings for what is not set explicitly.
    pub fn lakectl_settings(self, settings: LakectlSettings) -> Self {
        self.map(|b| b.lakectl_settings(settings))
    }

    /// Time allowed for a whole call that does not stream a body; `None` disables it.
    pub fn request_timeout(self, timeout: Option<Duration>) -> Self {
        self.map(|b| b.request_timeout(timeout))
    }

    /// How long an upload or download may go without progress; `None` disables it.
    pub fn read_timeout(self, timeout: Option<Duration>) -> Self {
        self.map(|b| b.read_timeout(timeout))
    }

    /// How failed calls are retried.
    pub fn retry(self, retry: RetryConfig) -> Self {
        self.map(|b| b.retry(retry))
    }

    /// Changes the low-level builder, for settings not forwarded here (TLS roots, user agent,
    /// connect timeout, ...).
    pub fn configure(
        self,
        change: impl FnOnce(lakefs_api::LakeFsClientBuilder) -> lakefs_api::LakeFsClientBuilder,
    ) -> Self {
        self.map(change)
    }

    fn map(
        self,
        change: impl FnOnce(lakefs_api::LakeFsClientBuilder) -> lakefs_api::LakeFsClientBuilder,
    ) -> Self {
        ClientBuilder {
            api: change(self.api),
            mode: PhantomData,
        }
    }
}

impl ClientBuilder<Async> {
    /// Builds the client; fails, without sending anything, when no endpoint is set or a
    /// setting is invalid.
    pub fn build(self) -> Result<Client> {
        Ok(Client::new(self.api.build()?))
    }
}
