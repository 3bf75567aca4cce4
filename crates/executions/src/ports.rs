//! What the routes need from Step Functions; the Jobs table, the start service and the
//! clock are app-core's. The port has an AWS adapter ([`crate::sfn`]) and an in-memory fake
//! in the tests.

use app_core::ExecutionStatus;
use async_trait::async_trait;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionSummary {
    pub execution_arn: String,
    pub state_machine_arn: String,
    pub name: String,
    pub status: ExecutionStatus,
    pub start_ms: i64,
    pub stop_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListPage {
    pub items: Vec<ExecutionSummary>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionDetail {
    pub execution_arn: String,
    pub state_machine_arn: String,
    pub name: String,
    pub status: ExecutionStatus,
    pub start_ms: i64,
    pub stop_ms: Option<i64>,
    pub input: Option<String>,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
}

impl ExecutionDetail {
    pub fn is_running(&self) -> bool {
        self.status.is_running()
    }
}

/// One history event: AWS event type and ids, with its details as JSON (field names as in the
/// Step Functions API, e.g. `stateEnteredEventDetails: {name, input}`).
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    pub id: i64,
    pub previous_event_id: Option<i64>,
    pub timestamp_ms: i64,
    pub event_type: String,
    pub details: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct HistoryPage {
    pub events: Vec<HistoryEvent>,
    pub next_token: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SfnError {
    /// The pagination token was refused (expired or not Step Functions'): the client's cursor is bad.
    #[error("invalid pagination token: {0}")]
    InvalidToken(String),
    #[error("{0}")]
    Upstream(String),
}

#[async_trait]
pub trait StepFunctions: Send + Sync {
    async fn list_executions(
        &self,
        state_machine_arn: &str,
        status: Option<ExecutionStatus>,
        max_results: i32,
        next_token: Option<&str>,
    ) -> Result<ListPage, SfnError>;

    /// `None` when the execution does not exist (or the ARN cannot name one).
    async fn describe_execution(
        &self,
        execution_arn: &str,
    ) -> Result<Option<ExecutionDetail>, SfnError>;

    async fn get_execution_history(
        &self,
        execution_arn: &str,
        max_results: i32,
        next_token: Option<&str>,
        reverse_order: bool,
    ) -> Result<HistoryPage, SfnError>;

    /// `Ok(false)` when the execution does not exist.
    async fn stop_execution(
        &self,
        execution_arn: &str,
        error: &str,
        cause: &str,
    ) -> Result<bool, SfnError>;
}
