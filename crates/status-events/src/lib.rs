//! Keeps every job record's execution status (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED,
//! CANCELLED) from EventBridge "Step Functions Execution Status Change" events, idempotently and
//! whatever the delivery order, and optionally tells an SNS topic about executions that went wrong.
//! See docs/execution-control.md for the rules.

pub mod config;
pub mod decide;
pub mod error;
pub mod event;
pub mod handler;
pub mod notify;
pub mod ports;
pub mod sns;

use std::sync::Arc;

use app_core::{Clock, ConfigError, Env, JsonHandler};
use async_trait::async_trait;
use lambda_runtime::{Context, Diagnostic};
use serde_json::Value;

pub use config::Config;
pub use error::StatusEventError;
pub use event::{status_change_event, StatusChange, StatusChangeFields};
pub use handler::{Outcome, StatusTracker};

/// The Lambda function: parse, track, answer with what happened (useful in logs and locally).
pub struct Handler {
    pub tracker: StatusTracker,
}

impl Handler {
    pub async fn invoke_json(&self, payload: Value) -> Result<Value, Diagnostic> {
        let ev = StatusChange::from_json(payload).inspect_err(|e| tracing::error!(error = %e))?;
        let out = self
            .tracker
            .handle(&ev)
            .await
            .inspect_err(|e| tracing::error!(execution = %ev.name, error = %e))?;
        serde_json::to_value(out).map_err(|e| Diagnostic {
            error_type: "SerializationError".into(),
            error_message: e.to_string(),
        })
    }
}

#[async_trait]
impl JsonHandler for Handler {
    async fn invoke_json(&self, payload: Value, _ctx: Context) -> Result<Value, Diagnostic> {
        Handler::invoke_json(self, payload).await
    }
}

/// The handler with AWS clients on `clock` (the local runtime passes its one clock).
pub async fn json_handler(
    sdk: &aws_config::SdkConfig,
    env: &Env,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn JsonHandler>, ConfigError> {
    Ok(Arc::new(build(sdk, Config::from_lookup(env)?, clock)))
}

/// Builds the handler with real clients from a parsed configuration.
pub fn build(sdk: &aws_config::SdkConfig, cfg: Config, clock: Arc<dyn Clock>) -> Handler {
    let store = app_core::dynamodb::DynamoJobStore::new(sdk, cfg.jobs_table);
    let notifier = cfg.notify_topic_arn.map(|arn| {
        Arc::new(sns::SnsNotifier::new(aws_sdk_sns::Client::new(sdk), arn))
            as Arc<dyn ports::Notifier>
    });
    Handler {
        tracker: StatusTracker {
            store: Arc::new(store),
            notifier,
            machines: cfg.machines,
            clock,
            retention_days: cfg.retention_days,
        },
    }
}
