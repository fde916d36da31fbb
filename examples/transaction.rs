//! An atomic multi-file change with `branch.transaction()`: a new version of a table (its data
//! file and its manifest) replaces the old one on `main` in one commit, or not at all. A
//! concurrent writer changes the manifest during the first attempt, so the merge back
//! conflicts and the transaction runs again on a fresh hidden branch.
//!
//! ```sh
//! cargo run --example transaction
//! ```

use lakefs::{Branch, Error};
use lakefs_examples::{connect, storage_namespace};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::io::AsyncReadExt;

const REPO: &str = "transaction-example";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (api, fake) = connect().await?;
    let namespace = storage_namespace(&api, REPO, fake.is_some()).await?;
    let repo = lakefs::Client::new(api).repository(REPO);
    let properties = repo.create(namespace).exist_ok(true).await?;
    let main = repo.branch(properties.default_branch);
    // A distinct version on every run, so that a second run has changes to commit too.
    let version = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();

    println!("\n--- 1. The table as it is on '{}' ---", main.id());
    main.object("tables/daily/data-old.csv")
        .upload("day,value\nmonday,1\n")
        .await?;
    main.object("tables/daily/_manifest")
        .upload("data-old.csv\n")
        .await?;
    main.commit(format!("table version {version}-old")).await?;
    println!(
        "manifest: {}",
        read(&main, "tables/daily/_manifest").await?.trim()
    );

    println!("\n--- 2. Replacing it in a transaction ---");
    let attempts = Arc::new(AtomicU32::new(0));
    let counter = attempts.clone();
    let concurrent = main.clone();
    let new_file = format!("data-{version}.csv");
    main.transaction()
        .commit_message(format!("table version {version}"))
        .metadata([("job", "transaction-example")])
        .max_attempts(3)
        .run(move |tx| {
            // This closure may run more than once: everything it does goes through `tx`,
            // except the simulated concurrent writer of the first run.
            let attempt = counter.fetch_add(1, Ordering::SeqCst) + 1;
            let (concurrent, new_file) = (concurrent.clone(), new_file.clone());
            async move {
                println!("attempt {attempt} on the hidden branch {}", tx.id());
                tx.object(format!("tables/daily/{new_file}"))
                    .upload("day,value\nmonday,1\ntuesday,2\n")
                    .await?;
                tx.object("tables/daily/data-old.csv").delete().await?;
                if attempt == 1 {
                    println!(
                        "meanwhile another job rewrites the manifest on '{}'",
                        concurrent.id()
                    );
                    concurrent
                        .object("tables/daily/_manifest")
                        .upload("data-old.csv\nrepaired\n")
                        .await?;
                    concurrent.commit("another job").await?;
                }
                tx.object("tables/daily/_manifest")
                    .upload(format!("{new_file}\n"))
                    .await?;
                Ok::<_, Error>(())
            }
        })
        .await?;
    let runs = attempts.load(Ordering::SeqCst);
    println!("Transaction committed after {runs} attempt(s) (the first merge conflicted).");

    println!("\n--- 3. The table now ---");
    println!(
        "manifest: {}",
        read(&main, "tables/daily/_manifest").await?.trim()
    );
    println!(
        "old data file still there: {}",
        main.object("tables/daily/data-old.csv").exists().await?
    );
    let hidden = lakefs::api::ListBranchesOptions::default().show_hidden(true);
    let mut branches = repo.branches_with(hidden);
    let mut left = 0;
    while let Some(branch) = futures::TryStreamExt::try_next(&mut branches).await? {
        left += usize::from(branch.id.starts_with(lakefs::TRANSACTION_BRANCH_PREFIX));
    }
    println!("transaction branches left: {left}");
    if runs < 2 || left > 0 {
        return Err(
            lakefs_examples::Failure::new("the transaction did not retry and clean up").into(),
        );
    }
    Ok(())
}

async fn read(branch: &Branch, path: &str) -> lakefs::Result<String> {
    let mut text = String::new();
    branch
        .object(path)
        .reader()
        .read_to_string(&mut text)
        .await
        .map_err(|source| Error::LocalIo {
            context: format!("cannot read {path}"),
            source,
        })?;
    Ok(text)
}
