#![deny(missing_docs)]
//! The project's own contract harness (not published): checking lakeFS traffic against the spec with [Prism](https://github.com/stoplightio/prism)
//! (npm `@stoplight/prism-cli`, 5.x), an independent OpenAPI validator.
//!
//! * [`Mode::Static`] and [`Mode::Dynamic`] start `prism mock`: a server made from the spec
//!   alone, answering every operation with the spec's examples or with random schema-valid
//!   data; it validates the requests it gets. Good for checking a client.
//! * [`Mode::Proxy`] starts `prism proxy <spec> <upstream> --errors` in front of a real
//!   server (e.g. a `lakefs_fake::FakeLakeFs`): it validates the client's requests
//!   *and* the server's answers, and passes the traffic on.
//!
//! Either way Prism runs behind a relay that records everything Prism says (the
//! `sl-violations` header, and the error answers Prism makes itself, such as 422 for an
//! invalid request or 500 for an invalid answer) as [`Violation`]s, attributed to the
//! operation of the request. Point the client at [`Prism::endpoint`], run it, then
//! [`Prism::take_violations`]. Known, documented reasons for Prism to object are given as
//! [`Tolerance`]s, each covering one operation, location and code.
//!
//! In proxy mode a second relay sits between Prism and the server, and Prism only gets to
//! *see* each exchange: the client's request reaches the server, and the server's answer the
//! client, byte for byte as they would without Prism, while Prism validates a copy of both.
//! (Prism's proxy alone decodes every body as UTF-8 text, which alters binary data,
//! stoplightio/prism#1321, and answers `HEAD` requests with `Content-Length: 0`.) A body that
//! is not UTF-8 text reaches Prism with the high bit of each byte cleared: the same length, so
//! Prism checks the original headers, and a `string`/`binary` schema accepts it as well.
//! Limits: Prism refuses request bodies over 10 MiB, and does not forward a request it finds
//! invalid (the relay does, when a [`Tolerance`] covers the reason).
//!
//! Prism is found through `$PRISM_BIN` or an explicit path, the spec through `$LAKEFS_SPEC` or
//! an explicit path ([`Tools`]). Prism serves a copy of the spec whose paths are under
//! `/api/v1` ([`Tools::spec_copy`]); it takes seconds to start, so start it once per test
//! binary where possible. [`Prism`] kills its process when dropped, also when a test panics.
//!
//! ```no_run
//! use lakefs_contract::{self as prism, Mode, Prism};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! // Without Prism: prints "skipped: ..." and returns None (panics with CI=true).
//! let Some(tools) = prism::tools_or_skip(
//!     "my checks",
//!     ".ci/prism/node_modules/.bin/prism",
//!     "../shared/lakefs/swagger.yml",
//! ) else {
//!     return Ok(());
//! };
//! let spec = tools.spec_copy()?;
//! let fake = lakefs_fake::FakeLakeFs::start().await;
//! let prism = Prism::builder(&spec, Mode::Proxy(fake.endpoint()))
//!     .tolerate(prism::GET_OBJECT_CONTENT_RANGE)
//!     .start()
//!     .await?;
//! let client = lakefs_api::LakeFsClient::builder()
//!     .endpoint(prism.endpoint())
//!     .access_key(fake.access_key_id(), fake.secret_access_key())
//!     .build()?;
//! // ... use the client ...
//! # let _ = client;
//! let violations = prism.take_violations();
//! assert!(violations.is_empty(), "{}", prism::describe(&violations));
//! # Ok(())
//! # }
//! ```

mod http;
mod relay;
mod spec;
mod violation;

use std::fmt;
use std::fs::File;
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use spec::{ENV_LAKEFS_SPEC, ENV_PRISM_BIN, SpecCopy, Tools, prefixed_spec};
pub use violation::{
    Detail, GET_OBJECT_CONTENT_RANGE, GET_OBJECT_CONTENT_TYPE, Tolerance,
    UPLOAD_OBJECT_CONTENT_TYPE, Violation, unused_tolerances,
};

use relay::{Front, Relay, Stash};
use spec::TempDir;

/// How long Prism may take to answer its first request by default: it compiles the whole
/// spec first, which takes seconds, more when several start at once on a busy machine.
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(120);

/// Why Prism could not be found, started or used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrismError {
    message: String,
}

impl PrismError {
    pub(crate) fn new(message: impl Into<String>) -> PrismError {
        PrismError {
            message: message.into(),
        }
    }
}

impl fmt::Display for PrismError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PrismError {}

