//! Stored items as [`Job`]s and the few attribute values the writes need.

use crate::domain::{Job, TaskToken};
use crate::schema::attr;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Number, Value};
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

fn string(item: &Item, name: &str) -> Option<String> {
    match item.get(name) {
        Some(AttributeValue::S(s)) => Some(s.clone()),
        Some(AttributeValue::N(n)) => Some(n.clone()),
        _ => None,
    }
}

fn integer(item: &Item, name: &str) -> Option<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
}

/// A stored enum value (a status, a pattern); a value this code does not know reads as absent.
fn parsed<T: std::str::FromStr>(item: &Item, name: &str) -> Option<T> {
    string(item, name).and_then(|s| s.parse().ok())
}

/// Any attribute as JSON, for `Output`, which a state machine may store as a string
/// or as a map.
pub(crate) fn to_json(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => n
            .parse::<i64>()
            .map(Value::from)
            .ok()
            .or_else(|| {
                n.parse::<f64>()
                    .ok()
                    .and_then(Number::from_f64)
                    .map(Value::Number)
            })
            .unwrap_or_else(|| Value::String(n.clone())),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::M(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
        AttributeValue::L(l) => Value::Array(l.iter().map(to_json).collect()),
        AttributeValue::Ss(v) | AttributeValue::Ns(v) => {
            Value::Array(v.iter().cloned().map(Value::String).collect())
        }
        _ => Value::Null,
    }
}

/// A stored item as a [`Job`]; unknown attributes are ignored, a malformed token is
/// treated as absent (it could not be used anyway).
pub fn job_from_item(item: &Item) -> Job {
    Job {
        id: string(item, attr::ID).unwrap_or_default(),
        list_shard: string(item, attr::LIST_SHARD),
        pattern: string(item, attr::PATTERN).and_then(|p| crate::domain::Pattern::parse(&p)),
        process_status: parsed(item, attr::STATUS),
        start_action_at: string(item, attr::START_ACTION_AT)
            .map(|t| crate::domain::normalise_timestamp(&t)),
        last_updated: string(item, attr::LAST_UPDATED),
        execution_arn: string(item, attr::EXECUTION_ARN),
        output: item.get(attr::OUTPUT).map(to_json),
        error: string(item, attr::ERROR),
        cause: string(item, attr::CAUSE),
        execution_status: parsed(item, attr::EXECUTION_STATUS),
        execution_status_at: integer(item, attr::EXECUTION_STATUS_AT),
        state_machine_arn: string(item, attr::STATE_MACHINE_ARN),
        started_at: string(item, attr::STARTED_AT),
        stopped_at: string(item, attr::STOPPED_AT),
        cancel_requested: matches!(
            item.get(attr::CANCEL_REQUESTED),
            Some(AttributeValue::Bool(true))
        ),
        cancel_requested_at: string(item, attr::CANCEL_REQUESTED_AT),
        notified_at: string(item, attr::NOTIFIED_AT),
        expires_at: integer(item, attr::EXPIRES_AT),
        task_token: string(item, attr::TASK_TOKEN).and_then(|t| TaskToken::new(t).ok()),
    }
}

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}
