//! Tags: list, create, get, delete.

use serde::Deserialize;
use serde_json::json;

use super::{Ctx, ensure_writable};
use crate::http::{ApiError, HandlerResult, Reply, json_body};
use crate::model::State;
use crate::names;
use crate::paging::paginate;

/// The `TagCreation` body.
#[derive(Debug, Deserialize)]
struct TagCreation {
    id: String,
    #[serde(rename = "ref")]
    target: String,
    #[serde(default)]
    force: bool,
}

fn tag_json(id: &str, commit_id: &str) -> serde_json::Value {
    json!({ "id": id, "commit_id": commit_id })
}

fn not_found(tag: &str) -> ApiError {
    ApiError::not_found(format!("tag {tag} not found"))
}

pub(super) fn list_tags(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let repo = ctx.repo(state)?;
    let prefix = ctx.query.text("prefix");
    let items = repo
        .tags
        .iter()
        .filter(|(id, _)| id.starts_with(prefix))
        .map(|(id, commit_id)| (id.clone(), commit_id));
    let page = paginate(
        items,
        ctx.query.text("after"),
        ctx.query.amount()?,
        |id, commit_id| tag_json(&id, commit_id),
    );
    Ok(Reply::json(200, &page.into_json()))
}

pub(super) fn create_tag(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let body: TagCreation = json_body(ctx.request)?;
    if !names::is_valid_tag(&body.id) {
        return Err(ApiError::bad_request(format!(
            "invalid tag name {:?}",
            body.id
        )));
    }
    let repo = ctx.repo_mut(state)?;
    ensure_writable(repo)?;
    let commit_id = repo.resolve(&body.target)?.commit_id;
    if repo.tags.contains_key(&body.id) && !body.force {
        return Err(ApiError::conflict(format!(
            "tag {} already exists",
            body.id
        )));
    }
    repo.tags.insert(body.id.clone(), commit_id.clone());
    Ok(Reply::json(201, &tag_json(&body.id, &commit_id)))
}

pub(super) fn get_tag(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let tag = ctx.param("tag");
    let commit_id = ctx
        .repo(state)?
        .tags
        .get(tag)
        .ok_or_else(|| not_found(tag))?;
    Ok(Reply::json(200, &tag_json(tag, commit_id)))
}

pub(super) fn delete_tag(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let tag = ctx.param("tag");
    let repo = ctx.repo_mut(state)?;
    ensure_writable(repo)?;
    repo.tags.remove(tag).ok_or_else(|| not_found(tag))?;
    Ok(Reply::empty(204))
}
