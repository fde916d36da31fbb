//! The same handles for code that is not async (the `blocking` feature): methods return
//! their answers, lists are iterators, readers and writers are `std::io::Read + Seek` and
//! `std::io::Write`, and a [`Call`] is sent with `.run()`.
//!
//! The handles run on the runtime of a [`lakefs_blocking::LakeFsClient`] (their own, small
//! one): no tokio in your code.
//!
//! ```no_run
//! use std::io::Read;
//!
//! # fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = lakefs::blocking::Client::from_env()?;
//! let repo = client.repository("example");
//! repo.create("s3://bucket/example").exist_ok(true).run()?;
//! let branch = repo.branch("experiment").create("main").exist_ok(true).run()?;
//! branch.object("data/hello.txt").upload("hello").run()?;
//! branch.commit("add hello").run()?;
//! for object in branch.objects("data/") {
//!     println!("{}", object?.path);
//! }
//! let mut text = String::new();
//! branch.object("data/hello.txt").reader().read_to_string(&mut text)?;
//! branch.transact(|tx| {
//!     tx.object("data/a.csv").upload("a,b\n").run()?;
//!     tx.object("data/hello.txt").delete()
//! })?;
//! # Ok(()) }
//! ```

use crate::call::{Call, Mode, Operation};
use crate::{Result, TransferSummary, models};
use futures::StreamExt;
use futures::stream::BoxStream;
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::path::{Path, PathBuf};

/// The blocking mode of a [`Call`]: `.run()` sends it and waits for the answer.
#[derive(Clone, Debug)]
pub struct Blocking {
    runtime: lakefs_blocking::LakeFsClient,
}

impl Mode for Blocking {}

impl Blocking {
    fn run<T: Send>(&self, future: impl Future<Output = Result<T>> + Send) -> Result<T> {
        self.runtime.block_on(future)?
    }

    fn call<A>(&self, call: Call<A>) -> Call<A, Blocking> {
        Call {
            args: call.args,
            mode: self.clone(),
        }
    }

    fn iter<T>(&self, stream: BoxStream<'static, Result<T>>) -> Iter<T> {
        Iter {
            stream: Some(stream),
            mode: self.clone(),
        }
    }
}

/// What an async answer becomes in blocking code: handles become blocking handles, data stays.
pub trait IntoBlocking {
    /// The blocking form.
    type Blocking;
    /// Converts, onto the runtime of `mode`.
    fn into_blocking(self, mode: &Blocking) -> Self::Blocking;
}

macro_rules! stays {
    ($($t:ty),*) => {$(
        impl IntoBlocking for $t {
            type Blocking = $t;
            fn into_blocking(self, _: &Blocking) -> $t { self }
        }
    )*};
}

stays!(
    String,
    models::Repository,
    models::Commit,
    models::ObjectStats,
    TransferSummary,
    u64
);

impl<A: Operation> Call<A, Blocking>
where
    A::Output: IntoBlocking,
{
    /// Sends the call and waits for its answer.
    pub fn run(self) -> Result<<A::Output as IntoBlocking>::Blocking> {
        let mode = self.mode;
        let answer = mode.run(self.args.send())?;
        Ok(answer.into_blocking(&mode))
    }
}

/// A list as a lazy iterator: each page is fetched when the items before it are used up; an
/// error is the last item.
pub struct Iter<T> {
    stream: Option<BoxStream<'static, Result<T>>>,
    mode: Blocking,
}

impl<T> fmt::Debug for Iter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter")
            .field("done", &self.stream.is_none())
            .finish()
    }
}

impl<T: Send> Iterator for Iter<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        let stream = self.stream.as_mut()?;
        let next = match self.mode.runtime.block_on(stream.next()) {
            Ok(next) => next,
            Err(err) => Some(Err(err)),
        };
        if !matches!(next, Some(Ok(_))) {
            self.stream = None;
        }
        next
    }
}

/// The synchronous client: [`crate::Client`] on a runtime of its own.
#[derive(Clone, Debug)]
pub struct Client {
    inner: crate::Client,
    mode: Blocking,
}

