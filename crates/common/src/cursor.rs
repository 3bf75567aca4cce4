//! One codec for opaque cursors (`?next=` of the API, `nextToken` of the local Step Functions):
//! base64url (no padding) of a small JSON document, with a bound on the length accepted back.
//! Each listing chooses its document and words its own errors.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Longest cursor accepted, in bytes: every cursor issued here is far shorter, so a longer
/// one was not issued here and is refused before decoding.
pub const MAX_CURSOR_CHARS: usize = 8 * 1024;

/// Why a cursor could not be read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("longer than any cursor issued")]
    TooLong,
    #[error("not base64url")]
    NotBase64,
    #[error("not the expected document")]
    Content,
}

/// The cursor text of `doc`.
pub fn encode<T: Serialize + ?Sized>(doc: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(doc).unwrap_or_default())
}

/// Reads back a document [`encode`] made. Padding is tolerated (some clients add it).
pub fn decode<T: DeserializeOwned>(text: &str) -> Result<T, CodecError> {
    if text.len() > MAX_CURSOR_CHARS {
        return Err(CodecError::TooLong);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| CodecError::NotBase64)?;
    serde_json::from_slice(&bytes).map_err(|_| CodecError::Content)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn round_trip_and_refusals() {
        let doc = json!({"a": [1, "x"], "b": null});
        let text = encode(&doc);
        assert!(!text.contains('='));
        assert_eq!(decode::<Value>(&text), Ok(doc.clone()));
        assert_eq!(decode::<Value>(&format!("{text}==")), Ok(doc));
        assert_eq!(decode::<Value>("!!!"), Err(CodecError::NotBase64));
        assert_eq!(
            decode::<Value>(&URL_SAFE_NO_PAD.encode("hello")),
            Err(CodecError::Content)
        );
        assert_eq!(
            decode::<u32>(&encode(&json!({"a": 1}))),
            Err(CodecError::Content)
        );
        assert_eq!(
            decode::<Value>(&"A".repeat(MAX_CURSOR_CHARS + 1)),
            Err(CodecError::TooLong)
        );
    }
}
