//! What a repository's storage can do, from `getConfig`, fetched once per client.

use crate::error::{Error, Result};
use crate::{ConfigApi, LakeFsClient, RepositoriesApi};
use lakefs_models::{Config, StorageConfig};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The storage configuration a client has fetched: the server's `getConfig` answer and the
/// storage id of each repository asked about (multi-storage servers only).
#[derive(Debug, Default)]
pub(crate) struct StorageConfigCache {
    config: tokio::sync::OnceCell<Arc<Config>>,
    storage_ids: Mutex<HashMap<String, Option<String>>>,
}

/// What the storage of one repository supports, and the server's version.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct StorageCapabilities {
    /// The store type: `s3`, `azure`, `gs`, `local`, `mem`, ...
    pub blockstore_type: String,
    /// The store's id on a multi-storage server.
    pub blockstore_id: Option<String>,
    /// Presigned single PUTs and GETs.
    pub presign: bool,
    /// Presigned multipart uploads (`createPresignMultipartUpload`).
    pub presign_multipart: bool,
    /// The server's version (`getConfig`), e.g. `1.84.0`.
    pub server_version: Option<String>,
}

impl StorageCapabilities {
    pub(crate) fn from_config(config: &Config, storage: &StorageConfig) -> Self {
        StorageCapabilities {
            blockstore_type: storage.blockstore_type.clone(),
            blockstore_id: storage.blockstore_id.clone(),
            presign: storage.pre_sign_support,
            presign_multipart: storage.pre_sign_support
                && storage.pre_sign_multipart_upload.unwrap_or(false),
            server_version: config
                .version_config
                .as_ref()
                .and_then(|v| v.version.clone()),
        }
    }

    /// Whether presigned PUTs need Azure's `x-ms-blob-type: BlockBlob` header.
    pub fn is_azure(&self) -> bool {
        self.blockstore_type == "azure"
    }

    /// Whether the server honours this condition on `linkPhysicalAddress` and `uploadObject`:
    /// `If-None-Match: *` since lakeFS 1.12.0 (#7480), `If-Match` since 1.71.0 (#9566).
    /// Older servers ignore the header, so the upload would silently overwrite. A version
    /// that cannot be read (a development build) is assumed recent.
    pub fn supports_condition(&self, if_match: bool) -> bool {
        let needed = if if_match { (1, 71, 0) } else { (1, 12, 0) };
        match self.server_version.as_deref().and_then(parse_version) {
            Some(version) => version >= needed,
            None => true,
        }
    }
}

/// `v1.84.0`, `1.84.0-rc1` -> (1, 84, 0).
fn parse_version(text: &str) -> Option<(u64, u64, u64)> {
    let text = text.trim().trim_start_matches('v');
    let core = text.split(['-', '+', ' ']).next()?;
    let mut numbers = core.split('.').map(|n| n.parse::<u64>().ok());
    let major = numbers.next()??;
    let minor = numbers.next().flatten().unwrap_or(0);
    let patch = numbers.next().flatten().unwrap_or(0);
    Some((major, minor, patch))
}

/// The entry of a multi-storage list whose id is the repository's storage id (lakectl's
/// `getStorageConfigOrDie`); a single-storage server answers with its one entry.
fn storage_for<'a>(config: &'a Config, storage_id: Option<&str>) -> Result<&'a StorageConfig> {
    if let Some(list) = config
        .storage_config_list
        .as_ref()
        .filter(|l| !l.is_empty())
    {
        let wanted = storage_id.unwrap_or_default();
        return list
            .iter()
            .find(|s| s.blockstore_id.as_deref().unwrap_or_default() == wanted)
            .or_else(|| (list.len() == 1).then(|| &list[0]))
            .ok_or_else(|| {
                Error::Unsupported(format!(
                    "the server lists no storage with id {wanted:?} (the repository's storage_id)"
                ))
            });
    }
    config
        .storage_config
        .as_ref()
        .ok_or_else(|| Error::Unsupported("getConfig answered without a storage config".into()))
}

impl LakeFsClient {
    /// What the storage of `repository` supports. `getConfig` is fetched once per client (its
    /// clones share it); on a multi-storage server, the repository's `storage_id` once per
    /// repository.
    pub async fn storage_capabilities(&self, repository: &str) -> Result<StorageCapabilities> {
        let cache = &self.inner.storage;
        let config = cache
            .config
            .get_or_try_init(|| async { self.get_config().await.map(Arc::new) })
            .await?
            .clone();
        let multi = config
            .storage_config_list
            .as_ref()
            .is_some_and(|l| l.len() > 1);
        let storage_id = if multi {
            let known = lock(&cache.storage_ids).get(repository).cloned();
            match known {
                Some(id) => id,
                None => {
                    let id = self.get_repository(repository).await?.storage_id;
                    lock(&cache.storage_ids).insert(repository.to_string(), id.clone());
                    id
                }
            }
        } else {
            None
        };
        let storage = storage_for(&config, storage_id.as_deref())?;
        Ok(StorageCapabilities::from_config(&config, storage))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_leniently() {
        assert_eq!(parse_version("v1.84.0"), Some((1, 84, 0)));
        assert_eq!(parse_version("1.71.0-rc1"), Some((1, 71, 0)));
        assert_eq!(parse_version("1.7"), Some((1, 7, 0)));
        assert_eq!(parse_version("dev"), None);
    }

    #[test]
    fn conditions_follow_the_version_that_brought_them() {
        let at = |v: &str| StorageCapabilities {
            server_version: Some(v.into()),
            ..Default::default()
        };
        assert!(at("1.71.0").supports_condition(true));
        assert!(!at("1.70.1").supports_condition(true));
        assert!(at("1.12.0").supports_condition(false));
        assert!(!at("1.11.9").supports_condition(false));
        assert!(at("dev").supports_condition(true));
    }

    #[test]
    fn the_repository_storage_is_picked_from_a_list() {
        let store = |id: &str, presign: bool| {
            let mut s = StorageConfig::default();
            s.blockstore_id = Some(id.into());
            s.pre_sign_support = presign;
            s
        };
        let mut config = Config::default();
        config.storage_config_list = Some(vec![store("a", false), store("b", true)]);
        assert!(storage_for(&config, Some("b")).unwrap().pre_sign_support);
        assert!(!storage_for(&config, Some("a")).unwrap().pre_sign_support);
        let err = storage_for(&config, Some("c")).unwrap_err();
        assert!(matches!(err, Error::Unsupported(_)), "{err}");
        let mut single = Config::default();
        single.storage_config = Some(store("", true));
        assert!(storage_for(&single, None).unwrap().pre_sign_support);
    }
}
