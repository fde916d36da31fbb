//! object_store's own integration suite against the fake lakeFS, for each enabled version, in
//! each mode of the fake: S3 with presigned multipart uploads, S3 presigned without them,
//! Azure (presigned, no multipart, `x-ms-blob-type`), no presign at all, and a store that
//! never presigns on a storage that could.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common {
    use lakefs_api::{RepositoriesApi, models::RepositoryCreation};
    use lakefs_object_store::{LakeFsStore, Presign};
    use lakefs_testkit::fake::Blockstore;

    pub const REPOSITORY: &str = "conformance";

    /// A mode of the fake and of the store.
    #[derive(Debug, Clone, Copy)]
    pub enum Mode {
        S3PresignedMultipart,
        S3PresignedNoMultipart,
        Azure,
        NoPresign,
        StoreNeverPresigns,
    }

    /// A fake lakeFS in `mode` with one empty repository, and a store bound to its `main`.
    pub async fn store(mode: Mode) -> (lakefs_testkit::FakeLakeFs, LakeFsStore) {
        let builder = lakefs_testkit::FakeLakeFs::builder();
        let builder = match mode {
            Mode::S3PresignedMultipart | Mode::StoreNeverPresigns => builder,
            Mode::S3PresignedNoMultipart => builder.presign_multipart(false),
            Mode::Azure => builder.blockstore(Blockstore::Azure),
            Mode::NoPresign => builder.presign(false),
        };
        let fake = builder.start().await.unwrap();
        let client = fake.client().unwrap();
        let namespace = match mode {
            Mode::Azure => "https://account.blob.core.windows.net/container/conformance",
            _ => "s3://bucket/conformance",
        };
        client
            .create_repository(
                &RepositoryCreation::new(REPOSITORY, namespace),
                Default::default(),
            )
            .await
            .unwrap();
        let presign = match mode {
            Mode::StoreNeverPresigns => Presign::Never,
            Mode::NoPresign => Presign::Auto,
            _ => Presign::Always,
        };
        let store = LakeFsStore::builder()
            .with_client(client)
            .with_repository(REPOSITORY)
            .with_ref("main")
            .with_presign(presign)
            .build()
            .unwrap();
        (fake, store)
    }
}

/// The suite for one version, in every mode.
macro_rules! in_every_mode {
    ($($extra:literal)?) => {
        mod s3_presigned_multipart {
            use super::object_store;
            const MODE: crate::common::Mode = crate::common::Mode::S3PresignedMultipart;
            include!("suite.rs");
            $(include!($extra);)?
        }
        mod s3_presigned_no_multipart {
            use super::object_store;
            const MODE: crate::common::Mode = crate::common::Mode::S3PresignedNoMultipart;
            include!("suite.rs");
            $(include!($extra);)?
        }
        mod azure {
            use super::object_store;
            const MODE: crate::common::Mode = crate::common::Mode::Azure;
            include!("suite.rs");
            $(include!($extra);)?
        }
        mod no_presign {
            use super::object_store;
            const MODE: crate::common::Mode = crate::common::Mode::NoPresign;
            include!("suite.rs");
            $(include!($extra);)?
        }
        mod store_never_presigns {
            use super::object_store;
            const MODE: crate::common::Mode = crate::common::Mode::StoreNeverPresigns;
            include!("suite.rs");
            $(include!($extra);)?
        }
    };
}

#[cfg(feature = "object-store-0-13")]
mod v0_13 {
    use object_store_0_13 as object_store;
    in_every_mode!();
}

#[cfg(feature = "object-store-0-14")]
mod v0_14 {
    use object_store_0_14 as object_store;
    in_every_mode!("suite_0_14.rs");
}
