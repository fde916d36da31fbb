//! Fixtures: wiremock [`Mock`]s that answer one lakeFS operation exactly as a lakeFS server
//! (or a proxy in front of one) would.
//!
//! A [`Fixture`] is a builder. Start from a documented case ([`Fixture::error`],
//! [`Fixture::success`]), from an operation and a status ([`Fixture::error_for`],
//! [`Fixture::success_for`]), or from one of the failures real deployments send although the
//! spec does not document them ([`Fixture::too_many_requests`], [`Fixture::slow_down`],
//! [`Fixture::proxy_bad_gateway`], ...). Adjust it ([`message`](Fixture::message),
//! [`path_param`](Fixture::path_param), [`delay`](Fixture::delay),
//! [`expect`](Fixture::expect), ...), then mount it on a [`MockLakeFs`](crate::MockLakeFs)
//! or turn it into a plain [`Mock`] with [`Fixture::into_mock`].
//!
//! Every fixture matches its operation's method and path template ([`operation`]), so it
//! answers whatever arguments the code under test passes, unless narrowed with
//! [`Fixture::path_param`] or [`Fixture::and`].

use std::fmt;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::{Match, Mock, Request, ResponseTemplate, Times};

use crate::cases::{self, ErrorCase, ErrorSchema, SuccessBody, SuccessCase};
use lakefs_fake::routes::{self, Lookup};

/// The path every lakeFS API route lives under.
pub const API_PREFIX: &str = "/api/v1";

/// The header lakeFS puts its request id in.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The message lakeFS sends with a 503 when it is throttled (not in the spec).
pub const SLOW_DOWN_MESSAGE: &str = "Throughput exceeded. Slow down and retry";

/// The message lakeFS sends with a 500 when a branch is locked (not in the spec).
pub const BRANCH_LOCKED_MESSAGE: &str = "branch is currently locked, try again later";

/// The `physical_address` of the `StagingLocation` body of a staging conflict fixture.
pub const STAGING_PHYSICAL_ADDRESS: &str = "s3://lakefs-testkit/data/gk2u8gbr1b7c73bq1o4g";

/// The `Last-Modified` of the byte answers.
pub const LAST_MODIFIED: &str = "Tue, 14 Nov 2023 22:13:20 GMT";

/// A proxy's HTML error page, as nginx sends it.
fn proxy_page(status: u16, reason: &str) -> String {
    format!(
        "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n\
         <center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n\
         </body>\r\n</html>\r\n"
    )
}

/// What a login page in front of lakeFS sends instead of JSON.
const LOGIN_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\
     <body><form action=\"/login\" method=\"post\"><input name=\"username\"></form></body></html>\n";

/// The message lakeFS-like servers send for a status.
pub fn default_message(status: u16) -> &'static str {
    match status {
        400 => "bad request: validation error",
        401 => "error authenticating request",
        403 => "insufficient permissions",
        404 => "not found",
        409 => "conflict: resource already exists",
        410 => "gone: the repository is being deleted",
        412 => "precondition failed",
        416 => "requested range not satisfiable",
        420 | 429 => "too many requests",
        500 => "internal server error",
        501 => "not implemented by this lakeFS edition",
        502 => "bad gateway",
        503 => "service unavailable",
        504 => "gateway timeout",
        _ => "request failed",
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        410 => "Gone",
        412 => "Precondition Failed",
        416 => "Range Not Satisfiable",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    }
}

/// A request id that looks like lakeFS's (a UUID), stable for the same inputs so that test
/// failures are reproducible.
pub fn request_id_for(parts: &[&str]) -> String {
    fn fnv(seed: u64, parts: &[&str]) -> u64 {
        let mut hash = seed;
        for part in parts {
            for byte in part.bytes().chain(std::iter::once(0xff)) {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        }
        hash
    }
    let high = fnv(0xcbf2_9ce4_8422_2325, parts);
    let low = fnv(0x8422_2325_cbf2_9ce4, parts);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xfff,
        low >> 52,
        low & 0xffff_ffff_ffff
    )
}

// ---------------------------------------------------------------------------- matching

/// A wiremock matcher for one lakeFS operation: its HTTP method and its path template, matched
/// segment by segment on the raw (still percent-encoded) path after `/api/v1`.
///
/// When a path fits several templates (`/repositories/{repository}/refs/dump` also fits
/// `.../refs/{ref}`-like templates), the one with the most fixed words wins, as in lakeFS's own
/// router, so a fixture never answers another operation's request.
///
/// ```
/// use lakefs_testkit::fixtures::operation;
/// use wiremock::{Mock, ResponseTemplate};
///
/// let mock = Mock::given(operation("getBranch").path_param("branch", "feature%2Fx"))
///     .respond_with(ResponseTemplate::new(404));
/// # let _ = mock;
/// ```
#[derive(Debug, Clone)]
pub struct OperationMatcher {
    operation_id: &'static str,
    method: &'static str,
    path: &'static str,
    params: Vec<(String, String)>,
}

