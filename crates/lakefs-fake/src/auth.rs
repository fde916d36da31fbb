//! Who may call the API: one place that checks a request's credentials and issues tokens.
//!
//! The server asks its [`Authenticator`] about every request to an operation that needs
//! credentials: HTTP basic with a known key pair, or a bearer token it issued that has not
//! expired (on the clock of [`FakeAuth::clock`]). Tokens come from `login` (a key pair),
//! `stsLogin` (a code from [`FakeLakeFs::issue_sts_code`](crate::FakeLakeFs::issue_sts_code))
//! and `externalPrincipalLogin` (a presigned STS `GetCallerIdentity` whose shape is checked;
//! AWS is never called, so the signature itself is not verified).

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use http::HeaderMap;
use lakefs_api::auth::{Clock, SystemClock};
use serde::Deserialize;

use crate::http::ApiError;

/// lakeFS's answer to missing, wrong or expired credentials.
const UNAUTHENTICATED: &str = "error authenticating request";
/// lakeFS's default `auth.login_duration`.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);
/// lakeFS's default `auth.login_max_duration`, the cap of a requested lifetime.
const DEFAULT_MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(14 * 24 * 3600);
/// `stsLogin`'s default and maximum token lifetimes (lakeFS's).
const STS_DEFAULT_TTL: i64 = 3600;
const STS_MAX_TTL: i64 = 12 * 3600;

/// Decides whether a request's credentials let it call the API, and issues tokens.
pub(crate) trait Authenticator: Send + Sync + fmt::Debug {
    /// The user the request authenticates as.
    fn authenticate(&self, headers: &HeaderMap) -> Result<String, ApiError>;
    /// `login`: a token for the user of this key pair.
    fn login(&self, access_key_id: &str, secret_access_key: &str) -> Result<Issued, ApiError>;
    /// `stsLogin`: a token for the user a code was issued to (each code works once).
    fn sts_login(&self, request: &StsRequest) -> Result<Issued, ApiError>;
    /// `externalPrincipalLogin` with a presigned STS request.
    fn external_principal_login(
        &self,
        identity_request: &serde_json::Value,
        ttl_seconds: Option<i64>,
    ) -> Result<Issued, ApiError>;
    /// A one-time code for `stsLogin`, as an identity provider's redirect would carry it.
    fn issue_sts_code(&self, user: &str, state: &str, redirect_uri: &str) -> String;
    /// What it has seen so far.
    fn counters(&self) -> AuthCounters;
}

/// A token and when it expires (Unix seconds).
#[derive(Debug)]
pub(crate) struct Issued {
    pub(crate) token: String,
    pub(crate) expires: i64,
}

/// The body of `stsLogin`.
#[derive(Debug, Deserialize)]
pub(crate) struct StsRequest {
    #[serde(default)]
    pub(crate) code: String,
    #[serde(default)]
    pub(crate) state: String,
    #[serde(default)]
    pub(crate) redirect_uri: String,
    #[serde(default)]
    pub(crate) ttl_seconds: Option<i64>,
}

/// How the fake authenticates: token lifetimes, the clock they expire on, and who may log in
/// through STS/OIDC or AWS IAM. From [`FakeAuth::default`], given to
/// [`FakeLakeFsBuilder::auth`](crate::FakeLakeFsBuilder::auth).
#[derive(Debug, Clone)]
#[must_use]
pub struct FakeAuth {
    token_lifetime: Duration,
    max_token_lifetime: Duration,
    clock: Arc<dyn Clock>,
    external_principals: Vec<(String, String)>,
}

impl Default for FakeAuth {
    fn default() -> Self {
        FakeAuth {
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            max_token_lifetime: DEFAULT_MAX_TOKEN_LIFETIME,
            clock: Arc::new(SystemClock),
            external_principals: Vec::new(),
        }
    }
}

