//! Request and response bodies that are not JSON: uploads, downloads and header-only answers.

use crate::error::{Error, Result};
use bytes::Bytes;
use futures::stream::{BoxStream, Stream, StreamExt, TryStreamExt};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The content of an upload: bytes in memory, a stream, or a file, sent without being
/// buffered whole.
pub struct UploadBody {
    pub(crate) source: UploadSource,
    pub(crate) length: Option<u64>,
}

pub(crate) enum UploadSource {
    Bytes(Bytes),
    Stream(BoxStream<'static, std::io::Result<Bytes>>),
}

impl UploadBody {
    /// Uploads a stream of chunks. `length`, when known, is sent as `Content-Length`.
    pub fn from_stream<S>(stream: S, length: Option<u64>) -> Self
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    {
        UploadBody {
            source: UploadSource::Stream(stream.boxed()),
            length,
        }
    }

    /// Uploads everything an async reader yields, in chunks.
    pub fn from_reader<R>(reader: R, length: Option<u64>) -> Self
    where
        R: tokio::io::AsyncRead + Send + 'static,
    {
        Self::from_stream(
            tokio_util::io::ReaderStream::with_capacity(reader, 256 * 1024),
            length,
        )
    }

    /// Uploads a file, streamed from disk with its size as `Content-Length`.
    pub async fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let io_error = |source| Error::LocalIo {
            context: format!("cannot read {}", path.display()),
            source,
        };
        let file = tokio::fs::File::open(path).await.map_err(io_error)?;
        let length = file.metadata().await.map_err(io_error)?.len();
        Ok(Self::from_reader(file, Some(length)))
    }

    /// The size in bytes, when known before sending.
    pub fn len(&self) -> Option<u64> {
        self.length
    }

    /// Whether the body is known to be empty.
    pub fn is_empty(&self) -> bool {
        self.length == Some(0)
    }

    /// A copy, when the content is in memory (so the call can be repeated).
    pub(crate) fn try_clone(&self) -> Option<UploadBody> {
        match &self.source {
            UploadSource::Bytes(b) => Some(UploadBody {
                source: UploadSource::Bytes(b.clone()),
                length: self.length,
            }),
            UploadSource::Stream(_) => None,
        }
    }

    /// The content as a stream of chunks (in-memory bytes as one chunk).
    pub(crate) fn into_chunks(self) -> BoxStream<'static, std::io::Result<Bytes>> {
        match self.source {
            UploadSource::Bytes(b) => futures::stream::once(async move { Ok(b) }).boxed(),
            UploadSource::Stream(s) => s,
        }
    }
}

impl fmt::Debug for UploadBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.source {
            UploadSource::Bytes(_) => "bytes",
            UploadSource::Stream(_) => "stream",
        };
        f.debug_struct("UploadBody")
            .field("source", &kind)
            .field("length", &self.length)
            .finish()
    }
}

impl From<Bytes> for UploadBody {
    fn from(b: Bytes) -> Self {
        let length = Some(b.len() as u64);
        UploadBody {
            source: UploadSource::Bytes(b),
            length,
        }
    }
}

impl From<Vec<u8>> for UploadBody {
    fn from(v: Vec<u8>) -> Self {
        Bytes::from(v).into()
    }
}

impl From<String> for UploadBody {
    fn from(s: String) -> Self {
        Bytes::from(s).into()
    }
}

impl From<&'static str> for UploadBody {
    fn from(s: &'static str) -> Self {
        Bytes::from_static(s.as_bytes()).into()
    }
}

impl From<&'static [u8]> for UploadBody {
    fn from(s: &'static [u8]) -> Self {
        Bytes::from_static(s).into()
    }
}

/// The most [`ByteStream::bytes_with_size_hint`] reserves up front from a declared length;
/// beyond it the buffer grows as data actually arrives.
const MAX_RESERVED_FOR_HINT: u64 = 256 * 1024 * 1024;

/// A downloaded body as a stream of chunks; nothing is buffered unless you ask
/// ([`ByteStream::bytes`]).
pub struct ByteStream {
    inner: BoxStream<'static, Result<Bytes>>,
}

