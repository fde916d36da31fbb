//! AWS IAM login (`externalPrincipalLogin`), as lakectl and the Python SDK do it: a presigned
//! STS `GetCallerIdentity` request (signed with aws-sigv4, never sent by the client) is handed
//! to lakeFS, which sends it to AWS to learn who the caller is.

use super::cache::TokenCache;
use super::{AuthContext, CredentialsProvider, ExpiringCredentials, RefreshReason};
use crate::config::{AwsIamSettings, Secret};
use crate::error::{Error, Result};
use crate::{ExternalApi, ExternalPrincipalLoginOptions};
use base64::Engine as _;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// lakectl's and the Python SDK's defaults.
const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(3600);
const DEFAULT_URL_PRESIGN_TTL: Duration = Duration::from_secs(60);
const DEFAULT_REGION: &str = "us-east-1";
/// The header that binds the signed request to one lakeFS server.
const SERVER_ID_HEADER: &str = "X-LakeFS-Server-ID";

/// Where the AWS credentials that sign the STS request come from. Instance profiles, ECS/EKS
/// container credentials, web identity, SSO and `credential_process` are not read: export
/// their credentials to the environment, or give them with [`Explicit`](Self::Explicit).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AwsCredentialsSource {
    /// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN` when set, else the
    /// profile of `AWS_PROFILE` (default `default`) in the shared credentials file (the
    /// default).
    Default,
    /// The environment variables only.
    Environment,
    /// This profile of the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else
    /// `~/.aws/credentials`).
    Profile(String),
    /// These credentials.
    Explicit {
        /// The AWS access key id.
        access_key_id: String,
        /// The AWS secret access key.
        secret_access_key: Secret,
        /// The session token of temporary credentials.
        session_token: Option<Secret>,
    },
}

impl std::fmt::Debug for AwsCredentialsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AwsCredentialsSource::Default => f.write_str("Default"),
            AwsCredentialsSource::Environment => f.write_str("Environment"),
            AwsCredentialsSource::Profile(name) => f.debug_tuple("Profile").field(name).finish(),
            AwsCredentialsSource::Explicit { access_key_id, .. } => f
                .debug_struct("Explicit")
                .field("access_key_id", access_key_id)
                .finish_non_exhaustive(),
        }
    }
}

/// AWS credentials as read.
struct AwsKeys {
    access_key_id: String,
    secret_access_key: Secret,
    session_token: Option<Secret>,
}

/// Logs in with an AWS IAM identity (`externalPrincipalLogin`), and again before the token
/// expires. Needs lakeFS Enterprise with external principals (the identity attached to a
/// lakeFS user). Optionally keeps the token in a cache file, as lakectl does.
#[derive(Debug, Clone)]
pub struct AwsIamProvider {
    source: AwsCredentialsSource,
    region: Option<String>,
    sts_host: Option<String>,
    token_ttl: Duration,
    url_presign_ttl: Duration,
    request_headers: Option<BTreeMap<String, String>>,
    cache: Option<TokenCache>,
}

impl Default for AwsIamProvider {
    fn default() -> Self {
        AwsIamProvider::new()
    }
}

impl AwsIamProvider {
    /// Credentials from [`AwsCredentialsSource::Default`], tokens of one hour, presigned
    /// requests valid for one minute, no cache file.
    pub fn new() -> Self {
        AwsIamProvider {
            source: AwsCredentialsSource::Default,
            region: None,
            sts_host: None,
            token_ttl: DEFAULT_TOKEN_TTL,
            url_presign_ttl: DEFAULT_URL_PRESIGN_TTL,
            request_headers: None,
            cache: None,
        }
    }

    /// The provider lakectl's `credentials.provider.aws_iam` settings describe.
    pub fn from_lakectl(settings: &AwsIamSettings) -> Self {
        let mut provider = AwsIamProvider::new();
        if let Some(ttl) = settings.token_ttl {
            provider.token_ttl = ttl;
        }
        if let Some(ttl) = settings.url_presign_ttl {
            provider.url_presign_ttl = ttl;
        }
        provider.request_headers = settings.token_request_headers.clone();
        provider
    }

    /// Where the AWS credentials come from.
    pub fn credentials(mut self, source: AwsCredentialsSource) -> Self {
        self.source = source;
        self
    }

    /// The AWS region of the STS endpoint (default `AWS_REGION`, `AWS_DEFAULT_REGION`, the
    /// profile's `region` in `~/.aws/config`, else `us-east-1`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The STS host signed into the request (default `sts.<region>.amazonaws.com`).
    pub fn sts_host(mut self, host: impl Into<String>) -> Self {
        self.sts_host = Some(host.into());
        self
    }

