//! The blocking handles against the fake: the same operations as the async tests, without
//! async code (the fake runs on its own thread).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use lakefs::blocking::{Client, Repository};
use lakefs_testkit::fake::BlockingFakeLakeFs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicU32, Ordering};

fn repository() -> (BlockingFakeLakeFs, Repository) {
    let fake = BlockingFakeLakeFs::start().unwrap();
    let client = Client::new(fake.client().unwrap());
    let repo = client.repository("repo");
    repo.create("mem://tests/repo").run().unwrap();
    (fake, repo)
}

fn read_all(object: &lakefs::blocking::Object) -> String {
    let mut text = String::new();
    object.reader().read_to_string(&mut text).unwrap();
    text
}

#[test]
fn repositories_branches_commits_and_tags() {
    let (_fake, repo) = repository();
    assert!(repo.create("mem://x").run().unwrap_err().is_conflict());
    repo.create("mem://x").exist_ok(true).run().unwrap();
    assert_eq!(repo.properties().unwrap().default_branch, "main");

    let feature = repo.branch("feature").create("main").run().unwrap();
    feature
        .object("a.txt")
        .upload("a")
        .content_type("text/plain")
        .run()
        .unwrap();
    assert_eq!(feature.uncommitted().count(), 1);
    let commit = feature
        .commit("add a")
        .metadata([("k", "v")])
        .run()
        .unwrap();
    assert_eq!(feature.head().unwrap().id(), commit.id);
    assert_eq!(
        repo.commit(commit.id.clone()).info().unwrap().message,
        "add a"
    );
    let branches: Vec<String> = repo.branches().map(|b| b.unwrap().id).collect();
    assert_eq!(branches, ["feature", "main"]);

    let paths: Vec<String> = feature.objects("").map(|o| o.unwrap().path).collect();
    assert_eq!(paths, ["a.txt"]);
    let log: Vec<String> = feature.log().map(|c| c.unwrap().message).collect();
    assert_eq!(log[0], "add a");
    let diff: Vec<String> = repo
        .branch("main")
        .diff("feature")
        .map(|d| d.unwrap().path)
        .collect();
    assert_eq!(diff, ["a.txt"]);

    let tag = repo.tag("v1").create("feature").run().unwrap();
    assert_eq!(tag.target().unwrap().commit_id, commit.id);
    assert_eq!(repo.tags().count(), 1);
    tag.delete().unwrap();

    let merged = feature.merge_into(&repo.branch("main")).run().unwrap();
    assert_eq!(repo.branch("main").head().unwrap().id(), merged);
    assert_eq!(read_all(&repo.reference("main").object("a.txt")), "a");
    assert_eq!(repo.commits().next().unwrap().unwrap().id, merged);

    feature.object("b").upload("b").run().unwrap();
    feature.reset().unwrap();
    assert!(!feature.object("b").exists().unwrap());
    assert!(feature.delete_objects(["a.txt"]).unwrap().is_empty());
    feature.delete().unwrap();
    assert!(feature.head().unwrap_err().is_not_found());
}

