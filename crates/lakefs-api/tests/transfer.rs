//! Transfers against a mocked lakeFS and a mocked object store on another port: the path
//! chosen, what each request carries, retries, refreshes, restarts and aborts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use bytes::Bytes;
use lakefs_api::transfer::{MIN_PART_SIZE, MultipartUpload, TransferMode, TransferPath};
use lakefs_api::*;
use md5::{Digest, Md5};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use support::*;
use wiremock::matchers::{method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const STAGING: &str = "/api/v1/repositories/r/branches/main/staging/backing";
const PMPU: &str = "/api/v1/repositories/r/branches/main/staging/pmpu";

fn md5_hex(data: &[u8]) -> String {
    Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn data(len: usize) -> Bytes {
    (0..len)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<u8>>()
        .into()
}

fn retrying(server: &MockServer) -> LakeFsClient {
    LakeFsClient::builder()
        .endpoint(server.uri())
        .access_key("AKID", "SECRET")
        .retry(
            RetryConfig::default().with_backoff(Duration::from_millis(1), Duration::from_millis(2)),
        )
        .build()
        .unwrap()
}

struct Env {
    api: MockServer,
    store: MockServer,
    client: LakeFsClient,
}

impl Env {
    async fn new(presign: bool, multipart: bool, blockstore: &str, version: &str) -> Env {
        let api = mock_server().await;
        let store = mock_server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/config"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "version_config": {"version": version},
                "storage_config": {
                    "blockstore_type": blockstore, "blockstore_namespace_example": "",
                    "blockstore_namespace_ValidityRegex": "", "pre_sign_support": presign,
                    "pre_sign_support_ui": false, "import_support": false,
                    "import_validity_regex": "", "pre_sign_multipart_upload": multipart,
                }
            })))
            .expect(0..=1)
            .mount(&api)
            .await;
        let client = retrying(&api);
        Env { api, store, client }
    }

    fn url(&self, key: &str) -> String {
        // Signed "in 2099" for 15 minutes: never about to expire.
        format!(
            "{}/bucket/{key}?X-Amz-Date=20990101T000000Z&X-Amz-Expires=900&X-Amz-Signature=s",
            self.store.uri()
        )
    }

    async fn stage(&self, times: u64) {
        let location = serde_json::json!({
            "physical_address": "s3://bucket/obj,sig",
            "presigned_url": self.url("obj"),
            "presigned_url_expiry": 4_000_000_000i64,
        });
        Mock::given(method("GET"))
            .and(path(STAGING))
            .and(query_param("presign", "true"))
            .respond_with(ResponseTemplate::new(200).set_body_json(location))
            .expect(times)
            .mount(&self.api)
            .await;
    }

    async fn create_mpu(&self, parts: usize) {
        let urls: Vec<String> = (1..=parts)
            .map(|n| self.url(&format!("obj/part{n}")))
            .collect();
        Mock::given(method("POST"))
            .and(path(PMPU))
            .and(query_param("parts", parts.to_string()))
            .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({
                "upload_id": "u1", "physical_address": "s3://bucket/obj,sig", "presigned_urls": urls,
            })))
            .expect(1)
            .mount(&self.api)
            .await;
    }

    async fn abort_expected(&self, times: u64) {
        Mock::given(method("DELETE"))
            .and(path(format!("{PMPU}/u1")))
            .respond_with(ResponseTemplate::new(204))
            .expect(times)
            .mount(&self.api)
            .await;
    }
}

fn stats(size: usize, checksum: &str) -> serde_json::Value {
    serde_json::json!({"path": "obj", "path_type": "object", "physical_address": "s3://bucket/obj",
        "checksum": checksum, "size_bytes": size, "mtime": 1})
}

/// An S3-like PUT target: answers the quoted MD5 of the body as ETag, after `failures`
/// answers of `failure_status`; `bad_etags` answers with a wrong ETag first.
struct StorePut {
    calls: Arc<AtomicUsize>,
    failures: usize,
    failure_status: u16,
    bad_etags: usize,
}

impl StorePut {
    fn ok() -> Self {
        StorePut {
            calls: Arc::default(),
            failures: 0,
            failure_status: 500,
            bad_etags: 0,
        }
    }
}

impl Respond for StorePut {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        if request.headers.get("authorization").is_some() {
            return ResponseTemplate::new(400)
                .set_body_string("a lakeFS credential reached the store");
        }
        if request.headers.get("content-length").is_none() {
            return ResponseTemplate::new(411);
        }
        if n < self.failures {
            return ResponseTemplate::new(self.failure_status);
        }
        let etag = if n < self.failures + self.bad_etags {
            "0123456789abcdef0123456789abcdef".to_string()
        } else {
            md5_hex(&request.body)
        };
        ResponseTemplate::new(200).insert_header("etag", format!("\"{etag}\""))
    }
}

