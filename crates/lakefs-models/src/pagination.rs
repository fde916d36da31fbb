//! What every paginated list answer has in common.

use crate::Pagination;

/// A page of a paginated list operation: its [`Pagination`] and its results.
///
/// Implemented for every list answer (`RepositoryList`, `ObjectStatsList`, `CommitList`, ...), so
/// that one pagination adapter serves all of them.
pub trait Paginated {
    /// The type of one result.
    type Item;

    /// The page's pagination block (`has_more`, `next_offset`, ...).
    fn pagination(&self) -> &Pagination;

    /// The results of this page, in order.
    fn into_results(self) -> Vec<Self::Item>;
}
