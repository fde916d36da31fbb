//! Where the client's settings come from: explicit settings, then `LAKECTL_*` environment
//! variables, then the lakectl configuration file.

use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A secret whose `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself: call this only where it must be sent.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

/// How requests authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// HTTP basic with an access key pair (what lakectl uses).
    AccessKey {
        /// Access key id.
        access_key_id: String,
        /// Secret access key.
        secret_access_key: Secret,
    },
    /// A bearer token, e.g. from `login` or `sts_login`.
    Bearer(Secret),
}

/// Environment variable naming the lakeFS endpoint.
pub const ENV_ENDPOINT: &str = "LAKECTL_SERVER_ENDPOINT_URL";
/// Environment variable naming the access key id.
pub const ENV_ACCESS_KEY_ID: &str = "LAKECTL_CREDENTIALS_ACCESS_KEY_ID";
/// Environment variable naming the secret access key.
pub const ENV_SECRET_ACCESS_KEY: &str = "LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY";
/// Environment variable naming the lakectl configuration file (default `~/.lakectl.yaml`).
pub const ENV_CONFIG_FILE: &str = "LAKECTL_CONFIG_FILE";
/// Environment variable holding a lakeFS bearer token (as the Python SDK reads it); it wins
/// over every other credential setting.
pub const ENV_SESSION_TOKEN: &str = "LAKECTL_CREDENTIALS_SESSION_TOKEN";
/// Environment variable naming the credentials provider (`aws_iam`).
pub const ENV_PROVIDER_TYPE: &str = "LAKECTL_CREDENTIALS_PROVIDER_TYPE";
const ENV_AWS_IAM_PREFIX: &str = "LAKECTL_CREDENTIALS_PROVIDER_AWS_IAM_";

/// Settings read from the environment and the lakectl file; each may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LakectlSettings {
    /// `server.endpoint_url`.
    pub endpoint: Option<String>,
    /// `credentials.access_key_id`.
    pub access_key_id: Option<String>,
    /// `credentials.secret_access_key`.
    pub secret_access_key: Option<Secret>,
    /// A bearer token from [`ENV_SESSION_TOKEN`].
    pub session_token: Option<Secret>,
    /// `credentials.provider.type` (lakectl knows `aws_iam`), used when no key pair is set.
    pub provider_type: Option<String>,
    /// `credentials.provider.aws_iam.*`.
    pub aws_iam: AwsIamSettings,
}

/// lakectl's `credentials.provider.aws_iam` settings; durations are given in seconds (`3600`)
/// or Go's form (`6h`, `1m30s`). Each may be missing (the provider's defaults apply).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AwsIamSettings {
    /// `token_ttl_seconds`: the lifetime asked for each lakeFS token.
    pub token_ttl: Option<Duration>,
    /// `url_presign_ttl_seconds`: the lifetime of the presigned STS request.
    pub url_presign_ttl: Option<Duration>,
    /// `refresh_interval`: how long before expiry the token is renewed.
    pub refresh_interval: Option<Duration>,
    /// `token_request_headers`: headers signed into the STS request (default
    /// `X-LakeFS-Server-ID: <lakeFS host>`).
    pub token_request_headers: Option<BTreeMap<String, String>>,
}

/// What the lakectl settings say requests authenticate with.
pub(crate) enum LakectlCredentials {
    Static(Credentials),
    // Only the aws-iam feature's provider comes from the lakectl settings.
    #[cfg_attr(not(feature = "aws-iam"), allow(dead_code))]
    Provider(std::sync::Arc<dyn crate::auth::CredentialsProvider>),
}

impl LakectlSettings {
    /// Reads the environment, then fills what is still missing from the lakectl file
    /// (`$LAKECTL_CONFIG_FILE`, else `~/.lakectl.yaml`; a missing file is not an error).
    pub fn load() -> Result<LakectlSettings> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let mut settings = LakectlSettings::from_lookup(env).map_err(Error::Config)?;
        let file = match env(ENV_CONFIG_FILE) {
            Some(path) => Some(PathBuf::from(path)),
            None => std::env::var_os("HOME")
                .or_else(|| std::env::var_os("USERPROFILE"))
                .map(|home| Path::new(&home).join(".lakectl.yaml")),
        };
        if let Some(file) = file.filter(|f| f.exists()) {
            settings.fill_from(&LakectlSettings::from_file(&file)?);
        }
        Ok(settings)
    }

    /// The settings of the `LAKECTL_*` environment variables, as `lookup` gives them.
    fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> std::result::Result<LakectlSettings, String> {
        let aws = |key: &str| lookup(&format!("{ENV_AWS_IAM_PREFIX}{key}"));
        let duration = |keys: &[&str]| -> std::result::Result<Option<Duration>, String> {
            for key in keys {
                if let Some(text) = aws(key) {
                    return parse_duration(&text).map(Some).ok_or_else(|| {
                        format!("{ENV_AWS_IAM_PREFIX}{key}: not a duration: {text:?}")
                    });
                }
            }
            Ok(None)
        };
        let token_request_headers = match aws("TOKEN_REQUEST_HEADERS") {
            Some(json) => Some(serde_json::from_str(&json).map_err(|e| {
                format!(
                    "{ENV_AWS_IAM_PREFIX}TOKEN_REQUEST_HEADERS: not a JSON object of strings: {e}"
                )
            })?),
            None => None,
        };
        Ok(LakectlSettings {
            endpoint: lookup(ENV_ENDPOINT),
            access_key_id: lookup(ENV_ACCESS_KEY_ID),
            secret_access_key: lookup(ENV_SECRET_ACCESS_KEY).map(Secret),
            session_token: lookup(ENV_SESSION_TOKEN).map(Secret),
            provider_type: lookup(ENV_PROVIDER_TYPE),
            aws_iam: AwsIamSettings {
                token_ttl: duration(&["TOKEN_TTL_SECONDS"])?,
                // lakectl's key, then the Python SDK's name for it.
                url_presign_ttl: duration(&[
                    "URL_PRESIGN_TTL_SECONDS",
                    "PRESIGNED_URL_TTL_SECONDS",
                ])?,
                refresh_interval: duration(&["REFRESH_INTERVAL"])?,
                token_request_headers,
            },
        })
    }

    /// Reads a lakectl YAML file.
    pub fn from_file(path: &Path) -> Result<LakectlSettings> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::LocalIo {
            context: format!("cannot read lakectl configuration {}", path.display()),
            source,
        })?;
        Self::from_yaml(&text).map_err(|e| Error::Config(format!("{}: {e}", path.display())))
    }

    /// Parses lakectl YAML (`server.endpoint_url`, `credentials.access_key_id`,
    /// `credentials.secret_access_key`).
    pub fn from_yaml(text: &str) -> std::result::Result<LakectlSettings, String> {
        let doc: serde_yaml::Value =
            serde_yaml::from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
        let get = |section: &str, key: &str| -> Option<String> {
            doc.get(section)?
                .get(key)?
                .as_str()
                .map(str::to_string)
                .filter(|v| !v.is_empty())
        };
        let aws_iam = doc
            .get("credentials")
            .and_then(|c| c.get("provider"))
            .and_then(|p| p.get("aws_iam"));
        let aws_duration = |key: &str| -> std::result::Result<Option<Duration>, String> {
            let Some(value) = aws_iam.and_then(|a| a.get(key)) else {
                return Ok(None);
            };
            let text = match value {
                serde_yaml::Value::Number(n) => n.to_string(),
                serde_yaml::Value::String(s) => s.clone(),
                _ => String::new(),
            };
            parse_duration(&text)
                .map(Some)
                .ok_or_else(|| format!("credentials.provider.aws_iam.{key}: not a duration"))
        };
        let token_request_headers =
            match aws_iam.and_then(|a| a.get("token_request_headers")) {
                Some(value) => Some(serde_yaml::from_value(value.clone()).map_err(|e| {
                    format!("credentials.provider.aws_iam.token_request_headers: {e}")
                })?),
                None => None,
            };
        Ok(LakectlSettings {
            endpoint: get("server", "endpoint_url"),
            access_key_id: get("credentials", "access_key_id"),
            secret_access_key: get("credentials", "secret_access_key").map(Secret),
            session_token: None,
            provider_type: doc
                .get("credentials")
                .and_then(|c| c.get("provider"))
                .and_then(|p| p.get("type"))
                .and_then(|t| t.as_str())
                .filter(|t| !t.is_empty())
                .map(str::to_string),
            aws_iam: AwsIamSettings {
                token_ttl: aws_duration("token_ttl_seconds")?,
                url_presign_ttl: aws_duration("url_presign_ttl_seconds")?,
                refresh_interval: aws_duration("refresh_interval")?,
                token_request_headers,
            },
        })
    }

    /// What requests authenticate with: the session token, else the key pair, else the
    /// provider (lakectl's order).
    pub(crate) fn credentials(
        &self,
        endpoint: &reqwest::Url,
    ) -> Result<Option<LakectlCredentials>> {
        if let Some(token) = &self.session_token {
            return Ok(Some(LakectlCredentials::Static(Credentials::Bearer(
                token.clone(),
            ))));
        }
        match (&self.access_key_id, &self.secret_access_key) {
            (Some(access_key_id), Some(secret_access_key)) => {
                return Ok(Some(LakectlCredentials::Static(Credentials::AccessKey {
                    access_key_id: access_key_id.clone(),
                    secret_access_key: secret_access_key.clone(),
                })));
            }
            (None, None) => {}
            _ => {
                return Err(Error::Config(
                    "the lakectl settings have only half of the access key pair".into(),
                ));
            }
        }
        match self.provider_type.as_deref() {
            None => Ok(None),
            Some("aws_iam") => self.aws_iam_provider(endpoint).map(Some),
            Some(other) => Err(Error::Config(format!(
                "credentials.provider.type {other:?} is not supported (lakectl knows aws_iam)"
            ))),
        }
    }

    #[cfg(feature = "aws-iam")]
    fn aws_iam_provider(&self, _endpoint: &reqwest::Url) -> Result<LakectlCredentials> {
        let provider = crate::auth::AwsIamProvider::from_lakectl(&self.aws_iam);
        Ok(LakectlCredentials::Provider(std::sync::Arc::new(provider)))
    }

    #[cfg(not(feature = "aws-iam"))]
    fn aws_iam_provider(&self, _endpoint: &reqwest::Url) -> Result<LakectlCredentials> {
        Err(Error::Config(
            "credentials.provider.type is aws_iam, which needs the `aws-iam` feature of lakefs-api"
                .into(),
        ))
    }

    fn fill_from(&mut self, other: &LakectlSettings) {
        if self.endpoint.is_none() {
            self.endpoint.clone_from(&other.endpoint);
        }
        if self.access_key_id.is_none() {
            self.access_key_id.clone_from(&other.access_key_id);
        }
        if self.secret_access_key.is_none() {
            self.secret_access_key.clone_from(&other.secret_access_key);
        }
        if self.session_token.is_none() {
            self.session_token.clone_from(&other.session_token);
        }
        if self.provider_type.is_none() {
            self.provider_type.clone_from(&other.provider_type);
        }
        let (mine, theirs) = (&mut self.aws_iam, &other.aws_iam);
        mine.token_ttl = mine.token_ttl.or(theirs.token_ttl);
        mine.url_presign_ttl = mine.url_presign_ttl.or(theirs.url_presign_ttl);
        mine.refresh_interval = mine.refresh_interval.or(theirs.refresh_interval);
        if mine.token_request_headers.is_none() {
            mine.token_request_headers
                .clone_from(&theirs.token_request_headers);
        }
    }
}

/// A duration in seconds (`3600`) or Go's form (`6h`, `1m30s`, `500ms`).
fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit() && c != '.')?;
        let (number, tail) = rest.split_at(digits);
        let number: f64 = number.parse().ok()?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let seconds = match unit {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            _ => return None,
        };
        total = total.checked_add(Duration::try_from_secs_f64(number * seconds).ok()?)?;
        rest = tail;
    }
    Some(total)
}

/// Turns what users type (`localhost:8000`, `http://host:8000`, `https://host/api/v1/`) into the
/// API base URL, without a trailing slash.
pub fn normalize_endpoint(endpoint: &str) -> Result<reqwest::Url> {
    let trimmed = endpoint.trim();
    if trimmed.is_empty() {
        return Err(Error::Config("the lakeFS endpoint is empty".into()));
    }
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("http://{trimmed}")
    };
    let mut url = reqwest::Url::parse(&with_scheme).map_err(|e| {
        Error::Config(format!(
            "invalid lakeFS endpoint {:?}: {}",
            without_userinfo(trimmed),
            explain(e)
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::Config(format!(
            "the lakeFS endpoint must be http or https, not {}",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(
            "put credentials in the client settings, not in the endpoint URL".into(),
        ));
    }
    let path = url.path().trim_end_matches('/').to_string();
    let path = if path.is_empty() {
        "/api/v1".to_string()
    } else {
        path
    };
    url.set_path(&path);
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// The endpoint as typed, without what stands between `://` and `@` (a user and a password):
/// an endpoint that does not parse is still shown, but never its credentials.
fn without_userinfo(endpoint: &str) -> String {
    let (scheme, rest) = match endpoint.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), endpoint),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}***@{}", &rest[at + 1..]),
        None => endpoint.to_string(),
    }
}

