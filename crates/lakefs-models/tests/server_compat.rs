//! The differences between servers and this spec listed in SERVER-NOTES.md: older servers
//! omit fields, newer ones add fields and enum values, some send `null` lists.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use lakefs_models::*;
use serde_json::json;

#[test]
fn a_commit_from_an_older_server_without_generation_and_version_decodes() {
    // lakeFS 0.107 did not send `generation` or `version` (lakeFS client 1.9 failed on it).
    let commit: Commit = serde_json::from_value(json!({
        "id": "c1", "parents": ["c0"], "committer": "alice", "message": "m",
        "creation_date": 1700000000, "meta_range_id": "mr", "metadata": {"k": "v"}
    }))
    .unwrap();
    assert_eq!(commit.id, "c1");
    assert_eq!(commit.generation, None);
    assert_eq!(commit.version, None);
    assert_eq!(commit.creation_date, 1_700_000_000);
}

#[test]
fn a_missing_required_field_decodes_to_its_default() {
    let repo: Repository = serde_json::from_value(json!({"id": "r"})).unwrap();
    assert_eq!(repo.id, "r");
    assert_eq!(repo.storage_namespace, "");
    assert_eq!(repo.creation_date, 0);
}

#[test]
fn newer_enum_values_and_fields_are_kept_or_ignored() {
    let diff: Diff = serde_json::from_value(json!({
        "type": "prefix_changed", "path": "a/", "path_type": "common_prefix", "brand_new_field": 1
    }))
    .unwrap();
    assert_eq!(diff.type_, DiffType::PrefixChanged);
    let future: Diff =
        serde_json::from_value(json!({"type": "renamed", "path": "a", "path_type": "object"}))
            .unwrap();
    assert_eq!(future.type_, DiffType::Unknown("renamed".into()));
    assert_eq!(serde_json::to_value(&future).unwrap()["type"], "renamed");
}

#[test]
fn python_sdk_1_88_era_payloads_decode() {
    // Newer servers: `Setup`/`CommPrefsInput` gained `country`; `LoginConfig` lost most fields.
    let setup: Setup =
        serde_json::from_value(json!({"username": "admin", "country": "IL"})).unwrap();
    assert_eq!(setup.username, "admin");
    let login: LoginConfig = serde_json::from_value(json!({"RBAC": "simplified"})).unwrap();
    assert_eq!(login.rbac, Some(LoginConfigRbac::Simplified));
    assert!(login.login_cookie_names.is_empty());
    let user: UserCreation = serde_json::from_value(json!({"id": "u"})).unwrap();
    assert_eq!(user.invite_user, None);
}

#[test]
fn null_required_lists_decode_as_empty() {
    let list: CommitList = serde_json::from_value(json!({
        "pagination": {"has_more": false, "next_offset": "", "results": 0, "max_per_page": 100},
        "results": null
    }))
    .unwrap();
    assert!(list.results.is_empty());
}

#[test]
fn unfinished_runs_keep_their_zero_time_and_wider_event_types() {
    let run: ActionRun = serde_json::from_value(json!({
        "run_id": "r", "branch": "main", "start_time": "2024-01-01T00:00:00Z",
        "end_time": "0001-01-01T00:00:00Z", "event_type": "pre-revert", "status": "running", "commit_id": "c"
    }))
    .unwrap();
    assert_eq!(run.end_time.as_deref(), Some("0001-01-01T00:00:00Z"));
    assert_eq!(run.event_type, "pre-revert");
    assert_eq!(run.status, ActionRunStatus::Unknown("running".into()));
}

#[test]
fn keyword_and_camel_case_names_survive_a_round_trip() {
    let input = json!({"username": "a", "firstName": "F", "lastName": "L", "companyName": "C",
        "featureUpdates": true, "securityUpdates": false, "email": "e"});
    let setup: Setup = serde_json::from_value(input.clone()).unwrap();
    assert_eq!(setup.first_name.as_deref(), Some("F"));
    let back = serde_json::to_value(&setup).unwrap();
    for key in [
        "firstName",
        "lastName",
        "companyName",
        "featureUpdates",
        "securityUpdates",
    ] {
        assert_eq!(back[key], input[key], "{key}");
    }
    let reset = ResetCreation::new(ResetCreationType::Object).with_path("p");
    assert_eq!(
        serde_json::to_value(&reset).unwrap(),
        json!({"type": "object", "path": "p"})
    );
    let tag = TagCreation::new("v1", "main");
    assert_eq!(
        serde_json::to_value(&tag).unwrap(),
        json!({"id": "v1", "ref": "main"})
    );
}

#[test]
fn secrets_are_masked_in_debug() {
    let creds: CredentialsWithSecret = serde_json::from_value(json!({
        "access_key_id": "AKIDEXAMPLE", "secret_access_key": "VERYSECRET", "creation_date": 1, "user_id": "u"
    }))
    .unwrap();
    let shown = format!("{creds:?}");
    assert!(
        shown.contains("AKIDEXAMPLE") && !shown.contains("VERYSECRET"),
        "{shown}"
    );
    let token: AuthenticationToken =
        serde_json::from_value(json!({"token": "JWT.SECRET"})).unwrap();
    assert!(!format!("{token:?}").contains("JWT.SECRET"));
    let staging: StagingLocation = serde_json::from_value(
        json!({"physical_address": "s3://b/k", "presigned_url": "https://b/k?sig=SIG"}),
    )
    .unwrap();
    let shown = format!("{staging:?}");
    assert!(
        shown.contains("s3://b/k") && !shown.contains("sig=SIG"),
        "{shown}"
    );
}

/// A Go server sends `null` for a nil slice anywhere, also inside maps (`PolicyCondition`'s
/// values) and for the map itself.
#[test]
fn null_lists_inside_maps_decode_as_empty() {
    let statement: lakefs_models::Statement = serde_json::from_str(
        r#"{"effect":"allow","action":["fs:ReadObject"],"resource":"*",
            "condition":{"IpAddress":{"aws:SourceIp":null,"other":["10.0.0.0/8"]},"Empty":null}}"#,
    )
    .unwrap();
    let condition = statement.condition.unwrap();
    assert_eq!(condition["IpAddress"]["aws:SourceIp"], Vec::<String>::new());
    assert_eq!(
        condition["IpAddress"]["other"],
        vec!["10.0.0.0/8".to_string()]
    );
    assert!(condition["Empty"].is_empty());
    let statement: lakefs_models::Statement =
        serde_json::from_str(r#"{"effect":"deny","action":[],"resource":"*","condition":null}"#)
            .unwrap();
    assert_eq!(statement.condition, None);
    let statement: lakefs_models::Statement =
        serde_json::from_str(r#"{"effect":"deny","action":[],"resource":"*"}"#).unwrap();
    assert_eq!(statement.condition, None);
}
