//! Ranged reads over a presigned URL, refreshed when it expires.

use super::Meter;
use super::store::STORE_GET;
use super::store::{PieceCollector, RangeSink, SignedUrl, is_md5};
use crate::body::{ByteStream, header_text, unquote};
use crate::call::redact_presigned;
use crate::error::{Error, Result};
use crate::{LakeFsClient, ObjectsApi, StatObjectOptions};
use bytes::Bytes;
use futures::stream::StreamExt;
use lakefs_models::ObjectStats;
use std::sync::Mutex;
use std::time::SystemTime;

/// Reads byte ranges of one object straight from the object store, through the presigned URL
/// of `statObject(presign=true)`. The URL is refreshed (a new `statObject`) before it expires
/// and when the store refuses it; if the object changed meanwhile (another checksum), reads
/// fail with [`Error::Integrity`] instead of mixing two versions.
///
/// Each read is retried on its own, must come back as 206 with exactly the bytes asked for,
/// and, when the store sends an MD5 ETag, it must match the object's checksum.
/// `read_range` takes `&self`: share the reader (in an `Arc`) to read ranges concurrently.
///
/// ```no_run
/// # async fn run(client: lakefs_api::LakeFsClient) -> lakefs_api::Result<()> {
/// use lakefs_api::transfer::RangedReader;
/// let reader = RangedReader::open(&client, "repo", "main", "big.bin").await?;
/// let head = reader.read_range(0..1024.min(reader.size())).await?;
/// # let _ = head; Ok(()) }
/// ```
pub struct RangedReader {
    client: LakeFsClient,
    repository: String,
    ref_: String,
    path: String,
    stats: ObjectStats,
    size: u64,
    url: Mutex<SignedUrl>,
    meter: Meter,
}

