//! "User code" of a downstream project, written against the lakeFS SDK's traits, and tested in
//! `tests/` with nothing but `lakefs-testkit`'s public API: the way a project using the SDK
//! tests its handling of lakeFS failures without a lakeFS server.
#![deny(missing_docs)]

use lakefs_api::models::{BranchCreation, CommitCreation};
use lakefs_api::{BranchesApi, CommitsApi, ErrorKind};

/// What [`ensure_branch`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnsuredBranch {
    /// The branch was created; its head commit.
    Created(String),
    /// The branch already existed (lakeFS answered 409); its head commit.
    Reused(String),
}

/// Creates `branch` from `source`, or reuses it when it already exists.
pub async fn ensure_branch(
    api: &dyn BranchesApi,
    repository: &str,
    branch: &str,
    source: &str,
) -> lakefs_api::Result<EnsuredBranch> {
    match api
        .create_branch(repository, &BranchCreation::new(branch, source))
        .await
    {
        Ok(commit_id) => Ok(EnsuredBranch::Created(commit_id)),
        Err(e) if e.is_conflict() => {
            let existing = api.get_branch(repository, branch).await?;
            Ok(EnsuredBranch::Reused(existing.commit_id))
        }
        Err(e) => Err(e),
    }
}

/// The same for synchronous code, with the blocking client.
pub fn ensure_branch_blocking(
    api: &dyn lakefs_blocking::BranchesApi,
    repository: &str,
    branch: &str,
    source: &str,
) -> lakefs_api::Result<EnsuredBranch> {
    match api.create_branch(repository, &BranchCreation::new(branch, source)) {
        Ok(commit_id) => Ok(EnsuredBranch::Created(commit_id)),
        Err(e) if e.is_conflict() => {
            let existing = api.get_branch(repository, branch)?;
            Ok(EnsuredBranch::Reused(existing.commit_id))
        }
        Err(e) => Err(e),
    }
}

/// Why [`publish`] did not commit.
#[derive(Debug)]
pub enum PublishError {
    /// lakeFS is throttled, locked or unavailable: the commit certainly or possibly did not
    /// happen, and the caller decides when to try again. A commit is never repeated blindly.
    TryLater(lakefs_api::Error),
    /// Nothing to commit, or the branch moved: not worth retrying.
    Rejected(lakefs_api::Error),
    /// Anything else.
    Failed(lakefs_api::Error),
}

/// Commits the branch's staged changes. Sends exactly one commit, whatever lakeFS answers.
pub async fn publish(
    api: &dyn CommitsApi,
    repository: &str,
    branch: &str,
    message: &str,
) -> Result<String, PublishError> {
    let answer = api
        .commit(
            repository,
            branch,
            &CommitCreation::new(message),
            Default::default(),
        )
        .await;
    match answer {
        Ok(commit) => Ok(commit.id),
        Err(e) => Err(match e.kind() {
            ErrorKind::TooManyRequests | ErrorKind::Unavailable | ErrorKind::Timeout => {
                PublishError::TryLater(e)
            }
            // lakeFS answers 500 "branch is currently locked, try again later".
            ErrorKind::Server
                if e.api_error()
                    .is_some_and(|a| a.message.contains("try again later")) =>
            {
                PublishError::TryLater(e)
            }
            ErrorKind::BadRequest | ErrorKind::Conflict | ErrorKind::PreconditionFailed => {
                PublishError::Rejected(e)
            }
            _ => PublishError::Failed(e),
        }),
    }
}
