//! Merge bases and three-way merges of committed trees.

use std::collections::{HashSet, VecDeque};

use super::model::{Entry, Repo, Tree};

/// How to settle a path both sides changed differently (`Merge.strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strategy {
    /// Fail with a conflict.
    Fail,
    /// Keep the destination's version.
    DestWins,
    /// Take the source's version.
    SourceWins,
}

impl Strategy {
    /// Reads `Merge.strategy`; `None` for an unknown value.
    pub(crate) fn parse(text: Option<&str>) -> Option<Strategy> {
        match text.unwrap_or("") {
            "" => Some(Strategy::Fail),
            "dest-wins" => Some(Strategy::DestWins),
            "source-wins" => Some(Strategy::SourceWins),
            _ => None,
        }
    }

    /// The name lakeFS records under [`MERGE_STRATEGY_KEY`] in a merge commit's metadata.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Strategy::Fail => "default",
            Strategy::DestWins => "dest-wins",
            Strategy::SourceWins => "source-wins",
        }
    }
}

/// The commit metadata key lakeFS records a merge's (or an import's) strategy under.
pub(crate) const MERGE_STRATEGY_KEY: &str = ".lakefs.merge.strategy";

/// Whether two sides hold the same version of a path (both absent counts).
fn same(x: Option<&Entry>, y: Option<&Entry>) -> bool {
    match (x, y) {
        (Some(x), Some(y)) => x.same_as(y),
        (None, None) => true,
        _ => false,
    }
}

/// Every commit reachable from `start`, itself included.
fn ancestors(repo: &Repo, start: &str) -> HashSet<String> {
    let mut seen = HashSet::new();
    let mut queue = VecDeque::from([start.to_string()]);
    while let Some(id) = queue.pop_front() {
        if !seen.insert(id.clone()) {
            continue;
        }
        if let Some(commit) = repo.commits.get(&id) {
            queue.extend(commit.parents.iter().cloned());
        }
    }
    seen
}

/// The best common ancestor of two commits: the common one with the highest generation,
/// which no other common ancestor descends from.
pub(crate) fn merge_base(repo: &Repo, left: &str, right: &str) -> Option<String> {
    let from_left = ancestors(repo, left);
    ancestors(repo, right)
        .into_iter()
        .filter(|id| from_left.contains(id))
        .filter_map(|id| repo.commits.get(&id))
        .max_by(|a, b| {
            (a.generation, a.creation_date, &a.id).cmp(&(b.generation, b.creation_date, &b.id))
        })
        .map(|commit| commit.id.clone())
}

/// Merges `source` into `dest` relative to `base`. A path changed on one side only takes that
/// side's version; changed on both sides to different versions, it is a conflict unless the
/// strategy picks a side. Returns the merged tree, or the conflicting paths.
pub(crate) fn three_way(
    base: &Tree,
    source: &Tree,
    dest: &Tree,
    strategy: Strategy,
) -> Result<Tree, Vec<String>> {
    let mut merged = dest.clone();
    let mut conflicts = Vec::new();
    let paths: std::collections::BTreeSet<&String> = base
        .keys()
        .chain(source.keys())
        .chain(dest.keys())
        .collect();
    for path in paths {
        let (b, s, d) = (base.get(path), source.get(path), dest.get(path));
        let take_source = if same(s, b) || same(s, d) {
            false
        } else if same(d, b) {
            true
        } else {
            match strategy {
                Strategy::Fail => {
                    conflicts.push(path.clone());
                    false
                }
                Strategy::DestWins => false,
                Strategy::SourceWins => true,
            }
        };
        if take_source {
            match s {
                Some(entry) => merged.insert(path.clone(), entry.clone()),
                None => merged.remove(path),
            };
        }
    }
    if conflicts.is_empty() {
        Ok(merged)
    } else {
        Err(conflicts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blobs::Blob;

    fn entry(content: &str) -> Entry {
        let blob = Blob::in_memory(content.as_bytes());
        Entry {
            checksum: blob.etag(),
            size: blob.size(),
            blob,
            physical_address: String::new(),
            mtime: 0,
            content_type: "text/plain".into(),
            metadata: Default::default(),
        }
    }

    fn tree(items: &[(&str, &str)]) -> Tree {
        items
            .iter()
            .map(|(path, content)| (path.to_string(), entry(content)))
            .collect()
    }

    #[test]
    fn merges_one_sided_changes_and_finds_conflicts() {
        let base = tree(&[("a", "1"), ("b", "1"), ("c", "1")]);
        let source = tree(&[("a", "2"), ("b", "1"), ("d", "new")]);
        let dest = tree(&[("a", "1"), ("b", "3"), ("c", "1")]);
        let merged = three_way(&base, &source, &dest, Strategy::Fail).unwrap();
        let checksums: Vec<(&str, &str)> = merged
            .iter()
            .map(|(p, e)| (p.as_str(), e.checksum.as_str()))
            .collect();
        let expected = [("a", entry("2")), ("b", entry("3")), ("d", entry("new"))];
        let expected: Vec<(&str, &str)> = expected
            .iter()
            .map(|(p, e)| (*p, e.checksum.as_str()))
            .collect();
        assert_eq!(checksums, expected);

        let clash = tree(&[("a", "9"), ("b", "1"), ("c", "1")]);
        assert_eq!(
            three_way(&base, &source, &clash, Strategy::Fail).unwrap_err(),
            ["a"]
        );
        let dest_wins = three_way(&base, &source, &clash, Strategy::DestWins).unwrap();
        assert_eq!(dest_wins["a"].checksum, entry("9").checksum);
    }
}
