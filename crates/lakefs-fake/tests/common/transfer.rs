//! Drives large transfers through a `lakefs-fake` process of its own, and reads that
//! process's peak memory (VmHWM) and CPU time: shared by the memory test and the transfer
//! benchmark. Data is generated as it is sent and counted as it arrives, so the client holds
//! no object whole.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use bytes::Bytes;
use futures::StreamExt;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

pub const MIB: u64 = 1024 * 1024;
pub const GIB: u64 = 1024 * MIB;
/// How much the client sends per chunk.
const CHUNK: usize = 1024 * 1024;

/// A `lakefs-fake` process; killed when dropped.
pub struct Server {
    child: Child,
    pub endpoint: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl Server {
    /// Starts the binary with these arguments and waits for it to say where it serves.
    pub fn start(binary: &str, args: &[&str]) -> Server {
        let mut child = Command::new(binary)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start lakefs-fake");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut field = |name: &str| -> String {
            loop {
                let line = lines.next().expect("lakefs-fake said nothing").unwrap();
                if let Some(value) = line.strip_prefix(&format!("{name}: ")) {
                    return value.to_string();
                }
            }
        };
        let endpoint = field("endpoint");
        let access_key_id = field("access_key_id");
        let secret_access_key = field("secret_access_key");
        Server {
            child,
            endpoint,
            access_key_id,
            secret_access_key,
        }
    }

    fn status_field(&self, name: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .unwrap_or(0)
    }

    /// The process's peak resident memory, in bytes.
    pub fn peak_rss(&self) -> u64 {
        self.status_field("VmHWM:") * 1024
    }

    /// The process's user + system CPU time so far, in seconds.
    pub fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // The fields after the command name (which is in parentheses and may hold spaces).
        let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
        // Linux reports clock ticks of 1/100 s (USER_HZ) on every platform Rust supports.
        ticks / 100.0
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.endpoint)
    }

    fn request(
        &self,
        http: &Client,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        http.request(method, self.url(path))
            .basic_auth(&self.access_key_id, Some(&self.secret_access_key))
    }

    pub async fn create_repo(&self, http: &Client, name: &str) {
        let created = self
            .request(http, reqwest::Method::POST, "/repositories")
            .json(&json!({ "name": name, "storage_namespace": format!("s3://bench/{name}") }))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
    }

    /// `uploadObject` with the raw bytes as the body.
    pub async fn upload_raw(&self, http: &Client, repo: &str, path: &str, size: u64) -> Value {
        let response = self
            .request(
                http,
                reqwest::Method::POST,
                &format!("/repositories/{repo}/branches/main/objects?path={path}"),
            )
            .header("content-type", "application/octet-stream")
            .body(reqwest::Body::wrap_stream(generated(
                Vec::new(),
                size,
                Vec::new(),
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    /// `uploadObject` as lakectl sends it: `multipart/form-data`, the file in part `content`.
    pub async fn upload_multipart(
        &self,
        http: &Client,
        repo: &str,
        path: &str,
        size: u64,
    ) -> Value {
        let boundary = "lakefs-fake-bench-boundary-7f3a";
        let head = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"f\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        );
        let tail = format!("\r\n--{boundary}--\r\n");
        let response = self
            .request(
                http,
                reqwest::Method::POST,
                &format!("/repositories/{repo}/branches/main/objects?path={path}"),
            )
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(reqwest::Body::wrap_stream(generated(
                head.into_bytes(),
                size,
                tail.into_bytes(),
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    /// Stage, PUT to the presigned URL (with `Content-Length`), link.
    pub async fn upload_presigned(
        &self,
        http: &Client,
        repo: &str,
        path: &str,
        size: u64,
    ) -> Value {
        let staging: Value = self
            .request(
                http,
                reqwest::Method::GET,
                &format!(
                    "/repositories/{repo}/branches/main/staging/backing?path={path}&presign=true"
                ),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let put = http
            .put(staging["presigned_url"].as_str().unwrap())
            .header("content-length", size)
            .body(reqwest::Body::wrap_stream(generated(
                Vec::new(),
                size,
                Vec::new(),
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), StatusCode::OK);
        let etag = put.headers()["etag"].to_str().unwrap().to_string();
        let linked = self
            .request(
                http,
                reqwest::Method::PUT,
                &format!("/repositories/{repo}/branches/main/staging/backing?path={path}"),
            )
            .json(&json!({ "staging": staging, "checksum": etag, "size_bytes": size }))
            .send()
            .await
            .unwrap();
        assert_eq!(linked.status(), StatusCode::OK);
        linked.json().await.unwrap()
    }

    /// The URL `getObject` serves `path` at (for curl).
    pub fn object_url(&self, repo: &str, path: &str) -> String {
        self.url(&format!(
            "/repositories/{repo}/refs/main/objects?path={path}"
        ))
    }

    /// Downloads `path` through `getObject` (or its presigned redirect); returns the bytes seen.
    pub async fn download(&self, http: &Client, repo: &str, path: &str, presign: bool) -> u64 {
        let mut url = format!("/repositories/{repo}/refs/main/objects?path={path}");
        if presign {
            url.push_str("&presign=true");
        }
        let response = self
            .request(http, reqwest::Method::GET, &url)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let mut body = response.bytes_stream();
        let mut seen = 0;
        while let Some(chunk) = body.next().await {
            seen += chunk.unwrap().len() as u64;
        }
        seen
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `head`, then `size` generated bytes, then `tail`, in chunks of 1 MiB that share one buffer.
fn generated(
    head: Vec<u8>,
    size: u64,
    tail: Vec<u8>,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let block = Bytes::from((0..CHUNK).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
    let body = futures::stream::unfold(size, move |left| {
        let block = block.clone();
        async move {
            if left == 0 {
                return None;
            }
            let take = left.min(CHUNK as u64) as usize;
            Some((Ok(block.slice(..take)), left - take as u64))
        }
    });
    futures::stream::once(async move { Ok(Bytes::from(head)) })
        .chain(body)
        .chain(futures::stream::once(async move { Ok(Bytes::from(tail)) }))
}

/// The expected ETag of `size` generated bytes.
pub fn generated_md5(size: u64) -> String {
    use md5::{Digest, Md5};
    let block: Vec<u8> = (0..CHUNK).map(|i| (i % 251) as u8).collect();
    let mut md5 = Md5::new();
    let mut left = size;
    while left > 0 {
        let take = left.min(CHUNK as u64) as usize;
        md5.update(&block[..take]);
        left -= take as u64;
    }
    md5.finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
