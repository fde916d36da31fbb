//! Undoing and replaying commits on a branch: revertBranch and cherryPick.
//!
//! Both are three-way merges onto the branch head, as in lakeFS's graveler: a revert merges
//! the commit's parent with the commit as the base, a cherry-pick merges the commit with its
//! parent as the base. Errors carry lakeFS's wording (`pkg/graveler/errors.go`), wrapped as
//! graveler wraps them.

use std::sync::Arc;

use serde::Deserialize;

use super::{Ctx, ensure_clean, ensure_writable};
use crate::clock;
use crate::diff::diff_trees;
use crate::http::{ApiError, HandlerResult, Reply, json_body};
use crate::merge::{Strategy, three_way};
use crate::model::{COMMITTER, Metadata, NewCommit, Repo, State, Tree};

/// The `CommitOverrides` of both bodies.
#[derive(Debug, Default, Deserialize)]
struct CommitOverrides {
    message: Option<String>,
    metadata: Option<Metadata>,
}

impl CommitOverrides {
    /// lakeFS's `applyCommitOverrides`: a non-empty message replaces, metadata (even empty)
    /// replaces.
    fn apply(self, message: &mut String, metadata: &mut Metadata) {
        if let Some(replacement) = self.message.filter(|text| !text.is_empty()) {
            *message = replacement;
        }
        if let Some(replacement) = self.metadata {
            *metadata = replacement;
        }
    }
}

/// The `RevertCreation` body.
#[derive(Debug, Deserialize)]
struct RevertCreation {
    #[serde(rename = "ref")]
    target: String,
    parent_number: i64,
    commit_overrides: Option<CommitOverrides>,
    #[serde(default)]
    allow_empty: bool,
}

/// The `CherryPickCreation` body.
#[derive(Debug, Deserialize)]
struct CherryPickCreation {
    #[serde(rename = "ref")]
    target: String,
    parent_number: Option<i64>,
    commit_overrides: Option<CommitOverrides>,
}

const PARENT_OUT_OF_RANGE: &str = "given commit does not have the given parent number";

/// The tree of a commit's `number`-th parent (1-based); the empty tree for a root commit.
fn parent_tree(repo: &Repo, parents: &[String], number: usize) -> Result<Arc<Tree>, ApiError> {
    match number.checked_sub(1).and_then(|index| parents.get(index)) {
        Some(parent) => Ok(Arc::clone(&repo.commit(parent)?.tree)),
        None => Ok(Arc::new(Tree::new())),
    }
}

/// How a revert or cherry-pick treats "nothing to do".
#[derive(Debug, Clone, Copy)]
struct EmptyRules {
    /// Go on when the source equals the base (`allow_empty`).
    allow_empty: bool,
    /// Also refuse a result equal to the branch head (revert does, cherry-pick does not).
    refuse_unchanged_head: bool,
}

/// Merges `source` onto the head of `branch` with `base` as the merge base and commits the
/// result there, as graveler's revert and cherry-pick do; returns the new commit's id.
fn merge_onto_branch(
    repo: &mut Repo,
    branch: &str,
    merge: [&Tree; 2],
    rules: EmptyRules,
    message: String,
    metadata: Metadata,
) -> Result<String, ApiError> {
    let [source, base] = merge;
    let wrap = |error: ApiError| error.context("update branch");
    let head_id = {
        let current = repo.branch(branch)?;
        ensure_clean(current, branch).map_err(wrap)?;
        current.head.clone()
    };
    let head = repo.commit(&head_id)?;
    if !rules.allow_empty && diff_trees(base, source).is_empty() {
        return Err(wrap(ApiError::bad_request("no changes")));
    }
    let merged = three_way(base, source, &head.tree, Strategy::Fail)
        .map_err(|_conflicts| wrap(ApiError::conflict("conflict found")))?;
    if rules.refuse_unchanged_head && diff_trees(&head.tree, &merged).is_empty() {
        return Err(wrap(ApiError::bad_request("no changes")));
    }
    let id = repo.add_commit(NewCommit {
        parents: vec![head_id],
        message,
        metadata,
        creation_date: clock::now(),
        tree: Arc::new(merged),
    });
    repo.branch_mut(branch)?.head = id.clone();
    Ok(id)
}

