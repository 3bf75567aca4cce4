use super::{name_field, object, required, time_error, Limits, RequestError};
use crate::domain::{format_timestamp, parse_start_at, within_window, ExecutionName};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// `POST /start`.
#[derive(Debug, Clone, PartialEq)]
pub struct StartWaitUntil {
    pub task_name: String,
    pub start_at: DateTime<Utc>,
    pub name: Option<ExecutionName>,
}

const MAX_TASK_NAME: usize = 256;

impl StartWaitUntil {
    pub fn parse(body: Option<Value>, limits: Limits) -> Result<Self, RequestError> {
        let map = object(body, &["taskName", "startAt", "name"])?;
        let task_name = match required(&map, "taskName")? {
            Value::String(s) if s.trim().is_empty() => {
                return Err(RequestError::invalid("taskName", "must not be empty"))
            }
            Value::String(s) if s.chars().count() > MAX_TASK_NAME => {
                return Err(RequestError::invalid(
                    "taskName",
                    format!("must be at most {MAX_TASK_NAME} characters"),
                ))
            }
            Value::String(s) => s.clone(),
            _ => return Err(RequestError::invalid("taskName", "must be a string")),
        };
        let start_at =
            parse_start_at(required(&map, "startAt")?).map_err(|e| time_error("startAt", e))?;
        within_window(start_at, limits.now, limits.max_ahead_days)
            .map_err(|e| time_error("startAt", e))?;
        Ok(Self {
            task_name,
            start_at,
            name: name_field(&map)?,
        })
    }

    /// The execution input; a pure function of the request so that a repeat is
    /// recognised by Step Functions as the same execution.
    pub fn execution_input(&self, job_id: &str) -> Value {
        serde_json::json!({
            "jobId": job_id,
            "taskName": self.task_name,
            "startAt": format_timestamp(self.start_at),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::parse_rfc3339;
    use serde_json::json;

    fn limits() -> Limits {
        Limits {
            now: parse_rfc3339("2026-01-01T00:00:00Z").unwrap(),
            max_ahead_days: 365,
        }
    }

    fn err(body: Value) -> RequestError {
        StartWaitUntil::parse(Some(body), limits()).unwrap_err()
    }

    #[test]
    fn accepts_both_time_forms() {
        let a = StartWaitUntil::parse(
            Some(json!({"taskName": "t", "startAt": "2026-02-01T00:00:00Z"})),
            limits(),
        )
        .unwrap();
        let ms = a.start_at.timestamp_millis();
        let b =
            StartWaitUntil::parse(Some(json!({"taskName": "t", "startAt": ms})), limits()).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a.execution_input("j"),
            json!({"jobId": "j", "taskName": "t", "startAt": "2026-02-01T00:00:00.000Z"})
        );
    }

    #[test]
    fn names_the_problem() {
        assert_eq!(err(json!({"startAt": 1})).name(), "MissingField");
        assert_eq!(
            err(json!({"taskName": "t"})),
            RequestError::MissingField("startAt".into())
        );
        assert_eq!(
            err(json!({"taskName": "t", "startAt": "2026-02-01T00:00:00Z", "x": 1})),
            RequestError::UnknownField("x".into())
        );
        let e = err(json!({"taskName": "t", "startAt": "2025-12-31T23:59:59Z"}));
        assert!(
            e.to_string().contains("startAt") && e.to_string().contains("past"),
            "{e}"
        );
        let e = err(json!({"taskName": "t", "startAt": "2027-01-02T00:00:00Z"}));
        assert!(e.to_string().contains("365 days"), "{e}");
        assert_eq!(
            err(json!({"taskName": "", "startAt": 1})).name(),
            "InvalidField"
        );
        assert_eq!(
            err(json!({"taskName": "x".repeat(257), "startAt": 1})).name(),
            "InvalidField"
        );
        assert_eq!(
            err(json!({"taskName": 5, "startAt": 1})).name(),
            "InvalidField"
        );
        assert_eq!(
            err(json!({"taskName": "t", "startAt": "soon"})).name(),
            "InvalidField"
        );
        assert_eq!(err(json!([1])).name(), "InvalidJson");
        assert_eq!(
            err(json!({"taskName": "t", "startAt": "2026-02-01T00:00:00Z", "name": "a b"})).name(),
            "InvalidField"
        );
        assert_eq!(
            StartWaitUntil::parse(None, limits()).unwrap_err().name(),
            "InvalidJson"
        );
    }
}
