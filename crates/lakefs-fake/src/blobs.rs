//! Object bytes: blobs written chunk by chunk (hashed with MD5 on the way), in memory or in
//! files of a data directory, and read back as streams of chunks.
//!
//! Metadata (entries of branches and commits, objects of the simulated store) holds an
//! `Arc<Blob>`: bytes never move while the metadata lock is held, and a blob disappears (its
//! file deleted) when the last entry referring to it goes.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};
use md5::{Digest, Md5};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufWriter};

/// How much a memory blob keeps per chunk, and how much a disk blob reads at once: large
/// enough that per-chunk costs vanish, small enough that a transfer's memory stays bounded.
pub(crate) const CHUNK_SIZE: usize = 256 * 1024;

/// Chunks of a blob's bytes, as a response body streams them.
pub(crate) type ChunkStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// Stored bytes with their size and MD5.
pub(crate) struct Blob {
    size: u64,
    /// The MD5 of the content; for an assembled multipart object, the MD5 of its parts' MD5s.
    md5: [u8; 16],
    /// How many parts an assembled multipart object has; 0 for a plain blob.
    parts: usize,
    storage: Storage,
}

enum Storage {
    Memory(Vec<Bytes>),
    Disk(PathBuf),
    /// An object assembled from multipart-upload parts, which keep their own bytes.
    Parts(Vec<Arc<Blob>>),
}

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Blob")
            .field("size", &self.size)
            .field("etag", &self.etag())
            .finish_non_exhaustive()
    }
}

