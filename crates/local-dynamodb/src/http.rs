//! AWS JSON 1.0 over HTTP: `POST /` with `X-Amz-Target: DynamoDB_20120810.<Operation>`; the
//! protocol itself is [`aws_json`], this is how DynamoDB speaks it.

use std::sync::atomic::{AtomicU64, Ordering};

use aws_json::{Dialect, Refusal, Reply};
use serde_json::Value;

use crate::{Dynamo, DynamoError};

/// Prefix of `X-Amz-Target` for this service.
pub const TARGET_PREFIX: &str = "DynamoDB_20120810.";

/// DynamoDB accepts requests up to 16 MB (a full BatchWriteItem).
const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

static REQUEST_SEQ: AtomicU64 = AtomicU64::new(1);

impl aws_json::Service for Dynamo {
    type Error = DynamoError;

    const DIALECT: Dialect = Dialect {
        name: "dynamodb",
        target_prefix: TARGET_PREFIX,
        max_request_bytes: MAX_REQUEST_BYTES,
        blank_body_is_empty_input: false,
        reply: Reply {
            request_id: Some(request_id),
            error_type_header: false,
        },
    };

    fn refusal(why: Refusal<'_>) -> DynamoError {
        match why {
            Refusal::Method(_) | Refusal::Target(_) => DynamoError::UnknownOperation,
            Refusal::TooLarge(limit) => {
                DynamoError::RequestTooLarge(format!("Request size exceeded {limit} bytes"))
            }
            Refusal::Malformed(e) => {
                DynamoError::Serialization(format!("Malformed JSON request body: {e}"))
            }
        }
    }

    async fn call(&self, operation: &str, input: Value) -> Result<Value, DynamoError> {
        self.handle(operation, input).await
    }
}

/// Each reply's `x-amzn-RequestId`: a sequence number, in DynamoDB Local's style.
fn request_id() -> String {
    let id = REQUEST_SEQ.fetch_add(1, Ordering::Relaxed);
    format!("LOCALDDB{id:020}")
}
