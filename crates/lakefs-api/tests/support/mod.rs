//! Shared helpers of the lakefs-api integration tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

use lakefs_api::LakeFsClient;
use wiremock::{MockServer, Request};

/// `Basic base64("AKID:SECRET")`.
pub const BASIC_AUTH: &str = "Basic QUtJRDpTRUNSRVQ=";

/// A mock server that fails loudly when a request matches no mock.
pub async fn mock_server() -> MockServer {
    MockServer::start().await
}

/// A client for the mock. Retries are off: each test sees exactly the answers it mounts
/// (`tests/retries.rs` turns them on).
pub fn client(server: &MockServer) -> LakeFsClient {
    LakeFsClient::builder()
        .endpoint(server.uri())
        .access_key("AKID", "SECRET")
        .retry(lakefs_api::RetryConfig::disabled())
        .build()
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

/// Parses JSON text (the generated tests carry `i64` values too large for `json!`).
pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

/// Matches the whole `Accept` header (wiremock's `header` matcher splits values on commas).
pub fn accepts(expected: &'static str) -> impl Fn(&Request) -> bool {
    move |request: &Request| request.headers.get("accept").is_some_and(|v| v == expected)
}

/// Mounts a mock (one spelling for the async and blocking generated tests).
pub async fn mount(server: &MockServer, mock: wiremock::Mock) {
    mock.mount(server).await;
}
