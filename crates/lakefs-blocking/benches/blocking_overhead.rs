//! Overhead of a blocking call against the same async call, on the same local mock.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use lakefs_api::HealthCheckApi as _;
use lakefs_blocking::HealthCheckApi as _;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn overhead(c: &mut Criterion) {
    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = server_runtime.block_on(async {
        let server = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v1/healthcheck"))
            .respond_with(ResponseTemplate::new(204))
            .mount(&server)
            .await;
        server
    });

    let async_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let async_client = {
        let _entered = async_runtime.enter();
        lakefs_api::LakeFsClient::builder()
            .endpoint(server.uri())
            .build()
            .unwrap()
    };
    let blocking_client = lakefs_blocking::LakeFsClient::from_builder(
        lakefs_blocking::LakeFsClient::builder().endpoint(server.uri()),
    )
    .unwrap();

    let mut group = c.benchmark_group("health_check");
    group.bench_function("async", |b| {
        b.iter(|| async_runtime.block_on(async_client.health_check()).unwrap())
    });
    group.bench_function("blocking", |b| {
        b.iter(|| blocking_client.health_check().unwrap())
    });
    group.finish();
    drop(server_runtime);
}

criterion_group!(benches, overhead);
criterion_main!(benches);
