//! Deterministic content hashes for ETags, commit ids and meta-range ids.
//!
//! No hashing crate is a dependency, so digests are built from std's SipHash (`DefaultHasher`
//! with its fixed keys is deterministic) run once per 16 hex digits with different seeds. They
//! only need to be stable and collision-unlikely, not cryptographic.

use std::hash::{DefaultHasher, Hasher};

/// A digest of `data` as `16 * words` lowercase hex characters.
pub(crate) fn hex_digest(data: &[u8], words: u64) -> String {
    (0..words)
        .map(|seed| {
            let mut hasher = DefaultHasher::new();
            hasher.write_u64(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x6c61_6b65_4653);
            hasher.write(data);
            format!("{:016x}", hasher.finish())
        })
        .collect()
}

/// The 32-hex-digit ETag of an object's content (lakeFS's ETags are MD5-sized).
pub(crate) fn etag(data: &[u8]) -> String {
    hex_digest(data, 2)
}

/// A 64-hex-digit identifier (commit ids and meta-range ids are SHA-256-sized).
pub(crate) fn id64(data: &[u8]) -> String {
    hex_digest(data, 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_stable_and_sized() {
        assert_eq!(etag(b"hello"), etag(b"hello"));
        assert_ne!(etag(b"hello"), etag(b"hellp"));
        assert_eq!(etag(b"").len(), 32);
        assert_eq!(id64(b"x").len(), 64);
    }
}
