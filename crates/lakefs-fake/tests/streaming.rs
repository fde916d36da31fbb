//! Object bytes stream through the fake: uploads (raw and multipart/form-data) sent in odd
//! chunks, ranged downloads, MD5 ETags, the data directory, and uploads cut mid-way.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use bytes::Bytes;
use lakefs_fake::FakeLakeFs;
use md5::{Digest, Md5};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

/// Content that is not a repeating pattern and contains what looks like a multipart
/// delimiter, so that a parser confusing the two would corrupt it.
fn content(len: usize) -> Vec<u8> {
    let mut state: u32 = 0x1234_5678;
    let mut data: Vec<u8> = (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect();
    let fake_delimiter = b"\r\n--boundary-of-the-upload-but-not-quite";
    let at = len / 2;
    data[at..at + fake_delimiter.len()].copy_from_slice(fake_delimiter);
    data
}

fn md5_hex(data: &[u8]) -> String {
    Md5::digest(data)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A body sent as a stream of `piece`-byte chunks (chunked encoding, as a streaming client).
fn streamed(data: Vec<u8>, piece: usize) -> reqwest::Body {
    let chunks: Vec<Result<Bytes, std::io::Error>> = data
        .chunks(piece)
        .map(|chunk| Ok(Bytes::copy_from_slice(chunk)))
        .collect();
    reqwest::Body::wrap_stream(futures::stream::iter(chunks))
}

struct Lake {
    http: Client,
    fake: FakeLakeFs,
}

impl Lake {
    async fn start(data_dir: Option<&Path>) -> Lake {
        let mut builder = FakeLakeFs::builder();
        if let Some(directory) = data_dir {
            builder = builder.data_dir(directory);
        }
        let lake = Lake {
            http: Client::new(),
            fake: builder.start().await.unwrap(),
        };
        let created = lake
            .request(reqwest::Method::POST, "/repositories")
            .json(&json!({ "name": "repo", "storage_namespace": "mem://repo" }))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
        lake
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}/api/v1{path}", self.fake.endpoint()))
            .basic_auth(
                self.fake.access_key_id(),
                Some(self.fake.secret_access_key()),
            )
    }

    fn upload(&self, path: &str) -> reqwest::RequestBuilder {
        self.request(
            reqwest::Method::POST,
            &format!("/repositories/repo/branches/main/objects?path={path}"),
        )
    }

    fn download(&self, path: &str) -> reqwest::RequestBuilder {
        self.request(
            reqwest::Method::GET,
            &format!("/repositories/repo/refs/main/objects?path={path}"),
        )
    }

    async fn stat(&self, path: &str) -> reqwest::Response {
        self.request(
            reqwest::Method::GET,
            &format!("/repositories/repo/refs/main/objects/stat?path={path}"),
        )
        .send()
        .await
        .unwrap()
    }
}

fn blob_files(data_dir: &Path) -> usize {
    std::fs::read_dir(data_dir.join("blobs")).unwrap().count()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lakefs-fake-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Uploads `data` raw and as multipart, in odd chunks, and reads both back whole and in part.
async fn round_trips(lake: &Lake, data: &[u8]) {
    let raw = lake
        .upload("raw.bin")
        .header("content-type", "application/x-test")
        .body(streamed(data.to_vec(), 7919))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::CREATED);
    let stats: Value = raw.json().await.unwrap();
    assert_eq!(stats["checksum"], md5_hex(data));
    assert_eq!(stats["size_bytes"], data.len());
    assert_eq!(stats["content_type"], "application/x-test");

    let boundary = "boundary-of-the-upload";
    let mut form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"f.bin\"\r\n\
         Content-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    form.extend_from_slice(data);
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let multipart = lake
        .upload("form.bin")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(streamed(form, 4093))
        .send()
        .await
        .unwrap();
    assert_eq!(multipart.status(), StatusCode::CREATED);
    let stats: Value = multipart.json().await.unwrap();
    assert_eq!(stats["checksum"], md5_hex(data));
    assert_eq!(stats["content_type"], "image/png");

    for path in ["raw.bin", "form.bin"] {
        let whole = lake.download(path).send().await.unwrap();
        assert_eq!(whole.status(), StatusCode::OK);
        assert_eq!(
            whole.headers()["etag"],
            format!("\"{}\"", md5_hex(data)).as_str()
        );
        assert_eq!(
            whole.headers()["content-length"],
            data.len().to_string().as_str()
        );
        assert_eq!(whole.bytes().await.unwrap(), data, "{path}");

        let (start, end) = (data.len() / 3, data.len() / 3 + 300_000);
        let part = lake
            .download(path)
            .header("range", format!("bytes={start}-{end}"))
            .send()
            .await
            .unwrap();
        assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(part.bytes().await.unwrap(), &data[start..=end]);
    }
}

#[tokio::test]
async fn uploads_stream_in_and_out_of_memory() {
    let lake = Lake::start(None).await;
    round_trips(&lake, &content(3 * 1024 * 1024 + 17)).await;
}

#[tokio::test]
async fn uploads_stream_in_and_out_of_the_data_directory() {
    let dir = temp_dir("data-dir");
    let lake = Lake::start(Some(&dir)).await;
    round_trips(&lake, &content(2 * 1024 * 1024 + 5)).await;
    assert_eq!(blob_files(&dir), 2, "one file per stored object");

    // A deleted object leaves the branch; its bytes stay at their physical address in the
    // simulated store, as on lakeFS (only garbage collection removes them).
    let deleted = lake
        .request(
            reqwest::Method::DELETE,
            "/repositories/repo/branches/main/objects?path=raw.bin",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let stat = lake
        .request(
            reqwest::Method::GET,
            "/repositories/repo/refs/main/objects/stat?path=raw.bin",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(stat.status(), StatusCode::NOT_FOUND);
    assert_eq!(blob_files(&dir), 2);
    drop(lake);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn an_upload_cut_mid_way_leaves_nothing_behind() {
    let dir = temp_dir("cut");
    let lake = Lake::start(Some(&dir)).await;
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(Bytes::from(vec![1u8; 100_000])),
        Err(std::io::Error::other("the client's source broke")),
    ];
    let outcome = lake
        .upload("cut.bin")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await;
    assert!(outcome.is_err(), "the client sees its own failure");
    // The server notices the broken body: nothing is staged and no blob stays.
    for _ in 0..50 {
        if blob_files(&dir) == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(blob_files(&dir), 0);
    assert_eq!(lake.stat("cut.bin").await.status(), StatusCode::NOT_FOUND);

    // A multipart body that ends inside the content part is refused, and not linked either.
    let truncated = lake
        .upload("cut.bin")
        .header("content-type", "multipart/form-data; boundary=b")
        .body("--b\r\nContent-Disposition: form-data; name=\"content\"\r\n\r\nhalf a file")
        .send()
        .await
        .unwrap();
    assert_eq!(truncated.status(), StatusCode::BAD_REQUEST);
    assert_eq!(lake.stat("cut.bin").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(blob_files(&dir), 0);
    drop(lake);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn an_upload_to_a_missing_branch_is_refused_before_its_body() {
    let lake = Lake::start(None).await;
    let refused = lake
        .request(
            reqwest::Method::POST,
            "/repositories/repo/branches/nope/objects?path=a",
        )
        .body(content(1024))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
}
