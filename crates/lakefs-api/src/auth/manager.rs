//! The client's side of a provider: the credentials in use, renewed ahead of expiry or after a
//! 401, one fetch at a time for all the calls that need it (single flight).

use super::{AuthContext, Clock, CredentialsProvider, ExpiringCredentials, RefreshReason};
use crate::client::LakeFsClient;
use crate::config::Credentials;
use crate::error::{Error, Result};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

/// The credentials of one fetch, shared by the calls that send them.
#[derive(Debug)]
pub(crate) struct Current {
    pub(crate) credentials: Credentials,
    /// When to fetch again (`None`: only after a 401).
    refresh_at: Option<SystemTime>,
    /// Which fetch this is: a 401 invalidates only the credentials it was sent with.
    generation: u64,
    /// Set by a 401 answering these credentials.
    rejected: AtomicBool,
}

/// The failure of the last fetch, so that calls that waited for it share it.
#[derive(Debug, Default)]
struct Flight {
    failure: Option<(String, Option<Arc<dyn std::error::Error + Send + Sync>>)>,
}

/// A provider, the credentials it gave and the rules for renewing them.
pub(crate) struct Authenticator {
    provider: Arc<dyn CredentialsProvider>,
    /// Unauthenticated: what providers log in with.
    login_client: LakeFsClient,
    clock: Arc<dyn Clock>,
    refresh_ahead: Duration,
    current: Mutex<Option<Arc<Current>>>,
    /// Fetches completed so far.
    fetches: AtomicU64,
    /// Held while fetching: the single flight.
    flight: tokio::sync::Mutex<Flight>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("provider", &self.provider)
            .field("refresh_ahead", &self.refresh_ahead)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    pub(crate) fn new(
        provider: Arc<dyn CredentialsProvider>,
        login_client: LakeFsClient,
        clock: Arc<dyn Clock>,
        refresh_ahead: Duration,
    ) -> Self {
        Authenticator {
            provider,
            login_client,
            clock,
            refresh_ahead,
            current: Mutex::new(None),
            fetches: AtomicU64::new(0),
            flight: tokio::sync::Mutex::new(Flight::default()),
        }
    }

    /// Whether a 401 is worth a new fetch.
    pub(crate) fn refreshes(&self) -> bool {
        self.provider.refreshes()
    }

    /// Credentials to send now: those in hand while fresh, else those of a new fetch (shared
    /// with every call asking meanwhile).
    pub(crate) async fn credentials(&self) -> Result<Arc<Current>> {
        if let Some(current) = self.fresh() {
            return Ok(current);
        }
        let seen_fetches = self.fetches.load(Ordering::Acquire);
        let mut flight = self.flight.lock().await;
        // Another call may have fetched while this one waited.
        if let Some(current) = self.fresh() {
            return Ok(current);
        }
        // A fetch that failed while this call waited for it fails this call too.
        if let Some((message, source)) = &flight.failure
            && self.fetches.load(Ordering::Acquire) > seen_fetches
        {
            return Err(Error::Credentials {
                message: message.clone(),
                source: source.clone(),
            });
        }
        let reason = match self.snapshot() {
            None => RefreshReason::Initial,
            Some(c) if c.rejected.load(Ordering::Acquire) => RefreshReason::Rejected,
            Some(_) => RefreshReason::Expiring,
        };
        let outcome = self.fetch(reason).await;
        // Counted once done: the calls that arrived during this fetch waited for it.
        self.fetches.fetch_add(1, Ordering::AcqRel);
        match outcome {
            Ok(current) => {
                flight.failure = None;
                Ok(current)
            }
            Err(Error::Credentials { message, source }) => {
                flight.failure = Some((message.clone(), source.clone()));
                Err(Error::Credentials { message, source })
            }
            Err(other) => Err(other),
        }
    }

    /// Marks `used` as refused by the server, so that the next call fetches anew; credentials
    /// fetched since are left alone.
    pub(crate) fn reject(&self, used: &Current) {
        if let Some(current) = self.snapshot()
            && current.generation == used.generation
        {
            current.rejected.store(true, Ordering::Release);
        }
    }

    fn snapshot(&self) -> Option<Arc<Current>> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn fresh(&self) -> Option<Arc<Current>> {
        let current = self.snapshot()?;
        let now = self.clock.now();
        let fresh = !current.rejected.load(Ordering::Acquire)
            && current.refresh_at.is_none_or(|at| now < at);
        fresh.then_some(current)
    }

    async fn fetch(&self, reason: RefreshReason) -> Result<Arc<Current>> {
        let context = AuthContext {
            client: &self.login_client,
            clock: self.clock.as_ref(),
            reason,
        };
        let fetched_at = self.clock.now();
        let ExpiringCredentials {
            credentials,
            expires_at,
        } = self.provider.fetch(&context).await.map_err(|e| match e {
            Error::Credentials { .. } => e,
            other => Error::Credentials {
                message: other.to_string(),
                source: Some(Arc::new(other)),
            },
        })?;
        crate::client::check_credentials(&credentials).map_err(|e| Error::Credentials {
            message: format!("the provider gave unusable credentials: {e}"),
            source: None,
        })?;
        let refresh_at =
            expires_at.map(|expires| refresh_time(fetched_at, expires, self.refresh_ahead));
        let generation = self.snapshot().map_or(1, |c| c.generation + 1);
        tracing::debug!(
            ?reason,
            generation,
            expires_in = ?expires_at.and_then(|e| e.duration_since(fetched_at).ok()),
            "lakeFS credentials fetched"
        );
        let current = Arc::new(Current {
            credentials,
            refresh_at,
            generation,
            rejected: AtomicBool::new(false),
        });
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&current));
        Ok(current)
    }
}

/// When credentials fetched at `fetched_at` and expiring at `expires` are renewed: `ahead`
/// before their expiry, but never before half their lifetime (a token shorter than `ahead`
/// would otherwise be renewed on every call).
pub(crate) fn refresh_time(
    fetched_at: SystemTime,
    expires: SystemTime,
    ahead: Duration,
) -> SystemTime {
    let lifetime = expires.duration_since(fetched_at).unwrap_or_default();
    expires
        .checked_sub(ahead.min(lifetime / 2))
        .unwrap_or(expires)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_is_ahead_of_expiry_but_not_before_half_the_lifetime() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let minutes = |m: u64| Duration::from_secs(m * 60);
        assert_eq!(
            refresh_time(t0, t0 + minutes(60), minutes(5)),
            t0 + minutes(55)
        );
        assert_eq!(
            refresh_time(t0, t0 + minutes(10), minutes(5)),
            t0 + minutes(5)
        );
        assert_eq!(
            refresh_time(t0, t0 + minutes(4), minutes(5)),
            t0 + minutes(2)
        );
        // Already expired: renewed at once.
        assert_eq!(
            refresh_time(t0, t0 - minutes(1), minutes(5)),
            t0 - minutes(1)
        );
    }
}
