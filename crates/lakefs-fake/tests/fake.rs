//! Drives the fake lakeFS over real HTTP with reqwest and checks what a lakeFS client sees.

// The request helpers below are test code too: a failed request should fail the test loudly.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};

use lakefs_fake::FakeLakeFs;
use lakefs_fake::{BlockingFakeLakeFs, FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

/// Everything but `A-Z a-z 0-9 - . _ ~`, as SERVER-NOTES asks clients to encode.
const STRICT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn enc(text: &str) -> String {
    utf8_percent_encode(text, STRICT).to_string()
}

/// A reqwest client aimed at one fake, with its credentials.
struct Api {
    http: reqwest::Client,
    base: String,
    fake: FakeLakeFs,
}

impl Api {
    async fn start() -> Api {
        let fake = FakeLakeFs::start().await;
        Api {
            http: reqwest::Client::new(),
            base: format!("{}/api/v1", fake.endpoint()),
            fake,
        }
    }

    fn anonymous(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base))
    }

    fn call(&self, method: Method, path: &str) -> RequestBuilder {
        self.anonymous(method, path)
            .basic_auth(FAKE_ACCESS_KEY_ID, Some(FAKE_SECRET_ACCESS_KEY))
    }

    async fn get(&self, path: &str) -> Response {
        self.call(Method::GET, path).send().await.unwrap()
    }

    async fn post_json(&self, path: &str, body: Value) -> Response {
        self.call(Method::POST, path)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn create_repo(&self, name: &str) -> Value {
        let response = self
            .post_json(
                "/repositories",
                json!({ "name": name, "storage_namespace": format!("mem://{name}") }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    async fn create_branch(&self, repo: &str, name: &str, source: &str) -> String {
        let response = self
            .post_json(
                &format!("/repositories/{repo}/branches"),
                json!({ "name": name, "source": source }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.text().await.unwrap()
    }

    async fn upload(&self, repo: &str, branch: &str, path: &str, content: &str) -> Value {
        let response = self
            .call(
                Method::POST,
                &format!(
                    "/repositories/{repo}/branches/{branch}/objects?path={}",
                    enc(path)
                ),
            )
            .header("content-type", "text/plain")
            .body(content.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "upload {path}");
        response.json().await.unwrap()
    }

    async fn commit(&self, repo: &str, branch: &str, message: &str) -> Value {
        let response = self
            .post_json(
                &format!("/repositories/{repo}/branches/{branch}/commits"),
                json!({ "message": message }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "commit {message}");
        response.json().await.unwrap()
    }

    async fn read(&self, repo: &str, reference: &str, path: &str) -> (StatusCode, String) {
        let response = self
            .get(&format!(
                "/repositories/{repo}/refs/{}/objects?path={}",
                enc(reference),
                enc(path)
            ))
            .await;
        (response.status(), response.text().await.unwrap())
    }

    async fn json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.unwrap()
    }
}

async fn message_of(response: Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["message"].as_str().unwrap().to_string()
}

fn ids(list: &Value, field: &str) -> Vec<String> {
    list["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item[field].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn credentials_are_required_except_for_open_operations() {
    let api = Api::start().await;
    let anonymous = api
        .anonymous(Method::GET, "/repositories")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        anonymous.headers()["content-type"],
        "application/json",
        "errors are JSON"
    );
    assert!(anonymous.headers().contains_key("x-request-id"));
    assert!(!message_of(anonymous).await.is_empty());

    let wrong = api
        .anonymous(Method::GET, "/repositories")
        .basic_auth(FAKE_ACCESS_KEY_ID, Some("not-the-secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    let health = api
        .anonymous(Method::GET, "/healthcheck")
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::NO_CONTENT);
    let setup = api
        .anonymous(Method::GET, "/setup_lakefs")
        .send()
        .await
        .unwrap();
    assert_eq!(setup.status(), StatusCode::OK);
    let first_id = setup.headers()["x-request-id"].clone();
    let state: Value = setup.json().await.unwrap();
    assert_eq!(state["state"], "initialized");
    assert!(state["login_config"]["login_cookie_names"].is_array());

    let authorized = api.get("/repositories").await;
    assert_eq!(authorized.status(), StatusCode::OK);
    assert_ne!(authorized.headers()["x-request-id"], first_id);
}

#[tokio::test]
async fn config_version_and_current_user() {
    let api = Api::start().await;
    let config = api.json("/config").await;
    let storage = &config["storage_config"];
    // By default the fake plays an S3-backed lakeFS.
    assert_eq!(storage["blockstore_type"], "s3");
    assert_eq!(
        storage["blockstore_namespace_example"],
        "s3://example-bucket/"
    );
    assert_eq!(storage["pre_sign_support"], true);
    assert_eq!(storage["pre_sign_multipart_upload"], true);
    for field in [
        "blockstore_namespace_ValidityRegex",
        "import_validity_regex",
    ] {
        assert!(storage[field].is_string(), "{field}");
    }
    assert!(config["version_config"]["version"].is_string());
    assert_eq!(api.json("/config/storage").await["blockstore_type"], "s3");
    assert!(api.json("/config/version").await["version"].is_string());
    let user = api.json("/user").await;
    assert_eq!(user["user"]["id"], "admin");
    assert!(user["user"]["creation_date"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn repositories_create_get_list_and_delete() {
    let api = Api::start().await;
    let repo = api.create_repo("alpha").await;
    assert_eq!(repo["id"], "alpha");
    assert_eq!(repo["default_branch"], "main");
    assert_eq!(repo["storage_namespace"], "mem://alpha");
    assert!(repo["creation_date"].as_i64().unwrap() > 0);

    let duplicate = api
        .post_json(
            "/repositories",
            json!({ "name": "alpha", "storage_namespace": "mem://x" }),
        )
        .await;
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);
    for bad in [
        json!({ "name": "Bad_Name", "storage_namespace": "mem://x" }),
        json!({ "name": "ab", "storage_namespace": "mem://x" }),
        json!({ "name": "gamma" }),
        json!({ "name": "gamma", "storage_namespace": "ftp://x" }),
    ] {
        let response = api.post_json("/repositories", bad.clone()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let not_json = api
        .call(Method::POST, "/repositories")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);

    let custom = api
        .post_json(
            "/repositories",
            json!({ "name": "beta", "storage_namespace": "mem://b", "default_branch": "trunk" }),
        )
        .await;
    assert_eq!(custom.status(), StatusCode::CREATED);
    let trunk = api.json("/repositories/beta/branches/trunk").await;
    let initial = api
        .json(&format!(
            "/repositories/beta/commits/{}",
            trunk["commit_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(initial["message"], "Repository created");
    assert_eq!(initial["parents"], json!([]));

    for name in ["delta", "epsilon", "eta"] {
        api.create_repo(name).await;
    }
    let page = api.json("/repositories?amount=2&after=beta").await;
    assert_eq!(ids(&page, "id"), ["delta", "epsilon"]);
    assert_eq!(page["pagination"]["has_more"], true);
    assert_eq!(page["pagination"]["next_offset"], "epsilon");
    assert_eq!(page["pagination"]["results"], 2);
    let last = api.json("/repositories?amount=2&after=epsilon").await;
    assert_eq!(ids(&last, "id"), ["eta"]);
    assert_eq!(last["pagination"]["has_more"], false);
    assert_eq!(last["pagination"]["next_offset"], "");
    assert_eq!(
        ids(&api.json("/repositories?prefix=e").await, "id"),
        ["epsilon", "eta"]
    );
    assert_eq!(
        ids(&api.json("/repositories?search=ps").await, "id"),
        ["epsilon"]
    );

    assert_eq!(api.json("/repositories/alpha").await["id"], "alpha");
    let deleted = api
        .call(Method::DELETE, "/repositories/alpha")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        api.get("/repositories/alpha").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn branches_answer_commit_ids_as_text_and_follow_name_rules() {
    let api = Api::start().await;
    api.create_repo("repo").await;
    let main = api.json("/repositories/repo/branches/main").await;
    let response = api
        .post_json(
            "/repositories/repo/branches",
            json!({ "name": "feature-1", "source": "main" }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["content-type"], "text/html");
    assert_eq!(
        response.text().await.unwrap(),
        main["commit_id"].as_str().unwrap()
    );

    let slash = api
        .post_json(
            "/repositories/repo/branches",
            json!({ "name": "feat/x", "source": "main" }),
        )
        .await;
    assert_eq!(slash.status(), StatusCode::BAD_REQUEST);
    let duplicate = api
        .post_json(
            "/repositories/repo/branches",
            json!({ "name": "feature-1", "source": "main" }),
        )
        .await;
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);
    let unknown = api
        .post_json(
            "/repositories/repo/branches",
            json!({ "name": "other", "source": "nope" }),
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    let feature = api.json("/repositories/repo/branches/feature-1").await;
    assert_eq!(
        feature,
        json!({ "id": "feature-1", "commit_id": main["commit_id"] })
    );
    let list = api.json("/repositories/repo/branches").await;
    assert_eq!(ids(&list, "id"), ["feature-1", "main"]);
    let page = api.json("/repositories/repo/branches?amount=1").await;
    assert_eq!(page["pagination"]["next_offset"], "feature-1");

    let default = api
        .call(Method::DELETE, "/repositories/repo/branches/main")
        .send()
        .await
        .unwrap();
    assert_eq!(default.status(), StatusCode::FORBIDDEN);
    let deleted = api
        .call(Method::DELETE, "/repositories/repo/branches/feature-1")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        api.get("/repositories/repo/branches/feature-1")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn uploads_raw_and_multipart_with_metadata_and_conditions() {
    let api = Api::start().await;
    api.create_repo("repo").await;
    let raw = api
        .call(
            Method::POST,
            "/repositories/repo/branches/main/objects?path=data/raw.csv",
        )
        .header("content-type", "text/csv")
        .header("x-lakefs-meta-Owner", "team-a")
        .body("a,b\n1,2\n")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::CREATED);
    let stats: Value = raw.json().await.unwrap();
    assert_eq!(stats["path"], "data/raw.csv");
    assert_eq!(stats["path_type"], "object");
    assert_eq!(stats["size_bytes"], 8);
    assert_eq!(stats["content_type"], "text/csv");
    assert_eq!(stats["metadata"], json!({ "owner": "team-a" }));
    let checksum = stats["checksum"].as_str().unwrap().to_string();
    assert_eq!(checksum.len(), 32);
    assert!(checksum.chars().all(|c| c.is_ascii_hexdigit()));
    assert!(
        stats["physical_address"]
            .as_str()
            .unwrap()
            .starts_with("mem://repo/data/")
    );

    let form = reqwest::multipart::Form::new().part(
        "content",
        reqwest::multipart::Part::bytes(b"multi\r\npart".to_vec())
            .file_name("m.bin")
            .mime_str("image/png")
            .unwrap(),
    );
    let multipart = api
        .call(
            Method::POST,
            "/repositories/repo/branches/main/objects?path=m.bin",
        )
        .header("x-lakefs-meta-kind", "form")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(multipart.status(), StatusCode::CREATED);
    let stats: Value = multipart.json().await.unwrap();
    assert_eq!(stats["size_bytes"], 11);
    assert_eq!(stats["content_type"], "image/png");
    assert_eq!(stats["metadata"]["kind"], "form");
    assert_eq!(api.read("repo", "main", "m.bin").await.1, "multi\r\npart");

    let stat = api
        .json("/repositories/repo/refs/main/objects/stat?path=data%2Fraw.csv")
        .await;
    assert_eq!(stat["checksum"], checksum.as_str());
    assert_eq!(stat["metadata"]["owner"], "team-a");

    let create_only = api
        .call(
            Method::POST,
            "/repositories/repo/branches/main/objects?path=data/raw.csv",
        )
        .header("if-none-match", "*")
        .body("again")
        .send()
        .await
        .unwrap();
    assert_eq!(create_only.status(), StatusCode::PRECONDITION_FAILED);
    let stale = api
        .call(
            Method::POST,
            "/repositories/repo/branches/main/objects?path=data/raw.csv",
        )
        .header("if-match", "\"0123456789abcdef0123456789abcdef\"")
        .body("again")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    let matching = api
        .call(
            Method::POST,
            "/repositories/repo/branches/main/objects?path=data/raw.csv",
        )
        .header("if-match", format!("\"{checksum}\""))
        .body("again")
        .send()
        .await
        .unwrap();
    assert_eq!(matching.status(), StatusCode::CREATED);
    let fresh = api
        .call(
            Method::POST,
            "/repositories/repo/branches/main/objects?path=new.txt",
        )
        .header("if-none-match", "*")
        .body("new")
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), StatusCode::CREATED);
    let missing_path = api
        .call(Method::POST, "/repositories/repo/branches/main/objects")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(missing_path.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn get_object_headers_ranges_and_conditional_get() {
    let api = Api::start().await;
    api.create_repo("repo").await;
    let stats = api
        .upload("repo", "main", "dir/file.txt", "0123456789")
        .await;
    let etag = format!("\"{}\"", stats["checksum"].as_str().unwrap());
    let url = "/repositories/repo/refs/main/objects?path=dir%2Ffile.txt";

    let full = api.get(url).await;
    assert_eq!(full.status(), StatusCode::OK);
    let headers = full.headers().clone();
    assert_eq!(headers["content-length"], "10");
    assert_eq!(headers["etag"], etag.as_str());
    assert_eq!(headers["content-type"], "text/plain");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=file.txt"
    );
    let last_modified = headers["last-modified"].to_str().unwrap();
    assert!(
        last_modified.ends_with(" GMT") && last_modified.len() == 29,
        "{last_modified}"
    );
    assert_eq!(full.text().await.unwrap(), "0123456789");

    for (range, content_range, body) in [
        ("bytes=2-4", "bytes 2-4/10", "234"),
        ("bytes=-3", "bytes 7-9/10", "789"),
        ("bytes=7-", "bytes 7-9/10", "789"),
    ] {
        let partial = api
            .call(Method::GET, url)
            .header("range", range)
            .send()
            .await
            .unwrap();
        assert_eq!(partial.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(partial.headers()["content-range"], content_range);
        assert_eq!(partial.text().await.unwrap(), body);
    }
    for range in ["bytes=0-1,4-5", "bytes=20-"] {
        let refused = api
            .call(Method::GET, url)
            .header("range", range)
            .send()
            .await
            .unwrap();
        assert_eq!(
            refused.status(),
            StatusCode::RANGE_NOT_SATISFIABLE,
            "{range}"
        );
        assert_eq!(refused.headers()["content-range"], "bytes */10");
    }

    let not_modified = api
        .call(Method::GET, url)
        .header("if-none-match", etag.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED);
    assert!(not_modified.bytes().await.unwrap().is_empty());

    let head = api.call(Method::HEAD, url).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()["content-length"], "10");
    assert_eq!(head.headers()["etag"], etag.as_str());
    assert!(head.bytes().await.unwrap().is_empty());
    let head_missing = api
        .call(
            Method::HEAD,
            "/repositories/repo/refs/main/objects?path=nope",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(head_missing.status(), StatusCode::NOT_FOUND);
    assert!(head_missing.bytes().await.unwrap().is_empty());

    let missing = api
        .get("/repositories/repo/refs/main/objects?path=nope")
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    // presign=true redirects to the object store, which serves the same bytes.
    let direct = api.get(url).await.bytes().await.unwrap();
    let presigned = api.get(&format!("{url}&presign=true")).await;
    assert_eq!(presigned.status(), StatusCode::OK);
    assert_ne!(
        presigned.url().as_str(),
        format!("{}{url}&presign=true", api.base)
    );
    assert_eq!(presigned.bytes().await.unwrap(), direct);
}

#[tokio::test]
async fn list_objects_with_delimiter_and_pagination() {
    let api = Api::start().await;
    api.create_repo("repo").await;
    for path in ["a.txt", "dir/x", "dir/y", "dir/sub/z", "e.txt"] {
        api.upload("repo", "main", path, path).await;
    }
    let top = api
        .json("/repositories/repo/refs/main/objects/ls?delimiter=%2F")
        .await;
    assert_eq!(ids(&top, "path"), ["a.txt", "dir/", "e.txt"]);
    assert_eq!(top["results"][1]["path_type"], "common_prefix");
    assert_eq!(top["results"][0]["path_type"], "object");
    assert_eq!(top["results"][0]["size_bytes"], 5);

    let nested = api
        .json("/repositories/repo/refs/main/objects/ls?prefix=dir%2F&delimiter=%2F")
        .await;
    assert_eq!(ids(&nested, "path"), ["dir/sub/", "dir/x", "dir/y"]);

    let page = api
        .json("/repositories/repo/refs/main/objects/ls?amount=2")
        .await;
    assert_eq!(ids(&page, "path"), ["a.txt", "dir/sub/z"]);
    assert_eq!(page["pagination"]["has_more"], true);
    assert_eq!(page["pagination"]["next_offset"], "dir/sub/z");
    let rest = api
        .json("/repositories/repo/refs/main/objects/ls?amount=2&after=dir%2Fsub%2Fz")
        .await;
    assert_eq!(ids(&rest, "path"), ["dir/x", "dir/y"]);
    assert_eq!(rest["pagination"]["has_more"], true);
    // Pages of common prefixes: the next page starts after the prefix and everything under it.
    let grouped = api
        .json("/repositories/repo/refs/main/objects/ls?delimiter=%2F&amount=2")
        .await;
    assert_eq!(ids(&grouped, "path"), ["a.txt", "dir/"]);
    assert_eq!(grouped["pagination"]["next_offset"], "dir/");
    let after_group = api
        .json("/repositories/repo/refs/main/objects/ls?delimiter=%2F&amount=2&after=dir%2F")
        .await;
    assert_eq!(ids(&after_group, "path"), ["e.txt"]);
    assert_eq!(after_group["pagination"]["has_more"], false);
    // `after` before the prefix lists the whole prefix; after all of it, nothing.
    let before = api
        .json("/repositories/repo/refs/main/objects/ls?prefix=dir%2F&after=b")
        .await;
    assert_eq!(ids(&before, "path"), ["dir/sub/z", "dir/x", "dir/y"]);
    let beyond = api
        .json("/repositories/repo/refs/main/objects/ls?prefix=dir%2F&after=dir%2Fz")
        .await;
    assert!(ids(&beyond, "path").is_empty());
    let no_metadata = api
        .json("/repositories/repo/refs/main/objects/ls?user_metadata=false")
        .await;
    assert!(no_metadata["results"][0].get("metadata").is_none());
}

/// A branch's listing merges its commit and its staged changes (new, replaced and deleted
/// objects) page by page, one object per page here, as a whole listing does.
#[tokio::test]
async fn list_objects_pages_through_staged_changes() {
    let api = Api::start().await;
    api.create_repo("repo").await;
    for path in ["b", "d", "f", "h"] {
        api.upload("repo", "main", path, "committed").await;
    }
    api.commit("repo", "main", "base").await;
    for path in ["a", "d", "g", "i"] {
        api.upload("repo", "main", path, "staged").await;
    }
    for path in ["b", "h"] {
        let gone = api
            .call(
                Method::DELETE,
                &format!("/repositories/repo/branches/main/objects?path={path}"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    }
    let whole = api.json("/repositories/repo/refs/main/objects/ls").await;
    let expected = ["a", "d", "f", "g", "i"];
    assert_eq!(ids(&whole, "path"), expected);
    let sizes: Vec<i64> = whole["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["size_bytes"].as_i64().unwrap())
        .collect();
    // "staged" is 6 bytes, "committed" 9: d shows its staged version.
    assert_eq!(sizes, [6, 6, 9, 6, 6]);
    let mut paged = Vec::new();
    let mut after = String::new();
    loop {
        let page = api
            .json(&format!(
                "/repositories/repo/refs/main/objects/ls?amount=1&after={after}"
            ))
            .await;
        paged.extend(ids(&page, "path"));
        if page["pagination"]["has_more"] != true {
            break;
        }
        after = page["pagination"]["next_offset"]
            .as_str()
            .unwrap()
            .to_string();
    }
    assert_eq!(paged, expected);
    // The commit itself still lists what was committed.
    let head = api.json("/repositories/repo/refs/main@/objects/ls").await;
    assert_eq!(ids(&head, "path"), ["b", "d", "f", "h"]);
}

#[tokio::test]
async fn commits_need_changes_unless_allowed_empty() {
    let api = Api::start().await;
    api.create_repo("repo").await;
    let initial = api.json("/repositories/repo/branches/main").await["commit_id"]
        .as_str()
        .unwrap()
        .to_string();
    let nothing = api
        .post_json(
            "/repositories/repo/branches/main/commits",
            json!({ "message": "empty" }),
        )
        .await;
    assert_eq!(nothing.status(), StatusCode::BAD_REQUEST);
    assert_eq!(message_of(nothing).await, "commit: no changes");
    let no_message = api
        .post_json("/repositories/repo/branches/main/commits", json!({}))
        .await;
    assert_eq!(no_message.status(), StatusCode::BAD_REQUEST);

    api.upload("repo", "main", "f.txt", "v1").await;
    let response = api
        .post_json(
            "/repositories/repo/branches/main/commits",
            json!({ "message": "first", "metadata": { "k": "v" }, "date": 1700000000 }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let commit: Value = response.json().await.unwrap();
    let id = commit["id"].as_str().unwrap();
    assert_eq!(id.len(), 64);
    assert_eq!(commit["parents"], json!([initial]));
    assert_eq!(commit["committer"], "admin");
    assert_eq!(commit["message"], "first");
    assert_eq!(commit["metadata"], json!({ "k": "v" }));
    assert_eq!(commit["creation_date"], 1700000000);
    assert_eq!(commit["version"], 1);
    assert_eq!(commit["generation"], 2);
    assert!(commit["meta_range_id"].is_string());
    assert_eq!(
        api.json(&format!("/repositories/repo/commits/{id}")).await,
        commit
    );
    assert_eq!(
        api.json(&format!("/repositories/repo/commits/{}", &id[..10]))
            .await["id"],
        id
    );
    assert_eq!(
        api.json("/repositories/repo/branches/main").await["commit_id"],
        id
    );

    let empty = api
        .post_json(
            "/repositories/repo/branches/main/commits",
            json!({ "message": "nothing", "allow_empty": true }),
        )
        .await;
    assert_eq!(empty.status(), StatusCode::CREATED);

    api.upload("repo", "main", "f.txt", "v2").await;
    assert_eq!(
        api.read("repo", "main", "f.txt").await.1,
        "v2",
        "branch reads see staging"
    );
    assert_eq!(
        api.read("repo", "main@", "f.txt").await.1,
        "v1",
        "main@ is committed only"
    );
    api.commit("repo", "main", "second").await;
    assert_eq!(api.read("repo", "main", "f.txt").await.1, "v2");
    assert_eq!(api.read("repo", "main~2", "f.txt").await.1, "v1");
    assert_eq!(api.read("repo", "main^1^1", "f.txt").await.1, "v1");
    assert_eq!(api.read("repo", id, "f.txt").await.1, "v1");
    assert_eq!(
        api.read("repo", "main~3", "f.txt").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.read("repo", "main~9", "f.txt").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn log_commits_pages_newest_first_and_filters() {
    let api = Api::start().await;
    api.create_repo("repo").await;
    let mut made = Vec::new();
    for (path, message) in [("a", "c1"), ("b", "c2"), ("a", "c3")] {
        api.upload("repo", "main", path, message).await;
        made.push(
            api.commit("repo", "main", message).await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let first = api
        .json("/repositories/repo/refs/main/commits?amount=2")
        .await;
    assert_eq!(ids(&first, "message"), ["c3", "c2"]);
    assert_eq!(first["pagination"]["has_more"], true);
    assert_eq!(first["pagination"]["next_offset"], made[1].as_str());
    let second = api
        .json(&format!(
            "/repositories/repo/refs/main/commits?amount=2&after={}",
            made[1]
        ))
        .await;
    assert_eq!(ids(&second, "message"), ["c1", "Repository created"]);
    assert_eq!(second["pagination"]["has_more"], false);
    assert_eq!(second["pagination"]["next_offset"], "");

    let touching_a = api
        .json("/repositories/repo/refs/main/commits?objects=a")
        .await;
    assert_eq!(ids(&touching_a, "message"), ["c3", "c1"]);
    let by_prefix = api
        .json("/repositories/repo/refs/main/commits?prefixes=b&objects=zzz")
        .await;
    assert_eq!(ids(&by_prefix, "message"), ["c2"]);
    let stop = api
        .json(&format!(
            "/repositories/repo/refs/main/commits?stop_at={}",
            made[1]
        ))
        .await;
    assert_eq!(ids(&stop, "message"), ["c3", "c2"]);
}

#[tokio::test]
async fn diff_branch_and_diff_refs() {
    let api = Api::start().await;
    api.create_repo("repo").await;
    api.upload("repo", "main", "keep.txt", "same").await;
    api.upload("repo", "main", "change.txt", "old").await;
    api.upload("repo", "main", "gone.txt", "bye").await;
    api.commit("repo", "main", "base").await;

    api.upload("repo", "main", "change.txt", "new!").await;
    api.upload("repo", "main", "added/one.txt", "1").await;
    api.upload("repo", "main", "added/two.txt", "2").await;
    let deleted = api
        .call(
            Method::DELETE,
            "/repositories/repo/branches/main/objects?path=gone.txt",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);

    let diff = api.json("/repositories/repo/branches/main/diff").await;
    let summary: Vec<(String, String)> = diff["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["type"].as_str().unwrap().into(),
                d["path"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected = [
        ("added", "added/one.txt"),
        ("added", "added/two.txt"),
        ("changed", "change.txt"),
        ("removed", "gone.txt"),
    ]
    .map(|(t, p)| (t.to_string(), p.to_string()));
    assert_eq!(summary, expected);
    assert_eq!(diff["results"][2]["size_bytes"], 4);
    assert_eq!(diff["results"][2]["path_type"], "object");
    let grouped = api
        .json("/repositories/repo/branches/main/diff?delimiter=%2F")
        .await;
    assert_eq!(ids(&grouped, "path"), ["added/", "change.txt", "gone.txt"]);
    assert_eq!(grouped["results"][0]["path_type"], "common_prefix");
    let paged = api
        .json("/repositories/repo/branches/main/diff?amount=1&after=added%2Fone.txt")
        .await;
    assert_eq!(ids(&paged, "path"), ["added/two.txt"]);
    assert_eq!(paged["pagination"]["has_more"], true);

    api.create_branch("repo", "side", "main@").await;
    api.commit("repo", "main", "changes").await;
    let refs = api.json("/repositories/repo/refs/side/diff/main").await;
    assert_eq!(refs["results"].as_array().unwrap().len(), 4);
    let reverse = api
        .json("/repositories/repo/refs/main/diff/side?type=two_dot&prefix=added")
        .await;
    assert_eq!(ids(&reverse, "type"), ["removed", "removed"]);
    let three_dot = api.json("/repositories/repo/refs/main/diff/side").await;
    assert!(three_dot["results"].as_array().unwrap().is_empty());
    let stats = api
        .json("/repositories/repo/refs/side/diff/main?include_right_stats=true&prefix=change")
        .await;
    assert!(stats["results"][0]["right"]["checksum"].is_string());
}

#[tokio::test]
async fn merge_succeeds_conflicts_and_finds_the_base() {
    let api = Api::start().await;
    api.create_repo("repo").await;
    api.upload("repo", "main", "shared.txt", "base").await;
    let base = api.commit("repo", "main", "base").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    api.create_branch("repo", "feature", "main").await;
    api.upload("repo", "feature", "new.txt", "from feature")
        .await;
    let feature_head = api.commit("repo", "feature", "feature work").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    api.upload("repo", "main", "other.txt", "main work").await;
    let main_head = api.commit("repo", "main", "main work").await["id"]
        .as_str()
        .unwrap()
        .to_string();

    let found = api.json("/repositories/repo/refs/feature/merge/main").await;
    assert_eq!(
        found,
        json!({
            "source_commit_id": feature_head,
            "destination_commit_id": main_head,
            "base_commit_id": base,
        })
    );

    let merged = api
        .post_json(
            "/repositories/repo/refs/feature/merge/main",
            json!({ "message": "merge it", "metadata": { "m": "1" } }),
        )
        .await;
    assert_eq!(merged.status(), StatusCode::OK);
    let reference = merged.json::<Value>().await.unwrap()["reference"]
        .as_str()
        .unwrap()
        .to_string();
    let merge_commit = api
        .json(&format!("/repositories/repo/commits/{reference}"))
        .await;
    assert_eq!(merge_commit["parents"], json!([main_head, feature_head]));
    assert_eq!(merge_commit["message"], "merge it");
    assert_eq!(api.read("repo", "main", "new.txt").await.1, "from feature");
    assert_eq!(api.read("repo", "main", "other.txt").await.1, "main work");

    let again = api
        .call(Method::POST, "/repositories/repo/refs/feature/merge/main")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST, "nothing to merge");

    api.upload("repo", "feature", "shared.txt", "feature edit")
        .await;
    api.commit("repo", "feature", "edit on feature").await;
    api.upload("repo", "main", "shared.txt", "main edit").await;
    let dirty = api
        .call(Method::POST, "/repositories/repo/refs/feature/merge/main")
        .send()
        .await
        .unwrap();
    assert_eq!(
        dirty.status(),
        StatusCode::BAD_REQUEST,
        "uncommitted destination"
    );
    api.commit("repo", "main", "edit on main").await;
    let conflict = api
        .call(Method::POST, "/repositories/repo/refs/feature/merge/main")
        .send()
        .await
        .unwrap();
    assert_eq!(conflict.status(), StatusCode::CONFLICT);
    assert_eq!(
        conflict.json::<Value>().await.unwrap(),
        json!({ "reference": "" })
    );

    let source_wins = api
        .post_json(
            "/repositories/repo/refs/feature/merge/main",
            json!({ "strategy": "source-wins" }),
        )
        .await;
    assert_eq!(source_wins.status(), StatusCode::OK);
    assert_eq!(
        api.read("repo", "main", "shared.txt").await.1,
        "feature edit"
    );
}

#[tokio::test]
async fn tags_create_resolve_list_and_delete() {
    let api = Api::start().await;
    api.create_repo("repo").await;
    api.upload("repo", "main", "f", "tagged").await;
    let commit = api.commit("repo", "main", "c").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let created = api
        .post_json(
            "/repositories/repo/tags",
            json!({ "id": "v1.0", "ref": "main" }),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(
        created.json::<Value>().await.unwrap(),
        json!({ "id": "v1.0", "commit_id": commit })
    );
    let duplicate = api
        .post_json(
            "/repositories/repo/tags",
            json!({ "id": "v1.0", "ref": "main" }),
        )
        .await;
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);
    for bad in ["a/b", "x.lock", "v1.", "@", "a..b", "a^b"] {
        let response = api
            .post_json(
                "/repositories/repo/tags",
                json!({ "id": bad, "ref": "main" }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let unknown = api
        .post_json(
            "/repositories/repo/tags",
            json!({ "id": "v2", "ref": "nope" }),
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    api.post_json(
        "/repositories/repo/tags",
        json!({ "id": "v0.9", "ref": "main~1" }),
    )
    .await;

    api.upload("repo", "main", "f", "moved on").await;
    api.commit("repo", "main", "later").await;
    assert_eq!(api.read("repo", "v1.0", "f").await.1, "tagged");
    assert_eq!(
        api.json("/repositories/repo/tags/v1.0").await["commit_id"],
        commit.as_str()
    );
    let list = api.json("/repositories/repo/tags").await;
    assert_eq!(ids(&list, "id"), ["v0.9", "v1.0"]);
    let page = api.json("/repositories/repo/tags?after=v0.9").await;
    assert_eq!(ids(&page, "id"), ["v1.0"]);

    let deleted = api
        .call(Method::DELETE, "/repositories/repo/tags/v1.0")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        api.get("/repositories/repo/tags/v1.0").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn reset_discards_staged_changes() {
    let api = Api::start().await;
    api.create_repo("repo").await;
    for path in ["keep/a", "drop/b", "drop/c", "single"] {
        api.upload("repo", "main", path, "x").await;
    }
    let reset = |body: Value| {
        api.call(Method::PUT, "/repositories/repo/branches/main")
            .json(&body)
            .send()
    };
    let object = reset(json!({ "type": "object", "path": "single" }))
        .await
        .unwrap();
    assert_eq!(object.status(), StatusCode::NO_CONTENT);
    let prefix = reset(json!({ "type": "common_prefix", "path": "drop/" }))
        .await
        .unwrap();
    assert_eq!(prefix.status(), StatusCode::NO_CONTENT);
    let diff = api.json("/repositories/repo/branches/main/diff").await;
    assert_eq!(ids(&diff, "path"), ["keep/a"]);
    let bad = reset(json!({ "type": "object" })).await.unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let all = reset(json!({ "type": "reset" })).await.unwrap();
    assert_eq!(all.status(), StatusCode::NO_CONTENT);
    let diff = api.json("/repositories/repo/branches/main/diff").await;
    assert!(diff["results"].as_array().unwrap().is_empty());
    assert_eq!(
        api.read("repo", "main", "keep/a").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn delete_objects_and_copy_object() {
    let api = Api::start().await;
    api.create_repo("repo").await;
    for path in ["a", "b", "c"] {
        api.upload("repo", "main", path, &format!("content of {path}"))
            .await;
    }
    api.commit("repo", "main", "three").await;
    let response = api
        .post_json(
            "/repositories/repo/branches/main/objects/delete",
            json!({ "paths": ["a", "b", "never-existed"] }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "errors": [] })
    );
    let listing = api.json("/repositories/repo/refs/main/objects/ls").await;
    assert_eq!(ids(&listing, "path"), ["c"]);
    let missing = api
        .call(
            Method::DELETE,
            "/repositories/repo/branches/main/objects?path=nothing",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NO_CONTENT);

    let copied = api
        .post_json(
            "/repositories/repo/branches/main/objects/copy?dest_path=copies%2Fc",
            json!({ "src_path": "c" }),
        )
        .await;
    assert_eq!(copied.status(), StatusCode::CREATED);
    let stats: Value = copied.json().await.unwrap();
    assert_eq!(stats["path"], "copies/c");
    assert_eq!(stats["size_bytes"], 12);
    assert_eq!(api.read("repo", "main", "copies/c").await.1, "content of c");

    let from_commit = api
        .post_json(
            "/repositories/repo/branches/main/objects/copy?dest_path=restored-a",
            json!({ "src_path": "a", "src_ref": "main@" }),
        )
        .await;
    assert_eq!(from_commit.status(), StatusCode::CREATED);
    assert_eq!(
        api.read("repo", "main", "restored-a").await.1,
        "content of a"
    );
    let no_source = api
        .post_json(
            "/repositories/repo/branches/main/objects/copy?dest_path=x",
            json!({ "src_path": "a" }),
        )
        .await;
    assert_eq!(no_source.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unimplemented_and_unknown_routes() {
    let api = Api::start().await;
    let users = api.get("/auth/users").await;
    assert_eq!(users.status(), StatusCode::NOT_IMPLEMENTED);
    assert!(users.headers().contains_key("x-request-id"));
    assert_eq!(
        message_of(users).await,
        "lakefs-fake does not implement listUsers"
    );
    let unknown = api.get("/no/such/route").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(!message_of(unknown).await.is_empty());
    let outside = api
        .http
        .get(format!("{}/elsewhere", api.fake.endpoint()))
        .send()
        .await
        .unwrap();
    assert_eq!(outside.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn encoded_object_paths_and_refs_round_trip() {
    let api = Api::start().await;
    api.create_repo("repo").await;
    let path = "dir with space/a+b%c/ü.txt";
    let stats = api.upload("repo", "main", path, "odd name").await;
    assert_eq!(stats["path"], path);
    assert_eq!(
        api.read("repo", "main", path).await,
        (StatusCode::OK, "odd name".into())
    );
    let listing = api.json("/repositories/repo/refs/main/objects/ls").await;
    assert_eq!(ids(&listing, "path"), [path]);
    let by_prefix = api
        .json(&format!(
            "/repositories/repo/refs/main/objects/ls?prefix={}&delimiter=%2F",
            enc("dir with space/")
        ))
        .await;
    assert_eq!(ids(&by_prefix, "path"), ["dir with space/a+b%c/"]);
    let response = api
        .get(&format!(
            "/repositories/repo/refs/main/objects?path={}",
            enc(path)
        ))
        .await;
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename*=utf-8''%C3%BC.txt"
    );

    api.commit("repo", "main", "one").await;
    api.create_branch("repo", "b_2", "main").await;
    // Path segments are decoded with query rules: `%7E` is `~`, a literal `+` is a space.
    assert_eq!(api.read("repo", "b_2~0", path).await.1, "odd name");
    let encoded_tilde = api
        .get(&format!(
            "/repositories/repo/refs/main%7E1/objects?path={}",
            enc(path)
        ))
        .await;
    assert_eq!(
        encoded_tilde.status(),
        StatusCode::NOT_FOUND,
        "main~1 predates the object"
    );
    let plus_as_space = api.get("/repositories/repo/branches/a+b%2Bc").await;
    assert_eq!(plus_as_space.status(), StatusCode::NOT_FOUND);
    assert_eq!(message_of(plus_as_space).await, "branch a b+c not found");
}

/// The blocking fake answers plain HTTP from synchronous code.
#[test]
fn blocking_fake_serves_from_synchronous_code() {
    let fake = BlockingFakeLakeFs::start().unwrap();
    assert_eq!(fake.access_key_id(), FAKE_ACCESS_KEY_ID);
    assert_eq!(fake.secret_access_key(), FAKE_SECRET_ACCESS_KEY);
    let address = fake.endpoint().trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "GET /api/v1/healthcheck HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 204"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("x-request-id:"));
    drop(fake);
}
