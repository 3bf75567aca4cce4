//! What the service tells its embedder while executions run.

use crate::model::{ExecState, Execution};
use asl::HistoryEvent;
use serde::Serialize;
use std::sync::Arc;

/// The `detail` of EventBridge's "Step Functions Execution Status Change" event, sent on
/// every status change of a standard execution (RUNNING, then its terminal status).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionStatusChange {
    pub execution_arn: String,
    pub state_machine_arn: String,
    pub name: String,
    pub status: String,
    /// Epoch milliseconds.
    pub start_date: i64,
    /// Epoch milliseconds; null while running.
    pub stop_date: Option<i64>,
    pub input: String,
    pub input_details: IncludedDetails,
    pub output: Option<String>,
    pub output_details: Option<IncludedDetails>,
    pub error: Option<String>,
    pub cause: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IncludedDetails {
    pub included: bool,
}

impl ExecutionStatusChange {
    pub(crate) fn of(exec: &Execution, st: &ExecState) -> ExecutionStatusChange {
        ExecutionStatusChange {
            execution_arn: exec.arn.to_string(),
            state_machine_arn: exec.machine.data.arn.clone(),
            name: exec.name.clone(),
            status: st.status.as_str().to_string(),
            start_date: exec.start_date.timestamp_millis(),
            stop_date: st.stop_date.map(|d| d.timestamp_millis()),
            input: exec.input.clone(),
            input_details: IncludedDetails { included: true },
            output: st.output.clone(),
            output_details: st
                .output
                .as_ref()
                .map(|_| IncludedDetails { included: true }),
            error: st.error.clone(),
            cause: st.cause.clone(),
        }
    }
}

/// One history event of any execution (standard or express) that marks a transition:
/// a state entered or exited, or the execution started or ended.
#[derive(Debug, Clone)]
pub struct Transition {
    pub execution_arn: String,
    pub execution_name: String,
    pub state_machine_name: String,
    pub event: Arc<HistoryEvent>,
}

impl Transition {
    pub fn event_type(&self) -> &'static str {
        self.event.event_type.as_str()
    }

    /// The state entered or exited; None for execution-level events.
    pub fn state_name(&self) -> Option<&str> {
        self.event.state_name()
    }

    /// `execution-name  StateName  EventType`, ready to print.
    pub fn line(&self) -> String {
        format!(
            "{}  {}  {}",
            self.execution_name,
            self.state_name().unwrap_or("-"),
            self.event_type()
        )
    }

    pub(crate) fn worth_sending(ev: &HistoryEvent) -> bool {
        ev.state_name().is_some() || ev.event_type.as_str().starts_with("Execution")
    }
}
