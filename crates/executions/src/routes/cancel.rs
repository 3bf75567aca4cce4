//! `DELETE /executions/{id}`: graceful cancel (a flag the state machines read at their next
//! state change) or, with `?force=true`, StopExecution at once.

use app_core::domain::format_epoch_millis;
use app_core::ports::{CancelRequest, CancelWrite};
use aws_lambda_events::apigw::ApiGatewayProxyRequest;
use serde_json::{json, Value};

use crate::api::Api;
use crate::http::{only_params, query_bool, ApiError};
use crate::resolve::{resolve, sfn_upstream, upstream};

/// Error name both cancel paths end with, so the status tracker and users can recognise them.
pub const CANCEL_ERROR: &str = "Cancelled";

pub fn force_cause(id: &str) -> String {
    format!("Stopped by DELETE /executions/{id}?force=true")
}

fn already_ended(id: &str, status: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        409,
        "AlreadyFinished",
        format!("execution `{id}` already ended with status {status}; there is nothing to cancel"),
    )
}

/// Returns the HTTP status and body.
pub async fn cancel(
    api: &Api,
    id: &str,
    req: &ApiGatewayProxyRequest,
) -> Result<(u16, Value), ApiError> {
    only_params(req, &["force"])?;
    let force = query_bool(req, "force")?;
    let r = resolve(api, id).await?;
    let d = &r.detail;
    if !d.is_running() {
        return Err(already_ended(id, d.status));
    }
    if force {
        let stopped = api
            .sfn
            .stop_execution(&d.execution_arn, CANCEL_ERROR, &force_cause(id))
            .await
            .map_err(sfn_upstream)?;
        if !stopped {
            return Err(ApiError::not_found(format!(
                "execution `{id}` no longer exists"
            )));
        }
        // Answer with what Step Functions now says (normally ABORTED; a finish that won the race
        // shows as such).
        let after = api
            .sfn
            .describe_execution(&d.execution_arn)
            .await
            .map_err(sfn_upstream)?
            .unwrap_or_else(|| d.clone());
        return Ok((
            200,
            json!({
                "executionArn": after.execution_arn,
                "jobId": r.id,
                "machine": r.machine.as_str(),
                "status": after.status,
                "stopDate": after.stop_ms.map(format_epoch_millis),
                "error": after.error,
                "cause": after.cause,
                "forced": true,
            }),
        ));
    }
    let request = CancelRequest {
        id: r.id.clone(),
        pattern: r.machine,
        execution_arn: d.execution_arn.clone(),
        at: api.clock.now(),
    };
    match api.jobs.request_cancel(&request).await.map_err(upstream)? {
        CancelWrite::Requested { requested_at } => Ok((
            202,
            json!({
                "executionArn": d.execution_arn,
                "jobId": r.id,
                "machine": r.machine.as_str(),
                "status": d.status,
                "cancelRequested": true,
                "cancelRequestedAt": requested_at,
                "message": format!(
                    "Cancel of job {id} requested. The execution ends through its Cancelled path at its next state change; use DELETE /executions/{id}?force=true to stop it at once."
                ),
            }),
        )),
        CancelWrite::AlreadyEnded { status } => Err(already_ended(id, status)),
    }
}
