//! Named errors: the Lambda runtime reports `error_type`, so EventBridge retries and the
//! dead-letter queue show what went wrong without reading logs.

use lambda_runtime::Diagnostic;

#[derive(Debug, thiserror::Error)]
pub enum StatusEventError {
    /// The event is not a Step Functions status change we can read; retrying cannot help.
    #[error("invalid status change event: {0}")]
    InvalidEvent(String),
    /// DynamoDB or SNS failed; EventBridge retries the delivery.
    #[error("upstream call failed: {0}")]
    Upstream(String),
    /// Concurrent writers kept changing the record between our read and our conditional write.
    #[error("job record {0} kept changing; giving up this attempt so the event is retried")]
    Conflict(String),
}

impl StatusEventError {
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidEvent(_) => "InvalidEvent",
            Self::Upstream(_) => "UpstreamError",
            Self::Conflict(_) => "ConflictError",
        }
    }
}

impl From<StatusEventError> for Diagnostic {
    fn from(e: StatusEventError) -> Self {
        Diagnostic {
            error_type: e.error_type().to_string(),
            error_message: e.to_string(),
        }
    }
}
