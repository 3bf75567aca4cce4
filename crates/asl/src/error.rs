//! Errors that cross the crate boundary.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One problem found in a definition, shaped like the entries of
/// ValidateStateMachineDefinition's `diagnostics` so the service can pass them through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// AWS-style code, e.g. `SCHEMA_VALIDATION_FAILED`, `MISSING_TRANSITION_TARGET`.
    pub code: String,
    /// Sentence naming the state and the field.
    pub message: String,
    /// JSON-pointer-like location, e.g. `/States/MyState/Next`.
    pub location: String,
}

impl Diagnostic {
    pub(crate) fn new(code: &str, location: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            code: code.to_string(),
            message: message.into(),
            location: location.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.location.is_empty() {
            write!(f, "{}: {}", self.code, self.message)
        } else {
            write!(f, "{}: {} at {}", self.code, self.message, self.location)
        }
    }
}

/// A definition AWS would refuse. `Display` gives one line per diagnostic, which is what
/// the service returns as the `InvalidDefinition` message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DefinitionError {
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for d in &self.diagnostics {
            if !first {
                writeln!(f)?;
            }
            first = false;
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// Answers to SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat, named as AWS names them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The token is not one this engine could have issued.
    #[error("InvalidToken: the task token is malformed")]
    InvalidToken,
    /// Well-formed, but no task waits for it (unknown, or already completed).
    #[error("TaskDoesNotExist: no task is waiting for this token")]
    TaskDoesNotExist,
    /// The task timed out, or its execution ended, before the answer came.
    #[error("TaskTimedOut: the task for this token timed out or its execution ended")]
    TaskTimedOut,
}

/// Why an execution cannot be continued from a recorded history.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResumeError {
    #[error("history is empty or does not start with ExecutionStarted")]
    NoStart,
    #[error("history refers to state `{0}`, which the definition does not have")]
    UnknownState(String),
    #[error("history is inconsistent: {0}")]
    Inconsistent(String),
}
