//! object_store's own integration suite against the fake lakeFS, for each enabled version.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common {
    use lakefs_api::{LakeFsClient, RepositoriesApi, models::RepositoryCreation};

    pub const REPOSITORY: &str = "conformance";

    /// A fake lakeFS with one empty repository (default branch `main`) and a client for it.
    pub async fn fake_repository() -> (lakefs_testkit::FakeLakeFs, LakeFsClient) {
        let fake = lakefs_testkit::FakeLakeFs::start().await;
        let client = LakeFsClient::builder()
            .endpoint(fake.endpoint())
            .access_key(fake.access_key_id(), fake.secret_access_key())
            .build()
            .unwrap();
        client
            .create_repository(
                &RepositoryCreation::new(REPOSITORY, "local://conformance"),
                Default::default(),
            )
            .await
            .unwrap();
        (fake, client)
    }
}

#[cfg(feature = "object-store-0-13")]
mod v0_13 {
    use object_store_0_13 as object_store;
    include!("suite.rs");
}

#[cfg(feature = "object-store-0-14")]
mod v0_14 {
    use object_store_0_14 as object_store;
    include!("suite.rs");

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn multipart_with_opts() {
        let (_fake, store) = store().await;
        integration::multipart_with_opts(&store, &store).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn multipart_put_part_out_of_order() {
        let (_fake, store) = store().await;
        integration::multipart_put_part_out_of_order(&store, &store).await;
    }
}
