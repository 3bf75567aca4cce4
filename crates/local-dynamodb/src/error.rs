//! DynamoDB errors as the service reports them: an `__type` the SDKs match on and a message.

use axum::http::StatusCode;
use serde_json::{json, Map, Value};

/// Errors of the DynamoDB API; every variant becomes an HTTP 400 with AWS's `__type`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DynamoError {
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    ResourceInUse(String),
    /// Carries the old item when `ReturnValuesOnConditionCheckFailure` asks for it.
    #[error("The conditional request failed")]
    ConditionalCheckFailed(Option<Map<String, Value>>),
    #[error("{0}")]
    Serialization(String),
    #[error("An unknown operation was requested.")]
    UnknownOperation,
    #[error("{0}")]
    MissingAuthenticationToken(String),
    /// State could not be written; the mutation was not applied.
    #[error("{0}")]
    Internal(String),
    /// The request body is over the size DynamoDB takes (HTTP 413).
    #[error("{0}")]
    RequestTooLarge(String),
}

impl DynamoError {
    pub fn validation(msg: impl Into<String>) -> Self {
        DynamoError::Validation(msg.into())
    }

    pub fn not_found() -> Self {
        DynamoError::ResourceNotFound("Cannot do operations on a non-existent table".into())
    }

    /// The wire `__type`, exactly as DynamoDB sends it.
    pub fn type_name(&self) -> &'static str {
        match self {
            DynamoError::Validation(_) => "com.amazon.coral.validate#ValidationException",
            DynamoError::ResourceNotFound(_) => {
                "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
            }
            DynamoError::ResourceInUse(_) => {
                "com.amazonaws.dynamodb.v20120810#ResourceInUseException"
            }
            DynamoError::ConditionalCheckFailed(_) => {
                "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"
            }
            DynamoError::Serialization(_) => {
                "com.amazonaws.dynamodb.v20120810#SerializationException"
            }
            DynamoError::UnknownOperation => {
                "com.amazonaws.dynamodb.v20120810#UnknownOperationException"
            }
            DynamoError::MissingAuthenticationToken(_) => {
                "com.amazonaws.dynamodb.v20120810#MissingAuthenticationToken"
            }
            DynamoError::Internal(_) => "com.amazonaws.dynamodb.v20120810#InternalServerError",
            DynamoError::RequestTooLarge(_) => {
                "com.amazonaws.dynamodb.v20120810#RequestEntityTooLarge"
            }
        }
    }

    pub fn message(&self) -> String {
        self.to_string()
    }

    pub fn http_status(&self) -> u16 {
        match self {
            DynamoError::Internal(_) => 500,
            DynamoError::RequestTooLarge(_) => 413,
            _ => 400,
        }
    }
}

impl aws_json::AwsError for DynamoError {
    fn type_name(&self) -> &str {
        DynamoError::type_name(self)
    }

    fn message(&self) -> String {
        DynamoError::message(self)
    }

    fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
    }

    /// Both `message` (AWS) and `Message` (DynamoDB Local) are sent: SDKs read either.
    fn body(&self) -> Value {
        let mut body = json!({
            "__type": self.type_name(),
            "message": self.message(),
            "Message": self.message(),
        });
        if let (DynamoError::ConditionalCheckFailed(Some(item)), Some(obj)) =
            (self, body.as_object_mut())
        {
            obj.insert("Item".into(), Value::Object(item.clone()));
        }
        body
    }
}
