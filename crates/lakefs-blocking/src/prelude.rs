//! Everything most synchronous programs need, in one import: `use lakefs_blocking::prelude::*;`.
//!
//! Brings every blocking API trait (so that every method of [`LakeFsClient`] is callable), every
//! `*ApiExt` trait (the pagination iterators), the client and its builder, the error types, the
//! upload body and download reader, and the models.
//!
//! ```no_run
//! use lakefs_blocking::prelude::*;
//!
//! # fn run() -> lakefs_blocking::Result<()> {
//! let client = LakeFsClient::builder().endpoint("http://localhost:8000").build()?;
//! client.upload_object("repo", "main", "a.txt", UploadBody::from("hello"), Default::default())?;
//! let commit = models::CommitCreation::new("add a.txt").with_metadata([("author", "me")]);
//! client.commit("repo", "main", &commit, Default::default())?;
//! for object in client.list_objects_iter("repo", "main", Default::default()) {
//!     println!("{}", object?.path);
//! }
//! # Ok(()) }
//! ```
//!
//! The iterators borrow the API value, so they work from `&dyn ObjectsApi` too:
//!
//! ```
//! use lakefs_blocking::prelude::*;
//!
//! fn paths(api: &dyn ObjectsApi, repo: &str) -> Result<Vec<String>> {
//!     api.list_objects_iter(repo, "main", ListObjectsOptions::default())
//!         .map(|object| object.map(|object| object.path))
//!         .collect()
//! }
//! # let _ = paths;
//! ```

pub use crate::{
    ActionsApi, ActionsApiExt, AuthApi, AuthApiExt, BranchesApi, BranchesApiExt, CommitsApi,
    ConfigApi, Error, ErrorKind, ExperimentalApi, ExternalApi, HealthCheckApi, ImportApi,
    InternalApi, LakeFsClient, LakeFsClientBuilder, ListObjectsOptions, MetadataApi, ObjectReader,
    ObjectsApi, ObjectsApiExt, PullsApi, PullsApiExt, RefsApi, RefsApiExt, RepositoriesApi,
    RepositoriesApiExt, Result, RetryConfig, StagingApi, TagsApi, TagsApiExt, UploadBody,
    UploadObjectOptions, models,
};

#[cfg(test)]
mod tests {
    /// Every API group's trait, and its `*ApiExt` when the group has a paginated list, is in
    /// the prelude (the groups come from the generated operation table).
    #[test]
    fn brings_every_group_trait() {
        let prelude = include_str!("prelude.rs");
        let exported: Vec<&str> = prelude
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .collect();
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
        }
    }
}
