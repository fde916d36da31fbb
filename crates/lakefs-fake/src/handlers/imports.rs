//! Imports from the simulated object store: importStart, importStatus, importCancel.
//!
//! lakeFS ingests in the background and commits at the end; clients poll `importStatus`.
//! The fake ingests at start (the store's listing is metadata, held under the same lock) and
//! makes the commit when the import is first polled, so that an import can be seen in
//! progress and canceled, and a branch that became dirty meanwhile fails it as in lakeFS.
//! Messages follow lakeFS's `pkg/catalog` and `pkg/api/controller.go`.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::json;

use super::{Ctx, ensure_clean, ensure_writable};
use crate::clock;
use crate::digest;
use crate::http::{ApiError, HandlerResult, Reply, json_body};
use crate::merge::MERGE_STRATEGY_KEY;
use crate::model::{Entry, Import, ImportOutcome, Metadata, NewCommit, Repo, State, Tree};
use crate::store::key_of;

/// The `ImportCreation` body.
#[derive(Debug, Deserialize)]
struct ImportCreation {
    paths: Vec<ImportLocation>,
    commit: ImportCommit,
}

/// The `ImportLocation` items.
#[derive(Debug, Deserialize)]
struct ImportLocation {
    #[serde(rename = "type")]
    kind: String,
    path: String,
    destination: String,
}

/// The parts of `CommitCreation` an import uses.
#[derive(Debug, Deserialize)]
struct ImportCommit {
    #[serde(default)]
    message: String,
    #[serde(default)]
    metadata: Metadata,
}

/// What one source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SourceKind {
    CommonPrefix,
    Object,
}

fn not_found() -> ApiError {
    ApiError::not_found("not found")
}

