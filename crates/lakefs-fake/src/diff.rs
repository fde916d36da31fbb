//! Differences between trees, and the `DiffList` pages of `diffBranch` and `diffRefs`.

use serde_json::{Value, json};

use super::http::{ApiError, Query};
use super::model::{Entry, Staging, Tree};
use super::paging::{Listed, group_by_delimiter, paginate};

/// How a path differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Added,
    Removed,
    Changed,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Added => "added",
            Kind::Removed => "removed",
            Kind::Changed => "changed",
        }
    }
}

/// One differing path, with the entry on the right side (the left one for a removal).
#[derive(Debug)]
pub(crate) struct Change<'a> {
    pub(crate) kind: Kind,
    pub(crate) path: &'a str,
    pub(crate) entry: &'a Entry,
}

/// The changes that turn `left` into `right`, in path order.
pub(crate) fn diff_trees<'a>(left: &'a Tree, right: &'a Tree) -> Vec<Change<'a>> {
    let mut changes = Vec::new();
    for (path, entry) in right {
        match left.get(path) {
            None => changes.push(Change {
                kind: Kind::Added,
                path,
                entry,
            }),
            Some(old) if !old.same_as(entry) => changes.push(Change {
                kind: Kind::Changed,
                path,
                entry,
            }),
            Some(_) => {}
        }
    }
    for (path, entry) in left {
        if !right.contains_key(path) {
            changes.push(Change {
                kind: Kind::Removed,
                path,
                entry,
            });
        }
    }
    changes.sort_by(|a, b| a.path.cmp(b.path));
    changes
}

/// The uncommitted changes of a branch against its head tree. Staged writes identical to the
/// committed object, and deletes of paths that were never committed, are no difference.
pub(crate) fn diff_staging<'a>(head: &'a Tree, staging: &'a Staging) -> Vec<Change<'a>> {
    staging
        .iter()
        .filter_map(|(path, staged)| {
            let path = path.as_str();
            match (head.get(path), staged) {
                (None, Some(entry)) => Some(Change {
                    kind: Kind::Added,
                    path,
                    entry,
                }),
                (Some(old), Some(entry)) if !old.same_as(entry) => Some(Change {
                    kind: Kind::Changed,
                    path,
                    entry,
                }),
                (Some(old), None) => Some(Change {
                    kind: Kind::Removed,
                    path,
                    entry: old,
                }),
                _ => None,
            }
        })
        .collect()
}

/// A `DiffList` page from `prefix`, `delimiter`, `after` and `amount`. With a delimiter,
/// changes under a common prefix collapse into one `prefix_changed` entry.
pub(crate) fn diff_list(
    changes: Vec<Change<'_>>,
    query: &Query,
    include_right_stats: bool,
) -> Result<Value, ApiError> {
    let prefix = query.text("prefix");
    let amount = query.amount()?;
    let matching = changes
        .into_iter()
        .filter(|change| change.path.starts_with(prefix))
        .map(|change| (change.path.to_string(), change));
    let listed = group_by_delimiter(matching, prefix, query.text("delimiter"));
    let page = paginate(
        listed,
        query.text("after"),
        amount,
        |key, item| match item {
            Listed::Item(change) => change_json(&change, include_right_stats),
            Listed::Prefix => json!({
                "type": "prefix_changed",
                "path": key,
                "path_type": "common_prefix",
            }),
        },
    );
    Ok(page.into_json())
}

fn change_json(change: &Change<'_>, include_right_stats: bool) -> Value {
    let mut diff = json!({
        "type": change.kind.as_str(),
        "path": change.path,
        "path_type": "object",
        "size_bytes": change.entry.size(),
    });
    if include_right_stats && change.kind != Kind::Removed {
        diff["right"] = change.entry.diff_stat_json();
    }
    diff
}
