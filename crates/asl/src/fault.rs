//! The error a state raises at run time (`{"Error", "Cause"}`), matched by Retry/Catch.

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fault {
    pub error: String,
    pub cause: String,
}

pub(crate) const RUNTIME: &str = "States.Runtime";
pub(crate) const INTRINSIC: &str = "States.IntrinsicFailure";
pub(crate) const TIMEOUT: &str = "States.Timeout";
pub(crate) const HEARTBEAT: &str = "States.HeartbeatTimeout";
pub(crate) const TASK_FAILED: &str = "States.TaskFailed";
pub(crate) const ALL: &str = "States.ALL";

impl Fault {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Fault {
        Fault {
            error: error.into(),
            cause: cause.into(),
        }
    }
    pub fn runtime(cause: impl Into<String>) -> Fault {
        Fault::new(RUNTIME, cause)
    }
    pub fn intrinsic(cause: impl Into<String>) -> Fault {
        Fault::new(INTRINSIC, cause)
    }

    /// Whether Retry/Catch may handle it: AWS never lets `States.Runtime` be caught.
    pub fn catchable(&self) -> bool {
        self.error != RUNTIME
    }

    /// ErrorEquals matching rules from "Error handling in Step Functions".
    pub fn matches(&self, name: &str) -> bool {
        if !self.catchable() {
            return false;
        }
        match name {
            ALL => true,
            TASK_FAILED => self.error != TIMEOUT && self.error != HEARTBEAT,
            TIMEOUT => self.error == TIMEOUT || self.error == HEARTBEAT,
            n => n == self.error,
        }
    }
}