#[tokio::test]
async fn without_presign_the_api_path_is_used() {
    let env = Env::new(false, false, "local", "1.84.0").await;
    Mock::given(method("POST"))
        .and(path("/api/v1/repositories/r/branches/main/objects"))
        .respond_with(ResponseTemplate::new(201).set_body_json(stats(5, "c")))
        .expect(1)
        .mount(&env.api)
        .await;
    let outcome = env
        .client
        .upload("r", "main", "obj")
        .bytes(&b"hello"[..])
        .send()
        .await
        .unwrap();
    assert_eq!(outcome.path, TransferPath::Api);
    let err = env
        .client
        .upload("r", "main", "obj")
        .bytes(&b"hello"[..])
        .mode(TransferMode::Presigned)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported(_)), "{err}");
}

#[tokio::test]
async fn a_small_object_is_one_presigned_put_then_a_link_with_its_checksum() {
    let env = Env::new(true, true, "azure", "1.84.0").await;
    env.stage(1).await;
    let body = data(1000);
    let put = StorePut::ok();
    let calls = put.calls.clone();
    Mock::given(method("PUT"))
        .and(path("/bucket/obj"))
        .and(wiremock::matchers::header("x-ms-blob-type", "BlockBlob"))
        .and(wiremock::matchers::header("content-type", "text/csv"))
        .respond_with(put)
        .mount(&env.store)
        .await;
    let sum = md5_hex(&body);
    Mock::given(method("PUT"))
        .and(path(STAGING))
        .and(wiremock::matchers::body_partial_json(serde_json::json!({
            "checksum": sum, "size_bytes": 1000, "content_type": "text/csv",
            "user_metadata": {"k": "v"},
            "staging": {"physical_address": "s3://bucket/obj,sig"},
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(stats(1000, &sum)))
        .expect(1)
        .mount(&env.api)
        .await;
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let outcome = env
        .client
        .upload("r", "main", "obj")
        .bytes(body)
        .content_type("text/csv")
        .metadata("k", "v")
        .on_progress(move |p| record.lock().unwrap().push(p))
        .send()
        .await
        .unwrap();
    assert_eq!(outcome.path, TransferPath::PresignedPut);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let last = *seen.lock().unwrap().last().unwrap();
    assert_eq!((last.bytes_done, last.total), (1000, Some(1000)));
}

async fn multipart_env(size: usize, put: StorePut) -> (Env, Bytes) {
    let env = Env::new(true, true, "s3", "1.84.0").await;
    let parts = size.div_ceil(MIN_PART_SIZE as usize);
    env.create_mpu(parts).await;
    Mock::given(method("PUT"))
        .and(path_regex("^/bucket/obj/part[0-9]+$"))
        .respond_with(put)
        .mount(&env.store)
        .await;
    (env, data(size))
}

#[tokio::test]
async fn a_large_object_goes_in_parallel_parts_completed_in_order() {
    let size = 2 * MIN_PART_SIZE as usize + 1234;
    let (env, body) = multipart_env(size, StorePut::ok()).await;
    let etags: Vec<serde_json::Value> = body
        .chunks(MIN_PART_SIZE as usize)
        .enumerate()
        .map(|(i, part)| serde_json::json!({"part_number": i + 1, "etag": md5_hex(part)}))
        .collect();
    Mock::given(method("PUT"))
        .and(path(format!("{PMPU}/u1")))
        .and(wiremock::matchers::body_partial_json(serde_json::json!({
            "physical_address": "s3://bucket/obj,sig", "parts": etags,
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(stats(size, "x-3")))
        .expect(1)
        .mount(&env.api)
        .await;
    env.abort_expected(0).await;
    let outcome = env
        .client
        .upload("r", "main", "obj")
        .bytes(body)
        .concurrency(3)
        .send()
        .await
        .unwrap();
    assert_eq!(outcome.path, TransferPath::PresignedMultipart);
    assert_eq!(outcome.parts, 3);
}

#[tokio::test]
async fn a_part_failing_once_or_with_a_wrong_etag_is_retried_on_its_own() {
    let size = 2 * MIN_PART_SIZE as usize;
    let put = StorePut {
        failures: 1,
        bad_etags: 1,
        ..StorePut::ok()
    };
    let calls = put.calls.clone();
    let (env, body) = multipart_env(size, put).await;
    Mock::given(method("PUT"))
        .and(path(format!("{PMPU}/u1")))
        .respond_with(ResponseTemplate::new(200).set_body_json(stats(size, "x-2")))
        .expect(1)
        .mount(&env.api)
        .await;
    let outcome = env
        .client
        .upload("r", "main", "obj")
        .file(write_temp(&body))
        .concurrency(1)
        .send()
        .await
        .unwrap();
    assert_eq!(outcome.parts, 2);
    // Two parts, one 500 and one wrong ETag: four PUTs.
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_part_that_keeps_failing_aborts_the_upload_and_links_nothing() {
    let size = 2 * MIN_PART_SIZE as usize;
    let put = StorePut {
        bad_etags: usize::MAX / 2,
        ..StorePut::ok()
    };
    let (env, body) = multipart_env(size, put).await;
    env.abort_expected(1).await;
    Mock::given(method("PUT"))
        .and(path(format!("{PMPU}/u1")))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&env.api)
        .await;
    let err = env
        .client
        .upload("r", "main", "obj")
        .bytes(body)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Integrity(_)), "{err}");
}

#[tokio::test]
async fn an_expired_part_url_is_refreshed_with_upload_part() {
    let size = 2 * MIN_PART_SIZE as usize;
    let (env, body) = multipart_env(size, StorePut::ok()).await;
    // Part 1's URL has expired: the store refuses it however often it is tried (a count of
    // failures would let a transport-level retry of the same URL pass), so only a URL
    // refreshed through `uploadPart` gets the part in.
    Mock::given(method("PUT"))
        .and(path("/bucket/obj/part1"))
        .respond_with(ResponseTemplate::new(403).set_body_string(
            "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
        ))
        .with_priority(1)
        .mount(&env.store)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("{PMPU}/u1/parts/1")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"presigned_url": env.url("obj/part9")})),
        )
        .expect(1)
        .mount(&env.api)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("{PMPU}/u1")))
        .respond_with(ResponseTemplate::new(200).set_body_json(stats(size, "x-2")))
        .expect(1)
        .mount(&env.api)
        .await;
    env.client
        .upload("r", "main", "obj")
        .bytes(body)
        .concurrency(1)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_conflict_on_link_restarts_a_replayable_upload_but_not_a_stream() {
    let env = Env::new(true, false, "s3", "1.84.0").await;
    env.stage(2 + 1).await;
    Mock::given(method("PUT"))
        .and(path("/bucket/obj"))
        .respond_with(StorePut::ok())
        .mount(&env.store)
        .await;
    Mock::given(method("PUT"))
        .and(path(STAGING))
        .respond_with(
            ResponseTemplate::new(409).set_body_json(serde_json::json!({"message": "conflict"})),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&env.api)
        .await;
    Mock::given(method("PUT"))
        .and(path(STAGING))
        .respond_with(ResponseTemplate::new(200).set_body_json(stats(3, "c")))
        .up_to_n_times(1)
        .expect(1)
        .mount(&env.api)
        .await;
    let outcome = env
        .client
        .upload("r", "main", "obj")
        .bytes(&b"abc"[..])
        .send()
        .await
        .unwrap();
    assert_eq!(outcome.restarts, 1);
    Mock::given(method("PUT"))
        .and(path(STAGING))
        .respond_with(
            ResponseTemplate::new(409).set_body_json(serde_json::json!({"message": "conflict"})),
        )
        .expect(1)
        .mount(&env.api)
        .await;
    let stream = futures::stream::iter(vec![Ok(Bytes::from_static(b"abc"))]);
    let err = env
        .client
        .upload("r", "main", "obj")
        .stream(stream, Some(3))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err}");
}