impl Client {
    /// A client configured as lakectl is (`LAKECTL_*` variables, then `~/.lakectl.yaml`).
    pub fn from_env() -> Result<Client> {
        Client::builder().with_lakectl_settings()?.build()
    }

    /// A builder with nothing set yet; its `build()` answers this blocking client.
    pub fn builder() -> crate::ClientBuilder<Blocking> {
        crate::ClientBuilder::default()
    }

    /// A client on a low-level blocking client (same runtime and connections).
    pub fn new(runtime: lakefs_blocking::LakeFsClient) -> Client {
        Client {
            inner: crate::Client::new(runtime.async_client().clone()),
            mode: Blocking { runtime },
        }
    }

    /// The low-level blocking client: every operation of the API.
    pub fn api(&self) -> &lakefs_blocking::LakeFsClient {
        &self.mode.runtime
    }

    /// A handle on the repository `id`.
    pub fn repository(&self, id: impl Into<String>) -> Repository {
        Repository {
            inner: self.inner.repository(id),
            mode: self.mode.clone(),
        }
    }

    /// Every repository.
    pub fn repositories(&self) -> Iter<models::Repository> {
        self.mode.iter(self.inner.repositories())
    }

    /// The server's configuration, fetched once.
    pub fn server_config(&self) -> Result<models::Config> {
        self.mode.run(self.inner.server_config())
    }
}

impl crate::ClientBuilder<Blocking> {
    /// Builds the blocking client (and its runtime).
    pub fn build(self) -> Result<Client> {
        Ok(Client::new(lakefs_blocking::LakeFsClient::from_builder(
            self.api,
        )?))
    }
}

/// A repository (see [`crate::Repository`]).
#[derive(Clone, Debug)]
pub struct Repository {
    inner: crate::Repository,
    mode: Blocking,
}

impl Repository {
    /// The repository's name.
    pub fn id(&self) -> &str {
        self.inner.id()
    }

    /// Creates it (see [`crate::Repository::create`]); send with `.run()`.
    pub fn create(
        &self,
        storage_namespace: impl Into<String>,
    ) -> Call<crate::CreateRepository, Blocking> {
        self.mode.call(self.inner.create(storage_namespace))
    }

    /// Deletes it.
    pub fn delete(&self) -> Result<()> {
        self.mode.run(self.inner.delete())
    }

    /// Its properties.
    pub fn properties(&self) -> Result<models::Repository> {
        self.mode.run(self.inner.properties())
    }

    /// Its metadata.
    pub fn metadata(&self) -> Result<BTreeMap<String, String>> {
        self.mode.run(self.inner.metadata())
    }

    /// Every branch.
    pub fn branches(&self) -> Iter<models::Ref> {
        self.mode.iter(self.inner.branches())
    }

    /// The branches chosen by `options`.
    pub fn branches_with(&self, options: lakefs_api::ListBranchesOptions) -> Iter<models::Ref> {
        self.mode.iter(self.inner.branches_with(options))
    }

    /// Every tag.
    pub fn tags(&self) -> Iter<models::Ref> {
        self.mode.iter(self.inner.tags())
    }

    /// The commits of the default branch, newest first.
    pub fn commits(&self) -> Iter<models::Commit> {
        self.mode.iter(self.inner.commits())
    }

    /// A handle on the branch `id`.
    pub fn branch(&self, id: impl Into<String>) -> Branch {
        self.inner.branch(id).into_blocking(&self.mode)
    }

    /// A handle on the tag `id`.
    pub fn tag(&self, id: impl Into<String>) -> Tag {
        self.inner.tag(id).into_blocking(&self.mode)
    }

    /// A handle on the commit `id`.
    pub fn commit(&self, id: impl Into<String>) -> Commit {
        self.inner.commit(id).into_blocking(&self.mode)
    }

    /// A handle on any ref expression.
    pub fn reference(&self, expression: impl Into<String>) -> Reference {
        Reference {
            inner: self.inner.reference(expression),
            mode: self.mode.clone(),
        }
    }
}

/// Any ref (see [`crate::Reference`]).
#[derive(Clone, Debug)]
pub struct Reference {
    inner: crate::Reference,
    mode: Blocking,
}

