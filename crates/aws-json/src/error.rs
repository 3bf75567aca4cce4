//! What a service's error says about itself on the wire.

use axum::http::StatusCode;
use serde_json::{json, Value};

/// An error as an AWS JSON 1.0 service reports it. The `__type` is part of the interface:
/// SDKs and the aws CLI dispatch on it, so each service spells its own exactly as AWS does.
pub trait AwsError {
    /// The `__type` of the body (and of `x-amzn-ErrorType` where the service sends it).
    fn type_name(&self) -> &str;

    /// The human-readable `message`.
    fn message(&self) -> String;

    /// The HTTP status: AWS answers client mistakes with 400 and its own failures with 500.
    fn status(&self) -> StatusCode;

    /// The JSON body. `{"__type", "message"}` unless the service sends more members.
    fn body(&self) -> Value {
        json!({ "__type": self.type_name(), "message": self.message() })
    }
}
