//! The HTTP server: hyper connections on a runtime thread of the fake's own, each request
//! routed, and replies streamed out (blob bodies chunk by chunk, outside the metadata lock).

use std::convert::Infallible;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use bytes::Bytes;
use futures::StreamExt;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::sync::watch;

use crate::Bandwidth;
use crate::auth::Authenticator;
use crate::blobs::{BlobStore, ChunkStream};
use crate::http::{Body, Reply};
use crate::model::State;
use crate::throttle::Throttled;

/// What every connection shares.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Metadata only: repositories, branches, commits. Object bytes live in `blobs`.
    pub(crate) state: Mutex<State>,
    pub(crate) blobs: BlobStore,
    pub(crate) auth: Box<dyn Authenticator>,
}

/// A response body: bytes in hand or a blob's chunks.
pub(crate) type ResponseBody = UnsyncBoxBody<Bytes, io::Error>;

/// What a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The lakeFS API.
    Api,
    /// The simulated object store.
    Storage,
}

/// A server running on its own thread; dropping it stops it.
#[derive(Debug)]
pub(crate) struct Running {
    /// Where each listener serves, in the order given.
    pub(crate) addresses: Vec<SocketAddr>,
    shutdown: Option<watch::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        // Closing the channel stops the accept loop and every connection.
        drop(self.shutdown.take());
        if let Some(thread) = self.thread.take() {
            // Joining from inside a runtime would block it; the thread ends by itself.
            if tokio::runtime::Handle::try_current().is_err() {
                let _ = thread.join();
            }
        }
    }
}

/// Serves `shared` on each listener (in its role) from a new thread with its own runtime of
/// `workers` threads.
pub(crate) fn spawn(
    listeners: Vec<(TcpListener, Role, Bandwidth)>,
    shared: Arc<Shared>,
    workers: usize,
) -> io::Result<Running> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.max(1))
        .thread_name("lakefs-fake")
        .enable_all()
        .build()?;
    let (shutdown, stopped) = watch::channel(());
    let mut addresses = Vec::new();
    let mut loops = Vec::new();
    {
        let _guard = runtime.enter();
        for (listener, role, limit) in listeners {
            listener.set_nonblocking(true)?;
            addresses.push(listener.local_addr()?);
            let listener = tokio::net::TcpListener::from_std(listener)?;
            loops.push(accept_loop(
                listener,
                role,
                limit,
                Arc::clone(&shared),
                stopped.clone(),
            ));
        }
    }
    let thread = std::thread::Builder::new()
        .name("lakefs-fake".to_string())
        .spawn(move || {
            runtime.block_on(futures::future::join_all(loops));
            // Connections still open are cut here: the runtime goes with the server.
            runtime.shutdown_background();
        })?;
    Ok(Running {
        addresses,
        shutdown: Some(shutdown),
        thread: Some(thread),
    })
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    role: Role,
    limit: Bandwidth,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<()>,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.changed() => return,
        };
        let Ok((stream, _peer)) = accepted else {
            // Out of file descriptors and the like: try the next connection.
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = Arc::clone(&shared);
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: hyper::Request<Incoming>| {
                let shared = Arc::clone(&shared);
                async move { Ok::<_, Infallible>(answer(&shared, role, request).await) }
            });
            let stream = Throttled::new(stream, limit);
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                _ = stopped.changed() => {}
            }
        });
    }
}

async fn answer(
    shared: &Shared,
    role: Role,
    request: hyper::Request<Incoming>,
) -> hyper::Response<ResponseBody> {
    let reply = match role {
        Role::Api => crate::router::respond(shared, request).await,
        Role::Storage => {
            shared.lock().store_requests.count(request.method());
            crate::store::respond(shared, request).await
        }
    };
    let cut_after = match reply.body {
        Body::Blob { .. } => shared.lock().faults.body_cut(),
        Body::Bytes(_) => None,
    };
    into_response(reply, cut_after).await
}

/// Builds the response, opening a blob body's stream (outside any lock); a blob body stops
/// after `cut_after` bytes when that fault is set.
pub(crate) async fn into_response(
    reply: Reply,
    cut_after: Option<u64>,
) -> hyper::Response<ResponseBody> {
    let Reply {
        status,
        headers,
        body,
    } = reply;
    let body = match body {
        Body::Bytes(bytes) => Full::new(Bytes::from(bytes))
            .map_err(|never| match never {})
            .boxed_unsync(),
        Body::Blob { blob, start, len } => match blob.read(start, len).await {
            Ok(chunks) => {
                let chunks = match cut_after {
                    Some(limit) => cut(chunks, limit),
                    None => chunks,
                };
                let frames = chunks.map(|chunk| chunk.map(Frame::data));
                UnsyncBoxBody::new(WithLength {
                    inner: StreamBody::new(frames),
                    remaining: len,
                })
            }
            Err(error) => {
                let reply: Reply = crate::http::ApiError::new(
                    500,
                    format!("cannot read the object's data: {error}"),
                )
                .into();
                return Box::pin(into_response(reply, None)).await;
            }
        },
    };
    let mut response = hyper::Response::new(body);
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in headers {
        response.headers_mut().append(name, value);
    }
    response
}

/// The first `limit` bytes of `chunks`, then a failure (which makes hyper drop the
/// connection short of the announced length).
fn cut(chunks: ChunkStream, limit: u64) -> ChunkStream {
    let stream = futures::stream::unfold(Some((chunks, limit)), |state| async move {
        let (mut chunks, left) = state?;
        if left == 0 {
            // Let what was sent reach the client first, as on a connection that breaks.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            let error = io::Error::other("lakefs-fake: body cut (fault)");
            return Some((Err(error), None));
        }
        match chunks.next().await? {
            Ok(chunk) => {
                let keep = chunk.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                Some((Ok(chunk.slice(..keep)), Some((chunks, left - keep as u64))))
            }
            Err(error) => Some((Err(error), None)),
        }
    });
    Box::pin(stream)
}

/// A streamed body whose length is known: hyper then sends `Content-Length` rather than
/// chunked encoding, as object stores and lakeFS do.
struct WithLength<B> {
    inner: B,
    remaining: u64,
}

impl<B> http_body::Body for WithLength<B>
where
    B: http_body::Body<Data = Bytes, Error = io::Error> + Unpin,
{
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_frame(cx);
        if let std::task::Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            self.remaining = self.remaining.saturating_sub(data.len() as u64);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.remaining)
    }
}
