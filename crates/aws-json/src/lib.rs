//! AWS JSON 1.0, the wire protocol of Step Functions and DynamoDB, written once for the local
//! endpoints of both.
//!
//! A request is `POST /` with the operation in `X-Amz-Target: <Prefix>.<Operation>` and its
//! input as a JSON object; a reply is JSON with content type `application/x-amz-json-1.0`, and
//! a failure is a 4xx/5xx whose body names the error in `__type`, the member SDKs dispatch on.
//!
//! * [`AwsError`]: what a service's error type says about itself (type, message, status);
//!   [`Reply::error`] turns any of them into the wire form.
//! * [`Service`] and [`router`]: a service declares its [`Dialect`] and runs operations;
//!   the router does the rest (method, body bound, target, JSON, reply headers).
//! * `client` (feature `client`): a small caller for benches and tests.

#[cfg(feature = "client")]
pub mod client;
mod error;
mod reply;
mod serve;

pub use error::AwsError;
pub use reply::Reply;
pub use serve::{router, Dialect, Refusal, Service};

use axum::http::HeaderMap;
use serde_json::Value;

/// The content type of every request and reply.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// The header naming the operation: `<Prefix>.<Operation>`.
pub const TARGET_HEADER: &str = "x-amz-target";

/// The whole `X-Amz-Target` value; empty when the header is absent or not visible ASCII.
pub fn target(headers: &HeaderMap) -> &str {
    headers
        .get(TARGET_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The operation `X-Amz-Target` names, when it is addressed to the service of `prefix`
/// (given with its dot, e.g. `AWSStepFunctions.`).
pub fn operation<'h>(headers: &'h HeaderMap, prefix: &str) -> Option<&'h str> {
    target(headers).strip_prefix(prefix)
}

/// A member of an operation's input. Absent and `null` mean the same in AWS JSON 1.0 (SDKs
/// may send `null` for a member left unset), so both are `None`.
pub fn member<'a>(input: &'a Value, name: &str) -> Option<&'a Value> {
    input.get(name).filter(|v| !v.is_null())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use serde_json::json;

    #[test]
    fn a_null_member_is_an_absent_one() {
        let input = json!({"a": 1, "b": null});
        assert_eq!(member(&input, "a"), Some(&json!(1)));
        assert_eq!(member(&input, "b"), None);
        assert_eq!(member(&input, "c"), None);
        assert_eq!(member(&json!([1]), "a"), None);
    }

    #[test]
    fn the_target_names_service_and_operation() {
        let mut h = HeaderMap::new();
        assert_eq!(target(&h), "");
        assert_eq!(operation(&h, "AWSStepFunctions."), None);
        h.insert(
            TARGET_HEADER,
            HeaderValue::from_static("AWSStepFunctions.StartExecution"),
        );
        assert_eq!(target(&h), "AWSStepFunctions.StartExecution");
        assert_eq!(operation(&h, "AWSStepFunctions."), Some("StartExecution"));
        assert_eq!(operation(&h, "DynamoDB_20120810."), None);
    }
}
