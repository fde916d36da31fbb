//! From a request to a reply: `/api/v1` prefix, route lookup, credentials, path parameter
//! decoding, the body (streamed into a blob for uploads, else read whole), the handler under
//! the metadata lock, and the headers every response carries.

use std::sync::PoisonError;

use bytes::Bytes;
use futures::TryStreamExt;
use http::Method;
use http_body_util::{BodyExt, BodyStream, Limited};

use super::handlers::{self, Ctx, dispatch};
use super::http::{ApiError, Query, Reply, Request, decode_path_segment, request_id};
use super::server::Shared;
use crate::routes::{self, Lookup, Route};

/// The base path of the lakeFS API.
const API_PREFIX: &str = "/api/v1";

/// The largest request body read whole (JSON bodies; uploads stream instead).
const MAX_BUFFERED_BODY: usize = 16 * 1024 * 1024;

/// Answers one API request.
pub(crate) async fn respond<B>(shared: &Shared, request: http::Request<B>) -> Reply
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let is_head = request.method() == Method::HEAD;
    let mut reply = route(shared, request).await;
    // A HEAD answer never has a body, errors included.
    if is_head && reply.has_body() {
        reply = reply.without_body();
    }
    reply.header("x-request-id", &request_id())
}

async fn route<B>(shared: &Shared, request: http::Request<B>) -> Reply
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let raw_path = request.uri().path().to_string();
    let Some(path) = api_path(&raw_path) else {
        return ApiError::not_found(format!("no API route for {raw_path}")).into();
    };
    match routes::lookup(request.method().as_str(), path) {
        Lookup::Found(route, raw_params) => {
            let raw_params: Vec<(&'static str, String)> = raw_params
                .into_iter()
                .map(|(name, raw)| (name, raw.to_string()))
                .collect();
            run(shared, request, route, &raw_params)
                .await
                .unwrap_or_else(Reply::from)
        }
        Lookup::MethodNotAllowed => ApiError::new(
            405,
            format!("method {} not allowed for {path}", request.method()),
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

async fn run<B>(
    shared: &Shared,
    request: http::Request<B>,
    route: &Route,
    raw_params: &[(&'static str, String)],
) -> Result<Reply, ApiError>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let user = if route.needs_auth {
        Some(shared.auth.authenticate(request.headers())?)
    } else {
        None
    };
    let params = decode_params(raw_params)?;
    let (head, body) = request.into_parts();
    let mut request = Request {
        uri: head.uri,
        headers: head.headers,
        body: Bytes::new(),
    };
    let upload = if handlers::streams_request_body(route.operation_id) {
        // Refuse early what would be refused anyway, before taking a large body; the handler
        // checks again under the lock, since the branch may change meanwhile.
        let early = Ctx {
            request: &request,
            params: params.clone(),
            query: Query::from_uri(&request.uri),
            upload: None,
            auth: shared.auth.as_ref(),
            user: user.clone(),
        };
        handlers::check_upload(&early, &shared.lock())?;
        let chunks = BodyStream::new(body)
            .try_filter_map(|frame| futures::future::ready(Ok(frame.into_data().ok())))
            .map_err(std::io::Error::other);
        Some(handlers::receive_upload(&request.headers, chunks, &shared.blobs).await?)
    } else {
        request.body = Limited::new(body, MAX_BUFFERED_BODY)
            .collect()
            .await
            .map_err(|error| ApiError::new(413, format!("request body refused: {error}")))?
            .to_bytes();
        None
    };
    let ctx = Ctx {
        query: Query::from_uri(&request.uri),
        request: &request,
        params,
        upload,
        auth: shared.auth.as_ref(),
        user,
    };
    let mut state = shared.lock();
    dispatch(route.operation_id, &ctx, &mut state)
}

fn decode_params(
    raw_params: &[(&'static str, String)],
) -> Result<Vec<(&'static str, String)>, ApiError> {
    raw_params
        .iter()
        .map(|(name, raw)| Ok((*name, decode_path_segment(raw)?)))
        .collect()
}

impl Shared {
    /// The metadata, locked. A handler never panics by design; should one, the next request
    /// still gets the state.
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, super::model::State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
