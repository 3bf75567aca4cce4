//! GetActivityTask: a worker takes the oldest task of an activity, waiting up to 60 s (by
//! the service's clock) for one, as AWS's long poll does; with none it answers `{}`. The
//! answer holds the task token: for this worker only (it is never logged).

use super::describe_activity::activity;
use crate::error::SfnError;
use crate::req::Req;
use crate::service::Core;
use serde_json::{json, Value};
use std::sync::Arc;

/// How long a poll waits for a task.
const LONG_POLL_SECONDS: i64 = 60;

struct Request<'a> {
    arn: &'a str,
    worker: &'a str,
}

fn parse(body: &Value) -> Result<Request<'_>, SfnError> {
    let r = Req::new(body)?;
    Ok(Request {
        arn: r.str("activityArn")?,
        worker: r.bounded("workerName", 1, 80)?.unwrap_or(""),
    })
}

pub(crate) async fn run(core: &Arc<Core>, body: &Value) -> Result<Value, SfnError> {
    let req = parse(body)?;
    activity(core, req.arn)?;
    let clock = core.engine.clock().clone();
    let deadline = core.now() + chrono::Duration::seconds(LONG_POLL_SECONDS);
    loop {
        let offered = core.offers.offered.notified();
        tokio::pin!(offered);
        offered.as_mut().enable();
        if let Some(t) = core.offers.take(req.arn, req.worker) {
            return Ok(json!({"taskToken": t.token, "input": t.input}));
        }
        if core.now() >= deadline {
            return Ok(json!({}));
        }
        tokio::select! {
            _ = offered => {}
            _ = clock.sleep_until(deadline) => {}
        }
    }
}
