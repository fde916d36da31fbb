//! One function per implemented operation, grouped by area, and the dispatch table.

mod branches;
mod commits;
mod identity;
mod imports;
mod merges;
mod metadata;
mod objects;
mod repos;
mod revert;
mod setup;
mod staging;
mod tags;

use std::sync::Arc;

use super::blobs::Blob;
use super::http::{ApiError, HandlerResult, Query, Request};
use super::model::{Branch, Repo, State};

pub(crate) use objects::{ByteRange, check_upload, parse_range, receive_upload};

/// What a handler gets besides the state: the request, its decoded path parameters, its
/// decoded query and, for a streamed upload, the blob its body became.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    pub(crate) request: &'a Request,
    pub(crate) params: Vec<(&'static str, String)>,
    pub(crate) query: Query,
    pub(crate) upload: Option<Upload>,
    /// Who checks credentials and issues tokens.
    pub(crate) auth: &'a dyn crate::auth::Authenticator,
    /// The user the request authenticated as (operations that need credentials).
    pub(crate) user: Option<String>,
}

/// An uploaded body, already in the blob store.
#[derive(Debug)]
pub(crate) struct Upload {
    pub(crate) blob: Arc<Blob>,
    pub(crate) content_type: String,
}

/// Whether an operation's request body is streamed into a blob before its handler runs
/// (rather than read whole, as the small JSON bodies are).
pub(crate) fn streams_request_body(operation_id: &str) -> bool {
    operation_id == "uploadObject"
}

impl Ctx<'_> {
    /// A decoded path parameter; the router guarantees every template parameter is present.
    pub(crate) fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(key, _)| *key == name)
            .map_or("", |(_, value)| value.as_str())
    }

    /// The repository named by the `repository` path parameter.
    pub(crate) fn repo<'s>(&self, state: &'s State) -> Result<&'s Repo, ApiError> {
        state.repo(self.param("repository"))
    }

    /// The repository named by the `repository` path parameter, for changes.
    pub(crate) fn repo_mut<'s>(&self, state: &'s mut State) -> Result<&'s mut Repo, ApiError> {
        state.repo_mut(self.param("repository"))
    }
}

/// Runs the handler of `operation_id`; operations without one answer 501 naming themselves.
pub(crate) fn dispatch(operation_id: &str, ctx: &Ctx<'_>, state: &mut State) -> HandlerResult {
    match operation_id {
        "healthCheck" => setup::health_check(),
        "getSetupState" => setup::get_setup_state(),
        "getConfig" => setup::get_config(state),
        "getStorageConfig" => setup::get_storage_config(state),
        "getLakeFSVersion" => setup::get_lakefs_version(),
        "getCurrentUser" => identity::get_current_user(ctx, state),
        "login" => identity::login(ctx),
        "stsLogin" => identity::sts_login(ctx),
        "externalPrincipalLogin" => identity::external_principal_login(ctx),

        "listRepositories" => repos::list_repositories(ctx, state),
        "createRepository" => repos::create_repository(ctx, state),
        "getRepository" => repos::get_repository(ctx, state),
        "deleteRepository" => repos::delete_repository(ctx, state),
        "getRepositoryMetadata" => metadata::get_repository_metadata(ctx, state),
        "setRepositoryMetadata" => metadata::set_repository_metadata(ctx, state),
        "deleteRepositoryMetadata" => metadata::delete_repository_metadata(ctx, state),

        "listBranches" => branches::list_branches(ctx, state),
        "createBranch" => branches::create_branch(ctx, state),
        "getBranch" => branches::get_branch(ctx, state),
        "deleteBranch" => branches::delete_branch(ctx, state),
        "resetBranch" => branches::reset_branch(ctx, state),
        "diffBranch" => branches::diff_branch(ctx, state),
        "revertBranch" => revert::revert_branch(ctx, state),
        "cherryPick" => revert::cherry_pick(ctx, state),

        "importStart" => imports::import_start(ctx, state),
        "importStatus" => imports::import_status(ctx, state),
        "importCancel" => imports::import_cancel(ctx, state),

        "listTags" => tags::list_tags(ctx, state),
        "createTag" => tags::create_tag(ctx, state),
        "getTag" => tags::get_tag(ctx, state),
        "deleteTag" => tags::delete_tag(ctx, state),

        "uploadObject" => objects::upload_object(ctx, state),
        "getObject" => objects::get_object(ctx, state),
        "headObject" => objects::head_object(ctx, state),
        "statObject" => objects::stat_object(ctx, state),
        "listObjects" => objects::list_objects(ctx, state),
        "deleteObject" => objects::delete_object(ctx, state),
        "deleteObjects" => objects::delete_objects(ctx, state),
        "copyObject" => objects::copy_object(ctx, state),

        "getPhysicalAddress" => staging::get_physical_address(ctx, state),
        "linkPhysicalAddress" => staging::link_physical_address(ctx, state),
        "createPresignMultipartUpload" => staging::create_presign_multipart_upload(ctx, state),
        "uploadPart" => staging::upload_part(ctx, state),
        "completePresignMultipartUpload" => staging::complete_presign_multipart_upload(ctx, state),
        "abortPresignMultipartUpload" => staging::abort_presign_multipart_upload(ctx, state),

        "commit" => commits::commit(ctx, state),
        "getCommit" => commits::get_commit(ctx, state),
        "logCommits" => commits::log_commits(ctx, state),

        "diffRefs" => merges::diff_refs(ctx, state),
        "mergeIntoBranch" => merges::merge_into_branch(ctx, state),
        "findMergeBase" => merges::find_merge_base(ctx, state),

        other => Err(ApiError::new(
            501,
            format!("lakefs-fake does not implement {other}"),
        )),
    }
}

