//! The "Step Functions Execution Status Change" event as EventBridge delivers it, read leniently
//! (unknown fields ignored) but strictly on what the status logic relies on.

use app_core::{ExecutionStatus, JobId};
use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::StatusEventError;

pub const DETAIL_TYPE: &str = "Step Functions Execution Status Change";
pub const SOURCE: &str = "aws.states";

/// The part of the event detail the handler uses. Dates are epoch milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    pub execution_arn: String,
    pub state_machine_arn: String,
    /// The execution's name; the job it runs is [`StatusChange::job_id`].
    pub name: JobId,
    /// `None` for statuses this handler deliberately ignores (`PENDING_REDRIVE`).
    pub status: Option<ExecutionStatus>,
    pub raw_status: String,
    pub start_ms: i64,
    pub stop_ms: Option<i64>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub input: Option<String>,
    pub output: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Detail {
    execution_arn: String,
    state_machine_arn: String,
    name: String,
    status: String,
    start_date: i64,
    #[serde(default)]
    stop_date: Option<i64>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    cause: Option<String>,
    #[serde(default)]
    input: Option<String>,
    #[serde(default)]
    output: Option<String>,
}

/// The status an event reports, `None` for one that says nothing about how the execution
/// ended (a pending redrive). `CANCELLED` is this application's, never Step Functions': an
/// event claiming it is malformed.
fn reported_status(raw: &str) -> Result<Option<ExecutionStatus>, StatusEventError> {
    match raw.parse::<ExecutionStatus>() {
        Ok(ExecutionStatus::PendingRedrive) => Ok(None),
        Ok(ExecutionStatus::Cancelled) | Err(_) => Err(StatusEventError::InvalidEvent(format!(
            "unknown status {raw:?}"
        ))),
        Ok(status) => Ok(Some(status)),
    }
}

impl StatusChange {
    pub fn from_event(event: EventBridgeEvent<Value>) -> Result<Self, StatusEventError> {
        if event.detail_type != DETAIL_TYPE {
            return Err(StatusEventError::InvalidEvent(format!(
                "detail-type is {:?}, expected {DETAIL_TYPE:?}",
                event.detail_type
            )));
        }
        let d: Detail = serde_json::from_value(event.detail)
            .map_err(|e| StatusEventError::InvalidEvent(format!("detail: {e}")))?;
        let status = reported_status(&d.status)?;
        if d.name.is_empty() || d.execution_arn.is_empty() {
            return Err(StatusEventError::InvalidEvent(
                "detail.name and detail.executionArn must not be empty".into(),
            ));
        }
        let name = JobId::parse(&d.name)
            .map_err(|e| StatusEventError::InvalidEvent(format!("detail.name {e}")))?;
        Ok(Self {
            execution_arn: d.execution_arn,
            state_machine_arn: d.state_machine_arn,
            name,
            status,
            raw_status: d.status,
            start_ms: d.start_date,
            stop_ms: d.stop_date,
            error: d.error.filter(|s| !s.is_empty()),
            cause: d.cause.filter(|s| !s.is_empty()),
            input: d.input,
            output: d.output,
        })
    }

    pub fn from_json(payload: Value) -> Result<Self, StatusEventError> {
        let event: EventBridgeEvent<Value> = serde_json::from_value(payload)
            .map_err(|e| StatusEventError::InvalidEvent(format!("envelope: {e}")))?;
        Self::from_event(event)
    }

    /// The job this execution runs (the input's `jobId`, else the name; see
    /// [`app_core::domain::job_of_execution`]): the only record its events may update.
    pub fn job_id(&self) -> Option<JobId> {
        app_core::domain::job_of_execution(self.name.as_str(), self.input.as_deref())
    }

    /// The instant this status took effect: the stop date for a final status, else the start date.
    pub fn at_ms(&self) -> i64 {
        match self.status {
            Some(s) if s.is_final() => self.stop_ms.unwrap_or(self.start_ms),
            _ => self.start_ms,
        }
    }
}

/// Fields of a status-change event, for runtimes that emulate EventBridge (the local runtime).
#[derive(Debug, Clone, Default)]
pub struct StatusChangeFields<'a> {
    pub region: &'a str,
    pub account: &'a str,
    pub execution_arn: &'a str,
    pub state_machine_arn: &'a str,
    pub name: &'a str,
    pub status: &'a str,
    pub start_ms: i64,
    pub stop_ms: Option<i64>,
    pub input: Option<&'a str>,
    pub output: Option<&'a str>,
    pub error: Option<&'a str>,
    pub cause: Option<&'a str>,
    /// Event id; EventBridge makes one per delivery attempt, so any unique string will do.
    pub id: &'a str,
    /// Event time in epoch milliseconds.
    pub time_ms: i64,
}

/// Builds the event exactly as EventBridge delivers it to a Lambda target, so the local runtime
/// exercises the same parsing path as AWS.
pub fn status_change_event(f: &StatusChangeFields<'_>) -> Value {
    let time = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(f.time_ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    json!({
        "version": "0",
        "id": f.id,
        "detail-type": DETAIL_TYPE,
        "source": SOURCE,
        "account": f.account,
        "time": time,
        "region": f.region,
        "resources": [f.execution_arn],
        "detail": {
            "executionArn": f.execution_arn,
            "stateMachineArn": f.state_machine_arn,
            "name": f.name,
            "status": f.status,
            "startDate": f.start_ms,
            "stopDate": f.stop_ms,
            "input": f.input,
            "inputDetails": {"included": f.input.is_some()},
            "output": f.output,
            "outputDetails": f.output.map(|_| json!({"included": true})),
            "error": f.error,
            "cause": f.cause,
        }
    })
}
