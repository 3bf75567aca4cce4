//! Opaque `next` cursors: base64url (no padding) of a small JSON document. Anything that does
//! not decode to the expected document is a 400 `InvalidCursor`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::http::ApiError;

pub fn invalid_cursor(why: &str) -> ApiError {
    ApiError::new(
        400,
        "InvalidCursor",
        format!("query parameter `next` is not a valid cursor: {why}"),
    )
}

pub fn encode<T: Serialize>(v: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap_or_default())
}

/// Longest cursor this API issues is far shorter; a longer one was not issued here.
const MAX_CURSOR_CHARS: usize = 8 * 1024;
/// Step Functions' limit on a `nextToken`.
pub const MAX_TOKEN_CHARS: usize = 1024;

/// A Step Functions token carried inside a cursor: 1 to 1,024 characters, as Step Functions
/// takes them (anything else was not issued by it).
pub fn check_token(t: &str) -> Result<(), ApiError> {
    if t.is_empty() || t.chars().count() > MAX_TOKEN_CHARS {
        return Err(invalid_cursor("unexpected content"));
    }
    Ok(())
}

pub fn decode<T: DeserializeOwned>(s: &str) -> Result<T, ApiError> {
    if s.len() > MAX_CURSOR_CHARS {
        return Err(invalid_cursor("too long"));
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('=').as_bytes())
        .map_err(|_| invalid_cursor("not base64url"))?;
    serde_json::from_slice(&bytes).map_err(|_| invalid_cursor("unexpected content"))
}
