//! From a wiremock request to a response: `/api/v1` prefix, route lookup, credentials, path
//! parameter decoding, the handler, and the headers every response carries.

use std::sync::{Mutex, PoisonError};

use wiremock::http::Method;
use wiremock::{Request, ResponseTemplate};

use super::auth;
use super::handlers::{Ctx, dispatch};
use super::http::{ApiError, Query, Reply, decode_path_segment, request_id};
use super::model::State;
use crate::routes::{self, Lookup, Route};

/// The base path of the lakeFS API.
const API_PREFIX: &str = "/api/v1";

/// Answers one request.
pub(crate) fn respond(state: &Mutex<State>, request: &Request) -> ResponseTemplate {
    let mut reply = route(state, request);
    // A HEAD answer never has a body, errors included.
    if request.method == Method::HEAD && reply.has_body() {
        reply = reply.without_body();
    }
    reply.header("x-request-id", &request_id()).into_template()
}

fn route(state: &Mutex<State>, request: &Request) -> Reply {
    let raw_path = request.url.path();
    let Some(path) = api_path(raw_path) else {
        return ApiError::not_found(format!("no API route for {raw_path}")).into();
    };
    match routes::lookup(request.method.as_str(), path) {
        Lookup::Found(route, raw_params) => run(state, request, route, &raw_params),
        Lookup::MethodNotAllowed => ApiError::new(
            405,
            format!("method {} not allowed for {path}", request.method),
        )
        .into(),
        Lookup::NotFound => ApiError::not_found(format!("no API route for {raw_path}")).into(),
    }
}

/// The path relative to `/api/v1`, still percent-encoded.
fn api_path(raw_path: &str) -> Option<&str> {
    raw_path
        .strip_prefix(API_PREFIX)
        .filter(|rest| rest.starts_with('/'))
}

fn run(
    state: &Mutex<State>,
    request: &Request,
    route: &Route,
    raw_params: &[(&'static str, &str)],
) -> Reply {
    if route.needs_auth && !auth::is_authorized(request) {
        return ApiError::new(401, "error authenticating request").into();
    }
    let params = match decode_params(raw_params) {
        Ok(params) => params,
        Err(error) => return error.into(),
    };
    let ctx = Ctx {
        request,
        params,
        query: Query::from_request(request),
    };
    // A handler never panics by design; should one, the next request still gets the state.
    let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
    dispatch(route.operation_id, &ctx, &mut state).unwrap_or_else(Reply::from)
}

fn decode_params(
    raw_params: &[(&'static str, &str)],
) -> Result<Vec<(&'static str, String)>, ApiError> {
    raw_params
        .iter()
        .map(|(name, raw)| Ok((*name, decode_path_segment(raw)?)))
        .collect()
}