/// The matcher of an operation, by operationId.
///
/// # Panics
///
/// When no lakeFS operation has this operationId (a typo in a test).
pub fn operation(operation_id: &str) -> OperationMatcher {
    match routes::all()
        .iter()
        .find(|r| r.operation_id == operation_id)
    {
        Some(route) => OperationMatcher {
            operation_id: route.operation_id,
            method: route.method,
            path: route.path,
            params: Vec::new(),
        },
        None => panic!(
            "lakefs-testkit: no lakeFS operation has the operationId `{operation_id}` \
             (operationIds are camelCase, e.g. `getBranch`)"
        ),
    }
}

impl OperationMatcher {
    /// Also requires a path parameter to be exactly `raw_value`, compared still
    /// percent-encoded as the client sent it: spell `feature%2Fx` for the branch `feature/x`.
    pub fn path_param(mut self, name: impl Into<String>, raw_value: impl Into<String>) -> Self {
        self.params.push((name.into(), raw_value.into()));
        self
    }

    /// The operationId, e.g. `getBranch`.
    pub fn operation_id(&self) -> &'static str {
        self.operation_id
    }

    /// The upper-case HTTP method.
    pub fn method(&self) -> &'static str {
        self.method
    }

    /// The path template relative to `/api/v1`.
    pub fn path_template(&self) -> &'static str {
        self.path
    }
}

impl Match for OperationMatcher {
    fn matches(&self, request: &Request) -> bool {
        if !request.method.as_str().eq_ignore_ascii_case(self.method) {
            return false;
        }
        let Some(rest) = request.url.path().strip_prefix(API_PREFIX) else {
            return false;
        };
        match routes::lookup(self.method, rest) {
            Lookup::Found(route, params) if route.operation_id == self.operation_id => {
                self.params.iter().all(|(name, expected)| {
                    params
                        .iter()
                        .any(|(n, actual)| n == name && actual == expected)
                })
            }
            _ => false,
        }
    }
}

/// The operation a request is for, when it is one of lakeFS's.
pub fn operation_of(request: &Request) -> Option<&'static str> {
    let rest = request.url.path().strip_prefix(API_PREFIX)?;
    match routes::lookup(request.method.as_str(), rest) {
        Lookup::Found(route, _) => Some(route.operation_id),
        _ => None,
    }
}

#[derive(Clone)]
struct Extra(Arc<dyn Match>);

impl Match for Extra {
    fn matches(&self, request: &Request) -> bool {
        self.0.matches(request)
    }
}

/// How many requests a fixture expects, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Expectation {
    min: u64,
    max: Option<u64>,
}

impl Expectation {
    fn from_range(range: impl RangeBounds<u64>) -> Expectation {
        let min = match range.start_bound() {
            Bound::Included(n) => *n,
            Bound::Excluded(n) => n.saturating_add(1),
            Bound::Unbounded => 0,
        };
        let max = match range.end_bound() {
            Bound::Included(n) => Some(*n),
            // `0..0` expects nothing at all... and accepts nothing: keep it that way.
            Bound::Excluded(n) => Some(n.saturating_sub(1)),
            Bound::Unbounded => None,
        };
        Expectation { min, max }
    }

    fn contains(&self, n: u64) -> bool {
        n >= self.min && self.max.is_none_or(|max| n <= max)
    }

    fn times(&self) -> Times {
        match self.max {
            Some(max) => (self.min..=max).into(),
            None => (self.min..).into(),
        }
    }
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.max {
            Some(max) if max == self.min => write!(f, "exactly {max}"),
            Some(max) => write!(f, "between {} and {max}", self.min),
            None => write!(f, "at least {}", self.min),
        }
    }
}

/// Lets a scoped fixture's requests through while its guard lives (first matcher).
#[derive(Debug, Clone)]
struct Active(Arc<AtomicBool>);

