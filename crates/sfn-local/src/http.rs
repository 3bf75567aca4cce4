//! AWS JSON 1.0 over HTTP: `POST /` with `X-Amz-Target: AWSStepFunctions.<Operation>`; the
//! protocol itself is [`aws_json`], this is how Step Functions speaks it.

use crate::error::SfnError;
use crate::service::SfnService;
use aws_json::{Dialect, Refusal, Reply};
use serde_json::Value;

/// Prefix of `X-Amz-Target` for this service.
pub const TARGET_PREFIX: &str = "AWSStepFunctions.";

/// Largest request read; a definition is at most 1 MB and an input 256 KiB.
const MAX_REQUEST_BYTES: usize = 8 * 1024 * 1024;

impl aws_json::Service for SfnService {
    type Error = SfnError;

    const DIALECT: Dialect = Dialect {
        name: "stepfunctions",
        target_prefix: TARGET_PREFIX,
        max_request_bytes: MAX_REQUEST_BYTES,
        blank_body_is_empty_input: true,
        reply: Reply {
            request_id: Some(request_id),
            error_type_header: true,
        },
    };

    fn refusal(why: Refusal<'_>) -> SfnError {
        match why {
            Refusal::Method(method) => SfnError::UnknownOperation(format!(
                "{method} is not supported: send POST / with an X-Amz-Target header"
            )),
            // Over the limit, the refusal still has the service's shape, not a bare 413.
            Refusal::TooLarge(limit) => {
                SfnError::RequestEntityTooLarge(format!("Request size exceeded {limit} bytes"))
            }
            Refusal::Target(target) => SfnError::UnknownOperation(format!(
                "Unknown operation: X-Amz-Target '{target}' is not AWSStepFunctions.<Operation>"
            )),
            Refusal::Malformed(e) => {
                SfnError::Serialization(format!("The request body is not valid JSON: {e}"))
            }
        }
    }

    async fn call(&self, operation: &str, input: Value) -> Result<Value, SfnError> {
        self.handle(operation, input).await
    }
}

/// Each reply's `x-amzn-RequestId`: a random UUID, as AWS sends.
fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
