//! Shared helpers of the lakefs-blocking integration tests: a wiremock server on its own
//! runtime thread, so that tests are plain `#[test]`s as in a synchronous program.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use lakefs_blocking::LakeFsClient;
use wiremock::{Mock, MockServer, Request};

/// `Basic base64("AKID:SECRET")`.
pub const BASIC_AUTH: &str = "Basic QUtJRDpTRUNSRVQ=";

/// A wiremock server driven by a runtime that this struct owns (not the test's thread).
pub struct MockThread {
    pub runtime: tokio::runtime::Runtime,
    pub server: MockServer,
}

impl MockThread {
    pub fn uri(&self) -> String {
        self.server.uri()
    }
}

impl Drop for MockThread {
    fn drop(&mut self) {
        // Verifies the `expect(n)` of every mock while the runtime is still alive.
        self.runtime.block_on(self.server.verify());
    }
}

pub fn mock_server() -> MockThread {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(MockServer::start());
    MockThread { runtime, server }
}

pub fn mount(server: &MockThread, mock: Mock) {
    server.runtime.block_on(mock.mount(&server.server));
}

pub fn client(server: &MockThread) -> LakeFsClient {
    LakeFsClient::from_builder(
        LakeFsClient::builder()
            .endpoint(server.uri())
            .access_key("AKID", "SECRET")
            .retry(lakefs_blocking::RetryConfig::disabled()),
    )
    .unwrap()
}

pub fn sends_credentials(request: &Request) -> bool {
    request
        .headers
        .get("authorization")
        .is_some_and(|v| v == BASIC_AUTH)
}

pub fn sends_no_credentials(request: &Request) -> bool {
    request.headers.get("authorization").is_none()
}

/// Matches the whole `Accept` header (wiremock's `header` matcher splits values on commas).
pub fn accepts(expected: &'static str) -> impl Fn(&Request) -> bool {
    move |request: &Request| request.headers.get("accept").is_some_and(|v| v == expected)
}

/// Parses JSON text (the generated tests carry `i64` values too large for `json!`).
pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}
