//! `GET /executions/{id}/history?limit=&next=&reverse=`: the execution's events, paginated by
//! Step Functions' own token wrapped in a cursor bound to the execution and order.

use app_core::domain::format_epoch_millis;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::api::Api;
use crate::cursor;
use crate::http::{only_params, query_bool, query_int, query_one, ApiError};
use crate::ports::{HistoryEvent, SfnError};
use crate::resolve::{resolve, sfn_upstream};
use aws_lambda_events::apigw::ApiGatewayProxyRequest;

pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;

#[derive(Serialize, Deserialize)]
struct HistoryCursor {
    /// Execution ARN the token belongs to.
    a: String,
    r: bool,
    t: String,
}

/// Detail fields that hold JSON documents as strings.
const DOCUMENT_FIELDS: &[&str] = &["input", "output", "parameters"];

pub fn token_hash(token: &str) -> String {
    common::short_hash(token, 6)
}

/// Task tokens travel in task parameters; the history must not hand them out (they are
/// secrets), so every value under a key named like a token is replaced by a short hash.
pub fn redact(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, val) in m.iter_mut() {
                if k.to_ascii_lowercase().contains("token") {
                    if let Value::String(s) = val {
                        *val = json!(format!("redacted:{}", token_hash(s)));
                        continue;
                    }
                }
                redact(val);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(redact),
        _ => {}
    }
}

pub fn event_json(e: &HistoryEvent) -> Value {
    let mut details: Map<String, Value> = e.details.clone();
    for f in DOCUMENT_FIELDS {
        if let Some(Value::String(s)) = details.get(*f) {
            if let Ok(doc) = serde_json::from_str::<Value>(s) {
                details.insert((*f).to_string(), doc);
            }
        }
    }
    let mut details = Value::Object(details);
    redact(&mut details);
    let state = e
        .event_type
        .ends_with("StateEntered")
        .then(|| details.get("name").cloned())
        .flatten()
        .or_else(|| {
            e.event_type
                .ends_with("StateExited")
                .then(|| details.get("name").cloned())
                .flatten()
        });
    json!({
        "id": e.id,
        "previousEventId": e.previous_event_id,
        "timestamp": format_epoch_millis(e.timestamp_ms),
        "type": e.event_type,
        "state": state,
        "details": details,
    })
}

pub async fn history(api: &Api, id: &str, req: &ApiGatewayProxyRequest) -> Result<Value, ApiError> {
    only_params(req, &["limit", "next", "reverse"])?;
    let limit = query_int(req, "limit", 1..=MAX_LIMIT, DEFAULT_LIMIT)?;
    let reverse = query_bool(req, "reverse")?;
    let cursor: Option<HistoryCursor> = query_one(req, "next")?
        .filter(|s| !s.is_empty())
        .map(cursor::decode)
        .transpose()?;
    let r = resolve(api, id).await?;
    let arn = &r.detail.execution_arn;
    let token = match &cursor {
        Some(c) if c.a != *arn => {
            return Err(cursor::invalid_cursor("it belongs to another execution"))
        }
        Some(c) if c.r != reverse => {
            return Err(cursor::invalid_cursor(
                "it was made for the other `reverse` order",
            ))
        }
        Some(c) => {
            cursor::check_token(&c.t)?;
            Some(c.t.as_str())
        }
        None => None,
    };
    let page = api
        .sfn
        .get_execution_history(arn, i32::try_from(limit).unwrap_or(100), token, reverse)
        .await
        .map_err(|e| match e {
            SfnError::InvalidToken(_) => cursor::invalid_cursor("it expired or was altered"),
            other => sfn_upstream(other),
        })?;
    let next = page.next_token.map(|t| {
        cursor::encode(&HistoryCursor {
            a: arn.clone(),
            r: reverse,
            t,
        })
    });
    Ok(json!({
        "executionArn": arn,
        "jobId": r.id,
        "status": r.detail.status,
        "events": page.events.iter().map(event_json).collect::<Vec<_>>(),
        "next": next,
    }))
}
