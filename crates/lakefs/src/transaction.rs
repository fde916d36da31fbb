//! Transactions: [`Branch::transact`].

use crate::{Branch, Error, Result};
use futures::StreamExt;
use lakefs_api::{BranchesApi, models};
use std::collections::BTreeMap;
use std::future::Future;

/// How many times [`Transaction::run`] runs its closure when merges keep conflicting.
pub const DEFAULT_TRANSACTION_ATTEMPTS: u32 = 3;

/// The prefix of the hidden branches of transactions (`tx-<random>`), as the Python SDK names
/// them.
pub const TRANSACTION_BRANCH_PREFIX: &str = "tx-";

impl Branch {
    /// Runs `body` as one atomic change of this branch, with the default settings (see
    /// [`transaction`](Self::transaction), and [`Transaction::run`] for what happens and for
    /// closures with errors of their own). **`body` may run more than once**: when the merge
    /// back conflicts, it runs again on a fresh hidden branch.
    ///
    /// ```no_run
    /// # async fn run(main: lakefs::Branch) -> lakefs::Result<()> {
    /// main.transact(|tx| async move {
    ///     tx.object("data/a.csv").upload("a,b\n1,2\n").await?;
    ///     tx.object("data/old.csv").delete().await?;
    ///     Ok(())
    /// })
    /// .await?;
    /// # Ok(()) }
    /// ```
    pub async fn transact<F, Fut, T>(&self, body: F) -> Result<T>
    where
        F: FnMut(Branch) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        self.transaction().run(body).await
    }

    /// A transaction on this branch, to configure then [`run`](Transaction::run).
    pub fn transaction(&self) -> Transaction {
        Transaction {
            branch: self.clone(),
            message: format!("transaction on {}", self.id()),
            metadata: BTreeMap::new(),
            max_attempts: DEFAULT_TRANSACTION_ATTEMPTS,
            tag: None,
        }
    }
}

/// An atomic change of a branch: the closure works on a hidden branch made from it, whose
/// changes are committed and merged back at once, or not at all.
#[derive(Debug, Clone)]
pub struct Transaction {
    branch: Branch,
    message: String,
    metadata: BTreeMap<String, String>,
    max_attempts: u32,
    tag: Option<String>,
}

impl Transaction {
    /// The message of the commit of the transaction's changes (and of the merge).
    pub fn commit_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// The metadata of that commit.
    pub fn metadata(
        mut self,
        metadata: impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>,
    ) -> Self {
        self.metadata = metadata
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self
    }

    /// How many times the closure may run in all when the merge back conflicts (409) because
    /// the branch changed meanwhile (default [`DEFAULT_TRANSACTION_ATTEMPTS`]; 1: no retry).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Tags the merge commit with `tag` once the transaction is merged (as the Python SDK's
    /// `tag=`). Tagging comes after the merge: when it fails, the error is returned although
    /// the changes are on the branch.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    /// Runs the transaction:
    ///
    /// 1. creates a hidden branch `tx-<random>` from the branch;
    /// 2. runs `body` with a handle on it: read and write there, as on any branch;
    /// 3. commits what `body` left uncommitted and merges the hidden branch into the branch;
    /// 4. deletes the hidden branch.
    ///
    /// When `body` fails, the hidden branch is deleted and the branch is untouched. When it
    /// panics or the future is dropped (cancelled), the hidden branch is deleted by a task
    /// spawned on the current runtime (best effort). When the merge conflicts, everything
    /// starts again on a fresh hidden branch from the branch's new head, up to
    /// [`max_attempts`](Self::max_attempts) runs, after which the conflict is returned.
    ///
    /// **`body` may therefore run more than once**: it is an `FnMut`, and what it does outside
    /// the hidden branch (sending a message, counting) happens once per run.
    ///
    /// Its error type is yours, as long as an SDK [`Error`] converts into it (`E: From<Error>`);
    /// the SDK's failures (creating, committing, merging) come back converted.
    pub async fn run<F, Fut, T, E>(self, mut body: F) -> std::result::Result<T, E>
    where
        F: FnMut(Branch) -> Fut,
        Fut: Future<Output = std::result::Result<T, E>>,
        E: From<Error>,
    {
        let mut attempt = 1;
        loop {
            let (tx, base) = self.start().await?;
            let mut cleanup = Cleanup::armed(tx.clone());
            let value = match body(tx.clone()).await {
                Ok(value) => value,
                Err(err) => {
                    cleanup.delete_now().await;
                    return Err(err);
                }
            };
            let outcome = self.commit_and_merge(&tx, &base).await;
            cleanup.delete_now().await;
            match outcome {
                Ok(merged) => {
                    self.tag_merge(merged).await?;
                    return Ok(value);
                }
                Err(err) if err.is_conflict() && attempt < self.max_attempts => attempt += 1,
                Err(err) => return Err(err.into()),
            }
        }
    }

