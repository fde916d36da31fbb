//! Commits: create, get, and the log.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use serde::Deserialize;

use super::{Ctx, ensure_writable};
use crate::clock;
use crate::diff::diff_trees;
use crate::http::{ApiError, HandlerResult, Reply, json_body};
use crate::model::{Commit, Metadata, NewCommit, Repo, State, Tree};
use crate::paging::pagination;

/// The `CommitCreation` body.
#[derive(Debug, Deserialize)]
struct CommitCreation {
    message: String,
    #[serde(default)]
    metadata: Metadata,
    date: Option<i64>,
    #[serde(default)]
    allow_empty: bool,
}

pub(super) fn commit(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    if ctx.query.get("source_metarange").is_some() {
        return Err(ApiError::new(
            501,
            "lakefs-fake does not support source_metarange",
        ));
    }
    let body: CommitCreation = json_body(ctx.request)?;
    let repo = ctx.repo_mut(state)?;
    ensure_writable(repo)?;
    let name = ctx.param("branch");
    let branch = repo.branch(name)?;
    // Like lakeFS, "no changes" means an empty staging area, not an unchanged tree.
    if branch.staging.is_empty() && !body.allow_empty {
        return Err(ApiError::bad_request("commit: no changes"));
    }
    let head = branch.head.clone();
    let tree: Tree = repo.view(&repo.branch_ref(name)?)?.into_owned();
    let id = repo.add_commit(NewCommit {
        parents: vec![head],
        message: body.message,
        metadata: body.metadata,
        creation_date: body.date.unwrap_or_else(clock::now),
        tree: Arc::new(tree),
    });
    let branch = repo.branch_mut(name)?;
    branch.head = id.clone();
    branch.staging.clear();
    Ok(Reply::json(201, &repo.commit(&id)?.to_json()))
}

/// Any ref naming a commit is accepted, as lakeFS does.
pub(super) fn get_commit(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let repo = ctx.repo(state)?;
    let commit = repo.resolve_commit(ctx.param("commitId"))?;
    Ok(Reply::json(200, &commit.to_json()))
}

/// Newest first; `after` is the id of the last commit of the previous page.
pub(super) fn log_commits(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let query = &ctx.query;
    let amount = query.amount()?;
    let limit = query.flag("limit", false)?;
    let first_parent = query.flag("first_parent", false)?;
    let since = match query.get("since") {
        Some(text) => Some(clock::parse_rfc3339(text).ok_or_else(|| {
            ApiError::bad_request(format!("invalid since {text:?}: not an RFC 3339 date-time"))
        })?),
        None => None,
    };
    let repo = ctx.repo(state)?;
    let start = repo.resolve_commit(ctx.param("ref"))?;
    let stop_at = match query.get("stop_at").filter(|text| !text.is_empty()) {
        Some(spec) => Some(repo.resolve_commit(spec)?.id.clone()),
        None => None,
    };
    let objects = query.all("objects");
    let prefixes = query.all("prefixes");
    let mut commits = Vec::new();
    for commit in history(repo, &start.id, first_parent) {
        let stop = stop_at.as_deref() == Some(commit.id.as_str());
        let recent = since.is_none_or(|since| commit.creation_date >= since);
        if recent && touches(repo, commit, &objects, &prefixes) {
            commits.push(commit);
        }
        if stop {
            break;
        }
    }
    let after = query.text("after");
    let skip = if after.is_empty() {
        0
    } else {
        commits
            .iter()
            .position(|commit| commit.id == after)
            .map_or(commits.len(), |at| at + 1)
    };
    let page: Vec<&Commit> = commits.iter().skip(skip).take(amount).copied().collect();
    // With `limit`, lakeFS stops at `amount` matches and does not look for more.
    let has_more = !limit && skip + page.len() < commits.len();
    let next_offset = match page.last() {
        Some(last) if has_more => last.id.as_str(),
        _ => "",
    };
    let results: Vec<serde_json::Value> = page.iter().map(|commit| commit.to_json()).collect();
    let body = serde_json::json!({
        "pagination": pagination(has_more, next_offset, results.len()),
        "results": results,
    });
    Ok(Reply::json(200, &body))
}

/// The commits reachable from `start` (first parents only if asked), newest first: by
/// generation, which orders every commit before its parents, then by date.
fn history<'r>(repo: &'r Repo, start: &str, first_parent: bool) -> Vec<&'r Commit> {
    let mut seen = HashSet::new();
    let mut queue = VecDeque::from([start.to_string()]);
    let mut found = Vec::new();
    while let Some(id) = queue.pop_front() {
        if !seen.insert(id.clone()) {
            continue;
        }
        let Some(commit) = repo.commits.get(&id) else {
            continue;
        };
        let parents = if first_parent {
            &commit.parents[..commit.parents.len().min(1)]
        } else {
            &commit.parents[..]
        };
        queue.extend(parents.iter().cloned());
        found.push(commit);
    }
    found.sort_by(|a, b| {
        (b.generation, b.creation_date, &b.id).cmp(&(a.generation, a.creation_date, &a.id))
    });
    found
}

/// Whether a commit changed one of `objects` or something under one of `prefixes`, compared
/// with its first parent. With neither filter every commit counts.
fn touches(repo: &Repo, commit: &Commit, objects: &[&str], prefixes: &[&str]) -> bool {
    if objects.is_empty() && prefixes.is_empty() {
        return true;
    }
    let empty = Tree::new();
    let parent_tree = commit
        .parents
        .first()
        .and_then(|parent| repo.commits.get(parent))
        .map_or(&empty, |parent| parent.tree.as_ref());
    diff_trees(parent_tree, &commit.tree).iter().any(|change| {
        objects.contains(&change.path) || prefixes.iter().any(|p| change.path.starts_with(p))
    })
}
