//! One module per operation: read the request, apply it, shape the answer.

mod create_activity;
mod create_state_machine;
mod delete_activity;
mod delete_state_machine;
pub(crate) mod describe_activity;
mod describe_execution;
mod describe_state_machine;
mod describe_state_machine_for_execution;
mod express;
mod get_activity_task;
mod get_execution_history;
mod list_activities;
mod list_executions;
mod list_state_machines;
mod mock_schema;
mod redrive_execution;
mod send_task;
mod start_execution;
mod start_sync_execution;
mod stop_execution;
mod tags;
mod test_state;
mod update_state_machine;
mod validate_definition;

pub(crate) use create_activity::put_activity;
pub(crate) use create_state_machine::put_machine;
pub use create_state_machine::MachineSpec;
pub(crate) use redrive_execution::{machine_deleting, redrivable};

use crate::error::SfnError;
use crate::model::{lock, Execution, Machine};
use crate::service::Core;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::sync::Arc;

/// Operations whose effect must be in the journal before the client hears of it.
const DURABLE: &[&str] = &[
    "CreateStateMachine",
    "UpdateStateMachine",
    "DeleteStateMachine",
    "StartExecution",
    "StopExecution",
    "RedriveExecution",
    "CreateActivity",
    "DeleteActivity",
];

pub(crate) async fn dispatch(core: &Arc<Core>, op: &str, body: &Value) -> Result<Value, SfnError> {
    let out = run(core, op, body).await?;
    if DURABLE.contains(&op) {
        core.flush().await;
    }
    Ok(out)
}

async fn run(core: &Arc<Core>, op: &str, body: &Value) -> Result<Value, SfnError> {
    match op {
        "CreateStateMachine" => create_state_machine::run(core, body),
        "UpdateStateMachine" => update_state_machine::run(core, body),
        "DeleteStateMachine" => delete_state_machine::run(core, body),
        "DescribeStateMachine" => describe_state_machine::run(core, body),
        "DescribeStateMachineForExecution" => describe_state_machine_for_execution::run(core, body),
        "ListStateMachines" => list_state_machines::run(core, body),
        "ValidateStateMachineDefinition" => validate_definition::run(body),
        "TestState" => test_state::run(core, body).await,
        "StartExecution" => start_execution::run(core, body),
        "StartSyncExecution" => start_sync_execution::run(core, body).await,
        "StopExecution" => stop_execution::run(core, body).await,
        "RedriveExecution" => redrive_execution::run(core, body),
        "DescribeExecution" => describe_execution::run(core, body),
        "ListExecutions" => list_executions::run(core, body),
        "GetExecutionHistory" => get_execution_history::run(core, body),
        "SendTaskSuccess" => send_task::success(core, body).await,
        "SendTaskFailure" => send_task::failure(core, body).await,
        "SendTaskHeartbeat" => send_task::heartbeat(core, body),
        "CreateActivity" => create_activity::run(core, body),
        "DescribeActivity" => describe_activity::run(core, body),
        "ListActivities" => list_activities::run(core, body),
        "DeleteActivity" => delete_activity::run(core, body),
        "GetActivityTask" => get_activity_task::run(core, body).await,
        "TagResource" => tags::tag(core, body),
        "UntagResource" => tags::untag(core, body),
        "ListTagsForResource" => tags::list(core, body),
        other => Err(SfnError::UnknownOperation(format!(
            "Operation AWSStepFunctions.{other} is not supported by this service"
        ))),
    }
}

/// JSON 1.0 timestamps: epoch seconds with milliseconds.
pub(crate) fn secs(t: DateTime<Utc>) -> Value {
    serde_json::json!(t.timestamp_millis() as f64 / 1000.0)
}

/// A live state machine by ARN (ARN checked first, as AWS does).
pub(crate) fn machine(core: &Core, arn: &str) -> Result<Arc<Machine>, SfnError> {
    crate::arn::state_machine_name(arn)?;
    lock(&core.reg).machines.get(arn).cloned().ok_or_else(|| {
        SfnError::StateMachineDoesNotExist(format!("State Machine Does Not Exist: '{arn}'"))
    })
}

pub(crate) fn execution(core: &Core, arn: &str) -> Result<Arc<Execution>, SfnError> {
    crate::arn::execution_names(arn)?;
    lock(&core.reg).executions.get(arn).cloned().ok_or_else(|| {
        SfnError::ExecutionDoesNotExist(format!("Execution Does Not Exist: '{arn}'"))
    })
}

/// CreateStateMachine/UpdateStateMachine's definition check, for a machine of `kind`.
pub(crate) fn parse_definition(
    definition: &str,
    kind: crate::model::MachineType,
) -> Result<asl::StateMachine, SfnError> {
    let parsed = parse_any(definition)?;
    if kind == crate::model::MachineType::Express {
        let problems = express::problems(definition);
        if !problems.is_empty() {
            let parts: Vec<String> = problems
                .iter()
                .map(|(at, msg)| format!("SCHEMA_VALIDATION_FAILED: {msg} at {at}"))
                .collect();
            return Err(SfnError::InvalidDefinition(format!(
                "Invalid State Machine Definition: '{}'",
                parts.join(", ")
            )));
        }
    }
    Ok(parsed)
}

pub(crate) use express::problems as express_problems;

fn parse_any(definition: &str) -> Result<asl::StateMachine, SfnError> {
    asl::StateMachine::parse(definition).map_err(|e| {
        let parts: Vec<String> = e.diagnostics.iter().map(|d| d.to_string()).collect();
        SfnError::InvalidDefinition(format!(
            "Invalid State Machine Definition: '{}'",
            parts.join(", ")
        ))
    })
}

pub(crate) fn definition_member(r: &crate::req::Req<'_>) -> Result<Option<String>, SfnError> {
    Ok(r.bounded("definition", 1, 1_048_576)?.map(str::to_string))
}

/// `loggingConfiguration` / `tracingConfiguration`: accepted and echoed, never acted on.
pub(crate) fn config_member(
    r: &crate::req::Req<'_>,
    member: &str,
) -> Result<Option<Value>, SfnError> {
    match r.opt_value(member) {
        None => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v.clone())),
        Some(_) => Err(SfnError::Serialization(format!(
            "Expected a structure for member '{member}'"
        ))),
    }
}

pub(crate) fn default_logging() -> Value {
    serde_json::json!({"level": "OFF", "includeExecutionData": false})
}

pub(crate) fn default_tracing() -> Value {
    serde_json::json!({"enabled": false})
}
