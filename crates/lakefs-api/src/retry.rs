//! When a failed call is tried again, and after how long.
//!
//! The defaults follow lakectl: up to 4 attempts, waits growing from 200 ms to at most 30 s,
//! with jitter, honouring `Retry-After`. A call is repeated only when that is safe:
//!
//! * the connection could not be opened (nothing reached the server): any call;
//! * the server said 429 or 503 (it refused the request before acting on it): any call;
//! * 500, 502, 504 or a timeout (the server may have acted): only calls whose repetition
//!   changes nothing ([`OperationInfo::idempotent`]: reads, deletes, most PUTs). Commits,
//!   merges, reverts, links and creations are never repeated blindly.
//!
//! When the server asks for a longer wait (`Retry-After`) than `max_backoff`, the error is
//! returned instead of retrying early.
//!
//! A streaming upload body cannot be sent twice, so such a call is never repeated.

use crate::error::{Error, ErrorKind};
use crate::operation::OperationInfo;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// How failed calls are retried. `RetryConfig::default()` is lakectl's policy;
/// [`RetryConfig::disabled`] sends every call once.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryConfig {
    /// Attempts in all, the first included (1 = no retry).
    pub max_attempts: u32,
    /// Wait before the second attempt; it doubles for each further one.
    pub initial_backoff: Duration,
    /// Longest wait between two attempts, `Retry-After` included.
    pub max_backoff: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(30),
        }
    }
}

impl RetryConfig {
    /// Every call is sent once.
    pub fn disabled() -> Self {
        RetryConfig {
            max_attempts: 1,
            ..RetryConfig::default()
        }
    }

    /// Sets the number of attempts in all (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the first wait and the longest one.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Whether `error`, from attempt number `attempt` (1-based) of `op`, is worth another try.
    pub(crate) fn should_retry(&self, op: &OperationInfo, error: &Error, attempt: u32) -> bool {
        let asked = error.api_error().and_then(|e| e.retry_after);
        attempt < self.max_attempts
            && is_retryable(op, error)
            && asked.is_none_or(|wait| wait <= self.max_backoff)
    }

    /// The wait before attempt `attempt + 1`: exponential with full jitter, at least what the
    /// server asked for, never more than `max_backoff`.
    pub(crate) fn delay(&self, error: &Error, attempt: u32) -> Duration {
        let exponential = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.max_backoff);
        // Full jitter spreads clients that failed together; half of it is kept as a floor.
        let jittered = exponential / 2 + exponential.mul_f64(random_fraction() / 2.0);
        let asked = error
            .api_error()
            .and_then(|e| e.retry_after)
            .unwrap_or_default();
        jittered.max(asked)
    }
}

/// Whether a call that failed this way may be sent again.
pub(crate) fn is_retryable(op: &OperationInfo, error: &Error) -> bool {
    let idempotent = op.idempotent;
    match error {
        Error::Transport { source, .. } if source.is_connect() => true,
        Error::Transport { .. } | Error::Timeout { .. } => idempotent,
        Error::Api(api) => match api.kind {
            ErrorKind::TooManyRequests => true,
            ErrorKind::Unavailable if api.status == 503 => true,
            ErrorKind::Unavailable | ErrorKind::Server => idempotent && api.status != 501,
            _ => false,
        },
        _ => false,
    }
}

/// The wait a `Retry-After` header asks for: delay-seconds (`120`) or an HTTP date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`, counted from now; a date in the past means no wait).
pub(crate) fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    // Checked: a date too far away for the clock is an absurd header, not a panic.
    let at = std::time::UNIX_EPOCH.checked_add(Duration::from_secs(http_date_seconds(value)?))?;
    Some(at.duration_since(now).unwrap_or_default())
}