impl Drop for Blob {
    fn drop(&mut self) {
        if let Storage::Disk(path) = &self.storage {
            // Nothing refers to the bytes any more; a failure only leaves a stray file behind.
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Blob {
    /// A memory blob of these bytes, whatever the store (small contents made by the fake,
    /// such as the sample repository's files).
    pub(crate) fn in_memory(data: &[u8]) -> Arc<Blob> {
        let chunks = data
            .chunks(CHUNK_SIZE)
            .map(Bytes::copy_from_slice)
            .collect();
        Arc::new(Blob {
            size: data.len() as u64,
            md5: Md5::digest(data).into(),
            parts: 0,
            storage: Storage::Memory(chunks),
        })
    }

    /// An object made of these parts in order, as S3 completes a multipart upload: no bytes
    /// are copied, and its ETag is S3's `md5(part md5s)-N`.
    pub(crate) fn concat(parts: Vec<Arc<Blob>>) -> Arc<Blob> {
        let mut md5 = Md5::new();
        for part in &parts {
            md5.update(part.md5);
        }
        Arc::new(Blob {
            size: parts.iter().map(|part| part.size).sum(),
            md5: md5.finalize().into(),
            parts: parts.len(),
            storage: Storage::Parts(parts),
        })
    }

    /// The size in bytes.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// The MD5 of the content.
    pub(crate) fn md5(&self) -> [u8; 16] {
        self.md5
    }

    /// The S3 ETag without quotes: the MD5 of the content in lowercase hex, or
    /// `<md5 of the parts' md5s>-<parts>` for an assembled multipart object.
    pub(crate) fn etag(&self) -> String {
        if self.parts == 0 {
            hex(&self.md5)
        } else {
            format!("{}-{}", hex(&self.md5), self.parts)
        }
    }

    /// Streams `len` bytes from `start` (which the caller has checked against the size).
    pub(crate) async fn read(self: &Arc<Blob>, start: u64, len: u64) -> io::Result<ChunkStream> {
        match &self.storage {
            Storage::Parts(parts) => Ok(parts_chunks(parts, start, len)),
            Storage::Memory(_) => Ok(memory_chunks(Arc::clone(self), start, len)),
            Storage::Disk(path) => {
                let mut file = tokio::fs::File::open(path).await?;
                file.seek(io::SeekFrom::Start(start)).await?;
                let reader = file.take(len);
                let chunks = tokio_util::io::ReaderStream::with_capacity(reader, CHUNK_SIZE);
                // The stream holds the blob, so its file outlives the transfer.
                let keep = Arc::clone(self);
                Ok(Box::pin(chunks.map(move |chunk| {
                    let _ = &keep;
                    chunk
                })))
            }
        }
    }

    /// The whole content in memory, for the small objects handlers look into.
    #[cfg(test)]
    pub(crate) async fn to_vec(self: &Arc<Blob>) -> io::Result<Vec<u8>> {
        let mut stream = self.read(0, self.size).await?;
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }
}

/// The chunks of `len` bytes from `start` of parts laid end to end; each part is opened
/// when the stream reaches it.
fn parts_chunks(parts: &[Arc<Blob>], start: u64, len: u64) -> ChunkStream {
    let mut pieces = Vec::new();
    let (mut offset, end) = (0u64, start.saturating_add(len));
    for part in parts {
        let (from, to) = (offset.max(start), (offset + part.size).min(end));
        if from < to {
            pieces.push((Arc::clone(part), from - offset, to - from));
        }
        offset += part.size;
    }
    let stream = futures::stream::iter(pieces)
        .then(|(part, from, len)| async move { part.read(from, len).await })
        .map(|opened| match opened {
            Ok(chunks) => chunks,
            Err(error) => Box::pin(futures::stream::once(async { Err(error) })) as ChunkStream,
        })
        .flatten();
    Box::pin(stream)
}

/// A memory blob's chunks from `start`, sliced without copying.
fn memory_chunks(blob: Arc<Blob>, start: u64, len: u64) -> ChunkStream {
    let state = (blob, 0usize, start, len);
    let stream =
        futures::stream::unfold(state, |(blob, mut index, mut skip, remaining)| async move {
            if remaining == 0 {
                return None;
            }
            let Storage::Memory(chunks) = &blob.storage else {
                return None;
            };
            while let Some(chunk) = chunks.get(index) {
                let chunk_len = chunk.len() as u64;
                if skip >= chunk_len {
                    skip -= chunk_len;
                    index += 1;
                    continue;
                }
                let from = skip as usize;
                let to = chunk.len().min(from.saturating_add(remaining as usize));
                let piece = chunk.slice(from..to);
                let left = remaining - piece.len() as u64;
                return Some((Ok(piece), (blob, index + 1, 0, left)));
            }
            None
        });
    Box::pin(stream)
}

/// Where blobs are kept: in memory, or as files of a data directory.
#[derive(Debug)]
pub(crate) struct BlobStore {
    directory: Option<PathBuf>,
    next_id: AtomicU64,
}

impl BlobStore {
    /// A store in memory.
    pub(crate) fn in_memory() -> BlobStore {
        BlobStore {
            directory: None,
            next_id: AtomicU64::new(0),
        }
    }

    /// A store of files in `directory/blobs`, created if missing.
    pub(crate) fn on_disk(directory: &Path) -> io::Result<BlobStore> {
        let blobs = directory.join("blobs");
        std::fs::create_dir_all(&blobs)?;
        Ok(BlobStore {
            directory: Some(blobs),
            next_id: AtomicU64::new(0),
        })
    }

    /// Starts a new blob.
    pub(crate) async fn writer(&self) -> io::Result<BlobWriter> {
        let sink = match &self.directory {
            None => Sink::Memory {
                chunks: Vec::new(),
                pending: BytesMut::new(),
            },
            Some(directory) => {
                let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                let path = directory.join(format!("{}-{id}", std::process::id()));
                let file = tokio::fs::File::create(&path).await?;
                Sink::Disk {
                    file: BufWriter::with_capacity(CHUNK_SIZE, file),
                    path: Some(path),
                }
            }
        };
        Ok(BlobWriter {
            md5: Md5::new(),
            size: 0,
            sink,
        })
    }

    /// A blob of a whole body, chunk by chunk.
    pub(crate) async fn receive<S>(&self, mut body: S) -> Result<Arc<Blob>, ReceiveError>
    where
        S: Stream<Item = io::Result<Bytes>> + Unpin,
    {
        let mut writer = self.writer().await.map_err(ReceiveError::Store)?;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(ReceiveError::Body)?;
            writer.write(&chunk).await.map_err(ReceiveError::Store)?;
        }
        writer.finish().await.map_err(ReceiveError::Store)
    }

    /// A blob of these bytes.
    pub(crate) async fn store_bytes(&self, data: &[u8]) -> io::Result<Arc<Blob>> {
        let mut writer = self.writer().await?;
        writer.write(data).await?;
        writer.finish().await
    }
}

/// Why a body did not become a blob.
#[derive(Debug)]
pub(crate) enum ReceiveError {
    /// The body broke off (the connection failed or was cut).
    Body(io::Error),
    /// The blob store failed (a full disk).
    Store(io::Error),
}

/// A blob being written; dropped unfinished, it leaves nothing behind.
pub(crate) struct BlobWriter {
    md5: Md5,
    size: u64,
    sink: Sink,
}

enum Sink {
    Memory {
        chunks: Vec<Bytes>,
        pending: BytesMut,
    },
    Disk {
        file: BufWriter<tokio::fs::File>,
        /// Taken by `finish`; still here on drop means the blob was abandoned.
        path: Option<PathBuf>,
    },
}

impl fmt::Debug for BlobWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobWriter")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if let Sink::Disk {
            path: Some(path), ..
        } = &self.sink
        {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl BlobWriter {
    /// Appends bytes.
    pub(crate) async fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.md5.update(data);
        self.size += data.len() as u64;
        match &mut self.sink {
            Sink::Memory { chunks, pending } => {
                let mut rest = data;
                while !rest.is_empty() {
                    if pending.capacity() == 0 {
                        pending.reserve(CHUNK_SIZE);
                    }
                    let room = CHUNK_SIZE - pending.len();
                    let (now, later) = rest.split_at(room.min(rest.len()));
                    pending.extend_from_slice(now);
                    rest = later;
                    if pending.len() == CHUNK_SIZE {
                        chunks.push(pending.split().freeze());
                    }
                }
                Ok(())
            }
            Sink::Disk { file, .. } => file.write_all(data).await,
        }
    }

    /// Completes the blob.
    pub(crate) async fn finish(mut self) -> io::Result<Arc<Blob>> {
        let md5: [u8; 16] = std::mem::take(&mut self.md5).finalize().into();
        let storage = match &mut self.sink {
            Sink::Memory { chunks, pending } => {
                if !pending.is_empty() {
                    chunks.push(pending.split().freeze());
                }
                Storage::Memory(std::mem::take(chunks))
            }
            Sink::Disk { file, path } => {
                file.flush().await?;
                match path.take() {
                    Some(path) => Storage::Disk(path),
                    None => return Err(io::Error::other("blob finished twice")),
                }
            }
        };
        Ok(Arc::new(Blob {
            size: self.size,
            md5,
            parts: 0,
            storage,
        }))
    }
}

/// Lowercase hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn round_trip(store: &BlobStore) {
        let data: Vec<u8> = (0..(CHUNK_SIZE * 2 + 100))
            .map(|i| (i % 251) as u8)
            .collect();
        let mut writer = store.writer().await.unwrap();
        for piece in data.chunks(7777) {
            writer.write(piece).await.unwrap();
        }
        let blob = writer.finish().await.unwrap();
        assert_eq!(blob.size(), data.len() as u64);
        assert_eq!(blob.etag(), hex(&Md5::digest(&data)));
        assert_eq!(blob.to_vec().await.unwrap(), data);
        for (start, len) in [
            (0u64, 1u64),
            (5, CHUNK_SIZE as u64),
            (CHUNK_SIZE as u64 - 1, 3),
        ] {
            let mut stream = blob.read(start, len).await.unwrap();
            let mut got = Vec::new();
            while let Some(chunk) = stream.next().await {
                got.extend_from_slice(&chunk.unwrap());
            }
            assert_eq!(got, data[start as usize..(start + len) as usize]);
        }
    }

    #[tokio::test]
    async fn memory_blobs_round_trip() {
        round_trip(&BlobStore::in_memory()).await;
    }

    #[tokio::test]
    async fn disk_blobs_round_trip_and_are_deleted_with_their_last_reference() {
        let dir = std::env::temp_dir().join(format!("lakefs-fake-blobs-{}", std::process::id()));
        let store = BlobStore::on_disk(&dir).unwrap();
        round_trip(&store).await;
        let blob = store.store_bytes(b"abc").await.unwrap();
        let abandoned = {
            let mut writer = store.writer().await.unwrap();
            writer.write(b"half").await.unwrap();
            writer
        };
        drop(abandoned);
        assert_eq!(std::fs::read_dir(dir.join("blobs")).unwrap().count(), 1);
        drop(blob);
        assert_eq!(std::fs::read_dir(dir.join("blobs")).unwrap().count(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn assembled_objects_read_across_their_parts() {
        let parts: Vec<Arc<Blob>> = [&b"hello "[..], b"multipart", b" world"]
            .iter()
            .map(|part| Blob::in_memory(part))
            .collect();
        let md5s: Vec<u8> = parts.iter().flat_map(|part| part.md5()).collect();
        let whole = Blob::concat(parts);
        assert_eq!(whole.to_vec().await.unwrap(), b"hello multipart world");
        assert_eq!(whole.etag(), format!("{}-3", hex(&Md5::digest(&md5s))));
        let mut stream = whole.read(4, 13).await.unwrap();
        let mut got = Vec::new();
        while let Some(chunk) = stream.next().await {
            got.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(got, b"o multipart w");
    }

    #[test]
    fn hex_is_lowercase() {
        assert_eq!(hex(&[0, 0xab, 0x10]), "00ab10");
    }
}
