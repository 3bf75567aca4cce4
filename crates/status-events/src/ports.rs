//! What the handler needs from the outside world, so the status logic is tested with fakes.

use async_trait::async_trait;

use crate::event::ExecStatus;

/// The fields of a job record that decide whether an event is newer than what is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobSnapshot {
    pub execution_status: Option<String>,
    pub execution_status_at: Option<i64>,
    pub execution_arn: Option<String>,
    pub process_status: Option<String>,
    pub cancel_requested: bool,
    pub notified: bool,
}

/// One write to the job record. Attributes not named here are left alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusUpdate {
    pub execution_status: ExecStatus,
    pub execution_status_at: i64,
    pub execution_arn: String,
    pub state_machine_arn: String,
    /// RFC 3339 with milliseconds, UTC.
    pub started_at: String,
    pub stopped_at: Option<String>,
    /// Written only where the record has none: the state machine's own value is more specific.
    pub error: Option<String>,
    pub cause: Option<String>,
    /// `Some` only when the record's ProcessStatus is absent or not final.
    pub process_status: Option<&'static str>,
    /// Written only where the record has none (records created by this handler).
    pub pattern: Option<&'static str>,
    pub last_updated: String,
    /// A final execution can no longer accept its task token; keeping it would only keep a secret.
    pub remove_task_token: bool,
    /// The table's TTL attribute `ExpiresAt` (epoch seconds), set once the execution is final.
    pub expires_at: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

#[async_trait]
pub trait StatusStore: Send + Sync {
    /// Strongly consistent read of the fields in [`JobSnapshot`]; `None` when there is no record.
    async fn get(&self, id: &str) -> Result<Option<JobSnapshot>, StoreError>;

    /// Writes `update` only if the record still matches `expected` on ExecutionStatus,
    /// ExecutionStatusAt and ProcessStatus (`None`: only if the record does not exist).
    /// Returns `false` when that condition failed.
    async fn apply(
        &self,
        id: &str,
        expected: Option<&JobSnapshot>,
        update: &StatusUpdate,
    ) -> Result<bool, StoreError>;

    /// Records that the notification went out; `false` if it already had been recorded.
    async fn mark_notified(&self, id: &str, at: &str) -> Result<bool, StoreError>;
}

#[async_trait]
pub trait Notifier: Send + Sync {
    async fn publish(&self, subject: &str, message: &str) -> Result<(), StoreError>;
}
