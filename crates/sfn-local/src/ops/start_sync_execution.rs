use super::secs;
use super::start_execution::{read, start_express};
use crate::error::SfnError;
use crate::model::MachineType;
use crate::service::Core;
use asl::Outcome;
use serde_json::{json, Value};
use std::sync::Arc;

/// Runs an EXPRESS execution to its end and answers with its outcome.
pub(crate) async fn run(core: &Arc<Core>, body: &Value) -> Result<Value, SfnError> {
    let req = read(core, body)?;
    if req.machine.data.kind != MachineType::Express {
        return Err(SfnError::StateMachineTypeNotSupported(
            "This operation is not supported by this type of state machine".into(),
        ));
    }
    let machine_arn = req.machine.data.arn.clone();
    let name = req.name.clone();
    let input = req.input.clone();
    let ((arn, start), handle) = start_express(core, req);
    let outcome = handle.outcome().await;
    let stop = core.now();
    let mut out = json!({
        "executionArn": arn,
        "stateMachineArn": machine_arn,
        "name": name,
        "startDate": secs(start),
        "stopDate": secs(stop),
        "status": outcome.status().as_str(),
        "input": input,
        "inputDetails": {"included": true},
        "billingDetails": {
            "billedMemoryUsedInMB": 64,
            "billedDurationInMilliseconds": (stop - start).num_milliseconds().max(100),
        },
    });
    match outcome {
        Outcome::Succeeded(v) => {
            out["output"] = json!(serde_json::to_string(&v).unwrap_or_else(|_| "null".into()));
            out["outputDetails"] = json!({"included": true});
        }
        Outcome::Failed { error, cause }
        | Outcome::TimedOut { error, cause }
        | Outcome::Aborted { error, cause } => {
            if let Some(e) = error {
                out["error"] = json!(e);
            }
            if let Some(c) = cause {
                out["cause"] = json!(c);
            }
        }
    }
    Ok(out)
}
