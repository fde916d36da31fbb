//! Directories: [`Branch::upload_dir`] and [`Reference::download_dir`], as `lakectl fs upload
//! -r` and `lakectl fs download -r` do.

use crate::call::{Call, Mode, Operation};
use crate::{Branch, Error, Reference, Result};
use futures::future::BoxFuture;
use futures::stream::{StreamExt, TryStreamExt};
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// How many files a directory transfer moves at once by default.
pub const DEFAULT_DIR_CONCURRENCY: usize = 8;

/// Where a directory transfer is, given to its progress callback as bytes move (the
/// transfers' own progress, passed through) and after each file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransferProgress {
    /// Files done so far.
    pub files_done: u64,
    /// Files in all, when known in advance (uploads; a download lists as it goes).
    pub files_total: Option<u64>,
    /// Bytes moved so far, those of the files under way included (a retried part counts
    /// once).
    pub bytes_done: u64,
    /// The path in lakeFS of the file this report is about.
    pub last_path: String,
    /// Whether that file has just finished (else its bytes are moving).
    pub file_done: bool,
}

/// What a directory transfer moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TransferSummary {
    /// Files moved.
    pub files: u64,
    /// Bytes moved.
    pub bytes: u64,
}

type ProgressFn = Arc<dyn Fn(&TransferProgress) + Send + Sync>;

/// The settings shared by directory uploads and downloads.
#[derive(Clone)]
struct Settings {
    concurrency: usize,
    progress: Option<ProgressFn>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            concurrency: DEFAULT_DIR_CONCURRENCY,
            progress: None,
        }
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("concurrency", &self.concurrency)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// Counts files and bytes as they move and finish, and reports each.
struct Tally {
    files: AtomicU64,
    /// Bytes of the files done.
    bytes: AtomicU64,
    /// Bytes moved, files under way included (what the transfers report).
    moved: AtomicU64,
    total: Option<u64>,
    progress: Option<ProgressFn>,
}

impl Tally {
    fn new(total: Option<u64>, progress: Option<ProgressFn>) -> Arc<Self> {
        Arc::new(Tally {
            files: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            moved: AtomicU64::new(0),
            total,
            progress,
        })
    }

    fn report(&self, path: &str, file_done: bool) {
        if let Some(progress) = &self.progress {
            progress(&TransferProgress {
                files_done: self.files.load(Ordering::Relaxed),
                files_total: self.total,
                bytes_done: self.moved.load(Ordering::Relaxed),
                last_path: path.to_string(),
                file_done,
            });
        }
    }

    /// A callback for one file's transfer: moves the tally by what the file moved since its
    /// last report (a failed attempt's bytes are taken back).
    /// Also answers the count of the file's bytes reported so far, for [`done`](Self::done).
    fn file_progress(
        self: &Arc<Self>,
        path: &str,
    ) -> (
        impl Fn(lakefs_api::transfer::TransferProgress) + Send + Sync + 'static,
        Arc<AtomicU64>,
    ) {
        let tally = Arc::clone(self);
        let path = path.to_string();
        let seen = Arc::new(AtomicU64::new(0));
        let reported = Arc::clone(&seen);
        let callback = move |p: lakefs_api::transfer::TransferProgress| {
            let before = seen.swap(p.bytes_done, Ordering::Relaxed);
            if p.bytes_done >= before {
                tally
                    .moved
                    .fetch_add(p.bytes_done - before, Ordering::Relaxed);
            } else {
                tally
                    .moved
                    .fetch_sub(before - p.bytes_done, Ordering::Relaxed);
            }
            tally.report(&path, false);
        };
        (callback, reported)
    }

    /// A file is done: `bytes` it holds, `reported` of them already counted by its progress.
    fn done(&self, path: &str, bytes: u64, reported: u64) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        // What the transfer did not report (an empty file) counts now.
        self.moved
            .fetch_add(bytes.saturating_sub(reported), Ordering::Relaxed);
        self.report(path, true);
    }

    fn summary(&self) -> TransferSummary {
        TransferSummary {
            files: self.files.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
        }
    }
}

/// `prefix` as a directory: empty, or ending with `/`.
fn as_directory(prefix: String) -> String {
    if prefix.is_empty() || prefix.ends_with('/') {
        prefix
    } else {
        prefix + "/"
    }
}

impl Branch {
    /// Uploads every file under the local directory `local` to paths under `prefix` (a file
    /// `local/a/b.csv` becomes `<prefix>/a/b.csv`), several at once. Options:
    /// [`concurrency`](Call::concurrency), [`on_progress`](Call::on_progress).
    pub fn upload_dir(
        &self,
        local: impl Into<PathBuf>,
        prefix: impl Into<String>,
    ) -> Call<UploadDir> {
        Call::new(UploadDir {
            branch: self.clone(),
            local: local.into(),
            prefix: as_directory(prefix.into()),
            settings: Settings::default(),
        })
    }
}

impl Reference {
    /// Downloads every object under `prefix` to files under the local directory `local` (an
    /// object `<prefix>/a/b.csv` becomes `local/a/b.csv`), several at once; each file appears
    /// complete or not at all. Options: [`concurrency`](Call::concurrency),
    /// [`on_progress`](Call::on_progress).
    pub fn download_dir(
        &self,
        prefix: impl Into<String>,
        local: impl Into<PathBuf>,
    ) -> Call<DownloadDir> {
        Call::new(DownloadDir {
            reference: self.clone(),
            prefix: as_directory(prefix.into()),
            local: local.into(),
            settings: Settings::default(),
        })
    }
}

/// The settings of [`Branch::upload_dir`].
#[derive(Debug)]
pub struct UploadDir {
    branch: Branch,
    local: PathBuf,
    prefix: String,
    settings: Settings,
}

