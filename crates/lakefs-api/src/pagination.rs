//! Turns any paginated list operation into a `futures::Stream` of pages or of items.
//!
//! Every list method has `*_pages` and `*_stream` forms in the group's `*ApiExt` trait; the
//! functions here are the one adapter behind all of them.

use crate::error::{Error, Result};
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use lakefs_models::Paginated;
use std::future::Future;

enum State<F> {
    Next { fetch: F, after: Option<String> },
    Failed(Error),
    Done,
}

/// A stream of pages: `fetch(after)` is called for each page, starting with `first_after`,
/// until a page says `has_more: false`.
///
/// Nothing is sent until the stream is polled. An error is yielded once and ends the stream.
/// A page with `has_more` but an empty or unchanged `next_offset` ends the stream with an
/// error instead of looping forever.
pub fn pages<P, F, Fut>(first_after: Option<String>, fetch: F) -> BoxStream<'static, Result<P>>
where
    P: Paginated + Send + 'static,
    F: FnMut(Option<String>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<P>> + Send + 'static,
{
    stream::unfold(State::Next { fetch, after: first_after }, |state| async move {
        match state {
            State::Done => None,
            State::Failed(e) => Some((Err(e), State::Done)),
            State::Next { mut fetch, after } => match fetch(after.clone()).await {
                Err(e) => Some((Err(e), State::Done)),
                Ok(page) => {
                    let pagination = page.pagination();
                    let next = if !pagination.has_more {
                        State::Done
                    } else if pagination.next_offset.is_empty() {
                        State::Failed(Error::Decode {
                            operation: "pagination",
                            status: 200,
                            message: "the server said has_more but gave no next_offset".into(),
                            request_id: None,
                        })
                    } else if Some(&pagination.next_offset) == after.as_ref() {
                        State::Failed(Error::Decode {
                            operation: "pagination",
                            status: 200,
                            message: format!(
                                "the server repeated the cursor {:?}; stopping instead of looping",
                                pagination.next_offset
                            ),
                            request_id: None,
                        })
                    } else {
                        State::Next { fetch, after: Some(pagination.next_offset.clone()) }
                    };
                    Some((Ok(page), next))
                }
            },
        }
    })
    .boxed()
}

/// Flattens a stream of pages into a stream of their items; pages are not accumulated.
pub fn items<P>(pages: BoxStream<'static, Result<P>>) -> BoxStream<'static, Result<P::Item>>
where
    P: Paginated + Send + 'static,
    P::Item: Send + 'static,
{
    pages
        .map_ok(|page| stream::iter(page.into_results().into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}
