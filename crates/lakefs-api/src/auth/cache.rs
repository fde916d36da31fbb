//! A token cache file like lakectl's (`{"token", "expiration_time"}`), with the endpoint and
//! the identity it belongs to: an entry for another one is ignored. Written whole (a temporary
//! file renamed over it), readable by its owner only.

use super::ExpiringCredentials;
use crate::config::{Credentials, Secret};
use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

#[derive(Debug, Clone)]
pub(crate) struct TokenCache {
    path: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    token: String,
    /// Unix seconds.
    expiration_time: i64,
    #[serde(default)]
    endpoint: String,
    #[serde(default)]
    identity: String,
}

impl TokenCache {
    pub(crate) fn new(path: PathBuf) -> Self {
        TokenCache { path }
    }

    /// The cached token of `endpoint` and `identity`, if it has not expired at `now`.
    pub(crate) fn load(
        &self,
        endpoint: &str,
        identity: &str,
        now: SystemTime,
    ) -> Option<ExpiringCredentials> {
        let text = std::fs::read(&self.path).ok()?;
        let entry: Entry = serde_json::from_slice(&text).ok()?;
        if entry.endpoint != endpoint || entry.identity != identity || entry.token.is_empty() {
            return None;
        }
        let expires = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(
            u64::try_from(entry.expiration_time).ok()?,
        ))?;
        (expires > now).then(|| {
            ExpiringCredentials::new(Credentials::Bearer(Secret::new(entry.token)), Some(expires))
        })
    }

    /// Replaces the file with this token of `endpoint` and `identity`.
    pub(crate) fn save(
        &self,
        endpoint: &str,
        identity: &str,
        credentials: &ExpiringCredentials,
    ) -> std::io::Result<()> {
        let (Credentials::Bearer(token), Some(expires)) =
            (&credentials.credentials, credentials.expires_at)
        else {
            return Ok(());
        };
        let expiration_time = expires
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        let entry = Entry {
            token: token.expose().to_string(),
            expiration_time,
            endpoint: endpoint.to_string(),
            identity: identity.to_string(),
        };
        let json = serde_json::to_vec(&entry).map_err(std::io::Error::other)?;
        let folder = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        create_private_folder(&folder)?;
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "token-cache".into());
        let temporary = folder.join(format!(".{name}.{}.tmp", std::process::id()));
        let written = (|| {
            let mut file = open_private(&temporary)?;
            file.write_all(&json)?;
            file.sync_all()?;
            std::fs::rename(&temporary, &self.path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        written
    }
}

#[cfg(unix)]
fn create_private_folder(folder: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(folder)
}

#[cfg(not(unix))]
fn create_private_folder(folder: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(folder)
}

#[cfg(unix)]
fn open_private(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_private(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
}
