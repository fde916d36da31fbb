//! Listing every repository: first as one stream of repositories (the SDK follows the
//! pagination cursors), then page by page with the cursor of each page, as the lakeFS Python SDK
//! guide does by hand.
//!
//! ```sh
//! cargo run --example list_repositories
//! ```
//!
//! On the embedded fake (no lakeFS configured) it first creates 25 repositories, so that the
//! listing, with 10 repositories a page, has three pages. On a real lakeFS it only lists.

use futures::TryStreamExt;
use lakefs_api::{ListRepositoriesOptions, RepositoriesApi, RepositoriesApiExt, models};
use lakefs_examples::{Failure, connect, storage_namespace};

/// Repositories per page (lakeFS accepts 1 to 1000; its default is 100).
const PAGE_SIZE: i64 = 10;
/// Repositories created on the embedded fake.
const FAKE_REPOSITORIES: usize = 25;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, fake) = connect().await?;

    if fake.is_some() {
        println!("\n--- Creating {FAKE_REPOSITORIES} repositories on the embedded fake ---");
        for i in 1..=FAKE_REPOSITORIES {
            let name = format!("example-repo-{i:02}");
            let namespace = storage_namespace(&client, &name, fake.is_some()).await?;
            let creation = models::RepositoryCreation::new(name, namespace);
            client
                .create_repository(&creation, Default::default())
                .await?;
        }
        println!("Created example-repo-01 .. example-repo-{FAKE_REPOSITORIES:02}.");
    }

    // 1. Everything as one stream: the SDK fetches the next page when the stream needs it.
    println!("\n--- 1. Listing Repositories as one stream ({PAGE_SIZE} per request) ---");
    let options = ListRepositoriesOptions::default().amount(PAGE_SIZE);
    let repositories: Vec<models::Repository> = client
        .list_repositories_stream(options.clone())
        .try_collect()
        .await?;
    println!("Total repositories found: {}", repositories.len());
    for repository in &repositories {
        println!(
            "  - ID: {}, Default Branch: {}, Storage: {}",
            repository.id, repository.default_branch, repository.storage_namespace
        );
    }

    // 2. Page by page, to see the cursors (or to process a page at a time).
    println!("\n--- 2. Listing Repositories page by page ---");
    let mut pages = client.list_repositories_pages(options);
    let mut page_number = 0;
    let mut total = 0;
    let mut after = None::<String>;
    while let Some(page) = pages.try_next().await? {
        page_number += 1;
        total += page.results.len();
        println!(
            "Page {page_number} (after cursor: {}): {} repositories, total collected: {total}",
            after
                .as_deref()
                .map_or("None".to_string(), |a| format!("'{a}'")),
            page.results.len(),
        );
        if let (Some(first), Some(last)) = (page.results.first(), page.results.last()) {
            println!("  {} .. {}", first.id, last.id);
        }
        if page.pagination.has_more {
            println!("  next page cursor: '{}'", page.pagination.next_offset);
            after = Some(page.pagination.next_offset);
        } else {
            println!("  No more pages of repositories to fetch.");
        }
    }
    println!("\nTotal: {total} repositories in {page_number} page(s).");
    // On a real lakeFS, others may create or delete repositories between the two listings.
    if fake.is_some() && total != repositories.len() {
        return Err(Failure::new(format!(
            "the stream listed {} repositories but the pages {total}",
            repositories.len()
        ))
        .into());
    }
    Ok(())
}
