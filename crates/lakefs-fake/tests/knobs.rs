//! The fake's knobs for tests: faults (a part upload failing once, links answered 409, no
//! ETag, bodies cut short) and per-connection bandwidth limits.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use lakefs_fake::{Bandwidth, FakeLakeFs, FakeLakeFsBuilder, Faults};
use reqwest::{Client, Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

struct Lake {
    http: Client,
    fake: FakeLakeFs,
}

impl Lake {
    async fn start(builder: FakeLakeFsBuilder) -> Lake {
        let lake = Lake {
            http: Client::new(),
            fake: builder.start().await.unwrap(),
        };
        let created = lake
            .api(Method::POST, "/repositories")
            .json(&json!({ "name": "repo", "storage_namespace": "s3://bucket/repo" }))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
        lake
    }

    fn api(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}/api/v1{path}", self.fake.endpoint()))
            .basic_auth(
                self.fake.access_key_id(),
                Some(self.fake.secret_access_key()),
            )
    }

    async fn ok_json(&self, request: RequestBuilder, status: StatusCode) -> Value {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status);
        response.json().await.unwrap()
    }

    async fn stage(&self, path: &str) -> Value {
        self.ok_json(
            self.api(
                Method::GET,
                &format!(
                    "/repositories/repo/branches/main/staging/backing?path={path}&presign=true"
                ),
            ),
            StatusCode::OK,
        )
        .await
    }

    fn link(&self, path: &str, staging: &Value, checksum: &str, size: usize) -> RequestBuilder {
        self.api(
            Method::PUT,
            &format!("/repositories/repo/branches/main/staging/backing?path={path}"),
        )
        .json(&json!({ "staging": staging, "checksum": checksum, "size_bytes": size }))
    }

    async fn upload(&self, path: &str, data: Vec<u8>) {
        let uploaded = self
            .api(
                Method::POST,
                &format!("/repositories/repo/branches/main/objects?path={path}"),
            )
            .body(data)
            .send()
            .await
            .unwrap();
        assert_eq!(uploaded.status(), StatusCode::CREATED);
    }
}

#[tokio::test]
async fn the_nth_part_upload_fails_once() {
    let lake = Lake::start(FakeLakeFs::builder().faults(Faults::new().fail_part_upload(2))).await;
    let created = lake
        .ok_json(
            lake.api(
                Method::POST,
                "/repositories/repo/branches/main/staging/pmpu?path=p&parts=2",
            ),
            StatusCode::CREATED,
        )
        .await;
    let urls = created["presigned_urls"].as_array().unwrap();
    let part = vec![1u8; 5 * 1024 * 1024];
    let put = |url: &Value, data: Vec<u8>| lake.http.put(url.as_str().unwrap()).body(data).send();
    let first = put(&urls[0], part.clone()).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let failed = put(&urls[1], b"end".to_vec()).await.unwrap();
    assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        failed
            .text()
            .await
            .unwrap()
            .contains("<Code>InternalError</Code>")
    );
    assert_eq!(lake.fake.open_multipart_uploads()[0].parts, vec![1]);
    let retried = put(&urls[1], b"end".to_vec()).await.unwrap();
    assert_eq!(retried.status(), StatusCode::OK);
    assert_eq!(lake.fake.open_multipart_uploads()[0].parts, vec![1, 2]);
}

#[tokio::test]
async fn the_next_link_answers_409_with_a_fresh_address() {
    let lake = Lake::start(FakeLakeFs::builder()).await;
    lake.fake.set_faults(Faults::new().conflict_next_links(1));
    let staging = lake.stage("a").await;
    let put = lake
        .http
        .put(staging["presigned_url"].as_str().unwrap())
        .body("abc")
        .send()
        .await
        .unwrap();
    let etag = put.headers()["etag"].to_str().unwrap().to_string();
    let conflict = lake
        .ok_json(lake.link("a", &staging, &etag, 3), StatusCode::CONFLICT)
        .await;
    assert_eq!(conflict["message"], "conflict found");
    assert!(conflict["physical_address"].as_str().unwrap().contains(','));
    // Only once: the same link then goes through.
    lake.ok_json(lake.link("a", &staging, &etag, 3), StatusCode::OK)
        .await;
}