impl Match for Active {
    fn matches(&self, _: &Request) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Counts the requests a scoped fixture answers (last matcher: reached only when every
/// other matcher agreed, and wiremock answers with the first mock that matches).
#[derive(Debug, Clone)]
struct Hits(Arc<AtomicU64>);

impl Match for Hits {
    fn matches(&self, _: &Request) -> bool {
        self.0.fetch_add(1, Ordering::SeqCst);
        true
    }
}

/// A fixture mounted with [`MockLakeFs::mount_as_scoped`](crate::MockLakeFs::mount_as_scoped):
/// it answers until this guard is dropped, and the drop checks its
/// [`expect`](Fixture::expect)ation (panicking, unless the thread already is).
#[must_use = "the fixture stops answering as soon as its guard is dropped"]
#[derive(Debug)]
pub struct ScopedFixture {
    name: String,
    active: Arc<AtomicBool>,
    hits: Arc<AtomicU64>,
    expectation: Option<Expectation>,
}

impl ScopedFixture {
    /// How many requests the fixture answered so far.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for ScopedFixture {
    fn drop(&mut self) {
        self.active.store(false, Ordering::SeqCst);
        let hits = self.hits();
        if let Some(expectation) = self.expectation
            && !expectation.contains(hits)
            && !std::thread::panicking()
        {
            panic!(
                "lakefs-testkit: the scoped fixture `{}` expected {expectation} matching \
                 request(s), got {hits}",
                self.name
            );
        }
    }
}

// ---------------------------------------------------------------------------- answers

#[derive(Debug, Clone)]
enum Body {
    Empty,
    Json(Value),
    Raw {
        bytes: Vec<u8>,
        content_type: String,
    },
}

#[derive(Debug, Clone)]
enum Answer {
    Http {
        status: u16,
        body: Body,
        headers: Vec<(String, String)>,
        request_id: Option<String>,
        delay: Option<Duration>,
    },
    /// The server drops the connection without answering.
    CloseConnection,
}

/// A wiremock [`Mock`] in the making that answers one lakeFS operation. See the
/// [module documentation](self).
#[derive(Clone)]
pub struct Fixture {
    matcher: OperationMatcher,
    extra: Vec<Extra>,
    answer: Answer,
    expect: Option<Expectation>,
    up_to: Option<u64>,
    priority: Option<u8>,
    name: String,
}

impl fmt::Debug for Fixture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fixture")
            .field("name", &self.name)
            .field("matcher", &self.matcher)
            .field("extra_matchers", &self.extra.len())
            .field("answer", &self.answer)
            .field("expect", &self.expect)
            .field("up_to", &self.up_to)
            .field("priority", &self.priority)
            .finish()
    }
}

impl Fixture {
    fn http(matcher: OperationMatcher, name: String, status: u16, body: Body) -> Fixture {
        let request_id = request_id_for(&[&name]);
        Fixture {
            matcher,
            extra: Vec::new(),
            answer: Answer::Http {
                status,
                body,
                headers: Vec::new(),
                request_id: Some(request_id),
                delay: None,
            },
            expect: None,
            up_to: None,
            priority: None,
            name,
        }
    }

    // ------------------------------------------------------------------ documented errors

    /// Answers a documented error case exactly as lakeFS does: the case's status, an
    /// `X-Request-ID`, and the documented body as `application/json`:
    ///
    /// * `Error`: `{"message": ...}` with a lakeFS-like message ([`default_message`]);
    /// * `ErrorNoACL` (`getGroupACL` 404): `{"message": ..., "no_acl": true}`;
    /// * `MergeResult` (merge 409): `{"reference": ""}`;
    /// * `StagingLocation` (link/complete 409): `{"physical_address": ...}`
    ///   ([`STAGING_PHYSICAL_ADDRESS`]);
    /// * none (a documented 429, `headObject`'s errors): no body.
    ///
    /// The spec's `default` response is answered as 500.
    pub fn error(case: &ErrorCase) -> Fixture {
        let matcher = OperationMatcher {
            operation_id: case.operation_id,
            method: case.method,
            path: case.path,
            params: Vec::new(),
        };
        let message = default_message(case.status);
        let body = match case.schema {
            ErrorSchema::Error => Body::Json(json!({ "message": message })),
            ErrorSchema::ErrorNoAcl => Body::Json(json!({ "message": message, "no_acl": true })),
            ErrorSchema::MergeResult => Body::Json(json!({ "reference": "" })),
            ErrorSchema::StagingLocation => Body::Json(json!({
                "physical_address": STAGING_PHYSICAL_ADDRESS,
                "presigned_url": format!(
                    "https://lakefs-testkit.s3.amazonaws.com/data/gk2u8gbr1b7c73bq1o4g?X-Amz-Signature={}",
                    request_id_for(&[case.operation_id]).replace('-', "")
                ),
                "presigned_url_expiry": 1_700_000_900_i64,
            })),
            _ => Body::Empty,
        };
        let name = format!("{} {}", case.operation_id, case.status);
        Fixture::http(matcher, name, case.status, body)
    }