impl ByteStream {
    pub(crate) fn new(inner: BoxStream<'static, Result<Bytes>>) -> Self {
        // Fused: callers such as object_store's `collect_bytes` poll again after the end, which
        // an `unfold` inside would answer with a panic.
        ByteStream {
            inner: inner.fuse().boxed(),
        }
    }

    pub(crate) fn empty() -> Self {
        ByteStream {
            inner: futures::stream::empty().boxed(),
        }
    }

    /// Reads the whole body into memory.
    pub async fn bytes(self) -> Result<Bytes> {
        self.bytes_with_size_hint(None).await
    }

    /// Reads the whole body into one buffer sized from `hint` (a declared length), copying
    /// each chunk in as it comes so that the chunks are not held as well. The hint only
    /// reserves up to [`MAX_RESERVED_FOR_HINT`]: a server's claim never allocates by itself.
    pub(crate) async fn bytes_with_size_hint(mut self, hint: Option<u64>) -> Result<Bytes> {
        let Some(first) = self.inner.try_next().await? else {
            return Ok(Bytes::new());
        };
        let Some(second) = self.inner.try_next().await? else {
            return Ok(first); // one chunk: no copy at all
        };
        let reserve = hint
            .unwrap_or(0)
            .min(MAX_RESERVED_FOR_HINT)
            .max((first.len() + second.len()) as u64);
        let mut buffer = bytes::BytesMut::with_capacity(usize::try_from(reserve).unwrap_or(0));
        buffer.extend_from_slice(&first);
        buffer.extend_from_slice(&second);
        while let Some(chunk) = self.inner.try_next().await? {
            buffer.extend_from_slice(&chunk);
        }
        Ok(buffer.freeze())
    }

    /// Writes the body to an async writer chunk by chunk; returns the number of bytes.
    pub async fn write_to<W: tokio::io::AsyncWrite + Unpin>(
        mut self,
        writer: &mut W,
    ) -> Result<u64> {
        use tokio::io::AsyncWriteExt;
        let mut total = 0u64;
        while let Some(chunk) = self.inner.try_next().await? {
            writer
                .write_all(&chunk)
                .await
                .map_err(|source| Error::LocalIo {
                    context: "cannot write the downloaded data".into(),
                    source,
                })?;
            total = total.saturating_add(chunk.len() as u64);
        }
        writer.flush().await.map_err(|source| Error::LocalIo {
            context: "cannot flush".into(),
            source,
        })?;
        Ok(total)
    }
}

impl Stream for ByteStream {
    type Item = Result<Bytes>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ByteStream")
    }
}

/// What the headers of an object answer say (`getObject`, `headObject`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectMetadata {
    /// HTTP status (200, 206 for a range, 304 when not modified).
    pub status: u16,
    /// `Content-Length`: bytes in this answer.
    pub content_length: Option<u64>,
    /// `Content-Type`: the object's stored content type.
    pub content_type: Option<String>,
    /// `ETag`, without quotes.
    pub etag: Option<String>,
    /// `Last-Modified`, as sent (an HTTP date).
    pub last_modified: Option<String>,
    /// `Content-Range`, for a range answer (`bytes START-END/SIZE`).
    pub content_range: Option<String>,
    /// `Content-Disposition`.
    pub content_disposition: Option<String>,
    /// The server's `X-Request-ID`.
    pub request_id: Option<String>,
    /// `x-lakefs-meta-*` user metadata headers, keyed without the prefix.
    pub user_metadata: BTreeMap<String, String>,
}

impl ObjectMetadata {
    pub(crate) fn from_response(status: u16, headers: &reqwest::header::HeaderMap) -> Self {
        // Lossy, not `to_str`: metadata and file names may be UTF-8, which `to_str` refuses.
        let get = |name: &str| header_text(headers, name);
        let user_metadata = headers
            .iter()
            .filter_map(|(name, value)| {
                let key = name.as_str().strip_prefix("x-lakefs-meta-")?;
                Some((key.to_string(), value_text(value)))
            })
            .collect();
        ObjectMetadata {
            status,
            content_length: get("content-length").and_then(|v| v.parse().ok()),
            content_type: get("content-type"),
            etag: get("etag").map(|e| unquote(&e)),
            last_modified: get("last-modified"),
            content_range: get("content-range"),
            content_disposition: get("content-disposition"),
            request_id: get("x-request-id"),
            user_metadata,
        }
    }

