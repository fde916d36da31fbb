//! [`LakeFsClient`] and its builder.

use crate::config::{Credentials, LakectlSettings, Secret, normalize_endpoint};
use crate::error::{Error, Result};
use crate::retry::RetryConfig;
use std::sync::Arc;
use std::time::Duration;

/// Default time allowed to open a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed for a whole call that does not stream a body.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// Default time a streaming upload or download may stay idle.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// The async lakeFS client. It implements every API trait ([`RepositoriesApi`](crate::RepositoriesApi),
/// [`BranchesApi`](crate::BranchesApi), ...).
///
/// Cloning is cheap (the state is shared), so clones can be moved into tasks and streams.
///
/// ```no_run
/// use lakefs_api::{LakeFsClient, RepositoriesApi, RepositoriesApiExt, ListRepositoriesOptions};
/// use futures::TryStreamExt;
///
/// # async fn run() -> lakefs_api::Result<()> {
/// let client = LakeFsClient::builder()
///     .endpoint("http://localhost:8000")
///     .access_key("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
///     .build()?;
/// let repositories: Vec<_> = client.list_repositories_stream(ListRepositoriesOptions::default()).try_collect().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct LakeFsClient {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Clone)]
pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: reqwest::Url,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) request_timeout: Option<Duration>,
    /// How long a streaming download may go without data (its headers included).
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) retry: RetryConfig,
    /// The server's storage configuration, fetched once for transfers and shared by clones.
    pub(crate) storage: Arc<crate::transfer::StorageConfigCache>,
}

impl std::fmt::Debug for LakeFsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LakeFsClient")
            .field("base_url", &self.inner.base_url.as_str())
            .field("credentials", &self.inner.credentials)
            .finish_non_exhaustive()
    }
}

impl LakeFsClient {
    /// A builder with nothing set yet.
    pub fn builder() -> LakeFsClientBuilder {
        LakeFsClientBuilder::default()
    }

    /// A client configured as lakectl is: `LAKECTL_*` environment variables, then
    /// `~/.lakectl.yaml` (or `$LAKECTL_CONFIG_FILE`).
    pub fn from_env() -> Result<LakeFsClient> {
        LakeFsClient::builder().with_lakectl_settings()?.build()
    }

    /// The API base URL, e.g. `http://localhost:8000/api/v1`.
    pub fn base_url(&self) -> &reqwest::Url {
        &self.inner.base_url
    }

    /// A client like this one (same connections and credentials) whose non-streaming calls
    /// have this total time limit; for one slow call:
    /// `client.with_request_timeout(Some(Duration::from_secs(600))).merge_into_branch(..)`.
    pub fn with_request_timeout(&self, timeout: Option<Duration>) -> LakeFsClient {
        self.with(|inner| inner.request_timeout = timeout)
    }

    /// A client like this one whose downloads may stay this long without data.
    pub fn with_read_timeout(&self, timeout: Option<Duration>) -> LakeFsClient {
        self.with(|inner| inner.read_timeout = timeout)
    }

    /// A client like this one with another retry policy (e.g. [`RetryConfig::disabled`] for
    /// one call that must be sent once).
    pub fn with_retry(&self, retry: RetryConfig) -> LakeFsClient {
        self.with(|inner| inner.retry = retry)
    }

    fn with(&self, change: impl FnOnce(&mut Inner)) -> LakeFsClient {
        let mut inner = Inner::clone(&self.inner);
        change(&mut inner);
        LakeFsClient {
            inner: Arc::new(inner),
        }
    }
}

/// Builds a [`LakeFsClient`]. Explicit settings win over those read by
/// [`with_lakectl_settings`](Self::with_lakectl_settings).
#[derive(Default)]
pub struct LakeFsClientBuilder {
    endpoint: Option<String>,
    credentials: Option<Credentials>,
    lakectl: LakectlSettings,
    user_agent: Option<String>,
    connect_timeout: Option<Duration>,
    request_timeout: Option<Option<Duration>>,
    read_timeout: Option<Option<Duration>>,
    http_client: Option<reqwest::Client>,
    root_certificates: Vec<reqwest::Certificate>,
    danger_accept_invalid_certs: bool,
    retry: Option<RetryConfig>,
}

impl std::fmt::Debug for LakeFsClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LakeFsClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("credentials", &self.credentials)
            .field("lakectl", &self.lakectl)
            .finish_non_exhaustive()
    }
}

impl LakeFsClientBuilder {
    /// The lakeFS endpoint: `http://host:8000` or `http://host:8000/api/v1`; without a scheme,
    /// `http://` is assumed.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Authenticates with an access key pair (HTTP basic).
    pub fn access_key(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<Secret>,
    ) -> Self {
        self.credentials = Some(Credentials::AccessKey {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
        });
        self
    }

    /// Authenticates with a bearer token (e.g. the token of `login`).
    pub fn bearer_token(mut self, token: impl Into<Secret>) -> Self {
        self.credentials = Some(Credentials::Bearer(token.into()));
        self
    }

    /// Fills the settings not given explicitly from the `LAKECTL_*` environment variables and
    /// the lakectl configuration file.
    pub fn with_lakectl_settings(mut self) -> Result<Self> {
        self.lakectl = LakectlSettings::load()?;
        Ok(self)
    }

