//! The checks run against one Prism server: every operation's success answers, then every
//! documented error status.

use crate::support::generated_calls::{Args, call_blocking_with, call_with};
use lakefs_api::{Error, ErrorBody, ErrorKind, LakeFsClient, OperationInfo, ResponseInfo};
use lakefs_contract::{Mode, Prism};
use std::collections::HashMap;
use std::time::Duration;

/// One Prism server (behind the relay that records what it says), and a client per
/// `Prefer` code.
#[derive(Debug)]
pub struct Server {
    pub prism: Prism,
    clients: HashMap<Option<u16>, LakeFsClient>,
}

/// What one server's run found.
#[derive(Debug, Default)]
pub struct Tally {
    pub operations: usize,
    /// Calls expected to succeed (no `Prefer`, or a documented success status).
    pub success_calls: usize,
    pub success_ok: usize,
    /// Documented error statuses asked for with `Prefer: code=N`.
    pub error_cases: usize,
    pub error_ok: usize,
    /// Documented 3xx statuses not asked for, with the reason.
    pub skipped: Vec<String>,
    /// Answers that Prism marked (an `sl-violations` header, or an error answer of its own).
    pub violations: usize,
    pub failures: Vec<String>,
}

impl Server {
    pub fn new(prism: Prism) -> Server {
        Server {
            prism,
            clients: HashMap::new(),
        }
    }

    /// A client whose every request carries `Prefer: code=N` (none for `None`).
    fn client(&mut self, prefer: Option<u16>) -> LakeFsClient {
        let endpoint = self.prism.endpoint();
        self.clients
            .entry(prefer)
            .or_insert_with(|| {
                let mut headers = reqwest::header::HeaderMap::new();
                if let Some(code) = prefer {
                    headers.insert(
                        "prefer",
                        reqwest::header::HeaderValue::from_str(&format!("code={code}")).unwrap(),
                    );
                }
                let http = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .default_headers(headers)
                    .timeout(Duration::from_secs(30))
                    // Prism closes idle connections after 5 s: never reuse one that old.
                    .pool_idle_timeout(Duration::from_secs(2))
                    .build()
                    .unwrap();
                LakeFsClient::builder()
                    .endpoint(endpoint)
                    .access_key(
                        "AKIAIOSFODNN7EXAMPLE",
                        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                    )
                    // Each documented status must be seen as answered, not retried.
                    .retry(lakefs_api::RetryConfig::disabled())
                    .http_client(http)
                    .build()
                    .unwrap()
            })
            .clone()
    }

    /// One call; what Prism said about it while it ran becomes a failure.
    async fn call(
        &mut self,
        tally: &mut Tally,
        label: &str,
        op: &OperationInfo,
        args: Args,
        prefer: Option<u16>,
    ) -> Result<(), Error> {
        let client = self.client(prefer);
        let result = call_with(&client, op.id, args).await;
        let violations = self.prism.take_violations();
        if !violations.is_empty() {
            tally.violations += violations.len();
            let found: Vec<String> = violations.iter().map(ToString::to_string).collect();
            tally
                .failures
                .push(format!("{label}: Prism reported: {}", found.join(" | ")));
        }
        result
    }

    /// Every operation: its success answers, then each documented error status.
    pub async fn run(&mut self) -> Tally {
        let mut tally = Tally::default();
        let mode = self.prism.mode().clone();
        for op in lakefs_api::OPERATIONS.iter().copied() {
            tally.operations += 1;
            for (args, prefer) in success_plan(&mode, op, &mut tally) {
                let label = label(&mode, op, args, prefer);
                tally.success_calls += 1;
                match self.call(&mut tally, &label, op, args, prefer).await {
                    Ok(()) => tally.success_ok += 1,
                    Err(e) => tally.failures.push(format!("{label}: {e}")),
                }
            }
            for response in op.responses.iter().filter(|r| is_error(r)) {
                let status = response.status.unwrap_or_else(|| default_status(op));
                let label = label(&mode, op, Args::Required, Some(status));
                tally.error_cases += 1;
                let result = self
                    .call(&mut tally, &label, op, Args::Required, Some(status))
                    .await;
                match check_error(op, response, status, result) {
                    Ok(()) => tally.error_ok += 1,
                    Err(e) => tally.failures.push(format!("{label}: {e}")),
                }
            }
        }
        tally
    }
}

impl Server {
    /// The same success calls, and one documented error status per operation, through the
    /// blocking client (its own runtime and HTTP client), from synchronous code.
    pub fn run_blocking(&mut self) -> Tally {
        let mut tally = Tally::default();
        let mode = self.prism.mode().clone();
        let mut clients: HashMap<Option<u16>, lakefs_blocking::LakeFsClient> = HashMap::new();
        let endpoint = self.prism.endpoint();
        let mut client = |prefer: Option<u16>| {
            clients
                .entry(prefer)
                .or_insert_with(|| blocking_client(&endpoint, prefer))
                .clone()
        };
        for op in lakefs_api::OPERATIONS.iter().copied() {
            tally.operations += 1;
            for (args, prefer) in success_plan(&mode, op, &mut tally) {
                let label = format!("blocking {}", label(&mode, op, args, prefer));
                tally.success_calls += 1;
                let result = call_blocking_with(&client(prefer), op.id, args);
                self.note_violations(&mut tally, &label);
                match result {
                    Ok(()) => tally.success_ok += 1,
                    Err(e) => tally.failures.push(format!("{label}: {e}")),
                }
            }
            if let Some(response) = op.responses.iter().find(|r| is_error(r)) {
                let status = response.status.unwrap_or_else(|| default_status(op));
                let label = format!(
                    "blocking {}",
                    label(&mode, op, Args::Required, Some(status))
                );
                tally.error_cases += 1;
                let result = call_blocking_with(&client(Some(status)), op.id, Args::Required);
                self.note_violations(&mut tally, &label);
                match check_error(op, response, status, result) {
                    Ok(()) => tally.error_ok += 1,
                    Err(e) => tally.failures.push(format!("{label}: {e}")),
                }
            }
        }
        tally
    }

