//! Who the caller is and how it gets a token: `getCurrentUser`, `login`, `stsLogin`,
//! `externalPrincipalLogin`.

use serde::Deserialize;
use serde_json::json;

use super::Ctx;
use crate::auth::{Issued, StsRequest};
use crate::http::{HandlerResult, Reply, json_body};
use crate::model::State;

/// The user of the request's credentials (a token answers for the user it was issued to).
pub(super) fn get_current_user(ctx: &Ctx<'_>, state: &State) -> HandlerResult {
    let id = ctx.user.as_deref().unwrap_or_default();
    Ok(Reply::json(
        200,
        &json!({ "user": { "id": id, "creation_date": state.started, "friendly_name": id } }),
    ))
}

#[derive(Deserialize)]
struct LoginInformation {
    #[serde(default)]
    access_key_id: String,
    #[serde(default)]
    secret_access_key: String,
}

pub(super) fn login(ctx: &Ctx<'_>) -> HandlerResult {
    let body: LoginInformation = json_body(ctx.request)?;
    let issued = ctx
        .auth
        .login(&body.access_key_id, &body.secret_access_key)?;
    // lakeFS also sets the session cookie of its web UI.
    Ok(token_reply(&issued).header(
        "set-cookie",
        &format!("internal_auth_session={}; Path=/; HttpOnly", issued.token),
    ))
}

pub(super) fn sts_login(ctx: &Ctx<'_>) -> HandlerResult {
    let body: StsRequest = json_body(ctx.request)?;
    Ok(token_reply(&ctx.auth.sts_login(&body)?))
}

#[derive(Deserialize)]
struct ExternalLoginInformation {
    #[serde(default)]
    token_expiration_duration: Option<i64>,
    #[serde(rename = "identityRequest", default)]
    identity_request: serde_json::Value,
}

pub(super) fn external_principal_login(ctx: &Ctx<'_>) -> HandlerResult {
    let body: ExternalLoginInformation = json_body(ctx.request)?;
    let issued = ctx
        .auth
        .external_principal_login(&body.identity_request, body.token_expiration_duration)?;
    Ok(token_reply(&issued))
}

fn token_reply(issued: &Issued) -> Reply {
    Reply::json(
        200,
        &json!({ "token": issued.token, "token_expiration": issued.expires }),
    )
}
