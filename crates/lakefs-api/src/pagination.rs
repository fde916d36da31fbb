//! Turns any paginated list operation into a `futures::Stream` of pages or of items.
//!
//! Every list method has `*_pages` and `*_stream` forms in the group's `*ApiExt` trait; the
//! functions here are the one adapter behind all of them.

use crate::error::{Error, Result};
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use lakefs_models::{Paginated, Pagination};
use std::collections::HashSet;
use std::future::Future;

enum State<F> {
    Next {
        fetch: F,
        after: Option<String>,
        /// Every cursor already followed: a cycle (A, B, A) is caught, not only a repeat.
        seen: HashSet<String>,
    },
    Failed(Error),
    Done,
}

/// A stream of pages of the list operation `operation`: `fetch(after)` is called for each
/// page, starting with `first_after`, until a page says `has_more: false`.
///
/// Nothing is sent until the stream is polled. An error is yielded once and ends the stream.
/// A page with `has_more` but an empty `next_offset`, or one already followed, ends the
/// stream with an error instead of looping forever.
pub fn pages<P, F, Fut>(
    operation: &'static str,
    first_after: Option<String>,
    fetch: F,
) -> BoxStream<'static, Result<P>>
where
    P: Paginated + Send + 'static,
    F: FnMut(Option<String>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<P>> + Send + 'static,
{
    let start = State::Next {
        fetch,
        after: first_after,
        seen: HashSet::new(),
    };
    stream::unfold(start, move |state| async move {
        match state {
            State::Done => None,
            State::Failed(e) => Some((Err(e), State::Done)),
            State::Next {
                mut fetch,
                after,
                mut seen,
            } => match fetch(after.clone()).await {
                Err(e) => Some((Err(e), State::Done)),
                Ok(page) => {
                    let next = match next_cursor(operation, page.pagination(), after, &mut seen) {
                        Ok(None) => State::Done,
                        Ok(Some(cursor)) => State::Next {
                            fetch,
                            after: Some(cursor),
                            seen,
                        },
                        Err(e) => State::Failed(e),
                    };
                    Some((Ok(page), next))
                }
            },
        }
    })
    .boxed()
}

/// What follows a page of `operation` fetched with cursor `after`: `Ok(None)` at the end,
/// `Ok(Some(cursor))` for the next page, or an error when `has_more` comes with an empty
/// cursor or one already followed (`seen` keeps them). Shared by every paginator (the async
/// streams here and the blocking iterators).
pub fn next_cursor(
    operation: &'static str,
    pagination: &Pagination,
    after: Option<String>,
    seen: &mut HashSet<String>,
) -> Result<Option<String>> {
    if let Some(after) = after {
        seen.insert(after);
    }
    let broken = |message: String| Error::Decode {
        operation,
        status: 200,
        message,
        request_id: None,
    };
    let cursor = &pagination.next_offset;
    if !pagination.has_more {
        Ok(None)
    } else if cursor.is_empty() {
        Err(broken(
            "the server said has_more but gave no next_offset".into(),
        ))
    } else if seen.contains(cursor) {
        Err(broken(format!(
            "the server sent the cursor {cursor:?} again; stopping instead of looping"
        )))
    } else {
        Ok(Some(cursor.clone()))
    }
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
