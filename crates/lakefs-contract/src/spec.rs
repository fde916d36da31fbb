//! Finding Prism and the spec, and writing the copy of the spec that Prism serves.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use super::PrismError;

/// The environment variable naming the Prism executable.
pub const ENV_PRISM_BIN: &str = "PRISM_BIN";
/// The environment variable naming the lakeFS spec (`swagger.yml`).
pub const ENV_LAKEFS_SPEC: &str = "LAKEFS_SPEC";

/// Where Prism and the lakeFS spec are; both exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tools {
    prism: PathBuf,
    spec: PathBuf,
}

impl Tools {
    /// Exactly these files: the Prism executable and the lakeFS spec.
    pub fn new(prism: impl Into<PathBuf>, spec: impl Into<PathBuf>) -> Result<Tools, PrismError> {
        let tools = Tools {
            prism: prism.into(),
            spec: spec.into(),
        };
        if !tools.prism.is_file() {
            return Err(PrismError::new(format!(
                "Prism not found at {} (install it with `npm install --prefix .ci/prism \
                 --no-audit --no-fund` in the workspace, or set {ENV_PRISM_BIN})",
                tools.prism.display()
            )));
        }
        if !tools.spec.is_file() {
            return Err(PrismError::new(format!(
                "the lakeFS spec is not at {} (set {ENV_LAKEFS_SPEC})",
                tools.spec.display()
            )));
        }
        Ok(tools)
    }

    /// `$PRISM_BIN`, else `prism`; `$LAKEFS_SPEC`, else `spec`. The variables win, so that
    /// CI can point every test at its own installation.
    pub fn locate(prism: impl AsRef<Path>, spec: impl AsRef<Path>) -> Result<Tools, PrismError> {
        let pick = |var: &str, default: &Path| match std::env::var_os(var) {
            Some(value) if !value.is_empty() => PathBuf::from(value),
            _ => default.to_path_buf(),
        };
        Tools::new(
            pick(ENV_PRISM_BIN, prism.as_ref()),
            pick(ENV_LAKEFS_SPEC, spec.as_ref()),
        )
    }

    /// The Prism executable.
    pub fn prism(&self) -> &Path {
        &self.prism
    }

    /// The lakeFS spec.
    pub fn spec(&self) -> &Path {
        &self.spec
    }

    /// Writes the copy of the spec that Prism serves (see [`prefixed_spec`]) to a new
    /// temporary directory, which also receives Prism's logs.
    pub fn spec_copy(&self) -> Result<SpecCopy, PrismError> {
        let text = std::fs::read_to_string(&self.spec)
            .map_err(|e| PrismError::new(format!("cannot read {}: {e}", self.spec.display())))?;
        let copy = prefixed_spec(&text)?;
        let dir = TempDir::new("lakefs-prism")
            .map_err(|e| PrismError::new(format!("cannot create a temporary directory: {e}")))?;
        let path = dir.path().join("swagger-api-v1.yml");
        std::fs::write(&path, copy)
            .map_err(|e| PrismError::new(format!("cannot write {}: {e}", path.display())))?;
        Ok(SpecCopy {
            dir: Arc::new(dir),
            path,
            prism: self.prism.clone(),
        })
    }
}

/// The spec with every path prefixed by `/api/v1`: Prism ignores the spec's relative
/// `servers` URL, and lakeFS serves the API under `/api/v1`.
pub fn prefixed_spec(text: &str) -> Result<String, PrismError> {
    let mut doc: serde_yaml::Value = serde_yaml::from_str(text)
        .map_err(|e| PrismError::new(format!("the spec is not YAML: {e}")))?;
    let paths = doc
        .get_mut("paths")
        .and_then(serde_yaml::Value::as_mapping_mut)
        .ok_or_else(|| PrismError::new("the spec has no paths"))?;
    let prefixed: serde_yaml::Mapping = std::mem::take(paths)
        .into_iter()
        .map(|(path, item)| {
            let path = path
                .as_str()
                .ok_or_else(|| PrismError::new("the spec has a path that is not a string"))?;
            Ok((format!("/api/v1{path}").into(), item))
        })
        .collect::<Result<_, PrismError>>()?;
    *paths = prefixed;
    serde_yaml::to_string(&doc)
        .map_err(|e| PrismError::new(format!("cannot write the spec copy: {e}")))
}

/// The spec copy Prism serves, in a temporary directory that lives as long as this and every
/// Prism started from it. Never change the file: Prism restarts when it does.
#[derive(Debug, Clone)]
pub struct SpecCopy {
    pub(crate) dir: Arc<TempDir>,
    path: PathBuf,
    pub(crate) prism: PathBuf,
}

impl SpecCopy {
    /// The spec copy.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The temporary directory, with Prism's logs (`prism-*.log`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// A directory under the system temp dir, removed on drop.
#[derive(Debug)]
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    fn new(prefix: &str) -> std::io::Result<TempDir> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let path = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(TempDir(path))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_copy_serves_the_api_under_api_v1() {
        let text = "openapi: 3.0.0\npaths:\n  /repositories/{repository}:\n    get:\n      responses:\n        200:\n          description: ok\n";
        let copy: serde_yaml::Value = serde_yaml::from_str(&prefixed_spec(text).unwrap()).unwrap();
        let paths = copy["paths"].as_mapping().unwrap();
        let keys: Vec<&str> = paths.keys().map(|k| k.as_str().unwrap()).collect();
        assert_eq!(keys, ["/api/v1/repositories/{repository}"]);
        assert!(copy["paths"]["/api/v1/repositories/{repository}"]["get"].is_mapping());
        assert!(prefixed_spec("openapi: 3.0.0\n").is_err());
    }

    #[test]
    fn missing_tools_are_named() {
        let err = Tools::new("/no/such/prism", "/no/such/spec").unwrap_err();
        assert!(err.to_string().contains("/no/such/prism"), "{err}");
    }
}
