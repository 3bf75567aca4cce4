//! One short hash: the first bytes of a SHA-256, as lowercase hex.

use sha2::{Digest, Sha256};

/// The first `bytes` bytes (at most 32) of the SHA-256 of `text`, as `2 * bytes` hex digits.
///
/// It labels a secret (a task token, an API key) in logs and pages without revealing it,
/// and makes short stable ids (cursor positions). Six bytes, twelve digits, is the usual
/// length: enough to tell values apart, useless for recovering one.
pub fn short_hash(text: &str, bytes: usize) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest
        .iter()
        .take(bytes)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_bytes_of_the_sha256_as_hex() {
        // SHA-256("abc") = ba7816bf 8f01cfea ...
        assert_eq!(short_hash("abc", 6), "ba7816bf8f01");
        assert_eq!(short_hash("abc", 2), "ba78");
        assert_eq!(short_hash("abc", 64).len(), 64);
    }
}