#[tokio::test]
async fn a_condition_an_old_server_would_ignore_is_refused() {
    let env = Env::new(true, true, "s3", "1.70.0").await;
    let err = env
        .client
        .upload("r", "main", "obj")
        .bytes(&b"abc"[..])
        .if_match("etag")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported(_)), "{err}");
    assert!(err.to_string().contains("1.71.0"), "{err}");
}

#[tokio::test]
async fn a_conditional_upload_is_one_put_and_a_conditional_link_never_multipart() {
    let env = Env::new(true, true, "s3", "1.84.0").await;
    env.stage(1).await;
    Mock::given(method("PUT"))
        .and(path("/bucket/obj"))
        .respond_with(StorePut::ok())
        .mount(&env.store)
        .await;
    Mock::given(method("PUT"))
        .and(path(STAGING))
        .and(wiremock::matchers::header("if-none-match", "*"))
        .respond_with(
            ResponseTemplate::new(412)
                .set_body_json(serde_json::json!({"message": "path already exists"})),
        )
        .expect(1)
        .mount(&env.api)
        .await;
    let size = 2 * MIN_PART_SIZE as usize;
    let err = env
        .client
        .upload("r", "main", "obj")
        .bytes(data(size))
        .create_only()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_precondition_failed(), "{err}");
}