    /// How many runs in all.
    pub(crate) fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Creates the hidden branch; answers it and the commit it starts from.
    pub(crate) async fn start(&self) -> Result<(Branch, String)> {
        let repository = self.branch.repository();
        let tx = repository.branch(transaction_branch_name());
        let creation = models::BranchCreation::new(tx.id(), self.branch.id()).with_hidden(true);
        let base = self
            .branch
            .api()
            .create_branch(repository.id(), &creation)
            .await?;
        Ok((tx, base))
    }

    /// Commits what the hidden branch holds uncommitted and merges it back, unless nothing
    /// changed since `base`.
    pub(crate) async fn commit_and_merge(&self, tx: &Branch, base: &str) -> Result<Option<String>> {
        let mut uncommitted = tx.uncommitted();
        let has_changes = match uncommitted.next().await {
            Some(change) => change.map(|_| true)?,
            None => false,
        };
        drop(uncommitted);
        if has_changes {
            tx.commit(self.message.clone())
                .metadata(self.metadata.clone())
                .await?;
        }
        let head = tx.head().await?;
        if head.id() == base {
            return Ok(None); // nothing changed: nothing to merge
        }
        tx.merge_into(&self.branch)
            .message(self.message.clone())
            .metadata(self.metadata.clone())
            .await
            .map(Some)
    }

    /// Tags the merge commit, if a tag was asked for (the branch's head when nothing merged).
    pub(crate) async fn tag_merge(&self, merged: Option<String>) -> Result<()> {
        let Some(tag) = &self.tag else {
            return Ok(());
        };
        let target = match merged {
            Some(commit) => commit,
            None => self.branch.head().await?.id().to_string(),
        };
        self.branch
            .repository()
            .tag(tag.clone())
            .create(target)
            .await?;
        Ok(())
    }
}

/// Deletes a transaction's hidden branch however the transaction ends: awaited on the normal
/// paths, from a spawned task when dropped armed (a panic, a cancelled future).
struct Cleanup {
    branch: Option<Branch>,
}

impl Cleanup {
    fn armed(branch: Branch) -> Self {
        Cleanup {
            branch: Some(branch),
        }
    }

    /// Deletes the branch now; if that fails, the drop tries once more in the background.
    async fn delete_now(&mut self) {
        if let Some(branch) = &self.branch
            && branch.delete().await.is_ok()
        {
            self.branch = None;
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let Some(branch) = self.branch.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = branch.delete().await;
            });
        }
    }
}

/// `tx-` and 32 random hex digits.
fn transaction_branch_name() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    // RandomState is seeded randomly per process (and per instance): two of them give 128
    // unpredictable bits over the time and a counter.
    let word = |salt: u64| {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(nanos);
        hasher.write_u64(count);
        hasher.write_u64(salt);
        hasher.finish()
    };
    format!(
        "{TRANSACTION_BRANCH_PREFIX}{:016x}{:016x}",
        word(0),
        word(1)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_branch_names_are_valid_and_distinct() {
        let names: std::collections::HashSet<String> =
            (0..1000).map(|_| transaction_branch_name()).collect();
        assert_eq!(names.len(), 1000);
        for name in &names {
            assert!(name.starts_with(TRANSACTION_BRANCH_PREFIX), "{name}");
            assert!(
                name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "{name}"
            );
        }
    }
}