    fn note_violations(&self, tally: &mut Tally, label: &str) {
        let violations = self.prism.take_violations();
        if !violations.is_empty() {
            tally.violations += violations.len();
            let found: Vec<String> = violations.iter().map(ToString::to_string).collect();
            tally
                .failures
                .push(format!("{label}: Prism reported: {}", found.join(" | ")));
        }
    }
}

/// A blocking client whose every request carries `Prefer: code=N` (none for `None`).
fn blocking_client(endpoint: &str, prefer: Option<u16>) -> lakefs_blocking::LakeFsClient {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(code) = prefer {
        headers.insert(
            "prefer",
            reqwest::header::HeaderValue::from_str(&format!("code={code}")).unwrap(),
        );
    }
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .timeout(Duration::from_secs(30))
        .pool_idle_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    lakefs_blocking::LakeFsClient::from_builder(
        lakefs_api::LakeFsClient::builder()
            .endpoint(endpoint)
            .access_key(
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            )
            .http_client(http)
            .retry(lakefs_api::RetryConfig::disabled()),
    )
    .unwrap()
}

fn label(mode: &Mode, op: &OperationInfo, args: Args, prefer: Option<u16>) -> String {
    let prefer = prefer
        .map(|c| format!(", Prefer: code={c}"))
        .unwrap_or_default();
    format!("[{mode:?}] {} ({args:?} arguments{prefer})", op.id)
}

fn is_error(r: &ResponseInfo) -> bool {
    !matches!(r.status, Some(200..=399))
}

/// The calls that must succeed: the plain call with all and with only the required
/// arguments, then each documented success status, except two that Prism cannot produce
/// validly (each is listed in the summary):
/// * a 3xx that the SDK follows to the object store (byte answers): Prism's `Location` is a
///   placeholder, not a URL;
/// * 206 from the static server: its `Content-Range` is the placeholder `string`, which
///   breaks the spec's own pattern (the dynamic servers generate a matching one).
fn success_plan(mode: &Mode, op: &OperationInfo, tally: &mut Tally) -> Vec<(Args, Option<u16>)> {
    let mut plan = vec![(Args::All, None), (Args::Required, None)];
    for r in op.responses {
        match r.status {
            Some(code @ 300..=399) if code != 304 && op.streaming => {
                tally.skipped.push(format!(
                    "{} {code}: the SDK follows it to the object store, and Prism's Location \
                     is no URL",
                    op.id
                ));
            }
            Some(206) if *mode == Mode::Static => {
                tally.skipped.push(format!(
                    "{} 206 from the static server: its Content-Range `string` breaks the \
                     spec's pattern (asked of the dynamic servers)",
                    op.id
                ));
            }
            Some(code @ 200..=399) => plan.push((Args::Required, Some(code))),
            _ => {}
        }
    }
    plan
}

/// The status asked for the `default` response: a server error the operation does not
/// document on its own.
fn default_status(op: &OperationInfo) -> u16 {
    [500, 503, 599]
        .into_iter()
        .find(|c| !op.responses.iter().any(|r| r.status == Some(*c)))
        .unwrap_or(599)
}

/// The SDK must report exactly the status, its kind, and the documented body.
fn check_error(
    op: &OperationInfo,
    response: &ResponseInfo,
    status: u16,
    result: Result<(), Error>,
) -> Result<(), String> {
    let err = match result {
        Ok(()) => return Err(format!("expected HTTP {status}, the call succeeded")),
        Err(e) => e,
    };
    let Some(api) = err.api_error() else {
        return Err(format!(
            "expected Error::Api with HTTP {status}, got: {err}"
        ));
    };
    if api.status != status || err.status() != Some(status) {
        return Err(format!("expected HTTP {status}, got: {err}"));
    }
    if err.kind() != ErrorKind::from_status(status) {
        return Err(format!(
            "kind {:?}, expected {:?}",
            err.kind(),
            ErrorKind::from_status(status)
        ));
    }
    let body_ok = match (op.method, response.schema, response.content_type) {
        ("HEAD", _, _) | (_, None, None) => matches!(api.body, ErrorBody::Empty),
        (_, Some("MergeResult"), _) => err.merge_result().is_some(),
        (_, Some("StagingLocation"), _) => err.staging_location().is_some(),
        (_, Some("ErrorNoACL"), _) => err.no_acl().is_some(),
        (_, Some("Error"), _) => matches!(api.body, ErrorBody::Error(_)),
        (_, schema, content_type) => {
            return Err(format!(
                "the test does not know the documented body {schema:?} ({content_type:?})"
            ));
        }
    };
    if body_ok {
        Ok(())
    } else {
        Err(format!(
            "the body is not the documented {}: {:?}",
            response.schema.unwrap_or("empty body"),
            api.body
        ))
    }
}
