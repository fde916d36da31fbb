//! Imports from object storage: [`Branch::import_data`].

use crate::call::{Call, Mode, Operation};
use crate::{Branch, Error, Result};
use futures::future::BoxFuture;
use lakefs_api::{ImportApi, models};
use std::time::Duration;

/// How often [`ImportJob::wait`] asks for the status by default (as the Python SDK does).
pub const DEFAULT_IMPORT_POLL_INTERVAL: Duration = Duration::from_secs(2);

impl Branch {
    /// Imports objects from object storage without copying them, as one commit with this
    /// message. Add sources with [`prefix`](Call::prefix) and [`object`](Call::object); awaiting
    /// starts the import and answers an [`ImportJob`] to [`wait`](ImportJob::wait) on.
    pub fn import_data(&self, commit_message: impl Into<String>) -> Call<StartImport> {
        Call::new(StartImport {
            branch: self.clone(),
            creation: models::ImportCreation::new(
                Vec::new(),
                models::CommitCreation::new(commit_message),
            ),
        })
    }
}

/// The settings of [`Branch::import_data`].
#[derive(Debug)]
pub struct StartImport {
    branch: Branch,
    creation: models::ImportCreation,
}

impl<M: Mode> Call<StartImport, M> {
    /// Imports every object under the object-store prefix `uri` (e.g. `s3://bucket/data/`)
    /// to paths under `destination`.
    pub fn prefix(self, uri: impl Into<String>, destination: impl Into<String>) -> Self {
        self.source(models::ImportLocationType::CommonPrefix, uri, destination)
    }

    /// Imports the single object `uri` to the path `destination`.
    pub fn object(self, uri: impl Into<String>, destination: impl Into<String>) -> Self {
        self.source(models::ImportLocationType::Object, uri, destination)
    }

    /// The import commit's metadata.
    pub fn metadata(
        mut self,
        metadata: impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>,
    ) -> Self {
        let commit = std::mem::take(&mut self.args.creation.commit);
        self.args.creation.commit = commit.with_metadata(metadata);
        self
    }

    fn source(
        mut self,
        kind: models::ImportLocationType,
        uri: impl Into<String>,
        destination: impl Into<String>,
    ) -> Self {
        self.args
            .creation
            .paths
            .push(models::ImportLocation::new(kind, uri, destination));
        self
    }
}

impl Operation for StartImport {
    type Output = ImportJob;

    fn send(self) -> BoxFuture<'static, Result<ImportJob>> {
        Box::pin(async move {
            if self.creation.paths.is_empty() {
                return Err(Error::InvalidArgument(
                    "an import needs at least one source: add .prefix(..) or .object(..)".into(),
                ));
            }
            let started = self
                .branch
                .api()
                .import_start(
                    self.branch.repository().id(),
                    self.branch.id(),
                    &self.creation,
                )
                .await?;
            Ok(ImportJob {
                branch: self.branch,
                id: started.id,
            })
        })
    }
}

/// A started import.
#[derive(Clone, Debug)]
pub struct ImportJob {
    branch: Branch,
    id: String,
}

impl ImportJob {
    /// The import's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Where it is: objects ingested so far, completion, the commit, an error.
    pub async fn status(&self) -> Result<models::ImportStatus> {
        self.branch
            .api()
            .import_status(self.branch.repository().id(), self.branch.id(), &self.id)
            .await
    }

    /// Cancels it.
    pub async fn cancel(&self) -> Result<()> {
        self.branch
            .api()
            .import_cancel(self.branch.repository().id(), self.branch.id(), &self.id)
            .await
    }

    /// Waits until it ends, asking every `poll_interval` (see
    /// [`DEFAULT_IMPORT_POLL_INTERVAL`]) and showing each status to `progress`.
    ///
    /// The outer `Result` is about asking (a call failed); the inner one is the import's own
    /// outcome: its final status (with the import commit), or the error lakeFS reports for it.
    pub async fn wait(
        &self,
        poll_interval: Duration,
        mut progress: impl FnMut(&models::ImportStatus) + Send,
    ) -> Result<std::result::Result<models::ImportStatus, models::Error>> {
        loop {
            let status = self.status().await?;
            progress(&status);
            if let Some(error) = status.error {
                return Ok(Err(error));
            }
            if status.completed {
                return Ok(Ok(status));
            }
            tokio::time::sleep(poll_interval).await;
        }
    }
}
