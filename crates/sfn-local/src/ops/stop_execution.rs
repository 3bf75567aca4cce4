use super::{execution, secs};
use crate::error::SfnError;
use crate::model::lock;
use crate::req::Req;
use crate::service::Core;
use asl::ExecutionStatus;
use serde_json::{json, Value};
use std::sync::Arc;

/// Ends a running execution ABORTED before answering, so a DescribeExecution right after
/// sees it. Stopping an execution that has already ended changes nothing.
pub(crate) async fn run(core: &Arc<Core>, body: &Value) -> Result<Value, SfnError> {
    let r = Req::new(body)?;
    let arn = r.str("executionArn")?;
    let error = r.bounded("error", 0, 256)?.map(str::to_string);
    let cause = r.bounded("cause", 0, 32_768)?.map(str::to_string);
    let exec = execution(core, arn)?;
    if lock(&exec.state).status == ExecutionStatus::Running {
        // The handle is set right after the execution is registered; wait for it briefly.
        let mut tries = 0;
        let handle = loop {
            if let Some(h) = exec.handle() {
                break Some(h);
            }
            // Parked in a long Wait: bring it back into the engine (not to park again),
            // then stop it there, so its history closes as any stopped execution's does.
            if exec.unpark() {
                crate::service::resume(core, exec.clone(), false);
                continue;
            }
            if lock(&exec.state).status != ExecutionStatus::Running {
                break None;
            }
            tries += 1;
            if tries > 1000 {
                break None;
            }
            tokio::task::yield_now().await;
        };
        match handle {
            Some(handle) => {
                handle.stop(error, cause);
                handle.outcome().await;
            }
            // It ended meanwhile: there is nothing to stop.
            None if lock(&exec.state).status != ExecutionStatus::Running => {}
            None => return Err(SfnError::Internal("execution has no handle".into())),
        }
    }
    let stop = lock(&exec.state).stop_date.unwrap_or_else(|| core.now());
    Ok(json!({ "stopDate": secs(stop) }))
}
