//! Helpers the test modules share: an observer that records history, and the identity of
//! a test execution.

use asl::{ExecutionInfo, HistoryEvent, Observer};
use chrono::{DateTime, Utc};
use std::sync::Mutex;

/// Keeps every event it is sent.
#[derive(Default)]
pub struct Recorder(Mutex<Vec<HistoryEvent>>);

impl Observer for Recorder {
    fn on_event(&self, _arn: &str, e: &HistoryEvent) {
        self.0.lock().unwrap().push(e.clone());
    }
}

impl Recorder {
    /// The events so far, in the order they were sent.
    pub fn events(&self) -> Vec<HistoryEvent> {
        self.0.lock().unwrap().clone()
    }
}

/// The start time of every test execution.
pub fn t0() -> DateTime<Utc> {
    "2024-01-01T00:00:00Z".parse().unwrap()
}

/// Execution `name` of state machine `machine` in us-east-1, started at [`t0`].
pub fn exec_info(machine: &str, name: &str, role_arn: Option<&str>) -> ExecutionInfo {
    ExecutionInfo {
        execution_arn: format!("arn:aws:states:us-east-1:123456789012:execution:{machine}:{name}"),
        name: name.into(),
        state_machine_arn: format!("arn:aws:states:us-east-1:123456789012:stateMachine:{machine}"),
        state_machine_name: machine.into(),
        start_time: t0(),
        role_arn: role_arn.map(str::to_string),
    }
}