impl Reference {
    /// The ref expression.
    pub fn id(&self) -> &str {
        self.inner.id()
    }

    /// The object at `path`.
    pub fn object(&self, path: impl Into<String>) -> Object {
        self.inner.object(path).into_blocking(&self.mode)
    }

    /// Every object under `prefix`.
    pub fn objects(&self, prefix: impl Into<String>) -> Iter<models::ObjectStats> {
        self.mode.iter(self.inner.objects(prefix))
    }

    /// The objects chosen by `options` (a delimiter folds common prefixes).
    pub fn objects_with(
        &self,
        options: lakefs_api::ListObjectsOptions,
    ) -> Iter<models::ObjectStats> {
        self.mode.iter(self.inner.objects_with(options))
    }

    /// The commit this ref points at.
    pub fn get_commit(&self) -> Result<models::Commit> {
        self.mode.run(self.inner.get_commit())
    }

    /// The commits reachable from this ref, newest first.
    pub fn log(&self) -> Iter<models::Commit> {
        self.mode.iter(self.inner.log())
    }

    /// The commits chosen by `options`.
    pub fn log_with(&self, options: lakefs_api::LogCommitsOptions) -> Iter<models::Commit> {
        self.mode.iter(self.inner.log_with(options))
    }

    /// What changed from this ref to `other`.
    pub fn diff(&self, other: &str) -> Iter<models::Diff> {
        self.mode.iter(self.inner.diff(other))
    }

    /// [`diff`](Self::diff) with options.
    pub fn diff_with(
        &self,
        other: &str,
        options: lakefs_api::DiffRefsOptions,
    ) -> Iter<models::Diff> {
        self.mode.iter(self.inner.diff_with(other, options))
    }

    /// Merges this ref into `destination` (see [`crate::Reference::merge_into`]).
    pub fn merge_into(&self, destination: &Branch) -> Call<crate::MergeInto, Blocking> {
        self.mode.call(self.inner.merge_into(&destination.inner))
    }

    /// Downloads every object under `prefix` to the local directory `local`.
    pub fn download_dir(
        &self,
        prefix: impl Into<String>,
        local: impl Into<PathBuf>,
    ) -> Call<crate::DownloadDir, Blocking> {
        self.mode.call(self.inner.download_dir(prefix, local))
    }
}

macro_rules! blocking_ref {
    ($name:ident, $what:literal) => {
        #[doc = concat!("A ", $what, " (see [`crate::", stringify!($name), "`]); everything a [`Reference`] offers through `Deref`.")]
        #[derive(Clone, Debug)]
        pub struct $name {
            inner: crate::$name,
            reference: Reference,
        }

        impl Deref for $name {
            type Target = Reference;
            fn deref(&self) -> &Reference {
                &self.reference
            }
        }

        impl IntoBlocking for crate::$name {
            type Blocking = $name;
            fn into_blocking(self, mode: &Blocking) -> $name {
                $name {
                    reference: Reference {
                        inner: self.as_reference().clone(),
                        mode: mode.clone(),
                    },
                    inner: self,
                }
            }
        }
    };
}

blocking_ref!(Branch, "branch");
blocking_ref!(Tag, "tag");
blocking_ref!(Commit, "commit");

impl Commit {
    /// The commit's details.
    pub fn info(&self) -> Result<models::Commit> {
        self.reference.mode.run(self.inner.info())
    }
}

impl Tag {
    /// Creates the tag at `source`.
    pub fn create(&self, source: impl Into<String>) -> Call<crate::CreateTag, Blocking> {
        self.reference.mode.call(self.inner.create(source))
    }

    /// Deletes the tag.
    pub fn delete(&self) -> Result<()> {
        self.reference.mode.run(self.inner.delete())
    }

    /// The commit the tag points at.
    pub fn target(&self) -> Result<models::Ref> {
        self.reference.mode.run(self.inner.target())
    }
}

impl Branch {
    fn mode(&self) -> &Blocking {
        &self.reference.mode
    }

    /// Creates the branch at `source`.
    pub fn create(&self, source: impl Into<String>) -> Call<crate::CreateBranch, Blocking> {
        self.mode().call(self.inner.create(source))
    }

