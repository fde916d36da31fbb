//! Requests to the object store through presigned URLs: never with lakeFS credentials, with
//! the idle timeout, retried one at a time.

use super::Meter;
use crate::LakeFsClient;
use crate::body::{header_text, unquote};
use crate::call::redact_presigned;
use crate::error::{Error, Result};
use crate::operation::OperationInfo;
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use md5::{Digest, Md5};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A presigned URL is refreshed when it expires within this (lakectl's buffer).
pub(crate) const EXPIRY_BUFFER: Duration = Duration::from_secs(15);
/// Transfer data (downloaded ranges, parts read from a file) is held in pieces of this size.
pub(crate) const PIECE: usize = 1024 * 1024;
/// Free pieces a transfer keeps for reuse (128 MiB). A pool never holds more than were in use
/// at once (concurrency x part size), so this only bounds odd uses of a long-lived reader.
const POOL_KEEP: usize = 128;
/// A URL the store refused (403) is refreshed at most this often for one request.
const MAX_URL_REFRESHES: u32 = 2;

const fn store_operation(id: &'static str, method: &'static str) -> OperationInfo {
    OperationInfo {
        id,
        method_name: id,
        group: "transfer",
        method,
        path: "",
        needs_auth: false,
        paginated: false,
        deprecated: false,
        // Putting the same bytes on the same presigned URL, or reading a range, again changes
        // nothing: both may be retried after any failure.
        idempotent: true,
        streaming: true,
        accept: "*/*",
        responses: &[],
    }
}

/// A PUT to the object store (a part, or a whole object).
pub(crate) static STORE_PUT: OperationInfo = store_operation("objectStorePut", "PUT");
/// A GET from the object store.
pub(crate) static STORE_GET: OperationInfo = store_operation("objectStoreGet", "GET");

/// A presigned URL and when it stops working (`None`: unknown, treated as expiring).
#[derive(Debug, Clone)]
pub(crate) struct SignedUrl {
    pub(crate) url: reqwest::Url,
    pub(crate) expires: Option<SystemTime>,
}

impl SignedUrl {
    /// Parses a presigned URL; `expiry` is what lakeFS said (Unix seconds), else the URL's own
    /// `X-Amz-Date` + `X-Amz-Expires` (S3, GCS as `X-Goog-*`) or `se=` (Azure SAS).
    pub(crate) fn parse(text: &str, expiry: Option<i64>) -> Result<SignedUrl> {
        let url = reqwest::Url::parse(text).map_err(|e| {
            Error::Unsupported(format!(
                "lakeFS gave no usable presigned URL ({e}); is presign enabled?"
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::Unsupported(format!(
                "lakeFS gave a {} address, not a presigned URL",
                url.scheme()
            )));
        }
        let expires = expiry
            .and_then(|s| u64::try_from(s).ok())
            .map(|s| UNIX_EPOCH + Duration::from_secs(s))
            .or_else(|| url_expiry(&url));
        Ok(SignedUrl { url, expires })
    }

    /// Whether it expires within the buffer (or its expiry is unknown, as lakectl treats it).
    pub(crate) fn expires_soon(&self, now: SystemTime) -> bool {
        self.expires.is_none_or(|t| t <= now + EXPIRY_BUFFER)
    }
}

/// The expiry a presigned URL carries in its query.
pub(crate) fn url_expiry(url: &reqwest::Url) -> Option<SystemTime> {
    let mut date = None;
    let mut lifetime = None;
    let mut azure_end = None;
    for (key, value) in url.query_pairs() {
        match key.to_ascii_lowercase().as_str() {
            "x-amz-date" | "x-goog-date" => date = parse_compact_time(&value),
            "x-amz-expires" | "x-goog-expires" => lifetime = value.parse::<u64>().ok(),
            "se" => azure_end = parse_iso_time(&value),
            _ => {}
        }
    }
    match (date, lifetime) {
        (Some(date), Some(seconds)) => Some(date + Duration::from_secs(seconds)),
        _ => azure_end,
    }
}

/// `20060102T150405Z`.
fn parse_compact_time(text: &str) -> Option<SystemTime> {
    let text = text.strip_suffix('Z')?;
    let (day, time) = text.split_once('T')?;
    if day.len() != 8 || time.len() != 6 {
        return None;
    }
    let n = |s: &str| s.parse::<u64>().ok();
    civil_time(
        n(&day[..4])?,
        n(&day[4..6])?,
        n(&day[6..])?,
        n(&time[..2])?,
        n(&time[2..4])?,
        n(&time[4..])?,
    )
}

/// `2006-01-02T15:04:05Z` (Azure's `se`; a date alone means its midnight).
fn parse_iso_time(text: &str) -> Option<SystemTime> {
    let text = text.trim_end_matches('Z');
    let (day, time) = text.split_once('T').unwrap_or((text, "00:00:00"));
    let mut d = day.split('-').map(|p| p.parse::<u64>().ok());
    let mut t = time
        .split(':')
        .map(|p| p.split('.').next()?.parse::<u64>().ok());
    civil_time(
        d.next()??,
        d.next()??,
        d.next()??,
        t.next().flatten().unwrap_or(0),
        t.next().flatten().unwrap_or(0),
        t.next().flatten().unwrap_or(0),
    )
}

/// Seconds since the epoch of a UTC date and time (Howard Hinnant's days-from-civil).
fn civil_time(y: u64, m: u64, d: u64, hh: u64, mm: u64, ss: u64) -> Option<SystemTime> {
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || y < 1970 || hh > 23 || mm > 59 || ss > 60
    {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    Some(UNIX_EPOCH + Duration::from_secs(days * 86_400 + hh * 3600 + mm * 60 + ss))
}

/// The pieces of one transfer, handed back when the bytes they hold are dropped. Fresh memory
/// costs a page fault per 4 KiB once written: for a parallel download that was more CPU than
/// the copy into the piece itself (measured: 3x raw reqwest, 12x the page faults), while a
/// reused piece's pages are already mapped. A few free pieces are kept; the pool goes with
/// the transfer.
#[derive(Debug, Default)]
pub(crate) struct PiecePool {
    free: Mutex<Vec<Vec<u8>>>,
}

impl PiecePool {
    /// An empty buffer able to hold `len` bytes (at most [`PIECE`]): a free piece when
    /// there is one and `len` is worth it, else a new allocation of exactly `len`.
    pub(crate) fn take(&self, len: usize) -> Vec<u8> {
        if len >= PIECE / 2
            && let Some(piece) = lock(&self.free).pop()
        {
            return piece;
        }
        Vec::with_capacity(len)
    }

    /// Freezes `piece` into `Bytes` that give the buffer back to `pool` when dropped.
    pub(crate) fn freeze(pool: &Arc<PiecePool>, piece: Vec<u8>) -> Bytes {
        if piece.capacity() != PIECE {
            return Bytes::from(piece);
        }
        Bytes::from_owner(Pooled {
            data: piece,
            pool: Arc::downgrade(pool),
        })
    }

    fn give(&self, mut piece: Vec<u8>) {
        let mut free = lock(&self.free);
        if free.len() < POOL_KEEP {
            piece.clear();
            free.push(piece);
        }
    }
}

/// A piece lent out as `Bytes`.
struct Pooled {
    data: Vec<u8>,
    pool: std::sync::Weak<PiecePool>,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.data
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.upgrade() {
            pool.give(std::mem::take(&mut self.data));
        }
    }
}

/// Where the bytes of a ranged GET go as they arrive. Each attempt begins with `restart`
/// (a retried range arrives again from its first byte) and, when all its bytes came,
/// ends with `finish`.
pub(crate) trait RangeSink: Send {
    /// Forgets what an earlier attempt delivered.
    fn restart(&mut self);
    /// Takes the next chunk of the range.
    fn accept(&mut self, chunk: Bytes) -> impl Future<Output = Result<()>> + Send;
    /// The range is complete.
    fn finish(&mut self) -> impl Future<Output = Result<()>> + Send;
}

/// Holds a range in memory: the network's chunks are copied into pieces of at most 1 MiB
/// taken from the transfer's pool, because a network chunk can pin a much larger read
/// buffer while the range waits for its turn.
pub(crate) struct PieceCollector {
    pool: Arc<PiecePool>,
    length: u64,
    pieces: Vec<Bytes>,
    piece: Vec<u8>,
    piece_len: usize,
    /// Bytes taken so far, in `pieces` and `piece`.
    held: u64,
}

impl PieceCollector {
    pub(crate) fn new(pool: Arc<PiecePool>, length: u64) -> Self {
        let count = usize::try_from(length.div_ceil(PIECE as u64)).unwrap_or(0);
        PieceCollector {
            pool,
            length,
            pieces: Vec::with_capacity(count),
            piece: Vec::new(),
            piece_len: 0,
            held: 0,
        }
    }

    /// The range's bytes, in pieces.
    pub(crate) fn into_pieces(self) -> Vec<Bytes> {
        self.pieces
    }

    fn take(&mut self, chunk: &[u8]) {
        let mut rest = chunk;
        while !rest.is_empty() {
            if self.piece.len() == self.piece_len {
                let left = self.length.saturating_sub(self.held);
                self.piece_len = usize::try_from(left.min(PIECE as u64)).unwrap_or(PIECE);
                self.piece = self.pool.take(self.piece_len);
            }
            let take = rest.len().min(self.piece_len - self.piece.len());
            self.piece.extend_from_slice(&rest[..take]);
            self.held += take as u64;
            rest = &rest[take..];
            if self.piece.len() == self.piece_len {
                let full = std::mem::take(&mut self.piece);
                self.pieces.push(PiecePool::freeze(&self.pool, full));
                self.piece_len = 0;
            }
        }
    }
}

impl RangeSink for PieceCollector {
    fn restart(&mut self) {
        self.pieces.clear();
        self.piece.clear();
        self.piece_len = 0;
        self.held = 0;
    }

    fn accept(&mut self, chunk: Bytes) -> impl Future<Output = Result<()>> + Send {
        self.take(&chunk);
        std::future::ready(Ok(()))
    }

    fn finish(&mut self) -> impl Future<Output = Result<()>> + Send {
        std::future::ready(Ok(()))
    }
}

/// The checksum a store answered a PUT with: `Content-MD5` (base64) as hex when present, else
/// the `ETag` without quotes (lakectl's `extractEtagFromResponseHeader`).
pub(crate) fn response_checksum(headers: &reqwest::header::HeaderMap) -> Option<String> {
    use base64::Engine;
    if let Some(md5) = header_text(headers, "content-md5")
        && let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(md5.trim())
        && !raw.is_empty()
    {
        return Some(hex(&raw));
    }
    header_text(headers, "etag")
        .map(|e| unquote(&e))
        .filter(|e| !e.is_empty())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Whether an ETag is a plain MD5 of the content (S3 without SSE-KMS, GCS, MinIO): 32 hex
/// digits. Others (Azure's `0x8D...`, multipart `...-N`) cannot be compared with one.
pub(crate) fn is_md5(etag: &str) -> bool {
    etag.len() == 32 && etag.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Compares the MD5 the client computed with the store's checksum, when that is an MD5.
pub(crate) fn check_md5(what: &str, computed: &str, answered: &str) -> Result<()> {
    if is_md5(answered) && !computed.eq_ignore_ascii_case(answered) {
        return Err(Error::Integrity(format!(
            "{what}: the store's ETag {answered} is not the MD5 {computed} of the bytes sent"
        )));
    }
    Ok(())
}

pub(crate) fn md5_hex(data: &[u8]) -> String {
    hex(&Md5::digest(data))
}

/// The MD5 of data held as chunks.
pub(crate) fn md5_chunks(chunks: &[Bytes]) -> String {
    let mut hasher = Md5::new();
    for chunk in chunks {
        hasher.update(chunk);
    }
    hex(&hasher.finalize())
}

/// The total length of chunks.
pub(crate) fn chunks_len(chunks: &[Bytes]) -> u64 {
    chunks.iter().map(|c| c.len() as u64).sum()
}

/// What to PUT.
pub(crate) enum PutBody {
    /// Bytes in memory (a part, as the chunks it was read in: never copied into one buffer),
    /// retried as they are.
    Chunks(Vec<Bytes>),
    /// A stream of a known length, sent once.
    Stream(BoxStream<'static, std::io::Result<Bytes>>, u64),
}

impl PutBody {
    fn len(&self) -> u64 {
        match self {
            PutBody::Chunks(c) => chunks_len(c),
            PutBody::Stream(_, len) => *len,
        }
    }
}

/// How a PUT is sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct PutOptions {
    pub(crate) content_type: Option<String>,
    /// Azure needs `x-ms-blob-type: BlockBlob`.
    pub(crate) azure: bool,
    /// Compute the MD5 of a streamed body while sending it (bytes are hashed by the caller).
    pub(crate) hash_stream: bool,
}

/// What the store answered a PUT with.
pub(crate) struct PutAnswer {
    /// The checksum (`Content-MD5` as hex, else the `ETag`).
    pub(crate) checksum: String,
    /// The MD5 of a streamed body, when asked for.
    pub(crate) stream_md5: Option<String>,
}

impl LakeFsClient {
    /// One PUT to a presigned URL, counted in `meter` as it is sent (and taken back if it
    /// fails).
    pub(crate) async fn store_put(
        &self,
        url: &reqwest::Url,
        body: PutBody,
        options: &PutOptions,
        meter: &Meter,
    ) -> Result<PutAnswer> {
        let length = body.len();
        let sent_bytes = Arc::new(AtomicU64::new(0));
        let hasher = (options.hash_stream && matches!(body, PutBody::Stream(..)))
            .then(|| Arc::new(Mutex::new(Md5::new())));
        let mut request = self
            .inner
            .http
            .put(url.clone())
            .header(reqwest::header::CONTENT_LENGTH, length);
        if let Some(content_type) = &options.content_type {
            request = request.header(reqwest::header::CONTENT_TYPE, content_type);
        }
        if options.azure {
            request = request.header("x-ms-blob-type", "BlockBlob");
        }
        // An empty body is sent as none: stores answer a chunked empty body with 501.
        let upload = (length > 0).then(|| {
            let chunks: BoxStream<'static, std::io::Result<Bytes>> = match body {
                PutBody::Chunks(c) => futures::stream::iter(c.into_iter().map(Ok)).boxed(),
                PutBody::Stream(s, _) => s,
            };
            let (counted, meter, hashing) = (sent_bytes.clone(), meter.clone(), hasher.clone());
            chunks
                .inspect_ok(move |chunk| {
                    if let Some(hasher) = &hashing {
                        lock(hasher).update(chunk);
                    }
                    counted.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                    meter.add(chunk.len() as u64);
                })
                .boxed()
        });
        let answer = async {
            let answer = self.send_to_store(&STORE_PUT, url, request, upload).await?;
            let checksum = response_checksum(&answer.headers);
            // Drain the (tiny) body so that the connection is reused.
            let _ = answer.body.bytes().await;
            match checksum {
                Some(checksum) => Ok(PutAnswer {
                    checksum,
                    stream_md5: hasher.map(|h| hex(&lock(&h).clone().finalize())),
                }),
                None => Err(Error::Integrity(format!(
                    "PUT {}: the store answered without an ETag",
                    redact_presigned(url)
                ))),
            }
        }
        .await;
        if answer.is_err() {
            meter.sub(sent_bytes.load(Ordering::Relaxed));
        }
        answer
    }

    /// A GET of `range` (inclusive start, exclusive end) of an object of `size` bytes: the
    /// answer must be 206 with exactly that many bytes (200 only for a whole object). The
    /// bytes go to `sink` as they arrive; answers the store's ETag (unquoted).
    pub(crate) async fn store_get_range_into(
        &self,
        url: &reqwest::Url,
        range: std::ops::Range<u64>,
        size: u64,
        meter: &Meter,
        sink: &mut impl RangeSink,
    ) -> Result<Option<String>> {
        let length = range.end - range.start;
        let request = self.inner.http.get(url.clone()).header(
            reqwest::header::RANGE,
            format!("bytes={}-{}", range.start, range.end - 1),
        );
        let shown = redact_presigned(url);
        let answer = self.send_to_store(&STORE_GET, url, request, None).await?;
        let whole = range.start == 0 && length == size;
        if answer.status != 206 && !(answer.status == 200 && whole) {
            return Err(Error::Integrity(format!(
                "GET {shown} range {}-{}: the store answered {}, not 206",
                range.start,
                range.end - 1,
                answer.status
            )));
        }
        let etag = header_text(&answer.headers, "etag").map(|e| unquote(&e));
        let announced = header_text(&answer.headers, "content-length")
            .and_then(|l| l.trim().parse::<u64>().ok());
        if announced.is_some_and(|l| l != length) {
            return Err(Error::Integrity(format!(
                "GET {shown}: the store announced {announced:?} bytes for a range of {length}"
            )));
        }
        sink.restart();
        let mut body = answer.body;
        let mut received = 0u64;
        let outcome = async {
            while let Some(chunk) = body.try_next().await? {
                received += chunk.len() as u64;
                if received > length {
                    return Err(Error::Integrity(format!(
                        "GET {shown}: the store sent more than the {length} bytes asked for"
                    )));
                }
                meter.add(chunk.len() as u64);
                sink.accept(chunk).await?;
            }
            if received != length {
                return Err(Error::Integrity(format!(
                    "GET {shown}: the body ended after {received} of {length} bytes"
                )));
            }
            sink.finish().await
        }
        .await;
        match outcome {
            Ok(()) => Ok(etag),
            Err(e) => {
                meter.sub(received.min(length));
                Err(e)
            }
        }
    }

    /// Runs `attempt` until it succeeds, retrying as the client's policy allows (transport
    /// errors, timeouts, 429 and 5xx, integrity failures), and once or twice more when the
    /// store refuses the URL (403: expired), telling `attempt` to refresh it.
    pub(crate) async fn with_store_retries<T, F, Fut>(&self, mut attempt: F) -> Result<T>
    where
        F: FnMut(bool) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let retry = &self.inner.retry;
        let mut number = 1u32;
        let mut refreshes = 0u32;
        let mut refresh = false;
        loop {
            let error = match attempt(refresh).await {
                Ok(value) => return Ok(value),
                Err(e) => e,
            };
            refresh = false;
            if is_store_refusal(&error) && refreshes < MAX_URL_REFRESHES {
                tracing::debug!(error = %error, "the store refused a presigned URL; refreshing it");
                refreshes += 1;
                refresh = true;
                continue;
            }
            let retryable = match &error {
                Error::Integrity(_) => number < retry.max_attempts,
                e => retry.should_retry(&STORE_PUT, e, number),
            };
            if !retryable {
                return Err(error);
            }
            let delay = retry.delay(&error, number);
            tracing::debug!(attempt = number, ?delay, error = %error, "retrying a storage request");
            tokio::time::sleep(delay).await;
            number += 1;
        }
    }
}

/// A 403 from the store itself (not from lakeFS): the presigned URL expired or was refused.
fn is_store_refusal(error: &Error) -> bool {
    error.api_error().is_some_and(|e| {
        e.status == 403 && (e.operation == STORE_PUT.id || e.operation == STORE_GET.id)
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

    fn at(text: &str) -> u64 {
        url_expiry(&reqwest::Url::parse(text).unwrap())
            .unwrap()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[test]
    fn s3_expiry_is_date_plus_lifetime() {
        // 2024-01-02T03:04:05Z = 1704164645
        assert_eq!(
            at(
                "https://b.s3.amazonaws.com/k?X-Amz-Date=20240102T030405Z&X-Amz-Expires=900&X-Amz-Signature=x"
            ),
            1_704_164_645 + 900
        );
        assert_eq!(
            at("https://storage.googleapis.com/b/k?X-Goog-Date=20240102T030405Z&X-Goog-Expires=60"),
            1_704_164_645 + 60
        );
    }

    #[test]
    fn azure_expiry_is_the_sas_end() {
        assert_eq!(
            at("https://a.blob.core.windows.net/c/k?sv=2020&se=2024-01-02T03%3A04%3A05Z&sig=x"),
            1_704_164_645
        );
    }

    #[test]
    fn unknown_expiry_counts_as_expiring() {
        let url = SignedUrl::parse("http://127.0.0.1:1/k?sig=1", None).unwrap();
        assert!(url.expires.is_none());
        assert!(url.expires_soon(SystemTime::now()));
        let later = SystemTime::now() + Duration::from_secs(3600);
        let secs = later.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
        let url = SignedUrl::parse("http://127.0.0.1:1/k", Some(secs)).unwrap();
        assert!(!url.expires_soon(SystemTime::now()));
        assert!(url.expires_soon(later - Duration::from_secs(10)));
    }

    #[test]
    fn a_storage_uri_is_not_a_presigned_url() {
        let err = SignedUrl::parse("s3://bucket/key", None).unwrap_err();
        assert!(matches!(err, Error::Unsupported(_)), "{err}");
    }

    #[test]
    fn checksum_prefers_content_md5_as_hex() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("etag", "\"abc\"".parse().unwrap());
        assert_eq!(response_checksum(&headers).as_deref(), Some("abc"));
        // base64 of the 16 bytes 00 01 .. 0f
        headers.insert("content-md5", "AAECAwQFBgcICQoLDA0ODw==".parse().unwrap());
        assert_eq!(
            response_checksum(&headers).as_deref(),
            Some("000102030405060708090a0b0c0d0e0f")
        );
        assert_eq!(response_checksum(&reqwest::header::HeaderMap::new()), None);
    }

    #[test]
    fn a_piece_comes_back_to_its_pool_when_its_bytes_are_dropped() {
        let pool = Arc::new(PiecePool::default());
        let mut piece = pool.take(PIECE);
        piece.extend_from_slice(&[7u8; PIECE]);
        let address = piece.as_ptr();
        let bytes = PiecePool::freeze(&pool, piece);
        let slice = bytes.slice(10..20);
        drop(bytes);
        assert_eq!(&slice[..], &[7u8; 10]);
        assert!(lock(&pool.free).is_empty(), "a slice still holds it");
        drop(slice);
        let again = pool.take(PIECE);
        assert_eq!((again.as_ptr(), again.len()), (address, 0));
        // Small tails are allocated as they are, never from the pool.
        drop(PiecePool::freeze(&pool, again));
        assert_eq!(pool.take(100).capacity(), 100);
        assert_eq!(lock(&pool.free).len(), 1);
    }

    #[test]
    fn md5_is_compared_only_with_an_md5_etag() {
        let sum = md5_hex(b"hello");
        assert_eq!(sum, "5d41402abc4b2a76b9719d911017c592");
        assert!(check_md5("part 1", &sum, &sum.to_uppercase()).is_ok());
        assert!(check_md5("part 1", &sum, "0x8DBF0000AAAA").is_ok());
        let err = check_md5("part 1", &sum, "00000000000000000000000000000000").unwrap_err();
        assert!(matches!(err, Error::Integrity(_)), "{err}");
    }
}
