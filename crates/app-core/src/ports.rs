//! The small interfaces handlers depend on; AWS adapters implement them in this crate,
//! tests implement them in memory.

use crate::cursor::{Cursor, Position};
use crate::domain::{ExecutionName, ExecutionStatus, Job, JobId, JobStatus, Pattern, TaskToken};
use crate::schema::JobIndex;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Failure of a dependency (AWS call, network); carries a readable description.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Upstream(pub String);

impl Upstream {
    /// A failed AWS call: `<service> <operation> failed: ` and the SDK's error with its causes.
    pub fn aws<E: std::error::Error>(service: &str, operation: &str, err: E) -> Self {
        Upstream(format!(
            "{service} {operation} failed: {}",
            aws_smithy_types::error::display::DisplayErrorContext(err)
        ))
    }
}

// ---- Step Functions: starting executions ----

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartRequest {
    pub state_machine_arn: String,
    pub name: ExecutionName,
    /// JSON text; kept as text so that repeats are byte-identical.
    pub input: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub execution_arn: String,
    pub start_date: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    /// An execution with this name exists with another input, or has finished.
    #[error("an execution with this name already exists")]
    AlreadyExists,
    #[error(transparent)]
    Upstream(#[from] Upstream),
}

#[async_trait]
pub trait ExecutionStarter: Send + Sync {
    async fn start_execution(&self, request: &StartRequest) -> Result<Started, StartError>;
}

/// ARN of the execution `name` of a standard state machine: Step Functions derives it
/// this way, which lets us answer a repeat without another API call.
pub fn execution_arn(state_machine_arn: &str, name: &ExecutionName) -> String {
    format!(
        "{}:{}",
        state_machine_arn.replacen(":stateMachine:", ":execution:", 1),
        name
    )
}

// ---- Step Functions: answering task tokens ----

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("the task token is not valid: {0}")]
    InvalidToken(String),
    #[error("the task no longer exists (its execution has ended): {0}")]
    TaskDoesNotExist(String),
    #[error("the task has already timed out: {0}")]
    TaskTimedOut(String),
    #[error("Step Functions refused the output: {0}")]
    InvalidOutput(String),
    #[error(transparent)]
    Upstream(#[from] Upstream),
}

#[async_trait]
pub trait TaskCallbacks: Send + Sync {
    async fn send_success(&self, token: &TaskToken, output: &str) -> Result<(), CallbackError>;
    async fn send_failure(
        &self,
        token: &TaskToken,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<(), CallbackError>;
    async fn send_heartbeat(&self, token: &TaskToken) -> Result<(), CallbackError>;
}

// ---- the jobs table: one capability per trait, each handler takes those it uses ----

#[async_trait]
pub trait JobReader: Send + Sync {
    async fn get_job(&self, id: &JobId) -> Result<Option<Job>, Upstream>;
}

/// One page of one index partition: `limit` items after `after` (from the top when `None`),
/// newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionQuery {
    pub index: JobIndex,
    /// The hash key value, one of [`JobIndex::partitions`].
    pub partition: String,
    pub limit: u32,
    pub after: Option<Position>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PartitionPage {
    pub items: Vec<Job>,
    /// Whether the partition may hold items after the last one returned.
    pub more: bool,
}

/// One page of a listing, merged over the index's partitions by [`crate::listing::list_jobs`].
#[derive(Debug, Clone, PartialEq)]
pub struct JobPage {
    pub items: Vec<Job>,
    pub next: Option<Cursor>,
}

#[async_trait]
pub trait JobLister: Send + Sync {
    /// Reads one partition of an index; the listing merges partitions.
    async fn query_partition(&self, query: &PartitionQuery) -> Result<PartitionPage, Upstream>;
}

#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Stores the token on the job and marks it `WAITING_FOR_CALLBACK`, unless the job has
    /// already ended (its `ProcessStatus` is final): a late write never replaces an end.
    /// Answers whether it was stored.
    async fn store_token(
        &self,
        id: &JobId,
        token: &TaskToken,
        at: DateTime<Utc>,
    ) -> Result<bool, Upstream>;
}

/// A job as start-execution knows it right after starting the execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub id: JobId,
    pub pattern: Pattern,
    pub start_action_at: DateTime<Utc>,
    pub execution_arn: String,
    pub at: DateTime<Utc>,
}

#[async_trait]
pub trait JobRecorder: Send + Sync {
    /// Records the job without overwriting anything a state machine already wrote.
    async fn record_job(&self, job: &NewJob) -> Result<(), Upstream>;
}

/// A graceful cancel of a running execution, as `DELETE /executions/{id}` asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelRequest {
    pub id: JobId,
    pub pattern: Pattern,
    pub execution_arn: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelWrite {
    /// The flag is set (now or by an earlier request); the time it was first requested.
    Requested { requested_at: String },
    /// The record says the job already ended, with this status (see [`Job::ended_status`]).
    AlreadyEnded { status: String },
}

#[async_trait]
pub trait CancelRequests: Send + Sync {
    /// Sets `CancelRequested` unless the record shows that the job or its execution has
    /// ended. Creates the record (Pattern, ExecutionArn, ProcessStatus `STARTED`) when
    /// missing: the caller has checked that the execution runs.
    async fn request_cancel(&self, request: &CancelRequest) -> Result<CancelWrite, Upstream>;
}

/// One status change of a job's execution, as status-events records it. Attributes not
/// named here are left alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusTransition {
    pub execution_status: ExecutionStatus,
    /// When the execution entered `execution_status`, in epoch milliseconds.
    pub execution_status_at: i64,
    pub execution_arn: String,
    pub state_machine_arn: String,
    pub started_at: DateTime<Utc>,
    pub stopped_at: Option<DateTime<Utc>>,
    /// Written only where the record has none: the state machine's own value is more specific.
    pub error: Option<String>,
    pub cause: Option<String>,
    /// `Some` only when the record's ProcessStatus is absent or not final.
    pub process_status: Option<JobStatus>,
    /// Written only where the record has none (records created by this transition).
    pub pattern: Option<Pattern>,
    pub last_updated: DateTime<Utc>,
    /// A final execution can no longer accept its task token; keeping it would only keep a secret.
    pub remove_task_token: bool,
    /// The table's TTL attribute `ExpiresAt` (epoch seconds), set once the execution is final.
    pub expires_at: Option<i64>,
}

#[async_trait]
pub trait StatusRecorder: Send + Sync {
    /// Writes `transition` only if the record still matches `expected` on ExecutionStatus,
    /// ExecutionStatusAt and ProcessStatus (`None`: only if there is no record). Returns
    /// `false` when that condition failed.
    async fn record_transition(
        &self,
        id: &JobId,
        expected: Option<&Job>,
        transition: &StatusTransition,
    ) -> Result<bool, Upstream>;

    /// Records that the notification went out; `false` if it already had been recorded
    /// (or there is no record).
    async fn mark_notified(&self, id: &JobId, at: DateTime<Utc>) -> Result<bool, Upstream>;
}

// ---- email ----

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends the email; returns the provider's message id.
    async fn send(&self, email: &Email) -> Result<String, Upstream>;
}

// ---- randomness ----

/// Source of uniform numbers in `[0, 1)`, injected so tests can seed it.
pub trait Random: Send + Sync {
    fn next_f64(&self) -> f64;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_execution_arn() {
        let name = ExecutionName::parse("n1").unwrap();
        assert_eq!(
            execution_arn(
                "arn:aws:states:us-east-1:123456789012:stateMachine:Waitable",
                &name
            ),
            "arn:aws:states:us-east-1:123456789012:execution:Waitable:n1"
        );
    }
}
