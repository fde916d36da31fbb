//! [`LakeFsClient`] and its builder.

use crate::auth::{
    Authenticator, Clock, CredentialsProvider, DEFAULT_REFRESH_AHEAD, StaticCredentials,
    SystemClock,
};
use crate::config::{Credentials, LakectlCredentials, LakectlSettings, Secret, normalize_endpoint};
use crate::error::{Error, Result};
use crate::retry::RetryConfig;
use crate::transfer::{DEFAULT_MIN_THROUGHPUT, MinThroughput, TransferLimits};
use std::sync::Arc;
use std::time::Duration;

/// Default time allowed to open a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed for one attempt of a call that does not stream a body.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// Default time any read may wait for data (every body, and a streaming transfer's progress).
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Default budget of a whole call: every attempt, the waits between them and reading the
/// answer (streamed bodies excepted).
pub const DEFAULT_CALL_BUDGET: Duration = Duration::from_secs(300);
/// Default size limit of a JSON or text answer: 64 MiB (a list page of 1000 objects with
/// metadata is a few MiB).
pub const DEFAULT_MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;

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
    /// Where the credentials of calls come from (`None`: calls go without).
    pub(crate) auth: Option<Arc<Authenticator>>,
    pub(crate) request_timeout: Option<Duration>,
    /// How long any read may wait for data; a streaming transfer's idle timeout.
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) retry: RetryConfig,
    /// The server's storage configuration, fetched once for transfers and shared by clones.
    pub(crate) storage: Arc<crate::transfer::StorageConfigCache>,
    /// All attempts of a call, the waits between them and reading its answer.
    pub(crate) call_budget: Option<Duration>,
    pub(crate) max_answer_bytes: usize,
    pub(crate) min_throughput: Option<MinThroughput>,
    pub(crate) transfer_timeout: Option<Duration>,
    /// The per-client limit of requests in flight, if any.
    pub(crate) concurrency: Option<Arc<tokio::sync::Semaphore>>,
}

impl Inner {
    /// The guards of one streaming transfer.
    pub(crate) fn transfer_limits(&self) -> TransferLimits {
        TransferLimits {
            idle_timeout: self.read_timeout,
            min_throughput: self.min_throughput,
            total_timeout: self.transfer_timeout,
        }
    }
}

impl std::fmt::Debug for LakeFsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LakeFsClient")
            .field("base_url", &self.inner.base_url.as_str())
            .field("auth", &self.inner.auth)
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

    /// A client like this one whose calls have this budget (all attempts and the waits
    /// between them); `None` for none.
    pub fn with_call_budget(&self, budget: Option<Duration>) -> LakeFsClient {
        self.with(|inner| inner.call_budget = budget)
    }

    /// A client like this one whose uploads and downloads have these guards (the idle
    /// timeout of `limits` replaces the read timeout).
    pub fn with_transfer_limits(&self, limits: TransferLimits) -> LakeFsClient {
        self.with(|inner| {
            inner.read_timeout = limits.idle_timeout;
            inner.min_throughput = limits.min_throughput;
            inner.transfer_timeout = limits.total_timeout;
        })
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
    provider: Option<Arc<dyn CredentialsProvider>>,
    refresh_ahead: Option<Duration>,
    clock: Option<Arc<dyn Clock>>,
    lakectl: LakectlSettings,
    user_agent: Option<String>,
    connect_timeout: Option<Duration>,
    request_timeout: Option<Option<Duration>>,
    read_timeout: Option<Option<Duration>>,
    http_client: Option<reqwest::Client>,
    root_certificates: Vec<reqwest::Certificate>,
    danger_accept_invalid_certs: bool,
    retry: Option<RetryConfig>,
    call_budget: Option<Option<Duration>>,
    max_answer_bytes: Option<usize>,
    min_throughput: Option<Option<MinThroughput>>,
    transfer_timeout: Option<Duration>,
    max_concurrent_requests: Option<usize>,
}

