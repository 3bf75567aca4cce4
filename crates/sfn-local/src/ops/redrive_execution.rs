//! RedriveExecution: a Standard execution that failed, was aborted or timed out goes on
//! from the state it ended in, with the same ARN and input.

use super::{execution, secs};
use crate::error::SfnError;
use crate::model::{lock, ExecState, Execution, Record};
use crate::req::Req;
use crate::service::Core;
use asl::ExecutionStatus;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::sync::Arc;

/// How long after its end an execution can be redriven, and how long it can be open.
const REDRIVABLE_DAYS: i64 = 14;
const MAX_OPEN_DAYS: i64 = 365;
/// The history must leave room for `ExecutionRedriven` and one more event.
const MAX_EVENTS_BEFORE: u64 = 24_999;

struct Request<'a> {
    arn: &'a str,
    client_token: Option<&'a str>,
}

fn parse(body: &Value) -> Result<Request<'_>, SfnError> {
    let r = Req::new(body)?;
    Ok(Request {
        arn: r.str("executionArn")?,
        client_token: r.bounded("clientToken", 1, 64)?,
    })
}

pub(crate) fn run(core: &Arc<Core>, body: &Value) -> Result<Value, SfnError> {
    let req = parse(body)?;
    let exec = execution(core, req.arn)?;
    let date = apply(core, &exec, req.client_token)?;
    Ok(json!({ "redriveDate": secs(date) }))
}

/// Redrives the execution, unless the client token already did (then its date again).
fn apply(
    core: &Arc<Core>,
    exec: &Arc<Execution>,
    token: Option<&str>,
) -> Result<DateTime<Utc>, SfnError> {
    // One redrive at a time: the check and the `ExecutionRedriven` event go together.
    let _one = lock(&core.redrives);
    let now = core.now();
    let deleting = machine_deleting(core, exec);
    {
        let st = lock(&exec.state);
        if let Some(at) = token.and_then(|t| st.redrive_by_token(t, now)) {
            return Ok(at);
        }
        if let Err(reason) = redrivable(exec, &st, deleting, now) {
            return Err(SfnError::ExecutionNotRedrivable(reason.into()));
        }
    }
    crate::service::redrive(core, exec)?;
    let at = lock(&exec.state).redrive_date.unwrap_or(now);
    if let Some(t) = token {
        lock(&exec.state).remember_redrive(t.to_string(), at);
        core.record(Record::RedriveToken {
            arn: exec.arn.to_string(),
            token: t.to_string(),
            at,
        });
    }
    Ok(at)
}

/// Whether the execution's state machine is being deleted (or gone). Asked before the
/// execution's state is locked: the registry is always locked first.
pub(crate) fn machine_deleting(core: &Core, exec: &Execution) -> bool {
    lock(&core.reg)
        .machines
        .get(&exec.machine.data.arn)
        .is_none_or(|m| m.data.deleting)
}

/// Whether the execution can be redriven now; if not, AWS's reason
/// (DescribeExecution's `redriveStatusReason`).
pub(crate) fn redrivable(
    exec: &Execution,
    st: &ExecState,
    deleting: bool,
    now: DateTime<Utc>,
) -> Result<(), &'static str> {
    match st.status {
        ExecutionStatus::Running => return Err("Execution is RUNNING and cannot be redriven"),
        ExecutionStatus::Succeeded => return Err("Execution is SUCCEEDED and cannot be redriven"),
        _ => {}
    }
    if deleting {
        return Err("State machine is in DELETING status");
    }
    if st.history.last_id() >= MAX_EVENTS_BEFORE {
        return Err("Execution history event limit exceeded");
    }
    if now - exec.start_date > chrono::Duration::days(MAX_OPEN_DAYS) {
        return Err("Execution has exceeded the max execution time");
    }
    if st
        .stop_date
        .is_some_and(|d| now - d > chrono::Duration::days(REDRIVABLE_DAYS))
    {
        return Err("Execution redrivable period exceeded");
    }
    Ok(())
}