impl std::fmt::Debug for RangedReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RangedReader")
            .field("repository", &self.repository)
            .field("ref", &self.ref_)
            .field("path", &self.path)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl RangedReader {
    /// Stats the object with `presign=true`. Fails with [`Error::Unsupported`] when lakeFS
    /// gives no presigned URL (its store has no presign support).
    pub async fn open(
        client: &LakeFsClient,
        repository: &str,
        ref_: &str,
        path: &str,
    ) -> Result<RangedReader> {
        let stats = stat_presigned(client, repository, ref_, path).await?;
        let url = SignedUrl::parse(&stats.physical_address, stats.physical_address_expiry)?;
        let size = object_size(&stats)?;
        Ok(RangedReader {
            client: client.clone(),
            repository: repository.into(),
            ref_: ref_.into(),
            path: path.into(),
            stats,
            size,
            url: Mutex::new(url),
            meter: Meter::default(),
        })
    }

    pub(crate) fn with_meter(mut self, meter: Meter) -> Self {
        self.meter = meter;
        self
    }

    /// The object's size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The object's stats (its `physical_address` is the presigned URL of the first stat).
    pub fn stats(&self) -> &ObjectStats {
        &self.stats
    }

    /// Reads `range` (end exclusive, within the object) into one buffer.
    pub async fn read_range(&self, range: std::ops::Range<u64>) -> Result<Bytes> {
        let chunks = self.read_range_chunks(range).await?;
        if chunks.len() == 1 {
            return Ok(chunks.into_iter().next().unwrap_or_default());
        }
        Ok(chunks.concat().into())
    }

    /// Reads `range` as the chunks it arrived in, without copying them into one buffer.
    pub async fn read_range_chunks(&self, range: std::ops::Range<u64>) -> Result<Vec<Bytes>> {
        let length = range.end.saturating_sub(range.start);
        let collector = PieceCollector::new(self.meter.pieces.clone(), length);
        Ok(self.read_range_into(range, collector).await?.into_pieces())
    }

    /// Reads `range` into `sink` as its bytes arrive (a retry starts the sink again).
    pub(crate) async fn read_range_into<S: RangeSink>(
        &self,
        range: std::ops::Range<u64>,
        sink: S,
    ) -> Result<S> {
        if range.start > range.end || range.end > self.size {
            return Err(Error::InvalidArgument(format!(
                "range {}..{} is outside the object of {} bytes",
                range.start, range.end, self.size
            )));
        }
        if range.is_empty() {
            return Ok(sink);
        }
        let checksum = self.stats.checksum.clone();
        // Attempts run one after the other; the lock only lends the sink to each.
        let sink = tokio::sync::Mutex::new(sink);
        self.client
            .with_store_retries(|refresh| {
                let range = range.clone();
                let (checksum, sink) = (&checksum, &sink);
                async move {
                    let url = self.current_url(refresh).await?;
                    let mut sink = sink.lock().await;
                    let etag = self
                        .client
                        .store_get_range_into(&url, range, self.size, &self.meter, &mut *sink)
                        .await?;
                    if let Some(etag) = etag
                        && is_md5(&etag)
                        && is_md5(checksum)
                        && !etag.eq_ignore_ascii_case(checksum)
                    {
                        return Err(Error::Integrity(format!(
                            "{}: the store's ETag {etag} is not the object's checksum {checksum}",
                            self.path
                        )));
                    }
                    Ok(())
                }
            })
            .await?;
        Ok(sink.into_inner())
    }

    /// The object's content from byte `offset` to its end as ONE streaming GET (a reader
    /// of a whole object costs one request, not one per range). Opening it is retried, and
    /// the URL refreshed when the store refuses it (403, expired); the body that follows
    /// carries the client's transfer limits (idle timeout, minimum throughput) and ends
    /// with [`Error::Integrity`] if it stops short of the object's end. A failure in the
    /// middle is not retried here: call `stream_from` again from where the data stopped.
    ///
    /// `offset` equal to the size gives an empty stream; past it, [`Error::InvalidArgument`].
    pub async fn stream_from(&self, offset: u64) -> Result<ByteStream> {
        if offset > self.size {
            return Err(Error::InvalidArgument(format!(
                "offset {offset} is past the end of the object of {} bytes",
                self.size
            )));
        }
        if offset == self.size {
            return Ok(ByteStream::empty());
        }
        let length = self.size - offset;
        let checksum = self.stats.checksum.clone();
        let answer = self
            .client
            .with_store_retries(|refresh| {
                let checksum = &checksum;
                async move {
                    let url = self.current_url(refresh).await?;
                    let request = self
                        .client
                        .inner
                        .http
                        .get(url.clone())
                        .header(reqwest::header::RANGE, format!("bytes={offset}-"));
                    let shown = redact_presigned(&url);
                    let answer = self
                        .client
                        .send_to_store(&STORE_GET, &url, request, None)
                        .await?;
                    if answer.status != 206 && !(answer.status == 200 && offset == 0) {
                        return Err(Error::Integrity(format!(
                            "GET {shown} from byte {offset}: the store answered {}, not 206",
                            answer.status
                        )));
                    }
                    let announced = header_text(&answer.headers, "content-length")
                        .and_then(|l| l.trim().parse::<u64>().ok());
                    if announced.is_some_and(|l| l != length) {
                        return Err(Error::Integrity(format!(
                            "GET {shown}: the store announced {announced:?} bytes from byte \
                             {offset} of an object of {}",
                            self.size
                        )));
                    }
                    if let Some(etag) = header_text(&answer.headers, "etag").map(|e| unquote(&e))
                        && is_md5(&etag)
                        && is_md5(checksum)
                        && !etag.eq_ignore_ascii_case(checksum)
                    {
                        return Err(Error::Integrity(format!(
                            "{}: the store's ETag {etag} is not the object's checksum {checksum}",
                            self.path
                        )));
                    }
                    Ok(answer.body)
                }
            })
            .await?;
        Ok(exactly(
            answer,
            length,
            self.path.clone(),
            self.meter.clone(),
        ))
    }

    /// A fresh presigned URL (a new `statObject`).
    pub async fn refresh(&self) -> Result<()> {
        self.current_url(true).await.map(|_| ())
    }

    async fn current_url(&self, refresh: bool) -> Result<reqwest::Url> {
        {
            let url = lock(&self.url);
            if !refresh && !url.expires_soon(SystemTime::now()) {
                return Ok(url.url.clone());
            }
            // Only the first stat's URL is used without refresh when its expiry is unknown:
            // re-statting before every range would double the calls.
            if !refresh && url.expires.is_none() {
                return Ok(url.url.clone());
            }
        }
        let stats = stat_presigned(&self.client, &self.repository, &self.ref_, &self.path).await?;
        if stats.checksum != self.stats.checksum {
            return Err(Error::Integrity(format!(
                "{} changed during the download (checksum {} -> {})",
                self.path, self.stats.checksum, stats.checksum
            )));
        }
        let url = SignedUrl::parse(&stats.physical_address, stats.physical_address_expiry)?;
        let fresh = url.url.clone();
        *lock(&self.url) = url;
        Ok(fresh)
    }
}