    /// The commit the branch points at.
    pub fn head(&self) -> Result<Commit> {
        let head = self.mode().run(self.inner.head())?;
        Ok(head.into_blocking(self.mode()))
    }

    /// Commits what is staged.
    pub fn commit(&self, message: impl Into<String>) -> Call<crate::CommitChanges, Blocking> {
        self.mode().call(self.inner.commit(message))
    }

    /// The uncommitted changes.
    pub fn uncommitted(&self) -> Iter<models::Diff> {
        self.mode().iter(self.inner.uncommitted())
    }

    /// Throws away every uncommitted change.
    pub fn reset(&self) -> Result<()> {
        self.mode().run(self.inner.reset())
    }

    /// Throws away the uncommitted changes under a prefix.
    pub fn reset_prefix(&self, prefix: impl Into<String>) -> Result<()> {
        let prefix: String = prefix.into();
        self.mode().run(self.inner.reset_prefix(prefix))
    }

    /// Throws away the uncommitted change of one object.
    pub fn reset_object(&self, path: impl Into<String>) -> Result<()> {
        let path: String = path.into();
        self.mode().run(self.inner.reset_object(path))
    }

    /// Adds a commit undoing the commit `reference`.
    pub fn revert(&self, reference: impl Into<String>) -> Result<()> {
        let reference: String = reference.into();
        self.mode().run(self.inner.revert(reference))
    }

    /// Applies the commit `reference` onto the branch.
    pub fn cherry_pick(&self, reference: impl Into<String>) -> Result<models::Commit> {
        let reference: String = reference.into();
        self.mode().run(self.inner.cherry_pick(reference))
    }

    /// Deletes the branch.
    pub fn delete(&self) -> Result<()> {
        self.mode().run(self.inner.delete())
    }

    /// Deletes many objects, 1,000 per call; the answer lists the failures.
    pub fn delete_objects(
        &self,
        paths: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<Vec<models::ObjectError>> {
        let paths: Vec<String> = paths.into_iter().map(Into::into).collect();
        self.mode().run(self.inner.delete_objects(paths))
    }

    /// Imports from object storage (see [`crate::Branch::import_data`]).
    pub fn import_data(
        &self,
        commit_message: impl Into<String>,
    ) -> Call<crate::StartImport, Blocking> {
        self.mode().call(self.inner.import_data(commit_message))
    }

    /// Uploads the local directory `local` under `prefix`.
    pub fn upload_dir(
        &self,
        local: impl Into<PathBuf>,
        prefix: impl Into<String>,
    ) -> Call<crate::UploadDir, Blocking> {
        self.mode().call(self.inner.upload_dir(local, prefix))
    }

    /// Runs `body` as one atomic change of this branch (see [`Transaction::run`]); **it may run
    /// more than once**.
    pub fn transact<T>(&self, body: impl FnMut(Branch) -> Result<T>) -> Result<T> {
        self.transaction().run(body)
    }

    /// A transaction to configure, then [`run`](Transaction::run).
    pub fn transaction(&self) -> Transaction {
        Transaction {
            inner: self.inner.transaction(),
            mode: self.mode().clone(),
        }
    }
}

/// An atomic change of a branch (see [`crate::Transaction`]).
#[derive(Clone, Debug)]
pub struct Transaction {
    inner: crate::Transaction,
    mode: Blocking,
}

impl Transaction {
    /// The commit message.
    pub fn commit_message(self, message: impl Into<String>) -> Self {
        Transaction {
            inner: self.inner.commit_message(message),
            mode: self.mode,
        }
    }

    /// The commit metadata.
    pub fn metadata(
        self,
        metadata: impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>,
    ) -> Self {
        Transaction {
            inner: self.inner.metadata(metadata),
            mode: self.mode,
        }
    }

    /// Tags the merge commit.
    pub fn tag(self, tag: impl Into<String>) -> Self {
        Transaction {
            inner: self.inner.tag(tag),
            mode: self.mode,
        }
    }

    /// How many runs in all when merges conflict.
    pub fn max_attempts(self, attempts: u32) -> Self {
        Transaction {
            inner: self.inner.max_attempts(attempts),
            mode: self.mode,
        }
    }

