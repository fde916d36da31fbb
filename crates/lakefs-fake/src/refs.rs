//! Ref resolution: branch names, tags, commit ids and prefixes, with `~N`, `^N` and `@`.

use std::borrow::Cow;
use std::ops::Bound;

use super::http::ApiError;
use super::model::{Commit, Entry, Repo, Staging, Tree};

/// The shortest commit-id prefix accepted as a ref.
const MIN_COMMIT_PREFIX: usize = 6;

/// What a ref names.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub(crate) commit_id: String,
    /// Set when the ref is a plain branch name: object reads then see its staged changes.
    pub(crate) branch: Option<String>,
}

/// One `~N` or `^N` step.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// `~N`: N first-parent steps back.
    Ancestor(usize),
    /// `^N`: the N-th parent (`^0` is the commit itself).
    Parent(usize),
}

impl Repo {
    /// Resolves any ref. Branch names win over tags, tags over commit ids, as in lakeFS.
    pub(crate) fn resolve(&self, spec: &str) -> Result<Resolved, ApiError> {
        if let Some(branch) = self.branches.get(spec) {
            return Ok(Resolved {
                commit_id: branch.head.clone(),
                branch: Some(spec.to_string()),
            });
        }
        if let Some(commit_id) = self.resolve_base(spec) {
            return Ok(Resolved {
                commit_id,
                branch: None,
            });
        }
        let (base, steps) = split_modifiers(spec)?;
        // `main@` is the branch's committed state, without its staging area.
        let base = base.strip_suffix('@').unwrap_or(base);
        let mut commit_id = self.resolve_base(base).ok_or_else(|| not_found(spec))?;
        for step in steps {
            commit_id = self.walk(&commit_id, step).ok_or_else(|| not_found(spec))?;
        }
        Ok(Resolved {
            commit_id,
            branch: None,
        })
    }

    /// A branch as a resolved ref, so that reads through it see its staged changes; 404 if
    /// there is no such branch (a tag or commit of that name does not count).
    pub(crate) fn branch_ref(&self, name: &str) -> Result<Resolved, ApiError> {
        Ok(Resolved {
            commit_id: self.branch(name)?.head.clone(),
            branch: Some(name.to_string()),
        })
    }

    /// Resolves a ref to its committed commit (a branch gives its head, ignoring staging).
    pub(crate) fn resolve_commit(&self, spec: &str) -> Result<&Commit, ApiError> {
        let resolved = self.resolve(spec)?;
        self.commit(&resolved.commit_id)
    }

    /// One object as seen through a resolved ref.
    pub(crate) fn lookup_entry(&self, resolved: &Resolved, path: &str) -> Option<&Entry> {
        if let Some(staged) = self.staged(resolved, path) {
            return staged;
        }
        self.commits.get(&resolved.commit_id)?.tree.get(path)
    }

    /// The staged version of `path` (`Some(None)` for a staged delete), if the ref is a branch.
    fn staged(&self, resolved: &Resolved, path: &str) -> Option<Option<&Entry>> {
        let branch = self.branches.get(resolved.branch.as_deref()?)?;
        branch.staging.get(path).map(Option::as_ref)
    }

