//! Execution history events in the exact JSON shape of GetExecutionHistory.
//!
//! Payloads are held as `Arc<Value>` so recording an event never deep-copies a document;
//! they are rendered as JSON strings (as AWS does) only when serialized.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// AWS history event type names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    ExecutionStarted,
    ExecutionSucceeded,
    ExecutionFailed,
    ExecutionAborted,
    ExecutionTimedOut,
    /// RedriveExecution restarted the execution (after its Failed/Aborted/TimedOut event).
    ExecutionRedriven,
    PassStateEntered,
    PassStateExited,
    TaskStateEntered,
    TaskStateExited,
    TaskStateAborted,
    TaskScheduled,
    TaskStarted,
    TaskStartFailed,
    TaskSubmitted,
    TaskSubmitFailed,
    TaskSucceeded,
    TaskFailed,
    TaskTimedOut,
    ActivityScheduled,
    ActivityScheduleFailed,
    ActivityStarted,
    ActivitySucceeded,
    ActivityFailed,
    ActivityTimedOut,
    LambdaFunctionScheduled,
    LambdaFunctionStarted,
    LambdaFunctionSucceeded,
    LambdaFunctionFailed,
    LambdaFunctionTimedOut,
    ChoiceStateEntered,
    ChoiceStateExited,
    WaitStateEntered,
    WaitStateExited,
    WaitStateAborted,
    SucceedStateEntered,
    SucceedStateExited,
    FailStateEntered,
    ParallelStateEntered,
    ParallelStateExited,
    ParallelStateStarted,
    ParallelStateSucceeded,
    ParallelStateFailed,
    ParallelStateAborted,
    MapStateEntered,
    MapStateExited,
    MapStateStarted,
    MapStateSucceeded,
    MapStateFailed,
    MapStateAborted,
    MapIterationStarted,
    MapIterationSucceeded,
    MapIterationFailed,
    MapIterationAborted,
    /// A JSONata expression failed (before the state's failure is handled).
    EvaluationFailed,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        // The serde names are the variant names; Debug prints the same text.
        match self {
            EventType::ExecutionStarted => "ExecutionStarted",
            EventType::ExecutionSucceeded => "ExecutionSucceeded",
            EventType::ExecutionFailed => "ExecutionFailed",
            EventType::ExecutionAborted => "ExecutionAborted",
            EventType::ExecutionTimedOut => "ExecutionTimedOut",
            EventType::ExecutionRedriven => "ExecutionRedriven",
            EventType::PassStateEntered => "PassStateEntered",
            EventType::PassStateExited => "PassStateExited",
            EventType::TaskStateEntered => "TaskStateEntered",
            EventType::TaskStateExited => "TaskStateExited",
            EventType::TaskStateAborted => "TaskStateAborted",
            EventType::TaskScheduled => "TaskScheduled",
            EventType::TaskStarted => "TaskStarted",
            EventType::TaskStartFailed => "TaskStartFailed",
            EventType::TaskSubmitted => "TaskSubmitted",
            EventType::TaskSubmitFailed => "TaskSubmitFailed",
            EventType::TaskSucceeded => "TaskSucceeded",
            EventType::TaskFailed => "TaskFailed",
            EventType::TaskTimedOut => "TaskTimedOut",
            EventType::ActivityScheduled => "ActivityScheduled",
            EventType::ActivityScheduleFailed => "ActivityScheduleFailed",
            EventType::ActivityStarted => "ActivityStarted",
            EventType::ActivitySucceeded => "ActivitySucceeded",
            EventType::ActivityFailed => "ActivityFailed",
            EventType::ActivityTimedOut => "ActivityTimedOut",
            EventType::LambdaFunctionScheduled => "LambdaFunctionScheduled",
            EventType::LambdaFunctionStarted => "LambdaFunctionStarted",
            EventType::LambdaFunctionSucceeded => "LambdaFunctionSucceeded",
            EventType::LambdaFunctionFailed => "LambdaFunctionFailed",
            EventType::LambdaFunctionTimedOut => "LambdaFunctionTimedOut",
            EventType::ChoiceStateEntered => "ChoiceStateEntered",
            EventType::ChoiceStateExited => "ChoiceStateExited",
            EventType::WaitStateEntered => "WaitStateEntered",
            EventType::WaitStateExited => "WaitStateExited",
            EventType::WaitStateAborted => "WaitStateAborted",
            EventType::SucceedStateEntered => "SucceedStateEntered",
            EventType::SucceedStateExited => "SucceedStateExited",
            EventType::FailStateEntered => "FailStateEntered",
            EventType::ParallelStateEntered => "ParallelStateEntered",
            EventType::ParallelStateExited => "ParallelStateExited",
            EventType::ParallelStateStarted => "ParallelStateStarted",
            EventType::ParallelStateSucceeded => "ParallelStateSucceeded",
            EventType::ParallelStateFailed => "ParallelStateFailed",
            EventType::ParallelStateAborted => "ParallelStateAborted",
            EventType::MapStateEntered => "MapStateEntered",
            EventType::MapStateExited => "MapStateExited",
            EventType::MapStateStarted => "MapStateStarted",
            EventType::MapStateSucceeded => "MapStateSucceeded",
            EventType::MapStateFailed => "MapStateFailed",
            EventType::MapStateAborted => "MapStateAborted",
            EventType::MapIterationStarted => "MapIterationStarted",
            EventType::MapIterationSucceeded => "MapIterationSucceeded",
            EventType::MapIterationFailed => "MapIterationFailed",
            EventType::MapIterationAborted => "MapIterationAborted",
            EventType::EvaluationFailed => "EvaluationFailed",
        }
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `{"truncated": false}`: the engine never truncates payloads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayloadDetails {
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionStartedDetails {
    #[serde(with = "json_string")]
    pub input: Arc<Value>,
    #[serde(default)]
    pub input_details: PayloadDetails,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputDetails {
    #[serde(with = "json_string")]
    pub output: Arc<Value>,
    #[serde(default)]
    pub output_details: PayloadDetails,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateEnteredDetails {
    pub name: Arc<str>,
    #[serde(with = "json_string")]
    pub input: Arc<Value>,
    #[serde(default)]
    pub input_details: PayloadDetails,
}

/// `evaluationFailedEventDetails`: which JSONata field of which state failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvaluationFailedDetails {
    pub error: String,
    pub cause: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateExitedDetails {
    pub name: Arc<str>,
    #[serde(with = "json_string")]
    pub output: Arc<Value>,
    #[serde(default)]
    pub output_details: PayloadDetails,
    /// The variables the state assigned: name -> the value as JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_variables: Option<Box<std::collections::BTreeMap<String, String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_variables_details: Option<PayloadDetails>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskScheduledDetails {
    pub resource_type: String,
    pub resource: String,
    pub region: String,
    #[serde(with = "json_string")]
    pub parameters: Arc<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_in_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_in_seconds: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskStartedDetails {
    pub resource_type: String,
    pub resource: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskOutputDetails {
    pub resource_type: String,
    pub resource: String,
    #[serde(with = "json_string")]
    pub output: Arc<Value>,
    #[serde(default)]
    pub output_details: PayloadDetails,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskErrorDetails {
    pub resource_type: String,
    pub resource: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LambdaScheduledDetails {
    pub resource: String,
    #[serde(with = "json_string")]
    pub input: Arc<Value>,
    #[serde(default)]
    pub input_details: PayloadDetails,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_in_seconds: Option<u64>,
}

/// `executionRedrivenEventDetails`: how many times the execution has been redriven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedrivenDetails {
    pub redrive_count: u32,
}

/// `activityScheduledEventDetails`: the activity and the input its worker gets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityScheduledDetails {
    pub resource: String,
    #[serde(with = "json_string")]
    pub input: Arc<Value>,
    #[serde(default)]
    pub input_details: PayloadDetails,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_in_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_in_seconds: Option<u64>,
}

/// `activityStartedEventDetails`: the worker that took the task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityStartedDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapStartedDetails {
    pub length: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapIterationDetails {
    pub name: Arc<str>,
    pub index: u64,
}

/// The one `...EventDetails` member of an event; the variant name is the JSON key.
/// Rare, large variants are boxed to keep every recorded event small.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EventDetails {
    #[serde(rename = "executionStartedEventDetails")]
    ExecutionStarted(ExecutionStartedDetails),
    #[serde(rename = "executionSucceededEventDetails")]
    ExecutionSucceeded(OutputDetails),
    #[serde(rename = "executionFailedEventDetails")]
    ExecutionFailed(ErrorDetails),
    #[serde(rename = "executionAbortedEventDetails")]
    ExecutionAborted(ErrorDetails),
    #[serde(rename = "executionTimedOutEventDetails")]
    ExecutionTimedOut(ErrorDetails),
    #[serde(rename = "executionRedrivenEventDetails")]
    ExecutionRedriven(RedrivenDetails),
    #[serde(rename = "stateEnteredEventDetails")]
    StateEntered(StateEnteredDetails),
    #[serde(rename = "evaluationFailedEventDetails")]
    EvaluationFailed(Box<EvaluationFailedDetails>),
    #[serde(rename = "stateExitedEventDetails")]
    StateExited(StateExitedDetails),
    #[serde(rename = "taskScheduledEventDetails")]
    TaskScheduled(Box<TaskScheduledDetails>),
    #[serde(rename = "taskStartedEventDetails")]
    TaskStarted(TaskStartedDetails),
    #[serde(rename = "taskSubmittedEventDetails")]
    TaskSubmitted(Box<TaskOutputDetails>),
    #[serde(rename = "taskSucceededEventDetails")]
    TaskSucceeded(Box<TaskOutputDetails>),
    #[serde(rename = "taskFailedEventDetails")]
    TaskFailed(Box<TaskErrorDetails>),
    #[serde(rename = "taskTimedOutEventDetails")]
    TaskTimedOut(Box<TaskErrorDetails>),
    #[serde(rename = "activityScheduledEventDetails")]
    ActivityScheduled(Box<ActivityScheduledDetails>),
    #[serde(rename = "activityScheduleFailedEventDetails")]
    ActivityScheduleFailed(ErrorDetails),
    #[serde(rename = "activityStartedEventDetails")]
    ActivityStarted(ActivityStartedDetails),
    #[serde(rename = "activitySucceededEventDetails")]
    ActivitySucceeded(OutputDetails),
    #[serde(rename = "activityFailedEventDetails")]
    ActivityFailed(ErrorDetails),
    #[serde(rename = "activityTimedOutEventDetails")]
    ActivityTimedOut(ErrorDetails),
    #[serde(rename = "lambdaFunctionScheduledEventDetails")]
    LambdaFunctionScheduled(Box<LambdaScheduledDetails>),
    #[serde(rename = "lambdaFunctionSucceededEventDetails")]
    LambdaFunctionSucceeded(OutputDetails),
    #[serde(rename = "lambdaFunctionFailedEventDetails")]
    LambdaFunctionFailed(ErrorDetails),
    #[serde(rename = "lambdaFunctionTimedOutEventDetails")]
    LambdaFunctionTimedOut(ErrorDetails),
    #[serde(rename = "mapStateStartedEventDetails")]
    MapStateStarted(MapStartedDetails),
    #[serde(rename = "mapIterationStartedEventDetails")]
    MapIterationStarted(MapIterationDetails),
    #[serde(rename = "mapIterationSucceededEventDetails")]
    MapIterationSucceeded(MapIterationDetails),
    #[serde(rename = "mapIterationFailedEventDetails")]
    MapIterationFailed(MapIterationDetails),
    #[serde(rename = "mapIterationAbortedEventDetails")]
    MapIterationAborted(MapIterationDetails),
}

/// One entry of an execution's history. Serializes to the GetExecutionHistory shape:
/// `{"timestamp": <epoch seconds>, "type", "id", "previousEventId", "<x>EventDetails": {..}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEvent {
    #[serde(with = "epoch_seconds")]
    pub timestamp: DateTime<Utc>,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub id: u64,
    #[serde(default)]
    pub previous_event_id: u64,
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub details: Option<EventDetails>,
}

impl HistoryEvent {
    /// State name for state-entered/exited events.
    pub fn state_name(&self) -> Option<&str> {
        match &self.details {
            Some(EventDetails::StateEntered(d)) => Some(&d.name),
            Some(EventDetails::StateExited(d)) => Some(&d.name),
            _ => None,
        }
    }
}

/// AWS JSON 1.0 sends timestamps as epoch seconds with a fractional part.
mod epoch_seconds {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        let ms = t.timestamp_millis();
        s.serialize_f64(ms as f64 / 1000.0)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let secs = f64::deserialize(d)?;
        let ms = (secs * 1000.0).round() as i64;
        DateTime::<Utc>::from_timestamp_millis(ms)
            .ok_or_else(|| serde::de::Error::custom("timestamp out of range"))
    }
}

/// Payloads travel as JSON text inside the event, as in the AWS API.
mod json_string {
    use serde::{Deserialize, Deserializer, Serializer};
    use serde_json::Value;
    use std::sync::Arc;

    pub fn serialize<S: Serializer>(v: &Arc<Value>, s: S) -> Result<S::Ok, S::Error> {
        let text = serde_json::to_string(&**v).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<Value>, D::Error> {
        let text = String::deserialize(d)?;
        serde_json::from_str(&text)
            .map(Arc::new)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_in_aws_shape_and_round_trips() {
        let ev = HistoryEvent {
            timestamp: DateTime::<Utc>::from_timestamp_millis(1_700_000_000_123).unwrap(),
            event_type: EventType::PassStateEntered,
            id: 2,
            previous_event_id: 1,
            details: Some(EventDetails::StateEntered(StateEnteredDetails {
                name: "A".into(),
                input: Arc::new(serde_json::json!({"x": 1})),
                input_details: PayloadDetails::default(),
            })),
        };
        let v = serde_json::to_value(&ev).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"timestamp": 1700000000.123, "type": "PassStateEntered", "id": 2,
                "previousEventId": 1, "stateEnteredEventDetails": {"name": "A", "input": "{\"x\":1}",
                "inputDetails": {"truncated": false}}})
        );
        let back: HistoryEvent = serde_json::from_value(v).unwrap();
        assert_eq!(back, ev);
        let bare = HistoryEvent {
            details: None,
            event_type: EventType::ParallelStateStarted,
            ..ev
        };
        let v = serde_json::to_value(&bare).unwrap();
        assert!(v.get("stateEnteredEventDetails").is_none());
        let back: HistoryEvent = serde_json::from_value(v).unwrap();
        assert_eq!(back, bare);
    }
}
