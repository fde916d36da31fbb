//! The adapter's own CPU cost: the same work through `LakeFsStore` and through `lakefs-api`
//! directly, against the fake lakeFS (API data path, `Presign::Never`, so both move the same
//! bytes the same way).
//!
//! - reading a Parquet file (whole-file read, then decoding every row group), through
//!   `get`, through `get_range(0..size)`, and through `getObject`;
//! - listing 100,000 objects, through `list` and through `list_objects_stream`.
//!
//! The client runs on a current-thread runtime on this thread and the fake on threads of its
//! own, so this thread's CPU time (user + system, `/proc/thread-self/schedstat`) is the client's
//! alone. Each case runs several times, the two sides interleaved; medians are reported. Run with
//! `cargo bench -p lakefs-object-store --bench overhead` (`OBJECTS=20000` for a quicker run,
//! `CASES=list` for the listing only).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use lakefs_api::models::{CommitCreation, RepositoryCreation};
use lakefs_api::{
    CommitsApi, GetObjectOptions, ListObjectsOptions, ObjectsApi, ObjectsApiExt, RepositoriesApi,
    UploadObjectOptions,
};
use lakefs_object_store::object_store_0_13::path::Path;
use lakefs_object_store::object_store_0_13::{ObjectStore, ObjectStoreExt};
use lakefs_object_store::{LakeFsStore, Presign};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

const REPOSITORY: &str = "bench";
/// Runs of each side, unless `RUNS` says otherwise.
fn runs() -> usize {
    std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(7)
        .max(1)
}
/// Reads of the Parquet file per measured run, so that a run takes long enough to time.
const READS_PER_RUN: usize = 10;