/// The settings of [`Reference::download_dir`].
#[derive(Debug)]
pub struct DownloadDir {
    reference: Reference,
    prefix: String,
    local: PathBuf,
    settings: Settings,
}

macro_rules! transfer_settings {
    ($($args:ty),*) => {$(
        impl<M: Mode> Call<$args, M> {
            /// How many files move at once (default [`DEFAULT_DIR_CONCURRENCY`], at least 1).
            pub fn concurrency(mut self, files: usize) -> Self {
                self.args.settings.concurrency = files.max(1);
                self
            }

            /// Called as bytes move and after each file with where the transfer is (from the
            /// transfers' tasks: keep it quick).
            pub fn on_progress(
                mut self,
                progress: impl Fn(&TransferProgress) + Send + Sync + 'static,
            ) -> Self {
                self.args.settings.progress = Some(Arc::new(progress));
                self
            }
        }
    )*};
}

transfer_settings!(UploadDir, DownloadDir);

fn local_error(context: String) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::LocalIo { context, source }
}

/// Every file under `root`, as (path on disk, path relative to `root` with `/`), sorted.
async fn files_under(root: &Path) -> Result<Vec<(PathBuf, String)>> {
    let mut files = Vec::new();
    let mut directories = vec![root.to_path_buf()];
    while let Some(directory) = directories.pop() {
        let mut entries = tokio::fs::read_dir(&directory)
            .await
            .map_err(local_error(format!("cannot list {}", directory.display())))?;
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(local_error(format!("cannot list {}", directory.display())))?
        {
            let path = entry.path();
            let kind = entry
                .file_type()
                .await
                .map_err(local_error(format!("cannot inspect {}", path.display())))?;
            if kind.is_dir() {
                directories.push(path);
            } else if kind.is_file() {
                let relative = path
                    .strip_prefix(root)
                    .map_err(|_| {
                        Error::InvalidArgument(format!(
                            "{} escapes {}",
                            path.display(),
                            root.display()
                        ))
                    })?
                    .components()
                    .map(|part| part.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                files.push((path, relative));
            }
        }
    }
    files.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(files)
}

impl Operation for UploadDir {
    type Output = TransferSummary;

    fn send(self) -> BoxFuture<'static, Result<TransferSummary>> {
        Box::pin(async move {
            let files = files_under(&self.local).await?;
            let tally = Tally::new(Some(files.len() as u64), self.settings.progress.clone());
            let uploads = files.into_iter().map(|(file, relative)| {
                let object = self.branch.object(format!("{}{relative}", self.prefix));
                let tally = &tally;
                async move {
                    let (progress, reported) = tally.file_progress(object.path());
                    let stats = object.upload_file(file).on_progress(progress).await?;
                    let bytes = u64::try_from(stats.size_bytes.unwrap_or(0)).unwrap_or(0);
                    tally.done(object.path(), bytes, reported.load(Ordering::Relaxed));
                    Ok::<(), Error>(())
                }
            });
            futures::stream::iter(uploads)
                .buffer_unordered(self.settings.concurrency)
                .try_collect::<()>()
                .await?;
            Ok(tally.summary())
        })
    }
}

/// Where the object `path` (under `prefix`) goes under `root`; an error for a path that would
/// leave `root` (`..`, an absolute path).
fn local_path(root: &Path, prefix: &str, path: &str) -> Result<PathBuf> {
    let relative = path.strip_prefix(prefix).unwrap_or(path);
    let relative = Path::new(relative);
    if relative.as_os_str().is_empty()
        || relative
            .components()
            .any(|part| !matches!(part, Component::Normal(_)))
    {
        return Err(Error::InvalidArgument(format!(
            "object path {path:?} cannot be a file under {}",
            root.display()
        )));
    }
    Ok(root.join(relative))
}

impl Operation for DownloadDir {
    type Output = TransferSummary;

    fn send(self) -> BoxFuture<'static, Result<TransferSummary>> {
        Box::pin(async move {
            let tally = Tally::new(None, self.settings.progress.clone());
            let tally = &tally;
            let (root, prefix, reference) = (&self.local, &self.prefix, &self.reference);
            reference
                .objects(prefix.clone())
                .map(|listed| async move {
                    let listed = listed?;
                    let target = local_path(root, prefix, &listed.path)?;
                    if let Some(parent) = target.parent() {
                        tokio::fs::create_dir_all(parent)
                            .await
                            .map_err(local_error(format!("cannot create {}", parent.display())))?;
                    }
                    let (progress, reported) = tally.file_progress(&listed.path);
                    let bytes = reference
                        .object(listed.path.clone())
                        .download(&target)
                        .on_progress(progress)
                        .await?;
                    tally.done(&listed.path, bytes, reported.load(Ordering::Relaxed));
                    Ok::<(), Error>(())
                })
                .buffer_unordered(self.settings.concurrency)
                .try_collect::<()>()
                .await?;
            Ok(tally.summary())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_paths_cannot_leave_the_directory() {
        let root = Path::new("/tmp/out");
        assert_eq!(
            local_path(root, "data/", "data/a/b.csv").unwrap(),
            root.join("a/b.csv")
        );
        for bad in ["data/../../etc/passwd", "data/", "data//abs", "data/./x"] {
            let result = local_path(root, "data/", bad);
            assert!(
                matches!(result, Err(Error::InvalidArgument(_))),
                "{bad}: {result:?}"
            );
        }
    }

    #[test]
    fn prefixes_become_directories() {
        assert_eq!(as_directory("a".into()), "a/");
        assert_eq!(as_directory("a/".into()), "a/");
        assert_eq!(as_directory(String::new()), "");
    }
}