/// Refuses what needs a branch without uncommitted changes (merge into it, revert,
/// cherry-pick, import), with lakeFS's 400 "<branch>: uncommitted changes (dirty branch)".
pub(crate) fn ensure_clean(branch: &Branch, name: &str) -> Result<(), ApiError> {
    if branch.staging.is_empty() {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "{name}: uncommitted changes (dirty branch)"
        )))
    }
}

/// Refuses changes to a read-only repository, as lakeFS does with 403.
pub(crate) fn ensure_writable(repo: &Repo) -> Result<(), ApiError> {
    if repo.read_only {
        Err(ApiError::new(403, "read-only repository"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Blockstore, Config, Storage};

    /// Runs every operation of the spec once against an empty fake and counts those with a
    /// handler: the others must answer 501 naming themselves.
    #[test]
    fn every_operation_is_served_or_names_itself_in_a_501() {
        let config = Arc::new(Config {
            storages: vec![Storage {
                id: None,
                blockstore: Blockstore::S3,
                presign: true,
                presign_multipart: true,
                default_namespace_prefix: None,
            }],
            store_endpoint: "http://127.0.0.1:1".to_string(),
            secret: b"test".to_vec(),
            url_expiry: 900,
        });
        let mut state = State::new(0, config);
        let auth = crate::auth::Auth::new(
            "AKID".to_string(),
            "SECRET".to_string(),
            crate::FakeAuth::default(),
        );
        let mut served = Vec::new();
        for route in crate::routes::all() {
            let request = Request {
                uri: "/".parse().unwrap_or_default(),
                headers: Default::default(),
                body: Default::default(),
            };
            let ctx = Ctx {
                request: &request,
                params: Vec::new(),
                query: Query::default(),
                upload: None,
                auth: &auth,
                user: None,
            };
            let unimplemented = format!("lakefs-fake does not implement {}", route.operation_id);
            match dispatch(route.operation_id, &ctx, &mut state) {
                Err(error) if error.message() == unimplemented => {}
                _ => served.push(route.operation_id),
            }
        }
        let total = crate::routes::all().len();
        eprintln!(
            "lakefs-fake serves {} of {total} operations with semantics: {}",
            served.len(),
            served.join(", ")
        );
        for id in [
            "revertBranch",
            "cherryPick",
            "importStart",
            "getRepositoryMetadata",
        ] {
            assert!(served.contains(&id), "{id} is served");
        }
        assert!(served.len() < total, "some operations still answer 501");
    }
}
