use common::names::{check_name, NameError as StepFunctionsNameError, MAX_NAME_CHARS};
use std::fmt;

/// Why a name or id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("must be 1 to 80 characters long")]
    Length,
    #[error("may only contain letters, digits, '-' and '_'")]
    Charset,
    #[error("must not contain whitespace, control characters or any of \" # % \\ ^ | ~ ` $ & , ; : / < > {{ }} [ ] ? *")]
    Forbidden,
}

/// Execution name chosen by our API (Idempotency-Key header, `name` field or a UUID).
///
/// It is a [`JobId`] (Step Functions' rule) whose characters are also limited to ASCII
/// letters, digits, `-` and `_`, so that the name is safe as a URL path segment and a
/// DynamoDB key without any escaping.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExecutionName(JobId);

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

impl ExecutionName {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        // Every accepted name is ASCII, so one of more than 80 bytes is too long whatever
        // its characters are.
        if raw.len() > MAX_NAME_CHARS {
            return Err(NameError::Length);
        }
        let id = JobId::parse(raw).map_err(|e| match e {
            NameError::Length => NameError::Length,
            _ => NameError::Charset,
        })?;
        if !raw.bytes().all(is_name_byte) {
            return Err(NameError::Charset);
        }
        Ok(Self(id))
    }

    /// A fresh random name, for requests that bring neither a key nor a name.
    pub fn random() -> Self {
        Self(JobId(uuid::Uuid::new_v4().to_string()))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for ExecutionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Identifier of a job: the name of the execution that runs it.
///
/// Executions started from the console may use any name Step Functions accepts, so the
/// rule here is Step Functions' rule, not [`ExecutionName`]'s stricter one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(String);

impl JobId {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        match check_name(raw) {
            Ok(()) => Ok(Self(raw.to_owned())),
            Err(StepFunctionsNameError::Empty | StepFunctionsNameError::TooLong) => {
                Err(NameError::Length)
            }
            Err(StepFunctionsNameError::Forbidden) => Err(NameError::Forbidden),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The job an execution runs: the `jobId` its input names, else the execution's name.
///
/// The API starts every execution with the job id as its name and in its input; the console
/// and the aws CLI may use any name, and every machine keys its record by the input's `jobId`
/// (the callback machine defaults it to the name). `None` when the input names a `jobId` that
/// is not a job id (not a string, or not a name Step Functions accepts): no machine runs a
/// job under it.
pub fn job_of_execution(name: &str, input: Option<&str>) -> Option<JobId> {
    let given = input
        .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok())
        .and_then(|doc| doc.get("jobId").cloned());
    match given {
        None | Some(serde_json::Value::Null) => JobId::parse(name).ok(),
        Some(serde_json::Value::String(id)) => JobId::parse(&id).ok(),
        Some(_) => None,
    }
}

impl From<ExecutionName> for JobId {
    fn from(name: ExecutionName) -> Self {
        name.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for JobId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_name_rule() {
        assert!(ExecutionName::parse("order-42_A").is_ok());
        assert_eq!(ExecutionName::parse(""), Err(NameError::Length));
        assert_eq!(
            ExecutionName::parse(&"a".repeat(81)),
            Err(NameError::Length)
        );
        assert!(ExecutionName::parse(&"a".repeat(80)).is_ok());
        assert_eq!(ExecutionName::parse("a b"), Err(NameError::Charset));
        assert_eq!(ExecutionName::parse("a.b"), Err(NameError::Charset));
        assert_eq!(ExecutionName::parse("é"), Err(NameError::Charset));
        assert_eq!(ExecutionName::parse("a/b"), Err(NameError::Charset));
        assert_eq!(
            ExecutionName::parse(&"é".repeat(41)),
            Err(NameError::Length),
            "82 bytes"
        );
    }

    #[test]
    fn random_names_are_valid_and_distinct() {
        let a = ExecutionName::random();
        let b = ExecutionName::random();
        assert_ne!(a, b);
        assert!(ExecutionName::parse(a.as_str()).is_ok());
    }

    #[test]
    fn an_execution_runs_the_job_its_input_names() {
        let job = |name, input| job_of_execution(name, input).map(|j| j.as_str().to_owned());
        let named = Some(r#"{"jobId": "console-1", "taskName": "t"}"#);
        assert_eq!(job("exec-7", named).as_deref(), Some("console-1"));
        for input in [
            None,
            Some("{}"),
            Some(r#"{"jobId": null}"#),
            Some("[1]"),
            Some("not json"),
        ] {
            assert_eq!(job("exec-7", input).as_deref(), Some("exec-7"), "{input:?}");
        }
        assert_eq!(job("exec-7", Some(r#"{"jobId": 5}"#)), None);
        assert_eq!(job("exec-7", Some(r#"{"jobId": "a/b"}"#)), None);
        assert_eq!(job("a b", Some("{}")), None);
    }

    #[test]
    fn job_id_follows_step_functions_rule() {
        assert!(JobId::parse("console.run-1").is_ok());
        assert!(JobId::parse("café").is_ok());
        assert_eq!(JobId::parse("a/b"), Err(NameError::Forbidden));
        assert_eq!(JobId::parse("a b"), Err(NameError::Forbidden));
        assert_eq!(JobId::parse(""), Err(NameError::Length));
        assert_eq!(JobId::parse(&"é".repeat(81)), Err(NameError::Length));
    }
}
