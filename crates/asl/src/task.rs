//! The boundary to whatever actually performs Task states.

use serde_json::Value;

/// How the Task waits for its resource, taken from the suffix of `Resource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntegrationPattern {
    /// Call and take the answer (no suffix).
    RequestResponse,
    /// `.sync` / `.sync:2`: the embedder's `invoke` returns when the job is done.
    Sync,
    /// `.waitForTaskToken`: the answer comes later via `send_task_success/failure`.
    WaitForTaskToken,
}

impl IntegrationPattern {
    pub(crate) fn of(resource: &str) -> (IntegrationPattern, &str) {
        if let Some(base) = resource.strip_suffix(".waitForTaskToken") {
            (IntegrationPattern::WaitForTaskToken, base)
        } else if let Some(base) = resource.strip_suffix(".sync:2") {
            (IntegrationPattern::Sync, base)
        } else if let Some(base) = resource.strip_suffix(".sync") {
            (IntegrationPattern::Sync, base)
        } else {
            (IntegrationPattern::RequestResponse, resource)
        }
    }
}

/// One invocation of a Task state's resource.
#[derive(Debug, Clone)]
pub struct TaskCall {
    /// `Resource` exactly as written in the definition, suffix included.
    pub resource: String,
    /// `resource` without the integration suffix (e.g. `arn:aws:states:::lambda:invoke`).
    pub base_resource: String,
    pub pattern: IntegrationPattern,
    /// Effective parameters: the state input after InputPath and Parameters.
    pub parameters: Value,
    /// Present only for `.waitForTaskToken`; already registered when `invoke` is called.
    pub task_token: Option<String>,
    pub execution_arn: String,
    pub state_name: String,
    pub timeout_seconds: Option<u64>,
    pub heartbeat_seconds: Option<u64>,
    /// Evaluated `Credentials` field, if the state has one.
    pub credentials: Option<Value>,
    /// 0 for the first attempt, then 1, 2, ... for retries.
    pub retry_count: u32,
}

/// Whether a Task resource is an activity (`arn:<partition>:states:<region>:<account>:activity:<name>`):
/// its task goes to the workers that poll it (GetActivityTask), not to a service.
pub fn is_activity(resource: &str) -> bool {
    let parts: Vec<&str> = resource.split(':').collect();
    parts.len() == 7 && parts[0] == "arn" && parts[2] == "states" && parts[5] == "activity"
}

/// A task failure, as `{"Error", "Cause"}` would carry it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}: {cause}")]
pub struct TaskError {
    pub error: String,
    pub cause: String,
}

impl TaskError {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        TaskError {
            error: error.into(),
            cause: cause.into(),
        }
    }
}

/// Performs Task states. The engine knows nothing of Lambda, DynamoDB or any service:
/// an unknown resource is simply the embedder's `TaskError`.
#[async_trait::async_trait]
pub trait TaskResources: Send + Sync {
    async fn invoke(&self, call: TaskCall) -> Result<Value, TaskError>;
}