    /// [`Fixture::error`] for an operation and a status, e.g. `error_for("getBranch", 404)`.
    /// A status the spec does not document for the operation gets lakeFS's usual
    /// `{"message": ...}` body.
    ///
    /// # Panics
    ///
    /// When no lakeFS operation has this operationId.
    pub fn error_for(operation_id: &str, status: u16) -> Fixture {
        match cases::error_case(operation_id, status) {
            Some(case) => Fixture::error(case),
            None => {
                let matcher = operation(operation_id);
                let name = format!("{} {status}", matcher.operation_id);
                let body = Body::Json(json!({ "message": default_message(status) }));
                Fixture::http(matcher, name, status, body)
            }
        }
    }

    // ------------------------------------------------------------------ successes

    /// Answers an operation's documented success: JSON as `application/json`, `createBranch`'s
    /// commit id as `text/html` (the spec's type), no body, object bytes with `ETag`,
    /// `Content-Length` and `Last-Modified`, or headers only (`headObject`, `uploadPartCopy`)
    /// with an `ETag`; always with an `X-Request-ID`.
    pub fn success(case: &SuccessCase) -> Fixture {
        let matcher = OperationMatcher {
            operation_id: case.operation_id,
            method: case.method,
            path: case.path,
            params: Vec::new(),
        };
        let name = format!("{} {}", case.operation_id, case.status);
        let etag = format!(
            "\"{}\"",
            request_id_for(&[case.operation_id]).replace('-', "")
        );
        let (body, headers) = match case.body {
            SuccessBody::Json(text) => (
                Body::Raw {
                    bytes: text.as_bytes().to_vec(),
                    content_type: "application/json".into(),
                },
                vec![],
            ),
            SuccessBody::Text(text) => (
                Body::Raw {
                    bytes: text.as_bytes().to_vec(),
                    content_type: "text/html".into(),
                },
                vec![],
            ),
            SuccessBody::Bytes(bytes) => (
                Body::Raw {
                    bytes: bytes.to_vec(),
                    content_type: "application/octet-stream".into(),
                },
                vec![
                    ("etag".to_string(), etag),
                    ("content-length".to_string(), bytes.len().to_string()),
                    ("last-modified".to_string(), LAST_MODIFIED.to_string()),
                ],
            ),
            SuccessBody::Headers if case.method == "HEAD" => (
                Body::Empty,
                vec![
                    ("etag".to_string(), etag),
                    (
                        "content-type".to_string(),
                        "application/octet-stream".into(),
                    ),
                    // A HEAD answer announces the length of the body a GET would get.
                    ("content-length".to_string(), "22".into()),
                    ("last-modified".to_string(), LAST_MODIFIED.to_string()),
                ],
            ),
            SuccessBody::Headers => (Body::Empty, vec![("etag".to_string(), etag)]),
            _ => (Body::Empty, vec![]),
        };
        let mut fixture = Fixture::http(matcher, name, case.status, body);
        if let Answer::Http { headers: h, .. } = &mut fixture.answer {
            *h = headers;
        }
        fixture
    }

    /// [`Fixture::success`] for an operation, by operationId.
    ///
    /// # Panics
    ///
    /// When no lakeFS operation has this operationId.
    pub fn success_for(operation_id: &str) -> Fixture {
        match cases::success_case(operation_id) {
            Some(case) => Fixture::success(case),
            None => {
                // Every operation has a success case; this names the typo.
                let matcher = operation(operation_id);
                let name = format!("{} 200", matcher.operation_id);
                Fixture::http(matcher, name, 200, Body::Empty)
            }
        }
    }

    /// Answers `status` with a JSON body (e.g. the operation's result as the code under test
    /// expects it) and an `X-Request-ID`.
    ///
    /// # Panics
    ///
    /// When no lakeFS operation has this operationId.
    pub fn json(operation_id: &str, status: u16, body: Value) -> Fixture {
        let matcher = operation(operation_id);
        let name = format!("{} {status}", matcher.operation_id);
        Fixture::http(matcher, name, status, Body::Json(body))
    }

    // ------------------------------------------------------------------ undocumented failures

    /// 429 with a JSON body, as lakeFS's rate limiter really answers (the spec documents no
    /// body).
    pub fn too_many_requests(operation_id: &str) -> Fixture {
        Fixture::error_with(operation_id, 429, default_message(429), "429 json")
    }

