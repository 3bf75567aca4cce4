//! `POST /executions/{machine}?wait=N`: the machine's own start route (same validation, job
//! record and idempotency), then DescribeExecution with backoff until the execution ends or N
//! seconds pass. Like a synchronous invoke, an execution that ended answers 200 whatever its
//! status; one still running answers the start route's 202.

use std::time::Duration;

use aws_lambda_events::apigw::ApiGatewayProxyRequest;
use serde_json::{json, Map, Value};

use crate::api::Api;
use crate::http::{only_params, query_int, ApiError};
use crate::machines::Machine;
use crate::resolve::sfn_upstream;
use crate::routes::describe::execution_json;

pub const MAX_WAIT_SECONDS: i64 = 60;
const FIRST_POLL: Duration = Duration::from_millis(100);
const MAX_POLL: Duration = Duration::from_millis(1000);
/// Time kept back from the Lambda deadline to answer before the function is cut off.
const DEADLINE_MARGIN_MS: i64 = 1500;

/// An HTTP answer: status and JSON body (the start route's, passed through when it refused).
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

/// The request as the start route would have received it.
fn forward(payload: &Value, route: &str) -> Value {
    let mut p = payload.clone();
    if let Some(o) = p.as_object_mut() {
        o.insert("resource".into(), json!(route));
        o.insert("path".into(), json!(route));
        o.insert("httpMethod".into(), json!("POST"));
        o.insert("pathParameters".into(), Value::Null);
        o.insert("queryStringParameters".into(), Value::Null);
        o.insert("multiValueQueryStringParameters".into(), Value::Null);
        if let Some(ctx) = o.get_mut("requestContext").and_then(Value::as_object_mut) {
            ctx.insert("resourcePath".into(), json!(route));
            ctx.insert("httpMethod".into(), json!("POST"));
        }
    }
    p
}

fn body_of(resp: &Value) -> Value {
    match resp.get("body") {
        Some(Value::String(s)) => serde_json::from_str(s).unwrap_or_else(|_| json!({"raw": s})),
        Some(v) => v.clone(),
        None => Value::Null,
    }
}

pub async fn start(
    api: &Api,
    machine_raw: &str,
    req: &ApiGatewayProxyRequest,
    payload: &Value,
    lambda_deadline_ms: Option<i64>,
) -> Result<Answer, ApiError> {
    let machine = Machine::from_slug(machine_raw).ok_or_else(|| unknown_machine(machine_raw))?;
    only_params(req, &["wait"])?;
    let wait = query_int(req, "wait", 0..=MAX_WAIT_SECONDS, 0)?;

    let resp = api
        .starter
        .start(forward(payload, machine.start_route()))
        .await
        .map_err(|e| ApiError::upstream(format!("start route failed: {e}")))?;
    let status = resp
        .get("statusCode")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .unwrap_or(502);
    let body = body_of(&resp);
    if !(200..300).contains(&status) {
        return Ok(Answer { status, body });
    }
    let Some(arn) = body
        .get("executionArn")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return Err(ApiError::upstream(
            "start route answered without an executionArn",
        ));
    };
    if wait == 0 {
        return Ok(Answer { status, body });
    }

    let started = api.timer.now_ms();
    let mut deadline = started + wait * 1000;
    if let Some(d) = lambda_deadline_ms.filter(|d| *d > started) {
        deadline = deadline.min(d - DEADLINE_MARGIN_MS);
    }
    let mut pause = FIRST_POLL;
    loop {
        let detail = api
            .sfn
            .describe_execution(&arn)
            .await
            .map_err(sfn_upstream)?;
        if let Some(d) = detail.filter(|d| !d.is_running()) {
            let mut m: Map<String, Value> = execution_json(api, &d);
            m.insert("waitedMs".into(), json!(api.timer.now_ms() - started));
            if let Some(url) = body.get("statusUrl") {
                m.insert("statusUrl".into(), url.clone());
            }
            return Ok(Answer {
                status: 200,
                body: Value::Object(m),
            });
        }
        let now = api.timer.now_ms();
        if now >= deadline {
            break;
        }
        let left = Duration::from_millis(u64::try_from(deadline - now).unwrap_or(0));
        api.timer.sleep(pause.min(left)).await;
        pause = (pause * 2).min(MAX_POLL);
    }
    let mut b = body;
    if let Some(o) = b.as_object_mut() {
        o.insert("status".into(), json!("RUNNING"));
        o.insert("waitedMs".into(), json!(api.timer.now_ms() - started));
    }
    Ok(Answer {
        status: 202,
        body: b,
    })
}
