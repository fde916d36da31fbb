//! Blocking transfers: from a `Read` to the store by a presigned PUT, and back to a `Write`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use lakefs_blocking::RepositoriesApi;
use lakefs_blocking::transfer::TransferPath;
use support::*;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, Request, ResponseTemplate};

const MD5_OF_HELLO: &str = "5d41402abc4b2a76b9719d911017c592";

#[test]
fn a_reader_goes_by_presigned_put_and_comes_back_into_a_writer() {
    let api = mock_server();
    let store = mock_server();
    let url = format!(
        "{}/bucket/obj?X-Amz-Date=20990101T000000Z&X-Amz-Expires=900",
        store.uri()
    );
    mount(
        &api,
        Mock::given(method("GET"))
            .and(path("/api/v1/config"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "version_config": {"version": "1.84.0"},
                "storage_config": {"blockstore_type": "s3", "pre_sign_support": true,
                    "pre_sign_multipart_upload": true}
            })))
            .expect(1),
    );
    mount(
        &api,
        Mock::given(method("GET"))
            .and(path("/api/v1/repositories/r/branches/main/staging/backing"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "physical_address": "s3://bucket/obj,sig", "presigned_url": url,
            })))
            .expect(1),
    );
    mount(
        &store,
        Mock::given(method("PUT"))
            .and(path("/bucket/obj"))
            .respond_with(|request: &Request| {
                assert!(request.headers.get("authorization").is_none());
                assert_eq!(request.body, b"hello");
                ResponseTemplate::new(200).insert_header("etag", format!("\"{MD5_OF_HELLO}\""))
            })
            .expect(1),
    );
    let stats = serde_json::json!({"path": "obj", "path_type": "object",
        "physical_address": url, "physical_address_expiry": 4_000_000_000i64,
        "checksum": MD5_OF_HELLO, "size_bytes": 5, "mtime": 1});
    mount(
        &api,
        Mock::given(method("PUT"))
            .and(path("/api/v1/repositories/r/branches/main/staging/backing"))
            .and(wiremock::matchers::body_partial_json(
                serde_json::json!({"checksum": MD5_OF_HELLO, "size_bytes": 5}),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(stats.clone()))
            .expect(1),
    );
    mount(
        &api,
        Mock::given(method("GET"))
            .and(path("/api/v1/repositories/r/refs/main/objects/stat"))
            .and(query_param("presign", "true"))
            .respond_with(ResponseTemplate::new(200).set_body_json(stats))
            .expect(1),
    );
    mount(
        &store,
        Mock::given(method("GET"))
            .and(path("/bucket/obj"))
            .respond_with(
                ResponseTemplate::new(206)
                    .insert_header("content-range", "bytes 0-4/5")
                    .set_body_bytes(b"hello".to_vec()),
            )
            .expect(1),
    );
    let client = client(&api);
    let outcome = client
        .upload("r", "main", "obj")
        .reader(std::io::Cursor::new(b"hello".to_vec()), Some(5))
        .send()
        .unwrap();
    assert_eq!(outcome.path, TransferPath::PresignedPut);
    let mut sink = Vec::new();
    let outcome = client
        .download("r", "main", "obj")
        .to_writer(&mut sink)
        .unwrap();
    assert_eq!(
        (outcome.path, outcome.bytes),
        (TransferPath::PresignedGet, 5)
    );
    assert_eq!(sink, b"hello");
}

/// End to end against the fake: a multipart upload from a `Read` whose second part fails once
/// is retried part by part and stored whole, with no multipart upload left open.
#[test]
fn a_part_failing_once_in_a_blocking_upload_is_retried_against_the_fake() {
    let fake = lakefs_fake::BlockingFakeLakeFs::start().unwrap();
    let client = fake.client().unwrap();
    client
        .create_repository(
            &lakefs_blocking::models::RepositoryCreation::new("repo", "s3://bucket/repo"),
            Default::default(),
        )
        .unwrap();
    let part = lakefs_api::transfer::MIN_PART_SIZE as usize;
    let object: Vec<u8> = (0..2 * part + 777).map(|i| (i % 251) as u8).collect();
    fake.fake()
        .set_faults(lakefs_fake::Faults::new().fail_part_upload(2));
    let outcome = client
        .upload("repo", "main", "big")
        .reader(
            std::io::Cursor::new(object.clone()),
            Some(object.len() as u64),
        )
        .send()
        .unwrap();
    assert_eq!(
        (outcome.path, outcome.parts),
        (TransferPath::PresignedMultipart, 3)
    );
    assert_eq!(fake.fake().store_requests().puts, 3 + 1);
    assert!(fake.fake().open_multipart_uploads().is_empty());
    let mut back = Vec::new();
    client
        .download("repo", "main", "big")
        .to_writer(&mut back)
        .unwrap();
    assert!(back == object, "the object read back differs");
}
