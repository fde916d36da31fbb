//! Guards of streaming transfers (uploads and downloads): an idle timeout, a minimum
//! throughput and an optional total limit, whatever the body and wherever it goes (lakeFS or a
//! presigned object-store URL).
//!
//! A transfer's duration grows with its size, so it has no per-call budget; instead a
//! [`TransferWatch`] follows its progress and [`TransferWatch::violation`] completes as soon
//! as one of its [`TransferLimits`] is broken. [`guard_download`] and [`guard_upload`] wrap
//! any reqwest body stream or upload body with it.

use bytes::Bytes;
use futures::stream::{BoxStream, Stream, StreamExt};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Default minimum throughput of a transfer: 1 KiB/s averaged over 30 s (as the AWS SDK's
/// stalled-stream protection).
pub const DEFAULT_MIN_THROUGHPUT: MinThroughput = MinThroughput {
    bytes_per_second: 1024,
    window: Duration::from_secs(30),
};

/// The slowest a transfer may move: fewer than `bytes_per_second × window` bytes in a window
/// fails it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MinThroughput {
    /// The lowest average rate allowed.
    pub bytes_per_second: u64,
    /// How long the rate is averaged over (at least 1 ms).
    pub window: Duration,
}

impl MinThroughput {
    /// At least `bytes_per_second` on average over every `window`.
    pub fn new(bytes_per_second: u64, window: Duration) -> Self {
        MinThroughput {
            bytes_per_second,
            window: window.max(Duration::from_millis(1)),
        }
    }

    fn bytes_per_window(&self) -> u64 {
        let per_window =
            u128::from(self.bytes_per_second).saturating_mul(self.window.as_millis()) / 1000;
        u64::try_from(per_window).unwrap_or(u64::MAX)
    }
}

impl Default for MinThroughput {
    fn default() -> Self {
        DEFAULT_MIN_THROUGHPUT
    }
}

/// The limits of one streaming transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransferLimits {
    /// Longest time without any progress (no data received, no chunk taken by the connection,
    /// or no answer after the last chunk); `None` disables it.
    pub idle_timeout: Option<Duration>,
    /// Slowest average rate while data flows; `None` disables it.
    pub min_throughput: Option<MinThroughput>,
    /// Longest time for the whole transfer, headers included; `None` (the default) for none.
    pub total_timeout: Option<Duration>,
}

impl Default for TransferLimits {
    /// The client's defaults: 60 s idle, 1 KiB/s over 30 s, no total limit.
    fn default() -> Self {
        TransferLimits {
            idle_timeout: Some(crate::DEFAULT_READ_TIMEOUT),
            min_throughput: Some(DEFAULT_MIN_THROUGHPUT),
            total_timeout: None,
        }
    }
}

impl TransferLimits {
    /// Sets the idle timeout (`None` for none).
    pub fn with_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets the minimum throughput (`None` turns the guard off).
    pub fn with_min_throughput(mut self, min: Option<MinThroughput>) -> Self {
        self.min_throughput = min;
        self
    }

    /// Sets the total limit (`None` for none).
    pub fn with_total_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.total_timeout = timeout;
        self
    }
}

/// Why a transfer was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Violation {
    Idle(Duration),
    TooSlow { moved: u64, limit: MinThroughput },
    Total(Duration),
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Violation::Idle(limit) => write!(f, "no data for {limit:?} (the idle timeout)"),
            Violation::TooSlow { moved, limit } => write!(
                f,
                "only {moved} bytes in {:?}, below the minimum throughput of {} B/s",
                limit.window, limit.bytes_per_second
            ),
            Violation::Total(limit) => {
                write!(
                    f,
                    "the transfer took longer than {limit:?} (its total limit)"
                )
            }
        }
    }
}

/// The progress of one transfer, shared between its body and whoever waits on it.
#[derive(Debug, Clone)]
pub(crate) struct TransferWatch {
    limits: TransferLimits,
    start: Instant,
    state: Arc<Mutex<WatchState>>,
}

#[derive(Debug)]
struct WatchState {
    last_progress: Instant,
    window_start: Instant,
    window_bytes: u64,
    /// Whether the body is moving: the minimum throughput applies only then (not while
    /// waiting for headers, nor for the answer once an upload is all sent).
    flowing: bool,
    /// The error of an upload's source, if reading it failed.
    source_failure: Option<std::io::Error>,
}

