//! [`Call`]: an operation with optional settings, run by `.await` (or `.run()` in
//! [`blocking`](crate::blocking) code).

use crate::Result;
use futures::future::BoxFuture;
use std::future::IntoFuture;

/// How a [`Call`] runs: [`Async`] by `.await`; the blocking mode by `.run()`.
pub trait Mode: Clone + Send + Sync + std::fmt::Debug + 'static {}

/// The async mode: a [`Call`] is a future (`IntoFuture`), sent when awaited.
#[derive(Debug, Clone, Copy, Default)]
pub struct Async;

impl Mode for Async {}

/// What a [`Call`] does once its settings are chosen.
pub trait Operation: Send + 'static {
    /// What it answers.
    type Output: Send + 'static;
    /// Sends it.
    fn send(self) -> BoxFuture<'static, Result<Self::Output>>;
}

/// An operation whose optional settings are set by its methods, then sent by `.await`:
/// `branch.commit("message").metadata([("k", "v")]).await?`. Nothing is sent before.
#[derive(Debug, Clone)]
#[must_use = "a call does nothing until it is awaited (or `.run()` in blocking code)"]
pub struct Call<A, M = Async> {
    pub(crate) args: A,
    pub(crate) mode: M,
}

impl<A> Call<A, Async> {
    pub(crate) fn new(args: A) -> Self {
        Call { args, mode: Async }
    }
}

impl<A: Operation> IntoFuture for Call<A, Async> {
    type Output = Result<A::Output>;
    type IntoFuture = BoxFuture<'static, Result<A::Output>>;

    fn into_future(self) -> Self::IntoFuture {
        self.args.send()
    }
}
