//! The sample data lakeFS puts into a repository created with `sample_data: true`: the files
//! of `pkg/samplerepo/assets/sample` in the lakeFS source at the same paths, committed on the
//! default branch as "Add sample data" (see `assets/README.md` for what each file is).

use std::sync::Arc;

use crate::blobs::Blob;
use crate::clock;
use crate::http::ApiError;
use crate::model::{Entry, Metadata, NewCommit, State, Tree};

/// The commit message lakeFS's `samplerepo` package commits the sample with.
pub(crate) const COMMIT_MESSAGE: &str = "Add sample data";

const README_TEMPLATE: &str = include_str!("../assets/sample/README.md.tmpl");
const LAKES_SOURCE: &[u8] = include_bytes!("../assets/sample/data/lakes.source.md");
const LAKES_PARQUET: &[u8] = include_bytes!("../assets/sample/lakes.parquet");
const STAND_IN_PNG: &[u8] = include_bytes!("../assets/stand-in.png");
const STAND_IN_GIF: &[u8] = include_bytes!("../assets/stand-in.gif");

/// The files of lakeFS's `images/` directory; each gets a stand-in of its type.
const IMAGES: [&str; 29] = [
    "commit-change-02.png",
    "commit-change.png",
    "create-lakefs-branch.png",
    "duckdb-editor-02.png",
    "duckdb-editor-03.png",
    "duckdb-editor-04.png",
    "duckdb-editor-05.png",
    "duckdb-editor-06.png",
    "duckdb-main-01.png",
    "duckdb-main-02.png",
    "duckdb-main-03.png",
    "hooks-00.png",
    "hooks-01.png",
    "hooks-02.png",
    "hooks-03.png",
    "hooks-04.png",
    "hooks-05.png",
    "hooks-06.png",
    "hooks-07.png",
    "hooks-08.png",
    "merge01.png",
    "merge02.png",
    "quickstart-step-01-query.png",
    "quickstart-step-02-branch.png",
    "quickstart-step-03-merge.png",
    "quickstart-step-04-rollback.png",
    "quickstart-step-05-actions.png",
    "repo-contents.png",
    "waving-axolotl-transparent-w90.gif",
];

/// Every sample file: its path in the repository and its content.
pub(crate) fn files(repository: &str, default_branch: &str) -> Vec<(String, Vec<u8>)> {
    // lakeFS renders the template with Go's text/template; these are its only two actions.
    let readme = README_TEMPLATE
        .replace("{{.RepoName}}", repository)
        .replace("{{.RepoDefaultBranch}}", default_branch);
    let mut files = vec![
        ("README.md".to_string(), readme.into_bytes()),
        ("data/lakes.source.md".to_string(), LAKES_SOURCE.to_vec()),
        ("lakes.parquet".to_string(), LAKES_PARQUET.to_vec()),
    ];
    files.extend(IMAGES.iter().map(|name| {
        let content = if name.ends_with(".gif") {
            STAND_IN_GIF
        } else {
            STAND_IN_PNG
        };
        (format!("images/{name}"), content.to_vec())
    }));
    files
}

/// Writes the sample files into the repository's storage namespace and commits them on its
/// default branch, as lakeFS's `PopulateSampleRepo` does (entries without a content type).
pub(crate) fn populate(state: &mut State, repository: &str) -> Result<(), ApiError> {
    let default_branch = state.repo(repository)?.default_branch.clone();
    let now = state.now();
    let mut tree = Tree::new();
    for (path, content) in files(repository, &default_branch) {
        let blob = Blob::in_memory(&content);
        let address = state.new_physical_address(repository)?;
        state.store_object(&address, Arc::clone(&blob), "application/octet-stream");
        tree.insert(
            path,
            Entry {
                checksum: blob.etag(),
                size: blob.size(),
                blob,
                physical_address: address,
                mtime: now,
                content_type: "application/octet-stream".to_string(),
                metadata: Metadata::new(),
            },
        );
    }
    let repo = state.repo_mut(repository)?;
    let head = repo.branch(&default_branch)?.head.clone();
    let id = repo.add_commit(NewCommit {
        parents: vec![head],
        message: COMMIT_MESSAGE.to_string(),
        metadata: Metadata::new(),
        creation_date: clock::now(),
        tree: Arc::new(tree),
    });
    repo.branch_mut(&default_branch)?.head = id;
    Ok(())
}
