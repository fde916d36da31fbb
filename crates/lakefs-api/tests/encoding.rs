//! Property test: whatever ids, refs and object paths the caller gives, the server decodes
//! exactly what was sent, each path segment encoded once and query values encoded.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use lakefs_api::*;
use percent_encoding::percent_decode_str;
use proptest::prelude::*;
use support::*;
use wiremock::matchers::any as any_request;
use wiremock::{Mock, ResponseTemplate};

fn awkward() -> impl Strategy<Value = String> {
    prop_oneof!["[a-zA-Z0-9/+%?#&=~^ üé.\\-_]{1,24}", any::<String>(),]
        // Empty and dot segments are refused before sending (tested in the crate's unit tests).
        .prop_filter("sendable", |s| !matches!(s.as_str(), "" | "." | ".."))
}

/// Decodes a raw path segment the way a strict server does (no `+` as space: we never send one).
fn decode(segment: &str) -> String {
    percent_decode_str(segment)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_server_receives_exactly_what_was_sent(repository in awkward(), reference in awkward(), object in awkward()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let server = mock_server().await;
            Mock::given(any_request()).respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "path": "p", "path_type": "object", "physical_address": "a", "checksum": "c", "mtime": 1})))
                .mount(&server).await;
            client(&server).stat_object(&repository, &reference, &object, Default::default()).await.unwrap();
            let requests = server.received_requests().await.unwrap();
            let url = &requests[0].url;
            let raw = url.path();
            // Nothing but unreserved characters and percent-escapes reaches the wire.
            prop_assert!(raw.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%/".contains(&b)), "{}", raw);
            let segments: Vec<&str> = raw.split('/').collect();
            prop_assert_eq!(segments.len(), 9, "{}", raw);
            prop_assert_eq!(decode(segments[4]), repository.clone());
            prop_assert_eq!(decode(segments[6]), reference.clone());
            let path_value = url.query_pairs().find(|(k, _)| k == "path").map(|(_, v)| v.into_owned());
            prop_assert_eq!(path_value, Some(object.clone()));
            Ok(())
        })?;
    }
}