/// Whether this runs in CI (`CI=true`), where a check that needs Prism must not be skipped.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// [`Tools::locate`], or, when Prism or the spec is missing, `None` after writing
/// `skipped: <what>: <reason>` to stderr (past the test harness's capture, so that it shows).
///
/// # Panics
///
/// With `CI=true`, when Prism or the spec is missing: there the check must run.
pub fn tools_or_skip(what: &str, prism: impl AsRef<Path>, spec: impl AsRef<Path>) -> Option<Tools> {
    match Tools::locate(prism, spec) {
        Ok(tools) => Some(tools),
        Err(reason) if in_ci() => panic!("{what} cannot run with CI=true: {reason}"),
        Err(reason) => {
            let _ = std::io::stderr().write_all(format!("skipped: {what}: {reason}\n").as_bytes());
            None
        }
    }
}

/// The violations one per paragraph, for failure messages.
pub fn describe(violations: &[Violation]) -> String {
    let mut text = format!("{} violation(s)", violations.len());
    for violation in violations {
        text.push_str("\n  ");
        text.push_str(&violation.to_string());
    }
    text
}

/// What Prism does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// `prism mock`: answers built from the spec's examples (or its schemas).
    Static,
    /// `prism mock --dynamic --seed N`: random schema-valid answers, with unknown extra
    /// properties, from a fixed seed.
    Dynamic(u32),
    /// `prism proxy --errors` in front of this server, e.g. `http://127.0.0.1:8000` (plain
    /// HTTP; no path: Prism serves the API under `/api/v1` and forwards it there).
    Proxy(String),
}

impl Mode {
    fn log_name(&self, port: u16) -> String {
        match self {
            Mode::Static => format!("prism-static-{port}.log"),
            Mode::Dynamic(seed) => format!("prism-seed-{seed}-{port}.log"),
            Mode::Proxy(_) => format!("prism-proxy-{port}.log"),
        }
    }
}

/// Options for starting a [`Prism`]: [`Prism::builder`].
#[derive(Debug, Clone)]
pub struct PrismBuilder {
    spec: SpecCopy,
    mode: Mode,
    tolerances: Vec<Tolerance>,
    startup_timeout: Duration,
}

impl PrismBuilder {
    /// Records the violations that `tolerance` covers as tolerated rather than as violations
    /// (see [`Tolerance`]).
    pub fn tolerate(mut self, tolerance: Tolerance) -> PrismBuilder {
        self.tolerances.push(tolerance);
        self
    }

    /// [`PrismBuilder::tolerate`] for each of `tolerances`.
    pub fn tolerate_all(self, tolerances: impl IntoIterator<Item = Tolerance>) -> PrismBuilder {
        tolerances.into_iter().fold(self, PrismBuilder::tolerate)
    }

    /// How long to wait for Prism's first answer ([`DEFAULT_STARTUP_TIMEOUT`] by default).
    pub fn startup_timeout(mut self, timeout: Duration) -> PrismBuilder {
        self.startup_timeout = timeout;
        self
    }

    /// Starts Prism and its relays, and waits until Prism answers
    /// `GET /api/v1/healthcheck` (in proxy mode the server behind it must be up).
    pub async fn start(self) -> Result<Prism, PrismError> {
        let stash = Arc::new(Stash::default());
        let (upstream, back) = match &self.mode {
            Mode::Proxy(url) => {
                let server = resolve(url).await?;
                let back = relay::start_back(server, Arc::clone(&stash))
                    .await
                    .map_err(|e| PrismError::new(format!("cannot start a relay: {e}")))?;
                (Some((server, stash)), Some(back))
            }
            _ => (None, None),
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .map_err(|e| PrismError::new(format!("no free port: {e}")))?;
        let log = self.spec.dir().join(self.mode.log_name(port));
        let out = File::create(&log)
            .map_err(|e| PrismError::new(format!("cannot create {}: {e}", log.display())))?;
        let err = out
            .try_clone()
            .map_err(|e| PrismError::new(format!("cannot share {}: {e}", log.display())))?;
        let mut command = Command::new(&self.spec.prism);
        match (&self.mode, &back) {
            (Mode::Proxy(_), Some(back)) => {
                command
                    .arg("proxy")
                    .arg(self.spec.path())
                    .arg(format!("http://{}", back.addr));
            }
            _ => {
                command.arg("mock").arg(self.spec.path());
            }
        }
        command
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            // Violations become error answers, on top of the `sl-violations` header.
            .arg("--errors")
            .args(["--verboseLevel", "warn"]);
        if let Mode::Dynamic(seed) = self.mode {
            command.args([
                "--dynamic",
                "--seed",
                &seed.to_string(),
                "--json-schema-faker-fillProperties=true",
            ]);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| {
                PrismError::new(format!("cannot start {}: {e}", self.spec.prism.display()))
            })?;
        let prism_addr = SocketAddr::from(([127, 0, 0, 1], port));
        let front = Arc::new(Front::new(prism_addr, upstream, self.tolerances));
        // From here on, dropping `prism` (also on an error) kills the process.
        let mut prism = Prism {
            child,
            mode: self.mode,
            prism_addr,
            front: Arc::clone(&front),
            relay: None,
            _back: back,
            log,
            _dir: Arc::clone(&self.spec.dir),
        };
        prism.wait_ready(self.startup_timeout).await?;
        let relay = relay::start_front(front)
            .await
            .map_err(|e| PrismError::new(format!("cannot start the recording relay: {e}")))?;
        prism.relay = Some(relay);
        Ok(prism)
    }
}

/// The socket address of an `http://host:port` URL.
async fn resolve(url: &str) -> Result<SocketAddr, PrismError> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        PrismError::new(format!("the upstream must be an http:// URL, not {url:?}"))
    })?;
    let authority = rest.split('/').next().unwrap_or_default();
    let authority = if authority.contains(':') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    tokio::net::lookup_host(&authority)
        .await
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| PrismError::new(format!("cannot resolve the upstream {url:?}")))
}

