//! Transactions against the fake: success, failure, panic, cancellation, conflict retries;
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions
//! every way out leaves no `tx-` branch behind.

mod support;

use futures::TryStreamExt;
use lakefs::{Branch, Repository, TRANSACTION_BRANCH_PREFIX};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Every branch, hidden ones included.
async fn all_branches(repo: &Repository) -> Vec<String> {
    repo.branches_with(lakefs::api::ListBranchesOptions::default().show_hidden(true))
        .map_ok(|b| b.id)
        .try_collect()
        .await
        .unwrap()
}

/// Waits (a few seconds at most) until no transaction branch is left: the cleanup after a
/// panic or a cancellation runs in a spawned task.
async fn assert_no_transaction_branch_left(repo: &Repository) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let left: Vec<String> = all_branches(repo)
            .await
            .into_iter()
            .filter(|b| b.starts_with(TRANSACTION_BRANCH_PREFIX))
            .collect();
        if left.is_empty() {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "transaction branches left: {left:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn text(branch: &Branch, path: &str) -> String {
    let mut text = String::new();
    branch
        .object(path)
        .reader()
        .read_to_string(&mut text)
        .await
        .unwrap();
    text
}

#[tokio::test]
async fn a_transaction_commits_and_merges_its_changes_at_once() {
    let (_fake, repo) = support::repository().await;
    let main = repo.branch("main");
    main.object("old.csv").upload("old").await.unwrap();
    main.commit("base").await.unwrap();
    let before = main.head().await.unwrap();

    let seen_from = main
        .transaction()
        .commit_message("replace the table")
        .metadata([("job", "tests")])
        .tag("v1")
        .run(|tx| async move {
            assert!(tx.id().starts_with(TRANSACTION_BRANCH_PREFIX));
            tx.object("new.csv").upload("new").await?;
            tx.object("old.csv").delete().await?;
            Ok::<_, lakefs::Error>(tx.id().to_string())
        })
        .await
        .unwrap();
    assert!(seen_from.starts_with(TRANSACTION_BRANCH_PREFIX));
    assert!(main.object("new.csv").exists().await.unwrap());
    assert!(!main.object("old.csv").exists().await.unwrap());
    let log: Vec<lakefs::models::Commit> = main.log().try_collect().await.unwrap();
    assert_ne!(log[0].id, before.id());
    assert_eq!(repo.tag("v1").target().await.unwrap().commit_id, log[0].id);
    assert!(log.iter().any(|c| {
        c.message == "replace the table"
            && c.metadata
                .as_ref()
                .and_then(|m| m.get("job"))
                .map(String::as_str)
                == Some("tests")
    }));
    assert_no_transaction_branch_left(&repo).await;
}

#[tokio::test]
async fn a_transaction_without_changes_changes_nothing() {
    let (_fake, repo) = support::repository().await;
    let main = repo.branch("main");
    let before = main.head().await.unwrap();
    main.transact(|_tx| async { Ok::<_, lakefs::Error>(()) })
        .await
        .unwrap();
    assert_eq!(main.head().await.unwrap().id(), before.id());
    assert_no_transaction_branch_left(&repo).await;
}

#[tokio::test]
async fn a_failing_transaction_leaves_the_branch_untouched() {
    let (_fake, repo) = support::repository().await;
    let main = repo.branch("main");
    let before = main.head().await.unwrap();
    let err = main
        .transact(|tx| async move {
            tx.object("half.csv").upload("half").await?;
            tx.object("x").stat().await?; // fails: 404
            Ok(())
        })
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(main.head().await.unwrap().id(), before.id());
    assert!(!main.object("half.csv").exists().await.unwrap());
    assert_no_transaction_branch_left(&repo).await;
}

#[tokio::test]
async fn a_panicking_transaction_leaves_no_branch_behind() {
    let (_fake, repo) = support::repository().await;
    let main = repo.branch("main");
    let task = tokio::spawn({
        let main = main.clone();
        async move {
            main.transact(|tx| async move {
                tx.object("a").upload("a").await?;
                if tx.id().starts_with(TRANSACTION_BRANCH_PREFIX) {
                    panic!("the closure panics");
                }
                Ok::<_, lakefs::Error>(())
            })
            .await
        }
    });
    assert!(task.await.unwrap_err().is_panic());
    assert_no_transaction_branch_left(&repo).await;
    assert!(!main.object("a").exists().await.unwrap());
}

#[tokio::test]
async fn a_cancelled_transaction_leaves_no_branch_behind() {
    let (_fake, repo) = support::repository().await;
    let main = repo.branch("main");
    let started = Arc::new(tokio::sync::Notify::new());
    let notify = started.clone();
    let transaction = main.transact(move |tx| {
        let notify = notify.clone();
        async move {
            tx.object("a").upload("a").await?;
            notify.notify_one();
            std::future::pending::<()>().await;
            Ok::<_, lakefs::Error>(())
        }
    });
    // Cancel it (drop the future) once its hidden branch exists and it is waiting.
    tokio::select! {
        _ = transaction => panic!("the transaction cannot finish"),
        _ = started.notified() => {}
    }
    assert_no_transaction_branch_left(&repo).await;
    assert!(!main.object("a").exists().await.unwrap());
}

#[tokio::test]
async fn a_conflicting_merge_runs_the_closure_again() {
    let (_fake, repo) = support::repository().await;
    let main = repo.branch("main");
    main.object("counter").upload("0").await.unwrap();
    main.commit("base").await.unwrap();
    let runs = Arc::new(AtomicU32::new(0));

    let counted = runs.clone();
    let writer = main.clone();
    main.transaction()
        .max_attempts(3)
        .run(move |tx| {
            let runs = counted.clone();
            let main = writer.clone();
            async move {
                let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
                let current = text(&tx, "counter").await;
                if run == 1 {
                    // Someone else changes the same path on main meanwhile.
                    main.object("counter").upload("10").await?;
                    main.commit("concurrent writer").await?;
                }
                let next = current.parse::<u32>().unwrap() + 1;
                tx.object("counter").upload(next.to_string()).await?;
                Ok::<_, lakefs::Error>(())
            }
        })
        .await
        .unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    // The second run started from the concurrent writer's value.
    assert_eq!(text(&main, "counter").await, "11");
    assert_no_transaction_branch_left(&repo).await;
}

#[tokio::test]
async fn conflicts_beyond_the_attempts_are_returned() {
    let (_fake, repo) = support::repository().await;
    let main = repo.branch("main");
    main.object("p").upload("0").await.unwrap();
    main.commit("base").await.unwrap();
    let runs = Arc::new(AtomicU32::new(0));
    let counted = runs.clone();
    let writer = main.clone();
    let err = main
        .transaction()
        .max_attempts(2)
        .run(move |tx| {
            let runs = counted.clone();
            let main = writer.clone();
            async move {
                let run = runs.fetch_add(1, Ordering::SeqCst);
                // Every run loses the race.
                main.object("p").upload(format!("main {run}")).await?;
                main.commit("concurrent writer").await?;
                tx.object("p").upload(format!("tx {run}")).await?;
                Ok::<_, lakefs::Error>(())
            }
        })
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err}");
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    assert_eq!(text(&main, "p").await, "main 1");
    assert_no_transaction_branch_left(&repo).await;
}
