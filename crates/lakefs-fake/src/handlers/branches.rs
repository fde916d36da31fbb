//! Branches: list, create, get, delete, reset (discard staged changes) and diff (list them).

use serde::Deserialize;
use serde_json::json;

use super::{Ctx, ensure_writable};
use crate::diff::{diff_list, diff_staging};
use crate::http::{ApiError, HandlerResult, Reply, json_body};
use crate::model::{Branch, State};
use crate::names;
use crate::paging::paginate;

/// The `BranchCreation` body.
#[derive(Debug, Deserialize)]
struct BranchCreation {
    name: String,
    source: String,
    #[serde(default)]
    hidden: bool,
}

/// The `ResetCreation` body.
#[derive(Debug, Deserialize)]
struct ResetCreation {
    #[serde(rename = "type")]
    kind: String,
    path: Option<String>,
}

fn ref_json(id: &str, commit_id: &str) -> serde_json::Value {
    json!({ "id": id, "commit_id": commit_id })
}

pub(super) fn list_branches(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let repo = ctx.repo(state)?;
    let prefix = ctx.query.text("prefix");
    let show_hidden = ctx.query.flag("show_hidden", false)?;
    let items = repo
        .branches
        .iter()
        .filter(|(name, branch)| name.starts_with(prefix) && (show_hidden || !branch.hidden))
        .map(|(name, branch)| (name.clone(), branch));
    let page = paginate(
        items,
        ctx.query.text("after"),
        ctx.query.amount()?,
        |name, branch| ref_json(&name, &branch.head),
    );
    Ok(Reply::json(200, &page.into_json()))
}

/// Answers the new branch's commit id as bare text: the spec declares `text/html` for it.
pub(super) fn create_branch(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let body: BranchCreation = json_body(ctx.request)?;
    if !names::is_valid_branch(&body.name) {
        return Err(ApiError::bad_request(format!(
            "branch name {:?} must match ^\\w[-\\w]*$",
            body.name
        )));
    }
    let repo = ctx.repo_mut(state)?;
    ensure_writable(repo)?;
    let commit_id = repo.resolve(&body.source)?.commit_id;
    if repo.branches.contains_key(&body.name) {
        return Err(ApiError::conflict(format!(
            "branch {} already exists",
            body.name
        )));
    }
    let mut branch = Branch::at(commit_id.clone());
    branch.hidden = body.hidden;
    repo.branches.insert(body.name, branch);
    Ok(Reply::bytes(201, commit_id.into_bytes(), "text/html"))
}

pub(super) fn get_branch(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let name = ctx.param("branch");
    let branch = ctx.repo(state)?.branch(name)?;
    Ok(Reply::json(200, &ref_json(name, &branch.head)))
}

pub(super) fn delete_branch(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let name = ctx.param("branch");
    let repo = ctx.repo_mut(state)?;
    ensure_writable(repo)?;
    repo.branch(name)?;
    if repo.default_branch == name {
        return Err(ApiError::new(403, "cannot delete the default branch"));
    }
    repo.branches.remove(name);
    Ok(Reply::empty(204))
}

/// `reset` drops every staged change, `object` the one at `path`, `common_prefix` those
/// under `path`.
pub(super) fn reset_branch(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let body: ResetCreation = json_body(ctx.request)?;
    let repo = ctx.repo_mut(state)?;
    ensure_writable(repo)?;
    let staging = &mut repo.branch_mut(ctx.param("branch"))?.staging;
    let path = || {
        body.path.as_deref().ok_or_else(|| {
            ApiError::bad_request("reset of type object or common_prefix needs a path")
        })
    };
    match body.kind.as_str() {
        "reset" => staging.clear(),
        "object" => {
            staging.remove(path()?);
        }
        "common_prefix" => {
            let prefix = path()?;
            staging.retain(|staged, _| !staged.starts_with(prefix));
        }
        other => {
            return Err(ApiError::bad_request(format!(
                "unknown reset type {other:?}"
            )));
        }
    }
    Ok(Reply::empty(204))
}

pub(super) fn diff_branch(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let repo = ctx.repo(state)?;
    let name = ctx.param("branch");
    let head = repo.head_tree(name)?;
    let staging = &repo.branch(name)?.staging;
    let changes = diff_staging(&head, staging);
    Ok(Reply::json(200, &diff_list(changes, &ctx.query, false)?))
}
