//! [`Reference`] (any ref expression), [`Commit`] and [`Tag`].

use crate::call::{Call, Mode, Operation};
use crate::{Branch, Object, Repository, Result};
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use lakefs_api::{
    CommitsApi, DiffRefsOptions, ListObjectsOptions, LogCommitsOptions, MergeIntoBranchOptions,
    ObjectsApiExt, RefsApi, RefsApiExt, TagsApi, models,
};
use std::ops::Deref;
use std::sync::Arc;

/// Any ref of a repository: a branch, a tag, a commit id or an expression such as `main~1`.
/// What can be read from a ref is here; [`Branch`], [`Tag`] and [`Commit`] dereference to it.
#[derive(Clone, Debug)]
pub struct Reference {
    pub(crate) repository: Repository,
    pub(crate) id: Arc<str>,
}

impl Reference {
    pub(crate) fn new(repository: Repository, id: String) -> Reference {
        Reference {
            repository,
            id: id.into(),
        }
    }

    /// The ref expression.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The repository it belongs to.
    pub fn repository(&self) -> &Repository {
        &self.repository
    }

    pub(crate) fn api(&self) -> &lakefs_api::LakeFsClient {
        self.repository.client.api()
    }

    /// A handle on the object at `path` in this ref.
    pub fn object(&self, path: impl Into<String>) -> Object {
        Object::new(self.clone(), path.into())
    }

    /// Every object whose path starts with `prefix` (`""` for all), page after page.
    pub fn objects(
        &self,
        prefix: impl Into<String>,
    ) -> BoxStream<'static, Result<models::ObjectStats>> {
        self.objects_with(ListObjectsOptions::default().prefix(prefix))
    }

    /// The objects chosen by `options`: with a `delimiter` (`"/"`), deeper paths come as one
    /// entry per common prefix (`path_type` `common_prefix`), like directories.
    pub fn objects_with(
        &self,
        options: ListObjectsOptions,
    ) -> BoxStream<'static, Result<models::ObjectStats>> {
        self.api()
            .list_objects_stream(&self.repository.id, &self.id, options)
    }

    /// The commit this ref points at.
    pub async fn get_commit(&self) -> Result<models::Commit> {
        self.api().get_commit(&self.repository.id, &self.id).await
    }

    /// The commits reachable from this ref, newest first.
    pub fn log(&self) -> BoxStream<'static, Result<models::Commit>> {
        self.log_with(LogCommitsOptions::default())
    }

    /// The commits chosen by `options` (paths, prefixes, first parent only, since, ...).
    pub fn log_with(
        &self,
        options: LogCommitsOptions,
    ) -> BoxStream<'static, Result<models::Commit>> {
        self.api()
            .log_commits_stream(&self.repository.id, &self.id, options)
    }

    /// What changed from this ref to `other` (a three-way diff from their merge base, as
    /// lakeFS's UI shows it).
    pub fn diff(&self, other: &str) -> BoxStream<'static, Result<models::Diff>> {
        self.diff_with(other, DiffRefsOptions::default())
    }

    /// [`diff`](Self::diff) with options (prefix, delimiter, `two_dot`, page size).
    pub fn diff_with(
        &self,
        other: &str,
        options: DiffRefsOptions,
    ) -> BoxStream<'static, Result<models::Diff>> {
        self.api()
            .diff_refs_stream(&self.repository.id, &self.id, other, options)
    }

    /// Merges this ref into `destination`; the answer is the merge commit's id. A conflict
    /// fails with a 409 ([`Error::is_conflict`](crate::Error::is_conflict)) whose
    /// [`merge_result`](crate::Error::merge_result) tells more.
    pub fn merge_into(&self, destination: &Branch) -> Call<MergeInto> {
        Call::new(MergeInto {
            source: self.clone(),
            destination: destination.clone(),
            merge: models::Merge::default(),
        })
    }
}

/// The settings of [`Reference::merge_into`].
#[derive(Debug)]
pub struct MergeInto {
    source: Reference,
    destination: Branch,
    merge: models::Merge,
}

