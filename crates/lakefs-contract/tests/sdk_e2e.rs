//! End-to-end: the async SDK against the stateful fake lakeFS, whole flows with real state.
//!
//! Each flow runs as its own test against a fake started for it, or, with
//! `LAKEFS_E2E_ENDPOINT` set, against that endpoint with the fake's credentials.
//!
//! `every_flow_through_prism_proxy` runs them all once more through `prism proxy --errors`
//! in front of a fake, so that both the SDK's requests and the fake's answers are validated
//! against the spec: any violation fails it. It needs Prism (`$PRISM_BIN`, else
//! `.ci/prism/node_modules/.bin/prism`) and the spec (`$LAKEFS_SPEC`, else
//! `../shared/lakefs/swagger.yml`); without them it says it is skipped, except with `CI=true`,
//! where it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures::{FutureExt, TryStreamExt};
use lakefs_api::*;
use lakefs_contract::{
    self as prism, GET_OBJECT_CONTENT_RANGE, GET_OBJECT_CONTENT_TYPE, Mode, Prism, Tolerance,
    UPLOAD_OBJECT_CONTENT_TYPE,
};
use lakefs_fake::FakeLakeFs;
use lakefs_fake::{FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY};
use std::collections::BTreeMap;
use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// A client for `endpoint` with the fake's credentials.
fn client_for(endpoint: impl Into<String>) -> LakeFsClient {
    LakeFsClient::builder()
        .endpoint(endpoint)
        .access_key(FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY)
        .build()
        .unwrap()
}

