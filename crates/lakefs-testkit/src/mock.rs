//! A mock lakeFS on wiremock: [`MockLakeFs`] for async tests, [`BlockingMockLakeFs`] for
//! synchronous ones.
//!
//! The mock answers only what the test mounts ([`Fixture`]s or any wiremock [`Mock`]). Every
//! other request gets a loud [`UNEXPECTED_STATUS`] answer whose message names the request, is
//! recorded, and fails the test when the mock is verified or dropped.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use wiremock::matchers::any;
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

use crate::fixtures::{self, Fixture, REQUEST_ID_HEADER, ScopedFixture};

/// The access key id of the clients the mock hands out.
pub const MOCK_ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
/// The secret access key of the clients the mock hands out.
pub const MOCK_SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// The status of the catch-all answer to a request no fixture matches: outside what lakeFS
/// sends, so it cannot be mistaken for a fixture's answer (the SDK reports it as a server
/// error).
pub const UNEXPECTED_STATUS: u16 = 599;
/// The `X-Request-ID` of the catch-all answer.
pub const UNEXPECTED_REQUEST_ID: &str = "lakefs-testkit-unexpected-request";

type Unexpected = Arc<Mutex<Vec<String>>>;

fn describe(request: &Request) -> String {
    let mut target = request.url.path().to_string();
    if let Some(query) = request.url.query() {
        target.push('?');
        target.push_str(query);
    }
    match fixtures::operation_of(request) {
        Some(op) => format!("{} {target} (operation {op})", request.method),
        None => format!("{} {target} (no lakeFS operation)", request.method),
    }
}

fn catch_all(unexpected: Unexpected) -> Mock {
    Mock::given(any())
        .respond_with(move |request: &Request| {
            let what = describe(request);
            let message =
                format!("lakefs-testkit: unexpected request {what}: no fixture matches it");
            unexpected
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(what);
            ResponseTemplate::new(UNEXPECTED_STATUS)
                .insert_header(REQUEST_ID_HEADER, UNEXPECTED_REQUEST_ID)
                .set_body_raw(
                    serde_json::json!({ "message": message }).to_string(),
                    "application/json",
                )
        })
        .with_priority(u8::MAX)
        .named("lakefs-testkit catch-all (unexpected requests)")
}

/// A mock lakeFS server for async tests, on wiremock.
///
/// ```
/// use lakefs_api::{BranchesApi, ErrorKind};
/// use lakefs_testkit::{Fixture, MockLakeFs};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let lakefs = MockLakeFs::start().await;
/// lakefs.mount(Fixture::error_for("getBranch", 404)).await;
///
/// let err = lakefs.client().get_branch("repo", "main").await.unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::NotFound);
/// lakefs.verify().await; // expectations met, no unexpected request
/// # }
/// ```
///
/// Dropping it verifies the fixtures' expectations (wiremock's rule) and that no request
/// went unanswered by a fixture, and panics otherwise (unless the thread is already
/// panicking).
pub struct MockLakeFs {
    server: MockServer,
    unexpected: Unexpected,
}

impl fmt::Debug for MockLakeFs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockLakeFs")
            .field("uri", &self.server.uri())
            .finish_non_exhaustive()
    }
}

impl MockLakeFs {
    /// Starts a mock on a free port of `127.0.0.1`, with only the catch-all mounted.
    pub async fn start() -> MockLakeFs {
        MockLakeFs::on(MockServer::start().await).await
    }

    /// Uses an already started wiremock server (e.g. one built with `MockServer::builder()`),
    /// mounting the catch-all on it.
    pub async fn on(server: MockServer) -> MockLakeFs {
        let unexpected = Unexpected::default();
        server.register(catch_all(unexpected.clone())).await;
        MockLakeFs { server, unexpected }
    }

    /// The wiremock server, for anything this type does not wrap.
    pub fn server(&self) -> &MockServer {
        &self.server
    }