impl<M: Mode> Call<MergeInto, M> {
    /// The merge commit's message.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.args.merge.message = Some(message.into());
        self
    }

    /// The merge commit's metadata.
    pub fn metadata(
        mut self,
        metadata: impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>,
    ) -> Self {
        self.args.merge = self.args.merge.with_metadata(metadata);
        self
    }

    /// How paths changed on both sides are settled: `"dest-wins"` or `"source-wins"`
    /// (default: a conflict).
    pub fn strategy(mut self, strategy: impl Into<String>) -> Self {
        self.args.merge.strategy = Some(strategy.into());
        self
    }

    /// Merge even when there is nothing to merge (an empty merge commit).
    pub fn allow_empty(mut self, allow_empty: bool) -> Self {
        self.args.merge.allow_empty = Some(allow_empty);
        self
    }

    /// One commit with the source's changes instead of a merge commit.
    pub fn squash(mut self, squash: bool) -> Self {
        self.args.merge.squash_merge = Some(squash);
        self
    }
}

impl Operation for MergeInto {
    type Output = String;

    fn send(self) -> BoxFuture<'static, Result<String>> {
        Box::pin(async move {
            let options = MergeIntoBranchOptions::default().merge(self.merge);
            let result = self
                .source
                .api()
                .merge_into_branch(
                    &self.source.repository.id,
                    &self.source.id,
                    self.destination.id(),
                    options,
                )
                .await?;
            Ok(result.reference)
        })
    }
}

macro_rules! ref_handle {
    ($name:ident, $what:literal) => {
        #[doc = concat!("A ", $what, ": everything a [`Reference`] offers (through `Deref`), and what is particular to ", $what, "s.")]
        #[derive(Clone, Debug)]
        pub struct $name {
            reference: Reference,
        }

        impl $name {
            pub(crate) fn new(reference: Reference) -> Self {
                $name { reference }
            }

            /// The ref as a plain [`Reference`].
            pub fn as_reference(&self) -> &Reference {
                &self.reference
            }
        }

        impl Deref for $name {
            type Target = Reference;
            fn deref(&self) -> &Reference {
                &self.reference
            }
        }

        impl AsRef<Reference> for $name {
            fn as_ref(&self) -> &Reference {
                &self.reference
            }
        }
    };
}

ref_handle!(Commit, "commit");
ref_handle!(Tag, "tag");
pub(crate) use ref_handle;

impl Commit {
    /// The commit's details (message, committer, parents, metadata).
    pub async fn info(&self) -> Result<models::Commit> {
        self.get_commit().await
    }
}

impl Tag {
    /// Creates the tag at `source` (any ref expression). Option: [`exist_ok`](Call::exist_ok).
    pub fn create(&self, source: impl Into<String>) -> Call<CreateTag> {
        Call::new(CreateTag {
            tag: self.clone(),
            source: source.into(),
            exist_ok: false,
        })
    }

    /// Deletes the tag.
    pub async fn delete(&self) -> Result<()> {
        self.api()
            .delete_tag(&self.repository.id, &self.id, Default::default())
            .await
    }

    /// The commit the tag points at.
    pub async fn target(&self) -> Result<models::Ref> {
        self.api().get_tag(&self.repository.id, &self.id).await
    }
}

/// The settings of [`Tag::create`].
#[derive(Debug)]
pub struct CreateTag {
    tag: Tag,
    source: String,
    exist_ok: bool,
}

impl<M: Mode> Call<CreateTag, M> {
    /// Succeed when the tag already exists (wherever it points).
    pub fn exist_ok(mut self, exist_ok: bool) -> Self {
        self.args.exist_ok = exist_ok;
        self
    }
}

impl Operation for CreateTag {
    type Output = Tag;

    fn send(self) -> BoxFuture<'static, Result<Tag>> {
        Box::pin(async move {
            let creation = models::TagCreation::new(self.tag.id.to_string(), self.source);
            match self
                .tag
                .api()
                .create_tag(&self.tag.repository.id, &creation)
                .await
            {
                Ok(_) => Ok(self.tag),
                Err(err) if self.exist_ok && err.is_conflict() => Ok(self.tag),
                Err(err) => Err(err),
            }
        })
    }
}
