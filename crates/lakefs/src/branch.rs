//! [`Branch`]: a handle on one branch, with what changes it.

use crate::call::{Call, Mode, Operation};
use crate::reference::ref_handle;
use crate::{Commit, Reference, Result};
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use lakefs_api::{BranchesApi, BranchesApiExt, CommitsApi, DiffBranchOptions, ObjectsApi, models};
use std::ops::Deref;

ref_handle!(Branch, "branch");

/// How many paths one `deleteObjects` call may carry (lakeFS's limit).
pub(crate) const DELETE_BATCH: usize = 1000;

impl Branch {
    /// Creates the branch at `source` (any ref expression). Options:
    /// [`exist_ok`](Call::exist_ok), [`hidden`](Call::hidden).
    pub fn create(&self, source: impl Into<String>) -> Call<CreateBranch> {
        Call::new(CreateBranch {
            branch: self.clone(),
            creation: models::BranchCreation::new(self.id.to_string(), source),
            exist_ok: false,
        })
    }

    /// The commit the branch points at.
    pub async fn head(&self) -> Result<Commit> {
        let head = self.api().get_branch(&self.repository.id, &self.id).await?;
        Ok(self.repository.commit(head.commit_id))
    }

    /// Commits what is staged on the branch; the answer is the new commit. Options:
    /// [`metadata`](Call::metadata), [`allow_empty`](Call::allow_empty). lakeFS refuses an
    /// empty commit with 400 unless it is allowed.
    pub fn commit(&self, message: impl Into<String>) -> Call<CommitChanges> {
        Call::new(CommitChanges {
            branch: self.clone(),
            creation: models::CommitCreation::new(message),
        })
    }

    /// The uncommitted changes on the branch.
    pub fn uncommitted(&self) -> BoxStream<'static, Result<models::Diff>> {
        self.uncommitted_with(DiffBranchOptions::default())
    }

    /// The uncommitted changes chosen by `options` (prefix, delimiter, page size).
    pub fn uncommitted_with(
        &self,
        options: DiffBranchOptions,
    ) -> BoxStream<'static, Result<models::Diff>> {
        self.api()
            .diff_branch_stream(&self.repository.id, &self.id, options)
    }

    /// Throws away every uncommitted change on the branch.
    pub async fn reset(&self) -> Result<()> {
        self.reset_with(models::ResetCreation::new(models::ResetCreationType::Reset))
            .await
    }

    /// Throws away the uncommitted changes under a path prefix.
    pub async fn reset_prefix(&self, prefix: impl Into<String>) -> Result<()> {
        let creation =
            models::ResetCreation::new(models::ResetCreationType::CommonPrefix).with_path(prefix);
        self.reset_with(creation).await
    }

    /// Throws away the uncommitted change of one object.
    pub async fn reset_object(&self, path: impl Into<String>) -> Result<()> {
        let creation =
            models::ResetCreation::new(models::ResetCreationType::Object).with_path(path);
        self.reset_with(creation).await
    }

    async fn reset_with(&self, creation: models::ResetCreation) -> Result<()> {
        self.api()
            .reset_branch(&self.repository.id, &self.id, &creation)
            .await
    }

    /// Adds a commit that undoes the changes of the commit `reference` (for a merge commit,
    /// relative to its first parent: use [`revert_with`](Self::revert_with) for another).
    pub async fn revert(&self, reference: impl Into<String>) -> Result<()> {
        self.revert_with(models::RevertCreation::new(reference, 0))
            .await
    }

    /// A revert with every option of `revertBranch` (parent number, commit overrides, ...).
    pub async fn revert_with(&self, creation: models::RevertCreation) -> Result<()> {
        self.api()
            .revert_branch(&self.repository.id, &self.id, &creation)
            .await
    }

    /// Applies the changes of the commit `reference` onto the branch as a new commit.
    pub async fn cherry_pick(&self, reference: impl Into<String>) -> Result<models::Commit> {
        self.api()
            .cherry_pick(
                &self.repository.id,
                &self.id,
                &models::CherryPickCreation::new(reference),
            )
            .await
    }

    /// Deletes the branch (its commits stay reachable from other refs).
    pub async fn delete(&self) -> Result<()> {
        self.api()
            .delete_branch(&self.repository.id, &self.id, Default::default())
            .await
    }

    /// Deletes many objects, in calls of at most 1,000 paths; the answer lists the paths that
    /// could not be deleted (empty when all were). Paths that hold nothing are not failures.
    pub async fn delete_objects(
        &self,
        paths: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<Vec<models::ObjectError>> {
        let paths: Vec<String> = paths.into_iter().map(Into::into).collect();
        let mut failures = Vec::new();
        for batch in paths.chunks(DELETE_BATCH) {
            let list = models::PathList::new(batch.to_vec());
            let answer = self
                .api()
                .delete_objects(&self.repository.id, &self.id, &list, Default::default())
                .await?;
            failures.extend(answer.errors);
        }
        Ok(failures)
    }
}

/// The settings of [`Branch::create`].
#[derive(Debug)]
pub struct CreateBranch {
    branch: Branch,
    creation: models::BranchCreation,
    exist_ok: bool,
}

impl<M: Mode> Call<CreateBranch, M> {
    /// Succeed when the branch already exists (wherever it points).
    pub fn exist_ok(mut self, exist_ok: bool) -> Self {
        self.args.exist_ok = exist_ok;
        self
    }

    /// Create a hidden branch: listed only with `show_hidden` (the transactions' branches).
    pub fn hidden(mut self, hidden: bool) -> Self {
        self.args.creation.hidden = Some(hidden);
        self
    }
}

impl Operation for CreateBranch {
    type Output = Branch;

    fn send(self) -> BoxFuture<'static, Result<Branch>> {
        Box::pin(async move {
            let repository = &self.branch.repository.id;
            match self
                .branch
                .api()
                .create_branch(repository, &self.creation)
                .await
            {
                Ok(_) => Ok(self.branch),
                Err(err) if self.exist_ok && err.is_conflict() => Ok(self.branch),
                Err(err) => Err(err),
            }
        })
    }
}

/// The settings of [`Branch::commit`].
#[derive(Debug)]
pub struct CommitChanges {
    branch: Branch,
    creation: models::CommitCreation,
}

impl<M: Mode> Call<CommitChanges, M> {
    /// The commit's metadata: `[("author", "me")]`, a map, ...
    pub fn metadata(
        mut self,
        metadata: impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>,
    ) -> Self {
        self.args.creation = self.args.creation.with_metadata(metadata);
        self
    }

    /// Commit even when nothing is staged.
    pub fn allow_empty(mut self, allow_empty: bool) -> Self {
        self.args.creation.allow_empty = Some(allow_empty);
        self
    }
}

impl Operation for CommitChanges {
    type Output = models::Commit;

    fn send(self) -> BoxFuture<'static, Result<models::Commit>> {
        Box::pin(async move {
            self.branch
                .api()
                .commit(
                    &self.branch.repository.id,
                    &self.branch.id,
                    &self.creation,
                    Default::default(),
                )
                .await
        })
    }
}