    /// The server's base URL, e.g. `http://127.0.0.1:41234` (without `/api/v1`).
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The lakeFS endpoint to configure a client with: the same as [`uri`](Self::uri) (clients
    /// add `/api/v1`).
    pub fn endpoint(&self) -> String {
        self.server.uri()
    }

    /// A client builder pointed at the mock with the test credentials
    /// ([`MOCK_ACCESS_KEY_ID`]); set timeouts on it before building.
    ///
    /// Retries are off, so that each fixture answers exactly the request a test makes; to test
    /// your retry handling, set [`RetryConfig`](lakefs_api::RetryConfig) on the builder and
    /// mount fixtures with `up_to_n_times`.
    pub fn client_builder(&self) -> lakefs_api::LakeFsClientBuilder {
        lakefs_api::LakeFsClient::builder()
            .endpoint(self.endpoint())
            .access_key(MOCK_ACCESS_KEY_ID, MOCK_SECRET_ACCESS_KEY)
            .retry(lakefs_api::RetryConfig::disabled())
    }

    /// An async client pointed at the mock with the test credentials.
    ///
    /// # Panics
    ///
    /// When the HTTP client cannot be built (no TLS backend): the test cannot run.
    pub fn client(&self) -> lakefs_api::LakeFsClient {
        match self.client_builder().build() {
            Ok(client) => client,
            Err(e) => panic!("lakefs-testkit: cannot build a client for the mock: {e}"),
        }
    }

    /// A blocking client (`lakefs-blocking`) pointed at the mock with the test credentials,
    /// for synchronous code under test. Prefer [`BlockingMockLakeFs`] and a plain `#[test]`:
    /// inside an async runtime the blocking client blocks the calling task.
    ///
    /// # Panics
    ///
    /// When the client cannot be built.
    pub fn blocking_client(&self) -> lakefs_blocking::LakeFsClient {
        match lakefs_blocking::LakeFsClient::from_builder(self.client_builder()) {
            Ok(client) => client,
            Err(e) => panic!("lakefs-testkit: cannot build a blocking client for the mock: {e}"),
        }
    }

    /// Mounts a fixture (or any wiremock [`Mock`]) for the rest of the mock's life.
    pub async fn mount(&self, fixture: impl Into<Mock>) {
        self.server.register(fixture.into()).await;
    }

    /// Mounts every fixture.
    pub async fn mount_all(&self, fixtures: impl IntoIterator<Item = Fixture>) {
        for fixture in fixtures {
            self.mount(fixture).await;
        }
    }

    /// Mounts a fixture until the returned guard is dropped; dropping the guard checks the
    /// fixture's [`expect`](Fixture::expect)ation.
    ///
    /// Use this rather than wiremock's `MockServer::register_as_scoped` on [`server`](Self::server):
    /// wiremock 0.6 sorts its mounted mocks by priority in place while its guards remember
    /// positions, so with the catch-all (lowest priority) mounted first, its guards deactivate
    /// and verify the wrong mock.
    pub async fn mount_as_scoped(&self, fixture: Fixture) -> ScopedFixture {
        let (mock, guard) = fixture.into_scoped();
        self.server.register(mock).await;
        guard
    }

    /// Every request received so far, in order.
    pub async fn received_requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap_or_default()
    }

    /// The requests received so far for one operation, in order.
    ///
    /// # Panics
    ///
    /// When no lakeFS operation has this operationId.
    pub async fn received_requests_for(&self, operation_id: &str) -> Vec<Request> {
        self.received_requests_matching(&fixtures::operation(operation_id))
            .await
    }

    /// The requests received so far that `matcher` matches (e.g.
    /// `operation("commit").path_param("branch", "main")`), in order.
    pub async fn received_requests_matching(&self, matcher: &impl Match) -> Vec<Request> {
        self.received_requests()
            .await
            .into_iter()
            .filter(|r| matcher.matches(r))
            .collect()
    }

    /// Panics unless exactly `times` received requests match `matcher`, listing what was
    /// received.
    pub async fn assert_calls(&self, matcher: &fixtures::OperationMatcher, times: usize) {
        let matching = self.received_requests_matching(matcher).await.len();
        if matching != times {
            let received: Vec<String> = self
                .received_requests()
                .await
                .iter()
                .map(describe)
                .collect();
            panic!(
                "lakefs-testkit: expected {times} call(s) of {} {} {:?}, got {matching}; received:\n  {}",
                matcher.operation_id(),
                matcher.method(),
                matcher.path_template(),
                received.join("\n  ")
            );
        }
    }

