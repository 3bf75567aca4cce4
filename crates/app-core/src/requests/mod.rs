//! Bodies of the start routes, validated into types the handlers can trust.
//!
//! Parsing is done field by field over a JSON object (rather than with serde derive)
//! so that every failure names the field and maps to one of the contract's error names.

mod callback;
mod job;
mod wait_until;

pub use callback::{CallbackMode, StartCallback};
pub use job::StartJob;
pub use wait_until::StartWaitUntil;

use crate::domain::{ExecutionName, TimeError};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// What is wrong with a request; each variant is one of the contract's error names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("{0}")]
    InvalidJson(String),
    #[error("field `{0}` is required")]
    MissingField(String),
    #[error("field `{0}` is not allowed")]
    UnknownField(String),
    #[error("field `{field}` {reason}")]
    InvalidField { field: String, reason: String },
    #[error(
        "body is {size} bytes; the limit is {} bytes",
        crate::http::MAX_BODY_BYTES
    )]
    PayloadTooLarge { size: usize },
}

impl RequestError {
    /// The `error` value of the HTTP error body.
    pub fn name(&self) -> &'static str {
        match self {
            RequestError::InvalidJson(_) => "InvalidJson",
            RequestError::MissingField(_) => "MissingField",
            RequestError::UnknownField(_) => "UnknownField",
            RequestError::InvalidField { .. } => "InvalidField",
            RequestError::PayloadTooLarge { .. } => "PayloadTooLarge",
        }
    }

    pub fn invalid(field: &str, reason: impl std::fmt::Display) -> Self {
        RequestError::InvalidField {
            field: field.to_owned(),
            reason: reason.to_string(),
        }
    }
}

/// What validation needs besides the body.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub now: DateTime<Utc>,
    pub max_ahead_days: u32,
}

/// The body as an object with only `allowed` keys.
pub(crate) fn object(
    body: Option<Value>,
    allowed: &[&str],
) -> Result<Map<String, Value>, RequestError> {
    let map = match body {
        None => {
            return Err(RequestError::InvalidJson(
                "body is empty; expected a JSON object".into(),
            ))
        }
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(RequestError::InvalidJson(
                "body must be a JSON object".into(),
            ))
        }
    };
    if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(RequestError::UnknownField(unknown.clone()));
    }
    Ok(map)
}

/// A field, treating `null` as absent.
pub(crate) fn field<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.get(name).filter(|v| !v.is_null())
}

pub(crate) fn required<'a>(
    map: &'a Map<String, Value>,
    name: &str,
) -> Result<&'a Value, RequestError> {
    field(map, name).ok_or_else(|| RequestError::MissingField(name.to_owned()))
}

/// The optional `name` field as an execution name.
pub(crate) fn name_field(map: &Map<String, Value>) -> Result<Option<ExecutionName>, RequestError> {
    match field(map, "name") {
        None => Ok(None),
        Some(Value::String(s)) => ExecutionName::parse(s)
            .map(Some)
            .map_err(|e| RequestError::invalid("name", e)),
        Some(_) => Err(RequestError::invalid("name", "must be a string")),
    }
}

pub(crate) fn time_error(field: &str, e: TimeError) -> RequestError {
    RequestError::invalid(field, e)
}

/// The execution name of a start request: the `Idempotency-Key` header wins over the
/// `name` field; with neither, a fresh UUID (no idempotency asked for).
pub fn execution_name(
    idempotency_key: Option<&str>,
    name_field: Option<&ExecutionName>,
) -> Result<ExecutionName, RequestError> {
    match (idempotency_key, name_field) {
        (Some(key), _) => {
            ExecutionName::parse(key.trim()).map_err(|e| RequestError::InvalidField {
                field: "Idempotency-Key".into(),
                reason: format!("(header) {e}"),
            })
        }
        (None, Some(name)) => Ok(name.clone()),
        (None, None) => Ok(ExecutionName::random()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_wins_over_name() {
        let name = ExecutionName::parse("from-body").unwrap();
        assert_eq!(
            execution_name(Some("from-header"), Some(&name))
                .unwrap()
                .as_str(),
            "from-header"
        );
        assert_eq!(
            execution_name(None, Some(&name)).unwrap().as_str(),
            "from-body"
        );
        let err = execution_name(Some("bad key!"), None).unwrap_err();
        assert_eq!(err.name(), "InvalidField");
        assert!(err.to_string().contains("Idempotency-Key"));
    }
}
