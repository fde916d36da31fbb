//! Branches side by side: what a branch changed against `main` (a diff as a stream), a merge,
//! and a merge conflict reported and then settled with a strategy.
//!
//! ```sh
//! cargo run --example branch_diff_merge
//! ```

use futures::TryStreamExt;
use lakefs_examples::{connect, storage_namespace};

const REPO: &str = "branch-diff-merge-example";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (api, fake) = connect().await?;
    let namespace = storage_namespace(&api, REPO, fake.is_some()).await?;
    let repo = lakefs::Client::new(api).repository(REPO);
    let properties = repo.create(namespace).exist_ok(true).await?;
    let main = repo.branch(&properties.default_branch);
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();

    println!("\n--- 1. A branch with changes ---");
    main.object("config/settings.json")
        .upload(format!("{{\"run\": {run}}}"))
        .await?;
    main.object("data/obsolete.csv").upload("x\n").await?;
    main.commit(format!("base {run}")).await?;
    let feature = repo
        .branch(format!("feature-{run}"))
        .create(main.id())
        .await?;
    feature.object("data/new.csv").upload("a,b\n1,2\n").await?;
    feature.object("data/obsolete.csv").delete().await?;
    feature.commit("add new.csv, drop obsolete.csv").await?;

    println!(
        "\n--- 2. Diff of '{}' against '{}' ---",
        feature.id(),
        main.id()
    );
    let mut diff = main.diff(feature.id());
    while let Some(change) = diff.try_next().await? {
        println!("  {:>8} {}", change.type_.as_str(), change.path);
    }

    println!("\n--- 3. Merging ---");
    let merge = feature
        .merge_into(&main)
        .message("merge the feature")
        .await?;
    println!(
        "Merged as {merge}; main has data/new.csv: {}",
        main.object("data/new.csv").exists().await?
    );

    println!("\n--- 4. A conflict ---");
    main.object("config/settings.json")
        .upload("{\"owner\": \"main\"}")
        .await?;
    main.commit("main changes the settings").await?;
    feature
        .object("config/settings.json")
        .upload("{\"owner\": \"feature\"}")
        .await?;
    feature.commit("the feature changes them too").await?;
    match feature.merge_into(&main).await {
        Ok(_) => {
            return Err(lakefs_examples::Failure::new("the merge should have conflicted").into());
        }
        Err(err) if err.is_conflict() => {
            println!(
                "Conflict (HTTP {}): {}",
                err.status().unwrap_or(0),
                err.api_error().map_or("", |api| api.message.as_str())
            );
        }
        Err(err) => return Err(err.into()),
    }

    println!("\n--- 5. Settling it: the feature's version wins ---");
    feature.merge_into(&main).strategy("source-wins").await?;
    let settings = main.object("config/settings.json").stat().await?;
    println!(
        "config/settings.json on main: {} bytes, checksum {}",
        settings.size_bytes.unwrap_or(0),
        settings.checksum
    );
    feature.delete().await?;
    println!("Deleted branch '{}'.", feature.id());
    Ok(())
}
