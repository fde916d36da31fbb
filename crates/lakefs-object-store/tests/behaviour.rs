//! What the integration suite does not check: refs in keys, versions as commit ids, writes to
//! refs that are not branches, the attributes lakeFS keeps and refuses, error mapping, and the
//! batching of deletes.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "object-store-0-13")]

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use lakefs_api::models::{CommitCreation, RepositoryCreation, TagCreation};
use lakefs_api::{CommitsApi, LakeFsClient, RepositoriesApi, TagsApi};
use lakefs_object_store::LakeFsStore;
use object_store_0_13::path::Path;
use object_store_0_13::{
    Attribute, Attributes, Error, GetOptions, ObjectStore, ObjectStoreExt, PutOptions,
};

const REPOSITORY: &str = "behaviour";

async fn start_fake() -> (lakefs_testkit::FakeLakeFs, LakeFsClient) {
    let fake = lakefs_testkit::FakeLakeFs::start().await;
    let client = LakeFsClient::builder()
        .endpoint(fake.endpoint())
        .access_key(fake.access_key_id(), fake.secret_access_key())
        .build()
        .unwrap();
    client
        .create_repository(
            &RepositoryCreation::new(REPOSITORY, "local://behaviour"),
            Default::default(),
        )
        .await
        .unwrap();
    (fake, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_name_the_ref_and_commits_are_versions() {
    let (_fake, client) = start_fake().await;
    let store = LakeFsStore::new(client.clone(), REPOSITORY);
    let key = Path::from("main/data/x.csv");
    let put = store.put(&key, "a,b\n1,2\n".into()).await.unwrap();
    let e_tag = put.e_tag.clone().unwrap();
    assert!(e_tag.starts_with('"') && e_tag.ends_with('"'), "{e_tag}");

    // On a branch an object may change: it has no version.
    let head = store.head(&key).await.unwrap();
    assert_eq!(head.e_tag.as_deref(), Some(e_tag.as_str()));
    assert_eq!(head.version, None);
    assert_eq!(head.location, key);

    let commit = client
        .commit(
            REPOSITORY,
            "main",
            &CommitCreation::new("add x"),
            Default::default(),
        )
        .await
        .unwrap();
    store.put(&key, "changed".into()).await.unwrap();

    // Read from the commit: the commit id is the version, the content is the committed one.
    let at_commit = Path::from(format!("{}/data/x.csv", commit.id));
    let meta = store.head(&at_commit).await.unwrap();
    assert_eq!(meta.version.as_deref(), Some(commit.id.as_str()));
    let old = store.get(&at_commit).await.unwrap().bytes().await.unwrap();
    assert_eq!(old, Bytes::from("a,b\n1,2\n"));

    // The same through `GetOptions::version` on the branch key.
    let options = GetOptions {
        version: Some(commit.id.clone()),
        ..Default::default()
    };
    let old = store.get_opts(&key, options).await.unwrap();
    assert_eq!(old.meta.version.as_deref(), Some(commit.id.as_str()));
    assert_eq!(old.bytes().await.unwrap(), Bytes::from("a,b\n1,2\n"));
    let now = store.get(&key).await.unwrap().bytes().await.unwrap();
    assert_eq!(now, Bytes::from("changed"));

    // Listing under a ref gives keys with that ref.
    let listed: Vec<_> = store
        .list(Some(&Path::from("main/data")))
        .map_ok(|m| m.location)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed, vec![key.clone()]);
    let at_commit_listed: Vec<_> = store
        .list(Some(&Path::from(commit.id.as_str())))
        .map_ok(|m| (m.location, m.version))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        at_commit_listed,
        vec![(at_commit.clone(), Some(commit.id.clone()))]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_to_refs_that_are_not_branches_say_so() {
    let (_fake, client) = start_fake().await;
    let store = LakeFsStore::new(client.clone(), REPOSITORY);
    store.put(&Path::from("main/a"), "a".into()).await.unwrap();
    let commit = client
        .commit(
            REPOSITORY,
            "main",
            &CommitCreation::new("a"),
            Default::default(),
        )
        .await
        .unwrap();
    client
        .create_tag(REPOSITORY, &TagCreation::new("v1", commit.id.clone()))
        .await
        .unwrap();
    for ref_ in [commit.id.as_str(), "v1", "main~1", "no-such-branch"] {
        let key = Path::from(format!("{ref_}/b"));
        let err = store.put(&key, "b".into()).await.unwrap_err();
        assert!(err.to_string().contains("not a branch"), "{ref_}: {err}");
        let err = store.copy(&Path::from("main/a"), &key).await.unwrap_err();
        assert!(err.to_string().contains("not a branch"), "{ref_}: {err}");
        let deleted: Vec<_> = store
            .delete_stream(futures::stream::iter([Ok(key.clone())]).boxed())
            .collect()
            .await;
        let err = deleted.into_iter().next().unwrap().unwrap_err();
        assert!(err.to_string().contains("not a branch"), "{ref_}: {err}");
    }
    // Reads from all of them work.
    for ref_ in [commit.id.as_str(), "v1", "main"] {
        let data = store
            .get(&Path::from(format!("{ref_}/a")))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(data, Bytes::from("a"), "{ref_}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keeps_content_type_and_metadata_and_refuses_the_rest() {
    let (_fake, client) = start_fake().await;
    let store = LakeFsStore::builder()
        .with_client(client)
        .with_url("lakefs://behaviour/main")
        .unwrap()
        .build()
        .unwrap();
    let kept = Attributes::from_iter([
        (Attribute::ContentType, "text/csv"),
        (Attribute::Metadata("owner".into()), "data team"),
    ]);
    let path = Path::from("table.csv");
    store
        .put_opts(&path, "x".into(), PutOptions::from(kept.clone()))
        .await
        .unwrap();
    let read = store.get(&path).await.unwrap();
    assert_eq!(read.attributes, kept);

    let mut upload = store
        .put_multipart_opts(&Path::from("big.csv"), kept.clone().into())
        .await
        .unwrap();
    upload.put_part("a".into()).await.unwrap();
    upload.put_part("b".into()).await.unwrap();
    upload.complete().await.unwrap();
    let read = store.get(&Path::from("big.csv")).await.unwrap();
    assert_eq!(read.attributes, kept);
    assert_eq!(read.bytes().await.unwrap(), Bytes::from("ab"));

    for refused in [
        Attributes::from_iter([(Attribute::CacheControl, "max-age=60")]),
        Attributes::from_iter([(Attribute::ContentEncoding, "gzip")]),
        Attributes::from_iter([(Attribute::Metadata("Owner".into()), "x")]),
    ] {
        let err = store
            .put_opts(&path, "y".into(), PutOptions::from(refused.clone()))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotImplemented { .. }), "{err}");
        let err = store
            .put_multipart_opts(&path, refused.into())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotImplemented { .. }), "{err}");
    }
    // Nothing refused was written.
    let read = store.get(&path).await.unwrap().bytes().await.unwrap();
    assert_eq!(read, Bytes::from("x"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lakefs_errors_keep_their_source() {
    let (lakefs, _client) = start_fake().await;
    let wrong = LakeFsClient::builder()
        .endpoint(lakefs.endpoint())
        .access_key("AKIAWRONG", "wrong")
        .build()
        .unwrap();
    let store = LakeFsStore::new(wrong, REPOSITORY);
    let err = store.head(&Path::from("main/x")).await.unwrap_err();
    assert!(matches!(err, Error::Unauthenticated { .. }), "{err}");
    let source = std::error::Error::source(&err).unwrap();
    let api = source.downcast_ref::<lakefs_api::Error>().unwrap();
    assert_eq!(api.status(), Some(401));

    let (_fake, client) = start_fake().await;
    let store = LakeFsStore::new(client, REPOSITORY);
    let err = store.head(&Path::from("main/missing")).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    // A key without a path names no object.
    let err = store.head(&Path::from("main")).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    // Listing the root of a store with refs in its keys would list refs.
    let err = store.list(None).next().await.unwrap().unwrap_err();
    assert!(matches!(err, Error::NotSupported { .. }), "{err}");
}

/// `deleteObjects` takes at most 1,000 paths: 2,001 paths are three calls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletes_in_batches_of_a_thousand() {
    let lakefs = lakefs_testkit::MockLakeFs::start().await;
    lakefs
        .mount(
            lakefs_testkit::Fixture::json("deleteObjects", 200, serde_json::json!({"errors": []}))
                .expect(3),
        )
        .await;
    let store = LakeFsStore::builder()
        .with_client(lakefs.client())
        .with_url("lakefs://repo/main")
        .unwrap()
        .build()
        .unwrap();
    let paths: Vec<_> = (0..2001)
        .map(|i| Ok(Path::from(format!("p/{i}"))))
        .collect();
    let deleted: Vec<Path> = store
        .delete_stream(futures::stream::iter(paths).boxed())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(deleted.len(), 2001);
    assert_eq!(deleted[2000], Path::from("p/2000"));
    let bodies: Vec<usize> = lakefs
        .received_requests_for("deleteObjects")
        .await
        .iter()
        .map(|request| {
            let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
            body["paths"].as_array().unwrap().len()
        })
        .collect();
    let mut sorted = bodies.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, vec![1, 1000, 1000]);
    lakefs.verify().await;
}

/// `Presign::Always` on a storage without presigned URLs refuses instead of going through
/// the API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presign_always_needs_a_storage_that_presigns() {
    let fake = lakefs_testkit::FakeLakeFs::builder()
        .presign(false)
        .start()
        .await
        .unwrap();
    let client = fake.client().unwrap();
    client
        .create_repository(
            &RepositoryCreation::new(REPOSITORY, "s3://bucket/behaviour"),
            Default::default(),
        )
        .await
        .unwrap();
    let store = LakeFsStore::builder()
        .with_client(client)
        .with_url("lakefs://behaviour/main")
        .unwrap()
        .with_presign(lakefs_object_store::Presign::Always)
        .build()
        .unwrap();
    let err = store.put(&Path::from("x"), "x".into()).await.unwrap_err();
    assert!(matches!(err, Error::NotSupported { .. }), "{err}");
    let err = store.put_multipart(&Path::from("x")).await.unwrap_err();
    assert!(matches!(err, Error::NotSupported { .. }), "{err}");
    let err = store.get(&Path::from("x")).await.unwrap_err();
    assert!(matches!(err, Error::NotSupported { .. }), "{err}");
}