impl FakeAuth {
    /// How long a `login` token lives, and an `externalPrincipalLogin` token that asks for no
    /// lifetime (default 7 days, lakeFS's `auth.login_duration`).
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// The longest lifetime an `externalPrincipalLogin` may ask for (default 14 days).
    pub fn max_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.max_token_lifetime = lifetime;
        self
    }

    /// The clock tokens expire on (default the system clock); share a
    /// [`ManualClock`](lakefs_api::auth::ManualClock) with the client under test.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Lets the AWS identity whose access key id is `aws_access_key_id` log in with
    /// `externalPrincipalLogin`, as lakeFS user `user`.
    pub fn external_principal(
        mut self,
        aws_access_key_id: impl Into<String>,
        user: impl Into<String>,
    ) -> Self {
        self.external_principals
            .push((aws_access_key_id.into(), user.into()));
        self
    }
}

/// What the fake's authentication has seen, for tests to check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthCounters {
    /// Successful `login` calls.
    pub logins: u64,
    /// Successful `stsLogin` calls.
    pub sts_logins: u64,
    /// Successful `externalPrincipalLogin` calls.
    pub external_principal_logins: u64,
    /// Requests refused with 401 (logins with wrong credentials included).
    pub refused: u64,
    /// Of those, requests whose bearer token had expired.
    pub expired_tokens: u64,
}

#[derive(Debug, Default)]
struct Counters {
    logins: AtomicU64,
    sts_logins: AtomicU64,
    external_principal_logins: AtomicU64,
    refused: AtomicU64,
    expired_tokens: AtomicU64,
}

/// A code issued for `stsLogin`.
#[derive(Debug)]
struct StsGrant {
    user: String,
    state: String,
    redirect_uri: String,
}

#[derive(Debug, Default)]
struct Issuance {
    /// Token -> (user, expiry in Unix seconds).
    tokens: HashMap<String, (String, i64)>,
    sts_codes: HashMap<String, StsGrant>,
    issued: u64,
}

/// The fake's authentication: one key pair (user `admin`), the tokens it issued, the STS
/// codes not yet used.
pub(crate) struct Auth {
    access_key_id: String,
    secret_access_key: String,
    config: FakeAuth,
    issuance: Mutex<Issuance>,
    counters: Counters,
    /// Makes tokens unguessable.
    secret: Vec<u8>,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl Auth {
    pub(crate) fn new(access_key_id: String, secret_access_key: String, config: FakeAuth) -> Self {
        Auth {
            access_key_id,
            secret_access_key,
            config,
            issuance: Mutex::new(Issuance::default()),
            counters: Counters::default(),
            secret: crate::sign::new_secret(),
        }
    }

    fn now(&self) -> i64 {
        unix_seconds(self.config.clock.now())
    }

    fn issuance(&self) -> std::sync::MutexGuard<'_, Issuance> {
        self.issuance.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn refuse(&self, message: &str) -> ApiError {
        self.counters.refused.fetch_add(1, Ordering::Relaxed);
        ApiError::new(401, message)
    }

    fn issue(&self, user: &str, lifetime_seconds: i64) -> Issued {
        let expires = self.now().saturating_add(lifetime_seconds);
        let mut issuance = self.issuance();
        issuance.issued += 1;
        let serial = issuance.issued.to_string();
        let token = format!(
            "fake-jwt.{serial}.{}",
            crate::sign::signature(&self.secret, &[user, &serial])
        );
        issuance
            .tokens
            .insert(token.clone(), (user.to_string(), expires));
        Issued { token, expires }
    }

    fn lifetime(&self, asked: Option<i64>) -> i64 {
        let default = duration_seconds(self.config.token_lifetime);
        let max = duration_seconds(self.config.max_token_lifetime);
        asked.filter(|s| *s > 0).unwrap_or(default).min(max)
    }
}

impl Authenticator for Auth {
    fn issue_sts_code(&self, user: &str, state: &str, redirect_uri: &str) -> String {
        let mut issuance = self.issuance();
        issuance.issued += 1;
        let serial = issuance.issued.to_string();
        let code = format!(
            "fake-code.{serial}.{}",
            crate::sign::signature(&self.secret, &["sts", &serial])
        );
        issuance.sts_codes.insert(
            code.clone(),
            StsGrant {
                user: user.to_string(),
                state: state.to_string(),
                redirect_uri: redirect_uri.to_string(),
            },
        );
        code
    }