impl std::fmt::Debug for LakeFsClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LakeFsClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("credentials", &self.credentials)
            .field("provider", &self.provider)
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
        self.provider = None;
        self
    }

    /// Authenticates with a bearer token nobody renews (e.g. one from `login`); for a token
    /// that renews itself use [`LoginProvider`](crate::auth::LoginProvider).
    pub fn bearer_token(mut self, token: impl Into<Secret>) -> Self {
        self.credentials = Some(Credentials::Bearer(token.into()));
        self.provider = None;
        self
    }

    /// Takes credentials from this provider (see [`auth`](crate::auth)): it replaces
    /// [`access_key`](Self::access_key) and [`bearer_token`](Self::bearer_token), and the
    /// lakectl credentials.
    pub fn credentials_provider(mut self, provider: impl CredentialsProvider + 'static) -> Self {
        self.provider = Some(Arc::new(provider));
        self.credentials = None;
        self
    }

    /// How long before their expiry credentials are renewed (default 5 minutes,
    /// [`DEFAULT_REFRESH_AHEAD`]); never before half their lifetime.
    pub fn refresh_ahead(mut self, ahead: Duration) -> Self {
        self.refresh_ahead = Some(ahead);
        self
    }

    /// The clock credentials expire on (default the system clock): a
    /// [`ManualClock`](crate::auth::ManualClock) makes expiry testable without waiting.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
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

    /// Time allowed for one attempt of a call that does not stream a body (default 120 s);
    /// `None` disables it. Uploads and downloads have their transfer guards instead (their
    /// duration grows with their size).
    pub fn request_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// Time allowed for a whole call (default 300 s): every attempt, the waits between them
    /// (a `Retry-After` that would pass it ends the call at once) and reading the answer.
    /// A streamed body (the content of an upload or a download) is outside it: it has the
    /// transfer guards. `None` disables it.
    pub fn call_budget(mut self, budget: Option<Duration>) -> Self {
        self.call_budget = Some(budget);
        self
    }

    /// How long any read may wait for data (default 60 s): every answer and error body, a
    /// download's headers and data, an upload whose connection takes no chunk or, after the
    /// last one, sends no answer. `None` disables it.
    pub fn read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.read_timeout = Some(timeout);
        self
    }

    /// The slowest an upload or download may move (default 1 KiB/s averaged over 30 s, as the
    /// AWS SDK's stalled-stream protection); `None` turns the guard off.
    pub fn min_throughput(mut self, min: Option<MinThroughput>) -> Self {
        self.min_throughput = Some(min);
        self
    }

    /// The longest an upload or download may take in all, headers included (default: no
    /// limit, the idle timeout and the minimum throughput bound it).
    pub fn transfer_timeout(mut self, timeout: Duration) -> Self {
        self.transfer_timeout = Some(timeout);
        self
    }

    /// The largest JSON or text answer accepted (default 64 MiB,
    /// [`DEFAULT_MAX_ANSWER_BYTES`]); a larger one is an [`Error::Decode`], refused before
    /// reading when its `Content-Length` says so. Error bodies are read up to 64 KiB.
    pub fn max_answer_bytes(mut self, bytes: usize) -> Self {
        self.max_answer_bytes = Some(bytes);
        self
    }

    /// At most this many requests of this client (and its clones) in flight at once; the
    /// others wait for a turn, within their call's budget (default: no limit). A download
    /// holds its turn until its body is read or dropped.
    pub fn max_concurrent_requests(mut self, requests: usize) -> Self {
        self.max_concurrent_requests = Some(requests.max(1));
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
        let mut refresh_ahead = self.refresh_ahead;
        let provider = match (self.provider, self.credentials) {
            (Some(provider), _) => Some(provider),
            (None, Some(credentials)) => Some(static_provider(credentials)?),
            (None, None) => match self.lakectl.credentials(&base_url)? {
                Some(LakectlCredentials::Static(credentials)) => {
                    Some(static_provider(credentials)?)
                }
                Some(LakectlCredentials::Provider(provider)) => {
                    refresh_ahead = refresh_ahead.or(self.lakectl.aws_iam.refresh_interval);
                    Some(provider)
                }
                None => None,
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
        let mut inner = Inner {
            http,
            base_url,
            auth: None,
            request_timeout,
            read_timeout: self.read_timeout.unwrap_or(Some(DEFAULT_READ_TIMEOUT)),
            retry: self.retry.unwrap_or_default(),
            storage: Arc::default(),
            call_budget: self.call_budget.unwrap_or(Some(DEFAULT_CALL_BUDGET)),
            max_answer_bytes: self.max_answer_bytes.unwrap_or(DEFAULT_MAX_ANSWER_BYTES),
            min_throughput: self.min_throughput.unwrap_or(Some(DEFAULT_MIN_THROUGHPUT)),
            transfer_timeout: self.transfer_timeout,
            concurrency: self
                .max_concurrent_requests
                .map(|n| Arc::new(tokio::sync::Semaphore::new(n))),
        };
        if let Some(provider) = provider {
            let login_client = LakeFsClient {
                inner: Arc::new(inner.clone()),
            };
            inner.auth = Some(Arc::new(Authenticator::new(
                provider,
                login_client,
                self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
                refresh_ahead.unwrap_or(DEFAULT_REFRESH_AHEAD),
            )));
        }
        Ok(LakeFsClient {
            inner: Arc::new(inner),
        })
    }
}

/// Static credentials, checked now rather than at the first call.
fn static_provider(credentials: Credentials) -> Result<Arc<dyn CredentialsProvider>> {
    check_credentials(&credentials)?;
    Ok(Arc::new(StaticCredentials::new(credentials)))
}

/// Credentials that cannot go in a header are a configuration error, found before any call
/// (the message never shows them).
pub(crate) fn check_credentials(credentials: &Credentials) -> Result<()> {
    let header_safe = |value: &str| {
        reqwest::header::HeaderValue::from_str(value).is_ok() && !value.contains(['\r', '\n', '\0'])
    };
    match credentials {
        Credentials::AccessKey {
            access_key_id,
            secret_access_key,
        } => {
            if !header_safe(access_key_id) || access_key_id.contains(':') {
                return Err(Error::Config(
                    "the access key id contains characters not allowed (control characters or ':')"
                        .into(),
                ));
            }
            if !header_safe(secret_access_key.expose()) {
                return Err(Error::Config(
                    "the secret access key contains control characters".into(),
                ));
            }
        }
        Credentials::Bearer(token) => {
            if !header_safe(token.expose()) {
                return Err(Error::Config(
                    "the bearer token contains characters not allowed in a header (control \
                     characters such as CR or LF)"
                        .into(),
                ));
            }
        }
    }
    Ok(())
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
            ..Default::default()
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
            ..Default::default()
        };
        let client = LakeFsClient::builder()
            .lakectl_settings(settings)
            .endpoint("http://explicit:2")
            .bearer_token("tok")
            .build()
            .unwrap();
        assert_eq!(client.base_url().as_str(), "http://explicit:2/api/v1");
        let shown = format!("{client:?}");
        assert!(
            shown.contains("Bearer") && !shown.contains("ENVKEY"),
            "{shown}"
        );
    }
}