    /// Runs the transaction as [`crate::Transaction::run`] does: on a hidden branch, committed
    /// and merged back, deleted however `body` ends (an error, a panic). **`body` may run more
    /// than once** when the merge conflicts.
    pub fn run<T, E: From<crate::Error>>(
        self,
        mut body: impl FnMut(Branch) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let mut attempt = 1;
        loop {
            let (tx, base) = self.mode.run(self.inner.start())?;
            let mut cleanup = Cleanup(Some(tx.clone().into_blocking(&self.mode)));
            let value = match body(tx.clone().into_blocking(&self.mode)) {
                Ok(value) => value,
                Err(err) => {
                    cleanup.delete_now();
                    return Err(err);
                }
            };
            let outcome = self.mode.run(self.inner.commit_and_merge(&tx, &base));
            cleanup.delete_now();
            match outcome {
                Ok(merged) => {
                    self.mode.run(self.inner.tag_merge(merged))?;
                    return Ok(value);
                }
                Err(err) if err.is_conflict() && attempt < self.inner.attempts() => attempt += 1,
                Err(err) => return Err(err.into()),
            }
        }
    }
}

/// Deletes a hidden branch when the transaction ends, a panic included (then from `Drop`).
struct Cleanup(Option<Branch>);

impl Cleanup {
    fn delete_now(&mut self) {
        if let Some(branch) = self.0.take()
            && branch.delete().is_err()
        {
            self.0 = Some(branch); // one more try when dropped
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(branch) = self.0.take() {
            let _ = branch.delete();
        }
    }
}

/// An object (see [`crate::Object`]).
#[derive(Clone, Debug)]
pub struct Object {
    inner: crate::Object,
    mode: Blocking,
}

impl IntoBlocking for crate::Object {
    type Blocking = Object;
    fn into_blocking(self, mode: &Blocking) -> Object {
        Object {
            inner: self,
            mode: mode.clone(),
        }
    }
}

impl Object {
    /// Its path.
    pub fn path(&self) -> &str {
        self.inner.path()
    }

    /// Its stats.
    pub fn stat(&self) -> Result<models::ObjectStats> {
        self.mode.run(self.inner.stat())
    }

    /// Whether it exists.
    pub fn exists(&self) -> Result<bool> {
        self.mode.run(self.inner.exists())
    }

    /// Its user metadata.
    pub fn metadata(&self) -> Result<BTreeMap<String, String>> {
        self.mode.run(self.inner.metadata())
    }

    /// Copies it to `path` on the branch `destination`.
    pub fn copy_to(&self, destination: &Branch, path: impl Into<String>) -> Result<Object> {
        let path: String = path.into();
        let copy = self
            .mode
            .run(self.inner.copy_to(&destination.inner, path))?;
        Ok(copy.into_blocking(&self.mode))
    }

    /// Deletes it.
    pub fn delete(&self) -> Result<()> {
        self.mode.run(self.inner.delete())
    }

    /// Uploads `content` (see [`crate::Object::upload`]); send with `.run()`.
    pub fn upload(
        &self,
        content: impl Into<lakefs_api::UploadBody>,
    ) -> Call<crate::Upload, Blocking> {
        self.mode.call(self.inner.upload(content))
    }

    /// Uploads the local file at `path`.
    pub fn upload_file(&self, path: impl Into<PathBuf>) -> Call<crate::Upload, Blocking> {
        self.mode.call(self.inner.upload_file(path))
    }

    /// Downloads it to the local file `path` (complete or absent; see
    /// [`crate::Object::download`]); send with `.run()`.
    pub fn download(&self, path: impl AsRef<Path>) -> Call<crate::DownloadFile, Blocking> {
        self.mode.call(self.inner.download(path))
    }

    /// A `std::io::Read + Seek` of its content: one streaming request, again only after a seek.
    pub fn reader(&self) -> ObjectReader {
        ObjectReader {
            inner: self.inner.reader(),
            mode: self.mode.clone(),
        }
    }

