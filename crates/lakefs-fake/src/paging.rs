//! lakeFS pagination: `after` (exclusive) and `amount` in, `{pagination, results}` out.

use serde_json::{Value, json};

/// The page size when `amount` is missing or not positive.
pub(crate) const DEFAULT_AMOUNT: usize = 100;
/// The largest page lakeFS returns.
pub(crate) const MAX_AMOUNT: usize = 1000;

/// Applies lakeFS's rules to a requested page size.
pub(crate) fn clamp_amount(amount: i64) -> usize {
    if amount <= 0 {
        DEFAULT_AMOUNT
    } else {
        usize::try_from(amount).map_or(MAX_AMOUNT, |amount| amount.min(MAX_AMOUNT))
    }
}

/// One page of a listing.
#[derive(Debug)]
pub(crate) struct Page {
    /// The JSON items of this page.
    pub(crate) results: Vec<Value>,
    /// The `Pagination` object.
    pub(crate) pagination: Value,
}

impl Page {
    /// The `{pagination, results}` body every list operation answers.
    pub(crate) fn into_json(self) -> Value {
        json!({ "pagination": self.pagination, "results": self.results })
    }
}

/// Pages through `items`, already sorted by key and filtered; keys `<= after` are skipped.
/// Only the items of the page are turned into JSON, by `to_json(key, item)`.
pub(crate) fn paginate<T>(
    items: impl IntoIterator<Item = (String, T)>,
    after: &str,
    amount: usize,
    to_json: impl Fn(String, T) -> Value,
) -> Page {
    let mut remaining = items
        .into_iter()
        .filter(|(key, _)| after.is_empty() || key.as_str() > after);
    let page: Vec<(String, T)> = remaining.by_ref().take(amount).collect();
    let has_more = remaining.next().is_some();
    let next_offset = match page.last() {
        Some((key, _)) if has_more => key.clone(),
        _ => String::new(),
    };
    let results: Vec<Value> = page
        .into_iter()
        .map(|(key, item)| to_json(key, item))
        .collect();
    Page {
        pagination: pagination(has_more, &next_offset, results.len()),
        results,
    }
}

/// The `Pagination` object. `max_per_page` is always lakeFS's cap, not the requested amount,
/// as the real server sends it.
pub(crate) fn pagination(has_more: bool, next_offset: &str, results: usize) -> Value {
    json!({
        "has_more": has_more,
        "next_offset": next_offset,
        "results": results,
        "max_per_page": MAX_AMOUNT,
    })
}

/// An entry of a listing: an item, or (with a delimiter) a common prefix standing for every
/// item under it.
#[derive(Debug)]
pub(crate) enum Listed<T> {
    Item(T),
    Prefix,
}

/// Groups items (sorted by key, all starting with `prefix`) into common prefixes: an item
/// whose key has `delimiter` after `prefix` becomes the prefix up to and including it. Items
/// sharing a prefix are contiguous in key order, so one pass suffices and order is kept.
pub(crate) fn group_by_delimiter<'a, T: 'a>(
    items: impl IntoIterator<Item = (String, T)> + 'a,
    prefix: &'a str,
    delimiter: &'a str,
) -> impl Iterator<Item = (String, Listed<T>)> + 'a {
    // Lazy, so that a page takes only the items it needs: keys sharing a common prefix are
    // consecutive (sorted), so comparing with the last prefix given is enough.
    let mut last_prefix: Option<String> = None;
    items.into_iter().filter_map(move |(key, item)| {
        let common = (!delimiter.is_empty())
            .then(|| key.get(prefix.len()..))
            .flatten()
            .and_then(|rest| rest.find(delimiter))
            .map(|at| &key[..prefix.len() + at + delimiter.len()]);
        match common {
            Some(common) if last_prefix.as_deref() == Some(common) => None,
            Some(common) => {
                let common = common.to_string();
                last_prefix = Some(common.clone());
                Some((common, Listed::Prefix))
            }
            None => {
                last_prefix = None;
                Some((key, Listed::Item(item)))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(names: &[&str]) -> Vec<(String, Value)> {
        names.iter().map(|n| (n.to_string(), json!(n))).collect()
    }

    #[test]
    fn pages_with_after_and_amount() {
        let page = paginate(keys(&["a", "b", "c", "d"]), "a", 2, |_, v| v);
        assert_eq!(page.results, vec![json!("b"), json!("c")]);
        assert_eq!(page.pagination["has_more"], json!(true));
        assert_eq!(page.pagination["next_offset"], json!("c"));
        let last = paginate(keys(&["a", "b", "c", "d"]), "c", 2, |_, v| v);
        assert_eq!(last.results, vec![json!("d")]);
        assert_eq!(last.pagination["next_offset"], json!(""));
        assert_eq!(last.pagination["max_per_page"], json!(1000));
    }

    #[test]
    fn groups_common_prefixes() {
        let items = ["p/a", "p/b/1", "p/b/2", "p/c", "p/d/x"].map(|k| (k.to_string(), ()));
        let keys: Vec<String> = group_by_delimiter(items, "p/", "/")
            .map(|(key, _)| key)
            .collect();
        assert_eq!(keys, ["p/a", "p/b/", "p/c", "p/d/"]);
    }

    #[test]
    fn clamps_amount() {
        assert_eq!(clamp_amount(-1), 100);
        assert_eq!(clamp_amount(0), 100);
        assert_eq!(clamp_amount(5), 5);
        assert_eq!(clamp_amount(5000), 1000);
    }
}
