//! Per-connection bandwidth limits: a TCP stream whose reads and writes each keep to a rate.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

use crate::Bandwidth;

/// A token bucket: refilled at `rate` bytes per second, holding at most a twentieth of a
/// second's worth (so an idle connection saves up no more than that).
struct Limiter {
    rate: u64,
    capacity: f64,
    tokens: f64,
    refilled: Instant,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl Limiter {
    fn new(rate: u64) -> Limiter {
        let rate = rate.max(1);
        let capacity = (rate as f64 / 20.0).max(1.0);
        Limiter {
            rate,
            capacity,
            tokens: capacity,
            refilled: Instant::now(),
            sleep: None,
        }
    }

    /// How many bytes may move now (at most `want`, at least one); waits until one may.
    fn poll_budget(&mut self, cx: &mut Context<'_>, want: usize) -> Poll<usize> {
        loop {
            if let Some(sleep) = &mut self.sleep {
                ready!(sleep.as_mut().poll(cx));
                self.sleep = None;
            }
            let now = Instant::now();
            let earned = now.duration_since(self.refilled).as_secs_f64() * self.rate as f64;
            self.tokens = (self.tokens + earned).min(self.capacity);
            self.refilled = now;
            if self.tokens >= 1.0 {
                return Poll::Ready((self.tokens as usize).clamp(1, want.max(1)));
            }
            // Wait for a useful amount rather than a byte at a time.
            let wanted = (want as f64).min(self.capacity);
            let wait = Duration::from_secs_f64((wanted - self.tokens) / self.rate as f64);
            self.sleep = Some(Box::pin(tokio::time::sleep(wait)));
        }
    }

    fn consume(&mut self, bytes: usize) {
        self.tokens -= bytes as f64;
    }
}

/// A stream with optional limits on each direction.
pub(crate) struct Throttled<S> {
    inner: S,
    read: Option<Limiter>,
    write: Option<Limiter>,
    /// Where a limited read lands before it is copied out (reads may not overfill).
    scratch: Vec<u8>,
}

impl<S> Throttled<S> {
    pub(crate) fn new(inner: S, limit: Bandwidth) -> Throttled<S> {
        Throttled {
            inner,
            read: limit.upload.map(Limiter::new),
            write: limit.download.map(Limiter::new),
            scratch: Vec::new(),
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Throttled<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let Some(limiter) = &mut this.read else {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        };
        let budget = ready!(limiter.poll_budget(cx, buf.remaining()));
        this.scratch.resize(budget, 0);
        let mut limited = ReadBuf::new(&mut this.scratch);
        ready!(Pin::new(&mut this.inner).poll_read(cx, &mut limited))?;
        let got = limited.filled().len();
        limiter.consume(got);
        buf.put_slice(&this.scratch[..got]);
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Throttled<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let Some(limiter) = &mut this.write else {
            return Pin::new(&mut this.inner).poll_write(cx, data);
        };
        let budget = ready!(limiter.poll_budget(cx, data.len()));
        let written = ready!(Pin::new(&mut this.inner).poll_write(cx, &data[..budget]))?;
        limiter.consume(written);
        Poll::Ready(Ok(written))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
