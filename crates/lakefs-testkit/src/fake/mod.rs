//! A stateful in-memory lakeFS server for tests.
//!
//! [`FakeLakeFs`] serves the real lakeFS HTTP API under `/api/v1` on `127.0.0.1`: repositories,
//! branches with staging areas, objects, commits, diffs, merges and tags behave as on a lakeFS
//! server, with lakeFS's status codes and error bodies. Operations it does not implement answer
//! 501 with a message naming the operation.
//!
//! ```no_run
//! # async fn demo() {
//! let fake = lakefs_testkit::FakeLakeFs::start().await;
//! let endpoint = fake.endpoint(); // e.g. "http://127.0.0.1:41234"
//! // point a lakeFS client at `endpoint` with fake.access_key_id() / fake.secret_access_key()
//! # let _ = endpoint;
//! # }
//! ```

mod auth;
mod blocking;
mod clock;
mod diff;
mod digest;
mod handlers;
mod http;
mod merge;
mod model;
mod multipart;
mod names;
mod paging;
mod refs;
mod router;

use std::fmt;
use std::sync::{Arc, Mutex};

use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub use blocking::BlockingFakeLakeFs;
use model::State;

/// The access key id the fake accepts (HTTP basic user name).
pub const FAKE_ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
/// The secret access key the fake accepts (HTTP basic password).
pub const FAKE_SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// A running in-memory lakeFS server. It stops when dropped.
pub struct FakeLakeFs {
    server: MockServer,
}

impl fmt::Debug for FakeLakeFs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeLakeFs")
            .field("endpoint", &self.endpoint())
            .finish_non_exhaustive()
    }
}

/// wiremock's view of the fake: every request goes through here.
struct FakeResponder {
    state: Arc<Mutex<State>>,
}

impl Respond for FakeResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        router::respond(&self.state, request)
    }
}

impl FakeLakeFs {
    /// Starts an empty fake on a free port of `127.0.0.1`.
    pub async fn start() -> FakeLakeFs {
        FakeLakeFs::serve(None).await
    }

    /// Starts an empty fake on an already bound listener (e.g. a fixed port).
    pub async fn start_on(listener: std::net::TcpListener) -> FakeLakeFs {
        FakeLakeFs::serve(Some(listener)).await
    }

    async fn serve(listener: Option<std::net::TcpListener>) -> FakeLakeFs {
        let mut builder = MockServer::builder().disable_request_recording();
        if let Some(listener) = listener {
            builder = builder.listener(listener);
        }
        let server = builder.start().await;
        let responder = FakeResponder {
            state: Arc::new(Mutex::new(State::new(clock::now()))),
        };
        Mock::given(any())
            .respond_with(responder)
            .mount(&server)
            .await;
        FakeLakeFs { server }
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`, without the `/api/v1` API path.
    pub fn endpoint(&self) -> String {
        self.server.uri()
    }

    /// The access key id the fake accepts: [`FAKE_ACCESS_KEY_ID`].
    pub fn access_key_id(&self) -> &str {
        FAKE_ACCESS_KEY_ID
    }

    /// The secret access key the fake accepts: [`FAKE_SECRET_ACCESS_KEY`].
    pub fn secret_access_key(&self) -> &str {
        FAKE_SECRET_ACCESS_KEY
    }
}
