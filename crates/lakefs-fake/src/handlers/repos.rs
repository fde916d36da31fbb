//! Repositories: list, create, get, delete.

use serde::Deserialize;

use super::Ctx;
use crate::clock;
use crate::http::{ApiError, HandlerResult, Reply, json_body};
use crate::model::{NewRepo, Repo, State};
use crate::names;
use crate::paging::paginate;
use crate::sample;

/// The `RepositoryCreation` body.
#[derive(Debug, Deserialize)]
struct RepositoryCreation {
    name: String,
    storage_namespace: String,
    default_branch: Option<String>,
    #[serde(default)]
    read_only: bool,
    storage_id: Option<String>,
    #[serde(default)]
    sample_data: bool,
}

pub(super) fn list_repositories(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let prefix = ctx.query.text("prefix");
    let search = ctx.query.text("search");
    let items = state
        .repos
        .values()
        .filter(|repo| repo.id.starts_with(prefix) && repo.id.contains(search))
        .map(|repo| (repo.id.clone(), repo));
    let page = paginate(
        items,
        ctx.query.text("after"),
        ctx.query.amount()?,
        |_, repo| repo.to_json(),
    );
    Ok(Reply::json(200, &page.into_json()))
}

pub(super) fn create_repository(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let body: RepositoryCreation = json_body(ctx.request)?;
    if !names::is_valid_repository(&body.name) {
        return Err(ApiError::bad_request(format!(
            "repository name {:?} must match ^[a-z0-9][a-z0-9-]{{2,62}}$",
            body.name
        )));
    }
    if !names::is_valid_storage_namespace(&body.storage_namespace) {
        return Err(ApiError::bad_request(format!(
            "invalid storage namespace {:?}",
            body.storage_namespace
        )));
    }
    let default_branch = body.default_branch.unwrap_or_else(|| "main".to_string());
    if !names::is_valid_branch(&default_branch) {
        return Err(ApiError::bad_request(format!(
            "invalid default branch name {default_branch:?}"
        )));
    }
    if state.repos.contains_key(&body.name) {
        return Err(ApiError::conflict(format!(
            "repository {} already exists",
            body.name
        )));
    }
    let storage_id = body.storage_id.filter(|id| !id.is_empty());
    if state.config.storage(storage_id.as_deref()).is_none() {
        return Err(ApiError::not_found(format!(
            "storage config not found: {}",
            storage_id.as_deref().unwrap_or("")
        )));
    }
    let repo = Repo::create(NewRepo {
        id: body.name.clone(),
        storage_namespace: body.storage_namespace,
        default_branch,
        read_only: body.read_only,
        storage_id,
        now: clock::now(),
    });
    let created = repo.to_json();
    state.repos.insert(body.name.clone(), repo);
    if body.sample_data {
        sample::populate(state, &body.name)?;
    }
    Ok(Reply::json(201, &created))
}

pub(super) fn get_repository(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    Ok(Reply::json(200, &ctx.repo(state)?.to_json()))
}

pub(super) fn delete_repository(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let id = ctx.param("repository");
    state
        .repos
        .remove(id)
        .ok_or_else(|| ApiError::not_found(format!("repository {id} not found")))?;
    Ok(Reply::empty(204))
}