#[test]
fn objects_read_seek_write_copy_and_files() {
    let (_fake, repo) = repository();
    let main = repo.branch("main");
    let object = main.object("data/big.bin");
    let data: Vec<u8> = (0..2_500_000u32).map(|i| (i % 239) as u8).collect();
    let mut writer = object.writer();
    for piece in data.chunks(100_003) {
        writer.write_all(piece).unwrap();
    }
    assert_eq!(writer.finish().unwrap().size_bytes, Some(data.len() as i64));

    let mut reader = object.reader();
    reader.seek(SeekFrom::Start(1_000_000)).unwrap();
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).unwrap();
    assert_eq!(rest, data[1_000_000..]);
    assert_eq!(reader.size(), Some(data.len() as u64));

    // Dropped unfinished: nothing is linked.
    let mut abandoned = main.object("abandoned").writer();
    abandoned.write_all(&data).unwrap();
    drop(abandoned);
    for _ in 0..10 {
        assert!(!main.object("abandoned").exists().unwrap());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    let first = main.object("c").upload("one").create_only().run().unwrap();
    assert!(
        main.object("c")
            .upload("two")
            .create_only()
            .run()
            .unwrap_err()
            .is_precondition_failed()
    );
    main.object("c")
        .upload("two")
        .if_match(&first.checksum)
        .run()
        .unwrap();
    let copy = main.object("c").copy_to(&main, "c-copy").unwrap();
    assert_eq!(read_all(&copy), "two");
    assert_eq!(main.object("c").stat().unwrap().size_bytes, Some(3));
    main.object("c").delete().unwrap();

    let dir = std::env::temp_dir().join(format!("lakefs-blocking-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("up/sub")).unwrap();
    std::fs::write(dir.join("up/x"), "x").unwrap();
    std::fs::write(dir.join("up/sub/y"), "yy").unwrap();
    let up = main.upload_dir(dir.join("up"), "tree").run().unwrap();
    assert_eq!((up.files, up.bytes), (2, 3));
    let down = main.download_dir("tree", dir.join("down")).run().unwrap();
    assert_eq!(down.files, 2);
    assert_eq!(
        std::fs::read_to_string(dir.join("down/sub/y")).unwrap(),
        "yy"
    );
    main.object("file")
        .upload_file(dir.join("up/x"))
        .run()
        .unwrap();
    assert_eq!(
        main.object("file")
            .download(dir.join("file"))
            .run()
            .unwrap(),
        1
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn transactions_commit_retry_and_clean_up() {
    let (_fake, repo) = repository();
    let main = repo.branch("main");
    main.object("n").upload("0").run().unwrap();
    main.commit("base").run().unwrap();
    let runs = AtomicU32::new(0);
    main.transaction()
        .commit_message("increment")
        .run(|tx| {
            let run = runs.fetch_add(1, Ordering::SeqCst);
            let current: u32 = read_all(&tx.object("n")).parse().unwrap();
            if run == 0 {
                main.object("n").upload("10").run()?;
                main.commit("concurrent").run()?;
            }
            tx.object("n").upload((current + 1).to_string()).run()?;
            Ok::<_, lakefs::Error>(())
        })
        .unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    assert_eq!(read_all(&main.object("n")), "11");

    let err = main
        .transact(|tx| {
            tx.object("half").upload("h").run()?;
            tx.object("missing").stat()
        })
        .unwrap_err();
    assert!(err.is_not_found());
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        main.transact(|tx| -> lakefs::Result<()> {
            tx.object("p").upload("p").run()?;
            panic!("the closure panics")
        })
    }));
    assert!(panicked.is_err());
    let hidden = lakefs::api::ListBranchesOptions::default().show_hidden(true);
    let left: Vec<String> = repo
        .branches_with(hidden)
        .map(|b| b.unwrap().id)
        .filter(|b| b.starts_with(lakefs::TRANSACTION_BRANCH_PREFIX))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert!(!main.object("half").exists().unwrap());
    assert!(!main.object("p").exists().unwrap());
}

#[test]
fn the_blocking_builder_builds_a_blocking_client() {
    let fake = BlockingFakeLakeFs::start().unwrap();
    let client: Client = Client::builder()
        .endpoint(fake.endpoint())
        .access_key(fake.access_key_id(), fake.secret_access_key())
        .build()
        .unwrap();
    assert_eq!(client.repositories().count(), 0);
    let missing = Client::builder().build().unwrap_err();
    assert_eq!(missing.kind(), lakefs::ErrorKind::Config);
}

#[test]
fn revert_cherry_pick_imports_and_metadata() {
    let fake = BlockingFakeLakeFs::start().unwrap();
    let client = Client::new(fake.client().unwrap());
    let repo = client.repository("later");
    repo.create("s3://lake/later").run().unwrap();
    let main = repo.branch("main");
    main.object("oops").upload("x").run().unwrap();
    let oops = main.commit("oops").run().unwrap();
    main.revert(oops.id).unwrap();
    assert!(!main.object("oops").exists().unwrap());

    let feature = repo.branch("f").create("main").hidden(true).run().unwrap();
    assert_eq!(repo.branches().count(), 1);
    feature.object("fix").upload("fix").run().unwrap();
    let fix = feature.commit("fix").run().unwrap();
    main.cherry_pick(fix.id).unwrap();
    assert_eq!(read_all(&main.object("fix")), "fix");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(fake.fake().seed_object("s3://source/d/a.csv", b"a"))
        .unwrap();
    let job = main
        .import_data("import")
        .prefix("s3://source/d/", "d/")
        .run()
        .unwrap();
    let status = job
        .wait(std::time::Duration::from_millis(10), |_| {})
        .unwrap()
        .unwrap();
    assert!(status.completed);
    assert_eq!(read_all(&main.object("d/a.csv")), "a");
    assert!(repo.metadata().unwrap().is_empty());
}