    /// The requests no fixture matched (answered by the catch-all), as `METHOD path
    /// (operation ...)`.
    pub fn unexpected_requests(&self) -> Vec<String> {
        self.unexpected
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Returns and forgets the unexpected requests (for tests that provoke one on purpose).
    pub fn take_unexpected_requests(&self) -> Vec<String> {
        std::mem::take(
            &mut *self
                .unexpected
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// Panics, naming them, if any request matched no fixture.
    pub fn assert_no_unexpected_requests(&self) {
        let unexpected = self.unexpected_requests();
        if !unexpected.is_empty() {
            panic!(
                "lakefs-testkit: {} request(s) matched no fixture:\n  {}",
                unexpected.len(),
                unexpected.join("\n  ")
            );
        }
    }

    /// Verifies every mounted fixture's expectations ([`Fixture::expect`]) and that no
    /// request went unexpected; panics otherwise.
    pub async fn verify(&self) {
        self.server.verify().await;
        self.assert_no_unexpected_requests();
    }

    /// Unmounts every fixture and forgets every received request (the catch-all stays).
    pub async fn reset(&self) {
        self.server.reset().await;
        self.take_unexpected_requests();
        self.server
            .register(catch_all(self.unexpected.clone()))
            .await;
    }
}

impl Drop for MockLakeFs {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let unexpected = self.unexpected_requests();
        if !unexpected.is_empty() {
            panic!(
                "lakefs-testkit: the mock lakeFS received {} request(s) no fixture matched:\n  {}",
                unexpected.len(),
                unexpected.join("\n  ")
            );
        }
    }
}

/// [`MockLakeFs`] for synchronous tests and code.
///
/// wiremock serves from its own thread; this type starts the server on a short-lived runtime
/// thread and drives its (runtime-independent) control calls with a small executor, so it
/// works from a plain `#[test]` and never needs the caller's runtime.
///
/// ```
/// use lakefs_blocking::BranchesApi;
/// use lakefs_testkit::{BlockingMockLakeFs, Fixture};
///
/// let lakefs = BlockingMockLakeFs::start().unwrap();
/// lakefs.mount(Fixture::error_for("getBranch", 404).expect(1));
/// let err = lakefs.blocking_client().get_branch("repo", "main").unwrap_err();
/// assert!(err.is_not_found());
/// lakefs.verify();
/// ```
pub struct BlockingMockLakeFs {
    inner: MockLakeFs,
}

impl fmt::Debug for BlockingMockLakeFs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingMockLakeFs")
            .field("uri", &self.inner.uri())
            .finish_non_exhaustive()
    }
}