#[tokio::test]
async fn the_store_can_omit_its_etag() {
    let lake = Lake::start(FakeLakeFs::builder().faults(Faults::new().omit_etag(true))).await;
    let staging = lake.stage("a").await;
    let put = lake
        .http
        .put(staging["presigned_url"].as_str().unwrap())
        .body("abc")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::OK);
    assert!(put.headers().get("etag").is_none());
    assert!(put.headers().get("content-md5").is_none());
}

#[tokio::test]
async fn download_bodies_can_be_cut_short() {
    let lake = Lake::start(FakeLakeFs::builder()).await;
    let data = vec![9u8; 100_000];
    lake.upload("big", data.clone()).await;
    lake.fake.set_faults(Faults::new().cut_body_after(1000));

    let direct = lake
        .api(Method::GET, "/repositories/repo/refs/main/objects?path=big")
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), StatusCode::OK);
    assert_eq!(direct.headers()["content-length"], "100000");
    assert!(direct.bytes().await.is_err(), "the body ends early");

    let stat = lake
        .ok_json(
            lake.api(
                Method::GET,
                "/repositories/repo/refs/main/objects/stat?path=big&presign=true",
            ),
            StatusCode::OK,
        )
        .await;
    let from_store = lake
        .http
        .get(stat["physical_address"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert!(from_store.bytes().await.is_err());

    lake.fake.set_faults(Faults::new());
    let whole = lake
        .api(Method::GET, "/repositories/repo/refs/main/objects?path=big")
        .send()
        .await
        .unwrap();
    assert_eq!(whole.bytes().await.unwrap(), data);
}

#[tokio::test]
async fn only_the_next_bodies_asked_for_are_cut_and_store_requests_are_counted() {
    let lake = Lake::start(FakeLakeFs::builder()).await;
    let data = vec![7u8; 100_000];
    lake.upload("big", data.clone()).await;
    let stat = lake
        .ok_json(
            lake.api(
                Method::GET,
                "/repositories/repo/refs/main/objects/stat?path=big&presign=true",
            ),
            StatusCode::OK,
        )
        .await;
    let url = stat["physical_address"].as_str().unwrap().to_string();
    let before = lake.fake.store_requests();
    lake.fake
        .set_faults(Faults::new().cut_body_after(1000).cut_bodies(1));
    let first = lake.http.get(&url).send().await.unwrap();
    assert!(first.bytes().await.is_err(), "the first body is cut");
    let second = lake.http.get(&url).send().await.unwrap();
    assert_eq!(second.bytes().await.unwrap(), data, "the second is whole");
    let after = lake.fake.store_requests();
    assert_eq!((after.gets - before.gets, after.puts - before.puts), (2, 0));
}

/// Limits are checked from below only: a transfer may be slower than its limit on a busy
/// machine, never faster.
#[tokio::test]
async fn connections_keep_to_their_bandwidth_limits() {
    const RATE: u64 = 2 * 1024 * 1024;
    let limit = Bandwidth {
        upload: Some(RATE),
        download: Some(RATE),
    };
    let lake = Lake::start(
        FakeLakeFs::builder()
            .storage_bandwidth(limit)
            .api_bandwidth(Bandwidth {
                upload: None,
                download: Some(RATE),
            }),
    )
    .await;
    let data = vec![3u8; 1024 * 1024];
    // Unlimited direction: the API upload.
    lake.upload("one-mib", data.clone()).await;

    let started = Instant::now();
    let body = lake
        .api(
            Method::GET,
            "/repositories/repo/refs/main/objects?path=one-mib",
        )
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(body, data);
    let api_download = started.elapsed();

    let staging = lake.stage("staged").await;
    let started = Instant::now();
    let put = lake
        .http
        .put(staging["presigned_url"].as_str().unwrap())
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::OK);
    let store_upload = started.elapsed();

    // 1 MiB at 2 MiB/s takes half a second, less the burst allowance.
    let floor = Duration::from_millis(400);
    assert!(api_download >= floor, "API download took {api_download:?}");
    assert!(store_upload >= floor, "store upload took {store_upload:?}");
}
