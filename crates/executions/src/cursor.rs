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

pub fn decode<T: DeserializeOwned>(s: &str) -> Result<T, ApiError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('=').as_bytes())
        .map_err(|_| invalid_cursor("not base64url"))?;
    serde_json::from_slice(&bytes).map_err(|_| invalid_cursor("unexpected content"))
}
