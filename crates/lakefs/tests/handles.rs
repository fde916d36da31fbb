//! Every handle method the fake lakeFS serves, against it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

mod support;

use futures::TryStreamExt;
use lakefs::{ErrorKind, models};

#[tokio::test]
async fn repository_create_properties_and_listing() {
    let (_fake, client) = support::fake().await;
    let repo = client.repository("repo");
    let created = repo
        .create("mem://tests/repo")
        .default_branch("trunk")
        .await
        .unwrap();
    assert_eq!(created.id, "repo");
    assert_eq!(created.default_branch, "trunk");

    // Again: a typed conflict, unless it may exist.
    let err = repo.create("mem://tests/repo").await.unwrap_err();
    assert!(err.is_conflict(), "{err}");
    let again = repo.create("mem://elsewhere").exist_ok(true).await.unwrap();
    assert_eq!(again.storage_namespace, "mem://tests/repo");

    let properties = repo.properties().await.unwrap();
    assert_eq!(properties.default_branch, "trunk");
    let listed: Vec<String> = client
        .repositories()
        .map_ok(|r| r.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed, ["repo"]);

    repo.delete().await.unwrap();
    assert!(repo.properties().await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn branches_create_head_commit_and_delete() {
    let (_fake, repo) = support::repository().await;
    let main = repo.branch("main");
    let feature = repo.branch("feature").create("main").await.unwrap();
    assert_eq!(feature.id(), "feature");
    assert_eq!(
        feature.head().await.unwrap().id(),
        main.head().await.unwrap().id()
    );
    assert!(
        repo.branch("feature")
            .create("main")
            .await
            .unwrap_err()
            .is_conflict()
    );
    repo.branch("feature")
        .create("main")
        .exist_ok(true)
        .await
        .unwrap();

    feature.object("a.txt").upload("a").await.unwrap();
    let commit = feature
        .commit("add a")
        .metadata([("author", "tests")])
        .await
        .unwrap();
    assert_eq!(commit.message, "add a");
    assert_eq!(
        commit.metadata.unwrap().get("author").map(String::as_str),
        Some("tests")
    );
    assert_eq!(feature.head().await.unwrap().id(), commit.id);
    let info = repo.commit(commit.id.clone()).info().await.unwrap();
    assert_eq!(info.message, "add a");

    // Nothing staged: lakeFS refuses an empty commit unless allowed.
    let err = feature.commit("nothing").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest, "{err}");
    feature.commit("nothing").allow_empty(true).await.unwrap();

    let names: Vec<String> = repo
        .branches()
        .map_ok(|b| b.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names, ["feature", "main"]);
    feature.delete().await.unwrap();
    assert!(feature.head().await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn uncommitted_changes_and_resets() {
    let (_fake, repo) = support::repository().await;
    let main = repo.branch("main");
    for path in ["a/1", "a/2", "b/1"] {
        main.object(path).upload("x").await.unwrap();
    }
    let changes: Vec<models::Diff> = main.uncommitted().try_collect().await.unwrap();
    assert_eq!(changes.len(), 3);

    main.reset_object("b/1").await.unwrap();
    let paths: Vec<String> = main
        .uncommitted()
        .map_ok(|d| d.path)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(paths, ["a/1", "a/2"]);
    main.reset_prefix("a/").await.unwrap();
    assert_eq!(
        main.uncommitted()
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .len(),
        0
    );

    main.object("c").upload("x").await.unwrap();
    main.reset().await.unwrap();
    assert!(!main.object("c").exists().await.unwrap());
}

#[tokio::test]
async fn delete_objects_deletes_more_than_a_batch() {
    let (_fake, repo) = support::repository().await;
    let main = repo.branch("main");
    // More than one batch (tests/requests.rs checks the batches themselves).
    let count = 1000 + 5;
    for i in 0..count {
        main.object(format!("many/{i:05}"))
            .upload("x")
            .await
            .unwrap();
    }
    let paths: Vec<String> = main
        .objects("many/")
        .map_ok(|o| o.path)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(paths.len(), count);
    let failures = main.delete_objects(paths).await.unwrap();
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(
        main.objects("many/")
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn references_objects_log_and_diff() {
    let (_fake, repo) = support::repository().await;
    let main = repo.branch("main");
    for path in ["data/a.csv", "data/sub/b.csv", "other.txt"] {
        main.object(path).upload(path.to_string()).await.unwrap();
    }
    let first = main.commit("first").await.unwrap();
    main.object("data/c.csv").upload("c").await.unwrap();
    let second = main.commit("second").await.unwrap();

    let under_data: Vec<String> = main
        .objects("data/")
        .map_ok(|o| o.path)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(under_data, ["data/a.csv", "data/c.csv", "data/sub/b.csv"]);
    let top_level: Vec<(String, String)> = main
        .objects_with(
            lakefs::api::ListObjectsOptions::default()
                .prefix("data/")
                .delimiter("/"),
        )
        .map_ok(|o| (o.path, o.path_type.as_str().to_string()))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        top_level,
        [
            ("data/a.csv".to_string(), "object".to_string()),
            ("data/c.csv".to_string(), "object".to_string()),
            ("data/sub/".to_string(), "common_prefix".to_string()),
        ]
    );

    let log: Vec<String> = main
        .log()
        .map_ok(|c| c.message)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(&log[..2], ["second", "first"]);
    // A ref expression, and a commit handle, read the same way.
    let previous = repo.reference("main~1");
    assert_eq!(previous.get_commit().await.unwrap().id, first.id);
    assert!(!previous.object("data/c.csv").exists().await.unwrap());
    let at_first = repo.commit(first.id.clone());
    assert_eq!(
        at_first
            .objects("")
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .len(),
        3
    );

    let diff: Vec<(String, String)> = at_first
        .diff(&second.id)
        .map_ok(|d| (d.path, d.type_.as_str().to_string()))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(diff, [("data/c.csv".to_string(), "added".to_string())]);

    let commits: Vec<String> = repo.commits().map_ok(|c| c.id).try_collect().await.unwrap();
    assert_eq!(&commits[..2], [second.id.clone(), first.id.clone()]);
}

#[tokio::test]
async fn tags_create_target_list_and_delete() {
    let (_fake, repo) = support::repository().await;
    let main = repo.branch("main");
    main.object("a").upload("a").await.unwrap();
    let commit = main.commit("a").await.unwrap();
    let tag = repo.tag("v1").create("main").await.unwrap();
    assert_eq!(tag.target().await.unwrap().commit_id, commit.id);
    assert!(tag.object("a").exists().await.unwrap());
    assert!(
        repo.tag("v1")
            .create("main")
            .await
            .unwrap_err()
            .is_conflict()
    );
    repo.tag("v1").create("main").exist_ok(true).await.unwrap();
    let tags: Vec<String> = repo.tags().map_ok(|t| t.id).try_collect().await.unwrap();
    assert_eq!(tags, ["v1"]);
    tag.delete().await.unwrap();
    assert!(tag.target().await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn merges_and_typed_conflicts() {
    let (_fake, repo) = support::repository().await;
    let main = repo.branch("main");
    main.object("shared.txt").upload("base").await.unwrap();
    main.commit("base").await.unwrap();
    let feature = repo.branch("feature").create("main").await.unwrap();

    feature.object("new.txt").upload("new").await.unwrap();
    feature.commit("new").await.unwrap();
    let merged = feature
        .merge_into(&main)
        .message("merge feature")
        .await
        .unwrap();
    assert_eq!(main.head().await.unwrap().id(), merged);
    assert!(main.object("new.txt").exists().await.unwrap());

    // Both sides change the same path: a 409 with the server's merge report.
    main.object("shared.txt").upload("main's").await.unwrap();
    main.commit("main side").await.unwrap();
    feature
        .object("shared.txt")
        .upload("feature's")
        .await
        .unwrap();
    feature.commit("feature side").await.unwrap();
    let err = feature.merge_into(&main).await.unwrap_err();
    assert!(err.is_conflict(), "{err}");
    // A strategy settles it.
    feature
        .merge_into(&main)
        .strategy("source-wins")
        .await
        .unwrap();
    let content = main.object("shared.txt").reader();
    let mut text = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut { content }, &mut text)
        .await
        .unwrap();
    assert_eq!(text, "feature's");
}

#[tokio::test]
async fn objects_stat_exists_metadata_copy_and_delete() {
    let (_fake, repo) = support::repository().await;
    let main = repo.branch("main");
    let object = main.object("data/a.txt");
    assert!(!object.exists().await.unwrap());
    assert!(object.stat().await.unwrap_err().is_not_found());
    let stats = object
        .upload("hello")
        .content_type("text/plain")
        .metadata([("owner", "tests")])
        .await
        .unwrap();
    assert_eq!(stats.size_bytes, Some(5));
    assert!(object.exists().await.unwrap());
    let stat = object.stat().await.unwrap();
    assert_eq!(stat.content_type.as_deref(), Some("text/plain"));
    assert_eq!(stat.checksum, stats.checksum);
    assert_eq!(
        object
            .metadata()
            .await
            .unwrap()
            .get("owner")
            .map(String::as_str),
        Some("tests")
    );

    let feature = repo.branch("feature").create("main").await.unwrap();
    let copy = object.copy_to(&feature, "copied/a.txt").await.unwrap();
    assert_eq!(copy.stat().await.unwrap().size_bytes, Some(5));

    object.delete().await.unwrap();
    assert!(!object.exists().await.unwrap());
}

#[tokio::test]
async fn uploads_create_only_and_if_match() {
    let (_fake, repo) = support::repository().await;
    let object = repo.branch("main").object("a.txt");
    let first = object.upload("one").create_only().await.unwrap();
    let err = object.upload("two").create_only().await.unwrap_err();
    assert!(err.is_precondition_failed(), "{err}");

    let err = object
        .upload("two")
        .if_match("not-the-etag")
        .await
        .unwrap_err();
    assert!(err.is_precondition_failed(), "{err}");
    let second = object
        .upload("two")
        .if_match(&first.checksum)
        .await
        .unwrap();
    assert_ne!(second.checksum, first.checksum);
}

#[tokio::test]
async fn upload_and_download_files() {
    let (_fake, repo) = support::repository().await;
    let dir = tempdir("files");
    let source = dir.join("source.bin");
    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&source, &content).unwrap();

    let object = repo.branch("main").object("data/file.bin");
    let stats = object.upload_file(&source).await.unwrap();
    assert_eq!(stats.size_bytes, Some(content.len() as i64));
    let target = dir.join("target.bin");
    assert_eq!(
        object.download(&target).await.unwrap(),
        content.len() as u64
    );
    assert_eq!(std::fs::read(&target).unwrap(), content);

    // A failed download leaves no file, partial or final.
    let missing = dir.join("missing.bin");
    let err = repo
        .branch("main")
        .object("nope")
        .download(&missing)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !left.iter().any(|name| name.contains("missing")),
        "{left:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A fresh directory under the system's temporary directory.
pub fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(
        format!(
            "lakefs-tests-{name}-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        )
        .replace([' ', ':', '{', '}', ','], ""),
    );
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
