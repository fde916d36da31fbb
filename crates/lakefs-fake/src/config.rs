//! What kind of lakeFS the fake plays: its blockstore(s), presign switches, and how long
//! presigned URLs live.

use serde_json::{Value, json};

/// The kind of object store behind a lakeFS, as `blockstore_type` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Blockstore {
    /// Amazon S3 (and compatible stores): presigned URLs and presigned multipart uploads.
    S3,
    /// Azure Blob Storage: presigned (SAS) URLs, no presigned multipart uploads.
    Azure,
    /// Google Cloud Storage: presigned URLs, no presigned multipart uploads.
    Gs,
    /// lakeFS's local-disk blockstore: no presigned URLs.
    Local,
    /// lakeFS's in-memory blockstore: no presigned URLs.
    Mem,
}

impl Blockstore {
    /// Every kind, for parsing and listing.
    pub const ALL: [Blockstore; 5] = [
        Blockstore::S3,
        Blockstore::Azure,
        Blockstore::Gs,
        Blockstore::Local,
        Blockstore::Mem,
    ];

    /// The `blockstore_type` value: `s3`, `azure`, `gs`, `local` or `mem`.
    pub fn name(self) -> &'static str {
        match self {
            Blockstore::S3 => "s3",
            Blockstore::Azure => "azure",
            Blockstore::Gs => "gs",
            Blockstore::Local => "local",
            Blockstore::Mem => "mem",
        }
    }

    /// The kind named `name` (as [`Blockstore::name`] spells it).
    pub fn from_name(name: &str) -> Option<Blockstore> {
        Blockstore::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(name))
    }

    /// Whether lakeFS can presign URLs on this kind.
    pub(crate) fn can_presign(self) -> bool {
        matches!(self, Blockstore::S3 | Blockstore::Azure | Blockstore::Gs)
    }

    /// Whether lakeFS offers presigned multipart uploads on this kind (only the S3 adapter).
    pub(crate) fn can_presign_multipart(self) -> bool {
        self == Blockstore::S3
    }

    fn namespace_example(self) -> &'static str {
        match self {
            Blockstore::S3 => "s3://example-bucket/",
            Blockstore::Azure => "https://mystorageaccount.blob.core.windows.net/mycontainer/",
            Blockstore::Gs => "gs://example-bucket/",
            Blockstore::Local => "local://example-bucket/",
            Blockstore::Mem => "mem://example-bucket/",
        }
    }

    fn validity_regex(self) -> &'static str {
        match self {
            Blockstore::S3 => "^s3://",
            Blockstore::Azure => "^https?://[a-z0-9_-]+\\.(blob|adls)\\.core\\.windows\\.net",
            Blockstore::Gs => "^gs://",
            Blockstore::Local => "^local://",
            Blockstore::Mem => "^mem://",
        }
    }

    /// Whether lakeFS can import from this kind of store (all but `mem`).
    pub(crate) fn import_support(self) -> bool {
        self != Blockstore::Mem
    }

    /// Whether `uri` is a location of this kind of store: what
    /// [`validity_regex`](Self::validity_regex) (also the `import_validity_regex`) matches.
    pub(crate) fn owns_uri(self, uri: &str) -> bool {
        match self {
            Blockstore::Azure => {
                let rest = uri
                    .strip_prefix("https://")
                    .or_else(|| uri.strip_prefix("http://"));
                rest.and_then(|rest| rest.split_once('.'))
                    .is_some_and(|(account, host)| {
                        !account.is_empty()
                            && account.bytes().all(|b| {
                                b.is_ascii_lowercase()
                                    || b.is_ascii_digit()
                                    || b == b'_'
                                    || b == b'-'
                            })
                            && (host.starts_with("blob.core.windows.net")
                                || host.starts_with("adls.core.windows.net"))
                    })
            }
            other => uri.starts_with(&format!("{}://", other.name())),
        }
    }
}

impl std::fmt::Display for Blockstore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One storage of the fake (one entry of `storage_config_list`).
#[derive(Debug, Clone)]
pub(crate) struct Storage {
    /// `blockstore_id`; `None` for the single storage of a plain lakeFS.
    pub(crate) id: Option<String>,
    pub(crate) blockstore: Blockstore,
    pub(crate) presign: bool,
    pub(crate) presign_multipart: bool,
    pub(crate) default_namespace_prefix: Option<String>,
}

impl Storage {
    /// The `StorageConfig` JSON.
    pub(crate) fn to_json(&self) -> Value {
        let kind = self.blockstore;
        let mut config = json!({
            "blockstore_type": kind.name(),
            "blockstore_namespace_example": kind.namespace_example(),
            "blockstore_namespace_ValidityRegex": kind.validity_regex(),
            "pre_sign_support": self.presign,
            "pre_sign_support_ui": self.presign,
            "import_support": kind.import_support(),
            "import_validity_regex": kind.validity_regex(),
            "pre_sign_multipart_upload": self.presign_multipart,
        });
        if let Some(prefix) = &self.default_namespace_prefix {
            config["default_namespace_prefix"] = json!(prefix);
        }
        if let Some(id) = &self.id {
            config["blockstore_id"] = json!(id);
            config["blockstore_description"] = json!(format!("lakefs-fake {} storage", kind));
        }
        config
    }
}

/// Everything configurable that handlers read; fixed once the fake starts.
#[derive(Debug)]
pub(crate) struct Config {
    /// One storage, or several in multi-storage mode (then each has an id).
    pub(crate) storages: Vec<Storage>,
    /// The simulated object store's base URL, e.g. `http://127.0.0.1:41235`.
    pub(crate) store_endpoint: String,
    /// Signs physical addresses and presigned URLs.
    pub(crate) secret: Vec<u8>,
    /// How long a presigned URL lives, in seconds.
    pub(crate) url_expiry: i64,
}

impl Config {
    /// Whether this is a multi-storage lakeFS.
    pub(crate) fn multi_storage(&self) -> bool {
        self.storages.iter().any(|storage| storage.id.is_some())
    }

    /// The storage with this id (`None`: the default storage, the first).
    pub(crate) fn storage(&self, id: Option<&str>) -> Option<&Storage> {
        match id {
            None => self.storages.first(),
            Some(id) => self
                .storages
                .iter()
                .find(|storage| storage.id.as_deref() == Some(id)),
        }
    }
}