/// A running Prism behind its recording relay. Dropping it kills Prism and stops the relays.
#[derive(Debug)]
pub struct Prism {
    child: Child,
    mode: Mode,
    prism_addr: SocketAddr,
    front: Arc<Front>,
    relay: Option<Relay>,
    /// The relay between Prism and the server (proxy mode), kept until Prism stops.
    _back: Option<Relay>,
    log: PathBuf,
    _dir: Arc<TempDir>,
}

impl Prism {
    /// Options for starting Prism on `spec` in `mode`; then [`PrismBuilder::start`].
    pub fn builder(spec: &SpecCopy, mode: Mode) -> PrismBuilder {
        PrismBuilder {
            spec: spec.clone(),
            mode,
            tolerances: Vec::new(),
            startup_timeout: DEFAULT_STARTUP_TIMEOUT,
        }
    }

    /// Starts Prism on `spec` in `mode`, tolerating nothing.
    pub async fn start(spec: &SpecCopy, mode: Mode) -> Result<Prism, PrismError> {
        Prism::builder(spec, mode).start().await
    }

    /// What this Prism does.
    pub fn mode(&self) -> &Mode {
        &self.mode
    }

    /// The relay's address: where clients go.
    pub fn addr(&self) -> SocketAddr {
        self.relay.as_ref().map_or(self.prism_addr, |r| r.addr)
    }

    /// The relay's base URL, e.g. `http://127.0.0.1:41234` (the API is under `/api/v1`).
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr())
    }

    /// Prism's own address, without the relay (nothing is recorded there).
    pub fn prism_addr(&self) -> SocketAddr {
        self.prism_addr
    }

    /// How many requests have gone through the relay so far.
    pub fn requests_seen(&self) -> u64 {
        self.front.exchanges()
    }

    /// The violations recorded since the last call, in the order the answers came (the
    /// tolerated ones are left for [`Prism::take_tolerated`]).
    pub fn take_violations(&self) -> Vec<Violation> {
        self.front.take(false)
    }

    /// The tolerated violations recorded since the last call.
    pub fn take_tolerated(&self) -> Vec<Violation> {
        self.front.take(true)
    }

    /// The last `lines` lines of Prism's log, for failure messages.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Waits until `GET /api/v1/healthcheck` answers with a success.
    async fn wait_ready(&mut self, timeout: Duration) -> Result<(), PrismError> {
        let probe = format!(
            "GET /api/v1/healthcheck HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.prism_addr
        );
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(PrismError::new(format!(
                    "Prism ({:?}) exited with {status} before answering:\n{}",
                    self.mode,
                    self.log_tail(30)
                )));
            }
            let answer = tokio::time::timeout(
                Duration::from_secs(5),
                http::round_trip(self.prism_addr, probe.as_bytes(), "GET"),
            )
            .await;
            if let Ok(Ok(answer)) = answer
                && answer
                    .head
                    .status()
                    .is_some_and(|s| (200..300).contains(&s))
            {
                return Ok(());
            }
            if start.elapsed() > timeout {
                return Err(PrismError::new(format!(
                    "Prism ({:?}) did not answer /api/v1/healthcheck within {timeout:?}:\n{}",
                    self.mode,
                    self.log_tail(30)
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
