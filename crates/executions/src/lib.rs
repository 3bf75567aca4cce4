//! Execution control over this stack's state machines: list, describe, history, graceful cancel,
//! force stop and synchronous start (`/executions` routes). See docs/execution-control.md.

pub mod api;
pub mod config;
pub mod cursor;
pub mod dynamodb;
pub mod http;
pub mod machines;
pub mod ports;
pub mod resolve;
pub mod router;
pub mod routes;
pub mod sfn;

use aws_lambda_events::apigw::ApiGatewayProxyRequest;
use lambda_runtime::Diagnostic;
use serde_json::Value;

pub use api::Api;
pub use config::{Config, ConfigError};
pub use machines::Machine;

pub struct Handler {
    pub api: Api,
}

impl Handler {
    /// `lambda_deadline_ms`: the invocation's deadline (epoch ms) when known; the synchronous
    /// start stops waiting before it.
    pub async fn invoke_json(
        &self,
        payload: Value,
        lambda_deadline_ms: Option<i64>,
    ) -> Result<Value, Diagnostic> {
        let req: ApiGatewayProxyRequest =
            serde_json::from_value(payload.clone()).map_err(|e| Diagnostic {
                error_type: "InvalidEvent".into(),
                error_message: format!("not an API Gateway proxy event: {e}"),
            })?;
        let resp = router::route(&self.api, &req, &payload, lambda_deadline_ms).await;
        tracing::info!(method = %req.http_method, path = req.path.as_deref().unwrap_or(""), status = resp.status_code, "answered");
        serde_json::to_value(resp).map_err(|e| Diagnostic {
            error_type: "SerializationError".into(),
            error_message: e.to_string(),
        })
    }
}