    /// 429 with no body and `Retry-After: 1`, as a rate-limiting proxy answers.
    pub fn too_many_requests_without_body(operation_id: &str) -> Fixture {
        let matcher = operation(operation_id);
        let name = format!("{} 429 empty", matcher.operation_id);
        Fixture::http(matcher, name, 429, Body::Empty).retry_after(1)
    }

    /// 503 `Throughput exceeded. Slow down and retry`: lakeFS is throttled.
    pub fn slow_down(operation_id: &str) -> Fixture {
        Fixture::error_with(operation_id, 503, SLOW_DOWN_MESSAGE, "503 slow down")
    }

    /// 500 `branch is currently locked, try again later`: the branch is locked.
    pub fn branch_locked(operation_id: &str) -> Fixture {
        Fixture::error_with(operation_id, 500, BRANCH_LOCKED_MESSAGE, "500 locked")
    }

    /// 410: the repository is being deleted.
    pub fn repository_gone(operation_id: &str) -> Fixture {
        Fixture::error_with(operation_id, 410, default_message(410), "410 gone")
    }

    /// 501: this lakeFS edition does not implement the operation.
    pub fn not_implemented(operation_id: &str) -> Fixture {
        Fixture::error_with(operation_id, 501, default_message(501), "501")
    }

    /// 502 with a proxy's HTML page (`text/html`) and no request id: lakeFS is down behind
    /// nginx.
    pub fn proxy_bad_gateway(operation_id: &str) -> Fixture {
        Fixture::proxy_page(operation_id, 502)
    }

    /// 504 with a proxy's HTML page (`text/html`) and no request id: lakeFS did not answer the
    /// proxy in time.
    pub fn proxy_gateway_timeout(operation_id: &str) -> Fixture {
        Fixture::proxy_page(operation_id, 504)
    }

