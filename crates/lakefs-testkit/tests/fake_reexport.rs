//! The fake lives in `lakefs-fake`; code written against the testkit's names keeps working.
#![allow(clippy::unwrap_used)]

use lakefs_api::RepositoriesApi;
use lakefs_testkit::FakeLakeFs;
use lakefs_testkit::fake::{BlockingFakeLakeFs, FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY};

#[tokio::test]
async fn the_testkit_names_reach_the_fake() {
    let fake = FakeLakeFs::start().await;
    assert_eq!(fake.access_key_id(), FAKE_ACCESS_KEY_ID);
    assert_eq!(fake.secret_access_key(), FAKE_SECRET_ACCESS_KEY);
    let listed = fake
        .client()
        .unwrap()
        .list_repositories(Default::default())
        .await
        .unwrap();
    assert!(listed.results.is_empty());
}

#[test]
fn the_blocking_fake_is_reexported_too() {
    use lakefs_blocking::RepositoriesApi as _;
    let fake = BlockingFakeLakeFs::start().unwrap();
    let listed = fake
        .client()
        .unwrap()
        .list_repositories(Default::default())
        .unwrap();
    assert!(listed.results.is_empty());
}