/// `body`, counted in `meter`, failing with [`Error::Integrity`] when it brings more or fewer
/// than `length` bytes.
fn exactly(body: ByteStream, length: u64, path: String, meter: Meter) -> ByteStream {
    let state = (body, 0u64, false);
    let checked = futures::stream::unfold(state, move |(mut body, received, done)| {
        let (path, meter) = (path.clone(), meter.clone());
        async move {
            if done {
                return None;
            }
            match body.next().await {
                Some(Ok(chunk)) => {
                    let received = received + chunk.len() as u64;
                    if received > length {
                        let e = Error::Integrity(format!(
                            "{path}: the store sent more than the {length} bytes asked for"
                        ));
                        return Some((Err(e), (body, received, true)));
                    }
                    meter.add(chunk.len() as u64);
                    Some((Ok(chunk), (body, received, false)))
                }
                Some(Err(e)) => Some((Err(e), (body, received, true))),
                None if received < length => {
                    let e = Error::Integrity(format!(
                        "{path}: the body ended after {received} of {length} bytes"
                    ));
                    Some((Err(e), (body, received, true)))
                }
                None => None,
            }
        }
    });
    ByteStream::new(checked.boxed())
}

pub(crate) async fn stat_presigned(
    client: &LakeFsClient,
    repository: &str,
    ref_: &str,
    path: &str,
) -> Result<ObjectStats> {
    client
        .stat_object(
            repository,
            ref_,
            path,
            StatObjectOptions::default().presign(true),
        )
        .await
}