/// CPU time of the calling thread (user + system) in nanoseconds, from the scheduler's
/// account (`/proc/thread-self/schedstat`): `/proc/.../stat`'s clock ticks (10 ms) are too
/// coarse for runs of a tenth of a second.
fn thread_cpu() -> Duration {
    let schedstat = std::fs::read_to_string("/proc/thread-self/schedstat").expect("Linux /proc");
    let nanos: u64 = schedstat
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    Duration::from_nanos(nanos)
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

/// One measured run: CPU and wall time of `work`, which must give `expected`.
async fn run_once<Fut: Future<Output = usize>>(
    work: Fut,
    expected: usize,
    cpu: &mut Vec<Duration>,
    wall: &mut Vec<Duration>,
) {
    let (c, w) = (thread_cpu(), Instant::now());
    assert_eq!(work.await, expected);
    cpu.push(thread_cpu() - c);
    wall.push(w.elapsed());
}

/// The medians (CPU, wall) of `RUNS` runs of `direct` and of `adapter`, interleaved so that
/// the machine's drift affects both alike; both must give the same answer.
async fn compare<D, DF, A, AF>(
    mut direct: D,
    mut adapter: A,
) -> ((Duration, Duration), (Duration, Duration))
where
    D: FnMut() -> DF,
    DF: Future<Output = usize>,
    A: FnMut() -> AF,
    AF: Future<Output = usize>,
{
    // Warm-up, and the answer every run must give.
    let expected = direct().await;
    assert_eq!(adapter().await, expected);
    let (mut direct_cpu, mut direct_wall) = (Vec::new(), Vec::new());
    let (mut adapter_cpu, mut adapter_wall) = (Vec::new(), Vec::new());
    for _ in 0..runs() {
        run_once(direct(), expected, &mut direct_cpu, &mut direct_wall).await;
        run_once(adapter(), expected, &mut adapter_cpu, &mut adapter_wall).await;
    }
    (
        (median(direct_cpu), median(direct_wall)),
        (median(adapter_cpu), median(adapter_wall)),
    )
}

fn parquet_file() -> Bytes {
    let rows = 2_000_000;
    let batch = RecordBatch::try_from_iter([
        (
            "id",
            Arc::new(Int64Array::from_iter_values(0..rows)) as ArrayRef,
        ),
        (
            "city",
            Arc::new(StringArray::from_iter_values(
                (0..rows).map(|i| ["Lisbon", "Porto", "Faro"][i as usize % 3]),
            )) as ArrayRef,
        ),
        (
            "fare",
            Arc::new(Float64Array::from_iter_values(
                (0..rows).map(|i| i as f64 / 7.0),
            )) as ArrayRef,
        ),
    ])
    .unwrap();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    out.into()
}

fn decode(data: Bytes) -> usize {
    ParquetRecordBatchReaderBuilder::try_new(data)
        .unwrap()
        .build()
        .unwrap()
        .map(|batch| batch.unwrap().num_rows())
        .sum()
}

fn report(name: &str, direct: (Duration, Duration), adapter: (Duration, Duration)) {
    let ratio = adapter.0.as_secs_f64() / direct.0.as_secs_f64().max(1e-9);
    println!(
        "{name:<44} lakefs-api {:>7.3} s CPU ({:>6.3} s wall) | adapter {:>7.3} s CPU ({:>6.3} s wall) | adapter/client CPU {:.3} ({:+.1}%)",
        direct.0.as_secs_f64(),
        direct.1.as_secs_f64(),
        adapter.0.as_secs_f64(),
        adapter.1.as_secs_f64(),
        ratio,
        (ratio - 1.0) * 100.0
    );
}

fn main() {
    let objects: usize = std::env::var("OBJECTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let cases = std::env::var("CASES").unwrap_or_else(|_| "parquet,list".into());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let fake = lakefs_fake::FakeLakeFs::builder()
            .presign(false)
            .worker_threads(2)
            .spawn()
            .unwrap();
        let client = fake.client().unwrap();
        client
            .create_repository(
                &RepositoryCreation::new(REPOSITORY, "s3://bucket/bench"),
                Default::default(),
            )
            .await
            .unwrap();
        let store = LakeFsStore::builder()
            .with_client(client.clone())
            .with_url("lakefs://bench/main")
            .unwrap()
            .with_presign(Presign::Never)
            .build()
            .unwrap();

        // Parquet (`CASES=list` skips it).
        if cases.contains("parquet") {
            let file = parquet_file();
            let size = file.len() as u64;
            store
                .put(&Path::from("trips.parquet"), file.into())
                .await
                .unwrap();
            println!(
                "Parquet file: {size} bytes, 2,000,000 rows; {} runs each, medians",
                runs()
            );
            let path = Path::from("trips.parquet");
            // The same reads through lakefs-api, the baseline of both adapter cases.
            let read_directly = || async {
                let mut rows = 0;
                for _ in 0..READS_PER_RUN {
                    let download = client
                        .get_object(
                            REPOSITORY,
                            "main",
                            "trips.parquet",
                            GetObjectOptions::default(),
                        )
                        .await
                        .unwrap();
                    rows += decode(download.bytes().await.unwrap());
                }
                rows
            };
            let (direct, adapter_get) = compare(read_directly, || async {
                let mut rows = 0;
                for _ in 0..READS_PER_RUN {
                    let data = store.get(&path).await.unwrap();
                    rows += decode(data.bytes().await.unwrap());
                }
                rows
            })
            .await;
            report("read + decode Parquet x10: get", direct, adapter_get);
            let (direct, adapter_range) = compare(read_directly, || async {
                let mut rows = 0;
                for _ in 0..READS_PER_RUN {
                    rows += decode(store.get_range(&path, 0..size).await.unwrap());
                }
                rows
            })
            .await;
            report(
                "read + decode Parquet x10: get_range(0..size)",
                direct,
                adapter_range,
            );
        }

        // Listing.
        let started = Instant::now();
        futures::stream::iter(0..objects)
            .map(|i| {
                let client = client.clone();
                async move {
                    client
                        .upload_object(
                            REPOSITORY,
                            "main",
                            &format!("listing/{:03}/{i:08}.json", i % 100),
                            Bytes::from_static(b"{}").into(),
                            UploadObjectOptions::default(),
                        )
                        .await
                        .unwrap();
                }
            })
            .buffer_unordered(32)
            .collect::<()>()
            .await;
        // Committed, so that the fake lists from its commit tree (an uncommitted listing makes
        // it merge staging into a copy of the tree per page); the client's work is the same.
        client
            .commit(
                REPOSITORY,
                "main",
                &CommitCreation::new("seed the listing"),
                Default::default(),
            )
            .await
            .unwrap();
        println!(
            "seeded and committed {objects} objects in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let (direct, adapter) = compare(
            || async {
                client
                    .list_objects_stream(
                        REPOSITORY,
                        "main",
                        ListObjectsOptions::default()
                            .prefix("listing/")
                            .amount(1000)
                            .user_metadata(false),
                    )
                    .try_fold(0, |n, _| async move { Ok(n + 1) })
                    .await
                    .unwrap()
            },
            || async {
                store
                    .list(Some(&Path::from("listing")))
                    .try_fold(0, |n, _| async move { Ok(n + 1) })
                    .await
                    .unwrap()
            },
        )
        .await;
        report(&format!("list {objects} objects"), direct, adapter);
        drop(fake);
    });
}
