//! Turns any paginated list operation into a `futures::Stream` of pages or of items.
//!
//! Every list method has `*_pages` and `*_stream` forms in the group's `*ApiExt` trait; the
//! functions here are the one adapter behind all of them.

use crate::error::{Error, Result};
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use lakefs_models::{Paginated, Pagination};
use std::collections::HashSet;
use std::future::Future;
use std::hash::BuildHasher;

/// The longest cursor (`next_offset`) accepted: lakeFS's are object paths or ids, far shorter.
pub const MAX_CURSOR_BYTES: usize = 64 * 1024;

/// The cursors a list has followed, kept as 64-bit hashes (not the cursors), so that a cycle
/// (A, B, A) is caught with 8 bytes per page however long the list and its cursors.
#[derive(Debug, Clone, Default)]
pub struct CursorHistory {
    hasher: std::collections::hash_map::RandomState,
    seen: HashSet<u64>,
}

impl CursorHistory {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    fn hash(&self, cursor: &str) -> u64 {
        self.hasher.hash_one(cursor)
    }

    /// Notes `cursor` as followed; `false` if it was already.
    fn insert(&mut self, cursor: &str) -> bool {
        let hash = self.hash(cursor);
        self.seen.insert(hash)
    }

    fn contains(&self, cursor: &str) -> bool {
        self.seen.contains(&self.hash(cursor))
    }

    /// How many cursors have been followed.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether no cursor has been followed yet.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

enum State<F> {
    Next {
        fetch: F,
        after: Option<String>,
        seen: CursorHistory,
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
        seen: CursorHistory::new(),
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
/// cursor, one already followed (`seen` keeps them) or one longer than [`MAX_CURSOR_BYTES`].
/// Shared by every paginator (the async streams here and the blocking iterators).
pub fn next_cursor(
    operation: &'static str,
    pagination: &Pagination,
    after: Option<String>,
    seen: &mut CursorHistory,
) -> Result<Option<String>> {
    if let Some(after) = after {
        seen.insert(&after);
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
    } else if cursor.len() > MAX_CURSOR_BYTES {
        Err(broken(format!(
            "the server sent a cursor of {} bytes, more than the {MAX_CURSOR_BYTES} accepted",
            cursor.len()
        )))
    } else if seen.contains(cursor) {
        let shown: String = cursor.chars().take(80).collect();
        Err(broken(format!(
            "the server sent the cursor {shown:?} again; stopping instead of looping"
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

/// Ends a stream of pages with an error after `max_pages` pages, if the last one says more
/// follow (a list that never ends stops there instead of running forever); the page after
/// the limit is never fetched.
pub fn limit_pages<P>(
    operation: &'static str,
    pages: BoxStream<'static, Result<P>>,
    max_pages: usize,
) -> BoxStream<'static, Result<P>>
where
    P: Paginated + Send + 'static,
{
    enum Limit<P> {
        Going(BoxStream<'static, Result<P>>, usize),
        Over,
        Done,
    }
    stream::unfold(Limit::Going(pages, 0), move |state| async move {
        match state {
            Limit::Done => None,
            Limit::Over => Some((Err(too_many_pages(operation, max_pages)), Limit::Done)),
            Limit::Going(_, fetched) if fetched >= max_pages => {
                Some((Err(too_many_pages(operation, max_pages)), Limit::Done))
            }
            Limit::Going(mut pages, fetched) => match pages.next().await? {
                Err(e) => Some((Err(e), Limit::Done)),
                Ok(page) => {
                    let next = if fetched + 1 < max_pages {
                        Limit::Going(pages, fetched + 1)
                    } else if page.pagination().has_more {
                        Limit::Over
                    } else {
                        Limit::Done
                    };
                    Some((Ok(page), next))
                }
            },
        }
    })
    .boxed()
}

/// The error of a list that passed its page limit.
pub fn too_many_pages(operation: &'static str, max_pages: usize) -> Error {
    Error::Decode {
        operation,
        status: 200,
        message: format!("the list goes on past the limit of {max_pages} pages"),
        request_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(has_more: bool, next_offset: &str) -> Pagination {
        let mut p = Pagination::default();
        p.has_more = has_more;
        p.next_offset = next_offset.into();
        p
    }

    #[test]
    fn cycles_long_cursors_and_empty_cursors_end_the_list() {
        let mut seen = CursorHistory::new();
        let next = |after: Option<&str>, p: &Pagination, seen: &mut CursorHistory| {
            next_cursor("listX", p, after.map(str::to_string), seen)
        };
        assert_eq!(
            next(None, &page(true, "a"), &mut seen).unwrap(),
            Some("a".into())
        );
        assert_eq!(
            next(Some("a"), &page(true, "b"), &mut seen).unwrap(),
            Some("b".into())
        );
        let cycle = next(Some("b"), &page(true, "a"), &mut seen).unwrap_err();
        assert_eq!(cycle.kind(), crate::ErrorKind::Decode);
        assert_eq!(seen.len(), 2);
        let long = "x".repeat(MAX_CURSOR_BYTES + 1);
        let err = next(None, &page(true, &long), &mut CursorHistory::new()).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Decode, "{err}");
        let at_limit = "x".repeat(MAX_CURSOR_BYTES);
        assert!(next(None, &page(true, &at_limit), &mut CursorHistory::new()).is_ok());
        assert!(next(None, &page(true, ""), &mut CursorHistory::new()).is_err());
        assert_eq!(next(None, &page(false, "z"), &mut seen).unwrap(), None);
    }
}
