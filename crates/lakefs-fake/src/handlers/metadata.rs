//! Repository metadata: get, set (merge keys in), delete keys.

use serde::Deserialize;
use serde_json::json;

use super::Ctx;
use crate::http::{HandlerResult, Reply, json_body};
use crate::model::{Metadata, State};

/// The `RepositoryMetadataSet` body.
#[derive(Debug, Deserialize)]
struct RepositoryMetadataSet {
    metadata: Metadata,
}

/// The `RepositoryMetadataKeys` body.
#[derive(Debug, Deserialize)]
struct RepositoryMetadataKeys {
    keys: Vec<String>,
}

pub(super) fn get_repository_metadata(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    Ok(Reply::json(200, &json!(ctx.repo(state)?.metadata)))
}

/// Adds or replaces the given keys; the others stay. Like lakeFS, an empty set changes
/// nothing and does not even look the repository up.
pub(super) fn set_repository_metadata(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let body: RepositoryMetadataSet = json_body(ctx.request)?;
    if !body.metadata.is_empty() {
        ctx.repo_mut(state)?.metadata.extend(body.metadata);
    }
    Ok(Reply::empty(204))
}

/// Removes the given keys (absent ones are no error); an empty list changes nothing.
pub(super) fn delete_repository_metadata(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let body: RepositoryMetadataKeys = json_body(ctx.request)?;
    if !body.keys.is_empty() {
        let metadata = &mut ctx.repo_mut(state)?.metadata;
        for key in &body.keys {
            metadata.remove(key);
        }
    }
    Ok(Reply::empty(204))
}