impl BlockingMockLakeFs {
    /// Starts a mock on a free port of `127.0.0.1`, with only the catch-all mounted.
    pub fn start() -> io::Result<BlockingMockLakeFs> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let inner = std::thread::Builder::new()
            .name("lakefs-mock-start".to_string())
            .spawn(move || runtime.block_on(MockLakeFs::start()))?
            .join()
            .map_err(|_| io::Error::other("the mock lakeFS failed to start"))?;
        Ok(BlockingMockLakeFs { inner })
    }

    /// The async mock, e.g. for [`MockLakeFs::client_builder`].
    pub fn as_async(&self) -> &MockLakeFs {
        &self.inner
    }

    /// The wiremock server.
    pub fn server(&self) -> &MockServer {
        self.inner.server()
    }

    /// The server's base URL, e.g. `http://127.0.0.1:41234` (without `/api/v1`).
    pub fn uri(&self) -> String {
        self.inner.uri()
    }

    /// The lakeFS endpoint to configure a client with.
    pub fn endpoint(&self) -> String {
        self.inner.endpoint()
    }

    /// A client builder pointed at the mock with the test credentials.
    pub fn client_builder(&self) -> lakefs_api::LakeFsClientBuilder {
        self.inner.client_builder()
    }

    /// An async client pointed at the mock with the test credentials.
    ///
    /// # Panics
    ///
    /// When the HTTP client cannot be built.
    pub fn client(&self) -> lakefs_api::LakeFsClient {
        self.inner.client()
    }

    /// A blocking client (`lakefs-blocking`) pointed at the mock with the test credentials.
    ///
    /// # Panics
    ///
    /// When the client cannot be built.
    pub fn blocking_client(&self) -> lakefs_blocking::LakeFsClient {
        self.inner.blocking_client()
    }

    /// Mounts a fixture (or any wiremock [`Mock`]) for the rest of the mock's life.
    pub fn mount(&self, fixture: impl Into<Mock>) {
        futures::executor::block_on(self.inner.mount(fixture));
    }

    /// Mounts a fixture until the returned guard is dropped; see
    /// [`MockLakeFs::mount_as_scoped`].
    pub fn mount_as_scoped(&self, fixture: Fixture) -> ScopedFixture {
        futures::executor::block_on(self.inner.mount_as_scoped(fixture))
    }

    /// Every request received so far, in order.
    pub fn received_requests(&self) -> Vec<Request> {
        futures::executor::block_on(self.inner.received_requests())
    }

    /// The requests received so far for one operation.
    ///
    /// # Panics
    ///
    /// When no lakeFS operation has this operationId.
    pub fn received_requests_for(&self, operation_id: &str) -> Vec<Request> {
        futures::executor::block_on(self.inner.received_requests_for(operation_id))
    }

    /// Panics unless exactly `times` received requests match `matcher`.
    pub fn assert_calls(&self, matcher: &fixtures::OperationMatcher, times: usize) {
        futures::executor::block_on(self.inner.assert_calls(matcher, times));
    }

    /// The requests no fixture matched.
    pub fn unexpected_requests(&self) -> Vec<String> {
        self.inner.unexpected_requests()
    }

    /// Returns and forgets the unexpected requests.
    pub fn take_unexpected_requests(&self) -> Vec<String> {
        self.inner.take_unexpected_requests()
    }

    /// Panics, naming them, if any request matched no fixture.
    pub fn assert_no_unexpected_requests(&self) {
        self.inner.assert_no_unexpected_requests();
    }

    /// Verifies the fixtures' expectations and that no request went unexpected.
    pub fn verify(&self) {
        futures::executor::block_on(self.inner.verify());
    }

    /// Unmounts every fixture and forgets every received request.
    pub fn reset(&self) {
        futures::executor::block_on(self.inner.reset());
    }
}

/// A bare HTTP/1.1 server that answers every request with `200 OK`, a `Content-Length` larger
/// than the body it then sends, and closes the connection: a connection cut in the middle of a
/// body, which wiremock cannot produce (see [`Fixture::connection_closed`]).
///
/// lakeFS serves presigned downloads by redirecting to the object store, so the honest way to
/// cut a download is [`Fixture::redirect`]`("getObject", server.url())`: the SDK follows the
/// redirect, receives the headers, and the body ends early. It serves from its own thread, so
/// it works with [`MockLakeFs`] and [`BlockingMockLakeFs`] alike, and stops when dropped.
pub struct CutBodyServer {
    address: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for CutBodyServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CutBodyServer")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl CutBodyServer {
    /// Starts a server on a free port of `127.0.0.1` that announces `declared_length` bytes
    /// and sends only `sent` (which should be shorter) before closing.
    pub fn start(declared_length: u64, sent: impl Into<Vec<u8>>) -> io::Result<CutBodyServer> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let address = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let sent = sent.into();
        let thread = std::thread::Builder::new()
            .name("lakefs-cut-body".to_string())
            .spawn(move || {
                for stream in listener.incoming() {
                    if stopping.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        // A client that goes away is not this server's concern.
                        let _ = answer_cut(stream, declared_length, &sent);
                    }
                }
            })?;
        Ok(CutBodyServer {
            address,
            stop,
            thread: Some(thread),
        })
    }

    /// The URL to redirect to, e.g. `http://127.0.0.1:41234/cut-body`.
    pub fn url(&self) -> String {
        format!("http://{}/cut-body", self.address)
    }
}

fn answer_cut(mut stream: TcpStream, declared_length: u64, sent: &[u8]) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    // Read the request head first: closing with unread input would reset the connection
    // before the client sees the answer.
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n\
         content-length: {declared_length}\r\netag: \"cut-body\"\r\n\
         last-modified: {}\r\nconnection: close\r\n\r\n",
        fixtures::LAST_MODIFIED
    );
    stream.write_all(answer.as_bytes())?;
    stream.write_all(sent)?;
    stream.flush()?;
    stream.shutdown(Shutdown::Both)
}

impl Drop for CutBodyServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
