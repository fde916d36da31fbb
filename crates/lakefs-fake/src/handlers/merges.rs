//! Comparing and merging refs: diffRefs, mergeIntoBranch, findMergeBase.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::json;

use super::{Ctx, ensure_clean, ensure_writable};
use crate::clock;
use crate::diff::{diff_list, diff_trees};
use crate::http::{ApiError, HandlerResult, Reply, optional_json_body};
use crate::merge::{MERGE_STRATEGY_KEY, Strategy, merge_base, three_way};
use crate::model::{Commit, Metadata, NewCommit, Repo, State};

/// The optional `Merge` body.
#[derive(Debug, Default, Deserialize)]
struct Merge {
    message: Option<String>,
    #[serde(default)]
    metadata: Metadata,
    strategy: Option<String>,
    #[serde(default)]
    force: bool,
    #[serde(default)]
    allow_empty: bool,
    #[serde(default)]
    squash_merge: bool,
}

/// The merge base of two commits as a commit; 404 when they share no history.
fn base_commit<'r>(repo: &'r Repo, left: &str, right: &str) -> Result<&'r Commit, ApiError> {
    let base =
        merge_base(repo, left, right).ok_or_else(|| ApiError::not_found("no merge base found"))?;
    repo.commit(&base)
}

/// Compares committed trees. `three_dot` (the default) shows what `rightRef` changed since
/// its merge base with `leftRef`; `two_dot` compares the two trees directly.
pub(super) fn diff_refs(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let include_right_stats = ctx.query.flag("include_right_stats", false)?;
    let repo = ctx.repo(state)?;
    let left = repo.resolve_commit(ctx.param("leftRef"))?;
    let right = repo.resolve_commit(ctx.param("rightRef"))?;
    let base = match ctx.query.get("type").unwrap_or("three_dot") {
        "three_dot" => base_commit(repo, &left.id, &right.id)?,
        "two_dot" => left,
        other => {
            return Err(ApiError::bad_request(format!(
                "invalid diff type {other:?}"
            )));
        }
    };
    let changes = diff_trees(&base.tree, &right.tree);
    Ok(Reply::json(
        200,
        &diff_list(changes, &ctx.query, include_right_stats)?,
    ))
}

pub(super) fn find_merge_base(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let repo = ctx.repo(state)?;
    let source = repo.resolve_commit(ctx.param("sourceRef"))?;
    let destination = repo.resolve_commit(ctx.param("destinationBranch"))?;
    let base = base_commit(repo, &source.id, &destination.id)?;
    Ok(Reply::json(
        200,
        &json!({
            "source_commit_id": source.id,
            "destination_commit_id": destination.id,
            "base_commit_id": base.id,
        }),
    ))
}

/// A three-way merge of committed trees into a new merge commit on the destination branch.
/// A conflict answers 409 with a `MergeResult` whose reference is empty, as lakeFS does.
pub(super) fn merge_into_branch(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let body: Merge = optional_json_body(ctx.request)?;
    let strategy = Strategy::parse(body.strategy.as_deref()).ok_or_else(|| {
        ApiError::bad_request(format!("invalid merge strategy {:?}", body.strategy))
    })?;
    let source_ref = ctx.param("sourceRef");
    let dest_name = ctx.param("destinationBranch");
    let repo = ctx.repo_mut(state)?;
    ensure_writable(repo)?;
    let destination = repo.branch(dest_name)?;
    // lakeFS's wording, wrapped as graveler wraps it ("update branch <dest>: ...").
    ensure_clean(destination, dest_name)
        .map_err(|e| e.context(format!("update branch {dest_name}")))?;
    let dest_head = repo.commit(&destination.head)?;
    let source = repo.resolve_commit(source_ref)?;
    let base = base_commit(repo, &source.id, &dest_head.id)?;
    // lakeFS refuses a merge whose source changed nothing since the merge base.
    if source.meta_range_id == base.meta_range_id && !body.allow_empty && !body.force {
        return Err(ApiError::bad_request(format!(
            "update branch {dest_name}: no changes"
        )));
    }
    let merged = match three_way(&base.tree, &source.tree, &dest_head.tree, strategy) {
        Ok(merged) => merged,
        Err(_conflicts) => return Ok(Reply::json(409, &json!({ "reference": "" }))),
    };
    let parents = if body.squash_merge {
        vec![dest_head.id.clone()]
    } else {
        vec![dest_head.id.clone(), source.id.clone()]
    };
    let message = body
        .message
        .filter(|message| !message.is_empty())
        .unwrap_or_else(|| format!("Merge '{source_ref}' into '{dest_name}'"));
    let id = repo.add_commit(NewCommit {
        parents,
        message,
        metadata: {
            let mut metadata = body.metadata;
            metadata.insert(MERGE_STRATEGY_KEY.to_string(), strategy.name().to_string());
            metadata
        },
        creation_date: clock::now(),
        tree: Arc::new(merged),
    });
    repo.branch_mut(dest_name)?.head = id.clone();
    Ok(Reply::json(200, &json!({ "reference": id })))
}
