//! What real clients need beyond the basics, over raw HTTP: repository metadata, sample data,
//! hidden branches, revert, cherry-pick, merges into dirty branches, and imports from the
//! simulated object store, with lakeFS's statuses and wording.
#![allow(clippy::unwrap_used)]

use lakefs_fake::{FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, FakeLakeFs};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// One fake and a client for its API; every call answers its status and JSON body (`null`
/// when the body is empty or not JSON).
struct Lake {
    fake: FakeLakeFs,
    http: reqwest::Client,
}

impl Lake {
    async fn start() -> Lake {
        Lake {
            fake: FakeLakeFs::start().await,
            http: reqwest::Client::new(),
        }
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}/api/v1{path}", self.fake.endpoint()))
            .basic_auth(FAKE_ACCESS_KEY_ID, Some(FAKE_SECRET_ACCESS_KEY));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let bytes = response.bytes().await.unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, Some(body)).await
    }

    async fn repo(&self, name: &str, namespace: &str) {
        let (status, body) = self
            .post(
                "/repositories",
                json!({ "name": name, "storage_namespace": namespace }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    async fn branch(&self, repo: &str, name: &str, source: &str) {
        let response = self
            .http
            .post(format!(
                "{}/api/v1/repositories/{repo}/branches",
                self.fake.endpoint()
            ))
            .basic_auth(FAKE_ACCESS_KEY_ID, Some(FAKE_SECRET_ACCESS_KEY))
            .json(&json!({ "name": name, "source": source }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
    }

    async fn put(&self, repo: &str, branch: &str, path: &str, content: &str) {
        let response = self
            .http
            .post(format!(
                "{}/api/v1/repositories/{repo}/branches/{branch}/objects?path={path}",
                self.fake.endpoint()
            ))
            .basic_auth(FAKE_ACCESS_KEY_ID, Some(FAKE_SECRET_ACCESS_KEY))
            .body(content.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "upload {path}");
    }

    async fn delete_object(&self, repo: &str, branch: &str, path: &str) {
        let (status, _) = self
            .send(
                Method::DELETE,
                &format!("/repositories/{repo}/branches/{branch}/objects?path={path}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }

    async fn commit(&self, repo: &str, branch: &str, message: &str) -> Value {
        let (status, body) = self
            .post(
                &format!("/repositories/{repo}/branches/{branch}/commits"),
                json!({ "message": message }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    async fn read(&self, repo: &str, reference: &str, path: &str) -> Option<String> {
        let response = self
            .http
            .get(format!(
                "{}/api/v1/repositories/{repo}/refs/{reference}/objects?path={path}",
                self.fake.endpoint()
            ))
            .basic_auth(FAKE_ACCESS_KEY_ID, Some(FAKE_SECRET_ACCESS_KEY))
            .send()
            .await
            .unwrap();
        match response.status() {
            StatusCode::OK => Some(response.text().await.unwrap()),
            StatusCode::NOT_FOUND => None,
            other => panic!("reading {path}: {other}"),
        }
    }

    async fn head(&self, repo: &str, branch: &str) -> String {
        let (_, body) = self
            .get(&format!("/repositories/{repo}/branches/{branch}"))
            .await;
        body["commit_id"].as_str().unwrap().to_string()
    }

    async fn paths(&self, repo: &str, reference: &str) -> Vec<String> {
        let (status, body) = self
            .get(&format!("/repositories/{repo}/refs/{reference}/objects/ls"))
            .await;
        assert_eq!(status, StatusCode::OK);
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|object| object["path"].as_str().unwrap().to_string())
            .collect()
    }
}

fn message(body: &Value) -> &str {
    body["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn repository_metadata_is_set_merged_deleted_and_404s_without_a_repository() {
    let lake = Lake::start().await;
    lake.repo("meta", "s3://bucket/meta").await;
    assert_eq!(
        lake.get("/repositories/meta/metadata").await,
        (StatusCode::OK, json!({}))
    );
    let (status, _) = lake
        .post(
            "/repositories/meta/metadata",
            json!({ "metadata": { "owner": "data-team", "tier": "gold" } }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    lake.post(
        "/repositories/meta/metadata",
        json!({ "metadata": { "tier": "silver" } }),
    )
    .await;
    assert_eq!(
        lake.get("/repositories/meta/metadata").await.1,
        json!({ "owner": "data-team", "tier": "silver" })
    );
    let (status, _) = lake
        .send(
            Method::DELETE,
            "/repositories/meta/metadata",
            Some(json!({ "keys": ["owner", "never-set"] })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        lake.get("/repositories/meta/metadata").await.1,
        json!({ "tier": "silver" })
    );

    let (status, body) = lake.get("/repositories/nowhere/metadata").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = lake
        .post(
            "/repositories/nowhere/metadata",
            json!({ "metadata": { "k": "v" } }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // An empty set changes nothing and, as in lakeFS, does not look the repository up.
    let (status, _) = lake
        .post("/repositories/nowhere/metadata", json!({ "metadata": {} }))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = lake
        .post("/repositories/meta/metadata", json!({ "wrong": 1 }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn sample_data_holds_lakefs_sample_files_in_one_commit() {
    let lake = Lake::start().await;
    let (status, body) = lake
        .post(
            "/repositories",
            json!({
                "name": "quick",
                "storage_namespace": "s3://bucket/quick",
                "default_branch": "trunk",
                "sample_data": true,
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let (_, log) = lake.get("/repositories/quick/refs/trunk/commits").await;
    let messages: Vec<&str> = log["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|commit| commit["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages, ["Add sample data", "Repository created"]);

    let paths = lake.paths("quick", "trunk").await;
    for expected in [
        "README.md",
        "data/lakes.source.md",
        "lakes.parquet",
        "images/waving-axolotl-transparent-w90.gif",
        "images/quickstart-step-01-query.png",
    ] {
        assert!(
            paths.iter().any(|p| p == expected),
            "{expected} in {paths:?}"
        );
    }
    assert!(
        !paths.iter().any(|p| p.ends_with(".tmpl")),
        "the template is rendered: {paths:?}"
    );

    let readme = lake.read("quick", "trunk", "README.md").await.unwrap();
    assert!(readme.starts_with("# Welcome to the Lake!"), "{readme:.40}");
    assert!(
        readme.contains("lakefs://quick/trunk/"),
        "rendered with the names"
    );
    assert!(!readme.contains("{{"), "no template action left");
    let source = lake
        .read("quick", "trunk", "data/lakes.source.md")
        .await
        .unwrap();
    assert!(source.contains("GLOBathy"));

    let parquet = lake
        .http
        .get(format!(
            "{}/api/v1/repositories/quick/refs/trunk/objects?path=lakes.parquet",
            lake.fake.endpoint()
        ))
        .basic_auth(FAKE_ACCESS_KEY_ID, Some(FAKE_SECRET_ACCESS_KEY))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    // A Parquet file starts and ends with "PAR1"; before the final magic, the footer length.
    assert_eq!(&parquet[..4], b"PAR1");
    assert_eq!(&parquet[parquet.len() - 4..], b"PAR1");
    let footer = u32::from_le_bytes(
        parquet[parquet.len() - 8..parquet.len() - 4]
            .try_into()
            .unwrap(),
    );
    assert!(
        (footer as usize) < parquet.len() - 12,
        "footer length {footer}"
    );

    let (_, gif) = lake
        .get("/repositories/quick/refs/trunk/objects/stat?path=images/waving-axolotl-transparent-w90.gif")
        .await;
    assert!(gif["size_bytes"].as_i64().unwrap() > 0);
    let image = lake
        .http
        .get(format!(
            "{}/api/v1/repositories/quick/refs/trunk/objects?path=images/merge01.png",
            lake.fake.endpoint()
        ))
        .basic_auth(FAKE_ACCESS_KEY_ID, Some(FAKE_SECRET_ACCESS_KEY))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&image[..8], b"\x89PNG\r\n\x1a\n");

    // Without sample_data a repository starts empty.
    lake.repo("plain", "s3://bucket/plain").await;
    assert!(lake.paths("plain", "main").await.is_empty());
}

#[tokio::test]
async fn hidden_branches_are_listed_only_when_asked() {
    let lake = Lake::start().await;
    lake.repo("hide", "s3://bucket/hide").await;
    let (status, _) = lake
        .post(
            "/repositories/hide/branches",
            json!({ "name": "tx-1", "source": "main", "hidden": true }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    lake.branch("hide", "visible", "main").await;
    let names = |body: Value| -> Vec<String> {
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(lake.get("/repositories/hide/branches").await.1),
        ["main", "visible"]
    );
    assert_eq!(
        names(
            lake.get("/repositories/hide/branches?show_hidden=true")
                .await
                .1
        ),
        ["main", "tx-1", "visible"]
    );
    // A hidden branch is an ordinary branch otherwise.
    lake.put("hide", "tx-1", "a.txt", "a").await;
    lake.commit("hide", "tx-1", "on the hidden branch").await;
    let (status, _) = lake
        .post("/repositories/hide/refs/tx-1/merge/main", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        lake.read("hide", "main", "a.txt").await.as_deref(),
        Some("a")
    );
}

#[tokio::test]
async fn merges_refuse_dirty_destinations_and_sources_without_changes() {
    let lake = Lake::start().await;
    lake.repo("dirty", "s3://bucket/dirty").await;
    lake.branch("dirty", "feature", "main").await;
    let (status, body) = lake
        .post("/repositories/dirty/refs/feature/merge/main", json!({}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&body), "update branch main: no changes");

    lake.put("dirty", "feature", "f.txt", "f").await;
    lake.commit("dirty", "feature", "feature work").await;
    lake.put("dirty", "main", "m.txt", "m").await;
    let (status, body) = lake
        .post("/repositories/dirty/refs/feature/merge/main", json!({}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        message(&body),
        "update branch main: main: uncommitted changes (dirty branch)"
    );
    let (status, body) = lake
        .post(
            "/repositories/dirty/branches/main/commits",
            json!({ "message": "m" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = lake
        .post(
            "/repositories/dirty/branches/main/commits",
            json!({ "message": "again" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&body), "commit: no changes");

    let (status, merged) = lake
        .post("/repositories/dirty/refs/feature/merge/main", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, commit) = lake
        .get(&format!(
            "/repositories/dirty/commits/{}",
            merged["reference"].as_str().unwrap()
        ))
        .await;
    assert_eq!(commit["metadata"][".lakefs.merge.strategy"], "default");
    assert_eq!(commit["parents"].as_array().unwrap().len(), 2);
    assert_eq!(commit["message"], "Merge 'feature' into 'main'");
}

#[tokio::test]
async fn revert_undoes_a_commit_and_refuses_what_lakefs_refuses() {
    let lake = Lake::start().await;
    lake.repo("rev", "s3://bucket/rev").await;
    lake.put("rev", "main", "keep.txt", "v1").await;
    lake.commit("rev", "main", "first").await;
    lake.put("rev", "main", "keep.txt", "v2").await;
    lake.put("rev", "main", "added.txt", "new").await;
    let second = lake.commit("rev", "main", "second").await;
    let second_id = second["id"].as_str().unwrap();

    let revert = |body: Value| lake.post("/repositories/rev/branches/main/revert", body);
    let (status, body) = revert(json!({ "ref": second_id, "parent_number": 0 })).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        lake.read("rev", "main", "keep.txt").await.as_deref(),
        Some("v1")
    );
    assert_eq!(lake.read("rev", "main", "added.txt").await, None);
    let (_, head) = lake.get("/repositories/rev/commits/main").await;
    assert_eq!(head["message"], format!("Revert {second_id}"));
    assert_eq!(head["parents"][0], second_id);

    // Reverting again changes nothing; once keep.txt changed since, it conflicts.
    let (status, body) = revert(json!({ "ref": second_id, "parent_number": 0 })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(message(&body), "update branch: no changes");
    lake.put("rev", "main", "keep.txt", "v3").await;
    lake.commit("rev", "main", "third").await;
    let (status, body) = revert(json!({ "ref": second_id, "parent_number": 0 })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(message(&body), "update branch: conflict found");

    // Overrides replace the message and metadata; reverting the third brings v1 back.
    let (status, _) = revert(json!({
        "ref": "main",
        "parent_number": 0,
        "commit_overrides": { "message": "undo first", "metadata": { "why": "test" } },
    }))
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, head) = lake.get("/repositories/rev/commits/main").await;
    assert_eq!(head["message"], "undo first");
    assert_eq!(head["metadata"], json!({ "why": "test" }));
    assert_eq!(
        lake.read("rev", "main", "keep.txt").await.as_deref(),
        Some("v1")
    );

    // An empty commit reverts to nothing: "no changes" unless allow_empty.
    lake.post(
        "/repositories/rev/branches/main/commits",
        json!({ "message": "empty", "allow_empty": true }),
    )
    .await;
    let (status, body) = revert(json!({ "ref": "main", "parent_number": 0 })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&body), "update branch: no changes");
    let (status, _) =
        revert(json!({ "ref": "main", "parent_number": 0, "allow_empty": true })).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, body) = revert(json!({ "ref": "nope", "parent_number": 0 })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        message(&body).starts_with("get commit from ref nope: "),
        "{body}"
    );
    let (status, body) = revert(json!({ "ref": "main", "parent_number": 2 })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        message(&body),
        "given commit does not have the given parent number: parent 2"
    );
    let (status, _) = revert(json!({ "ref": "main", "parent_number": -1 })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = revert(json!({ "ref": "main" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "parent_number is required");

    lake.put("rev", "main", "dirt.txt", "d").await;
    let (status, body) = revert(json!({ "ref": second_id, "parent_number": 0 })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        message(&body),
        "update branch: main: uncommitted changes (dirty branch)"
    );
}

#[tokio::test]
async fn reverting_and_cherry_picking_a_merge_needs_a_parent_number() {
    let lake = Lake::start().await;
    lake.repo("mrg", "s3://bucket/mrg").await;
    lake.branch("mrg", "feature", "main").await;
    lake.put("mrg", "feature", "f.txt", "f").await;
    lake.commit("mrg", "feature", "feature work").await;
    lake.put("mrg", "main", "m.txt", "m").await;
    lake.commit("mrg", "main", "main work").await;
    let (_, merged) = lake
        .post("/repositories/mrg/refs/feature/merge/main", json!({}))
        .await;
    let merge_id = merged["reference"].as_str().unwrap().to_string();

    let (status, body) = lake
        .post(
            "/repositories/mrg/branches/main/revert",
            json!({ "ref": merge_id, "parent_number": 0 }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        message(&body),
        "must specify 1-based parent number for reverting merge commit"
    );
    // Relative to parent 1 (main), the merge brought f.txt: reverting removes it.
    let (status, _) = lake
        .post(
            "/repositories/mrg/branches/main/revert",
            json!({ "ref": merge_id, "parent_number": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(lake.read("mrg", "main", "f.txt").await, None);
    assert_eq!(
        lake.read("mrg", "main", "m.txt").await.as_deref(),
        Some("m")
    );

    lake.branch("mrg", "other", "main~2").await;
    let (status, body) = lake
        .post(
            "/repositories/mrg/branches/other/cherry-pick",
            json!({ "ref": merge_id }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        message(&body),
        "must specify 1-based parent number for cherry-picking merge commit"
    );
    let (status, body) = lake
        .post(
            "/repositories/mrg/branches/other/cherry-pick",
            json!({ "ref": merge_id, "parent_number": 2 }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Relative to parent 2 (feature), the merge brought m.txt.
    assert_eq!(
        lake.read("mrg", "other", "m.txt").await.as_deref(),
        Some("m")
    );
    assert_eq!(lake.read("mrg", "other", "f.txt").await, None);
    let (status, body) = lake
        .post(
            "/repositories/mrg/branches/other/cherry-pick",
            json!({ "ref": merge_id, "parent_number": 3 }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        message(&body),
        "parent 3: given commit does not have the given parent number"
    );
    let (status, _) = lake
        .post(
            "/repositories/mrg/branches/other/cherry-pick",
            json!({ "ref": merge_id, "parent_number": 0 }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn cherry_pick_replays_a_commit_with_its_origin() {
    let lake = Lake::start().await;
    lake.repo("pick", "s3://bucket/pick").await;
    lake.put("pick", "main", "base.txt", "base").await;
    lake.commit("pick", "main", "base").await;
    lake.branch("pick", "hotfix", "main").await;
    lake.branch("pick", "release", "main").await;
    lake.put("pick", "hotfix", "fix.txt", "fixed").await;
    lake.delete_object("pick", "hotfix", "base.txt").await;
    let (status, fix) = lake
        .post(
            "/repositories/pick/branches/hotfix/commits",
            json!({ "message": "the fix", "metadata": { "ticket": "42" } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let fix_id = fix["id"].as_str().unwrap();

    let (status, picked) = lake
        .post(
            "/repositories/pick/branches/release/cherry-pick",
            json!({ "ref": "hotfix" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{picked}");
    assert_eq!(picked["message"], "the fix");
    assert_eq!(picked["metadata"]["ticket"], "42");
    assert_eq!(picked["metadata"]["cherry-pick-origin"], fix_id);
    assert_eq!(picked["metadata"]["cherry-pick-committer"], "admin");
    assert_ne!(picked["id"], fix_id);
    assert_eq!(
        lake.head("pick", "release").await,
        picked["id"].as_str().unwrap()
    );
    assert_eq!(
        lake.read("pick", "release", "fix.txt").await.as_deref(),
        Some("fixed")
    );
    assert_eq!(lake.read("pick", "release", "base.txt").await, None);

    // Picking it again: the fix is there already, the deleted file is gone: conflict-free
    // no-op merges still make a commit in lakeFS; a conflicting one is refused.
    lake.put("pick", "main", "fix.txt", "other").await;
    lake.commit("pick", "main", "conflicting").await;
    let (status, body) = lake
        .post(
            "/repositories/pick/branches/main/cherry-pick",
            json!({ "ref": fix_id, "commit_overrides": { "message": "x" } }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(message(&body), "update branch: conflict found");

    let (status, body) = lake
        .post(
            "/repositories/pick/branches/release/cherry-pick",
            json!({ "ref": "pick~0" }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // The root commit has no parent 1.
    let (_, log) = lake.get("/repositories/pick/refs/main/commits").await;
    let root = log["results"].as_array().unwrap().last().unwrap()["id"].clone();
    let (status, body) = lake
        .post(
            "/repositories/pick/branches/release/cherry-pick",
            json!({ "ref": root }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        message(&body),
        "parent 1: given commit does not have the given parent number"
    );
}

#[tokio::test]
async fn imports_ingest_from_the_store_and_commit_when_polled() {
    let lake = Lake::start().await;
    lake.repo("imp", "s3://lake/imp").await;
    for (key, content) in [
        ("s3://source/raw/2024/a.csv", "a"),
        ("s3://source/raw/2024/b.csv", "bb"),
        ("s3://source/raw/readme.txt", "hi"),
        ("s3://source/other/c.csv", "c"),
    ] {
        lake.fake
            .seed_object(key, content.as_bytes())
            .await
            .unwrap();
    }
    lake.put("imp", "main", "tables/old.csv", "replaced by the import")
        .await;
    lake.put("imp", "main", "keep.txt", "kept").await;
    lake.commit("imp", "main", "before").await;

    let (status, started) = lake
        .post(
            "/repositories/imp/branches/main/import",
            json!({
                "paths": [
                    { "type": "common_prefix", "path": "s3://source/raw/", "destination": "tables" },
                    { "type": "object", "path": "s3://source/other/c.csv", "destination": "single/c.csv" },
                ],
                "commit": { "message": "import raw", "metadata": { "source": "s3" } },
            }),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    let id = started["id"].as_str().unwrap();
    assert_eq!(id.len(), 20);
    let (status, done) = lake
        .get(&format!("/repositories/imp/branches/main/import?id={id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(done["completed"], true, "{done}");
    assert_eq!(done["ingested_objects"], 4);
    assert!(done["update_time"].as_str().unwrap().ends_with('Z'));
    let commit = &done["commit"];
    assert_eq!(commit["message"], "import raw");
    assert_eq!(commit["metadata"]["source"], "s3");
    assert_eq!(commit["metadata"][".lakefs.merge.strategy"], "source-wins");
    assert_eq!(done["metarange_id"], commit["meta_range_id"]);
    assert_eq!(
        lake.head("imp", "main").await,
        commit["id"].as_str().unwrap()
    );

    assert_eq!(
        lake.paths("imp", "main").await,
        [
            "keep.txt",
            "single/c.csv",
            "tables/2024/a.csv",
            "tables/2024/b.csv",
            "tables/readme.txt"
        ]
    );
    assert_eq!(
        lake.read("imp", "main", "tables/2024/b.csv")
            .await
            .as_deref(),
        Some("bb")
    );
    let (_, stat) = lake
        .get("/repositories/imp/refs/main/objects/stat?path=tables/2024/b.csv")
        .await;
    assert_eq!(stat["physical_address"], "s3://source/raw/2024/b.csv");
    assert_eq!(stat["size_bytes"], 2);
    assert_eq!(stat["checksum"], format!("{:x}", md5_of(b"bb")));

    // Completed: cancel is a conflict; polling again answers the same.
    let (status, body) = lake
        .send(
            Method::DELETE,
            &format!("/repositories/imp/branches/main/import?id={id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(message(&body), "conflict found");
    let (_, again) = lake
        .get(&format!("/repositories/imp/branches/main/import?id={id}"))
        .await;
    assert_eq!(again["commit"]["id"], commit["id"]);
    let (status, _) = lake
        .get("/repositories/imp/branches/main/import?id=unknown")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The MD5 of some bytes, as the store's ETag has it.
fn md5_of(data: &[u8]) -> impl std::fmt::LowerHex {
    use md5::Digest;
    md5::Md5::digest(data)
}

#[tokio::test]
async fn imports_can_be_canceled_and_fail_as_lakefs_reports() {
    let lake = Lake::start().await;
    lake.repo("imp", "s3://lake/imp").await;
    lake.fake
        .seed_object("s3://source/x.csv", b"x")
        .await
        .unwrap();
    let start = |body: Value| lake.post("/repositories/imp/branches/main/import", body);
    let one = json!({
        "paths": [{ "type": "common_prefix", "path": "s3://source/", "destination": "in/" }],
        "commit": { "message": "m" },
    });
    let (_, started) = start(one.clone()).await;
    let id = started["id"].as_str().unwrap().to_string();
    let (status, _) = lake
        .send(
            Method::DELETE,
            &format!("/repositories/imp/branches/main/import?id={id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, status_body) = lake
        .get(&format!("/repositories/imp/branches/main/import?id={id}"))
        .await;
    assert_eq!(status_body["completed"], false);
    assert_eq!(status_body["error"]["message"], "Canceled");
    assert!(lake.paths("imp", "main").await.is_empty(), "nothing landed");

    // The branch became dirty between start and the commit: the import fails.
    let (_, started) = start(one.clone()).await;
    let id = started["id"].as_str().unwrap().to_string();
    lake.put("imp", "main", "dirt.txt", "d").await;
    let (_, failed) = lake
        .get(&format!("/repositories/imp/branches/main/import?id={id}"))
        .await;
    assert_eq!(
        failed["error"]["message"],
        "merge import: update branch main: main: uncommitted changes (dirty branch)"
    );

    // A source of another blockstore fails in the status, as lakeFS's walker does.
    let (status, started) = start(json!({
        "paths": [{ "type": "common_prefix", "path": "gs://elsewhere/", "destination": "g/" }],
        "commit": { "message": "m" },
    }))
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (_, failed) = lake
        .get(&format!(
            "/repositories/imp/branches/main/import?id={}",
            started["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        failed["error"]["message"],
        "error on ingest: creating object-store walker on path gs://elsewhere/: expected storage type s3: invalid address"
    );

    let (status, body) = start(json!({
        "paths": [{ "type": "common_prefix", "path": "s3://lake/imp/data/", "destination": "d/" }],
        "commit": { "message": "m" },
    }))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        message(&body),
        "import path (s3://lake/imp/data/) in repository namespace (s3://lake/imp) is prohibited: invalid import source"
    );
    let (status, body) = start(json!({
        "paths": [{ "type": "common_prefix", "path": "s3://lake/", "destination": "d/" }],
        "commit": { "message": "m" },
    }))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("prefix (s3://lake/) contains repository namespace"));
    let (status, body) = start(json!({
        "paths": [{ "type": "folder", "path": "s3://source/", "destination": "d/" }],
        "commit": { "message": "m" },
    }))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        message(&body),
        "invalid import type: invalid value: validation error"
    );
    let (status, _) = lake
        .post("/repositories/imp/branches/nobranch/import", one.clone())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The mem blockstore cannot import.
    let mem = FakeLakeFs::builder()
        .blockstore(lakefs_fake::Blockstore::Mem)
        .start()
        .await
        .unwrap();
    let mem = Lake {
        fake: mem,
        http: reqwest::Client::new(),
    };
    mem.repo("imp", "mem://lake/imp").await;
    let (status, body) = mem
        .post("/repositories/imp/branches/main/import", one)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(message(&body), "import is not supported for this storage");
}
