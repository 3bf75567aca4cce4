//! The error a state raises at run time (`{"Error", "Cause"}`), matched by Retry/Catch.

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fault {
    pub error: String,
    pub cause: String,
    /// A failed JSONata field (`Output/result`), which history reports in an
    /// `EvaluationFailed` event; set only until that event is written.
    pub evaluation: Option<Box<(String, Option<String>)>>,
    /// Not a failure: the execution parks until then (see `Observer::parks`).
    pub park: Option<chrono::DateTime<chrono::Utc>>,
}

pub(crate) const RUNTIME: &str = "States.Runtime";
pub(crate) const INTRINSIC: &str = "States.IntrinsicFailure";
pub(crate) const DATA_LIMIT: &str = "States.DataLimitExceeded";
pub(crate) const QUERY_EVALUATION: &str = "States.QueryEvaluationError";
pub(crate) const TIMEOUT: &str = "States.Timeout";
pub(crate) const HEARTBEAT: &str = "States.HeartbeatTimeout";
pub(crate) const TASK_FAILED: &str = "States.TaskFailed";
pub(crate) const ALL: &str = "States.ALL";

impl Fault {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Fault {
        Fault {
            error: error.into(),
            cause: cause.into(),
            evaluation: None,
            park: None,
        }
    }
    pub fn runtime(cause: impl Into<String>) -> Fault {
        Fault::new(RUNTIME, cause)
    }
    pub fn intrinsic(cause: impl Into<String>) -> Fault {
        Fault::new(INTRINSIC, cause)
    }
    /// `States.QueryEvaluationError` raised by `state`'s field at `location`.
    pub fn query(state: &str, location: Option<String>, cause: String) -> Fault {
        Fault {
            error: QUERY_EVALUATION.into(),
            cause,
            evaluation: Some(Box::new((state.to_string(), location))),
            park: None,
        }
    }

    /// The execution leaves its task until `until` (a long top-level Wait).
    pub fn park(until: chrono::DateTime<chrono::Utc>) -> Fault {
        Fault {
            park: Some(until),
            ..Fault::new("", "")
        }
    }

    /// Whether Retry/Catch may handle it: AWS never lets `States.Runtime` be caught.
    pub fn catchable(&self) -> bool {
        self.error != RUNTIME && self.park.is_none()
    }

    /// ErrorEquals matching rules from "Error handling in Step Functions".
    pub fn matches(&self, name: &str) -> bool {
        if !self.catchable() {
            return false;
        }
        match name {
            // The docs call States.DataLimitExceeded terminal, but AWS catches it with
            // States.ALL (as recorded on AWS): behave as AWS does.
            ALL => true,
            TASK_FAILED => self.error != TIMEOUT && self.error != HEARTBEAT,
            TIMEOUT => self.error == TIMEOUT || self.error == HEARTBEAT,
            n => n == self.error,
        }
    }
}