impl TransferWatch {
    /// Starts watching now.
    pub(crate) fn new(limits: TransferLimits) -> Self {
        let now = Instant::now();
        TransferWatch {
            limits,
            start: now,
            state: Arc::new(Mutex::new(WatchState {
                last_progress: now,
                window_start: now,
                window_bytes: 0,
                flowing: false,
                source_failure: None,
            })),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, WatchState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Notes `bytes` moved now.
    pub(crate) fn record(&self, bytes: usize) {
        let mut state = self.state();
        state.last_progress = Instant::now();
        state.window_bytes = state
            .window_bytes
            .saturating_add(u64::try_from(bytes).unwrap_or(u64::MAX));
    }

    /// Notes that the body starts to move: the throughput is measured from now on.
    pub(crate) fn start_flowing(&self) {
        let mut state = self.state();
        let now = Instant::now();
        state.last_progress = now;
        state.window_start = now;
        state.window_bytes = 0;
        state.flowing = true;
    }

    /// Notes that the whole body has moved.
    pub(crate) fn body_done(&self) {
        let mut state = self.state();
        state.last_progress = Instant::now();
        state.flowing = false;
    }

    fn source_failed(&self, error: &std::io::Error) {
        self.state().source_failure = Some(std::io::Error::new(error.kind(), error.to_string()));
    }

    /// The error of the upload's source, if reading it failed.
    pub(crate) fn take_source_failure(&self) -> Option<std::io::Error> {
        self.state().source_failure.take()
    }

    /// Checks the limits at `now`: the broken one, or how long until the next check.
    fn check(&self, now: Instant) -> Result<Option<Duration>, Violation> {
        let mut state = self.state();
        let mut next: Option<Duration> = None;
        let mut sooner = |wait: Duration| next = Some(next.map_or(wait, |n| n.min(wait)));
        if let Some(total) = self.limits.total_timeout {
            let elapsed = now.saturating_duration_since(self.start);
            if elapsed >= total {
                return Err(Violation::Total(total));
            }
            sooner(total - elapsed);
        }
        if let Some(idle) = self.limits.idle_timeout {
            let quiet = now.saturating_duration_since(state.last_progress);
            if quiet >= idle {
                return Err(Violation::Idle(idle));
            }
            sooner(idle - quiet);
        }
        if let (Some(limit), true) = (self.limits.min_throughput, state.flowing) {
            let elapsed = now.saturating_duration_since(state.window_start);
            if elapsed >= limit.window {
                if state.window_bytes < limit.bytes_per_window() {
                    return Err(Violation::TooSlow {
                        moved: state.window_bytes,
                        limit,
                    });
                }
                state.window_start = now;
                state.window_bytes = 0;
                sooner(limit.window);
            } else {
                sooner(limit.window - elapsed);
            }
        }
        Ok(next)
    }

    /// Completes when a limit is broken (never, when there are none).
    pub(crate) async fn violation(&self) -> Violation {
        loop {
            match self.check(Instant::now()) {
                Err(violation) => return violation,
                Ok(Some(wait)) => tokio::time::sleep(wait).await,
                Ok(None) => futures::future::pending::<()>().await,
            }
        }
    }
}

/// A download body guarded by `watch`: each chunk counts as progress, and the stream fails
/// with `on_violation(..)` as soon as a limit is broken, or with `on_error(..)` when the
/// body fails. `keep` (e.g. a concurrency permit) lives as long as the stream.
pub(crate) fn guard_download<S, E, K>(
    body: S,
    watch: TransferWatch,
    keep: K,
    on_violation: impl Fn(Violation) -> crate::Error + Send + 'static,
    on_error: impl Fn(E) -> crate::Error + Send + 'static,
) -> BoxStream<'static, crate::Result<Bytes>>
where
    S: Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: Send + 'static,
    K: Send + 'static,
{
    watch.start_flowing();
    // The handlers travel with the stream's state: its futures own everything they use.
    let state = Some((body.boxed(), keep, on_violation, on_error));
    futures::stream::unfold(state, move |state| {
        let watch = watch.clone();
        async move {
            let (mut body, keep, on_violation, on_error) = state?;
            let next = {
                let violation = std::pin::pin!(watch.violation());
                match futures::future::select(body.next(), violation).await {
                    futures::future::Either::Left((next, _)) => next,
                    futures::future::Either::Right((violation, _)) => {
                        return Some((Err(on_violation(violation)), None));
                    }
                }
            };
            match next {
                None => {
                    watch.body_done();
                    None
                }
                Some(Ok(chunk)) => {
                    watch.record(chunk.len());
                    Some((Ok(chunk), Some((body, keep, on_violation, on_error))))
                }
                Some(Err(e)) => Some((Err(on_error(e)), None)),
            }
        }
    })
    .boxed()
}

/// An upload body that notes in `watch` each chunk the connection takes (in slices of at most
/// 1 MiB, so that progress is seen while a large in-memory body is sent), and a failure of its
/// source. Wait on the send beside [`TransferWatch::violation`].
pub(crate) fn guard_upload(
    chunks: BoxStream<'static, std::io::Result<Bytes>>,
    watch: TransferWatch,
) -> reqwest::Body {
    const SLICE: usize = 1024 * 1024;
    let sliced = chunks.flat_map(|chunk| {
        let slices: Vec<std::io::Result<Bytes>> = match chunk {
            Ok(bytes) if bytes.len() > SLICE => (0..bytes.len())
                .step_by(SLICE)
                .map(|start| Ok(bytes.slice(start..(start + SLICE).min(bytes.len()))))
                .collect(),
            other => vec![other],
        };
        futures::stream::iter(slices)
    });
    let (begin, end) = (watch.clone(), watch.clone());
    let start = futures::stream::poll_fn(move |_| {
        begin.start_flowing();
        std::task::Poll::Ready(None)
    });
    let tracked = start
        .chain(sliced)
        .inspect(move |chunk| match chunk {
            Ok(bytes) => watch.record(bytes.len()),
            Err(e) => watch.source_failed(e),
        })
        .chain(futures::stream::poll_fn(move |_| {
            end.body_done();
            std::task::Poll::Ready(None)
        }));
    reqwest::Body::wrap_stream(tracked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(idle: u64, rate: Option<(u64, u64)>, total: Option<u64>) -> TransferLimits {
        TransferLimits {
            idle_timeout: Some(Duration::from_millis(idle)),
            min_throughput: rate.map(|(b, ms)| MinThroughput::new(b, Duration::from_millis(ms))),
            total_timeout: total.map(Duration::from_millis),
        }
    }

    #[test]
    fn each_limit_is_named_when_broken() {
        let watch = TransferWatch::new(limits(100, Some((1000, 50)), Some(300)));
        let t0 = watch.start;
        assert!(
            watch.check(t0 + Duration::from_millis(60)).is_ok(),
            "not flowing yet"
        );
        watch.start_flowing();
        let t0 = Instant::now();
        assert!(watch.check(t0).is_ok());
        watch.record(10);
        // 10 bytes in 50 ms is below 1000 B/s (50 bytes per window).
        let at = t0 + Duration::from_millis(60);
        assert!(matches!(
            watch.check(at),
            Err(Violation::TooSlow { moved: 10, .. })
        ));
        let watch = TransferWatch::new(limits(100, None, Some(300)));
        assert_eq!(
            watch.check(watch.start + Duration::from_millis(150)),
            Err(Violation::Idle(Duration::from_millis(100)))
        );
        let watch = TransferWatch::new(limits(10_000, None, Some(300)));
        assert_eq!(
            watch.check(watch.start + Duration::from_millis(301)),
            Err(Violation::Total(Duration::from_millis(300)))
        );
    }

    #[test]
    fn enough_throughput_opens_a_new_window_and_a_sent_body_stops_counting() {
        let watch = TransferWatch::new(limits(10_000, Some((1000, 50)), None));
        watch.start_flowing();
        let begun = Instant::now();
        watch.record(50);
        let at = begun + Duration::from_millis(50);
        assert_eq!(watch.check(at), Ok(Some(Duration::from_millis(50))));
        watch.body_done();
        assert!(watch.check(at + Duration::from_millis(500)).is_ok());
    }

    #[test]
    fn absurd_rates_saturate() {
        let limit = MinThroughput::new(u64::MAX, Duration::from_secs(u64::MAX));
        assert_eq!(limit.bytes_per_window(), u64::MAX);
        let none = TransferLimits {
            idle_timeout: None,
            min_throughput: None,
            total_timeout: None,
        };
        assert_eq!(TransferWatch::new(none).check(Instant::now()), Ok(None));
    }
}
