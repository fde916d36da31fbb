//! Where a key of the store lives in lakeFS: `<ref>/<path>`, or a plain path under a fixed ref.

use crate::failure::{Failure, Outcome};

/// A key resolved to a ref and an object path in the store's repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) ref_: String,
    pub(crate) path: String,
}

/// How keys map onto refs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Layout {
    /// The first segment of a key is the ref, as on lakeFS's S3 gateway (`main/data/x.parquet`).
    RefInKey,
    /// Every key is a path under this ref.
    FixedRef(String),
}

impl Layout {
    /// The ref and path of an object key (an `object_store` path's encoded form).
    pub(crate) fn object(&self, key: &str) -> Outcome<Target> {
        match self {
            Layout::FixedRef(ref_) => Ok(Target {
                ref_: ref_.clone(),
                path: key.to_string(),
            }),
            Layout::RefInKey => match key.split_once('/') {
                Some((ref_, path)) if !ref_.is_empty() && !path.is_empty() => Ok(Target {
                    ref_: ref_.to_string(),
                    path: path.to_string(),
                }),
                _ => Err(Failure::NotFound {
                    path: key.to_string(),
                    source: format!(
                        "{key:?} names no object: keys of this store are <ref>/<path> \
                         (or build it with a fixed ref)"
                    )
                    .into(),
                }),
            },
        }
    }

    /// The ref and raw path prefix (no directory semantics) of a listing; `None` is the root.
    pub(crate) fn prefix(&self, prefix: Option<&str>) -> Outcome<Target> {
        let prefix = prefix.unwrap_or("");
        match self {
            Layout::FixedRef(ref_) => Ok(Target {
                ref_: ref_.clone(),
                path: prefix.to_string(),
            }),
            Layout::RefInKey => {
                let (ref_, path) = prefix.split_once('/').unwrap_or((prefix, ""));
                if ref_.is_empty() {
                    return Err(Failure::not_supported(
                        "listing the root of a store whose keys are <ref>/<path> would list \
                         refs: list under a ref (main/...) or build the store with a fixed ref",
                    ));
                }
                Ok(Target {
                    ref_: ref_.to_string(),
                    path: path.to_string(),
                })
            }
        }
    }

    /// The key of an object listed at `ref_`.
    pub(crate) fn key(&self, ref_: &str, path: &str) -> String {
        let mut key = String::new();
        self.key_into(ref_, path, &mut key);
        key
    }

    /// [`key`](Self::key), written into `key` (cleared first): listings reuse one buffer.
    pub(crate) fn key_into(&self, ref_: &str, path: &str, key: &mut String) {
        key.clear();
        if let Layout::RefInKey = self {
            key.reserve(ref_.len() + 1 + path.len());
            key.push_str(ref_);
            key.push('/');
        }
        key.push_str(path);
    }

    /// The fixed ref, if any.
    pub(crate) fn fixed_ref(&self) -> Option<&str> {
        match self {
            Layout::FixedRef(ref_) => Some(ref_),
            Layout::RefInKey => None,
        }
    }
}

/// Whether `ref_` is a full lakeFS commit id (64 hex digits): only then is what it holds
/// immutable, so only then is it reported as an object's version.
pub(crate) fn is_commit_id(ref_: &str) -> bool {
    ref_.len() == 64 && ref_.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `ref_` can never be written: a commit id or a ref expression (`main~1`, `v1^`,
/// `main@`). Other refs (tags) are found out when lakeFS refuses them.
pub(crate) fn is_read_only_expression(ref_: &str) -> bool {
    is_commit_id(ref_) || ref_.contains(['~', '^', '@', '$'])
}

/// Directory semantics of `object_store` listings: `a/b` lists `a/b/...`, not `a/bc`.
pub(crate) fn directory_prefix(prefix: &str) -> String {
    if prefix.is_empty() || prefix.ends_with('/') {
        prefix.to_string()
    } else {
        format!("{prefix}/")
    }
}

/// A store URL, `lakefs://<repository>[/<ref>]`: the repository and the fixed ref, if any.
pub(crate) fn parse_url(url: &str) -> Result<(String, Option<String>), String> {
    let rest = url
        .strip_prefix("lakefs://")
        .ok_or_else(|| format!("{url:?} is not a lakefs:// URL"))?;
    let rest = rest.trim_end_matches('/');
    let mut segments = rest.split('/');
    let repository = segments.next().unwrap_or_default();
    if repository.is_empty() {
        return Err(format!(
            "{url:?} names no repository (lakefs://<repository>[/<ref>])"
        ));
    }
    let ref_ = segments.next().map(str::to_string);
    if segments.next().is_some() {
        return Err(format!(
            "{url:?}: a store URL is lakefs://<repository>[/<ref>]; object paths belong in the keys"
        ));
    }
    Ok((repository.to_string(), ref_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_the_ref_unless_it_is_fixed() {
        let target = Layout::RefInKey.object("main/data/x.parquet").unwrap();
        assert_eq!(
            (target.ref_.as_str(), target.path.as_str()),
            ("main", "data/x.parquet")
        );
        assert!(Layout::RefInKey.object("main").unwrap_err().is_not_found());
        assert!(Layout::RefInKey.object("main/").unwrap_err().is_not_found());
        let fixed = Layout::FixedRef("dev".into());
        assert_eq!(fixed.object("main/x").unwrap().path, "main/x");
        assert_eq!(fixed.key("dev", "a/b"), "a/b");
        assert_eq!(Layout::RefInKey.key("dev", "a/b"), "dev/a/b");
    }

    #[test]
    fn listing_prefixes() {
        let t = Layout::RefInKey.prefix(Some("main/fo")).unwrap();
        assert_eq!((t.ref_.as_str(), t.path.as_str()), ("main", "fo"));
        let t = Layout::RefInKey.prefix(Some("main")).unwrap();
        assert_eq!((t.ref_.as_str(), t.path.as_str()), ("main", ""));
        assert!(matches!(
            Layout::RefInKey.prefix(None),
            Err(Failure::NotSupported { .. })
        ));
        assert_eq!(directory_prefix("a/b"), "a/b/");
        assert_eq!(directory_prefix(""), "");
    }

    #[test]
    fn urls() {
        assert_eq!(parse_url("lakefs://repo").unwrap(), ("repo".into(), None));
        assert_eq!(
            parse_url("lakefs://repo/main/").unwrap(),
            ("repo".into(), Some("main".into()))
        );
        assert!(parse_url("s3://repo").is_err());
        assert!(parse_url("lakefs://").is_err());
        assert!(parse_url("lakefs://repo/main/data").is_err());
    }

    #[test]
    fn commit_ids_and_read_only_refs() {
        let id = "a".repeat(64);
        assert!(is_commit_id(&id));
        assert!(!is_commit_id("main"));
        assert!(is_read_only_expression("main~1"));
        assert!(is_read_only_expression(&id));
        assert!(!is_read_only_expression("feature-1"));
    }
}
