//! Shared code of the examples: connecting to lakeFS and choosing storage namespaces.
//!
//! Every example calls [`connect`]. When lakeFS is configured the way lakectl users configure it
//! (`LAKECTL_SERVER_ENDPOINT_URL`, `LAKECTL_CREDENTIALS_*`, or `~/.lakectl.yaml`), the examples
//! talk to that server. Otherwise they start an embedded fake lakeFS (the `lakefs-fake` crate)
//! and say so on their first line of output, so that they run anywhere with no setup.
//!
//! ```no_run
//! # async fn demo() -> Result<(), lakefs_api::Error> {
//! // Keep the fake in a named binding: `_` would drop it, and stop it, at once.
//! let (client, fake) = lakefs_examples::connect().await?;
//! let namespace = lakefs_examples::storage_namespace(&client, "my-repo", fake.is_some()).await?;
//! # let _ = (client, namespace);
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

use lakefs_api::{ConfigApi, Error, LakeFsClient, LakectlSettings};
use lakefs_fake::{BlockingFakeLakeFs, FakeLakeFs};
use std::fmt;

/// Environment variable giving the base of the storage namespaces of the repositories the
/// examples create, e.g. `s3://my-bucket/lakefs-examples`: repository `r` gets `<base>/r`.
/// Optional: without it a real lakeFS's `default_namespace_prefix` is used, and the embedded
/// fake uses `mem://examples`.
pub const ENV_STORAGE_NAMESPACE: &str = "LAKEFS_EXAMPLE_STORAGE_NAMESPACE";

/// The storage namespace base used with the embedded fake, which keeps data in memory.
const FAKE_STORAGE_NAMESPACE: &str = "mem://examples";

/// A client for the configured lakeFS, or, when none is configured, for an embedded fake
/// lakeFS that this function starts.
///
/// A lakeFS is configured when `LAKECTL_SERVER_ENDPOINT_URL` or the lakectl file
/// (`$LAKECTL_CONFIG_FILE`, else `~/.lakectl.yaml`) gives an endpoint; the client is then
/// [`LakeFsClient::from_env`]. Otherwise the fake is started and its address printed as the
/// first line of output. The fake stops when the returned [`FakeLakeFs`] is dropped: keep it
/// alive (`let (client, _fake) = connect().await?;`) as long as the client is used.
pub async fn connect() -> Result<(LakeFsClient, Option<FakeLakeFs>), Error> {
    if LakectlSettings::load()?.endpoint.is_some() {
        let client = LakeFsClient::from_env()?;
        println!("Using lakeFS at {}", client.base_url());
        return Ok((client, None));
    }
    let fake = FakeLakeFs::start().await;
    println!(
        "No lakeFS configured (LAKECTL_SERVER_ENDPOINT_URL / ~/.lakectl.yaml): \
         using an embedded fake lakeFS at {}",
        fake.endpoint()
    );
    Ok((fake.client()?, Some(fake)))
}

/// The blocking form of [`connect`], for synchronous programs: no async code, no tokio.
///
/// The fake, when one is started, runs on its own runtime thread and stops when the returned
/// [`BlockingFakeLakeFs`] is dropped.
pub fn connect_blocking()
-> Result<(lakefs_blocking::LakeFsClient, Option<BlockingFakeLakeFs>), Error> {
    if LakectlSettings::load()?.endpoint.is_some() {
        let client = lakefs_blocking::LakeFsClient::from_env()?;
        println!("Using lakeFS at {}", client.async_client().base_url());
        return Ok((client, None));
    }
    let fake = BlockingFakeLakeFs::start().map_err(|source| Error::LocalIo {
        context: "cannot start the embedded fake lakeFS".into(),
        source,
    })?;
    println!(
        "No lakeFS configured (LAKECTL_SERVER_ENDPOINT_URL / ~/.lakectl.yaml): \
         using an embedded fake lakeFS at {}",
        fake.endpoint()
    );
    Ok((fake.client()?, Some(fake)))
}

/// The storage namespace for a new repository: `<base>/<repository>`. The base is
/// [`ENV_STORAGE_NAMESPACE`] when set; otherwise `mem://examples` with the embedded fake
/// (`using_fake`), or the `default_namespace_prefix` a real lakeFS offers in its storage
/// configuration (`getConfig`).
///
/// Fails with [`Error::Config`] for a real lakeFS that offers no prefix when the variable is not
/// set: only you know which bucket your lakeFS may write to.
pub async fn storage_namespace(
    client: &LakeFsClient,
    repository: &str,
    using_fake: bool,
) -> Result<String, Error> {
    let server_prefix = match configured_base() {
        None if !using_fake => default_namespace_prefix(client.get_config().await?),
        _ => None,
    };
    namespace_for(repository, using_fake, server_prefix)
}

/// The blocking form of [`storage_namespace`].
pub fn storage_namespace_blocking(
    client: &lakefs_blocking::LakeFsClient,
    repository: &str,
    using_fake: bool,
) -> Result<String, Error> {
    use lakefs_blocking::ConfigApi as _;
    let server_prefix = match configured_base() {
        None if !using_fake => default_namespace_prefix(client.get_config()?),
        _ => None,
    };
    namespace_for(repository, using_fake, server_prefix)
}

fn configured_base() -> Option<String> {
    std::env::var(ENV_STORAGE_NAMESPACE)
        .ok()
        .filter(|base| !base.trim().is_empty())
}

fn default_namespace_prefix(config: lakefs_api::models::Config) -> Option<String> {
    config
        .storage_config
        .and_then(|storage| storage.default_namespace_prefix)
        .filter(|prefix| !prefix.trim().is_empty())
}

fn namespace_for(
    repository: &str,
    using_fake: bool,
    server_prefix: Option<String>,
) -> Result<String, Error> {
    let base = match (configured_base(), server_prefix) {
        (Some(base), _) => base,
        (None, _) if using_fake => FAKE_STORAGE_NAMESPACE.to_string(),
        (None, Some(prefix)) => prefix,
        (None, None) => {
            return Err(Error::Config(format!(
                "this lakeFS offers no default_namespace_prefix: set {ENV_STORAGE_NAMESPACE} to \
                 where the example repositories may keep their data, e.g. \
                 s3://my-bucket/lakefs-examples (repository {repository:?} then uses \
                 s3://my-bucket/lakefs-examples/{repository})"
            )));
        }
    };
    Ok(format!(
        "{}/{repository}",
        base.trim().trim_end_matches('/')
    ))
}

/// A failure of an example itself (a check that did not hold, a bad argument), as opposed to an
/// SDK error. Its `Debug` is its message, so that `main` returning it prints
/// `Error: <message>`.
pub struct Failure(String);

impl Failure {
    /// A failure with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Failure(message.into())
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

/// A byte count in MiB, for messages (`1536.0 MiB`).
pub fn mebibytes(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mebibytes_of_bytes() {
        assert_eq!(mebibytes(3 * 1024 * 1024 / 2), 1.5);
    }

    #[test]
    fn the_servers_prefix_is_used_when_nothing_is_configured() {
        if configured_base().is_some() {
            return; // the variable wins, as tested below
        }
        let prefix = Some("s3://bucket/prefix/".to_string());
        assert_eq!(
            namespace_for("r", false, prefix).unwrap(),
            "s3://bucket/prefix/r"
        );
        assert_eq!(namespace_for("r", true, None).unwrap(), "mem://examples/r");
        assert!(matches!(
            namespace_for("r", false, None),
            Err(Error::Config(_))
        ));
    }
}