    /// A success status with the operation's JSON answer cut in the middle, announced as
    /// `application/json` with a matching `Content-Length` (the server's encoder failed).
    pub fn truncated_json(operation_id: &str) -> Fixture {
        let matcher = operation(operation_id);
        let (status, full) = match cases::success_case(matcher.operation_id) {
            Some(SuccessCase {
                status,
                body: SuccessBody::Json(text),
                ..
            }) => (*status, *text),
            Some(case) => (case.status, r#"{"id":"main","commit_id":"a3f7c1d2"}"#),
            None => (200, r#"{"id":"main","commit_id":"a3f7c1d2"}"#),
        };
        let mut cut = (full.len() / 2).max(1);
        while !full.is_char_boundary(cut) {
            cut -= 1;
        }
        let name = format!("{} {status} truncated json", matcher.operation_id);
        let body = Body::Raw {
            bytes: full.as_bytes()[..cut].to_vec(),
            content_type: "application/json".into(),
        };
        Fixture::http(matcher, name, status, body)
    }

    /// A success status with an HTML page (`text/html`) instead of the JSON the operation
    /// answers: a login portal or a misrouted proxy.
    pub fn html_instead_of_json(operation_id: &str) -> Fixture {
        let matcher = operation(operation_id);
        let status = cases::success_case(matcher.operation_id).map_or(200, |c| c.status);
        let name = format!("{} {status} html", matcher.operation_id);
        let body = Body::Raw {
            bytes: LOGIN_PAGE.as_bytes().to_vec(),
            content_type: "text/html; charset=utf-8".into(),
        };
        Fixture::http(matcher, name, status, body)
    }

    /// The operation's success answer, sent after `delay`: for timeouts.
    pub fn slow(operation_id: &str, delay: Duration) -> Fixture {
        Fixture::success_for(operation_id).delay(delay)
    }

    /// The server accepts the request, then closes the connection without answering: the
    /// client sees the connection end before a response.
    ///
    /// This is the closest wiremock allows to a connection closed in the middle of a body.
    /// wiremock answers with a fully buffered body whose length hyper knows; a `Content-Length`
    /// larger than that body trips a debug assertion in hyper's encoder ("payload claims
    /// content-length of N, custom content-length header claims M": the connection task
    /// panics and the client sees the connection end before the answer), and in release
    /// builds hyper sends the short body and keeps the connection open, so the client waits
    /// for the missing bytes until its read timeout. Neither is an honest "closed mid-body".
    /// For a real cut in the middle of a body, redirect a download to a
    /// [`CutBodyServer`](crate::mock::CutBodyServer) with [`Fixture::redirect`].
    pub fn connection_closed(operation_id: &str) -> Fixture {
        let matcher = operation(operation_id);
        Fixture {
            name: format!("{} connection closed", matcher.operation_id),
            matcher,
            extra: Vec::new(),
            answer: Answer::CloseConnection,
            expect: None,
            up_to: None,
            priority: None,
        }
    }

    /// A `302 Found` to `location`, as lakeFS answers a presigned download
    /// (`getObject` with `presign`): the SDK follows it without lakeFS credentials. Point it at
    /// a [`CutBodyServer`](crate::mock::CutBodyServer) to cut the download in the middle of
    /// its body.
    pub fn redirect(operation_id: &str, location: impl Into<String>) -> Fixture {
        let matcher = operation(operation_id);
        let name = format!("{} 302 redirect", matcher.operation_id);
        Fixture::http(matcher, name, 302, Body::Empty).header("location", location)
    }

    /// Every failure above that real deployments send although the spec does not document
    /// it, for one operation: 429 with and without a body, 503 slow down, 500 branch locked,
    /// 410, 501, HTML 502 and 504, truncated JSON, HTML instead of JSON, connection closed.
    /// Run code under test against each to see it cope.
    pub fn undocumented_failures(operation_id: &str) -> Vec<Fixture> {
        vec![
            Fixture::too_many_requests(operation_id),
            Fixture::too_many_requests_without_body(operation_id),
            Fixture::slow_down(operation_id),
            Fixture::branch_locked(operation_id),
            Fixture::repository_gone(operation_id),
            Fixture::not_implemented(operation_id),
            Fixture::proxy_bad_gateway(operation_id),
            Fixture::proxy_gateway_timeout(operation_id),
            Fixture::truncated_json(operation_id),
            Fixture::html_instead_of_json(operation_id),
            Fixture::connection_closed(operation_id),
        ]
    }

    fn error_with(operation_id: &str, status: u16, message: &str, what: &str) -> Fixture {
        let matcher = operation(operation_id);
        let name = format!("{} {what}", matcher.operation_id);
        Fixture::http(
            matcher,
            name,
            status,
            Body::Json(json!({ "message": message })),
        )
    }

    fn proxy_page(operation_id: &str, status: u16) -> Fixture {
        let matcher = operation(operation_id);
        let name = format!("{} {status} proxy html", matcher.operation_id);
        let body = Body::Raw {
            bytes: proxy_page(status, reason(status)).into_bytes(),
            content_type: "text/html".into(),
        };
        Fixture::http(matcher, name, status, body).without_request_id()
    }

    // ------------------------------------------------------------------ adjusting the answer

    /// Sets the `message` of the JSON body (adding a JSON body when there is none).
    pub fn message(mut self, message: impl Into<String>) -> Self {
        if let Answer::Http { body, .. } = &mut self.answer {
            match body {
                Body::Json(Value::Object(map)) => {
                    map.insert("message".into(), Value::String(message.into()));
                }
                other => *other = Body::Json(json!({ "message": message.into() })),
            }
        }
        self
    }

    /// Replaces the body with this JSON document (`application/json`).
    pub fn json_body(mut self, value: Value) -> Self {
        if let Answer::Http { body, .. } = &mut self.answer {
            *body = Body::Json(value);
        }
        self
    }

    /// Replaces the body with these bytes and content type.
    pub fn raw_body(mut self, bytes: impl Into<Vec<u8>>, content_type: impl Into<String>) -> Self {
        if let Answer::Http { body, .. } = &mut self.answer {
            *body = Body::Raw {
                bytes: bytes.into(),
                content_type: content_type.into(),
            };
        }
        self
    }

    /// Removes the body.
    pub fn no_body(mut self) -> Self {
        if let Answer::Http { body, .. } = &mut self.answer {
            *body = Body::Empty;
        }
        self
    }

    /// Changes the status.
    pub fn status(mut self, new_status: u16) -> Self {
        if let Answer::Http { status, .. } = &mut self.answer {
            *status = new_status;
        }
        self
    }

    /// Sets the `X-Request-ID` (by default a stable UUID derived from the fixture's name).
    pub fn request_id(mut self, id: impl Into<String>) -> Self {
        if let Answer::Http { request_id, .. } = &mut self.answer {
            *request_id = Some(id.into());
        }
        self
    }

    /// Sends no `X-Request-ID`, as a proxy does.
    pub fn without_request_id(mut self) -> Self {
        if let Answer::Http { request_id, .. } = &mut self.answer {
            *request_id = None;
        }
        self
    }

    /// Adds (or replaces) a response header.
    ///
    /// The name and value must be valid HTTP; wiremock panics otherwise when the fixture is
    /// turned into a mock.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        if let Answer::Http { headers, .. } = &mut self.answer {
            let name = name.into().to_ascii_lowercase();
            headers.retain(|(n, _)| *n != name);
            headers.push((name, value.into()));
        }
        self
    }

