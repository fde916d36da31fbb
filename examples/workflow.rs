//! The workflow of the lakeFS Python SDK guide ("Repository, Branch, Upload, Commit, List"),
//! step by step, in Rust:
//!
//! 1. create a repository (or reuse it when it already exists),
//! 2. create a feature branch from the default branch (or reuse it),
//! 3. upload an object to the branch, with a content type,
//! 4. commit with metadata ("no changes" is not a failure),
//! 5. list the objects under `data/`.
//!
//! ```sh
//! cargo run --example workflow
//! ```
//!
//! With no lakeFS configured it runs against an embedded fake lakeFS. Any failure ends the
//! program with a non-zero exit status.

use lakefs_api::{
    BranchesApi, CommitsApi, Error, ErrorKind, ListObjectsOptions, ObjectsApi, RepositoriesApi,
    UploadObjectOptions, models,
};
use lakefs_examples::{connect, storage_namespace};

const REPO_NAME: &str = "generated-sdk-workflow-repo";
/// The default branch of a new repository.
const MAIN_BRANCH: &str = "main";
/// The guide's branch name: lakeFS refuses `/` in branch names (`^\w[-\w]*$`), so it fails
/// there with 400.
const GUIDE_BRANCH_NAME: &str = "feat/sdk-upload";
/// What this example uses instead.
const FEATURE_BRANCH: &str = "feat-sdk-upload";
const FILE_PATH: &str = "data/generated_sdk_sample.txt";
const FILE_CONTENT: &str = "Content created by the lakeFS Rust SDK.";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, fake) = connect().await?;

    // 1. Create the repository; a 409 means it exists already: use it.
    println!("\n--- 1. Creating Repository '{REPO_NAME}' ---");
    let creation = models::RepositoryCreation::new(
        REPO_NAME,
        storage_namespace(&client, REPO_NAME, fake.is_some()).await?,
    )
    .with_default_branch(MAIN_BRANCH);
    let repository = match client
        .create_repository(&creation, Default::default())
        .await
    {
        Ok(repository) => {
            println!("Repository '{}' created.", repository.id);
            repository
        }
        Err(err) if err.is_conflict() => {
            println!("Repository '{REPO_NAME}' already exists. Using existing.");
            client.get_repository(REPO_NAME).await?
        }
        Err(err) => return Err(failed("creating repository", err)),
    };
    println!(
        "  storage namespace: {}, default branch: {}",
        repository.storage_namespace, repository.default_branch
    );

    // 2. Create the feature branch from the default branch; a 409 means it exists already.
    let source = repository.default_branch.as_str();
    println!("\n--- 2. Creating Branch '{FEATURE_BRANCH}' from '{source}' ---");
    println!(
        "Note: the guide's branch name '{GUIDE_BRANCH_NAME}' is refused by lakeFS (branch names \
         may not contain '/'), so this example uses '{FEATURE_BRANCH}'."
    );
    let branch = models::BranchCreation::new(FEATURE_BRANCH, source);
    match client.create_branch(REPO_NAME, &branch).await {
        Ok(commit_id) => println!("Branch '{FEATURE_BRANCH}' created at commit {commit_id}."),
        Err(err) if err.is_conflict() => {
            println!("Branch '{FEATURE_BRANCH}' already exists. Using existing.");
        }
        Err(err) => return Err(failed("creating branch", err)),
    }

    // 3. Upload. No temporary file is needed: any `Bytes`, `Vec<u8>`, `String` or `&'static
    // str` is an upload body (and `UploadBody::from_file` streams a file from disk).
    println!("\n--- 3. Uploading object to '{REPO_NAME}/{FEATURE_BRANCH}/{FILE_PATH}' ---");
    let options = UploadObjectOptions::default().content_type("text/plain");
    let stats = match client
        .upload_object(
            REPO_NAME,
            FEATURE_BRANCH,
            FILE_PATH,
            FILE_CONTENT.into(),
            options,
        )
        .await
    {
        Ok(stats) => stats,
        Err(err) => return Err(failed("uploading object", err)),
    };
    println!("Object uploaded. Stats:");
    println!("  path:             {}", stats.path);
    println!("  path type:        {}", stats.path_type.as_str());
    println!(
        "  size:             {} bytes",
        stats.size_bytes.unwrap_or(0)
    );
    println!("  checksum:         {}", stats.checksum);
    println!(
        "  content type:     {}",
        stats.content_type.as_deref().unwrap_or("-")
    );
    println!("  physical address: {}", stats.physical_address);
    println!("  mtime:            {}", stats.mtime);

    // 4. Commit with metadata. lakeFS answers 400 "commit: no changes" when nothing is
    // staged: like the guide, that is reported, not treated as a failure.
    println!("\n--- 4. Committing changes to branch '{FEATURE_BRANCH}' ---");
    let metadata = [("author", "rust_sdk_example"), ("type", "data_upload")];
    let commit = models::CommitCreation::new(format!("Added {FILE_PATH}")).with_metadata(metadata);
    match client
        .commit(REPO_NAME, FEATURE_BRANCH, &commit, Default::default())
        .await
    {
        Ok(commit) => println!("Commit successful. ID: {}", commit.id),
        Err(err) if is_nothing_to_commit(&err) => {
            println!("No new changes to commit on branch '{FEATURE_BRANCH}'.");
        }
        Err(err) => return Err(failed("committing changes", err)),
    }

    // 5. List the objects under `data/`: one page of at most 10. To go through every page,
    // use `ObjectsApiExt::list_objects_stream` instead.
    println!("\n--- 5. Listing objects in '{REPO_NAME}/{FEATURE_BRANCH}' under 'data/' ---");
    let options = ListObjectsOptions::default().prefix("data/").amount(10);
    let listing = client
        .list_objects(REPO_NAME, FEATURE_BRANCH, options)
        .await?;
    println!("Found {} object(s):", listing.results.len());
    for object in &listing.results {
        println!(
            "  - Path: {}, Size: {}, Type: {}",
            object.path,
            object.size_bytes.unwrap_or(0),
            object.path_type.as_str()
        );
    }
    if listing.results.is_empty() {
        println!("  No objects found with that prefix.");
    }
    if listing.pagination.has_more {
        println!("  (more after '{}')", listing.pagination.next_offset);
    }
    Ok(())
}

/// Whether a commit failed only because nothing was staged: lakeFS says 400 "commit: no
/// changes" (the guide looks for "nothing to commit", which we accept too).
fn is_nothing_to_commit(err: &Error) -> bool {
    err.kind() == ErrorKind::BadRequest
        && err.api_error().is_some_and(|api| {
            let message = api.message.to_lowercase();
            message.contains("no changes") || message.contains("nothing to commit")
        })
}

/// Reports a failed step the way the guide does (status, message, request id) and hands the
/// error on, to end the program with a non-zero exit status.
fn failed(step: &str, err: Error) -> Box<dyn std::error::Error> {
    match err.api_error() {
        Some(api) => eprintln!(
            "Error {step}: status {}, message: {}, request id: {}",
            api.status,
            api.message,
            api.request_id.as_deref().unwrap_or("-")
        ),
        None => eprintln!("Error {step}: {err}"),
    }
    err.into()
}