    /// The lifetime asked for each lakeFS token (default one hour; the server caps it).
    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl;
        self
    }

    /// How long the presigned STS request stays valid (default one minute).
    pub fn url_presign_ttl(mut self, ttl: Duration) -> Self {
        self.url_presign_ttl = ttl;
        self
    }

    /// The headers signed into the STS request instead of the default
    /// `X-LakeFS-Server-ID: <lakeFS host>`.
    pub fn token_request_headers(mut self, headers: BTreeMap<String, String>) -> Self {
        self.request_headers = Some(headers);
        self
    }

    /// Keeps the token in this file (created with mode 0600, its folder 0700), so that another
    /// process for the same lakeFS endpoint and AWS identity starts without logging in; an
    /// entry for another endpoint or identity is ignored and replaced.
    pub fn token_cache_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.cache = Some(TokenCache::new(path.into()));
        self
    }

    /// lakectl's cache folder with a file of this SDK's own:
    /// `~/.lakectl/cache/lakefs-rust-token-cache.json`.
    pub fn default_token_cache_file() -> Option<PathBuf> {
        let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"))?;
        Some(
            Path::new(&home)
                .join(".lakectl")
                .join("cache")
                .join("lakefs-rust-token-cache.json"),
        )
    }

    fn keys(&self) -> Result<AwsKeys> {
        match &self.source {
            AwsCredentialsSource::Explicit {
                access_key_id,
                secret_access_key,
                session_token,
            } => Ok(AwsKeys {
                access_key_id: access_key_id.clone(),
                secret_access_key: secret_access_key.clone(),
                session_token: session_token.clone(),
            }),
            AwsCredentialsSource::Environment => keys_from_env().ok_or_else(|| {
                aws_error("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
            }),
            AwsCredentialsSource::Profile(name) => keys_from_profile(name),
            AwsCredentialsSource::Default => match keys_from_env() {
                Some(keys) => Ok(keys),
                None => keys_from_profile(&profile_name()),
            },
        }
    }

    fn region_name(&self) -> String {
        if let Some(region) = &self.region {
            return region.clone();
        }
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        env("AWS_REGION")
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .or_else(|| {
                let profile = profile_name();
                let section = if profile == "default" {
                    profile
                } else {
                    format!("profile {profile}")
                };
                let file = aws_file("AWS_CONFIG_FILE", "config")?;
                ini_value(&std::fs::read_to_string(file).ok()?, &section, "region")
            })
            .unwrap_or_else(|| DEFAULT_REGION.to_string())
    }
}

#[async_trait::async_trait]
impl CredentialsProvider for AwsIamProvider {
    async fn fetch(&self, context: &AuthContext<'_>) -> Result<ExpiringCredentials> {
        let keys = self.keys()?;
        let endpoint = context.endpoint().as_str().to_string();
        // Only a fresh start reads the cache: a token renewed or refused must be replaced.
        if context.reason() == RefreshReason::Initial
            && let Some(cache) = &self.cache
            && let Some(cached) = cache.load(&endpoint, &keys.access_key_id, context.now())
        {
            return Ok(cached);
        }
        let lakefs_host = context
            .endpoint()
            .host_str()
            .unwrap_or_default()
            .to_string();
        let identity_token = self.identity_token(&keys, &lakefs_host, context.now())?;
        let mut login = lakefs_models::ExternalLoginInformation::new(serde_json::json!({
            "identity_token": identity_token,
        }));
        login.token_expiration_duration =
            Some(i64::try_from(self.token_ttl.as_secs()).unwrap_or(i64::MAX));
        let token = context
            .client()
            .external_principal_login(
                ExternalPrincipalLoginOptions::default().external_login_information(login),
            )
            .await
            .map_err(|e| super::providers::failed("externalPrincipalLogin failed".into(), e))?;
        let credentials = ExpiringCredentials::from_token(token);
        if let Some(cache) = &self.cache {
            // A cache that cannot be written costs a login next time, nothing more.
            if let Err(e) = cache.save(&endpoint, &keys.access_key_id, &credentials) {
                tracing::debug!(error = %e, "cannot write the lakeFS token cache");
            }
        }
        Ok(credentials)
    }
}

