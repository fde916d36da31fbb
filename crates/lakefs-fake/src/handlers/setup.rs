//! Server-level operations: health, setup state, configuration, version, current user.

use serde_json::{Value, json};

use crate::http::{HandlerResult, Reply};
use crate::model::{COMMITTER, State};

/// The lakeFS version the fake claims: the spec it follows.
const VERSION: &str = "1.84.0";

pub(super) fn health_check() -> HandlerResult {
    Ok(Reply::empty(204))
}

pub(super) fn get_setup_state() -> HandlerResult {
    Ok(Reply::json(
        200,
        &json!({
            "state": "initialized",
            "comm_prefs_missing": false,
            "login_config": {
                "RBAC": "simplified",
                "login_url": "/auth/login",
                "login_cookie_names": ["internal_auth_session"],
                "logout_url": "/logout",
            },
        }),
    ))
}

fn storage_config() -> Value {
    json!({
        "blockstore_type": "mem",
        "blockstore_namespace_example": "mem://example",
        "blockstore_namespace_ValidityRegex": "^mem://",
        "pre_sign_support": false,
        "pre_sign_support_ui": false,
        "import_support": false,
        "import_validity_regex": "^mem://",
        "pre_sign_multipart_upload": false,
    })
}

fn version_config() -> Value {
    json!({
        "version": VERSION,
        "version_context": "lakefs-fake",
        "upgrade_recommended": false,
    })
}

pub(super) fn get_config() -> HandlerResult {
    Ok(Reply::json(
        200,
        &json!({
            "version_config": version_config(),
            "storage_config": storage_config(),
            "storage_config_list": [storage_config()],
        }),
    ))
}

pub(super) fn get_storage_config() -> HandlerResult {
    Ok(Reply::json(200, &storage_config()))
}

pub(super) fn get_lakefs_version() -> HandlerResult {
    Ok(Reply::json(200, &version_config()))
}

pub(super) fn get_current_user(state: &State) -> HandlerResult {
    Ok(Reply::json(
        200,
        &json!({ "user": { "id": COMMITTER, "creation_date": state.started } }),
    ))
}
