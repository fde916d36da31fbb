//! How the blocking facade behaves: async contexts, threads, pagination, streaming, errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use lakefs_blocking::*;
use std::io::Read;
use support::*;
use wiremock::matchers::{body_bytes, header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

fn repository_page(ids: &[&str], has_more: bool, next: &str) -> serde_json::Value {
    serde_json::json!({
        "pagination": {"has_more": has_more, "next_offset": next, "results": ids.len(), "max_per_page": 1000},
        "results": ids.iter().map(|id| serde_json::json!({
            "id": id, "creation_date": 1, "default_branch": "main", "storage_namespace": "mem://x"
        })).collect::<Vec<_>>(),
    })
}

#[test]
fn iterators_are_lazy_follow_cursors_and_end_after_an_error() {
    let server = mock_server();
    mount(
        &server,
        Mock::given(method("GET"))
            .and(path("/api/v1/repositories"))
            .and(query_param("after", "b"))
            .respond_with(
                ResponseTemplate::new(500).set_body_json(serde_json::json!({"message": "boom"})),
            )
            .expect(1),
    );
    mount(
        &server,
        Mock::given(method("GET"))
            .and(path("/api/v1/repositories"))
            .and(query_param("amount", "2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(repository_page(
                &["a", "b"],
                true,
                "b",
            )))
            .expect(1),
    );
    let client = client(&server);
    let iter = client.list_repositories_iter(ListRepositoriesOptions::default().amount(2));
    // Nothing is sent before the first `next`.
    assert!(
        server
            .runtime
            .block_on(server.server.received_requests())
            .unwrap()
            .is_empty()
    );
    let got: Vec<_> = iter.collect();
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0].as_ref().unwrap().id, "a");
    assert_eq!(got[1].as_ref().unwrap().id, "b");
    let err = got[2].as_ref().unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.kind(), ErrorKind::Server);
}

#[test]
fn pages_iterator_yields_whole_pages() {
    let server = mock_server();
    mount(
        &server,
        Mock::given(method("GET"))
            .and(path("/api/v1/repositories"))
            .respond_with(ResponseTemplate::new(200).set_body_json(repository_page(
                &["x"],
                false,
                "",
            ))),
    );
    let pages: Vec<_> = client(&server)
        .list_repositories_pages(Default::default())
        .collect::<Result<_>>()
        .unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].results[0].id, "x");
}

#[test]
fn downloads_are_read_as_std_io_read() {
    let server = mock_server();
    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    mount(
        &server,
        Mock::given(method("GET"))
            .and(path("/api/v1/repositories/r/refs/main/objects"))
            .and(query_param("path", "big.bin"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(content.clone(), "application/x-test")
                    .insert_header("etag", "\"e1\""),
            ),
    );
    let mut reader = client(&server)
        .get_object("r", "main", "big.bin", Default::default())
        .unwrap();
    assert_eq!(reader.metadata.etag.as_deref(), Some("e1"));
    assert_eq!(
        reader.metadata.content_type.as_deref(),
        Some("application/x-test")
    );
    let mut small = [0u8; 1000];
    reader.read_exact(&mut small).unwrap();
    assert_eq!(&small[..], &content[..1000]);
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).unwrap();
    assert_eq!(rest, &content[1000..]);
}

#[test]
fn uploads_stream_from_any_reader_and_from_files() {
    let server = mock_server();
    let content: Vec<u8> = (0..1_000_000u32).map(|i| (i % 253) as u8).collect();
    let stats = serde_json::json!({"path": "p", "path_type": "object", "physical_address": "mem://p",
        "checksum": "c", "mtime": 1, "size_bytes": content.len()});
    mount(
        &server,
        Mock::given(method("POST"))
            .and(path("/api/v1/repositories/r/branches/b/objects"))
            .and(header("content-type", "text/csv"))
            .and(header("x-lakefs-meta-owner", "team"))
            .and(body_bytes(content.clone()))
            .respond_with(ResponseTemplate::new(201).set_body_json(stats))
            .expect(2),
    );
    let client = client(&server);
    let options = UploadObjectOptions::default()
        .content_type("text/csv")
        .user_metadata("owner", "team");
    let reader = std::io::Cursor::new(content.clone());
    let stats = client
        .upload_object(
            "r",
            "b",
            "p",
            UploadBody::from_reader(reader, None),
            options.clone(),
        )
        .unwrap();
    assert_eq!(stats.size_bytes, Some(content.len() as i64));

    let file = std::env::temp_dir().join(format!("lakefs-blocking-upload-{}", std::process::id()));
    std::fs::write(&file, &content).unwrap();
    let result = client.upload_object("r", "b", "p", UploadBody::from_path(&file), options);
    std::fs::remove_file(&file).unwrap();
    result.unwrap();
}

