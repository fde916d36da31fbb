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

/// Encodes a path parameter, refusing values that would silently address another route: an
/// empty segment, and the dot segments `.` and `..` (URL parsers resolve them, even encoded).
pub(crate) fn path_param(name: &str, value: &str) -> crate::Result<String> {
    match value {
        "" => Err(crate::Error::InvalidArgument(format!(
            "the path parameter `{name}` is empty"
        ))),
        "." | ".." => Err(crate::Error::InvalidArgument(format!(
            "the path parameter `{name}` cannot be {value:?}: URLs resolve it as a relative path"
        ))),
        _ => Ok(path_segment(value)),
    }
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

    #[test]
    fn empty_path_parameters_are_refused() {
        assert!(matches!(
            path_param("branch", ""),
            Err(crate::Error::InvalidArgument(_))
        ));
        assert!(matches!(
            path_param("repository", "."),
            Err(crate::Error::InvalidArgument(_))
        ));
        assert!(matches!(
            path_param("ref", ".."),
            Err(crate::Error::InvalidArgument(_))
        ));
        assert_eq!(path_param("ref", "...").unwrap(), "...");
        assert_eq!(path_param("branch", "a b").unwrap(), "a%20b");
    }
}