/// What is wrong with an endpoint, in words.
fn explain(error: url::ParseError) -> String {
    use url::ParseError as E;
    match error {
        E::EmptyHost => "it has no host name".into(),
        E::InvalidPort => "the port is not a number from 1 to 65535".into(),
        E::InvalidIpv4Address => "the IPv4 address is invalid".into(),
        E::InvalidIpv6Address => "the IPv6 address is invalid (write it as [::1])".into(),
        E::InvalidDomainCharacter => "the host name contains a character not allowed".into(),
        E::IdnaError => "the host name is not a valid international domain name".into(),
        E::RelativeUrlWithoutBase => "it is not an absolute URL (http://host:port)".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_endpoints_say_why_without_their_credentials() {
        let cases = [
            ("http://AKID:SECRET@host:notaport", "port"),
            ("http://AKID:SECRET@host:99999/x@y", "port"),
            ("http://:8000", "host"),
            ("http://[::1:8000", "IPv6"),
            ("http://ho st:8000", "host name"),
        ];
        for (endpoint, why) in cases {
            let err = normalize_endpoint(endpoint).unwrap_err().to_string();
            assert!(err.contains(why), "{endpoint}: {err}");
            assert!(
                !err.contains("SECRET") && !err.contains("AKID"),
                "{endpoint}: {err}"
            );
        }
    }

    #[test]
    fn endpoints_are_normalized() {
        let n = |e: &str| normalize_endpoint(e).map(|u| u.to_string());
        assert_eq!(n("localhost:8000").unwrap(), "http://localhost:8000/api/v1");
        assert_eq!(n("http://h:8000/").unwrap(), "http://h:8000/api/v1");
        assert_eq!(n("https://h/api/v1/").unwrap(), "https://h/api/v1");
        assert_eq!(
            n("http://h/lakefs/api/v1").unwrap(),
            "http://h/lakefs/api/v1"
        );
        assert!(matches!(n(""), Err(Error::Config(_))));
        assert!(matches!(n("ftp://h"), Err(Error::Config(_))));
        assert!(matches!(n("http://u:p@h"), Err(Error::Config(_))));
    }

    #[test]
    fn lakectl_yaml_is_read() {
        let s = LakectlSettings::from_yaml(
            "credentials:\n  access_key_id: AKID\n  secret_access_key: SECRET\nserver:\n  endpoint_url: http://x:8000\n",
        )
        .unwrap();
        assert_eq!(s.endpoint.as_deref(), Some("http://x:8000"));
        assert_eq!(s.access_key_id.as_deref(), Some("AKID"));
        assert_eq!(
            s.secret_access_key.as_ref().map(Secret::expose),
            Some("SECRET")
        );
        assert!(!format!("{s:?}").contains("SECRET"));
        assert!(LakectlSettings::from_yaml(": : :\n\t-").is_err());
    }

    #[test]
    fn lakectl_aws_iam_provider_settings_are_read() {
        let s = LakectlSettings::from_yaml(
            "credentials:\n  provider:\n    type: aws_iam\n    aws_iam:\n      token_ttl_seconds: 7200\n      url_presign_ttl_seconds: 1m\n      refresh_interval: 10m\n      token_request_headers:\n        X-LakeFS-Server-ID: lakefs.example.com\nserver:\n  endpoint_url: https://lakefs.example.com\n",
        )
        .unwrap();
        assert_eq!(s.provider_type.as_deref(), Some("aws_iam"));
        assert_eq!(s.aws_iam.token_ttl, Some(Duration::from_secs(7200)));
        assert_eq!(s.aws_iam.url_presign_ttl, Some(Duration::from_secs(60)));
        assert_eq!(s.aws_iam.refresh_interval, Some(Duration::from_secs(600)));
        let headers = s.aws_iam.token_request_headers.clone().unwrap();
        assert_eq!(headers["X-LakeFS-Server-ID"], "lakefs.example.com");
        let endpoint = normalize_endpoint("https://lakefs.example.com").unwrap();
        let resolved = s.credentials(&endpoint);
        #[cfg(feature = "aws-iam")]
        assert!(matches!(
            resolved,
            Ok(Some(LakectlCredentials::Provider(_)))
        ));
        #[cfg(not(feature = "aws-iam"))]
        assert!(matches!(resolved, Err(Error::Config(m)) if m.contains("aws-iam")));
        // A key pair wins over the provider, as in lakectl.
        let keys = LakectlSettings {
            access_key_id: Some("AKID".into()),
            secret_access_key: Some(Secret::new("s")),
            ..s.clone()
        };
        assert!(matches!(
            keys.credentials(&endpoint),
            Ok(Some(LakectlCredentials::Static(
                Credentials::AccessKey { .. }
            )))
        ));
        let unknown = LakectlSettings {
            provider_type: Some("kerberos".into()),
            ..Default::default()
        };
        assert!(matches!(
            unknown.credentials(&endpoint),
            Err(Error::Config(_))
        ));
    }

    #[test]
    fn lakectl_environment_variables_are_read() {
        let vars = [
            (ENV_SESSION_TOKEN, "tok"),
            (ENV_PROVIDER_TYPE, "aws_iam"),
            (
                "LAKECTL_CREDENTIALS_PROVIDER_AWS_IAM_TOKEN_TTL_SECONDS",
                "6h",
            ),
            (
                "LAKECTL_CREDENTIALS_PROVIDER_AWS_IAM_PRESIGNED_URL_TTL_SECONDS",
                "30",
            ),
            (
                "LAKECTL_CREDENTIALS_PROVIDER_AWS_IAM_TOKEN_REQUEST_HEADERS",
                r#"{"a":"b"}"#,
            ),
        ];
        let lookup = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        let s = LakectlSettings::from_lookup(lookup).unwrap();
        assert_eq!(s.session_token.as_ref().map(Secret::expose), Some("tok"));
        assert_eq!(s.aws_iam.token_ttl, Some(Duration::from_secs(6 * 3600)));
        assert_eq!(s.aws_iam.url_presign_ttl, Some(Duration::from_secs(30)));
        assert_eq!(s.aws_iam.token_request_headers.unwrap()["a"], "b");
        // The session token wins over everything else.
        let endpoint = normalize_endpoint("h:1").unwrap();
        let settings = LakectlSettings::from_lookup(lookup).unwrap();
        assert!(matches!(
            settings.credentials(&endpoint),
            Ok(Some(LakectlCredentials::Static(Credentials::Bearer(_))))
        ));
        let bad = |name: &str| {
            (name == "LAKECTL_CREDENTIALS_PROVIDER_AWS_IAM_TOKEN_TTL_SECONDS")
                .then(|| "soon".to_string())
        };
        assert!(LakectlSettings::from_lookup(bad).is_err());
    }

    #[test]
    fn durations_in_seconds_or_go_form() {
        assert_eq!(parse_duration("3600"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration(""), None);
        assert_eq!(parse_duration("5 minutes"), None);
    }

    #[test]
    fn environment_wins_over_file() {
        let mut env = LakectlSettings {
            endpoint: Some("env".into()),
            ..Default::default()
        };
        let file = LakectlSettings {
            endpoint: Some("file".into()),
            access_key_id: Some("file-key".into()),
            ..Default::default()
        };
        env.fill_from(&file);
        assert_eq!(env.endpoint.as_deref(), Some("env"));
        assert_eq!(env.access_key_id.as_deref(), Some("file-key"));
    }
}