    /// Adds `Retry-After: <seconds>`.
    pub fn retry_after(self, seconds: u64) -> Self {
        self.header("retry-after", seconds.to_string())
    }

    /// Answers only after `delay` (a slow server, for timeouts).
    pub fn delay(mut self, delay: Duration) -> Self {
        if let Answer::Http { delay: d, .. } = &mut self.answer {
            *d = Some(delay);
        }
        self
    }

    // ------------------------------------------------------------------ matching and counting

    /// Only answers requests whose path parameter `name` is exactly `raw_value`, compared
    /// percent-encoded (spell `feature%2Fx` for the branch `feature/x`).
    pub fn path_param(mut self, name: impl Into<String>, raw_value: impl Into<String>) -> Self {
        self.matcher = self.matcher.path_param(name, raw_value);
        self
    }

    /// Only answers requests that `matcher` matches too (any wiremock matcher:
    /// `query_param`, `header`, `body_json`, a closure...).
    pub fn and(mut self, matcher: impl Match + 'static) -> Self {
        self.extra.push(Extra(Arc::new(matcher)));
        self
    }

    /// Expects exactly this many matching requests, verified when the mock server is verified
    /// or dropped (or, for a scoped fixture, when its guard is dropped):
    /// `Fixture::success_for("commit").expect(1)` proves a commit is sent exactly once.
    pub fn expect(mut self, times: u64) -> Self {
        self.expect = Some(Expectation::from_range(times..=times));
        self
    }

    /// Expects a number of matching requests within `range` (`1..`, `..=3`, `2..=4`).
    pub fn expect_range(mut self, range: impl RangeBounds<u64>) -> Self {
        self.expect = Some(Expectation::from_range(range));
        self
    }

    /// Answers at most `n` requests, after which other fixtures (or the catch-all) answer:
    /// e.g. one 503 then a success.
    pub fn up_to_n_times(mut self, n: u64) -> Self {
        self.up_to = Some(n);
        self
    }

    /// wiremock's priority: 1 is the highest, 255 the lowest, 5 the default.
    pub fn priority(mut self, priority: u8) -> Self {
        self.priority = Some(priority);
        self
    }

    /// Renames the fixture (names appear in wiremock's verification failures).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    // ------------------------------------------------------------------ what it answers

