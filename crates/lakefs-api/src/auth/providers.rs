//! The providers that need no feature: static credentials, key-pair login and STS/OIDC login.

use super::{AuthContext, CredentialsProvider, ExpiringCredentials};
use crate::config::{Credentials, Secret};
use crate::error::{Error, Result};
use crate::{AuthApi, ExperimentalApi, LoginOptions};
use futures::future::BoxFuture;
use std::time::Duration;

/// The same credentials for ever: an access key pair (HTTP basic) or a bearer token. What
/// [`access_key`](crate::LakeFsClientBuilder::access_key) and
/// [`bearer_token`](crate::LakeFsClientBuilder::bearer_token) use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticCredentials(Credentials);

impl StaticCredentials {
    /// These credentials.
    pub fn new(credentials: Credentials) -> Self {
        StaticCredentials(credentials)
    }

    /// An access key pair, sent as HTTP basic.
    pub fn access_key(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<Secret>,
    ) -> Self {
        StaticCredentials(Credentials::AccessKey {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
        })
    }

    /// A bearer token nobody renews (it works until the server stops accepting it).
    pub fn bearer_token(token: impl Into<Secret>) -> Self {
        StaticCredentials(Credentials::Bearer(token.into()))
    }

    /// The credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.0
    }
}

#[async_trait::async_trait]
impl CredentialsProvider for StaticCredentials {
    async fn fetch(&self, _context: &AuthContext<'_>) -> Result<ExpiringCredentials> {
        Ok(ExpiringCredentials::new(self.0.clone(), None))
    }

    fn refreshes(&self) -> bool {
        false
    }
}

/// Logs in with an access key pair (`login`) for a bearer token, and logs in again before the
/// token expires. Works on every lakeFS (the token lives as long as the server's
/// `auth.login_duration`, 7 days by default).
#[derive(Clone)]
pub struct LoginProvider {
    access_key_id: String,
    secret_access_key: Secret,
}

impl std::fmt::Debug for LoginProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginProvider")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .finish()
    }
}

impl LoginProvider {
    /// Logs in as this key pair.
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<Secret>) -> Self {
        LoginProvider {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
        }
    }
}

#[async_trait::async_trait]
impl CredentialsProvider for LoginProvider {
    async fn fetch(&self, context: &AuthContext<'_>) -> Result<ExpiringCredentials> {
        let login = lakefs_models::LoginInformation::new(
            self.access_key_id.clone(),
            self.secret_access_key.expose(),
        );
        let token = context
            .client()
            .login(LoginOptions::default().login_information(login))
            .await
            .map_err(|e| failed(format!("login as {} failed", self.access_key_id), e))?;
        Ok(ExpiringCredentials::from_token(token))
    }
}

/// One OIDC authorization round trip's result, exchanged once for a token by `stsLogin`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StsCode {
    /// The authorization code the identity provider issued (it works once).
    pub code: Secret,
    /// The state of the same round trip.
    pub state: String,
    /// The redirect URI the code was obtained with.
    pub redirect_uri: String,
}

impl StsCode {
    /// A code, its state and its redirect URI.
    pub fn new(
        code: impl Into<Secret>,
        state: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        StsCode {
            code: code.into(),
            state: state.into(),
            redirect_uri: redirect_uri.into(),
        }
    }
}

type CodeSource = dyn Fn() -> BoxFuture<'static, Result<StsCode>> + Send + Sync;

/// Exchanges an OIDC authorization code for a token (`stsLogin`), asking the caller's callback
/// for a fresh code each time a new token is needed. Needs lakeFS Enterprise (with OIDC).
pub struct StsProvider {
    codes: Box<CodeSource>,
    ttl: Option<Duration>,
}

impl std::fmt::Debug for StsProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StsProvider")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl StsProvider {
    /// Calls `codes` for a fresh code, state and redirect URI whenever a token is needed; an
    /// error it returns fails the calls waiting for the token.
    pub fn new<F, Fut>(codes: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<StsCode>> + Send + 'static,
    {
        StsProvider {
            codes: Box::new(move || Box::pin(codes())),
            ttl: None,
        }
    }

    /// The lifetime asked for each token (`ttl_seconds`; the server's default is one hour,
    /// twelve hours at most).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }
}

#[async_trait::async_trait]
impl CredentialsProvider for StsProvider {
    async fn fetch(&self, context: &AuthContext<'_>) -> Result<ExpiringCredentials> {
        let code = (self.codes)()
            .await
            .map_err(|e| failed("the STS code callback failed".to_string(), e))?;
        let mut request =
            lakefs_models::StsAuthRequest::new(code.code.expose(), code.state, code.redirect_uri);
        request.ttl_seconds = self
            .ttl
            .map(|ttl| i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX));
        let token = context
            .client()
            .sts_login(&request)
            .await
            .map_err(|e| failed("stsLogin failed".to_string(), e))?;
        Ok(ExpiringCredentials::from_token(token))
    }
}

/// A provider's failure, saying what it was doing and keeping the cause.
pub(crate) fn failed(what: String, cause: Error) -> Error {
    match cause {
        Error::Credentials { .. } => cause,
        other => Error::Credentials {
            message: format!("{what}: {other}"),
            source: Some(std::sync::Arc::new(other)),
        },
    }
}