#[test]
fn a_missing_file_is_a_local_io_error_and_nothing_is_sent() {
    let server = mock_server();
    let err = client(&server)
        .upload_object(
            "r",
            "b",
            "p",
            UploadBody::from_path("/definitely/not/here"),
            Default::default(),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LocalIo, "{err}");
    assert!(
        server
            .runtime
            .block_on(server.server.received_requests())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn errors_keep_status_message_and_request_id() {
    let server = mock_server();
    mount(
        &server,
        Mock::given(method("GET"))
            .and(path("/api/v1/repositories/r/branches/nope"))
            .respond_with(
                ResponseTemplate::new(404)
                    .set_body_json(serde_json::json!({"message": "branch not found"}))
                    .insert_header("x-request-id", "req-7"),
            ),
    );
    let err = client(&server).get_branch("r", "nope").unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.request_id(), Some("req-7"));
    assert_eq!(err.api_error().unwrap().message, "branch not found");
}

#[test]
fn many_threads_share_one_client() {
    let server = mock_server();
    mount(
        &server,
        Mock::given(method("GET"))
            .and(path("/api/v1/healthcheck"))
            .respond_with(ResponseTemplate::new(204))
            .expect(64),
    );
    let client = client(&server);
    std::thread::scope(|scope| {
        for _ in 0..8 {
            let client = client.clone();
            scope.spawn(move || {
                for _ in 0..8 {
                    client.health_check().unwrap();
                }
            });
        }
    });
}

/// From inside a runtime a nested `block_on` would panic; the facade runs the call on a
/// helper thread instead, and dropping it there is safe.
#[tokio::test(flavor = "current_thread")]
async fn works_and_drops_inside_a_current_thread_runtime() {
    let server = tokio::task::spawn_blocking(mock_server).await.unwrap();
    mount_from_async(
        &server,
        Mock::given(method("GET"))
            .and(path("/api/v1/healthcheck"))
            .respond_with(ResponseTemplate::new(204)),
    );
    let client = client(&server);
    client.health_check().unwrap();
    drop(client);
    tokio::task::spawn_blocking(move || drop(server))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_inside_a_multi_thread_runtime_and_in_spawn_blocking() {
    let server = tokio::task::spawn_blocking(mock_server).await.unwrap();
    mount_from_async(
        &server,
        Mock::given(method("GET"))
            .and(path("/api/v1/healthcheck"))
            .respond_with(ResponseTemplate::new(204))
            .expect(2),
    );
    let client = client(&server);
    client.health_check().unwrap();
    let in_blocking = client.clone();
    tokio::task::spawn_blocking(move || in_blocking.health_check())
        .await
        .unwrap()
        .unwrap();
    drop(client);
    tokio::task::spawn_blocking(move || drop(server))
        .await
        .unwrap();
}

/// The mock's own runtime must not be driven from the test's runtime thread.
fn mount_from_async(server: &MockThread, mock: Mock) {
    std::thread::scope(|scope| {
        scope.spawn(|| mount(server, mock)).join().unwrap();
    });
}

#[test]
fn iterators_work_through_dyn_traits() {
    let server = mock_server();
    mount(
        &server,
        Mock::given(method("GET"))
            .and(path("/api/v1/repositories"))
            .respond_with(ResponseTemplate::new(200).set_body_json(repository_page(
                &["x", "y"],
                false,
                "",
            ))),
    );
    let api: Box<dyn RepositoriesApi> = Box::new(client(&server));
    let ids: Vec<String> = api
        .list_repositories_iter(Default::default())
        .map(|r| r.map(|repository| repository.id))
        .collect::<Result<_>>()
        .unwrap();
    assert_eq!(ids, ["x", "y"]);
    let shared: std::sync::Arc<dyn RepositoriesApi> = std::sync::Arc::new(client(&server));
    assert_eq!(
        shared.list_repositories_pages(Default::default()).count(),
        1
    );
}

/// A reader that counts the bytes taken from it.
struct Counting(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0
            .fetch_add(buf.len(), std::sync::atomic::Ordering::SeqCst);
        buf.fill(b'x');
        Ok(buf.len())
    }
}

#[test]
fn a_call_refused_before_sending_takes_nothing_from_the_reader() {
    let server = mock_server();
    let taken = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let body = UploadBody::from_reader(Counting(taken.clone()), Some(1 << 20));
    let err = client(&server)
        .upload_object("r", "", "p", body, Default::default())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 0);
}

/// A reader that fails after its first chunk.
struct Failing(bool);

impl Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if std::mem::replace(&mut self.0, true) {
            return Err(std::io::Error::other("the pipe broke"));
        }
        buf[..4].copy_from_slice(b"data");
        Ok(4)
    }
}

#[test]
fn a_failing_reader_is_a_local_error() {
    let server = mock_server();
    mount(
        &server,
        Mock::given(method("POST"))
            .and(path("/api/v1/repositories/r/branches/b/objects"))
            .respond_with(
                ResponseTemplate::new(201).set_body_json(serde_json::json!({"path": "p",
                "path_type": "object", "physical_address": "a", "checksum": "c", "mtime": 1})),
            ),
    );
    let err = client(&server)
        .upload_object(
            "r",
            "b",
            "p",
            UploadBody::from_reader(Failing(false), None),
            Default::default(),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LocalIo, "{err}");
}