    /// The operationId the fixture answers.
    pub fn operation_id(&self) -> &'static str {
        self.matcher.operation_id
    }

    /// The fixture's name, e.g. `getBranch 404` (used by wiremock when an expectation fails).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The status it answers; `None` when it closes the connection instead.
    pub fn expected_status(&self) -> Option<u16> {
        match &self.answer {
            Answer::Http { status, .. } => Some(*status),
            Answer::CloseConnection => None,
        }
    }

    /// The `message` of its JSON body, if it has one.
    pub fn expected_message(&self) -> Option<&str> {
        match &self.answer {
            Answer::Http {
                body: Body::Json(value),
                ..
            } => value.get("message").and_then(Value::as_str),
            _ => None,
        }
    }

    /// The `X-Request-ID` it sends, if any.
    pub fn expected_request_id(&self) -> Option<&str> {
        match &self.answer {
            Answer::Http { request_id, .. } => request_id.as_deref(),
            Answer::CloseConnection => None,
        }
    }

    /// The body it sends (empty for none).
    pub fn expected_body(&self) -> Vec<u8> {
        match &self.answer {
            Answer::Http { body, .. } => match body {
                Body::Empty => Vec::new(),
                Body::Json(value) => value.to_string().into_bytes(),
                Body::Raw { bytes, .. } => bytes.clone(),
            },
            Answer::CloseConnection => Vec::new(),
        }
    }

    /// The matcher of its operation.
    pub fn matcher(&self) -> &OperationMatcher {
        &self.matcher
    }

    /// The response it sends; `None` when it closes the connection instead.
    pub fn response_template(&self) -> Option<ResponseTemplate> {
        match &self.answer {
            Answer::Http {
                status,
                body,
                headers,
                request_id,
                delay,
            } => {
                let mut template = ResponseTemplate::new(*status);
                for (name, value) in headers {
                    template = template.insert_header(name.as_str(), value.as_str());
                }
                if let Some(id) = request_id {
                    template = template.insert_header(REQUEST_ID_HEADER, id.as_str());
                }
                template = match body {
                    Body::Empty => template,
                    Body::Json(value) => {
                        template.set_body_raw(value.to_string(), "application/json")
                    }
                    Body::Raw {
                        bytes,
                        content_type,
                    } => template.set_body_raw(bytes.clone(), content_type),
                };
                if let Some(delay) = delay {
                    template = template.set_delay(*delay);
                }
                Some(template)
            }
            Answer::CloseConnection => None,
        }
    }

    /// The wiremock [`Mock`], ready to mount on any `MockServer`.
    pub fn into_mock(self) -> Mock {
        self.build(None)
    }

    /// The mock of a scoped fixture and the guard that ends it; the guard checks the
    /// expectation, so wiremock does not.
    pub(crate) fn into_scoped(mut self) -> (Mock, ScopedFixture) {
        let guard = ScopedFixture {
            name: self.name.clone(),
            active: Arc::new(AtomicBool::new(true)),
            hits: Arc::new(AtomicU64::new(0)),
            expectation: self.expect.take(),
        };
        let mock = self.build(Some((
            Active(guard.active.clone()),
            Hits(guard.hits.clone()),
        )));
        (mock, guard)
    }

    fn build(self, scope: Option<(Active, Hits)>) -> Mock {
        let (active, hits) = match scope {
            Some((active, hits)) => (Some(active), Some(hits)),
            None => (None, None),
        };
        let mut builder = match active {
            Some(active) => Mock::given(active).and(self.matcher.clone()),
            None => Mock::given(self.matcher.clone()),
        };
        for extra in &self.extra {
            builder = builder.and(extra.clone());
        }
        if let Some(hits) = hits {
            builder = builder.and(hits);
        }
        let template = self.response_template();
        let mut mock = match template {
            Some(template) => builder.respond_with(template),
            None => {
                let name = self.name.clone();
                builder.respond_with_err(move |_: &Request| {
                    std::io::Error::new(
                        std::io::ErrorKind::ConnectionAborted,
                        format!("lakefs-testkit: fixture `{name}` closes the connection"),
                    )
                })
            }
        };
        if let Some(expectation) = self.expect {
            mock = mock.expect(expectation.times());
        }
        if let Some(n) = self.up_to {
            mock = mock.up_to_n_times(n);
        }
        if let Some(priority) = self.priority {
            mock = mock.with_priority(priority);
        }
        mock.named(self.name)
    }
}

impl From<Fixture> for Mock {
    fn from(fixture: Fixture) -> Mock {
        fixture.into_mock()
    }
}

/// A mock answering `operation_id`'s documented success that must be called exactly `times`
/// times: mount it, run the code under test, and the mock server's verification (on
/// [`MockLakeFs::verify`](crate::MockLakeFs::verify) or when it is dropped) fails otherwise.
///
/// For more (a path parameter, another answer), use
/// `Fixture::success_for(..).path_param(..).expect(n)`.
///
/// # Panics
///
/// When no lakeFS operation has this operationId.
pub fn expect_calls(operation_id: &str, times: u64) -> Mock {
    Fixture::success_for(operation_id)
        .expect(times)
        .named(format!("{operation_id} called {times} time(s)"))
        .into_mock()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_look_like_uuids_and_are_stable() {
        let id = request_id_for(&["getBranch 404"]);
        assert_eq!(id.len(), 36);
        assert_eq!(id, request_id_for(&["getBranch 404"]));
        assert_ne!(id, request_id_for(&["getBranch 409"]));
    }

    #[test]
    fn special_bodies_follow_the_schema() {
        let merge = Fixture::error_for("mergeIntoBranch", 409);
        assert_eq!(merge.expected_body(), br#"{"reference":""}"#.to_vec());
        // Whichever operations document `ErrorNoACL` (getGroupACL until lakeFS 1.88).
        for op in lakefs_api::OPERATIONS {
            for r in op
                .responses
                .iter()
                .filter(|r| r.schema == Some("ErrorNoACL"))
            {
                let acl = Fixture::error_for(op.id, r.status.unwrap_or(500));
                assert!(acl.expected_message().is_some(), "{}", op.id);
            }
        }
        let limited = Fixture::error_for("listRepositories", 429);
        assert!(limited.expected_body().is_empty());
    }

    #[test]
    #[should_panic(expected = "no lakeFS operation has the operationId `getBranchh`")]
    fn a_typo_in_an_operation_id_is_named() {
        let _ = operation("getBranchh");
    }
}
