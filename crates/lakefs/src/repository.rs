//! [`Repository`]: a handle on one repository.

use crate::call::{Call, Operation};
use crate::{Branch, Client, Commit, Reference, Result, Tag};
use futures::future::BoxFuture;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use lakefs_api::{BranchesApiExt, LogCommitsOptions};
use lakefs_api::{
    ListBranchesOptions, ListTagsOptions, RefsApiExt, RepositoriesApi, TagsApiExt, models,
};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A repository: cheap to clone, `'static`, and nothing is sent until a method is called.
///
/// ```no_run
/// # async fn run(client: lakefs::Client) -> lakefs::Result<()> {
/// let repo = client.repository("my-repo");
/// repo.create("s3://bucket/my-repo").exist_ok(true).await?;
/// let main = repo.branch("main");
/// # let _ = main; Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Repository {
    pub(crate) client: Client,
    pub(crate) id: Arc<str>,
}

impl Repository {
    pub(crate) fn new(client: Client, id: String) -> Repository {
        Repository {
            client,
            id: id.into(),
        }
    }

    /// The repository's name.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The client it belongs to.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Creates the repository with its data under `storage_namespace` (e.g.
    /// `s3://bucket/prefix`); the answer is its properties. Options: [`exist_ok`],
    /// [`default_branch`], [`sample_data`], [`storage_id`].
    ///
    /// [`exist_ok`]: Call::exist_ok
    /// [`default_branch`]: Call::default_branch
    /// [`sample_data`]: Call::sample_data
    /// [`storage_id`]: Call::storage_id
    pub fn create(&self, storage_namespace: impl Into<String>) -> Call<CreateRepository> {
        Call::new(CreateRepository {
            repository: self.clone(),
            creation: models::RepositoryCreation::new(self.id.to_string(), storage_namespace),
            exist_ok: false,
        })
    }

    /// Deletes the repository and everything in it.
    pub async fn delete(&self) -> Result<()> {
        self.client
            .api()
            .delete_repository(&self.id, Default::default())
            .await
    }

    /// Its properties: storage namespace, default branch, creation date, read-only flag.
    pub async fn properties(&self) -> Result<models::Repository> {
        self.client.api().get_repository(&self.id).await
    }

    /// Its metadata (key/value pairs set with `setRepositoryMetadata`).
    pub async fn metadata(&self) -> Result<BTreeMap<String, String>> {
        self.client.api().get_repository_metadata(&self.id).await
    }

    /// Every branch (hidden branches too with [`branches_with`](Self::branches_with)).
    pub fn branches(&self) -> BoxStream<'static, Result<models::Ref>> {
        self.branches_with(ListBranchesOptions::default())
    }

    /// The branches chosen by `options` (prefix, `show_hidden`, page size).
    pub fn branches_with(
        &self,
        options: ListBranchesOptions,
    ) -> BoxStream<'static, Result<models::Ref>> {
        self.client.api().list_branches_stream(&self.id, options)
    }

    /// Every tag.
    pub fn tags(&self) -> BoxStream<'static, Result<models::Ref>> {
        self.client
            .api()
            .list_tags_stream(&self.id, ListTagsOptions::default())
    }

    /// The commits of the default branch, newest first.
    pub fn commits(&self) -> BoxStream<'static, Result<models::Commit>> {
        let repository = self.clone();
        futures::stream::once(async move {
            let default_branch = repository.properties().await?.default_branch;
            Ok(repository.client.api().log_commits_stream(
                &repository.id,
                &default_branch,
                LogCommitsOptions::default(),
            ))
        })
        .try_flatten()
        .boxed()
    }

    /// A handle on the branch `id`.
    pub fn branch(&self, id: impl Into<String>) -> Branch {
        Branch::new(self.reference(id))
    }

    /// A handle on the tag `id`.
    pub fn tag(&self, id: impl Into<String>) -> Tag {
        Tag::new(self.reference(id))
    }

    /// A handle on the commit `id`.
    pub fn commit(&self, id: impl Into<String>) -> Commit {
        Commit::new(self.reference(id))
    }

    /// A handle on any ref expression: a branch, tag or commit id, `main~1`, `v1^2`, ...
    pub fn reference(&self, expression: impl Into<String>) -> Reference {
        Reference::new(self.clone(), expression.into())
    }
}

/// The settings of [`Repository::create`].
#[derive(Debug)]
pub struct CreateRepository {
    repository: Repository,
    creation: models::RepositoryCreation,
    exist_ok: bool,
}

impl<M: crate::call::Mode> Call<CreateRepository, M> {
    /// Succeed when the repository already exists (its properties are then answered, whatever
    /// its namespace).
    pub fn exist_ok(mut self, exist_ok: bool) -> Self {
        self.args.exist_ok = exist_ok;
        self
    }

    /// The name of its first branch (default `main`).
    pub fn default_branch(mut self, branch: impl Into<String>) -> Self {
        self.args.creation.default_branch = Some(branch.into());
        self
    }

    /// Fill it with lakeFS's sample data.
    pub fn sample_data(mut self, sample_data: bool) -> Self {
        self.args.creation.sample_data = Some(sample_data);
        self
    }

    /// The storage to use, on a lakeFS with several.
    pub fn storage_id(mut self, storage_id: impl Into<String>) -> Self {
        self.args.creation.storage_id = Some(storage_id.into());
        self
    }
}

impl Operation for CreateRepository {
    type Output = models::Repository;

    fn send(self) -> BoxFuture<'static, Result<models::Repository>> {
        Box::pin(async move {
            let api = self.repository.client.api();
            match api
                .create_repository(&self.creation, Default::default())
                .await
            {
                Err(err) if self.exist_ok && err.is_conflict() => {
                    self.repository.properties().await
                }
                other => other,
            }
        })
    }
}