/// A client for the external endpoint, or for a fake started here (kept alive by the caller).
async fn connect() -> (LakeFsClient, Option<FakeLakeFs>) {
    match std::env::var("LAKEFS_E2E_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => (client_for(endpoint), None),
        _ => {
            let fake = FakeLakeFs::start().await;
            (fake.client().unwrap(), Some(fake))
        }
    }
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

/// Every flow, by name.
const FLOWS: [&str; 6] = [
    "branch_upload_commit_diff_merge",
    "merge_conflicts",
    "listing",
    "conditional_uploads_tags_repositories",
    "wrong_credentials",
    "presigned_data_path",
];

async fn run_flow(name: &str, client: &LakeFsClient) {
    match name {
        "branch_upload_commit_diff_merge" => branch_upload_commit_diff_merge(client).await,
        "merge_conflicts" => merge_conflicts(client).await,
        "listing" => listing(client).await,
        "conditional_uploads_tags_repositories" => {
            conditional_uploads_tags_repositories(client).await
        }
        "wrong_credentials" => wrong_credentials(client).await,
        "presigned_data_path" => presigned_data_path(client).await,
        other => panic!("no flow {other}"),
    }
}

#[tokio::test]
async fn branch_upload_commit_diff_merge_flow() {
    let (client, _fake) = connect().await;
    branch_upload_commit_diff_merge(&client).await;
}

#[tokio::test]
async fn merge_conflicts_come_back_typed() {
    let (client, _fake) = connect().await;
    merge_conflicts(&client).await;
}

#[tokio::test]
async fn listing_with_pagination_and_delimiters() {
    let (client, _fake) = connect().await;
    listing(&client).await;
}

#[tokio::test]
async fn conditional_uploads_tags_and_repositories() {
    let (client, _fake) = connect().await;
    conditional_uploads_tags_repositories(&client).await;
}

#[tokio::test]
async fn wrong_credentials_are_unauthorized() {
    let (client, _fake) = connect().await;
    wrong_credentials(&client).await;
}

#[tokio::test]
async fn presigned_data_path_through_the_api() {
    let (client, _fake) = connect().await;
    presigned_data_path(&client).await;
}

/// The data path lakeFS's own clients take, its lakeFS calls through the SDK and its bytes
/// straight to the (simulated) object store: stage, PUT, link; a presigned multipart upload
/// with a refreshed part URL; an aborted one; presigned stat.
async fn presigned_data_path(client: &LakeFsClient) {
    let repo = new_repo(client, "presign").await;
    let store = reqwest::Client::new();
    let put = |url: String, data: Vec<u8>| {
        let request = store.put(url).body(data);
        async move {
            let answer = request.send().await.unwrap();
            assert!(answer.status().is_success(), "{}", answer.status());
            answer.headers()["etag"].to_str().unwrap().to_string()
        }
    };

    let staging = client
        .get_physical_address(
            &repo,
            "main",
            "staged.txt",
            GetPhysicalAddressOptions::default().presign(true),
        )
        .await
        .unwrap();
    let etag = put(
        staging.presigned_url.clone().unwrap(),
        b"staged bytes".to_vec(),
    )
    .await;
    let linked = client
        .link_physical_address(
            &repo,
            "main",
            "staged.txt",
            &models::StagingMetadata::new(staging, etag, 12).with_content_type("text/plain"),
            Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(linked.size_bytes, Some(12));

    let part = vec![7u8; 5 * 1024 * 1024];
    let upload = client
        .create_presign_multipart_upload(
            &repo,
            "main",
            "parts.bin",
            CreatePresignMultipartUploadOptions::default().parts(2),
        )
        .await
        .unwrap();
    let urls = upload.presigned_urls.clone().unwrap();
    let first = put(urls[0].clone(), part.clone()).await;
    let refreshed = client
        .upload_part(
            &repo,
            "main",
            &upload.upload_id,
            "parts.bin",
            2,
            &models::UploadPartFrom::new(upload.physical_address.clone()),
        )
        .await
        .unwrap();
    let second = put(refreshed.presigned_url, b"tail".to_vec()).await;
    let completion = models::CompletePresignMultipartUpload::new(
        upload.physical_address.clone(),
        vec![
            models::UploadPart::new(1, first),
            models::UploadPart::new(2, second),
        ],
    );
    let stats = client
        .complete_presign_multipart_upload(
            &repo,
            "main",
            &upload.upload_id,
            "parts.bin",
            CompletePresignMultipartUploadOptions::default()
                .complete_presign_multipart_upload(completion),
        )
        .await
        .unwrap();
    assert!(stats.checksum.ends_with("-2"), "{}", stats.checksum);

    let abandoned = client
        .create_presign_multipart_upload(&repo, "main", "abandoned.bin", Default::default())
        .await
        .unwrap();
    client
        .abort_presign_multipart_upload(
            &repo,
            "main",
            &abandoned.upload_id,
            "abandoned.bin",
            AbortPresignMultipartUploadOptions::default().abort_presign_multipart_upload(
                models::AbortPresignMultipartUpload::new(abandoned.physical_address),
            ),
        )
        .await
        .unwrap();

    let stat = client
        .stat_object(
            &repo,
            "main",
            "parts.bin",
            StatObjectOptions::default().presign(true),
        )
        .await
        .unwrap();
    assert!(stat.physical_address_expiry.is_some());
    let read = store
        .get(stat.physical_address)
        .header("range", "bytes=0-3")
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 206);
    assert_eq!(read.bytes().await.unwrap().as_ref(), &[7u8; 4]);
}

/// `conditional_uploads_tags_repositories` creates a repository named `Bad_Name!` on purpose,
/// to see lakeFS refuse it with 400. The spec's pattern for repository names forbids it, so
/// Prism refuses the request itself (422) without forwarding it; the relay then sends it to
/// the fake, whose 400 the flow expects.
const BAD_NAME_ON_PURPOSE: Tolerance = Tolerance {
    operation: "createRepository",
    location: "request.body.name",
    code: "pattern",
    reason: "the flow sends the invalid repository name `Bad_Name!` on purpose",
};

/// Writes to the process's stderr directly, so that it shows without `--nocapture`.
fn report(text: &str) {
    let _ = std::io::stderr().write_all(text.as_bytes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_flow_through_prism_proxy() {
    let started = Instant::now();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let Some(tools) = prism::tools_or_skip(
        "SDK flows through prism proxy",
        root.join(".ci/prism/node_modules/.bin/prism"),
        root.join("../shared/lakefs/swagger.yml"),
    ) else {
        return;
    };
    let fake = FakeLakeFs::start().await;
    let spec = tools.spec_copy().unwrap();
    let tolerances = [
        GET_OBJECT_CONTENT_RANGE,
        GET_OBJECT_CONTENT_TYPE,
        UPLOAD_OBJECT_CONTENT_TYPE,
        BAD_NAME_ON_PURPOSE,
    ];
    let proxy = Prism::builder(&spec, Mode::Proxy(fake.endpoint()))
        .tolerate_all(tolerances)
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let ready = started.elapsed();
    let client = client_for(proxy.endpoint());

    let mut failures = Vec::new();
    let mut violations = 0;
    let mut tolerated = Vec::new();
    let mut passed = 0;
    for name in FLOWS {
        match AssertUnwindSafe(run_flow(name, &client))
            .catch_unwind()
            .await
        {
            Ok(()) => passed += 1,
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("flow {name} failed: {message}"));
            }
        }
        for violation in proxy.take_violations() {
            violations += 1;
            failures.push(format!("flow {name}: {violation}"));
        }
        tolerated.extend(proxy.take_tolerated());
    }
    // A tolerance that nothing needs any more must go (once everything ran to its end).
    let unused = if failures.is_empty() {
        prism::unused_tolerances(&tolerances, &tolerated)
    } else {
        Vec::new()
    };
    for t in unused {
        failures.push(format!(
            "tolerance never needed, remove it: {} {} {}",
            t.operation, t.location, t.code
        ));
    }

    let mut summary = format!(
        "SDK flows through prism proxy --errors in front of the fake:\n  flows passed: {passed} of {}\n  requests through Prism: {}\n  violations: {violations}\n  tolerated: {}\n",
        FLOWS.len(),
        proxy.requests_seen(),
        tolerated.len()
    );
    for v in &tolerated {
        summary.push_str(&format!("    {v}\n"));
    }
    summary.push_str(&format!(
        "  time: {:.1} s ({:.1} s to start Prism)\n",
        started.elapsed().as_secs_f64(),
        ready.as_secs_f64()
    ));
    for f in &failures {
        summary.push_str(&format!("FAILED {f}\n"));
    }
    report(&summary);
    assert!(
        failures.is_empty(),
        "{} failures through prism proxy (listed above); Prism's log ends with:\n{}",
        failures.len(),
        proxy.log_tail(20)
    );
}

async fn branch_upload_commit_diff_merge(client: &LakeFsClient) {
    let repo = new_repo(client, "flow").await;

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

async fn merge_conflicts(client: &LakeFsClient) {
    let repo = new_repo(client, "conflict").await;
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

async fn listing(client: &LakeFsClient) {
    let repo = new_repo(client, "list").await;
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

async fn conditional_uploads_tags_repositories(client: &LakeFsClient) {
    let repo = new_repo(client, "tags").await;
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

async fn wrong_credentials(client: &LakeFsClient) {
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