    /// The full object size: the total of `Content-Range` on a range answer (`None` when the
    /// server did not say, as in `bytes 0-9/*`), else `Content-Length`.
    pub fn object_size(&self) -> Option<u64> {
        match self.content_range.as_deref() {
            Some(range) => range
                .rsplit('/')
                .next()
                .and_then(|total| total.trim().parse().ok()),
            None => self.content_length,
        }
    }
}

/// A header's value as text. Lossy rather than `to_str`: metadata and file names may be UTF-8,
/// which `to_str` refuses.
pub(crate) fn header_text(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers.get(name).map(value_text)
}

fn value_text(value: &reqwest::header::HeaderValue) -> String {
    String::from_utf8_lossy(value.as_bytes()).into_owned()
}

pub(crate) fn unquote(etag: &str) -> String {
    etag.trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .to_string()
}

/// A download: the object's metadata and its content as a stream.
#[derive(Debug)]
#[non_exhaustive]
pub struct ObjectDownload {
    /// What the headers say.
    pub metadata: ObjectMetadata,
    /// The content (empty when not modified).
    pub body: ByteStream,
}

impl ObjectDownload {
    /// Whether the server answered 304 to `If-None-Match`: the copy you have is current.
    pub fn is_not_modified(&self) -> bool {
        self.metadata.status == 304
    }

    /// Reads the whole content into memory (one buffer, sized from the declared length).
    pub async fn bytes(self) -> Result<Bytes> {
        let hint = self.metadata.content_length;
        self.body.bytes_with_size_hint(hint).await
    }
}

/// A JSON answer together with the `ETag` header that came with it (e.g. branch protection
/// rules, to send back as `If-Match`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WithEtag<T> {
    /// The decoded body.
    pub value: T,
    /// The `ETag` header, without quotes.
    pub etag: Option<String>,
}

/// A JSON answer together with its `Location` header (`getMetaRange`, `getRange`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WithLocation<T> {
    /// The decoded body.
    pub value: T,
    /// The `Location` header.
    pub location: Option<String>,
}

/// The answer of `uploadPartCopy`: the part's `ETag`, needed to complete the upload.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PartEtag {
    /// The `ETag` header, without quotes.
    pub etag: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(parts: &[&'static [u8]]) -> ByteStream {
        let parts: Vec<Result<Bytes>> = parts.iter().map(|p| Ok(Bytes::from_static(p))).collect();
        ByteStream::new(futures::stream::iter(parts).boxed())
    }

    #[tokio::test]
    async fn bytes_joins_chunks_whatever_length_is_declared() {
        for hint in [None, Some(0), Some(3), Some(9), Some(u64::MAX)] {
            let joined = chunks(&[b"abc", b"def", b"ghi"])
                .bytes_with_size_hint(hint)
                .await
                .unwrap();
            // A hostile declared length (2^64 - 1) would abort a reservation of that size.
            assert_eq!(&joined[..], b"abcdefghi", "{hint:?}");
        }
        assert!(chunks(&[]).bytes().await.unwrap().is_empty());
        let single = chunks(&[b"only"]).bytes().await.unwrap();
        assert_eq!(
            single.as_ptr(),
            b"only".as_ptr(),
            "one chunk is handed over, not copied"
        );
    }

    #[tokio::test]
    async fn a_finished_body_can_be_polled_again() {
        let unfolded = futures::stream::unfold(false, |done| async move {
            (!done).then(|| (Ok(Bytes::from_static(b"x")), true))
        });
        let mut body = ByteStream::new(unfolded.boxed());
        assert_eq!(
            body.next().await.transpose().unwrap(),
            Some(Bytes::from_static(b"x"))
        );
        assert!(body.next().await.is_none());
        assert!(
            body.next().await.is_none(),
            "polled after the end: no panic"
        );
    }

    #[test]
    fn object_size_comes_from_the_range_total_only() {
        let mut m = ObjectMetadata {
            content_length: Some(10),
            ..Default::default()
        };
        assert_eq!(m.object_size(), Some(10));
        m.content_range = Some("bytes 0-9/100".into());
        assert_eq!(m.object_size(), Some(100));
        m.content_range = Some("bytes 0-9/*".into());
        assert_eq!(m.object_size(), None);
    }
}
