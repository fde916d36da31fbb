#![deny(missing_docs)]
//! Test helpers for code that talks to lakeFS.
//!
//! [`FakeLakeFs`] is a stateful in-memory lakeFS server speaking the real HTTP API (`/api/v1`),
//! for tests that need lakeFS semantics (branches, staging, commits, merges) without a lakeFS
//! installation; [`fake::BlockingFakeLakeFs`] runs one for synchronous code. The `lakefs-fake`
//! binary serves the same fake on a chosen address.

pub mod cases;
pub mod fake;
mod generated;
pub mod routes;

pub use fake::FakeLakeFs;
