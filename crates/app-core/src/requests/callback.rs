use super::{field, name_field, RequestError};
use crate::domain::ExecutionName;
use serde_json::Value;

/// Who answers the callback task: send-token at random, or an external caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackMode {
    Auto,
    External,
}

impl CallbackMode {
    pub fn as_str(self) -> &'static str {
        match self {
            CallbackMode::Auto => "auto",
            CallbackMode::External => "external",
        }
    }
}

impl std::str::FromStr for CallbackMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(CallbackMode::Auto),
            "external" => Ok(CallbackMode::External),
            other => Err(format!("{other:?} is neither \"auto\" nor \"external\"")),
        }
    }
}

/// `POST /callbacks`: everything is optional, an empty body is fine.
#[derive(Debug, Clone, PartialEq)]
pub struct StartCallback {
    pub mode: Option<CallbackMode>,
    pub input: Value,
    pub name: Option<ExecutionName>,
}

impl StartCallback {
    pub fn parse(body: Option<Value>) -> Result<Self, RequestError> {
        let Some(body) = body else {
            return Ok(Self {
                mode: None,
                input: Value::Object(Default::default()),
                name: None,
            });
        };
        let map = super::object(Some(body), &["mode", "input", "name"])?;
        let mode = match field(&map, "mode") {
            None => None,
            Some(Value::String(s)) => Some(
                s.parse()
                    .map_err(|e: String| RequestError::invalid("mode", e))?,
            ),
            Some(_) => {
                return Err(RequestError::invalid(
                    "mode",
                    "must be \"auto\" or \"external\"",
                ))
            }
        };
        Ok(Self {
            mode,
            input: field(&map, "input")
                .cloned()
                .unwrap_or_else(|| Value::Object(Default::default())),
            name: name_field(&map)?,
        })
    }

    pub fn execution_input(&self, job_id: &str, default_mode: CallbackMode) -> Value {
        serde_json::json!({
            "jobId": job_id,
            "mode": self.mode.unwrap_or(default_mode).as_str(),
            "input": self.input,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn optional_everything() {
        let empty = StartCallback::parse(None).unwrap();
        assert_eq!(
            empty.execution_input("j", CallbackMode::External),
            json!({"jobId": "j", "mode": "external", "input": {}})
        );
        let full = StartCallback::parse(Some(
            json!({"mode": "auto", "input": [1, 2], "name": "cb-1"}),
        ))
        .unwrap();
        assert_eq!(full.name.as_ref().map(|n| n.as_str()), Some("cb-1"));
        assert_eq!(
            full.execution_input("cb-1", CallbackMode::External),
            json!({"jobId": "cb-1", "mode": "auto", "input": [1, 2]})
        );
    }

    #[test]
    fn refuses_bad_fields() {
        let e = |b| StartCallback::parse(Some(b)).unwrap_err();
        assert_eq!(e(json!({"mode": "sometimes"})).name(), "InvalidField");
        assert_eq!(e(json!({"mode": 1})).name(), "InvalidField");
        assert_eq!(
            e(json!({"other": 1})),
            RequestError::UnknownField("other".into())
        );
        assert_eq!(e(json!("text")).name(), "InvalidJson");
    }
}
