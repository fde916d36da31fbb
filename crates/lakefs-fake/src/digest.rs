//! Deterministic ids: commit ids, meta-range ids, physical address names.
//!
//! Built from std's SipHash (`DefaultHasher` with its fixed keys is deterministic) run once per
//! 16 hex digits with different seeds: they only need to be stable and collision-unlikely.

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

/// 32 hex digits naming something that is not content (physical addresses); object ETags
/// are real MD5s ([`crate::blobs::Blob::etag`]).
pub(crate) fn short_id(data: &[u8]) -> String {
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
        assert_eq!(short_id(b"hello"), short_id(b"hello"));
        assert_ne!(short_id(b"hello"), short_id(b"hellp"));
        assert_eq!(short_id(b"").len(), 32);
        assert_eq!(id64(b"x").len(), 64);
    }
}
