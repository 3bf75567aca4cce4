use super::{name_field, object, required, time_error, Limits, RequestError};
use crate::domain::{format_timestamp, parse_rfc3339, within_window, ExecutionName};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// `POST /jobs`: a waitable job.
#[derive(Debug, Clone, PartialEq)]
pub struct StartJob {
    pub start_timestamp: DateTime<Utc>,
    pub name: Option<ExecutionName>,
}

impl StartJob {
    pub fn parse(body: Option<Value>, limits: Limits) -> Result<Self, RequestError> {
        let map = object(body, &["StartTimestamp", "name"])?;
        let start_timestamp = match required(&map, "StartTimestamp")? {
            Value::String(s) => parse_rfc3339(s).map_err(|_| {
                RequestError::invalid("StartTimestamp", "must be an RFC 3339 timestamp")
            })?,
            _ => {
                return Err(RequestError::invalid(
                    "StartTimestamp",
                    "must be an RFC 3339 timestamp string",
                ))
            }
        };
        within_window(start_timestamp, limits.now, limits.max_ahead_days)
            .map_err(|e| time_error("StartTimestamp", e))?;
        Ok(Self {
            start_timestamp,
            name: name_field(&map)?,
        })
    }

    pub fn execution_input(&self, job_id: &str) -> Value {
        serde_json::json!({
            "jobId": job_id,
            "StartTimestamp": format_timestamp(self.start_timestamp),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn limits() -> Limits {
        Limits {
            now: parse_rfc3339("2026-01-01T00:00:00Z").unwrap(),
            max_ahead_days: 30,
        }
    }

    #[test]
    fn parses_and_validates() {
        let ok = StartJob::parse(
            Some(json!({"StartTimestamp": "2026-01-05T10:00:00+02:00", "name": "n1"})),
            limits(),
        )
        .unwrap();
        assert_eq!(
            ok.execution_input("n1"),
            json!({"jobId": "n1", "StartTimestamp": "2026-01-05T08:00:00.000Z"})
        );
        let e = |b| StartJob::parse(Some(b), limits()).unwrap_err();
        assert_eq!(e(json!({})).name(), "MissingField");
        assert_eq!(
            e(json!({"StartTimestamp": 1767225600000_i64})).name(),
            "InvalidField"
        );
        assert_eq!(
            e(json!({"StartTimestamp": "2026-03-01T00:00:00Z"})).name(),
            "InvalidField"
        );
        assert_eq!(
            e(json!({"StartTimestamp": "2026-01-02T00:00:00Z", "startAt": 1})).name(),
            "UnknownField"
        );
    }
}
