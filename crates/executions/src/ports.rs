//! What the routes need from Step Functions, the job table, the start routes and time; each
//! has an AWS adapter (one file each) and an in-memory fake in the tests.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionSummary {
    pub execution_arn: String,
    pub state_machine_arn: String,
    pub name: String,
    pub status: String,
    pub start_ms: i64,
    pub stop_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListPage {
    pub items: Vec<ExecutionSummary>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExecutionDetail {
    pub execution_arn: String,
    pub state_machine_arn: String,
    pub name: String,
    pub status: String,
    pub start_ms: i64,
    pub stop_ms: Option<i64>,
    pub input: Option<String>,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
}

impl ExecutionDetail {
    pub fn is_running(&self) -> bool {
        self.status == "RUNNING"
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
        status: Option<&str>,
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

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct StoreError(pub String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelWrite {
    /// The flag is set (now or by an earlier request); the time it was first requested.
    Requested { requested_at: String },
    /// The record says the job already ended.
    AlreadyFinal { process_status: String },
}

#[async_trait]
pub trait JobStore: Send + Sync {
    /// The job record as JSON (DynamoDB types flattened), `None` when there is none.
    async fn get_job(&self, id: &str) -> Result<Option<Map<String, Value>>, StoreError>;

    /// Sets `CancelRequested` unless the record already shows a final status. Creates the record
    /// (Kind, Pattern, ExecutionArn) when missing: the caller has checked the execution runs.
    async fn request_cancel(
        &self,
        id: &str,
        pattern: &str,
        execution_arn: &str,
        now: &str,
    ) -> Result<CancelWrite, StoreError>;
}

/// The existing start routes, called in-process with an API Gateway event (JSON in, JSON out)
/// so `POST /executions/{machine}` validates and records exactly like them.
#[async_trait]
pub trait Starter: Send + Sync {
    async fn start(&self, request: Value) -> Result<Value, String>;
}

/// Time as the synchronous start sees it; tests advance it instead of sleeping.
#[async_trait]
pub trait Timer: Send + Sync {
    /// Epoch milliseconds.
    fn now_ms(&self) -> i64;
    async fn sleep(&self, d: Duration);
}

pub struct SystemTimer;

#[async_trait]
impl Timer for SystemTimer {
    fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis()
    }
    async fn sleep(&self, d: Duration) {
        tokio::time::sleep(d).await;
    }
}
