//! Server-level operations: health, setup state, configuration, version.

use serde_json::{Value, json};

use crate::config::Storage;
use crate::http::{ApiError, HandlerResult, Reply};
use crate::model::State;

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

fn version_config() -> Value {
    json!({
        "version": VERSION,
        "version_context": "lakefs-fake",
        "upgrade_recommended": false,
    })
}

/// A single-storage lakeFS reports its storage twice (`storage_config` and the list); a
/// multi-storage one only in the list, each entry with its `blockstore_id`.
pub(super) fn get_config(state: &State) -> HandlerResult {
    let list: Vec<Value> = state.config.storages.iter().map(Storage::to_json).collect();
    let mut config = json!({
        "version_config": version_config(),
        "storage_config_list": list,
    });
    if !state.config.multi_storage()
        && let Some(single) = list.first()
    {
        config["storage_config"] = single.clone();
    }
    Ok(Reply::json(200, &config))
}

/// The (deprecated) single storage configuration: the default storage.
pub(super) fn get_storage_config(state: &State) -> HandlerResult {
    let storage = state
        .config
        .storage(None)
        .ok_or_else(|| ApiError::not_found("storage config not found"))?;
    Ok(Reply::json(200, &storage.to_json()))
}

pub(super) fn get_lakefs_version() -> HandlerResult {
    Ok(Reply::json(200, &version_config()))
}