    fn counters(&self) -> AuthCounters {
        let c = &self.counters;
        AuthCounters {
            logins: c.logins.load(Ordering::Relaxed),
            sts_logins: c.sts_logins.load(Ordering::Relaxed),
            external_principal_logins: c.external_principal_logins.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
            expired_tokens: c.expired_tokens.load(Ordering::Relaxed),
        }
    }

    fn authenticate(&self, headers: &HeaderMap) -> Result<String, ApiError> {
        let header = headers
            .get("authorization")
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default()
            .trim();
        let (scheme, value) = header.split_once(' ').unwrap_or((header, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            return match basic_credentials(value) {
                Some((id, secret))
                    if id == self.access_key_id && secret == self.secret_access_key =>
                {
                    Ok(crate::model::COMMITTER.to_string())
                }
                _ => Err(self.refuse(UNAUTHENTICATED)),
            };
        }
        if scheme.eq_ignore_ascii_case("bearer") {
            let now = self.now();
            let found = self.issuance().tokens.get(value.trim()).cloned();
            return match found {
                Some((user, expires)) if now < expires => Ok(user),
                Some(_) => {
                    self.counters.expired_tokens.fetch_add(1, Ordering::Relaxed);
                    Err(self.refuse(UNAUTHENTICATED))
                }
                None => Err(self.refuse(UNAUTHENTICATED)),
            };
        }
        Err(self.refuse(UNAUTHENTICATED))
    }

    fn login(&self, access_key_id: &str, secret_access_key: &str) -> Result<Issued, ApiError> {
        if access_key_id != self.access_key_id || secret_access_key != self.secret_access_key {
            return Err(self.refuse(UNAUTHENTICATED));
        }
        self.counters.logins.fetch_add(1, Ordering::Relaxed);
        Ok(self.issue(
            crate::model::COMMITTER,
            duration_seconds(self.config.token_lifetime),
        ))
    }

    fn sts_login(&self, request: &StsRequest) -> Result<Issued, ApiError> {
        if request.code.is_empty() || request.state.is_empty() || request.redirect_uri.is_empty() {
            return Err(ApiError::bad_request(
                "code, state and redirect_uri are required",
            ));
        }
        let grant = self.issuance().sts_codes.remove(&request.code);
        let user = match grant {
            Some(g) if g.state == request.state && g.redirect_uri == request.redirect_uri => g.user,
            // A used, unknown or mismatched code.
            _ => return Err(self.refuse("invalid authorization code")),
        };
        let ttl = request
            .ttl_seconds
            .unwrap_or(STS_DEFAULT_TTL)
            .clamp(1, STS_MAX_TTL);
        self.counters.sts_logins.fetch_add(1, Ordering::Relaxed);
        Ok(self.issue(&user, ttl))
    }

    fn external_principal_login(
        &self,
        identity_request: &serde_json::Value,
        ttl_seconds: Option<i64>,
    ) -> Result<Issued, ApiError> {
        let identity = parse_identity_token(identity_request).map_err(|why| {
            self.counters.refused.fetch_add(1, Ordering::Relaxed);
            ApiError::new(401, format!("invalid identity token: {why}"))
        })?;
        let now = self.now();
        if now < identity.signed_at - 5 * 60 || now > identity.signed_at + identity.expires_in {
            return Err(self.refuse("the presigned STS request has expired"));
        }
        let user = self
            .config
            .external_principals
            .iter()
            .find(|(key, _)| *key == identity.access_key_id)
            .map(|(_, user)| user.clone())
            .ok_or_else(|| ApiError::not_found("external principal not found"))?;
        self.counters
            .external_principal_logins
            .fetch_add(1, Ordering::Relaxed);
        Ok(self.issue(&user, self.lifetime(ttl_seconds)))
    }
}

/// What the fake checks of a presigned `GetCallerIdentity`.
#[derive(Debug)]
struct Identity {
    access_key_id: String,
    signed_at: i64,
    expires_in: i64,
}

/// The fields lakectl and the Python SDK send (lakeFS's `AWSIdentityTokenInfo`).
#[derive(Debug, Deserialize)]
struct IdentityTokenInfo {
    method: String,
    host: String,
    region: String,
    action: String,
    date: String,
    expiration_duration: String,
    access_key_id: String,
    signature: String,
    signed_headers: Vec<String>,
    version: String,
    algorithm: String,
}

/// Checks the shape of `{"identity_token": base64(JSON)}`; the signature is not verified.
fn parse_identity_token(identity_request: &serde_json::Value) -> Result<Identity, String> {
    let encoded = identity_request
        .get("identity_token")
        .and_then(|t| t.as_str())
        .ok_or("identityRequest has no identity_token string")?;
    let json = decode_base64(encoded).ok_or("identity_token is not base64")?;
    let info: IdentityTokenInfo =
        serde_json::from_slice(&json).map_err(|e| format!("not the expected JSON: {e}"))?;
    let expect = |field: &str, got: &str, want: &str| {
        if got == want {
            Ok(())
        } else {
            Err(format!("{field} is {got:?}, not {want:?}"))
        }
    };
    expect("method", &info.method, "POST")?;
    expect("action", &info.action, "GetCallerIdentity")?;
    expect("version", &info.version, "2011-06-15")?;
    expect("algorithm", &info.algorithm, "AWS4-HMAC-SHA256")?;
    let regional = format!("sts.{}.amazonaws.com", info.region);
    if info.host != "sts.amazonaws.com" && info.host != regional {
        return Err(format!(
            "host {:?} is not an STS endpoint of region {:?}",
            info.host, info.region
        ));
    }
    for header in ["host", "x-lakefs-server-id"] {
        if !info.signed_headers.iter().any(|h| h == header) {
            return Err(format!("the signed headers lack {header}"));
        }
    }
    if info.signature.len() != 64 || !info.signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("the signature is not 64 hex digits".into());
    }
    if info.access_key_id.is_empty() {
        return Err("no access key id".into());
    }
    let signed_at =
        crate::clock::parse_amz_date(&info.date).ok_or("date is not 20060102T150405Z")?;
    let expires_in: i64 = info
        .expiration_duration
        .parse()
        .ok()
        .filter(|s| (1..=604_800).contains(s))
        .ok_or("expiration_duration is not 1 to 604800 seconds")?;
    Ok(Identity {
        access_key_id: info.access_key_id,
        signed_at,
        expires_in,
    })
}

fn unix_seconds(at: SystemTime) -> i64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn duration_seconds(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// The user name and password of a `Basic` credential.
fn basic_credentials(encoded: &str) -> Option<(String, String)> {
    let text = String::from_utf8(decode_base64(encoded.trim())?).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// Standard-alphabet base64 with optional padding; `None` on any invalid character.
fn decode_base64(input: &str) -> Option<Vec<u8>> {
    let trimmed = input.trim_end_matches('=');
    let mut output = Vec::with_capacity(trimmed.len() * 3 / 4);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for byte in trimmed.bytes() {
        buffer = (buffer << 6) | u32::from(sextet(byte)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            // Truncation keeps exactly the next complete byte.
            output.push((buffer >> bits) as u8);
        }
    }
    Some(output)
}

fn sextet(byte: u8) -> Option<u8> {
    match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_base64() {
        assert_eq!(decode_base64("YWRtaW46c2VjcmV0").unwrap(), b"admin:secret");
        assert_eq!(decode_base64("YQ==").unwrap(), b"a");
        assert_eq!(decode_base64("YWI=").unwrap(), b"ab");
        assert!(decode_base64("Y*==").is_none());
    }
}
