//! The `next` cursors of the listing and history routes: app-core's cursor codec, with this
//! API's `InvalidCursor` answers. Anything that does not decode to the expected document is a
//! 400 `InvalidCursor`.

use serde::de::DeserializeOwned;
use serde::Serialize;

use common::cursor::CodecError;

use crate::http::ApiError;

pub fn invalid_cursor(why: &str) -> ApiError {
    ApiError::new(
        400,
        "InvalidCursor",
        format!("query parameter `next` is not a valid cursor: {why}"),
    )
}

pub fn encode<T: Serialize>(v: &T) -> String {
    common::cursor::encode(v)
}

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
    common::cursor::decode(s).map_err(|e| {
        invalid_cursor(match e {
            CodecError::TooLong => "too long",
            CodecError::NotBase64 => "not base64url",
            CodecError::Content => "unexpected content",
        })
    })
}