/// Undoes the changes a commit made (relative to its `parent_number`-th parent for a merge
/// commit) in a new commit "Revert <ref>" on the branch. 204 with no body.
pub(super) fn revert_branch(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let body: RevertCreation = json_body(ctx.request)?;
    if body.parent_number < 0 {
        return Err(ApiError::bad_request(
            "argument parentNumber: invalid value: validation error",
        ));
    }
    let branch = ctx.param("branch");
    let repo = ctx.repo_mut(state)?;
    ensure_writable(repo)?;
    let commit = repo
        .resolve_commit(&body.target)
        .map_err(|error| error.context(format!("get commit from ref {}", body.target)))?;
    let parents = commit.parents.clone();
    let reverted = Arc::clone(&commit.tree);
    if parents.len() > 1 && body.parent_number <= 0 {
        return Err(ApiError::conflict(
            "must specify 1-based parent number for reverting merge commit",
        ));
    }
    let number = usize::try_from(body.parent_number).unwrap_or(usize::MAX);
    if number > parents.len() {
        return Err(ApiError::bad_request(format!(
            "{PARENT_OUT_OF_RANGE}: parent {}",
            body.parent_number
        )));
    }
    // Parent number 0 (a plain commit) means its only parent.
    let parent = parent_tree(repo, &parents, number.max(1))?;
    let mut message = format!("Revert {}", body.target);
    let mut metadata = Metadata::new();
    if let Some(overrides) = body.commit_overrides {
        overrides.apply(&mut message, &mut metadata);
    }
    merge_onto_branch(
        repo,
        branch,
        [&parent, &reverted],
        EmptyRules {
            allow_empty: body.allow_empty,
            refuse_unchanged_head: !body.allow_empty,
        },
        message,
        metadata,
    )?;
    Ok(Reply::empty(204))
}

/// Replays the changes a commit made (relative to its `parent_number`-th parent, default 1)
/// as a new commit on the branch, with the commit's message and metadata plus
/// `cherry-pick-origin` and `cherry-pick-committer`. 201 with the new commit.
pub(super) fn cherry_pick(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let body: CherryPickCreation = json_body(ctx.request)?;
    if body.parent_number.is_some_and(|number| number <= 0) {
        return Err(ApiError::bad_request(
            "argument parentNumber: value should be greater than 0: invalid value: validation error",
        ));
    }
    let branch = ctx.param("branch");
    let repo = ctx.repo_mut(state)?;
    ensure_writable(repo)?;
    let commit = repo
        .resolve_commit(&body.target)
        .map_err(|error| error.context(format!("get commit from ref {}", body.target)))?;
    let (commit_id, parents) = (commit.id.clone(), commit.parents.clone());
    let picked = Arc::clone(&commit.tree);
    let (mut message, mut metadata) = (commit.message.clone(), commit.metadata.clone());
    let number = match body.parent_number {
        None if parents.len() > 1 => {
            return Err(ApiError::bad_request(
                "must specify 1-based parent number for cherry-picking merge commit",
            ));
        }
        None => 1,
        Some(number) => usize::try_from(number).unwrap_or(usize::MAX),
    };
    // A root commit has no parent 1 either, as in lakeFS.
    if number > parents.len() {
        return Err(ApiError::bad_request(format!(
            "parent {number}: {PARENT_OUT_OF_RANGE}"
        )));
    }
    let parent = parent_tree(repo, &parents, number)?;
    if let Some(overrides) = body.commit_overrides {
        overrides.apply(&mut message, &mut metadata);
    }
    metadata.insert("cherry-pick-origin".to_string(), commit_id);
    metadata.insert("cherry-pick-committer".to_string(), COMMITTER.to_string());
    let id = merge_onto_branch(
        repo,
        branch,
        [&picked, &parent],
        EmptyRules {
            allow_empty: false,
            refuse_unchanged_head: false,
        },
        message,
        metadata,
    )?;
    Ok(Reply::json(201, &repo.commit(&id)?.to_json()))
}
