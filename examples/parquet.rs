//! Parquet on lakeFS through the `object_store` adapter, as a data engineer would do it with
//! arrow's `parquet` crate: write a file to a branch with its `object_store` writer, commit,
//! then read it back by the commit id with `ParquetObjectReader` and query it (a projection
//! and a row filter pushed into the Parquet reader).
//!
//! ```sh
//! cargo run --example parquet
//! ```
//!
//! With no lakeFS configured it runs on an embedded fake lakeFS (see `common.rs`).

use std::sync::Arc;
use std::time::Instant;

use arrow_array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow_schema::ArrowError;
use futures::TryStreamExt;
use lakefs_api::models::{BranchCreation, CommitCreation, RepositoryCreation};
use lakefs_api::{BranchesApi, CommitsApi, RepositoriesApi};
use lakefs_examples::{Failure, connect, storage_namespace};
use lakefs_object_store::LakeFsStore;
use lakefs_object_store::object_store_0_13::buffered::BufWriter;
use lakefs_object_store::object_store_0_13::path::Path;
use lakefs_object_store::object_store_0_13::{ObjectStore, ObjectStoreExt};
use parquet::arrow::arrow_reader::{ArrowPredicateFn, RowFilter};
// Deprecated in parquet 59.2 for a hand-written `AsyncFileReader` (arrow-rs#10308), but still
// the reader that parquet ships for object_store.
#[allow(deprecated)]
use parquet::arrow::async_reader::ParquetObjectReader;
use parquet::arrow::{AsyncArrowWriter, ParquetRecordBatchStreamBuilder, ProjectionMask};

const REPOSITORY: &str = "parquet-example";
const ROWS: usize = 100_000;
const CITIES: [&str; 4] = ["Lisbon", "Porto", "Faro", "Braga"];

/// Taxi trips: an id, a city and a fare, generated deterministically.
fn trips() -> Result<RecordBatch, ArrowError> {
    let ids = Int64Array::from_iter_values(0..ROWS as i64);
    let cities = StringArray::from_iter_values((0..ROWS).map(|i| CITIES[i % CITIES.len()]));
    let fares = Float64Array::from_iter_values((0..ROWS).map(|i| ((i * 37) % 5000) as f64 / 100.0));
    RecordBatch::try_from_iter([
        ("id", Arc::new(ids) as ArrayRef),
        ("city", Arc::new(cities) as ArrayRef),
        ("fare", Arc::new(fares) as ArrayRef),
    ])
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let (client, fake) = connect().await?;
    let namespace = storage_namespace(&client, REPOSITORY, fake.is_some()).await?;
    client
        .create_repository(
            &RepositoryCreation::new(REPOSITORY, namespace),
            Default::default(),
        )
        .await?;
    client
        .create_branch(REPOSITORY, &BranchCreation::new("ingest", "main"))
        .await?;

    // Keys are <ref>/<path>, as on lakeFS's S3 gateway: lakefs://parquet-example/ingest/...
    let store: Arc<dyn ObjectStore> = Arc::new(LakeFsStore::new(client.clone(), REPOSITORY));
    let on_branch = Path::from("ingest/trips/part-0.parquet");

    // Write with parquet's async writer into object_store's `BufWriter`: a multipart upload
    // through the adapter (a single put if the file is small).
    let batch = trips()?;
    let writer = BufWriter::new(store.clone(), on_branch.clone());
    let mut parquet = AsyncArrowWriter::try_new(writer, batch.schema(), None)?;
    parquet.write(&batch).await?;
    parquet.close().await?;
    let written = store.head(&on_branch).await?;
    println!(
        "wrote {ROWS} rows to lakefs://{REPOSITORY}/{on_branch}: {} bytes, ETag {}",
        written.size,
        written.e_tag.as_deref().unwrap_or("-")
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

    // Read it back by the commit id: immutable, so the adapter reports it as the version.
    let at_commit = Path::from(format!("{}/trips/part-0.parquet", commit.id));
    let meta = store.head(&at_commit).await?;
    println!(
        "reading lakefs://{REPOSITORY}/{at_commit} (version {})",
        meta.version.as_deref().unwrap_or("-")
    );
    #[allow(deprecated)]
    let reader = ParquetObjectReader::new(store.clone(), at_commit).with_file_size(meta.size);
    let builder = ParquetRecordBatchStreamBuilder::new(reader).await?;
    let schema = builder.parquet_schema().clone();
    // SELECT city, fare FROM trips WHERE fare > 45: the projection and the filter are pushed
    // into the reader, which fetches only the column chunks it needs (ranged reads).
    let fare_over_45 = ArrowPredicateFn::new(ProjectionMask::leaves(&schema, [2]), |batch| {
        let fares = batch
            .column(0)
            .as_any()
            .downcast_ref::<Float64Array>()
            .ok_or_else(|| ArrowError::CastError("fare is not a float column".into()))?;
        Ok(fares
            .iter()
            .map(|fare| fare.map(|f| f > 45.0))
            .collect::<BooleanArray>())
    });
    let stream = builder
        .with_projection(ProjectionMask::leaves(&schema, [1, 2]))
        .with_row_filter(RowFilter::new(vec![Box::new(fare_over_45)]))
        .build()?;
    let batches: Vec<RecordBatch> = stream.try_collect().await?;
    let mut per_city = std::collections::BTreeMap::<String, (usize, f64)>::new();
    for batch in &batches {
        let cities = batch.column(0).as_any().downcast_ref::<StringArray>();
        let fares = batch.column(1).as_any().downcast_ref::<Float64Array>();
        let (Some(cities), Some(fares)) = (cities, fares) else {
            return Err(Failure::new("unexpected column types").into());
        };
        for row in 0..batch.num_rows() {
            let entry = per_city.entry(cities.value(row).to_string()).or_default();
            entry.0 += 1;
            entry.1 += fares.value(row);
        }
    }
    let matched: usize = per_city.values().map(|(n, _)| n).sum();
    println!("SELECT city, count(*), avg(fare) FROM trips WHERE fare > 45 GROUP BY city:");
    for (city, (count, total)) in &per_city {
        println!(
            "  {city:<8} {count:>6} trips, average fare {:.2}",
            total / *count as f64
        );
    }
    // The same filter over the data written, for the check below.
    let expected = (0..ROWS)
        .filter(|i| ((i * 37) % 5000) as f64 / 100.0 > 45.0)
        .count();
    if matched != expected {
        return Err(Failure::new(format!(
            "read back {matched} matching rows, expected {expected}"
        ))
        .into());
    }
    println!(
        "read back {matched} of {ROWS} rows from the commit, as written ({:.2} s)",
        started.elapsed().as_secs_f64()
    );
    drop(fake);
    Ok(())
}
