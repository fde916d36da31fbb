//! Where a client's credentials come from: a [`CredentialsProvider`].
//!
//! The client asks its provider before a call when it holds no credentials or when they are
//! about to expire (by default 5 minutes ahead, as the Python SDK does), once for all the calls
//! that need them at that moment. A call answered 401 makes the client fetch new credentials
//! once and send the call again (the server did not act on it), except a streaming upload whose
//! body is spent: that 401 is returned as it is. Requests to the object store (presigned URLs)
//! never consult the provider.
//!
//! Providers: [`StaticCredentials`] (an access key pair or a token, never refreshed: the
//! default), [`LoginProvider`] (`login` with a key pair, for a token that expires),
//! [`StsProvider`] (`stsLogin` with an OIDC code from a callback) and, with the `aws-iam`
//! feature, `AwsIamProvider` (`externalPrincipalLogin` with a presigned STS
//! `GetCallerIdentity`). Write your own by implementing [`CredentialsProvider`].
//!
//! ```no_run
//! use lakefs_api::LakeFsClient;
//! use lakefs_api::auth::LoginProvider;
//!
//! # fn run() -> lakefs_api::Result<()> {
//! let client = LakeFsClient::builder()
//!     .endpoint("http://localhost:8000")
//!     .credentials_provider(LoginProvider::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
//!     .build()?;
//! # let _ = client; Ok(()) }
//! ```

mod clock;
pub(crate) mod manager;
mod providers;

#[cfg(feature = "aws-iam")]
mod aws;
#[cfg(feature = "aws-iam")]
mod cache;

pub use clock::{Clock, ManualClock, SystemClock};
pub(crate) use manager::Authenticator;
pub use providers::{LoginProvider, StaticCredentials, StsCode, StsProvider};

#[cfg(feature = "aws-iam")]
pub use aws::{AwsCredentialsSource, AwsIamProvider};

use crate::client::LakeFsClient;
use crate::config::Credentials;
use crate::error::Result;
use std::time::{Duration, SystemTime};

/// How long before their expiry credentials are renewed by default (as the Python SDK does).
pub const DEFAULT_REFRESH_AHEAD: Duration = Duration::from_secs(5 * 60);

/// Gives the credentials a client sends: called when the client has none, when they are about
/// to expire, and after a 401. Calls are serialized: one fetch at a time serves every call
/// waiting for it.
///
/// Make logins through [`AuthContext::client`] (an unauthenticated client for the same
/// server), never through the client being authenticated: that would wait for itself.
#[async_trait::async_trait]
pub trait CredentialsProvider: Send + Sync + std::fmt::Debug {
    /// Fresh credentials and when they expire.
    async fn fetch(&self, context: &AuthContext<'_>) -> Result<ExpiringCredentials>;

    /// Whether fetching again can give other credentials (false for static ones): when it
    /// cannot, a 401 is returned at once instead of being repeated with the same credentials.
    fn refreshes(&self) -> bool {
        true
    }
}

#[async_trait::async_trait]
impl<T: CredentialsProvider + ?Sized> CredentialsProvider for std::sync::Arc<T> {
    async fn fetch(&self, context: &AuthContext<'_>) -> Result<ExpiringCredentials> {
        (**self).fetch(context).await
    }

    fn refreshes(&self) -> bool {
        (**self).refreshes()
    }
}

/// Credentials and the moment they stop working (`None`: they do not expire).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExpiringCredentials {
    /// What requests send.
    pub credentials: Credentials,
    /// When the server stops accepting them.
    pub expires_at: Option<SystemTime>,
}

impl ExpiringCredentials {
    /// Credentials that expire at `expires_at` (or never).
    pub fn new(credentials: Credentials, expires_at: Option<SystemTime>) -> Self {
        ExpiringCredentials {
            credentials,
            expires_at,
        }
    }

    /// The bearer token of a login answer, expiring at its `token_expiration` (Unix seconds).
    pub fn from_token(token: lakefs_models::AuthenticationToken) -> Self {
        let expires_at = token
            .token_expiration
            .and_then(|seconds| u64::try_from(seconds).ok())
            .and_then(|seconds| SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(seconds)));
        ExpiringCredentials::new(Credentials::Bearer(token.token.into()), expires_at)
    }
}

/// Why the client asks its provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshReason {
    /// The client has no credentials yet.
    Initial,
    /// The credentials are about to expire.
    Expiring,
    /// The server refused the credentials (401).
    Rejected,
}

/// What a provider may use while fetching.
#[derive(Debug)]
pub struct AuthContext<'a> {
    client: &'a LakeFsClient,
    clock: &'a dyn Clock,
    reason: RefreshReason,
}

impl AuthContext<'_> {
    /// A client for the same server without credentials, for `login` and its kin (it has the
    /// client's timeouts and retries).
    pub fn client(&self) -> &LakeFsClient {
        self.client
    }

    /// Now, on the client's clock (see [`LakeFsClientBuilder::clock`](crate::LakeFsClientBuilder::clock)).
    pub fn now(&self) -> SystemTime {
        self.clock.now()
    }

    /// Why the client asks.
    pub fn reason(&self) -> RefreshReason {
        self.reason
    }

    /// The API base URL, e.g. `http://localhost:8000/api/v1`.
    pub fn endpoint(&self) -> &reqwest::Url {
        self.client.base_url()
    }
}
