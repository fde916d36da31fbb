//! DataFusion SQL on lakeFS: register the repository as an object store for `lakefs://`, write
//! a Parquet table to a branch with `COPY ... TO`, commit it, then query the table as of the
//! commit id.
//!
//! ```sh
//! cd examples-datafusion && cargo run
//! ```
//!
//! With no lakeFS configured it runs on an embedded fake lakeFS.

use std::sync::Arc;
use std::time::Instant;

use datafusion::prelude::SessionContext;
use lakefs_api::models::{BranchCreation, CommitCreation, RepositoryCreation};
use lakefs_api::{BranchesApi, CommitsApi, RepositoriesApi};
use lakefs_object_store::LakeFsStore;

const REPOSITORY: &str = "datafusion-example";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let (client, fake) = lakefs_examples::connect().await?;
    let namespace = lakefs_examples::storage_namespace(&client, REPOSITORY, fake.is_some()).await?;
    client
        .create_repository(
            &RepositoryCreation::new(REPOSITORY, namespace),
            Default::default(),
        )
        .await?;
    client
        .create_branch(REPOSITORY, &BranchCreation::new("ingest", "main"))
        .await?;

    // lakefs://<repository>/<ref>/<path>, as on lakeFS's S3 gateway.
    let ctx = SessionContext::new();
    let store = Arc::new(LakeFsStore::new(client.clone(), REPOSITORY));
    ctx.register_object_store(&url::Url::parse(&format!("lakefs://{REPOSITORY}"))?, store);

    // Write: DataFusion streams the Parquet file to the branch through the adapter.
    let rows = ctx
        .sql(
            "COPY (SELECT value AS id, \
                          CASE value % 4 WHEN 0 THEN 'Lisbon' WHEN 1 THEN 'Porto' \
                                         WHEN 2 THEN 'Faro' ELSE 'Braga' END AS city, \
                          CAST((value * 37) % 5000 AS DOUBLE) / 100 AS fare \
                   FROM generate_series(0, 99999)) \
             TO 'lakefs://datafusion-example/ingest/trips/' STORED AS PARQUET",
        )
        .await?
        .collect()
        .await?;
    println!(
        "COPY wrote {} batch(es) to lakefs://{REPOSITORY}/ingest/trips/",
        rows.len()
    );
    let commit = client
        .commit(
            REPOSITORY,
            "ingest",
            &CommitCreation::new("Add trips"),
            Default::default(),
        )
        .await?;
    println!("committed {} on branch ingest", commit.id);

    // Read: the table as of the commit, immutable whatever happens to the branch.
    ctx.sql(&format!(
        "CREATE EXTERNAL TABLE trips STORED AS PARQUET \
         LOCATION 'lakefs://{REPOSITORY}/{}/trips/'",
        commit.id
    ))
    .await?;
    let query = "SELECT city, count(*) AS trips, round(avg(fare), 2) AS average_fare \
                 FROM trips WHERE fare > 45 GROUP BY city ORDER BY city";
    println!("{query}");
    ctx.sql(query).await?.show().await?;
    let total = ctx
        .sql("SELECT count(*) FROM trips")
        .await?
        .collect()
        .await?;
    let count = total
        .first()
        .and_then(|batch| {
            batch
                .column(0)
                .as_any()
                .downcast_ref::<datafusion::arrow::array::Int64Array>()
                .map(|counts| counts.value(0))
        })
        .ok_or("no count")?;
    if count != 100_000 {
        return Err(format!("read back {count} rows from the commit, expected 100000").into());
    }
    println!(
        "read back {count} rows from commit {} ({:.2} s)",
        commit.id,
        started.elapsed().as_secs_f64()
    );
    drop(fake);
    Ok(())
}