pub(crate) fn object_size(stats: &ObjectStats) -> Result<u64> {
    stats
        .size_bytes
        .and_then(|s| u64::try_from(s).ok())
        .ok_or_else(|| Error::Decode {
            operation: "statObject",
            status: 200,
            message: format!("no usable size_bytes for {}", stats.path),
            request_id: None,
        })
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::TryStreamExt;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

    const STAT: &str = "/api/v1/repositories/r/refs/main/objects/stat";

    fn content(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    /// A store serving `bytes=N-` of `data`; refuses the first `refuse` GETs with 403 and
    /// cuts every body to `cut` bytes when set.
    struct Store {
        data: Vec<u8>,
        refuse: usize,
        cut: Option<usize>,
        gets: Arc<AtomicUsize>,
    }

    impl Respond for Store {
        fn respond(&self, request: &Request) -> ResponseTemplate {
            let n = self.gets.fetch_add(1, Ordering::SeqCst);
            if n < self.refuse {
                return ResponseTemplate::new(403).set_body_string("<Error>AccessDenied</Error>");
            }
            let start: usize = request
                .headers
                .get("range")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("bytes="))
                .and_then(|v| v.strip_suffix('-'))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut body = self.data[start..].to_vec();
            if let Some(cut) = self.cut {
                body.truncate(cut);
            }
            ResponseTemplate::new(206)
                .insert_header(
                    "content-range",
                    format!("bytes {start}-{}/{}", self.data.len() - 1, self.data.len()).as_str(),
                )
                .set_body_bytes(body)
        }
    }

    async fn reader(store: Store) -> (MockServer, RangedReader, Arc<AtomicUsize>) {
        let server = MockServer::start().await;
        let size = store.data.len();
        let gets = store.gets.clone();
        let address = format!("{}/store/obj?sig=1", server.uri());
        Mock::given(method("GET"))
            .and(path(STAT))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "path": "obj", "path_type": "object", "physical_address": address,
                "checksum": "not-an-md5", "mtime": 1, "size_bytes": size,
            })))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/store/obj"))
            .respond_with(store)
            .mount(&server)
            .await;
        let client = LakeFsClient::builder()
            .endpoint(server.uri())
            .access_key("AKID", "SECRET")
            .retry(crate::RetryConfig::default().with_backoff(
                std::time::Duration::from_millis(1),
                std::time::Duration::from_millis(2),
            ))
            .build()
            .unwrap();
        let reader = RangedReader::open(&client, "r", "main", "obj")
            .await
            .unwrap();
        assert_eq!(gets.load(Ordering::SeqCst), 0, "open sends no GET");
        (server, reader, gets)
    }

    fn store(data: &[u8]) -> Store {
        Store {
            data: data.to_vec(),
            refuse: 0,
            cut: None,
            gets: Arc::default(),
        }
    }

    async fn collect(stream: ByteStream) -> Result<Vec<u8>> {
        let chunks: Vec<Bytes> = stream.try_collect().await?;
        Ok(chunks.concat())
    }

    #[tokio::test]
    async fn stream_from_reads_to_the_end_in_one_get() {
        let data = content(300_000);
        let (_server, reader, gets) = reader(store(&data)).await;
        assert_eq!(
            collect(reader.stream_from(0).await.unwrap()).await.unwrap(),
            data
        );
        assert_eq!(gets.load(Ordering::SeqCst), 1);
        let tail = collect(reader.stream_from(123_457).await.unwrap())
            .await
            .unwrap();
        assert_eq!(tail, data[123_457..]);
        assert_eq!(gets.load(Ordering::SeqCst), 2);
        // At the end: nothing to fetch; past it: the caller's mistake.
        let end = collect(reader.stream_from(data.len() as u64).await.unwrap()).await;
        assert!(end.unwrap().is_empty());
        assert_eq!(gets.load(Ordering::SeqCst), 2);
        let past = reader.stream_from(data.len() as u64 + 1).await.unwrap_err();
        assert!(matches!(past, Error::InvalidArgument(_)), "{past}");
    }

    #[tokio::test]
    async fn stream_from_refreshes_a_refused_url() {
        let data = content(10_000);
        let refusing = Store {
            refuse: 1,
            ..store(&data)
        };
        let (server, reader, gets) = reader(refusing).await;
        let read = collect(reader.stream_from(10).await.unwrap())
            .await
            .unwrap();
        assert_eq!(read, data[10..]);
        assert_eq!(gets.load(Ordering::SeqCst), 2, "refused once, then served");
        let stats = server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.url.path() == STAT)
            .count();
        assert_eq!(stats, 2, "the open's stat and one refresh");
    }

    #[tokio::test]
    async fn a_short_answer_is_an_integrity_error() {
        let data = content(10_000);
        // The store answers 100 bytes where 10,000 were asked for.
        let cutting = Store {
            cut: Some(100),
            ..store(&data)
        };
        let (_server, reader, gets) = reader(cutting).await;
        let err = match reader.stream_from(0).await {
            Ok(stream) => collect(stream).await.unwrap_err(),
            Err(e) => e,
        };
        assert!(matches!(err, Error::Integrity(_)), "{err}");
        assert!(gets.load(Ordering::SeqCst) > 1, "retried before giving up");
    }
}
