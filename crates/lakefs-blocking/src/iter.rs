//! Lazy iterators over paginated lists, driven by the blocking traits themselves, so that
//! they work on any implementation (the client, an `Arc<dyn ...>`, a mock).

use lakefs_api::models::Paginated;
use lakefs_api::pagination::{CursorHistory, next_cursor, too_many_pages};
use lakefs_api::{Error, Result};

/// The pages of a paginated list, fetched one `next` at a time (nothing is sent before).
/// Ends after the first error; a page that says `has_more` with an empty or already followed
/// cursor ends it with an error instead of looping.
pub struct Pages<'a, P> {
    operation: &'static str,
    fetch: Box<dyn FnMut(Option<String>) -> Result<P> + 'a>,
    /// The cursor of the next page; `None` once finished.
    next: Option<Option<String>>,
    seen: CursorHistory,
    failed: Option<Error>,
    fetched: usize,
    max_pages: Option<usize>,
}

impl<P> std::fmt::Debug for Pages<'_, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("operation", &self.operation)
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

impl<'a, P: Paginated> Pages<'a, P> {
    /// Pages of `operation`, from cursor `first_after` on; `fetch(after)` gets one page.
    pub fn new(
        operation: &'static str,
        first_after: Option<String>,
        fetch: impl FnMut(Option<String>) -> Result<P> + 'a,
    ) -> Self {
        Pages {
            operation,
            fetch: Box::new(fetch),
            next: Some(first_after),
            seen: CursorHistory::new(),
            failed: None,
            fetched: 0,
            max_pages: None,
        }
    }

    /// Ends the list with an error after `max_pages` pages if it goes on (a list that never
    /// ends stops there instead of running forever).
    pub fn max_pages(mut self, max_pages: usize) -> Self {
        self.max_pages = Some(max_pages);
        self
    }
}

impl<P: Paginated> Iterator for Pages<'_, P> {
    type Item = Result<P>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(error) = self.failed.take() {
            return Some(Err(error));
        }
        let after = self.next.take()?;
        if self.max_pages.is_some_and(|max| self.fetched >= max) {
            return Some(Err(too_many_pages(
                self.operation,
                self.max_pages.unwrap_or_default(),
            )));
        }
        self.fetched += 1;
        let page = match (self.fetch)(after.clone()) {
            Ok(page) => page,
            Err(error) => return Some(Err(error)),
        };
        match next_cursor(self.operation, page.pagination(), after, &mut self.seen) {
            Ok(cursor) => self.next = cursor.map(Some),
            Err(error) => self.failed = Some(error),
        }
        Some(Ok(page))
    }
}

/// The items of a paginated list, page after page; only the current page is kept.
pub struct Items<'a, P: Paginated> {
    pages: Pages<'a, P>,
    current: std::vec::IntoIter<P::Item>,
}

impl<P: Paginated> std::fmt::Debug for Items<'_, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Items")
            .field("pages", &self.pages)
            .finish_non_exhaustive()
    }
}

impl<'a, P: Paginated> Items<'a, P> {
    /// The items of these pages.
    pub fn new(pages: Pages<'a, P>) -> Self {
        Items {
            pages,
            current: Vec::new().into_iter(),
        }
    }
}

impl<P: Paginated> Iterator for Items<'_, P> {
    type Item = Result<P::Item>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.current.next() {
                return Some(Ok(item));
            }
            match self.pages.next()? {
                Ok(page) => self.current = page.into_results().into_iter(),
                Err(error) => return Some(Err(error)),
            }
        }
    }
}
