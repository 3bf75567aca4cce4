//! Step Functions API semantics over the `asl` engine, served as the AWS JSON 1.0
//! protocol (`X-Amz-Target: AWSStepFunctions.<Operation>`) so the aws CLI, boto3 and
//! `aws-sdk-sfn` work against it unchanged.
//!
//! * [`SfnService::new`] builds the service from an [`SfnConfig`]; with a `state_dir` it
//!   journals machines and histories and resumes running executions after a restart.
//! * [`SfnService::handle`] runs one operation on a JSON body; [`SfnService::router`] serves
//!   them over HTTP.
//! * [`SfnService::subscribe_status`] / [`SfnService::subscribe_transitions`] feed an
//!   embedder (EventBridge-style status changes, per-state transition lines).
//! * Testing aids, as AWS tooling knows them: Step Functions Local's mock configuration
//!   ([`MockSource`], `SfnConfig::mock_config`; start `<stateMachineArn>#<test case>`) and
//!   TestState (`ops/test_state.rs`), both through the engine's task port.

mod activities;
mod arn;
mod error;
mod history;
mod http;
mod journal;
pub mod mock_config;
mod model;
mod notify;
mod ops;
mod paging;
mod req;
mod resources;
mod service;
pub mod standalone;

pub use error::SfnError;
pub use http::TARGET_PREFIX;
pub use mock_config::{MockConfigError, MockSource};
pub use model::MachineType;
pub use notify::{ExecutionStatusChange, IncludedDetails, Transition};
pub use ops::MachineSpec;
pub use resources::Unconfigured;
pub use service::{SfnConfig, SfnService};

use serde_json::{json, Value};
use std::sync::Arc;

impl SfnService {
    /// The JSON 1.0 router for this service.
    pub fn router(self: Arc<Self>) -> axum::Router {
        aws_json::router(self)
    }

    /// Creates a machine (idempotent for identical content); returns its ARN.
    pub fn create_state_machine(&self, spec: MachineSpec) -> Result<String, SfnError> {
        ops::put_machine(&self.core, spec, false).map(|m| m.data.arn.clone())
    }

    /// Creates a machine or replaces its definition/role/type; returns its ARN.
    pub fn upsert_state_machine(&self, spec: MachineSpec) -> Result<String, SfnError> {
        ops::put_machine(&self.core, spec, true).map(|m| m.data.arn.clone())
    }

    /// Creates an activity (idempotent: an existing one is kept); returns its ARN.
    pub fn create_activity(&self, name: &str) -> Result<String, SfnError> {
        ops::put_activity(&self.core, name).map(|a| a.arn)
    }

    /// StartExecution; returns the execution ARN.
    pub async fn start_execution(
        &self,
        state_machine_arn: &str,
        name: Option<&str>,
        input: &Value,
    ) -> Result<String, SfnError> {
        let mut body = json!({"stateMachineArn": state_machine_arn, "input": input.to_string()});
        if let Some(n) = name {
            body["name"] = json!(n);
        }
        let out = self.handle("StartExecution", body).await?;
        Ok(out["executionArn"].as_str().unwrap_or_default().to_string())
    }

    pub fn send_task_success(&self, token: &str, output: Value) -> Result<(), SfnError> {
        Ok(self.core.engine.send_task_success(token, output)?)
    }

    pub fn send_task_failure(
        &self,
        token: &str,
        error: Option<String>,
        cause: Option<String>,
    ) -> Result<(), SfnError> {
        Ok(self.core.engine.send_task_failure(token, error, cause)?)
    }

    /// Ends the Wait a running execution is in now, as if its time had come: a testing aid of
    /// the local runtime (AWS has no such call). Refused when the execution is in no Wait.
    pub fn skip_wait(&self, execution_arn: &str) -> Result<(), SfnError> {
        let exec = ops::execution(&self.core, execution_arn)?;
        if exec.handle().is_some_and(|h| h.skip_wait()) {
            return Ok(());
        }
        if exec.unpark() {
            service::resume_past_wait(&self.core, exec);
            return Ok(());
        }
        Err(SfnError::Validation(format!(
            "Execution '{execution_arn}' is not in a Wait state"
        )))
    }

    pub fn send_task_heartbeat(&self, token: &str) -> Result<(), SfnError> {
        Ok(self.core.engine.send_task_heartbeat(token)?)
    }
}
