//! lakeFS's naming rules for repositories, branches, tags and storage namespaces.

/// `^[a-z0-9][a-z0-9-]{2,62}$`
pub(crate) fn is_valid_repository(name: &str) -> bool {
    let lower_or_digit = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = name.as_bytes();
    (3..=63).contains(&bytes.len())
        && lower_or_digit(bytes[0])
        && bytes[1..].iter().all(|&b| lower_or_digit(b) || b == b'-')
}

/// `^\w[-\w]*$` with Go's ASCII-only `\w`: so `feat/x` is refused.
pub(crate) fn is_valid_branch(name: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    match name.as_bytes().split_first() {
        Some((&first, rest)) => word(first) && rest.iter().all(|&b| word(b) || b == b'-'),
        None => false,
    }
}

/// Git-like tag rules: no `/`, `..`, `@{`, `^ : ? * [ \`, whitespace or control characters;
/// no trailing `.` or `.lock`; not a bare `@`.
pub(crate) fn is_valid_tag(name: &str) -> bool {
    const FORBIDDEN: [char; 7] = ['/', '^', ':', '?', '*', '[', '\\'];
    !name.is_empty()
        && name != "@"
        && !name.contains("..")
        && !name.contains("@{")
        && !name.ends_with('.')
        && !name.ends_with(".lock")
        && !name
            .chars()
            .any(|c| FORBIDDEN.contains(&c) || c.is_whitespace() || c.is_control())
}

/// `^(s3|gs|https?|mem|local|transient)://.*$`
pub(crate) fn is_valid_storage_namespace(namespace: &str) -> bool {
    ["s3", "gs", "http", "https", "mem", "local", "transient"]
        .iter()
        .any(|scheme| {
            namespace
                .strip_prefix(scheme)
                .is_some_and(|rest| rest.starts_with("://"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names() {
        assert!(is_valid_repository("my-repo1"));
        assert!(is_valid_repository("abc"));
        assert!(!is_valid_repository("ab"));
        assert!(!is_valid_repository("-abc"));
        assert!(!is_valid_repository("My-repo"));
        assert!(!is_valid_repository(&"a".repeat(64)));
    }

    #[test]
    fn branch_names() {
        assert!(is_valid_branch("main"));
        assert!(is_valid_branch("_x-1"));
        assert!(!is_valid_branch("-x"));
        assert!(!is_valid_branch("feat/x"));
        assert!(!is_valid_branch(""));
        assert!(!is_valid_branch("ü"));
    }

    #[test]
    fn tag_names() {
        assert!(is_valid_tag("v1.0"));
        assert!(is_valid_tag("release-2024"));
        for bad in [
            "", "@", "a/b", "a..b", "a@{b", "a^", "a:b", "v1.", "x.lock", "a b",
        ] {
            assert!(!is_valid_tag(bad), "{bad} should be refused");
        }
    }

    #[test]
    fn storage_namespaces() {
        assert!(is_valid_storage_namespace("mem://x"));
        assert!(is_valid_storage_namespace("s3://bucket/path/"));
        assert!(!is_valid_storage_namespace("ftp://x"));
        assert!(!is_valid_storage_namespace("mem:/x"));
    }
}
