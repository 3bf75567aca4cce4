//! The one interface through which Lambda (via `main.rs`) and the local runtime
//! invoke a handler, plus adapters from typed handlers to it.

use async_trait::async_trait;
use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use lambda_runtime::{Context, Diagnostic};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

#[async_trait]
pub trait JsonHandler: Send + Sync {
    /// The Lambda event as AWS would send it, the result as the runtime would serialize it.
    async fn invoke_json(&self, payload: Value, ctx: Context) -> Result<Value, Diagnostic>;
}

/// A handler behind API Gateway (REST, proxy integration). Client mistakes are
/// answered as HTTP responses, so there is no error path.
#[async_trait]
pub trait ApiHandler: Send + Sync {
    async fn handle(&self, request: ApiGatewayProxyRequest) -> ApiGatewayProxyResponse;
}

/// A Step Functions task handler: typed input, typed output, a named error.
#[async_trait]
pub trait TaskHandler: Send + Sync {
    type Input: DeserializeOwned + Send;
    type Output: Serialize;
    type Error: Into<Diagnostic> + std::fmt::Display + Send;

    async fn handle(&self, input: Self::Input) -> Result<Self::Output, Self::Error>;
}

/// Adapts an [`ApiHandler`] to [`JsonHandler`].
pub struct Api<H>(pub H);

/// Adapts a [`TaskHandler`] to [`JsonHandler`].
pub struct Task<H>(pub H);

fn serialize<T: Serialize>(value: &T) -> Result<Value, Diagnostic> {
    serde_json::to_value(value).map_err(|e| Diagnostic {
        error_type: "SerializationError".into(),
        error_message: e.to_string(),
    })
}

#[async_trait]
impl<H: ApiHandler> JsonHandler for Api<H> {
    async fn invoke_json(&self, payload: Value, _ctx: Context) -> Result<Value, Diagnostic> {
        let request: ApiGatewayProxyRequest =
            serde_json::from_value(payload).map_err(|e| Diagnostic {
                error_type: "InvalidEvent".into(),
                error_message: format!("not an API Gateway proxy request: {e}"),
            })?;
        serialize(&self.0.handle(request).await)
    }
}

#[async_trait]
impl<H: TaskHandler> JsonHandler for Task<H> {
    async fn invoke_json(&self, payload: Value, _ctx: Context) -> Result<Value, Diagnostic> {
        let input: H::Input = serde_json::from_value(payload).map_err(|e| Diagnostic {
            error_type: "ValidationError".into(),
            error_message: format!("invalid task input: {e}"),
        })?;
        match self.0.handle(input).await {
            Ok(output) => serialize(&output),
            Err(e) => {
                tracing::error!(error = %e, "task failed");
                Err(e.into())
            }
        }
    }
}