impl AwsIamProvider {
    /// The base64 JSON of a presigned `GetCallerIdentity`, in the form lakeFS reads
    /// (`AWSIdentityTokenInfo`).
    fn identity_token(
        &self,
        keys: &AwsKeys,
        lakefs_host: &str,
        now: std::time::SystemTime,
    ) -> Result<String> {
        use aws_sigv4::http_request::{
            SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
        };
        let region = self.region_name();
        let host = self
            .sts_host
            .clone()
            .unwrap_or_else(|| format!("sts.{region}.amazonaws.com"));
        let url = format!("https://{host}/?Action=GetCallerIdentity&Version=2011-06-15");
        let headers: Vec<(String, String)> = match &self.request_headers {
            Some(headers) => headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            None => vec![(SERVER_ID_HEADER.to_string(), lakefs_host.to_string())],
        };
        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(self.url_presign_ttl);
        let identity = aws_credential_types::Credentials::new(
            keys.access_key_id.clone(),
            keys.secret_access_key.expose(),
            keys.session_token.as_ref().map(|t| t.expose().to_string()),
            None,
            "lakefs-api",
        )
        .into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&region)
            .name("sts")
            .time(now)
            .settings(settings)
            .build()
            .map_err(|e| aws_error(&format!("cannot sign the STS request: {e}")))?
            .into();
        let request = SignableRequest::new(
            "POST",
            url.as_str(),
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(&[]),
        )
        .map_err(|e| aws_error(&format!("cannot sign the STS request: {e}")))?;
        let (instructions, _) = sign(request, &params)
            .map_err(|e| aws_error(&format!("cannot sign the STS request: {e}")))?
            .into_parts();
        let query: BTreeMap<&str, &str> = instructions
            .params()
            .iter()
            .map(|(k, v)| (*k, v.as_ref()))
            .collect();
        let get = |key: &str| query.get(key).copied().unwrap_or_default().to_string();
        let info = serde_json::json!({
            "method": "POST",
            "host": host,
            "region": region,
            "action": "GetCallerIdentity",
            "date": get("X-Amz-Date"),
            "expiration_duration": get("X-Amz-Expires"),
            "access_key_id": keys.access_key_id,
            "signature": get("X-Amz-Signature"),
            "signed_headers": get("X-Amz-SignedHeaders").split(';').collect::<Vec<_>>(),
            "version": "2011-06-15",
            "algorithm": get("X-Amz-Algorithm"),
            "security_token": query.get("X-Amz-Security-Token"),
        });
        Ok(base64::engine::general_purpose::STANDARD.encode(info.to_string()))
    }
}

fn aws_error(message: &str) -> Error {
    Error::credentials(format!("AWS IAM: {message}"), None)
}

fn profile_name() -> String {
    std::env::var("AWS_PROFILE")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "default".to_string())
}

fn keys_from_env() -> Option<AwsKeys> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    Some(AwsKeys {
        access_key_id: env("AWS_ACCESS_KEY_ID")?,
        secret_access_key: Secret::new(env("AWS_SECRET_ACCESS_KEY")?),
        session_token: env("AWS_SESSION_TOKEN").map(Secret::new),
    })
}

/// `$variable`, else `~/.aws/<name>`.
fn aws_file(variable: &str, name: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(variable).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"))?;
    Some(Path::new(&home).join(".aws").join(name))
}

fn keys_from_profile(profile: &str) -> Result<AwsKeys> {
    let file = aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials")
        .ok_or_else(|| aws_error("no home folder for ~/.aws/credentials"))?;
    let text = std::fs::read_to_string(&file).map_err(|e| {
        aws_error(&format!(
            "no AWS credentials in the environment, and {} cannot be read: {e}",
            file.display()
        ))
    })?;
    let value = |key: &str| ini_value(&text, profile, key);
    match (value("aws_access_key_id"), value("aws_secret_access_key")) {
        (Some(access_key_id), Some(secret)) => Ok(AwsKeys {
            access_key_id,
            secret_access_key: Secret::new(secret),
            session_token: value("aws_session_token").map(Secret::new),
        }),
        _ => Err(aws_error(&format!(
            "profile {profile:?} of {} has no aws_access_key_id and aws_secret_access_key",
            file.display()
        ))),
    }
}

/// The value of `key` in section `[section]` of an INI text (`key = value`, `#`/`;` comments).
fn ini_value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut current = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = Some(name.trim().to_string());
            continue;
        }
        if current.as_deref() == Some(section)
            && let Some((k, v)) = line.split_once('=')
            && k.trim() == key
        {
            return Some(v.trim().to_string()).filter(|v| !v.is_empty());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ini_sections() {
        let text = "[default]\naws_access_key_id = A\n# c\n[profile dev]\nregion= eu-west-1\n[dev]\naws_access_key_id=B\n";
        assert_eq!(
            ini_value(text, "default", "aws_access_key_id").as_deref(),
            Some("A")
        );
        assert_eq!(
            ini_value(text, "dev", "aws_access_key_id").as_deref(),
            Some("B")
        );
        assert_eq!(
            ini_value(text, "profile dev", "region").as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(ini_value(text, "dev", "region"), None);
    }

    #[test]
    fn explicit_secrets_stay_out_of_debug() {
        let provider = AwsIamProvider::new().credentials(AwsCredentialsSource::Explicit {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: Secret::new("aws-secret-value"),
            session_token: Some(Secret::new("aws-session-value")),
        });
        let shown = format!("{provider:?}");
        assert!(shown.contains("AKIDEXAMPLE"), "{shown}");
        assert!(!shown.contains("aws-secret-value") && !shown.contains("aws-session-value"));
    }
}