    /// Uses these lakectl-style settings for whatever is not set explicitly.
    pub fn lakectl_settings(mut self, settings: LakectlSettings) -> Self {
        self.lakectl = settings;
        self
    }

    /// Replaces the `User-Agent` (default `lakefs-rust/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Time allowed to open a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Time allowed for a whole call that does not stream a body (default 120 s); `None`
    /// disables it. Uploads and downloads have the idle timeout instead (their duration grows
    /// with their size).
    pub fn request_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// How long an upload or a download may go without progress (default 60 s): a download
    /// without data (its headers included), an upload without the connection taking a chunk
    /// or, after the last one, without an answer. A transfer as a whole may take as long as it
    /// needs. `None` disables it.
    pub fn read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.read_timeout = Some(timeout);
        self
    }

    /// Uses this `reqwest::Client` as is: its own TLS, proxy, user agent and connect-timeout
    /// settings apply, and this builder's `user_agent`, `connect_timeout`,
    /// `add_root_certificate` and `danger_accept_invalid_certs` are ignored (the request and
    /// idle timeouts and retries still apply).
    /// It must not follow redirects: the SDK follows presigned redirects itself, without
    /// lakeFS credentials.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Trusts this extra root certificate (PEM or DER) for HTTPS.
    pub fn add_root_certificate(mut self, certificate: reqwest::Certificate) -> Self {
        self.root_certificates.push(certificate);
        self
    }

    /// How failed calls are retried (default: lakectl's policy, see [`RetryConfig`]);
    /// [`RetryConfig::disabled`] sends every call once.
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Accepts any TLS certificate. Dangerous: only for test servers you control.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.danger_accept_invalid_certs = accept;
        self
    }

    /// Builds the client. Fails (without sending anything) when no endpoint is set or a
    /// setting is invalid.
    pub fn build(self) -> Result<LakeFsClient> {
        let endpoint = self
            .endpoint
            .or(self.lakectl.endpoint.clone())
            .ok_or_else(|| {
                Error::Config(format!(
                    "no lakeFS endpoint: call .endpoint(..) or set {}",
                    crate::config::ENV_ENDPOINT
                ))
            })?;
        let base_url = normalize_endpoint(&endpoint)?;
        let credentials = match self.credentials {
            Some(c) => Some(c),
            None => match (self.lakectl.access_key_id, self.lakectl.secret_access_key) {
                (Some(access_key_id), Some(secret_access_key)) => Some(Credentials::AccessKey {
                    access_key_id,
                    secret_access_key,
                }),
                (None, None) => None,
                _ => {
                    return Err(Error::Config(
                        "the lakectl settings have only half of the access key pair".into(),
                    ));
                }
            },
        };
        let request_timeout = self
            .request_timeout
            .unwrap_or(Some(DEFAULT_REQUEST_TIMEOUT));
        let http = match self.http_client {
            Some(client) => client,
            None => {
                let user_agent = self
                    .user_agent
                    .unwrap_or_else(|| format!("lakefs-rust/{}", env!("CARGO_PKG_VERSION")));
                let mut builder = reqwest::Client::builder()
                    .user_agent(user_agent)
                    .redirect(reqwest::redirect::Policy::none())
                    .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                    .danger_accept_invalid_certs(self.danger_accept_invalid_certs);
                for cert in self.root_certificates {
                    builder = builder.add_root_certificate(cert);
                }
                builder
                    .build()
                    .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?
            }
        };
        Ok(LakeFsClient {
            inner: Arc::new(Inner {
                http,
                base_url,
                credentials,
                request_timeout,
                read_timeout: self.read_timeout.unwrap_or(Some(DEFAULT_READ_TIMEOUT)),
                retry: self.retry.unwrap_or_default(),
                storage: Arc::default(),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_of_debug() {
        let client = LakeFsClient::builder()
            .endpoint("localhost:8000")
            .access_key("AKID", "very-secret")
            .build()
            .unwrap();
        let shown = format!("{client:?}");
        assert!(
            shown.contains("AKID") && !shown.contains("very-secret"),
            "{shown}"
        );
        assert_eq!(client.base_url().as_str(), "http://localhost:8000/api/v1");
    }

    #[test]
    fn missing_endpoint_is_a_config_error() {
        let err = LakeFsClient::builder().build().unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err}");
    }

    #[test]
    fn half_a_key_pair_is_refused() {
        let settings = LakectlSettings {
            endpoint: Some("h:1".into()),
            access_key_id: Some("AKID".into()),
            secret_access_key: None,
        };
        let err = LakeFsClient::builder()
            .lakectl_settings(settings)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)));
    }

    #[test]
    fn explicit_settings_win() {
        let settings = LakectlSettings {
            endpoint: Some("http://from-env:1".into()),
            access_key_id: Some("ENVKEY".into()),
            secret_access_key: Some(Secret::new("s")),
        };
        let client = LakeFsClient::builder()
            .lakectl_settings(settings)
            .endpoint("http://explicit:2")
            .bearer_token("tok")
            .build()
            .unwrap();
        assert_eq!(client.base_url().as_str(), "http://explicit:2/api/v1");
        assert!(matches!(
            client.inner.credentials,
            Some(Credentials::Bearer(_))
        ));
    }
}
