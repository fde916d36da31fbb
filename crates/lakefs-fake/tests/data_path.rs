//! The direct-to-storage data path, driven with raw HTTP the way the official clients do it
//! (lakectl, the Python SDKs): stage, PUT, link; create a multipart upload, PUT parts, refresh
//! a part's URL, complete; abort. Independent of the SDK's own transfer code.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use lakefs_fake::{Blockstore, FakeLakeFs, FakeLakeFsBuilder};
use md5::{Digest, Md5};
use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

const MIB: usize = 1024 * 1024;

fn md5_hex(data: &[u8]) -> String {
    Md5::digest(data)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn content(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

struct Lake {
    http: Client,
    fake: FakeLakeFs,
}

impl Lake {
    async fn start(builder: FakeLakeFsBuilder) -> Lake {
        let lake = Lake {
            // Redirects are checked by hand where it matters; elsewhere followed.
            http: Client::new(),
            fake: builder.start().await.unwrap(),
        };
        lake.create_repo("repo", "s3://bucket/repo", None).await;
        lake
    }

    async fn create_repo(&self, name: &str, namespace: &str, storage_id: Option<&str>) -> Response {
        let mut body = json!({ "name": name, "storage_namespace": namespace });
        if let Some(id) = storage_id {
            body["storage_id"] = json!(id);
        }
        self.api(Method::POST, "/repositories")
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    fn api(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}/api/v1{path}", self.fake.endpoint()))
            .basic_auth(
                self.fake.access_key_id(),
                Some(self.fake.secret_access_key()),
            )
    }

    async fn json(&self, request: RequestBuilder, status: StatusCode) -> Value {
        let response = request.send().await.unwrap();
        let got = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(got, status, "{text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn message(&self, request: RequestBuilder, status: StatusCode) -> String {
        let body = self.json(request, status).await;
        body["message"].as_str().unwrap().to_string()
    }

    async fn stage(&self, path: &str) -> Value {
        self.json(
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
        .json(&json!({
            "staging": staging,
            "checksum": checksum,
            "size_bytes": size,
            "content_type": "text/csv",
            "user_metadata": { "origin": "raw-http" },
        }))
    }

    /// A PUT to the store with `Content-Length`, and no lakeFS credentials.
    fn put(&self, url: &str, data: Vec<u8>) -> RequestBuilder {
        self.http.put(url).body(data)
    }

    async fn read(&self, path: &str) -> Vec<u8> {
        let response = self
            .api(
                Method::GET,
                &format!("/repositories/repo/refs/main/objects?path={path}"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.bytes().await.unwrap().to_vec()
    }

    fn pmpu(&self, method: Method, suffix: &str, path: &str) -> RequestBuilder {
        self.api(
            method,
            &format!("/repositories/repo/branches/main/staging/pmpu{suffix}?path={path}"),
        )
    }
}

/// The ETag a store answer carries, unquoted.
fn etag(response: &Response) -> String {
    response.headers()["etag"]
        .to_str()
        .unwrap()
        .trim_matches('"')
        .to_string()
}

async fn store_error(response: Response, status: StatusCode, code: &str) -> String {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["content-type"], "application/xml");
    let body = response.text().await.unwrap();
    assert!(body.contains(&format!("<Code>{code}</Code>")), "{body}");
    body
}

#[tokio::test]
async fn single_presigned_upload_stage_put_link_and_presigned_reads() {
    let lake = Lake::start(FakeLakeFs::builder()).await;
    let data = content(100_000, 1);
    let staging = lake.stage("data/a.csv").await;
    let url = staging["presigned_url"].as_str().unwrap();
    assert!(url.starts_with(&lake.fake.storage_endpoint()), "{url}");
    assert!(url.contains("X-Amz-Date=") && url.contains("X-Amz-Expires=900"));
    assert!(staging["presigned_url_expiry"].as_i64().unwrap() > 0);
    let address = staging["physical_address"].as_str().unwrap();
    assert!(address.starts_with("s3://bucket/repo/data/"), "{address}");

    let put = lake.put(url, data.clone()).send().await.unwrap();
    assert_eq!(put.status(), StatusCode::OK);
    assert_eq!(etag(&put), md5_hex(&data));

    let stats = lake
        .json(
            lake.link(
                "data/a.csv",
                &staging,
                &format!("\"{}\"", etag(&put)),
                data.len(),
            ),
            StatusCode::OK,
        )
        .await;
    assert_eq!(stats["checksum"], md5_hex(&data));
    assert_eq!(stats["size_bytes"], data.len());
    assert_eq!(stats["content_type"], "text/csv");
    assert_eq!(stats["metadata"]["origin"], "raw-http");
    assert_eq!(lake.read("data/a.csv").await, data);

    // statObject presign=true: a URL and its expiry in place of the address.
    let stat = lake
        .json(
            lake.api(
                Method::GET,
                "/repositories/repo/refs/main/objects/stat?path=data/a.csv&presign=true",
            ),
            StatusCode::OK,
        )
        .await;
    let get_url = stat["physical_address"].as_str().unwrap();
    assert!(stat["physical_address_expiry"].as_i64().unwrap() > 0);
    let ranged = lake
        .http
        .get(get_url)
        .header("range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        ranged.headers()["content-range"],
        format!("bytes 10-19/{}", data.len()).as_str()
    );
    assert_eq!(ranged.bytes().await.unwrap(), &data[10..20]);

    // getObject presign=true: 302 to the store; the redirect carries no credentials there.
    let no_redirects = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let redirect = no_redirects
        .get(format!(
            "{}/api/v1/repositories/repo/refs/main/objects?path=data/a.csv&presign=true",
            lake.fake.endpoint()
        ))
        .basic_auth(
            lake.fake.access_key_id(),
            Some(lake.fake.secret_access_key()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), StatusCode::FOUND);
    let location = redirect.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(&lake.fake.storage_endpoint()));
    let followed = lake.http.get(&location).send().await.unwrap();
    assert_eq!(followed.status(), StatusCode::OK);
    assert_eq!(etag(&followed), md5_hex(&data));
    assert_eq!(followed.bytes().await.unwrap(), data);
}

#[tokio::test]
async fn presigned_urls_expire_and_refuse_tampering() {
    let lake =
        Lake::start(FakeLakeFs::builder().presigned_url_expiry(Duration::from_secs(60))).await;
    let staging = lake.stage("x").await;
    let url = staging["presigned_url"].as_str().unwrap().to_string();

    let tampered = url.replace("X-Amz-Expires=60", "X-Amz-Expires=6000");
    store_error(
        lake.put(&tampered, b"x".to_vec()).send().await.unwrap(),
        StatusCode::FORBIDDEN,
        "SignatureDoesNotMatch",
    )
    .await;
    let other_key = url.replace("/data/", "/data/x");
    store_error(
        lake.put(&other_key, b"x".to_vec()).send().await.unwrap(),
        StatusCode::FORBIDDEN,
        "SignatureDoesNotMatch",
    )
    .await;
    let unsigned = url.split('?').next().unwrap();
    store_error(
        lake.put(unsigned, b"x".to_vec()).send().await.unwrap(),
        StatusCode::FORBIDDEN,
        "AccessDenied",
    )
    .await;
    // A write URL does not read.
    store_error(
        lake.http.get(&url).send().await.unwrap(),
        StatusCode::FORBIDDEN,
        "SignatureDoesNotMatch",
    )
    .await;

    lake.fake.advance_clock(Duration::from_secs(61));
    let expired = store_error(
        lake.put(&url, b"x".to_vec()).send().await.unwrap(),
        StatusCode::FORBIDDEN,
        "AccessDenied",
    )
    .await;
    assert!(expired.contains("Request has expired"), "{expired}");
    // A fresh URL works on the moved clock.
    let fresh = lake.stage("x").await;
    let put = lake
        .put(fresh["presigned_url"].as_str().unwrap(), b"x".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_put_without_content_length_is_refused_as_on_s3() {
    let lake = Lake::start(FakeLakeFs::builder()).await;
    let staging = lake.stage("chunked").await;
    let url = staging["presigned_url"].as_str().unwrap();
    let stream = futures::stream::iter(vec![Ok::<_, std::io::Error>(bytes::Bytes::from_static(
        b"streamed",
    ))]);
    let chunked = lake
        .http
        .put(url)
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    store_error(chunked, StatusCode::NOT_IMPLEMENTED, "NotImplemented").await;
    // Nothing was stored, so linking it fails.
    let message = lake
        .message(
            lake.link("chunked", &staging, "abc", 8),
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert!(
        message.contains("no object at physical address"),
        "{message}"
    );
}

#[tokio::test]
async fn link_refuses_tampered_foreign_and_old_addresses() {
    let lake = Lake::start(FakeLakeFs::builder()).await;
    let create = lake
        .api(Method::POST, "/repositories/repo/branches")
        .json(&json!({ "name": "other", "source": "main" }))
        .send()
        .await
        .unwrap();
    assert_eq!(create.status(), StatusCode::CREATED);
    let staging = lake.stage("a").await;
    let put = lake
        .put(staging["presigned_url"].as_str().unwrap(), b"abc".to_vec())
        .send()
        .await
        .unwrap();
    let checksum = etag(&put);

    let address = staging["physical_address"].as_str().unwrap();
    let (bare, signature) = address.rsplit_once(',').unwrap();
    let mut flipped = signature.to_string();
    flipped.replace_range(0..1, if signature.starts_with('0') { "1" } else { "0" });
    for tampered in [
        format!("{bare},{flipped}"),
        bare.to_string(),
        format!("{bare}x,{signature}"),
    ] {
        let bad = json!({ "physical_address": tampered });
        assert_eq!(
            lake.message(lake.link("a", &bad, &checksum, 3), StatusCode::BAD_REQUEST)
                .await,
            "link address invalid",
            "{tampered}"
        );
    }
    // Bound to its path and branch.
    assert_eq!(
        lake.message(
            lake.link("b", &staging, &checksum, 3),
            StatusCode::BAD_REQUEST
        )
        .await,
        "link address invalid"
    );
    let other_branch = lake
        .api(
            Method::PUT,
            "/repositories/repo/branches/other/staging/backing?path=a",
        )
        .json(&json!({ "staging": staging, "checksum": checksum, "size_bytes": 3 }));
    assert_eq!(
        lake.message(other_branch, StatusCode::BAD_REQUEST).await,
        "link address invalid"
    );
    // Another blockstore's address.
    let foreign = json!({ "physical_address": "gs://bucket/repo/data/x" });
    assert!(
        lake.message(
            lake.link("a", &foreign, &checksum, 3),
            StatusCode::BAD_REQUEST
        )
        .await
        .contains("invalid blockstore type")
    );
    assert_eq!(
        lake.message(lake.link("a", &staging, "\"\"", 3), StatusCode::BAD_REQUEST)
            .await,
        "checksum is required"
    );

    // Linked once; create-only links of the same path then fail; If-Match needs the ETag.
    lake.json(lake.link("a", &staging, &checksum, 3), StatusCode::OK)
        .await;
    let again = lake.stage("a").await;
    lake.put(again["presigned_url"].as_str().unwrap(), b"abcd".to_vec())
        .send()
        .await
        .unwrap();
    let create_only = lake
        .link("a", &again, &md5_hex(b"abcd"), 4)
        .header("if-none-match", "*");
    assert_eq!(
        create_only.send().await.unwrap().status(),
        StatusCode::PRECONDITION_FAILED
    );
    let wrong_match = lake
        .link("a", &again, &md5_hex(b"abcd"), 4)
        .header("if-match", "\"beef\"");
    assert_eq!(
        wrong_match.send().await.unwrap().status(),
        StatusCode::PRECONDITION_FAILED
    );
    let right_match = lake
        .link("a", &again, &md5_hex(b"abcd"), 4)
        .header("if-match", format!("\"{checksum}\""));
    lake.json(right_match, StatusCode::OK).await;
    assert_eq!(lake.read("a").await, b"abcd");

    // A staged address is good for 24 hours.
    let late = lake.stage("late").await;
    lake.put(late["presigned_url"].as_str().unwrap(), b"z".to_vec())
        .send()
        .await
        .unwrap();
    lake.fake.advance_clock(Duration::from_secs(24 * 3600 + 1));
    assert_eq!(
        lake.message(
            lake.link("late", &late, &md5_hex(b"z"), 1),
            StatusCode::BAD_REQUEST
        )
        .await,
        "link address expired"
    );
}

#[tokio::test]
async fn an_existing_object_outside_the_namespace_links_without_a_signature() {
    let lake = Lake::start(FakeLakeFs::builder()).await;
    lake.fake
        .seed_object("s3://imports/2024/data.csv", b"a,b\n1,2\n")
        .await
        .unwrap();
    let staging = json!({ "physical_address": "s3://imports/2024/data.csv" });
    let stats = lake
        .json(
            lake.link("imported.csv", &staging, &md5_hex(b"a,b\n1,2\n"), 8),
            StatusCode::OK,
        )
        .await;
    assert_eq!(stats["physical_address"], "s3://imports/2024/data.csv");
    assert_eq!(lake.read("imported.csv").await, b"a,b\n1,2\n");
}

/// Uploads parts `data` cut at `cuts` through presigned URLs; returns the `parts` list.
async fn put_parts(lake: &Lake, urls: &[Value], pieces: &[&[u8]]) -> Vec<Value> {
    let mut parts = Vec::new();
    for (number, (url, piece)) in urls.iter().zip(pieces).enumerate() {
        let put = lake
            .put(url.as_str().unwrap(), piece.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), StatusCode::OK);
        assert_eq!(etag(&put), md5_hex(piece));
        parts.push(
            json!({ "part_number": number + 1, "etag": put.headers()["etag"].to_str().unwrap() }),
        );
    }
    parts
}

#[tokio::test]
async fn presigned_multipart_upload_with_a_refreshed_part_url() {
    let lake = Lake::start(FakeLakeFs::builder()).await;
    let data = content(2 * 5 * MIB + 1000, 7);
    let pieces: Vec<&[u8]> = vec![
        &data[..5 * MIB],
        &data[5 * MIB..10 * MIB],
        &data[10 * MIB..],
    ];
    let created = lake
        .json(
            lake.pmpu(Method::POST, "", "big.bin")
                .query(&[("parts", "3")]),
            StatusCode::CREATED,
        )
        .await;
    let upload_id = created["upload_id"].as_str().unwrap();
    let address = created["physical_address"].as_str().unwrap();
    let urls = created["presigned_urls"].as_array().unwrap().clone();
    assert_eq!(urls.len(), 3);
    assert!(urls[0].as_str().unwrap().contains("partNumber=1"));
    assert_eq!(lake.fake.open_multipart_uploads().len(), 1);

    // Part 2's URL expires before it is sent; a fresh one comes from uploadPart.
    let mut parts = put_parts(&lake, &urls[..1], &pieces[..1]).await;
    lake.fake.advance_clock(Duration::from_secs(901));
    let expired = lake
        .put(urls[1].as_str().unwrap(), pieces[1].to_vec())
        .send()
        .await
        .unwrap();
    store_error(expired, StatusCode::FORBIDDEN, "AccessDenied").await;
    let mut fresh = Vec::new();
    for number in 2..=3 {
        let refreshed = lake
            .json(
                lake.pmpu(
                    Method::PUT,
                    &format!("/{upload_id}/parts/{number}"),
                    "big.bin",
                )
                .json(&json!({ "physical_address": address })),
                StatusCode::OK,
            )
            .await;
        fresh.push(refreshed["presigned_url"].clone());
    }
    for (offset, part) in put_parts(&lake, &fresh, &pieces[1..])
        .await
        .into_iter()
        .enumerate()
    {
        parts.push(json!({ "part_number": offset + 2, "etag": part["etag"] }));
    }
    assert_eq!(lake.fake.open_multipart_uploads()[0].parts, vec![1, 2, 3]);

    let complete = lake
        .pmpu(Method::PUT, &format!("/{upload_id}"), "big.bin")
        .json(&json!({ "physical_address": address, "parts": parts, "content_type": "application/x-big" }));
    let stats = lake.json(complete, StatusCode::OK).await;
    let md5s: Vec<u8> = pieces
        .iter()
        .flat_map(|piece| Md5::digest(piece).to_vec())
        .collect();
    assert_eq!(stats["checksum"], format!("{}-3", md5_hex(&md5s)));
    assert_eq!(stats["size_bytes"], data.len());
    assert_eq!(stats["content_type"], "application/x-big");
    assert!(lake.fake.open_multipart_uploads().is_empty());
    assert_eq!(lake.read("big.bin").await, data);
}

#[tokio::test]
async fn multipart_rules_small_parts_wrong_etags_and_abort() {
    let lake = Lake::start(FakeLakeFs::builder()).await;
    let created = lake
        .json(
            lake.pmpu(Method::POST, "", "small.bin")
                .query(&[("parts", "2")]),
            StatusCode::CREATED,
        )
        .await;
    let upload_id = created["upload_id"].as_str().unwrap();
    let address = created["physical_address"].as_str().unwrap();
    let urls = created["presigned_urls"].as_array().unwrap().clone();
    let parts = put_parts(&lake, &urls, &[b"too small", b"last"]).await;
    let complete = |parts: &Value| {
        lake.pmpu(Method::PUT, &format!("/{upload_id}"), "small.bin")
            .json(&json!({ "physical_address": address, "parts": parts }))
    };
    assert!(
        lake.message(complete(&json!(parts)), StatusCode::BAD_REQUEST)
            .await
            .starts_with("EntityTooSmall")
    );
    let wrong = json!([{ "part_number": 1, "etag": "\"beef\"" }]);
    assert!(
        lake.message(complete(&wrong), StatusCode::BAD_REQUEST)
            .await
            .starts_with("InvalidPart")
    );
    let unordered = json!([parts[1], parts[0]]);
    assert!(
        lake.message(complete(&unordered), StatusCode::BAD_REQUEST)
            .await
            .starts_with("InvalidPartOrder")
    );
    assert_eq!(
        lake.message(complete(&json!([])), StatusCode::BAD_REQUEST)
            .await,
        "parts are required"
    );
    // A single small part is a whole object.
    let single = json!([parts[0]]);
    lake.json(complete(&single), StatusCode::OK).await;
    assert_eq!(lake.read("small.bin").await, b"too small");

    // Abort leaves no upload open; a second abort finds none.
    let created = lake
        .json(
            lake.pmpu(Method::POST, "", "aborted.bin")
                .query(&[("parts", "1")]),
            StatusCode::CREATED,
        )
        .await;
    let (upload_id, address) = (
        created["upload_id"].as_str().unwrap(),
        created["physical_address"].as_str().unwrap(),
    );
    put_parts(
        &lake,
        created["presigned_urls"].as_array().unwrap(),
        &[b"p"],
    )
    .await;
    let abort = || {
        lake.pmpu(Method::DELETE, &format!("/{upload_id}"), "aborted.bin")
            .json(&json!({ "physical_address": address }))
    };
    assert_eq!(
        abort().send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert!(lake.fake.open_multipart_uploads().is_empty());
    assert_eq!(
        abort().send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    // The aborted upload's part URL no longer stores anything.
    let late = lake
        .put(
            created["presigned_urls"][0].as_str().unwrap(),
            b"p".to_vec(),
        )
        .send()
        .await
        .unwrap();
    store_error(late, StatusCode::NOT_FOUND, "NoSuchUpload").await;

    let too_many = lake
        .pmpu(Method::POST, "", "x")
        .query(&[("parts", "10001")]);
    assert_eq!(
        lake.message(too_many, StatusCode::BAD_REQUEST).await,
        "parts can be between 0 and 10000"
    );
}

#[tokio::test]
async fn azure_mode_sas_urls_and_block_blobs() {
    let lake = Lake::start(FakeLakeFs::builder().blockstore(Blockstore::Azure)).await;
    let config = lake
        .json(lake.api(Method::GET, "/config"), StatusCode::OK)
        .await;
    let storage = &config["storage_config"];
    assert_eq!(storage["blockstore_type"], "azure");
    assert_eq!(storage["pre_sign_support"], true);
    assert_eq!(storage["pre_sign_multipart_upload"], false);
    assert_eq!(
        lake.message(
            lake.pmpu(Method::POST, "", "x").query(&[("parts", "1")]),
            StatusCode::NOT_IMPLEMENTED
        )
        .await,
        "presign multipart upload API is not supported"
    );

    let staging = lake.stage("blob.txt").await;
    let url = staging["presigned_url"].as_str().unwrap();
    assert!(
        url.contains("se=") && url.contains("sig=") && url.contains("sr=b"),
        "{url}"
    );
    let missing_type = lake.put(url, b"azure".to_vec()).send().await.unwrap();
    let body = store_error(
        missing_type,
        StatusCode::BAD_REQUEST,
        "MissingRequiredHeader",
    )
    .await;
    assert!(body.contains("RequestId:"));
    let put = lake
        .put(url, b"azure".to_vec())
        .header("x-ms-blob-type", "BlockBlob")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::CREATED);
    // Clients take Azure's Content-MD5 (base64) as the checksum, not its opaque ETag.
    assert_ne!(etag(&put), md5_hex(b"azure"));
    let content_md5 = put.headers()["content-md5"].to_str().unwrap().to_string();
    assert_eq!(content_md5.len(), 24);
    lake.json(
        lake.link("blob.txt", &staging, &md5_hex(b"azure"), 5),
        StatusCode::OK,
    )
    .await;
    assert_eq!(lake.read("blob.txt").await, b"azure");

    lake.fake.advance_clock(Duration::from_secs(901));
    let expired = lake
        .put(url, b"azure".to_vec())
        .header("x-ms-blob-type", "BlockBlob")
        .send()
        .await
        .unwrap();
    store_error(expired, StatusCode::FORBIDDEN, "AuthenticationFailed").await;
}

#[tokio::test]
async fn storage_config_follows_the_blockstore_and_the_presign_switches() {
    for kind in Blockstore::ALL {
        let fake = FakeLakeFs::builder()
            .blockstore(kind)
            .start()
            .await
            .unwrap();
        let config: Value = Client::new()
            .get(format!("{}/api/v1/config", fake.endpoint()))
            .basic_auth(fake.access_key_id(), Some(fake.secret_access_key()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let storage = &config["storage_config"];
        assert_eq!(storage["blockstore_type"], kind.name());
        let presign = matches!(kind, Blockstore::S3 | Blockstore::Azure | Blockstore::Gs);
        assert_eq!(storage["pre_sign_support"], presign, "{kind}");
        assert_eq!(
            storage["pre_sign_multipart_upload"],
            kind == Blockstore::S3,
            "{kind}"
        );
        assert_eq!(storage["import_support"], kind != Blockstore::Mem, "{kind}");
        assert!(storage["import_validity_regex"].is_string());
        assert_eq!(config["storage_config_list"][0], *storage);
    }

    let lake = Lake::start(
        FakeLakeFs::builder()
            .presign_multipart(false)
            .default_namespace_prefix("s3://quickstart"),
    )
    .await;
    let storage = lake
        .json(lake.api(Method::GET, "/config/storage"), StatusCode::OK)
        .await;
    assert_eq!(storage["pre_sign_support"], true);
    assert_eq!(storage["pre_sign_multipart_upload"], false);
    assert_eq!(storage["default_namespace_prefix"], "s3://quickstart");

    let lake = Lake::start(FakeLakeFs::builder().presign(false)).await;
    let presign = lake.api(
        Method::GET,
        "/repositories/repo/branches/main/staging/backing?path=a&presign=true",
    );
    assert_eq!(
        lake.message(presign, StatusCode::BAD_REQUEST).await,
        "operation not supported"
    );
    // Without presign the address still stages (for clients that write the store themselves).
    let plain = lake
        .json(
            lake.api(
                Method::GET,
                "/repositories/repo/branches/main/staging/backing?path=a",
            ),
            StatusCode::OK,
        )
        .await;
    assert!(plain["presigned_url"].is_null());
}

#[tokio::test]
async fn multi_storage_repositories_choose_their_storage() {
    let lake = Lake::start(FakeLakeFs::builder().storage("lake-azure", Blockstore::Azure)).await;
    let config = lake
        .json(lake.api(Method::GET, "/config"), StatusCode::OK)
        .await;
    let list = config["storage_config_list"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["blockstore_id"], "default");
    assert_eq!(list[1]["blockstore_id"], "lake-azure");
    assert_eq!(list[1]["blockstore_type"], "azure");

    let created = lake
        .create_repo(
            "on-azure",
            "https://account.blob.core.windows.net/container/on-azure",
            Some("lake-azure"),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let repo: Value = created.json().await.unwrap();
    assert_eq!(repo["storage_id"], "lake-azure");
    let staging = lake
        .json(
            lake.api(
                Method::GET,
                "/repositories/on-azure/branches/main/staging/backing?path=a&presign=true",
            ),
            StatusCode::OK,
        )
        .await;
    assert!(staging["presigned_url"].as_str().unwrap().contains("sig="));
    let unknown = lake.create_repo("nowhere", "s3://b/n", Some("nope")).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}
