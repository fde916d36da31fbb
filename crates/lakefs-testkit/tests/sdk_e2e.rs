//! End-to-end: the async SDK against the stateful fake lakeFS, whole flows with real state.
//!
//! With `LAKEFS_E2E_ENDPOINT` set (CI points it at `prism proxy --errors` in front of a
//! `lakefs-fake`), the same flows run against that endpoint with the fake's credentials, so
//! that both the SDK's requests and the fake's answers are validated against the spec.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures::TryStreamExt;
use lakefs_api::*;
use lakefs_testkit::FakeLakeFs;
use lakefs_testkit::fake::{FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A client for the external endpoint, or for a fake started here (kept alive by the caller).
async fn connect() -> (LakeFsClient, Option<FakeLakeFs>) {
    let (endpoint, fake) = match std::env::var("LAKEFS_E2E_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => (endpoint, None),
        _ => {
            let fake = FakeLakeFs::start().await;
            (fake.endpoint(), Some(fake))
        }
    };
    let client = LakeFsClient::builder()
        .endpoint(endpoint)
        .access_key(FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY)
        .build()
        .unwrap();
    (client, fake)
}

/// Repository names unique across tests and runs against a shared endpoint.
fn repo_name(test: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("e2e-{test}-{}-{n}", std::process::id())
}

async fn new_repo(client: &LakeFsClient, test: &str) -> String {
    let name = repo_name(test);
    let creation = models::RepositoryCreation::new(name.as_str(), format!("mem://e2e/{name}"));
    let repo = client
        .create_repository(&creation, Default::default())
        .await
        .unwrap();
    assert_eq!(repo.default_branch, "main");
    name
}

#[tokio::test]
async fn branch_upload_commit_diff_merge_flow() {
    let (client, _fake) = connect().await;
    let repo = new_repo(&client, "flow").await;

    let commit_id = client
        .create_branch(&repo, &models::BranchCreation::new("feature", "main"))
        .await
        .unwrap();
    assert_eq!(
        client.get_branch(&repo, "feature").await.unwrap().commit_id,
        commit_id
    );
    let err = client
        .create_branch(&repo, &models::BranchCreation::new("feature", "main"))
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err}");
    let err = client
        .create_branch(&repo, &models::BranchCreation::new("feat/x", "main"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);

    let path = "data/a dir/ü+1%.txt";
    let stats = client
        .upload_object(
            &repo,
            "feature",
            path,
            "hello lakeFS".into(),
            UploadObjectOptions::default()
                .content_type("text/plain")
                .user_metadata("owner", "e2e"),
        )
        .await
        .unwrap();
    assert_eq!(stats.path, path);
    assert_eq!(stats.size_bytes, Some(12));

    let diff = client
        .diff_branch(&repo, "feature", Default::default())
        .await
        .unwrap();
    assert_eq!(diff.results.len(), 1);
    assert_eq!(diff.results[0].type_, models::DiffType::Added);

    let head = client
        .head_object(&repo, "feature", path, Default::default())
        .await
        .unwrap();
    assert_eq!(head.content_length, Some(12));
    let download = client
        .get_object(
            &repo,
            "feature",
            path,
            GetObjectOptions::default().range("bytes=6-11"),
        )
        .await
        .unwrap();
    assert_eq!(download.metadata.status, 206);
    assert_eq!(&download.bytes().await.unwrap()[..], b"lakeFS");

    let metadata = BTreeMap::from([("author".to_string(), "e2e".to_string())]);
    let commit = client
        .commit(
            &repo,
            "feature",
            &models::CommitCreation::new("add a file").with_metadata(metadata.clone()),
            Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(commit.metadata, Some(metadata));
    let err = client
        .commit(
            &repo,
            "feature",
            &models::CommitCreation::new("again"),
            Default::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest, "{err}");

    let log: Vec<_> = client
        .log_commits_stream(&repo, "feature", Default::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(log[0].id, commit.id);

    let base = client
        .find_merge_base(&repo, "feature", "main")
        .await
        .unwrap();
    assert_eq!(base.base_commit_id, commit_id);
    let merged = client
        .merge_into_branch(&repo, "feature", "main", Default::default())
        .await
        .unwrap();
    assert!(!merged.reference.is_empty());
    let on_main = client
        .stat_object(&repo, "main", path, Default::default())
        .await
        .unwrap();
    assert_eq!(on_main.checksum, stats.checksum);

    let refs_diff = client
        .diff_refs(&repo, "main", &commit_id, Default::default())
        .await
        .unwrap();
    assert!(refs_diff.results.is_empty() || refs_diff.results.iter().all(|d| d.path == path));
}

#[tokio::test]
async fn merge_conflicts_come_back_typed() {
    let (client, _fake) = connect().await;
    let repo = new_repo(&client, "conflict").await;
    client
        .create_branch(&repo, &models::BranchCreation::new("left", "main"))
        .await
        .unwrap();
    for (branch, text) in [("left", "left side"), ("main", "main side")] {
        client
            .upload_object(&repo, branch, "same.txt", text.into(), Default::default())
            .await
            .unwrap();
        client
            .commit(
                &repo,
                branch,
                &models::CommitCreation::new(text),
                Default::default(),
            )
            .await
            .unwrap();
    }
    let err = client
        .merge_into_branch(&repo, "left", "main", Default::default())
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err}");
    assert!(err.merge_result().is_some(), "{err:?}");
}

#[tokio::test]
async fn listing_with_pagination_and_delimiters() {
    let (client, _fake) = connect().await;
    let repo = new_repo(&client, "list").await;
    for i in 0..25 {
        client
            .upload_object(
                &repo,
                "main",
                &format!("data/{i:02}.csv"),
                "x".into(),
                Default::default(),
            )
            .await
            .unwrap();
    }
    client
        .upload_object(
            &repo,
            "main",
            "data/sub/deep.csv",
            "x".into(),
            Default::default(),
        )
        .await
        .unwrap();
    let all: Vec<_> = client
        .list_objects_stream(
            &repo,
            "main",
            ListObjectsOptions::default().prefix("data/").amount(10),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 26);
    let pages: Vec<_> = client
        .list_objects_pages(
            &repo,
            "main",
            ListObjectsOptions::default().prefix("data/").amount(10),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3);
    let top = client
        .list_objects(
            &repo,
            "main",
            ListObjectsOptions::default()
                .prefix("data/")
                .delimiter("/")
                .amount(100),
        )
        .await
        .unwrap();
    assert!(
        top.results
            .iter()
            .any(|o| o.path == "data/sub/"
                && o.path_type == models::ObjectStatsPathType::CommonPrefix)
    );
    assert_eq!(top.results.len(), 26);

    let deleted = client
        .delete_objects(
            &repo,
            "main",
            &models::PathList::new(vec!["data/00.csv".to_string(), "data/01.csv".to_string()]),
            Default::default(),
        )
        .await
        .unwrap();
    assert!(deleted.errors.is_empty());
    let err = client
        .stat_object(&repo, "main", "data/00.csv", Default::default())
        .await
        .unwrap_err();
    assert!(err.is_not_found());
}

#[tokio::test]
async fn conditional_uploads_tags_and_repositories() {
    let (client, _fake) = connect().await;
    let repo = new_repo(&client, "tags").await;
    client
        .upload_object(&repo, "main", "k", "v1".into(), Default::default())
        .await
        .unwrap();
    let err = client
        .upload_object(
            &repo,
            "main",
            "k",
            "v2".into(),
            UploadObjectOptions::default().if_none_match("*"),
        )
        .await
        .unwrap_err();
    assert!(err.is_precondition_failed(), "{err}");
    client
        .commit(
            &repo,
            "main",
            &models::CommitCreation::new("c"),
            Default::default(),
        )
        .await
        .unwrap();

    let tag = client
        .create_tag(&repo, &models::TagCreation::new("v1.0", "main"))
        .await
        .unwrap();
    assert_eq!(
        client.get_tag(&repo, "v1.0").await.unwrap().commit_id,
        tag.commit_id
    );
    let tags: Vec<_> = client
        .list_tags_stream(&repo, Default::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(tags.len(), 1);
    client
        .delete_tag(&repo, "v1.0", Default::default())
        .await
        .unwrap();
    assert!(
        client
            .get_tag(&repo, "v1.0")
            .await
            .unwrap_err()
            .is_not_found()
    );

    let dup = models::RepositoryCreation::new(repo.as_str(), "mem://x");
    assert!(
        client
            .create_repository(&dup, Default::default())
            .await
            .unwrap_err()
            .is_conflict()
    );
    let bad = models::RepositoryCreation::new("Bad_Name!", "mem://x");
    assert_eq!(
        client
            .create_repository(&bad, Default::default())
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::BadRequest
    );
    client
        .delete_repository(&repo, Default::default())
        .await
        .unwrap();
    assert!(
        client
            .get_repository(&repo)
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn wrong_credentials_are_unauthorized() {
    let (client, _fake) = connect().await;
    let wrong = LakeFsClient::builder()
        .endpoint(client.base_url().as_str())
        .access_key("AKIAWRONG", "nope")
        .build()
        .unwrap();
    let err = wrong
        .list_repositories(Default::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    // Operations without credentials still work.
    wrong.health_check().await.unwrap();
}