#[tokio::test]
async fn a_cancelled_upload_aborts_its_multipart_upload() {
    let size = 2 * MIN_PART_SIZE as usize;
    let env = Env::new(true, true, "s3", "1.84.0").await;
    env.create_mpu(2).await;
    Mock::given(method("PUT"))
        .and(path_regex("^/bucket/obj/part[0-9]+$"))
        .respond_with(StorePut::ok().delayed())
        .mount(&env.store)
        .await;
    env.abort_expected(1).await;
    let upload = env
        .client
        .upload("r", "main", "obj")
        .bytes(data(size))
        .send();
    // The parts are slow: the upload is still running when it is dropped.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), upload)
            .await
            .is_err()
    );
    for _ in 0..100 {
        let aborted = env
            .api
            .received_requests()
            .await
            .unwrap()
            .iter()
            .any(|r| r.method.as_str() == "DELETE");
        if aborted {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the dropped upload was not aborted");
}

trait Delayed {
    fn delayed(self) -> DelayedPut;
}

struct DelayedPut(StorePut);

impl Delayed for StorePut {
    fn delayed(self) -> DelayedPut {
        DelayedPut(self)
    }
}

impl Respond for DelayedPut {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0.respond(request).set_delay(Duration::from_secs(30))
    }
}

#[tokio::test]
async fn the_session_puts_parts_of_unknown_count_with_upload_part() {
    let env = Env::new(true, true, "s3", "1.84.0").await;
    Mock::given(method("POST"))
        .and(path(PMPU))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({
            "upload_id": "u1", "physical_address": "s3://bucket/obj,sig",
        })))
        .expect(1)
        .mount(&env.api)
        .await;
    Mock::given(method("PUT"))
        .and(path_regex(format!("^{PMPU}/u1/parts/[0-9]+$")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"presigned_url": env.url("obj/part")})),
        )
        .expect(2)
        .mount(&env.api)
        .await;
    Mock::given(method("PUT"))
        .and(path("/bucket/obj/part"))
        .respond_with(StorePut::ok())
        .mount(&env.store)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("{PMPU}/u1")))
        .and(wiremock::matchers::body_partial_json(serde_json::json!({
            "parts": [{"part_number": 1, "etag": md5_hex(b"one")}, {"part_number": 2, "etag": md5_hex(b"two")}],
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(stats(6, "x-2")))
        .expect(1)
        .mount(&env.api)
        .await;
    let session = MultipartUpload::create(&env.client, "r", "main", "obj", None)
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        session.put_part(2, Bytes::from_static(b"two")),
        session.put_part(1, Bytes::from_static(b"one")),
    );
    a.unwrap();
    b.unwrap();
    session.complete(None, Default::default()).await.unwrap();
    assert!(session.put_part(3, Bytes::new()).await.is_err());
}

fn write_temp(data: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("lakefs-transfer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{:x}", rand_suffix()));
    std::fs::write(&path, data).unwrap();
    path
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0);
    h.finish()
}

/// A ranged GET target over `object`: 206 with the asked bytes and the object's ETag.
struct StoreGet {
    object: Bytes,
    calls: Arc<AtomicUsize>,
    forbidden_first: usize,
}

impl Respond for StoreGet {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        if request.headers.get("authorization").is_some() {
            return ResponseTemplate::new(400);
        }
        if n < self.forbidden_first {
            return ResponseTemplate::new(403).set_body_string(
                "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
            );
        }
        let range = request.headers.get("range").unwrap().to_str().unwrap();
        let (a, b) = range.trim_start_matches("bytes=").split_once('-').unwrap();
        let (a, b): (usize, usize) = (a.parse().unwrap(), b.parse().unwrap());
        ResponseTemplate::new(206)
            .insert_header("etag", format!("\"{}\"", md5_hex(&self.object)))
            .insert_header(
                "content-range",
                format!("bytes {a}-{b}/{}", self.object.len()),
            )
            .set_body_bytes(self.object.slice(a..=b).to_vec())
    }
}

