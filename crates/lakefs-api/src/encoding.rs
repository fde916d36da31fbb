//! Percent-encoding of path segments, strictly and exactly once.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything except `A-Z a-z 0-9 - . _ ~` is encoded: lakeFS decodes path parameters with
/// query rules, so even `+` must be sent as `%2B`.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Encodes one path segment (a repository, branch, ref, user id, ...).
pub fn path_segment(value: &str) -> String {
    utf8_percent_encode(value, PATH_SEGMENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_characters_are_encoded() {
        assert_eq!(path_segment("a/b+c d%e^f~g"), "a%2Fb%2Bc%20d%25e%5Ef~g");
        assert_eq!(path_segment("ü"), "%C3%BC");
        assert_eq!(path_segment("main~2"), "main~2");
    }
}
