//! Everything most programs need, in one import: `use lakefs_api::prelude::*;`.
//!
//! Brings every API trait (so that every method of [`LakeFsClient`] is callable), every
//! `*ApiExt` trait (the pagination streams), the client and its builder, the error types, the
//! upload and download bodies and the models.
//!
//! ```no_run
//! use lakefs_api::prelude::*;
//!
//! # async fn run() -> lakefs_api::Result<()> {
//! let client = LakeFsClient::from_env()?;
//! client.upload_object("repo", "main", "a.txt", "hello".into(), Default::default()).await?;
//! let commit = models::CommitCreation::new("add a.txt").with_metadata([("author", "me")]);
//! client.commit("repo", "main", &commit, Default::default()).await?;
//! # Ok(()) }
//! ```
//!
//! # Streams from code written against the traits
//!
//! A stream owns what it calls (it is `'static`, so it can be spawned or kept), so the
//! `*ApiExt` streams need an API value that is `Clone + 'static`, which `&dyn ObjectsApi` is
//! not. Take an `Arc<dyn ..>` instead: it implements the trait and every stream, and
//! `Arc::new(client)` or `Arc::new(mock)` gives one.
//!
//! ```
//! use futures::TryStreamExt;
//! use lakefs_api::prelude::*;
//! use std::sync::Arc;
//!
//! /// Your code: the paths under a prefix, through any implementation of the trait.
//! async fn paths(api: Arc<dyn ObjectsApi>, repo: &str, prefix: &str) -> Result<Vec<String>> {
//!     let options = ListObjectsOptions::default().prefix(prefix);
//!     api.list_objects_stream(repo, "main", options)
//!         .map_ok(|object| object.path)
//!         .try_collect()
//!         .await
//! }
//!
//! # fn check(client: LakeFsClient) {
//! // A concrete client or a mock becomes an `Arc<dyn ObjectsApi>` with `Arc::new`.
//! let _ = paths(Arc::new(client), "repo", "data/");
//! # }
//! ```

pub use crate::{
    ActionsApi, ActionsApiExt, AuthApi, AuthApiExt, BranchesApi, BranchesApiExt, ByteStream,
    CommitsApi, ConfigApi, Error, ErrorKind, ExperimentalApi, ExternalApi, HealthCheckApi,
    ImportApi, InternalApi, LakeFsClient, LakeFsClientBuilder, ListObjectsOptions, MetadataApi,
    ObjectDownload, ObjectMetadata, ObjectsApi, ObjectsApiExt, PullsApi, PullsApiExt, RefsApi,
    RefsApiExt, RepositoriesApi, RepositoriesApiExt, Result, RetryConfig, StagingApi, TagsApi,
    TagsApiExt, UploadBody, UploadObjectOptions, models,
};

#[cfg(test)]
mod tests {
    /// Every API group's trait, and its `*ApiExt` when the group has a paginated list, is in
    /// the prelude: the groups come from the generated operation table, so a new group in the
    /// spec fails here until it is added.
    #[test]
    fn brings_every_group_trait() {
        let prelude = include_str!("prelude.rs");
        let exported: Vec<&str> = prelude
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .collect();
        let mut checked = 0;
        for op in crate::OPERATIONS {
            let camel: String = op
                .group
                .split('_')
                .map(|word| {
                    let mut chars = word.chars();
                    chars
                        .next()
                        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                        .unwrap_or_default()
                })
                .collect();
            let trait_name = format!("{camel}Api");
            assert!(exported.contains(&trait_name.as_str()), "{trait_name}");
            if op.paginated {
                let ext = format!("{trait_name}Ext");
                assert!(exported.contains(&ext.as_str()), "{ext}");
            }
            checked += 1;
        }
        assert_eq!(checked, crate::OPERATIONS.len());
    }
}