async fn download_env(object: &Bytes, forbidden_first: usize) -> (Env, Arc<AtomicUsize>) {
    let env = Env::new(true, true, "s3", "1.84.0").await;
    let mut stat = stats(object.len(), &md5_hex(object));
    stat["physical_address"] = env.url("obj").into();
    stat["physical_address_expiry"] = 4_000_000_000i64.into();
    Mock::given(method("GET"))
        .and(path("/api/v1/repositories/r/refs/main/objects/stat"))
        .and(query_param("presign", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(stat))
        .mount(&env.api)
        .await;
    let get = StoreGet {
        object: object.clone(),
        calls: Arc::default(),
        forbidden_first,
    };
    let calls = get.calls.clone();
    Mock::given(method("GET"))
        .and(path("/bucket/obj"))
        .respond_with(get)
        .mount(&env.store)
        .await;
    (env, calls)
}

#[tokio::test]
async fn a_large_download_is_parallel_ranges_delivered_in_order() {
    use futures::TryStreamExt;
    let object = data(1_000_000);
    let (env, calls) = download_env(&object, 0).await;
    let download = env
        .client
        .download("r", "main", "obj")
        .part_size(100_000)
        .concurrency(4)
        .stream()
        .await
        .unwrap();
    assert_eq!(download.path, TransferPath::PresignedRanges);
    let chunks: Vec<Bytes> = download.body.try_collect().await.unwrap();
    assert_eq!(chunks.concat(), object.to_vec());
    assert_eq!(calls.load(Ordering::SeqCst), 10);
}

#[tokio::test]
async fn a_download_to_a_file_writes_ranges_at_their_offsets_and_survives_an_expired_url() {
    let object = data(777_777);
    let (env, _) = download_env(&object, 1).await;
    let target = write_temp(b"old content that is longer than nothing");
    let outcome = env
        .client
        .download("r", "main", "obj")
        .part_size(64 * 1024)
        .concurrency(3)
        .to_file(&target)
        .await
        .unwrap();
    assert_eq!(outcome.bytes, object.len() as u64);
    assert_eq!(std::fs::read(&target).unwrap(), object.to_vec());
    let stats_calls = env
        .api
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().ends_with("/objects/stat"))
        .count();
    assert_eq!(
        stats_calls, 2,
        "one stat to open, one to refresh after the 403"
    );
}

#[tokio::test]
async fn a_small_download_is_one_presigned_get_checked_against_its_md5() {
    let object = data(1000);
    let (env, calls) = download_env(&object, 0).await;
    let bytes = env
        .client
        .download("r", "main", "obj")
        .stream()
        .await
        .unwrap();
    assert_eq!(bytes.path, TransferPath::PresignedGet);
    assert_eq!(bytes.body.bytes().await.unwrap(), object);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_stream_of_unknown_size_goes_part_by_part_or_through_the_api() {
    let env = Env::new(true, true, "s3", "1.84.0").await;
    Mock::given(method("POST"))
        .and(path(PMPU))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({
            "upload_id": "u1", "physical_address": "s3://bucket/obj,sig",
        })))
        .expect(1)
        .mount(&env.api)
        .await;
    Mock::given(method("PUT"))
        .and(path_regex(format!("^{PMPU}/u1/parts/[0-9]+$")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"presigned_url": env.url("obj/part")})),
        )
        .expect(3)
        .mount(&env.api)
        .await;
    Mock::given(method("PUT"))
        .and(path("/bucket/obj/part"))
        .respond_with(StorePut::ok())
        .mount(&env.store)
        .await;
    let size = 2 * MIN_PART_SIZE as usize + 10;
    Mock::given(method("PUT"))
        .and(path(format!("{PMPU}/u1")))
        .respond_with(ResponseTemplate::new(200).set_body_json(stats(size, "x-3")))
        .expect(1)
        .mount(&env.api)
        .await;
    let body = data(size);
    let chunks: Vec<std::io::Result<Bytes>> = body
        .chunks(300_000)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let outcome = env
        .client
        .upload("r", "main", "obj")
        .stream(futures::stream::iter(chunks), None)
        .part_size(MIN_PART_SIZE)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (outcome.path, outcome.parts),
        (TransferPath::PresignedMultipart, 3)
    );

    let env = Env::new(true, false, "gs", "1.84.0").await;
    Mock::given(method("POST"))
        .and(path("/api/v1/repositories/r/branches/main/objects"))
        .respond_with(ResponseTemplate::new(201).set_body_json(stats(3, "c")))
        .expect(1)
        .mount(&env.api)
        .await;
    let outcome = env
        .client
        .upload("r", "main", "obj")
        .stream(
            futures::stream::iter(vec![Ok(Bytes::from_static(b"abc"))]),
            None,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(outcome.path, TransferPath::Api);
}
