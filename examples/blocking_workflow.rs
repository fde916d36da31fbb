//! The workflow of the lakeFS Python SDK guide from plain synchronous code: no `async`, no
//! tokio in this program. `lakefs-blocking` owns its runtime.
//!
//! ```sh
//! cargo run --example blocking_workflow
//! ```

use std::io::Read;

use lakefs_blocking::{
    BranchesApi, CommitsApi, Error, ErrorKind, ObjectsApi, ObjectsApiExt, RepositoriesApi,
    UploadBody, UploadObjectOptions, models,
};
use lakefs_examples::{connect_blocking, storage_namespace_blocking};

const REPO_NAME: &str = "blocking-workflow-repo";
const FEATURE_BRANCH: &str = "feat-blocking-upload";
const FILE_PATH: &str = "data/blocking_sample.csv";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, fake) = connect_blocking()?;

    println!("\n--- 1. Creating Repository '{REPO_NAME}' ---");
    let creation = models::RepositoryCreation::new(
        REPO_NAME,
        storage_namespace_blocking(&client, REPO_NAME, fake.is_some())?,
    )
    .with_default_branch("main");
    let repository = match client.create_repository(&creation, Default::default()) {
        Ok(repository) => {
            println!("Repository '{}' created.", repository.id);
            repository
        }
        Err(err) if err.is_conflict() => {
            println!("Repository '{REPO_NAME}' already exists. Using existing.");
            client.get_repository(REPO_NAME)?
        }
        Err(err) => return Err(err.into()),
    };

    println!(
        "\n--- 2. Creating Branch '{FEATURE_BRANCH}' from '{}' ---",
        repository.default_branch
    );
    let branch = models::BranchCreation::new(FEATURE_BRANCH, repository.default_branch.as_str());
    match client.create_branch(REPO_NAME, &branch) {
        Ok(commit_id) => println!("Branch '{FEATURE_BRANCH}' created at commit {commit_id}."),
        Err(err) if err.is_conflict() => {
            println!("Branch '{FEATURE_BRANCH}' already exists. Using existing.")
        }
        Err(err) => return Err(err.into()),
    }

    // Any `std::io::Read` streams in chunks: here an in-memory CSV; a `File` works the same
    // (or `UploadBody::from_path`).
    println!("\n--- 3. Uploading object to '{REPO_NAME}/{FEATURE_BRANCH}/{FILE_PATH}' ---");
    let csv = "id,name\n1,alpha\n2,beta\n".to_string();
    let size = csv.len() as u64;
    let reader = std::io::Cursor::new(csv.into_bytes());
    let stats = client.upload_object(
        REPO_NAME,
        FEATURE_BRANCH,
        FILE_PATH,
        UploadBody::from_reader(reader, Some(size)),
        UploadObjectOptions::default()
            .content_type("text/csv")
            .user_metadata("source", "blocking_workflow"),
    )?;
    println!(
        "Object uploaded: {} ({} bytes, checksum {})",
        stats.path,
        stats.size_bytes.unwrap_or(0),
        stats.checksum
    );

    println!("\n--- 4. Committing changes to branch '{FEATURE_BRANCH}' ---");
    let metadata = [("author", "rust_blocking_example"), ("type", "data_upload")];
    let commit = models::CommitCreation::new(format!("Added {FILE_PATH}")).with_metadata(metadata);
    match client.commit(REPO_NAME, FEATURE_BRANCH, &commit, Default::default()) {
        Ok(commit) => println!("Commit successful. ID: {}", commit.id),
        Err(err) if is_nothing_to_commit(&err) => {
            println!("No new changes to commit on branch '{FEATURE_BRANCH}'.")
        }
        Err(err) => return Err(err.into()),
    }

    // Every object under `data/`, through a lazy iterator that fetches pages of 10.
    println!("\n--- 5. Listing objects in '{REPO_NAME}/{FEATURE_BRANCH}' under 'data/' ---");
    let options = lakefs_blocking::ListObjectsOptions::default()
        .prefix("data/")
        .amount(10);
    let mut found = 0;
    for object in client.list_objects_iter(REPO_NAME, FEATURE_BRANCH, options) {
        let object = object?;
        found += 1;
        println!(
            "  - Path: {}, Size: {}, Type: {}",
            object.path,
            object.size_bytes.unwrap_or(0),
            object.path_type
        );
    }
    println!("Found {found} object(s).");

    // Downloads are `std::io::Read`.
    println!("\n--- 6. Reading '{FILE_PATH}' back ---");
    let mut download =
        client.get_object(REPO_NAME, FEATURE_BRANCH, FILE_PATH, Default::default())?;
    let mut text = String::new();
    download.read_to_string(&mut text)?;
    print!("{text}");
    Ok(())
}

/// lakeFS answers 400 "commit: no changes" when nothing is staged.
fn is_nothing_to_commit(err: &Error) -> bool {
    err.kind() == ErrorKind::BadRequest
        && err
            .api_error()
            .is_some_and(|api| api.message.to_lowercase().contains("no changes"))
}
