//! The handles whose operations the fake lakeFS gained later: hidden branches, revert,
//! cherry-pick, imports from the object store, repository metadata, sample data.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use futures::TryStreamExt;
use lakefs::api::{InternalApi, ListBranchesOptions};
use lakefs_testkit::FakeLakeFs;
use std::time::Duration;
use tokio::io::AsyncReadExt;

async fn s3_repository(fake: &FakeLakeFs, name: &str) -> lakefs::Repository {
    let repo = lakefs::Client::new(fake.client().unwrap()).repository(name);
    repo.create(format!("s3://lake/{name}")).await.unwrap();
    repo
}

async fn text(object: &lakefs::Object) -> String {
    let mut text = String::new();
    object.reader().read_to_string(&mut text).await.unwrap();
    text
}

async fn names(
    stream: futures::stream::BoxStream<'static, lakefs::Result<lakefs::models::Ref>>,
) -> Vec<String> {
    stream.map_ok(|r| r.id).try_collect().await.unwrap()
}

#[tokio::test]
async fn hidden_branches_are_listed_only_when_asked() {
    let fake = FakeLakeFs::start().await;
    let repo = s3_repository(&fake, "hidden").await;
    repo.branch("secret")
        .create("main")
        .hidden(true)
        .await
        .unwrap();
    repo.branch("visible").create("main").await.unwrap();
    assert_eq!(names(repo.branches()).await, ["main", "visible"]);
    let all = names(repo.branches_with(ListBranchesOptions::default().show_hidden(true))).await;
    assert_eq!(all, ["main", "secret", "visible"]);
}

#[tokio::test]
async fn a_transactions_branch_is_hidden_while_it_runs() {
    let fake = FakeLakeFs::start().await;
    let repo = s3_repository(&fake, "txhidden").await;
    let main = repo.branch("main");
    let observer = repo.clone();
    main.transact(move |tx| {
        let repo = observer.clone();
        async move {
            tx.object("a").upload("a").await?;
            let visible = names(repo.branches()).await;
            let all =
                names(repo.branches_with(ListBranchesOptions::default().show_hidden(true))).await;
            assert_eq!(visible, ["main"]);
            assert!(all.contains(&tx.id().to_string()), "{all:?}");
            Ok(())
        }
    })
    .await
    .unwrap();
    let all = names(repo.branches_with(ListBranchesOptions::default().show_hidden(true))).await;
    assert_eq!(all, ["main"]);
    assert!(main.object("a").exists().await.unwrap());
}

#[tokio::test]
async fn revert_undoes_a_commit_and_cherry_pick_applies_one() {
    let fake = FakeLakeFs::start().await;
    let repo = s3_repository(&fake, "revert").await;
    let main = repo.branch("main");
    main.object("keep.txt").upload("keep").await.unwrap();
    main.commit("keep").await.unwrap();
    main.object("mistake.txt").upload("oops").await.unwrap();
    let mistake = main.commit("mistake").await.unwrap();
    main.revert(mistake.id.clone()).await.unwrap();
    assert!(!main.object("mistake.txt").exists().await.unwrap());
    assert!(main.object("keep.txt").exists().await.unwrap());
    let head = main.head().await.unwrap().info().await.unwrap();
    assert_ne!(head.id, mistake.id);
    assert_eq!(head.parents, std::slice::from_ref(&mistake.id));

    let feature = repo.branch("feature").create("main").await.unwrap();
    feature.object("fix.txt").upload("fix").await.unwrap();
    let fix = feature.commit("the fix").await.unwrap();
    let picked = main.cherry_pick(fix.id.clone()).await.unwrap();
    assert_ne!(picked.id, fix.id);
    assert_eq!(text(&main.object("fix.txt")).await, "fix");
    assert_eq!(main.head().await.unwrap().id(), picked.id);

    // Reverting what is not a commit of the repository is the server's typed error.
    let err = main.revert("no-such-commit").await.unwrap_err();
    assert!(
        err.is_not_found() || err.kind() == lakefs::ErrorKind::BadRequest,
        "{err}"
    );
}

#[tokio::test]
async fn imports_bring_objects_from_the_store_in_one_commit() {
    let fake = FakeLakeFs::start().await;
    let repo = s3_repository(&fake, "imports").await;
    for (key, content) in [
        ("s3://source/raw/2024/a.csv", "a"),
        ("s3://source/raw/2024/b.csv", "bb"),
        ("s3://source/other/c.csv", "c"),
    ] {
        fake.seed_object(key, content.as_bytes()).await.unwrap();
    }
    let main = repo.branch("main");
    let job = main
        .import_data("import raw")
        .prefix("s3://source/raw/", "tables/")
        .object("s3://source/other/c.csv", "single/c.csv")
        .metadata([("source", "s3")])
        .await
        .unwrap();
    let mut polls = 0;
    let status = job
        .wait(Duration::from_millis(10), |_| polls += 1)
        .await
        .unwrap()
        .unwrap();
    assert!(status.completed);
    assert!(polls >= 1);
    let commit = status.commit.expect("the import commit");
    assert_eq!(commit.message, "import raw");
    assert_eq!(main.head().await.unwrap().id(), commit.id);
    let paths: Vec<String> = main
        .objects("")
        .map_ok(|o| o.path)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        paths,
        ["single/c.csv", "tables/2024/a.csv", "tables/2024/b.csv"]
    );
    assert_eq!(text(&main.object("tables/2024/b.csv")).await, "bb");
}

#[tokio::test]
async fn a_failed_import_reports_the_servers_error() {
    let fake = FakeLakeFs::start().await;
    let repo = s3_repository(&fake, "badimport").await;
    let job = repo
        .branch("main")
        .import_data("import from the wrong store")
        .prefix("gs://elsewhere/raw/", "raw/")
        .await
        .unwrap();
    let error = job
        .wait(Duration::from_millis(10), |_| {})
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        error.message.contains("gs://elsewhere/raw/"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn repository_metadata_and_sample_data() {
    let fake = FakeLakeFs::start().await;
    let repo = s3_repository(&fake, "meta").await;
    assert!(repo.metadata().await.unwrap().is_empty());
    let set = lakefs::models::RepositoryMetadataSet::new([("owner", "data-team")]);
    repo.client()
        .api()
        .set_repository_metadata(repo.id(), &set)
        .await
        .unwrap();
    assert_eq!(
        repo.metadata()
            .await
            .unwrap()
            .get("owner")
            .map(String::as_str),
        Some("data-team")
    );

    let samples = repo.client().repository("samples");
    samples
        .create("s3://lake/samples")
        .sample_data(true)
        .await
        .unwrap();
    let objects: Vec<_> = samples
        .branch("main")
        .objects("")
        .try_collect()
        .await
        .unwrap();
    assert!(!objects.is_empty());
}
