use super::attr;
use crate::domain::{Job, TaskToken};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Number, Value};
use std::collections::HashMap;

fn string(item: &HashMap<String, AttributeValue>, name: &str) -> Option<String> {
    match item.get(name) {
        Some(AttributeValue::S(s)) => Some(s.clone()),
        Some(AttributeValue::N(n)) => Some(n.clone()),
        _ => None,
    }
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
pub fn job_from_item(item: &HashMap<String, AttributeValue>) -> Job {
    Job {
        id: string(item, attr::ID).unwrap_or_default(),
        pattern: string(item, attr::PATTERN),
        process_status: string(item, attr::STATUS),
        start_action_at: string(item, attr::START_ACTION_AT),
        last_updated: string(item, attr::LAST_UPDATED),
        execution_arn: string(item, attr::EXECUTION_ARN),
        output: item.get(attr::OUTPUT).map(to_json),
        error: string(item, attr::ERROR),
        cause: string(item, attr::CAUSE),
        task_token: string(item, attr::TASK_TOKEN).and_then(|t| TaskToken::new(t).ok()),
    }
}

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}