    /// A `std::io::Write` of new content; [`finish`](ObjectWriter::finish) links it, a writer
    /// dropped before links nothing.
    pub fn writer(&self) -> ObjectWriter {
        self.writer_with(Default::default())
    }

    /// [`writer`](Self::writer) with upload options.
    pub fn writer_with(&self, options: lakefs_api::UploadObjectOptions) -> ObjectWriter {
        ObjectWriter {
            inner: self.inner.writer_with(options),
            mode: self.mode.clone(),
        }
    }
}

fn io_result<T>(result: Result<std::io::Result<T>>) -> std::io::Result<T> {
    result.unwrap_or_else(|err| Err(std::io::Error::other(err)))
}

/// Reads an object (see [`crate::ObjectReader`]).
#[derive(Debug)]
pub struct ObjectReader {
    inner: crate::ObjectReader,
    mode: Blocking,
}

impl ObjectReader {
    /// The object's size, once known.
    pub fn size(&self) -> Option<u64> {
        self.inner.size()
    }

    /// The position of the next byte a read returns.
    pub fn position(&self) -> u64 {
        self.inner.position()
    }

    /// The path the content takes, once the first request chose it.
    pub fn transfer_path(&self) -> Option<lakefs_api::transfer::TransferPath> {
        self.inner.transfer_path()
    }
}

impl std::io::Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use tokio::io::AsyncReadExt;
        io_result(self.mode.runtime.block_on(self.inner.read(buf)))
    }
}

impl std::io::Seek for ObjectReader {
    fn seek(&mut self, position: std::io::SeekFrom) -> std::io::Result<u64> {
        use tokio::io::AsyncSeekExt;
        io_result(self.mode.runtime.block_on(self.inner.seek(position)))
    }
}

/// Writes an object (see [`crate::ObjectWriter`]).
#[derive(Debug)]
pub struct ObjectWriter {
    inner: crate::ObjectWriter,
    mode: Blocking,
}

impl ObjectWriter {
    /// The part size (see [`crate::ObjectWriter::part_size`]); set it before the first write.
    pub fn part_size(mut self, bytes: u64) -> Self {
        self.inner = self.inner.part_size(bytes);
        self
    }

    /// Parts sent at once by a multipart upload (default 5).
    pub fn concurrency(mut self, parts: usize) -> Self {
        self.inner = self.inner.concurrency(parts);
        self
    }

    /// Completes the upload and answers the new object's stats.
    pub fn finish(self) -> Result<models::ObjectStats> {
        self.mode.run(self.inner.finish())
    }

    /// The path the content took, once finished.
    pub fn transfer_path(&self) -> Option<lakefs_api::transfer::TransferPath> {
        self.inner.transfer_path()
    }
}

impl std::io::Write for ObjectWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        use tokio::io::AsyncWriteExt;
        io_result(self.mode.runtime.block_on(self.inner.write(buf)))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        use tokio::io::AsyncWriteExt;
        io_result(self.mode.runtime.block_on(self.inner.flush()))
    }
}

/// A started import (see [`crate::ImportJob`]).
#[derive(Clone, Debug)]
pub struct ImportJob {
    inner: crate::ImportJob,
    mode: Blocking,
}

impl IntoBlocking for crate::ImportJob {
    type Blocking = ImportJob;
    fn into_blocking(self, mode: &Blocking) -> ImportJob {
        ImportJob {
            inner: self,
            mode: mode.clone(),
        }
    }
}

impl ImportJob {
    /// The import's id.
    pub fn id(&self) -> &str {
        self.inner.id()
    }

    /// Where it is.
    pub fn status(&self) -> Result<models::ImportStatus> {
        self.mode.run(self.inner.status())
    }

    /// Cancels it.
    pub fn cancel(&self) -> Result<()> {
        self.mode.run(self.inner.cancel())
    }

    /// Waits until it ends (see [`crate::ImportJob::wait`]).
    pub fn wait(
        &self,
        poll_interval: std::time::Duration,
        progress: impl FnMut(&models::ImportStatus) + Send,
    ) -> Result<std::result::Result<models::ImportStatus, models::Error>> {
        self.mode.run(self.inner.wait(poll_interval, progress))
    }
}
