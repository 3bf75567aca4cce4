//! `POST /executions/{machine}?wait=N`: app-core's start service (the start routes' validation,
//! job record and idempotency), then DescribeExecution with backoff until the execution ends or
//! N seconds pass. Like a synchronous invoke, an execution that ended answers 200 whatever its
//! status; one still running answers the start route's 202.

use std::time::Duration;

use app_core::start::StartReply;
use app_core::{Clock, Pattern};
use aws_lambda_events::apigw::ApiGatewayProxyRequest;
use common::clock::plus_millis;
use serde_json::{json, Map, Value};

use crate::api::Api;
use crate::http::{only_params, query_int, ApiError};
use crate::resolve::sfn_upstream;
use crate::routes::describe::execution_json;

pub const MAX_WAIT_SECONDS: i64 = 60;
const FIRST_POLL: Duration = Duration::from_millis(100);
const MAX_POLL: Duration = Duration::from_millis(1000);
/// Time kept back from the Lambda deadline to answer before the function is cut off.
const DEADLINE_MARGIN_MS: i64 = 1500;

/// An HTTP answer: status and JSON body.
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

pub fn unknown_machine(raw: &str) -> ApiError {
    ApiError::new(
        404,
        "UnknownMachine",
        format!("unknown machine `{raw}`: expected callback, wait-until or waitable"),
    )
}

fn now_ms(clock: &dyn Clock) -> i64 {
    clock.now().timestamp_millis()
}

pub async fn start(
    api: &Api,
    machine_raw: &str,
    req: &ApiGatewayProxyRequest,
    lambda_deadline_ms: Option<i64>,
) -> Result<Answer, ApiError> {
    let machine = Pattern::parse(machine_raw).ok_or_else(|| unknown_machine(machine_raw))?;
    only_params(req, &["wait"])?;
    let wait = query_int(req, "wait", 0..=MAX_WAIT_SECONDS, 0)?;

    let reply = match api.starter.serve(machine, req).await {
        Ok(reply) => reply,
        Err(e) => return Ok(refused(ApiError::from(e))),
    };
    if wait == 0 {
        return Ok(started_answer(reply, None));
    }
    let started = now_ms(api.clock.as_ref());
    let mut deadline = started + wait * 1000;
    if let Some(d) = lambda_deadline_ms.filter(|d| *d > started) {
        deadline = deadline.min(d - DEADLINE_MARGIN_MS);
    }
    wait_for_end(api, reply, started, deadline).await
}

/// The start routes' own answer to a start they refused, logged as they log it.
fn refused(e: ApiError) -> Answer {
    if e.status >= 500 {
        tracing::error!(error = %e, "start failed");
    }
    Answer {
        status: e.status,
        body: json!({"error": e.error, "message": e.message}),
    }
}

/// The start route's answer as JSON; `waited_ms` when the execution was waited on in vain.
fn started_answer(reply: StartReply, waited_ms: Option<i64>) -> Answer {
    let mut body = serde_json::to_value(&reply.answer).unwrap_or(Value::Null);
    let Some(waited_ms) = waited_ms else {
        return Answer {
            status: reply.status,
            body,
        };
    };
    if let Some(o) = body.as_object_mut() {
        o.insert("status".into(), json!("RUNNING"));
        o.insert("waitedMs".into(), json!(waited_ms));
    }
    Answer { status: 202, body }
}

/// Polls the execution, backing off from [`FIRST_POLL`] to [`MAX_POLL`], until it ends (200
/// with the execution) or `deadline` (epoch ms) passes (202 with the start route's answer).
async fn wait_for_end(
    api: &Api,
    reply: StartReply,
    started: i64,
    deadline: i64,
) -> Result<Answer, ApiError> {
    let clock = api.clock.as_ref();
    let mut pause = FIRST_POLL;
    loop {
        let detail = api
            .sfn
            .describe_execution(&reply.answer.execution_arn)
            .await
            .map_err(sfn_upstream)?;
        if let Some(d) = detail.filter(|d| !d.is_running()) {
            let mut m: Map<String, Value> = execution_json(api, &d);
            m.insert("waitedMs".into(), json!(now_ms(clock) - started));
            m.insert("statusUrl".into(), json!(reply.answer.status_url));
            return Ok(Answer {
                status: 200,
                body: Value::Object(m),
            });
        }
        let now = now_ms(clock);
        if now >= deadline {
            break;
        }
        let step = i64::try_from(pause.as_millis()).unwrap_or(i64::MAX);
        clock
            .sleep_until(plus_millis(clock.now(), step.min(deadline - now)))
            .await;
        pause = (pause * 2).min(MAX_POLL);
    }
    let waited = now_ms(clock) - started;
    Ok(started_answer(reply, Some(waited)))
}
