//! The one place that connects the tests to an embedded fake lakeFS.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use lakefs_testkit::FakeLakeFs;

/// A fake lakeFS and a client for it.
pub async fn fake() -> (FakeLakeFs, lakefs::Client) {
    let fake = FakeLakeFs::start().await;
    let client = lakefs::Client::new(fake.client().unwrap());
    (fake, client)
}

/// A fake, a client, and a new repository `repo` (default branch `main`).
pub async fn repository() -> (FakeLakeFs, lakefs::Repository) {
    let (fake, client) = fake().await;
    let repo = client.repository("repo");
    repo.create("mem://tests/repo").await.unwrap();
    (fake, repo)
}
