//! Turning spec names into Rust names.

/// `getLakeFSVersion` -> `get_lake_fs_version`, `blockstore_namespace_ValidityRegex` ->
/// `blockstore_namespace_validity_regex`, `RBAC` -> `rbac`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                None | Some('_') => false,
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_ascii_uppercase() => next.is_some_and(|n| n.is_ascii_lowercase()),
                _ => false,
            };
            if boundary {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out
}

/// `path_type` -> `PathType`, `listRepositories` -> `ListRepositories`, `RBAC` -> `Rbac`.
pub fn pascal_case(name: &str) -> String {
    snake_case(name)
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + cs.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "box", "break", "const", "continue", "crate", "dyn", "else", "enum",
    "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro",
    "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return", "self", "Self",
    "static", "struct", "super", "trait", "true", "try", "type", "typeof", "unsafe", "unsized",
    "use", "virtual", "where", "while", "yield",
];

/// A snake_case identifier that is never a Rust keyword (`type` -> `type_`).
pub fn field_name(json_name: &str) -> String {
    let snake = snake_case(json_name);
    if KEYWORDS.contains(&snake.as_str()) {
        format!("{snake}_")
    } else {
        snake
    }
}

/// Enum variant for a string value: `prefix_changed` -> `PrefixChanged`.
pub fn variant_name(value: &str) -> String {
    let name = pascal_case(value);
    match name.chars().next() {
        Some(c) if c.is_ascii_digit() => format!("V{name}"),
        None => "Empty".to_string(),
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_handles_acronyms_and_mixed_names() {
        assert_eq!(snake_case("getLakeFSVersion"), "get_lake_fs_version");
        assert_eq!(snake_case("getGCRules"), "get_gc_rules");
        assert_eq!(snake_case("setGroupACL"), "set_group_acl");
        assert_eq!(snake_case("CreateCommitRecord"), "create_commit_record");
        assert_eq!(snake_case("RBAC"), "rbac");
        assert_eq!(snake_case("firstName"), "first_name");
        assert_eq!(
            snake_case("blockstore_namespace_ValidityRegex"),
            "blockstore_namespace_validity_regex"
        );
        assert_eq!(snake_case("If-None-Match"), "if_none_match");
    }

    #[test]
    fn pascal_case_and_variants() {
        assert_eq!(pascal_case("path_type"), "PathType");
        assert_eq!(pascal_case("RBAC"), "Rbac");
        assert_eq!(pascal_case("healthCheck"), "HealthCheck");
        assert_eq!(variant_name("prefix_changed"), "PrefixChanged");
        assert_eq!(variant_name("two_dot"), "TwoDot");
        assert_eq!(variant_name("3x"), "V3x");
    }

    #[test]
    fn keywords_are_renamed() {
        assert_eq!(field_name("type"), "type_");
        assert_eq!(field_name("ref"), "ref_");
        assert_eq!(field_name("leftRef"), "left_ref");
    }
}
