//! Task resources of the standalone binary: none is configured.

use asl::{TaskCall, TaskError, TaskResources};
use serde_json::Value;

/// Fails every Task with `States.TaskFailed`, naming the resource. Lambda integrations
/// too: only the full local runtime (`crates/local`) wires those to functions.
#[derive(Debug, Default, Clone, Copy)]
pub struct Unconfigured;

#[async_trait::async_trait]
impl TaskResources for Unconfigured {
    async fn invoke(&self, call: TaskCall) -> Result<Value, TaskError> {
        let hint = if call
            .base_resource
            .starts_with("arn:aws:states:::lambda:invoke")
            || call.base_resource.starts_with("arn:aws:lambda:")
        {
            " (Lambda functions are served by the full local runtime: cargo run -p local)"
        } else {
            ""
        };
        Err(TaskError::new(
            "States.TaskFailed",
            format!(
                "No resource is configured for '{}' in state '{}' of this standalone sfn-local{hint}",
                call.resource, call.state_name
            ),
        ))
    }
}
