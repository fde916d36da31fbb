//! The workflow of the lakeFS Python SDK guide (repository, branch, upload, commit, list) with
//! the high-level crate `lakefs`: the same steps as `workflow.rs`, as handles.
//!
//! ```sh
//! cargo run --example highlevel_workflow
//! ```
//!
//! With no lakeFS configured it runs against an embedded fake lakeFS. Run twice, it reuses the
//! repository and the branch, and reports that there is nothing new to commit.

use futures::TryStreamExt;
use lakefs_examples::{connect, storage_namespace};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (api, fake) = connect().await?; // the configured lakeFS, or an embedded fake
    let namespace = storage_namespace(&api, "highlevel-repo", fake.is_some()).await?;
    let repo = lakefs::Client::new(api).repository("highlevel-repo");

    println!("\n--- 1. Creating Repository 'highlevel-repo' (or using it) ---");
    repo.create(namespace).exist_ok(true).await?;

    println!("\n--- 2. Creating Branch 'feat-sdk-upload' from 'main' (or using it) ---");
    let branch = repo.branch("feat-sdk-upload");
    branch.create("main").exist_ok(true).await?;

    println!("\n--- 3. Uploading object 'data/sample.txt' ---");
    let upload = branch.object("data/sample.txt").upload("Hello, lakeFS");
    let stats = upload.content_type("text/plain").await?;
    println!(
        "Uploaded: {:?} bytes, checksum {}",
        stats.size_bytes, stats.checksum
    );

    println!("\n--- 4. Committing changes ---");
    let metadata = [("author", "rust_sdk_example"), ("type", "data_upload")];
    let commit = branch.commit("Added data/sample.txt");
    match commit.metadata(metadata).await {
        Ok(commit) => println!("Commit successful. ID: {}", commit.id),
        // lakeFS refuses an empty commit with 400 ("no changes"), as on a second run.
        Err(e) if e.status() == Some(400) => println!("Nothing to commit: {e}"),
        Err(e) => return Err(e.into()),
    }

    println!("\n--- 5. Listing objects under 'data/' ---");
    let mut objects = branch.objects("data/");
    while let Some(object) = objects.try_next().await? {
        println!("  - Path: {}, Size: {:?}", object.path, object.size_bytes);
    }
    Ok(())
}
