// The `object_store` integration suite against a `LakeFsStore` on the fake lakeFS, one test per
// suite function (each on a fresh fake). Included once per `object_store` version and fake
// mode; the including module names that version `object_store` and the mode `MODE`.
// Functions not called here are listed with their reason in the crate README;
// `suite_coverage.rs` checks that both agree.

use object_store::integration;

async fn store() -> (lakefs_testkit::FakeLakeFs, lakefs_object_store::LakeFsStore) {
    crate::common::store(MODE).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_get_delete_list() {
    let (_fake, store) = store().await;
    integration::put_get_delete_list(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_get_attributes() {
    let (_fake, store) = store().await;
    integration::put_get_attributes(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_opts() {
    let (_fake, store) = store().await;
    integration::get_opts(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_opts() {
    let (_fake, store) = store().await;
    integration::put_opts(&store, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_get() {
    let (_fake, store) = store().await;
    integration::stream_get(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_uses_directories_correctly() {
    let (_fake, store) = store().await;
    integration::list_uses_directories_correctly(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_with_delimiter() {
    let (_fake, store) = store().await;
    integration::list_with_delimiter(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_nonexistent_object() {
    let (_fake, store) = store().await;
    let err = integration::get_nonexistent_object(&store, None)
        .await
        .unwrap_err();
    assert!(matches!(err, object_store::Error::NotFound { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_and_copy() {
    let (_fake, store) = store().await;
    integration::rename_and_copy(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_if_not_exists() {
    let (_fake, store) = store().await;
    integration::copy_if_not_exists(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_rename_nonexistent_object() {
    let (_fake, store) = store().await;
    integration::copy_rename_nonexistent_object(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart() {
    let (_fake, store) = store().await;
    integration::multipart(&store, &store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_race_condition() {
    let (_fake, store) = store().await;
    // The upload completed last is the object, as on S3.
    integration::multipart_race_condition(&store, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_out_of_order() {
    let (_fake, store) = store().await;
    integration::multipart_out_of_order(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_paginated() {
    let (_fake, store) = store().await;
    integration::list_paginated(&store, &store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_with_offset_exclusivity() {
    let (_fake, store) = store().await;
    integration::list_with_offset_exclusivity(&store).await;
}