    /// The objects seen through a resolved ref from `start` on, in key order: the commit's
    /// tree and a branch's staging merged as they are read, so that a page of a listing costs
    /// its length (`view` copies the whole tree when the branch has staged changes).
    pub(crate) fn view_from<'a>(
        &'a self,
        resolved: &Resolved,
        start: Bound<&str>,
    ) -> Result<impl Iterator<Item = (&'a String, &'a Entry)> + 'a, ApiError> {
        static NOTHING_STAGED: Staging = Staging::new();
        let tree: &Tree = self.commit(&resolved.commit_id)?.tree.as_ref();
        let staging = resolved
            .branch
            .as_deref()
            .and_then(|name| self.branches.get(name))
            .map_or(&NOTHING_STAGED, |branch| &branch.staging);
        let mut committed = tree.range::<str, _>((start, Bound::Unbounded)).peekable();
        let mut staged = staging
            .range::<str, _>((start, Bound::Unbounded))
            .peekable();
        Ok(std::iter::from_fn(move || {
            loop {
                let order = match (committed.peek(), staged.peek()) {
                    (None, None) => return None,
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (Some((c, _)), Some((s, _))) => c.cmp(s),
                };
                if order.is_eq() {
                    // The staged change hides the committed object.
                    committed.next();
                }
                if order.is_lt() {
                    return committed.next();
                }
                match staged.next()? {
                    (path, Some(entry)) => return Some((path, entry)),
                    // A staged delete: nothing to show.
                    (_, None) => continue,
                }
            }
        }))
    }

    /// The whole tree seen through a resolved ref: the commit's, with a branch's staging
    /// applied on top.
    pub(crate) fn view(&self, resolved: &Resolved) -> Result<Cow<'_, Tree>, ApiError> {
        let tree = &self.commit(&resolved.commit_id)?.tree;
        let staging = resolved
            .branch
            .as_deref()
            .and_then(|name| self.branches.get(name))
            .map(|branch| &branch.staging)
            .filter(|staging| !staging.is_empty());
        let Some(staging) = staging else {
            return Ok(Cow::Borrowed(tree.as_ref()));
        };
        let mut merged = tree.as_ref().clone();
        for (path, change) in staging {
            match change {
                Some(entry) => merged.insert(path.clone(), entry.clone()),
                None => merged.remove(path),
            };
        }
        Ok(Cow::Owned(merged))
    }

    /// A tag, a full commit id, or a unique commit-id prefix.
    fn resolve_base(&self, name: &str) -> Option<String> {
        if let Some(branch) = self.branches.get(name) {
            return Some(branch.head.clone());
        }
        if let Some(commit_id) = self.tags.get(name) {
            return Some(commit_id.clone());
        }
        if self.commits.contains_key(name) {
            return Some(name.to_string());
        }
        self.commit_by_prefix(name)
    }

    fn commit_by_prefix(&self, prefix: &str) -> Option<String> {
        if prefix.len() < MIN_COMMIT_PREFIX || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let prefix = prefix.to_ascii_lowercase();
        let mut matches = self.commits.keys().filter(|id| id.starts_with(&prefix));
        let first = matches.next()?;
        // An ambiguous prefix names nothing.
        matches.next().is_none().then(|| first.clone())
    }

    fn walk(&self, commit_id: &str, step: Step) -> Option<String> {
        match step {
            Step::Parent(0) => Some(commit_id.to_string()),
            Step::Parent(n) => self.commits.get(commit_id)?.parents.get(n - 1).cloned(),
            Step::Ancestor(n) => {
                let mut current = commit_id.to_string();
                for _ in 0..n {
                    current = self.commits.get(&current)?.parents.first()?.clone();
                }
                Some(current)
            }
        }
    }
}

fn not_found(spec: &str) -> ApiError {
    ApiError::not_found(format!("reference {spec} not found"))
}

/// Splits `base~2^1` into `base` and its steps; a step without a number means 1.
fn split_modifiers(spec: &str) -> Result<(&str, Vec<Step>), ApiError> {
    let Some(start) = spec.find(['~', '^']) else {
        return Ok((spec, Vec::new()));
    };
    let (base, mut rest) = spec.split_at(start);
    let mut steps = Vec::new();
    while let Some(kind) = rest.chars().next() {
        let make: fn(usize) -> Step = match kind {
            '~' => Step::Ancestor,
            '^' => Step::Parent,
            _ => return Err(not_found(spec)),
        };
        // Slicing after `kind` is safe: both markers are one byte long.
        let after = &rest[1..];
        let digits_len = after
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after.len());
        let digits = &after[..digits_len];
        let count = if digits.is_empty() {
            1
        } else {
            digits.parse().map_err(|_| not_found(spec))?
        };
        steps.push(make(count));
        rest = &after[digits_len..];
    }
    Ok((base, steps))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_modifiers() {
        let (base, steps) = split_modifiers("main~2^1^").unwrap();
        assert_eq!(base, "main");
        assert!(matches!(
            steps.as_slice(),
            [Step::Ancestor(2), Step::Parent(1), Step::Parent(1)]
        ));
        assert!(split_modifiers("main~x").is_err());
        assert!(split_modifiers("main~1ü").is_err());
        assert!(split_modifiers("plain").unwrap().1.is_empty());
    }
}