/// Starts an import into a branch: 202 with its id.
pub(super) fn import_start(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let body: ImportCreation = json_body(ctx.request)?;
    let now = state.now();
    let repo = ctx.repo(state)?;
    let blockstore = state.storage_of(repo)?.blockstore;
    if !blockstore.import_support() {
        return Err(ApiError::new(
            403,
            "import is not supported for this storage",
        ));
    }
    let kinds = body
        .paths
        .iter()
        .map(|location| match location.kind.as_str() {
            "common_prefix" => Ok(SourceKind::CommonPrefix),
            "object" => Ok(SourceKind::Object),
            _ => Err(ApiError::bad_request(
                "invalid import type: invalid value: validation error",
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    ensure_writable(repo)?;
    let branch = ctx.param("branch");
    repo.branch(branch)?;
    let namespace = repo.storage_namespace.as_str();
    for (location, kind) in body.paths.iter().zip(&kinds) {
        if location.path.starts_with(namespace) {
            return Err(ApiError::bad_request(format!(
                "import path ({}) in repository namespace ({namespace}) is prohibited: invalid import source",
                location.path
            )));
        }
        if *kind == SourceKind::CommonPrefix && namespace.starts_with(&location.path) {
            return Err(ApiError::bad_request(format!(
                "prefix ({}) contains repository namespace: ({namespace}), invalid import source",
                location.path
            )));
        }
    }

    let mut outcome = ImportOutcome::Running;
    let mut ingested = Tree::new();
    for (location, kind) in body.paths.iter().zip(&kinds) {
        if !blockstore.owns_uri(&location.path) {
            // lakeFS reports a source its blockstore cannot walk in the status, not at start.
            outcome = ImportOutcome::Failed(format!(
                "error on ingest: creating object-store walker on path {}: expected storage type {}: invalid address",
                location.path,
                blockstore.name()
            ));
            break;
        }
        ingest(state, location, *kind, &mut ingested);
    }
    let id = {
        let repo = ctx.repo(state)?;
        let seed = format!("{}/{}/{now}", repo.id, repo.imports.len());
        // lakeFS's import ids are 20-character xids.
        digest::short_id(seed.as_bytes())[..20].to_string()
    };
    let import = Import {
        ingested,
        destinations: body
            .paths
            .iter()
            .map(|location| location.destination.clone())
            .collect(),
        message: body.commit.message,
        metadata: body.commit.metadata,
        update_time: now,
        outcome,
    };
    ctx.repo_mut(state)?.imports.insert(id.clone(), import);
    Ok(Reply::json(202, &json!({ "id": id })))
}

/// Adds the objects of one source to `ingested`: every object under a prefix (at
/// `destination/` plus the rest of its key), or the one object (at `destination`).
fn ingest(state: &State, location: &ImportLocation, kind: SourceKind, ingested: &mut Tree) {
    let source_key = key_of(&location.path);
    let mut prepend = location.destination.clone();
    if !prepend.is_empty() && !prepend.ends_with('/') {
        prepend.push('/');
    }
    for (key, object) in &state.store.objects {
        let path = match kind {
            SourceKind::Object if key == source_key => location.destination.clone(),
            SourceKind::CommonPrefix => match key.strip_prefix(source_key) {
                Some(relative) => format!("{prepend}{relative}"),
                None => continue,
            },
            SourceKind::Object => continue,
        };
        let relative = &key[source_key.len()..];
        ingested.insert(
            path,
            Entry {
                blob: Arc::clone(&object.blob),
                checksum: object.blob.etag(),
                size: object.blob.size(),
                physical_address: format!("{}{relative}", location.path),
                mtime: object.mtime,
                // lakeFS's import entries carry no content type: readers get the default.
                content_type: "application/octet-stream".to_string(),
                metadata: Metadata::new(),
            },
        );
    }
}

/// Makes the commit of a running import: the branch head with everything under the
/// destinations replaced by the ingested objects.
fn land(repo: &mut Repo, branch: &str, import_id: &str) -> ImportOutcome {
    let Some(import) = repo.imports.get(import_id) else {
        return ImportOutcome::Failed("not found".to_string());
    };
    let wrap = |error: ApiError| {
        ImportOutcome::Failed(format!(
            "merge import: update branch {branch}: {}",
            error.message()
        ))
    };
    let head_id = match repo.branch(branch) {
        Ok(current) => match ensure_clean(current, branch) {
            Ok(()) => current.head.clone(),
            Err(error) => return wrap(error),
        },
        Err(error) => return wrap(error),
    };
    let head_tree = match repo.commit(&head_id) {
        Ok(head) => Arc::clone(&head.tree),
        Err(error) => return wrap(error),
    };
    let mut tree: Tree = head_tree
        .iter()
        .filter(|(path, _)| {
            !import
                .destinations
                .iter()
                .any(|destination| path.starts_with(destination.as_str()))
        })
        .map(|(path, entry)| (path.clone(), entry.clone()))
        .collect();
    tree.extend(
        import
            .ingested
            .iter()
            .map(|(path, entry)| (path.clone(), entry.clone())),
    );
    let message = if import.message.is_empty() {
        "Import objects".to_string()
    } else {
        import.message.clone()
    };
    let mut metadata = import.metadata.clone();
    metadata.insert(MERGE_STRATEGY_KEY.to_string(), "source-wins".to_string());
    let id = repo.add_commit(NewCommit {
        parents: vec![head_id],
        message,
        metadata,
        creation_date: clock::now(),
        tree: Arc::new(tree),
    });
    if let Ok(current) = repo.branch_mut(branch) {
        current.head = id.clone();
    }
    ImportOutcome::Completed(id)
}

/// Where an import stands; the first poll of a running import makes its commit.
pub(super) fn import_status(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let id = ctx.query.required("id")?.to_string();
    let now = state.now();
    let branch = ctx.param("branch");
    let repo = ctx.repo_mut(state)?;
    let running = matches!(
        repo.imports.get(&id).ok_or_else(not_found)?.outcome,
        ImportOutcome::Running
    );
    if running {
        let outcome = land(repo, branch, &id);
        let import = repo.imports.get_mut(&id).ok_or_else(not_found)?;
        import.outcome = outcome;
        import.update_time = now;
    }
    let import = repo.imports.get(&id).ok_or_else(not_found)?;
    let mut status = json!({
        "completed": matches!(import.outcome, ImportOutcome::Completed(_)),
        "update_time": clock::rfc3339(import.update_time),
        "ingested_objects": import.ingested.len(),
    });
    match &import.outcome {
        ImportOutcome::Completed(commit_id) => {
            let commit = repo.commit(commit_id)?;
            status["metarange_id"] = json!(commit.meta_range_id);
            status["commit"] = commit.to_json();
        }
        ImportOutcome::Failed(message) => status["error"] = json!({ "message": message }),
        ImportOutcome::Running => {}
    }
    Ok(Reply::json(200, &status))
}

/// Cancels an import that has not completed: 204; 409 once it has.
pub(super) fn import_cancel(ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    let id = ctx.query.required("id")?.to_string();
    let now = state.now();
    let import = ctx
        .repo_mut(state)?
        .imports
        .get_mut(&id)
        .ok_or_else(not_found)?;
    if matches!(import.outcome, ImportOutcome::Completed(_)) {
        return Err(ApiError::conflict("conflict found"));
    }
    import.outcome = ImportOutcome::Failed("Canceled".to_string());
    import.update_time = now;
    Ok(Reply::empty(204))
}