/// Seconds since the Unix epoch of an IMF-fixdate (the HTTP date format).
fn http_date_seconds(value: &str) -> Option<u64> {
    // "Wed, 21 Oct 2015 07:28:00 GMT"
    let mut parts = value.split_whitespace();
    let _weekday = parts.next()?;
    let day: u64 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let mut clock = parts.next()?.split(':').map(|n| n.parse::<u64>().ok());
    let (hour, minute, second) = (clock.next()??, clock.next()??, clock.next()??);
    if parts.next()? != "GMT" || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60
    {
        return None;
    }
    // Days from 1970-01-01 to the date (Howard Hinnant's days_from_civil).
    // The year comes from the network: years past 9999 are refused (HTTP dates have four
    // digits), which also keeps every product below within range.
    if !(0..=9999).contains(&year) {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day as i64 - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    let days = u64::try_from(days).ok()?;
    days.checked_mul(86_400)?
        .checked_add(hour * 3600 + minute * 60 + second)
}

/// A number in [0, 1) that differs between calls (std's hasher keys are random per process and
/// per `RandomState`), enough for jitter without a random-number crate.
fn random_fraction() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0);
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(method: &'static str) -> &'static OperationInfo {
        crate::OPERATIONS
            .iter()
            .copied()
            .find(|o| o.method == method)
            .unwrap()
    }

    fn api_error(status: u16, retry_after: Option<Duration>) -> Error {
        Error::Api(Box::new(crate::error::ApiError {
            operation: "x",
            status,
            kind: ErrorKind::from_status(status),
            message: String::new(),
            request_id: None,
            method: "GET".into(),
            url: String::new(),
            body: crate::error::ErrorBody::Empty,
            retry_after,
        }))
    }

    #[test]
    fn merges_through_put_are_not_repeated_blindly() {
        let merge = crate::OperationInfo::find("mergePullRequest").unwrap();
        assert_eq!(merge.method, "PUT");
        assert!(!is_retryable(merge, &api_error(504, None)));
        assert!(is_retryable(merge, &api_error(503, None)));
        let reset = crate::OperationInfo::find("resetBranch").unwrap();
        assert!(is_retryable(reset, &api_error(504, None)));
    }

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_445_412_470); // 07:27:50 GMT
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(http_date_seconds("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            http_date_seconds("Tue, 29 Feb 2000 12:00:00 GMT"),
            Some(951_825_600)
        );
        for bad in [
            "Wed, 21 Oct 300000000000 07:28:00 GMT",
            "Wed, 21 Oct 999999999999 07:28:00 GMT",
            "Wed, 21 Oct 9223372036854775807 07:28:00 GMT",
            "Wed, 21 Oct -9223372036854775808 07:28:00 GMT",
            "Wed, 21 Oct 10000 07:28:00 GMT",
            "soon",
            "Wed, 21 Foo 2015 07:28:00 GMT",
            "Wed, 21 Oct 2015 25:28:00 GMT",
            "-3",
        ] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad}");
        }
    }

    #[test]
    fn far_dates_and_huge_seconds_never_panic() {
        let now = std::time::SystemTime::now();
        assert_eq!(
            parse_retry_after("18446744073709551615", now),
            Some(Duration::from_secs(u64::MAX))
        );
        let far = parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now).unwrap();
        assert!(far > Duration::from_secs(200 * 365 * 86_400), "{far:?}");
    }

    proptest::proptest! {
        #[test]
        fn no_retry_after_value_panics(day in 0u64..100, year in proptest::num::i64::ANY,
                                       clock in "[0-9]{1,3}:[0-9]{1,3}:[0-9]{1,3}",
                                       raw in ".{0,40}") {
            let now = std::time::SystemTime::now();
            let _ = parse_retry_after(&format!("Wed, {day} Oct {year} {clock} GMT"), now);
            let _ = parse_retry_after(&raw, now);
        }
    }

    #[test]
    fn only_safe_calls_are_repeated() {
        let (get, post) = (op("GET"), op("POST"));
        for status in [429, 503] {
            assert!(is_retryable(post, &api_error(status, None)), "{status}");
        }
        for status in [500, 502, 504] {
            assert!(is_retryable(get, &api_error(status, None)), "{status}");
            assert!(!is_retryable(post, &api_error(status, None)), "{status}");
        }
        for status in [400, 401, 403, 404, 409, 412, 501] {
            assert!(!is_retryable(get, &api_error(status, None)), "{status}");
        }
        assert!(!is_retryable(get, &Error::InvalidArgument("x".into())));
    }

    #[test]
    fn waits_grow_are_capped_and_honour_retry_after() {
        let config =
            RetryConfig::default().with_backoff(Duration::from_millis(100), Duration::from_secs(1));
        let plain = api_error(503, None);
        for attempt in 1..=10 {
            let d = config.delay(&plain, attempt);
            let full = Duration::from_millis(100)
                .saturating_mul(1 << (attempt - 1).min(20))
                .min(Duration::from_secs(1));
            assert!(
                d >= full / 2 && d <= full,
                "attempt {attempt}: {d:?} vs {full:?}"
            );
        }
        let asked = api_error(429, Some(Duration::from_millis(700)));
        assert!(config.delay(&asked, 1) >= Duration::from_millis(700));
        let too_long = api_error(429, Some(Duration::from_secs(60)));
        assert!(
            !config.should_retry(op("GET"), &too_long, 1),
            "retrying early is pointless"
        );
        assert!(!RetryConfig::disabled().should_retry(op("GET"), &plain, 1));
        assert!(config.should_retry(op("GET"), &plain, 3));
        assert!(!config.should_retry(op("GET"), &plain, 4));
    }
}
