//! Execution control over this stack's state machines: list, describe, history, graceful cancel,
//! force stop and synchronous start (`/executions` routes). See docs/execution-control.md.

pub mod api;
pub mod config;
pub mod cursor;
pub mod http;
pub mod machines;
pub mod ports;
pub mod resolve;
pub mod router;
pub mod routes;
pub mod sfn;

use std::sync::Arc;

use app_core::dynamodb::DynamoJobStore;
use app_core::start::{JobStarter, StartConfig};
use app_core::{Clock, ConfigError, Env, JsonHandler};
use async_trait::async_trait;
use aws_lambda_events::apigw::ApiGatewayProxyRequest;
use lambda_runtime::{Context, Diagnostic};
use serde_json::Value;

pub use api::{Api, ExecutionJobs};
pub use config::Config;

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
            serde_json::from_value(payload).map_err(|e| Diagnostic {
                error_type: "InvalidEvent".into(),
                error_message: format!("not an API Gateway proxy event: {e}"),
            })?;
        let resp = router::route(&self.api, &req, lambda_deadline_ms).await;
        tracing::info!(method = %req.http_method, path = req.path.as_deref().unwrap_or(""), status = resp.status_code, "answered");
        serde_json::to_value(resp).map_err(|e| Diagnostic {
            error_type: "SerializationError".into(),
            error_message: e.to_string(),
        })
    }
}

#[async_trait]
impl JsonHandler for Handler {
    async fn invoke_json(&self, payload: Value, ctx: Context) -> Result<Value, Diagnostic> {
        // A zero deadline means "unknown" (a default Context, e.g. in-process callers).
        let deadline = i64::try_from(ctx.deadline).ok().filter(|d| *d > 0);
        Handler::invoke_json(self, payload, deadline).await
    }
}

/// The handler with AWS clients; the synchronous start waits on `clock`: the local runtime
/// passes its own so `?wait=N` follows the same (possibly manual) time as the executions.
/// Starting reads it too, as the start routes do.
pub async fn json_handler(
    sdk: &aws_config::SdkConfig,
    env: &Env,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn JsonHandler>, ConfigError> {
    let cfg = Config::from_lookup(env)?;
    let jobs = Arc::new(DynamoJobStore::new(sdk, cfg.jobs_table.clone()));
    let starter = JobStarter::new(
        StartConfig::from_lookup(env)?,
        Arc::new(app_core::sfn::SfnClient::new(sdk)),
        jobs.clone(),
        clock.clone(),
    );
    let api = Api {
        sfn: Arc::new(sfn::SfnClient::new(aws_sdk_sfn::Client::new(sdk))),
        jobs,
        starter: Arc::new(starter),
        clock,
        cfg,
    };
    Ok(Arc::new(Handler { api }))
}
