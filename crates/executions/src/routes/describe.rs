//! `GET /executions/{id}`: one view of an execution joining Step Functions and the job record.

use app_core::domain::format_epoch_millis;
use serde_json::{json, Map, Value};

use crate::api::Api;
use crate::http::{parse_doc, ApiError};
use crate::ports::ExecutionDetail;
use crate::resolve::{resolve, sfn_upstream};

/// How far back the history is read to find the state a running execution is in.
const CURRENT_STATE_LOOKBACK: i32 = 50;

pub fn execution_json(api: &Api, d: &ExecutionDetail) -> Map<String, Value> {
    let machine = api
        .cfg
        .machine_of_arn(&d.state_machine_arn)
        .map(|m| m.as_str());
    let mut m = Map::new();
    m.insert("executionArn".into(), json!(d.execution_arn));
    m.insert(
        "jobId".into(),
        json!(app_core::domain::job_of_execution(
            &d.name,
            d.input.as_deref()
        )),
    );
    m.insert("machine".into(), json!(machine));
    m.insert("stateMachineArn".into(), json!(d.state_machine_arn));
    m.insert("status".into(), json!(d.status));
    m.insert("startDate".into(), json!(format_epoch_millis(d.start_ms)));
    m.insert("stopDate".into(), json!(d.stop_ms.map(format_epoch_millis)));
    m.insert("input".into(), parse_doc(d.input.as_deref()));
    m.insert("output".into(), parse_doc(d.output.as_deref()));
    m.insert("error".into(), json!(d.error));
    m.insert("cause".into(), json!(d.cause));
    m
}

/// The state most recently entered and not yet left, read from the newest history events.
pub async fn current_state(api: &Api, d: &ExecutionDetail) -> Result<Option<String>, ApiError> {
    if !d.is_running() {
        return Ok(None);
    }
    let page = api
        .sfn
        .get_execution_history(&d.execution_arn, CURRENT_STATE_LOOKBACK, None, true)
        .await
        .map_err(sfn_upstream)?;
    Ok(page
        .events
        .iter()
        .find(|e| e.event_type.ends_with("StateEntered"))
        .and_then(|e| e.details.get("name"))
        .and_then(Value::as_str)
        .map(str::to_string))
}

pub async fn describe(api: &Api, id: &str) -> Result<Value, ApiError> {
    let r = resolve(api, id).await?;
    let mut m = execution_json(api, &r.detail);
    m.insert(
        "currentState".into(),
        json!(current_state(api, &r.detail).await?),
    );
    let cancel_requested = r.job.as_ref().is_some_and(|j| j.cancel_requested);
    m.insert("cancelRequested".into(), json!(cancel_requested));
    m.insert("job".into(), json!(r.job));
    Ok(Value::Object(m))
}
